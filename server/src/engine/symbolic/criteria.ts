// A rule's criteria over sets of packets. The concrete engine's compiled tests
// are the meaning of every criterion; the analysis adds, for the tests on
// fields with many values (addresses, ports, MAC addresses, protocols), the
// set of values each accepts, read from the same parsed option values, and
// for tests on fields with few values (TCP flags, ICMP types) it asks the
// concrete test itself, value by value, once per rule. Any other test is run
// on the pieces themselves (concrete.ts).
import type { Hook } from '../../knowledge';
import { checkValue, PortRange } from '../../knowledge/values';
import { t } from '../../l10n';
import type { Rule } from '../../model/ruleset';
import { first, isOption, type Criterion as RuleCriterion, type MatchUse, type OptionUse, type TargetUse } from '../../syntax/command';
import type { CompiledRule } from '../compile';
import { Criterion, EvalContext, Skb, Tri } from '../context';
import type { Interface } from '../host';
import { compileMatch, type CompileContext } from '../matches';
import { Packet, parsePacket } from '../packet';
import { EngineState } from '../state';
import { Answer, evaluate, Reads, type Source } from './concrete';
import type { Tuple } from '../conntrack';
import { IntervalSet } from './intervals';
import { currentSet, newSkb, Piece, Setting, SkbState, splitBy } from './piece';
import { allAddresses, Dim, interfaceIndex, MAC_NONE } from './space';

/** Where a rule is evaluated: the hook, the table and the devices of this way. */
export interface Place {
  hook: Hook;
  table: string;
  outDev: Interface | null;
  nextHop: bigint | null;
  ruleId: string;
}

export interface Undecided {
  piece: Piece;
  reason: string;
  kind: 'uncertain' | 'unmodelled';
  probability?: number;
}

export interface Split {
  yes: Piece[];
  no: Piece[];
  maybe: Undecided[];
}

export interface SymbolicCriterion {
  text: string;
  /** Evaluating it changes kernel memory (see context.ts). */
  stateful: boolean;
  split(piece: Piece, place: Place): Split;
  /** True when no packet of the piece can pass it (asked before a rule's criteria split the piece: one that refuses the whole piece settles the rule). */
  refuses?(piece: Piece, place: Place): boolean;
}

/** The kernel state a first packet after loading meets when nothing is known of what came before. */
const UNKNOWN_PAST = EngineState.blank();

/** The packet's fields a field of the tuple of its own direction was made of; the other direction's tuple swaps them. */
const TUPLE_SOURCES: Readonly<Record<keyof Tuple, readonly Source[]>> = { protocol: ['proto'], src: ['src'], dst: ['dst'], sport: ['sport'], dport: ['dport', 'icmp'] };
const SWAPPED_SOURCES: Readonly<Record<keyof Tuple, readonly Source[]>> = { protocol: ['proto'], src: ['dst'], dst: ['src'], sport: ['dport', 'icmp'], dport: ['sport'] };

/** A connection's tuple that notes which of the packet's fields a test reads through it. */
function tupleReads(t: Tuple, reads: Reads, own: boolean): Tuple {
  const sources = own ? TUPLE_SOURCES : SWAPPED_SOURCES;
  return new Proxy(t, {
    get(target, key, receiver) {
      const read = sources[key as keyof Tuple];
      if (read) reads.note(...read);
      return Reflect.get(target, key, receiver);
    },
  });
}

/**
 * The concrete context for one run of a test or a target on a piece's
 * representative. A target gets `kernel`, a copy of the piece's kernel state
 * it may change; a test reads the piece's own. Reading the connection's
 * tuples is reading the addresses and ports they were made of.
 */
