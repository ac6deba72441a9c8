// What a match or a target sees when a rule is evaluated, and the three
// answers a match can give: yes, no, or "cannot tell" (with why, and a
// probability when there is one).
import type { Family, Hook } from '../knowledge';
import type { CtInfo } from './conntrack';
import type { Host, Interface } from './host';
import type { Undetermined } from './nat';
import { Packet, packetBytes } from './packet';
import type { EngineState } from './state';

export interface Uncertain {
  reason: string;
  /** The chance the criterion matches, when the kernel draws at random. */
  probability?: number;
}

/** A match result: decided, or uncertain (the trace then follows both answers). */
export type Tri = boolean | Uncertain;

export function uncertain(reason: string, probability?: number): Uncertain {
  return probability === undefined ? { reason } : { reason, probability };
}

/** `! --option` turns a decided answer around; an uncertain one stays uncertain (its probability flips). */
export function invert(r: Tri, negated: boolean): Tri {
  if (!negated) return r;
  if (typeof r === 'boolean') return !r;
  return r.probability === undefined ? r : { ...r, probability: 1 - r.probability };
}

/** The packet with what the kernel attaches to it on its way (struct sk_buff). */
export interface Skb {
  pkt: Packet;
  /** Connection-tracking state: none before the conntrack hook, or when conntrack is off. */
  ct: CtInfo;
  /** Set by `-j CT` in raw: what the connection gets when conntrack opens it. */
  ctTemplate: { helper: string | null; zone: number } | null;
  /** tc priority (CLASSIFY). */
  priority: number;
  secmark: number;
  /** TRACE was hit. */
  traced: boolean;
  /** A match found the packet so malformed that it is dropped on the spot (par->hotdrop). */
  hotdrop: string | null;
  /** Fields NAT chose at random: what the trace can say about them instead of a value. */
  undetermined: Undetermined;
}

export interface EvalContext {
  family: Family;
  host: Host;
  state: EngineState;
  skb: Skb;
  /** Same as skb.pkt. */
  pkt: Packet;
  hook: Hook;
  table: string;
  inDev: Interface | null;
  outDev: Interface | null;
  /** After routing: the next hop of the chosen route (MASQUERADE picks its address by it). */
  nextHop: bigint | null;
  /** The rule being evaluated, in counter notation (per-rule memory such as limit buckets keys on it). */
  ruleId: string;
  /** Things worth telling about this evaluation (a side effect, an assumption). */
  notes: string[];
}

/** One test of a rule: a base criterion (`-s`, `-p`...) or an option of a match. */
export interface Criterion {
  /** As written in the rule: `! --dport 22`, `-m limit --limit 5/min`. */
  text: string;
  test(ctx: EvalContext): Tri;
  /** Evaluating it changes kernel memory (recent lists, buckets, counters). */
  stateful?: boolean;
  /**
   * For a packet that is not a fragment, the packet alone decides it, with no
   * side effect and never uncertain: the chain index may skip over it.
   */
  pure?: boolean;
  /** A pure criterion that holds only when a field of the packet has one value: the chain index files rules by it. */
  key?: CriterionKey;
}

/** `field` (under `mask`, for an address) equals `value`. */
export type CriterionKey =
  | { field: 'source' | 'destination'; mask: bigint; value: bigint }
  | { field: 'protocol' | 'sourcePort' | 'destinationPort'; value: number };

const BYTES = new WeakMap<Packet, { length: number; bytes: Uint8Array; key: string }>();

/** The packet's bytes at layer 3 as they are now (cached while the packet does not change). */
export function bytesOf(p: Packet): Uint8Array {
  const key = `${p.source}|${p.destination}|${p.sourcePort}|${p.destinationPort}|${p.ttl}|${p.tos}|${p.tcpFlags}|${p.mss}|${p.tcpOptions}`;
  const hit = BYTES.get(p);
  if (hit && hit.key === key && hit.length === p.length) return hit.bytes;
  const bytes = packetBytes(p);
  BYTES.set(p, { length: p.length, bytes, key });
  return bytes;
}
