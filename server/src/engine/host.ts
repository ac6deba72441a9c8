// The simulated host: interfaces, addresses, routes and sysctls, and the
// routing decisions the kernel makes with them (input and output routes,
// martians, address types, the source address a route prefers).
import type { Family } from '../knowledge';
import { familyBits, maskFromPrefix, parseMask } from '../knowledge/addresses';
import { PROTOCOLS } from '../knowledge/vocabulary';
import { Fields, ScenarioError, readAddress, readMac, showAddress } from './json';
import { t } from '../l10n';

export interface HostAddress {
  family: Family;
  address: bigint;
  prefix: number;
  mask: bigint;
  /** The first address of its subnet on the interface; later ones are secondary (`ip addr` semantics). */
  primary: boolean;
}

export interface Interface {
  name: string;
  addresses: HostAddress[];
  mac: string | null;
  /** Device group (`ip link set dev X group N`); 0 unless set. */
  group: number;
  loopback: boolean;
  /** The device's own net.ipv4.conf.DEV.rp_filter: the kernel applies the larger of it and the host's (`all`). */
  rpFilter: 0 | 1 | 2;
  /** The device's own route_localnet: on when it or the host's (`all`) is. */
  routeLocalnet: boolean;
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface Route {
  family: Family;
  network: bigint;
  mask: bigint;
  prefix: number;
  dev: string | null;
  via: bigint | null;
  type: RouteType;
  /** Added by the kernel for an interface address (`proto kernel scope link`). */
  connected: boolean;
}

export interface Socket {
  family: Family;
  protocol: number;
  port: number;
  /** null: bound to the wildcard address. */
  address: bigint | null;
  transparent: boolean;
}

export interface Host {
  interfaces: Map<string, Interface>;
  /** Connected routes first, then the configured ones; lookups take the longest prefix. */
  routes: Route[];
  ipForward: boolean;
  /** net.ipv4.conf.*.rp_filter: 0 off, 1 strict, 2 loose. */
  rpFilter: 0 | 1 | 2;
  routeLocalnet: boolean;
  /** Local sockets, for `-m socket` and TPROXY; null when the scenario does not say. */
  sockets: Socket[] | null;
  /** NFQUEUE numbers a user-space program listens on. */
  queues: number[];
}

const V4_LOOPBACK = 0x7f000000n;
const V4_LOOPBACK_MASK = 0xff000000n;
const V4_LIMITED_BROADCAST = 0xffffffffn;

export function isLoopbackAddress(family: Family, a: bigint): boolean {
  return family === 'ipv4' ? (a & V4_LOOPBACK_MASK) === V4_LOOPBACK : a === 1n;
}

export function isMulticast(family: Family, a: bigint): boolean {
  return family === 'ipv4' ? a >> 28n === 0xen : a >> 120n === 0xffn;
}

/** Since Linux 5.3 only 0.0.0.0 itself is special; the rest of 0.0.0.0/8 is ordinary unicast. */
function isZero(a: bigint): boolean {
  return a === 0n;
}

function inNet(a: bigint, network: bigint, mask: bigint): boolean {
  return (a & mask) === network;
}

// ---- the default host ------------------------------------------------------

/**
 * The router of ../shared/kernel: eth0 outside (203.0.113.1/24 plus the
 * secondary .9), eth1 inside (10.0.0.1/24), private networks via 10.0.0.2,
 * everything else via 203.0.113.254. The IPv6 addresses mirror it.
 */
export const DEFAULT_HOST_JSON = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', addresses: ['203.0.113.1/24', '203.0.113.9/24', '2001:db8:1::1/64', '2001:db8:1::9/64', 'fe80::ff:fe00:1/64'], mac: '02:00:00:00:00:01' },
    { name: 'eth1', addresses: ['10.0.0.1/24', 'fd00::1/64', 'fe80::ff:fe00:101/64'], mac: '02:00:00:00:01:01' },
  ],
  routes: [
    { to: '10.0.0.0/8', dev: 'eth1', via: '10.0.0.2' },
    { to: '172.16.0.0/12', dev: 'eth1', via: '10.0.0.2' },
    { to: '192.168.0.0/16', dev: 'eth1', via: '10.0.0.2' },
    { to: 'default', dev: 'eth0', via: '203.0.113.254' },
    { to: 'fd00::/8', dev: 'eth1', via: 'fd00::2' },
    { to: 'default6', dev: 'eth0', via: '2001:db8:1::fe' },
  ],
  ipForward: true,
};

