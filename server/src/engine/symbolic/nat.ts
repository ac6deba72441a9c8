// NAT over sets of packets. The concrete engine rewrites each packet (nat.ts's
// setupNat, for a connection's first packet with no other connection in the
// table); here a set is first split where that choice differs (a port inside
// the target's range is kept, one outside is moved; a source already in a
// SNAT range is left alone), then each part's new address and port is one
// value, the packet's own, or "some value in a range" when the kernel picks
// it by a hash or at random.
import { natRewrite, type Family, type Hook } from '../../knowledge';
import { familyBits } from '../../knowledge/addresses';
import { lookedUpWhenLoaded, type NatRange as ParsedNat } from '../../knowledge/values';
import { t } from '../../l10n';
import type { TargetUse } from '../../syntax/command';
import { first, option } from '../matches/common';
import { hasPorts } from '../packet';
import { IntervalSet } from './intervals';
import { currentSet, Piece, splitBy } from './piece';
import { allAddresses, type Dim } from './space';

/** What becomes of one field: kept, set to the one value the target gives every packet, or some value in a range. */
export type FieldPlan = { kind: 'keep' } | { kind: 'one' } | { kind: 'some'; within: IntervalSet; why: string };

export interface NatPlan {
  piece: Piece;
  address: FieldPlan;
  port: FieldPlan;
  addressDim: Dim;
  portDim: Dim;
}

const KEEP: FieldPlan = { kind: 'keep' };

function rangeOf(use: TargetUse): ParsedNat | undefined {
  const name = use.spec?.name ?? use.name;
  const key = name === 'DNAT' ? 'to-destination' : name === 'SNAT' ? 'to-source' : 'to-ports';
  return option(use, key)?.parsed[0];
}

function portRange(from: number, to: number): IntervalSet {
  return IntervalSet.range(BigInt(from), BigInt(to));
}

/** nf_nat_l4proto_unique_tuple's source port ranges when the target gives none: the port's own class. */
const SOURCE_PORT_CLASSES: [IntervalSet, IntervalSet][] = [
  [portRange(0, 511), portRange(1, 511)], [portRange(512, 1023), portRange(600, 1023)], [portRange(1024, 65535), portRange(1024, 65535)],
];

/**
 * The parts of a piece that a NAT target treats alike, each with what it does
 * to the address and port it changes. The piece has a connection (the
 * target does nothing without one) and one kind of protocol (with ports or not).
 */
