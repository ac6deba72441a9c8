// What each target does to the packet, its connection and the rule walk,
// keyed by the knowledge base's target names. A terminating target ends the
// walk of its table with a verdict; the others change something and continue.
import { natManip, type Family, type FirstValue } from '../knowledge';
import { lookedUpWhenLoaded, type MarkMask, type NatRange as ParsedNat } from '../knowledge/values';
import { REJECT_TYPES_V4, REJECT_TYPES_V6 } from '../knowledge/vocabulary';
import { isOption, type OptionUseOf, type TargetUse } from '../syntax/command';
import { EvalContext, Uncertain, uncertain } from './context';
import { addressTypeV4, isMulticast, primaryAddress, preferredSource } from './host';
import { jhashWords, reciprocalScale } from './jhash';
import { showAddress } from './json';
import { CompileContext, first, num, option, optionText, quoteWord, second } from './matches/common';
import { applyPrefixTranslation } from './npt';
import { Manip, NatRange, setupNat } from './nat';
import { endpoint, hasPorts, isIcmpError, isLaterFragment, SYN_MASK, TCP, TCP_FLAG_BITS } from './packet';
import { t } from '../l10n';

export interface TargetResult {
  /** continue: the next rule; accept/drop: the verdict of this table at this hook. */
  verdict: 'continue' | 'accept' | 'drop';
  /** What the target did, in words: `DNAT to 10.0.0.2:8080`. */
  action: string;
  changed: string[];
  /** What the host sends back instead (REJECT, SYNPROXY). */
  rejectWith?: string;
  notes?: string[];
}

/** A target whose effect depends on something the scenario does not say: the trace follows both. */
export interface TargetChoice {
  choose: Uncertain;
  yes: TargetResult;
  no: TargetResult;
}

export interface CompiledTarget {
  text: string;
  run(ctx: EvalContext): TargetResult | TargetChoice;
  /** It only reports the packet somewhere: the walk goes on the same whether the rule matched or not. */
  inert?: boolean;
}

type TargetCompiler = (use: TargetUse, cc: CompileContext) => CompiledTarget;

function targetText(use: TargetUse): string {
  return `${use.flag.text} ${use.name}${use.options.map((o) => ' ' + optionText(o)).join('')}`;
}

const go = (action: string, changed: string[] = [], notes?: string[]): TargetResult => ({ verdict: 'continue', action, changed, notes });
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

function make(run: (use: TargetUse, cc: CompileContext) => CompiledTarget['run'], flags: { inert?: boolean } = {}): TargetCompiler {
  return (use, cc) => ({ text: targetText(use), run: run(use, cc), ...flags });
}

// ---- verdict-like targets ------------------------------------------------------------

/** What the host actually sends for a REJECT: nothing about an ICMP error, a later fragment, a broadcast (subnet ones too) or a RST. */
function rejectAnswer(ctx: EvalContext, type: string): string | undefined {
  const p = ctx.pkt;
  if (isLaterFragment(p)) return undefined;
  if (type === 'tcp-reset') return p.protocol === TCP && !(p.tcpFlags & TCP_FLAG_BITS.RST) ? type : undefined;
  if (isIcmpError(p) || isMulticast(p.family, p.destination) || (p.family === 'ipv4' && addressTypeV4(ctx.host, p.destination, null) === 'BROADCAST')) return undefined;
  return type;
}

function canonicalReject(family: Family, word: string | undefined): string {
  const types = family === 'ipv4' ? REJECT_TYPES_V4 : REJECT_TYPES_V6;
  if (word === undefined) return types.find((tgt) => tgt.name.endsWith('port-unreachable'))!.name;
  return types.find((tgt) => tgt.name === word || tgt.alias === word)?.name ?? word;
}

const REJECT = make((use, cc) => {
  const type = canonicalReject(cc.family, option(use, 'reject-with')?.parsed[0]);
  return (ctx) => {
    const answer = rejectAnswer(ctx, type);
    // The answer is a packet of this host's own: it goes out through OUTPUT and POSTROUTING.
    const notes = answer ? [t('the {0} answer goes out through this host\'s OUTPUT and POSTROUTING chains', answer)] : [t('no {0} is sent for this packet', type)];
    return { verdict: 'drop', action: t('REJECT with {0}', type), changed: [], rejectWith: answer, notes };
  };
});

