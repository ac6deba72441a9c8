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
  private readonly changes = new Map<Chain, number>();
  private readonly stoppers = new Map<Chain, Rule | null>();

  constructor(
    readonly table: Table,
    readonly family: Family,
    private readonly trusted: (rule: Rule) => boolean,
    private readonly broken: (rule: Rule) => boolean,
  ) {}

  /** What a packet may carry changed after it meets this rule and goes on to the next (CHANGE bits). */
  changesBy(rule: Rule): number {
    if (rule.facts.head.symbolic || this.broken(rule)) return ANY_CHANGE;
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
    const known = this.changes.get(chain);
    if (known !== undefined) return known;
    // A cycle (which the kernel refuses) adds nothing new: a chain under way counts as changing nothing.
    this.changes.set(chain, 0);
    const stack = [{ chain, at: 0, bits: 0 }];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const next = this.unknownChainAfter(frame);
      if (next) {
        this.changes.set(next, 0);
        stack.push({ chain: next, at: 0, bits: 0 });
        continue;
      }
      this.changes.set(frame.chain, frame.bits);
      stack.pop();
    }
    return this.changes.get(chain)!;
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
      if (target.kind === 'chain' && !this.changes.has(target.chain)) {
        // What changesBy would look into: a goto's chain, or a jump's that may come back.
        const entered = goto || !(rule.facts.head.symbolic || this.broken(rule) || this.alwaysStops(target.chain));
        if (entered) return target.chain;
      }
      frame.bits |= !goto ? this.changesBy(rule) : target.kind === 'chain' ? this.changes.get(target.chain)! : ANY_CHANGE;
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
    const known = this.stoppers.get(chain);
    if (known !== undefined) return known ?? undefined;
    // A chain under way (a cycle) does not stop packets.
    this.stoppers.set(chain, null);
    const stack = [{ chain, at: 0 }];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const stopper = this.stopperFrom(frame);
      const enter = this.enter;
      if (enter) {
        this.enter = undefined;
        this.stoppers.set(enter, null);
        stack.push({ chain: enter, at: 0 });
        continue;
      }
      this.stoppers.set(frame.chain, stopper ?? null);
      stack.pop();
    }
    return this.stoppers.get(chain) ?? undefined;
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
      if (rule.facts.head.symbolic || this.broken(rule)) return undefined;
      if ((target.kind === 'verdict' && target.name === 'RETURN') || ((target.kind === 'chain' || target.kind === 'unresolved') && target.goto)) return undefined;
      if (!unconditional(rule) || !this.trusted(rule)) continue;
      if (target.kind === 'chain' && !this.stoppers.has(target.chain)) {
        this.enter = target.chain;
        return undefined;
      }
      if (this.stops(rule)) return rule;
    }
    return undefined;
  }
}

// ---- the scan ------------------------------------------------------------------------------

interface Candidate {
  rule: Rule;
  /** Its position in the chain, from 0. */
  at: number;
  shape: Shape;
  /** It surely stops every packet it matches (and is understood exactly). */
  stops: boolean;
  /** The next candidate in the same index bucket (a list without an array per bucket: they add up). */
  next?: Candidate;
}

/** Adds `c` to the front of a bucket's list. */
function prepend<K>(buckets: Map<K, Candidate>, key: K, c: Candidate): void {
  c.next = buckets.get(key);
  buckets.set(key, c);
}

/** Calls `visit` on each candidate of a bucket while it returns true; false if one said stop. */
function visitAll(first: Candidate | undefined, visit: Visitor): boolean {
  for (let c = first; c; c = c.next) if (!visit.visit(c)) return false;
  return true;
}

/** An object, not a closure: a closure per rule reviewed (and a context for what it reads) added up. */
interface Visitor {
  visit(c: Candidate): boolean;
}

/**
 * The earlier rules that stop packets, indexed so that a rule is compared only
 * with those that could hold it: by destination or source network (a rule
 * inside 10.1.0.0/16 looks up 10.0.0.0/8, 10.0.0.0/9, ...), else by protocol
 * and, when it is a single port, destination port.
 */
class CandidateIndex {
  private readonly byDestination = new NetworkIndex();
  private readonly bySource = new NetworkIndex();
  /** By protocol (-1: any), then by destination port (-1: not a single port). */
  private readonly byProtocol = new Map<number, Map<number, Candidate>>();

  add(c: Candidate): void {
    const { source, destination, protocol } = c.shape;
    if (destination && !destination.negated && destination.prefix >= 0) this.byDestination.add(destination, c);
    else if (source && !source.negated && source.prefix >= 0) this.bySource.add(source, c);
    else {
      const key = protocol && !protocol.negated ? protocol.number : -1;
      let byPort = this.byProtocol.get(key);
      if (!byPort) this.byProtocol.set(key, (byPort = new Map()));
      prepend(byPort, singlePort(c.shape.dport) ?? -1, c);
    }
  }

