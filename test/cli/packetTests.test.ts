// iptables-trace --test as CI runs it: the tests of a workspace's
// .vscode/iptables-trace, or named ones, reported as text, JSON and JUnit XML,
// with exit status 1 when one fails and 2 when there is nothing to run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';

const CLI = path.join(REPO, 'server', 'out', 'trace.js');

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'iptables-tests-'));
  mkdirSync(path.join(ws, 'fw'));
  copyFileSync(path.join(REPO, 'examples', 'rules.v4'), path.join(ws, 'fw', 'rules.v4'));
  copyFileSync(path.join(REPO, 'examples', 'host-firewall.sh'), path.join(ws, 'fw', 'host-firewall.sh'));
  return ws;
}

function save(ws: string, file: string, json: unknown): string {
  const p = path.join(ws, file);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  return p;
}

function run(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, '--test', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const WEB = { inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 80 };
const SSH = { ...WEB, destinationPort: 22 };
const TESTS = '.vscode/iptables-trace';

test('the workspace\'s tests run against the file they are saved under; a failure says what differs and exits 1', () => {
  const ws = workspace();
  save(ws, `${TESTS}/fw/rules.v4/web.json`, { packet: WEB, expect: { fate: 'forwarded', outInterface: 'eth1', packetOut: { destination: '10.0.0.10' } } });
  save(ws, `${TESTS}/fw/rules.v4/ssh-fresh.json`, { packet: SSH, state: { fresh: true }, expect: { fate: 'delivered', hits: ['filter/ssh-guard/3'] } });
  save(ws, `${TESTS}/fw/host-firewall.sh/monitoring.json`, { packet: { ...SSH, source: '192.0.2.10', destinationPort: 9100 }, expect: { fate: 'dropped' } });
  const r = run(ws);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout.split('\n')[0], `FAIL  fw/host-firewall.sh  monitoring  (${TESTS}/fw/host-firewall.sh/monitoring.json)`);
  assert.match(r.stdout, /^ {8}fate: expected dropped, got delivered\n {8}verdict: delivered to this host \(arrived on eth0\)\n {8}way:\n/m);
  assert.match(r.stdout, / {10}filter\/MONITOR\/1 {2}-A MONITOR -s 192\.0\.2\.10 -j ACCEPT → ACCEPT\n/);
  assert.match(r.stdout, /^PASS {2}fw\/rules\.v4 {2}ssh-fresh$/m);
  assert.match(r.stdout, /^PASS {2}fw\/rules\.v4 {2}web$/m);
  assert.match(r.stdout, /\n3 tests: 2 passed, 1 failed\n$/);
  // Named files and folders, from anywhere; all passing exits 0.
  const passing = run(tmpdir(), path.join(ws, TESTS, 'fw', 'rules.v4'));
  assert.equal(passing.status, 0, passing.stdout);
  assert.match(passing.stdout, /\n2 tests: 2 passed, 0 failed\n$/);
});

