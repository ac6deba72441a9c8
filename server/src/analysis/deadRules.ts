// Rules that can never match, and rules written twice. A rule never matches
// when an earlier rule of the same chain takes every packet it would match and
// ends their way through the chain there. Conservative by design, since a false
// "never matches" costs more than a missed one: the earlier rule counts only
// when every criterion it has is understood exactly here, and a rule in
// between that may change what it tests (MARK, a jump into a chain that marks)
// breaks the argument.
import type { Diagnostic, DiagnosticCode, Span } from '../diagnostics';
import type { Family, PacketChange } from '../knowledge';
import { Cidr, maskFromPrefix } from '../knowledge/addresses';
import { checkValue, IcmpMatch, MarkMask, PortRange } from '../knowledge/values';
import { CT_STATES, STATE_NAMES, TCP_FLAGS } from '../knowledge/vocabulary';
import type { Chain, Rule, Ruleset, Table } from '../model/ruleset';
import { canonicalRule } from '../model/saveText';
import type { IptablesCall } from '../shell/scriptFirewall';
import type { Command, Criterion, MatchUse, OptionUse } from '../syntax/command';

// ---- sets of 16-bit numbers (ports; ICMP type * 256 + code) -------------------

/** Sorted, disjoint, non-touching inclusive ranges. */
type Ranges = readonly (readonly [number, number])[];

const TOP = 0xffff;

