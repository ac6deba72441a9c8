// The traversal of traverse.ts over sets of packets: the same way through the
// host (receive: PREROUTING, routing, INPUT or FORWARD and POSTROUTING; send:
// routing, OUTPUT, POSTROUTING, and back in over lo), the same stages per hook
// (compile.ts's stages: tables by priority, conntrack), the same chain walk
// with jumps, gotos, RETURN and policies. Where the concrete engine decides
// for one packet, the set splits: by rule criteria (criteria.ts), by routing
// and martian checks (at the host's address regions), by conntrack's answer,
// by what a target does. Every split part goes on alone.
import { changesConnection, natManip, type Hook } from '../../knowledge';
import { t } from '../../l10n';
import type { Ruleset } from '../../model/ruleset';
import type { CompiledChain, CompiledRule, CompiledRuleset, CompiledTable } from '../compile';
import { joinCubes } from './join';
import { mergeWays } from './merge';
import { conntrackIn, ConnectionTable, ctStateName, type CtInfo, declaredConnection, invertTuple } from '../conntrack';
import { openerOf, reversed } from '..';
import type { Uncertain } from '../context';
import { type Host, Interface, InputRoute, isMulticast, joinedGroup, OutputRoute, routeInput, routeOutput } from '../host';
import { deliverChecks, forwardChecks, receiveChecks, StackDrop, StackStop } from '../ipv6Stack';
import { hasPorts, Packet, parsePacket, TCP, TCP_FLAG_BITS } from '../packet';
import { showAddress } from '../json';
import { queueVerdict, TargetChoice, TargetResult } from '../targets';
import type { Fate } from '../traverse';
import { evaluate, Reads } from './concrete';
import { basePackets, Bases, evalContext, Place, SymbolicCriterion, symbolicRule, SymbolicRule } from './criteria';
import { IntervalSet } from './intervals';
import { natPlans, type FieldPlan } from './nat';
import { cloneSkb, currentSet, narrowed, newSkb, type Opener, Piece, representative, sameView, Setting, SkbState, SymbolicAssumption, View, withDimSet } from './piece';
import { CT_ESTABLISHED, CT_FIRST, CT_RELATED, CT_REPLY, type Cube, Dim, examplePoint, interfaceAt, interfaceIndex, MAC_NONE, pointJson, wholeSpace } from './space';

export interface Leaf {
  piece: Piece;
  fate: Fate | 'unknown';
  /** Why the analysis cannot say what becomes of these packets. */
  unknown?: string;
  /** The hooks the packets met, in order. */
  hooks: Hook[];
  /** The IPv6 stack, not a rule, stopped them (see traverse.ts). */
  stop?: StackStop;
  inInterface: string | null;
  outInterface: string | null;
  dropReason?: string;
  rejectWith?: string;
  sendError?: string;
}

type Verdict = { verdict: 'accept' } | { verdict: 'drop'; reason: string; rejectWith?: string } | { verdict: 'unknown'; reason: string };

/** A piece at the end of a table: accepted, dropped, or beyond what the analysis follows. */
interface Decided {
  piece: Piece;
  verdict: Verdict;
}

/** Each compiled rule's criteria over sets, for the host they were made for. */
const SYMBOLIC_RULES = new WeakMap<CompiledRule, { host: Host; family: Setting['family']; sym: SymbolicRule }>();

/** Chains calling chains deeper than this are a loop (the kernel refuses those when the rules load). */
const MAX_DEPTH = 200;

const FIELD_OF: Readonly<Record<string, Dim>> = {
  source: 'src', destination: 'dst', sourcePort: 'sport', destinationPort: 'dport', tcpFlags: 'flags', mark: 'mark',
};

export class SymbolicWalk {
  private readonly rules = new Map<string, SymbolicRule>();
  private readonly bases: Bases;
  /**
   * `coarse`: pieces that reach the same place in the same state are joined
   * even when their ways there differ (their counters are not kept, and an
   * answer the analysis cannot split by is said of the chain, not the rule):
   * for questions about fates only, such as the service matrix.
   */
  constructor(private readonly rs: CompiledRuleset, private readonly ruleset: Ruleset, private readonly s: Setting, private readonly conntrack: boolean, private readonly coarse = false) {
    this.bases = basePackets(s);
  }

  /** Every way the packets of the piece can take, with what becomes of them. */
  run(piece: Piece): Leaf[] {
    const leaves: Leaf[] = [];
    for (const [lo, hi] of currentSet(piece, 'in').ranges()) {
      for (let i = lo; i <= hi; i++) {
        const p = piece.cube.in.isSingleton ? piece : withDimSet(piece, 'in', IntervalSet.of(i));
        const name = interfaceAt(this.s.host, i);
        leaves.push(...(name === null ? this.send(p) : this.receive(p, this.s.host.interfaces.get(name)!, [])));
      }
    }
    return leaves;
  }

  /**
   * The packets of established connections from the opener's side, split by
   * what their connection's first packet (the same packets as a SYN, walked
   * first) met, as the trace builds such a connection: that decides how
   * conntrack sees them, their connection's counters and the NAT they get.
   * Not where a rule changes connections otherwise than by NAT (a mark, a
   * zone...): those packets are unknown.
   */
  withOpeners(piece: Piece): Piece[] {
    const c = piece.cube;
    if (!this.conntrack || !c.ct.contains(CT_ESTABLISHED) || (this.changes.first && !this.changes.natOnly)) return [piece];
    const tcp = c.proto.contains(BigInt(TCP));
    if (tcp && !c.proto.isSingleton) return [piece];
    const rest = c.ct.subtract(IntervalSet.of(CT_ESTABLISHED));
    const out = rest.isEmpty ? [] : [withDimSet(piece, 'ct', rest)];
    const openers: Cube = { ...c, ct: IntervalSet.of(CT_FIRST), flags: tcp ? IntervalSet.of(BigInt(TCP_FLAG_BITS.SYN)) : c.flags };
    for (const leaf of this.run({ cube: openers, views: {}, patch: {}, skb: newSkb(), hits: [], maybeHits: [], assumptions: [] })) {
      const cube: Cube = { ...leaf.piece.cube, ct: IntervalSet.of(CT_ESTABLISHED), flags: c.flags };
      out.push({ ...narrowed(piece, cube), opener: openerWay(leaf) });
    }
    return out;
  }

  // ---- the ways through the host --------------------------------------------------------------------

  private receive(piece: Piece, inDev: Interface, before: Hook[]): Leaf[] {
    const leaves: Leaf[] = [];
    const v6 = this.s.family === 'ipv6';
    const stopped = (p: Piece, hooks: Hook[], d: StackDrop, outInterface: string | null = null): Leaf => ({
      piece: p, fate: 'dropped', hooks, inInterface: inDev.name, outInterface, dropReason: d.reason, stop: d.stop, ...(d.icmp ? { rejectWith: d.icmp } : {}),
    });
    // The IPv6 stack's checks before the hooks (addresses; no extension header in the space analysed).
    const early = v6 ? this.byAddresses(piece, ['src', 'dst'], `early ${inDev.name}`, (src, dst) => receiveChecks({ ...representative(piece, this.s), source: src, destination: dst }, inDev)) : [{ piece, value: undefined }];
    for (const { piece: p, value: drop } of early) {
      if (drop) {
        leaves.push(stopped(p, before, drop));
        continue;
      }
      const pre = this.hook([p], 'PREROUTING', null, null);
      const hooks = [...before, 'PREROUTING' as Hook];
      leaves.push(...pre.decided.map((d) => this.leaf(d, hooks, inDev.name, null)));
      for (const q of pre.passed) {
        for (const { piece: r, value: route } of this.byAddresses(q, ['src', 'dst'], `input ${inDev.name}`, (src, dst) => routeInput(this.s.host, this.s.family, src, dst, inDev), inDev)) {
          leaves.push(...this.afterInputRoute(r, route, inDev, hooks, stopped));
        }
      }
    }
    return leaves;
  }

