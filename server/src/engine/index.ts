// The traversal engine: which rules a packet hits and what becomes of it, as
// the Linux kernel decides. Pure (no Node, no VS Code): the CLI, the trace
// panel and the tests all call traceScenario().
import type { Ruleset } from '../model/ruleset';
import { INDEX_FROM } from './chainIndex';
import { compileRuleset, CompiledRuleset } from './compile';
import { CtInfo, declaredConnection } from './conntrack';
import { Host, localOwner, lookupRoute } from './host';
import type { StackStop } from './ipv6Stack';
import type { JsonObject } from './json';
import { clonePacket, ICMP, ICMPV6, Packet, packetJson, TCP, TCP_FLAG_BITS } from './packet';
import type { Scenario } from './scenario';
import type { EngineState } from './state';
import { Assumption, Decider, Fate, PacketResult, PacketRun, Step } from './traverse';
import { t } from '../l10n';

export interface Outcome {
  /** The uncertain answers this outcome assumes (none when the trace is decided). */
  assumptions: Assumption[];
  /** The chance of this outcome, when every assumption has a known probability. */
  probability?: number;
  steps: Step[];
  /** Counters that move, in the kernel's notation: `filter/INPUT/3`, `filter/INPUT/policy:DROP`. */
  hits: string[];
  /** Counters of rules that only count or log, whose match is uncertain: they may move or not. */
  maybeHits: string[];
  fate: Fate;
  inInterface: string | null;
  outInterface: string | null;
  rejectWith: string | null;
  sendError: string | null;
  dropReason: string | null;
  /** The IPv6 stack, not a rule, stopped the packet: before the hooks, held for reassembly, after INPUT, or before FORWARD. */
  stop: StackStop | null;
  /** The packet as it left, was delivered or was dropped (after NAT, TTL decrement, marks). */
  packetOut: JsonObject;
  ctState: string | null;
  notes: string[];
}

export interface SetupSummary {
  label: string;
  fate: Fate;
  hits: string[];
}

export interface Trace extends Omit<Outcome, 'assumptions' | 'probability' | 'fate' | 'packetOut'> {
  /** True when the packet and the scenario decide the walk (maybeHits aside). */
  decided: boolean;
  /** The fate all outcomes share, or `unknown`. */
  fate: Fate | 'unknown';
  /** The packet out, when all outcomes agree on it. */
  packetOut: JsonObject | null;
  /** Conntrack ran (a rule needs it, or the scenario forces it). */
  conntrack: boolean;
  /** Every way the trace can go; one when decided. */
  outcomes: Outcome[];
  /** The packets before the probe (history, and the opener of a declared connection). */
  setup: SetupSummary[];
  /** More outcomes exist than were explored. */
  truncated: boolean;
}

export interface TraceOptions {
  /** Outcomes explored at most where matches are undecided (32). */
  maxOutcomes?: number;
  /** Chains of at least this many rules are walked through their index (Infinity: every rule tried in turn, as the tests compare). */
  indexFrom?: number;
}

/** Traces one packet through a ruleset: every outcome where a match is undecided, up to `maxOutcomes`. */
export function traceScenario(ruleset: Ruleset, scenario: Scenario, options: TraceOptions = {}): Trace {
  const { maxOutcomes = 32, indexFrom = INDEX_FROM } = options;
  const rs = compileRuleset(ruleset);
  const conntrack = scenario.conntrack === 'on' || rs.conntrack;
  const outcomes: Outcome[] = [];
  const stepsBefore: number[][] = [];
  const pending: boolean[][] = [[]];
  let setup: SetupSummary[] = [];
  while (pending.length && outcomes.length < maxOutcomes) {
    const forced = pending.shift()!;
    const decider = new Decider(forced);
    const run = runOnce(rs, scenario, { conntrack, indexFrom }, decider);
    if (outcomes.length === 0) setup = run.setup;
    outcomes.push(outcomeOf(run.probe, decider.taken));
    stepsBefore.push(decider.stepsBefore);
    // Every answer taken beyond the forced ones could have gone the other way.
    for (let i = forced.length; i < decider.taken.length; i++) {
      pending.push([...decider.taken.slice(0, i).map((a) => a.assumed === 'match'), decider.taken[i].assumed !== 'match']);
    }
  }
  return summarise(outcomes, sharedSteps(outcomes, stepsBefore[0] ?? []), setup, conntrack, pending.length > 0);
}