function ranges(list: (readonly [number, number])[], negated: boolean): Ranges {
  const out: [number, number][] = [];
  for (const [from, to] of [...list].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  if (!negated) return out;
  const complement: [number, number][] = [];
  let next = 0;
  for (const [from, to] of out) {
    if (from > next) complement.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= TOP) complement.push([next, TOP]);
  return complement;
}

function intersect(a: Ranges, b: Ranges): Ranges {
  const out: [number, number][] = [];
  for (const [af, at] of a) {
    for (const [bf, bt] of b) {
      const from = Math.max(af, bf);
      const to = Math.min(at, bt);
      if (from <= to) out.push([from, to]);
    }
  }
  return ranges(out, false);
}

/** Every number of `inner` is in `outer`. */
function within(inner: Ranges, outer: Ranges): boolean {
  return inner.every(([f, t]) => outer.some(([of, ot]) => of <= f && t <= ot));
}

// ---- what a rule matches ---------------------------------------------------------

interface Net {
  address: bigint;
  mask: bigint;
  prefix: number;
  negated: boolean;
  /** IPv4: the address as a number, for the index (bigint work is slow). */
  number?: number;
}
interface InterfaceName { name: string; wildcard: boolean; negated: boolean }
interface Mark { value: bigint; mask: bigint; negated: boolean }

/** A rule's criteria, as far as they are understood. */
interface Shape {
  /** Every criterion is understood exactly: the shape is the rule's set of packets. Else it is a superset. */
  exact: boolean;
  /** The rule's own criteria can never all hold. */
  empty: boolean;
  protocol?: { number: number; negated: boolean };
  source?: Net;
  destination?: Net;
  inInterface?: InterfaceName;
  outInterface?: InterfaceName;
  /** `-f`: later fragments only; `! -f` or a match that reads ports or ICMP types: first fragments and whole packets. */
  fragment?: 'later' | 'first';
  sport?: Ranges;
  dport?: Ranges;
  /** multiport `--ports`: the source or the destination port is in the set. */
  eitherPort: readonly Ranges[];
  /** multiport `! --ports`: neither port is in the set. */
  neitherPort: readonly Ranges[];
  /** Connection-tracking states, as a bit set (see stateClasses). */
  states?: number;
  icmp?: Ranges;
  marks: readonly Mark[];
  /** `--tcp-flags`: the flags under a mask compared with a value, like a mark. */
  tcpFlags: readonly Mark[];
  /** What the criteria test that a rule in between could change (CHANGE bits). */
  reads: number;
  /** A hash, equal for rules with the same canonical text (which is much dearer to work out). */
  print: number;
}

const CHANGE: Record<PacketChange, number> = { mark: 1, conntrack: 2, addresses: 4, header: 8, sets: 16, other: 32 };
const ANY_CHANGE = 63;

/**
 * Each packet has exactly one of the `-m state` states, plus any of the other
 * conntrack states (SNAT, DNAT) as extra flags: one class per combination.
 */
const PRIMARY_STATES: ReadonlySet<string> = new Set(STATE_NAMES);
const EXTRA_STATES = CT_STATES.map((s) => s.name).filter((n) => !PRIMARY_STATES.has(n));
const ALL_STATES = (1 << (STATE_NAMES.length << EXTRA_STATES.length)) - 1;

const STATE_SETS = new Map<string, number>();

function stateClasses(names: readonly string[], negated: boolean): number {
  const key = `${negated ? '!' : ''}${names.join(',')}`;
  const known = STATE_SETS.get(key);
  if (known !== undefined) return known;
  let bits = 0;
  STATE_NAMES.forEach((primary, p) => {
    for (let extras = 0; extras < 1 << EXTRA_STATES.length; extras++) {
      const hit = names.includes(primary) || EXTRA_STATES.some((x, i) => extras & (1 << i) && names.includes(x));
      if (hit) bits |= 1 << ((p << EXTRA_STATES.length) | extras);
    }
  });
  bits = negated ? ALL_STATES & ~bits : bits;
  // Few distinct lists are ever written.
  if (STATE_SETS.size < 10_000) STATE_SETS.set(key, bits);
  return bits;
}

const NONE: readonly never[] = [];

type OptionReader = (shape: Shape, option: OptionUse, value: unknown) => boolean;

const portRanges = (value: unknown): [number, number][] => (Array.isArray(value) ? value as PortRange[] : [value as PortRange]).map((p) => [p.from, p.to]);

/** `--sport`/`--dport` (one range) and multiport's lists narrow the same port sets. */
const addPorts = (key: 'sport' | 'dport'): OptionReader => (shape, o, value) => {
  const set = ranges(portRanges(value), o.negated);
  shape[key] = shape[key] ? intersect(shape[key], set) : set;
  return true;
};
const ports: Record<string, OptionReader> = { 'source-port': addPorts('sport'), 'destination-port': addPorts('dport') };

/** The six flags `ALL` stands for, one bit each. */
const FLAG_BITS = new Map(TCP_FLAGS.map((f) => f.name).filter((n) => n !== 'ALL' && n !== 'NONE').map((n, i) => [n, 1n << BigInt(i)]));

function flagBits(names: readonly string[]): bigint {
  let bits = 0n;
  for (const n of names) for (const [flag, bit] of FLAG_BITS) if (n === 'ALL' || n === flag) bits |= bit;
  return bits;
}

/** A test `(field & mask) == value`, possibly negated: a mark, or TCP flags. */
function addMasked(shape: Shape, key: 'marks' | 'tcpFlags', value: bigint, mask: bigint, negated: boolean): void {
  // Bits outside the mask can never compare equal.
  if ((value & ~mask) !== 0n) {
    if (!negated) shape.empty = true;
    return;
  }
  shape[key] = [...shape[key], { value, mask, negated }];
}
const icmpType: OptionReader = (shape, o, value) => {
  const t = value as IcmpMatch;
  // The kernel takes type 255 to mean any type, as `any` is stored.
  const set = ranges(t.any || t.type === 255 ? [[0, TOP]] : [[t.type * 256 + t.codeFrom, t.type * 256 + t.codeTo]], o.negated);
  shape.icmp = shape.icmp ? intersect(shape.icmp, set) : set;
  return true;
};
const ctState: OptionReader = (shape, o, value) => {
  const set = stateClasses(value as string[], o.negated);
  shape.states = shape.states === undefined ? set : shape.states & set;
  shape.reads |= CHANGE.conntrack;
  return true;
};

/**
 * The matches understood here, by module: how each option narrows the shape.
 * `header`: the module reads the transport header, so it never matches a
 * later fragment (the kernel checks the fragment offset first).
 */
const MATCHES: Record<string, { header?: boolean; options: Record<string, OptionReader> }> = {
  tcp: {
    header: true,
    options: {
      ...ports,
      'tcp-flags': (shape, o, value) => {
        const compared = o.parsed[1] as string[] | undefined;
        if (!compared) return false;
        shape.reads |= CHANGE.header;
        addMasked(shape, 'tcpFlags', flagBits(compared), flagBits(value as string[]), o.negated);
        return true;
      },
    },
  },
  udp: { header: true, options: ports },
  sctp: { header: true, options: ports },
  dccp: { header: true, options: ports },
  multiport: {
    header: true,
    options: {
      'source-ports': addPorts('sport'),
      'destination-ports': addPorts('dport'),
      ports: (s, o, v) => {
        const set = ranges(portRanges(v), false);
        if (o.negated) s.neitherPort = [...s.neitherPort, set];
        else s.eitherPort = [...s.eitherPort, set];
        return true;
      },
    },
  },
  icmp: { header: true, options: { 'icmp-type': icmpType } },
  icmp6: { header: true, options: { 'icmpv6-type': icmpType } },
  conntrack: { options: { ctstate: ctState } },
  state: { options: { state: ctState } },
  mark: {
    options: {
      mark: (shape, o, value) => {
        const { value: v, mask } = value as MarkMask;
        shape.reads |= CHANGE.mark;
        addMasked(shape, 'marks', v, mask, o.negated);
        return true;
      },
    },
  },
  comment: { options: { comment: () => true } },
};

function shapeOf(rule: Rule, family: Family): Shape {
  const s = rule.spec;
  // Every field set here, so that all shapes share one object layout.
  const shape: Shape = {
    exact: true, empty: false, protocol: undefined, source: undefined, destination: undefined, inInterface: undefined,
    outInterface: undefined, fragment: undefined, sport: undefined, dport: undefined, eitherPort: NONE, neitherPort: NONE,
    states: undefined, icmp: undefined, marks: NONE, tcpFlags: NONE, reads: 0, print: 0,
  };
  if (s.protocol) {
    const n = checkValue('protocol', s.protocol.value.text, { family }).value as number | undefined;
    if (n === undefined) shape.exact = false;
    else if (n !== 0) shape.protocol = { number: n, negated: s.protocol.negated };
    // ip6tables tests `-p all` against the header chain it can parse; iptables ignores it.
    else if (s.protocol.negated || family === 'ipv6') shape.exact = false;
  }
  shape.source = net(shape, s.source, rule.addresses?.source, family);
  shape.destination = net(shape, s.destination, rule.addresses?.destination, family);
  shape.inInterface = networkInterface(shape, s.inInterface);
  shape.outInterface = networkInterface(shape, s.outInterface);
  if (s.fragment) shape.fragment = s.fragment.negated ? 'first' : 'later';
  for (const m of s.matches) readMatch(shape, m);
  if (shape.sport?.length === 0 || shape.dport?.length === 0 || shape.icmp?.length === 0 || shape.states === 0) shape.empty = true;
  const h = mix(nameHash(s.target?.name ?? ''), s.matches.length, shape.protocol ? shape.protocol.number * 2 + +shape.protocol.negated : -1,
    shape.sport?.[0]?.[0] ?? -1, shape.dport?.[0]?.[0] ?? -1, shape.dport?.[0]?.[1] ?? -1);
  shape.print = netHash(netHash(h, shape.source), shape.destination);
  return shape;
}

function mix(h: number, ...values: number[]): number {
  for (const v of values) h = Math.imul(h ^ v, 0x9e3779b1) ^ (h >>> 15);
  return h;
}

function netHash(h: number, n: Net | undefined): number {
  return n ? mix(h, n.number ?? Number(BigInt.asUintN(32, n.address)), n.prefix * 2 + +n.negated) : mix(h, -1);
}


const NAME_HASHES = new Map<string, number>();

function nameHash(name: string): number {
  let h = NAME_HASHES.get(name);
  if (h === undefined) {
    h = 7;
    for (let i = 0; i < name.length; i++) h = mix(h, name.charCodeAt(i));
    // Chain names come and go as the user types: keep the cache small.
    if (NAME_HASHES.size >= 10_000) NAME_HASHES.clear();
    NAME_HASHES.set(name, h);
  }
  return h;
}

/**
 * Addresses as parsed, by family and text, kept from one analysis to the next:
 * after each keystroke the whole file is analysed again, and big files are
 * mostly addresses (IPv6 ones are slow to read).
 */
const NETWORKS: Record<Family, Map<string, Net | null>> = { ipv4: new Map(), ipv6: new Map() };
const MAX_NETWORKS = 50_000;

function net(shape: Shape, c: Criterion | undefined, text: string | undefined, family: Family): Net | undefined {
  if (!c) return undefined;
  const key = text ?? c.value.text;
  const known = NETWORKS[family];
  let n = known.get(key);
  if (n === undefined) {
    const cidr = checkValue('addressList', key, { family }).value as Cidr | undefined;
    // Host names (and anything unparsed) are left to the machine that loads the rules.
    n = cidr && typeof cidr === 'object' && 'address' in cidr
      ? { address: cidr.address, mask: cidr.mask, prefix: cidr.prefix, negated: false, number: family === 'ipv4' ? Number(cidr.address) : undefined }
      : null;
    if (known.size >= MAX_NETWORKS) known.clear();
    known.set(key, n);
  }
  if (!n) {
    shape.exact = false;
    return undefined;
  }
  if (n.mask === 0n) {
    if (c.negated) shape.empty = true;
    return undefined;
  }
  shape.reads |= CHANGE.addresses;
  return c.negated ? { ...n, negated: true } : n;
}

function networkInterface(shape: Shape, c: Criterion | undefined): InterfaceName | undefined {
  if (!c) return undefined;
  const text = c.value.text;
  if (text === '' || checkValue('interface', text, { family: 'ipv4' }).error) {
    shape.exact = false;
    return undefined;
  }
  const wildcard = text.endsWith('+');
  const name = wildcard ? text.slice(0, -1) : text;
  // A bare `+` matches every interface.
  if (wildcard && name === '') {
    if (c.negated) shape.empty = true;
    return undefined;
  }
  return { name, wildcard, negated: c.negated };
}

function readMatch(shape: Shape, m: MatchUse): void {
  const known = m.spec && MATCHES[m.spec.name];
  if (!known) {
    shape.exact = false;
    return;
  }
  if (known.header) {
    if (shape.fragment === 'later') shape.empty = true;
    shape.fragment = 'first';
  }
  for (const o of m.options) {
    const read = known.options[o.spec.name];
    const value = o.parsed[0];
    if (!read || value === undefined || !read(shape, o, value)) shape.exact = false;
  }
}

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
  return coversNegatable(a, b,
    (outer, inner) => (outer.mask & ~inner.mask) === 0n && ((inner.address ^ outer.address) & outer.mask) === 0n,
    (x, y) => ((x.address ^ y.address) & x.mask & y.mask) !== 0n);
}

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