  private afterInputRoute(p: Piece, route: InputRoute, inDev: Interface, hooks: Hook[], stopped: (p: Piece, hooks: Hook[], d: StackDrop, out?: string | null) => Leaf): Leaf[] {
    const v6 = this.s.family === 'ipv6';
    if (route.kind === 'drop') return [{ piece: p, fate: 'dropped', hooks, inInterface: inDev.name, outInterface: null, dropReason: t('routing: {0}', route.reason), ...(route.icmp ? { rejectWith: route.icmp } : {}) }];
    if (route.kind === 'local') {
      const input = this.hook([p], 'INPUT', null, null);
      const h = [...hooks, 'INPUT' as Hook];
      return [...input.decided.map((d) => this.leaf(d, h, inDev.name, null)), ...input.passed.map((q) => {
        const late = v6 ? deliverChecks(representative(q, this.s)) : undefined;
        return late ? stopped(q, h, late) : { piece: q, fate: 'delivered' as Fate, hooks: h, inInterface: inDev.name, outInterface: null };
      })];
    }
    const outDev = this.s.host.interfaces.get(route.dev)!;
    const ttl = representative(p, this.s).ttl;
    if (ttl <= 1) {
      if (v6) return [stopped(p, hooks, { stop: 'not-forwarded', reason: t('time exceeded: hop limit {0} would reach 0', ttl), icmp: 'icmp6-time-exceeded' })];
      return [{ piece: p, fate: 'dropped', hooks, inInterface: inDev.name, outInterface: null, dropReason: t('{0} {1} would reach 0: answered with time exceeded before FORWARD', 'TTL', ttl), rejectWith: 'icmp-time-exceeded' }];
    }
    const leaves: Leaf[] = [];
    const scoped = v6 ? this.byAddresses(p, ['src'], `forward ${inDev.name}>${outDev.name}`, (src) => forwardChecks({ ...representative(p, this.s), source: src }, inDev, outDev)) : [{ piece: p, value: undefined }];
    for (const { piece: q, value: drop } of scoped) {
      if (drop) {
        leaves.push(stopped(q, hooks, drop));
        continue;
      }
      const forwarded = { ...q, patch: { ...q.patch, ttl: ttl - 1 } };
      const fwd = this.hook([forwarded], 'FORWARD', outDev, route.nextHop);
      const h = [...hooks, 'FORWARD' as Hook];
      leaves.push(...fwd.decided.map((d) => this.leaf(d, h, inDev.name, outDev.name)));
      const post = this.hook(fwd.passed, 'POSTROUTING', outDev, route.nextHop);
      const h2 = [...h, 'POSTROUTING' as Hook];
      leaves.push(...post.decided.map((d) => this.leaf(d, h2, inDev.name, outDev.name)));
      leaves.push(...post.passed.map((x) => ({ piece: x, fate: 'forwarded' as Fate, hooks: h2, inInterface: inDev.name, outInterface: outDev.name })));
    }
    return leaves;
  }

  private send(piece: Piece): Leaf[] {
    const leaves: Leaf[] = [];
    const lo = this.s.host.interfaces.get('lo')!;
    const routeOf = (p: Piece) => this.byAddresses(p, ['dst'], 'output', (_src, dst) => routeOutput(this.s.host, this.s.family, dst, null));
    for (const { piece: p, value: first } of routeOf(piece)) {
      if (first.kind === 'drop') {
        leaves.push({ piece: p, fate: 'dropped', hooks: [], inInterface: null, outInterface: null, dropReason: t('routing: {0}', first.reason), sendError: first.errno });
        continue;
      }
      const firstDev = first.kind === 'local' ? lo : this.s.host.interfaces.get(first.dev)!;
      const out = this.hook([p], 'OUTPUT', firstDev, first.kind === 'out' ? first.nextHop : null);
      leaves.push(...out.decided.map((d) => this.leaf(d, ['OUTPUT'], null, firstDev.name, 'EPERM')));
      for (const q of out.passed) {
        // nat OUTPUT's DNAT or a new mark sends the packet where the new route says.
        const rerouted = !sameView(q.views.dst, p.views.dst) || !sameView(q.views.mark, p.views.mark);
        const routes: { piece: Piece; value: OutputRoute }[] = rerouted ? routeOf(q) : [{ piece: q, value: first }];
        for (const { piece: r, value: route } of routes) {
          if (route.kind === 'drop') {
            leaves.push({ piece: r, fate: 'dropped', hooks: ['OUTPUT'], inInterface: null, outInterface: null, dropReason: t('rerouting after OUTPUT: {0}', route.reason), sendError: route.errno });
            continue;
          }
          const dev = route.kind === 'local' ? lo : this.s.host.interfaces.get(route.dev)!;
          const post = this.hook([r], 'POSTROUTING', dev, route.kind === 'out' ? route.nextHop : null);
          leaves.push(...post.decided.map((d) => this.leaf(d, ['OUTPUT', 'POSTROUTING'], null, dev.name, 'EPERM')));
          if (route.kind === 'out') {
            for (const x of post.passed) leaves.push(...this.sentOut(x, dev));
            continue;
          }
          // Local to local: out through lo and back in.
          for (const x of post.passed) {
            const looped = { ...x, views: { ...x.views, in: { kind: 'const', value: interfaceIndex(this.s.host, 'lo') } as View } };
            leaves.push(...this.receive(looped, lo, ['OUTPUT', 'POSTROUTING']));
          }
        }
      }
    }
    return leaves;
  }

  /**
   * Sent out `dev`; an IPv6 packet to a group `dev` has joined also loops back
   * (traverse.ts loopedCopy): when the copy is delivered that is the answer,
   * else the packet was sent (the copy's counters moved all the same).
   */
  private sentOut(x: Piece, dev: Interface): Leaf[] {
    const hooks: Hook[] = ['OUTPUT', 'POSTROUTING'];
    const sent = (p: Piece): Leaf => ({ piece: p, fate: 'sent', hooks, inInterface: null, outInterface: dev.name });
    if (this.s.family !== 'ipv6') return [sent(x)];
    const leaves: Leaf[] = [];
    for (const { piece: p, value: joined } of this.byAddresses(x, ['dst'], `joined ${dev.name}`, (_src, dst) => isMulticast('ipv6', dst) && joinedGroup(this.s.host, dev, dst))) {
      if (!joined) {
        leaves.push(sent(p));
        continue;
      }
      const post = this.hook([p], 'POSTROUTING', dev, null);
      leaves.push(...post.decided.map((d) => sent(d.piece)));
      for (const passed of post.passed) {
        // The copy comes in on `dev`: `-i` and the rest see that interface.
        const copy = { ...passed, views: { ...passed.views, in: { kind: 'const', value: interfaceIndex(this.s.host, dev.name) } as View } };
        for (const l of this.receive(copy, dev, [...hooks, 'POSTROUTING'])) leaves.push(l.fate === 'delivered' ? l : sent({ ...l.piece, views: passed.views }));
      }
    }
    return leaves;
  }

  private leaf(d: Decided, hooks: Hook[], inInterface: string | null, outInterface: string | null, sendError?: string): Leaf {
    const v = d.verdict;
    if (v.verdict === 'unknown') return { piece: d.piece, fate: 'unknown', unknown: v.reason, hooks, inInterface, outInterface };
    if (v.verdict === 'accept') throw new Error('an accepted piece is not a leaf');
    return { piece: d.piece, fate: 'dropped', hooks, inInterface, outInterface, dropReason: v.reason, ...(v.rejectWith ? { rejectWith: v.rejectWith } : {}), ...(sendError ? { sendError } : {}) };
  }

