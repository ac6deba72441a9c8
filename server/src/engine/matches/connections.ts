// Matches on the packet's connection (state, conntrack fields, marks, labels,
// counters, helpers, connection counts) and on what the host associates with
// it: cluster share, IPVS, local sockets, IPsec policy, ipsets.
import type { Cidr } from '../../knowledge/addresses';
import type { FirstValue } from '../../knowledge';
import { lookedUpWhenLoaded, type HostValue, type PortRange, type UintRange } from '../../knowledge/values';
import { isOption, type MatchUse, type OptionUse, type OptionUseOf } from '../../syntax/command';
import { Connection, CtInfo, expiresIn } from '../conntrack';
import { Criterion, EvalContext, Tri, uncertain } from '../context';
import { jhash2, jhashWords, rawWords, reciprocalScale } from '../jhash';
import { hasPorts, Packet } from '../packet';
import type { SetPart } from '../state';
import { CompiledMatch, criterion, first, maskedEquals, num, option, range, second, unless, whole } from './common';
import { t } from '../../l10n';

function conn(ct: CtInfo): Connection | undefined {
  return ct.kind === 'tracked' ? ct.conn : undefined;
}

/**
 * Whether the state and conntrack matches see this state (a reply counts as
 * ESTABLISHED/RELATED). The NAT marks are read only when asked for: the
 * symbolic engine notes such a read (criteria.ts).
 */
function hasState(ctx: EvalContext, wanted: string): boolean {
  const ct = ctx.skb.ct;
  if (ct.kind === 'tracked') return wanted === ct.state || (wanted === 'SNAT' && ct.conn.srcNat) || (wanted === 'DNAT' && ct.conn.dstNat);
  // No connection yet (raw table, or conntrack said INVALID): the match sees INVALID.
  return wanted === (ct.kind === 'untracked' ? 'UNTRACKED' : 'INVALID');
}

function stateCriterion(o: OptionUseOf<'state' | 'ctstate'>): Criterion {
  const wanted = first(o).map((s) => s.toUpperCase());
  return criterion(o, (ctx) => wanted.some((w) => hasState(ctx, w)));
}

/** A test that needs the connection: without one it is false whatever the negation. */
function onConnection(o: OptionUse, test: (c: Connection, ctx: EvalContext) => Tri, withoutConnection = false): Criterion {
  return unless(criterion(o, (ctx) => test(conn(ctx.skb.ct)!, ctx)), (ctx) => (conn(ctx.skb.ct) ? undefined : withoutConnection));
}

function state(use: MatchUse): CompiledMatch {
  return { criteria: [stateCriterion(option(use, 'state')!)] };
}

function cidrHas(c: Cidr, a: bigint): boolean {
  return (a & c.mask) === c.address;
}

const STATUS_BITS: Record<string, keyof Pick<Connection, 'seenReply' | 'assured' | 'confirmed'> | 'expected' | 'none'> = {
  EXPECTED: 'expected', SEEN_REPLY: 'seenReply', ASSURED: 'assured', CONFIRMED: 'confirmed', NONE: 'none',
};

/**
 * conntrack_mt: the state is tested first; a packet without a connection
 * (untracked or invalid) then matches if --ctstate was given and passed, and
 * fails every other option.
 */
function conntrack(use: MatchUse): CompiledMatch {
  const hasState = option(use, 'ctstate') !== undefined;
  const criteria: Criterion[] = [];
  const st = option(use, 'ctstate');
  if (st) criteria.push(stateCriterion(st));
  for (const name of CT_ORDER) {
    const o = option(use, name);
    if (o) criteria.push(onConnection(o, ctTest(name, o), hasState));
  }
  return { criteria };
}

/** conntrack's options after --ctstate, in the order conntrack_mt tests them. */
const CT_ORDER = [
  'ctdir', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst', 'ctproto', 'ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctstatus', 'ctexpire',
] as const;
type CtOption = (typeof CT_ORDER)[number];
type ConnectionTest = (c: Connection, ctx: EvalContext) => Tri;

