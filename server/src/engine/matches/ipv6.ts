// ip6tables matches on extension headers (routing, fragment, hop-by-hop,
// destination options, the header chain itself) and on EUI-64 sources. A
// match on a header the packet does not carry is false, negated or not.
import type { UintRange } from '../../knowledge/values';
import { isOption, type MatchUse, type OptionUse } from '../../syntax/command';
import type { Criterion, EvalContext, Tri } from '../context';
import type { ExtensionHeader, ExtensionHeaderName } from '../packet';
import { CompiledMatch, criterion, first, num, option, optionText, unless } from './common';
import { t } from '../../l10n';

const ESP = 50;
const NO_NEXT_HEADER = 59;

function header(ctx: EvalContext, type: ExtensionHeaderName): ExtensionHeader | undefined {
  return ctx.pkt.extensionHeaders.find((h) => h.type === type);
}

/** A test on the header for an option of the match; undefined for an option that only modifies others. */
type HeaderTest = (o: OptionUse) => ((h: ExtensionHeader) => boolean) | undefined;

/** The header must be there; each option then tests it (negations apply to the option only). */
function onHeader(use: MatchUse, type: ExtensionHeaderName, testOf: HeaderTest): CompiledMatch {
  const criteria: Criterion[] = [{ text: t('-m {0} (a {1} header)', use.name, type), test: (ctx) => header(ctx, type) !== undefined }];
  for (const o of use.options) {
    const tgt = testOf(o);
    if (!tgt) continue;
    criteria.push(unless(criterion(o, (ctx) => tgt(header(ctx, type)!)), (ctx) => (header(ctx, type) ? undefined : false)));
  }
  return { criteria };
}

function inRange(n: number, { from, to }: UintRange): boolean {
  return n >= from && n <= to;
}

/**
 * `type[:length]` items that must open the option list in this order, the
 * padding options included (Pad1 is type 0 and has no length).
 */
function optionsMatch(h: ExtensionHeader, text: string): boolean {
  const wanted = text.split(',').map((item) => item.split(':').map(Number));
  return wanted.every(([type, len], i) => {
    const o = h.options[i];
    return o !== undefined && o.type === type && (type === 0 || len === undefined || o.data.length === len);
  });
}

function rt(use: MatchUse): CompiledMatch {
  const strict = !option(use, 'rt-0-not-strict');
  return onHeader(use, 'routing', (o) => {
    if (isOption(o, 'rt-type')) {
      const type = num(o);
      return (h) => h.routingType === type;
    }
    if (isOption(o, 'rt-segsleft')) {
      const r = first(o);
      return (h) => inRange(h.segmentsLeft, r);
    }
    // The whole header in bytes (ipv6_optlen), not the Hdr Ext Len field.
    if (isOption(o, 'rt-len')) {
      const size = num(o);
      return (h) => h.size === size;
    }
    if (isOption(o, 'rt-0-res')) return () => true;
    if (!isOption(o, 'rt-0-addrs')) return undefined;
    const v = first(o);
    // A host name stands for no address the header can hold.
    const wanted = (Array.isArray(v) ? v : [v]).map((c) => ('address' in c ? c.address : undefined));
    return (h) => {
      // Strict: exactly these addresses, in this order, and no others.
      if (strict) return wanted.length === h.addresses.length && wanted.every((a, i) => h.addresses[i] === a);
      let at = 0;
      for (const a of wanted) {
        while (at < h.addresses.length && h.addresses[at] !== a) at++;
        if (at++ >= h.addresses.length) return false;
      }
      return true;
    };
  });
}

function frag(use: MatchUse): CompiledMatch {
  const base = onHeader(use, 'fragment', () => undefined);
  for (const o of use.options) {
    const name = o.spec.name;
    const id = isOption(o, 'fragid') ? first(o) : undefined;
    const test = (ctx: EvalContext): Tri => {
      const p = ctx.pkt;
      if (id) return inRange(p.fragmentId, id);
      if (name === 'fragfirst') return p.fragmentOffset === 0;
      if (name === 'fragmore') return p.moreFragments;
      if (name === 'fraglast') return !p.moreFragments;
      // Reserved fields are zero in the packets the engine builds.
      return true;
    };
    // The kernel ignores --fraglen, negated or not.
    const c = name === 'fraglen' ? { text: optionText(o), test } : criterion(o, test);
    base.criteria.push(unless(c, (ctx) => (header(ctx, 'fragment') ? undefined : false)));
  }
  return base;
}

