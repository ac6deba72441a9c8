// Which hooks and tables a packet meets, in which order (kernel hook
// priorities: raw -300, conntrack -200, mangle -150, nat -100 before routing
// and +100 after it, filter 0, security 50).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table, trace } from '../support/trace';

const LOG_EVERYWHERE = [
  table('raw', '-A PREROUTING -j LOG', '-A OUTPUT -j LOG'),
  table('mangle', ...['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].map((c) => `-A ${c} -j LOG`)),
  table('nat', ...['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].map((c) => `-A ${c} -j LOG`)),
  table('filter', '-A INPUT -m conntrack --ctstate NEW -j LOG', '-A FORWARD -j LOG', '-A OUTPUT -j LOG'),
  table('security', '-A INPUT -j LOG', '-A FORWARD -j LOG', '-A OUTPUT -j LOG'),
].join('');

const chainsMet = (hits: string[]) => hits.filter((h) => /\/1$/.test(h)).map((h) => h.replace(/\/1$/, ''));

test('a packet for the host meets PREROUTING (raw, mangle, nat) then INPUT (mangle, filter, security, nat): nat INPUT runs last, at +100', () => {
  const t = trace(LOG_EVERYWHERE, 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual(chainsMet(t.hits), [
    'raw/PREROUTING', 'mangle/PREROUTING', 'nat/PREROUTING', 'mangle/INPUT', 'filter/INPUT', 'security/INPUT', 'nat/INPUT',
  ]);
  assert.equal(t.fate, 'delivered');
  assert.equal(t.inInterface, 'eth0');
});

test('a forwarded packet meets PREROUTING, FORWARD (mangle, filter, security) and POSTROUTING (mangle, nat): no INPUT or OUTPUT', () => {
  const t = trace(LOG_EVERYWHERE, 'tcp 198.51.100.7:40000 -> 10.0.0.2:80 in eth0');
  assert.deepEqual(chainsMet(t.hits), [
    'raw/PREROUTING', 'mangle/PREROUTING', 'nat/PREROUTING', 'mangle/FORWARD', 'filter/FORWARD', 'security/FORWARD', 'mangle/POSTROUTING', 'nat/POSTROUTING',
  ]);
  assert.deepEqual([t.fate, t.outInterface], ['forwarded', 'eth1']);
});

test('a locally generated packet is routed first, then meets OUTPUT (raw, mangle, nat, filter, security) and POSTROUTING', () => {
  const t = trace(LOG_EVERYWHERE, 'udp 203.0.113.1:40000 -> 198.51.100.7:53');
  assert.deepEqual(chainsMet(t.hits), [
    'raw/OUTPUT', 'mangle/OUTPUT', 'nat/OUTPUT', 'filter/OUTPUT', 'security/OUTPUT', 'mangle/POSTROUTING', 'nat/POSTROUTING',
  ]);
  assert.deepEqual([t.fate, t.outInterface], ['sent', 'eth0']);
});

test('a packet to the host itself loops through lo: raw and mangle PREROUTING see it again, nat PREROUTING and nat INPUT do not (NAT was decided on the way out)', () => {
  const t = trace(LOG_EVERYWHERE, 'tcp 203.0.113.1:40000 -> 203.0.113.1:22');
  assert.deepEqual(chainsMet(t.hits), [
    'raw/OUTPUT', 'mangle/OUTPUT', 'nat/OUTPUT', 'filter/OUTPUT', 'security/OUTPUT', 'mangle/POSTROUTING', 'nat/POSTROUTING',
    'raw/PREROUTING', 'mangle/PREROUTING', 'mangle/INPUT', 'filter/INPUT', 'security/INPUT',
  ]);
  assert.deepEqual([t.fate, t.inInterface], ['delivered', 'lo']);
});

test('tables the file does not load are not traversed at all: their policies never count', () => {
  const t = trace(table('filter', '-A INPUT -p udp -j DROP'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual(t.hits, ['filter/INPUT/policy:ACCEPT']);
});

test('an empty built-in chain of a loaded table still counts its policy', () => {
  const t = trace(table('mangle'), 'tcp 198.51.100.7:40000 -> 10.0.0.2:80 in eth0');
  assert.deepEqual(t.hits, ['mangle/PREROUTING/policy:ACCEPT', 'mangle/FORWARD/policy:ACCEPT', 'mangle/POSTROUTING/policy:ACCEPT']);
});

test('a DROP in an early table ends the packet: later tables of the hook never see it', () => {
  const t = trace(table('mangle', '-A PREROUTING -j DROP') + table('filter', '-A INPUT -j ACCEPT'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual(t.hits, ['mangle/PREROUTING/1']);
  assert.equal(t.fate, 'dropped');
  assert.equal(t.dropReason, 'mangle/PREROUTING/1 DROP');
});

test('ACCEPT ends only its own table at its hook: the next table still decides', () => {
  const t = trace(table('mangle', '-A INPUT -j ACCEPT') + table('filter', ':INPUT DROP [0:0]'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.deepEqual(t.hits, ['mangle/PREROUTING/policy:ACCEPT', 'mangle/INPUT/1', 'filter/INPUT/policy:DROP']);
  assert.equal(t.fate, 'dropped');
});