export function evalContext(rep: Packet, reads: Reads, piece: Piece, s: Setting, place: Place, kernel?: SkbState): EvalContext {
  const skb: Skb = kernel ? Object.assign(kernel, { pkt: rep }) : { ...piece.skb, pkt: rep };
  if (skb.ct.kind === 'tracked') {
    const real = skb.ct.conn;
    const dir = skb.ct.dir;
    const conn = new Proxy(real, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (key === 'master') reads.note('proto', 'src', 'dst', 'sport', 'dport', 'icmp');
        // The counters are the connection's history: where the packet stands in it.
        // So are its NAT marks where they differ among the piece's connections (walk.ts openedBy).
        if (key === 'packets' || key === 'bytes' || key === 'srcNat' || key === 'dstNat') reads.note('ct');
        return key === 'orig' || key === 'reply' ? tupleReads(v as Tuple, reads, (key === 'orig') === (dir === 'original')) : v;
      },
    });
    skb.ct = { ...skb.ct, conn };
    reads.onEnd(() => {
      if (skb.ct.kind === 'tracked' && skb.ct.conn === conn) skb.ct = { ...skb.ct, conn: real };
    });
  }
  return {
    family: s.family, host: s.host, state: UNKNOWN_PAST, skb, pkt: rep, hook: place.hook, table: place.table,
    get inDev() {
      const name = rep.inInterface;
      return name === null ? null : s.host.interfaces.get(name) ?? null;
    },
    outDev: place.outDev, nextHop: place.nextHop, ruleId: place.ruleId, notes: [],
  };
}

function triKey(t: Tri): string {
  return typeof t === 'boolean' ? String(t) : `?${t.reason}|${t.probability}`;
}

/** A test of the concrete engine run on the pieces (concrete.ts). */
function concreteCriterion(c: Criterion, s: Setting, regionDims: readonly Dim[] = []): SymbolicCriterion {
  return {
    text: c.text,
    stateful: c.stateful === true,
    split(piece, place) {
      const answers: Answer<Tri>[] = evaluate(piece, s, `\`${c.text}\``, (rep, reads, p) => c.test(evalContext(rep, reads, p, s, place)), triKey, { regions: regionDims });
      const out: Split = { yes: [], no: [], maybe: [] };
      for (const a of answers) {
        if ('unmodelled' in a) out.maybe.push({ piece: a.piece, reason: a.unmodelled, kind: 'unmodelled' });
        else if (a.value === true) out.yes.push(a.piece);
        else if (a.value === false) out.no.push(a.piece);
        else out.maybe.push({ piece: a.piece, reason: a.value.reason, kind: 'uncertain', ...(a.value.probability === undefined ? {} : { probability: a.value.probability }) });
      }
      return out;
    },
  };
}

/** A test that holds exactly when a field's value now is in `set`. */
function setCriterion(text: string, dim: Dim, set: IntervalSet): SymbolicCriterion {
  return {
    text,
    stateful: false,
    refuses: (piece) => !currentSet(piece, dim).overlaps(set),
    split(piece) {
      const r = splitBy(piece, dim, set);
      return {
        yes: r.inside ? [r.inside] : [], no: r.outside ? [r.outside] : [],
        maybe: r.undecided ? [{ piece: r.undecided.piece, reason: t('{0}: the field {1}', text, r.undecided.why), kind: 'unmodelled' }] : [],
      };
    },
  };
}

/** Either field in `set` (multiport's --ports). */
function eitherCriterion(text: string, a: Dim, b: Dim, set: IntervalSet): SymbolicCriterion {
  const first = setCriterion(text, a, set);
  const second = setCriterion(text, b, set);
  return {
    text,
    stateful: false,
    split(piece, place) {
      const x = first.split(piece, place);
      const y = x.no.map((p) => second.split(p, place));
      return { yes: [...x.yes, ...y.flatMap((r) => r.yes)], no: y.flatMap((r) => r.no), maybe: [...x.maybe, ...y.flatMap((r) => r.maybe)] };
    },
  };
}

const PORTS = IntervalSet.range(0n, 65535n);

function negate(set: IntervalSet, all: IntervalSet, negated: boolean): IntervalSet {
  return negated ? all.subtract(set) : set;
}

function portSet(ranges: PortRange[]): IntervalSet {
  return IntervalSet.fromRanges(ranges.map((r) => [BigInt(r.from), BigInt(r.to)]));
}

