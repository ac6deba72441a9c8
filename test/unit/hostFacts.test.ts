// The trace's host from a machine's own output: what `ip -j`, sysctl and
// `ss -H -ltun` printed in a network namespace (iproute2 6.1), read into the
// scenario's host, and the engine reading that host as the kernel would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHost } from '../../server/src/engine';
import { interfaceNames, machineHost, socketsFromSs, sysctlKeys } from '../../server/src/machine/hostFacts';
import { table, trace } from '../support/trace';

const ADDR = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},'
  + '{"ifindex":3,"link":"veth1","ifname":"veth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"link_type":"ether","address":"c6:7e:b9:2c:4b:44","addr_info":[{"family":"inet","local":"192.0.2.1","prefixlen":24,"scope":"global","label":"veth0"},{"family":"inet6","local":"2001:db8::1","prefixlen":64,"scope":"global","tentative":true},{"family":"inet6","local":"fe80::c47e:b9ff:fe2c:4b44","prefixlen":64,"scope":"link"}]},'
  + '{"ifindex":4,"ifname":"eth0.100","flags":["UP"],"link_type":"ether","address":"c6:7e:b9:2c:4b:45","addr_info":[{"family":"inet","local":"10.1.0.1","prefixlen":24,"scope":"global"}]}]';
const ROUTES4 = '[{"dst":"default","gateway":"192.0.2.254","dev":"veth0","flags":[]},{"dst":"192.0.2.0/24","dev":"veth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.1","flags":[]}]';
const ROUTES6 = '[{"dst":"2001:db8::/64","dev":"veth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},{"dst":"default","gateway":"2001:db8::fe","dev":"veth0","metric":1024,"flags":[]}]';
const SYSCTL = [
  'net.ipv4.ip_forward = 1', 'net.ipv6.conf.all.forwarding = 0', 'net.ipv4.conf.all.rp_filter = 0', 'net.ipv4.conf.all.route_localnet = 0',
  'net.ipv4.conf.lo.rp_filter = 0', 'net.ipv4.conf.lo.route_localnet = 0', 'net.ipv4.conf.veth0.rp_filter = 1', 'net.ipv4.conf.veth0.route_localnet = 0',
  'net.ipv4.conf.eth0/100.rp_filter = 2', 'net.ipv4.conf.eth0/100.route_localnet = 1',
].join('\n');
const SS = [
  'udp UNCONN 0      0        0.0.0.0:67   0.0.0.0:*',
  'udp UNCONN 0      0           [::]:53      [::]:*',
  'udp UNCONN 0      0    127.0.0.53%lo:53   0.0.0.0:*',
  'tcp LISTEN 0      128    127.0.0.1:5353 0.0.0.0:*',
  'tcp LISTEN 0      128        [::1]:9000    [::]:*',
  'tcp LISTEN 0      128            *:8080       *:*',
  'tcp LISTEN 0      128 [fe80::1]%veth0:546    [::]:*',
].join('\n');

test('sysctl keys: the host\'s and each interface\'s, a dot in a name written as sysctl writes it', () => {
  assert.deepEqual(interfaceNames(ADDR), ['lo', 'veth0', 'eth0.100']);
  assert.deepEqual(interfaceNames('not json'), []);
  assert.deepEqual(sysctlKeys(['eth0.100']).slice(-2), ['net.ipv4.conf.eth0/100.rp_filter', 'net.ipv4.conf.eth0/100.route_localnet']);
});

test('listening sockets: * is both families, [::] IPv6 only, a device suffix dropped', () => {
  assert.deepEqual(socketsFromSs(SS), [
    { protocol: 'udp', port: 67, address: '0.0.0.0' },
    { protocol: 'udp', port: 53, address: '::' },
    { protocol: 'udp', port: 53, address: '127.0.0.53' },
    { protocol: 'tcp', port: 5353, address: '127.0.0.1' },
    { protocol: 'tcp', port: 9000, address: '::1' },
    { protocol: 'tcp', port: 8080, address: '0.0.0.0' },
    { protocol: 'tcp', port: 8080, address: '::' },
    { protocol: 'tcp', port: 546, address: 'fe80::1' },
  ]);
  assert.deepEqual(socketsFromSs('Netid State\ngarbage\n'), []);
});

test('the machine\'s host: interfaces, routes of both families, forwarding, rp_filter and route_localnet per device, sockets', () => {
  const { host, notes } = machineHost({ addresses: ADDR, routes4: ROUTES4, routes6: ROUTES6, sysctl: SYSCTL, sockets: SS });
  assert.deepEqual(notes, ['IPv4 forwarding is on and IPv6 forwarding off: the trace takes IPv4\'s for both']);
  assert.deepEqual(host.interfaces, [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'veth0', addresses: ['192.0.2.1/24', '2001:db8::1/64', 'fe80::c47e:b9ff:fe2c:4b44/64'], mac: 'c6:7e:b9:2c:4b:44', rpFilter: 1 },
    { name: 'eth0.100', addresses: ['10.1.0.1/24'], mac: 'c6:7e:b9:2c:4b:45', rpFilter: 2, routeLocalnet: true },
  ]);
  assert.deepEqual(host.routes, [{ to: 'default', dev: 'veth0', via: '192.0.2.254' }, { to: 'default6', dev: 'veth0', via: '2001:db8::fe' }]);
  assert.deepEqual([host.ipForward, host.rpFilter, host.routeLocalnet], [true, 0, false]);
  const parsed = parseHost(host);
  assert.deepEqual([...parsed.interfaces.keys()], ['lo', 'veth0', 'eth0.100']);
  assert.equal(parsed.sockets?.length, 8);
});

test('rp_filter and route_localnet per device, as the kernel applies them: the larger rp_filter of the device and all, route_localnet if either is on', () => {
  const rules = table('raw', '-A PREROUTING -j ACCEPT') + table('filter', '-A INPUT -j ACCEPT');
  const itf = (extra: object) => ({
    interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24'], ...extra }, { name: 'eth1', addresses: ['10.0.0.1/24'] }],
    routes: [{ to: 'default', via: '203.0.113.254' }],
  });
  const spoofed = 'tcp 10.0.0.5:40000 -> 203.0.113.1:22 in eth0';
  assert.equal(trace(rules, spoofed, { host: itf({}) }).fate, 'delivered');
  assert.match(trace(rules, spoofed, { host: itf({ rpFilter: 1 }) }).dropReason!, /reverse-path filter \(rp_filter=1\)/);
  assert.match(trace(rules, spoofed, { host: { ...itf({ rpFilter: 0 }), rpFilter: 1 } }).dropReason!, /rp_filter=1/);
  const dnat = table('nat', '-A PREROUTING -p tcp -j DNAT --to-destination 127.0.0.1') + rules;
  const toLocalhost = 'tcp 198.51.100.7:40000 -> 203.0.113.1:8080 in eth0';
  assert.match(trace(dnat, toLocalhost, { host: itf({}) }).dropReason!, /martian destination/);
  assert.equal(trace(dnat, toLocalhost, { host: itf({ routeLocalnet: true }) }).fate, 'delivered');
});