test('JSON has one entry per test (file, name, rules, passed, failures); JUnit has a suite per rule file', () => {
  const ws = workspace();
  save(ws, `${TESTS}/fw/rules.v4/web.json`, { packet: WEB, expect: { fate: 'forwarded' } });
  save(ws, `${TESTS}/fw/rules.v4/ssh.json`, { packet: SSH, expect: { fate: 'dropped' } });
  save(ws, 'checks/broken.json', '{"packet": ');
  const json = run(ws, TESTS, 'checks/broken.json', '--format', 'json');
  assert.equal(json.status, 1);
  const entries = JSON.parse(json.stdout);
  assert.deepEqual(entries.map((e: { file: string; name: string; rules: string | null; passed: boolean }) => [e.file, e.name, e.rules, e.passed]), [
    [`${TESTS}/fw/rules.v4/ssh.json`, 'ssh', 'fw/rules.v4', false],
    [`${TESTS}/fw/rules.v4/web.json`, 'web', 'fw/rules.v4', true],
    ['checks/broken.json', 'broken', null, false],
  ]);
  // Without the state, the ssh-guard's recent list decides: the test cannot pass and says why.
  assert.equal(entries[0].failures[0].field, 'fate');
  assert.match(entries[0].failures[0].actual, /^it depends \(dropped or delivered, on filter\/ssh-guard\/2 -m recent/);
  assert.match(entries[2].error, /^not valid JSON: /);

  const junit = run(ws, TESTS, 'checks/broken.json', '--format', 'junit');
  assert.equal(junit.status, 1);
  const xml = junit.stdout;
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="iptables packet tests" tests="3" failures="1" errors="1">\n/);
  assert.match(xml, /\n {2}<testsuite name="fw\/rules\.v4" tests="2" failures="1" errors="0">\n/);
  assert.match(xml, /<testcase name="web" classname="fw\/rules\.v4" file="\.vscode\/iptables-trace\/fw\/rules\.v4\/web\.json"\/>/);
  assert.match(xml, /<testcase name="ssh" [^>]*>\n {6}<failure message="fate: expected dropped, got it depends \(dropped or delivered, on filter\/ssh-guard\/2 -m recent --name ssh/);
  assert.match(xml, /<testsuite name="\(no rules\)" tests="1" failures="0" errors="1">\n {4}<testcase name="broken" [^>]*>\n {6}<error message="not valid JSON: /);
});

test('a test names its rules with "rules"; tests that cannot run are errors, each saying why', () => {
  const ws = workspace();
  save(ws, 'checks/web.json', { rules: '../fw/rules.v4', packet: WEB, expect: { outInterface: 'eth1' } });
  save(ws, 'checks/nowhere.json', { packet: WEB, expect: { fate: 'forwarded' } });
  save(ws, 'checks/missing.json', { rules: 'gone.rules', packet: WEB, expect: { fate: 'forwarded' } });
  save(ws, 'checks/no-expect.json', { rules: '../fw/rules.v4', packet: WEB });
  save(ws, 'checks/bad-packet.json', { rules: '../fw/rules.v4', packet: { ...WEB, destinationPort: 70000 }, expect: { fate: 'dropped' } });
  writeFileSync(path.join(ws, 'fw', 'broken.rules'), '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n');
  save(ws, 'checks/broken-rules.json', { rules: '../fw/broken.rules', packet: WEB, expect: { fate: 'dropped' } });
  const r = JSON.parse(run(ws, 'checks', '--format', 'json').stdout) as { name: string; passed: boolean; error?: string }[];
  const by = Object.fromEntries(r.map((e) => [e.name, e]));
  // In a folder, a sample without an expectation is a packet to trace, not a test; named, it is a test without one.
  assert.ok(!('no-expect' in by));
  const [noExpect] = JSON.parse(run(ws, 'checks/no-expect.json', '--format', 'json').stdout) as { error?: string }[];
  assert.equal(by.web.passed, true);
  assert.match(by.nowhere.error!, /^which rules does it test\? Save it as \.vscode\/iptables-trace\/<rule file>\/nowhere\.json or give "rules"/);
  assert.match(by.missing.error!, /^its rules cannot be read: .*gone\.rules: no such file$/);
  assert.match(noExpect.error!, /^no expectation: add "expect"/);
  assert.equal(by['bad-packet'].error, 'packet.destinationPort: expected a whole number from 0 to 65535, got 70000');
  assert.match(by['broken-rules'].error!, /^the rules have 1 error iptables would refuse them for: .*broken\.rules:3:25: /);
});

test('nothing to run, or a wrong option, is a usage error (exit 2)', () => {
  const ws = workspace();
  const none = run(ws);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^iptables-trace: \.vscode\/iptables-trace: no such file \(run in the folder that holds \.vscode, or name the tests\)\n/);
  mkdirSync(path.join(ws, 'empty'));
  assert.match(run(ws, 'empty').stderr, /^iptables-trace: no packet tests \(\*\.json\) in empty\n/);
  assert.match(run(ws, 'empty', '--packet', 'x').stderr, /^iptables-trace: --packet does not go with --test\n/);
  assert.match(run(ws, 'empty', '--format', 'xml').stderr, /^iptables-trace: --format takes text, json or junit with --test, not `xml`\n/);
});