export function defaultHost(): Host {
  return parseHost(DEFAULT_HOST_JSON);
}

// ---- reading a host description -----------------------------------------------

export function parseHost(json: unknown, path = 'host'): Host {
  const f: Fields = Fields.of(path, json);
  f.only(['interfaces', 'routes', 'ipForward', 'rpFilter', 'routeLocalnet', 'sockets', 'queues']);
  const interfaces = new Map<string, Interface>();
  for (const [i, item] of (f.array('interfaces') ?? []).entries()) {
    const itf = parseInterface(Fields.of(`${f.at('interfaces')}[${i}]`, item));
    if (interfaces.has(itf.name)) throw new ScenarioError(`${f.at('interfaces')}[${i}].name`, t('interface "{0}" is listed twice', itf.name));
    interfaces.set(itf.name, itf);
  }
  // Every Linux host has a loopback interface.
  if (!interfaces.has('lo')) interfaces.set('lo', parseInterface(Fields.of('lo', DEFAULT_HOST_JSON.interfaces[0])));
  interfaces.get('lo')!.loopback = true;
  const routes: Route[] = [];
  for (const itf of interfaces.values()) {
    for (const a of itf.addresses) {
      if (a.primary && !itf.loopback) {
        routes.push({ family: a.family, network: a.address & a.mask, mask: a.mask, prefix: a.prefix, dev: itf.name, via: null, type: 'unicast', connected: true });
      }
    }
  }
  for (const [i, item] of (f.array('routes') ?? []).entries()) routes.push(parseRoute(Fields.of(`${f.at('routes')}[${i}]`, item), interfaces, routes));
  const rp = f.int('rpFilter', 0, 2) ?? 0;
  const sockets = f.array('sockets')?.map((s, i) => parseSocket(Fields.of(`${f.at('sockets')}[${i}]`, s))) ?? null;
  const queues = (f.array('queues') ?? []).map((q, i) => {
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > 65535) throw new ScenarioError(`${f.at('queues')}[${i}]`, t('expected a queue number 0-65535'));
    return q;
  });
  return {
    interfaces, routes, ipForward: f.boolean('ipForward') ?? true, rpFilter: rp as 0 | 1 | 2,
    routeLocalnet: f.boolean('routeLocalnet') ?? false, sockets, queues,
  };
}

function parseInterface(f: Fields): Interface {
  f.only(['name', 'addresses', 'mac', 'group', 'rpFilter', 'routeLocalnet']);
  const name = f.string('name');
  if (!name || name.length > 15 || /[\s/]/.test(name)) f.fail('name', t('expected an interface name of 1-15 characters without spaces or "/"'));
  const addresses: HostAddress[] = [];
  for (const [i, text] of (f.array('addresses') ?? []).entries()) {
    const at = `${f.at('addresses')}[${i}]`;
    if (typeof text !== 'string') throw new ScenarioError(at, t('expected "address/prefix" such as "203.0.113.1/24"'));
    const [addr, len] = text.split('/');
    const a = readAddress(at, addr);
    const bits = familyBits(a.family);
    const prefix = len === undefined ? bits : Number(len);
    if (!/^\d+$/.test(len ?? String(bits)) || prefix > bits) throw new ScenarioError(at, t('"{0}" is not a prefix length 0-{1}', len, bits));
    const mask = maskFromPrefix(prefix, a.family);
    const primary = !addresses.some((o) => o.family === a.family && o.prefix === prefix && o.primary && inNet(a.address, o.address & o.mask, mask));
    addresses.push({ family: a.family, address: a.address, prefix, mask, primary });
  }
  const mac = f.string('mac');
  return {
    name: name!, addresses, mac: mac === undefined ? null : readMac(f.at('mac'), mac), group: f.int('group', 0, 0xffffffff) ?? 0, loopback: name === 'lo',
    rpFilter: (f.int('rpFilter', 0, 2) ?? 0) as 0 | 1 | 2, routeLocalnet: f.boolean('routeLocalnet') ?? false,
  };
}

