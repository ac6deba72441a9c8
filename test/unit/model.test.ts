// The ruleset a file loads into: order of rules, restore's table semantics,
// which hooks reach each chain, and what is left unresolved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { setLocale } from '../../server/src/l10n';
import { rulesetText } from '../../server/src/model/saveText';
import { detectFamily } from '../../server/src/syntax/saveFile';

const load = (text: string) => analyseSaveText(text, DEFAULT_OPTIONS);
const rulesOf = (text: string, table: string, chain: string) =>
  load(text).ruleset!.tables.get(table)!.chains.get(chain)!.rules.map((r) => r.command.words.slice(2).map((w) => w.text).join(' '));

test('-A, -I with a position, -R and -D act on the chain in order', () => {
  const text = '*filter\n-A INPUT -s 1.1.1.1\n-A INPUT -s 2.2.2.2\n-I INPUT 2 -s 3.3.3.3\n-I INPUT -s 4.4.4.4\n-R INPUT 1 -s 5.5.5.5\n-D INPUT -s 2.2.2.2\n-D INPUT 1\nCOMMIT\n';
  assert.deepEqual(rulesOf(text, 'filter', 'INPUT'), ['-s 1.1.1.1', '2 -s 3.3.3.3']);
  const rules = load(text).ruleset!.tables.get('filter')!.chains.get('INPUT')!.rules;
  assert.deepEqual(rules.map((r) => r.index), [1, 2]);
});

test('a second block of the same table replaces the first', () => {
  const text = '*filter\n-A INPUT -j DROP\nCOMMIT\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n';
  assert.deepEqual(rulesOf(text, 'filter', 'INPUT'), ['-j ACCEPT']);
});

test('policies from chain lines and -P; built-ins default to ACCEPT', () => {
  const rs = load('*filter\n:INPUT DROP [0:0]\n-P FORWARD DROP\nCOMMIT\n').ruleset!;
  const chains = rs.tables.get('filter')!.chains;
  assert.deepEqual([...chains.values()].map((c) => [c.name, c.policy]), [['INPUT', 'DROP'], ['FORWARD', 'DROP'], ['OUTPUT', 'ACCEPT']]);
  assert.equal(rs.tables.get('filter')!.fragment, false);
});

test('hooks that reach a chain follow jumps and gotos through user chains', () => {
  const text = '*nat\n:PREROUTING ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n:c - [0:0]\n-A PREROUTING -j a\n-A OUTPUT -g b\n-A a -j b\nCOMMIT\n';
  const chains = load(text).ruleset!.tables.get('nat')!.chains;
  assert.deepEqual([...chains.get('a')!.hooks], ['PREROUTING']);
  assert.deepEqual([...chains.get('b')!.hooks].sort(), ['OUTPUT', 'PREROUTING']);
  assert.deepEqual([...chains.get('c')!.hooks], []);
  assert.deepEqual(chains.get('b')!.references.map((r) => [r.chain, r.facts.head.target!.goto]).sort(), [['OUTPUT', true], ['a', false]]);
});

test('legality is reachability: a target allowed in POSTROUTING only is refused in a chain reached from PREROUTING', () => {
  const text = '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:masq - [0:0]\n-A POSTROUTING -j masq\n-A PREROUTING -j masq\n-A masq -j MASQUERADE\nCOMMIT\n';
  const errors = load(text).diagnostics.filter((d) => d.severity === 'error');
  // On the target's name (rules with one target share its limit, and find their own name from their line).
  assert.deepEqual(errors.map((d) => [d.code, d.span.line, d.span.start, d.span.end, d.message]), [
    ['target-not-allowed', 6, 11, 21, 'the MASQUERADE target is allowed only in POSTROUTING; the kernel refuses it in masq, which is reached from PREROUTING'],
  ]);
});

test('a jump to a chain declared further down fails in restore', () => {
  const text = '*filter\n-A INPUT -j later\n-N later\nCOMMIT\n';
  const d = load(text).diagnostics.filter((x) => x.code === 'undefined-jump');
  assert.deepEqual(d.map((x) => [x.span.line, x.message]), [[1, 'this rule jumps to `later` before the chain is created (line 3): iptables-restore fails here; declare the chain at the top of the table']]);
});

test('chains created by other tools are warnings, by setting and in fragments', () => {
  const docker = load('*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j DOCKER-USER\nCOMMIT\n').diagnostics;
  assert.deepEqual(docker.map((d) => [d.code, d.severity]), [['undefined-jump', 'warning']]);
  const fragment = load('*filter\n-A ufw-before-input -j ACCEPT\n-A INPUT -j my-other-file\nCOMMIT\n').diagnostics;
  assert.deepEqual(fragment.map((d) => [d.code, d.severity]), [['chain-not-in-table', 'error'], ['undefined-jump', 'warning']]);
});