function optionText(o: OptionUse): string {
  return `${o.negated ? '! ' : ''}${o.flag.text}${o.values.map((v) => ' ' + v.text).join('')}`;
}

/**
 * The value set of a test on a field with few values, asked of the concrete
 * test itself for each value on an otherwise ordinary packet. Undefined when
 * the test reads anything else or cannot tell: it is then run on the pieces.
 */
function probe(cs: Criterion[], dim: Dim, base: Packet, values: bigint[], set: (p: Packet, v: bigint) => void, s: Setting): IntervalSet | undefined {
  const yes: [bigint, bigint][] = [];
  const place: Place = { hook: 'INPUT', table: 'filter', outDev: null, nextHop: null, ruleId: '' };
  const reads = new Reads();
  const p = { ...base };
  const ctx = evalContext(reads.packet(p), reads, PROBE_PIECE, s, place);
  for (const v of values) {
    set(p, v);
    let all = true;
    for (const c of cs) {
      const r = c.test(ctx);
      if (typeof r !== 'boolean') return undefined;
      if (!r) {
        all = false;
        break;
      }
    }
    if (all) yes.push([v, v]);
  }
  if ([...reads.sources].some((x) => x !== dim && !(dim === 'icmp' && (x === 'icmpType' || x === 'icmpCode')))) return undefined;
  return IntervalSet.fromRanges(yes);
}

/** Probes look at the packet alone: no connection, nothing rewritten. */
const PROBE_PIECE: Piece = { skb: newSkb() } as Piece;

/**
 * The symbolic tests of one match use: options with a known value set become
 * set tests, the rest run the concrete engine's compiled test (each option
 * alone where the module tests them one by one, else the whole module).
 */
function matchCriteria(use: MatchUse, cc: CompileContext, s: Setting, bases: Bases): SymbolicCriterion[] {
  const name = use.spec?.name ?? use.name;
  const scripted = use.options.some((o) => o.values.some((v) => v.unknown !== undefined));
  const whole = () => compileMatch(use, cc).criteria.map((c) => concreteCriterion(c, s, REGION_MODULES.has(name) ? ['src', 'dst'] : []));
  if (scripted || !use.spec || !PER_OPTION_MODULES.has(name)) return whole();
  const out: SymbolicCriterion[] = [];
  for (const o of use.options) {
    const text = optionText(o);
    if (o.parsed.length < o.values.length || o.parsed.some((v) => v === undefined)) {
      out.push(refusedValue(text));
      continue;
    }
    const alone = () => compileMatch({ ...use, options: [o] }, cc).criteria;
    if (isOption(o, ['source-port', 'destination-port']) && name !== 'multiport') {
      const r = first(o);
      out.push(setCriterion(text, o.spec.name === 'source-port' ? 'sport' : 'dport', negate(portSet([r]), PORTS, o.negated)));
    } else if (isOption(o, ['source-ports', 'destination-ports', 'ports'])) {
      const set = negate(portSet(first(o)), PORTS, o.negated);
      out.push(o.spec.name === 'ports' ? eitherCriterion(text, 'sport', 'dport', set) : setCriterion(text, o.spec.name === 'source-ports' ? 'sport' : 'dport', set));
    } else if (isOption(o, ['src-range', 'dst-range'])) {
      const { from, to } = first(o);
      out.push(setCriterion(text, o.spec.name === 'src-range' ? 'src' : 'dst', negate(IntervalSet.range(from, to), allAddresses(s.family), o.negated)));
    } else if (isOption(o, ['icmp-type', 'icmpv6-type'])) {
      // Type 255 (`any`) is every message; else one type and a range of codes (icmp_type_code_match).
      const m = first(o);
      const set = m.any ? ICMP_ALL : IntervalSet.range(BigInt(m.type * 256 + m.codeFrom), BigInt(m.type * 256 + m.codeTo));
      out.push(setCriterion(text, 'icmp', negate(set, ICMP_ALL, o.negated)));
    } else if (isOption(o, 'mac-source')) {
      const mac = BigInt(`0x${first(o).replace(/:/g, '')}`);
      // Without a MAC (sent by the host, or over lo) the test fails, negated or not.
      out.push(setCriterion(text, 'mac', o.negated ? IntervalSet.range(0n, MAC_NONE - 1n).subtract(IntervalSet.of(mac)) : IntervalSet.of(mac)));
    } else {
      const cs = alone();
      const small = SMALL_OPTIONS[o.spec.name];
      const set = small && probe(cs, small.dim, bases[small.base], small.values, small.set, s);
      out.push(set ? setCriterion(text, small.dim, set) : { ...concreteCriterion({ text, test: (ctx) => allOf(cs, ctx), stateful: cs.some((c) => c.stateful) }, s) });
    }
  }
  return out;
}

