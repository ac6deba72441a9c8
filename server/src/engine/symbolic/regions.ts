// Where the host treats addresses alike. Routing, martian checks, address
// types and the addresses NAT picks depend on an address only through the
// host's addresses, subnets and routes and the ranges the kernel gives a
// meaning to (loopback, multicast, broadcast, unspecified...): between two
// of these boundaries every address gets the same answer. The symbolic engine
// splits a set of packets at these boundaries, and only there, before it asks
// host.ts a question about their addresses.
import type { Family } from '../../knowledge';
import { familyBits } from '../../knowledge/addresses';
import type { Host } from '../host';
import { parseHostAddress } from '../json';
import { IntervalSet } from './intervals';

/**
 * Special-purpose ranges (IANA's registries of RFC 6890): those host.ts tests
 * today and those an IPv4 or IPv6 stack is known to treat apart, so that a
 * refinement of the host model keeps its answers constant between boundaries.
 */
const SPECIAL: Record<Family, string[]> = {
  ipv4: [
    '0.0.0.0/32', '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16',
    '198.18.0.0/15', '224.0.0.0/4', '224.0.0.0/24', '224.0.0.1/32', '224.0.0.2/32', '240.0.0.0/4', '255.255.255.255/32',
  ],
  ipv6: [
    '::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10',
    'ff00::/8', 'ff01::1/128', 'ff02::1/128', 'ff02::2/128', 'ff02::1:ff00:0/104',
  ],
};

/** ff02::1:ff00:0/104, the solicited-node groups. */
const SOLICITED_NODE = 0xff0200000000000000000001ff000000n;

function block(address: bigint, prefix: number, bits: number): [bigint, bigint] {
  const size = 1n << BigInt(bits - prefix);
  const lo = (address / size) * size;
  return [lo, lo + size - 1n];
}

/** The boundaries of a host's address regions: each is the first address of a region. */
export class AddressRegions {
  private readonly cuts: bigint[];

  constructor(host: Host, readonly family: Family) {
    const bits = familyBits(family);
    const ranges: [bigint, bigint][] = [];
    for (const text of SPECIAL[family]) {
      const [a, len] = text.split('/');
      ranges.push(block(parseHostAddress(a)!.address, Number(len), bits));
    }
    for (const itf of host.interfaces.values()) {
      for (const a of itf.addresses) {
        if (a.family !== family) continue;
        ranges.push([a.address, a.address], block(a.address, a.prefix, bits));
        const [, last] = block(a.address, a.prefix, bits);
        ranges.push([last, last], [a.address & a.mask, a.address & a.mask]);
      }
    }
    if (family === 'ipv6') {
      // Multicast: the scope (ffXY::/16) and the groups an interface joins (host.ts joinedGroup).
      for (let b = 0xff00n; b <= 0xffffn; b++) ranges.push(block(b << 112n, 16, bits));
      for (const g of [0xff01n, 0xff02n, 0xff05n]) ranges.push([(g << 112n) | 1n, (g << 112n) | 1n], [(g << 112n) | 2n, (g << 112n) | 2n]);
      for (const itf of host.interfaces.values()) {
        for (const a of itf.addresses) {
          if (a.family !== 'ipv6') continue;
          for (const x of [a.address, a.address & a.mask]) ranges.push([SOLICITED_NODE | (x & 0xffffffn), SOLICITED_NODE | (x & 0xffffffn)]);
        }
      }
    }
    for (const r of host.routes) {
      if (r.family !== family) continue;
      ranges.push(block(r.network, r.prefix, bits));
      if (r.via !== null) ranges.push([r.via, r.via]);
    }
    const top = (1n << BigInt(bits)) - 1n;
    const cuts = new Set<bigint>([0n]);
    for (const [lo, hi] of ranges) {
      cuts.add(lo);
      if (hi < top) cuts.add(hi + 1n);
    }
    this.cuts = [...cuts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }

  /** How many regions. */
  get count(): number {
    return this.cuts.length;
  }

  /** The index of the region holding `a`. */
  regionOf(a: bigint): number {
    let lo = 0;
    let hi = this.cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cuts[mid] <= a) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The set cut at the region boundaries: each part lies in one region (with its index). */
  split(set: IntervalSet): { region: number; part: IntervalSet }[] {
    const parts = new Map<number, [bigint, bigint][]>();
    for (const [lo, hi] of set.ranges()) {
      let at = lo;
      while (at <= hi) {
        const r = this.regionOf(at);
        const end = r + 1 < this.cuts.length && this.cuts[r + 1] - 1n < hi ? this.cuts[r + 1] - 1n : hi;
        parts.set(r, [...(parts.get(r) ?? []), [at, end]]);
        at = end + 1n;
      }
    }
    return [...parts].map(([region, ranges]) => ({ region, part: IntervalSet.fromRanges(ranges) }));
  }

  /** Does the set lie in one region? */
  within(set: IntervalSet): boolean {
    return this.regionOf(set.min) === this.regionOf(set.max);
  }
}