function parseRoute(f: Fields, interfaces: Map<string, Interface>, sofar: Route[]): Route {
  f.only(['to', 'dev', 'via', 'type']);
  const to = f.string('to');
  if (!to) f.fail('to', t('expected a destination such as "10.0.0.0/8" or "default"'));
  const via = f.string('via');
  const viaAddr = via === undefined ? undefined : readAddress(f.at('via'), via);
  let family: Family;
  let network: bigint;
  let prefix: number;
  if (to === 'default' || to === 'default6') {
    family = to === 'default6' ? 'ipv6' : viaAddr?.family ?? 'ipv4';
    network = 0n;
    prefix = 0;
  } else {
    const [addr, len] = to.split('/');
    const a = readAddress(f.at('to'), addr);
    family = a.family;
    const m = len === undefined ? maskFromPrefix(familyBits(family), family) : parseMask(len, family);
    if (m === undefined) f.fail('to', t('"{0}" is not a prefix length', len));
    prefix = len === undefined ? familyBits(family) : Number(len);
    network = a.address & m;
  }
  if (viaAddr && viaAddr.family !== family) f.fail('via', t('the gateway is {0} but the destination is not', viaAddr.family === 'ipv4' ? 'IPv4' : 'IPv6'));
  const type = f.oneOf('type', ['unicast', 'blackhole', 'unreachable', 'prohibit'] as const) ?? 'unicast';
  let dev = f.string('dev') ?? null;
  if (dev !== null && !interfaces.has(dev)) f.fail('dev', t('the host has no interface "{0}" (it has {1})', dev, [...interfaces.keys()].join(', ')));
  if (type === 'unicast' && dev === null) {
    // `ip route add X via G` finds the device from the route to the gateway.
    const r = viaAddr && longestMatch(sofar, family, viaAddr.address, null);
    if (!r?.dev) f.fail(viaAddr ? 'via' : 'dev', viaAddr ? t('no interface reaches the gateway {0}: give "dev"', via) : t('give "dev" or "via"'));
    dev = r.dev;
  }
  return { family, network, mask: maskFromPrefix(prefix, family), prefix, dev, via: viaAddr?.address ?? null, type, connected: false };
}

function parseSocket(f: Fields): Socket {
  f.only(['protocol', 'port', 'address', 'transparent']);
  const proto = f.oneOf('protocol', ['tcp', 'udp'] as const) ?? 'tcp';
  const port = f.int('port', 0, 65535);
  if (port === undefined) f.fail('port', t('expected the port the socket is bound to'));
  const text = f.string('address');
  const a = text === undefined || text === '0.0.0.0' || text === '::' ? undefined : readAddress(f.at('address'), text);
  const family: Family = a?.family ?? (text === '::' ? 'ipv6' : 'ipv4');
  return { family, protocol: PROTOCOLS.get(proto)!, port, address: a?.address ?? null, transparent: f.boolean('transparent') ?? false };
}

// ---- address facts -------------------------------------------------------------

function addressesOf(host: Host, family: Family): Iterable<[Interface, HostAddress]> {
  const out: [Interface, HostAddress][] = [];
  for (const itf of host.interfaces.values()) for (const a of itf.addresses) if (a.family === family) out.push([itf, a]);
  return out;
}

/** The interface holding a local address (127/8 belongs to lo), if the address is local. */
export function localOwner(host: Host, family: Family, a: bigint): Interface | undefined {
  if (family === 'ipv4' && isLoopbackAddress(family, a)) return host.interfaces.get('lo');
  for (const [itf, ha] of addressesOf(host, family)) if (ha.address === a) return itf;
  return undefined;
}

