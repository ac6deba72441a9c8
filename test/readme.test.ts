// The sample outputs in README.md are what the built tools print for the
// examples, so the README cannot drift from them again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { blocks } from './support/readme';
import { REPO } from './support/shared';

/** A bundled tool run as the README shows it. */
function run(tool: 'cli.js' | 'trace.js', args: string[], cwd: string) {
  return spawnSync(process.execPath, [path.join(REPO, 'server', 'out', tool), ...args], { cwd, encoding: 'utf8' });
}

test('README "What it checks": each error shown is what iptables-lint prints for examples/mistakes.rules', () => {
  const shown = blocks('What it checks')[0];
  // Every line of the block is a diagnostic, so none can escape the check below.
  for (const line of shown) assert.match(line, /^examples\/mistakes\.rules:\d+:\d+: (error|warning|info|hint): .+ \[[a-z-]+\]$/);
  assert.ok(shown.length >= 4);
  const r = run('cli.js', ['mistakes.rules'], path.join(REPO, 'examples'));
  assert.equal(r.status, 1, r.stderr);
  const printed = r.stdout.split('\n').map((l) => `examples/${l}`);
  assert.deepEqual(shown.filter((l) => !printed.includes(l)), []);
});

test('README "iptables-trace": the sample trace is the real output for its command, in order, with "..." for lines left out', () => {
  const [usage, sample] = blocks('iptables-trace');
  const command = usage.map((l) => /^iptables-trace (\S+) --packet '([^']+)'$/.exec(l)).find((m) => m);
  assert.ok(command, 'no `iptables-trace FILE --packet \'...\'` line in the usage block');
  assert.equal(sample[0], 'PREROUTING');
  const r = run('trace.js', [command[1], '--packet', command[2]], REPO);
  assert.equal(r.status, 0, r.stderr);
  const printed = r.stdout.split('\n');
  let next = 0;
  for (const line of sample.filter((l) => l !== '...')) {
    const at = printed.indexOf(line, next);
    assert.ok(at >= 0, `README line not printed after line ${next} of the output:\n${line}\n--- output:\n${r.stdout}`);
    next = at + 1;
  }
});

test('README "Packet tests": the sample run is what iptables-trace --test prints for the examples\' tests', () => {
  const sample = blocks('Packet tests').find((b) => b[0].startsWith('$ cd examples && iptables-trace --test'));
  assert.ok(sample, 'no `$ cd examples && iptables-trace --test` block');
  const r = run('trace.js', ['--test'], path.join(REPO, 'examples'));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(sample.slice(1), r.stdout.replace(/\n$/, '').split('\n'));
});
