// Sets of packets in words: address sets as CIDR blocks, ports and protocols
// as ranges and names, a cube as "tcp to port 22 from 10.0.0.0/8 on eth1";
// and the host as the scenario's JSON, so an example is a whole scenario.
import type { Family } from '../../knowledge';
import { familyBits } from '../../knowledge/addresses';
import { protocolName } from '../../knowledge/vocabulary';
import { orList, t } from '../../l10n';
import { fateWord } from '../describe';
import { DEFAULT_HOST_JSON, type Host, parseHost } from '../host';
import { showAddress, type JsonObject } from '../json';
import { ICMP, ICMPV6, TCP_FLAG_BITS, TCP_FLAG_NAMES } from '../packet';
import type { Fate } from '../traverse';
import { IntervalSet } from './intervals';
import { allAddresses, CT_ESTABLISHED, CT_FIRST, CT_RELATED, CT_REPLY, CT_STATES, Cube, type Dim, interfaceAt, MAC_NONE } from './space';

/** An address set as the fewest CIDR blocks, each its first address and how many host bits it has. */
function cidrBlocks(set: IntervalSet, family: Family): [bigint, number][] {
  const bits = familyBits(family);
  const out: [bigint, number][] = [];
  for (const [lo, hi] of set.ranges()) {
    let at = lo;
    while (at <= hi) {
      // The largest block that starts at `at` (its trailing zero bits) and fits in what is left of the range.
      const aligned = at === 0n ? bits : (at & -at).toString(2).length - 1;
      const fits = (hi - at + 1n).toString(2).length - 1;
      const size = Math.min(aligned, fits, bits);
      out.push([at, size]);
      at += 1n << BigInt(size);
    }
  }
  return out;
}

function blockText([at, size]: [bigint, number], family: Family): string {
  return size === 0 ? showAddress(at, family) : `${showAddress(at, family)}/${familyBits(family) - size}`;
}

/** An address set as the fewest CIDR blocks (`0.0.0.0/0`, `10.0.0.0/8`, `203.0.113.1`). */
function cidrs(set: IntervalSet, family: Family): string[] {
  return cidrBlocks(set, family).map((b) => blockText(b, family));
}

/** At most `max` items, and how many more. */
function some(items: string[], max: number): string {
  return items.length <= max ? items.join(', ') : t('{0} and {1} more', items.slice(0, max).join(', '), items.length - max);
}

/** At most `max` blocks in words (only those are written out), and how many more. */
function someBlocks(blocks: [bigint, number][], family: Family, max: number): string {
  const shown = blocks.slice(0, max).map((b) => blockText(b, family));
  return blocks.length <= max ? shown.join(', ') : t('{0} and {1} more', shown.join(', '), blocks.length - max);
}

/** An address set in the fewest words: `anywhere`, CIDR blocks, or `anywhere but` the few blocks it lacks. */
export function addressWords(set: IntervalSet, family: Family, max = 4): string {
  const all = allAddresses(family);
  if (set.equals(all)) return t('anywhere');
  const blocks = cidrBlocks(set, family);
  if (blocks.length === 1) return blockText(blocks[0], family);
  const missing = cidrBlocks(all.subtract(set), family);
  // The smallest network holding the whole set, and what it holds that the set does not.
  const bits = BigInt(familyBits(family));
  let prefix = 0n;
  while (prefix < bits && set.min >> (bits - prefix - 1n) === set.max >> (bits - prefix - 1n)) prefix++;
  const hull = IntervalSet.range((set.min >> (bits - prefix)) << (bits - prefix), ((set.min >> (bits - prefix)) << (bits - prefix)) + (1n << (bits - prefix)) - 1n);
  const holes = cidrBlocks(hull.subtract(set), family);
  const best = Math.min(blocks.length, missing.length, holes.length + 1);
  if (best === blocks.length) return someBlocks(blocks, family, max);
  if (best === missing.length) return t('anywhere but {0}', someBlocks(missing, family, max));
  return t('{0} but {1}', cidrs(hull, family)[0], someBlocks(holes, family, max));
}

function rangeWords(set: IntervalSet, max = 6, name: (v: bigint) => string = String): string {
  return some([...set.ranges()].map(([a, b]) => (a === b ? name(a) : `${name(a)}-${name(b)}`)), max);
}

