// A piece: a set of packets (a cube of the input space) that has taken the same
// way so far, with what the way did to them: fields rewritten (to one value,
// or to an unknown one in a range), the kernel's per-packet state (conntrack
// entry, template, marks), the counters that moved and what was assumed.
import type { Family } from '../../knowledge';
import type { CtInfo } from '../conntrack';
import type { Skb } from '../context';
import type { Host } from '../host';
import { parsePacket, type Packet } from '../packet';
import { IntervalSet } from './intervals';
import type { AddressRegions } from './regions';
import { Cube, Dim, examplePoint, exampleValue, Point, pointJson, withDim } from './space';

/**
 * A field's value now, when it is no longer the packet's own: one value, or
 * one of a set (`random`: each of them, as ways picked at random led there).
 */
export type View = { kind: 'const'; value: bigint } | { kind: 'unknown'; within: IntervalSet; why: string; random?: true };

/** Whether two fields' views (or their absence) are the same. */
export function sameView(a: View | undefined, b: View | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind === 'const') return b.kind === 'const' && a.value === b.value;
  return b.kind === 'unknown' && a.within.equals(b.within);
}

/** An answer the analysis takes both ways, and why it cannot tell. */
export interface SymbolicAssumption {
  rule: string;
  criterion: string;
  assumed: 'match' | 'no match';
  reason: string;
  /**
   * uncertain: the concrete engine cannot tell either (a rate limit, a recent
   * list...); unmodelled: the concrete engine can, for each packet, but the
   * analysis does not split the set by what it looks at.
   */
  kind: 'uncertain' | 'unmodelled';
  /** A random match (`-m statistic --mode random`): how likely it matches. */
  probability?: number;
}

/** What the kernel keeps beside a packet on its way (the skb without the packet). */
export type SkbState = Omit<Skb, 'pkt'>;

export interface Piece {
  cube: Cube;
  views: Partial<Record<Dim, View>>;
  /** Fields that are not dimensions, as rewritten on the way (TTL, TOS, MSS...). */
  patch: Partial<Packet>;
  skb: SkbState;
  hits: string[];
  /** Counters of rules that only count or log, on an uncertain match. */
  maybeHits: string[];
  assumptions: SymbolicAssumption[];
  /** For packets of an established connection from the side that opened it: what its first packet met (walk.ts withOpeners). */
  opener?: Opener;
}

/**
 * What the first packet of a connection met, as the trace builds an
 * established connection (engine/index.ts declare): it got through, with the
 * fields NAT gave it; it was dropped (the connection is then taken as older
 * than the rules, without NAT); or the analysis cannot say.
 */
export type Opener = { kind: 'passed'; nat: Partial<Record<'src' | 'dst' | 'sport' | 'dport', bigint>> } | { kind: 'dropped' } | { kind: 'unknown'; reason: string };

/** The host and family the analysis runs for, and the host's address regions. */
export interface Setting {
  host: Host;
  family: Family;
  regions: AddressRegions;
}

export function newSkb(): SkbState {
  return { ct: { kind: 'none' }, ctTemplate: null, priority: 0, secmark: 0, traced: false, hotdrop: null, undetermined: {} };
}

function cloneCt(ct: CtInfo): CtInfo {
  if (ct.kind !== 'tracked') return ct;
  const c = ct.conn;
  return {
    ...ct,
    conn: { ...c, orig: { ...c.orig }, reply: { ...c.reply }, natDone: { ...c.natDone }, packets: [...c.packets], bytes: [...c.bytes] },
  };
}

export function cloneSkb(s: SkbState): SkbState {
  return { ...s, ct: cloneCt(s.ct), ctTemplate: s.ctTemplate && { ...s.ctTemplate }, undetermined: { ...s.undetermined } };
}

/**
 * The same way so far, for fewer packets. The kernel state is shared: every
 * change to it (conntrack, NAT, a target) is made on a copy (cloneSkb).
 */
export function narrowed(p: Piece, cube: Cube): Piece {
  return { ...p, cube };
}

/** Fields whose value changes nothing else in the packet the scenario reader builds (the addresses: but an ICMP error's quoted packet). */
const PLAIN_FIELDS: Partial<Record<Dim, keyof Packet>> = { sport: 'sourcePort', dport: 'destinationPort', flags: 'tcpFlags', mark: 'mark', src: 'source', dst: 'destination' };

export function withDimSet(p: Piece, dim: Dim, set: IntervalSet): Piece {
  const child = narrowed(p, withDim(p.cube, dim, set));
  // The parent's representative with one field changed is the child's: no need to build it again.
  const field = PLAIN_FIELDS[dim];
  const rep = REPRESENTATIVES.get(p);
  if (!field || !rep || p.views[dim]) return child;
  const address = dim === 'src' || dim === 'dst';
  if (address && rep.inner !== null) return child;
  const value = exampleValue(child.cube, dim, rep.family);
  REPRESENTATIVES.set(child, { ...rep, [field]: address ? value : Number(value) });
  return child;
}

/** The values a field has now over the piece. */
export function currentSet(p: Piece, dim: Dim): IntervalSet {
  const v = p.views[dim];
  if (!v) return p.cube[dim];
  return v.kind === 'const' ? IntervalSet.of(v.value) : v.within;
}

/** A member of the piece, as its fields are now. */
export function currentPoint(p: Piece, family: Family): Point {
  const point = examplePoint(p.cube, family);
  for (const [d, v] of Object.entries(p.views) as [Dim, View][]) point[d] = v.kind === 'const' ? v.value : v.within.min;
  return point;
}

const REPRESENTATIVES = new WeakMap<Piece, Packet>();

/**
 * The piece's representative packet as the concrete engine holds it now: an
 * example member, its rewritten fields, and the fields the way changed. Runs
 * of concrete code get a copy.
 */
export function representative(p: Piece, s: Setting): Packet {
  let rep = REPRESENTATIVES.get(p);
  if (!rep) {
    rep = parsePacket(pointJson(currentPoint(p, s.family), s.host, s.family), { host: s.host, family: s.family });
    Object.assign(rep, p.patch);
    REPRESENTATIVES.set(p, rep);
  }
  return rep;
}

/** Splits a piece by a set of a field's values now: the part inside, the part outside, and an undecided part with why. */
export function splitBy(p: Piece, dim: Dim, set: IntervalSet): { inside?: Piece; outside?: Piece; undecided?: { piece: Piece; why: string } } {
  const v = p.views[dim];
  if (v?.kind === 'const') return set.contains(v.value) ? { inside: p } : { outside: p };
  if (v?.kind === 'unknown') {
    if (v.within.subsetOf(set)) return { inside: p };
    if (!v.within.overlaps(set)) return { outside: p };
    return { undecided: { piece: p, why: v.why } };
  }
  const inside = p.cube[dim].intersect(set);
  if (inside.isEmpty) return { outside: p };
  if (inside === p.cube[dim] || inside.equals(p.cube[dim])) return { inside: p };
  return { inside: withDimSet(p, dim, inside), outside: withDimSet(p, dim, p.cube[dim].subtract(set)) };
}