/** No program listens on a queue unless the host says so: the packet is dropped (or passes with --queue-bypass). */
function queue(num: number, bypass: boolean, ctx: EvalContext): TargetResult | TargetChoice {
  const action = t('NFQUEUE to queue {0}', num);
  if (ctx.host.queues.includes(num)) {
    return {
      choose: uncertain(t('the program listening on queue {0} decides', num)),
      yes: { verdict: 'accept', action: t('{0} (the program accepts it)', action), changed: [] },
      no: { verdict: 'drop', action: t('{0} (the program drops it)', action), changed: [] },
    };
  }
  return bypass
    ? { verdict: 'accept', action: t('{0}: nobody listens, --queue-bypass lets it through', action), changed: [] }
    : { verdict: 'drop', action: t('{0}: nobody listens (host.queues), so it is dropped', action), changed: [] };
}

const NFQUEUE = make((use) => {
  const n = option(use, 'queue-num');
  const balance = option(use, 'queue-balance');
  const queueNum = n ? num(n) : balance ? Number(first(balance).from) : 0;
  const bypass = option(use, 'queue-bypass') !== undefined;
  return (ctx) => queue(queueNum, bypass, ctx);
});

/** SYNPROXY answers a SYN itself with a cookie; the ACK that completes it is consumed too. */
const SYNPROXY = make(() => (ctx) => {
  const f = ctx.pkt.tcpFlags;
  if ((f & SYN_MASK) === TCP_FLAG_BITS.SYN) return { verdict: 'drop', action: t('SYNPROXY answers the SYN with a SYN cookie'), changed: [], rejectWith: 'tcp-syn-ack' };
  if ((f & SYN_MASK) === TCP_FLAG_BITS.ACK) return { verdict: 'drop', action: t('SYNPROXY checks the cookie and opens the connection to the server itself'), changed: [] };
  return go(t('SYNPROXY (not a SYN or ACK: continue)'));
});

const TEE = make((use) => {
  const gw = option(use, 'gateway')!.values[0].text;
  return () => go(t('TEE: a copy goes to {0}', gw));
});

/** TPROXY hands the packet to a local transparent socket, marked for the policy route that delivers it. */
const TPROXY = make((use) => {
  const port = num(option(use, 'on-port')!);
  const markOpt = option(use, 'tproxy-mark');
  const mm = markOpt ? first(markOpt) : undefined;
  return (ctx) => {
    const p = ctx.pkt;
    const lport = port || p.destinationPort;
    const sockets = ctx.host.sockets;
    const found = sockets?.find((s) => s.family === p.family && s.protocol === p.protocol && s.port === lport && s.transparent);
    if (!sockets) {
      return {
        choose: uncertain(t('the host\'s sockets are not described (host.sockets)')),
        yes: tproxied(ctx, lport, mm),
        no: { verdict: 'drop', action: t('TPROXY: no transparent socket on port {0}', lport), changed: [] },
      };
    }
    return found ? tproxied(ctx, lport, mm) : { verdict: 'drop', action: t('TPROXY: no transparent socket on port {0}', lport), changed: [] };
  };
});

function tproxied(ctx: EvalContext, port: number, mm: MarkMask | undefined): TargetResult {
  const before = ctx.pkt.mark;
  if (mm) ctx.pkt.mark = ((before & ~Number(mm.mask)) ^ Number(mm.value)) >>> 0;
  return {
    verdict: 'accept', action: t('TPROXY to the local socket on port {0}', port),
    changed: before !== ctx.pkt.mark ? [t('mark {0} → {1}', hex(before), hex(ctx.pkt.mark))] : [],
    notes: [t('delivery to the socket needs a policy route for the mark (`ip rule add fwmark ... lookup N; ip route add local 0/0 dev lo table N`)')],
  };
}

// ---- NAT --------------------------------------------------------------------------------

function natRange(parsed: ParsedNat | undefined, use: TargetUse): NatRange {
  return {
    addressFrom: parsed?.addressFrom, addressTo: parsed?.addressTo, portFrom: parsed?.portFrom, portTo: parsed?.portTo,
    random: option(use, 'random') !== undefined || option(use, 'random-fully') !== undefined,
    persistent: option(use, 'persistent') !== undefined,
  };
}