interface Run {
  probe: PacketResult;
  setup: SetupSummary[];
}

function runOnce(rs: CompiledRuleset, scenario: Scenario, walk: { conntrack: boolean; indexFrom: number }, decider: Decider): Run {
  const { conntrack } = walk;
  const state = scenario.makeState();
  const setup: SetupSummary[] = [];
  const run = (p: Packet, label: string, declared?: CtInfo): PacketResult => {
    const r = new PacketRun(rs, scenario.host, state, decider, { ...walk, label, declared }, p).run();
    if (label !== 'probe') setup.push({ label, fate: r.fate, hits: r.hits });
    return r;
  };
  scenario.history.forEach((h, i) => {
    state.now = -h.secondsBefore;
    run(h, `history[${i}]`);
  });
  state.now = 0;
  const probe = scenario.packet;
  const notes: string[] = [];
  let declared: CtInfo | undefined;
  if (probe.ctState && conntrack) declared = declare(probe, scenario.host, state, run, notes);
  else if (probe.ctState && probe.ctState !== 'NEW') notes.push(t('conntrack is not running (no rule needs it), so the declared state {0} plays no part', probe.ctState));
  const result = run(probe, 'probe', declared);
  result.notes.push(...notes);
  if (probe.ctState && declared === undefined && result.ctState && result.ctState !== probe.ctState && conntrack) {
    result.notes.push(t('the scenario says {0}, but conntrack sees this packet as {1}', probe.ctState, result.ctState));
  }
  return { probe: result, setup };
}

/**
 * A declared state. ESTABLISHED is built as the oracle builds it: the
 * connection's first packet (and for an original-direction probe, the answer)
 * goes through the ruleset first, so NAT bindings are the ruleset's own.
 */
function declare(probe: Packet, host: Host, state: EngineState, run: (p: Packet, label: string) => PacketResult, notes: string[]): CtInfo | undefined {
  switch (probe.ctState) {
    case 'INVALID': return { kind: 'invalid', reason: t('declared by the scenario') };
    case 'UNTRACKED': return { kind: 'untracked' };
    case 'RELATED':
      return { kind: 'tracked', conn: declaredConnection(state.conntrack, probe, 'original', state.now, true), dir: 'original', state: 'RELATED' };
    case 'ESTABLISHED': {
      const original = probe.ctDirection === 'original';
      const opener = original ? openerOf(probe) : openerOf(reversed(probe, host));
      const first = run(opener, 'opener');
      if (first.fate === 'dropped') {
        notes.push(t('the connection\'s first packet is dropped by this ruleset ({0}); the connection is taken to predate the rules, without NAT', first.dropReason));
        declaredConnection(state.conntrack, probe, probe.ctDirection, state.now);
        return undefined;
      }
      if (original) run(replyTo(first, host), 'opener reply');
      return undefined;
    }
    default: return undefined;
  }
}

/** The first packet of the probe's flow: a SYN, an echo request, or the datagram itself. */
export function openerOf(p: Packet): Packet {
  const o = clonePacket(p);
  o.ctState = null;
  o.ctDirection = 'original';
  if (o.protocol === TCP) {
    o.length -= o.payload.length;
    o.tcpFlags = TCP_FLAG_BITS.SYN;
    o.payload = new Uint8Array(0);
  } else if ((o.protocol === ICMP || o.protocol === ICMPV6) && !o.inner) {
    o.icmpType = o.protocol === ICMP ? 8 : 128;
    o.icmpCode = 0;
  }
  return o;
}

/** The packet going the other way, arriving where the host routes its source (or sent by the host). */
export function reversed(p: Packet, host: Host): Packet {
  const r = clonePacket(p);
  [r.source, r.destination, r.sourcePort, r.destinationPort] = [p.destination, p.source, p.destinationPort, p.sourcePort];
  if (r.protocol === ICMP) r.icmpType = p.icmpType === 0 ? 8 : p.icmpType === 8 ? 0 : p.icmpType;
  if (r.protocol === ICMPV6) r.icmpType = p.icmpType === 129 ? 128 : p.icmpType === 128 ? 129 : p.icmpType;
  r.inInterface = localOwner(host, p.family, r.source) ? null : lookupRoute(host, p.family, r.source)?.dev ?? p.inInterface;
  r.sourceMac = null;
  r.destinationMac = null;
  r.mark = 0;
  r.ttl = 64;
  return r;
}

