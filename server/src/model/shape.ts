// What a rule matches, in closed form: the set of packets its criteria allow,
// as far as they are understood exactly (addresses, ports, protocol, interfaces,
// conntrack states, marks, TCP flags). Worked out once per command, while its
// words are at hand, and compared by the dead-rule review.
import type { Family, OptionName, PacketChange } from '../knowledge';
import { plainAddress, plainIPv4, plainPrefix } from '../knowledge/addresses';
import { checkValue, kinded, type KindedValue, type ValueContext } from '../knowledge/values';
import { CT_STATES, STATE_NAMES, TCP_FLAGS } from '../knowledge/vocabulary';
import type { Criterion, MatchUse, OptionUse, RuleSpec } from '../syntax/command';

// ---- sets of 16-bit numbers (ports; ICMP type * 256 + code) -------------------

/** Sorted, disjoint, non-touching inclusive ranges. */
export type Ranges = readonly (readonly [number, number])[];

export const TOP = 0xffff;

/**
 * One value, shared: most rules test one port or one ICMP type, and 160k rules keep their
 * shapes. Ranges are not kept here: a file of distinct ranges would grow it without end.
 */
const SINGLE = new Map<number, Ranges>();

function single(from: number, to: number): Ranges {
  if (from !== to) return Object.freeze([Object.freeze([from, to] as const)]);
  let r = SINGLE.get(from);
  if (!r) SINGLE.set(from, (r = Object.freeze([Object.freeze([from, to] as const)])));
  return r;
}

