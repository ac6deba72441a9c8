// The options of one match or target as iptables-save prints them: each value
// in the form the kernel stores it (ports as numbers, rates re-derived from
// the stored interval, masks in hex...), aliases under their saved name,
// stored defaults added, and everything in the extension's print order. The
// facts (names, forms, defaults, order) are the knowledge base's `save` fields.
import { familyBits, formatAddress, parseCNumber, type Cidr } from '../knowledge/addresses';
import type {
  BitOperation, ExtensionSpec, Family, OptionSpec, SavedForm, SavedOption, ValueSpec,
} from '../knowledge';
import { checkValue, kinded, type IcmpMatch, type KindedValue, type MarkMask, type NatRange, type PortRange, type Rate, type UintRange, type ValueContext } from '../knowledge/values';
import { SERVICES } from '../knowledge/services';
import { CT_STATES, LOG_LEVELS, TCP_FLAGS, TCP_HEADER_FLAGS, WEEKDAYS } from '../knowledge/vocabulary';

export interface GivenOption {
  spec: OptionSpec;
  negated: boolean;
  /** The option's words as written. */
  values: readonly string[];
}

interface Stored {
  spec: OptionSpec;
  negated: boolean;
  values: string[];
}

/**
 * The options' text after `-m name` or `-j NAME`, as iptables-save prints it.
 * `protocol` is the rule's `-p` (service names and NAT ports depend on it).
 */
export function savedOptionsText(ext: ExtensionSpec, given: readonly GivenOption[], ctx: ValueContext): string[] {
  const family = ctx.family;
  const stored = given.flatMap((g) => storedOptions(ext, g, family));
  addDefaults(ext, given, stored, family);
  const printed = stored.map((s) => printOption(s, ctx)).filter((p): p is PrintedOption => p !== undefined);
  return inSaveOrder(ext, printed).map(optionText);
}

/** One option as iptables-save writes it back: its stored form alone, '' when the kernel keeps nothing of it. */
export function savedOptionText(ext: ExtensionSpec, given: GivenOption, ctx: ValueContext): string {
  const printed = storedOptions(ext, given, ctx.family).map((s) => printOption(s, ctx)).filter((p): p is PrintedOption => p !== undefined);
  return inSaveOrder(ext, printed).map(optionText).join(' ');
}

function optionText(p: PrintedOption): string {
  return `${p.negated ? '! ' : ''}--${p.name}${p.values.length ? ' ' + p.values.join(' ') : ''}`;
}

function optionNamed(ext: ExtensionSpec, name: string): OptionSpec | undefined {
  return ext.options.find((o) => o.name === name);
}

/** What the kernel keeps for one given option: itself, or the option(s) it is stored as. */
function storedOptions(ext: ExtensionSpec, given: GivenOption, family: Family): Stored[] {
  let spec = given.spec;
  let negated = given.negated;
  const flipped = negated && spec.save?.negatedAs ? optionNamed(ext, spec.save.negatedAs) : undefined;
  if (flipped) {
    spec = flipped;
    negated = false;
  }
  const storedAs = spec.save?.storedAs;
  if (!storedAs) return [{ spec, negated, values: [...given.values] }];
  return storedAs.flatMap((as) => {
    const target = optionNamed(ext, as.option);
    if (!target) return [];
    const values = as.values ? [...as.values] : as.bits ? [combineBits(as.bits, given.values[0] ?? '', spec.value, target.value, family)] : given.values.map((v) => asNumber(spec.value, v, family));
    return [{ spec: target, negated, values }];
  });
}

const U32 = 0xffffffffn;

/** A named value (a DSCP class) copied to an option that takes its number. */
function asNumber(kind: ValueSpec | undefined, text: string, family: Family): string {
  const v = kind && checkValue(kind, text, { family }).value;
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : text;
}