/** An option whose value iptables refuses (an anonymised MAC address...): what it was meant to test is not guessed. */
function refusedValue(text: string): SymbolicCriterion {
  return {
    text,
    stateful: false,
    split: (piece) => ({ yes: [], no: [], maybe: [{ piece, reason: t('`{0}` has a value iptables refuses: what it was meant to match is not known', text), kind: 'unmodelled' }] }),
  };
}

/** The host's interfaces (and none: sent by the host) for which an interface test holds, asked of the test itself. */
function interfacesWhere(c: Criterion, s: Setting, which: 'inDev' | 'outDev'): Set<string | null> {
  const yes = new Set<string | null>();
  for (const itf of [null, ...s.host.interfaces.values()]) {
    const ctx = { [which]: itf } as unknown as EvalContext;
    if (c.test(ctx) === true) yes.add(itf?.name ?? null);
  }
  return yes;
}

/** `-i`: a set of values of the `in` dimension. */
function inInterfaceCriterion(c: Criterion, s: Setting): SymbolicCriterion {
  const names = interfacesWhere(c, s, 'inDev');
  return setCriterion(c.text, 'in', IntervalSet.fromRanges([...names].map((n) => interfaceIndex(s.host, n)).map((i) => [i, i])));
}

/** `-o`: the device of this way is one of a set. */
function outInterfaceCriterion(c: Criterion, s: Setting): SymbolicCriterion {
  const names = interfacesWhere(c, s, 'outDev');
  return {
    text: c.text,
    stateful: false,
    split: (piece, place) => (names.has(place.outDev?.name ?? null) ? { yes: [piece], no: [], maybe: [] } : { yes: [], no: [piece], maybe: [] }),
    refuses: (_piece, place) => !names.has(place.outDev?.name ?? null),
  };
}

/** The tests of one option in order, as the kernel runs them: the first that is not true answers. */
function allOf(cs: Criterion[], ctx: EvalContext): Tri {
  for (const c of cs) {
    const r = c.test(ctx);
    if (r !== true) return r;
  }
  return true;
}

/** Modules whose options the kernel tests one by one (each option is a test of its own). */
const PER_OPTION_MODULES = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'multiport', 'icmp', 'icmp6', 'iprange', 'mac']);

/** Modules that look at addresses only through the host's facts (its addresses, routes): evaluated region by region. */
const REGION_MODULES = new Set(['addrtype', 'rpfilter']);

const FLAG_VALUES = Array.from({ length: 256 }, (_, i) => BigInt(i));
const ICMP_ALL = IntervalSet.range(0n, 65535n);

interface SmallOption {
  dim: Dim;
  base: keyof Bases;
  values: bigint[];
  set(p: Packet, v: bigint): void;
}

const SMALL_OPTIONS: Record<string, SmallOption> = {
  'tcp-flags': { dim: 'flags', base: 'tcp', values: FLAG_VALUES, set: (p, v) => { p.tcpFlags = Number(v); } },
  syn: { dim: 'flags', base: 'tcp', values: FLAG_VALUES, set: (p, v) => { p.tcpFlags = Number(v); } },
};

/** An ordinary packet the small-field tests are asked about. */
export interface Bases {
  tcp: Packet;
}

