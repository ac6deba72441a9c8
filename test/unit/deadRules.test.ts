// Rules that never match and rules written twice: what the user sees, and
// the many cases where the analysis must stay silent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Diagnostic } from '../../server/src/diagnostics';
import type { Family } from '../../server/src/knowledge';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { analyseScript } from '../../server/src/analysis/script';
import { findDeadRules, findDeadRulesSteps } from '../../server/src/analysis/deadRules';
import { rulesetFromSave } from '../../server/src/model/fromSave';
import { chainsAtDepth } from '../../server/src/model/graph';
import { parseSaveFile } from '../../server/src/syntax/saveFile';

const DEAD = new Set(['shadowed-rule', 'duplicate-rule']);

/** `line:from-to code: message` (1-based lines and columns), then the related places as `-> line:from-to`. */
function summary(d: Diagnostic): string {
  const at = (s: Diagnostic['span']) => `${s.line + 1}:${s.start + 1}-${s.end + 1}`;
  return [`${at(d.span)} ${d.code}: ${d.message}`, ...(d.related ?? []).map((r) => `-> ${at(r.span)} ${r.message}`)].join('\n');
}

/** The dead-rule findings for a filter table with these rules (the first rule is on line 5). */
function filterFindings(rules: string[], family: Family = 'ipv4', table = 'filter'): string[] {
  const chains = table === 'mangle' ? ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT'];
  const text = [`*${table}`, ...chains.slice(0, 3).map((c) => `:${c} ACCEPT [0:0]`), ...rules, 'COMMIT', ''].join('\n');
  return findings(analyseSaveText(text, { ...DEFAULT_OPTIONS, family }).diagnostics);
}

function findings(diagnostics: Diagnostic[]): string[] {
  return diagnostics.filter((d) => DEAD.has(d.code)).map(summary);
}

async function scriptFindings(script: string): Promise<string[]> {
  return findings(analyseScript(script, await nodeBashParser(), DEFAULT_OPTIONS).diagnostics);
}

test('a rule inside an earlier ACCEPT never matches: a warning on the whole rule, pointing at the earlier one', () => {
  assert.deepEqual(filterFindings(['-A INPUT -s 10.0.0.0/8 -p tcp -j ACCEPT', '-A INPUT -s 10.1.0.0/16 -p tcp --dport 22 -j ACCEPT']), [
    '6:1-52 shadowed-rule: this rule never matches: rule 1 of INPUT (line 5) comes first, matches every packet this one would and stops them there (`-j ACCEPT`)\n'
    + '-> 5:1-40 this rule takes every packet of the rule on line 6 first',
  ]);
  const text = '*filter\n-A INPUT -j DROP\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n';
  const d = analyseSaveText(text, DEFAULT_OPTIONS).diagnostics.find((x) => x.code === 'shadowed-rule')!;
  assert.equal(d.severity, 'warning');
  assert.equal(d.tag, 'unnecessary');
});

test('criteria the analysis understands, each compared exactly', () => {
  const cases: [string[], string][] = [
    // a negated network holds every address outside it
    [['-A INPUT ! -s 10.0.0.0/8 -j DROP', '-A INPUT -s 192.168.1.1 -p udp -j ACCEPT'], 'rule 1 of INPUT (line 5)'],
    // -m state and -m conntrack test the same states
    [['-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -p tcp --dport 80 -m state --state ESTABLISHED -j ACCEPT'], 'rule 1 of INPUT (line 5)'],
    // a multiport list holds a port of it
    [['-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT', '-A INPUT -s 1.2.3.4 -p tcp --dport 443 -j ACCEPT'], 'rule 1 of INPUT (line 5)'],
    // eth+ holds eth0
    [['-A INPUT -i eth+ -j DROP', '-A INPUT -i eth0 -p udp --dport 53 -j ACCEPT'], 'rule 1 of INPUT (line 5)'],
    // a port range inside a wider one
    [['-A INPUT -p tcp --dport 1000:2000 -j ACCEPT', '-A INPUT -p tcp --dport 1500:1600 -j DROP'], 'rule 1 of INPUT (line 5)'],
    // every ICMP type, then one of them
    [['-A INPUT -p icmp -j ACCEPT', '-A INPUT -p icmp --icmp-type echo-request -j DROP'], 'rule 1 of INPUT (line 5)'],
    // only SYN set among SYN and ACK, then only SYN set among all six flags
    [['-A INPUT -p tcp --tcp-flags SYN,ACK SYN -j DROP', '-A INPUT -p tcp --tcp-flags ALL SYN --dport 25 -j ACCEPT'], 'rule 1 of INPUT (line 5)'],
    // a mark under a mask
    [['-A INPUT -m mark --mark 0x1/0x1 -j ACCEPT', '-A INPUT -m mark --mark 0x3 -j DROP'], 'rule 1 of INPUT (line 5)'],
    // what the later rule adds (a limit) only narrows it further
    [['-A INPUT -p tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp --dport 22 -m limit --limit 3/min -j LOG'], 'rule 1 of INPUT (line 5)'],
    // comments never matter; the earliest of two covering rules is named
    [['-A INPUT -p udp -m comment --comment "dns" -j ACCEPT', '-A INPUT -j ACCEPT', '-A INPUT -p udp --dport 53 -j DROP'], 'rule 1 of INPUT (line 5)'],
  ];
  for (const [rules, by] of cases) {
    const found = filterFindings(rules);
    assert.equal(found.length, 1, rules.join(' / '));
    assert.match(found[0], new RegExp(`^${rules.length + 4}:.* shadowed-rule: this rule never matches: ${by.replace(/[()]/g, '\\$&')} comes first`), rules.join(' / '));
  }
});

