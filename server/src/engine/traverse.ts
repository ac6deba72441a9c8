// One packet through the host, hook by hook in kernel priority order: receive
// (PREROUTING, routing, INPUT or FORWARD + POSTROUTING) or send (routing,
// OUTPUT, POSTROUTING, and through lo back in for local destinations). Within
// a hook each table's chain is walked as ipt_do_table does: rules in order,
// jumps and gotos on a return stack, RETURN and the end of a built-in chain
// applying its policy (which counts like a rule).
import { natManip, NFT_JUMP_LEVELS, type Hook } from '../knowledge';
import { IndexCursor } from './chainIndex';
import { CompiledChain, CompiledRule, CompiledRuleset, CompiledTable } from './compile';
import { Connection, conntrackIn, CtInfo, ctStateName } from './conntrack';
import { EvalContext, Skb, Uncertain } from './context';
import { Host, Interface, isMulticast, joinedGroup, OutputRoute, routeInput, routeOutput } from './host';
import { showAddress } from './json';
import { linkType } from './matches/metadata';
import { defragment, deliverChecks, forwardChecks, receiveChecks, StackDrop, StackStop } from './ipv6Stack';
import { applyBinding, Manip, translateIcmpError } from './nat';
import { clonePacket, describePacket, isFragment, isIcmpError, Packet } from './packet';
import type { EngineState } from './state';
import { queueVerdict, TargetChoice, TargetResult } from './targets';
import { t } from '../l10n';

export type Fate = 'delivered' | 'forwarded' | 'sent' | 'dropped';

export interface Step {
  kind: 'rule' | 'policy' | 'return' | 'event';
  hook?: Hook;
  table?: string;
  chain?: string;
  /** Kernel index of the rule in its chain (1-based). */
  rule?: number;
  /** A policy step's policy as iptables writes it (`DROP`): `action` is words, in the user's language. */
  policy?: string;
  /** 0-based line of the rule in its file. */
  line?: number;
  text?: string;
  matched?: boolean;
  /** Matched or not depending on an uncertain criterion, with no effect on the rest of the walk. */
  maybe?: boolean;
  /** The first criterion that did not match. */
  failed?: string;
  /** An uncertain criterion and the answer this outcome assumes. */
  assumed?: string;
  action?: string;
  changed?: string[];
  message?: string;
  notes?: string[];
}

/** An answer the engine could not decide, and the one this outcome takes. */
export interface Assumption {
  /** Which packet of the scenario: `probe`, `history[0]`, `opener`... */
  packet: string;
  /** Counter notation of the rule. */
  rule: string;
  criterion: string;
  assumed: 'match' | 'no match';
  reason: string;
  /** The chance of the assumed answer, when the kernel decides at random. */
  probability?: number;
}

/** Chooses answers to uncertain criteria: given ones first, then "matches"; records each. */
export class Decider {
  readonly taken: Assumption[] = [];
  /**
   * Per answer taken, how many steps of the probe came before the question
   * (0 for a packet before the probe). A run is a function of its answers:
   * runs that take the same first answers have the same steps until then.
   */
  readonly stepsBefore: number[] = [];
  constructor(private readonly forced: readonly boolean[] = []) {}

  decide(u: Uncertain, packet: string, rule: string, criterion: string, steps: number): boolean {
    const i = this.taken.length;
    this.stepsBefore.push(steps);
    const yes = i < this.forced.length ? this.forced[i] : true;
    const probability = u.probability === undefined ? undefined : yes ? u.probability : 1 - u.probability;
    this.taken.push({ packet, rule, criterion, assumed: yes ? 'match' : 'no match', reason: u.reason, ...(probability === undefined ? {} : { probability }) });
    return yes;
  }
}