function nat(ctx: EvalContext, manip: Manip, range: NatRange, what: string): TargetResult {
  const ct = ctx.skb.ct;
  if (ct.kind !== 'tracked') return go(t('{0}: the packet has no connection to translate', what));
  const r = setupNat(ctx.state.conntrack, ct.conn, ctx.pkt, manip, range);
  const p = ctx.pkt;
  const where = manip === 'dst'
    ? endpoint(p.family, p.destination, hasPorts(p.protocol) ? p.destinationPort : null)
    : endpoint(p.family, p.source, hasPorts(p.protocol) ? p.sourcePort : null);
  Object.assign(ctx.skb.undetermined, r.undetermined);
  const notes = Object.entries(r.undetermined).map(([k, v]) => `${k} ${v}`);
  return { verdict: 'accept', action: `${what} to ${where}`, changed: r.changed, notes: notes.length ? notes : undefined };
}

const DNAT = make((use) => {
  const range = natRange(option(use, 'to-destination')?.parsed[0], use);
  return (ctx) => nat(ctx, 'dst', range, 'DNAT');
});

const SNAT = make((use) => {
  const range = natRange(option(use, 'to-source')?.parsed[0], use);
  return (ctx) => nat(ctx, 'src', range, 'SNAT');
});

/** MASQUERADE: the address the route out prefers (a primary one, never a secondary). */
const MASQUERADE = make((use) => {
  const ports = natRange(option(use, 'to-ports')?.parsed[0], use);
  return (ctx) => {
    const dev = ctx.outDev;
    const src = dev ? preferredSource(ctx.host, ctx.family, dev.name, ctx.family === 'ipv6' ? ctx.pkt.destination : ctx.nextHop ?? ctx.pkt.destination) : undefined;
    if (src === undefined || !dev) return { verdict: 'drop', action: t('MASQUERADE: {0} has no address', dev?.name ?? t('the interface')), changed: [] };
    return nat(ctx, 'src', { ...ports, addressFrom: src, addressTo: src }, t('MASQUERADE ({0}\'s address)', dev.name));
  };
});

/** REDIRECT: to the primary address of the interface the packet came in on (loopback for local packets). */
const REDIRECT = make((use) => {
  const ports = natRange(option(use, 'to-ports')?.parsed[0], use);
  return (ctx) => {
    const local = ctx.hook === 'OUTPUT';
    const dst = local ? (ctx.family === 'ipv4' ? 0x7f000001n : 1n) : ctx.inDev ? primaryAddress(ctx.inDev, ctx.family) : undefined;
    if (dst === undefined) return { verdict: 'drop', action: t('REDIRECT: the incoming interface has no address'), changed: [] };
    return nat(ctx, 'dst', { ...ports, addressFrom: dst, addressTo: dst }, 'REDIRECT');
  };
});

/** A prefix given as a host name is looked up when the rules load: what the target writes is not known. */
function lookedUp(use: TargetUse, hostName: string): CompiledTarget['run'] {
  const verdict: TargetResult['verdict'] = use.spec?.terminating ? 'accept' : 'continue';
  return () => ({ verdict, action: lookedUpWhenLoaded(hostName), changed: [], notes: [t('what it changes on the packet is not known')] });
}

/** NETMAP keeps the host part and swaps the network: destination before routing, source after. */
const NETMAP = make((use) => {
  const to = first(option(use, 'to')!);
  if (!('address' in to)) return lookedUp(use, to.hostname);
  return (ctx) => {
    const manip: Manip = natManip(ctx.hook);
    const a = manip === 'dst' ? ctx.pkt.destination : ctx.pkt.source;
    const mapped = (a & ~to.mask) | to.address;
    const all = ctx.family === 'ipv4' ? 0xffffffffn : (1n << 128n) - 1n;
    const address = mapped & all;
    return nat(ctx, manip, { addressFrom: address, addressTo: address, random: false, persistent: false }, 'NETMAP');
  };
});

