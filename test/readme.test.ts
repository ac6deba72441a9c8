// The sample outputs in README.md are what the built tools print for the
// examples, so the README cannot drift from them again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sysctlKeys } from '../server/src/machine/hostFacts';
import { MACHINE_QUERIES, PRIVILEGE_PREFIX } from '../server/src/machine/liveCommand';
import { inNamespace, iptablesMissing, Namespace } from './support/iptables';
import { blocks, section } from './support/readme';
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

test('README "The live machine": the sample session, replayed in a network namespace, prints what the README shows', { skip: iptablesMissing() }, () => {
  const sample = blocks('The live machine').find((b) => b[0] === '$ iptables-restore < rules.v4');
  assert.ok(sample, 'no block starting with `$ iptables-restore < rules.v4`');
  const commands = sample.filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
  const shown = sample.filter((l) => !l.startsWith('$ '));
  assert.equal(commands.at(-1), 'iptables-diff rules.v4 live');
  const ns = new Namespace('readme-live');
  try {
    const examples = path.join(REPO, 'examples');
    for (const c of commands.slice(0, -1)) {
      const [tool, ...args] = c.replace(' < rules.v4', '').split(' ');
      const r = inNamespace(ns.name, [tool, ...args], c.includes('<') ? readFileSync(path.join(examples, 'rules.v4'), 'utf8') : undefined);
      assert.equal(r.status, 0, `${c}: ${r.stderr}`);
    }
    const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, path.join(REPO, 'server', 'out', 'diff.js'), 'rules.v4', 'live'], { cwd: examples, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const printed = r.stdout.replace(/\n$/, '').split('\n');
    // The live side's line names this machine and the time: its form is what counts.
    assert.match(printed[1], /^\+\+\+ live \(iptables-save on \S+, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, (nf_tables|legacy)\)$/);
    assert.match(shown[1], /^\+\+\+ live \(iptables-save on \S+, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, (nf_tables|legacy)\)$/);
    assert.deepEqual([shown[0], ...shown.slice(2)], [printed[0], ...printed.slice(2)]);
  } finally {
    ns.delete();
  }
});

test('README "The live machine": the table lists every command run on a machine, and each privilege prefix', () => {
  const table = section('The live machine').split('\n').filter((l) => l.startsWith('| `'));
  const listed = (words: string) => table.some((row) => row.includes(`\`${words}`));
  for (const query of Object.values(MACHINE_QUERIES)) {
    for (const backend of [undefined, 'legacy', 'nf_tables'] as const) {
      const words = [query.name(backend), ...query.args].join(' ');
      assert.ok(listed(words), `the README's table does not list \`${words}\``);
    }
  }
  for (const key of sysctlKeys([])) assert.ok(table.some((row) => row.includes(key)), `the README's table does not list ${key}`);
  for (const prefix of Object.values(PRIVILEGE_PREFIX).filter((p) => p.length)) assert.ok(listed(prefix.join(' ')), `the README's table does not list \`${prefix.join(' ')}\``);
});

test('README "nftables": the sample is what iptables-lint --to-nft prints for examples/rules.v4, in order, with "..." for lines left out', () => {
  const sample = blocks('nftables').find((b) => b[0] === '$ iptables-lint --to-nft examples/rules.v4');
  assert.ok(sample, 'no `$ iptables-lint --to-nft examples/rules.v4` block');
  const r = run('cli.js', ['--to-nft', 'examples/rules.v4'], REPO);
  assert.equal(r.status, 0, r.stderr);
  const printed = r.stdout.split('\n');
  let next = 0;
  for (const line of sample.slice(1).filter((l) => l !== '...')) {
    const at = printed.indexOf(line, next);
    assert.ok(at >= 0, `README line not printed after line ${next} of the output:\n${line}`);
    next = at + 1;
  }
});
