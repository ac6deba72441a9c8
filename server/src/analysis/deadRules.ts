// Rules that can never match, and rules written twice. A rule never matches
// when an earlier rule of the same chain takes every packet it would match and
// ends their way through the chain there. Conservative by design, since a false
// "never matches" costs more than a missed one: the earlier rule counts only
// when every criterion it has is understood exactly here, and a rule in
// between that may change what it tests (MARK, a jump into a chain that marks)
// breaks the argument.
import type { Diagnostic, DiagnosticCode, Span } from '../diagnostics';
import type { ExtensionSpec, Family } from '../knowledge';
import { maskFromPrefix } from '../knowledge/addresses';
import type { RuleFacts } from '../model/ruleFacts';
import type { Chain, Rule, Ruleset, Table } from '../model/ruleset';
import { canonicalRule } from '../model/saveText';
import { ANY_CHANGE, CHANGE, InterfaceName, intersect, Mark, Net, Ranges, Shape, within } from '../model/shape';
import type { IptablesCall } from '../shell/iptablesCalls';
import type { CommandSource } from '../syntax/saveFile';
import { Command, sameFlagPlace } from '../syntax/command';
import { t } from '../l10n';
import { runToEnd, Steps } from '../steps';

// ---- does one rule's shape hold every packet of another's? ----------------------------

function covers(a: Shape, b: Shape): boolean {
  return coversProtocol(a.protocol, b.protocol)
    && coversNet(a.source, b.source) && coversNet(a.destination, b.destination)
    && coversInterface(a.inInterface, b.inInterface) && coversInterface(a.outInterface, b.outInterface)
    && (a.fragment === undefined || a.fragment === b.fragment)
    && coversRanges(a.sport, b.sport) && coversRanges(a.dport, b.dport) && coversRanges(a.icmp, b.icmp)
    && a.eitherPort.every((p) => [b.sport, b.dport, ...b.eitherPort].some((r) => r !== undefined && within(r, p)))
    && a.neitherPort.every((q) => b.neitherPort.some((r) => within(q, r))
      || (b.sport !== undefined && b.dport !== undefined && intersect(b.sport, q).length === 0 && intersect(b.dport, q).length === 0))
    && (a.states === undefined || (b.states !== undefined && (b.states & ~a.states) === 0))
    && a.marks.every((m) => b.marks.some((n) => coversMasked(m, n)))
    && a.tcpFlags.every((m) => b.tcpFlags.some((n) => coversMasked(m, n)));
}

function coversRanges(a: Ranges | undefined, b: Ranges | undefined): boolean {
  return a === undefined || (b !== undefined && within(b, a));
}

function coversProtocol(a: Shape['protocol'], b: Shape['protocol']): boolean {
  if (!a) return true;
  if (!b) return false;
  if (!a.negated) return !b.negated && a.number === b.number;
  return b.negated ? a.number === b.number : a.number !== b.number;
}

/** Sets and their complements: `!a` holds all of `b` when a and b are disjoint, all of `!b` when a is inside b. */
function coversNegatable<T extends { negated: boolean }>(a: T | undefined, b: T | undefined, contains: (outer: T, inner: T) => boolean, disjoint: (x: T, y: T) => boolean): boolean {
  if (!a) return true;
  if (!b) return false;
  if (!a.negated) return !b.negated && contains(a, b);
  return b.negated ? contains(b, a) : disjoint(a, b);
}

function coversNet(a: Net | undefined, b: Net | undefined): boolean {
  return a?.maskNumber !== undefined && b?.maskNumber !== undefined
    ? coversNegatable(a, b, containsIPv4, disjointIPv4)
    : coversNegatable(a, b, containsNet, disjointNets);
}

const containsNet = (outer: Net, inner: Net) => (outer.mask & ~inner.mask) === 0n && ((inner.address ^ outer.address) & outer.mask) === 0n;
const disjointNets = (x: Net, y: Net) => ((x.address ^ y.address) & x.mask & y.mask) !== 0n;
// The same for two IPv4 networks, in numbers (bitwise operators work on 32 bits): no bigint made.
const containsIPv4 = (outer: Net, inner: Net) => (outer.maskNumber! & ~inner.maskNumber!) === 0 && ((inner.number! ^ outer.number!) & outer.maskNumber!) === 0;
const disjointIPv4 = (x: Net, y: Net) => ((x.number! ^ y.number!) & x.maskNumber! & y.maskNumber!) !== 0;

function coversInterface(a: InterfaceName | undefined, b: InterfaceName | undefined): boolean {
  return coversNegatable(a, b,
    (outer, inner) => (outer.wildcard ? inner.name.startsWith(outer.name) : !inner.wildcard && inner.name === outer.name),
    (x, y) => {
      if (x.wildcard && y.wildcard) return !x.name.startsWith(y.name) && !y.name.startsWith(x.name);
      if (x.wildcard) return !y.name.startsWith(x.name);
      if (y.wildcard) return !x.name.startsWith(y.name);
      return x.name !== y.name;
    });
}

function coversMasked(a: Mark, b: Mark): boolean {
  return coversNegatable(a, b,
    (outer, inner) => (outer.mask & ~inner.mask) === 0n && (inner.value & outer.mask) === outer.value,
    (x, y) => ((x.value ^ y.value) & x.mask & y.mask) !== 0n);
}

