// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx);
// with --e2e, the editor tests test/**/*.e2e.ts instead.
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
const only = process.argv.slice(2).filter((a) => a !== '--e2e');
const suffix = e2e ? '.e2e.ts' : '.test.ts';
const files = find('test').filter((f) => f.endsWith(suffix) && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
// Editor tests share one machine's CPUs and ports: one file at a time. The others
// spend much of their time starting up (tsx) and waiting on iptables: two at least.
const concurrency = ['--test-concurrency=' + (e2e ? 1 : Math.max(2, availableParallelism()))];
// A test that waits forever on a dead server fails after 15 minutes instead of holding CI (tests that
// need longer say so with their own timeout).
const timeout = ['--test-timeout=' + 15 * 60_000];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...concurrency, ...timeout, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
