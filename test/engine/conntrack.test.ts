// Connection tracking: whether it runs at all, and the state a packet gets
// (nf_conntrack_in: the TCP state table, ICMP queries and errors, UNTRACKED).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table, trace } from '../support/trace';

const STATE_RULES = table('filter', ...['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'].map((s) => `-A INPUT -m conntrack --ctstate ${s} -j LOG --log-prefix ${s}`));
const stateOf = (packet: string | Record<string, unknown>, scenario = {}) => trace(STATE_RULES, packet, scenario).ctState;

test('conntrack only runs when a rule needs it: a nat table alone does not start it, so its chains never count', () => {
  const nat = table('nat', '-A PREROUTING -j ACCEPT');
  const t = trace(nat, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual(t.hits, []);
  assert.equal(t.conntrack, false);
  const on = trace(nat, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0', { conntrack: 'on' });
  assert.deepEqual(on.hits, ['nat/PREROUTING/1', 'nat/INPUT/policy:ACCEPT']);
});

test('CT --notrack does not start conntrack (the kernel takes no conntrack reference for it); CT with a zone does', () => {
  const rules = (ct: string) => table('raw', `-A PREROUTING -p udp -j CT ${ct}`) + table('nat', '-A PREROUTING -j ACCEPT');
  assert.equal(trace(rules('--notrack'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0').conntrack, false);
  assert.equal(trace(rules('--zone 1'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0').conntrack, true);
});

test('a SYN opens a connection (NEW); a lone ACK is NEW too, picked up mid-stream (nf_conntrack_tcp_loose=1)', () => {
  assert.equal(stateOf('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn'), 'NEW');
  assert.equal(stateOf('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 ack'), 'NEW');
  assert.equal(stateOf('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 ack,psh'), 'NEW');
});

test('a lone FIN, a SYN-ACK or a RST with no connection is INVALID (the TCP state table has no way in from NONE)', () => {
  for (const flags of ['fin', 'syn,ack', 'rst', 'rst,ack', 'fin,psh,urg', 'none']) {
    assert.equal(stateOf(`tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 ${flags}`), 'INVALID', flags);
  }
});

test('an echo request is NEW, an unsolicited echo reply INVALID; the reply to a request seen before is ESTABLISHED', () => {
  assert.equal(stateOf('icmp 198.51.100.7 -> 203.0.113.1 in eth0 type echo-request'), 'NEW');
  assert.equal(stateOf('icmp 198.51.100.7 -> 203.0.113.1 in eth0 type echo-reply'), 'INVALID');
  const history = [{ protocol: 'icmp', source: '203.0.113.1', destination: '198.51.100.7', icmpType: 'echo-request' }];
  assert.equal(stateOf('icmp 198.51.100.7 -> 203.0.113.1 in eth0 type echo-reply', { history }), 'ESTABLISHED');
});

test('an ICMP error about a known flow is RELATED; about an unknown one INVALID', () => {
  const error = { protocol: 'icmp', source: '198.51.100.7', destination: '203.0.113.1', inInterface: 'eth0', icmpType: 3, icmpCode: 3,
    inner: { protocol: 'udp', source: '203.0.113.1', destination: '198.51.100.7', sourcePort: 40000, destinationPort: 53 } };
  assert.equal(stateOf(error), 'INVALID');
  const history = [{ protocol: 'udp', source: '203.0.113.1', destination: '198.51.100.7', sourcePort: 40000, destinationPort: 53 }];
  assert.equal(stateOf(error, { history }), 'RELATED');
});

test('a second packet of a flow nobody answered yet is still NEW; the first reply is ESTABLISHED', () => {
  const out = { protocol: 'udp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 53, inInterface: 'eth0' };
  assert.equal(stateOf(out, { history: [out] }), 'NEW');
  const t = trace(table('filter', '-A OUTPUT -m conntrack --ctstate ESTABLISHED --ctdir REPLY -j LOG'),
    { protocol: 'udp', source: '203.0.113.1', destination: '198.51.100.7', sourcePort: 53, destinationPort: 40000 }, { history: [out] });
  assert.deepEqual(t.hits, ['filter/OUTPUT/1', 'filter/OUTPUT/policy:ACCEPT']);
});

test('a first packet dropped later leaves no connection behind (entries are confirmed only at the end of INPUT/POSTROUTING)', () => {
  const rules = table('filter', ':INPUT DROP [0:0]', '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT');
  const syn = { protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 22, inInterface: 'eth0' };
  const t = trace(rules, { ...syn, tcpFlags: ['ACK'] }, { history: [syn] });
  assert.equal(t.ctState, 'NEW');
});

test('a declared ESTABLISHED state is built as the oracle builds it: the opener and its answer go through the ruleset first', () => {
  const t = trace(STATE_RULES, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 state ESTABLISHED');
  assert.equal(t.ctState, 'ESTABLISHED');
  assert.deepEqual(t.setup.map((s) => s.label), ['opener', 'opener reply']);
  assert.deepEqual(t.packetOut?.tcpFlags, ['ACK'], 'the next packet of an established connection is an ACK unless flags are given');
});

test('a declared ESTABLISHED state whose opener the ruleset drops is taken to predate the rules, and the trace says so', () => {
  const rules = table('filter', ':INPUT DROP [0:0]', '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT');
  const t = trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 state ESTABLISHED');
  assert.equal(t.fate, 'delivered');
  assert.match(t.notes.join(' '), /first packet is dropped by this ruleset .* predate the rules/);
});

test('NOTRACK in raw makes the packet UNTRACKED; the state match sees UNTRACKED, not INVALID', () => {
  const rules = table('raw', '-A PREROUTING -j NOTRACK') + STATE_RULES;
  assert.equal(trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0').ctState, 'UNTRACKED');
});

test('in raw PREROUTING no connection is attached yet: the state match sees INVALID there', () => {
  const t = trace(table('raw', '-A PREROUTING -m state --state INVALID -j LOG', '-A PREROUTING -m state --state NEW -j LOG'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual(t.hits, ['raw/PREROUTING/1', 'raw/PREROUTING/policy:ACCEPT']);
});

test('conntrack with --ctstate matches an untracked packet even when its other options could not be tested', () => {
  const rules = table('raw', '-A PREROUTING -j NOTRACK') + table('filter', '-A INPUT -m conntrack --ctstate UNTRACKED --ctorigsrc 192.0.2.1 -j LOG', '-A INPUT -m conntrack --ctorigsrc 198.51.100.7 -j LOG');
  assert.deepEqual(trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0').hits.filter((h) => h.startsWith('filter')), ['filter/INPUT/1', 'filter/INPUT/policy:ACCEPT']);
});

test('a host name in a conntrack address option is looked up when the rules load: the trace says so instead of failing', () => {
  const rules = table('filter', '-A INPUT -m conntrack --ctorigsrc localhost -j DROP');
  const t = trace(rules, 'tcp 192.0.2.7:1234 -> 203.0.113.1:80 in eth0');
  assert.equal(t.decided, false);
  assert.deepEqual(new Set(t.outcomes.map((o) => o.fate)), new Set(['dropped', 'delivered']));
});

test('a first packet\'s entry is not CONFIRMED and shows 0 seconds left; an established one its full timeout', () => {
  const rules = table('filter', '-A INPUT -m conntrack --ctstatus CONFIRMED -j LOG', '-A INPUT -m conntrack --ctexpire 0 -j LOG', '-A INPUT -m conntrack --ctexpire 431999:432000 -j LOG');
  assert.deepEqual(trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0').hits, ['filter/INPUT/2', 'filter/INPUT/policy:ACCEPT']);
  const est = trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 state ESTABLISHED');
  assert.deepEqual(est.hits, ['filter/INPUT/1', 'filter/INPUT/3', 'filter/INPUT/policy:ACCEPT']);
});

test('connection marks: CONNMARK --save-mark stores the packet mark, --restore-mark brings it back on the next packet', () => {
  const rules = table('mangle', '-A PREROUTING -j CONNMARK --restore-mark', '-A PREROUTING -m mark ! --mark 0 -j ACCEPT', '-A PREROUTING -j MARK --set-mark 0x7', '-A PREROUTING -j CONNMARK --save-mark');
  const dns = { protocol: 'udp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 53, inInterface: 'eth0' };
  const t = trace(rules, dns, { history: [dns] });
  assert.deepEqual(t.hits.filter((h) => h.startsWith('mangle/PREROUTING')), ['mangle/PREROUTING/1', 'mangle/PREROUTING/2']);
  assert.equal(t.packetOut?.mark, 7);
});

test('a declared RELATED packet (a connection a helper expected) still runs the nat rules: its NAT is not decided yet', () => {
  const rules = table('nat', '-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.2') + STATE_RULES;
  const t = trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:20 in eth0 state RELATED');
  assert.deepEqual([t.ctState, t.hits.includes('nat/PREROUTING/1'), t.packetOut?.destination], ['RELATED', true, '10.0.0.2']);
});
