// The concrete engine's own code run on a set of packets: a match, a target or
// conntrack is run on the piece's representative while every packet field it
// reads is recorded. When it read only fields that have one value over the
// piece, its answer holds for every packet of the piece. When it read a field
// with few values (a protocol, TCP flags, an ICMP type, an interface), the
// piece is split by that field's values and each part run again. A field
// with many values (an address, a port, a MAC) it cannot split by: the
// answer is then "the analysis cannot tell", never a guess.
import { t } from '../../l10n';
import type { Packet } from '../packet';
import { IntervalSet } from './intervals';
import { Piece, representative, Setting, withDimSet } from './piece';
import type { Dim } from './space';

/** What a packet field depends on: a dimension, or the ICMP dimension's type or code byte. */
export type Source = Dim | 'icmpType' | 'icmpCode';

const FIELD_SOURCES: Readonly<Record<string, readonly Source[]>> = {
  inInterface: ['in'], source: ['src'], destination: ['dst'], protocol: ['proto'], sourcePort: ['sport'], destinationPort: ['dport'],
  tcpFlags: ['flags'], icmpType: ['icmpType'], icmpCode: ['icmpCode'], sourceMac: ['mac'], mark: ['mark'], ctState: ['ct'], ctDirection: ['ct'],
  // Derived from the header kind: the length from the protocol, an ICMP error's quoted header from the addresses.
  length: ['proto', 'icmpType'], inner: ['proto', 'icmpType', 'src', 'dst'],
};

/** What depends on a field, in words. */
function dependsOn(what: string, d: Dim): string {
  switch (d) {
    case 'in': return t('{0} depends on the incoming interface', what);
    case 'src': return t('{0} depends on the source address', what);
    case 'dst': return t('{0} depends on the destination address', what);
    case 'proto': return t('{0} depends on the protocol', what);
    case 'sport': return t('{0} depends on the source port', what);
    case 'dport': return t('{0} depends on the destination port', what);
    case 'flags': return t('{0} depends on the TCP flags', what);
    case 'icmp': return t('{0} depends on the ICMP type and code', what);
    case 'mac': return t('{0} depends on the source MAC address', what);
    case 'mark': return t('{0} depends on the mark', what);
    case 'ct': return t('{0} depends on where the packet stands in its connection', what);
  }
}

/** Values of a field the analysis tries one by one before it gives up on splitting by it. */
const ENUMERATE_AT_MOST = 256;

/** Records which fields of the packet are read. */
export class Reads {
  readonly sources = new Set<Source>();

  packet(p: Packet): Packet {
    const sources = this.sources;
    return new Proxy(p, {
      get(target, key, receiver) {
        for (const s of FIELD_SOURCES[key as string] ?? []) sources.add(s);
        return Reflect.get(target, key, receiver);
      },
    });
  }

  /** Reading the connection's tuples reads the addresses and ports they were made of. */
  note(...s: Source[]): void {
    for (const x of s) this.sources.add(x);
  }

  private readonly ends: (() => void)[] = [];

  /** Something to undo when the run is over (a wrapper put around kernel state). */
  onEnd(f: () => void): void {
    this.ends.push(f);
  }

  end(): void {
    for (const f of this.ends.splice(0)) f();
  }
}

/** An answer for a part of the piece; `varies`: asked not to split, it holds for the representative only. */
export type Answer<T> = { piece: Piece; value: T; varies?: boolean } | { piece: Piece; unmodelled: string };

function dimOf(s: Source): Dim {
  return s === 'icmpType' || s === 'icmpCode' ? 'icmp' : s;
}

/** The parts of a field's values the run is tried on, each with one value of what was read. */
function parts(set: IntervalSet, s: Source): IntervalSet[] | undefined {
  if (s === 'icmpType') {
    const types: IntervalSet[] = [];
    for (let t = set.min >> 8n; t <= set.max >> 8n; t++) {
      const part = set.intersect(IntervalSet.range(t << 8n, (t << 8n) + 255n));
      if (!part.isEmpty) types.push(part);
    }
    return types.length <= ENUMERATE_AT_MOST ? types : undefined;
  }
  if (set.size > BigInt(ENUMERATE_AT_MOST)) return undefined;
  const out: IntervalSet[] = [];
  for (const [lo, hi] of set.ranges()) for (let v = lo; v <= hi; v++) out.push(IntervalSet.of(v));
  return out;
}