/** DNPT/SNPT: stateless prefix translation (RFC 6296); the walk continues. */
function npt(manip: Manip): TargetCompiler {
  return make((use) => {
    const src = first(option(use, 'src-pfx')!);
    const dst = first(option(use, 'dst-pfx')!);
    if (!('address' in src)) return lookedUp(use, src.hostname);
    if (!('address' in dst)) return lookedUp(use, dst.hostname);
    return (ctx) => {
      const p = ctx.pkt;
      const before = manip === 'src' ? p.source : p.destination;
      const after = applyPrefixTranslation(before, src, dst);
      if (after === undefined) return { verdict: 'drop', action: t('{0}: the address cannot be translated', manip === 'src' ? 'SNPT' : 'DNPT'), changed: [] };
      if (manip === 'src') p.source = after;
      else p.destination = after;
            return go(`${manip === 'src' ? 'SNPT' : 'DNPT'}`, after !== before ? [manip === 'src' ? t('source {0} → {1}', showAddress(before, p.family), showAddress(after, p.family)) : t('destination {0} → {1}', showAddress(before, p.family), showAddress(after, p.family))] : []);
    };
  });
}

// ---- marks and header fields ----------------------------------------------------------------

type MarkChange = { value: number; mask: number };

/** MARK and CONNMARK's `--set-*` options as (value, mask): the result is (old & ~mask) ^ value. */
const MARK_CHANGES: { [N in (typeof MARK_SETS)[number]]: (v: FirstValue<N, 'target'>) => MarkChange } = {
  'set-xmark': (m) => ({ value: Number(m.value), mask: Number(m.mask) }),
  'set-mark': (m) => ({ value: Number(m.value), mask: (Number(m.value) | Number(m.mask)) >>> 0 }),
  'and-mark': (v) => ({ value: 0, mask: ~Number(v) >>> 0 }),
  'or-mark': (v) => ({ value: Number(v), mask: Number(v) }),
  'xor-mark': (v) => ({ value: Number(v), mask: 0 }),
};

function markOperation<N extends (typeof MARK_SETS)[number]>(o: OptionUseOf<N, 'target'>): MarkChange {
  return MARK_CHANGES[o.spec.name](first(o));
}

function applyMark(old: number, op: { value: number; mask: number }): number {
  return ((old & ~op.mask) ^ op.value) >>> 0;
}

const MARK_SETS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'] as const;
const MARK_OPERATIONS = [...MARK_SETS, 'save-mark', 'restore-mark'] as const;

const MARK = make((use) => {
  const o = use.options.find((x) => isOption(x, MARK_SETS))!;
  const op = markOperation(o);
  return (ctx) => {
    const before = ctx.pkt.mark;
    ctx.pkt.mark = applyMark(before, op);
    return go(`MARK ${optionText(o)}`, before !== ctx.pkt.mark ? [t('mark {0} → {1}', hex(before), hex(ctx.pkt.mark))] : []);
  };
});

const CONNMARK = make((use) => {
  const o = use.options.find((x) => isOption(x, MARK_OPERATIONS))!;
  const op = isOption(o, MARK_SETS) ? markOperation(o) : undefined;
  const mask = option(use, 'mask');
  const nfmask = mask ? num(mask) : option(use, 'nfmask') ? num(option(use, 'nfmask')!) : 0xffffffff;
  const ctmask = mask ? num(mask) : option(use, 'ctmask') ? num(option(use, 'ctmask')!) : 0xffffffff;
  const left = option(use, 'left-shift-mark');
  const right = option(use, 'right-shift-mark');
  const shift = (v: number) => (right ? v >>> num(right) : left ? v << num(left) : v) >>> 0;
  return (ctx) => {
    const ct = ctx.skb.ct;
    if (ct.kind !== 'tracked') return go(t('CONNMARK {0}: the packet has no connection', optionText(o)));
    const conn = ct.conn;
    const p = ctx.pkt;
    if (o.spec.name === 'restore-mark') {
      const before = p.mark;
      p.mark = ((p.mark & ~nfmask) ^ shift(conn.mark & ctmask)) >>> 0;
      return go('CONNMARK --restore-mark', before !== p.mark ? [t('mark {0} → {1} (from the connection)', hex(before), hex(p.mark))] : []);
    }
    const before = conn.mark;
    conn.mark = op ? applyMark(conn.mark, op) : ((conn.mark & ~ctmask) ^ shift(p.mark & nfmask)) >>> 0;
    return go(`CONNMARK ${optionText(o)}`, before !== conn.mark ? [t('connection mark {0} → {1}', hex(before), hex(conn.mark))] : []);
  };
});

