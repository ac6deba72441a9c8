// iptables-lint as a user runs it: the built bundle, real files, exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';

const CLI = path.join(REPO, 'server', 'out', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-lint-'));

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function lint(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(CLI, args, { encoding: 'utf8', input, env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const broken = file('broken.rules', '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -j LOGDROP\nCOMMIT\n');
const clean = file('clean.rules', '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s ntp.example.net -j ACCEPT\nCOMMIT\n');

test('prints file:line:col: severity: message [code] and exits 1 on errors', () => {
  const r = lint([broken]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, [
    `${broken}:3:25: error: port \`99999\` is out of range 0-65535 [invalid-value]`,
    `${broken}:4:13: error: \`LOGDROP\` is neither a target nor a chain of the filter table: declare it with \`:LOGDROP - [0:0]\`, or add it to iptables.externalChains if another tool creates it [undefined-jump]`,
    '',
  ].join('\n'));
});

test('exits 0 when there are only warnings', () => {
  const r = lint([clean]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /clean\.rules:4:13: warning: `ntp\.example\.net` is a host name/);
});

test('--format json gives 1-based positions for every finding', () => {
  const r = lint(['--format', 'json', broken, clean]);
  assert.equal(r.status, 1);
  const findings = JSON.parse(r.stdout);
  assert.deepEqual(findings[0], {
    file: broken, line: 3, column: 25, endLine: 3, endColumn: 30, severity: 'error', code: 'invalid-value',
    message: 'port `99999` is out of range 0-65535',
  });
  assert.deepEqual(findings.map((f: { file: string }) => path.basename(f.file)), ['broken.rules', 'broken.rules', 'clean.rules']);
});

test('reads standard input with -', () => {
  const r = lint(['-'], '*filter\n-A INPUT -j ACCEPT\n');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^<stdin>:1:2: error: the `\*filter` table is never committed/);
});

test('--family overrides the detected family', () => {
  const v6 = file('v6-content.rules', '*filter\n-A INPUT -s 2001:db8::1 -j ACCEPT\nCOMMIT\n');
  assert.equal(lint([v6]).status, 0);
  const r = lint(['--family', '4', v6]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /is an IPv6 address in an IPv4 rule/);
});

test('--external adds chains created elsewhere', () => {
  const f = file('ext.rules', '*filter\n:INPUT DROP [0:0]\n-A INPUT -j fw-custom\nCOMMIT\n');
  assert.equal(lint([f]).status, 1);
  const r = lint(['--external', 'fw-*', f]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /warning: `fw-custom` is not defined in this file; it is taken to be created elsewhere/);
});

test('unreadable, binary and wrong arguments exit 2 with one clear line', () => {
  const missing = lint([path.join(dir, 'nope.rules')]);
  assert.deepEqual([missing.status, missing.stderr], [2, `${path.join(dir, 'nope.rules')}: error: no such file\n`]);
  const bin = lint([file('blob.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0]))]);
  assert.deepEqual([bin.status, bin.stderr], [2, `${path.join(dir, 'blob.bin')}: error: this is a binary file, not iptables-save text\n`]);
  const dirErr = lint([dir]);
  assert.deepEqual([dirErr.status, dirErr.stderr], [2, `${dir}: error: is a directory\n`]);
  const usage = lint(['--format', 'xml', broken]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^iptables-lint: unknown format `xml` \(text, json or sarif\)\n\nusage: iptables-lint/);
  assert.equal(lint([]).status, 2);
});

test('no size limit unless --max-size sets one', () => {
  // 12 MB, over the 10 MB the command once refused: comments cost nothing to check.
  const big = file('big.rules', '*filter\n:INPUT DROP [0:0]\n' + `# ${'x'.repeat(1000)}\n`.repeat(12 * 1024) + '-A INPUT -j NOPE\nCOMMIT\n');
  const r = lint([big]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /big\.rules:12291:13: error: `NOPE` is neither a target nor a chain/);
  const limited = lint(['--max-size', '10', big]);
  assert.deepEqual([limited.status, limited.stdout, limited.stderr], [2, '', `${big}: error: 11.8 MB is larger than --max-size 10: not analysed\n`]);
  const piped = lint(['--max-size', '0.5', '-'], readFileSync(big, 'utf8'));
  assert.deepEqual([piped.status, piped.stderr], [2, '<stdin>: error: 11.8 MB is larger than --max-size 0.5: not analysed\n']);
  const wrong = lint(['--max-size', 'lots', big]);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /^iptables-lint: --max-size takes a number of megabytes, not `lots`\n/);
});

test('a closed pipe ends the output quietly', () => {
  const many = file('many.rules', '*filter\n' + '-A INPUT -j NOPE\n'.repeat(20000) + 'COMMIT\n');
  const r = spawnSync('sh', ['-c', `"${CLI}" "${many}" | head -1`], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.split('\n').length, 2);
});

test('LANG=zh_CN.UTF-8 (or LC_ALL) gives messages in Simplified Chinese; the line format stays as tools parse it', () => {
  const missing = path.join(dir, 'nope.rules');
  assert.equal(lint([missing], undefined, { LANG: 'zh_CN.UTF-8' }).stderr, `${missing}: error: 文件不存在\n`);
  assert.equal(lint([missing], undefined, { LANG: 'de_DE.UTF-8', LC_ALL: 'zh_CN' }).stderr, `${missing}: error: 文件不存在\n`);
  assert.equal(lint([missing], undefined, { LANG: 'zh_TW.UTF-8' }).stderr, `${missing}: error: no such file\n`);
  const usage = lint(['--format', 'xml'], undefined, { LANG: 'zh_CN.UTF-8' });
  assert.match(usage.stderr, /^iptables-lint: 未知格式 `xml`（可选 text、json 或 sarif）\n\n用法: iptables-lint \[--format text\|json\|sarif\]/);
  const sarif = JSON.parse(lint(['--format', 'sarif', broken], undefined, { LANG: 'zh_CN.UTF-8' }).stdout);
  const natDrop = sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'nat-drop');
  assert.equal(natDrop.shortDescription.text, '在 nat 表中使用 DROP，iptables 会拒绝。');
});

test('--to-nft prints an nft script, a script\'s two families as two tables, with errors on standard error', () => {
  const script = file('both.sh', '#!/bin/sh\nfor ipt in iptables ip6tables; do\n  $ipt -P INPUT DROP\n  $ipt -A INPUT -p tcp --dport 22 -j ACCEPT\ndone\n');
  const r = lint(['--to-nft', script]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^#!\/usr\/sbin\/nft -f\n# both\.sh in nftables, converted by iptables for VS Code\.\n/);
  assert.match(r.stdout, /\ntable ip filter \{\n\tchain INPUT \{\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 22 counter accept\n/);
  assert.match(r.stdout, /\ntable ip6 filter \{\n/);
  const bad = lint(['--to-nft', broken]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /broken\.rules:3:25: error: port `99999` is out of range 0-65535/);
  assert.match(bad.stdout, /\t\t# no nft equivalent: -A INPUT -p tcp --dport 99999 -j ACCEPT\n\t\t#   `99999` is not a value iptables accepts here\n/);
  assert.match(bad.stdout, /\t\t# no nft equivalent: -A INPUT -j LOGDROP\n\t\t#   it jumps to `LOGDROP`, which this file does not define/);
  const both = lint(['--to-nft', '--print-ruleset', clean]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--print-ruleset and --to-nft exclude each other/);
});
