// Matches on protocol headers: ports, TCP flags and options, ICMP types, SPIs,
// TTL, length, TOS/DSCP/ECN, MSS. All of them are false on a later fragment,
// which has no layer-4 header of its own.
import { DCCP_TYPES } from '../../knowledge/matches/headers';
import type { PortRange, UintRange } from '../../knowledge/values';
import { MH_TYPES, SCTP_CHUNK_TYPES, TCP_FLAGS } from '../../knowledge/vocabulary';
import { isOption, type MatchUse } from '../../syntax/command';
import type { Criterion, EvalContext, Tri } from '../context';
import { Packet, SYN_MASK, TCP_FLAG_BITS } from '../packet';
import { CompileContext, CompiledMatch, criterion, first, laterFragment, maskedEquals, num, option, range, second, unless } from './common';
import { t } from '../../l10n';

function inPortRange(port: number, r: PortRange): boolean {
  return port >= r.from && port <= r.to;
}

/** `--sport`/`--dport` of tcp, udp, sctp and dccp. */
function portCriteria(use: MatchUse): Criterion[] {
  const out: Criterion[] = [];
  for (const o of use.options) {
    if (!isOption(o, ['source-port', 'destination-port'])) continue;
    const r = range(o);
    const field = o.spec.name === 'source-port' ? 'sourcePort' : 'destinationPort';
    const c = criterion(o, (ctx) => !laterFragment(ctx) && inPortRange(ctx.pkt[field], r));
    c.pure = true;
    if (r.from === r.to && !o.negated) c.key = { field, value: r.from };
    out.push(c);
  }
  return out;
}

/** A later fragment fails every option, negated or not. */
function headerGuard(c: Criterion): Criterion {
  return unless(c, (ctx) => (laterFragment(ctx) ? false : undefined));
}

const FLAG_WORDS: Record<string, number> = Object.fromEntries(TCP_FLAGS.map((f) => [f.name, f.bits]));

function flagBits(names: readonly string[]): number {
  return names.reduce((bits, n) => bits | FLAG_WORDS[n.toUpperCase()], 0);
}

/** The option kinds in the TCP header, MSS included. */
function tcpOptionKinds(p: Packet): number[] {
  return p.mss === null ? p.tcpOptions : [2, ...p.tcpOptions];
}

function tcp(use: MatchUse): CompiledMatch {
  const criteria = portCriteria(use);
  for (const o of use.options) {
    if (isOption(o, 'tcp-flags')) {
      // `ALL` is FIN,SYN,RST,PSH,ACK,URG: ECE and CWR are never compared.
      const mask = flagBits(first(o));
      const comp = flagBits(second(o));
      criteria.push(headerGuard(criterion(o, (ctx) => (ctx.pkt.tcpFlags & mask) === comp)));
    } else if (isOption(o, 'syn')) {
      criteria.push(headerGuard(criterion(o, (ctx) => (ctx.pkt.tcpFlags & SYN_MASK) === TCP_FLAG_BITS.SYN)));
    } else if (isOption(o, 'tcp-option')) {
      const kind = num(o);
      criteria.push(headerGuard(criterion(o, (ctx) => tcpOptionKinds(ctx.pkt).includes(kind))));
    }
  }
  // tcp_mt drops a fragment at offset 1 outright: it could overwrite the flags of the first.
  criteria.unshift({
    text: t('-p tcp (header present)'),
    test: (ctx) => {
      if (ctx.pkt.fragmentOffset === 1) ctx.skb.hotdrop = t('a TCP fragment at offset 8 could overwrite the flags of the first one (tcp_mt drops it)');
      return !laterFragment(ctx);
    },
    pure: true,
  });
  return { criteria };
}

function ports(use: MatchUse): CompiledMatch {
  return { criteria: [{ text: t('-p {0} (header present)', use.name), test: (ctx) => !laterFragment(ctx), pure: true }, ...portCriteria(use)] };
}

const SCTP_FLAG_LETTERS: Record<number, Record<string, number>> = { 0: { I: 8, U: 4, B: 2, E: 1 }, 6: { T: 1 }, 14: { T: 1 } };

