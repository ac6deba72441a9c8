// The routing decision between PREROUTING and INPUT/FORWARD, and what the
// kernel drops there without any table seeing it: martians, TTL expiry,
// fragments held for reassembly, frames for other hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table, trace } from '../support/trace';

const COUNT = table('raw', '-A PREROUTING -j ACCEPT') + table('filter', '-A INPUT -j ACCEPT', '-A FORWARD -j ACCEPT');

test('forwarding lowers the TTL before FORWARD: PREROUTING sees 64, FORWARD 63', () => {
  const rules = table('mangle', '-A PREROUTING -m ttl --ttl-eq 64 -j ACCEPT', '-A FORWARD -m ttl --ttl-eq 63 -j ACCEPT');
  const t = trace(rules, 'tcp 198.51.100.7:40000 -> 10.0.0.2:80 in eth0');
  assert.ok(t.hits.includes('mangle/PREROUTING/1') && t.hits.includes('mangle/FORWARD/1'));
  assert.equal(t.packetOut?.ttl, 63);
});

test('a TTL of 1 is answered with time exceeded before FORWARD: only PREROUTING counts', () => {
  const t = trace(COUNT, 'tcp 198.51.100.7:40000 -> 10.0.0.2:80 in eth0 ttl 1');
  assert.deepEqual([t.fate, t.hits, t.rejectWith], ['dropped', ['raw/PREROUTING/1'], 'icmp-time-exceeded']);
  assert.equal(trace(COUNT, 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 ttl 1').fate, 'delivered', 'only forwarding decrements it');
});

test('a packet from outside with the host\'s own address as source is a martian, dropped after PREROUTING', () => {
  const t = trace(COUNT, 'tcp 203.0.113.9:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual([t.fate, t.hits], ['dropped', ['raw/PREROUTING/1']]);
  assert.match(t.dropReason!, /martian source/);
});

test('DNAT to 127.0.0.1 of a packet from outside is a martian destination (route_localnet=0); with route_localnet it is delivered', () => {
  const rules = table('nat', '-A PREROUTING -p tcp -j DNAT --to-destination 127.0.0.1') + COUNT;
  assert.match(trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:8080 in eth0').dropReason!, /martian destination/);
  const host = { interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24'] }], routes: [{ to: 'default', via: '203.0.113.254' }], routeLocalnet: true };
  assert.equal(trace(rules, 'tcp 198.51.100.7:40000 -> 203.0.113.1:8080 in eth0', { host }).fate, 'delivered');
});

test('only 0.0.0.0 itself is a martian; the rest of 0.0.0.0/8 is ordinary unicast since Linux 5.3', () => {
  assert.equal(trace(COUNT, 'udp 0.0.0.0:68 -> 10.0.0.2:67 in eth0').fate, 'dropped');
  assert.equal(trace(COUNT, 'udp 0.1.2.3:68 -> 10.0.0.2:67 in eth0').fate, 'forwarded');
});

test('strict reverse-path filtering drops a source that would be routed back out another interface', () => {
  const host = { interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24'] }, { name: 'eth1', addresses: ['10.0.0.1/24'] }], routes: [{ to: 'default', via: '203.0.113.254' }], rpFilter: 1 };
  assert.match(trace(COUNT, 'tcp 10.0.0.5:40000 -> 203.0.113.1:22 in eth0', { host }).dropReason!, /reverse-path/);
  assert.equal(trace(COUNT, 'tcp 10.0.0.5:40000 -> 203.0.113.1:22 in eth1', { host }).fate, 'delivered');
});

test('broadcasts are delivered locally, the subnet broadcast of another interface too', () => {
  assert.equal(trace(COUNT, 'udp 10.0.0.2:68 -> 255.255.255.255:67 in eth1').fate, 'delivered');
  assert.equal(trace(COUNT, 'udp 10.0.0.2:5000 -> 203.0.113.255:9 in eth1').fate, 'delivered');
});

test('with forwarding off, a packet for another host is dropped after PREROUTING, silently (ip_error answers only on a router)', () => {
  const host = { interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24'] }, { name: 'eth1', addresses: ['10.0.0.1/24'] }], ipForward: false };
  const t = trace(COUNT, 'tcp 203.0.113.7:40000 -> 10.0.0.2:80 in eth0', { host });
  assert.deepEqual([t.fate, t.rejectWith, t.hits], ['dropped', null, ['raw/PREROUTING/1']]);
});

test('a router answers a destination it has no route to with network unreachable', () => {
  const host = { interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24'] }] };
  const t = trace(COUNT, 'tcp 203.0.113.7:40000 -> 10.0.0.2:80 in eth0', { host });
  assert.deepEqual([t.fate, t.rejectWith], ['dropped', 'icmp-net-unreachable']);
});

test('with conntrack on, defragmentation holds a lone fragment before raw PREROUTING: no counter moves at all', () => {
  const rules = COUNT + table('mangle', '-A PREROUTING -m conntrack --ctstate NEW -j ACCEPT');
  const t = trace(rules, { protocol: 'udp', source: '198.51.100.7', destination: '203.0.113.1', inInterface: 'eth0', moreFragments: true });
  assert.deepEqual([t.fate, t.hits], ['dropped', []]);
});

test('without conntrack, -f matches in raw PREROUTING but local delivery reassembles before INPUT; forwarded fragments reach FORWARD', () => {
  const rules = table('raw', '-A PREROUTING -f -j ACCEPT') + table('filter', '-A INPUT -f -j ACCEPT', '-A FORWARD -f -j ACCEPT');
  const later = { protocol: 'udp', source: '198.51.100.7', inInterface: 'eth0', fragmentOffset: 100 };
  assert.deepEqual(trace(rules, { ...later, destination: '203.0.113.1' }).hits, ['raw/PREROUTING/1']);
  assert.deepEqual(trace(rules, { ...later, destination: '10.0.0.2' }).hits, ['raw/PREROUTING/1', 'filter/FORWARD/1']);
});

test('a later fragment has no ports: --dport fails on it, negated or not; a TCP fragment at offset 1 is dropped on the spot', () => {
  const rules = table('filter', '-A FORWARD -p udp --dport 53 -j DROP', '-A FORWARD -p udp ! --dport 53 -j DROP');
  assert.deepEqual(trace(rules, { protocol: 'udp', source: '198.51.100.7', destination: '10.0.0.2', inInterface: 'eth0', fragmentOffset: 100 }).hits, ['filter/FORWARD/policy:ACCEPT']);
  const tcp = trace(table('filter', '-A FORWARD -p tcp --dport 80 -j ACCEPT'), { protocol: 'tcp', source: '198.51.100.7', destination: '10.0.0.2', inInterface: 'eth0', fragmentOffset: 1 });
  assert.deepEqual([tcp.fate, tcp.hits], ['dropped', []]);
});

test('a frame addressed to another host\'s MAC is dropped before any hook', () => {
  const t = trace(COUNT, { protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', inInterface: 'eth0', destinationMac: '02:00:00:00:00:99' });
  assert.deepEqual([t.fate, t.hits], ['dropped', []]);
});

test('a local packet dropped in OUTPUT or POSTROUTING makes sendto() fail with EPERM', () => {
  assert.equal(trace(table('filter', '-A OUTPUT -j DROP'), 'udp 203.0.113.1:40000 -> 198.51.100.7:53').sendError, 'EPERM');
  assert.equal(trace(table('mangle', '-A POSTROUTING -j DROP'), 'udp 203.0.113.1:40000 -> 198.51.100.7:53').sendError, 'EPERM');
});

test('a socket bound to a device sends through it even when the route says otherwise', () => {
  const t = trace(table('filter'), { protocol: 'udp', source: '10.0.0.1', destination: '198.51.100.7', outInterface: 'eth1' });
  assert.deepEqual([t.fate, t.outInterface], ['sent', 'eth1']);
});