/** The rule matches every packet (`-s 0.0.0.0/0`, `-i +` and the like too). */
function unconditional(rule: Rule): boolean {
  const s = rule.shape;
  return s.exact && !s.empty && !s.protocol && !s.source && !s.destination && !s.inInterface && !s.outInterface && !s.fragment
    && !s.sport && !s.dport && !s.icmp && s.states === undefined && s.marks.length === 0 && s.tcpFlags.length === 0 && s.eitherPort.length === 0 && s.neitherPort.length === 0;
}

// ---- targets: which end the way through the chain, which change the packet ----------

/** What a packet may carry changed after a target extension, when it goes on to the next rule (CHANGE bits). */
function extensionChanges(spec: ExtensionSpec): number {
  if (spec.terminating && !spec.mayContinue) return 0;
  return spec.changes ? spec.changes.reduce((bits, c) => bits | CHANGE[c], 0) : ANY_CHANGE;
}

/**
 * Whether a rule may change a packet by its own target (a jump's chain aside): a
 * rule like it added to a chain, or taken out, may change what a jump into the
 * chain means to the chains that make it (analysis/reanalyse.ts).
 */
export function changesPackets(rule: Rule): boolean {
  return rule.target.kind === 'extension' && extensionChanges(rule.target.spec) !== 0;
}

/** Per table: what a jump into each user chain may change, and which chains stop every packet. */
class TableFacts {
  /**
   * The chains looked into, by the number given them when first met (Chain.order, which
   * a walk of graph.ts gives again): what is known of each is kept in arrays, not in maps
   * keyed by chain (kube-proxy: 55k chains). Numbered when met, not all at first: after an
   * edit a few chains of 55k are reviewed.
   */
  private readonly met: Chain[] = [];
  /** By chain: what a jump into it may change (CHANGE bits), -1 while not known. */
  private readonly changes: number[] = [];
  /** By chain: its rule that stops every packet, null for none, undefined while not known. */
  private readonly stoppers: (Rule | null | undefined)[] = [];

  constructor(
    readonly table: Table,
    readonly family: Family,
    private readonly trusted: (rule: Rule) => boolean,
    private readonly broken: (rule: Rule) => boolean,
  ) {}

  private numberOf(chain: Chain): number {
    if (this.met[chain.order] === chain) return chain.order;
    chain.order = this.met.length;
    this.met.push(chain);
    this.changes.push(-1);
    this.stoppers.push(undefined);
    return chain.order;
  }

  /** What a packet may carry changed after it meets this rule and goes on to the next (CHANGE bits). */
  changesBy(rule: Rule): number {
    return rule.facts.symbolic || this.broken(rule) ? ANY_CHANGE : this.targetChanges(rule);
  }

  /** changesBy for a rule known to be neither symbolic nor broken. */
  targetChanges(rule: Rule): number {
    const target = rule.target;
    switch (target.kind) {
      case 'none':
      case 'verdict':
        return 0;
      case 'extension':
        return extensionChanges(target.spec);
      case 'chain': {
        // A goto never comes back to this chain, nor a jump into a chain that stops every packet.
        if (target.goto || this.alwaysStops(target.chain)) return 0;
        return this.chainChanges(target.chain);
      }
      case 'unresolved':
        return target.goto ? 0 : ANY_CHANGE;
    }
  }

  /**
   * What the matches of `chain`'s rules tell the review of the chains that jump
   * there: the rule that stops every packet (see findDeadRulesInChains). What
   * a jump may change comes from the rules' targets, and from which are broken.
   */
  outcome(chain: Chain): string {
    if (chain.references.length === 0) return '';
    const stop = this.alwaysStops(chain);
    return `${stop?.index} ${stop?.facts.head.flag?.line} ${stop?.facts.head.targetName}`;
  }