function sctp(use: MatchUse): CompiledMatch {
  const criteria = ports(use).criteria;
  const o = option(use, 'chunk-types');
  if (o) {
    const mode = first(o).toLowerCase();
    const wanted = new Map<number, { value: number; mask: number } | null>();
    const list = o.values[1]?.text ?? '';
    for (const item of list.split(',')) {
      const [name, flags] = item.split(':');
      const upper = name.toUpperCase();
      if (upper === 'ALL') for (const tgt of SCTP_CHUNK_TYPES.values()) wanted.set(tgt, null);
      else if (upper !== 'NONE') {
        const type = SCTP_CHUNK_TYPES.get(upper);
        if (type === undefined) continue;
        let value = 0;
        let mask = 0;
        for (const ch of flags ?? '') {
          const bit = SCTP_FLAG_LETTERS[type]?.[ch.toUpperCase()] ?? 0;
          mask |= bit;
          if (ch === ch.toUpperCase()) value |= bit;
        }
        wanted.set(type, flags ? { value, mask } : null);
      }
    }
    const flagsOk = (type: number, flags: number) => {
      const f = wanted.get(type);
      return !f || (flags & f.mask) === f.value;
    };
    criteria.push(headerGuard(criterion(o, (ctx) => {
      const chunks = ctx.pkt.sctpChunks;
      if (mode === 'any') return chunks.some((c) => wanted.has(c.type) && flagsOk(c.type, c.flags));
      if (mode === 'only') return chunks.every((c) => wanted.has(c.type) && flagsOk(c.type, c.flags));
      const seen = new Set(chunks.filter((c) => wanted.has(c.type) && flagsOk(c.type, c.flags)).map((c) => c.type));
      return [...wanted.keys()].every((tgt) => seen.has(tgt));
    })));
  }
  return { criteria };
}

function dccp(use: MatchUse): CompiledMatch {
  const criteria = ports(use).criteria;
  for (const o of use.options) {
    if (isOption(o, 'dccp-types')) {
      const types = new Set(first(o).map((n) => DCCP_TYPES.indexOf(n.toUpperCase())));
      criteria.push(headerGuard(criterion(o, (ctx) => types.has(ctx.pkt.dccpType))));
    } else if (isOption(o, 'dccp-option')) {
      const kind = num(o);
      criteria.push(headerGuard(criterion(o, (ctx) => ctx.pkt.dccpOptions.includes(kind))));
    }
  }
  return { criteria };
}

/** icmp_type_code_match: type 255 (`any`) matches every message. */
function icmpLike(use: MatchUse): CompiledMatch {
  const o = option(use, ['icmp-type', 'icmpv6-type'])!;
  const m = first(o);
  return {
    criteria: [headerGuard(criterion(o, (ctx) => m.any || (ctx.pkt.icmpType === m.type && ctx.pkt.icmpCode >= m.codeFrom && ctx.pkt.icmpCode <= m.codeTo)))],
  };
}

function multiport(use: MatchUse): CompiledMatch {
  const o = option(use, ['source-ports', 'destination-ports', 'ports'])!;
  const list = first(o);
  const which = o.spec.name;
  const hit = (port: number) => list.some((r) => inPortRange(port, r));
  return {
    criteria: [headerGuard(criterion(o, (ctx) => {
      const p = ctx.pkt;
      if (which === 'source-ports') return hit(p.sourcePort);
      if (which === 'destination-ports') return hit(p.destinationPort);
      return hit(p.sourcePort) || hit(p.destinationPort);
    }))],
  };
}

/** esp, ah (IPv4) and ipcomp: the SPI (or CPI) of the header. */
function spi(use: MatchUse): CompiledMatch {
  const criteria = use.options.filter((o) => isOption(o, ['espspi', 'ahspi', 'ipcompspi'])).map((o) => {
    const r = range(o);
    return headerGuard(criterion(o, (ctx) => spiTest(ctx, r)));
  });
  return { criteria };
}

function spiTest(ctx: EvalContext, r: UintRange): Tri {
  const v = ctx.pkt.spi;
  if (v === null) return { reason: t('the packet\'s SPI is not given (packet.spi)') };
  return v >= r.from && v <= r.to;
}

/** ah for IPv6: an Authentication Header in the extension header chain; --ahlen is its whole length in bytes. */
function ah6(use: MatchUse): CompiledMatch {
  const auth = (ctx: EvalContext) => ctx.pkt.extensionHeaders.find((h) => h.type === 'auth');
  const criteria: Criterion[] = [{ text: t('-m ah (an Authentication Header)'), test: (ctx) => auth(ctx) !== undefined }];
  for (const o of use.options) {
    let test: (ctx: EvalContext) => Tri = () => true;
    if (isOption(o, 'ahspi')) {
      const r = range(o);
      test = (ctx) => auth(ctx)!.spi >= r.from && auth(ctx)!.spi <= r.to;
    } else if (isOption(o, 'ahlen')) {
      const len = num(o);
      test = (ctx) => auth(ctx)!.size === len;
    }
    criteria.push(unless(criterion(o, test), (ctx) => (auth(ctx) ? undefined : false)));
  }
  return { criteria };
}

