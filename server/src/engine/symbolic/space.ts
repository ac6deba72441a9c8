// The packet space the symbolic engine reasons about: a packet as the values of
// a few header fields and where it comes from (the dimensions), a set of
// packets as a box of value sets (a cube), and the way back from a cube to
// concrete packets: an example in the scenario's format, and random members.
// Every other field of the packet has the value the scenario reader gives it
// by default (TTL 64, no fragment, no payload, no IPv6 extension header...).
import type { Family } from '../../knowledge';
import { familyBits } from '../../knowledge/addresses';
import { protocolName } from '../../knowledge/vocabulary';
import { type Host, parseHost } from '../host';
import { ScenarioError, showAddress, type JsonObject } from '../json';
import { hasPorts, ICMP, ICMPV6, type Packet, parsePacket, TCP, TCP_FLAG_BITS, TCP_FLAG_NAMES } from '../packet';
import { IntervalSet } from './intervals';

/**
 * in: where the packet comes from (0: sent by this host, i: the host's i-th
 * interface); src, dst: addresses; proto: protocol number; sport, dport:
 * ports (0 for protocols without); flags: TCP flag bits; icmp: type * 256 +
 * code; mac: the sender's MAC address (MAC_NONE when there is none: sent by
 * the host or over lo); mark: the packet's mark as it enters; ct: where the
 * packet stands in a connection (CT_FIRST...).
 */
export const DIMS = ['in', 'src', 'dst', 'proto', 'sport', 'dport', 'flags', 'icmp', 'mac', 'mark', 'ct'] as const;
export type Dim = (typeof DIMS)[number];

export type Cube = Readonly<Record<Dim, IntervalSet>>;

/**
 * The `ct` dimension: a connection's first packet (conntrack decides what it
 * is), a packet of an established connection from the side that opened it or
 * from the side that answered, or one related to a connection. Other states a
 * scenario may declare are outside the space (CT_OTHER).
 */
export const CT_FIRST = 0n;
export const CT_ESTABLISHED = 1n;
export const CT_REPLY = 2n;
export const CT_RELATED = 3n;
const CT_OTHER = 4n;
/** Every state of the space: first packets and those of established and related connections. */
export const CT_STATES = IntervalSet.range(CT_FIRST, CT_RELATED);

export const MAC_NONE = 1n << 48n;
const MAC_ALL = IntervalSet.range(0n, MAC_NONE - 1n);

const ICMP_OF: Record<Family, number> = { ipv4: ICMP, ipv6: ICMPV6 };

export function allAddresses(family: Family): IntervalSet {
  return IntervalSet.range(0n, (1n << BigInt(familyBits(family))) - 1n);
}

/** The host's interfaces in the `in` dimension's order (index 0 is the host itself). */
export function interfaceNames(host: Host): string[] {
  return [...host.interfaces.keys()];
}

export function interfaceIndex(host: Host, name: string | null): bigint {
  return name === null ? 0n : BigInt(interfaceNames(host).indexOf(name) + 1);
}

export function interfaceAt(host: Host, index: bigint): string | null {
  return index === 0n ? null : interfaceNames(host)[Number(index) - 1];
}

export function withDim(c: Cube, dim: Dim, set: IntervalSet): Cube {
  return c[dim] === set ? c : { ...c, [dim]: set };
}

export function isEmptyCube(c: Cube): boolean {
  return DIMS.some((d) => c[d].isEmpty);
}

export function intersectCubes(a: Cube, b: Cube): Cube | undefined {
  const out = {} as Record<Dim, IntervalSet>;
  for (const d of DIMS) {
    out[d] = a[d].intersect(b[d]);
    if (out[d].isEmpty) return undefined;
  }
  return out;
}

/** a minus b, as disjoint cubes. */
export function subtractCube(a: Cube, b: Cube): Cube[] {
  if (!intersectCubes(a, b)) return [a];
  const out: Cube[] = [];
  let rest = a;
  for (const d of DIMS) {
    const outside = rest[d].subtract(b[d]);
    if (!outside.isEmpty) out.push(withDim(rest, d, outside));
    rest = withDim(rest, d, rest[d].intersect(b[d]));
  }
  return out;
}

/** Restrictions of the space: a dimension's values, each one or a list of ranges. */
export type SpaceLimits = Partial<Record<Dim, IntervalSet>>;

/**
 * Every packet of a family the scenario reader accepts, as disjoint cubes: one
 * per kind of header (TCP; other protocols with ports; ICMP; the rest), each
 * for packets sent by the host or over lo (no MAC) and packets from the
 * network (any MAC).
 */