  /**
   * Splits a piece where a question about its addresses (routing, a martian
   * check) may get another answer: at the host's address regions. Each part
   * gets the answer for one of its members.
   */
  private byAddresses<T>(piece: Piece, dims: ('src' | 'dst')[], question: string, ask: (src: bigint, dst: bigint) => T, about?: Interface): { piece: Piece; value: T }[] {
    const src = dims.includes('src') && !piece.views.src ? piece.cube.src : undefined;
    const dst = dims.includes('dst') && !piece.views.dst ? piece.cube.dst : undefined;
    const values = `|${src ? '' : currentSet(piece, 'src').min}|${dst ? '' : currentSet(piece, 'dst').min}`;
    const fixed = question + values;
    // Many pieces share their address sets: the split of a pair of sets is kept.
    let bySrc = this.addressSplits.get(src ?? NO_SET);
    if (!bySrc) this.addressSplits.set(src ?? NO_SET, (bySrc = new WeakMap()));
    let byQuestion = bySrc.get(dst ?? NO_SET);
    if (!byQuestion) bySrc.set(dst ?? NO_SET, (byQuestion = new Map()));
    let split = byQuestion.get(fixed) as AddressSplit<T>[] | undefined;
    if (!split) {
      // Interfaces the host knows nothing of but their names get the same answers, but for the name.
      const bare = about && this.bare(about);
      const alike = bare ? { question: `${question.replace(about.name, bare)}${values}`, name: about.name } : { question: fixed };
      byQuestion.set(fixed, (split = this.splitAddresses(piece, src, dst, ask, alike)));
    }
    if (split.length === 1) return [{ piece, value: split[0].value }];
    return split.map((x) => {
      let cube = piece.cube;
      if (x.src) cube = { ...cube, src: x.src };
      if (x.dst) cube = { ...cube, dst: x.dst };
      return { piece: narrowed(piece, cube), value: x.value };
    });
  }

  private readonly addressSplits = new WeakMap<IntervalSet, WeakMap<IntervalSet, Map<string, unknown>>>();

  /**
   * The address sets cut where the answer may change (regions), parts with the
   * same answer joined. Each answer is the same for every address of a region,
   * so which answers are alike is kept per pair of regions for the whole walk
   * (and for `alike.question`, which interfaces without addresses share, with
   * their `name` left out of the words); a part's answer itself is asked for
   * its first addresses, which a reason names.
   */
  private splitAddresses<T>(piece: Piece, src: IntervalSet | undefined, dst: IntervalSet | undefined, ask: (src: bigint, dst: bigint) => T, alike: { question: string; name?: string }): AddressSplit<T>[] {
    const parts = (set: IntervalSet | undefined, d: 'src' | 'dst') => (set
      ? this.s.regions.split(set).map((r) => ({ set: r.part as IntervalSet | undefined, value: r.part.min, region: r.region }))
      : [{ set: undefined, value: currentSet(piece, d).min, region: 0 }]);
    const srcParts = parts(src, 'src');
    const dstParts = parts(dst, 'dst');
    let answers = this.regionAnswers.get(alike.question);
    if (!answers) this.regionAnswers.set(alike.question, (answers = new Map()));
    const regionCount = this.s.regions.count;
    const idOf = (sp: (typeof srcParts)[number], dp: (typeof dstParts)[number]) => {
      const k = sp.region * regionCount + dp.region;
      let id = answers.get(k);
      if (id === undefined) {
        const key = answerKey(ask(sp.value, dp.value), alike.name);
        id = this.answerIds.get(key);
        if (id === undefined) this.answerIds.set(key, (id = this.answerIds.size));
        answers.set(k, id);
      }
      return id;
    };
    // Source parts with the same answers for every destination part go together, then destinations with the same answer.
    const rows = new Map<string, { sets: IntervalSet[]; first: bigint; ids: number[] }>();
    for (const sp of srcParts) {
      const ids = dstParts.map((dp) => idOf(sp, dp));
      const row = ids.join(',');
      const r = rows.get(row);
      if (r) r.sets.push(sp.set ?? IntervalSet.EMPTY);
      else rows.set(row, { sets: [sp.set ?? IntervalSet.EMPTY], first: sp.value, ids });
    }
    const out: AddressSplit<T>[] = [];
    for (const { sets, first, ids } of rows.values()) {
      const srcSet = src ? IntervalSet.fromRanges(sets.flatMap((x) => [...x.ranges()])) : undefined;
      const byAnswer = new Map<number, { first: bigint; sets: IntervalSet[] }>();
      ids.forEach((id, i) => {
        const g = byAnswer.get(id);
        if (g) g.sets.push(dstParts[i].set ?? IntervalSet.EMPTY);
        else byAnswer.set(id, { first: dstParts[i].value, sets: [dstParts[i].set ?? IntervalSet.EMPTY] });
      });
      for (const { first: firstDst, sets: dsets } of byAnswer.values()) {
        out.push({ src: srcSet, dst: dst ? IntervalSet.fromRanges(dsets.flatMap((x) => [...x.ranges()])) : undefined, value: ask(first, firstDst) });
      }
    }
    return out;
  }

  /** Which answers to a question about addresses are alike: an answer's number by question and pair of regions (see splitAddresses). */
  private readonly regionAnswers = new Map<string, Map<number, number>>();
  private readonly answerIds = new Map<string, number>();

  /**
   * An interface the host knows only by its name (one the rules name, see
   * hostForRules): no address, no route through it, not loopback. Routing
   * treats all such interfaces with the same settings alike: the settings, or
   * undefined for any other interface.
   */
  private bare(itf: Interface): string | undefined {
    if (!this.bareInterfaces.has(itf.name)) {
      const bare = !itf.loopback && itf.addresses.length === 0 && !this.s.host.routes.some((r) => r.dev === itf.name);
      this.bareInterfaces.set(itf.name, bare ? `· rp_filter=${itf.rpFilter} route_localnet=${itf.routeLocalnet}` : undefined);
    }
    return this.bareInterfaces.get(itf.name);
  }

  private readonly bareInterfaces = new Map<string, string | undefined>();

  // ---- hooks and stages ---------------------------------------------------------------------------------

  private hook(pieces: Piece[], hook: Hook, outDev: Interface | null, nextHop: bigint | null): { passed: Piece[]; decided: Decided[] } {
    let passed = pieces;
    const decided: Decided[] = [];
    for (const stage of this.rs.stages(hook, this.conntrack)) {
      if (stage.kind === 'conntrack') {
        const next: Piece[] = [];
        for (const p of passed) {
          for (const r of this.conntrackStage(p, hook === 'PREROUTING')) {
            if (r.unknown) decided.push({ piece: r.piece, verdict: { verdict: 'unknown', reason: r.unknown } });
            else next.push(r.piece);
          }
        }
        passed = next;
        continue;
      }
      const next: Piece[] = [];
      for (const p of passed) {
        const results = stage.table.name === 'nat' ? this.natStage(p, stage.table, hook, outDev, nextHop) : this.walk(p, stage.table, hook, outDev, nextHop);
        for (const r of results) {
          if (r.verdict.verdict === 'accept') next.push(r.piece);
          else decided.push(r);
        }
      }
      passed = next;
    }
    return { passed, decided };
  }