function single(set: IntervalSet, s: Source): boolean {
  return s === 'icmpType' ? set.min >> 8n === set.max >> 8n : set.isSingleton;
}

export interface EvaluateOptions {
  /** Fields whose reads decide nothing in the code run (known of that code). */
  ignore?: readonly Source[];
  /** The code changes the packet it is given: it gets a copy. */
  mutates?: boolean;
  /** Never split: what differs between packets is only a detail the caller drops (`varies`). */
  whole?: boolean;
  /** Address fields the code looks at only through the host's facts: constant within a region (regions.ts). */
  regions?: readonly Dim[];
}

/**
 * Runs `run` on the piece's representative (a fresh copy each time) and
 * splits the piece until every part reads only fields constant over it.
 * `key` says which answers are the same, so parts with the same one are joined again.
 */
export function evaluate<T>(
  piece: Piece, s: Setting, what: string, run: (rep: Packet, reads: Reads, piece: Piece, raw: Packet) => T, key: (v: T) => string, options: EvaluateOptions = {},
): Answer<T>[] {
  const reads = new Reads();
  const rep = representative(piece, s);
  const raw = options.mutates ? structuredCloneOf(rep) : rep;
  const value = run(reads.packet(raw), reads, piece, raw);
  reads.end();
  // The first field read that varies over the piece is split by; one it cannot split by settles it at once
  // (splitting by another first would only find it again in every part).
  let first: { d: Dim; split: IntervalSet[] } | undefined;
  for (const src of reads.sources) {
    const d = dimOf(src);
    if (options.ignore?.includes(src)) continue;
    const view = piece.views[d];
    if (view?.kind === 'unknown') return [{ piece, unmodelled: t('{0}, which {1}', dependsOn(what, d), view.why) }];
    if (view || single(piece.cube[d], src)) continue;
    if (options.regions?.includes(d) && s.regions.within(piece.cube[d])) continue;
    if (options.whole) return [{ piece, value, varies: true }];
    const split = options.regions?.includes(d) ? s.regions.split(piece.cube[d]).map((r) => r.part) : parts(piece.cube[d], src);
    if (!split) return [{ piece, unmodelled: t('{0}, and the analysis does not split the packets by it', dependsOn(what, d)) }];
    first ??= { d, split };
  }
  if (first === undefined) return [{ piece, value }];
  const { d, split } = first;
  // Parts that need no further split and get the same answer become one piece again.
  const whole = new Map<string, { sets: IntervalSet[]; answer: Answer<T> }>();
  const out: Answer<T>[] = [];
  for (const part of split) {
    const answers = evaluate(withDimSet(piece, d, part), s, what, run, key, options);
    const a = answers[0];
    if (answers.length === 1 && a.piece.cube[d] === part) {
      const k = 'value' in a ? `v${key(a.value)}` : `u${a.unmodelled}`;
      const g = whole.get(k);
      if (g) g.sets.push(part);
      else whole.set(k, { sets: [part], answer: a });
    } else out.push(...answers);
  }
  for (const { sets, answer } of whole.values()) {
    out.push(sets.length === 1 ? answer : { ...answer, piece: withDimSet(answer.piece, d, IntervalSet.fromRanges(sets.flatMap((x) => [...x.ranges()]))) });
  }
  return out;
}

/** A deep copy of a packet, as the concrete engine's clonePacket makes (arrays and quoted header included). */
function structuredCloneOf(p: Packet): Packet {
  return {
    ...p, inner: p.inner && { ...p.inner }, tcpOptions: [...p.tcpOptions], sctpChunks: p.sctpChunks.map((c) => ({ ...c })),
    dccpOptions: [...p.dccpOptions], extensionHeaders: p.extensionHeaders.map((h) => ({ ...h, options: h.options.map((o) => ({ ...o })), addresses: [...h.addresses] })),
  };
}