test('IPv6 networks are compared the same way', () => {
  assert.deepEqual(filterFindings(['-A INPUT -s 2001:db8::/32 -j DROP', '-A INPUT -s 2001:db8:1::/48 -p tcp -j ACCEPT'], 'ipv6').map((f) => f.split('\n')[0]), [
    '6:1-45 shadowed-rule: this rule never matches: rule 1 of INPUT (line 5) comes first, matches every packet this one would and stops them there (`-j DROP`)',
  ]);
  // Two /64 networks that differ only in their first 32 bits.
  assert.deepEqual(filterFindings([
    '-A INPUT -s 2001:db8:0:1::/64 -j DROP', '-A INPUT -s 2001:db9:0:1::/64 -j DROP',
    '-A INPUT -s 2001:db9:0:1::5 -p tcp -j ACCEPT', '-A INPUT -s 2001:db7:0:1::5 -p tcp -j ACCEPT',
  ], 'ipv6').map((f) => f.split('\n')[0]), [
    '7:1-45 shadowed-rule: this rule never matches: rule 2 of INPUT (line 6) comes first, matches every packet this one would and stops them there (`-j DROP`)',
  ]);
});

/** Each finding's line, and the rule of INPUT it names as the first that hides it. */
const first = (found: string[]) => found.map((f) => f.split(':')[0] + ' ' + /rule \d+ of INPUT \(line \d+\)/.exec(f)?.[0]);

test('earlier networks in any order and of any length: a rule is shown hidden by the first that holds it', () => {
  assert.deepEqual(first(filterFindings([
    '-A INPUT -d 10.9.0.0/16 -j DROP',
    '-A INPUT -d 10.1.0.0/16 -j DROP',
    '-A INPUT -d 192.168.0.0/24 -j DROP',
    '-A INPUT -d 10.0.0.0/8 -j DROP',
    // inside lines 6 and 8
    '-A INPUT -d 10.1.2.0/24 -p tcp -j ACCEPT',
    '-A INPUT -d 172.16.0.2/31 -j DROP',
    '-A INPUT -d 172.16.0.0/31 -j DROP',
    // inside line 11 only, though both /31 networks begin with the same 30 bits
    '-A INPUT -d 172.16.0.1 -p udp -j ACCEPT',
    '-A INPUT -d 10.200.0.0/16 -p udp -j ACCEPT',
    '-A INPUT -d 11.0.0.0/8 -j ACCEPT',
    '-A INPUT -s 192.168.0.0/16 -d 192.168.0.7 -p udp -j ACCEPT',
  ])), ['9 rule 2 of INPUT (line 6)', '12 rule 7 of INPUT (line 11)', '13 rule 4 of INPUT (line 8)', '15 rule 3 of INPUT (line 7)']);
});

test('a sorted list of networks, as address-block lists are written: a rule inside an earlier network is found whatever came in between', () => {
  assert.deepEqual(first(filterFindings([
    '-A INPUT -d 1.0.0.0/24 -j DROP',
    '-A INPUT -d 1.0.4.0/22 -j DROP',
    '-A INPUT -d 1.0.8.0/21 -j DROP',
    // inside line 6, with line 7 after it; then inside line 7 up to its end, and inside line 5 from its start
    '-A INPUT -d 1.0.5.0/24 -j DROP',
    '-A INPUT -d 1.0.12.0/22 -j DROP',
    '-A INPUT -d 1.0.0.0/25 -j DROP',
    '-A INPUT -d 1.0.16.0/24 -j DROP',
    '-A INPUT -d 0.0.0.0/6 -j DROP',
    // inside a network of fewer than 8 bits only
    '-A INPUT -d 3.1.0.0/16 -j DROP',
  ])), ['8 rule 2 of INPUT (line 6)', '9 rule 3 of INPUT (line 7)', '10 rule 1 of INPUT (line 5)', '13 rule 8 of INPUT (line 12)']);
});