  /** nf_conntrack_in, by where the packets stand in a connection (the `ct` dimension). */
  private conntrackStage(piece: Piece, incoming: boolean): { piece: Piece; unknown?: string }[] {
    const ct = piece.skb.ct;
    if (ct.kind === 'tracked' || ct.kind === 'untracked') return [{ piece }];
    const states = piece.cube.ct;
    if (states.isSingleton && states.min === CT_FIRST) return this.firstPackets(piece, incoming).map((p) => ({ piece: p }));
    const out: { piece: Piece; unknown?: string }[] = [];
    for (const [lo, hi] of states.ranges()) {
      for (let v = lo; v <= hi; v++) {
        const p = states.isSingleton ? piece : withDimSet(piece, 'ct', IntervalSet.of(v));
        if (v === CT_FIRST) out.push(...this.firstPackets(p, incoming).map((x) => ({ piece: x })));
        else if (v === CT_RELATED) {
          // A related connection's first packet meets nat as a new one would: what NAT does to it is not followed (as for established ones).
          if (this.changes.first) {
            out.push({ piece: p, unknown: t('a related connection\'s packets meet what `{0}` did to its connection, which the analysis does not follow', this.changes.first) });
            continue;
          }
          const rep = representative(p, this.s);
          out.push({ piece: this.withCt(p, { kind: 'tracked', conn: declaredConnection(new ConnectionTable(), rep, 'original', 0, true), dir: 'original', state: 'RELATED' }) });
        } else out.push(this.established(p, v === CT_REPLY, incoming));
      }
    }
    return out;
  }

  private withCt(p: Piece, ct: CtInfo): Piece {
    const skb = cloneSkb(p.skb);
    skb.ct = ct;
    if (skb.ct.kind === 'tracked' && skb.ctTemplate) {
      skb.ct.conn.helper = skb.ctTemplate.helper;
      skb.ct.conn.zone = skb.ctTemplate.zone;
    }
    return { ...p, skb };
  }

  /**
   * A packet of an established connection. The trace makes the connection by
   * sending its first packet (and the answer) through the ruleset, or, when
   * the rules drop it, takes the connection as older than the rules: the
   * analysis asks conntrack both ways and follows the packets only where the
   * answer is the same, and only when no rule could have changed the
   * connection on its first packet (NAT, a connection mark, a zone...).
   */
  private established(p: Piece, reply: boolean, incoming: boolean): { piece: Piece; unknown?: string } {
    if (p.opener && !reply) return this.openedBy(p, p.opener, incoming);
    const changer = this.changes.other ?? this.changes.first;
    if (changer) return { piece: p, unknown: t('an established connection\'s packets meet what `{0}` did to its first packet, which the analysis does not follow for them', changer) };
    const rep = representative(p, this.s);
    const older = new ConnectionTable();
    declaredConnection(older, rep, reply ? 'reply' : 'original', 0);
    const asOlder = conntrackIn(older, { ...rep }, 0, incoming).ct;
    const opened = new ConnectionTable();
    const opener = openerOf(reply ? reversed(rep, this.s.host) : rep);
    const first = conntrackIn(opened, opener, 0).ct;
    if (first.kind === 'tracked') {
      opened.confirm(first.conn);
      if (!reply) {
        const answer = reversed(opener, this.s.host);
        if (answer.protocol === TCP) answer.tcpFlags = TCP_FLAG_BITS.SYN | TCP_FLAG_BITS.ACK;
        conntrackIn(opened, answer, 0);
      }
    }
    const asOpened = conntrackIn(opened, { ...rep }, 0, incoming).ct;
    const key = (c: CtInfo) => (c.kind === 'tracked' ? `${c.state}|${c.dir}` : c.kind);
    if (key(asOlder) !== key(asOpened)) return { piece: p, unknown: t('conntrack sees these packets as {0} when the connection\'s first packet got through, as {1} when it did not', ctStateName(asOpened) ?? asOpened.kind, ctStateName(asOlder) ?? asOlder.kind) };
    // Its counters differ between the two: a test reading them cannot be answered (criteria.ts notes such a read as one of `ct`).
    const counters: View = { kind: 'unknown', within: p.cube.ct, why: t('depends on whether the connection\'s first packet got through (its counters)') };
    return { piece: this.withCt({ ...p, views: { ...p.views, ct: counters } }, asOpened) };
  }

  /**
   * The rules that can change a connection on its first packet, which the
   * connection's later packets meet: the first, the first that is not NAT
   * (for the words), and whether all of them are NAT (whose binding the
   * analysis follows, see withOpeners).
   */
  private get changes(): { first?: string; other?: string; natOnly: boolean } {
    if (!this.changers) {
      const found: { text: string; nat: boolean }[] = [];
      for (const table of this.ruleset.tables.values()) {
        for (const c of table.chains.values()) {
          for (const r of c.rules) {
            // The rule's target as the model keeps it: its spec would parse the whole command again.
            const spec = r.target.kind === 'extension' ? r.target.spec : undefined;
            if (spec && changesConnection(spec)) found.push({ text: `${table.name}/${c.name}/${r.index} -j ${spec.name}`, nat: spec.nat !== undefined });
          }
        }
      }
      this.changers = { first: found[0]?.text, other: found.find((f) => !f.nat)?.text, natOnly: found.length > 0 && found.every((f) => f.nat) };
    }
    return this.changers;
  }

  private changers: { first?: string; other?: string; natOnly: boolean } | undefined;

  /**
   * A packet of an established connection whose first packet's way is known
   * (withOpeners), in the connection the trace builds: older than the rules
   * when they drop the first packet, else opened by it, with its NAT, and answered.
   */
  private openedBy(p: Piece, opener: Opener, incoming: boolean): { piece: Piece; unknown?: string } {
    if (opener.kind === 'unknown') return { piece: p, unknown: opener.reason };
    const rep = representative(p, this.s);
    const table = new ConnectionTable();
    if (opener.kind === 'dropped') {
      declaredConnection(table, rep, 'original', 0);
      return { piece: this.withCt(p, conntrackIn(table, { ...rep }, 0, incoming).ct) };
    }
    const first = conntrackIn(table, openerOf(rep), 0).ct;
    if (first.kind === 'tracked') {
      const conn = first.conn;
      const o = conn.orig;
      const nat = opener.nat;
      const natted = { ...o, src: nat.src ?? o.src, dst: nat.dst ?? o.dst, sport: nat.sport === undefined ? o.sport : Number(nat.sport), dport: nat.dport === undefined ? o.dport : Number(nat.dport) };
      conn.reply = invertTuple(natted, conn.family);
      conn.srcNat = natted.src !== o.src || natted.sport !== o.sport;
      conn.dstNat = natted.dst !== o.dst || natted.dport !== o.dport;
      conn.natDone = { src: true, dst: true };
      table.confirm(conn);
      const answer = openerOf(rep);
      [answer.source, answer.destination, answer.sourcePort, answer.destinationPort] = [conn.reply.src, conn.reply.dst, conn.reply.sport, conn.reply.dport];
      if (answer.protocol === TCP) answer.tcpFlags = TCP_FLAG_BITS.SYN | TCP_FLAG_BITS.ACK;
      conntrackIn(table, answer, 0);
    }
    const mixed = natMixed(p, opener.nat, hasPorts(rep.protocol), this.s.family);
    // A test of the marks cannot be answered for all (as one of the counters cannot in `established`).
    const marked = mixed ? { ...p, views: { ...p.views, ct: { kind: 'unknown', within: p.cube.ct, why: mixed } as View } } : p;
    return { piece: this.withCt(marked, conntrackIn(table, { ...rep }, 0, incoming).ct) };
  }