/** fe80::/10: valid on one link only, so routed and owned per interface. */
export function isLinkLocal(a: bigint): boolean {
  return a >> 118n === 0x3fan;
}

/** The scope of an IPv6 address (RFC 4291): a multicast group's scope field; 2 link-local, 1 loopback, 14 global. */
export function scope6(a: bigint): number {
  if (isMulticast('ipv6', a)) return Number((a >> 112n) & 0xfn);
  return isLinkLocal(a) ? 2 : a === 1n ? 1 : 14;
}

/**
 * The subnet-router anycast addresses a router has (RFC 4291 2.6.1): the
 * prefix of each of its IPv6 addresses with the interface id all zeros. The
 * kernel adds them while forwarding is on.
 */
export function anycastOwner(host: Host, a: bigint, dev?: Interface): Interface | undefined {
  if (!host.ipForward || a === 0n) return undefined;
  for (const [itf, ha] of addressesOf(host, 'ipv6')) {
    if (!itf.loopback && (!dev || itf === dev) && ha.prefix < 127 && (ha.address & ha.mask) === a) return itf;
  }
  return undefined;
}

/**
 * Is an IPv6 destination this host's own, for a packet that arrived on
 * `inDev` (null: sent by the host)? A link-local address counts only on its
 * own link; one looped back through lo was routed when it was sent.
 */
function isLocal6(host: Host, dst: bigint, inDev: Interface | null): boolean {
  const owner = localOwner(host, 'ipv6', dst);
  if (!isLinkLocal(dst) || !inDev || inDev.loopback) return owner !== undefined || anycastOwner(host, dst) !== undefined;
  return owner === inDev || anycastOwner(host, dst, inDev) !== undefined;
}

const SOLICITED_NODE = 0xff0200000000000000000001ff000000n;

/**
 * The multicast groups an interface has joined: all-nodes (interface and
 * link-local), all-routers (interface, link and site-local) while
 * forwarding, and the solicited-node group of each of its addresses, anycast
 * ones included (not on lo).
 */
export function joinedGroup(host: Host, itf: Interface, group: bigint): boolean {
  const head = group >> 112n;
  const id = group & ((1n << 112n) - 1n);
  if (id === 1n) return head === 0xff01n || head === 0xff02n;
  if (id === 2n) return host.ipForward && !itf.loopback && (head === 0xff01n || head === 0xff02n || head === 0xff05n);
  if ((group & ~0xffffffn) !== SOLICITED_NODE || itf.loopback) return false;
  const solicited = (a: bigint) => ((a & 0xffffffn) | SOLICITED_NODE) === group;
  return itf.addresses.some((a) => a.family === 'ipv6' && (solicited(a.address) || (host.ipForward && a.prefix < 127 && solicited(a.address & a.mask))));
}

/** Subnet broadcast addresses of the interfaces (IPv4, prefixes up to /30). */
function broadcastOwner(host: Host, a: bigint): Interface | undefined {
  for (const [itf, ha] of addressesOf(host, 'ipv4')) {
    if (ha.prefix < 31 && !itf.loopback && (ha.address | (~ha.mask & 0xffffffffn)) === a) return itf;
  }
  return undefined;
}

export type AddressType = 'UNSPEC' | 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'ANYCAST' | 'MULTICAST' | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT';

/**
 * The route type of an IPv4 address as `-m addrtype` sees it: only the local
 * routing table is consulted, so an address without a local route is
 * UNICAST (routable or not); 0.0.0.0 and 255.255.255.255 are BROADCAST.
 * With `dev`, a local or broadcast route of another device counts as UNICAST.
 */
export function addressTypeV4(host: Host, a: bigint, dev: Interface | null): AddressType {
  if (isZero(a) || a === V4_LIMITED_BROADCAST) return 'BROADCAST';
  if (isMulticast('ipv4', a)) return 'MULTICAST';
  const local = localOwner(host, 'ipv4', a);
  if (local) return !dev || dev === local ? 'LOCAL' : 'UNICAST';
  const brd = broadcastOwner(host, a);
  if (brd) return !dev || dev === brd ? 'BROADCAST' : 'UNICAST';
  return 'UNICAST';
}