test('each chain is reviewed on its own: the rules of a chain before hide and repeat nothing in the next', () => {
  const many = Array.from({ length: 300 }, (_, i) => `-A a -d 10.${i >> 8}.${i & 255}.0/24 -j DROP`);
  const text = [
    '*filter', ':INPUT ACCEPT [0:0]', ':a - [0:0]', ':b - [0:0]',
    '-A INPUT -j a', '-A INPUT -j b',
    '-A a -d 10.0.0.0/8 -j DROP', '-A a -p tcp --dport 22 -j ACCEPT', ...many, '-A a -p udp -j DROP',
    '-A b -d 10.1.1.0/24 -j ACCEPT', '-A b -p tcp --dport 22 -j ACCEPT', '-A b -p udp -j DROP', '-A b -p udp -j DROP', '-A b -j RETURN',
    'COMMIT', '',
  ].join('\n');
  const found = findings(analyseSaveText(text, DEFAULT_OPTIONS).diagnostics).map((f) => f.split('\n')[0]);
  // a's 300 networks inside its first rule's 10.0.0.0/8; in b only the udp rule written twice.
  assert.equal(found.length, 301);
  assert.match(found[299], /^308:1-29 shadowed-rule: .* rule 1 of a \(line 7\) comes first/);
  assert.equal(found[300], '313:1-20 duplicate-rule: this rule is the same as rule 3 of b (line 312): that one already takes every packet it would match, so this one never matches');
});

test('a jump into a chain that stops every packet, and a goto, end the way through the chain', () => {
  const text = [
    '*filter', ':INPUT ACCEPT [0:0]', ':blocked - [0:0]', ':web - [0:0]',
    '-A INPUT -s 192.0.2.0/24 -j blocked',
    '-A INPUT -s 192.0.2.7 -p tcp --dport 80 -j ACCEPT',
    '-A INPUT -p tcp --dport 443 -g web',
    '-A INPUT -s 10.0.0.1 -p tcp --dport 443 -j ACCEPT',
    '-A blocked -j LOG --log-prefix "blocked: "',
    '-A blocked -j DROP',
    '-A web -j ACCEPT',
    'COMMIT', '',
  ].join('\n');
  assert.deepEqual(findings(analyseSaveText(text, DEFAULT_OPTIONS).diagnostics).map((f) => f.split('\n')[0]), [
    '6:1-50 shadowed-rule: this rule never matches: rule 1 of INPUT (line 5) comes first, matches every packet this one would and sends them to chain blocked, where rule 2 (line 10) stops every one of them (`-j DROP`)',
    '8:1-50 shadowed-rule: this rule never matches: rule 3 of INPUT (line 7) comes first, matches every packet this one would and sends them on with `-g web`, never to come back to this chain',
  ]);
});

test('silent when the earlier rule may let packets through', () => {
  const silent: string[][] = [
    // a rate limit matches only some packets
    ['-A INPUT -p tcp -m limit --limit 5/min -j ACCEPT', '-A INPUT -p tcp --dport 22 -j DROP'],
    // LOG lets every packet go on
    ['-A INPUT -p tcp -j LOG', '-A INPUT -p tcp --dport 22 -j DROP'],
    // another interface
    ['-A INPUT -i eth0 -j ACCEPT', '-A INPUT -i eth1 -p tcp -j DROP'],
    // a negation the analysis does not follow (the mac match)
    ['-A INPUT -m mac ! --mac-source 00:11:22:33:44:55 -j DROP', '-A INPUT -s 10.0.0.1 -j ACCEPT'],
    // a negated network does not hold addresses inside it
    ['-A INPUT ! -s 10.0.0.0/8 -j DROP', '-A INPUT -s 10.1.0.0/16 -j ACCEPT'],
    // the port range is not a superset
    ['-A INPUT -p tcp --dport 1000:2000 -j ACCEPT', '-A INPUT -p tcp --dport 1500:2500 -j DROP'],
    // a port match never sees later fragments; a rule without one does
    ['-A INPUT -p tcp --sport 0:65535 -j ACCEPT', '-A INPUT -p tcp -s 10.0.0.1 -j DROP'],
    // a host name is looked up when the rules load
    ['-A INPUT -s example.org -j DROP', '-A INPUT -s example.org -p tcp --dport 22 -j ACCEPT'],
    // SYNPROXY passes segments that are neither SYN nor ACK on to the next rule
    ['-A INPUT -p tcp --dport 80 -m state --state INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460',
      '-A INPUT -p tcp --dport 80 -m state --state INVALID -j DROP'],
    // the earlier rule has an error: what it means is uncertain
    ['-A INPUT -p tcp --dport 99999 -j ACCEPT', '-A INPUT -p tcp --dport 22 -j DROP'],
  ];
  for (const rules of silent) assert.deepEqual(filterFindings(rules), [], rules.join(' / '));
});