export function ranges(list: (readonly [number, number])[], negated: boolean): Ranges {
  if (list.length === 1 && !negated) return single(list[0][0], list[0][1]);
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

export function intersect(a: Ranges, b: Ranges): Ranges {
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
export function within(inner: Ranges, outer: Ranges): boolean {
  return inner.every(([f, t]) => outer.some(([of, ot]) => of <= f && t <= ot));
}

// ---- what a rule matches ---------------------------------------------------------

export interface Net {
  readonly address: bigint;
  readonly mask: bigint;
  readonly prefix: number;
  readonly negated: boolean;
  /** IPv4: the address and mask as numbers, for the index and comparisons (bigint work is slow). */
  readonly number?: number;
  /**
   * The mask as a signed 32-bit integer, as bit operations read it: a small integer kept in its
   * field, where an unsigned mask of 2^31 or more was a heap number of 16 B for each network.
   */
  readonly maskNumber?: number;
}

/** An IPv4 network: numbers, made into bigints only when asked (8.5k networks of a file made 17k bigints). */
class IPv4Net implements Net {
  constructor(readonly number: number, readonly maskNumber: number, readonly prefix: number, readonly negated: boolean) {}

  get address(): bigint {
    return BigInt(this.number);
  }

  get mask(): bigint {
    return BigInt(this.maskNumber >>> 0);
  }
}

function negatedNet(n: Net): Net {
  return n.number !== undefined ? new IPv4Net(n.number, n.maskNumber!, n.prefix, true) : { address: n.address, mask: n.mask, prefix: n.prefix, negated: true };
}
export interface InterfaceName { name: string; wildcard: boolean; negated: boolean }
export interface Mark { value: bigint; mask: bigint; negated: boolean }

/** A rule's criteria, as far as they are understood. */
export interface Shape {
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

export const CHANGE: Record<PacketChange, number> = { mark: 1, conntrack: 2, addresses: 4, header: 8, sets: 16, other: 32 };
export const ANY_CHANGE = 63;

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

export const NONE: readonly never[] = [];

/** Narrows the shape by one option (its first value given with its kind); false where it is not understood. */
type OptionReader = (shape: Shape, option: OptionUse, value: KindedValue) => boolean;
type OptionReaders = Partial<Record<OptionName, OptionReader>>;

function portRanges(v: KindedValue): [number, number][] | undefined {
  if (v.kind === 'portRange') return [[v.value.from, v.value.to]];
  return v.kind === 'portList' ? v.value.map((p) => [p.from, p.to]) : undefined;
}

/** `--sport`/`--dport` (one range) and multiport's lists narrow the same port sets. */
const addPorts = (key: 'sport' | 'dport'): OptionReader => (shape, o, value) => {
  const list = portRanges(value);
  if (!list) return false;
  const set = ranges(list, o.negated);
  shape[key] = shape[key] ? intersect(shape[key], set) : set;
  return true;
};
const ports: OptionReaders = { 'source-port': addPorts('sport'), 'destination-port': addPorts('dport') };

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
  if (value.kind !== 'icmpType' && value.kind !== 'icmpv6Type') return false;
  const t = value.value;
  // The kernel takes type 255 to mean any type, as `any` is stored.
  const set = ranges(t.any || t.type === 255 ? [[0, TOP]] : [[t.type * 256 + t.codeFrom, t.type * 256 + t.codeTo]], o.negated);
  shape.icmp = shape.icmp ? intersect(shape.icmp, set) : set;
  return true;
};
const ctState: OptionReader = (shape, o, value) => {
  if (value.kind !== 'enumList') return false;
  const set = stateClasses(value.value, o.negated);
  shape.states = shape.states === undefined ? set : shape.states & set;
  shape.reads |= CHANGE.conntrack;
  return true;
};

/**
 * The matches understood here, by module: how each option narrows the shape.
 * `header`: the module reads the transport header, so it never matches a
 * later fragment (the kernel checks the fragment offset first).
 */
const MATCHES: Record<string, { header?: boolean; options: OptionReaders }> = {
  tcp: {
    header: true,
    options: {
      ...ports,
      'tcp-flags': (shape, o, value) => {
        const compared = o.spec.second && o.parsed[1] !== undefined ? kinded(o.spec.second, o.parsed[1]) : undefined;
        if (compared?.kind !== 'tcpFlagList' || value.kind !== 'tcpFlagList') return false;
        shape.reads |= CHANGE.header;
        addMasked(shape, 'tcpFlags', flagBits(compared.value), flagBits(value.value), o.negated);
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
        const list = portRanges(v);
        if (!list) return false;
        const set = ranges(list, false);
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
        if (value.kind !== 'markMask') return false;
        const { value: v, mask } = value.value;
        shape.reads |= CHANGE.mark;
        addMasked(shape, 'marks', v, mask, o.negated);
        return true;
      },
    },
  },
  comment: { options: { comment: () => true } },
};

const PROTOCOLS = new Map<number, Shape['protocol']>();

function protocolOf(number: number, negated: boolean): Shape['protocol'] {
  const key = negated ? -1 - number : number;
  let p = PROTOCOLS.get(key);
  if (!p) PROTOCOLS.set(key, (p = Object.freeze({ number, negated })));
  return p;
}

/** What values are checked with here, one per family. */
const CONTEXTS: Readonly<Record<Family, ValueContext>> = { ipv4: Object.freeze({ family: 'ipv4' }), ipv6: Object.freeze({ family: 'ipv6' }) };

/** The shape being worked out, one for every rule: the rule keeps the compact copy made of it. */
const WORK: Shape = blankShape();

function blankShape(shape?: Shape): Shape {
  // Every field set here, so that the object keeps one layout.
  const s = shape ?? ({} as Shape);
  s.exact = true; s.empty = false; s.protocol = undefined; s.source = undefined; s.destination = undefined; s.inInterface = undefined;
  s.outInterface = undefined; s.fragment = undefined; s.sport = undefined; s.dport = undefined; s.eitherPort = NONE; s.neitherPort = NONE;
  s.states = undefined; s.icmp = undefined; s.marks = NONE; s.tcpFlags = NONE; s.reads = 0; s.print = 0;
  return s;
}

/** The shape of a rule (or of one address pair of it), worked out in a scratch object reused for every rule: copy what is kept. */
export function workOutShape(s: RuleSpec, addresses: { source?: string; destination?: string } | undefined, family: Family): Shape {
  const shape = blankShape(WORK);
  if (s.protocol) {
    const n = checkValue('protocol', s.protocol.value.text, CONTEXTS[family]).value;
    if (n === undefined) shape.exact = false;
    else if (n !== 0) shape.protocol = protocolOf(n, s.protocol.negated);
    // ip6tables tests `-p all` against the header chain it can parse; iptables ignores it.
    else if (s.protocol.negated || family === 'ipv6') shape.exact = false;
  }
  shape.source = net(shape, s.source, addresses?.source, family);
  shape.destination = net(shape, s.destination, addresses?.destination, family);
  shape.inInterface = networkInterface(shape, s.inInterface);
  shape.outInterface = networkInterface(shape, s.outInterface);
  if (s.fragment) shape.fragment = s.fragment.negated ? 'first' : 'later';
  for (const m of s.matches) readMatch(shape, m);
  if (shape.sport?.length === 0 || shape.dport?.length === 0 || shape.icmp?.length === 0 || shape.states === 0) shape.empty = true;
  let h = mix(nameHash(s.target?.name ?? ''), s.matches.length);
  h = mix(h, shape.protocol ? shape.protocol.number * 2 + +shape.protocol.negated : -1);
  h = mix(mix(mix(h, shape.sport?.[0]?.[0] ?? -1), shape.dport?.[0]?.[0] ?? -1), shape.dport?.[0]?.[1] ?? -1);
  shape.print = netHash(netHash(h, shape.source), shape.destination);
  return shape;
}

export function shapeOf(s: RuleSpec, addresses: { source?: string; destination?: string } | undefined, family: Family): Shape {
  return new CompactShape(workOutShape(s, addresses, family));
}

type RareCriteria = Pick<Shape, 'inInterface' | 'outInterface' | 'sport' | 'eitherPort' | 'neitherPort' | 'states' | 'icmp' | 'marks' | 'tcpFlags'>;

// exact, empty, fragment and reads in one number of a compact shape.
const EXACT = 1;
const EMPTY = 2;
const LATER = 4;
const FIRST = 8;
const READS_AT = 4;
/** Where a subclass may keep bits of its own in `bits`. */
export const SHAPE_BITS = 10;

/**
 * What few rules test is kept aside, and the flags in one number: a rule's shape is
 * seven fields, kept for each of 700k rules (every field is 8 bytes: Node keeps full pointers).
 */
export class CompactShape implements Shape {
  protected readonly bits: number;
  readonly protocol: Shape['protocol'];
  readonly source: Net | undefined;
  readonly destination: Net | undefined;
  /** Not rare: every rule with `-p tcp --dport` has it. */
  readonly dport: Ranges | undefined;
  readonly print: number;
  private readonly rare: RareCriteria | undefined;

  /** `more`: a subclass's bits, from SHAPE_BITS on. */
  constructor(s: Shape, more = 0) {
    this.bits = (s.exact ? EXACT : 0) | (s.empty ? EMPTY : 0) | (s.fragment === 'later' ? LATER : s.fragment === 'first' ? FIRST : 0) | (s.reads << READS_AT) | more;
    this.protocol = s.protocol;
    this.source = s.source;
    this.destination = s.destination;
    this.dport = s.dport;
    this.print = s.print;
    const rare = s.inInterface || s.outInterface || s.sport || s.states !== undefined || s.icmp
      || s.eitherPort.length || s.neitherPort.length || s.marks.length || s.tcpFlags.length;
    this.rare = rare ? {
      inInterface: s.inInterface, outInterface: s.outInterface, sport: s.sport, eitherPort: s.eitherPort,
      neitherPort: s.neitherPort, states: s.states, icmp: s.icmp, marks: s.marks, tcpFlags: s.tcpFlags,
    } : undefined;
  }

  get exact() { return (this.bits & EXACT) !== 0; }
  get empty() { return (this.bits & EMPTY) !== 0; }
  get fragment(): Shape['fragment'] { return this.bits & LATER ? 'later' : this.bits & FIRST ? 'first' : undefined; }
  get reads() { return (this.bits >>> READS_AT) & ANY_CHANGE; }
  get sport() { return this.rare?.sport; }
  get inInterface() { return this.rare?.inInterface; }
  get outInterface() { return this.rare?.outInterface; }
  get eitherPort() { return this.rare?.eitherPort ?? NONE; }
  get neitherPort() { return this.rare?.neitherPort ?? NONE; }
  get states() { return this.rare?.states; }
  get icmp() { return this.rare?.icmp; }
  get marks() { return this.rare?.marks ?? NONE; }
  get tcpFlags() { return this.rare?.tcpFlags ?? NONE; }
}

function mix(h: number, value: number): number {
  return Math.imul(h ^ value, 0x9e3779b1) ^ (h >>> 15);
}

function netHash(h: number, n: Net | undefined): number {
  return n ? mix(mix(h, n.number ?? Number(BigInt.asUintN(32, n.address))), n.prefix * 2 + +n.negated) : mix(h, -1);
}

function nameHash(name: string): number {
  let h = 7;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) ^ (h >>> 15);
  return h;
}

/**
 * Addresses as parsed, by family and text, kept from one analysis to the next:
 * after each keystroke the whole file is analysed again, and big files are
 * mostly addresses (IPv6 ones are slow to read).
 */
const NETWORKS: Record<Family, Map<string, Net | null>> = { ipv4: new Map(), ipv6: new Map() };
const MAX_NETWORKS = 50_000;

/**
 * Forgets the values shared between analyses (ports, state lists, networks): the
 * language server calls it when its last document closes, so that what the files
 * held does not stay (a long session of random files filled them by 2 MB).
 */
export function forgetSharedValues(): void {
  SINGLE.clear();
  STATE_SETS.clear();
  NETWORKS.ipv4.clear();
  NETWORKS.ipv6.clear();
}

function net(shape: Shape, c: Criterion | undefined, text: string | undefined, family: Family): Net | undefined {
  if (!c) return undefined;
  const key = text ?? c.value.text;
  const known = NETWORKS[family];
  let n: Net | null | undefined = family !== 'ipv4' ? undefined
    : plainIPv4Network(text === undefined && c.plain !== undefined ? c.plain : plainIPv4(key));
  n ??= known.get(key);
  if (n === undefined) {
    const cidr = checkValue('addressList', key, CONTEXTS[family]).value;
    // Host names (and anything unparsed) are left to the machine that loads the rules.
    n = !(cidr && typeof cidr === 'object' && 'address' in cidr) ? null
      : family === 'ipv4' ? new IPv4Net(Number(cidr.address), Number(cidr.mask) | 0, cidr.prefix, false)
        : { address: cidr.address, mask: cidr.mask, prefix: cidr.prefix, negated: false };
    if (known.size >= MAX_NETWORKS) known.clear();
    known.set(key, n);
  }
  if (!n) {
    shape.exact = false;
    return undefined;
  }
  if (n.number !== undefined ? n.maskNumber === 0 : n.mask === 0n) {
    if (c.negated) shape.empty = true;
    return undefined;
  }
  shape.reads |= CHANGE.addresses;
  return c.negated ? negatedNet(n) : n;
}

/** A plain IPv4 network (as addresses.ts plainIPv4 reads it), or undefined for anything else (left to the general parser and its cache). */
function plainIPv4Network(plain: number): Net | undefined {
  if (plain < 0) return undefined;
  const prefix = plainPrefix(plain);
  const maskNumber = prefix === 0 ? 0 : 0xffffffff << (32 - prefix);
  return new IPv4Net((plainAddress(plain) & maskNumber) >>> 0, maskNumber, prefix, false);
}

function networkInterface(shape: Shape, c: Criterion | undefined): InterfaceName | undefined {
  if (!c) return undefined;
  const text = c.value.text;
  if (text === '' || checkValue('interface', text, CONTEXTS.ipv4).error) {
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
    if (!read || value === undefined || !o.spec.value || !read(shape, o, kinded(o.spec.value, value))) shape.exact = false;
  }
}