/** The rule matches every packet. Most rules have criteria that say at a glance they do not. */
function unconditional(rule: Rule, family: Family): boolean {
  const r = rule.spec;
  if (r.fragment || r.matches.some((m) => m.spec?.name !== 'comment')) return false;
  if (!r.protocol && !r.source && !r.destination && !r.inInterface && !r.outInterface) return true;
  // `-s 0.0.0.0/0`, `-i +` and the like match everything too.
  const s = shapeOf(rule, family);
  return s.exact && !s.empty && !s.protocol && !s.source && !s.destination && !s.inInterface && !s.outInterface && !s.fragment
    && !s.sport && !s.dport && !s.icmp && s.states === undefined && s.marks.length === 0 && s.tcpFlags.length === 0 && s.eitherPort.length === 0 && s.neitherPort.length === 0;
}

// ---- targets: which end the way through the chain, which change the packet ----------

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
    if (rule.command.symbolic || this.broken(rule)) return ANY_CHANGE;
    const t = rule.target;
    switch (t.kind) {
      case 'none':
      case 'verdict':
        return 0;
      case 'extension':
        if (t.spec.terminating && !t.spec.mayContinue) return 0;
        return t.spec.changes ? t.spec.changes.reduce((bits, c) => bits | CHANGE[c], 0) : ANY_CHANGE;
      case 'chain': {
        // A goto never comes back to this chain, nor a jump into a chain that stops every packet.
        const chain = this.table.chains.get(t.name);
        if (t.goto || (chain && this.alwaysStops(chain))) return 0;
        return chain ? this.chainChanges(chain) : ANY_CHANGE;
      }
      case 'unresolved':
        return t.goto ? 0 : ANY_CHANGE;
    }
  }

  /** Everything a jump into this chain may change, through every chain it jumps or goes to. */
  private chainChanges(chain: Chain): number {
    const known = this.changes.get(chain);
    if (known !== undefined) return known;
    // A cycle (which the kernel refuses) adds nothing new.
    this.changes.set(chain, 0);
    let bits = 0;
    for (const rule of chain.rules) {
      const t = rule.target;
      // Inside a jumped chain a goto leads on, and a RETURN there comes back to our caller.
      const goto = (t.kind === 'chain' || t.kind === 'unresolved') && t.goto;
      const next = goto && t.kind === 'chain' ? this.table.chains.get(t.name) : undefined;
      bits |= !goto ? this.changesBy(rule) : next ? this.chainChanges(next) : ANY_CHANGE;
    }
    this.changes.set(chain, bits);
    return bits;
  }

  /** Every packet the rule matches ends its way through this chain there. */
  stops(rule: Rule): boolean {
    const t = rule.target;
    switch (t.kind) {
      case 'verdict':
        return true;
      case 'extension':
        return !!t.spec.terminating && !t.spec.mayContinue;
      case 'chain':
      case 'unresolved': {
        const chain = t.kind === 'chain' ? this.table.chains.get(t.name) : undefined;
        return t.goto || (chain !== undefined && this.alwaysStops(chain) !== undefined);
      }
      case 'none':
        return false;
    }
  }

  /** How a rule that stops packets does it, in words. */
  howItStops(rule: Rule): string {
    const t = rule.target;
    if (t.kind === 'verdict' && t.name === 'RETURN') return 'sends them back out of this chain (`-j RETURN`)';
    if (t.kind !== 'chain' && t.kind !== 'unresolved') return `stops them there (\`-j ${rule.spec.target?.name}\`)`;
    if (t.goto) return `sends them on with \`-g ${t.name}\`, never to come back to this chain`;
    const stop = this.alwaysStops(this.table.chains.get(t.name)!)!;
    return `sends them to chain ${t.name}, where rule ${stop.index} (line ${stop.command.flag!.line + 1}) stops every one of them (\`-j ${stop.spec.target?.name}\`)`;
  }

  /**
   * The rule of a user chain that stops every packet that got that far, when no
   * packet can leave the chain before it (by RETURN, a goto, or its end).
   */
  private alwaysStops(chain: Chain): Rule | undefined {
    const known = this.stoppers.get(chain);
    if (known !== undefined) return known ?? undefined;
    this.stoppers.set(chain, null);
    let found: Rule | undefined;
    for (const rule of chain.rules) {
      const t = rule.target;
      if (rule.command.symbolic || this.broken(rule)) break;
      if ((t.kind === 'verdict' && t.name === 'RETURN') || ((t.kind === 'chain' || t.kind === 'unresolved') && t.goto)) break;
      if (unconditional(rule, this.family) && this.trusted(rule) && this.stops(rule)) {
        found = rule;
        break;
      }
    }
    this.stoppers.set(chain, found ?? null);
    return found;
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
  for (let c = first; c; c = c.next) if (!visit(c)) return false;
  return true;
}