export interface PacketResult {
  steps: Step[];
  hits: string[];
  /** Counters that move or not depending on something uncertain that changes nothing else. */
  maybeHits: string[];
  fate: Fate;
  inInterface?: string;
  outInterface?: string;
  /** What the host sent back instead of letting the packet through. */
  rejectWith?: string;
  /** A locally generated packet: the error sendto() returns. */
  sendError?: string;
  /** Why the packet was dropped, in words. */
  dropReason?: string;
  /** The IPv6 stack, not a rule, stopped the packet: before the hooks, held for reassembly, after INPUT, or before FORWARD. */
  stop?: StackStop;
  /** The packet as it left, was delivered, or was dropped. */
  packet: Packet;
  /** Connection-tracking state the packet got, when conntrack ran. */
  ctState?: string;
  /** The connection, for the scenario runner (a reply is built from it). */
  connection?: Connection;
  undetermined: Skb['undetermined'];
  notes: string[];
}

export interface RunOptions {
  conntrack: boolean;
  /** The scenario declares the packet's state instead of letting conntrack derive it. */
  declared?: CtInfo;
  /** Label of this packet in assumptions (`probe`, `history[1]`...). */
  label: string;
  /** Chains of at least this many rules are walked through their index (Infinity: every rule tried in turn). */
  indexFrom: number;
}

type Verdict = { verdict: 'accept' } | { verdict: 'drop'; reason: string; rejectWith?: string };

const MAX_RULE_VISITS = 1_000_000;

/** One packet's walk through the host. */
export class PacketRun {
  private readonly steps: Step[] = [];
  private readonly hits: string[] = [];
  private readonly maybeHits: string[] = [];
  private readonly notes: string[] = [];
  private readonly skb: Skb;
  private visits = 0;

  constructor(
    private readonly rs: CompiledRuleset,
    private readonly host: Host,
    private readonly state: EngineState,
    private readonly decider: Decider,
    private readonly options: RunOptions,
    packet: Packet,
  ) {
    this.skb = {
      pkt: clonePacket(packet), ct: { kind: 'none' }, ctTemplate: null, priority: 0, secmark: 0, traced: false, hotdrop: null, undetermined: {},
    };
  }

  run(): PacketResult {
    const p = this.skb.pkt;
    return p.inInterface === null ? this.send() : this.receive(this.host.interfaces.get(p.inInterface)!);
  }

  // ---- paths ---------------------------------------------------------------------------------

  private receive(inDev: Interface): PacketResult {
    const p = this.skb.pkt;
    this.event(undefined, t('arrives on {0}: {1}', inDev.name, describePacket(p)));
    if (linkType(p, inDev) === 'otherhost') return this.dropped(t('the frame is addressed to another host\'s MAC ({0}): dropped before any hook', p.destinationMac));
    const v6 = p.family === 'ipv6';
    if (v6) {
      const early = receiveChecks(p, inDev);
      if (early) return this.stopped(early);
    }
    const defrag = this.rs.defrag || this.options.conntrack;
    // A packet looped back through lo was gathered on its way out.
    if (defrag && v6) {
      const d = inDev.loopback ? { kind: 'pass' as const } : defragment(p);
      if (d.kind === 'held') return this.stopped(d.drop);
      if (d.kind === 'whole') this.event('PREROUTING', t('defragmentation (priority -400) turns the atomic fragment into a plain packet: its fragment header is removed'));
    } else if (defrag && isFragment(p)) {
      return this.stopped({ stop: 'held', reason: t('defragmentation (priority -400, on with conntrack or a socket match) holds a lone fragment until the others come: no table sees it') });
    }
    const pre = this.hook('PREROUTING', inDev, null, null);
    if (pre.verdict === 'drop') return this.dropped(pre.reason, pre.rejectWith);
    const route = routeInput(this.host, p.family, p.source, p.destination, inDev);
    if (route.kind === 'drop') {
      this.event(undefined, t('routing: {0}', route.reason));
      return this.dropped(t('routing: {0}', route.reason), route.icmp);
    }
    if (route.kind === 'local') {
      this.event(undefined, t('routing: {0} (INPUT)', route.broadcast ? t('{0}, delivered locally', v6 ? t('a multicast group this host has joined') : t('a broadcast')) : t('{0} is local', showAddress(p.destination, p.family))));
      if (!v6 && isFragment(p)) {
        return this.stopped({ stop: 'held', reason: t('IPv4 local delivery reassembles fragments before INPUT: a lone fragment waits there and no INPUT rule sees it') });
      }
      const input = this.hook('INPUT', inDev, null, null);
      if (input.verdict === 'drop') return this.dropped(input.reason, input.rejectWith);
      this.confirm();
      const late = v6 ? deliverChecks(p) : undefined;
      if (late) return this.stopped(late);
      return this.finish('delivered', { inInterface: inDev.name });
    }
    const outDev = this.host.interfaces.get(route.dev)!;
    this.event(undefined, t('routing: forwarded out {0} via {1} (FORWARD)', outDev.name, showAddress(route.nextHop, p.family)));
    if (linkType(p, inDev) !== 'host') return this.dropped(t('a frame sent to a broadcast or multicast MAC address is not forwarded'));
    if (p.ttl <= 1) {
      const drop = t('{0} {1} would reach 0: answered with time exceeded before FORWARD', v6 ? t('hop limit') : 'TTL', p.ttl);
      if (v6) return this.stopped({ stop: 'not-forwarded', reason: t('time exceeded: hop limit {0} would reach 0', p.ttl), icmp: 'icmp6-time-exceeded' });
      return this.dropped(drop, 'icmp-time-exceeded');
    }
    const scope = v6 ? forwardChecks(p, inDev, outDev) : undefined;
    if (scope) return this.stopped(scope);
    p.ttl -= 1;
    this.event(undefined, t('forwarding lowers the {0} to {1} before FORWARD', v6 ? t('hop limit') : 'TTL', p.ttl));
    const fwd = this.hook('FORWARD', inDev, outDev, route.nextHop);
    if (fwd.verdict === 'drop') return this.dropped(fwd.reason, fwd.rejectWith);
    // ip_output and ip6_output hand POSTROUTING the device the packet arrived on as its in-interface.
    const post = this.hook('POSTROUTING', inDev, outDev, route.nextHop);
    if (post.verdict === 'drop') return this.dropped(post.reason, post.rejectWith);
    this.confirm();
    return this.finish('forwarded', { outInterface: outDev.name });
  }