/** The main-table route with the longest prefix (first configured wins a tie). */
function longestMatch(routes: readonly Route[], family: Family, dst: bigint, dev: string | null): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if (r.family !== family || (dev !== null && r.dev !== dev) || !inNet(dst, r.network, r.mask)) continue;
    if (!best || r.prefix > best.prefix) best = r;
  }
  return best;
}

export function lookupRoute(host: Host, family: Family, dst: bigint, dev: string | null = null): Route | undefined {
  return longestMatch(host.routes, family, dst, dev);
}

/**
 * The source address the kernel picks for a route: IPv4 (inet_select_addr) a
 * primary address of the device in the gateway's subnet, else its first
 * primary one; IPv6 by the rules of RFC 6724 toward the destination.
 */
export function preferredSource(host: Host, family: Family, dev: string, toward: bigint): bigint | undefined {
  const itf = host.interfaces.get(dev);
  if (family === 'ipv6') return itf && selectSource6(itf, toward);
  const mine = itf?.addresses.filter((a) => a.family === family && a.primary) ?? [];
  return (mine.find((a) => inNet(toward, a.address & a.mask, a.mask)) ?? mine[0])?.address;
}

/** An interface's IPv6 addresses in the kernel's list order: wider scope first, then as configured. */
function addresses6(itf: Interface): HostAddress[] {
  return itf.addresses.filter((a) => a.family === 'ipv6').sort((a, b) => scope6(b.address) - scope6(a.address));
}

/** The first address of an interface's list, as REDIRECT uses (IPv4: the first primary one). */
export function primaryAddress(itf: Interface, family: Family): bigint | undefined {
  if (family === 'ipv6') return addresses6(itf)[0]?.address;
  return itf.addresses.find((a) => a.family === family && a.primary)?.address;
}

/** The default policy table's labels (RFC 6724 2.1, as Linux has it), longest prefix first. */
const LABELS: readonly [bigint, number, number][] = [
  [1n, 128, 0], [0xffffn << 32n, 96, 4], [0n, 96, 3], [0x200100100n << 92n, 28, 7], [0x20010000n << 96n, 32, 6],
  [0x2002n << 112n, 16, 2], [0x3ffen << 112n, 16, 12], [0xfec0n << 112n, 10, 11], [0xfcn << 120n, 7, 5], [0n, 0, 1],
];

function label6(a: bigint): number {
  return LABELS.find(([net, len]) => (a & maskFromPrefix(len, 'ipv6')) === net)![2];
}

function commonPrefix(a: bigint, b: bigint): number {
  let n = 0;
  while (n < 128 && ((a >> BigInt(127 - n)) & 1n) === ((b >> BigInt(127 - n)) & 1n)) n++;
  return n;
}

/** RFC 6724 source selection among an interface's addresses: same address, scope, label, longest common prefix; the list order breaks ties. */
function selectSource6(itf: Interface, dst: bigint): bigint | undefined {
  const want = scope6(dst);
  const better = (a: HostAddress, b: HostAddress): boolean => {
    if ((a.address === dst) !== (b.address === dst)) return a.address === dst;
    const sa = scope6(a.address);
    const sb = scope6(b.address);
    if (sa !== sb) return sa < sb ? sa >= want : sb < want;
    const la = label6(a.address) === label6(dst);
    if (la !== (label6(b.address) === label6(dst))) return la;
    return Math.min(commonPrefix(a.address, dst), a.prefix) > Math.min(commonPrefix(b.address, dst), b.prefix);
  };
  let best: HostAddress | undefined;
  for (const a of addresses6(itf)) if (!best || better(a, best)) best = a;
  return best?.address;
}

// ---- routing decisions -------------------------------------------------------

export type InputRoute =
  | { kind: 'local'; broadcast: boolean }
  | { kind: 'forward'; dev: string; nextHop: bigint }
  | { kind: 'drop'; reason: string; icmp?: string };