  /**
   * Everything a jump into this chain may change, through every chain it jumps or goes to.
   * Depth first with a stack of its own: a chain of jumps thousands deep is input, and must
   * not overflow JavaScript's.
   */
  private chainChanges(chain: Chain): number {
    const known = this.changes[this.numberOf(chain)];
    if (known >= 0) return known;
    // A cycle (which the kernel refuses) adds nothing new: a chain under way counts as changing nothing.
    this.changes[chain.order] = 0;
    const stack = [{ chain, at: 0, bits: 0 }];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const next = this.unknownChainAfter(frame);
      if (next) {
        this.changes[next.order] = 0;
        stack.push({ chain: next, at: 0, bits: 0 });
        continue;
      }
      this.changes[frame.chain.order] = frame.bits;
      stack.pop();
    }
    return this.changes[chain.order];
  }

  /**
   * Adds up the frame's rules from where it stopped; returns the first chain one of them leads
   * into whose changes are not known yet (the frame goes on at that rule), or undefined at the end.
   */
  private unknownChainAfter(frame: { chain: Chain; at: number; bits: number }): Chain | undefined {
    const rules = frame.chain.rules;
    for (; frame.at < rules.length; frame.at++) {
      const rule = rules[frame.at];
      const target = rule.target;
      // Inside a jumped chain a goto leads on, and a RETURN there comes back to our caller.
      const goto = (target.kind === 'chain' || target.kind === 'unresolved') && target.goto;
      if (target.kind === 'chain' && this.changes[this.numberOf(target.chain)] < 0) {
        // What changesBy would look into: a goto's chain, or a jump's that may come back.
        const entered = goto || !(rule.facts.symbolic || this.broken(rule) || this.alwaysStops(target.chain));
        if (entered) return target.chain;
      }
      frame.bits |= !goto ? this.changesBy(rule) : target.kind === 'chain' ? this.changes[target.chain.order] : ANY_CHANGE;
    }
    return undefined;
  }

  /** Every packet the rule matches ends its way through this chain there. */
  stops(rule: Rule): boolean {
    const target = rule.target;
    switch (target.kind) {
      case 'verdict':
        return true;
      case 'extension':
        return !!target.spec.terminating && !target.spec.mayContinue;
      case 'chain':
      case 'unresolved': {
        const chain = target.kind === 'chain' ? target.chain : undefined;
        return target.goto || (chain !== undefined && this.alwaysStops(chain) !== undefined);
      }
      case 'none':
        return false;
    }
  }

  /** How a rule that stops packets does it, in words. */
  howItStops(rule: Rule): string {
    const target = rule.target;
    if (target.kind === 'verdict' && target.name === 'RETURN') return t('sends them back out of this chain (`-j RETURN`)');
    if (target.kind !== 'chain' && target.kind !== 'unresolved') return t('stops them there (`-j {0}`)', rule.facts.head.targetName);
    if (target.goto) return t('sends them on with `-g {0}`, never to come back to this chain', target.name);
    const stop = this.alwaysStops(target.kind === 'chain' ? target.chain : this.table.chains.get(target.name)!)!;
    return t('sends them to chain {0}, where rule {1} (line {2}) stops every one of them (`-j {3}`)', target.name, stop.index, stop.facts.head.flag!.line + 1, stop.facts.head.targetName);
  }

  /**
   * The rule of a user chain that stops every packet that got that far, when no
   * packet can leave the chain before it (by RETURN, a goto, or its end).
   * Depth first with a stack of its own, as chainChanges.
   */
  private alwaysStops(chain: Chain): Rule | undefined {
    const known = this.stoppers[this.numberOf(chain)];
    if (known !== undefined) return known ?? undefined;
    // A chain under way (a cycle) does not stop packets.
    this.stoppers[chain.order] = null;
    const stack = [{ chain, at: 0 }];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const stopper = this.stopperFrom(frame);
      const enter = this.enter;
      if (enter) {
        this.enter = undefined;
        this.stoppers[enter.order] = null;
        stack.push({ chain: enter, at: 0 });
        continue;
      }
      this.stoppers[frame.chain.order] = stopper ?? null;
      stack.pop();
    }
    return this.stoppers[chain.order] ?? undefined;
  }

  /** Set by stopperFrom to a chain to look into first. */
  private enter: Chain | undefined = undefined;

  /**
   * The frame's stopping rule, looked for from where it stopped; or (in `enter`) a chain
   * jumped to whose stopper is not known yet (the frame goes on at that rule once it is).
   */
  private stopperFrom(frame: { chain: Chain; at: number }): Rule | undefined {
    const rules = frame.chain.rules;
    for (; frame.at < rules.length; frame.at++) {
      const rule = rules[frame.at];
      const target = rule.target;
      if (rule.facts.symbolic || this.broken(rule)) return undefined;
      if ((target.kind === 'verdict' && target.name === 'RETURN') || ((target.kind === 'chain' || target.kind === 'unresolved') && target.goto)) return undefined;
      if (!unconditional(rule) || !this.trusted(rule)) continue;
      if (target.kind === 'chain' && this.stoppers[this.numberOf(target.chain)] === undefined) {
        this.enter = target.chain;
        return undefined;
      }
      if (this.stops(rule)) return rule;
    }
    return undefined;
  }
}

// ---- the scan ------------------------------------------------------------------------------

/** What a bucket of `Buckets` holds candidates by: a destination or a source network (plus its prefix length), a protocol and port, a fingerprint. */
const BY_DESTINATION = 0;
const BY_SOURCE = 256;
const BY_PORT = 512;
const BY_PRINT = 513;

/**
 * Lists of candidates by a pair of integers (what the list is by, and a key), in
 * an open-addressing table of typed arrays. One table serves chain after chain:
 * a new stamp empties it. Most rules of a ruleset are filed in it: a Map per
 * index, and its entries, cost a fifth of the analysis of an 8.5k-rule file.
 */
class Buckets {
  private kinds = new Int32Array(64);
  private keys = new Int32Array(64);
  private heads = new Int32Array(64);
  private stamps = new Int32Array(64);
  /** IPv6 networks are keyed by bigints: `keys` holds their last 32 bits, and this the whole key. */
  private bigKeys: bigint[] = [];
  private stamp = 1;
  /** The slots in use, less one: as many as a chain needs, so that a short chain's lists stay in a few cache lines. */
  private mask = 63;

  /** Empties the table, made with room for `entries` lists at most (it never grows: a table of thousands would be copied again and again). */
  clear(entries: number): void {
    this.stamp++;
    const size = Math.max(16, 1 << (32 - Math.clz32(entries * 2 - 1)));
    if (size > this.keys.length) this.allocate(size);
    this.mask = size - 1;
  }

  /** The first candidate of a list, or -1. */
  head(kind: number, key: number, big: bigint | undefined): number {
    const i = this.slot(kind, key, big);
    return this.stamps[i] === this.stamp ? this.heads[i] : -1;
  }

