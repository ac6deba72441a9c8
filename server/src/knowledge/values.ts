// One parser per value kind of schema.ts: each says whether iptables would
// accept the text, why not, and what it means (for the engine).
import {
  Cidr, familyBits, looksLikeHostName, makeCidr, maskFromPrefix, parseAddress, parseCNumber, parseMask,
} from './addresses';
import type { Family, SimpleValueKind, ValueSpec } from './schema';
import { SERVICES } from './services';
import {
  DSCP_CLASSES, ICMP_TYPES, ICMPV6_TYPES, IcmpType, LOG_LEVELS, PROTOCOLS, TCP_FLAGS, TOS_NAMES, WEEKDAYS,
} from './vocabulary';

export interface ValueContext {
  family: Family;
  /** The rule's `-p` so far, lower case, when given and not negated. */
  protocol?: string;
  /** Only say whether the value is accepted; skip building its meaning (the parser's hot path). */
  validateOnly?: boolean;
}

export interface ValueResult {
  /** iptables (or the kernel) refuses the value: how to fix it. */
  error?: string;
  /** Accepted, but risky: it depends on DNS, or is probably a mistake. */
  warning?: string;
  /** Accepted; worth knowing (an ipset that must exist when the rules load). */
  note?: string;
  /** What the value means, where the engine needs it. */
  value?: unknown;
}

export interface PortRange { from: number; to: number }
export interface IcmpMatch { type: number; codeFrom: number; codeTo: number; any: boolean }
export interface MarkMask { value: bigint; mask: bigint }
export interface NatRange {
  addressFrom?: bigint; addressTo?: bigint; portFrom?: number; portTo?: number;
}
export type HostValue = Cidr | { hostname: string };

const ACCEPTED: ValueResult = Object.freeze({});
const ok = (value?: unknown): ValueResult => (value === undefined ? ACCEPTED : { value });
const fail = (error: string): ValueResult => ({ error });

// ---- numbers -------------------------------------------------------------

const UINT64_MAX = (1n << 64n) - 1n;

function uint(text: string, min: number, max: number, decimalOnly = false): number | bigint | undefined {
  const v = parseCNumber(text, decimalOnly);
  // 2^64 - 1 cannot be written as a JS number; it rounds up to 2^64.
  const upper = max >= 2 ** 64 ? UINT64_MAX : BigInt(max);
  if (v === undefined || v < BigInt(min) || v > upper) return undefined;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function rangeText(min: number, max: number): string {
  return `${min}-${max}`;
}

function uintRange(text: string, min: number, max: number): ValueResult {
  const parts = text.split(':');
  if (parts.length > 2) return fail(`\`${text}\` has more than two parts; write \`from:to\``);
  const lo = parts[0] === '' ? min : uint(parts[0], min, max);
  const hi = parts.length === 1 ? lo : parts[1] === '' ? max : uint(parts[1], min, max);
  if (lo === undefined || hi === undefined) return fail(`\`${text}\` is not a number or range in ${rangeText(min, max)}`);
  if (hi < lo) return fail(`the range \`${text}\` is reversed: write \`${parts[1]}:${parts[0]}\``);
  return ok({ from: lo, to: hi });
}

// ---- ports ---------------------------------------------------------------

function port(text: string, ctx: ValueContext): ValueResult {
  const n = uint(text, 0, 65535);
  if (n !== undefined) return ok(Number(n));
  if (/^\d+$/.test(text)) return fail(`port \`${text}\` is out of range 0-65535`);
  const service = SERVICES.get(text);
  if (!service) return fail(`\`${text}\` is neither a port number nor a known service name`);
  if ((ctx.protocol === 'tcp' && !service.tcp) || (ctx.protocol === 'udp' && !service.udp)) {
    return fail(`service \`${text}\` is not defined for ${ctx.protocol}; write its port number (${service.port})`);
  }
  return ok(service.port);
}

function portRange(text: string, ctx: ValueContext): ValueResult {
  const parts = text.split(':');
  if (parts.length > 2) return fail(`\`${text}\` has more than two ports; write \`from:to\``);
  const ends: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '') { ends.push(i === 0 ? 0 : 65535); continue; }
    const r = port(part, ctx);
    if (r.error) return r;
    ends.push(r.value as number);
  }
  const from = ends[0];
  const to = ends.length === 1 ? from : ends[1];
  if (to < from) return fail(`the port range \`${text}\` is reversed: write \`${parts[1]}:${parts[0]}\``);
  return ok({ from, to } satisfies PortRange);
}