function setTos(ctx: EvalContext, tos: number, what: string): TargetResult {
  const before = ctx.pkt.tos;
  ctx.pkt.tos = tos & 255;
  return go(what, before !== ctx.pkt.tos ? [`TOS ${hex(before)} → ${hex(ctx.pkt.tos)}`] : []);
}

/** TOS's options as (value, mask), as for the marks, on 8 bits. */
const TOS_CHANGES: { [N in (typeof TOS_SETS)[number]]: (v: FirstValue<N, 'target'>) => MarkChange } = {
  'set-tos': (m) => ({ value: Number(m.value), mask: Number(m.mask) }),
  'and-tos': (v) => ({ value: 0, mask: ~Number(v) & 255 }),
  'or-tos': (v) => ({ value: Number(v), mask: Number(v) }),
  'xor-tos': (v) => ({ value: Number(v), mask: 0 }),
};
const TOS_SETS = ['set-tos', 'and-tos', 'or-tos', 'xor-tos'] as const;

function tosOperation<N extends (typeof TOS_SETS)[number]>(o: OptionUseOf<N, 'target'>): MarkChange {
  return TOS_CHANGES[o.spec.name](first(o));
}

const TOS = make((use) => {
  const o = option(use, TOS_SETS)!;
  const { value, mask } = tosOperation(o);
  return (ctx) => setTos(ctx, (ctx.pkt.tos & ~mask) ^ value, `TOS ${optionText(o)}`);
});

/** DSCP rewrites the upper six bits and keeps ECN. */
const DSCP = make((use) => {
  const o = option(use, ['set-dscp', 'set-dscp-class'])!;
  const dscp = num(o);
  return (ctx) => setTos(ctx, (ctx.pkt.tos & 3) | (dscp << 2), `DSCP ${optionText(o)}`);
});

const ECN = make((use) => (ctx) => {
  const p = ctx.pkt;
  const changed: string[] = [];
  for (const o of use.options) {
    if (isOption(o, 'ecn-ip-ect')) {
      const r = setTos(ctx, (p.tos & ~3) | num(o), '');
      changed.push(...r.changed);
    } else if (p.protocol === TCP) {
      const before = p.tcpFlags;
      if (isOption(o, 'ecn-tcp-remove')) p.tcpFlags &= ~(TCP_FLAG_BITS.ECE | TCP_FLAG_BITS.CWR);
      else if (isOption(o, ['ecn-tcp-cwr', 'ecn-tcp-ece'])) {
        const bit = o.spec.name === 'ecn-tcp-cwr' ? TCP_FLAG_BITS.CWR : TCP_FLAG_BITS.ECE;
        p.tcpFlags = num(o) ? p.tcpFlags | bit : p.tcpFlags & ~bit;
      }
      if (before !== p.tcpFlags) changed.push(t('TCP ECE/CWR flags changed'));
    }
  }
  return go(`ECN ${use.options.map(optionText).join(' ')}`, changed);
});

/** TTL and HL: increments stop at 255, decrements at 0. */
const HOPS = make((use) => {
  const o = option(use, ['ttl-set', 'ttl-inc', 'ttl-dec', 'hl-set', 'hl-inc', 'hl-dec'])!;
  const n = num(o);
  const kind = o.spec.name.slice(-3);
  return (ctx) => {
    const before = ctx.pkt.ttl;
    ctx.pkt.ttl = kind === 'set' ? n : kind === 'inc' ? Math.min(255, before + n) : Math.max(0, before - n);
    return go(`${use.name} ${optionText(o)}`, before !== ctx.pkt.ttl ? [`${use.name === 'TTL' ? 'TTL' : t('hop limit')} ${before} → ${ctx.pkt.ttl}`] : []);
  };
});

/**
 * TCPMSS only ever lowers an MSS option; a SYN without one gets it added
 * (capped at the RFC default, 536 for IPv4 and 1220 for IPv6), 4 bytes longer.
 */