  /** Makes `head` the first candidate of the list; returns the one that was first, or -1. */
  replace(kind: number, key: number, big: bigint | undefined, head: number): number {
    const i = this.slot(kind, key, big);
    if (this.stamps[i] === this.stamp) {
      const old = this.heads[i];
      this.heads[i] = head;
      return old;
    }
    this.kinds[i] = kind;
    this.keys[i] = key;
    this.heads[i] = head;
    this.stamps[i] = this.stamp;
    if (big !== undefined) this.bigKeys[i] = big;
    return -1;
  }

  /** The slot of the list, or the free slot where it would go. */
  private slot(kind: number, key: number, big: bigint | undefined): number {
    const mask = this.mask;
    const h = Math.imul(Math.imul(kind, 0x27d4eb2d) ^ key, 0x9e3779b1);
    let i = (h ^ (h >>> 16)) & mask;
    while (this.stamps[i] === this.stamp) {
      if (this.keys[i] === key && this.kinds[i] === kind && (big === undefined || this.bigKeys[i] === big)) return i;
      i = (i + 1) & mask;
    }
    return i;
  }

  private allocate(size: number): void {
    this.kinds = new Int32Array(size);
    this.keys = new Int32Array(size);
    this.heads = new Int32Array(size);
    this.stamps = new Int32Array(size);
    this.bigKeys = [];
    this.stamp = 1;
  }
}

/** Comparisons allowed per chain: a pathological chain is left partly unexamined rather than slow every keystroke. */
const COMPARISON_BUDGET = 300_000;

interface Finding {
  rule: Rule;
  by: Rule;
  duplicate: boolean;
  /** The rule never matches. */
  dead: boolean;
}

const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/** ChainReview.unfiled when there is no candidate yet, and once the first is filed. */
const NONE = -2;
const FILED = -1;

/**
 * The review of one chain after another. A chain's trusted rules that may hide
 * later ones are its candidates, numbered from 0 in arrays kept from chain to
 * chain, and filed in one table of lists (Buckets):
 * - those that stop packets, so that a rule is compared only with those that
 *   could hold it: by destination or source network (a rule inside 10.1.0.0/16
 *   looks up 10.0.0.0/8, 10.0.0.0/9, ...), else by protocol and, when it is a
 *   single port, destination port;
 * - all, by fingerprint (Shape.print): the first of each, and by canonical text
 *   (which is worked out only for rules whose fingerprint another rule shares)
 *   the rules written twice.
 */
class ChainReview {
  private rules: Rule[] = [];
  private shapes: Shape[] = [];
  // Made with room for the longest chain so far: a chain has at most as many candidates as rules.
  /** Its position in the chain, from 0. */
  private at = new Int32Array(64);
  /** It surely stops every packet it matches (and is understood exactly). */
  private stops = new Uint8Array(64);
  /** The next candidate of the same list, -1 at the end: a list without an array per bucket. */
  private next = new Int32Array(64);
  private count = 0;
  private readonly buckets = new Buckets();
  /** The prefix lengths under which networks are filed, as bits: a lookup visits the shorter ones in order. */
  private readonly destinationPrefixes = new Int32Array(5);
  private readonly sourcePrefixes = new Int32Array(5);
  /**
   * By list kind (BY_DESTINATION + prefix, BY_SOURCE + prefix), the lowest and highest key
   * filed: a look-up outside skips the table. Lists of networks are often sorted, and most
   * look-ups of a rule's shorter prefixes find nothing.
   */
  private readonly lowestKey = new Int32Array(BY_PORT);
  private readonly highestKey = new Int32Array(BY_PORT);
  /**
   * By list kind plus an IPv4 network's first 8 bits: the lowest start and highest end (its
   * last 24 bits) of the networks of 8 bits or more filed there. A network that neither
   * reaches holds only networks of shorter prefixes: a sorted list of disjoint networks
   * (a country's address blocks) then looks up none of its 9 to 32-bit prefixes.
   */
  private readonly blockStart = new Int32Array(BY_PORT).fill(NO_START);
  private readonly blockEnd = new Int32Array(BY_PORT).fill(NO_END);
  /** Some candidate stops packets (and is filed by network or port). */
  private indexed = false;
  /** For each CHANGE bit, the position of the last rule that may change it (once a rule stops packets; before, nothing reads it). */
  private readonly lastChange = new Int32Array(6);
  private stoppers = false;
  /**
   * The first candidate, filed by fingerprint only once a second one is, or a rule has
   * its fingerprint: a chain of two rules (55k of kube-proxy's) then files nothing.
   */
  private unfiled = NONE;
  /** Only for fingerprints that two rules share. */
  private byText: Map<string, number> | undefined;
  private budget = COMPARISON_BUDGET;
  // The search for the first candidate that holds a rule.
  private best = -1;
  private rule!: Rule;
  private shape!: Shape;

  constructor(private readonly family: Family) {}

