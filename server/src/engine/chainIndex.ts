// Long chains looked up rather than tried rule by rule: kube-proxy's
// KUBE-SERVICES has a rule per service port, each for one destination address.
// A rule is filed under one of its criteria that holds for a single value of a
// packet field (its key), when every criterion before that one is pure. A walk
// then evaluates only the rules filed under the packet's values and those
// without a key; for each rule in between it records what trying it would:
// no match, and the first of its criteria that fails.
import type { CompiledChain, CompiledRule } from './compile';
import type { Criterion, CriterionKey, EvalContext } from './context';
import type { Packet } from './packet';

/** Chains shorter than this are tried rule by rule: an index would save little. */
export const INDEX_FROM = 64;

type Value = bigint | number;

interface Dimension {
  field: CriterionKey['field'];
  /** Addresses: the mask the rules filed here compare under. */
  mask?: bigint;
  /** Rule positions in the chain, ascending, by the value of the field. */
  groups: Map<Value, number[]>;
}

interface ChainIndex {
  dimensions: Dimension[];
  /** Rules filed under no key, tried by every walk. */
  always: number[];
  /** Per rule, where its key is among its criteria (-1: none). */
  keyAt: Int32Array;
}

const INDEXES = new WeakMap<CompiledChain, ChainIndex | null>();

/** How much a key narrows: address bits (IPv6 ones count a quarter), a port, a protocol. */
function selectivity(key: CriterionKey): number {
  switch (key.field) {
    case 'protocol': return 1;
    case 'sourcePort': case 'destinationPort': return 16;
    default: {
      let bits = 0;
      for (let m = key.mask; m > 0n; m >>= 1n) bits += Number(m & 1n);
      return key.mask > 0xffffffffn ? bits / 4 : bits;
    }
  }
}

/** The criterion a rule is filed under: the most selective key before any criterion that is not pure. */
function keyOf(criteria: readonly Criterion[]): number {
  let best = -1;
  let score = 0;
  for (let k = 0; k < criteria.length; k++) {
    const c = criteria[k];
    if (!c.pure) break;
    if (c.key) {
      const s = selectivity(c.key);
      if (s > score) [best, score] = [k, s];
    }
  }
  return best;
}

function build(chain: CompiledChain): ChainIndex | null {
  const rules = chain.rules;
  const dimensions = new Map<string, Dimension>();
  const always: number[] = [];
  const keyAt = new Int32Array(rules.length).fill(-1);
  for (let i = 0; i < rules.length; i++) {
    const k = keyOf(rules[i].criteria);
    if (k < 0) {
      always.push(i);
      continue;
    }
    keyAt[i] = k;
    const key = rules[i].criteria[k].key!;
    const mask = 'mask' in key ? key.mask : undefined;
    const id = mask === undefined ? key.field : `${key.field}/${mask}`;
    let d = dimensions.get(id);
    if (!d) dimensions.set(id, d = { field: key.field, mask, groups: new Map() });
    const group = d.groups.get(key.value);
    if (group) group.push(i);
    else d.groups.set(key.value, [i]);
  }
  // Most rules tried anyway: the index would only add lookups.
  if (always.length * 2 > rules.length) return null;
  return { dimensions: [...dimensions.values()], always, keyAt };
}

function indexOf(chain: CompiledChain): ChainIndex | null {
  let index = INDEXES.get(chain);
  if (index === undefined) INDEXES.set(chain, index = build(chain));
  return index;
}

const NONE: readonly number[] = [];

/** The first position in an ascending list at or after `from`, starting the search at `at`. */
function lowerBound(list: readonly number[], from: number, at: number): number {
  let lo = at;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One walk's way through an indexed chain: where the next rule the packet could match is. */
export class IndexCursor {
  private lists: (readonly number[])[] = [];
  private at: number[] = [];
  /** The packet's fields the lists were looked up for. */
  private seen: Value[] = [];

  private constructor(private readonly index: ChainIndex, private readonly rules: readonly CompiledRule[], private readonly pkt: Packet) {
    this.lookUp();
  }

  /**
   * A cursor for a walk of the chain, or undefined where the rules are to be
   * tried one by one: a short or unindexable chain, or a fragment (its header
   * matches decide differently, and tcp's may drop it on the spot).
   */
  static of(chain: CompiledChain, pkt: Packet, indexFrom: number): IndexCursor | undefined {
    if (chain.rules.length < indexFrom || pkt.fragmentOffset !== 0) return undefined;
    const index = indexOf(chain);
    return index ? new IndexCursor(index, chain.rules, pkt) : undefined;
  }

  /** The packet's fields differ from those the lists are for. */
  private moved(): boolean {
    const p = this.pkt;
    const s = this.seen;
    return p.source !== s[0] || p.destination !== s[1] || p.protocol !== s[2] || p.sourcePort !== s[3] || p.destinationPort !== s[4];
  }

  private lookUp(): void {
    const p = this.pkt;
    this.seen = [p.source, p.destination, p.protocol, p.sourcePort, p.destinationPort];
    this.lists = [this.index.always];
    for (const d of this.index.dimensions) {
      const v = p[d.field];
      this.lists.push(d.groups.get(d.mask === undefined ? v : (v as bigint) & d.mask) ?? NONE);
    }
    this.at = this.lists.map(() => 0);
  }

  /** The first rule at or after `from` that the packet could match (the chain's length: none). */
  next(from: number): number {
    // A target may have rewritten the packet (DNPT, SNPT): look up its new values.
    if (this.moved()) this.lookUp();
    let next = this.rules.length;
    for (let k = 0; k < this.lists.length; k++) {
      const list = this.lists[k];
      let j = this.at[k];
      if (j < list.length && list[j] < from) this.at[k] = j = lowerBound(list, from, j);
      if (j < list.length && list[j] < next) next = list[j];
    }
    return next;
  }

  /** What trying a rule the index passed over gives: the text of its first criterion that fails. */
  failed(position: number, ctx: EvalContext): string {
    const criteria = this.rules[position].criteria;
    const key = this.index.keyAt[position];
    for (let k = 0; k < key; k++) if (criteria[k].test(ctx) === false) return criteria[k].text;
    return criteria[key].text;
  }
}