/** A conntrack address option: a host name is looked up when the rules load, as for -s and -d. */
function addressTest(net: HostValue, address: (c: Connection) => bigint): ConnectionTest {
  if (!('address' in net)) return () => uncertain(lookedUpWhenLoaded(net.hostname));
  return (c) => cidrHas(net, address(c));
}

/** Each option's test, given its value. */
const CT_TESTS: { [N in CtOption]: (v: FirstValue<N, 'match'>) => ConnectionTest } = {
  ctdir: (v) => (_c, ctx) => (ctx.skb.ct as { dir: string }).dir === v.toLowerCase(),
  ctorigsrc: (v) => addressTest(v, (c) => c.orig.src),
  ctorigdst: (v) => addressTest(v, (c) => c.orig.dst),
  ctreplsrc: (v) => addressTest(v, (c) => c.reply.src),
  ctrepldst: (v) => addressTest(v, (c) => c.reply.dst),
  ctproto: (v) => (c) => c.orig.protocol === v,
  ctorigsrcport: (v) => (c) => inRange(c.orig.sport, v),
  ctorigdstport: (v) => (c) => inRange(c.orig.dport, v),
  ctreplsrcport: (v) => (c) => inRange(c.reply.sport, v),
  ctrepldstport: (v) => (c) => inRange(c.reply.dport, v),
  ctstatus: (v) => {
    const names = v.map((s) => STATUS_BITS[s.toUpperCase()]);
    return (c) => names.some((n) => (n === 'expected' ? c.master !== null : n === 'none' ? false : c[n]));
  },
  ctexpire: (v) => (c, ctx) => expiry(c, ctx, v),
};

function ctTest<N extends CtOption>(name: N, o: OptionUseOf<N, 'match'>): ConnectionTest {
  return CT_TESTS[name](first(o));
}

function inRange(n: number, { from, to }: PortRange): boolean {
  return n >= from && n <= to;
}

/** A connection refreshed by this very packet has its full timeout, or a jiffy less. */
function expiry(c: Connection, ctx: EvalContext, r: UintRange): Tri {
  const left = expiresIn(c, ctx.state.now);
  const a = left >= r.from && left <= r.to;
  if (!c.confirmed || c.lastSeen !== ctx.state.now) return a;
  const b = left - 1 >= r.from && left - 1 <= r.to;
  return a === b ? a : uncertain(t('the entry has {0} or {1} seconds left, depending on the clock tick', left - 1, left));
}

function connmark(use: MatchUse): CompiledMatch {
  const o = option(use, 'mark')!;
  const equals = maskedEquals(o);
  return { criteria: [onConnection(o, (c) => equals(c.mark))] };
}

/** Groups for connlimit: the address (source unless --connlimit-daddr) under the mask. */
function connlimit(use: MatchUse, cc: { family: string; ruleId: string }): CompiledMatch {
  const limitOpt = option(use, 'connlimit-upto') ?? option(use, 'connlimit-above')!;
  const limit = num(limitOpt);
  const above = limitOpt.spec.name === 'connlimit-above';
  const maskOpt = option(use, 'connlimit-mask');
  const mask = maskOpt ? first(maskOpt) : cc.family === 'ipv4' ? 0xffffffffn : (1n << 128n) - 1n;
  const byDst = option(use, 'connlimit-daddr') !== undefined;
  const test = (ctx: EvalContext): Tri => {
    if (!ctx.state.fresh) return uncertain(t('how many connections this client already has is not known (state.fresh)'));
    const p = ctx.pkt;
    const group = `${(byDst ? p.destination : p.source) & mask}`;
    let groups = ctx.state.connlimit.get(ctx.ruleId);
    if (!groups) ctx.state.connlimit.set(ctx.ruleId, (groups = new Map()));
    let ids = groups.get(group);
    if (!ids) groups.set(group, (ids = new Set()));
    const c = conn(ctx.skb.ct);
    const id = c ? c.id : -1;
    // Connections that never got confirmed (their first packet was dropped) are gone.
    const live = ctx.state.conntrack.connections().filter((x) => ids!.has(x.id)).map((x) => x.id);
    const count = new Set([...live, id]).size;
    if (c) ids.add(c.id);
    return above ? count > limit : count <= limit;
  };
  return { criteria: [criterion(limitOpt, test, true)] };
}

