// The panel's packet form: presets on the host, the scenario file it saves,
// every wrong field named at once with the engine's own words, saved scenarios
// read back, hosts pasted from `ip -j`, and "this machine" as the extension read it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSample, presetPacket, sampleFromScenario, scenarioJson, validate, withMachine } from '../../client/webview/form';
import { defaultHost, parseHost, ScenarioError } from '../../server/src/engine';
import { hostFromIpJson } from '../../server/src/engine/ipJson';

test('presets on the default router: in from the internet, forwarded from the LAN, sent, and a reply', () => {
  const host = defaultHost();
  const packet = (id: Parameters<typeof presetPacket>[0]) => scenarioJson({ ...newSample(host, 'ipv4', id) }).packet;
  assert.deepEqual(packet('incoming'), { inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 22, tcpFlags: ['SYN'] });
  assert.deepEqual(packet('forwarded'), { inInterface: 'eth1', protocol: 'tcp', source: '10.0.0.5', destination: '198.51.100.20', sourcePort: 40000, destinationPort: 443, tcpFlags: ['SYN'] });
  assert.deepEqual(packet('sent'), { protocol: 'tcp', destination: '198.51.100.20', sourcePort: 40000, destinationPort: 443, tcpFlags: ['SYN'] });
  assert.deepEqual(packet('reply'), {
    inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.20', destination: '203.0.113.1', sourcePort: 443, destinationPort: 40000, tcpFlags: ['ACK'],
    ctState: 'ESTABLISHED', ctDirection: 'reply',
  });
  const v6 = presetPacket('incoming', host, 'ipv6');
  assert.deepEqual([v6.inInterface, v6.source, v6.destination], ['eth0', '2001:db8:ffff::7', '2001:db8:1::1']);
});

test('every wrong field gets its message at once; the packet is traced only when all are right', () => {
  const sample = newSample(defaultHost(), 'ipv4');
  const bad = { ...sample, packet: { ...sample.packet, source: '198.51.100.300', destinationPort: '70000', mark: 'blue' } };
  const v = validate(bad, ['ipv4']);
  assert.equal(v.scenario, undefined);
  assert.deepEqual(v.errors, {
    source: '"198.51.100.300" is not an IPv4 or IPv6 address',
    destinationPort: 'expected a whole number from 0 to 65535, got 70000',
    mark: 'expected a whole number from 0 to 4294967295, got "blue"',
  });
  assert.deepEqual(validate({ ...sample, packet: { ...sample.packet, inInterface: 'wlan0' } }, ['ipv4']).errors, {
    inInterface: 'the host has no interface "wlan0" (it has lo, eth0, eth1)',
  });
  assert.deepEqual(validate(sample, ['ipv6']).errors, { destination: 'this document has no IPv4 (iptables) rules' });
  const ok = validate(sample, ['ipv4']);
  assert.deepEqual(ok.errors, {});
  assert.equal(ok.scenario?.packet.destinationPort, 22);
});

test('a saved scenario comes back into the form, and what the form has no field for is saved again', () => {
  const saved = {
    host: { interfaces: [{ name: 'eth0', addresses: ['192.0.2.2/24'] }], routes: [{ to: 'default', dev: 'eth0', via: '192.0.2.1' }] },
    packet: { inInterface: 'eth0', protocol: 'udp', source: '198.51.100.7', destination: '192.0.2.2', destinationPort: 53, ttl: 3 },
    conntrack: 'on',
    state: { fresh: true },
  };
  const sample = sampleFromScenario(saved);
  assert.equal(sample.packet.protocol, 'udp');
  assert.equal(sample.packet.destinationPort, '53');
  assert.equal(sample.packet.sourcePort, '');
  assert.equal(sample.host.kind, 'json');
  assert.equal(sample.conntrackOn, true);
  assert.deepEqual(scenarioJson(sample), saved);
  assert.deepEqual(validate(sample, ['ipv4']).errors, {});
});

// What `ip -j addr` and `ip -j route` print, trimmed to the fields that matter.
const ADDR = `[{"ifindex":1,"ifname":"lo","link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},{"family":"inet6","local":"::1","prefixlen":128}]},
{"ifindex":4,"ifname":"eth0","link_type":"ether","address":"02:fc:00:00:00:01","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24,"broadcast":"192.0.2.255"},{"family":"inet6","local":"fd00::2","prefixlen":64}]}]`;
const ROUTE = `[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]}]
[{"dst":"fd00::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[]},{"dst":"default","gateway":"fd00::1","dev":"eth0","metric":1024,"flags":[]},{"type":"blackhole","dst":"203.0.113.0/24","flags":[]}]`;

test('a host from `ip -j addr` and `ip -j route` (both families pasted together)', () => {
  const host = hostFromIpJson(ADDR, ROUTE);
  assert.deepEqual(host, {
    interfaces: [
      { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
      { name: 'eth0', addresses: ['192.0.2.2/24', 'fd00::2/64'], mac: '02:fc:00:00:00:01' },
    ],
    routes: [
      { to: 'default', dev: 'eth0', via: '192.0.2.1' },
      { to: 'default6', dev: 'eth0', via: 'fd00::1' },
      { to: '203.0.113.0/24', type: 'blackhole' },
    ],
  });
  assert.equal(parseHost(host).interfaces.size, 2);
  assert.throws(() => hostFromIpJson('{"ifname": ', ''), (e: unknown) => e instanceof ScenarioError && e.path === 'addr' && /^addr: not the JSON that `ip -j addr` prints/.test(e.message));
  // In the form: the incoming preset then comes in on eth0, to the host's own address.
  const sample = { ...newSample(parseHost(host), 'ipv4'), host: { kind: 'ip' as const, addr: ADDR, route: ROUTE, json: '', ipForward: false } };
  const v = validate(sample, ['ipv4']);
  assert.deepEqual(v.errors, {});
  assert.deepEqual([sample.packet.inInterface, sample.packet.destination], ['eth0', '192.0.2.2']);
  assert.equal(v.scenario?.host.ipForward, false);
});

test('"this machine": its host as read (forwarding as its ip_forward), or why it is not there yet', () => {
  const read = { host: { ...hostFromIpJson(ADDR, ROUTE), ipForward: false, rpFilter: 1 }, notes: [], label: 'gw1' };
  const fields = withMachine(newSample(defaultHost(), 'ipv4').host, read);
  assert.deepEqual([fields.kind, fields.ipForward], ['machine', false]);
  const sample = { ...newSample(parseHost(read.host), 'ipv4'), host: fields };
  const v = validate(sample, ['ipv4']);
  assert.deepEqual(v.errors, {});
  assert.deepEqual([...v.host.interfaces.keys()], ['lo', 'eth0']);
  assert.deepEqual([v.scenario?.host.ipForward, v.scenario?.host.rpFilter], [false, 1]);
  // Saved as a sample, the machine's host is written out: the test means the same on another machine.
  assert.equal((scenarioJson(sample).host as { rpFilter: number }).rpFilter, 1);

  const waiting = validate({ ...sample, host: { ...fields, machine: undefined } }, ['ipv4']);
  assert.deepEqual([waiting.scenario, waiting.errors.host], [undefined, 'this machine is being read']);
  const failed = validate({ ...sample, host: withMachine(fields, { error: 'ip: command not found', label: 'gw1' }) }, ['ipv4']);
  assert.equal(failed.errors.host, 'this machine could not be read: ip: command not found');
});
