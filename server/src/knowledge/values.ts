// One parser per value kind of schema.ts: each says whether iptables would
// accept the text, why not, and what it means (for the engine).
import {
  Cidr, familyBits, looksLikeHostName, makeCidr, maskFromPrefix, parseAddress, parseCNumber, parseMask, plainAddress, plainDecimal, plainIPv4, plainNetworkValid, plainPrefix,
} from './addresses';
import type { Family, SimpleValueKind, ValueSpec } from './schema';
import { SERVICES } from './services';
import {
  DSCP_CLASSES, ICMP_TYPES, ICMPV6_TYPES, IcmpType, LOG_LEVELS, PROTOCOLS, TCP_FLAGS, TOS_NAMES, WEEKDAYS,
} from './vocabulary';
import { t } from '../l10n';

export interface ValueContext {
  family: Family;
  /** The rule's `-p` so far, lower case, when given and not negated. */
  protocol?: string;
  /** Only say whether the value is accepted; skip building its meaning (the parser's hot path). */
  validateOnly?: boolean;
}

/** `T`: what a value of the kind means (see ValueOf). */
export interface ValueResult<T = ParsedValue> {
  /** iptables (or the kernel) refuses the value: how to fix it. */
  error?: string;
  /** Accepted, but risky: it depends on DNS, or is probably a mistake. */
  warning?: string;
  /** Accepted; worth knowing (an ipset that must exist when the rules load). */
  note?: string;
  /** What the value means, where the engine needs it. */
  value?: T;
}

export interface PortRange { from: number; to: number }
/** An end of a range is a bigint only past 2^53 (64-bit counters). */
export interface UintRange { from: number | bigint; to: number | bigint }
export interface AddressRange { from: bigint; to: bigint }
export interface IcmpMatch { type: number; codeFrom: number; codeTo: number; any: boolean }
export interface MarkMask { value: bigint; mask: bigint }
export interface NatRange {
  addressFrom?: bigint; addressTo?: bigint; portFrom?: number; portTo?: number;
}
export type HostValue = Cidr | { hostname: string };
/** A limit rate; `unit` only for hashlimit's rates in bytes (`512kb/s`). */
export interface Rate { amount: number; per: string; unit?: string }

/**
 * What each simple kind's parser gives. SIMPLE below is typed against this
 * map, so the compiler holds every parser to it.
 */
export interface SimpleValues {
  port: number;
  portRange: PortRange;
  portList: PortRange[];
  host: HostValue;
  hostMask: HostValue;
  /** One entry, or a list when the text has commas. */
  addressList: HostValue | HostValue[];
  addressRange: AddressRange;
  /** The mask, whether written as a length or dotted. */
  prefixLength: bigint;
  markMask: MarkMask;
  tosMask: MarkMask;
  /** Lower case. */
  mac: string;
  /** A number as written, else the level's name. */
  logLevel: number | string;
  protocol: number;
  icmpType: IcmpMatch;
  icmpv6Type: IcmpMatch;
  rate: Rate;
  hashlimitRate: Rate;
  natRange: NatRange;
  natPorts: NatRange;
  interface: string;
  /** Seconds since midnight. */
  timeOfDay: number;
  /** As written. */
  dateTime: string;
  /** 1 (Monday) to 7. */
  weekdays: number[];
  monthdays: number[];
  hexString: string;
  u32: string;
  bpf: string;
  setName: string;
  /** Upper-case flag names. */
  tcpFlagList: string[];
  /** The class's DSCP number. */
  dscpClass: number;
  counters: string;
}

/**
 * The meaning of a value of kind `S`: with the knowledge base's literal
 * types, an enum's value is one of its words. A 64-bit uint past 2^53 is a
 * bigint; a uint may also be one of its `words`.
 */
export type ValueOf<S> =
  S extends SimpleValueKind ? SimpleValues[S]
  : S extends { kind: 'uint'; words: readonly (infer W)[] } ? number | bigint | W
  : S extends { kind: 'uint' } ? number | bigint
  : S extends { kind: 'uintRange' } ? UintRange
  : S extends { kind: 'double' } ? number
  : S extends { kind: 'string' } ? string
  : S extends { kind: 'enum'; values: readonly (infer W)[] } ? W
  : S extends { kind: 'enumList'; values: readonly (infer W)[] } ? W[]
  : never;