test('silent after a jump into a chain that may return, and when a rule in between changes what is tested', () => {
  const jump = ['*filter', ':INPUT ACCEPT [0:0]', ':ssh - [0:0]', '-A INPUT -p tcp --dport 22 -j ssh', '-A INPUT -p tcp --dport 22 -s 10.0.0.1 -j ACCEPT',
    '-A ssh -s 192.0.2.0/24 -j DROP', 'COMMIT', ''].join('\n');
  assert.deepEqual(findings(analyseSaveText(jump, DEFAULT_OPTIONS).diagnostics), []);
  // MARK sets what the earlier rule tested; so may a chain jumped to in between.
  assert.deepEqual(filterFindings(['-A PREROUTING -m mark --mark 0x1 -j ACCEPT', '-A PREROUTING -j MARK --set-mark 0x1', '-A PREROUTING -m mark --mark 0x1 -p tcp -j DROP'], 'ipv4', 'mangle'), []);
  const viaChain = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':tag - [0:0]', '-A PREROUTING -m mark --mark 0x1 -j ACCEPT', '-A PREROUTING -j tag',
    '-A PREROUTING -m mark --mark 0x1 -p tcp -j DROP', '-A tag -p tcp -j MARK --set-mark 0x1', 'COMMIT', ''].join('\n');
  assert.deepEqual(findings(analyseSaveText(viaChain, DEFAULT_OPTIONS).diagnostics), []);
  // The same MARK in between does not matter to a rule that tests addresses only.
  assert.equal(filterFindings(['-A PREROUTING -s 10.0.0.0/8 -j ACCEPT', '-A PREROUTING -j MARK --set-mark 0x1', '-A PREROUTING -s 10.1.0.0/16 -j DROP'], 'ipv4', 'mangle').length, 1);
});

test('a duplicate says whether it can ever match', () => {
  assert.deepEqual(filterFindings(['-A INPUT -p tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']), [
    '6:1-44 duplicate-rule: this rule is the same as rule 1 of INPUT (line 5): that one already takes every packet it would match, so this one never matches\n'
    + '-> 5:1-37 the same rule, first written here',
  ]);
  assert.deepEqual(filterFindings(['-A INPUT -p tcp -j LOG --log-prefix "tcp: "', '-A INPUT -p tcp -j LOG --log-prefix "tcp: "']).map((f) => f.split('\n')[0]), [
    '6:1-44 duplicate-rule: this rule is the same as rule 1 of INPUT (line 5): packets that match go through the same rule twice',
  ]);
});

test('a rule with several addresses: a duplicate as a whole, or dead for some of its addresses', () => {
  assert.deepEqual(filterFindings(['-A INPUT -s 192.0.2.1,192.0.2.2 -j DROP', '-A INPUT -s 192.0.2.1,192.0.2.2 -j DROP']).map((f) => f.split('\n')[0]), [
    '6:1-40 duplicate-rule: this rule is the same as rule 1 of INPUT (line 5): that one already takes every packet it would match, so this one never matches',
  ]);
  assert.deepEqual(filterFindings(['-A INPUT -s 10.0.0.0/8 -j DROP', '-A INPUT -s 10.1.1.1,192.168.1.1 -j ACCEPT']).map((f) => f.split('\n')[0]), [
    '6:1-43 shadowed-rule: this rule never matches for source 10.1.1.1: rule 1 of INPUT (line 5) comes first, matches every packet this one would and stops them there (`-j DROP`)',
  ]);
  // One command that lists an address twice makes two rules; that is not the user repeating a rule.
  assert.deepEqual(filterFindings(['-A INPUT -s 192.0.2.1,192.0.2.1 -j DROP']), []);
});