  /**
   * nf_conntrack_in for a connection's first packet: on an empty table its
   * answer (NEW, INVALID, UNTRACKED) depends on the protocol, the TCP flags and
   * the ICMP type alone. The piece is split by that answer, asked once per
   * combination of those fields.
   */
  private firstPackets(piece: Piece, incoming: boolean): Piece[] {
    const c = piece.cube;
    const sameProtocols = new Map<string, { protos: [bigint, bigint][]; parts: { flags: IntervalSet; icmp: IntervalSet }[] }>();
    for (const [lo, hi] of c.proto.ranges()) {
      for (let proto = lo; proto <= hi; proto++) {
        const byAnswer = new Map<string, { flags: [bigint, bigint][]; icmp: IntervalSet[] }>();
        const add = (answer: string, flags: IntervalSet, icmp: IntervalSet) => {
          const g = byAnswer.get(answer);
          if (!g) byAnswer.set(answer, { flags: [...flags.ranges()], icmp: [icmp] });
          else if (flags !== c.flags) g.flags.push(...flags.ranges());
          else g.icmp.push(icmp);
        };
        if (c.flags.size > 1n) {
          for (const [a, b] of c.flags.ranges()) for (let f = a; f <= b; f++) add(this.conntrackAnswer(proto, f, c.icmp.min >> 8n), IntervalSet.of(f), c.icmp);
        } else if (c.icmp.min >> 8n !== c.icmp.max >> 8n) {
          for (let t = c.icmp.min >> 8n; t <= c.icmp.max >> 8n; t++) {
            const part = c.icmp.intersect(IntervalSet.range(t << 8n, (t << 8n) + 255n));
            if (!part.isEmpty) add(this.conntrackAnswer(proto, c.flags.min, t), c.flags, part);
          }
        } else add(this.conntrackAnswer(proto, c.flags.min, c.icmp.min >> 8n), c.flags, c.icmp);
        const parts = [...byAnswer.values()].map((g) => ({
          flags: IntervalSet.fromRanges(g.flags),
          icmp: g.icmp.reduce((x, y) => x.union(y)),
        }));
        const answers = [...byAnswer.keys()];
        const signature = parts.map((x, i) => `${answers[i]}:${[...x.flags.ranges()].join(';')}/${[...x.icmp.ranges()].join(';')}`).join('|');
        const same = sameProtocols.get(signature);
        if (same) same.protos.push([proto, proto]);
        else sameProtocols.set(signature, { protos: [[proto, proto]], parts });
      }
    }
    const out: Piece[] = [];
    for (const { protos, parts } of sameProtocols.values()) {
      for (const part of parts) {
        const cube = { ...c, proto: IntervalSet.fromRanges(protos), flags: part.flags, icmp: part.icmp };
        const p = sameProtocols.size === 1 && parts.length === 1 ? piece : narrowed(piece, cube);
        const skb = cloneSkb(p.skb);
        skb.ct = conntrackIn(new ConnectionTable(), { ...representative(p, this.s) }, 0, incoming).ct;
        if (skb.ct.kind === 'tracked' && skb.ctTemplate) {
          skb.ct.conn.helper = skb.ctTemplate.helper;
          skb.ct.conn.zone = skb.ctTemplate.zone;
        }
        out.push({ ...p, skb });
      }
    }
    return out;
  }

  private readonly conntrackAnswers = new Map<string, string>();



  /** conntrack's state for a first packet of this protocol, TCP flags and ICMP type. */
  private conntrackAnswer(proto: bigint, flags: bigint, icmpType: bigint): string {
    const key = `${proto}|${flags}|${icmpType}`;
    let answer = this.conntrackAnswers.get(key);
    if (answer === undefined) {
      const point = { ...examplePoint(wholeSpace(this.s.host, this.s.family)[0], this.s.family), in: 0n, mac: MAC_NONE, proto, flags, icmp: icmpType << 8n };
      const p = parsePacket(pointJson(point, this.s.host, this.s.family), { host: this.s.host, family: this.s.family });
      const r = conntrackIn(new ConnectionTable(), p, 0).ct;
      answer = `${r.kind}:${ctStateName(r)}`;
      this.conntrackAnswers.set(key, answer);
    }
    return answer;
  }

  /** nat runs for a connection's first packet only, once per manipulation (see traverse.ts natStage). */
  private natStage(piece: Piece, table: CompiledTable, hook: Hook, outDev: Interface | null, nextHop: bigint | null): Decided[] {
    const manip = natManip(hook);
    const ct = piece.skb.ct;
    // Without a connection, or with NAT decided on this packet's way already, the chains do not run.
    if (ct.kind === 'tracked' && ct.state === 'ESTABLISHED' && ct.dir === 'original' && piece.opener?.kind === 'passed') return [{ piece: bound(piece, piece.opener.nat, manip), verdict: { verdict: 'accept' } }];
    if (ct.kind !== 'tracked' || ct.state === 'ESTABLISHED' || ct.state === 'RELATED' || ct.conn.natDone[manip]) return [{ piece, verdict: { verdict: 'accept' } }];
    return this.walk(piece, table, hook, outDev, nextHop).map((d) => {
      if (d.verdict.verdict !== 'accept') return d;
      const skb = cloneSkb(d.piece.skb);
      if (skb.ct.kind === 'tracked') skb.ct.conn.natDone[manip] = true;
      return { piece: { ...d.piece, skb }, verdict: d.verdict };
    });
  }

  // ---- the chain walk -----------------------------------------------------------------------------------

  private symbolic(rule: CompiledRule): SymbolicRule {
    let sym = this.rules.get(rule.id);
    if (!sym) {
      // Another analysis of the same rules on the same host (the matrix of another service) made it already.
      const made = SYMBOLIC_RULES.get(rule);
      if (made?.host === this.s.host && made.family === this.s.family) sym = made.sym;
      else {
        const chain = this.ruleset.tables.get(rule.table)!.chains.get(rule.chain)!;
        const model = chain.rules[rule.index - 1]?.index === rule.index ? chain.rules[rule.index - 1] : chain.rules.find((r) => r.index === rule.index)!;
        sym = symbolicRule(model, rule, chain.hooks, this.s, this.bases);
        SYMBOLIC_RULES.set(rule, { host: this.s.host, family: this.s.family, sym });
      }
      this.rules.set(rule.id, sym);
    }
    return sym;
  }

  /** ipt_do_table over a set: each part of the piece ends with the table's verdict for it. */
  private walk(piece: Piece, table: CompiledTable, hook: Hook, outDev: Interface | null, nextHop: bigint | null): Decided[] {
    const start = table.chain(hook);
    const r = this.walkChain([piece], start, table, hook, outDev, nextHop, 0);
    // Off the end of the built-in chain, or RETURN from it: the policy, which counts like a rule.
    for (const p of r.returned) {
      const hit = this.coarse ? p : { ...p, hits: [...p.hits, `${table.name}/${hook}/policy:${start.policy}`] };
      r.decided.push({ piece: hit, verdict: start.policy === 'ACCEPT' ? { verdict: 'accept' } : { verdict: 'drop', reason: t('{0}/{1} policy DROP', table.name, hook) } });
    }
    return this.joinDecided(r.decided);
  }

  /**
   * One chain for all the pieces that enter it, rule after rule: at each rule
   * the pieces that took the same way are one piece again (joined), those a
   * rule sends to another chain go there together, and come back together.
   */
  private walkChain(pieces: Piece[], chain: CompiledChain, table: CompiledTable, hook: Hook, outDev: Interface | null, nextHop: bigint | null, depth: number): { returned: Piece[]; decided: Decided[] } {
    if (depth > MAX_DEPTH) throw new Error('the symbolic walk goes too deep (a jump loop?)');
    const decided: Decided[] = [];
    const returned: Piece[] = [];
    let current = pieces;
    for (let i = 0; i < chain.rules.length && current.length; i++) {
      const rule = chain.rules[i];
      const place: Place = { hook, table: table.name, outDev, nextHop, ruleId: rule.id };
      const sym = this.symbolic(rule);
      const next: Piece[] = [];
      const matched: Piece[] = [];
      for (const p of current) {
        const r = this.evaluateRule(sym, p, place);
        next.push(...r.unmatched);
        matched.push(...r.matched);
      }
      const a = rule.action;
      if (matched.length && a.kind === 'jump') {
        const r = this.walkChain(this.join(matched), table.chain(a.chain), table, hook, outDev, nextHop, depth + 1);
        decided.push(...r.decided);
        (a.goto ? returned : next).push(...this.join(r.returned));
      } else {
        for (const m of matched) {
          for (const n of this.act(m, rule, place)) {
            if (n.verdict === 'continue') next.push(n.piece);
            else if (n.verdict === 'return') returned.push(n.piece);
            else decided.push({ piece: n.piece, verdict: n.verdict });
          }
        }
      }
      // Pieces that go on alike are one again once there are a few: a long chain would otherwise cut them ever finer.
      // A rule that took none of them and split none leaves them as they were (joined already).
      current = next.length > 8 && !sameMembers(next, current) ? this.join(next) : next;
    }
    returned.push(...current);
    return { returned, decided };
  }