export function wholeSpace(host: Host, family: Family, limits: SpaceLimits = {}): Cube[] {
  const icmp = ICMP_OF[family];
  const accepted = acceptedProtocols(family);
  const ported = accepted.filter((p) => hasPorts(p) && p !== TCP);
  const set = (ps: number[]) => IntervalSet.fromRanges(ps.map((p) => [BigInt(p), BigInt(p)]));
  const kinds: Partial<Record<Dim, IntervalSet>>[] = [
    { proto: IntervalSet.of(BigInt(TCP)), sport: IntervalSet.range(0n, 65535n), dport: IntervalSet.range(0n, 65535n), flags: IntervalSet.range(0n, 255n) },
    { proto: set(ported), sport: IntervalSet.range(0n, 65535n), dport: IntervalSet.range(0n, 65535n) },
    { proto: IntervalSet.of(BigInt(icmp)), icmp: IntervalSet.range(0n, 65535n) },
    { proto: set(accepted.filter((p) => p !== TCP && p !== icmp && !ported.includes(p))) },
  ];
  const zero = IntervalSet.of(0n);
  const lo = interfaceIndex(host, 'lo');
  const all = IntervalSet.range(0n, BigInt(host.interfaces.size));
  const origins: Partial<Record<Dim, IntervalSet>>[] = [
    { in: IntervalSet.fromRanges([[0n, 0n], [lo, lo]]), mac: IntervalSet.of(MAC_NONE) },
    { in: all.subtract(IntervalSet.fromRanges([[0n, 0n], [lo, lo]])), mac: MAC_ALL },
  ];
  // An established connection's packets: TCP acknowledgements and UDP datagrams, from either side.
  const established: Partial<Record<Dim, IntervalSet>>[] = [
    { ...kinds[0], flags: IntervalSet.of(BigInt(TCP_FLAG_BITS.ACK)), ct: IntervalSet.range(CT_ESTABLISHED, CT_REPLY) },
    { proto: IntervalSet.of(17n), sport: IntervalSet.range(0n, 65535n), dport: IntervalSet.range(0n, 65535n), ct: IntervalSet.range(CT_ESTABLISHED, CT_REPLY) },
  ];
  const states = limits.ct ?? IntervalSet.of(CT_FIRST);
  const shapes = [
    ...(states.contains(CT_FIRST) ? kinds.map((k) => ({ ...k, ct: IntervalSet.of(CT_FIRST) })) : []),
    ...(states.overlaps(IntervalSet.range(CT_ESTABLISHED, CT_REPLY)) ? established : []),
    ...(states.contains(CT_RELATED) ? kinds.map((k) => ({ ...k, ct: IntervalSet.of(CT_RELATED) })) : []),
  ];
  const out: Cube[] = [];
  for (const k of shapes) {
    for (const o of origins) {
      const c: Record<Dim, IntervalSet> = {
        in: o.in!, src: allAddresses(family), dst: allAddresses(family), proto: k.proto!, sport: k.sport ?? zero, dport: k.dport ?? zero,
        flags: k.flags ?? zero, icmp: k.icmp ?? zero, mac: o.mac!, mark: zero, ct: k.ct!,
      };
      for (const d of DIMS) if (limits[d]) c[d] = c[d].intersect(limits[d]!);
      if (!isEmptyCube(c)) out.push(c);
    }
  }
  return out;
}

const ACCEPTED = new Map<Family, number[]>();

/** The protocol numbers a packet of the family may carry, as the scenario reader takes them (not IPv6's extension headers...). */
function acceptedProtocols(family: Family): number[] {
  let out = ACCEPTED.get(family);
  if (!out) {
    const host = parseHost({});
    const [source, destination] = family === 'ipv4' ? ['192.0.2.1', '192.0.2.2'] : ['2001:db8::1', '2001:db8::2'];
    out = Array.from({ length: 255 }, (_, i) => i + 1).filter((protocol) => {
      try {
        parsePacket({ protocol, source, destination }, { host, family });
        return true;
      } catch (e) {
        if (e instanceof ScenarioError) return false;
        throw e;
      }
    });
    ACCEPTED.set(family, out);
  }
  return out;
}

// ---- from a cube back to packets ------------------------------------------------------------

/** One packet's values of the dimensions. */
export type Point = Record<Dim, bigint>;

/** Addresses and ports an example reads best with: documentation ranges, the usual client port. */
const NICE: Partial<Record<Dim, bigint[]>> = {
  sport: [40000n, 1024n],
  dport: [80n, 22n, 443n, 53n, 1024n],
  flags: [BigInt(TCP_FLAG_BITS.SYN), BigInt(TCP_FLAG_BITS.ACK)],
  icmp: [8n * 256n, 128n * 256n],
};

function niceAddress(set: IntervalSet, family: Family): bigint {
  const v4 = [0xc6336407n, 0xcb007107n, 0x0a000005n, 0xc0a80105n, 0xac100005n];
  const v6 = [0x20010db8ffff0000000000000000007n, 0xfd000000000000000000000000000005n];
  const preferred = family === 'ipv4' ? v4 : v6;
  const hit = preferred.find((p) => set.contains(p));
  if (hit !== undefined) return hit;
  // Not a network's first address where the set allows.
  const [lo, hi] = set.ranges().next().value!;
  return lo + (hi > lo + 4n ? 5n : 0n);
}

