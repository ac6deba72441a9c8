// iptables-diff as a user runs it: the built bundle, against the ruleset the
// real kernel holds in a network namespace of the test's own (read with the
// real iptables-save of each backend), after the real tools changed it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Backend, hostFirewall, inNamespace, iptablesMissing, Namespace, runShellCase } from '../support/iptables';
import { CORPUS, corpusMissing, REPO, SHARED } from '../support/shared';

const CLI = path.join(REPO, 'server', 'out', 'diff.js');
const skip = iptablesMissing();
const hostBefore = skip ? '' : hostFirewall();
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-diff-'));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** iptables-diff run by hand (outside any namespace). */
function run(args: string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input });
}

/** iptables-diff run inside the namespace: `live` is the namespace's ruleset. */
function diffIn(ns: Namespace, args: string[]) {
  return inNamespace(ns.name, [process.execPath, CLI, ...args]);
}

/** The live command of each backend: nf_tables is what `iptables-save` is here; legacy is named. */
const LIVE: Record<Backend, string[]> = { nft: [], legacy: ['--live-command', 'iptables-legacy-save'] };
const tool = (backend: Backend, name: string) => name.replace(/tables/, `tables-${backend}`);

const CORPUS_FILE = path.join(CORPUS, 'save', 'nn-ferm-dmz-router.rules');

for (const backend of ['nft', 'legacy'] as const) {
  test(`${backend}: a corpus file loaded with iptables-restore is live as it is; -I, -D, -P and a new chain are reported, exactly`, { skip: skip ?? corpusMissing() }, () => {
    const ns = new Namespace('live-diff');
    try {
      const loaded = inNamespace(ns.name, [tool(backend, 'iptables-restore')], readFileSync(CORPUS_FILE, 'utf8'));
      assert.equal(loaded.status, 0, loaded.stderr);
      const same = diffIn(ns, [...LIVE[backend], 'live', CORPUS_FILE]);
      assert.equal(same.stderr, '');
      assert.deepEqual([same.status, same.stdout], [0, `live and ${CORPUS_FILE} are the same ruleset (IPv4)\n`]);

      const ipt = (...args: string[]) => assert.equal(inNamespace(ns.name, [tool(backend, 'iptables'), ...args]).status, 0, args.join(' '));
      ipt('-I', 'INPUT', '3', '-s', '192.0.2.7', '-p', 'tcp', '--dport', '8080', '-j', 'DROP');
      // The kernel's own listing names the rule deleted next (the file's fifth).
      const deleted = inNamespace(ns.name, [tool(backend, 'iptables'), '-S', 'INPUT']).stdout.split('\n').filter((l) => l.startsWith('-A '))[5];
      ipt('-D', 'INPUT', '6');
      ipt('-P', 'FORWARD', 'ACCEPT');
      ipt('-N', 'drift-test');
      ipt('-A', 'drift-test', '-j', 'RETURN');

      const r = diffIn(ns, [...LIVE[backend], '--format', 'json', CORPUS_FILE, 'live']);
      assert.equal(r.status, 1, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.equal, false);
      assert.deepEqual(report.families, ['ipv4']);
      assert.deepEqual(report.b.live.backend, backend === 'nft' ? 'nf_tables' : 'legacy');
      assert.deepEqual(report.chains, [
        {
          family: 'ipv4', table: 'filter', chain: 'INPUT', change: 'changed',
          added: [{ rule: '-A INPUT -s 192.0.2.7/32 -p tcp -m tcp --dport 8080 -j DROP', position: 3 }],
          removed: [{ rule: deleted, position: 5 }], moved: [],
        },
        { family: 'ipv4', table: 'filter', chain: 'FORWARD', change: 'changed', policy: { a: 'DROP', b: 'ACCEPT' }, added: [], removed: [], moved: [] },
        { family: 'ipv4', table: 'filter', chain: 'drift-test', change: 'added', added: [{ rule: '-A drift-test -j RETURN', position: 1 }], removed: [], moved: [] },
      ]);

      const text = diffIn(ns, [...LIVE[backend], 'live', CORPUS_FILE]);
      assert.equal(text.status, 1);
      const lines = text.stdout.split('\n');
      assert.match(lines[0], new RegExp(`^--- live \\(iptables(-legacy)?-save on \\S+, \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z, ${backend === 'nft' ? 'nf_tables' : 'legacy'}\\)$`));
      assert.deepEqual(lines.slice(1), [
        `+++ ${CORPUS_FILE}`,
        'filter/INPUT: 1 rule added, 1 removed',
        `  - 3     -A INPUT -s 192.0.2.7/32 -p tcp -m tcp --dport 8080 -j DROP`,
        `  + 5     ${deleted}`,
        'filter/FORWARD: policy ACCEPT -> DROP',
        '  - :FORWARD ACCEPT [0:0]',
        '  + :FORWARD DROP [0:0]',
        'filter/drift-test: chain only in live (1 rule)',
        '  - :drift-test - [0:0]',
        '  - 1     -A drift-test -j RETURN',
        '',
        `live and ${CORPUS_FILE} differ in 3 chains: filter/INPUT, filter/FORWARD, filter/drift-test`,
        '',
      ]);
    } finally {
      ns.delete();
    }
  });

  test(`${backend}: a shell-cases script after it ran is live as it builds it, both families; then a change in each`, { skip: skip ?? (corpusMissing() && 'no ../shared') }, () => {
    const script = path.join(SHARED, 'shell-cases', '10-dual-stack-ipt46');
    const ns = new Namespace('live-diff-sh');
    try {
      const ran = runShellCase(ns.name, script, backend);
      assert.equal(ran.status, 0, ran.stderr);
      const same = diffIn(ns, [...LIVE[backend], 'live', path.join(script, 'script.sh')]);
      assert.deepEqual([same.status, same.stdout, same.stderr], [0, `live and ${path.join(script, 'script.sh')} are the same ruleset (IPv4 and IPv6)\n`, '']);

      assert.equal(inNamespace(ns.name, [tool(backend, 'ip6tables'), '-I', 'INPUT', '2', '-p', 'udp', '--dport', '53', '-j', 'ACCEPT']).status, 0);
      assert.equal(inNamespace(ns.name, [tool(backend, 'iptables'), '-P', 'OUTPUT', 'DROP']).status, 0);
      const r = diffIn(ns, [...LIVE[backend], path.join(script, 'script.sh'), 'live']);
      assert.equal(r.status, 1, r.stderr);
      const summary = r.stdout.split('\n').filter((l) => /^(ip6 )?\w+\/\S+: /.test(l));
      assert.deepEqual(summary, ['filter/OUTPUT: policy ACCEPT -> DROP', 'ip6 filter/INPUT: 1 rule added']);
      assert.match(r.stdout, /^ {2}\+ 2 {5}-A INPUT -p udp -m udp --dport 53 -j ACCEPT$/m);
    } finally {
      ns.delete();
    }
  });
}