function portList(text: string, ctx: ValueContext): ValueResult {
  const ranges: PortRange[] = [];
  let slots = 0;
  for (const item of text.split(',')) {
    if (item === '') return fail(`empty entry in the port list \`${text}\``);
    const r = item.includes(':') ? portRange(item, ctx) : port(item, ctx);
    if (r.error) return r;
    ranges.push(typeof r.value === 'number' ? { from: r.value, to: r.value } : (r.value as PortRange));
    slots += item.includes(':') ? 2 : 1;
  }
  if (slots > 15) return fail(`too many ports: multiport takes at most 15 (a range counts as two), this list uses ${slots}`);
  return ok(ranges);
}

/** `port[-port[/base]]`: a single port may be a service name; a range takes numbers only. */
function natPorts(text: string, ctx: ValueContext, allowBase = false): ValueResult {
  const service = SERVICES.get(text);
  if (service) return ok({ portFrom: service.port, portTo: service.port } satisfies NatRange);
  const m = /^([^-/]*)(?:-([^/]*))?(?:\/(.*))?$/.exec(text);
  if (text.includes(':')) return fail(`write the port range \`${text}\` with a dash: \`${text.replace(':', '-')}\``);
  if (!m) return fail(`\`${text}\` is not a port or \`from-to\` range`);
  const from = uint(m[1], 0, 65535);
  if (from === undefined) return fail(`\`${m[1]}\` is not a valid port`);
  if (m[2] === undefined && m[3] === undefined) return ok({ portFrom: Number(from), portTo: Number(from) } satisfies NatRange);
  const to = m[2] === undefined ? undefined : uint(m[2], 0, 65535);
  if (to === undefined) return fail(`\`${m[2] ?? text}\` is not a valid port range`);
  if (Number(to) < Number(from)) return fail(`the port range \`${text}\` is reversed`);
  if (m[3] !== undefined) {
    if (!allowBase) return fail(`unexpected \`/${m[3]}\` after the port range`);
    if (uint(m[3], 1, 65535) === undefined && !SERVICES.has(m[3])) return fail(`\`${m[3]}\` is not a valid base port (1-65535)`);
  }
  return ok({ portFrom: Number(from), portTo: Number(to) } satisfies NatRange);
  void ctx;
}

const NAT_PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', 'dccp', 'icmp'];

function needsPortProtocol(ctx: ValueContext): string | undefined {
  return ctx.protocol && NAT_PORT_PROTOCOLS.includes(ctx.protocol)
    ? undefined
    : 'a port needs `-p tcp`, `udp`, `sctp` or `dccp` earlier in the rule';
}

function natRange(text: string, ctx: ValueContext): ValueResult {
  let addresses = text;
  let ports: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || ctx.family === 'ipv4') return fail(`\`${text}\`: brackets are only for IPv6 addresses`);
    addresses = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail(`unexpected \`${rest}\` after the address`);
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
    Object.assign(result, r.value);
  }
  if (addresses !== '') {
    const [from, to, extra] = addresses.split('-');
    if (extra !== undefined) return fail(`\`${addresses}\` is not an address or \`from-to\` range`);
    const a = parseAddress(from, ctx.family);
    const b = to === undefined ? a : parseAddress(to, ctx.family);
    if (a === undefined) return fail(`\`${from}\` is not a valid ${ctx.family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
    if (b === undefined) return fail(`\`${to}\` is not a valid ${ctx.family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
    result.addressFrom = a;
    result.addressTo = b;
  }
  return ok(result);
}

// ---- addresses -----------------------------------------------------------

const familyName = (f: Family) => (f === 'ipv4' ? 'IPv4' : 'IPv6');

function hostName(text: string): ValueResult {
  if (!looksLikeHostName(text)) return fail(`\`${text}\` is not a valid address or host name`);
  return {
    value: { hostname: text },
    warning: `\`${text}\` is a host name: it is looked up once when the rules load, and loading fails if it cannot be resolved`,
  };
}

