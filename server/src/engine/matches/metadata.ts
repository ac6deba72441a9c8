// Matches on what the host knows about the packet rather than its headers:
// marks, link-layer addresses and packet type, address types, interfaces,
// the sending socket, routing facts.
import { isOption, type MatchUse } from '../../syntax/command';
import { Criterion, EvalContext, Tri, uncertain } from '../context';
import { AddressType, addressTypeV4, anycastOwner, Host, Interface, isLoopbackAddress, isMulticast, localOwner, lookupRoute, reversePathOk } from '../host';
import type { Packet } from '../packet';
import { CompiledMatch, criterion, first, maskedEquals, num, option, unless, valueMask, whole } from './common';
import { t } from '../../l10n';

function mark(use: MatchUse): CompiledMatch {
  const o = option(use, 'mark')!;
  const equals = maskedEquals(o);
  return { criteria: [criterion(o, (ctx) => equals(ctx.pkt.mark))] };
}

/** mac_mt: only a frame that came in on an Ethernet device has a source MAC; on lo it is false, negated or not. */
function mac(use: MatchUse): CompiledMatch {
  const o = option(use, 'mac-source')!;
  const want = first(o);
  const c = criterion(o, (ctx) => ctx.pkt.sourceMac === want);
  return {
    criteria: [unless(c, (ctx) => {
      if (!ctx.inDev || ctx.inDev.loopback) return false;
      return ctx.pkt.sourceMac === null ? uncertain(t('the sender\'s MAC address is not given (packet.sourceMac)')) : undefined;
    })],
  };
}

/** physdev_mt without bridge information: the simulated host has no bridges. */
function physdev(use: MatchUse): CompiledMatch {
  return { criteria: [whole(use, () => use.options.every((o) => o.negated))] };
}

export type LinkType = 'host' | 'broadcast' | 'multicast' | 'otherhost';

/** skb->pkt_type: from the destination MAC of a frame that came in; a local packet is for this host. */
export function linkType(p: Packet, inDev: Interface | null): LinkType {
  if (!inDev || inDev.loopback) return 'host';
  const mac = p.destinationMac ?? inDev.mac;
  if (mac === null || mac === inDev.mac) return 'host';
  if (mac === 'ff:ff:ff:ff:ff:ff') return 'broadcast';
  return parseInt(mac.slice(0, 2), 16) & 1 ? 'multicast' : 'otherhost';
}

const PKT_TYPES: Record<string, LinkType> = {
  unicast: 'host', host: 'host', broadcast: 'broadcast', bcast: 'broadcast', multicast: 'multicast', mcast: 'multicast', otherhost: 'otherhost',
};

function pkttype(use: MatchUse): CompiledMatch {
  const o = option(use, 'pkt-type')!;
  const want = PKT_TYPES[first(o).toLowerCase()];
  return { criteria: [criterion(o, (ctx) => linkType(ctx.pkt, ctx.inDev) === want)] };
}

/** match_type6: the listed types are all required (multicast, unicast, unspecified by the address; local, anycast, unreachable by route). */
function addressType6(host: Host, a: bigint, dev: Interface | null, wanted: readonly string[]): boolean {
  const multicast = isMulticast('ipv6', a);
  if (wanted.includes('MULTICAST') && !multicast) return false;
  if (wanted.includes('UNICAST') && (multicast || a === 0n)) return false;
  if (wanted.includes('UNSPEC') && a !== 0n) return false;
  const byRoute = wanted.filter((w) => w === 'LOCAL' || w === 'ANYCAST' || w === 'UNREACHABLE');
  if (byRoute.length === 0) return true;
  const owner = localOwner(host, 'ipv6', a) ?? (isLoopbackAddress('ipv6', a) ? host.interfaces.get('lo') : undefined);
  const local = owner !== undefined && (!dev || dev === owner);
  const anycast = anycastOwner(host, a, dev ?? undefined) !== undefined;
  const unreachable = !local && !anycast && lookupRoute(host, 'ipv6', a)?.type !== 'unicast';
  return (byRoute.includes('LOCAL') && local) || (byRoute.includes('ANYCAST') && anycast) || (byRoute.includes('UNREACHABLE') && unreachable);
}

function addrtype(use: MatchUse, cc: { family: string }): CompiledMatch {
  const limitIn = option(use, 'limit-iface-in') !== undefined;
  const limitOut = option(use, 'limit-iface-out') !== undefined;
  const dev = (ctx: EvalContext) => (limitIn ? ctx.inDev : limitOut ? ctx.outDev : null);
  const criteria: Criterion[] = [];
  for (const name of ['src-type', 'dst-type'] as const) {
    const o = option(use, name);
    if (!o) continue;
    const wanted = first(o).map((tgt) => tgt.toUpperCase());
    const src = name === 'src-type';
    criteria.push(criterion(o, (ctx) => {
      const a = src ? ctx.pkt.source : ctx.pkt.destination;
      if (cc.family === 'ipv6') return addressType6(ctx.host, a, dev(ctx), wanted);
      return wanted.includes(addressTypeV4(ctx.host, a, dev(ctx)) as AddressType);
    }));
  }
  return { criteria };
}