/** A Mobility Header type by number, short form, or the start of its name (as libip6t_mh reads it). */
function mhType(word: string): number | undefined {
  if (/^\d+$/.test(word)) return Number(word);
  const w = word.toLowerCase();
  return MH_TYPES.find((tgt) => tgt.alias === w || tgt.name === w)?.type ?? MH_TYPES.find((tgt) => tgt.name.startsWith(w))?.type;
}

function mh(use: MatchUse): CompiledMatch {
  const o = use.options[0];
  if (!o) return { criteria: [] };
  const [a, b] = o.values[0].text.split(':');
  const from = mhType(a);
  const to = b === undefined ? from : mhType(b);
  if (from === undefined || to === undefined) return { criteria: [criterion(o, () => ({ reason: t('"{0}" is not a Mobility Header type', o.values[0].text) }))] };
  return { criteria: [headerGuard(criterion(o, (ctx) => ctx.pkt.icmpType >= from && ctx.pkt.icmpType <= to))] };
}

/** ttl (IPv4) and hl (IPv6): eq, lt, gt; only eq can be negated. */
const HOP_OPTIONS = ['ttl-eq', 'ttl-lt', 'ttl-gt', 'hl-eq', 'hl-lt', 'hl-gt'] as const;

function hopCount(use: MatchUse): CompiledMatch {
  const criteria = use.options.filter((o) => isOption(o, HOP_OPTIONS)).map((o) => {
    const v = num(o);
    const name = o.spec.name;
    const test = name.endsWith('-lt') ? (tgt: number) => tgt < v : name.endsWith('-gt') ? (tgt: number) => tgt > v : (tgt: number) => tgt === v;
    return criterion(o, (ctx) => test(ctx.pkt.ttl));
  });
  return { criteria };
}

function length(use: MatchUse): CompiledMatch {
  const o = option(use, 'length')!;
  const r = range(o);
  return { criteria: [criterion(o, (ctx) => ctx.pkt.length >= r.from && ctx.pkt.length <= r.to)] };
}

function tos(use: MatchUse): CompiledMatch {
  const o = option(use, 'tos')!;
  const equals = maskedEquals(o);
  return { criteria: [criterion(o, (ctx) => equals(ctx.pkt.tos))] };
}

function dscp(use: MatchUse): CompiledMatch {
  return {
    criteria: use.options.filter((o) => isOption(o, ['dscp', 'dscp-class'])).map((o) => {
      const v = num(o);
      return criterion(o, (ctx) => ctx.pkt.tos >> 2 === v);
    }),
  };
}

function ecn(use: MatchUse): CompiledMatch {
  const criteria = use.options.map((o) => {
    if (isOption(o, 'ecn-ip-ect')) {
      const v = num(o);
      return criterion(o, (ctx) => (ctx.pkt.tos & 3) === v);
    }
    const bit = o.spec.name === 'ecn-tcp-cwr' ? TCP_FLAG_BITS.CWR : TCP_FLAG_BITS.ECE;
    return headerGuard(criterion(o, (ctx) => (ctx.pkt.tcpFlags & bit) !== 0));
  });
  return { criteria };
}

/** Without an MSS option only `! --mss` matches (tcpmss_mt returns the inversion). */
function tcpmss(use: MatchUse): CompiledMatch {
  const o = option(use, 'mss')!;
  const r = range(o);
  return { criteria: [headerGuard(criterion(o, (ctx) => ctx.pkt.mss !== null && ctx.pkt.mss >= r.from && ctx.pkt.mss <= r.to))] };
}

export const HEADER_EVALUATORS = {
  tcp, udp: ports, sctp, dccp, icmp: icmpLike, icmp6: icmpLike, multiport, esp: spi, ipcomp: spi,
  mh, ttl: hopCount, hl: hopCount, length, tos, dscp, ecn, tcpmss,
  ah: (use: MatchUse, cc: CompileContext) => (cc.family === 'ipv6' ? ah6(use) : spi(use)),
};