/** `value/mask` as the mark and TOS targets store an operation on the bits. */
function combineBits(op: BitOperation, text: string, from: ValueSpec | undefined, to: ValueSpec | undefined, family: Family): string {
  const width = to === 'tosMask' ? 0xffn : U32;
  if (op === 'nodeBit') {
    const n = Number(text);
    return Number.isInteger(n) && n >= 1 && n <= 32 ? `0x${(1n << BigInt(n - 1)).toString(16)}` : text;
  }
  let value: bigint;
  let mask = width;
  if (from === 'markMask' || from === 'tosMask') {
    const r = checkValue(from, text, { family }).value;
    if (!r) return text;
    value = r.value;
    mask = r.mask;
  } else {
    const r = checkValue(from ?? { kind: 'uint', max: Number(width) }, text, { family }).value;
    if (typeof r !== 'number' && typeof r !== 'bigint') return text;
    value = BigInt(r);
  }
  const pair = (v: bigint, m: bigint) => `0x${v.toString(16)}/0x${(m & width).toString(16)}`;
  switch (op) {
    case 'xset': return pair(value, mask);
    case 'set': return pair(value, mask | value);
    case 'and': return pair(0n, ~value);
    case 'or': return pair(value, value);
    case 'xor': return pair(value, 0n);
  }
}

function defaultOf(save: SavedOption, family: Family): string | undefined {
  return typeof save.default === 'object' ? save.default[family] : save.default;
}

/** Options the kernel stores with a default value when the rule leaves them out, and saves anyway. */
function addDefaults(ext: ExtensionSpec, given: readonly GivenOption[], stored: Stored[], family: Family): void {
  const present = new Set([...given.map((g) => g.spec.name), ...stored.map((s) => s.spec.name)]);
  for (const option of ext.options) {
    const save = option.save;
    const value = save && defaultOf(save, family);
    if (value === undefined || present.has(option.name)) continue;
    if (save!.defaultWith && !save!.defaultWith.some((o) => present.has(o))) continue;
    if (save!.defaultWithout?.some((o) => present.has(o))) continue;
    if (save!.defaultForPacketRates && given.some((g) => g.spec.value === 'hashlimitRate' && /b\/s/i.test(g.values[0] ?? ''))) continue;
    stored.push({ spec: option, negated: false, values: value === '' ? [] : [value] });
  }
}

interface PrintedOption {
  name: string;
  negated: boolean;
  values: string[];
  /** The option whose place in the print order this takes. */
  rank: string;
}

function printOption(s: Stored, ctx: ValueContext): PrintedOption | undefined {
  const family = ctx.family;
  const save = s.spec.save ?? {};
  let name = save.name ?? s.spec.name;
  let negated = s.negated;
  const values: string[] = [];
  for (const [i, text] of s.values.entries()) {
    const kind = i === 0 ? s.spec.value : s.spec.second;
    const form = i === 0 ? save.form : undefined;
    if (form === 'pattern') {
      const p = patternText(text, kind === 'hexString');
      if (p.hex) name = 'hex-string';
      else if (name === 'hex-string') name = 'string';
      values.push(p.text);
      continue;
    }
    if (form === 'complement' && negated) {
      const complement = complementDays(kind, text, family);
      if (complement !== undefined) {
        negated = false;
        values.push(complement);
        continue;
      }
    }
    values.push(savedValue(kind, form, text, ctx));
  }
  const omit = typeof save.omitWhen === 'object' ? save.omitWhen[family] : save.omitWhen;
  if (omit !== undefined && values.join(' ') === omit) return undefined;
  return { name, negated, values, rank: s.spec.name };
}

function rank(order: readonly string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}

function inSaveOrder(ext: ExtensionSpec, printed: PrintedOption[]): PrintedOption[] {
  const order = ext.saveOrder ?? ext.options.map((o) => o.name);
  const sort = (list: PrintedOption[]) => list.sort((a, b) => rank(order, a.rank) - rank(order, b.rank));
  if (!ext.saveElements) return sort(printed);
  // Each element (up to its separator) is printed in the order on its own.
  const out: PrintedOption[] = [];
  let element: PrintedOption[] = [];
  for (const p of printed) {
    if (p.rank !== ext.saveElements) {
      element.push(p);
      continue;
    }
    out.push(...sort(element), p);
    element = [];
  }
  return [...out, ...sort(element)];
}

// ---- values ---------------------------------------------------------------------

const hex = (n: number | bigint, width = 0) => `0x${n.toString(16).padStart(width, '0')}`;
const HEX_WIDTH: Partial<Record<SavedForm, number>> = { hex: 0, hex2: 2, hex4: 4, hex8: 8 };
const CT_STATE_RANK = new Map(CT_STATES.map((s) => [s.name, s.saveOrder]));
const LOG_LEVEL_NUMBER = new Map(LOG_LEVELS.map((l) => [l.name, l.level]));
const TCP_FLAG_WORD_BITS = new Map(TCP_FLAGS.map((f) => [f.name, f.bits]));