/** One `address[/mask]`, host names allowed (the syntax of -s and -d). */
function hostMask(text: string, ctx: ValueContext, allowMask = true): ValueResult {
  const slash = text.lastIndexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  let mask = maskFromPrefix(familyBits(ctx.family), ctx.family);
  if (slash >= 0) {
    if (!allowMask) return fail(`\`${text}\`: a mask is not allowed here`);
    const m = parseMask(text.slice(slash + 1), ctx.family);
    if (m === undefined) return fail(`\`${text.slice(slash + 1)}\` is not a valid ${familyName(ctx.family)} mask or prefix length`);
    mask = m;
    // iptables ignores the address entirely under a zero mask ("any/0").
    if (m === 0n) return ok(makeCidr(0n, 0n, ctx.family));
  }
  const address = parseAddress(addrText, ctx.family);
  if (address !== undefined) return ctx.validateOnly ? ACCEPTED : ok(makeCidr(address, mask, ctx.family));
  if (ctx.family === 'ipv4' && /^[0-9.]+$/.test(addrText)) return fail(`\`${addrText}\` is not a valid IPv4 address`);
  if (ctx.family === 'ipv6' && addrText.includes(':')) return fail(`\`${addrText}\` is not a valid IPv6 address`);
  if (ctx.family === 'ipv6' && parseAddress(addrText, 'ipv4') !== undefined && /^\d+(\.\d+){3}$/.test(addrText)) {
    return fail(`\`${addrText}\` is an IPv4 address in an IPv6 rule`);
  }
  if (ctx.family === 'ipv4' && parseAddress(addrText, 'ipv6') !== undefined) {
    return fail(`\`${addrText}\` is an IPv6 address in an IPv4 rule`);
  }
  return hostName(addrText);
}

function addressList(text: string, ctx: ValueContext): ValueResult {
  if (!text.includes(',')) return hostMask(text.trimStart(), ctx);
  const values: HostValue[] = [];
  let warning: string | undefined;
  for (const item of text.split(',')) {
    if (item.trim() === '') return fail(`empty entry in the address list \`${text}\``);
    const r = hostMask(item.trimStart(), ctx);
    if (r.error) return r;
    warning ??= r.warning;
    values.push(r.value as HostValue);
  }
  return { value: values, warning };
}

function addressRange(text: string, ctx: ValueContext): ValueResult {
  const [from, to, extra] = text.split('-');
  if (extra !== undefined) return fail(`\`${text}\` is not an address or \`from-to\` range`);
  const a = parseAddress(from, ctx.family);
  const b = to === undefined ? a : parseAddress(to, ctx.family);
  if (a === undefined || b === undefined) {
    return fail(`\`${a === undefined ? from : to}\` is not a valid ${familyName(ctx.family)} address`);
  }
  return ok({ from: a, to: b });
}

// ---- names and small grammars ---------------------------------------------

function enumValue(spec: { values: readonly string[]; ignoreCase?: boolean; prefix?: boolean }, text: string): ValueResult {
  const eq = spec.ignoreCase ? (a: string) => a.toLowerCase() === text.toLowerCase() : (a: string) => a === text;
  const exact = spec.values.find(eq);
  if (exact) return ok(exact);
  if (spec.prefix && text !== '') {
    const lower = text.toLowerCase();
    const hit = spec.values.find((v) => v.toLowerCase().startsWith(lower));
    if (hit) return ok(hit);
  }
  return fail(`unknown value \`${text}\`; expected one of ${spec.values.join(', ')}`);
}

function enumList(spec: { values: readonly string[]; ignoreCase?: boolean; prefix?: boolean; maxItems?: number }, text: string): ValueResult {
  const out: string[] = [];
  const items = text.split(',');
  if (spec.maxItems !== undefined && items.length > spec.maxItems) return fail(`at most ${spec.maxItems} entries are allowed in \`${text}\``);
  for (const item of items) {
    const r = enumValue(spec, item);
    if (r.error) return fail(`unknown value \`${item}\` in \`${text}\`; expected ${spec.values.join(', ')}`);
    out.push(r.value as string);
  }
  return ok(out);
}