/** Any value an option or criterion can have (a uint's word is a string). */
export type ParsedValue = SimpleValues[SimpleValueKind] | number | bigint | string | UintRange | string[];

type ObjectSpec = Exclude<ValueSpec, string>;

/**
 * A value beside the spec it was parsed for: a reader that dispatches on a
 * spec known only at run time switches on `kind`, and `value` has that kind's
 * type (ValueOf of the kind's general spec: a uint may be one of its words).
 */
export type KindedValue =
  | { [K in SimpleValueKind]: { kind: K; spec: K; value: SimpleValues[K] } }[SimpleValueKind]
  | { [K in ObjectSpec['kind']]: { kind: K; spec: Extract<ObjectSpec, { kind: K }>; value: K extends 'uint' ? number | bigint | string : ValueOf<Extract<ObjectSpec, { kind: K }>> } }[ObjectSpec['kind']];

/**
 * `value` as a value of `spec`'s kind. The one place that asserts it: a value
 * given with its spec (checkValue's result, an option's parsed words) was made
 * by that spec's parser, which checkValue's overload ties to the kind.
 */
export function kinded(spec: ValueSpec, value: ParsedValue): KindedValue {
  return { kind: typeof spec === 'string' ? spec : spec.kind, spec, value } as KindedValue;
}

const ACCEPTED: ValueResult<never> = Object.freeze({});
const ok = <T>(value: T): ValueResult<T> => (value === undefined ? ACCEPTED : { value });
const fail = (error: string): ValueResult<never> => ({ error });

// ---- numbers -------------------------------------------------------------

const UINT64_MAX = (1n << 64n) - 1n;

function uint(text: string, min: number, max: number, decimalOnly = false): number | bigint | undefined {
  // Ports, marks, rule numbers: mostly short decimals, compared without bigints.
  const plain = plainDecimal(text);
  if (plain >= 0) return plain >= min && plain <= max ? plain : undefined;
  const v = parseCNumber(text, decimalOnly);
  if (v === undefined) return undefined;
  // 2^64 - 1 cannot be written as a JS number; it rounds up to 2^64.
  const upper = max >= 2 ** 64 ? UINT64_MAX : BigInt(max);
  if (v < BigInt(min) || v > upper) return undefined;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** 10^k, written out: each is exact. */
const POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14];

/**
 * A plain decimal fraction of at most 15 digits (`0.1000000000`, the probability of each of kube-proxy's
 * endpoint rules) read without the general number parser, else NaN. The digits make an integer below 2^53
 * and the power of ten is exact, so the one rounding of the division gives the double Number() gives.
 */
function plainFraction(text: string): number {
  const n = text.length;
  if (n < 3 || n > 16) return NaN;
  let digits = 0;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && dot < 0 && i > 0 && i < n - 1) dot = i;
    else if (c >= 48 && c <= 57) digits = digits * 10 + (c - 48);
    else return NaN;
  }
  return dot < 0 ? NaN : digits / POWERS_OF_TEN[n - 1 - dot];
}

function rangeText(min: number, max: number): string {
  return `${min}-${max}`;
}

function uintRange(text: string, min: number, max: number): ValueResult<UintRange> {
  const parts = text.split(':');
  if (parts.length > 2) return fail(t('`{0}` has more than two parts; write `from:to`', text));
  const lo = parts[0] === '' ? min : uint(parts[0], min, max);
  const hi = parts.length === 1 ? lo : parts[1] === '' ? max : uint(parts[1], min, max);
  if (lo === undefined || hi === undefined) return fail(t('`{0}` is not a number or range in {1}', text, rangeText(min, max)));
  if (hi < lo) return fail(t('the range `{0}` is reversed: write `{1}:{2}`', text, parts[1], parts[0]));
  return ok({ from: lo, to: hi });
}

// ---- ports ---------------------------------------------------------------

function port(text: string, ctx: ValueContext): ValueResult<number> {
  const n = uint(text, 0, 65535);
  if (n !== undefined) return ok(Number(n));
  if (/^\d+$/.test(text)) return fail(t('port `{0}` is out of range 0-65535', text));
  const service = SERVICES.get(text);
  if (!service) return fail(t('`{0}` is neither a port number nor a known service name', text));
  if ((ctx.protocol === 'tcp' && !service.tcp) || (ctx.protocol === 'udp' && !service.udp)) {
    return fail(t('service `{0}` is not defined for {1}; write its port number ({2})', text, ctx.protocol, service.port));
  }
  return ok(service.port);
}