  /** Pieces that took the same way and are in the same state, as few pieces as their cubes allow. */
  private join(pieces: Piece[]): Piece[] {
    if (pieces.length < 2) return pieces;
    const groups = new Map<string, Piece[]>();
    for (const p of pieces) {
      const k = this.joinKey(p);
      const g = groups.get(k);
      if (g) g.push(p);
      else groups.set(k, [p]);
    }
    if (groups.size === pieces.length) return pieces;
    return [...groups.values()].flatMap((g) => {
      if (g.length === 1 || sameMembers(this.unjoinable.get(g[0]), g)) return g;
      const cubes = joinCubes(g.map((p) => p.cube));
      // Nothing joined: the pieces stay as they are (new ones would be keyed again at the next rule), and the group is not tried again.
      if (cubes.length === g.length && this.keepsAssumptions(g)) {
        this.unjoinable.set(g[0], g);
        return g;
      }
      return cubes.map((cube) => this.joined(g, cube));
    });
  }

  /** Groups whose cubes could not be joined, by their first piece. */
  private readonly unjoinable = new WeakMap<Piece, Piece[]>();

  /** Whether the group's pieces would keep their assumptions as they are when joined (a coarse join names a chain, not a rule, where they differ). */
  private keepsAssumptions(g: Piece[]): boolean {
    return !this.coarse || g.every((p) => p.assumptions.every((a, i) => a.rule === g[0].assumptions[i].rule));
  }

  /** Pieces with the same verdict, joined; a coarse join takes drops by rules of one chain as one verdict. */
  private joinDecided(ds: Decided[]): Decided[] {
    const byVerdict = new Map<string, Decided[]>();
    for (const d of ds) {
      const v = this.coarse && d.verdict.verdict === 'drop' ? { ...d.verdict, reason: d.verdict.reason.replace(/^(\w+\/[^\s/]+)\/\d+ /, '$1/* ') } : d.verdict;
      const k = JSON.stringify(v);
      const g = byVerdict.get(k);
      if (g) g.push({ piece: d.piece, verdict: v });
      else byVerdict.set(k, [{ piece: d.piece, verdict: v }]);
    }
    return [...byVerdict.values()].flatMap((g) => {
      const pieces = g.map((d) => d.piece);
      return this.join(this.coarse ? mergeWays(pieces, (p) => this.stateKey(p), (addresses) => this.s.regions.within(addresses)) : pieces).map((piece) => ({ piece, verdict: g[0].verdict }));
    });
  }

  private readonly joinKeys = new WeakMap<Piece, string>();

  /** What two pieces must share to be one: their state now and (unless `coarse`) the way that brought them. */
  private joinKey(p: Piece): string {
    let key = this.joinKeys.get(p);
    if (key === undefined) {
      key = this.computeJoinKey(p);
      this.joinKeys.set(p, key);
    }
    return key;
  }

  private computeJoinKey(p: Piece): string {
    let key = this.stateKey(p);
    for (const [d, v] of Object.entries(p.views)) key += `|${d}=${v.kind === 'const' ? v.value : `${v.within.key}?`}`;
    if (this.coarse) {
      for (const a of p.assumptions) key += a.kind === 'unmodelled' ? `|${a.criterion}:${a.assumed}:${a.reason}` : `|${a.rule}:${a.criterion}:${a.assumed}`;
    } else {
      key += `|${p.hits.join(' ')}|${p.maybeHits.join(' ')}`;
      for (const a of p.assumptions) key += `|${a.rule}:${a.criterion}:${a.assumed}:${a.kind}`;
    }
    return key;
  }

  /** The kernel's state beside the packets (conntrack, the skb, fields that are not dimensions): what merged ways must share. */
  private stateKey(p: Piece): string {
    // Pieces narrowed from one another share their skb and patch: each is put in words once.
    let key = this.skbKeys.get(p.skb);
    if (key === undefined) this.skbKeys.set(p.skb, (key = skbKey(p.skb)));
    if (Object.keys(p.patch).length) {
      let patch = this.patchKeys.get(p.patch);
      if (patch === undefined) this.patchKeys.set(p.patch, (patch = `|${JSON.stringify(p.patch, bigintText)}`));
      key += patch;
    }
    if (p.opener) key += `|opener ${JSON.stringify(p.opener, bigintText)}`;
    return key;
  }

  private readonly skbKeys = new WeakMap<SkbState, string>();
  private readonly patchKeys = new WeakMap<Partial<Packet>, string>();

  /** The pieces of a group as one: a coarse join keeps no way, and says of an unmodelled answer only which chain asked. */
  private joined(g: Piece[], cube: Piece['cube']): Piece {
    const first = g[0];
    if (!this.coarse) return narrowed(first, cube);
    const assumptions = first.assumptions.map((a, i) => {
      if (a.kind !== 'unmodelled' || g.every((p) => p.assumptions[i].rule === a.rule)) return a;
      return { ...a, rule: `${a.rule.slice(0, a.rule.lastIndexOf('/'))}/*` };
    });
    return { ...first, cube, hits: [], maybeHits: [], assumptions };
  }

  /**
   * The rule's criteria in order over the piece (traverse.ts's evaluate): a
   * part where a criterion fails goes on to the next rule; where one cannot
   * tell, the criteria after it are looked at first, and a part any of them
   * refuses does not match; the rest is followed both ways, each with what
   * it assumes (a rule that only counts or logs is not: its counter may move).
   */
  private evaluateRule(rule: SymbolicRule, piece: Piece, place: Place): { matched: Piece[]; unmatched: Piece[] } {
    // A test no packet of the piece passes: the rule matches none, whatever the tests before it say
    // (a part they leave undecided goes on only where the later tests let it).
    if (rule.criteria.some((c) => c.refuses?.(piece, place))) return { matched: [], unmatched: [piece] };
    let candidates = [piece];
    const unmatched: Piece[] = [];
    const cs = rule.criteria;
    for (let k = 0; k < cs.length && candidates.length; k++) {
      const next: Piece[] = [];
      for (const p of candidates) {
        const r = cs[k].split(p, place);
        next.push(...r.yes);
        unmatched.push(...r.no);
        for (const m of r.maybe) {
          let rest = [m.piece];
          let sideEffects = false;
          for (const later of cs.slice(k + 1)) {
            if (later.stateful) {
              sideEffects = true;
              continue;
            }
            rest = rest.flatMap((q) => {
              const lr = later.split(q, place);
              unmatched.push(...lr.no);
              return [...lr.yes, ...lr.maybe.map((x) => x.piece)];
            });
          }
          for (const q of rest) {
            if (!sideEffects && inert(rule.compiled)) {
              unmatched.push(this.coarse ? q : { ...q, maybeHits: [...q.maybeHits, rule.compiled.id] });
              continue;
            }
            next.push(assume(q, rule.compiled, cs[k], m, 'match'));
            unmatched.push(assume(narrowed(q, q.cube), rule.compiled, cs[k], m, 'no match'));
          }
        }
      }
      candidates = next;
    }
    // A coarse walk keeps no way: no counters.
    return { matched: this.coarse ? candidates : candidates.map((p) => ({ ...p, hits: [...p.hits, rule.compiled.id] })), unmatched };
  }