function connbytes(use: MatchUse): CompiledMatch {
  const o = option(use, 'connbytes')!;
  const text = o.values[0].text;
  const r = range(o);
  // A single number has no upper bound; `!` swaps the bounds, which turns the test around.
  let from = r.from;
  let to = text.includes(':') ? r.to : Number.MAX_SAFE_INTEGER;
  if (o.negated) [from, to] = [to, from];
  const dir = option(use, 'connbytes-dir')?.parsed[0] ?? 'original';
  const mode = option(use, 'connbytes-mode')?.parsed[0] ?? 'packets';
  const c: Criterion = {
    text: `-m connbytes ${o.negated ? '! ' : ''}--connbytes ${text} --connbytes-dir ${dir} --connbytes-mode ${mode}`,
    test: (ctx) => {
      const cn = conn(ctx.skb.ct);
      if (!cn) return false;
      const pick = (i: 0 | 1) => (mode === 'bytes' ? cn.bytes[i] : cn.packets[i]);
      let what: number;
      if (mode === 'avgpkt') {
        const idx = dir === 'original' ? [0] : dir === 'reply' ? [1] : [0, 1];
        const pk = idx.reduce((n, i) => n + cn.packets[i], 0);
        what = pk === 0 ? 0 : Math.floor(idx.reduce((n, i) => n + cn.bytes[i], 0) / pk);
      } else what = dir === 'original' ? pick(0) : dir === 'reply' ? pick(1) : pick(0) + pick(1);
      return to >= from ? what >= from && what <= to : what < to || what > from;
    },
  };
  return { criteria: [c] };
}

function connlabel(use: MatchUse): CompiledMatch {
  const o = option(use, 'label')!;
  const set = option(use, 'set') !== undefined;
  const text = first(o);
  if (!/^\d+$/.test(text) || Number(text) > 127) {
    return { criteria: [criterion(o, () => uncertain(t('label `{0}` is a name from /etc/xtables/connlabel.conf on the machine', text)))] };
  }
  const bit = 1n << BigInt(text);
  const c = criterion(o, (ctx) => {
    const cn = conn(ctx.skb.ct)!;
    if (cn.labels & bit) return true;
    if (!set) return false;
    cn.labels |= bit;
    ctx.notes.push(t('connection label {0} set', text));
    return true;
  }, set);
  // Without a connection connlabel_mt returns the inversion.
  return { criteria: [unless(c, (ctx) => (conn(ctx.skb.ct) ? undefined : o.negated))] };
}

/** Only a connection a helper expected (ftp data...) has a master whose helper can match. */
function helper(use: MatchUse): CompiledMatch {
  const o = option(use, 'helper')!;
  const name = first(o);
  const c = criterion(o, (ctx) => {
    const master = conn(ctx.skb.ct)!.master!;
    if (master.helper === undefined) return uncertain(t('the scenario declares the packet RELATED without saying which helper expected it'));
    return name === '' ? master.helper !== null : master.helper === name;
  });
  return { criteria: [unless(c, (ctx) => (conn(ctx.skb.ct)?.master ? undefined : o.negated))] };
}