test('-E renames a chain and the jumps and gotos to it, made before and after', () => {
  const rs = load('*filter\n-N old\n-A INPUT -j old\n-A FORWARD -g old\n-E old new\n-A OUTPUT -j new\n-A OUTPUT -g new\nCOMMIT\n').ruleset!;
  const chains = rs.tables.get('filter')!.chains;
  assert.equal(chains.has('old'), false);
  const renamed = chains.get('new')!;
  assert.deepEqual(renamed.references.map((r) => r.target.kind === 'chain' && [r.chain, r.target.name, r.target.goto, r.target.chain === renamed]),
    [['INPUT', 'new', false, true], ['FORWARD', 'new', true, true], ['OUTPUT', 'new', false, true], ['OUTPUT', 'new', true, true]]);
  assert.match(rulesetText(rs), /-A INPUT -j new\n-A FORWARD -g new\n-A OUTPUT -j new\n-A OUTPUT -g new\n/);
});

test('the address family comes from the header, the file name, then the content', () => {
  assert.equal(detectFamily('# Generated by ip6tables-save v1.8.9\n*filter\n'), 'ipv6');
  assert.equal(detectFamily('*filter\n', '/etc/iptables/rules.v6'), 'ipv6');
  assert.equal(detectFamily('*filter\n', '/etc/sysconfig/ip6tables'), 'ipv6');
  assert.equal(detectFamily('*filter\n-A INPUT -s 2001:db8::/32 -j ACCEPT\n'), 'ipv6');
  assert.equal(detectFamily('*filter\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\n', 'rules.v4'), 'ipv4');
});

test('a bad line does not stop the analysis of the lines after it', () => {
  const text = '*filter\n-A INPUT --bogus\n-A INPUT -p tcp --dport 70000\n-A INPUT -j NOWHERE\nCOMMIT\n';
  assert.deepEqual(load(text).diagnostics.map((d) => [d.span.line, d.code]), [[1, 'unknown-option'], [2, 'invalid-value'], [3, 'undefined-jump']]);
});

test('in Simplified Chinese, the ruleset\'s messages are Chinese: one rule and several counted, iptables words kept', () => {
  setLocale('zh-cn');
  try {
    const messages = (text: string) => load(text).diagnostics.map((d) => d.message);
    assert.deepEqual(messages('*filter\n-A INPUT -j ACCEPT\n-I INPUT 3 -j DROP\nCOMMIT\n'), ['此时链 INPUT 有 1 条规则：`-I INPUT 3` 会失败（"Index of insertion too big"）；最多只能用 2']);
    assert.equal(messages('*filter\n:a - [0:0]\n-A a -j ACCEPT\n-A a -j DROP\n-X a\nCOMMIT\n').at(-1), '链 a 中还有 2 条规则：请先清空它（`-F a`）再 `-X`');
    assert.deepEqual(messages('*nat\n-A INPUT -p tcp -j DNAT --to-destination 1.2.3.4:80\nCOMMIT\n'), ['DNAT 目标只能用在 PREROUTING, OUTPUT；内核拒绝在 INPUT 中使用它']);
  } finally {
    setLocale(undefined);
  }
});

test('jump depth counts the ways from built-in chains only, and a circle anywhere in the table is reported instead', () => {
  const deep = Array.from({ length: 16 }, (_, i) => `-A ${i ? `d${i}` : 'INPUT'} -j d${i + 1}`);
  const chains = Array.from({ length: 16 }, (_, i) => `:d${i + 1} - [0:0]`);
  // u is reached by nothing: its jump into d2 makes no way from a hook longer.
  const text = (extra: string[]) => ['*filter', ':INPUT ACCEPT [0:0]', ':u - [0:0]', ':v - [0:0]', ...chains, ...deep, '-A u -j d2', ...extra, 'COMMIT', ''].join('\n');
  const found = (t: string) => load(t).diagnostics.filter((d) => d.code === 'jump-depth' || d.code === 'jump-loop').map((d) => [d.code, d.span.line + 1, d.severity]);
  assert.deepEqual(found(text([])), [['jump-depth', 36, 'warning']]);
  assert.deepEqual(found(text(['-A u -j v', '-A v -j u'])), [['jump-loop', 39, 'warning']]);
});

