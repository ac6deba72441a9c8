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
  const m = /^\s*\+?(?:(0[xX][0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (!m) return undefined;
  if (decimalOnly && !m[3] && m[2] !== '0') return undefined;
  if (m[1]) return BigInt(m[1]);
  if (m[2]) return BigInt('0o' + (m[2].slice(1) || '0'));
  return BigInt(m[3]);
}

function smallNumber(text: string, max: number): number | undefined {
  const v = parseCNumber(text);
  return v !== undefined && v <= BigInt(max) ? Number(v) : undefined;
}

/**
 * A numeric IPv4 address. Like iptables, fewer than four parts are a network
 * prefix padded with zeros, unless `isMask` is set.
 */
export function parseIPv4(text: string, isMask = false): bigint | undefined {
  const parts = text.split('.');
  if (parts.length > 4 || (isMask && parts.length !== 4)) return undefined;
  let value = 0n;
  for (let i = 0; i < 4; i++) {
    let octet = 0;
    if (i < parts.length) {
      const n = smallNumber(parts[i], 255);
      if (n === undefined) return undefined;
      octet = n;
    }
    value = (value << 8n) | BigInt(octet);
  }
  return value;
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

export function maskFromPrefix(prefix: number, family: Family): bigint {
  const bits = BigInt(familyBits(family));
  const all = family === 'ipv4' ? V4_ALL : V6_ALL;
  return prefix === 0 ? 0n : (all << (bits - BigInt(prefix))) & all;
}

export function prefixOfMask(mask: bigint, family: Family): number {
  const bits = familyBits(family);
  for (let p = 0; p <= bits; p++) if (maskFromPrefix(p, family) === mask) return p;
  return -1;
}

/** `/n` or `/dotted-mask` as iptables reads it; undefined when invalid. */
export function parseMask(text: string, family: Family): bigint | undefined {
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
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((address >> s) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/** A name that getaddrinfo could look up (letters, digits, `-`, `_`, `.`). */
export function looksLikeHostName(text: string): boolean {
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(text) && /[A-Za-z_]/.test(text);
}