const TCPMSS = make((use) => {
  const set = option(use, 'set-mss');
  return (ctx) => {
    const p = ctx.pkt;
    if (isLaterFragment(p)) return go(t('TCPMSS (a fragment: unchanged)'));
    const mtu = ctx.outDev?.loopback ? 65536 : 1500;
    let mss = set ? num(set) : mtu - (p.family === 'ipv4' ? 40 : 60);
    if (p.mss !== null) {
      if (p.mss <= mss) return go(t('TCPMSS: the MSS {0} is already at most {1}', p.mss, mss));
      const before = p.mss;
      p.mss = mss;
      return go(t('TCPMSS to {0}', mss), [`MSS ${before} → ${mss}`]);
    }
    if (p.payload.length > 0) return go(t('TCPMSS: the segment carries data, so no MSS option is added'));
    mss = Math.min(mss, p.family === 'ipv4' ? 536 : 1220);
    p.mss = mss;
    p.length += 4;
    return go(t('TCPMSS adds an MSS option of {0}', mss), [t('MSS option {0} added (length +4)', mss)]);
  };
});

const STRIP_NAMES: Record<string, number> = { mss: 2, wscale: 3, 'sack-permitted': 4, sack: 5, timestamp: 8, md5: 19 };

/** TCPOPTSTRIP overwrites the options with NOPs: the length stays. */
const TCPOPTSTRIP = make((use) => {
  const text = option(use, 'strip-options')?.parsed[0] ?? '';
  const kinds = new Set(text.split(',').filter(Boolean).map((n) => STRIP_NAMES[n] ?? Number(n)));
  return (ctx) => {
    const p = ctx.pkt;
    const changed: string[] = [];
    if (p.mss !== null && kinds.has(2)) {
      changed.push(t('MSS option removed'));
      p.mss = null;
      p.tcpOptions = [1, 1, 1, 1, ...p.tcpOptions];
    }
    const sizes: Record<number, number> = { 3: 3, 4: 2, 5: 10, 8: 10, 19: 18 };
    p.tcpOptions = p.tcpOptions.flatMap((k) => {
      if (!kinds.has(k)) return [k];
      changed.push(t('TCP option {0} removed', k));
      return new Array<number>(sizes[k] ?? 2).fill(1);
    });
    return go(`TCPOPTSTRIP --strip-options ${text}`, changed);
  };
});

const CLASSIFY = make((use) => {
  const cls = first(option(use, 'set-class')!);
  const [major, minor] = cls.split(':').map((x) => parseInt(x, 16));
  return (ctx) => {
    ctx.skb.priority = ((major << 16) | minor) >>> 0;
    return go(t('CLASSIFY into tc class {0}', cls));
  };
}, { inert: true });

const SECMARK = make((use) => {
  const ctx0 = first(option(use, 'selctx')!);
  return (ctx) => {
    ctx.skb.secmark = 1;
    return go(`SECMARK ${ctx0}`, [t('security label {0}', ctx0)]);
  };
});

const CONNSECMARK = make((use) => {
  const save = option(use, 'save') !== undefined;
  return (ctx) => {
    const ct = ctx.skb.ct;
    if (ct.kind !== 'tracked') return go(t('CONNSECMARK: the packet has no connection'));
    if (save && ct.conn.secmark === 0) ct.conn.secmark = ctx.skb.secmark;
    if (!save && ctx.skb.secmark === 0) ctx.skb.secmark = ct.conn.secmark;
    return go(`CONNSECMARK --${save ? 'save' : 'restore'}`);
  };
});

type HmarkNumber = 'hmark-rnd' | 'hmark-mod' | 'hmark-offset' | 'hmark-sport-mask' | 'hmark-dport-mask' | 'hmark-sport' | 'hmark-dport' | 'hmark-proto-mask';

/**
 * HMARK: mark = hash(addresses, ports, protocol) % mod + offset, with the
 * smaller address and port first so both directions get the same mark.
 */