test('a script that appends the same rule twice gets duplicate-rule on the second command', async () => {
  assert.deepEqual(await scriptFindings('#!/bin/bash\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n'), [
    '3:10-46 duplicate-rule: this rule is the same as rule 1 of INPUT (line 2): that one already takes every packet it would match, so this one never matches\n'
    + '-> 2:10-46 the same rule, first written here',
  ]);
});

test('in a script, a rule made in a branch that may not run hides nothing; one warning for both families', async () => {
  assert.deepEqual(await scriptFindings('#!/bin/bash\nif [ "$OPEN" = yes ]; then\n  iptables -A INPUT -j ACCEPT\nfi\niptables -A INPUT -p tcp --dport 22 -j DROP\n'), []);
  const both = await scriptFindings('#!/bin/bash\nfor ipt in iptables ip6tables; do\n  $ipt -A INPUT -p tcp -j DROP\n  $ipt -A INPUT -p tcp --dport 22 -j ACCEPT\ndone\n');
  assert.deepEqual(both.map((f) => f.split('\n')[0]), [
    '4:8-44 shadowed-rule: this rule never matches: rule 1 of INPUT (line 3) comes first, matches every packet this one would and stops them there (`-j DROP`)',
  ]);
});

test('the review in steps finds the same when a walk of the jump graph numbers the chains again between its steps', () => {
  // Chain a jumps into 2,100 chains that drop every packet, then c0..c2099 (the review pauses every 4,096 rules), then b jumps into them again.
  const n = 2100;
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':a - [0:0]', ...Array.from({ length: n }, (_, i) => `:c${i} - [0:0]`), ':b - [0:0]', '-A INPUT -j a', '-A INPUT -j b'];
  for (const [chain, proto] of [['a', 'tcp'], ['b', 'udp']]) {
    for (let i = 0; i < n; i++) lines.push(`-A ${chain} -s 10.${i >> 8}.${i & 255}.0/24 -j c${i}`, `-A ${chain} -s 10.${i >> 8}.${i & 255}.1 -p ${proto} -j ACCEPT`);
  }
  for (let i = 0; i < n; i++) lines.push(`-A c${i} -j LOG`, `-A c${i} -j DROP`);
  const ruleset = () => rulesetFromSave(parseSaveFile([...lines, 'COMMIT', ''].join('\n')), DEFAULT_OPTIONS, []);
  const whole: Diagnostic[] = [];
  findDeadRules(ruleset(), whole);
  const stepped: Diagnostic[] = [];
  const r = ruleset();
  const steps = findDeadRulesSteps(r, stepped);
  let pauses = 0;
  while (!steps.next().done) {
    pauses++;
    chainsAtDepth(r.tables.get('filter')!, 1);
  }
  assert.ok(pauses > 2);
  assert.equal(whole.length, 2 * n);
  assert.deepEqual(findings(stepped), findings(whole));
});

/** Chains c0 -> c1 -> ... jumping one to the next, `depth` deep, the last with `last`: their declarations, and their rules. */
function jumpChain(depth: number, last: string): [string[], string[]] {
  return [
    Array.from({ length: depth }, (_, i) => `:c${i} - [0:0]`),
    [...Array.from({ length: depth - 1 }, (_, i) => `-A c${i} -j c${i + 1}`), `-A c${depth - 1} ${last}`],
  ];
}

test('a chain of jumps 7,000 deep that ends in DROP stops every packet: the rule after the jump never matches (no stack overflow)', () => {
  const [declared, rules] = jumpChain(7000, '-j DROP');
  const found = filterFindings([...declared, '-A INPUT -j c0', '-A INPUT -p tcp -j ACCEPT', ...rules]);
  assert.equal(found.length, 1);
  assert.match(found[0], /^7006:1-26 shadowed-rule: this rule never matches: rule 1 of INPUT \(line 7005\) comes first, matches every packet this one would and sends them to chain c0, where rule 1 \(line 7007\) stops every one of them \(`-j c1`\)/);
});

test('a chain of jumps 7,000 deep that changes nothing does not hide a rule behind it from the rule before it (no stack overflow)', () => {
  // The rule on line 7007 is dead because of line 7005, across the jump: c0 and all below it change no packet.
  const [declared, rules] = jumpChain(7000, '-p udp -j ACCEPT');
  const found = filterFindings([...declared, '-A INPUT -p tcp -j DROP', '-A INPUT -j c0', '-A INPUT -p tcp --dport 22 -j ACCEPT', ...rules]);
  assert.equal(found.length, 1);
  assert.match(found[0], /^7007:1-37 shadowed-rule: this rule never matches: rule 1 of INPUT \(line 7005\) comes first/);
});
