// The symbolic engine: the concrete engine's traversal over every packet at
// once. The packet space (space.ts) is cut into classes: sets of packets
// that take the same way (the same counters move, the same assumptions
// hold) and meet the same fate. Each class says which packets it holds, and
// gives an example any of them would do for `iptables-trace --scenario`.
import type { Hook } from '../../knowledge';
import type { Ruleset } from '../../model/ruleset';
import { compileRuleset } from '../compile';
import { defaultHost, type Host } from '../host';
import type { JsonObject } from '../json';
import type { StackStop } from '../ipv6Stack';
import type { Fate } from '../traverse';
import { IntervalSet } from './intervals';
import { newSkb, Piece, Setting, SymbolicAssumption, View } from './piece';
import { AddressRegions } from './regions';
import { Cube, DIMS, examplePoint, pointJson, SpaceLimits, wholeSpace } from './space';
import { joinCubes } from './join';
import { Leaf, SymbolicWalk } from './walk';

export interface AnalysisOptions {
  /** The host the rules run on (default: the example router, with the interfaces the rules name). */
  host?: Host;
  /** Only these packets (a port, a protocol, an interface...). */
  limits?: SpaceLimits;
  /** `on`: conntrack runs even if no rule needs it. */
  conntrack?: 'auto' | 'on';
  /** Fates only: pieces that meet again in the same state are joined whatever their way (see walk.ts). */
  coarse?: boolean;
}

/** A class of packets: the same way, the same fate. */
export interface PacketClass {
  /** The packets, as a union of cubes of the input space. */
  cubes: Cube[];
  fate: Fate | 'unknown';
  /** Why the analysis cannot say the fate. */
  unknown?: string;
  hooks: Hook[];
  hits: string[];
  maybeHits: string[];
  /** What the way assumes of answers nobody can give (a rate limit...) or the analysis does not split by. */
  assumptions: SymbolicAssumption[];
  inInterface: string | null;
  outInterface: string | null;
  dropReason?: string;
  rejectWith?: string;
  sendError?: string;
  /** The IPv6 stack, not a rule, stopped them: before the hooks, after INPUT, or not forwarded. */
  stop?: StackStop;
  /** Fields the way rewrote (NAT), as they leave. */
  rewritten: Partial<Record<(typeof DIMS)[number], View>>;
}

export interface Analysis {
  ruleset: Ruleset;
  host: Host;
  classes: PacketClass[];
  /** How many pieces the walk ended with, before classes were joined. */
  leaves: number;
}

/**
 * The default router of the concrete engine, with an interface (without
 * addresses) for each name the rules (of one ruleset or several) give `-i` or `-o` that it does not have:
 * packets may arrive on them, though no route leads out of them.
 */
export function hostForRules(rulesets: Ruleset | Ruleset[], base?: Host): Host {
  // One host per ruleset: what is worked out for a host (each rule's criteria over sets) is kept for the next analysis.
  const one = !Array.isArray(rulesets) && base === undefined;
  const known = one ? HOSTS.get(rulesets) : undefined;
  if (known) return known;
  const host = hostWithNames(rulesets, base ?? defaultHost());
  if (one) HOSTS.set(rulesets, host);
  return host;
}

const HOSTS = new WeakMap<Ruleset, Host>();

function hostWithNames(rulesets: Ruleset | Ruleset[], base: Host): Host {
  const names = new Set<string>();
  for (const t of [rulesets].flat().flatMap((r) => [...r.tables.values()])) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        // The facts keep the interfaces: a rule's whole command is parsed again on each look at its spec.
        for (const x of [r.facts.input, r.facts.output]) {
          const name = x?.value.unknown === undefined ? x?.value.text : undefined;
          if (name && !name.endsWith('+') && name.length <= 15 && !base.interfaces.has(name)) names.add(name);
        }
      }
    }
  }
  if (names.size === 0) return base;
  const interfaces = new Map(base.interfaces);
  for (const name of [...names].sort()) interfaces.set(name, { name, addresses: [], mac: null, group: 0, loopback: false, rpFilter: 0, routeLocalnet: false });
  return { ...base, interfaces };
}

export function analyseRuleset(ruleset: Ruleset, options: AnalysisOptions = {}): Analysis {
  const host = options.host ?? hostForRules(ruleset);
  const setting: Setting = { host, family: ruleset.family, regions: new AddressRegions(host, ruleset.family) };
  const rs = compileRuleset(ruleset);
  const walk = new SymbolicWalk(rs, ruleset, setting, options.conntrack === 'on' || rs.conntrack, options.coarse);
  const leaves: Leaf[] = [];
  for (const cube of wholeSpace(host, ruleset.family, options.limits)) {
    for (const piece of walk.withOpeners({ cube, views: {}, patch: {}, skb: newSkb(), hits: [], maybeHits: [], assumptions: [] })) leaves.push(...walk.run(piece));
  }
  return { ruleset, host, classes: joinLeaves(leaves), leaves: leaves.length };
}

function leafKey(l: Leaf): string {
  const p = l.piece;
  return JSON.stringify([l.fate, l.unknown, l.hooks, p.hits, p.maybeHits, p.assumptions, l.inInterface, l.outInterface, l.dropReason, l.rejectWith, l.sendError, l.stop, p.views],
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof IntervalSet ? [...v.ranges()].map((r) => r.join('-')).join(',') : v));
}

/** Leaves with the same way and fate make one class; their cubes are joined where they differ in one field only. */
function joinLeaves(leaves: Leaf[]): PacketClass[] {
  const groups = new Map<string, Leaf[]>();
  for (const l of leaves) {
    const k = leafKey(l);
    const g = groups.get(k);
    if (g) g.push(l);
    else groups.set(k, [l]);
  }
  return [...groups.values()].map((g) => {
    const l = g[0];
    const c: PacketClass = {
      cubes: joinCubes(g.map((x) => x.piece.cube)), fate: l.fate, hooks: l.hooks, hits: l.piece.hits, maybeHits: l.piece.maybeHits,
      assumptions: l.piece.assumptions, inInterface: l.inInterface, outInterface: l.outInterface, rewritten: viewsOf(l.piece),
    };
    for (const k of ['unknown', 'dropReason', 'rejectWith', 'sendError', 'stop'] as const) if (l[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = l[k];
    return c;
  });
}

function viewsOf(p: Piece): PacketClass['rewritten'] {
  const out: PacketClass['rewritten'] = {};
  for (const [d, v] of Object.entries(p.views)) if (d !== 'in') out[d as (typeof DIMS)[number]] = v;
  return out;
}

/** A member of the class as the scenario's packet JSON: `iptables-trace --scenario` takes it as it is. */
export function exampleOf(c: PacketClass, a: Analysis): JsonObject {
  return pointJson(examplePoint(c.cubes[0], a.ruleset.family), a.host, a.ruleset.family);
}

export { IntervalSet } from './intervals';
export type { Cube, Dim, SpaceLimits } from './space';
export type { SymbolicAssumption, View } from './piece';