/** One value the way iptables-save prints it; the text as written where it does not parse. */
function savedValue(kind: ValueSpec | undefined, form: SavedForm | undefined, text: string, ctx: ValueContext): string {
  const family = ctx.family;
  const r = kind ? checkValue(kind, text, ctx) : undefined;
  // Text too long for the kernel's buffer is stored cut short.
  const stored = typeof r?.value === 'string' ? r.value : text;
  if (form === 'quoted') return quoted(stored);
  if (form === 'alwaysQuoted') return inQuotes(stored);
  if (form === 'u32') return u32Text(text) ?? text;
  if (form === 'mark') {
    const m = checkValue('markMask', text, ctx).value;
    return m ? markText(m) : text;
  }
  if (!kind || !r || r.error || r.value === undefined) return text;
  const v = kinded(kind, r.value);
  const width = form === undefined ? undefined : HEX_WIDTH[form];
  if (width !== undefined && (typeof v.value === 'number' || typeof v.value === 'bigint')) return hex(v.value, width);
  switch (form) {
    case 'openRange':
      if (v.kind === 'portRange' || v.kind === 'uintRange') {
        const { from, to } = v.value;
        // A single number is a lower bound here, not a range of one.
        const open = !text.includes(':') || to === 0 || (v.kind === 'uintRange' && to >= v.spec.max);
        return open ? String(from) : `${from}:${to}`;
      }
      break;
    case 'probability': if (v.kind === 'double') return probabilityText(v.value); break;
    case 'classid': return classidText(text);
    case 'xmark': if (v.kind === 'markMask' || v.kind === 'tosMask') return `${hex(v.value.value)}/${hex(v.value.mask)}`; break;
    case 'cidr': if (v.kind === 'host' || v.kind === 'hostMask') return 'address' in v.value ? cidrText(v.value, true) : text; break;
    case 'states': if (v.kind === 'enumList') return [...new Set(v.value)].sort((a, b) => CT_STATE_RANK.get(a)! - CT_STATE_RANK.get(b)!).join(','); break;
    case 'sorted': {
      if (v.kind !== 'enumList') return text;
      const order = v.spec.values;
      return [...new Set(v.value)].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(',');
    }
    default: break;
  }
  return plainValue(v, text, family);
}

/** A value in the form its kind takes when the extension prints nothing special. */
function plainValue(v: KindedValue, text: string, family: Family): string {
  switch (v.kind) {
    case 'port': return String(v.value);
    case 'portRange': return rangeText(v.value, ':');
    case 'portList': return v.value.map((p) => rangeText(p, ':')).join(',');
    case 'natPorts': return natText(v.value, family);
    case 'natRange': return natText(v.value, family, text);
    case 'icmpType':
    case 'icmpv6Type': return icmpText(v.value, v.kind === 'icmpType');
    case 'markMask': return markText(v.value);
    case 'tosMask': return `${hex(v.value.value, 2)}/${hex(v.value.mask, 2)}`;
    case 'rate': return limitRateText(v.value);
    case 'hashlimitRate': return hashlimitRateText(v.value);
    case 'hostMask':
    case 'host': return 'address' in v.value ? cidrText(v.value, false) : text;
    case 'addressList': return (Array.isArray(v.value) ? v.value : [v.value]).map((c) => ('address' in c ? formatAddress(c.address, family) : text)).join(',');
    case 'addressRange': return `${formatAddress(v.value.from, family)}-${formatAddress(v.value.to, family)}`;
    case 'prefixLength': return String(prefixLength(v.value, family));
    case 'mac': return v.value.split(':').map((b) => b.padStart(2, '0')).join(':');
    case 'tcpFlagList': return tcpFlagsText(v.value);
    case 'logLevel': return typeof v.value === 'number' ? String(v.value) : String(LOG_LEVEL_NUMBER.get(v.value) ?? v.value);
    case 'protocol':
    case 'dscpClass': return String(v.value);
    case 'timeOfDay': return clock(v.value);
    case 'dateTime': return dateText(text);
    case 'weekdays': return [...new Set(v.value)].sort((a, b) => a - b).map((d) => WEEKDAYS[d - 1]).join(',');
    case 'monthdays': return [...new Set(v.value)].sort((a, b) => a - b).join(',');
    case 'uintRange': return rangeText(v.value, ':');
    case 'enumList': return v.value.join(',');
    case 'enum': return v.spec.savedAs?.[v.value] ?? v.value;
    case 'uint':
    case 'double':
    case 'string': return String(v.value);
    default: return text;
  }
}