  scan(chain: Chain, facts: TableFacts, trusted: (rule: Rule) => boolean, broken: (rule: Rule) => boolean): readonly Finding[] {
    this.begin(chain.rules.length);
    let findings: Finding[] | undefined;
    const rules = chain.rules;
    for (let at = 0; at < rules.length; at++) {
      const rule = rules[at];
      const understood = !rule.facts.symbolic && !broken(rule);
      if (understood) {
        const shape = rule.shape;
        const copy = this.copyOf(rule, shape.print);
        let dead = false;
        if (copy >= 0 && this.rules[copy].facts !== rule.facts && !sameSpan(this.rules[copy], rule)) {
          // A candidate that stops packets set lastChange.
          dead = this.stops[copy] === 1 && this.stillHolds(copy);
          (findings ??= []).push({ rule, by: this.rules[copy], duplicate: true, dead });
        } else if (!shape.empty && this.indexed) {
          const best = this.shadowOf(rule, shape);
          if (best >= 0) (findings ??= []).push({ rule, by: this.rules[best], duplicate: false, dead: (dead = true) });
        }
        // The last rule shadows nothing: no rule comes after it.
        if (at < rules.length - 1 && trusted(rule)) {
          const stops = shape.exact && !shape.empty && facts.stops(rule);
          const c = this.add(rule, shape, at, stops);
          if (copy < 0) this.fileCopy(c);
          // A dead rule holds nothing its shadow does not hold first (and reads no less, so no rule in between spares the shadow alone).
          if (stops && !dead) this.fileStopper(c);
          if (stops && !this.stoppers) {
            this.stoppers = true;
            this.lastChange.fill(-1);
          }
        }
      }
      // What a rule changes matters only to rules before it that stop packets.
      if (!this.stoppers) continue;
      const changes = understood ? facts.targetChanges(rule) : ANY_CHANGE;
      for (let bit = 0; bit < this.lastChange.length; bit++) if (changes & (1 << bit)) this.lastChange[bit] = at;
    }
    return findings ?? NO_FINDINGS;
  }

  private begin(rules: number): void {
    this.count = 0;
    if (rules > this.at.length) {
      const size = 1 << (32 - Math.clz32(rules - 1));
      this.at = new Int32Array(size);
      this.next = new Int32Array(size);
      this.stops = new Uint8Array(size);
    }
    // A candidate is filed at most twice: by fingerprint, and by network or port.
    this.buckets.clear(rules * 2);
    // Most chains file nothing by network (kube-proxy: 55k of them).
    if (this.indexed) {
      this.destinationPrefixes.fill(0);
      this.sourcePrefixes.fill(0);
      this.blockStart.fill(NO_START);
      this.blockEnd.fill(NO_END);
      this.indexed = false;
    }
    this.stoppers = false;
    this.unfiled = NONE;
    this.byText = undefined;
    this.budget = COMPARISON_BUDGET;
  }

  private add(rule: Rule, shape: Shape, at: number, stops: boolean): number {
    const c = this.count++;
    this.rules[c] = rule;
    this.shapes[c] = shape;
    this.at[c] = at;
    this.stops[c] = stops ? 1 : 0;
    return c;
  }

  /** Adds `c` to the front of a list. */
  private prepend(kind: number, key: number, big: bigint | undefined, c: number): void {
    this.next[c] = this.buckets.replace(kind, key, big, c);
  }

  // ---- rules written twice

  /** The first candidate with the same canonical text as `rule`, or -1. */
  private copyOf(rule: Rule, print: number): number {
    if (this.unfiled !== FILED) {
      if (this.unfiled === NONE || this.shapes[this.unfiled].print !== print) return -1;
      this.fileFirst();
    }
    const first = this.buckets.head(BY_PRINT, print, undefined);
    if (first < 0) return -1;
    const text = this.shared(first, rule);
    return this.byText!.get(text) ?? -1;
  }

  private fileCopy(c: number): void {
    if (this.unfiled === NONE) {
      this.unfiled = c;
      return;
    }
    if (this.unfiled !== FILED) this.fileFirst();
    const print = this.shapes[c].print;
    const first = this.buckets.head(BY_PRINT, print, undefined);
    if (first < 0) this.buckets.replace(BY_PRINT, print, undefined, c);
    else {
      const text = this.shared(first, this.rules[c]);
      if (!this.byText!.has(text)) this.byText!.set(text, c);
    }
  }

  private fileFirst(): void {
    this.buckets.replace(BY_PRINT, this.shapes[this.unfiled].print, undefined, this.unfiled);
    this.unfiled = FILED;
  }

  /** The rule's canonical text, once the first rule with its fingerprint is filed under its own. */
  private shared(first: number, rule: Rule): string {
    const firstText = this.textOf(this.rules[first]);
    this.byText ??= new Map();
    if (!this.byText.has(firstText)) this.byText.set(firstText, first);
    return this.textOf(rule);
  }

  /** The last rule whose text was worked out, and its text: a rule is looked up, then filed. */
  private lastRule?: Rule;
  private lastText = '';

  /** A rule's canonical text parses its line again: worked out once for the look-up and filing of one rule. */
  private textOf(rule: Rule): string {
    if (rule !== this.lastRule) {
      this.lastText = canonicalRule(rule, this.family);
      this.lastRule = rule;
    }
    return this.lastText;
  }

  // ---- rules that hide later ones

  private fileStopper(c: number): void {
    this.indexed = true;
    const { source, destination, protocol, dport } = this.shapes[c];
    if (destination && !destination.negated && destination.prefix >= 0) this.fileNetwork(BY_DESTINATION, this.destinationPrefixes, destination, c);
    else if (source && !source.negated && source.prefix >= 0) this.fileNetwork(BY_SOURCE, this.sourcePrefixes, source, c);
    else this.prepend(BY_PORT, portKey(protocol && !protocol.negated ? protocol.number : -1, singlePort(dport) ?? -1), undefined, c);
  }