function options(name: 'hop-by-hop' | 'destination') {
  return (use: MatchUse): CompiledMatch => onHeader(use, name, (o) => {
    if (isOption(o, ['hbh-len', 'dst-len'])) {
      const size = num(o);
      return (h) => h.size === size;
    }
    if (isOption(o, ['hbh-opts', 'dst-opts'])) {
      const text = first(o);
      return (h) => optionsMatch(h, text);
    }
    return undefined;
  });
}

const HEADER_BITS: Record<string, number> = {
  'hop-by-hop': 128, hop: 128, hopopt: 128, '0': 128, ip: 128,
  dst: 64, 'ipv6-opts': 64, '60': 64,
  route: 32, 'ipv6-route': 32, '43': 32,
  frag: 16, 'ipv6-frag': 16, '44': 16,
  auth: 8, ah: 8, '51': 8,
  esp: 4, '50': 4,
  none: 2, 'ipv6-nonxt': 2, '59': 2,
  prot: 1, protocol: 1, '255': 1,
};

const EXT_BITS: Record<ExtensionHeaderName, number> = { 'hop-by-hop': 128, destination: 64, routing: 32, fragment: 16, auth: 8 };
const ESP_BIT = 4;
const NONE_BIT = 2;
const PROTO_BIT = 1;

/**
 * ipv6header_mt6: the set of headers present (ESP and "no next header" end
 * the chain, anything else is the upper-layer protocol), compared exactly, or
 * with --soft as "all of these"; negated, --soft means "none of these".
 */
function ipv6header(use: MatchUse): CompiledMatch {
  const o = option(use, 'header')!;
  const wanted = first(o).reduce((m, n) => m | (HEADER_BITS[n] ?? 0), 0);
  const soft = option(use, 'soft') !== undefined;
  const inverted = o.negated ? 0xff : 0;
  return {
    criteria: [{
      text: optionText(o),
      test: (ctx) => {
        const p = ctx.pkt;
        let present = p.extensionHeaders.reduce((m, h) => m | EXT_BITS[h.type], 0);
        present |= p.protocol === ESP ? ESP_BIT : p.protocol === NO_NEXT_HEADER ? NONE_BIT : PROTO_BIT;
        if (soft) return ((present ^ wanted ^ inverted) & wanted) === 0;
        return inverted ? present !== wanted : present === wanted;
      },
    }],
  };
}

/**
 * srh: only a routing header of type 4 whose segments left do not exceed its
 * last entry (the byte after segments left: 0 in the packets the engine
 * builds, as in the oracle's); its other fields are not modelled.
 */
function srh(use: MatchUse): CompiledMatch {
  const isSrh = (ctx: EvalContext) => header(ctx, 'routing')?.routingType === 4 && header(ctx, 'routing')!.segmentsLeft === 0;
  const criteria: Criterion[] = [{ text: t('-m srh (a segment routing header)'), test: isSrh }];
  for (const o of use.options) {
    const c = isOption(o, ['srh-segs-left-eq', 'srh-segs-left-gt', 'srh-segs-left-lt'])
      ? criterion(o, (ctx) => {
        const n = header(ctx, 'routing')!.segmentsLeft;
        const v = num(o);
        const name = o.spec.name;
        return name.endsWith('eq') ? n === v : name.endsWith('gt') ? n > v : n < v;
      })
      : criterion(o, () => ({ reason: t('{0} reads segment routing header fields the packet description does not have', o.flag.text) }));
    criteria.push(unless(c, (ctx) => (isSrh(ctx) ? undefined : false)));
  }
  return { criteria };
}

/** eui64: the source's interface identifier must be derived from the sender's MAC. */
function eui64(): CompiledMatch {
  return {
    criteria: [{
      text: '-m eui64',
      test: (ctx) => {
        if (!ctx.inDev || ctx.inDev.loopback) return false;
        const mac = ctx.pkt.sourceMac;
        if (!mac) return { reason: t('the sender\'s MAC address is not given (packet.sourceMac)') };
        const b = mac.split(':').map((x) => parseInt(x, 16));
        const id = [b[0] ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].reduce((a, x) => (a << 8n) | BigInt(x), 0n);
        return (ctx.pkt.source & 0xffffffffffffffffn) === id;
      },
    }],
  };
}

export const IPV6_EVALUATORS = {
  rt, frag, hbh: options('hop-by-hop'), dst: options('destination'), ipv6header, srh, eui64,
};