function markText(m: MarkMask): string {
  return m.mask === U32 ? hex(m.value) : `${hex(m.value)}/${hex(m.mask)}`;
}

/**
 * The u32 match's tests as the kernel keeps them: every number in hex, no
 * spaces; undefined when the text does not parse (it is then printed as written).
 */
function u32Text(text: string): string | undefined {
  const number = (t: string) => {
    const n = parseCNumber(t.trim());
    return n === undefined || n > U32 ? undefined : hex(n);
  };
  const tests: string[] = [];
  for (const test of text.split('&&')) {
    const [location, values, extra] = test.split('=');
    if (values === undefined || extra !== undefined) return undefined;
    const parts = location.split(/(<<|>>|&|@)/);
    const numbers = parts.map((p, i) => (i % 2 ? p : number(p)));
    if (numbers.some((n) => n === undefined)) return undefined;
    const items = values.split(',').map((item) => item.split(':').map(number));
    if (items.some((r) => r.length > 2 || r.some((n) => n === undefined))) return undefined;
    tests.push(`${numbers.join('')}=${items.map((r) => (r.length === 2 && r[0] === r[1] ? r[0] : r.join(':'))).join(',')}`);
  }
  return `"${tests.join('&&')}"`;
}

function rangeText(r: PortRange | UintRange, sep: string): string {
  return r.from === r.to ? String(r.from) : `${r.from}${sep}${r.to}`;
}

function prefixLength(mask: bigint, family: Family): number {
  let n = 0;
  for (let bit = BigInt(familyBits(family) - 1); bit >= 0n && mask & (1n << bit); bit--) n++;
  return n;
}

/** An address with its mask: `/length` (or a dotted mask that is not a prefix); a full mask only with `always`. */
export function cidrText(c: Cidr, always: boolean): string {
  const address = formatAddress(c.address, c.family);
  if (c.prefix === familyBits(c.family) && !always) return address;
  return c.prefix >= 0 ? `${address}/${c.prefix}` : `${address}/${formatAddress(c.mask, c.family)}`;
}

function natText(r: NatRange, family: Family, written?: string): string {
  let address = '';
  if (r.addressFrom !== undefined) {
    address = formatAddress(r.addressFrom, family);
    if (r.addressTo !== undefined && r.addressTo !== r.addressFrom) address += `-${formatAddress(r.addressTo, family)}`;
  }
  if (r.portFrom === undefined) return address;
  const baseText = written && /\/([^/\]]*)$/.exec(written)?.[1];
  const base = baseText && (SERVICES.get(baseText)?.port ?? baseText);
  const ports = `${r.portFrom === r.portTo ? r.portFrom : `${r.portFrom}-${r.portTo}`}${base ? `/${base}` : ''}`;
  if (written === undefined) return ports;
  return family === 'ipv6' && address !== '' ? `[${address}]:${ports}` : `${address}:${ports}`;
}

function icmpText(t: IcmpMatch, v4: boolean): string {
  if (v4 && t.type === 255) return 'any';
  if (t.codeFrom === 0 && t.codeTo === 255) return String(t.type);
  return `${t.type}/${t.codeFrom}`;
}

/** TCP flags as iptables-save lists them: in header order, ALL spelled out. */
function tcpFlagsText(names: string[]): string {
  const bits = names.reduce((sum, n) => sum | (TCP_FLAG_WORD_BITS.get(n) ?? 0), 0);
  const text = TCP_HEADER_FLAGS.filter((f) => bits & f.bits).map((f) => f.name).join(',');
  return text === '' ? 'NONE' : text;
}

function clock(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}