  /** What a matched rule does (a jump aside): go on in the chain, return from it, or end the table's walk with a verdict. */
  private act(piece: Piece, rule: CompiledRule, place: Place): Next[] {
    const a = rule.action;
    switch (a.kind) {
      case 'continue':
      case 'jump':
        return [{ piece, verdict: 'continue' }];
      case 'verdict':
        if (a.verdict === 'ACCEPT') return [{ piece, verdict: { verdict: 'accept' } }];
        if (a.verdict === 'DROP') return [{ piece, verdict: { verdict: 'drop', reason: `${rule.id} DROP` } }];
        if (a.verdict === 'RETURN') return [{ piece, verdict: 'return' }];
        return this.choose(piece, rule, '-j QUEUE', (ctx) => queueVerdict(ctx), place).map(({ piece: p, result }) => ({ piece: p, verdict: verdictOf(rule, result) }));
      case 'unresolved': {
        const what = `${a.goto ? '-g' : '-j'} ${a.chain}`;
        const u = { reason: a.reason };
        const yes = assumeTarget(piece, rule, what, u, 'match');
        const no = assumeTarget(narrowed(piece, piece.cube), rule, what, u, 'no match');
        return [{ piece: yes, verdict: a.goto ? 'return' : 'continue' }, { piece: no, verdict: { verdict: 'drop', reason: t('{0} (taken to drop)', `${rule.id} ${what.slice(3)}`) } }];
      }
      case 'target': {
        const use = this.symbolic(rule).target!;
        const name = use.spec?.name ?? use.name;
        const pieces = use.spec?.nat && piece.skb.ct.kind === 'tracked' ? this.natTarget(piece, rule, place) : this.runTarget(piece, rule, place, name);
        return pieces.map(({ piece: p, result }): Next => {
          if ('unknown' in result) return { piece: p, verdict: { verdict: 'unknown', reason: result.unknown } };
          return { piece: p, verdict: result.verdict === 'continue' ? 'continue' : verdictOf(rule, result) };
        });
      }
    }
  }

  /** A target run on each part of the piece that it treats alike; the fields it writes become those values. */
  private runTarget(piece: Piece, rule: CompiledRule, place: Place, name: string): TargetOutcome[] {
    const target = (rule.action as Extract<CompiledRule['action'], { kind: 'target' }>).target;
    const answers = evaluate(piece, this.s, `\`${target.text}\``, (rep, reads, p, raw) => {
      const skb = cloneSkb(p.skb);
      const result = target.run(evalContext(rep, reads, p, this.s, place, skb));
      return { result, skb, writes: writesOf(representative(p, this.s), raw) };
    }, (v) => JSON.stringify([v.result, v.writes], (_k, x) => (typeof x === 'bigint' ? x.toString() : x)), { mutates: true, whole: ANSWER_ONLY_TARGETS.has(name) });
    return answers.flatMap((a): TargetOutcome[] => {
      if ('unmodelled' in a) return [{ piece: a.piece, result: { unknown: t('the analysis does not follow what `{0}` does here: {1}', target.text, a.unmodelled) } }];
      const p = applyWrites(a.piece, a.value.writes, a.value.skb);
      const r = a.value.result;
      // What it answers differs between the packets (none to a broadcast, a reset only to TCP): left unsaid.
      if (a.varies && !('choose' in r)) return this.settle(p, rule, target.text, { ...r, rejectWith: undefined });
      return this.settle(p, rule, target.text, r);
    });
  }

  /** DNAT, SNAT, MASQUERADE, REDIRECT and NETMAP: nat.ts says where the piece splits and what each part becomes. */
  private natTarget(piece: Piece, rule: CompiledRule, place: Place): TargetOutcome[] {
    const target = (rule.action as Extract<CompiledRule['action'], { kind: 'target' }>).target;
    const use = this.symbolic(rule).target!;
    const out: TargetOutcome[] = [];
    for (const byProto of splitProtocols(piece)) {
      for (const byIn of currentSet(byProto, 'in').isSingleton ? [byProto] : [...currentSet(byProto, 'in').ranges()].flatMap(([lo, hi]) => {
        const parts: Piece[] = [];
        for (let i = lo; i <= hi; i++) parts.push(withDimSet(byProto, 'in', IntervalSet.of(i)));
        return parts;
      })) {
        for (const plan of natPlans(byIn, use, place.hook, this.s.family)) {
          const rep = { ...representative(plan.piece, this.s) };
          const skb = cloneSkb(plan.piece.skb);
          const result = target.run(evalContext(rep, new Reads(), plan.piece, this.s, place, skb)) as TargetResult;
          const views = { ...plan.piece.views };
          setView(views, plan.addressDim, plan.address, rep);
          if (hasPorts(rep.protocol)) setView(views, plan.portDim, plan.port, rep);
          const patch = { ...plan.piece.patch, ...nonDimensionWrites(representative(plan.piece, this.s), rep) };
          out.push({ piece: { ...plan.piece, views, patch, skb }, result });
        }
      }
    }
    return out.flatMap(({ piece: p, result }): TargetOutcome[] => ('unknown' in result ? [{ piece: p, result }] : this.settle(p, rule, target.text, result)));
  }

  /** A target's answer, or both of its answers when it cannot tell (each assumed, as the concrete engine's decider does). */
  private settle(piece: Piece, rule: CompiledRule, what: string, r: TargetResult | TargetChoice): { piece: Piece; result: TargetResult }[] {
    if (!('choose' in r)) return [{ piece, result: r }];
    return [
      { piece: assumeTarget(piece, rule, what, r.choose, 'match'), result: r.yes },
      { piece: assumeTarget(narrowed(piece, piece.cube), rule, what, r.choose, 'no match'), result: r.no },
    ];
  }

  private choose(piece: Piece, rule: CompiledRule, what: string, f: (ctx: ReturnType<typeof evalContext>) => TargetResult | TargetChoice, place: Place): { piece: Piece; result: TargetResult }[] {
    const rep = { ...representative(piece, this.s) };
    return this.settle(piece, rule, what, f(evalContext(rep, new Reads(), piece, this.s, place, cloneSkb(piece.skb))));
  }
}

/** A target's effect on a part of the piece, or why the analysis does not follow it. */
type TargetOutcome = { piece: Piece; result: TargetResult | { unknown: string } };

/** A part of a pair of address sets that gets one answer (undefined: that address is not split). */
interface AddressSplit<T> {
  src?: IntervalSet;
  dst?: IntervalSet;
  value: T;
}

/** The key for "no set" in the caches keyed by sets. */
const NO_SET = IntervalSet.EMPTY;

/** Where a matched piece goes: on in the chain, back to the caller, or the table's verdict. */
type Next = { piece: Piece; verdict: 'continue' | 'return' | Verdict };

/** The kernel state of a piece in words: conntrack's view and the skb's other fields. */
function skbKey(skb: SkbState): string {
  const ct = skb.ct;
  let key = ct.kind;
  if (ct.kind === 'tracked') {
    const c = ct.conn;
    key += `|${ct.state}|${ct.dir}|${c.natDone.src}${c.natDone.dst}${c.srcNat}${c.dstNat}|${c.mark}|${c.labels}|${c.helper}|${c.zone}`;
  }
  if (skb.ctTemplate || skb.priority || skb.secmark || skb.traced || Object.keys(skb.undetermined).length) {
    key += `|${JSON.stringify([skb.ctTemplate, skb.priority, skb.secmark, skb.traced, skb.undetermined])}`;
  }
  return key;
}