  private fileNetwork(kind: number, prefixes: Int32Array, n: Net, c: number): void {
    if (n.number !== undefined && n.prefix >= 8) {
      const block = kind + (n.number >>> 24);
      const start = blockOffset(n);
      const end = blockEnd(n);
      if (start < this.blockStart[block]) this.blockStart[block] = start;
      if (end > this.blockEnd[block]) this.blockEnd[block] = end;
    }
    const big = bigNetworkKey(n, n.prefix);
    const key = networkKey(n, n.prefix, big);
    const bit = 1 << (n.prefix & 31);
    kind += n.prefix;
    if ((prefixes[n.prefix >> 5] & bit) === 0) {
      prefixes[n.prefix >> 5] |= bit;
      this.lowestKey[kind] = this.highestKey[kind] = key;
    } else if (key < this.lowestKey[kind]) this.lowestKey[kind] = key;
    else if (key > this.highestKey[kind]) this.highestKey[kind] = key;
    this.prepend(kind, key, big, c);
  }

  /** Some IPv4 network of 8 bits or more filed under `kind` may hold `n` (see blockStart). */
  private blockMayHold(kind: number, n: Net): boolean {
    const block = kind + (n.number! >>> 24);
    return this.blockStart[block] <= blockOffset(n) && blockEnd(n) <= this.blockEnd[block];
  }

  /** The earliest candidate that holds `rule`, or -1. */
  private shadowOf(rule: Rule, shape: Shape): number {
    this.best = -1;
    this.rule = rule;
    this.shape = shape;
    // A rule for one destination port holds only rules for that same port.
    const port = singlePort(shape.dport);
    if (!this.nearByPort(-1, port)) return this.best;
    if (shape.protocol && !shape.protocol.negated && !this.nearByPort(shape.protocol.number, port)) return this.best;
    if (shape.destination && !shape.destination.negated && !this.containing(BY_DESTINATION, this.destinationPrefixes, shape.destination)) return this.best;
    if (shape.source && !shape.source.negated) this.containing(BY_SOURCE, this.sourcePrefixes, shape.source);
    return this.best;
  }

  private nearByPort(protocol: number, port: number | undefined): boolean {
    return this.visitList(this.buckets.head(BY_PORT, portKey(protocol, -1), undefined))
      && (port === undefined || this.visitList(this.buckets.head(BY_PORT, portKey(protocol, port), undefined)));
  }

  /** Visits the candidates whose network holds all of `n`, shortest prefix first; false if the budget ran out. */
  private containing(kind: number, prefixes: Int32Array, n: Net): boolean {
    const last = n.prefix >= 0 ? n.prefix : 128;
    const shortOnly = n.number !== undefined && n.prefix >= 8 && !this.blockMayHold(kind, n);
    for (let word = 0; word <= (shortOnly ? 0 : last >> 5); word++) {
      for (let bits = shortOnly ? prefixes[0] & SHORT_PREFIXES : prefixes[word]; bits !== 0;) {
        const low = bits & -bits;
        bits ^= low;
        const prefix = word * 32 + 31 - Math.clz32(low);
        if (prefix > last) return true;
        // A mask that is not a prefix holds a network only if it has all of its bits.
        if (n.prefix < 0 && (maskFromPrefix(prefix, n.number === undefined ? 'ipv6' : 'ipv4') & ~n.mask) !== 0n) continue;
        const big = bigNetworkKey(n, prefix);
        const key = networkKey(n, prefix, big);
        if (key < this.lowestKey[kind + prefix] || key > this.highestKey[kind + prefix]) continue;
        if (!this.visitList(this.buckets.head(kind + prefix, key, big))) return false;
      }
    }
    return true;
  }

  /** Compares the rule searched for with each candidate of a list; false if the budget ran out. */
  private visitList(first: number): boolean {
    for (let c = first; c >= 0; c = this.next[c]) {
      if (--this.budget < 0) return false;
      const best = this.best;
      const by = this.rules[c];
      if ((best < 0 || this.at[c] < this.at[best]) && by.facts !== this.rule.facts && !sameSpan(by, this.rule) && this.stillHolds(c) && covers(this.shapes[c], this.shape)) this.best = c;
    }
    return true;
  }

  /** No rule since the candidate changed what it reads (lastChange). */
  private stillHolds(c: number): boolean {
    const reads = this.shapes[c].reads;
    for (let bit = 0; bit < this.lastChange.length; bit++) if (reads & (1 << bit) && this.lastChange[bit] >= this.at[c]) return false;
    return true;
  }
}

/** blockStart and blockEnd of a block where nothing is filed. */
const NO_START = 1 << 24;
const NO_END = -1;
const LOW_24 = 0xffffff;
/** Where an IPv4 network starts and ends in its first 8 bits' block. */
const blockOffset = (n: Net) => n.number! & n.maskNumber! & LOW_24;
const blockEnd = (n: Net) => (n.number! | ~n.maskNumber!) & LOW_24;
/** The prefix lengths 0 to 7, as bits of ChainReview.destinationPrefixes' first word. */
const SHORT_PREFIXES = 0xff;