/**
 * ip_route_input for a packet that arrived on `inDev` (after PREROUTING):
 * martians first, then local, broadcast, or forwarded by the longest route.
 */
export function routeInput(host: Host, family: Family, src: bigint, dst: bigint, inDev: Interface): InputRoute {
  const show = (a: bigint) => showAddress(a, family);
  if (family === 'ipv4') {
    if (isMulticast(family, src) || src === V4_LIMITED_BROADCAST) return { kind: 'drop', reason: t('martian source {0} (multicast or broadcast)', show(src)) };
    if (dst === V4_LIMITED_BROADCAST) return { kind: 'local', broadcast: true };
    if (isZero(src)) return { kind: 'drop', reason: t('martian source 0.0.0.0 (only a broadcast may come from it)') };
    if (isZero(dst)) return { kind: 'drop', reason: t('martian destination 0.0.0.0') };
    if (!inDev.loopback && !host.routeLocalnet && !inDev.routeLocalnet) {
      if (isLoopbackAddress(family, dst)) return { kind: 'drop', reason: t('martian destination {0}: 127.0.0.0/8 arriving on {1} (route_localnet=0)', show(dst), inDev.name) };
      if (isLoopbackAddress(family, src)) return { kind: 'drop', reason: t('martian source {0}: 127.0.0.0/8 arriving on {1} (route_localnet=0)', show(src), inDev.name) };
    }
    if (isMulticast(family, dst)) {
      // Every host is in the all-hosts group; no other membership is modelled.
      return dst === 0xe0000001n ? { kind: 'local', broadcast: true } : { kind: 'drop', reason: t('{0}: this host has joined no such multicast group', show(dst)) };
    }
  } else {
    if (isMulticast(family, dst)) {
      return joinedGroup(host, inDev, dst) ? { kind: 'local', broadcast: true } : { kind: 'drop', reason: t('{0}: {1} has joined no such multicast group', show(dst), inDev.name) };
    }
    if (isLocal6(host, dst, inDev)) return { kind: 'local', broadcast: false };
  }
  const martianSource = validateSource(host, family, src, inDev);
  if (family === 'ipv4' && localOwner(host, family, dst)) return martianSource ?? { kind: 'local', broadcast: false };
  if (family === 'ipv4' && broadcastOwner(host, dst)) return martianSource ?? { kind: 'local', broadcast: true };
  // ip_error answers routing failures only on a router: with forwarding off it drops silently.
  if (!host.ipForward) return { kind: 'drop', reason: t('{0} is not local and forwarding is off ({1}=0)', show(dst), family === 'ipv4' ? 'ip_forward' : 'net.ipv6.conf.all.forwarding') };
  // A link-local destination is looked up on the link it came from only.
  const route = lookupRoute(host, family, dst, family === 'ipv6' && isLinkLocal(dst) ? inDev.name : null);
  if (!route) return { kind: 'drop', reason: t('no route to {0}', show(dst)), icmp: family === 'ipv4' ? 'icmp-net-unreachable' : 'icmp6-no-route' };
  if (route.type !== 'unicast') return routeTypeDrop(route, show(dst));
  return martianSource ?? { kind: 'forward', dev: route.dev!, nextHop: route.via ?? dst };
}

function routeTypeDrop(route: Route, dst: string): InputRoute {
  if (route.type === 'blackhole') return { kind: 'drop', reason: t('{0} is routed to a blackhole', dst) };
  const v4 = route.family === 'ipv4';
  return route.type === 'unreachable'
    ? { kind: 'drop', reason: t('{0} has an unreachable route', dst), icmp: v4 ? 'icmp-host-unreachable' : 'icmp6-addr-unreachable' }
    : { kind: 'drop', reason: t('{0} has a prohibit route', dst), icmp: v4 ? 'icmp-admin-prohibited' : 'icmp6-adm-prohibited' };
}

/**
 * fib_validate_source: with rp_filter off an IPv4 packet from outside may not
 * carry one of this host's addresses as its source; strict mode also wants the
 * reply routed back out the interface it came in on, loose mode any route.
 */
