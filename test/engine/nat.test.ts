// Address translation: only a connection's first packet meets the nat
// chains; DNAT comes before routing and SNAT after filtering; MASQUERADE and
// REDIRECT take an interface's primary address; replies and ICMP errors are
// translated back from the connection's binding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cidr } from '../../server/src/knowledge/addresses';
import { parseIPv6 } from '../../server/src/knowledge/addresses';
import { applyPrefixTranslation } from '../../server/src/engine/npt';
import { table, trace } from '../support/trace';

const DNAT = table('nat', '-A PREROUTING -d 203.0.113.1 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080');

test('DNAT in PREROUTING changes the routing decision: a packet to the host itself is forwarded, filter FORWARD sees the new address', () => {
  const t = trace(DNAT + table('filter', '-A INPUT -j DROP', '-A FORWARD -d 10.0.0.2 -p tcp --dport 8080 -j ACCEPT'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0');
  assert.deepEqual([t.fate, t.outInterface], ['forwarded', 'eth1']);
  assert.deepEqual(t.hits, ['nat/PREROUTING/1', 'filter/FORWARD/1', 'nat/POSTROUTING/policy:ACCEPT']);
  assert.deepEqual([t.packetOut?.destination, t.packetOut?.destinationPort, t.packetOut?.ttl], ['10.0.0.2', 8080, 63]);
});

test('later packets of a connection are translated from its binding: no nat rule or policy counts', () => {
  const first = { protocol: 'udp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 80, inInterface: 'eth0' };
  const t = trace(table('nat', '-A PREROUTING -d 203.0.113.1 -p udp -j DNAT --to-destination 10.0.0.2'), first, { history: [first] });
  assert.deepEqual(t.hits, []);
  assert.equal(t.packetOut?.destination, '10.0.0.2');
  assert.ok(t.steps.some((s) => /not the first packet of its connection/.test(s.message ?? '')));
});

test('filter FORWARD sees the source before SNAT: SNAT happens later, in nat POSTROUTING', () => {
  const rules = table('nat', '-A POSTROUTING -o eth0 -j SNAT --to-source 203.0.113.9') + table('filter', '-A FORWARD -s 203.0.113.9 -j DROP', '-A FORWARD -s 10.0.0.2 -j ACCEPT');
  const t = trace(rules, 'tcp 10.0.0.2:40000 -> 198.51.100.7:443 in eth1');
  assert.deepEqual(t.hits, ['nat/PREROUTING/policy:ACCEPT', 'filter/FORWARD/2', 'nat/POSTROUTING/1']);
  assert.equal(t.packetOut?.source, '203.0.113.9');
});

test('MASQUERADE takes the outgoing interface\'s primary address, never a secondary one', () => {
  const t = trace(table('nat', '-A POSTROUTING -o eth0 -j MASQUERADE'), 'udp 10.0.0.2:40000 -> 198.51.100.7:53 in eth1');
  assert.equal(t.packetOut?.source, '203.0.113.1');
});

test('REDIRECT sends the packet to the incoming interface\'s primary address, even when it was sent to the secondary one', () => {
  const t = trace(table('nat', '-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 3128'), 'tcp 198.51.100.7:40000 -> 203.0.113.9:80 in eth0');
  assert.deepEqual([t.fate, t.packetOut?.destination, t.packetOut?.destinationPort], ['delivered', '203.0.113.1', 3128]);
});

test('REDIRECT in nat OUTPUT sends a local packet to 127.0.0.1, through lo', () => {
  const t = trace(table('nat', '-A OUTPUT -p tcp --dport 80 -j REDIRECT --to-ports 3128'), 'tcp 203.0.113.1:40000 -> 198.51.100.7:80');
  assert.deepEqual([t.fate, t.inInterface, t.packetOut?.destination], ['delivered', 'lo', '127.0.0.1']);
});

test('nat OUTPUT DNAT reroutes the packet, but filter OUTPUT still sees the out interface of the first route', () => {
  const rules = table('nat', '-A OUTPUT -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2') + table('filter', '-A OUTPUT -o eth1 -j ACCEPT', '-A OUTPUT -o eth0 -j ACCEPT');
  const t = trace(rules, 'tcp 203.0.113.1:40000 -> 198.51.100.7:80');
  assert.deepEqual(t.hits.filter((h) => h.startsWith('filter')), ['filter/OUTPUT/2']);
  assert.equal(t.outInterface, 'eth1');
});

test('SNAT to a range hashes the source address (a client keeps its address); a source already in the range is kept', () => {
  const t = trace(table('nat', '-A POSTROUTING -o eth0 -j SNAT --to-source 203.0.113.20-203.0.113.30'), 'tcp 10.0.0.2:40000 -> 198.51.100.7:443 in eth1');
  assert.equal(t.packetOut?.source, '203.0.113.29', 'the address the kernel chose in the recorded case 116');
  const kept = trace(table('nat', '-A POSTROUTING -o eth1 -j SNAT --to-source 198.51.100.1-198.51.100.10'), 'tcp 198.51.100.7:40000 -> 10.0.0.2:80 in eth0');
  assert.equal(kept.packetOut?.source, '198.51.100.7');
});

test('a source port the kernel picks at random is shown as undetermined, never as a guessed number', () => {
  const t = trace(table('nat', '-A POSTROUTING -o eth0 -p udp -j MASQUERADE --random'), 'udp 10.0.0.2:40000 -> 198.51.100.7:53 in eth1');
  assert.deepEqual(t.packetOut?.undetermined, { sourcePort: 'chosen at random in 1024-65535' });
});

test('an ICMP error about a masqueraded flow is translated back: outer destination and quoted source become the inside host', () => {
  const rules = table('nat', '-A POSTROUTING -o eth0 -j MASQUERADE');
  const flow = { protocol: 'udp', source: '10.0.0.2', destination: '198.51.100.7', sourcePort: 40000, destinationPort: 53, inInterface: 'eth1' };
  const error = { protocol: 'icmp', source: '198.51.100.7', destination: '203.0.113.1', inInterface: 'eth0', icmpType: 3, icmpCode: 3,
    inner: { protocol: 'udp', source: '203.0.113.1', destination: '198.51.100.7', sourcePort: 40000, destinationPort: 53 } };
  const t = trace(rules, error, { history: [flow] });
  assert.deepEqual([t.fate, t.outInterface, t.packetOut?.destination], ['forwarded', 'eth1', '10.0.0.2']);
  assert.deepEqual(t.packetOut?.inner, { protocol: 'udp', source: '10.0.0.2', destination: '198.51.100.7', sourcePort: 40000, destinationPort: 53 });
  assert.deepEqual(t.hits, [], 'RELATED ICMP errors never run the nat chains');
});

test('an ACK after a SYN nobody answered is INVALID (state SYN_SENT) and so escapes the DNAT binding: it stays local', () => {
  const syn = { protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 80, inInterface: 'eth0' };
  const t = trace(DNAT, { ...syn, tcpFlags: ['ACK'] }, { history: [syn] });
  assert.deepEqual([t.ctState, t.fate, t.packetOut?.destination], ['INVALID', 'delivered', '203.0.113.1']);
});

test('NOTRACK in raw skips the nat table: the DNAT rule never counts and the packet stays local', () => {
  const rules = table('raw', '-A PREROUTING -p tcp --dport 80 -j CT --notrack') + DNAT;
  const t = trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0');
  assert.deepEqual([t.fate, t.hits], ['delivered', ['raw/PREROUTING/1', 'raw/PREROUTING/policy:ACCEPT']]);
});

test('NETMAP to a host name: the trace says the name is looked up when the rules load, and leaves the address as it was', () => {
  const t = trace(table('nat', '-A PREROUTING -d 192.0.2.0/24 -j NETMAP --to localhost'), 'tcp 198.51.100.7:40000 -> 192.0.2.77:80 in eth0');
  const step = t.steps.find((s) => s.kind === 'rule' && s.table === 'nat' && s.chain === 'PREROUTING' && s.rule === 1);
  assert.match(step?.action ?? '', /`localhost` is a host name: its address is looked up when the rules load/);
  assert.equal(t.packetOut?.destination, '192.0.2.77');
});

test('NETMAP keeps the host part: destination before routing, source after', () => {
  const t = trace(table('nat', '-A PREROUTING -d 192.0.2.0/24 -j NETMAP --to 10.0.0.0/24'), 'tcp 198.51.100.7:40000 -> 192.0.2.77:80 in eth0');
  assert.equal(t.packetOut?.destination, '10.0.0.77');
});

test('DNPT/SNPT translate an IPv6 prefix checksum-neutrally (the example of RFC 6296 section 3.2)', () => {
  const cidr = (text: string, prefix: number): Cidr => ({ family: 'ipv6', address: parseIPv6(text)!, mask: ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix), prefix });
  const out = applyPrefixTranslation(parseIPv6('fd01:203:405:1::1234')!, cidr('fd01:203:405::', 48), cidr('2001:db8:1::', 48));
  assert.equal(out, parseIPv6('2001:db8:1:d550::1234'));
});
