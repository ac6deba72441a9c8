// ip6tables matches on extension headers (routing, fragment, hop-by-hop,
// destination options, the header chain itself) and on EUI-64 sources. A
// match on a header the packet does not carry is false, negated or not.
import type { Cidr } from '../../knowledge/addresses';
import type { MatchUse } from '../../syntax/command';
import type { Criterion, EvalContext, Tri } from '../context';
import type { ExtensionHeader, ExtensionHeaderName } from '../packet';
import { CompiledMatch, criterion, num, option, unless } from './common';

function header(ctx: EvalContext, type: ExtensionHeaderName): ExtensionHeader | undefined {
  return ctx.pkt.extensionHeaders.find((h) => h.type === type);
}

/** The header must be there; each option then tests it (negations apply to the option only). */
function onHeader(use: MatchUse, type: ExtensionHeaderName, tests: Record<string, (h: ExtensionHeader, v: unknown) => boolean>): CompiledMatch {
  const criteria: Criterion[] = [{ text: `-m ${use.name} (a ${type} header)`, test: (ctx) => header(ctx, type) !== undefined }];
  for (const o of use.options) {
    const t = tests[o.spec.name];
    if (!t) continue;
    const v = o.parsed[0];
    criteria.push(unless(criterion(o, (ctx) => t(header(ctx, type)!, v)), (ctx) => (header(ctx, type) ? undefined : false)));
  }
  return { criteria };
}

function inRange(n: number, r: unknown): boolean {
  const { from, to } = r as { from: number; to: number };
  return n >= from && n <= to;
}

/** `type[:length]` items that must open the option list in this order. */
function optionsMatch(h: ExtensionHeader, text: unknown): boolean {
  const wanted = String(text).split(',').map((item) => item.split(':').map(Number));
  return wanted.every(([type, len], i) => h.options[i]?.type === type && (len === undefined || h.options[i].length === len));
}

function rt(use: MatchUse): CompiledMatch {
  const strict = !option(use, 'rt-0-not-strict');
  return onHeader(use, 'routing', {
    'rt-type': (h, v) => h.routingType === Number(v),
    'rt-segsleft': (h, v) => inRange(h.segmentsLeft, v),
    'rt-len': (h, v) => h.length === Number(v),
    'rt-0-res': () => true,
    'rt-0-addrs': (h, v) => {
      const wanted = (Array.isArray(v) ? v : [v]) as Cidr[];
      if (strict) return wanted.every((c, i) => h.addresses[i] === c.address);
      let at = 0;
      for (const c of wanted) {
        while (at < h.addresses.length && h.addresses[at] !== c.address) at++;
        if (at++ >= h.addresses.length) return false;
      }
      return true;
    },
  });
}

function frag(use: MatchUse): CompiledMatch {
  const base = onHeader(use, 'fragment', {});
  for (const o of use.options) {
    const name = o.spec.name;
    const test = (ctx: EvalContext): Tri => {
      const p = ctx.pkt;
      if (name === 'fragid') return inRange(p.fragmentId, o.parsed[0]);
      if (name === 'fragfirst') return p.fragmentOffset === 0;
      if (name === 'fragmore') return p.moreFragments;
      if (name === 'fraglast') return !p.moreFragments;
      // fraglen is ignored by current kernels; reserved fields are taken as zero.
      return true;
    };
    base.criteria.push(unless(criterion(o, test), (ctx) => (header(ctx, 'fragment') ? undefined : false)));
  }
  return base;
}

function options(name: 'hop-by-hop' | 'destination', prefix: string) {
  return (use: MatchUse): CompiledMatch => onHeader(use, name, {
    [`${prefix}-len`]: (h, v) => h.length === Number(v),
    [`${prefix}-opts`]: (h, v) => optionsMatch(h, v),
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

const EXT_BITS: Record<ExtensionHeaderName, number> = { 'hop-by-hop': 128, destination: 64, routing: 32, fragment: 16, auth: 8, esp: 4 };

/** ipv6header_mt6: the set of headers present, compared exactly (or as a subset with --soft). */
function ipv6header(use: MatchUse): CompiledMatch {
  const o = option(use, 'header')!;
  const wanted = (o.parsed[0] as string[]).reduce((m, n) => m | (HEADER_BITS[n] ?? 0), 0);
  const soft = option(use, 'soft') !== undefined;
  return {
    criteria: [criterion(o, (ctx) => {
      let present = 0;
      for (const h of ctx.pkt.extensionHeaders) {
        present |= EXT_BITS[h.type];
        if (h.type === 'esp') break;
      }
      if (!ctx.pkt.extensionHeaders.some((h) => h.type === 'esp')) present |= ctx.pkt.protocol === 59 ? 2 : 1;
      return soft ? (present & wanted) === wanted : present === wanted;
    })],
  };
}

/** srh: only a routing header of type 4 can match; its inner fields are not modelled. */
function srh(use: MatchUse): CompiledMatch {
  const isSrh = (ctx: EvalContext) => header(ctx, 'routing')?.routingType === 4;
  const criteria: Criterion[] = [{ text: '-m srh (a segment routing header)', test: isSrh }];
  for (const o of use.options) {
    const name = o.spec.name;
    const c = name === 'srh-segs-left-eq' || name === 'srh-segs-left-gt' || name === 'srh-segs-left-lt'
      ? criterion(o, (ctx) => {
        const n = header(ctx, 'routing')!.segmentsLeft;
        const v = num(o);
        return name.endsWith('eq') ? n === v : name.endsWith('gt') ? n > v : n < v;
      })
      : criterion(o, () => ({ reason: `${o.flag.text} reads segment routing header fields the packet description does not have` }));
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
        if (!mac) return { reason: 'the sender\'s MAC address is not given (packet.sourceMac)' };
        const b = mac.split(':').map((x) => parseInt(x, 16));
        const id = [b[0] ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].reduce((a, x) => (a << 8n) | BigInt(x), 0n);
        return (ctx.pkt.source & 0xffffffffffffffffn) === id;
      },
    }],
  };
}

export const IPV6_EVALUATORS = {
  rt, frag, hbh: options('hop-by-hop', 'hbh'), dst: options('destination', 'dst'), ipv6header, srh, eui64,
};