/** The answer to the opener, from where it arrived: the host itself, or the network it left by. */
function replyTo(first: PacketResult, host: Host): Packet {
  const r = reversed(first.packet, host);
  r.inInterface = first.fate === 'delivered' ? null : first.outInterface ?? null;
  r.outInterface = null;
  if (r.protocol === TCP) r.tcpFlags = TCP_FLAG_BITS.SYN | TCP_FLAG_BITS.ACK;
  return r;
}

function outcomeOf(r: PacketResult, assumptions: Assumption[]): Outcome {
  const known = assumptions.every((a) => a.probability !== undefined);
  const packetOut = packetJson(r.packet);
  if (Object.keys(r.undetermined).length) packetOut.undetermined = r.undetermined;
  const o: Outcome = {
    assumptions: [...assumptions],
    steps: r.steps, hits: r.hits, maybeHits: r.maybeHits, fate: r.fate,
    inInterface: r.inInterface ?? null, outInterface: r.outInterface ?? null, rejectWith: r.rejectWith ?? null,
    sendError: r.sendError ?? null, dropReason: r.dropReason ?? null, stop: r.stop ?? null, packetOut, ctState: r.ctState ?? null, notes: r.notes,
  };
  if (assumptions.length && known) o.probability = assumptions.reduce((p, a) => p * a.probability!, 1);
  return o;
}

/** The same fields with the same values (a step's lists hold strings). */
function sameStep(a: Step, b: Step): boolean {
  const keys = Object.keys(a) as (keyof Step)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}

function same<T>(values: T[]): T | undefined {
  const first = JSON.stringify(values[0]);
  return values.every((v) => JSON.stringify(v) === first) ? values[0] : undefined;
}

/**
 * How many first steps all outcomes share. An outcome's run took the first
 * outcome's answers up to the one it turned around: their steps agree at
 * least until that question was asked, and are compared from there.
 */
function sharedSteps(outcomes: Outcome[], firstStepsBefore: number[]): number {
  const first = outcomes[0];
  let common = first.steps.length;
  for (const o of outcomes.slice(1)) {
    let turned = 0;
    while (turned < o.assumptions.length && o.assumptions[turned].assumed === first.assumptions[turned]?.assumed) turned++;
    let k = Math.min(common, firstStepsBefore[turned] ?? 0);
    while (k < common && k < o.steps.length && sameStep(o.steps[k], first.steps[k])) k++;
    common = k;
  }
  return common;
}

/** The trace: the one outcome when decided, else what all outcomes share (the first `common` steps). */
function summarise(outcomes: Outcome[], common: number, setup: SetupSummary[], conntrack: boolean, truncated: boolean): Trace {
  const decided = outcomes.length === 1 && outcomes[0].assumptions.length === 0;
  const first = outcomes[0];
  const hitsEverywhere = first.hits.filter((h) => outcomes.every((o) => o.hits.includes(h)));
  const pick = <K extends keyof Outcome>(k: K): Outcome[K] | null => (same(outcomes.map((o) => o[k])) ?? null) as Outcome[K] | null;
  return {
    decided,
    fate: pick('fate') ?? 'unknown',
    inInterface: pick('inInterface'),
    outInterface: pick('outInterface'),
    rejectWith: pick('rejectWith'),
    sendError: pick('sendError'),
    dropReason: pick('dropReason'),
    stop: pick('stop'),
    packetOut: pick('packetOut'),
    ctState: pick('ctState'),
    hits: decided ? first.hits : hitsEverywhere,
    maybeHits: [...new Set(outcomes.flatMap((o) => o.maybeHits))],
    steps: decided ? first.steps : first.steps.slice(0, common),
    notes: [...new Set(outcomes.flatMap((o) => o.notes))],
    conntrack,
    outcomes,
    setup,
    truncated,
  };
}

export { compileRuleset } from './compile';
export { defaultHost, DEFAULT_HOST_JSON, parseHost } from './host';
export type { Host } from './host';
export { ScenarioError } from './json';
export { packetFromShorthand, parsePacket, shorthandHelp } from './packet';
export type { Packet } from './packet';
export { parseScenario, scenarioOf } from './scenario';
export type { Scenario } from './scenario';
export type { Assumption, Fate, Step } from './traverse';
export type { StackStop } from './ipv6Stack';