  /** Calls `visit` with each candidate that might hold `b`, in no particular order, until it returns false. */
  near(b: Shape, visit: Visitor): void {
    // A rule for one destination port holds only rules for that same port.
    const port = singlePort(b.dport);
    if (!this.nearByPort(-1, port, visit)) return;
    if (b.protocol && !b.protocol.negated && !this.nearByPort(b.protocol.number, port, visit)) return;
    if (b.destination && !b.destination.negated && !this.byDestination.containing(b.destination, visit)) return;
    if (b.source && !b.source.negated) this.bySource.containing(b.source, visit);
  }

  private nearByPort(protocol: number, port: number | undefined, visit: Visitor): boolean {
    const byPort = this.byProtocol.get(protocol);
    return !byPort || (visitAll(byPort.get(-1), visit) && (port === undefined || visitAll(byPort.get(port), visit)));
  }
}

function singlePort(r: Ranges | undefined): number | undefined {
  return r && r.length === 1 && r[0][0] === r[0][1] ? r[0][0] : undefined;
}

/** Candidates by network: per prefix length, by the network's first bits. */
class NetworkIndex {
  private readonly prefixes: number[] = [];
  private readonly networks: Map<number | bigint, Candidate>[] = [];

  add(n: Net, c: Candidate): void {
    let i = this.prefixes.indexOf(n.prefix);
    if (i < 0) {
      // Kept in ascending order, so a lookup can stop at the first longer prefix.
      i = this.prefixes.findIndex((p) => p > n.prefix);
      if (i < 0) i = this.prefixes.length;
      this.prefixes.splice(i, 0, n.prefix);
      this.networks.splice(i, 0, new Map());
    }
    prepend(this.networks[i], networkKey(n, n.prefix), c);
  }

  /** Visits the candidates whose network holds all of `n`; false if the visitor said stop. */
  containing(n: Net, visit: Visitor): boolean {
    for (let i = 0; i < this.prefixes.length; i++) {
      const prefix = this.prefixes[i];
      if (n.prefix >= 0 && prefix > n.prefix) break;
      // A mask that is not a prefix holds a network only if it has all of its bits.
      const holds = n.prefix >= 0 || (maskFromPrefix(prefix, n.number === undefined ? 'ipv6' : 'ipv4') & ~n.mask) === 0n;
      if (holds && !visitAll(this.networks[i].get(networkKey(n, prefix)), visit)) return false;
    }
    return true;
  }
}

/**
 * The network's first `prefix` bits (a number for IPv4: bigint work is slow), at most 30 of them:
 * a key that fits a small integer is not boxed for each lookup, and the candidates of a bucket
 * are compared one by one anyway.
 */
function networkKey(n: Net, prefix: number): number | bigint {
  if (n.number !== undefined) return prefix === 0 ? 0 : n.number >>> (32 - Math.min(prefix, 30));
  return prefix === 0 ? 0n : n.address >> BigInt(128 - prefix);
}

