// iptables-trace as a user runs it: the built bundle, real files, exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';

const CLI = path.join(REPO, 'server', 'out', 'trace.js');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-trace-'));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function run(args: string[], input?: string) {
  const r = spawnSync(CLI, args, { encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Case 32 of ../shared/kernel: DNAT of the firewall's own address turns INPUT into FORWARD.
const dnat = file('dnat.rules', [
  '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
  '-A PREROUTING -d 203.0.113.1/32 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080', 'COMMIT',
  '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -p tcp --dport 80 -j ACCEPT', '-A FORWARD -d 10.0.0.2/32 -p tcp --dport 8080 -j ACCEPT', 'COMMIT', '',
].join('\n'));
const WEB = 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn';

test('text output: every hook and rule met, why a rule did not match, the verdict, the hits and the packet out', () => {
  const r = run([dnat, '--packet', WEB]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('PREROUTING') && lines.includes('FORWARD') && lines.includes('POSTROUTING') && !lines.includes('INPUT'));
  assert.ok(lines.includes(`    ${dnat}:6  -A PREROUTING -d 203.0.113.1/32 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080`));
  assert.ok(lines.includes('        destination 203.0.113.1 → 10.0.0.2'));
  assert.ok(lines.includes('Verdict: forwarded out eth1'));
  assert.ok(lines.includes('Hits: nat/PREROUTING/1 filter/FORWARD/1 nat/POSTROUTING/policy:ACCEPT'));
  assert.ok(lines.includes('Packet out: tcp 198.51.100.7:40000 -> 10.0.0.2:8080 SYN ttl 63 mark 0x0'));
  const miss = run([dnat, '--packet', 'tcp 198.51.100.7:40000 -> 10.0.0.2:22 in eth0']);
  assert.match(miss.stdout, /no match: --dport 8080\n/);
  assert.match(miss.stdout, /Verdict: dropped: filter\/FORWARD policy DROP/);
});

test('--format json has the hits, fate, out interface, packet out and steps', () => {
  const r = run([dnat, '--packet', WEB, '--format', 'json']);
  const t = JSON.parse(r.stdout);
  assert.deepEqual(t.hits, ['nat/PREROUTING/1', 'filter/FORWARD/1', 'nat/POSTROUTING/policy:ACCEPT']);
  assert.deepEqual([t.fate, t.outInterface, t.packetOut.destination, t.packetOut.destinationPort], ['forwarded', 'eth1', '10.0.0.2', 8080]);
  assert.ok(t.steps.some((s: { kind: string; rule?: number; matched?: boolean }) => s.kind === 'rule' && s.rule === 1 && s.matched));
});

test('--scenario reads the host, the packet and the state; --packet replaces only the packet', () => {
  const scenario = file('scenario.json', JSON.stringify({
    host: { interfaces: [{ name: 'wan', addresses: ['192.0.2.1/24'] }, { name: 'lan', addresses: ['10.1.0.1/16'] }], routes: [{ to: 'default', via: '192.0.2.254' }] },
    packet: { inInterface: 'lan', protocol: 'udp', source: '10.1.2.3', destination: '198.51.100.7', destinationPort: 53 },
  }));
  const rules = file('masq.rules', '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o wan -j MASQUERADE\nCOMMIT\n');
  const r = run([rules, '--scenario', scenario, '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual([JSON.parse(r.stdout).outInterface, JSON.parse(r.stdout).packetOut.source], ['wan', '192.0.2.1']);
  const p = run([rules, '--scenario', scenario, '--packet', 'udp 10.1.2.3:5 -> 10.1.9.9:53', '--format', 'json']);
  assert.equal(JSON.parse(p.stdout).outInterface, 'lan');
});

test('a firewall script is traced as the rules it builds', () => {
  const script = file('fw.sh', '#!/bin/sh\nIPT=iptables\n$IPT -P INPUT DROP\nfor p in 22 443; do $IPT -A INPUT -p tcp --dport $p -j ACCEPT; done\n');
  const r = run([script, '--packet', 'tcp 198.51.100.7:40000 -> 203.0.113.1:443 in eth0', '--brief']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Verdict: delivered to this host \(arrived on eth0\)\nHits: filter\/INPUT\/2\n/);
});

test('an undecided trace lists every outcome and what it assumes', () => {
  const rules = file('limit.rules', '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m limit --limit 3/min -j ACCEPT\nCOMMIT\n');
  const r = run([rules, '--packet', WEB]);
  assert.match(r.stdout, /Undecided: 2 possible outcomes\./);
  assert.match(r.stdout, /Outcome 1, if:\n {2}filter\/INPUT\/1 -m limit --limit 3\/min matches/);
  assert.match(run([rules, '--packet', WEB, '--fresh']).stdout, /Verdict: delivered/);
});

test('bad input exits 2 with one clear message: unknown interface, malformed address, a ruleset with errors, no packet', () => {
  const unknownIface = run([dnat, '--packet', 'tcp 198.51.100.7:1 -> 203.0.113.1:80 in eth7']);
  assert.deepEqual([unknownIface.status, unknownIface.stderr], [2, 'iptables-trace: packet.inInterface: the host has no interface "eth7" (it has lo, eth0, eth1)\n']);
  const badAddress = run([dnat, '--packet', 'tcp 198.51.100.700:1 -> 203.0.113.1:80 in eth0']);
  assert.deepEqual([badAddress.status, badAddress.stderr], [2, 'iptables-trace: packet.source: "198.51.100.700" is not an IPv4 or IPv6 address\n']);
  const broken = file('broken.rules', '*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n');
  const errors = run([broken, '--packet', WEB]);
  assert.equal(errors.status, 2);
  assert.equal(errors.stderr, `iptables-trace: ${broken} has 1 error; iptables-restore would refuse it, so there is nothing to trace:\n  ${broken}:2:25: port \`99999\` is out of range 0-65535 [invalid-value]\n`);
  const scenario = file('bad.json', '{"packet": {"source": "198.51.100.7", "destination": "203.0.113.1", "inInterface": "eth0", "ttl": 300}}');
  assert.deepEqual(run([dnat, '--scenario', scenario]).stderr, `iptables-trace: ${scenario}: packet.ttl: expected a whole number from 0 to 255, got 300\n`);
  const notJson = file('not.json', '{"packet": ');
  assert.match(run([dnat, '--scenario', notJson]).stderr, /^iptables-trace: .*not\.json: not valid JSON: /);
  const missing = run([path.join(dir, 'nope.rules'), '--packet', WEB]);
  assert.deepEqual([missing.status, missing.stderr], [2, `iptables-trace: ${path.join(dir, 'nope.rules')}: no such file\n`]);
  const noPacket = run([dnat]);
  assert.equal(noPacket.status, 2);
  assert.match(noPacket.stderr, /^iptables-trace: give the packet: --scenario FILE or --packet '...'\n\nusage: iptables-trace/);
  const v6 = run([dnat, '--packet', 'tcp [2001:db8::7]:1 -> [2001:db8:1::1]:80 in eth0']);
  assert.match(v6.stderr, /has no IPv6 \(ip6tables\) rules, and the packet is IPv6/);
});

test('--help documents the default host', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /eth0 +203\.0\.113\.1\/24, 203\.0\.113\.9\/24/);
  assert.match(r.stdout, /default via 203\.0\.113\.254/);
});

test('a closed pipe ends the output quietly', () => {
  const chain = file('long.rules', `*filter\n${Array.from({ length: 5000 }, (_, i) => `-A INPUT -s 192.0.2.${i % 250}/32 -p udp -j DROP`).join('\n')}\nCOMMIT\n`);
  const r = spawnSync('sh', ['-c', `"${CLI}" "${chain}" --packet '${WEB}' | head -1`], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.split('\n').length, 2);
});

test('LANG=zh_CN.UTF-8: the trace and its errors in Simplified Chinese; rules, hits and the packet notation as iptables writes them', () => {
  const zh = (args: string[]) => spawnSync(CLI, args, { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' } });
  const r = zh([dnat, '--packet', WEB]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('        目的地址 203.0.113.1 → 10.0.0.2'), r.stdout);
  assert.ok(lines.includes('结果：从 eth1 转发出去'), r.stdout);
  assert.ok(lines.includes('命中：nat/PREROUTING/1 filter/FORWARD/1 nat/POSTROUTING/policy:ACCEPT'), r.stdout);
  assert.ok(lines.includes('发出的数据包：tcp 198.51.100.7:40000 -> 10.0.0.2:8080 SYN ttl 63 mark 0x0'), r.stdout);
  const miss = zh([dnat, '--packet', 'tcp 198.51.100.7:40000 -> 10.0.0.2:22 in eth0']);
  assert.match(miss.stdout, /不匹配：--dport 8080\n/);
  assert.match(miss.stdout, /结果：丢弃：filter\/FORWARD 策略 DROP/);
  assert.equal(zh([]).stderr.split('\n')[0], 'iptables-trace：没有给出规则文件');
  const help = zh(['--help']).stdout;
  assert.match(help, /^用法: iptables-trace RULES \(--scenario FILE\.json \| --packet 'PACKET'\) \[options\]\n/);
  assert.ok(help.includes('  --brief           文本：只显示匹配了的规则，而不是尝试过的每条规则\n'), help);
  assert.ok(help.includes('  in IFACE     从该接口到达'), help);
  assert.ok(help.includes('数据包测试（--test）') && help.includes('服务矩阵（--matrix）'), help);
  const diff = spawnSync(process.execPath, [path.join(REPO, 'server', 'out', 'diff.js'), '--help'], { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' } });
  assert.match(diff.stdout, /^用法: iptables-diff /);
  const server = spawnSync(process.execPath, [path.join(REPO, 'server', 'out', 'server.js'), '--help'], { encoding: 'utf8', env: { ...process.env, LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' } });
  assert.match(server.stdout, /^用法: iptables-language-server --stdio\n\niptables 语言服务器（LSP）/);
});