function iprange(use: MatchUse): CompiledMatch {
  return {
    criteria: use.options.filter((o) => isOption(o, ['src-range', 'dst-range'])).map((o) => {
      const { from, to } = first(o);
      const src = o.spec.name === 'src-range';
      return criterion(o, (ctx) => {
        const a = src ? ctx.pkt.source : ctx.pkt.destination;
        return a >= from && a <= to;
      });
    }),
  };
}

/** `1000`, `1000-1999`; a name is looked up on the machine that loads the rules (only root is certain). */
function idRange(text: string): { from: number; to: number } | undefined {
  if (text === 'root') return { from: 0, to: 0 };
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  return m ? { from: Number(m[1]), to: Number(m[2] ?? m[1]) } : undefined;
}

/**
 * owner_mt: a packet without a local socket (forwarded, or made by the kernel)
 * matches only when every option is negated.
 */
function owner(use: MatchUse): CompiledMatch {
  const criteria = use.options.filter((o) => o.spec.name !== 'suppl-groups').map((o) => {
    const name = o.spec.name;
    const suppl = option(use, 'suppl-groups') !== undefined;
    const c = criterion(o, (ctx): Tri => {
      if (name === 'socket-exists') return true;
      const r = idRange(String(o.parsed[0]));
      if (!r) return uncertain(t('`{0}` is a name from the machine\'s user database', o.parsed[0]));
      const id = name === 'uid-owner' ? ctx.pkt.uid : ctx.pkt.gid;
      if (id === null) return uncertain(t('the sending socket\'s {0} is not given', name === 'uid-owner' ? t('user (packet.uid)') : t('group (packet.gid)')));
      if (id >= r.from && id <= r.to) return true;
      return suppl ? uncertain(t('the sender\'s supplementary groups are not given')) : false;
    });
    return unless(c, (ctx) => (ctx.pkt.inInterface === null ? undefined : o.negated));
  });
  return { criteria };
}

function cgroup(use: MatchUse): CompiledMatch {
  const o = option(use, ['path', 'cgroup'])!;
  const id = isOption(o, 'cgroup') ? num(o) : undefined;
  const c = criterion(o, (ctx): Tri => {
    if (id === undefined) return uncertain(t('the sending process\'s cgroup path is not given'));
    if (ctx.pkt.cgroup === null) return uncertain(t('the sending socket\'s net_cls class id is not given (packet.cgroup)'));
    return ctx.pkt.cgroup === id;
  });
  return {
    criteria: [unless(c, (ctx) => {
      if (ctx.hook === 'INPUT') return uncertain(t('whether a receiving socket is known at INPUT depends on early demux'));
      return ctx.pkt.inInterface === null ? undefined : false;
    })],
  };
}

function cpu(use: MatchUse): CompiledMatch {
  const o = option(use, 'cpu')!;
  const want = num(o);
  return { criteria: [criterion(o, (ctx) => (ctx.pkt.cpu === null ? uncertain(t('the CPU handling the packet is not given (packet.cpu)')) : ctx.pkt.cpu === want))] };
}

/** Device groups: a number with an optional mask, or `default` (0); other names live in /etc/iproute2/group. */
function devgroup(use: MatchUse): CompiledMatch {
  return {
    criteria: use.options.map((o) => {
      const text = String(o.parsed[0]);
      const vm = text === 'default' ? { value: 0, mask: 0xffffffff } : valueMask(text);
      const src = o.spec.name === 'src-group';
      return criterion(o, (ctx): Tri => {
        if (!vm) return uncertain(t('device group `{0}` is a name from /etc/iproute2/group on the machine', text));
        const dev = src ? ctx.inDev : ctx.outDev;
        if (!dev) return false;
        return (((vm.value ^ dev.group) & vm.mask) >>> 0) === 0;
      });
    }),
  };
}

/** The simulated host's routes carry no realm (0). */
function realm(use: MatchUse): CompiledMatch {
  const o = use.options[0];
  const text = String(o.parsed[0]);
  const vm = valueMask(text);
  return { criteria: [criterion(o, () => (vm ? vm.value === 0 : uncertain(t('realm `{0}` is a name from /etc/iproute2/rt_realms', text))))] };
}

/** rpfilter_mt: loopback traffic passes, then the reverse route must leave by the incoming interface. */
function rpfilter(use: MatchUse, cc: { family: string }): CompiledMatch {
  const loose = option(use, 'loose') !== undefined;
  const acceptLocal = option(use, 'accept-local') !== undefined;
  const inverted = option(use, 'invert') !== undefined;
  return {
    criteria: [whole(use, (ctx) => {
      const dev = ctx.inDev;
      if (!dev || dev.loopback) return !inverted;
      const p = ctx.pkt;
      if (cc.family === 'ipv4' && p.source === 0n && (p.destination === 0xffffffffn || p.destination >> 8n === 0xe00000n)) return !inverted;
      if (option(use, 'validmark') && p.mark !== 0) return uncertain(t('policy routing by mark is not modelled'));
      return reversePathOk(ctx.host, p.family, p.source, dev, loose, acceptLocal) !== inverted;
    })],
  };
}

export const METADATA_EVALUATORS = {
  mark, mac, physdev, pkttype, addrtype, iprange, owner, cgroup, cpu, devgroup, realm, rpfilter,
  comment: (use: MatchUse): CompiledMatch => ({ criteria: [{ ...whole(use, () => true), pure: true }] }),
};

