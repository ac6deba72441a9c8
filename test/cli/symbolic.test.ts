// The symbolic engine on the command line, as a user runs it (the built
// bundles): `iptables-trace --matrix` (who reaches a port) and
// `iptables-diff --semantic` (what an edit changes for the packets).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { hostFirewall, inNamespace, iptablesMissing, Namespace } from '../support/iptables';
import { REPO } from '../support/shared';

const TRACE = path.join(REPO, 'server', 'out', 'trace.js');
const DIFF = path.join(REPO, 'server', 'out', 'diff.js');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-symbolic-'));

function file(name: string, ...lines: string[]): string {
  const p = path.join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

function run(cli: string, ...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

const BASE = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -i lo -j ACCEPT', '-A INPUT -p tcp --dport 80 -j ACCEPT'];
const before = file('before.rules', ...BASE, 'COMMIT');

test('iptables-trace --matrix --port tcp:80: text by hook, and JSON whose examples the trace takes as they are', () => {
  const text = run(TRACE, '--matrix', '--port', 'tcp:80', before);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^tcp:80: new connections \(SYN\) to port 80, IPv4\n/);
  assert.match(text.stdout, /\nINPUT: to this host\n(.*\n)*? {2}delivered +from .* on eth0\n(.*\n)*?FORWARD/);
  assert.match(text.stdout, /\nFORWARD: through this host\n {2}dropped /);
  const json = run(TRACE, '--matrix', '--port', 'tcp:80', '--format', 'json', before);
  const m = JSON.parse(json.stdout) as { service: string; classes: { hook: string; fate: string; example: unknown }[] };
  assert.equal(m.service, 'tcp:80');
  const forward = m.classes.find((c) => c.hook === 'FORWARD')!;
  assert.equal(forward.fate, 'dropped');
  const scenario = path.join(dir, 'example.json');
  writeFileSync(scenario, JSON.stringify(forward.example));
  const t = run(TRACE, before, '--scenario', scenario, '--format', 'json');
  assert.equal(t.status, 0, t.stderr);
  assert.equal(JSON.parse(t.stdout).fate, 'dropped');
});

test('iptables-trace --matrix refuses a service it cannot read, with the usage', () => {
  const r = run(TRACE, '--matrix', '--port', 'tcp:99999', before);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port takes a protocol and port such as tcp:22/);
});

test('iptables-diff --semantic: an edit that opens SSH on eth0 says which packets were dropped and are delivered now', () => {
  const after = file('open-ssh.rules', ...BASE, '-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT', 'COMMIT');
  const r = run(DIFF, '--semantic', before, after);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('  tcp'));
  assert.ok(lines.length > 0, r.stdout);
  for (const l of lines) assert.match(l, /^ {2}tcp to port 22 from .* on eth0: dropped before, delivered now$/);
  assert.match(r.stdout, /\(before: filter\/INPUT policy DROP\)/);
});

test('iptables-diff --semantic: closing a port, and a DNAT that reroutes web traffic to an inside server', () => {
  const closed = file('closed.rules', '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -i lo -j ACCEPT', 'COMMIT');
  const c = run(DIFF, '--semantic', '--port', 'tcp:80', before, closed);
  assert.equal(c.status, 1);
  assert.match(c.stdout, /\n {2}tcp SYN to port 80 from anywhere but .* on eth0, eth1: delivered before, dropped now\n/);
  const rerouted = file('dnat.rules', '*nat', '-A PREROUTING -i eth0 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2', 'COMMIT', ...BASE.map((l) => l.replace(':FORWARD DROP', ':FORWARD ACCEPT')), 'COMMIT');
  const d = run(DIFF, '--semantic', '--port', 'tcp:80', '--format', 'json', before, rerouted);
  assert.equal(d.status, 1);
  const changes = (JSON.parse(d.stdout).families[0].changes) as { before: { fate: string }; after: { fate: string; outInterface: string; rewrites: string[] } }[];
  const moved = changes.filter((x) => x.before.fate === 'delivered' && x.after.fate === 'forwarded');
  assert.equal(moved.length, 1, JSON.stringify(changes));
  assert.deepEqual([moved[0].after.outInterface, moved[0].after.rewrites], ['eth1', ['destination → 10.0.0.2']]);
});

test('iptables-diff --semantic: a reordering that changes no fate changes nothing, though the text diff sees moved rules', () => {
  const reordered = file('reordered.rules', '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -p tcp --dport 80 -j ACCEPT', '-A INPUT -i lo -j ACCEPT', 'COMMIT');
  const s = run(DIFF, '--semantic', before, reordered);
  assert.equal(s.status, 0, s.stdout + s.stderr);
  assert.equal(s.stdout, `IPv4: no packet's fate changes from ${before} to ${reordered}\n`);
  assert.equal(run(DIFF, before, reordered).status, 1);
});

const noIptables = iptablesMissing();

test('iptables-diff --semantic FILE live: the ruleset loaded in a namespace changes nothing, then an inserted DROP closes the web port on eth0', { skip: noIptables }, () => {
  const hostBefore = hostFirewall();
  const ns = new Namespace('symbolic-diff');
  try {
    const loaded = ns.restore(readFileSync(before, 'utf8'), 'ipv4', false);
    assert.ok(loaded.loads, loaded.message);
    const live = ['--live-command', 'iptables-legacy-save'];
    const same = inNamespace(ns.name, [process.execPath, DIFF, ...live, '--semantic', before, 'live']);
    assert.deepEqual([same.status, same.stdout], [0, `IPv4: no packet's fate changes from ${before} to live\n`], same.stderr);
    assert.ok(ns.run('ipv4', ['-I', 'INPUT', '1', '-i', 'eth0', '-p', 'tcp', '--dport', '80', '-j', 'DROP']).ok);
    const closed = inNamespace(ns.name, [process.execPath, DIFF, ...live, '--semantic', '--port', 'tcp:80', before, 'live']);
    assert.equal(closed.status, 1, closed.stderr);
    const lines = closed.stdout.split('\n').filter((l) => l.startsWith('  tcp'));
    assert.ok(lines.length > 0, closed.stdout);
    for (const l of lines) assert.match(l, /^ {2}tcp SYN to port 80 .* on eth0: delivered before, dropped now$/);
  } finally {
    ns.delete();
  }
  assert.equal(hostFirewall(), hostBefore);
});