function portRange(text: string, ctx: ValueContext): ValueResult<PortRange> {
  const parts = text.split(':');
  if (parts.length > 2) return fail(t('`{0}` has more than two ports; write `from:to`', text));
  const ends: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '') { ends.push(i === 0 ? 0 : 65535); continue; }
    const r = port(part, ctx);
    if (r.error) return fail(r.error);
    ends.push(r.value as number);
  }
  const from = ends[0];
  const to = ends.length === 1 ? from : ends[1];
  if (to < from) return fail(t('the port range `{0}` is reversed: write `{1}:{2}`', text, parts[1], parts[0]));
  return ok({ from, to } satisfies PortRange);
}

function portList(text: string, ctx: ValueContext): ValueResult<PortRange[]> {
  const ranges: PortRange[] = [];
  let slots = 0;
  for (const item of text.split(',')) {
    if (item === '') return fail(t('empty entry in the port list `{0}`', text));
    const r = item.includes(':') ? portRange(item, ctx) : port(item, ctx);
    if (r.error) return fail(r.error);
    ranges.push(typeof r.value === 'number' ? { from: r.value, to: r.value } : (r.value as PortRange));
    slots += item.includes(':') ? 2 : 1;
  }
  if (slots > 15) return fail(t('too many ports: multiport takes at most 15 (a range counts as two), this list uses {0}', slots));
  return ok(ranges);
}

/** `port[-port[/base]]`: a single port may be a service name; a range takes numbers only. */
function natPorts(text: string, ctx: ValueContext, allowBase = false): ValueResult<NatRange> {
  // One port in plain decimal (no service name is all digits): without the pattern.
  const plain = plainDecimal(text);
  if (plain >= 0) return plain <= 65535 ? ok({ portFrom: plain, portTo: plain } satisfies NatRange) : fail(t('`{0}` is not a valid port', text));
  const service = SERVICES.get(text);
  if (service) return ok({ portFrom: service.port, portTo: service.port } satisfies NatRange);
  const m = /^([^-/]*)(?:-([^/]*))?(?:\/(.*))?$/.exec(text);
  if (text.includes(':')) return fail(t('write the port range `{0}` with a dash: `{1}`', text, text.replace(':', '-')));
  if (!m) return fail(t('`{0}` is not a port or `from-to` range', text));
  const from = uint(m[1], 0, 65535);
  if (from === undefined) return fail(t('`{0}` is not a valid port', m[1]));
  if (m[2] === undefined && m[3] === undefined) return ok({ portFrom: Number(from), portTo: Number(from) } satisfies NatRange);
  const to = m[2] === undefined ? undefined : uint(m[2], 0, 65535);
  if (to === undefined) return fail(t('`{0}` is not a valid port range', m[2] ?? text));
  if (Number(to) < Number(from)) return fail(t('the port range `{0}` is reversed', text));
  if (m[3] !== undefined) {
    if (!allowBase) return fail(t('unexpected `/{0}` after the port range', m[3]));
    if (uint(m[3], 1, 65535) === undefined && !SERVICES.has(m[3])) return fail(t('`{0}` is not a valid base port (1-65535)', m[3]));
  }
  return ok({ portFrom: Number(from), portTo: Number(to) } satisfies NatRange);
  void ctx;
}

const NAT_PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', 'dccp', 'icmp'];

function needsPortProtocol(ctx: ValueContext): string | undefined {
  return ctx.protocol && NAT_PORT_PROTOCOLS.includes(ctx.protocol)
    ? undefined
    : t('a port needs `-p tcp`, `udp`, `sctp` or `dccp` earlier in the rule');
}

