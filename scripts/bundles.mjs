// The esbuild bundles of the extension: the client, the language server and the CLI.
import * as esbuild from 'esbuild';
import { join } from 'node:path';

/**
 * Builds (or watches) the bundles under `outRoot` (the repository by default).
 * `production`: minified, no source maps, and only what the .vsix ships.
 */
export async function buildBundles({ production = false, watch = false, outRoot = '.' } = {}) {
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  };
  const builds = [
    { ...common, entryPoints: ['client/src/extension.ts'], outfile: join(outRoot, 'client/out/extension.js'), external: ['vscode'] },
    { ...common, entryPoints: ['server/src/lsp/server.ts'], outfile: join(outRoot, 'server/out/server.js') },
  ];
  if (!production) builds.push({ ...common, entryPoints: ['server/src/cli/lint.ts'], outfile: join(outRoot, 'server/out/cli.js') });
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
  } else {
    await Promise.all(builds.map((b) => esbuild.build(b)));
  }
}
