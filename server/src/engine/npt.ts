// IPv6 network prefix translation (RFC 6296, ip6t_NPT): the prefix is swapped
// and one 16-bit word of the interface identifier adjusted so that transport
// checksums stay valid without being recomputed.
import type { Cidr } from '../knowledge/addresses';

function onesAdd(a: number, b: number): number {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
}

/** The one's-complement sum of an address's sixteen-bit words. */
function sum16(a: bigint): number {
  let s = 0;
  for (let i = 0n; i < 8n; i++) s = onesAdd(s, Number((a >> (16n * i)) & 0xffffn));
  return s;
}

/**
 * nf_nptv6_rewrite: replace the first max(prefix lengths) bits by the new
 * prefix, then add the prefixes' checksum difference to word 3 (prefixes up to
 * /48) or to the first word after the prefix that is not 0xffff.
 */
export function applyPrefixTranslation(address: bigint, from: Cidr, to: Cidr): bigint | undefined {
  const len = Math.max(from.prefix, to.prefix);
  const prefixMask = ((1n << BigInt(len)) - 1n) << BigInt(128 - len);
  let a = (address & ~prefixMask) | (to.address & prefixMask);
  // adjustment = ~(sum(from) - sum(to)) in one's complement: sum(from) + ~sum(to).
  const adjustment = onesAdd(sum16(from.address), ~sum16(to.address) & 0xffff);
  let index = 3;
  if (len > 48) {
    index = 4;
    while (index < 8 && Number((a >> BigInt(16 * (7 - index))) & 0xffffn) === 0xffff) index++;
    if (index === 8) return undefined;
  }
  const shift = BigInt(16 * (7 - index));
  const word = Number((a >> shift) & 0xffffn);
  let sum = onesAdd(word, adjustment);
  sum = (sum & 0xffff) + (sum >>> 16);
  if (sum === 0xffff) sum = 0;
  a = (a & ~(0xffffn << shift)) | (BigInt(sum & 0xffff) << shift);
  return a;
}