function validateSource(host: Host, family: Family, src: bigint, inDev: Interface): InputRoute | undefined {
  if (family !== 'ipv4' || inDev.loopback) return undefined;
  if (localOwner(host, family, src)) return { kind: 'drop', reason: t('martian source {0}: a packet from outside with this host\'s own address', showAddress(src, family)) };
  const rpFilter = Math.max(host.rpFilter, inDev.rpFilter);
  if (rpFilter === 0) return undefined;
  const back = lookupRoute(host, family, src);
  const ok = back && back.type === 'unicast' && (rpFilter === 2 || back.dev === inDev.name);
  return ok ? undefined : { kind: 'drop', reason: t('reverse-path filter (rp_filter={0}): replies to {1} would not leave by {2}', rpFilter, showAddress(src, family), inDev.name) };
}

export type OutputRoute =
  | { kind: 'local' }
  | { kind: 'out'; dev: string; nextHop: bigint; source: bigint | undefined }
  | { kind: 'drop'; reason: string; errno: string };

/** ip_route_output for a locally generated packet; `oif` is a socket's bound device. */
export function routeOutput(host: Host, family: Family, dst: bigint, oif: string | null): OutputRoute {
  if (family === 'ipv6') {
    const linkScope = isMulticast(family, dst) ? scope6(dst) <= 2 : isLinkLocal(dst);
    if (linkScope && !oif) return { kind: 'drop', reason: t('{0} is valid on one link only: the socket must name the interface', showAddress(dst, family)), errno: 'EINVAL' };
    if (isLocal6(host, dst, oif === null ? null : host.interfaces.get(oif) ?? null)) return { kind: 'local' };
    if (isMulticast(family, dst) && oif) return { kind: 'out', dev: oif, nextHop: dst, source: preferredSource(host, family, oif, dst) };
  } else if (localOwner(host, family, dst)) return { kind: 'local' };
  if (family === 'ipv4' && dst === V4_LIMITED_BROADCAST && !oif) return { kind: 'drop', reason: t('a broadcast needs SO_BROADCAST and a bound device'), errno: 'EACCES' };
  const route = lookupRoute(host, family, dst, oif);
  // Bound to a device no route uses: the kernel assumes the destination is on that link.
  if (!route && oif) return { kind: 'out', dev: oif, nextHop: dst, source: preferredSource(host, family, oif, dst) };
  if (!route) return { kind: 'drop', reason: t('no route to {0}', showAddress(dst, family)), errno: 'ENETUNREACH' };
  if (route.type !== 'unicast') {
    const errno = route.type === 'blackhole' ? 'EINVAL' : route.type === 'prohibit' ? 'EACCES' : 'EHOSTUNREACH';
    return { kind: 'drop', reason: t('{0} has a {1} route', showAddress(dst, family), route.type), errno };
  }
  const nextHop = route.via ?? dst;
  return { kind: 'out', dev: route.dev!, nextHop, source: preferredSource(host, family, route.dev!, family === 'ipv6' ? dst : nextHop) };
}

/**
 * The rpfilter match: would the reverse route (source as destination, from
 * loopback) leave by the incoming interface?
 */
export function reversePathOk(host: Host, family: Family, src: bigint, inDev: Interface, loose: boolean, acceptLocal: boolean): boolean {
  // IPv6 (rpfilter_lookup_reverse6): a local route is enough with --accept-local, an anycast one never.
  if (family === 'ipv6' && localOwner(host, family, src)) return acceptLocal;
  if (family === 'ipv6' && anycastOwner(host, src)) return false;
  if (localOwner(host, family, src)) return acceptLocal && (loose || localOwner(host, family, src) === inDev);
  const r = lookupRoute(host, family, src);
  if (!r || r.type !== 'unicast') return false;
  return loose || r.dev === inDev.name;
}

export function findInterface(host: Host, path: string, name: string): Interface {
  const itf = host.interfaces.get(name);
  if (!itf) throw new ScenarioError(path, t('the host has no interface "{0}" (it has {1})', name, [...host.interfaces.keys()].join(', ')));
  return itf;
}

