// The scenario JSON and the command-line shorthand: what they mean, and a
// message that names the field for everything they cannot mean.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_HOST_JSON, defaultHost, packetFromShorthand, parseScenario } from '../../server/src/engine';
import { REPO } from '../support/shared';

const packet = { inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 22 };

test('the issue\'s example scenario reads as written', () => {
  const s = parseScenario({
    host: {
      interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24', '203.0.113.9/24'], mac: '02:00:00:00:00:01' }, { name: 'eth1', addresses: ['10.0.0.1/24'] }],
      routes: [{ to: '10.0.0.0/8', dev: 'eth1', via: '10.0.0.2' }, { to: 'default', dev: 'eth0', via: '203.0.113.254' }],
      ipForward: true,
    },
    packet: {
      inInterface: 'eth0', outInterface: null, protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 22,
      tcpFlags: ['SYN'], icmpType: null, icmpCode: null, ttl: 64, length: 40, sourceMac: '02:00:00:00:00:fe', mark: 0, ctState: 'NEW', ctDirection: 'original',
    },
    conntrack: 'auto',
  });
  assert.equal(s.packet.length, 40);
  assert.equal(s.host.interfaces.get('eth0')!.addresses[1].primary, false, '203.0.113.9 is a secondary address of its subnet');
  assert.ok(s.host.interfaces.has('lo'), 'every host has lo');
});

test('bad input gets one message naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ packet: { ...packet, inInterface: 'eth9' } }, /^packet\.inInterface: the host has no interface "eth9" \(it has lo, eth0, eth1\)$/],
    [{ packet: { ...packet, source: '198.51.100.300' } }, /^packet\.source: "198\.51\.100\.300" is not an IPv4 or IPv6 address$/],
    [{ packet: { ...packet, source: '2001:db8::1' } }, /^packet\.source: "2001:db8::1" is an IPv6 address, but the packet is IPv4$/],
    [{ packet: { ...packet, tcpflags: ['SYN'] } }, /^packet\.tcpflags: unknown field \(did you mean "tcpFlags"\?\)$/],
    [{ packet: { ...packet, tcpFlags: ['SYNN'] } }, /^packet\.tcpFlags: "SYNN" is not a TCP flag/],
    [{ packet: { ...packet, protocol: 'udp', tcpFlags: ['SYN'] } }, /only TCP packets have flags/],
    [{ packet: { ...packet, destinationPort: 70000 } }, /^packet\.destinationPort: expected a whole number from 0 to 65535, got 70000$/],
    [{ packet: { ...packet, protocol: 'icmp', destinationPort: 1 } }, /^packet\.destinationPort: icmp has no ports$/],
    [{ packet: { ...packet, length: 20 } }, /^packet\.length: at least 40 bytes/],
    [{ packet: { ...packet, ctState: 'OPEN' } }, /^packet\.ctState: expected one of NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED/],
    [{ host: { interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/33'] }] }, packet }, /^host\.interfaces\[0\]\.addresses\[0\]: "33" is not a prefix length 0-32$/],
    [{ host: { routes: [{ to: 'default', via: '192.0.2.1' }] }, packet }, /^host\.routes\[0\]\.via: no interface reaches the gateway 192\.0\.2\.1/],
    [{ packet, state: { time: 'tomorrow' } }, /^state\.time: "tomorrow" is not a date and time/],
    [{ packet, conntrack: 'always' }, /^scenario\.conntrack: expected one of auto, on, got "always"$/],
    [{}, /^packet: the scenario needs a packet$/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseScenario(json), { message }, JSON.stringify(json));
  }
});

test('the default host is the router of ../shared/kernel: eth0 outside with a secondary address, eth1 inside, lo', () => {
  const host = defaultHost();
  assert.deepEqual([...host.interfaces.keys()], ['lo', 'eth0', 'eth1']);
  assert.deepEqual(DEFAULT_HOST_JSON.routes.map((r) => `${r.to} ${r.dev}`), ['10.0.0.0/8 eth1', '172.16.0.0/12 eth1', '192.168.0.0/16 eth1', 'default eth0', 'fd00::/8 eth1', 'default6 eth0']);
});

test('the shorthand: where the packet comes from follows from its source when `in` is not given', () => {
  const host = defaultHost();
  assert.deepEqual(packetFromShorthand('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn', host), {
    protocol: 'tcp', source: '198.51.100.7', sourcePort: 40000, destination: '203.0.113.1', destinationPort: 22, inInterface: 'eth0', tcpFlags: ['SYN'],
  });
  assert.equal(packetFromShorthand('udp 10.0.0.2:5 -> 198.51.100.7:53', host).inInterface, 'eth1', 'the host routes 10/8 to eth1');
  assert.equal(packetFromShorthand('udp 203.0.113.1:5 -> 198.51.100.7:53', host).inInterface, undefined, 'one of its own addresses: generated locally');
  assert.deepEqual(packetFromShorthand('icmpv6 [2001:db8::1] -> [2001:db8:1::1] type echo-request/0 hl 5 state ESTABLISHED reply', host), {
    protocol: 'icmpv6', source: '2001:db8::1', destination: '2001:db8:1::1', icmpType: 'echo-request', icmpCode: 0, ttl: 5, ctState: 'ESTABLISHED', ctDirection: 'reply', inInterface: 'eth0',
  });
  assert.throws(() => packetFromShorthand('tcp 198.51.100.7 203.0.113.1', host), { message: /^--packet: expected "PROTO SOURCE\[:PORT\] -> DESTINATION\[:PORT\]/ });
  assert.throws(() => packetFromShorthand('tcp 1.2.3.4:1 -> 5.6.7.8:2 sideways', host), { message: /^--packet: unknown word "sideways"$/ });
});

test('the scenario shown in README.md is one the engine reads', () => {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const block = /\*\*The scenario\*\*[^]*?```json\n([^]*?)```/.exec(readme);
  assert.ok(block, 'README.md has a scenario example');
  const s = parseScenario(JSON.parse(block[1]));
  assert.deepEqual([s.packet.ctState, s.history.length, s.makeState().fresh], ['ESTABLISHED', 1, true]);
});