const HMARK = make((use, cc) => {
  const tuple = new Set(option(use, 'hmark-tuple')?.parsed[0]?.map((tgt) => tgt.toLowerCase()) ?? ['src', 'dst', 'sport', 'dport', 'proto']);
  const get = (n: HmarkNumber, d: number): number => (option(use, n) ? num(option(use, n)!) : d);
  const rnd = get('hmark-rnd', 0);
  const mod = get('hmark-mod', 1);
  const offset = get('hmark-offset', 0);
  const all = cc.family === 'ipv4' ? 0xffffffffn : (1n << 128n) - 1n;
  const srcMask = tuple.has('src') ? option(use, 'hmark-src-prefix')?.parsed[0] ?? all : 0n;
  const dstMask = tuple.has('dst') ? option(use, 'hmark-dst-prefix')?.parsed[0] ?? all : 0n;
  const sportMask = tuple.has('sport') ? get('hmark-sport-mask', 0xffff) : 0;
  const dportMask = tuple.has('dport') ? get('hmark-dport-mask', 0xffff) : 0;
  const sportSet = get('hmark-sport', 0);
  const dportSet = get('hmark-dport', 0);
  const protoMask = tuple.has('proto') ? get('hmark-proto-mask', 0xff) : 0;
  const useCt = tuple.has('ct');
  const fold = (a: bigint) => {
    if (cc.family === 'ipv4') return Number(a);
    let h = 0;
    for (let s = 96n; s >= 0n; s -= 32n) h ^= Number((a >> s) & 0xffffffffn);
    return h >>> 0;
  };
  return (ctx) => {
    const p = ctx.pkt;
    let src = p.source;
    let dst = p.destination;
    let sport = p.sourcePort;
    let dport = p.destinationPort;
    const ct = ctx.skb.ct;
    if (useCt) {
      if (ct.kind !== 'tracked') return go(t('HMARK: the packet has no connection'));
      [src, dst, sport, dport] = [ct.conn.orig.src, ct.conn.reply.src, ct.conn.orig.sport, ct.conn.reply.sport];
    }
    let s = fold(src & srcMask) >>> 0;
    let d = fold(dst & dstMask) >>> 0;
    if (d < s) [s, d] = [d, s];
    let ports = 0;
    // hmark_set_tuple_ports: fragments (first ones too) are hashed without ports.
    if (hasPorts(p.protocol) && !p.fragmentOffset && !p.moreFragments) {
      let a = ((sport & sportMask) | sportSet) & 0xffff;
      let b = ((dport & dportMask) | dportSet) & 0xffff;
      if (b > a) [a, b] = [b, a];
      ports = ((a << 16) | b) >>> 0;
    }
    const hash = (jhashWords(s, d, ports, rnd, 3) ^ (p.protocol & protoMask)) >>> 0;
    const before = p.mark;
    p.mark = (reciprocalScale(hash, mod) + offset) >>> 0;
    return go(t('HMARK (hash % {0} + {1})', mod, offset), before !== p.mark ? [t('mark {0} → {1}', hex(before), hex(p.mark))] : []);
  };
});

// ---- connection tracking and logging ------------------------------------------------------------

const CT = make((use) => {
  const notrack = option(use, 'notrack') !== undefined;
  const helper = option(use, 'helper');
  const zone = option(use, 'zone');
  return (ctx) => {
    if (notrack) {
      ctx.skb.ct = { kind: 'untracked' };
      return go(t('CT --notrack: the packet will not be tracked (UNTRACKED)'));
    }
    const z = zone?.parsed[0];
    ctx.skb.ctTemplate = { helper: helper ? String(helper.parsed[0]) : null, zone: typeof z === 'number' ? z : 0 };
    return go(targetText(use).replace(/^-[jg] /, ''));
  };
});

const NOTRACK = make(() => (ctx) => {
  ctx.skb.ct = { kind: 'untracked' };
  return go(t('NOTRACK: the packet will not be tracked (UNTRACKED)'));
});

const TRACE = make(() => (ctx) => {
  ctx.skb.traced = true;
  return go(t('TRACE: every rule the packet meets from here is logged'));
}, { inert: true });

/** Targets that only report the packet somewhere and let it continue. */
function observer(describe: (use: TargetUse) => string): TargetCompiler {
  return make((use) => {
    const text = describe(use);
    return () => go(text);
  }, { inert: true });
}

