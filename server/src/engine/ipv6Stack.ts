// What the IPv6 stack itself does to a packet around the netfilter hooks, in
// the kernel's order: the checks of ip6_rcv_core and the hop-by-hop options
// before PREROUTING, nf_defrag_ipv6 when conntrack runs, the checks of
// ip6_forward before FORWARD, and the extension headers a local packet still
// has to pass after INPUT (ip6_input_finish), with the ICMPv6 error each
// refusal sends, when the kernel sends one.
import { isLinkLocal, isMulticast, scope6 } from './host';
import type { Interface } from './host';
import { ExtensionHeader, ICMPV6, isFragment, optionSize, Packet } from './packet';
import { t } from '../l10n';

/** How a packet the stack (no rule) stopped reads: before the hooks, held, after INPUT, or not forwarded. */
export type StackStop = 'before-hooks' | 'held' | 'after-input' | 'not-forwarded';

export interface StackDrop {
  stop: StackStop;
  reason: string;
  /** The ICMPv6 error sent back, in the oracle's words (`icmp6-param-problem`). */
  icmp?: string;
}

const PAD1 = 0;
const PADN = 1;
const ROUTER_ALERT = 5;
const CALIPSO = 7;
const IOAM = 0x31;
const JUMBO = 0xc2;
/** net.ipv6.max_hbh_opts_number and max_dst_opts_number: options other than padding. */
const MAX_OPTIONS = 8;

const LOOPBACK = 1n;

/**
 * icmpv6_send's refusals: never about an ICMPv6 error, never to an unspecified
 * or multicast source, and for a multicast destination only a parameter
 * problem about an option whose type says "report even to multicast".
 */
function answer(p: Packet, icmp: string, evenToMulticast = false): string | undefined {
  if (p.source === 0n || isMulticast('ipv6', p.source)) return undefined;
  if (p.protocol === ICMPV6 && p.icmpType < 128 && !isFragment(p)) return undefined;
  if (isMulticast('ipv6', p.destination) && !evenToMulticast) return undefined;
  return icmp;
}

function paramProblem(p: Packet, stop: StackStop, reason: string, evenToMulticast = false): StackDrop {
  return { stop, reason: t('parameter problem: {0}', reason), icmp: answer(p, 'icmp6-param-problem', evenToMulticast) };
}

/**
 * ip6_parse_tlv: the options of a hop-by-hop or destination options header in
 * order. Known options are checked, unknown ones act on the two high bits of
 * their type: skip, discard, discard and report, discard and report unless
 * multicast; too much padding, non-zero PadN or too many options discard.
 */
function parseOptions(p: Packet, h: ExtensionHeader, stop: StackStop): StackDrop | undefined {
  const where = h.type === 'hop-by-hop' ? 'hop-by-hop' : t('destination options');
  const silently = (why: string): StackDrop => ({ stop, reason: t('{0} header: {1}', where, why) });
  let padding = 0;
  let count = 0;
  let offset = 40 + p.extensionHeaders.slice(0, p.extensionHeaders.indexOf(h)).reduce((n, x) => n + x.size, 0) + 2;
  for (const o of h.options) {
    const at = offset;
    offset += optionSize(o);
    if (o.type === PAD1 || o.type === PADN) {
      padding += optionSize(o);
      if (padding > 7) return silently(t('more than 7 bytes of padding in a row'));
      if (o.data.some((b) => b !== 0)) return silently(t('a PadN option carries non-zero bytes'));
      continue;
    }
    padding = 0;
    if (++count > MAX_OPTIONS) return silently(t('more than {0} options', MAX_OPTIONS));
    if (h.type === 'hop-by-hop') {
      if (o.type === ROUTER_ALERT) {
        if (o.data.length !== 2) return silently(t('a router alert option of {0} bytes instead of 2', o.data.length));
        continue;
      }
      if (o.type === JUMBO) {
        if (o.data.length !== 4 || at % 4 !== 2) return silently(t('a jumbo payload option of the wrong length or alignment'));
        return paramProblem(p, stop, t('a jumbo payload option in a packet that is not a jumbogram'));
      }
      if (o.type === CALIPSO) return silently(t('a CALIPSO option no security domain of this host accepts'));
      if (o.type === IOAM) {
        if (at % 4) return silently(t('an IOAM option not aligned on 4 bytes'));
        continue;
      }
    }
    const action = o.type >> 6;
    const name = t('option type 0x{0}', o.type.toString(16).padStart(2, '0'));
    if (action === 0) continue;
    if (action === 1) return silently(t('unknown {0}, whose type says "discard"', name));
    return paramProblem(p, stop, t('unknown {0} {1}, whose type says "discard and report"', where, name), action === 2);
  }
  return undefined;
}

/**
 * ip6_rcv_core, before any hook (through lo too): loopback addresses from
 * outside, multicast of interface-local or reserved scope from outside,
 * multicast sources, then the hop-by-hop options when that header comes first.
 */
