// Network address translation as nf_nat does it: the binding the first packet
// of a connection gets (get_unique_tuple), the translation every later packet
// of the connection gets from that binding (nf_nat_packet), and the rewriting
// of ICMP errors about a translated connection, quoted header included.
import type { Family } from '../knowledge';
import { familyBits } from '../knowledge/addresses';
import { Connection, ConnectionTable, Direction, invertTuple, Tuple } from './conntrack';
import { addressWords, jhash2, rawWords, reciprocalScale } from './jhash';
import { showAddress } from './json';
import { hasPorts, ICMP, ICMPV6, Packet } from './packet';
import { t } from '../l10n';

export type Manip = 'src' | 'dst';

/** What a NAT target asks for (struct nf_nat_range2). */
export interface NatRange {
  addressFrom?: bigint;
  addressTo?: bigint;
  portFrom?: number;
  portTo?: number;
  /** --random / --random-fully: the port is chosen at random. */
  random: boolean;
  persistent: boolean;
}

/** A field the kernel chose at random: the packet shows the range instead of a value. */
export type Undetermined = Partial<Record<'sourcePort' | 'destinationPort', string>>;

export interface NatResult {
  changed: string[];
  undetermined: Undetermined;
}

function portOf(tgt: Tuple, manip: Manip): number {
  return manip === 'src' ? tgt.sport : tgt.dport;
}

function withPort(tgt: Tuple, manip: Manip, port: number): Tuple {
  return manip === 'src' ? { ...tgt, sport: port } : { ...tgt, dport: port };
}

function withAddress(tgt: Tuple, manip: Manip, a: bigint): Tuple {
  return manip === 'src' ? { ...tgt, src: a } : { ...tgt, dst: a };
}

/**
 * find_best_ips_proto: one address is taken as is; from a range the kernel
 * hashes the source address (seeded with the destination unless persistent),
 * so a client keeps its address. The hash covers the whole 16-byte address
 * union (an IPv4 address is followed by zeros), read by a little-endian CPU.
 */
function pickAddress(tgt: Tuple, family: Family, range: NatRange): bigint {
  const { addressFrom: min, addressTo: max } = range;
  if (min === undefined || max === undefined || min === max) return min!;
  const bits = familyBits(family) as 32 | 128;
  const srcWords = [...rawWords(tgt.src, bits), 0, 0, 0].slice(0, 4);
  const dstWords = rawWords(tgt.dst, bits);
  const minWords = addressWords(min, bits);
  const maxWords = addressWords(max, bits);
  const last = dstWords.length - 1;
  let j = jhash2(srcWords, range.persistent ? 0 : dstWords[last]);
  let full = false;
  let out = 0n;
  for (let i = 0; i <= last; i++) {
    const lo = full ? 0 : minWords[i];
    const dist = full ? 0xffffffff : (maxWords[i] - minWords[i] + 1) >>> 0;
    const word = (lo + reciprocalScale(j, dist)) >>> 0;
    if (word !== maxWords[i]) full = true;
    if (!range.persistent) j = (j ^ dstWords[i]) >>> 0;
    out = (out << 32n) | BigInt(word);
  }
  return out;
}

function inRange(tgt: Tuple, manip: Manip, range: NatRange, ports: boolean): boolean {
  const a = manip === 'src' ? tgt.src : tgt.dst;
  if (range.addressFrom !== undefined && (a < range.addressFrom || a > range.addressTo!)) return false;
  if (ports && range.portFrom !== undefined) {
    const p = portOf(tgt, manip);
    if (p < range.portFrom || p > range.portTo!) return false;
  }
  return true;
}

/**
 * nf_nat_setup_info for one manipulation of a new connection: the new tuple
 * (get_unique_tuple), the connection's reply tuple, and the packet rewritten.
 */
export function setupNat(table: ConnectionTable, conn: Connection, p: Packet, manip: Manip, range: NatRange): NatResult {
  const current = invertTuple(conn.reply, conn.family);
  const used = (tgt: Tuple) => table.replyInUse(invertTuple(tgt, conn.family), conn);
  const ports = hasPorts(current.protocol) || current.protocol === ICMP || current.protocol === ICMPV6;
  const undetermined: Undetermined = {};
  let tuple = current;
  // The original tuple is kept for a source manipulation if it is already in the range.
  const keep = manip === 'src' && !range.random && inRange(current, manip, range, ports) && !used(current);
  if (!keep) {
    if (range.addressFrom !== undefined) tuple = withAddress(tuple, manip, pickAddress(tuple, conn.family, range));
    const specified = range.portFrom !== undefined && ports;
    const portOk = specified ? inRange(tuple, manip, { ...range, addressFrom: undefined }, true) && (range.portFrom === range.portTo || !used(tuple)) : !used(tuple);
    if (range.random || !portOk) {
      tuple = choosePort(tuple, manip, range, specified, used, undetermined, current.protocol);
    }
  }
  conn.reply = invertTuple(tuple, conn.family);
  conn.natDone[manip] = true;
  const changedAny = manip === 'src' ? tuple.src !== current.src || tuple.sport !== current.sport : tuple.dst !== current.dst || tuple.dport !== current.dport;
  if (changedAny) conn[manip === 'src' ? 'srcNat' : 'dstNat'] = true;
  const changed = rewrite(p, manip, tuple);
  return { changed, undetermined };
}

