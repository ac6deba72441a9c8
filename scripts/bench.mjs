// npm run bench: bundles the benchmarks like the shipped code (esbuild, no
// test-time transpiler in the way) and runs them.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';

mkdirSync('out/bench', { recursive: true });
await esbuild.build({
  entryPoints: ['test/bench/analyse.bench.ts'],
  outfile: 'out/bench/analyse.bench.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  define: { __dirname: JSON.stringify(process.cwd() + '/test/support') },
});
// The same V8 flags as the language server and the CLI run with.
const r = spawnSync(process.execPath, ['--max-semi-space-size=64', 'out/bench/analyse.bench.js'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