export function receiveChecks(p: Packet, inDev: Interface): StackDrop | undefined {
  const before = (reason: string): StackDrop => ({ stop: 'before-hooks', reason });
  if (!inDev.loopback) {
    if (p.destination === LOOPBACK || p.source === LOOPBACK) return before(t('the loopback address ::1 may not arrive from outside (RFC 4291)'));
    if (isMulticast('ipv6', p.destination) && scope6(p.destination) <= 1) {
      return before(t('a multicast destination of {0} scope may not arrive from outside', scope6(p.destination) ? t('interface-local') : t('reserved')));
    }
  }
  if (isMulticast('ipv6', p.source)) return before(t('a multicast source address is invalid'));
  const first = p.extensionHeaders[0];
  return first?.type === 'hop-by-hop' ? parseOptions(p, first, 'before-hooks') : undefined;
}

export type Defrag = { kind: 'pass' } | { kind: 'whole' } | { kind: 'held'; drop: StackDrop };

/**
 * nf_ct_frag6_gather (priority -400, with conntrack): a lone fragment waits
 * for the others before any table sees it; an atomic fragment is a whole
 * packet whose fragment header is removed; a first fragment whose length is
 * not a multiple of 8 is let through untouched for the stack to refuse.
 */
export function defragment(p: Packet): Defrag {
  const k = p.extensionHeaders.findIndex((h) => h.type === 'fragment');
  if (k < 0) return { kind: 'pass' };
  if (!isFragment(p)) {
    p.extensionHeaders.splice(k, 1);
    p.length -= 8;
    return { kind: 'whole' };
  }
  if (p.moreFragments && fragmentableLength(p) % 8) return { kind: 'pass' };
  return { kind: 'held', drop: { stop: 'held', reason: t('conntrack\'s defragmentation (nf_defrag_ipv6, priority -400) holds a lone fragment until the others come: no table sees it') } };
}

/** The bytes after the fragment header. */
function fragmentableLength(p: Packet): number {
  let at = 40;
  for (const h of p.extensionHeaders) {
    at += h.size;
    if (h.type === 'fragment') break;
  }
  return p.length - at;
}

/**
 * ip6_forward after the hop limit check: a packet leaving by another
 * interface than it came in may not have an unspecified, multicast or
 * loopback source (dropped) nor a link-local one (answered "beyond scope").
 */
export function forwardChecks(p: Packet, inDev: Interface, outDev: Interface): StackDrop | undefined {
  if (inDev === outDev) return undefined;
  const src = p.source;
  if (src === 0n || src === LOOPBACK || isMulticast('ipv6', src)) {
    return { stop: 'not-forwarded', reason: t('the source address is unspecified, loopback or multicast') };
  }
  if (isLinkLocal(src)) {
    return { stop: 'not-forwarded', reason: t('beyond scope: a link-local source may not leave its link ({0} to {1})', inDev.name, outDev.name), icmp: answer(p, 'icmp6-beyond-scope') };
  }
  return undefined;
}

/**
 * ip6_input_finish after INPUT: the extension headers after the first
 * hop-by-hop one, in order. A routing header with segments left that this
 * host cannot process, a second hop-by-hop header or one the host has no
 * handler for (AH without IPsec) is answered with a parameter problem; a
 * fragment waits for reassembly (or is refused when its length is not a
 * multiple of 8); segment routing headers are dropped (seg6_enabled=0).
 */
export function deliverChecks(p: Packet): StackDrop | undefined {
  const after = (reason: string): StackDrop => ({ stop: 'after-input', reason });
  for (const [i, h] of p.extensionHeaders.entries()) {
    switch (h.type) {
      case 'hop-by-hop':
        if (i > 0) return paramProblem(p, 'after-input', t('a hop-by-hop header that does not come first'));
        break;
      case 'destination': {
        const bad = parseOptions(p, h, 'after-input');
        if (bad) return bad;
        break;
      }
      case 'routing':
        if (isMulticast('ipv6', p.destination)) return after(t('a routing header in a packet to a multicast address'));
        if (h.routingType === 3 || h.routingType === 4) return after(t('a {0} header on a host that does not accept them (seg6_enabled=0)', h.routingType === 4 ? t('segment routing') : 'RPL'));
        if (h.segmentsLeft > 0) return paramProblem(p, 'after-input', h.segmentsLeft > 1 ? t('a type-{0} routing header with {1} segments left, which this host does not process (RFC 5095)', h.routingType, h.segmentsLeft) : t('a type-{0} routing header with 1 segment left, which this host does not process (RFC 5095)', h.routingType));
        break;
      case 'fragment':
        if (!isFragment(p)) break;
        if (p.moreFragments && fragmentableLength(p) % 8) return paramProblem(p, 'after-input', t('a fragment with more to come whose length ({0} bytes) is not a multiple of 8', fragmentableLength(p)));
        return { stop: 'held', reason: t('reassembly after INPUT holds a lone fragment until the others come') };
      case 'auth':
        return paramProblem(p, 'after-input', t('an Authentication Header, which no IPsec handler of this host takes'));
    }
  }
  return undefined;
}