function icmpType(text: string, table: readonly IcmpType[], label: string): ValueResult {
  const lower = text.toLowerCase();
  const hits = table.filter((t) => t.name.toLowerCase().startsWith(lower));
  const exact = hits.find((t) => t.name.toLowerCase() === lower);
  const pick = exact ?? (hits.length === 1 ? hits[0] : undefined);
  if (pick) {
    return ok({ type: pick.type, codeFrom: pick.code ?? 0, codeTo: pick.code ?? 255, any: pick.name === 'any' } satisfies IcmpMatch);
  }
  if (hits.length > 1 && text !== '') return fail(`ambiguous ${label} type \`${text}\`: \`${hits[0].name}\` or \`${hits[1].name}\`?`);
  const m = /^(\w+)(?:\/(\w+)(?::(\w+))?)?$/.exec(text);
  const type = m && uint(m[1], 0, 255);
  const codeFrom = m?.[2] === undefined ? 0 : uint(m[2], 0, 255);
  const codeTo = m?.[3] === undefined ? (m?.[2] === undefined ? 255 : codeFrom) : uint(m[3], 0, 255);
  if (type === undefined || type === null || codeFrom === undefined || codeTo === undefined || codeTo === null) {
    return fail(`unknown ${label} type \`${text}\`; use a name such as \`${table[1].name}\` or \`type[/code]\``);
  }
  return ok({ type: Number(type), codeFrom: Number(codeFrom), codeTo: Number(codeTo), any: false } satisfies IcmpMatch);
}

function markMask(text: string): ValueResult {
  const [v, m, extra] = text.split('/');
  const value = parseCNumber(v);
  const mask = m === undefined ? 0xffffffffn : parseCNumber(m);
  if (extra !== undefined || value === undefined || mask === undefined || value > 0xffffffffn || mask > 0xffffffffn) {
    return fail(`\`${text}\` is not a 32-bit \`value[/mask]\``);
  }
  return ok({ value, mask } satisfies MarkMask);
}

function tosMask(text: string): ValueResult {
  const named = [...TOS_NAMES.keys()].find((n) => n.toLowerCase() === text.toLowerCase());
  if (named) return ok({ value: BigInt(TOS_NAMES.get(named)!), mask: 0x3fn });
  const [v, m, extra] = text.split('/');
  const value = uint(v, 0, 255);
  const mask = m === undefined ? 255 : uint(m, 0, 255);
  if (extra !== undefined || value === undefined || mask === undefined) {
    return fail(`\`${text}\` is neither a TOS name (${[...TOS_NAMES.keys()].join(', ')}) nor an 8-bit \`value[/mask]\``);
  }
  return ok({ value: BigInt(value), mask: BigInt(mask) } satisfies MarkMask);
}

function mac(text: string): ValueResult {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) {
    return fail(`\`${text}\` is not a MAC address; write six hex bytes such as \`00:1a:2b:3c:4d:5e\``);
  }
  return ok(text.toLowerCase());
}

function rate(text: string, bytes: boolean): ValueResult {
  const m = /^(\d+)(?:\/([a-z]+))?$/i.exec(text);
  const b = bytes ? /^(\d+)([kmg]?b)\/s(?:ec(?:ond)?)?$/i.exec(text) : null;
  if (b) return ok({ amount: Number(b[1]), unit: b[2].toLowerCase(), per: 'second' });
  if (!m || m[1] === '0') return fail(`\`${text}\` is not a rate; write a positive number with \`/second\`, \`/minute\`, \`/hour\` or \`/day\``);
  const unit = (m[2] ?? 'second').toLowerCase();
  const per = ['second', 'minute', 'hour', 'day'].find((u) => u.startsWith(unit) || (unit === 's' && u === 'second'));
  if (!per) return fail(`unknown time unit \`${m[2]}\` in \`${text}\`; use second, minute, hour or day`);
  return ok({ amount: Number(m[1]), per });
}

function timeOfDay(text: string): ValueResult {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) {
    return fail(`\`${text}\` is not a time of day; write \`hh:mm\` or \`hh:mm:ss\``);
  }
  return ok(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0));
}

function dateTime(text: string): ValueResult {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/.exec(text);
  if (!m || Number(m[1]) < 1970 || Number(m[1]) > 2038) {
    return fail(`\`${text}\` is not a date; write \`YYYY[-MM[-DD[Thh[:mm[:ss]]]]]\` between 1970 and 2038`);
  }
  return ok(text);
}

function dayList(text: string, names: readonly string[] | undefined, max: number, label: string): ValueResult {
  const out: number[] = [];
  for (const item of text.split(',')) {
    // iptables compares only the first two letters, case-sensitively: `Monday` works, `mon` does not.
    const byName = item.length >= 2 ? names?.findIndex((n) => n.slice(0, 2) === item.slice(0, 2)) ?? -1 : -1;
    const n = byName >= 0 ? byName + 1 : uint(item, 1, max, true);
    if (n === undefined) return fail(`\`${item}\` is not a ${label} in \`${text}\``);
    out.push(Number(n));
  }
  return ok(out);
}

