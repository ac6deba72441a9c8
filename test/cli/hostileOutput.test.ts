// What the command lines print from a hostile file: a rule comment that would
// retitle the terminal and clear the screen, a message with a newline, values
// of thousands of characters. Every finding is one line, control characters
// are escaped, long values cut with an ellipsis; an internal error is one line
// and exit status 2, never a JavaScript stack.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';

const LINT = path.join(REPO, 'server', 'out', 'cli.js');
const TRACE = path.join(REPO, 'server', 'out', 'trace.js');
const DIFF = path.join(REPO, 'server', 'out', 'diff.js');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-hostile-'));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Any character a terminal acts on, apart from the line ends we write. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const TITLE_AND_CLEAR = '\x1b]0;pwned\x07\x1b[2J\x1b[31m';
const rules = file('hostile.rules', [
  '*filter', ':INPUT ACCEPT [0:0]',
  `-A INPUT -m comment --comment "${TITLE_AND_CLEAR}red" -j ACCEPT`,
  `-A INPUT -p tcp --dport ${'9'.repeat(5000)} -j ACCEPT`,
  `-A INPUT -i ${Array.from({ length: 10_000 }, (_, i) => `eth${i}`).join(',')} -j ACCEPT`,
  '-A INPUT -j \x1b[2Jx\u2028y',
  'COMMIT', '',
].join('\n'));

test('iptables-lint: one line per finding, control characters escaped, long values cut', () => {
  const r = run([LINT, rules]);
  assert.equal(r.status, 1);
  const all = r.stdout.trimEnd().split('\n');
  // The port and the interface list are also words iptables-restore refuses as too long.
  const tooLong = all.filter((l) => /Parameter too long!/.test(l));
  assert.deepEqual(tooLong.map((l) => /:(\d+:\d+): error: this word is ([\d,]+) bytes long/.exec(l)?.slice(1)), [['4:25', '5,000'], ['5:13', '78,889']]);
  const lines = all.filter((l) => !tooLong.includes(l));
  assert.equal(lines.length, 4);
  assert.ok(!RAW_CONTROL.test(r.stdout), 'no raw control character reaches the terminal');
  assert.match(lines[0], /:4:25: error: port `9{119}…` is out of range 0-65535 \[invalid-value\]$/);
  assert.match(lines[1], /:5:13: error: interface name `eth0,eth1,.{90,}…` is 78889 characters long; the limit is 15 \[invalid-value\]$/);
  assert.ok(all.every((l) => l.length < 400), 'a finding stays readable');
  assert.match(lines[3], /error: `\\e\[2Jx\\u2028y` is neither a target nor a chain/);
});

test('iptables-lint --print-ruleset: a comment cannot act on the terminal', () => {
  const r = run([LINT, '--print-ruleset', file('comment.rules', `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "${TITLE_AND_CLEAR}x" -j ACCEPT\nCOMMIT\n`)]);
  assert.equal(r.status, 0);
  assert.ok(!RAW_CONTROL.test(r.stdout));
  assert.match(r.stdout, /--comment "\\e\]0;pwned\\x07\\e\[2J\\e\[31mx" -j ACCEPT/);
});

test('iptables-trace: the rule text of a step cannot act on the terminal either', () => {
  const r = run([TRACE, file('trace.rules', `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "${TITLE_AND_CLEAR}x" -j ACCEPT\nCOMMIT\n`), '--packet', 'tcp 192.0.2.10:1234 -> 10.0.0.1:22 in eth0']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!RAW_CONTROL.test(r.stdout));
  assert.match(r.stdout, /--comment \\e\]0;pwned\\x07\\e\[2J\\e\[31mx -j ACCEPT/);
});

test('iptables-diff: a rule of one side cannot act on the terminal', () => {
  const a = file('a.rules', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
  const b = file('b.rules', `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "${TITLE_AND_CLEAR}x" -j ACCEPT\nCOMMIT\n`);
  const r = run([DIFF, a, b]);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(!RAW_CONTROL.test(r.stdout));
  assert.match(r.stdout, /\+ 1 +-A INPUT -m comment --comment "\\e\]0;pwned\\x07\\e\[2J\\e\[31mx" -j ACCEPT/);
});

test('an internal error, thrown in the command or after it, is one line and exit status 2', () => {
  const fault = (name: string, code: string) => file(name, code);
  const inWrite = fault('write.js', 'process.stdout.write = () => { throw new TypeError("broken\\n\\x1b[2Jpipe"); };\n');
  const later = fault('later.js', 'setImmediate(() => { throw new RangeError("late"); });\n');
  const ok = file('ok.rules', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n');
  const trace = run(['-r', inWrite, TRACE, ok, '--packet', 'tcp 192.0.2.10:1234 -> 10.0.0.1:22 in eth0']);
  assert.deepEqual([trace.status, trace.stderr], [2, 'iptables-trace: internal error: TypeError: broken\\n\\e[2Jpipe\n']);
  const lint = run(['-r', later, LINT, rules]);
  assert.equal(lint.status, 2);
  assert.equal(lint.stderr, 'iptables-lint: internal error: RangeError: late\n');
  const diff = run(['-r', later, DIFF, ok, ok]);
  assert.deepEqual([diff.status, diff.stderr], [2, 'iptables-diff: internal error: RangeError: late\n']);
});
