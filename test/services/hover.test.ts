// Hover explains the word under the mouse: tables, chains (with what the model
// knows of them), modules, options, targets and values; chains of well-known
// tools say who creates them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wellKnownChain } from '../../server/src/knowledge/wellKnownChains';
import { setLocale } from '../../server/src/l10n';
import { hover } from '../../server/src/services/hover';
import { atCursor } from '../support/cursor';

async function hoverAt(marked: string, kind: 'save' | 'script' = 'save') {
  const { source, position } = await atCursor(marked, kind);
  return hover(source, position);
}

const NAT = '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:web - [0:0]\n'
  + '-A PREROUTING -i eth0 -j web\n-A OUTPUT -j web\n-A web -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080\n'
  + '-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n';

function mark(text: string, line: number, character: number): string {
  const lines = text.split('\n');
  lines[line] = lines[line].slice(0, character) + '‸' + lines[line].slice(character);
  return lines.join('\n');
}

test('a table says what it is for', async () => {
  const h = await hoverAt(mark(NAT, 0, 2));
  assert.deepEqual(h?.range, { line: 0, start: 1, end: 4 });
  assert.equal(h?.contents, '**nat** table\n\nAddress translation, consulted only for the first packet of each connection: port forwarding (DNAT, REDIRECT) '
    + 'before routing, masquerading and SNAT after it. Not for filtering: DROP is refused here.\n\nBuilt-in chains: PREROUTING, INPUT, OUTPUT, POSTROUTING.');
  const raw = await hoverAt('#!/bin/sh\niptables -t ra‸w -A PREROUTING -j CT --notrack\n', 'script');
  assert.match(raw!.contents, /^\*\*raw\*\* table\n\nSeen before connection tracking/);
});

test('a user chain: where it is declared, its rules, the hooks that reach it and who jumps to it', async () => {
  const h = await hoverAt(mark(NAT, 4, 25));
  assert.deepEqual(h?.range, { line: 4, start: 25, end: 28 });
  assert.equal(h?.contents, '**web** — user chain of the nat table, declared on line 4\n\n'
    + '1 rule. Reached from PREROUTING, OUTPUT. Jumped to from PREROUTING (line 5), OUTPUT (line 6).');
  // The same from its declaration and from a rule that appends to it.
  assert.equal((await hoverAt(mark(NAT, 3, 2)))?.contents, h?.contents);
  assert.equal((await hoverAt(mark(NAT, 6, 4)))?.contents, h?.contents);
});

test('a built-in chain: its hook, its policy and its rules', async () => {
  const h = await hoverAt(mark(NAT, 4, 5));
  assert.equal(h?.contents, '**PREROUTING** — built-in chain of the nat table\n\nEvery packet that arrives on an interface, before the routing decision.\n\n'
    + 'Policy ACCEPT (line 2). 1 rule.');
  const outputHover = await hoverAt(mark(NAT, 5, 4));
  assert.match(outputHover!.contents, /Policy ACCEPT \(not set here\)\. 1 rule\./);
});

test('targets: an extension with where it is legal, a verdict', async () => {
  const masq = await hoverAt(mark(NAT, 7, 30));
  assert.deepEqual(masq?.range, { line: 7, start: 26, end: 36 });
  assert.match(masq!.contents, /^\*\*-j MASQUERADE\*\* \(target\)\n\nSource NAT to whatever address the outgoing interface has/);
  assert.match(masq!.contents, /Only in the nat table\. Only in chains reached from POSTROUTING\. Ends the rule walk/);
  assert.match(masq!.contents, /Options: `--to-ports`, `--random`, `--random-fully`\n\nIn \*\*nftables\*\*:\n```\noifname "eth0" counter masquerade\n```$/);
  const accept = await hoverAt('*filter\n-A INPUT -j ACC‸EPT\nCOMMIT\n');
  assert.equal(accept?.contents, '**ACCEPT** (verdict)\n\nStop here and let the packet through this chain\'s hook (later tables and hooks still see it).'
    + '\n\nIn **nftables**:\n```\ncounter accept\n```');
});

test('modules, options and base options', async () => {
  const text = '*filter\n-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n';
  const module = await hoverAt(mark(text, 1, 22));
  assert.match(module!.contents, /^\*\*-m conntrack\*\* \(match\)\n\nMatches what connection tracking knows/);
  const option = await hoverAt(mark(text, 1, 33));
  assert.deepEqual(option?.range, { line: 1, start: 29, end: 38 });
  assert.equal(option?.contents.split('\n\n')[0], '**--ctstate** *comma-separated list of NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED, SNAT, DNAT* — option of `-m conntrack`');
  assert.match(option!.contents, /\n\nCan be negated: `! --ctstate`\.\n\niptables-save writes it back as `--ctstate RELATED,ESTABLISHED`\.$/);
  const ctdir = await hoverAt('*filter\n-A INPUT -m conntrack --ctd‸ir REPLY\nCOMMIT\n');
  assert.match(ctdir!.contents, /Cannot be negated with `!`\./);
  const p = await hoverAt(mark(text, 1, 10));
  assert.equal(p?.contents, '**[!] -p protocol**\n\nThe packet\'s layer-4 protocol, by name (`tcp`, `udp`, `icmp`...) or number. '
    + 'It also loads the match of that protocol, so that its options (`--dport`...) can follow.');
  const i = await hoverAt('*filter\n-A INPUT -‸i eth0\nCOMMIT\n');
  assert.match(i!.contents, /Only in chains reached from PREROUTING, INPUT, FORWARD\.$/);
});