const SET = make((use) => {
  const o = use.options.find((x) => isOption(x, ['add-set', 'del-set']));
  return (ctx) => {
    if (!o) return go(targetText(use));
    const name = first(o);
    const members = ctx.state.sets.get(name);
    const adding = o.spec.name === 'add-set';
    const dims = second(o).map((d) => d === 'src');
    const p = ctx.pkt;
    if (!members) return go(t('SET: {0} ipset {1} (its members are not given)', adding ? t('adds the packet to') : t('removes the packet from'), name));
    const part = (src: boolean) => {
      const a = src ? p.source : p.destination;
      return { kind: 'address' as const, family: p.family, from: a, to: a };
    };
    const entry = dims.map(part);
    const same = (m: typeof entry) => m.length === entry.length && m.every((x, i) => x.kind === 'address' && x.from === entry[i].from);
    const at = members.findIndex((m) => same(m as typeof entry));
    if (adding && at < 0) members.push(entry);
    if (!adding && at >= 0) members.splice(at, 1);
    return go(t('SET {0} ipset {1}', adding ? t('adds to') : t('removes from'), name), [t('ipset {0} {1} {2}', name, adding ? t('gains') : t('loses'), entry.map((e) => showAddress(e.from, p.family)).join(','))]);
  };
});

const REMOVED = make((use) => () => go(t('{0} no longer exists in current kernels', use.name)));

export const TARGET_EVALUATORS: Readonly<Record<string, TargetCompiler>> = {
  REJECT, NFQUEUE, SYNPROXY, TEE, TPROXY, DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP, DNPT: npt('dst'), SNPT: npt('src'),
  MARK, CONNMARK, TOS, DSCP, TTL: HOPS, HL: HOPS, TCPMSS, TCPOPTSTRIP, ECN, CLASSIFY, SECMARK, CONNSECMARK, HMARK,
  CHECKSUM: observer(() => t('CHECKSUM: fills in the checksum')),
  CT, NOTRACK, TRACE,
  LOG: observer((u) => t('LOG{0} (continues)', option(u, 'log-prefix') ? t(' with prefix {0}', quoteWord(first(option(u, 'log-prefix')!))) : '')),
  NFLOG: observer((u) => t('NFLOG to group {0} (continues)', option(u, 'nflog-group') ? num(option(u, 'nflog-group')!) : 0)),
  ULOG: REMOVED,
  AUDIT: observer((u) => t('AUDIT records {0} (continues)', option(u, 'type')?.parsed[0] ?? '')),
  LED: observer(() => t('LED blinks (continues)')),
  IDLETIMER: observer((u) => t('IDLETIMER restarts timer {0} (continues)', option(u, 'label')?.parsed[0] ?? '')),
  RATEEST: observer((u) => t('RATEEST feeds estimator {0} (continues)', option(u, 'rateest-name')?.parsed[0] ?? '')),
  SET,
  CLUSTERIP: REMOVED,
};

/**
 * A target whose option values only the running script knows: its verdict is
 * that of the target (REJECT drops, NAT accepts...), what it rewrites is unknown.
 */
function scriptedTarget(use: TargetUse): CompiledTarget {
  const verdict: TargetResult['verdict'] = !use.spec?.terminating ? 'continue' : use.name === 'REJECT' || use.name === 'SYNPROXY' ? 'drop' : 'accept';
  const text = targetText(use);
  return { text, run: () => ({ verdict, action: t('{0} with values only the running script knows', use.name), changed: [], notes: [t('what it changes on the packet is not known')] }) };
}

/** The standard QUEUE verdict is NFQUEUE to queue 0. */
export function queueVerdict(ctx: EvalContext): TargetResult | TargetChoice {
  return queue(0, false, ctx);
}

export function compileTarget(use: TargetUse, cc: CompileContext): CompiledTarget {
  const name = use.spec?.name ?? use.name;
  const compiler = TARGET_EVALUATORS[name];
  if (use.options.some((o) => o.values.some((v) => v.unknown !== undefined))) return scriptedTarget(use);
  if (compiler) return compiler(use, cc);
  return {
    text: targetText(use),
    run: () => ({
      choose: uncertain(t('`-j {0}` is not a target the engine knows', use.name)),
      yes: go(t('{0} (taken to continue)', use.name)),
      no: { verdict: 'drop', action: t('{0} (taken to drop)', use.name), changed: [] },
    }),
  };
}