  private send(): PacketResult {
    const p = this.skb.pkt;
    this.event(undefined, t('sent by this host: {0}', describePacket(p)));
    const first = routeOutput(this.host, p.family, p.destination, p.outInterface);
    if (first.kind === 'drop') {
      this.event(undefined, t('routing: {0}', first.reason));
      return this.dropped(t('routing: {0}', first.reason), undefined, first.errno);
    }
    // Defragmentation also sits at the head of OUTPUT (priority -400) for the host's own fragments.
    if (this.rs.defrag || this.options.conntrack) {
      const gathered = p.family === 'ipv6' ? defragment(p).kind : isFragment(p) ? 'held' : 'pass';
      if (gathered === 'held') return this.stopped(heldLocally());
      if (gathered === 'whole') this.event('OUTPUT', t('defragmentation (priority -400) turns the atomic fragment into a plain packet: its fragment header is removed'));
    }
    const lo = this.host.interfaces.get('lo')!;
    const firstDev = first.kind === 'local' ? lo : this.host.interfaces.get(first.dev)!;
    this.event(undefined, t('routing: out {0}{1}', firstDev.name, first.kind === 'local' ? t(' (a local destination)') : ''));
    const dst = p.destination;
    const mark = p.mark;
    // The hook's output device is fixed when OUTPUT starts: a reroute after nat OUTPUT DNAT
    // changes where the packet goes, not what `-o` sees in the rest of OUTPUT.
    const out = this.hook('OUTPUT', null, firstDev, first.kind === 'out' ? first.nextHop : null);
    if (out.verdict === 'drop') return this.dropped(out.reason, out.rejectWith, 'EPERM');
    let route: OutputRoute = first;
    if (p.destination !== dst || p.mark !== mark) {
      route = routeOutput(this.host, p.family, p.destination, p.outInterface);
      if (route.kind === 'drop') return this.dropped(t('rerouting after OUTPUT: {0}', route.reason), undefined, route.errno);
    }
    const dev = route.kind === 'local' ? lo : this.host.interfaces.get(route.dev)!;
    if (dev !== firstDev) this.event(undefined, t('rerouted after OUTPUT: now out {0}', dev.name));
    const post = this.hook('POSTROUTING', null, dev, route.kind === 'out' ? route.nextHop : null);
    if (post.verdict === 'drop') return this.dropped(post.reason, post.rejectWith, 'EPERM');
    this.confirm();
    if (route.kind === 'out') {
      if (p.family === 'ipv6' && isMulticast('ipv6', p.destination) && joinedGroup(this.host, dev, p.destination)) return this.loopedCopy(dev);
      return this.finish('sent', { outInterface: dev.name });
    }
    // Local to local: out through lo and back in; raw and mangle PREROUTING see it again,
    // but NAT was decided in OUTPUT/POSTROUTING.
    this.event(undefined, t('loops back through lo'));
    p.inInterface = 'lo';
    return this.receive(lo);
  }