/** A field's value as iptables-save writes it: a mark in hex. */
export function valueText(d: Dim, v: bigint): string {
  return d === 'mark' && v !== 0n ? `0x${v.toString(16)}` : String(v);
}

/** Up to this many values a field may have are named one by one. */
const FEW_VALUES = 6n;

/**
 * What a field left open (a NAT pick, ways merged) may be, and why it is not
 * one value: `0 or 0x4000`, `10.0.0.1 or 10.0.0.2`, else `some value in
 * 1024-65535`; a random pick among ways (`random`) as `one of 3: ...`.
 */
export function openValueWords(d: Dim, within: IntervalSet, why: string, family: Family, random = false): string {
  const address = d === 'src' || d === 'dst';
  if (within.size <= FEW_VALUES) {
    const values = [...within.ranges()].flatMap(([a, b]) => Array.from({ length: Number(b - a) + 1 }, (_, i) => a + BigInt(i)));
    const texts = values.map((v) => (address ? showAddress(v, family) : valueText(d, v)));
    // A random pick: each value is one of the ways, `one of N`.
    if (random) return t('one of {0}: {1} ({2})', values.length, texts.join(', '), why);
    return t('{0} ({1})', orList(texts), why);
  }
  return address ? t('some address in {0} ({1})', addressWords(within, family), why) : t('some value in {0} ({1})', rangeWords(within, 6, (v) => valueText(d, v)), why);
}

export function interfaceWords(set: IntervalSet, host: Host): string {
  const names = [...set.ranges()].flatMap(([a, b]) => {
    const out: string[] = [];
    for (let i = a; i <= b; i++) out.push(interfaceAt(host, i) ?? t('this host'));
    return out;
  });
  return names.length === host.interfaces.size + 1 ? t('any interface or this host') : some(names, 5);
}

function flagWords(set: IntervalSet): string {
  const values = [...set.ranges()].flatMap(([a, b]) => Array.from({ length: Number(b - a) + 1 }, (_, i) => Number(a) + i));
  if (values.length === 256) return '';
  if (values.length > 3) return t(' with {0} combinations of flags', values.length);
  return ` ${orList(values.map((v) => TCP_FLAG_NAMES.filter((n) => v & TCP_FLAG_BITS[n]).join(',') || t('no flags')))}`;
}

function ctWord(v: bigint): string {
  if (v === CT_ESTABLISHED) return t('of an established connection (the opener\'s side)');
  if (v === CT_REPLY) return t('of an established connection (the answering side)');
  return v === CT_RELATED ? t('related to a connection') : t('opening a connection');
}

function ctWords(set: IntervalSet): string {
  if (set.contains(CT_ESTABLISHED) && set.contains(CT_REPLY)) {
    const rest = set.subtract(IntervalSet.range(CT_ESTABLISHED, CT_REPLY));
    return orList([t('of an established connection'), ...(rest.isEmpty ? [] : [ctWords(rest)])]);
  }
  return orList([...set.ranges()].flatMap(([a, b]) => Array.from({ length: Number(b - a) + 1 }, (_, i) => ctWord(a + BigInt(i)))));
}

/**
 * The packets of a cube in words: protocol, ports, where from and where to.
 * `known`: the protocol and destination port every packet in question has (left unsaid).
 */