test('the mixed-backend warning: rules in the backend not in use are named, and the comparison goes on', { skip }, () => {
  const rules = file('host.rules', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n');
  const ns = new Namespace('live-diff-mixed');
  try {
    assert.equal(inNamespace(ns.name, ['iptables-nft-restore'], readFileSync(rules, 'utf8')).status, 0);
    const clean = diffIn(ns, ['live', rules]);
    assert.deepEqual([clean.status, clean.stderr], [0, '']);
    // Another tool on the machine uses the other backend.
    assert.equal(inNamespace(ns.name, ['iptables-legacy', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-j', 'MASQUERADE']).status, 0);
    assert.equal(inNamespace(ns.name, ['ip6tables-legacy', '-P', 'FORWARD', 'DROP']).status, 0);
    const nft = diffIn(ns, ['--format', 'json', 'live', rules]);
    assert.equal(nft.status, 0, 'the nf_tables rules are still those of the file');
    const warning = 'the legacy backend also holds rules (IPv4 nat (1 rule); IPv6 filter (policy FORWARD DROP)). The kernel runs them as well as the nf_tables rules shown here, and iptables (nf_tables) does not list them: see them with iptables-legacy-save.';
    assert.equal(nft.stderr, `iptables-diff: warning: ${warning}\n`);
    assert.deepEqual(JSON.parse(nft.stdout).a.live.warnings, [warning]);
    // Seen from the legacy side, the nf_tables rules are the others.
    const legacy = diffIn(ns, ['--live-command', 'iptables-legacy-save', 'live', rules]);
    assert.equal(legacy.status, 1);
    assert.match(legacy.stderr, /^iptables-diff: warning: the nf_tables backend also holds rules \(IPv4 filter \(1 rule\)\)\. .* see them with iptables-nft-save\.$/m);
  } finally {
    ns.delete();
  }
});

test('a live command that fails, a rule file iptables-restore would refuse and bad usage: exit status 2 and one clear message', { skip }, () => {
  const ok = file('ok.rules', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
  const gone = run(['--live-command', 'ip netns exec live-diff-no-such-namespace iptables-save', 'live', ok]);
  assert.equal(gone.status, 2);
  assert.match(gone.stderr, /^iptables-diff: ip netns exec live-diff-no-such-namespace iptables-save failed: Cannot open network namespace "live-diff-no-such-namespace": No such file or directory\n$/);
  assert.deepEqual(run(['--live-command', 'iptables-save | grep x', 'live', ok]).stderr, 'iptables-diff: --live-command: `|` would need a shell: give the command and its arguments only (a remote command may be one quoted word)\n');
  const broken = run([file('broken.rules', '*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n'), ok]);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /broken\.rules has 1 error; iptables-restore would refuse it, so there is nothing to compare:\n {2}.*broken\.rules:2:25: port `99999` is out of range 0-65535 \[invalid-value\]\n$/);
  const usage = run([ok]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^iptables-diff: give two rulesets to compare \(got 1\)\n\nusage: iptables-diff/);
  assert.equal(run(['-', ok], '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n').status, 0);
  const missing = run([ok, path.join(dir, 'missing.rules')]);
  assert.deepEqual([missing.status, missing.stderr], [2, `iptables-diff: ${path.join(dir, 'missing.rules')}: no such file\n`]);
});

test('two files: a dual-stack script and the IPv4 rule file it should equal; the family both speak for is compared', () => {
  const rules = file('rules.v4', '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');
  const script = file('fw.sh', '#!/bin/sh\nfor ipt in iptables ip6tables; do\n  $ipt -P INPUT DROP\n  $ipt -P FORWARD DROP\n  $ipt -A INPUT -p tcp --dport 22 -j ACCEPT\ndone\n');
  const r = run([script, rules]);
  assert.deepEqual([r.status, r.stdout], [0, `${script} and ${rules} are the same ruleset (IPv4)\n`]);
  const other = run([script, file('other.v4', '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n')]);
  assert.equal(other.status, 1);
  assert.match(other.stdout, /\nfilter\/INPUT: 1 rule removed\n {2}- 1 {5}-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n\n/);
  assert.doesNotMatch(other.stdout, /ip6/);
  const v6 = run([script, file('rules.v6', '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n')]);
  assert.deepEqual([v6.status, v6.stdout], [0, `${script} and ${path.join(dir, 'rules.v6')} are the same ruleset (IPv6)\n`]);
});

test('the host\'s own firewall is as it was before these tests', { skip }, () => {
  assert.equal(hostFirewall(), hostBefore);
});