/** A member of the cube that reads well as an example (the class's representative). */
export function examplePoint(c: Cube, family: Family): Point {
  const p = {} as Point;
  for (const d of DIMS) p[d] = exampleValue(c, d, family);
  return p;
}

/** The example's value of one field. */
export function exampleValue(c: Cube, d: Dim, family: Family): bigint {
  return d === 'src' || d === 'dst' ? niceAddress(c[d], family) : examplePick(c, d);
}

/** The example's value of a field other than an address. */
export function examplePick(c: Cube, d: Dim): bigint {
  return c[d].pick(NICE[d]);
}

function macText(v: bigint): string {
  return v.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

/** A point as the scenario's packet JSON (what `iptables-trace --scenario` reads). */
export function pointJson(p: Point, host: Host, family: Family): JsonObject {
  const proto = Number(p.proto);
  const json: JsonObject = { inInterface: interfaceAt(host, p.in), protocol: protocolName(proto) ?? proto, source: showAddress(p.src, family), destination: showAddress(p.dst, family) };
  if (hasPorts(proto)) Object.assign(json, { sourcePort: Number(p.sport), destinationPort: Number(p.dport) });
  if (proto === TCP) json.tcpFlags = TCP_FLAG_NAMES.filter((n) => Number(p.flags) & TCP_FLAG_BITS[n]);
  if (proto === TCP && (json.tcpFlags as string[]).length === 0) json.tcpFlags = ['NONE'];
  if (proto === ICMP_OF[family]) Object.assign(json, { icmpType: Number(p.icmp >> 8n), icmpCode: Number(p.icmp & 255n) });
  if (p.mac !== MAC_NONE) json.sourceMac = macText(p.mac);
  if (p.mark !== 0n) json.mark = Number(p.mark);
  if (p.ct === CT_ESTABLISHED || p.ct === CT_REPLY) json.ctState = 'ESTABLISHED';
  if (p.ct === CT_REPLY) json.ctDirection = 'reply';
  if (p.ct === CT_RELATED) json.ctState = 'RELATED';
  return json;
}

function ctOf(p: Packet): bigint {
  if (p.ctState === null) return CT_FIRST;
  if (p.ctState === 'ESTABLISHED') return p.ctDirection === 'reply' ? CT_REPLY : CT_ESTABLISHED;
  return p.ctState === 'RELATED' ? CT_RELATED : CT_OTHER;
}

export function cubeContains(c: Cube, p: Point): boolean {
  return DIMS.every((d) => c[d].contains(p[d]));
}

/** A pseudo-random generator with a seed, so a failing draw can be drawn again. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBelow(n: bigint, random: () => number): bigint {
  // Enough random bits for 128-bit sizes, in 30-bit pieces.
  let v = 0n;
  for (let bits = 0n; (1n << bits) < n * 2n; bits += 30n) v = (v << 30n) | BigInt(Math.floor(random() * 2 ** 30));
  return v % n;
}

/**
 * A member drawn at random; with `corners`, each dimension takes one of its
 * ranges' ends (or the values next to them) half of the time.
 */
export function randomPoint(c: Cube, random: () => number, corners = false): Point {
  const p = {} as Point;
  for (const d of DIMS) {
    const set = c[d];
    if (corners && random() < 0.5) {
      const ranges = [...set.ranges()];
      const [lo, hi] = ranges[Math.floor(random() * ranges.length)];
      const options = [lo, hi, lo + 1n <= hi ? lo + 1n : lo, hi - 1n >= lo ? hi - 1n : hi];
      p[d] = options[Math.floor(random() * options.length)];
    } else p[d] = set.nth(randomBelow(set.size, random));
  }
  return p;
}

/** A packet's values of the dimensions (the inverse of pointJson for packets inside the space). */
export function pointOf(p: Packet, host: Host): Point {
  return {
    in: interfaceIndex(host, p.inInterface), src: p.source, dst: p.destination, proto: BigInt(p.protocol),
    sport: hasPorts(p.protocol) ? BigInt(p.sourcePort) : 0n, dport: hasPorts(p.protocol) ? BigInt(p.destinationPort) : 0n,
    flags: p.protocol === TCP ? BigInt(p.tcpFlags) : 0n, icmp: p.protocol === ICMP_OF[p.family] ? BigInt(p.icmpType * 256 + p.icmpCode) : 0n,
    mac: p.sourceMac === null ? MAC_NONE : BigInt(`0x${p.sourceMac.replace(/:/g, '')}`), mark: BigInt(p.mark), ct: ctOf(p),
  };
}

/** The space limited to one point: an analysis of exactly that packet. */
export function pointLimits(p: Point): SpaceLimits {
  return Object.fromEntries(DIMS.map((d) => [d, IntervalSet.of(p[d])]));
}