type Visitor = (c: Candidate) => boolean;

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
    for (const key of b.protocol && !b.protocol.negated ? [-1, b.protocol.number] : [-1]) {
      const byPort = this.byProtocol.get(key);
      if (byPort && (!visitAll(byPort.get(-1), visit) || (port !== undefined && !visitAll(byPort.get(port), visit)))) return;
    }
    if (b.destination && !b.destination.negated && !this.byDestination.containing(b.destination, visit)) return;
    if (b.source && !b.source.negated) this.bySource.containing(b.source, visit);
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

/** The network's first `prefix` bits (a number for IPv4: bigint work is slow). */
function networkKey(n: Net, prefix: number): number | bigint {
  if (n.number !== undefined) return prefix === 0 ? 0 : n.number >>> (32 - prefix);
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
  private readonly byText = new Map<string, Candidate>();

  constructor(private readonly family: Family) {}

  /** The first rule with the same canonical text as `rule`. */
  find(rule: Rule, print: number): Candidate | undefined {
    return this.byPrint.has(print) ? this.byText.get(this.shared(print, rule)) : undefined;
  }

  add(c: Candidate): void {
    if (!this.byPrint.has(c.shape.print)) this.byPrint.set(c.shape.print, c);
    else {
      const text = this.shared(c.shape.print, c.rule);
      if (!this.byText.has(text)) this.byText.set(text, c);
    }
  }

  /** The rule's canonical text, once the first rule with this fingerprint is filed under its own. */
  private shared(print: number, rule: Rule): string {
    const first = this.byPrint.get(print)!;
    const firstText = canonicalRule(first.rule, this.family);
    if (!this.byText.has(firstText)) this.byText.set(firstText, first);
    return canonicalRule(rule, this.family);
  }
}

