// IPv4/IPv6 address and mask parsing with the rules iptables applies: octets
// may be written in hex or octal, a short IPv4 address is a network
// (`10/8` is 10.0.0.0/8), masks are prefix lengths or dotted masks.
import type { Family } from './schema';

export interface Cidr {
  family: Family;
  /** The address with the mask applied. */
  address: bigint;
  mask: bigint;
  /** Prefix length, or -1 for a mask that is not contiguous. */
  prefix: number;
}

const V4_ALL = (1n << 32n) - 1n;
const V6_ALL = (1n << 128n) - 1n;

export function familyBits(family: Family): number {
  return family === 'ipv4' ? 32 : 128;
}

/** Unsigned integer as C's strtoul with base 0 reads it (decimal, 0x hex, 0 octal); whole string. */
export function parseCNumber(text: string, decimalOnly = false): bigint | undefined {
  const plain = plainDecimal(text);
  if (plain >= 0) return BigInt(plain);
  const m = /^\s*\+?(?:(0[xX][0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (!m) return undefined;
  if (decimalOnly && !m[3] && m[2] !== '0') return undefined;
  if (m[1]) return BigInt(m[1]);
  if (m[2]) return BigInt('0o' + (m[2].slice(1) || '0'));
  return BigInt(m[3]);
}

/** The common case, a short decimal without a leading zero, or -1. */
export function plainDecimal(text: string): number {
  const n = text.length;
  if (n === 0 || n > 9 || (n > 1 && text.charCodeAt(0) === 48)) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function octet(text: string): number {
  const plain = plainDecimal(text);
  if (plain >= 0) return plain <= 255 ? plain : -1;
  const v = parseCNumber(text);
  return v !== undefined && v <= 255n ? Number(v) : -1;
}

/**
 * `a.b.c.d` or `a.b.c.d/n` in plain decimal, by far the most common form of an
 * IPv4 network, read without the general parser and without allocating: the
 * address as written (not masked) times 64 plus the prefix length (32 without
 * `/n`), or -1 for anything else. Leading zeros, octal to iptables, are left to
 * the general parser too.
 */
export function plainIPv4(text: string): number {
  let number = 0;
  let octets = 0;
  let i = 0;
  const n = text.length;
  while (octets < 4) {
    const start = i;
    let value = 0;
    while (i < n && i - start < 3) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + c - 48;
      i++;
    }
    if (i === start || value > 255 || (i - start > 1 && text.charCodeAt(start) === 48)) return -1;
    number = number * 256 + value;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  let prefix = 32;
  if (i < n) {
    if (text.charCodeAt(i) !== 47 || n - i < 2 || n - i > 3) return -1;
    prefix = 0;
    for (let k = i + 1; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c < 48 || c > 57) return -1;
      prefix = prefix * 10 + c - 48;
    }
    if (prefix > 32 || (n - i === 3 && text.charCodeAt(i + 1) === 48)) return -1;
  }
  return number * 64 + prefix;
}

/** The prefix length of a plainIPv4 network (32 for a bare address). */
export function plainPrefix(plain: number): number {
  return plain % 64;
}

/** The address of a plainIPv4 network, as written (not masked). */
export function plainAddress(plain: number): number {
  return (plain - (plain % 64)) / 64;
}

/** A plainIPv4 network iptables takes as written: any but one with a zero mask, which gets a warning of its own. */
export function plainNetworkValid(plain: number): boolean {
  return plain >= 0 && plain % 64 !== 0;
}

/**
 * A numeric IPv4 address. Like iptables, fewer than four parts are a network
 * prefix padded with zeros, unless `isMask` is set.
 */
export function parseIPv4(text: string, isMask = false): bigint | undefined {
  let value = 0;
  let parts = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) !== 46 /* . */) continue;
    if (parts === 4) return undefined;
    const o = octet(text.slice(start, i));
    if (o < 0) return undefined;
    value = value * 256 + o;
    parts++;
    start = i + 1;
  }
  if (isMask && parts !== 4) return undefined;
  for (; parts < 4; parts++) value *= 256;
  return BigInt(value);
}

/** A numeric IPv6 address as inet_pton accepts it (with an optional trailing IPv4 part). */
export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const items = half.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes('.')) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(item)) return undefined;
        const v4 = item.split('.').map(Number);
        if (v4.some((o) => o > 255)) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(g);
  return value;
}

export function parseAddress(text: string, family: Family): bigint | undefined {
  return family === 'ipv4' ? parseIPv4(text) : parseIPv6(text);
}

function masks(all: bigint, bits: number): bigint[] {
  return Array.from({ length: bits + 1 }, (_, p) => (p === 0 ? 0n : (all << BigInt(bits - p)) & all));
}

const MASKS: Record<Family, bigint[]> = { ipv4: masks(V4_ALL, 32), ipv6: masks(V6_ALL, 128) };
const PREFIX_OF: Record<Family, Map<bigint, number>> = {
  ipv4: new Map(MASKS.ipv4.map((m, p) => [m, p])),
  ipv6: new Map(MASKS.ipv6.map((m, p) => [m, p])),
};

export function maskFromPrefix(prefix: number, family: Family): bigint {
  return MASKS[family][prefix];
}

function prefixOfMask(mask: bigint, family: Family): number {
  return PREFIX_OF[family].get(mask) ?? -1;
}

/** `/n` or `/dotted-mask` as iptables reads it; undefined when invalid. */
export function parseMask(text: string, family: Family): bigint | undefined {
  const plain = plainDecimal(text);
  if (plain >= 0) return plain <= familyBits(family) ? MASKS[family][plain] : undefined;
  const dotted = family === 'ipv4' ? parseIPv4(text, true) : text.includes(':') ? parseIPv6(text) : undefined;
  if (dotted !== undefined) return dotted;
  const n = parseCNumber(text);
  if (n === undefined || n > BigInt(familyBits(family))) return undefined;
  return maskFromPrefix(Number(n), family);
}

export function makeCidr(address: bigint, mask: bigint, family: Family): Cidr {
  return { family, address: address & mask, mask, prefix: prefixOfMask(mask, family) };
}

export function formatAddress(address: bigint, family: Family): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map((s) => String((address >> s) & 255n)).join('.');
  }
  return formatIPv6(address);
}

/**
 * IPv6 text as glibc's inet_ntop writes it, which is what iptables prints: the
 * first longest run of two or more zero groups becomes `::`, and an address
 * whose first five groups are zero and sixth is 0 or ffff ends in dotted IPv4.
 */
function formatIPv6(address: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((address >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) text += ':';
      continue;
    }
    if (i > 0) text += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      return text + formatAddress(address & 0xffffffffn, 'ipv4');
    }
    text += words[i].toString(16);
  }
  return best.base >= 0 && best.base + best.len === 8 ? text + ':' : text;
}

/** A name that getaddrinfo could look up (letters, digits, `-`, `_`, `.`). */
export function looksLikeHostName(text: string): boolean {
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(text) && /[A-Za-z_]/.test(text);
}