function natRange(text: string, ctx: ValueContext): ValueResult<NatRange> {
  let addresses = text;
  let ports: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || ctx.family === 'ipv4') return fail(t('`{0}`: brackets are only for IPv6 addresses', text));
    addresses = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail(t('unexpected `{0}` after the address', rest));
      ports = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    // One colon separates the port; more mean an IPv6 address.
    if (colon >= 0 && text.indexOf(':', colon + 1) < 0) {
      addresses = text.slice(0, colon);
      ports = text.slice(colon + 1);
    }
  }
  const result: NatRange = {};
  if (ports !== undefined) {
    const missing = needsPortProtocol(ctx);
    if (missing) return fail(missing);
    const r = natPorts(ports, ctx, true);
    if (r.error) return r;
    result.portFrom = r.value!.portFrom;
    result.portTo = r.value!.portTo;
  }
  // One plain a.b.c.d (a DNAT to a pod), read without the general parser's split and slices.
  const plain = ctx.family === 'ipv4' ? plainIPv4(addresses) : -1;
  if (plain >= 0 && plainPrefix(plain) === 32 && !addresses.includes('/')) {
    result.addressFrom = result.addressTo = BigInt(plainAddress(plain));
  } else if (addresses !== '') {
    const [from, to, extra] = addresses.split('-');
    if (extra !== undefined) return fail(t('`{0}` is not an address or `from-to` range', addresses));
    const a = parseAddress(from, ctx.family);
    const b = to === undefined ? a : parseAddress(to, ctx.family);
    if (a === undefined) return fail(t('`{0}` is not a valid {1} address', from, ctx.family === 'ipv4' ? 'IPv4' : 'IPv6'));
    if (b === undefined) return fail(t('`{0}` is not a valid {1} address', to, ctx.family === 'ipv4' ? 'IPv4' : 'IPv6'));
    result.addressFrom = a;
    result.addressTo = b;
  }
  return ok(result);
}

// ---- addresses -----------------------------------------------------------

const familyName = (f: Family) => (f === 'ipv4' ? 'IPv4' : 'IPv6');

/** Why what a host name stands for is not known here (the engine's notes, nft's refusals). */
export function lookedUpWhenLoaded(name: string): string {
  return t('`{0}` is a host name: its address is looked up when the rules load', name);
}

function hostName(text: string): ValueResult<HostValue> {
  if (!looksLikeHostName(text)) return fail(t('`{0}` is not a valid address or host name', text));
  return {
    value: { hostname: text },
    warning: t('`{0}` is a host name: it is looked up once when the rules load, and loading fails if it cannot be resolved', text),
  };
}

/** One `address[/mask]`, host names allowed (the syntax of -s and -d). */
function hostMask(text: string, ctx: ValueContext, allowMask = true): ValueResult<HostValue> {
  // The common case checked without the general parser's slices and bigints (a zero mask has a value: below).
  if (ctx.validateOnly && allowMask && ctx.family === 'ipv4') {
    if (plainNetworkValid(plainIPv4(text))) return ACCEPTED;
  }
  const slash = text.lastIndexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  let mask = maskFromPrefix(familyBits(ctx.family), ctx.family);
  if (slash >= 0) {
    if (!allowMask) return fail(t('`{0}`: a mask is not allowed here', text));
    const m = parseMask(text.slice(slash + 1), ctx.family);
    if (m === undefined) return fail(t('`{0}` is not a valid {1} mask or prefix length', text.slice(slash + 1), familyName(ctx.family)));
    mask = m;
    // iptables ignores the address entirely under a zero mask ("any/0").
    if (m === 0n) return ok(makeCidr(0n, 0n, ctx.family));
  }
  const address = parseAddress(addrText, ctx.family);
  if (address !== undefined) return ctx.validateOnly ? ACCEPTED : ok(makeCidr(address, mask, ctx.family));
  if (ctx.family === 'ipv4' && /^[0-9.]+$/.test(addrText)) return fail(t('`{0}` is not a valid IPv4 address', addrText));
  if (ctx.family === 'ipv6' && addrText.includes(':')) return fail(t('`{0}` is not a valid IPv6 address', addrText));
  if (ctx.family === 'ipv6' && parseAddress(addrText, 'ipv4') !== undefined && /^\d+(\.\d+){3}$/.test(addrText)) {
    return fail(t('`{0}` is an IPv4 address in an IPv6 rule', addrText));
  }
  if (ctx.family === 'ipv4' && parseAddress(addrText, 'ipv6') !== undefined) {
    return fail(t('`{0}` is an IPv6 address in an IPv4 rule', addrText));
  }
  return hostName(addrText);
}

