// npm run bench: bundles each test/bench/*.bench.ts like the shipped code
// (esbuild, no test-time transpiler in the way) and runs them one by one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as esbuild from 'esbuild';

mkdirSync('out/bench', { recursive: true });
const v8Flags = JSON.parse(readFileSync('server/src/node/v8Flags.json', 'utf8')).cli;
// `npm run bench -- NAME...`: only the benchmarks whose file name contains one of them.
const only = process.argv.slice(2);
const benches = readdirSync('test/bench').filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
let failed = false;
for (const file of benches) {
  const outfile = `out/bench/${file.replace(/\.ts$/, '.js')}`;
  await esbuild.build({
    entryPoints: [`test/bench/${file}`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    // test/support/shared.ts finds the repository from its own folder.
    define: { __dirname: JSON.stringify(process.cwd() + '/test/support') },
    // As in scripts/bundles.mjs: the CommonJS build of web-tree-sitter.
    alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
  });
  // Timings depend on what else runs: each benchmark says the load it started at.
  console.log(`\n== ${file} (load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  // The same V8 flags as the language server and the CLI run with.
  const r = spawnSync(process.execPath, [...v8Flags, outfile], { stdio: 'inherit' });
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