function push<K, T>(map: Map<K, T[]>, key: K, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
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

/** Trusted rules by canonical text, which is worked out only for rules whose fingerprint another rule shares. */
class Copies {
  private readonly byPrint = new Map<number, Candidate>();
  /** Only for fingerprints that two rules share. */
  private byText?: Map<string, Candidate>;

  constructor(private readonly family: Family, first: Candidate) {
    this.byPrint.set(first.shape.print, first);
  }

  /** The first rule with the same canonical text as `rule`. */
  find(rule: Rule, print: number): Candidate | undefined {
    if (!this.byPrint.has(print)) return undefined;
    const text = this.shared(print, rule);
    return this.byText!.get(text);
  }

  add(c: Candidate): void {
    if (!this.byPrint.has(c.shape.print)) this.byPrint.set(c.shape.print, c);
    else {
      const text = this.shared(c.shape.print, c.rule);
      if (!this.byText!.has(text)) this.byText!.set(text, c);
    }
  }

  /** The rule's canonical text, once the first rule with this fingerprint is filed under its own. */
  private shared(print: number, rule: Rule): string {
    const first = this.byPrint.get(print)!;
    const firstText = this.textOf(first.rule);
    this.byText ??= new Map();
    if (!this.byText.has(firstText)) this.byText.set(firstText, first);
    return this.textOf(rule);
  }

  /** The last rule whose text was worked out, and its text: a rule is looked up (find), then filed (add). */
  private lastRule?: Rule;
  private lastText = '';

  /** A rule's canonical text parses its line again: worked out once for the find and add of one rule. */
  private textOf(rule: Rule): string {
    if (rule !== this.lastRule) {
      this.lastText = canonicalRule(rule, this.family);
      this.lastRule = rule;
    }
    return this.lastText;
  }
}

/** For each CHANGE bit, the position of the last rule that may change it: a candidate still holds when none changed what it reads since. */
function stillHolds(c: Candidate, lastChange: Int32Array): boolean {
  const reads = c.shape.reads;
  for (let bit = 0; bit < lastChange.length; bit++) if (reads & (1 << bit) && lastChange[bit] >= c.at) return false;
  return true;
}

/** The search for the first earlier rule that holds `rule`, over the candidates an index offers. */
class Shadow implements Visitor {
  best: Candidate | undefined = undefined;
  rule!: Rule;
  shape!: Shape;
  budget = COMPARISON_BUDGET;

  constructor(readonly lastChange: Int32Array) {}

  /** The earliest candidate of `index` that holds `rule`. */
  find(rule: Rule, index: CandidateIndex): Candidate | undefined {
    this.best = undefined;
    this.rule = rule;
    this.shape = rule.shape;
    index.near(this.shape, this);
    return this.best;
  }

  visit(c: Candidate): boolean {
    if (--this.budget < 0) return false;
    const best = this.best;
    const rule = this.rule;
    if ((!best || c.at < best.at) && c.rule.facts !== rule.facts && !sameSpan(c.rule, rule) && stillHolds(c, this.lastChange) && covers(c.shape, this.shape)) this.best = c;
    return true;
  }
}

const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

function scanChain(chain: Chain, facts: TableFacts, trusted: (rule: Rule) => boolean, broken: (rule: Rule) => boolean): readonly Finding[] {
  let findings: Finding[] | undefined;
  // Made for the first rule that needs them: most of kube-proxy's 55k chains never do.
  let index: CandidateIndex | undefined;
  // The first candidate alone, until a second one or a rule with its fingerprint needs the copies filed.
  let first: Candidate | undefined;
  let copies: Copies | undefined;
  let shadow: Shadow | undefined;
  // Only once a rule stops packets (before, nothing reads it).
  let lastChange: Int32Array | undefined;
  let stoppers = false;
  const rules = chain.rules;
  for (let at = 0; at < rules.length; at++) {
    const rule = rules[at];
    if (!rule.facts.head.symbolic && !broken(rule)) {
      const shape = rule.shape;
      if (!copies && first && first.shape.print === shape.print) copies = new Copies(facts.family, first);
      const copy = copies?.find(rule, shape.print);
      let dead = false;
      if (copy && copy.rule.facts !== rule.facts && !sameSpan(copy.rule, rule)) {
        // A candidate that stops packets made lastChange.
        dead = copy.stops && stillHolds(copy, lastChange!);
        (findings ??= []).push({ rule, by: copy.rule, duplicate: true, dead });
      } else if (!shape.empty && index) {
        // The index holds only candidates that stop packets: lastChange is made.
        const best = (shadow ??= new Shadow(lastChange!)).find(rule, index);
        if (best) (findings ??= []).push({ rule, by: best.rule, duplicate: false, dead: (dead = true) });
      }
      // The last rule shadows nothing: no rule comes after it.
      if (at < rules.length - 1 && trusted(rule)) {
        const candidate: Candidate = { rule, at, shape, stops: shape.exact && !shape.empty && facts.stops(rule), next: undefined };
        if (!copy) {
          if (copies) copies.add(candidate);
          else if (first) (copies = new Copies(facts.family, first)).add(candidate);
          else first = candidate;
        }
        // A dead rule holds nothing its shadow does not hold first (and reads no less, so no rule in between spares the shadow alone).
        if (candidate.stops && !dead) (index ??= new CandidateIndex()).add(candidate);
        if (candidate.stops && !stoppers) {
          stoppers = true;
          lastChange = new Int32Array(6).fill(-1);
        }
      }
    }
    // What a rule changes matters only to rules before it that stop packets.
    if (!stoppers) continue;
    const changes = facts.changesBy(rule);
    for (let bit = 0; bit < lastChange!.length; bit++) if (changes & (1 << bit)) lastChange![bit] = at;
  }
  return findings ?? NO_FINDINGS;
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
    if (span === undefined) this.known.set(facts, (span = ruleSpan(facts.source.command) ?? null));
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
  let reviewed = 0;
  for (const table of ruleset.tables.values()) {
    if (skipTables.has(table.name)) continue;
    const facts = new TableFacts(table, ruleset.family, trusted, broken);
    // An array and an index loop: each step of a for...of over 55k chains made an iterator result.
    const chains = [...table.chains.values()];
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i];
      // A rule alone in its chain has nothing before it (kube-proxy: tens of thousands of such chains).
      if (chain.rules.length > 1) report(scanChain(chain, facts, trusted, broken), chain, facts, found);
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
  if (errorLines.size === 0) return (rule) => !sameFlagPlace(rule.facts.head, rule.facts.head);
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
  for (const chain of chains) report(scanChain(chain, facts, trusted, broken), chain, facts, diagnostics);
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
    yield* findDeadRulesSteps(rulesets[family], diagnostics, (rule) => certain.has(rule.facts.source), skip);
  }
}