function addressList(text: string, ctx: ValueContext): ValueResult<HostValue | HostValue[]> {
  if (!text.includes(',')) return hostMask(text.trimStart(), ctx);
  const values: HostValue[] = [];
  let warning: string | undefined;
  for (const item of text.split(',')) {
    if (item.trim() === '') return fail(t('empty entry in the address list `{0}`', text));
    const r = hostMask(item.trimStart(), ctx);
    if (r.error) return r;
    warning ??= r.warning;
    values.push(r.value as HostValue);
  }
  return { value: values, warning };
}

function addressRange(text: string, ctx: ValueContext): ValueResult<AddressRange> {
  const [from, to, extra] = text.split('-');
  if (extra !== undefined) return fail(t('`{0}` is not an address or `from-to` range', text));
  const a = parseAddress(from, ctx.family);
  const b = to === undefined ? a : parseAddress(to, ctx.family);
  if (a === undefined || b === undefined) {
    return fail(t('`{0}` is not a valid {1} address', a === undefined ? from : to, familyName(ctx.family)));
  }
  return ok({ from: a, to: b });
}

// ---- names and small grammars ---------------------------------------------

/** The first of `words` that is `text` but for case, or undefined. */
function sameIgnoringCase(words: readonly string[], text: string): string | undefined {
  const lower = text.toLowerCase();
  for (let k = 0; k < words.length; k++) if (words[k].toLowerCase() === lower) return words[k];
  return undefined;
}

function enumValue(spec: { values: readonly string[]; ignoreCase?: boolean; prefix?: boolean }, text: string): ValueResult<string> {
  // Asked for every `--mode random`, `--ctstate`...: no closure per call.
  const values = spec.values;
  let exact: string | undefined;
  if (spec.ignoreCase) exact = sameIgnoringCase(values, text);
  else for (let k = 0; k < values.length && exact === undefined; k++) if (values[k] === text) exact = values[k];
  if (exact) return ok(exact);
  if (spec.prefix && text !== '') {
    const lower = text.toLowerCase();
    const hit = spec.values.find((v) => v.toLowerCase().startsWith(lower));
    if (hit) return ok(hit);
  }
  return fail(t('unknown value `{0}`; expected one of {1}', text, spec.values.join(', ')));
}

function enumList(spec: { values: readonly string[]; ignoreCase?: boolean; prefix?: boolean; maxItems?: number }, text: string): ValueResult<string[]> {
  const out: string[] = [];
  const items = text.split(',');
  if (spec.maxItems !== undefined && items.length > spec.maxItems) return fail(t('at most {0} entries are allowed in `{1}`', spec.maxItems, text));
  for (const item of items) {
    const r = enumValue(spec, item);
    if (r.error) return fail(t('unknown value `{0}` in `{1}`; expected {2}', item, text, spec.values.join(', ')));
    out.push(r.value as string);
  }
  return ok(out);
}

function icmpType(text: string, table: readonly IcmpType[], label: string): ValueResult<IcmpMatch> {
  const lower = text.toLowerCase();
  const hits = table.filter((entry) => entry.name.toLowerCase().startsWith(lower));
  const exact = hits.find((entry) => entry.name.toLowerCase() === lower);
  const pick = exact ?? (hits.length === 1 ? hits[0] : undefined);
  if (pick) {
    return ok({ type: pick.type, codeFrom: pick.code ?? 0, codeTo: pick.code ?? 255, any: pick.name === 'any' } satisfies IcmpMatch);
  }
  if (hits.length > 1 && text !== '') return fail(t('ambiguous {0} type `{1}`: `{2}` or `{3}`?', label, text, hits[0].name, hits[1].name));
  const m = /^(\w+)(?:\/(\w+)(?::(\w+))?)?$/.exec(text);
  const type = m && uint(m[1], 0, 255);
  const codeFrom = m?.[2] === undefined ? 0 : uint(m[2], 0, 255);
  const codeTo = m?.[3] === undefined ? (m?.[2] === undefined ? 255 : codeFrom) : uint(m[3], 0, 255);
  if (type === undefined || type === null || codeFrom === undefined || codeTo === undefined || codeTo === null) {
    return fail(t('unknown {0} type `{1}`; use a name such as `{2}` or `type[/code]`', label, text, table[1].name));
  }
  return ok({ type: Number(type), codeFrom: Number(codeFrom), codeTo: Number(codeTo), any: false } satisfies IcmpMatch);
}