test('a rule\'s head gives the chain and target names written on its line, whatever the target is, also after a rename', () => {
  const text = '*nat\n:a - [0:0]\n:b - [0:0]\n-A PREROUTING -j a\n-A a -p tcp -j DNAT --to-destination 10.0.0.1\n-A a -j RETURN\n-I a 1 -g b\n'
    + '-A a -j nowhere\n-A a -j CONTINUE\n-A b\n-E b c\n-A c -j ACCEPT\nCOMMIT\n';
  const rules = [...load(text).ruleset!.tables.get('nat')!.chains.values()].flatMap((c) => c.rules);
  const heads = rules.map((r) => r.facts.head);
  assert.deepEqual(heads.map((h) => [h.chainName, h.targetName]), [
    ['PREROUTING', 'a'], ['a', 'b'], ['a', 'DNAT'], ['a', 'RETURN'], ['a', 'nowhere'], ['a', undefined], ['b', undefined], ['c', 'ACCEPT'],
  ]);
  assert.deepEqual(heads.map((h) => [h.chain?.text, h.target?.nameToken.text]), heads.map((h) => [h.chainName, h.targetName]));
  assert.deepEqual(rules.map((r) => r.target.kind === 'chain' && r.target.name), ['a', 'c', false, false, false, false, false, false]);
});

test('-I into chains that have no rules, jumps or references yet links each jump as it comes', () => {
  const rs = load('*filter\n:a - [0:0]\n:b - [0:0]\n-I a -j b\n-I a -p tcp -j b\n-I INPUT -j a\n-A b -j ACCEPT\nCOMMIT\n').ruleset!;
  const chains = rs.tables.get('filter')!.chains;
  assert.deepEqual(chains.get('a')!.rules.map((r) => [r.index, r.target.kind === 'chain' && r.target.name]), [[1, 'b'], [2, 'b']]);
  assert.deepEqual(chains.get('b')!.references.map((r) => `${r.chain}#${r.index}`).sort(), ['a#1', 'a#2']);
  assert.deepEqual(chains.get('a')!.jumps.map((c) => c.name), ['b']);
  assert.deepEqual(chains.get('a')!.references.map((r) => r.chain), ['INPUT']);
  assert.deepEqual([...chains.get('b')!.hooks], ['INPUT']);
});

test("a rule's IPv4 networks give their address and mask as bigints, a mask of 2^31 or more included", () => {
  const text = '*filter\n-A INPUT -s 10.1.2.3/8 -j DROP\n-A INPUT -s 192.168.1.0/24 -d 1.2.3.4 -j DROP\n-A INPUT ! -s 128.0.0.0/1 -j DROP\n-A INPUT -s 10.0.5.0/255.0.255.0 -j DROP\nCOMMIT\n';
  const rules = load(text).ruleset!.tables.get('filter')!.chains.get('INPUT')!.rules;
  const nets = rules.flatMap((r) => [r.shape.source, r.shape.destination]).filter((n) => n !== undefined)
    .map((n) => [n.address.toString(16), n.mask.toString(16), n.prefix, n.negated]);
  assert.deepEqual(nets, [
    ['a000000', 'ff000000', 8, false],
    ['c0a80100', 'ffffff00', 24, false], ['1020304', 'ffffffff', 32, false],
    ['80000000', '80000000', 1, true],
    ['a000500', 'ff00ff00', -1, false],
  ]);
});

test('rules go to the chain their line names as it is then, in declaration order or not, after -X, -E and a chain made again', () => {
  const text = '*filter\n:a - [0:0]\n:b - [0:0]\n:c - [0:0]\n:d - [0:0]\n:f - [0:0]\n-A a -j ACCEPT\n-X b\n-A b -j DROP\n-E c e\n-A c -j DROP\n'
    + '-A e -j RETURN\n-N b\n-A b -j ACCEPT\n-A f -j b\n-A d -j DROP\n-A a -j d\nCOMMIT\n';
  const result = load(text);
  const chains = result.ruleset!.tables.get('filter')!.chains;
  assert.deepEqual([...chains.values()].map((c) => [c.name, c.rules.map((r) => r.facts.head.targetName)]), [
    ['INPUT', []], ['FORWARD', []], ['OUTPUT', []], ['a', ['ACCEPT', 'd']], ['d', ['DROP']], ['f', ['b']], ['e', ['RETURN']], ['b', ['ACCEPT']],
  ]);
  assert.deepEqual(result.diagnostics.filter((d) => d.code === 'chain-not-in-table').map((d) => d.span.line), [8, 10]);
  assert.deepEqual(chains.get('b')!.references.map((r) => r.chain), ['f']);
  // -X without a name removes b, the chain declared after the one of the line before.
  const swept = load('*filter\n:a - [0:0]\n:b - [0:0]\n:c - [0:0]\n-A INPUT -j a\n-A INPUT -j c\n-A a -j ACCEPT\n-X\n-A b -j DROP\n-A c -j DROP\nCOMMIT\n');
  assert.deepEqual([...swept.ruleset!.tables.get('filter')!.chains.keys()], ['INPUT', 'FORWARD', 'OUTPUT', 'a', 'c']);
  assert.deepEqual(swept.diagnostics.filter((d) => d.code === 'chain-not-in-table').map((d) => d.span.line), [8]);
});