function hexString(text: string): ValueResult {
  const pipes = text.split('|');
  if (pipes.length % 2 === 0) return fail(`unbalanced \`|\` in \`${text}\``);
  for (let i = 1; i < pipes.length; i += 2) {
    if (!/^([0-9a-fA-F]{2}\s*)*$/.test(pipes[i].trim())) return fail(`\`|${pipes[i]}|\` must hold pairs of hex digits`);
  }
  return ok(text);
}

function tcpFlagList(text: string): ValueResult {
  return enumList({ values: TCP_FLAGS.map((f) => f.name), ignoreCase: true }, text);
}

function counters(text: string): ValueResult {
  if (!/^\d+(,\d+)?$/.test(text)) return fail(`\`${text}\` is not a counter pair \`packets,bytes\``);
  return ok(text);
}

const SIMPLE: Record<SimpleValueKind, (text: string, ctx: ValueContext) => ValueResult> = {
  port,
  portRange,
  portList,
  host: (t, c) => hostMask(t, c, false),
  hostMask: (t, c) => hostMask(t, c),
  addressList,
  addressRange,
  prefixLength: (t, c) => {
    const m = parseMask(t, c.family);
    return m === undefined ? fail(`\`${t}\` is neither a prefix length (0-${familyBits(c.family)}) nor a mask`) : ok(m);
  },
  markMask: (t) => markMask(t),
  tosMask: (t) => tosMask(t),
  mac: (t) => mac(t),
  logLevel: (t) => {
    const n = uint(t, 0, 7);
    if (n !== undefined) return ok(Number(n));
    return LOG_LEVELS.some((l) => l.name === t) ? ok(t) : fail(`unknown log level \`${t}\`; use 0-7 or ${LOG_LEVELS.map((l) => l.name).join(', ')}`);
  },
  protocol: (t) => {
    const n = uint(t, 0, 255);
    if (n !== undefined) return ok(Number(n));
    const lower = t.toLowerCase();
    return PROTOCOLS.has(lower) ? ok(PROTOCOLS.get(lower)) : fail(`unknown protocol \`${t}\`; use a name such as tcp, udp, icmp or a number 0-255`);
  },
  icmpType: (t) => icmpType(t, ICMP_TYPES, 'ICMP'),
  icmpv6Type: (t) => icmpType(t, ICMPV6_TYPES, 'ICMPv6'),
  rate: (t) => rate(t, false),
  hashlimitRate: (t) => rate(t, true),
  natRange,
  natPorts: (t, c) => {
    const missing = needsPortProtocol(c);
    return missing ? fail(missing) : natPorts(t, c);
  },
  interface: (t) => (t.length > 15 ? fail(`interface name \`${t}\` is ${t.length} characters long; the limit is 15`) : ok(t)),
  timeOfDay: (t) => timeOfDay(t),
  dateTime: (t) => dateTime(t),
  weekdays: (t) => dayList(t, WEEKDAYS, 7, 'weekday (Mon-Sun or 1-7)'),
  monthdays: (t) => dayList(t, undefined, 31, 'day of the month (1-31)'),
  hexString: (t) => hexString(t),
  u32: (t) => (/^[\s0-9a-fA-FxX&<>@=:,.^]+$/.test(t) ? ok(t) : fail(`\`${t}\` is not a u32 expression`)),
  bpf: (t) => (/^\d+(,\d+ \d+ \d+ \d+)*,?$/.test(t.trim()) ? ok(t) : fail(`\`${t}\` is not BPF byte code (\`count,op jt jf k,...\`)`)),
  setName: (t) => (t.length === 0 || t.length > 31
    ? fail(`set name \`${t}\` must be 1-31 characters`)
    : { value: t, note: `ipset \`${t}\` must exist when the rules load (\`ipset create ${t} ...\` first)` }),
  tcpFlagList: (t) => tcpFlagList(t),
  dscpClass: (t) => {
    const name = [...DSCP_CLASSES.keys()].find((k) => k.toLowerCase() === t.toLowerCase());
    return name ? ok(DSCP_CLASSES.get(name)) : fail(`unknown DSCP class \`${t}\`; expected one of ${[...DSCP_CLASSES.keys()].join(', ')}`);
  },
  counters: (t) => counters(t),
};