function markMask(text: string): ValueResult<MarkMask> {
  const [v, m, extra] = text.split('/');
  const value = parseCNumber(v);
  const mask = m === undefined ? 0xffffffffn : parseCNumber(m);
  if (extra !== undefined || value === undefined || mask === undefined || value > 0xffffffffn || mask > 0xffffffffn) {
    return fail(t('`{0}` is not a 32-bit `value[/mask]`', text));
  }
  return ok({ value, mask } satisfies MarkMask);
}

function tosMask(text: string): ValueResult<MarkMask> {
  const named = [...TOS_NAMES.keys()].find((n) => n.toLowerCase() === text.toLowerCase());
  if (named) return ok({ value: BigInt(TOS_NAMES.get(named)!), mask: 0x3fn });
  const [v, m, extra] = text.split('/');
  const value = uint(v, 0, 255);
  const mask = m === undefined ? 255 : uint(m, 0, 255);
  if (extra !== undefined || value === undefined || mask === undefined) {
    return fail(t('`{0}` is neither a TOS name ({1}) nor an 8-bit `value[/mask]`', text, [...TOS_NAMES.keys()].join(', ')));
  }
  return ok({ value: BigInt(value), mask: BigInt(mask) } satisfies MarkMask);
}

function mac(text: string): ValueResult<string> {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) {
    return fail(t('`{0}` is not a MAC address; write six hex bytes such as `00:1a:2b:3c:4d:5e`', text));
  }
  return ok(text.toLowerCase());
}

function rate(text: string, bytes: boolean): ValueResult<Rate> {
  const m = /^(\d+)(?:\/([a-z]+))?$/i.exec(text);
  const b = bytes ? /^(\d+)([kmg]?b)\/s(?:ec(?:ond)?)?$/i.exec(text) : null;
  if (b) return ok({ amount: Number(b[1]), unit: b[2].toLowerCase(), per: 'second' });
  if (!m || m[1] === '0') return fail(t('`{0}` is not a rate; write a positive number with `/second`, `/minute`, `/hour` or `/day`', text));
  const unit = (m[2] ?? 'second').toLowerCase();
  const per = ['second', 'minute', 'hour', 'day'].find((u) => u.startsWith(unit) || (unit === 's' && u === 'second'));
  if (!per) return fail(t('unknown time unit `{0}` in `{1}`; use second, minute, hour or day', m[2], text));
  return ok({ amount: Number(m[1]), per });
}

function timeOfDay(text: string): ValueResult<number> {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) {
    return fail(t('`{0}` is not a time of day; write `hh:mm` or `hh:mm:ss`', text));
  }
  return ok(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0));
}

function dateTime(text: string): ValueResult<string> {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/.exec(text);
  if (!m || Number(m[1]) < 1970 || Number(m[1]) > 2038) {
    return fail(t('`{0}` is not a date; write `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` between 1970 and 2038', text));
  }
  return ok(text);
}

function dayList(text: string, names: readonly string[] | undefined, max: number, label: string): ValueResult<number[]> {
  const out: number[] = [];
  for (const item of text.split(',')) {
    // iptables compares only the first two letters, case-sensitively: `Monday` works, `mon` does not.
    const byName = item.length >= 2 ? names?.findIndex((n) => n.slice(0, 2) === item.slice(0, 2)) ?? -1 : -1;
    const n = byName >= 0 ? byName + 1 : uint(item, 1, max, true);
    if (n === undefined) return fail(t('`{0}` is not a {1} in `{2}`', item, label, text));
    out.push(Number(n));
  }
  return ok(out);
}

function hexString(text: string): ValueResult<string> {
  const pipes = text.split('|');
  if (pipes.length % 2 === 0) return fail(t('unbalanced `|` in `{0}`', text));
  for (let i = 1; i < pipes.length; i += 2) {
    if (!/^([0-9a-fA-F]{2}\s*)*$/.test(pipes[i].trim())) return fail(t('`|{0}|` must hold pairs of hex digits', pipes[i]));
  }
  return ok(text);
}

function tcpFlagList(text: string): ValueResult<string[]> {
  return enumList({ values: TCP_FLAGS.map((f) => f.name), ignoreCase: true }, text);
}

function counters(text: string): ValueResult<string> {
  if (!/^\d+(,\d+)?$/.test(text)) return fail(t('`{0}` is not a counter pair `packets,bytes`', text));
  return ok(text);
}