test('values: what --ctstate RELATED and -p tcp mean, on the word under the mouse', async () => {
  const text = '*filter\n-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n';
  const related = await hoverAt(mark(text, 1, 55));
  assert.deepEqual(related?.range, { line: 1, start: 51, end: 58 });
  assert.match(related!.contents, /^\*\*RELATED\*\*\n\nA new connection that belongs to an existing one, such as an ICMP error about it or an FTP data channel found by a helper\.\n\n---\n\n\*\*--ctstate\*\*/);
  const established = await hoverAt(mark(text, 1, 42));
  assert.deepEqual(established?.range, { line: 1, start: 39, end: 50 });
  assert.match(established!.contents, /^\*\*ESTABLISHED\*\*\n\nA packet of a connection that has already seen traffic in both directions\./);
  const tcp = await hoverAt(mark(text, 1, 13));
  assert.match(tcp!.contents, /^\*\*tcp\*\*\n\nTransmission Control Protocol \(6\)\.\n\n---\n\n\*\*\[!\] -p protocol\*\*/);
  const reject = await hoverAt('*filter\n-A INPUT -j REJECT --reject-with admin-pro‸hib\nCOMMIT\n');
  assert.match(reject!.contents, /^\*\*admin-prohib\*\*\n\nShort for `icmp-admin-prohibited`: ICMP communication administratively prohibited\./);
});