  /**
   * ip6_finish_output2: a packet to a group the sending interface has joined
   * also loops back to this host: the copy passes POSTROUTING again, then
   * comes in on that interface (PREROUTING, INPUT). The original has left.
   */
  private loopedCopy(dev: Interface): PacketResult {
    const sent = this.skb.pkt;
    this.skb.pkt = clonePacket(sent);
    this.event(undefined, t('{0} has joined {1}: a copy loops back to this host', dev.name, showAddress(sent.destination, 'ipv6')));
    const post = this.hook('POSTROUTING', null, dev, null);
    const copy = post.verdict === 'drop' ? this.dropped(t('the looped copy: {0}', post.reason), post.rejectWith) : this.receive(dev);
    if (copy.fate === 'delivered') return copy;
    this.skb.pkt = sent;
    this.event(undefined, t('the packet itself was sent'));
    return this.finish('sent', { outInterface: dev.name });
  }

  // ---- hooks and tables ---------------------------------------------------------------------------

  private hook(hook: Hook, inDev: Interface | null, outDev: Interface | null, nextHop: bigint | null): Verdict {
    for (const stage of this.rs.stages(hook, this.options.conntrack)) {
      if (stage.kind === 'conntrack') {
        this.conntrackStage(hook);
        continue;
      }
      const v = stage.table.name === 'nat' ? this.natStage(stage.table, hook, inDev, outDev, nextHop) : this.walk(stage.table, hook, inDev, outDev, nextHop);
      if (v.verdict === 'drop') return v;
    }
    return { verdict: 'accept' };
  }

  private conntrackStage(hook: Hook): void {
    const skb = this.skb;
    // A packet that already has its state (untracked in raw, or looped back over lo) is left alone.
    if (skb.ct.kind === 'tracked' || skb.ct.kind === 'untracked') return;
    let message: string;
    if (this.options.declared) {
      skb.ct = this.options.declared;
      message = t('{0}, as the scenario declares', ctStateName(skb.ct));
    } else {
      const r = conntrackIn(this.state.conntrack, skb.pkt, this.state.now, hook === 'PREROUTING');
      skb.ct = r.ct;
      message = r.explain;
    }
    if (skb.ct.kind === 'tracked' && !skb.ct.conn.confirmed && skb.ctTemplate) {
      skb.ct.conn.helper = skb.ctTemplate.helper;
      skb.ct.conn.zone = skb.ctTemplate.zone;
    }
    this.event(hook, t('conntrack: {0}', message));
  }

  /**
   * The nat table runs only for a connection whose NAT is not decided yet (its
   * first packet); later packets, and ICMP errors about it, are translated from
   * the connection's binding without any nat rule or policy counting.
   */
  private natStage(table: CompiledTable, hook: Hook, inDev: Interface | null, outDev: Interface | null, nextHop: bigint | null): Verdict {
    const manip: Manip = natManip(hook);
    const ct = this.skb.ct;
    if (ct.kind !== 'tracked') {
      const why = ct.kind === 'none' ? t('conntrack is not running (no rule needs it)') : ct.kind === 'untracked' ? t('the packet is UNTRACKED') : t('the packet is INVALID');
      this.event(hook, t('nat {0} skipped: {1}, and NAT needs a connection', hook, why), 'nat');
      return { verdict: 'accept' };
    }
    const p = this.skb.pkt;
    if (ct.state === 'RELATED' && isIcmpError(p)) {
      const changed = translateIcmpError(ct.conn, ct.dir, p, manip);
      this.event(hook, t('nat {0} skipped: an ICMP error about a known connection is translated with it', hook), 'nat', changed);
      return { verdict: 'accept' };
    }
    if (ct.state !== 'ESTABLISHED' && !ct.conn.natDone[manip]) {
      const v = this.walk(table, hook, inDev, outDev, nextHop);
      if (v.verdict === 'accept') ct.conn.natDone[manip] = true;
      return v;
    }
    const changed = applyBinding(ct.conn, ct.dir, p, manip);
    const why = ct.state === 'ESTABLISHED' || ct.conn.confirmed ? t('not the first packet of its connection') : t('NAT was decided for this packet on its way out');
    this.event(hook, t('nat {0} skipped: {1}{2}', hook, why, changed.length ? t('; translated from the connection\'s binding') : ''), 'nat', changed);
    return { verdict: 'accept' };
  }