function sameMembers(a: Piece[] | undefined, b: Piece[]): boolean {
  return a !== undefined && a.length === b.length && a.every((p, i) => p === b[i]);
}

/** What a connection's first packet met, from where its way ended. */
function openerWay(l: Leaf): Opener {
  if (l.fate === 'unknown') return { kind: 'unknown', reason: t('what the connection\'s first packet met is not known: {0}', l.unknown ?? '') };
  const a = l.piece.assumptions[0];
  if (a) return { kind: 'unknown', reason: t('what the connection\'s first packet met depends on `{0}` ({1})', a.criterion, a.rule) };
  if (l.fate === 'dropped') return { kind: 'dropped' };
  const nat: Partial<Record<'src' | 'dst' | 'sport' | 'dport', bigint>> = {};
  for (const d of ['src', 'dst', 'sport', 'dport'] as const) {
    const v = l.piece.views[d];
    if (v?.kind === 'unknown') return { kind: 'unknown', reason: t('NAT gave the connection\'s first packet one of several values ({0})', v.why) };
    if (v) nat[d] = v.value;
  }
  return { kind: 'passed', nat };
}

/**
 * Why conntrack's SNAT/DNAT mark (set only where NAT changed the tuple) may
 * differ among the piece's connections: NAT gave a value some of their first
 * packets had already, and changed no other field of that side for all of them.
 */
function natMixed(p: Piece, nat: Partial<Record<'src' | 'dst' | 'sport' | 'dport', bigint>>, ports: boolean, family: Setting['family']): string | undefined {
  for (const [mark, fields] of [['SNAT', ['src', 'sport']], ['DNAT', ['dst', 'dport']]] as const) {
    const given = fields.filter((d) => nat[d] !== undefined && (ports || d === fields[0]));
    if (given.some((d) => !currentSet(p, d).contains(nat[d]!))) continue;
    const some = given.find((d) => !currentSet(p, d).isSingleton);
    if (some) return t('differs among these connections: conntrack counts one as {0} only if NAT changed its first packet, and some of them were opened with {1} already, the value NAT gave', mark, some === fields[0] ? showAddress(nat[some]!, family) : String(nat[some]));
  }
  return undefined;
}

/** nf_nat_packet for a packet of a connection opened from its side: the fields NAT gave the first packet, at the hooks that rewrite them. */
function bound(piece: Piece, nat: Partial<Record<'src' | 'dst' | 'sport' | 'dport', bigint>>, manip: 'src' | 'dst'): Piece {
  const dims = manip === 'src' ? (['src', 'sport'] as const) : (['dst', 'dport'] as const);
  if (dims.every((d) => nat[d] === undefined)) return piece;
  const views = { ...piece.views };
  for (const d of dims) if (nat[d] !== undefined) views[d] = { kind: 'const', value: nat[d]! };
  return { ...piece, views };
}

/**
 * Which answers about addresses are the same: the words of a reason name the
 * address asked about (a martian source, a route) and the interface `name`,
 * which does not make the answer another one.
 */
function answerKey(a: unknown, name?: string): string {
  return JSON.stringify(a, (k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (k !== 'reason' || typeof v !== 'string') return v;
    const words = name === undefined ? v : v.split(name).join('·');
    return words.replace(/[0-9a-f]*[.:][0-9a-f.:]*[0-9a-f]/gi, '·');
  });
}

/**
 * Targets whose verdict is the same for every packet and whose look at the
 * packet only decides what they send back (REJECT: no answer to a broadcast,
 * an ICMP error or a reset): a set is not split for them.
 */
const ANSWER_ONLY_TARGETS: ReadonlySet<string> = new Set(['REJECT']);

function verdictOf(rule: CompiledRule, r: TargetResult): Verdict {
  if (r.verdict === 'accept' || r.verdict === 'continue') return { verdict: 'accept' };
  return { verdict: 'drop', reason: `${rule.id} ${r.action}`, ...(r.rejectWith ? { rejectWith: r.rejectWith } : {}) };
}

function inert(rule: CompiledRule): boolean {
  return rule.action.kind === 'continue' || (rule.action.kind === 'target' && rule.action.target.inert === true);
}

function assume(p: Piece, rule: CompiledRule, c: SymbolicCriterion, u: { reason: string; kind: 'uncertain' | 'unmodelled'; probability?: number }, assumed: 'match' | 'no match'): Piece {
  const a: SymbolicAssumption = { rule: rule.id, criterion: c.text, assumed, reason: u.reason, kind: u.kind, ...(u.probability === undefined ? {} : { probability: u.probability }) };
  return { ...p, assumptions: [...p.assumptions, a] };
}

function assumeTarget(p: Piece, rule: CompiledRule, what: string, u: Uncertain, assumed: 'match' | 'no match'): Piece {
  return { ...p, assumptions: [...p.assumptions, { rule: rule.id, criterion: what, assumed, reason: u.reason, kind: 'uncertain' }] };
}

/** What a run changed on the packet: each field's new value. */
function writesOf(before: Packet, after: Packet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(after) as (keyof Packet)[]) {
    const a = before[k];
    const b = after[k];
    // The payload is only ever replaced, never changed in place.
    if (a === b || a instanceof Uint8Array) continue;
    if (typeof a === 'object' && JSON.stringify(a, bigintText) === JSON.stringify(b, bigintText)) continue;
    out[k] = b;
  }
  return out;
}

function bigintText(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function nonDimensionWrites(before: Packet, after: Packet): Partial<Packet> {
  const w = writesOf(before, after);
  for (const k of Object.keys(w)) if (k in FIELD_OF || k === 'icmpType' || k === 'icmpCode') delete w[k];
  return w as Partial<Packet>;
}

/** A target's writes: dimension fields become that one value, the others go into the patch. */
function applyWrites(piece: Piece, writes: Record<string, unknown>, skb: SkbState): Piece {
  const views = { ...piece.views };
  const patch: Record<string, unknown> = { ...piece.patch };
  for (const [k, v] of Object.entries(writes)) {
    const dim = FIELD_OF[k];
    if (dim) views[dim] = { kind: 'const', value: BigInt(v as number | bigint) };
    else if (k === 'icmpType' || k === 'icmpCode') continue;
    else patch[k] = v;
  }
  if ('icmpType' in writes || 'icmpCode' in writes) {
    const type = BigInt((writes.icmpType as number | undefined) ?? 0);
    views.icmp = { kind: 'const', value: (type << 8n) | BigInt((writes.icmpCode as number | undefined) ?? 0) };
  }
  return { ...piece, views, patch: patch as Partial<Packet>, skb };
}

function setView(views: Partial<Record<Dim, View>>, dim: Dim, plan: FieldPlan, rep: Packet): void {
  const field = dim === 'src' ? rep.source : dim === 'dst' ? rep.destination : BigInt(dim === 'sport' ? rep.sourcePort : rep.destinationPort);
  if (plan.kind === 'one') views[dim] = { kind: 'const', value: field };
  else if (plan.kind === 'some') views[dim] = { kind: 'unknown', within: plan.within, why: plan.why };
}

/** NAT treats protocols with ports and those without apart: one part for each. */
function splitProtocols(piece: Piece): Piece[] {
  const protos = currentSet(piece, 'proto');
  const ported = IntervalSet.fromRanges([...protos.ranges()].flatMap(([lo, hi]) => {
    const r: [bigint, bigint][] = [];
    for (let v = lo; v <= hi; v++) if (hasPorts(Number(v))) r.push([v, v]);
    return r;
  }));
  if (piece.views.proto || ported.isEmpty || ported.equals(protos)) return [piece];
  return [withDimSet(piece, 'proto', ported), withDimSet(piece, 'proto', protos.subtract(ported))];
}


