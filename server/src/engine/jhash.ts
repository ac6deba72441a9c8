// Bob Jenkins' lookup3 hash as linux/jhash.h computes it: NAT address
// ranges, `-m cluster` and HMARK pick by it, so their choices can be predicted.

const INITVAL = 0xdeadbeef;

function rol(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function final(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol(b, 14)) >>> 0;
  a ^= c; a = (a - rol(c, 11)) >>> 0;
  b ^= a; b = (b - rol(a, 25)) >>> 0;
  c ^= b; c = (c - rol(b, 16)) >>> 0;
  a ^= c; a = (a - rol(c, 4)) >>> 0;
  b ^= a; b = (b - rol(a, 14)) >>> 0;
  c ^= b; c = (c - rol(b, 24)) >>> 0;
  return c >>> 0;
}

function mix(a: number, b: number, c: number): [number, number, number] {
  a = (a - c) >>> 0; a ^= rol(c, 4); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol(a, 6); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol(b, 8); b = (b + a) >>> 0;
  a = (a - c) >>> 0; a ^= rol(c, 16); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol(a, 19); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol(b, 4); b = (b + a) >>> 0;
  return [a >>> 0, b >>> 0, c >>> 0];
}

/** jhash2(): a hash of 32-bit words. */
export function jhash2(words: readonly number[], initval: number): number {
  let a = (INITVAL + (words.length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  let n = words.length;
  while (n > 3) {
    a = (a + words[k]) >>> 0; b = (b + words[k + 1]) >>> 0; c = (c + words[k + 2]) >>> 0;
    [a, b, c] = mix(a, b, c);
    n -= 3;
    k += 3;
  }
  if (n === 0) return c;
  if (n >= 3) c = (c + words[k + 2]) >>> 0;
  if (n >= 2) b = (b + words[k + 1]) >>> 0;
  a = (a + words[k]) >>> 0;
  return final(a, b, c);
}

/** jhash_3words(); jhash_1word() is jhash_3words(a, 0, 0) with a different length term. */
export function jhashWords(a: number, b: number, c: number, initval: number, count: 1 | 3): number {
  const iv = (initval + INITVAL + (count << 2)) >>> 0;
  return final((a + iv) >>> 0, (b + iv) >>> 0, (c + iv) >>> 0);
}

/** reciprocal_scale(): maps a 32-bit hash onto 0..range-1. */
export function reciprocalScale(hash: number, range: number): number {
  return Number((BigInt(hash >>> 0) * BigInt(range >>> 0)) >> 32n);
}

/** An address as 32-bit words, most significant first (what ntohl gives). */
export function addressWords(address: bigint, bits: 32 | 128): number[] {
  const words: number[] = [];
  for (let s = bits - 32; s >= 0; s -= 32) words.push(Number((address >> BigInt(s)) & 0xffffffffn));
  return words;
}

/** The words as the kernel's hash reads them: network order loaded by a little-endian CPU. */
export function rawWords(address: bigint, bits: 32 | 128): number[] {
  return addressWords(address, bits).map(swap32);
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}
