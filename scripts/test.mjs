// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx);
// with --e2e, the editor tests test/**/*.e2e.ts instead; with --fuzz, the fuzz
// tests alone for FUZZ_SECONDS (600 unless set) with a fresh seed.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return [path];
  });
}

const e2e = process.argv.includes('--e2e');
const fuzz = process.argv.includes('--fuzz');
const only = fuzz ? [join('test', 'fuzz')] : process.argv.slice(2).filter((a) => a !== '--e2e');
const env = fuzz ? { ...process.env, FUZZ_SECONDS: process.env.FUZZ_SECONDS || '600' } : process.env;
const suffix = e2e ? '.e2e.ts' : '.test.ts';
const files = find('test').filter((f) => f.endsWith(suffix) && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
// Editor tests share one machine's CPUs and ports: one file at a time. The others
// spend much of their time starting up (tsx) and waiting on iptables: two at least.
const concurrency = ['--test-concurrency=' + (e2e ? 1 : fuzz ? files.length : Math.max(2, availableParallelism()))];
// A test that waits forever on a dead server fails after 15 minutes instead of holding CI (tests that
// need longer say so with their own timeout).
const timeout = ['--test-timeout=' + (15 * 60_000 + (fuzz ? Number(env.FUZZ_SECONDS) * 1000 : 0))];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...concurrency, ...timeout, ...files], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