/** xt_cluster: the original source address hashed onto the nodes. */
function cluster(use: MatchUse, cc: { family: string }): CompiledMatch {
  const total = num(option(use, 'cluster-total-nodes')!);
  const seed = num(option(use, 'cluster-hash-seed')!);
  const nodeOpt = option(use, 'cluster-local-node');
  const maskOpt = option(use, 'cluster-local-nodemask');
  const nodeMask = nodeOpt ? 1 << (num(nodeOpt) - 1) : num(maskOpt!);
  const negated = (nodeOpt ?? maskOpt)!.negated;
  return {
    criteria: [whole(use, (ctx) => {
      const cn = conn(ctx.skb.ct);
      if (!cn) return false;
      const src = (cn.master ?? cn).orig.src;
      const hash = cc.family === 'ipv4' ? jhashWords(rawWords(src, 32)[0], 0, 0, seed, 1) : jhash2(rawWords(src, 128), seed);
      const node = reciprocalScale(hash, total);
      return (((1 << node) & nodeMask) !== 0) !== negated;
    })],
  };
}

/** The simulated host runs no IPVS: no packet belongs to an IPVS connection. */
function ipvs(use: MatchUse): CompiledMatch {
  const only = use.options.length === 1 && isOption(use.options[0], 'ipvs');
  return { criteria: [whole(use, () => (only ? use.options[0].negated : false))] };
}

/**
 * socket_match: a local socket for the packet's destination port; one bound to
 * the wildcard address counts only with --nowildcard, a non-transparent one
 * not with --transparent.
 */
function socket(use: MatchUse): CompiledMatch {
  const nowildcard = option(use, 'nowildcard') !== undefined;
  const transparent = option(use, 'transparent') !== undefined;
  return {
    criteria: [whole(use, (ctx) => {
      const sockets = ctx.host.sockets;
      if (!sockets) return uncertain(t('the host\'s sockets are not described (host.sockets)'));
      const p = ctx.pkt;
      const s = sockets.find((k) => k.family === p.family && k.protocol === p.protocol && k.port === p.destinationPort && (k.address === null || k.address === p.destination));
      if (!s || (s.address === null && !nowildcard) || (transparent && !s.transparent)) return false;
      return true;
    })],
  };
}

/** No IPsec on the simulated host: only `--pol none` matches. */
function policy(use: MatchUse): CompiledMatch {
  const none = (option(use, 'pol')?.parsed[0] ?? 'ipsec') === 'none';
  return { criteria: [whole(use, () => none)] };
}

function partMatches(part: SetPart, p: Packet, src: boolean, inName: string | null, outName: string | null): boolean {
  switch (part.kind) {
    case 'address': {
      const a = src ? p.source : p.destination;
      return part.family === p.family && a >= part.from && a <= part.to;
    }
    case 'port': {
      if (!hasPorts(p.protocol) || (part.protocol !== null && part.protocol !== p.protocol)) return false;
      const port = src ? p.sourcePort : p.destinationPort;
      return port >= part.from && port <= part.to;
    }
    case 'interface':
      return (src ? inName : outName) === part.name;
  }
}

function set(use: MatchUse): CompiledMatch {
  const o = option(use, 'match-set')!;
  const name = first(o);
  const dirs = second(o).map((d) => d === 'src');
  const counters = use.options.some((x) => /^(packets|bytes)-/.test(x.spec.name));
  const test = (ctx: EvalContext): Tri => {
    const members = ctx.state.sets.get(name);
    if (!members) return uncertain(t('the members of ipset `{0}` are not given (state.sets)', name));
    if (counters) return uncertain(t('the packet and byte counters of ipset entries are not modelled'));
    const p = ctx.pkt;
    return members.some((m) => m.every((part, i) => i >= dirs.length || partMatches(part, p, dirs[i], ctx.inDev?.name ?? null, ctx.outDev?.name ?? null)));
  };
  return { criteria: [criterion(o, test)] };
}

export const CONNECTION_EVALUATORS = {
  state, conntrack, connmark, connlimit, connbytes, connlabel, helper, cluster, ipvs, socket, policy, set,
  nfacct: (use: MatchUse): CompiledMatch => ({ criteria: [whole(use, () => true)] }),
};