/** Checks `text` against `spec` the way iptables would parse it. */
export function checkValue(spec: ValueSpec, text: string, ctx: ValueContext): ValueResult {
  if (typeof spec === 'string') return SIMPLE[spec](text, ctx);
  switch (spec.kind) {
    case 'uint': {
      const word = spec.words?.find((w) => w.toLowerCase() === text.toLowerCase());
      if (word) return ok(word);
      const v = uint(text, spec.min ?? 0, spec.max, spec.decimalOnly);
      const alternatives = spec.words ? ` or ${spec.words.map((w) => '`' + w + '`').join(', ')}` : '';
      return v === undefined ? fail(`\`${text}\` is not a number in ${rangeText(spec.min ?? 0, spec.max)}${alternatives}`) : ok(v);
    }
    case 'uintRange': {
      const r = uintRange(text, spec.min ?? 0, spec.max);
      if (r.error || !spec.proper) return r;
      const { from, to } = r.value as { from: number; to: number };
      return text.includes(':') && from < to ? r : fail(`\`${text}\` must be a range \`from:to\` with from below to`);
    }
    case 'double': {
      const v = Number(text);
      if (text.trim() === '' || Number.isNaN(v)) return fail(`\`${text}\` is not a number`);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        return fail(`\`${text}\` is out of range ${spec.min ?? ''}-${spec.max ?? ''}`);
      }
      return ok(v);
    }
    case 'string':
      if (spec.minLength !== undefined && text.length < spec.minLength) return fail(`the text must have at least ${spec.minLength} characters`);
      if (spec.maxLength !== undefined && text.length > spec.maxLength) {
        const message = `the text is ${text.length} characters long; the limit is ${spec.maxLength}`;
        return spec.truncate ? { value: text.slice(0, spec.maxLength), warning: `${message}, so iptables keeps only the first ${spec.maxLength}` } : fail(message);
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
  if (typeof spec === 'string') return VALUE_SYNTAX[spec];
  switch (spec.kind) {
    case 'uint': return `number ${rangeText(spec.min ?? 0, spec.max)}${spec.words ? ' or ' + spec.words.join(', ') : ''}`;
    case 'uintRange': return `${spec.proper ? 'range' : 'number or range'} \`from:to\` in ${rangeText(spec.min ?? 0, spec.max)}`;
    case 'double': return 'number';
    case 'string': return spec.maxLength ? `text (at most ${spec.maxLength} characters)` : 'text';
    case 'enum': return spec.values.join(' | ');
    case 'enumList': return `comma-separated list of ${spec.values.join(', ')}`;
  }
}

const VALUE_SYNTAX: Record<SimpleValueKind, string> = {
  port: 'port number or service name',
  portRange: 'port or range `from:to`',
  portList: 'up to 15 ports or `from:to` ranges, separated by commas',
  host: 'address or host name',
  hostMask: 'address[/mask]',
  addressList: 'address[/mask], several separated by commas',
  addressRange: 'address or `from-to` range',
  prefixLength: 'prefix length or mask',
  markMask: 'value[/mask]',
  tosMask: 'TOS name or value[/mask]',
  mac: 'MAC address `xx:xx:xx:xx:xx:xx`',
  logLevel: 'log level (0-7 or emerg..debug)',
  protocol: 'protocol name or number',
  icmpType: 'ICMP type name or `type[/code]`',
  icmpv6Type: 'ICMPv6 type name or `type[/code]`',
  rate: 'rate such as `10/second` or `3/minute`',
  hashlimitRate: 'rate such as `10/second` or `512kb/s`',
  natRange: '`[address[-address]][:port[-port]]`',
  natPorts: '`port[-port]`',
  interface: 'interface name (`+` at the end is a wildcard)',
  timeOfDay: '`hh:mm[:ss]`',
  dateTime: '`YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`',
  weekdays: 'weekdays such as `Mon,Wed,Fri`',
  monthdays: 'days of the month such as `1,15`',
  hexString: 'text with `|hex|` bytes',
  u32: 'u32 test expression',
  bpf: 'BPF byte code',
  setName: 'ipset name',
  tcpFlagList: 'TCP flags such as `SYN,ACK`',
  dscpClass: 'DSCP class such as `EF` or `AF41`',
  counters: '`packets,bytes`',
};