function singlePort(r: Ranges | undefined): number | undefined {
  return r && r.length === 1 && r[0][0] === r[0][1] ? r[0][0] : undefined;
}

/** A protocol (-1: any) and destination port (-1: not a single port) as one integer. */
function portKey(protocol: number, port: number): number {
  return (protocol + 1) * 65537 + port + 1;
}

/**
 * An IPv4 network's first `prefix` bits, at most 30 of them: the candidates of a
 * list are compared one by one anyway. IPv6: the last 32 bits of `big`.
 */
function networkKey(n: Net, prefix: number, big: bigint | undefined): number {
  if (big !== undefined) return Number(BigInt.asIntN(32, big));
  return prefix === 0 ? 0 : n.number! >>> (32 - Math.min(prefix, 30));
}

/** An IPv6 network's first `prefix` bits (bigint work is slow: none for IPv4). */
function bigNetworkKey(n: Net, prefix: number): bigint | undefined {
  if (n.number !== undefined) return undefined;
  return prefix === 0 ? 0n : n.address >> BigInt(128 - prefix);
}

function push<K, T>(map: Map<K, T[]>, key: K, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sameSpan(a: Rule, b: Rule): boolean {
  return sameFlagPlace(a.facts.head, b.facts.head);
}

// ---- diagnostics -----------------------------------------------------------------------------

/** The rule's words on the line of its `-A`/`-I`: from the first to the last (not the `iptables` name, nor a `[packets:bytes]` prefix). */
function ruleSpan(command: Command): Span | undefined {
  const flag = command.flag;
  if (!flag) return undefined;
  let start = flag.start;
  let end = flag.end;
  for (const w of command.words) {
    if (w.line !== flag.line) continue;
    start = Math.min(start, w.start);
    end = Math.max(end, w.end);
  }
  return { line: flag.line, start, end };
}

/** The spans of a chain's rules (ruleSpan), each worked out once: a rule that shadows hundreds is named by each of them, and its line is parsed again for it. */
class RuleSpans {
  private readonly known = new Map<RuleFacts, Span | null>();

  /** A fresh object each time: a diagnostic's spans are its own. */
  of(facts: RuleFacts): Span | undefined {
    let span = this.known.get(facts);
    if (span === undefined) this.known.set(facts, (span = ruleSpan(facts.origin.command) ?? null));
    return span ? { line: span.line, start: span.start, end: span.end } : undefined;
  }
}

function report(findings: readonly Finding[], chain: Chain, facts: TableFacts, out: Diagnostic[]): void {
  if (findings.length === 0) return;
  const spans = new RuleSpans();
  const rulesOf = new Map<RuleFacts, number>();
  for (const rule of chain.rules) rulesOf.set(rule.facts, (rulesOf.get(rule.facts) ?? 0) + 1);
  const byCommand = new Map<RuleFacts, Finding[]>();
  for (const f of findings) push(byCommand, f.rule.facts, f);
  for (const [command, list] of byCommand) {
    const span = spans.of(command);
    if (!span) continue;
    // A command that makes several rules (`-s a,b`) is a duplicate, or dead, only as a whole; else each dead pair says which it is.
    const whole = list.length === rulesOf.get(command);
    if (whole && list.every((f) => f.duplicate)) out.push(duplicate(span, list, chain, spans));
    else if (whole && list.every((f) => f.dead)) out.push(shadowed(span, list, chain, facts, '', spans));
    else for (const f of list) if (f.dead) out.push(shadowed(span, [f], chain, facts, t(' for {0}', pairText(f.rule)), spans));
  }
}

const place = (rule: Rule, chain: Chain) => t('rule {0} of {1} (line {2})', rule.index, chain.name, rule.facts.head.flag!.line + 1);

function diagnostic(code: DiagnosticCode, span: Span, message: string, by: Rule[], relatedMessage: string, spans: RuleSpans): Diagnostic {
  // One entry per command: the rules of `-d a,b` share their words.
  const related = [...new Set(by.map((r) => r.facts))].flatMap((c) => {
    const at = spans.of(c);
    return at ? [{ span: at, message: relatedMessage }] : [];
  });
  return { code, severity: 'warning', span, message, tag: 'unnecessary', related };
}

function duplicate(span: Span, list: Finding[], chain: Chain, spans: RuleSpans): Diagnostic {
  const first = list[0].by;
  const why = list.every((f) => f.dead)
    ? t('that one already takes every packet it would match, so this one never matches')
    : t('packets that match go through the same rule twice');
  return diagnostic('duplicate-rule', span, t('this rule is the same as {0}: {1}', place(first, chain), why),
    list.map((f) => f.by), t('the same rule, first written here'), spans);
}

function shadowed(span: Span, list: Finding[], chain: Chain, facts: TableFacts, qualifier: string, spans: RuleSpans): Diagnostic {
  const by = list[0].by;
  return diagnostic('shadowed-rule', span,
    t('this rule never matches{0}: {1} comes first, matches every packet this one would and {2}', qualifier, place(by, chain), facts.howItStops(by)),
    list.map((f) => f.by), t('this rule takes every packet of the rule on line {0} first', span.line + 1), spans);
}

function pairText(rule: Rule): string {
  const parts = [];
  if (rule.addresses?.source) parts.push(t('source {0}', rule.addresses.source));
  if (rule.addresses?.destination) parts.push(t('destination {0}', rule.addresses.destination));
  return parts.join(t(' and '));
}

// ---- entry points ----------------------------------------------------------------------------

/**
 * Adds `shadowed-rule` and `duplicate-rule` warnings for the ruleset.
 * `trusted` says which rules surely exist (in a script, a rule made in a branch
 * the analysis could not decide may not): only those can hide others.
 * Rules on a line with an error are left out: what they mean is uncertain.
 */
export function findDeadRules(ruleset: Ruleset, diagnostics: Diagnostic[], trusted: (rule: Rule) => boolean = () => true, skipTables: ReadonlySet<string> = new Set()): void {
  runToEnd(findDeadRulesSteps(ruleset, diagnostics, trusted, skipTables));
}

/** Rules reviewed between two pauses of `findDeadRulesSteps`. */
const RULES_PER_STEP = 4096;

/** `findDeadRules` in steps (steps.ts): a pause between chains every few thousand rules. */
export function* findDeadRulesSteps(ruleset: Ruleset, diagnostics: Diagnostic[], trusted: (rule: Rule) => boolean = () => true, skipTables: ReadonlySet<string> = new Set()): Steps<void> {
  const broken = brokenBy(diagnostics);
  const found: Diagnostic[] = [];
  const review = new ChainReview(ruleset.family);
  let reviewed = 0;
  for (const table of ruleset.tables.values()) {
    if (skipTables.has(table.name)) continue;
    const facts = new TableFacts(table, ruleset.family, trusted, broken);
    // An array and an index loop: each step of a for...of over 55k chains made an iterator result.
    const chains = [...table.chains.values()];
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i];
      // A rule alone in its chain has nothing before it (kube-proxy: tens of thousands of such chains).
      if (chain.rules.length > 1) report(review.scan(chain, facts, trusted, broken), chain, facts, found);
      reviewed += chain.rules.length;
      if (reviewed < RULES_PER_STEP) continue;
      reviewed = 0;
      yield;
    }
  }
  // A script's two families can find the same thing on the same words.
  const seen = new Set(diagnostics.filter((d) => d.code === 'shadowed-rule' || d.code === 'duplicate-rule').map(diagnosticKey));
  for (const d of found) {
    if (seen.has(diagnosticKey(d))) continue;
    seen.add(diagnosticKey(d));
    diagnostics.push(d);
  }
}

