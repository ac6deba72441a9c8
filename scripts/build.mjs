// npm run build: the development bundles (with source maps); --watch keeps rebuilding.
import { buildBundles } from './bundles.mjs';

await buildBundles({ watch: process.argv.includes('--watch') });