  private walk(table: CompiledTable, hook: Hook, inDev: Interface | null, outDev: Interface | null, nextHop: bigint | null): Verdict {
    const start = table.chain(hook);
    const ctx: EvalContext = {
      family: this.rs.family, host: this.host, state: this.state, skb: this.skb, pkt: this.skb.pkt, hook, table: table.name,
      inDev, outDev, nextHop, ruleId: '', notes: [],
    };
    // `depth`: jumps and gotos below the hook's chain, as nf_tables counts them when it loads the table.
    const stack: { chain: string; index: number; depth: number }[] = [];
    let depth = 0;
    let chain = start;
    let i = 0;
    let cursor = IndexCursor.of(chain, ctx.pkt, this.options.indexFrom);
    const enter = (next: CompiledChain, at: number) => {
      chain = next;
      i = at;
      cursor = IndexCursor.of(chain, ctx.pkt, this.options.indexFrom);
    };
    const policy = (): Verdict => {
      this.hits.push(`${table.name}/${hook}/policy:${start.policy}`);
      this.steps.push({ kind: 'policy', hook, table: table.name, chain: hook, policy: start.policy, action: t('policy {0}', start.policy) });
      return start.policy === 'ACCEPT' ? { verdict: 'accept' } : { verdict: 'drop', reason: t('{0}/{1} policy DROP', table.name, hook) };
    };
    const pop = (why: string): boolean => {
      const back = stack.pop();
      if (!back) return false;
      this.steps.push({ kind: 'return', hook, table: table.name, chain: chain.name, message: t('{0}: back to {1}', why, back.chain) });
      depth = back.depth;
      enter(table.chain(back.chain), back.index);
      return true;
    };
    for (;;) {
      if (cursor) i = this.passOver(chain, cursor, i, hook, ctx);
      if (i >= chain.rules.length) {
        if (chain === start || !pop(t('end of {0}', chain.name))) return policy();
        continue;
      }
      if (++this.visits > MAX_RULE_VISITS) throw new Error(t('the rule walk does not end (a jump loop?)'));
      const rule = chain.rules[i];
      ctx.ruleId = rule.id;
      const matched = this.evaluate(rule, ctx);
      if (this.skb.hotdrop) {
        this.steps.push(this.ruleStep(rule, hook, false, t('dropped on the spot: {0}', this.skb.hotdrop)));
        return { verdict: 'drop', reason: this.skb.hotdrop };
      }
      const step = this.ruleStep(rule, hook, matched.ok === true, matched.failed, matched.assumed);
      this.steps.push(step);
      if (ctx.notes.length) step.notes = ctx.notes.splice(0);
      if (matched.ok === 'maybe') {
        step.maybe = true;
        delete step.matched;
        step.action = rule.action.kind === 'target' ? rule.action.target.text.replace(/^-[jg] /, '') : t('no target: continue');
        this.maybeHits.push(rule.id);
      }
      if (matched.ok !== true) {
        i++;
        continue;
      }
      this.hits.push(rule.id);
      const a = rule.action;
      switch (a.kind) {
        case 'continue':
          step.action = t('no target: continue');
          i++;
          continue;
        case 'verdict':
          step.action = a.verdict;
          if (a.verdict === 'ACCEPT') return { verdict: 'accept' };
          if (a.verdict === 'DROP') return { verdict: 'drop', reason: `${rule.id} DROP` };
          if (a.verdict === 'QUEUE') {
            const r = this.choose(queueVerdict(ctx), rule, '-j QUEUE');
            step.action = r.action;
            return r.verdict === 'accept' ? { verdict: 'accept' } : { verdict: 'drop', reason: `${rule.id} ${r.action}` };
          }
          if (chain === start || !pop('RETURN')) {
            step.action = t('RETURN in {0}: the policy applies', hook);
            return policy();
          }
          continue;
        case 'jump': {
          step.action = a.goto ? t('goto {0}', a.chain) : t('jump to {0}', a.chain);
          if (!a.goto) stack.push({ chain: chain.name, index: i + 1, depth });
          if (++depth === NFT_JUMP_LEVELS) {
            (step.notes ??= []).push(t('{0} is {1} jumps below {2} here: the legacy backend follows, but iptables-nft refuses to load this rule ("Too many links"), as nf_tables follows at most {3}', a.chain, NFT_JUMP_LEVELS, hook, NFT_JUMP_LEVELS - 1));
          }
          enter(table.chain(a.chain), 0);
          continue;
        }
        case 'unresolved': {
          const r = this.choose({
            choose: { reason: a.reason },
            yes: { verdict: 'continue', action: a.goto ? t('goto {0} (taken to return)', a.chain) : t('jump to {0} (taken to return)', a.chain), changed: [] },
            no: { verdict: 'drop', action: a.goto ? t('goto {0} (taken to drop)', a.chain) : t('jump to {0} (taken to drop)', a.chain), changed: [] },
          }, rule, `${a.goto ? '-g' : '-j'} ${a.chain}`);
          step.action = r.action;
          if (r.verdict === 'drop') return { verdict: 'drop', reason: `${rule.id} ${r.action}` };
          if (a.goto && (chain === start || !pop(t('return from {0}', a.chain)))) return policy();
          if (!a.goto) i++;
          continue;
        }
        case 'target': {
          const r = this.choose(a.target.run(ctx), rule, a.target.text);
          step.action = r.action;
          if (r.changed.length) step.changed = r.changed;
          if (r.notes?.length) step.notes = [...(step.notes ?? []), ...r.notes];
          if (r.verdict === 'accept') return { verdict: 'accept' };
          if (r.verdict === 'drop') return { verdict: 'drop', reason: `${rule.id} ${r.action}`, rejectWith: r.rejectWith };
          i++;
          continue;
        }
      }
    }
  }