/** `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` with every part written out. */
function dateText(text: string): string {
  const parts = text.split(/[-T:]/).map(Number);
  const [y, mo = 1, d = 1, h = 0, mi = 0, s = 0] = parts;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}`;
}

/** The days a negated list leaves out: what the time match stores for `! --weekdays`. */
function complementDays(kind: ValueSpec | undefined, text: string, family: Family): string | undefined {
  if (kind !== 'weekdays' && kind !== 'monthdays') return undefined;
  const days = checkValue(kind, text, { family }).value;
  if (!days) return undefined;
  const all = kind === 'weekdays' ? 7 : 31;
  const rest = Array.from({ length: all }, (_, i) => i + 1).filter((d) => !days.includes(d));
  return kind === 'weekdays' ? rest.map((d) => WEEKDAYS[d - 1]).join(',') : rest.join(',');
}

/** The kernel keeps the probability as a 31-bit fraction; iptables-save prints it back with 11 decimals. */
function probabilityText(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

/** A traffic class `major:minor` in hex, each part four digits. */
function classidText(text: string): string {
  const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(text);
  return m ? `${m[1].toLowerCase().padStart(4, '0')}:${m[2].toLowerCase().padStart(4, '0')}` : text;
}

const SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };
const UNITS: readonly [string, number][] = [['day', 86400], ['hour', 3600], ['min', 60], ['sec', 1]];

/**
 * A rate as the limit family stores it, a packet interval in 1/scale seconds
 * (rounded down), printed in the largest unit that divides it without much loss.
 */
function storedRateText(period: bigint, scale: bigint): string {
  if (period === 0n) return 'inf';
  let i = 1;
  for (; i < UNITS.length; i++) {
    const mult = BigInt(UNITS[i][1]) * scale;
    if (period > mult || mult / period < mult % period) break;
  }
  const [name, seconds] = UNITS[i - 1];
  return `${(BigInt(seconds) * scale) / period}/${name}`;
}

function limitRateText(r: Rate): string {
  const scale = 10000n;
  return storedRateText((scale * BigInt(SECONDS[r.per] ?? 1)) / BigInt(r.amount), scale);
}

/**
 * A byte rate is stored as a cost per 16-byte unit of a 32-bit budget, and
 * printed back in the largest unit (mb, kb, b) that gives the same cost.
 */
function byteRateText(bytes: bigint): string {
  const cost = (b: bigint) => U32 / ((b >> 4n) + 1n);
  const stored = cost(bytes);
  const back = ((stored ? U32 / stored : U32) - 1n) << 4n;
  for (const [name, size] of [['m', 1n << 20n], ['k', 1n << 10n]] as const) {
    if (back >= size && cost(back & ~(size - 1n)) === stored) return `${back / size}${name}b/s`;
  }
  return `${back}b/s`;
}

function hashlimitRateText(r: Rate): string {
  if (r.unit) return byteRateText(BigInt(r.amount) * ({ b: 1n, kb: 1024n, mb: 1048576n, gb: 1073741824n } as Record<string, bigint>)[r.unit]);
  const scale = 1000000n;
  return storedRateText((scale * BigInt(SECONDS[r.per] ?? 1)) / BigInt(r.amount), scale);
}

/** The string match's pattern: as text in double quotes, or all in hex when a byte is not printable. */
function patternText(text: string, pipes: boolean): { text: string; hex: boolean } {
  const bytes = pipes ? patternBytes(text) : [...new TextEncoder().encode(text)];
  if (!bytes) return { text: inQuotes(text), hex: false };
  if (bytes.some((b) => b < 0x20 || b > 0x7e)) return { text: `"|${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}|"`, hex: true };
  return { text: inQuotes(String.fromCharCode(...bytes)), hex: false };
}

/** The bytes a `--hex-string` pattern stands for: text outside pipes, hex pairs inside. */
function patternBytes(text: string): number[] | undefined {
  const out: number[] = [];
  const pieces = text.split('|');
  if (pieces.length % 2 === 0) return undefined;
  for (const [i, piece] of pieces.entries()) {
    if (i % 2 === 0) {
      for (const ch of new TextEncoder().encode(piece)) out.push(ch);
      continue;
    }
    const digits = piece.replace(/\s/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(digits)) return undefined;
    for (let j = 0; j < digits.length; j += 2) out.push(parseInt(digits.slice(j, j + 2), 16));
  }
  return out;
}

/** iptables-save's quoting: bare when one plain word, else double quotes with `"`, `\` and `'` escaped. */
export function quoted(value: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

function inQuotes(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