export function cubeWords(c: Cube, host: Host, family: Family, known = false): string {
  const protos = c.proto;
  const proto = protos.isSingleton ? protocolName(Number(protos.min)) ?? String(protos.min) : protos.size > 200n ? t('any other protocol') : t('protocols {0}', rangeWords(protos));
  const parts = [proto];
  const allPorts = IntervalSet.range(0n, 65535n);
  if (protos.isSingleton && (Number(protos.min) === ICMP || Number(protos.min) === ICMPV6)) {
    if (!c.icmp.equals(IntervalSet.range(0n, 65535n))) parts.push(t('type {0}', rangeWords(c.icmp, 4, (v) => `${v >> 8n}/${v & 255n}`)));
  } else {
    if (!c.dport.equals(allPorts) && !(c.dport.isSingleton && c.dport.min === 0n && c.sport.isSingleton)) parts.push(t('to port {0}', rangeWords(c.dport)));
    if (!c.sport.equals(allPorts) && !(c.sport.isSingleton && c.sport.min === 0n)) parts.push(t('from port {0}', rangeWords(c.sport)));
  }
  if (protos.isSingleton && protos.min === 6n) {
    const f = flagWords(c.flags);
    if (f) parts[0] += f;
  }
  // Every state (rules without conntrack treat them alike) or first packets only: nothing to say.
  if (!(c.ct.isSingleton && c.ct.min === CT_FIRST) && !c.ct.equals(CT_STATES)) parts.push(ctWords(c.ct));
  if (known) parts.length = 0;
  parts.push(t('from {0}', addressWords(c.src, family)), t('to {0}', addressWords(c.dst, family)));
  const fromHost = c.in.isSingleton && c.in.min === 0n;
  parts.push(fromHost ? t('sent by this host') : t('on {0}', interfaceWords(c.in, host)));
  if (!c.mac.contains(MAC_NONE) && c.mac.size < 1n << 47n) parts.push(t('from MAC {0}', rangeWords(c.mac, 3, (v) => v.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:'))));
  if (!(c.mark.isSingleton && c.mark.min === 0n)) parts.push(t('mark {0}', rangeWords(c.mark, 6, (v) => valueText('mark', v))));
  return parts.join(' ');
}

/** A fate in words, with the interface a packet leaves by. */
export function fateOutWords(fate: Fate | 'unknown', outInterface: string | null): string {
  if (fate === 'unknown') return t('unknown');
  return (fate === 'forwarded' || fate === 'sent') && outInterface !== null ? t('{0} out {1}', fateWord(fate), outInterface) : fateWord(fate);
}

/** A cube's ends in words, for a table: where from, where to, and on which interface (or `this host`). */
export function cubeEnds(c: Cube, host: Host, family: Family): { from: string; to: string; on: string } {
  return { from: addressWords(c.src, family), to: addressWords(c.dst, family), on: interfaceWords(c.in, host) };
}

/** The host as the scenario's `host` JSON (undefined for the default host: a scenario leaves it out). */
export function hostJson(host: Host): JsonObject | undefined {
  const json: JsonObject = {
    interfaces: [...host.interfaces.values()].map((i) => ({
      name: i.name, addresses: i.addresses.map((a) => `${showAddress(a.address, a.family)}/${a.prefix}`), ...(i.mac ? { mac: i.mac } : {}), ...(i.group ? { group: i.group } : {}),
      ...(i.rpFilter ? { rpFilter: i.rpFilter } : {}), ...(i.routeLocalnet ? { routeLocalnet: true } : {}),
    })),
    routes: host.routes.filter((r) => !r.connected).map((r) => ({
      to: r.prefix === 0 ? (r.family === 'ipv6' ? 'default6' : 'default') : `${showAddress(r.network, r.family)}/${r.prefix}`,
      ...(r.dev ? { dev: r.dev } : {}), ...(r.via !== null ? { via: showAddress(r.via, r.family) } : {}), ...(r.type !== 'unicast' ? { type: r.type } : {}),
    })),
    ipForward: host.ipForward, rpFilter: host.rpFilter, routeLocalnet: host.routeLocalnet,
    ...(host.sockets ? { sockets: host.sockets.map((s) => ({ protocol: s.protocol === 6 ? 'tcp' : 'udp', port: s.port, ...(s.address !== null ? { address: showAddress(s.address, s.family) } : {}), ...(s.transparent ? { transparent: true } : {}) })) } : {}),
    ...(host.queues.length ? { queues: host.queues } : {}),
  };
  const text = (h: Host) => JSON.stringify(hostJsonOf(h), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return text(host) === text(parseHost(DEFAULT_HOST_JSON)) ? undefined : json;
}

/** What makes two hosts the same, for hostJson's comparison with the default. */
function hostJsonOf(host: Host): unknown {
  return [[...host.interfaces.values()].map((i) => [i.name, i.addresses.map((a) => `${a.address}/${a.prefix}`), i.mac, i.group, i.rpFilter, i.routeLocalnet]),
    host.routes.map((r) => [r.family, `${r.network}`, r.prefix, r.dev, `${r.via}`, r.type]), host.ipForward, host.rpFilter, host.routeLocalnet, host.sockets, host.queues];
}