  /**
   * The rules the chain's index says the packet cannot match, up to the next
   * one it could: each recorded as trying it would (no match, and the first
   * criterion that fails). Returns where the walk goes on.
   */
  private passOver(chain: CompiledChain, cursor: IndexCursor, from: number, hook: Hook, ctx: EvalContext): number {
    const to = cursor.next(from);
    this.visits += to - from;
    if (this.visits > MAX_RULE_VISITS) throw new Error(t('the rule walk does not end (a jump loop?)'));
    for (let k = from; k < to; k++) this.steps.push(this.ruleStep(chain.rules[k], hook, false, cursor.failed(k, ctx)));
    return to;
  }

  /** A target whose effect the scenario does not settle: the decider picks, and the outcome records it. */
  private choose(r: TargetResult | TargetChoice, rule: CompiledRule, what: string): TargetResult {
    if (!('choose' in r)) return r;
    return this.decider.decide(r.choose, this.options.label, rule.id, what, this.stepsSoFar()) ? r.yes : r.no;
  }

  /**
   * The criteria in order. An uncertain one is settled by the decider, unless a
   * later criterion without side effects fails anyway.
   */
  private evaluate(rule: CompiledRule, ctx: EvalContext): { ok: boolean | 'maybe'; failed?: string; assumed?: string } {
    const cs = rule.criteria;
    let assumed: string | undefined;
    for (let k = 0; k < cs.length; k++) {
      const r = cs[k].test(ctx);
      if (r === true) continue;
      if (r === false || this.skb.hotdrop) return { ok: false, failed: cs[k].text, assumed };
      let sideEffects = false;
      for (let later = k + 1; later < cs.length; later++) {
        if (cs[later].stateful) sideEffects = true;
        else if (cs[later].test(ctx) === false) return { ok: false, failed: cs[later].text, assumed };
      }
      // A rule that only counts or logs changes nothing either way: no need to follow two outcomes.
      if (!sideEffects && inert(rule)) {
        return { ok: 'maybe', assumed: t('{0}: may or may not match ({1}); the walk goes on the same either way', cs[k].text, r.reason) };
      }
      const yes = this.decider.decide(r, this.options.label, rule.id, cs[k].text, this.stepsSoFar());
      const chance = r.probability === undefined ? '' : t(' (probability {0})', round(yes ? r.probability : 1 - r.probability));
      assumed = yes ? t('{0}: assumed to match{1}: {2}', cs[k].text, chance, r.reason) : t('{0}: assumed not to match{1}: {2}', cs[k].text, chance, r.reason);
      if (!yes) return { ok: false, failed: cs[k].text, assumed };
    }
    return { ok: true, assumed };
  }