const SIMPLE: { [K in SimpleValueKind]: (text: string, ctx: ValueContext) => ValueResult<SimpleValues[K]> } = {
  port,
  portRange,
  portList,
  host: (text, c) => hostMask(text, c, false),
  hostMask: (text, c) => hostMask(text, c),
  addressList,
  addressRange,
  prefixLength: (text, c) => {
    const m = parseMask(text, c.family);
    return m === undefined ? fail(t('`{0}` is neither a prefix length (0-{1}) nor a mask', text, familyBits(c.family))) : ok(m);
  },
  markMask: (text) => markMask(text),
  tosMask: (text) => tosMask(text),
  mac: (text) => mac(text),
  logLevel: (text) => {
    const n = uint(text, 0, 7);
    if (n !== undefined) return ok(Number(n));
    return LOG_LEVELS.some((l) => l.name === text) ? ok(text) : fail(t('unknown log level `{0}`; use 0-7 or {1}', text, LOG_LEVELS.map((l) => l.name).join(', ')));
  },
  protocol: (text) => {
    // By name first (nearly every `-p`): no name reads as a number, and a number is read by a pattern.
    const named = PROTOCOLS.get(text.toLowerCase());
    if (named !== undefined) return ok(named);
    const n = uint(text, 0, 255);
    return n !== undefined ? ok(Number(n)) : fail(t('unknown protocol `{0}`; use a name such as tcp, udp, icmp or a number 0-255', text));
  },
  icmpType: (text) => icmpType(text, ICMP_TYPES, 'ICMP'),
  icmpv6Type: (text) => icmpType(text, ICMPV6_TYPES, 'ICMPv6'),
  rate: (text) => rate(text, false),
  hashlimitRate: (text) => rate(text, true),
  natRange,
  natPorts: (text, c) => {
    const missing = needsPortProtocol(c);
    return missing ? fail(missing) : natPorts(text, c);
  },
  interface: (text) => (text.length > 15 ? fail(t('interface name `{0}` is {1} characters long; the limit is 15', text, text.length)) : ok(text)),
  timeOfDay: (text) => timeOfDay(text),
  dateTime: (text) => dateTime(text),
  weekdays: (text) => dayList(text, WEEKDAYS, 7, t('weekday (Mon-Sun or 1-7)')),
  monthdays: (text) => dayList(text, undefined, 31, t('day of the month (1-31)')),
  hexString: (text) => hexString(text),
  u32: (text) => (/^[\s0-9a-fA-FxX&<>@=:,.^]+$/.test(text) ? ok(text) : fail(t('`{0}` is not a u32 expression', text))),
  bpf: (text) => (/^\d+(,\d+ \d+ \d+ \d+)*,?$/.test(text.trim()) ? ok(text) : fail(t('`{0}` is not BPF byte code (`count,op jt jf k,...`)', text))),
  setName: (text) => (text.length === 0 || text.length > 31
    ? fail(t('set name `{0}` must be 1-31 characters', text))
    : { value: text, note: t('ipset `{0}` must exist when the rules load (`ipset create {0} ...` first)', text) }),
  tcpFlagList: (text) => tcpFlagList(text),
  dscpClass: (text) => {
    const name = [...DSCP_CLASSES.keys()].find((k) => k.toLowerCase() === text.toLowerCase());
    const value = name === undefined ? undefined : DSCP_CLASSES.get(name);
    return value !== undefined ? ok(value) : fail(t('unknown DSCP class `{0}`; expected one of {1}', text, [...DSCP_CLASSES.keys()].join(', ')));
  },
  counters: (text) => counters(text),
};

/**
 * Checks `text` against `spec` the way iptables would parse it. The value's
 * type follows from the spec's kind; for the simple kinds SIMPLE's type
 * proves it, for the others the cases below give what ValueOf says.
 */