const diagnosticKey = (d: Diagnostic) => `${d.code}|${d.span.line}|${d.span.start}|${d.span.end}|${d.message}`;

/** Rules on a line with an error are left out of the review: what they mean is uncertain. */
function brokenBy(diagnostics: readonly Diagnostic[]): (rule: Rule) => boolean {
  const errorLines = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.line));
  // Without errors only a rule without a flag is left out: asked without the token a rule file's head makes for its flag.
  if (errorLines.size === 0) return (rule) => !rule.facts.flagged;
  return (rule) => {
    const flag = rule.facts.head.flag;
    return !flag || errorLines.has(flag.line);
  };
}

/**
 * The review of a save file's rules in some chains only, after an edit in them
 * (analysis/reanalyse.ts): findings go to `diagnostics`, which holds the rest of
 * the analysis. Returns what a jump into each chain now means to other chains:
 * when it differs from `chainOutcomes` before the edit, they need the review again.
 */
export function findDeadRulesInChains(table: Table, family: Family, chains: readonly Chain[], diagnostics: Diagnostic[]): string[] {
  const broken = brokenBy(diagnostics);
  const trusted = () => true;
  const facts = new TableFacts(table, family, trusted, broken);
  const outcomes = chains.map((chain) => facts.outcome(chain));
  const review = new ChainReview(family);
  for (const chain of chains) report(review.scan(chain, facts, trusted, broken), chain, facts, diagnostics);
  return outcomes;
}

/** What the review of other chains takes from a jump into each of `chains`, as text to compare. */
export function chainOutcomes(table: Table, family: Family, chains: readonly Chain[], diagnostics: readonly Diagnostic[]): string[] {
  const facts = new TableFacts(table, family, () => true, brokenBy(diagnostics));
  return chains.map((chain) => facts.outcome(chain));
}

const REMOVES_RULES: ReadonlySet<Command['kind']> = new Set(['delete', 'replace', 'flush', 'deleteChain', 'renameChain']);

/**
 * A script's rulesets: only rules made by a command that runs on every run of
 * the script can hide others, and a table where a command that may or may not
 * run removes rules is left alone. In steps, as a rule file's review.
 */
export function* findDeadRulesInScriptSteps(rulesets: Record<Family, Ruleset>, calls: readonly IptablesCall[], diagnostics: Diagnostic[]): Steps<void> {
  for (const family of ['ipv4', 'ipv6'] as const) {
    // A rule's facts keep the call that made it as their source.
    const certain = new Set<CommandSource>();
    const skip = new Set<string>();
    for (const call of calls) {
      if (call.family !== family || !call.ok) continue;
      const { kind, table } = call.head;
      if (!call.conditional) certain.add(call);
      else if (REMOVES_RULES.has(kind)) {
        if (table?.unknown) for (const name of rulesets[family].tables.keys()) skip.add(name);
        else skip.add(table?.text ?? 'filter');
      }
    }
    yield* findDeadRulesSteps(rulesets[family], diagnostics, (rule) => certain.has(rule.facts.origin), skip);
  }
}