  /** The probe's steps that are final: the last one may still be given its action. */
  private stepsSoFar(): number {
    return this.options.label === 'probe' ? Math.max(0, this.steps.length - 1) : 0;
  }

  private ruleStep(rule: CompiledRule, hook: Hook, matched: boolean, failed?: string, assumed?: string): Step {
    const step: Step = { kind: 'rule', hook, table: rule.table, chain: rule.chain, rule: rule.index, line: rule.line, text: rule.text, matched };
    if (failed) step.failed = failed;
    if (assumed) step.assumed = assumed;
    return step;
  }

  private event(hook: Hook | undefined, message: string, table?: string, changed?: string[]): void {
    const step: Step = { kind: 'event', message };
    if (hook) step.hook = hook;
    if (table) step.table = table;
    if (changed?.length) step.changed = changed;
    this.steps.push(step);
  }

  // ---- conntrack confirmation and the result ------------------------------------------------------------

  /** nf_conntrack_confirm at the end of INPUT or POSTROUTING: the connection now exists for later packets. */
  private confirm(): void {
    const ct = this.skb.ct;
    if (ct.kind === 'tracked' && !ct.conn.confirmed) this.state.conntrack.confirm(ct.conn);
  }

  private dropped(reason: string, rejectWith?: string, sendError?: string): PacketResult {
    this.event(undefined, t('dropped: {0}', reason));
    return this.finish('dropped', { dropReason: reason, rejectWith, sendError });
  }

  /** A packet the IPv6 stack stopped, in the words of where it stopped. */
  private stopped(d: StackDrop): PacketResult {
    this.event(undefined, t('{0}: {1}', stopWords(d.stop), d.reason) + (d.icmp ? t(' (answered with {0})', d.icmp) : ''));
    return this.finish('dropped', { dropReason: d.reason, rejectWith: d.icmp, stop: d.stop });
  }

  private finish(fate: Fate, extra: Partial<PacketResult>): PacketResult {
    const ct = this.skb.ct;
    const result: PacketResult = {
      steps: this.steps, hits: this.hits, maybeHits: this.maybeHits, fate, packet: this.skb.pkt, notes: this.notes, undetermined: this.skb.undetermined,
    };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) (result as unknown as Record<string, unknown>)[k] = v;
    const name = ctStateName(ct);
    if (name) result.ctState = name;
    if (ct.kind === 'tracked') result.connection = ct.conn;
    return result;
  }
}

const heldLocally = (): StackDrop => ({ stop: 'held', reason: t('defragmentation at the head of OUTPUT (priority -400, with conntrack) holds the host\'s own lone fragment until the others come: no table sees it') });

/** What became of a packet the stack stopped, in words. */
export function stopWords(stop: StackStop): string {
  switch (stop) {
    case 'before-hooks': return t('dropped before PREROUTING');
    case 'held': return t('held for reassembly');
    case 'after-input': return t('dropped after INPUT');
    case 'not-forwarded': return t('not forwarded');
  }
}

function inert(rule: CompiledRule): boolean {
  return rule.action.kind === 'continue' || (rule.action.kind === 'target' && rule.action.target.inert === true);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