function scanChain(chain: Chain, facts: TableFacts, trusted: (rule: Rule) => boolean, broken: (rule: Rule) => boolean): Finding[] {
  const findings: Finding[] = [];
  const index = new CandidateIndex();
  /** For each CHANGE bit, the position of the last rule that may change it. */
  const lastChange = new Array<number>(6).fill(-1);
  const stillHolds = (c: Candidate) => lastChange.every((at, bit) => !(c.shape.reads & (1 << bit)) || at < c.at);
  const copies = new Copies(facts.family);
  let budget = COMPARISON_BUDGET;
  let stoppers = false;
  chain.rules.forEach((rule, at) => {
    if (!rule.command.symbolic && !broken(rule)) {
      const shape = shapeOf(rule, facts.family);
      const copy = copies.find(rule, shape.print);
      let dead = false;
      if (copy && copy.rule.command !== rule.command && !sameSpan(copy.rule, rule)) {
        dead = copy.stops && stillHolds(copy);
        findings.push({ rule, by: copy.rule, duplicate: true, dead });
      } else if (!shape.empty) {
        let best: Candidate | undefined;
        index.near(shape, (c) => {
          if (--budget < 0) return false;
          if ((!best || c.at < best.at) && c.rule.command !== rule.command && !sameSpan(c.rule, rule) && stillHolds(c) && covers(c.shape, shape)) best = c;
          return true;
        });
        if (best) findings.push({ rule, by: best.rule, duplicate: false, dead: (dead = true) });
      }
      if (trusted(rule)) {
        const candidate: Candidate = { rule, at, shape, stops: shape.exact && !shape.empty && facts.stops(rule), next: undefined };
        if (!copy) copies.add(candidate);
        // A dead rule holds nothing its shadow does not hold first (and reads no less, so no rule in between spares the shadow alone).
        if (candidate.stops && !dead) index.add(candidate);
        stoppers ||= candidate.stops;
      }
    }
    // What a rule changes matters only to rules before it that stop packets.
    if (!stoppers) return;
    const changes = facts.changesBy(rule);
    for (let bit = 0; bit < lastChange.length; bit++) if (changes & (1 << bit)) lastChange[bit] = at;
  });
  return findings;
}