export function checkValue<S extends ValueSpec>(spec: S, text: string, ctx: ValueContext): ValueResult<ValueOf<S>>;
export function checkValue(spec: ValueSpec, text: string, ctx: ValueContext): ValueResult {
  if (typeof spec === 'string') return SIMPLE[spec](text, ctx);
  switch (spec.kind) {
    case 'uint': {
      const word = spec.words && sameIgnoringCase(spec.words, text);
      if (word) return ok(word);
      const v = uint(text, spec.min ?? 0, spec.max, spec.decimalOnly);
      if (v !== undefined) return ok(v);
      const alternatives = spec.words ? ` or ${spec.words.map((w) => '`' + w + '`').join(', ')}` : '';
      return fail(t('`{0}` is not a number in {1}{2}', text, rangeText(spec.min ?? 0, spec.max), alternatives));
    }
    case 'uintRange': {
      const r = uintRange(text, spec.min ?? 0, spec.max);
      if (r.error || !spec.proper) return r;
      const { from, to } = r.value as { from: number; to: number };
      return text.includes(':') && from < to ? r : fail(t('`{0}` must be a range `from:to` with from below to', text));
    }
    case 'double': {
      const plain = plainFraction(text);
      const v = Number.isNaN(plain) ? Number(text) : plain;
      if (text.trim() === '' || Number.isNaN(v)) return fail(t('`{0}` is not a number', text));
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        return fail(t('`{0}` is out of range {1}-{2}', text, spec.min ?? '', spec.max ?? ''));
      }
      return ok(v);
    }
    case 'string':
      if (spec.minLength !== undefined && text.length < spec.minLength) return fail(t('the text must have at least {0} characters', spec.minLength));
      if (spec.maxLength !== undefined && text.length > spec.maxLength) {
        const message = t('the text is {0} characters long; the limit is {1}', text.length, spec.maxLength);
        return spec.truncate ? { value: text.slice(0, spec.maxLength), warning: t('{0}, so iptables keeps only the first {1}', message, spec.maxLength) } : fail(message);
      }
      return ok(text);
    case 'enum':
      return enumValue(spec, text);
    case 'enumList':
      return enumList(spec, text);
  }
}

/** A short description of the syntax of a value kind, for messages and hovers. */
export function describeValue(spec: ValueSpec): string {
  if (typeof spec === 'string') return valueSyntax()[spec];
  switch (spec.kind) {
    case 'uint': return t('number {0}{1}', rangeText(spec.min ?? 0, spec.max), spec.words ? t(' or {0}', spec.words.join(', ')) : '');
    case 'uintRange': return spec.proper ? t('range `from:to` in {0}', rangeText(spec.min ?? 0, spec.max)) : t('number or range `from:to` in {0}', rangeText(spec.min ?? 0, spec.max));
    case 'double': return t('number');
    case 'string': return spec.maxLength ? t('text (at most {0} characters)', spec.maxLength) : t('text');
    case 'enum': return spec.values.join(' | ');
    case 'enumList': return t('comma-separated list of {0}', spec.values.join(', '));
  }
}

// Built when asked: the language is only known once the server or CLI has started.
const valueSyntax = (): Record<SimpleValueKind, string> => ({
  port: t('port number or service name'),
  portRange: t('port or range `from:to`'),
  portList: t('up to 15 ports or `from:to` ranges, separated by commas'),
  host: t('address or host name'),
  hostMask: 'address[/mask]',
  addressList: t('address[/mask], several separated by commas'),
  addressRange: t('address or `from-to` range'),
  prefixLength: t('prefix length or mask'),
  markMask: 'value[/mask]',
  tosMask: t('TOS name or value[/mask]'),
  mac: t('MAC address `xx:xx:xx:xx:xx:xx`'),
  logLevel: t('log level (0-7 or emerg..debug)'),
  protocol: t('protocol name or number'),
  icmpType: t('ICMP type name or `type[/code]`'),
  icmpv6Type: t('ICMPv6 type name or `type[/code]`'),
  rate: t('rate such as `10/second` or `3/minute`'),
  hashlimitRate: t('rate such as `10/second` or `512kb/s`'),
  natRange: '`[address[-address]][:port[-port]]`',
  natPorts: '`port[-port]`',
  interface: t('interface name (`+` at the end is a wildcard)'),
  timeOfDay: '`hh:mm[:ss]`',
  dateTime: '`YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`',
  weekdays: t('weekdays such as `Mon,Wed,Fri`'),
  monthdays: t('days of the month such as `1,15`'),
  hexString: t('text with `|hex|` bytes'),
  u32: t('u32 test expression'),
  bpf: t('BPF byte code'),
  setName: t('ipset name'),
  tcpFlagList: t('TCP flags such as `SYN,ACK`'),
  dscpClass: t('DSCP class such as `EF` or `AF41`'),
  counters: '`packets,bytes`',
});