export function natPlans(piece: Piece, use: TargetUse, hook: Hook, family: Family): NatPlan[] {
  const name = use.spec?.name ?? use.name;
  const manip = natRewrite(use.spec, hook) ?? 'dst';
  const addressDim: Dim = manip === 'src' ? 'src' : 'dst';
  const portDim: Dim = manip === 'src' ? 'sport' : 'dport';
  const r = rangeOf(use);
  const random = option(use, 'random') !== undefined || option(use, 'random-fully') !== undefined;
  const ports = [...currentSet(piece, 'proto').ranges()].every(([lo, hi]) => lo === hi && hasPorts(Number(lo)));
  const plan = (p: Piece, address: FieldPlan, port: FieldPlan): NatPlan => ({ piece: p, address, port: ports ? port : KEEP, addressDim, portDim });

  // The address: the target's one address, the host's (MASQUERADE, REDIRECT), the same network (NETMAP), or one a hash picks.
  let address: FieldPlan = KEEP;
  if (name === 'MASQUERADE' || name === 'REDIRECT') address = { kind: 'one' };
  else if (name === 'NETMAP') address = netmapPlan(piece, use, addressDim, family);
  else if (r?.addressFrom !== undefined) {
    address = r.addressFrom === r.addressTo ? { kind: 'one' } : { kind: 'some', within: IntervalSet.range(r.addressFrom, r.addressTo!), why: t('is picked from the NAT range by a hash of the addresses') };
  }
  const specified = r?.portFrom !== undefined;
  const wanted = specified ? portRange(r!.portFrom!, r!.portTo!) : undefined;
  if (manip === 'dst') {
    if (!specified) return [plan(piece, address, KEEP)];
    if (random) return [plan(piece, address, { kind: 'some', within: wanted!, why: t('is chosen at random in the NAT port range') })];
    // A destination port in the range is kept; another becomes the range's first port.
    const s = splitBy(piece, portDim, wanted!);
    const out: NatPlan[] = [];
    if (s.inside) out.push(plan(s.inside, address, KEEP));
    if (s.outside) out.push(plan(s.outside, address, { kind: 'one' }));
    if (s.undecided) out.push(plan(s.undecided.piece, address, { kind: 'some', within: wanted!, why: t('is kept or moved to the range\'s first port') }));
    return out;
  }
  const out: NatPlan[] = [];
  let rest: Piece[] = [piece];
  // A source already in the SNAT range (address, and port when given) is left as it is.
  if (!random && name !== 'NETMAP') {
    const inRange: Piece[] = [];
    let candidates: Piece[] = [piece];
    const outside: Piece[] = [];
    if (r?.addressFrom !== undefined && name !== 'MASQUERADE') {
      const s = splitBy(piece, addressDim, IntervalSet.range(r.addressFrom, r.addressTo!));
      candidates = s.inside ? [s.inside] : [];
      if (s.outside) outside.push(s.outside);
      if (s.undecided) outside.push(s.undecided.piece);
    } else if (name === 'MASQUERADE') candidates = [];
    for (const c of candidates) {
      if (ports && specified) {
        const s = splitBy(c, portDim, wanted!);
        if (s.inside) inRange.push(s.inside);
        if (s.outside) outside.push(s.outside);
        if (s.undecided) outside.push(s.undecided.piece);
      } else inRange.push(c);
    }
    out.push(...inRange.map((p) => plan(p, KEEP, KEEP)));
    rest = name === 'MASQUERADE' ? [piece] : outside;
  }
  for (const p of rest) {
    if (!ports) {
      out.push(plan(p, address, KEEP));
      continue;
    }
    if (specified && !random) {
      const s = splitBy(p, portDim, wanted!);
      if (s.inside) out.push(plan(s.inside, address, KEEP));
      for (const o of [s.outside, s.undecided?.piece]) if (o) out.push(plan(o, address, { kind: 'some', within: wanted!, why: t('is chosen at random in the NAT port range') }));
    } else if (specified) out.push(plan(p, address, { kind: 'some', within: wanted!, why: t('is chosen at random in the NAT port range') }));
    else if (random) {
      // Without a range the kernel keeps the port's class: below 512, below 1024, or above.
      for (const [from, within] of SOURCE_PORT_CLASSES) {
        const s = splitBy(p, portDim, from);
        for (const q of [s.inside, s.undecided?.piece]) if (q) out.push(plan(q, address, { kind: 'some', within, why: t('is chosen at random by NAT') }));
      }
    } else out.push(plan(p, address, KEEP));
  }
  return out;
}

/**
 * NETMAP keeps the host part: one address in, one out; for more, some address
 * of the target network. A network given by a host name is known only when the
 * rules load: the address becomes any one (the concrete engine changes nothing then).
 */
function netmapPlan(piece: Piece, use: TargetUse, dim: Dim, family: Family): FieldPlan {
  const to = first(option(use, 'to')!);
  if (!('address' in to)) return { kind: 'some', within: allAddresses(family), why: lookedUpWhenLoaded(to.hostname) };
  if (currentSet(piece, dim).isSingleton) return { kind: 'one' };
  const host = (1n << BigInt(familyBits(to.family))) - 1n ^ to.mask;
  return { kind: 'some', within: IntervalSet.range(to.address, to.address | host), why: t('is mapped into the NETMAP network') };
}