function sameSpan(a: Rule, b: Rule): boolean {
  const x = a.command.flag;
  const y = b.command.flag;
  return !!x && !!y && x.line === y.line && x.start === y.start;
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

function report(findings: Finding[], chain: Chain, facts: TableFacts, out: Diagnostic[]): void {
  if (findings.length === 0) return;
  const rulesOf = new Map<Command, number>();
  for (const rule of chain.rules) rulesOf.set(rule.command, (rulesOf.get(rule.command) ?? 0) + 1);
  const byCommand = new Map<Command, Finding[]>();
  for (const f of findings) push(byCommand, f.rule.command, f);
  for (const [command, list] of byCommand) {
    const span = ruleSpan(command);
    if (!span) continue;
    // A command that makes several rules (`-s a,b`) is a duplicate, or dead, only as a whole; else each dead pair says which it is.
    const whole = list.length === rulesOf.get(command);
    if (whole && list.every((f) => f.duplicate)) out.push(duplicate(span, list, chain));
    else if (whole && list.every((f) => f.dead)) out.push(shadowed(span, list, chain, facts, ''));
    else for (const f of list) if (f.dead) out.push(shadowed(span, [f], chain, facts, ` for ${pairText(f.rule)}`));
  }
}

const place = (rule: Rule, chain: Chain) => `rule ${rule.index} of ${chain.name} (line ${rule.command.flag!.line + 1})`;

function diagnostic(code: DiagnosticCode, span: Span, message: string, by: Rule[], relatedMessage: string): Diagnostic {
  // One entry per command: the rules of `-d a,b` share their words.
  const related = [...new Set(by.map((r) => r.command))].flatMap((c) => {
    const at = ruleSpan(c);
    return at ? [{ span: at, message: relatedMessage }] : [];
  });
  return { code, severity: 'warning', span, message, tag: 'unnecessary', related };
}

function duplicate(span: Span, list: Finding[], chain: Chain): Diagnostic {
  const first = list[0].by;
  const why = list.every((f) => f.dead)
    ? 'that one already takes every packet it would match, so this one never matches'
    : 'packets that match go through the same rule twice';
  return diagnostic('duplicate-rule', span, `this rule is the same as ${place(first, chain)}: ${why}`,
    list.map((f) => f.by), `the same rule, first written here`);
}

function shadowed(span: Span, list: Finding[], chain: Chain, facts: TableFacts, qualifier: string): Diagnostic {
  const by = list[0].by;
  return diagnostic('shadowed-rule', span,
    `this rule never matches${qualifier}: ${place(by, chain)} comes first, matches every packet this one would and ${facts.howItStops(by)}`,
    list.map((f) => f.by), `this rule takes every packet of the rule on line ${span.line + 1} first`);
}

function pairText(rule: Rule): string {
  const parts = [];
  if (rule.addresses?.source) parts.push(`source ${rule.addresses.source}`);
  if (rule.addresses?.destination) parts.push(`destination ${rule.addresses.destination}`);
  return parts.join(' and ');
}

// ---- entry points ----------------------------------------------------------------------------

/**
 * Adds `shadowed-rule` and `duplicate-rule` warnings for the ruleset.
 * `trusted` says which rules surely exist (in a script, a rule made in a branch
 * the analysis could not decide may not): only those can hide others.
 * Rules on a line with an error are left out: what they mean is uncertain.
 */
export function findDeadRules(ruleset: Ruleset, diagnostics: Diagnostic[], trusted: (rule: Rule) => boolean = () => true, skipTables: ReadonlySet<string> = new Set()): void {
  const errorLines = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.line));
  const broken = (rule: Rule) => !rule.command.flag || errorLines.has(rule.command.flag.line);
  const found: Diagnostic[] = [];
  for (const table of ruleset.tables.values()) {
    if (skipTables.has(table.name)) continue;
    const facts = new TableFacts(table, ruleset.family, trusted, broken);
    for (const chain of table.chains.values()) report(scanChain(chain, facts, trusted, broken), chain, facts, found);
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

const REMOVES_RULES: ReadonlySet<Command['kind']> = new Set(['delete', 'replace', 'flush', 'deleteChain', 'renameChain']);

/**
 * A script's rulesets: only rules made by a command that runs on every run of
 * the script can hide others, and a table where a command that may or may not
 * run removes rules is left alone.
 */
export function findDeadRulesInScript(rulesets: Record<Family, Ruleset>, calls: readonly IptablesCall[], diagnostics: Diagnostic[]): void {
  for (const family of ['ipv4', 'ipv6'] as const) {
    const certain = new Set<Command>();
    const skip = new Set<string>();
    for (const call of calls) {
      if (call.family !== family || !call.ok) continue;
      if (!call.conditional) certain.add(call.command);
      else if (REMOVES_RULES.has(call.command.kind)) {
        if (call.command.table?.unknown) for (const t of rulesets[family].tables.keys()) skip.add(t);
        else skip.add(call.command.table?.text ?? 'filter');
      }
    }
    findDeadRules(rulesets[family], diagnostics, (rule) => certain.has(rule.command), skip);
  }
}