test('chains of well-known tools say who creates them and what for', async () => {
  const docker = await hoverAt('*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j DOCKER-U‸SER\nCOMMIT\n');
  assert.match(docker!.contents, /^\*\*DOCKER-USER\*\* — not a chain of the filter table in this document\n\n\*\*Docker\*\* creates chains named like this\. The place for your own rules about container traffic: FORWARD jumps here before any of Docker's rules/);
  const kube = await hoverAt('*nat\n:KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]\n-A KUBE-SVC-ERIFX‸ISQEP7F7OF4 -j KUBE-SEP-AAAA\nCOMMIT\n');
  assert.match(kube!.contents, /\*\*kube-proxy \(Kubernetes\)\*\* creates chains named like this\. One Service port: picks one of its endpoints at random/);
  assert.equal(wellKnownChain('KUBE-SEP-ABCDEF')?.tool, 'kube-proxy (Kubernetes)');
  assert.match(wellKnownChain('KUBE-MARK-MASQ')!.doc, /^Sets the firewall mark bit \(0x4000 by default\)/);
  assert.match(wellKnownChain('KUBE-SOMETHING-NEW')!.doc, /^kube-proxy in iptables mode programs Kubernetes Services/);
  assert.match(wellKnownChain('ufw6-user-input')!.doc, /^The rules added with `ufw allow`/);
  assert.match(wellKnownChain('ufw-before-logging-input')!.doc, /^Logging before the other ufw rules/);
  assert.equal(wellKnownChain('f2b-sshd')?.tool, 'fail2ban');
  assert.equal(wellKnownChain('IN_public_allow')?.tool, 'firewalld');
  assert.equal(wellKnownChain('DOCKER-ISOLATION-STAGE-2')?.tool, 'Docker');
  assert.equal(wellKnownChain('web'), undefined);
});

test('scripts: hover on the iptables command, its continuation lines and heredoc input', async () => {
  const script = '#!/bin/sh\niptables -N web\niptables -A INPUT -p tcp \\\n  -j w‸eb\n';
  const h = await hoverAt(script, 'script');
  assert.deepEqual(h?.range, { line: 3, start: 5, end: 8 });
  assert.equal(h?.contents, '**web** — user chain of the filter table, declared on line 2\n\n0 rules. Reached from INPUT. Jumped to from INPUT (line 4).');
  const heredoc = await hoverAt('#!/bin/sh\niptables-restore <<EOF\n*filter\n-A INPUT -m conntrack --ctstate NE‸W -j ACCEPT\nCOMMIT\nEOF\n', 'script');
  assert.match(heredoc!.contents, /^\*\*NEW\*\*\n\nThe first packet of a connection the kernel has not seen before/);
});

test('nothing to say: spaces, comments, words outside iptables commands', async () => {
  assert.equal(await hoverAt('*filter\n-A INPUT ‸ -j ACCEPT\nCOMMIT\n'), undefined);
  assert.equal(await hoverAt('# a comment about ‸INPUT\n*filter\nCOMMIT\n'), undefined);
  assert.equal(await hoverAt('#!/bin/sh\niptables -F\necho -j ACC‸EPT\n', 'script'), undefined);
});

test('a rule command and an option say how iptables-save will write them back', async () => {
  const rule = await hoverAt('*filter\n-‸A INPUT -p tcp -m multiport --destination-ports 80,https -m comment --comment a/b -j ACCEPT\nCOMMIT\n');
  assert.match(rule!.contents, /iptables-save lists this rule as:\n```\n-A INPUT -p tcp -m multiport --dports 80,443 -m comment --comment "a\/b" -j ACCEPT\n```\n\n/);
  const option = await hoverAt('*filter\n-A INPUT -m statistic --mode random --probabil‸ity 0.33333\nCOMMIT\n');
  assert.match(option!.contents, /iptables-save writes it back as `--probability 0.33332999982`\.$/);
  const dropped = await hoverAt('*filter\n-A INPUT -p tcp --sport 0:65‸535\nCOMMIT\n');
  assert.match(dropped!.contents, /iptables-save leaves it out: the kernel keeps no test for it\.$/);
  const same = await hoverAt('*filter\n-A INPUT -p tcp --dp‸ort 22\nCOMMIT\n');
  assert.doesNotMatch(same!.contents, /iptables-save/);
});

test('in Simplified Chinese, the knowledge base speaks Chinese: tables, modules, options, values, verdicts, chains of other tools', async () => {
  setLocale('zh-cn');
  try {
    const text = '*filter\n-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n';
    const table = await hoverAt(mark(NAT, 0, 2));
    assert.match(table!.contents, /\n\n地址转换，只对每个连接的第一个数据包查询：路由之前做端口转发（DNAT、REDIRECT），路由之后做伪装和 SNAT。不用于过滤：这里拒绝 DROP。\n\n/);
    const module = await hoverAt(mark(text, 1, 22));
    assert.match(module!.contents, /\n\n匹配连接跟踪对数据包所属连接的了解：它的状态、状态标志/);
    const option = await hoverAt(mark(text, 1, 33));
    assert.match(option!.contents, /\n\n逗号分隔的 conntrack 状态，例如 `NEW`、`ESTABLISHED,RELATED` 或 `INVALID`；`SNAT` 和 `DNAT` 匹配经过地址转换的连接。名字可以缩写。\n\n/);
    const related = await hoverAt(mark(text, 1, 55));
    assert.match(related!.contents, /^\*\*RELATED\*\*\n\n属于某个已有连接的新连接，例如关于它的 ICMP 错误，或由辅助模块发现的 FTP 数据通道。\n\n---\n\n/);
    const accept = await hoverAt(mark(text, 1, 64));
    assert.match(accept!.contents, /\n\n到此为止，让数据包通过这条链所在的钩子（后面的表和钩子仍会看到它）。\n\n在 \*\*nftables\*\* 中：\n```\nip protocol tcp ct state established,related counter accept\n```$/);
    const p = await hoverAt(mark(text, 1, 10));
    assert.equal(p?.contents, '**[!] -p protocol**\n\n数据包的第 4 层协议，用名字（`tcp`、`udp`、`icmp`……）或编号表示。它同时加载该协议的匹配，以便后面可以跟上它的选项（`--dport`……）。');
    const docker = await hoverAt('*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j DOCKER-U‸SER\nCOMMIT\n');
    assert.match(docker!.contents, /放置你自己的容器流量规则的地方：FORWARD 在 Docker 的任何规则之前跳转到这里/);
  } finally {
    setLocale(undefined);
  }
});

test('a rule says what it is in nftables, or why nftables has no equivalent, on its command and its target', async () => {
  const rule = await hoverAt('*filter\n-‸A INPUT -p tcp -m multiport --destination-ports 80,https -m comment --comment a/b -j ACCEPT\nCOMMIT\n');
  assert.match(rule!.contents, /\n\nIn \*\*nftables\*\*:\n```\ntcp dport \{ 80, 443 \} counter accept comment "a\/b"\n```$/);
  const mss = await hoverAt('*mangle\n-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCP‸MSS --set-mss 1400\nCOMMIT\n');
  assert.match(mss!.contents, /\n```\ntcp flags & \(syn\|rst\) == syn counter tcp option maxseg size > 1400 tcp option maxseg size set 1400\n```\n- on a SYN without an MSS option, iptables adds one and nft adds none$/);
  const recent = await hoverAt('*filter\n-I INPUT -m recent --rcheck --seconds 60 --name ssh -j DR‸OP\nCOMMIT\n');
  assert.match(recent!.contents, /\n\n\*\*nftables\*\* has no equivalent: `-m recent` has no nft equivalent: nft keeps addresses in sets with timeouts/);
  // A script's command, in the IPv6 ruleset it adds to; deleting a rule has no nft rule to show.
  const v6 = await hoverAt('#!/bin/sh\nip6tables -‸A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT\n', 'script');
  assert.match(v6!.contents, /\n```\nicmpv6 type echo-request counter accept\n```$/);
  const deletion = await hoverAt('*filter\n-A INPUT -j ACCEPT\n-‸D INPUT -j ACCEPT\nCOMMIT\n');
  assert.doesNotMatch(deletion!.contents, /nftables/);
});