/**
 * nf_nat_l4proto_unique_tuple: a destination port from a range starts at its
 * low end; a source port starts at a random offset, so its value is unknown.
 */
function choosePort(tgt: Tuple, manip: Manip, range: NatRange, specified: boolean, used: (tgt: Tuple) => boolean, undetermined: Undetermined, protocol: number): Tuple {
  if (!specified && manip === 'dst') return tgt;
  const port = portOf(tgt, manip);
  let min: number;
  let size: number;
  if (specified) {
    min = range.portFrom!;
    size = range.portTo! - range.portFrom! + 1;
  } else if (port < 1024) {
    [min, size] = port < 512 ? [1, 511] : [600, 424];
  } else {
    [min, size] = [1024, 64512];
  }
  if (manip === 'dst' && !range.random) {
    for (let off = 0; off < size; off++) {
      const candidate = withPort(tgt, manip, min + off);
      if (!used(candidate)) return candidate;
    }
    return withPort(tgt, manip, min);
  }
  if (hasPorts(protocol)) undetermined[manip === 'src' ? 'sourcePort' : 'destinationPort'] = t('chosen at random in {0}-{1}', min, min + size - 1);
  return withPort(tgt, manip, min);
}

function rewrite(p: Packet, manip: Manip, tgt: Tuple): string[] {
  const changed: string[] = [];
  const show = (a: bigint) => showAddress(a, p.family);
  const icmp = p.protocol === ICMP || p.protocol === ICMPV6;
  if (manip === 'src') {
    if (p.source !== tgt.src) changed.push(t('source {0} → {1}', show(p.source), show(tgt.src)));
    p.source = tgt.src;
    if (hasPorts(p.protocol) && p.sourcePort !== tgt.sport) { changed.push(t('source port {0} → {1}', p.sourcePort, tgt.sport)); p.sourcePort = tgt.sport; }
    if (icmp && p.icmpId !== tgt.sport && !p.inner) { changed.push(`ICMP id ${p.icmpId} → ${tgt.sport}`); p.icmpId = tgt.sport; }
  } else {
    if (p.destination !== tgt.dst) changed.push(t('destination {0} → {1}', show(p.destination), show(tgt.dst)));
    p.destination = tgt.dst;
    if (hasPorts(p.protocol) && p.destinationPort !== tgt.dport) { changed.push(t('destination port {0} → {1}', p.destinationPort, tgt.dport)); p.destinationPort = tgt.dport; }
  }
  return changed;
}

/**
 * nf_nat_packet: a packet of a connection whose NAT is decided is translated
 * from the binding. Originals get the new addresses; replies get the old ones
 * back (a reply's destination in PREROUTING undoes SNAT, its source in
 * POSTROUTING undoes DNAT).
 */
export function applyBinding(conn: Connection, dir: Direction, p: Packet, manip: Manip): string[] {
  const natted = dir === 'original' ? (manip === 'src' ? conn.srcNat : conn.dstNat) : (manip === 'src' ? conn.dstNat : conn.srcNat);
  if (!natted) return [];
  const target = invertTuple(dir === 'original' ? conn.reply : conn.orig, conn.family);
  return rewrite(p, manip, target);
}

/**
 * nf_nat_icmp_reply_translation: an ICMP error RELATED to a translated
 * connection has its quoted header translated with the other direction's
 * tuple, and its outer header made to look like a reply.
 */
export function translateIcmpError(conn: Connection, dir: Direction, p: Packet, manip: Manip): string[] {
  const natted = dir === 'original' ? (manip === 'src' ? conn.srcNat : conn.dstNat) : (manip === 'src' ? conn.dstNat : conn.srcNat);
  if (!natted || !p.inner) return [];
  const other = dir === 'original' ? conn.reply : conn.orig;
  const inner = p.inner;
  const show = (a: bigint) => showAddress(a, p.family);
  const changed: string[] = [];
  // The quoted packet travelled the other way: it gets the opposite manipulation.
  if (manip === 'dst') {
    if (inner.source !== other.src) changed.push(t('quoted source {0} → {1}', show(inner.source), show(other.src)));
    inner.source = other.src;
    if (hasPorts(inner.protocol)) inner.sourcePort = other.sport;
  } else {
    if (inner.destination !== other.dst) changed.push(t('quoted destination {0} → {1}', show(inner.destination), show(other.dst)));
    inner.destination = other.dst;
    if (hasPorts(inner.protocol)) inner.destinationPort = other.dport;
  }
  const outer = invertTuple(other, conn.family);
  if (manip === 'dst') {
    if (p.destination !== outer.dst) changed.push(t('destination {0} → {1}', show(p.destination), show(outer.dst)));
    p.destination = outer.dst;
  } else {
    if (p.source !== outer.src) changed.push(t('source {0} → {1}', show(p.source), show(outer.src)));
    p.source = outer.src;
  }
  return changed;
}