export function basePackets(s: Setting): Bases {
  const v4 = s.family === 'ipv4';
  const json = { protocol: 'tcp', source: v4 ? '198.51.100.7' : '2001:db8:ffff::7', destination: v4 ? '203.0.113.1' : '2001:db8:1::1' };
  return { tcp: parsePacket(json, { host: s.host, family: s.family }) };
}

function baseCriterion(c: RuleCriterion | undefined, text: string | undefined, dim: 'src' | 'dst', s: Setting): SymbolicCriterion | undefined {
  if (!c || c.value.unknown !== undefined) return undefined;
  const value = text ?? c.value.text;
  const v = checkValue('hostMask', value, { family: s.family }).value;
  if (!v || !('address' in v)) return undefined;
  const all = allAddresses(s.family).max;
  const hostBits = all ^ v.mask;
  // A mask with holes is left to the concrete test.
  if ((hostBits & (hostBits + 1n)) !== 0n) return undefined;
  const set = IntervalSet.range(v.address, v.address | hostBits);
  return setCriterion(`${c.negated ? '! ' : ''}${c.flag.text} ${value}`, dim, negate(set, allAddresses(s.family), c.negated));
}

export interface SymbolicRule {
  compiled: CompiledRule;
  criteria: SymbolicCriterion[];
  /** The rule's target with its options (NAT reads them). */
  target?: TargetUse;
}

/**
 * The rule's criteria in the kernel's order (ip_packet_match's base tests,
 * then each match): -s, -d and -p as value sets, the rest through the
 * concrete engine's compiled tests, taken from the compiled rule (base
 * tests, which compile.ts puts before the matches') or compiled again per
 * match. `hooks`: the built-in hooks that reach the rule's chain.
 */
export function symbolicRule(rule: Rule, compiled: CompiledRule, hooks: ReadonlySet<Hook>, s: Setting, bases: Bases): SymbolicRule {
  const spec = rule.spec;
  const cc: CompileContext = { family: s.family, table: rule.table, ruleId: compiled.id, hooks };
  const matchCount = spec.matches.reduce((n, use) => n + compileMatch(use, cc).criteria.length, 0);
  const concreteBase = compiled.criteria.slice(0, compiled.criteria.length - matchCount);
  const criteria: SymbolicCriterion[] = [];
  const protocol = spec.protocol;
  const protocolText = protocol && `${protocol.negated ? '! ' : ''}${protocol.flag.text} ${protocol.value.text}`;
  const protocolNumber = protocol && protocol.value.unknown === undefined ? checkValue('protocol', protocol.value.text.toLowerCase(), { family: s.family }).value : undefined;
  const addresses = [[spec.source, rule.addresses?.source, 'src'], [spec.destination, rule.addresses?.destination, 'dst']] as const;
  let k = 0;
  for (const [c, text, dim] of addresses) {
    if (!c) continue;
    criteria.push(baseCriterion(c, text, dim, s) ?? concreteCriterion(concreteBase[k], s));
    k++;
  }
  const interfaceTexts = [spec.inInterface, spec.outInterface].map((c) => c && c.value.unknown === undefined && `${c.negated ? '! ' : ''}${c.flag.text} ${c.value.text}`);
  for (; k < concreteBase.length; k++) {
    const c = concreteBase[k];
    if (c.text === protocolText && protocolNumber !== undefined && protocolNumber !== 0) {
      criteria.push(setCriterion(c.text, 'proto', negate(IntervalSet.of(BigInt(protocolNumber)), IntervalSet.range(0n, 255n), protocol!.negated)));
    } else if (c.text === interfaceTexts[0]) criteria.push(inInterfaceCriterion(c, s));
    else if (c.text === interfaceTexts[1]) criteria.push(outInterfaceCriterion(c, s));
    else criteria.push(concreteCriterion(c, s));
  }
  for (const use of spec.matches) criteria.push(...matchCriteria(use, cc, s, bases));
  return { compiled, criteria, target: spec.target };
}
