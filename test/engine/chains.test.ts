// The rule walk inside a table, as ipt_do_table does it: rules in order,
// -j pushes a return point, -g does not, RETURN and the end of a user chain
// pop it, and an empty stack means the built-in chain's policy, which counts
// like a rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verdictLine } from '../../server/src/engine/describe';
import { setLocale } from '../../server/src/l10n';
import { table, trace } from '../support/trace';

const SSH = 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0';

test('a jump returns to the rule after it when the user chain ends without a verdict', () => {
  const t = trace(table('filter', ':INPUT DROP [0:0]', ':web - [0:0]', '-A INPUT -j web', '-A INPUT -p tcp -j ACCEPT', '-A web -p tcp --dport 443 -j ACCEPT'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/1', 'filter/INPUT/2']);
  assert.equal(t.fate, 'delivered');
});

test('RETURN in a built-in chain applies its policy, and the policy counter counts it', () => {
  const t = trace(table('filter', ':INPUT DROP [0:0]', '-A INPUT -p tcp -j RETURN', '-A INPUT -j ACCEPT'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/1', 'filter/INPUT/policy:DROP']);
  assert.equal(t.fate, 'dropped');
});

test('a goto from a built-in chain never comes back: when the target chain ends, the policy applies', () => {
  const t = trace(table('filter', ':web - [0:0]', '-A INPUT -g web', '-A INPUT -j DROP', '-A web -p udp -j ACCEPT'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/1', 'filter/INPUT/policy:ACCEPT']);
  assert.equal(t.fate, 'delivered');
});

test('a goto from a user chain returns to that chain\'s caller, skipping the rest of the chain that did the goto', () => {
  const t = trace(table('filter', ':a - [0:0]', ':b - [0:0]', '-A INPUT -j a', '-A INPUT -j DROP', '-A a -g b', '-A a -j ACCEPT', '-A b -p udp -j ACCEPT'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/1', 'filter/a/1', 'filter/INPUT/2']);
  assert.equal(t.fate, 'dropped');
});

test('RETURN in a nested chain goes back one level only', () => {
  const t = trace(table('filter', ':a - [0:0]', ':b - [0:0]', '-A INPUT -j a', '-A INPUT -j DROP', '-A a -j b', '-A a -j ACCEPT', '-A b -j RETURN', '-A b -j DROP'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/1', 'filter/a/1', 'filter/b/1', 'filter/a/2']);
  assert.equal(t.fate, 'delivered');
});

test('a rule without a target counts and the walk goes on (a counting rule)', () => {
  const t = trace(table('filter', '-A INPUT -p tcp', '-A INPUT -j DROP'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/1', 'filter/INPUT/2']);
});

test('-s a,b is two kernel rules, so the counters after it are shifted by one', () => {
  const t = trace(table('filter', '-A INPUT -s 192.0.2.1,198.51.100.7 -j LOG', '-A INPUT -j ACCEPT'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/2', 'filter/INPUT/3']);
});

test('a non-matching rule reports the first criterion that failed, in the kernel\'s order (addresses, interfaces, protocol, then matches)', () => {
  const t = trace(table('filter', '-A INPUT -p udp -s 192.0.2.0/24 -j DROP', '-A INPUT -p tcp --dport 80 -j DROP'), SSH);
  const [first, second] = t.steps.filter((s) => s.kind === 'rule');
  assert.equal(first.failed, '-s 192.0.2.0/24');
  assert.equal(second.failed, '--dport 80');
  assert.equal(second.line, 2);
});

test('a jump to a chain created elsewhere (not in this file) cannot be followed: both answers are shown', () => {
  const t = trace(table('filter', '-A INPUT -j DOCKER-USER', '-A INPUT -j ACCEPT'), SSH);
  assert.equal(t.decided, false);
  assert.deepEqual(t.outcomes.map((o) => o.fate).sort(), ['delivered', 'dropped']);
  assert.match(t.outcomes[0].assumptions[0].reason, /DOCKER-USER.*not in this file/);
});

test('interface wildcards: eth+ matches every name starting with eth; ! -i inverts', () => {
  const t = trace(table('filter', '-A INPUT ! -i eth0 -j DROP', '-A INPUT -i eth+ -j ACCEPT'), SSH);
  assert.deepEqual(t.hits, ['filter/INPUT/2']);
});

test('in Simplified Chinese, the walk is told in Chinese; rule texts, chain and table names stay as written', () => {
  setLocale('zh-cn');
  try {
    const t = trace(table('filter', ':INPUT DROP [0:0]', ':web - [0:0]', '-A INPUT -j web', '-A web -p tcp --dport 443 -j ACCEPT'), SSH);
    assert.deepEqual(t.steps.map((s) => (s.kind === 'rule' ? `${s.text} → ${s.action ?? s.failed}` : 'message' in s ? s.message : s.action)), [
      '从 eth0 到达：tcp 198.51.100.7:40000 -> 203.0.113.1:22 SYN ttl 64',
      '路由：203.0.113.1 是本机地址（INPUT）',
      '-A INPUT -j web → 跳转到 web',
      '-A web -p tcp --dport 443 -j ACCEPT → --dport 443',
      'web 结束：回到 INPUT',
      '策略 DROP',
      '丢弃：filter/INPUT 策略 DROP',
    ]);
    assert.equal(verdictLine(t.outcomes[0]), '丢弃：filter/INPUT 策略 DROP');
  } finally {
    setLocale(undefined);
  }
});

test('a jump 16 chains deep is followed as the legacy backend does, and its step says that iptables-nft refuses to load it', () => {
  const chains = Array.from({ length: 20 }, (_, i) => `:c${i + 1} - [0:0]`);
  const jumps = Array.from({ length: 19 }, (_, i) => `-A c${i + 1} -j c${i + 2}`);
  const t = trace(table('filter', ':INPUT DROP [0:0]', ...chains, '-A INPUT -p tcp -j c1', ...jumps, '-A c20 -p tcp --dport 22 -j ACCEPT'), SSH);
  assert.equal(t.fate, 'delivered');
  assert.equal(t.hits.length, 21);
  const noted = t.steps.filter((s) => s.notes?.some((n) => /iptables-nft refuses/.test(n)));
  assert.deepEqual(noted.map((s) => [s.kind === 'rule' ? s.chain : '', s.notes]), [
    ['c15', ['c16 is 16 jumps below INPUT here: the legacy backend follows, but iptables-nft refuses to load this rule ("Too many links"), as nf_tables follows at most 15']],
  ]);
});
