// The semantic diff: what a change to a ruleset changes for the packets. Both
// rulesets are analysed over the same packets on the same host; a packet
// changed when an outcome (its fate, where it leaves, the answer sent, what
// NAT makes of it) is possible under one ruleset and not under the other. Which
// rule decides does not count: a reordering that leaves every fate as it was
// changes nothing.
import type { Hook } from '../../knowledge';
import { t } from '../../l10n';
import type { Ruleset } from '../../model/ruleset';
import type { Host } from '../host';
import type { JsonObject } from '../json';
import type { Fate } from '../traverse';
import { analyseRuleset, type Analysis, hostForRules, type PacketClass } from '.';
import { joinCubes } from './join';
import { mainHook, rewriteWords } from './matrix';
import { compileRuleset } from '../compile';
import { IntervalSet } from './intervals';
import { type Cube, CT_FIRST, CT_STATES, examplePoint, intersectCubes, pointJson, type SpaceLimits, subtractCube } from './space';
import { cubeWords, fateOutWords, hostJson } from './words';

export interface DiffOptions {
  host?: Host;
  limits?: SpaceLimits;
  conntrack?: 'auto' | 'on';
}

/** What becomes of a packet, as far as the diff is concerned. */
export interface Outcome {
  fate: Fate | 'unknown';
  hook: Hook;
  outInterface: string | null;
  rejectWith: string | null;
  /** NAT's rewrites in words (`destination → 10.0.0.2`). */
  rewrites: string[];
  /** Why, in words: the rule or policy that dropped, what the fate is unknown for. */
  reason?: string;
}

export interface SemanticChange {
  before: Outcome;
  after: Outcome;
  /** The packets, as disjoint cubes, and each in words. */
  cubes: Cube[];
  packets: string[];
  /** A scenario `iptables-trace --scenario` takes as it is: one packet of the change. */
  example: JsonObject;
  /** `tcp to port 22 from anywhere to 203.0.113.1 on eth0: dropped before, delivered now`. */
  words: string[];
}

export interface SemanticDiff {
  family: Ruleset['family'];
  host: Host;
  changes: SemanticChange[];
}

function outcomeOf(c: PacketClass, a: Analysis): Outcome {
  return {
    fate: c.fate, hook: mainHook(c), outInterface: c.fate === 'forwarded' || c.fate === 'sent' ? c.outInterface : null, rejectWith: c.rejectWith ?? null,
    rewrites: rewriteWords(c.rewritten, a.ruleset.family), ...(c.unknown || c.dropReason ? { reason: c.unknown ?? c.dropReason } : {}),
  };
}

/** What makes two outcomes the same: not the reason (which rule decided). */
function outcomeKey(o: Outcome): string {
  return JSON.stringify([o.fate, o.hook, o.outInterface, o.rejectWith, o.rewrites]);
}

interface Side {
  /** Per outcome: its packets (all classes), and those of classes resting on an assumption (the only ones that overlap others). */
  byOutcome: Map<string, { outcome: Outcome; cubes: Cube[]; uncertain: Cube[] }>;
}

function sideOf(a: Analysis): Side {
  const byOutcome: Side['byOutcome'] = new Map();
  for (const c of a.classes) {
    const outcome = outcomeOf(c, a);
    const k = outcomeKey(outcome);
    let g = byOutcome.get(k);
    if (!g) byOutcome.set(k, (g = { outcome, cubes: [], uncertain: [] }));
    g.cubes.push(...c.cubes);
    if (c.assumptions.length || c.fate === 'unknown') g.uncertain.push(...c.cubes);
  }
  return { byOutcome };
}

function intersectAll(xs: Cube[], ys: Cube[]): Cube[] {
  const out: Cube[] = [];
  for (const x of xs) for (const y of ys) {
    const c = intersectCubes(x, y);
    if (c) out.push(c);
  }
  return out;
}

function subtractAll(xs: Cube[], ys: Cube[]): Cube[] {
  let out = xs;
  for (const y of ys) {
    out = out.flatMap((x) => subtractCube(x, y));
    if (out.length === 0) break;
  }
  return out;
}

function fateWords(o: Outcome): string {
  const fate = fateOutWords(o.fate, o.outInterface);
  const answered = o.rejectWith ? t('{0} with {1}', fate, o.rejectWith) : fate;
  return o.rewrites.length ? `${answered} (NAT: ${o.rewrites.join(', ')})` : answered;
}

/** The packets whose outcome differs between `a` (before) and `b` (after), in classes by the outcomes before and after. */
export function semanticDiff(a: Ruleset, b: Ruleset, options: DiffOptions = {}): SemanticDiff {
  const host = options.host ?? hostForRules([a, b]);
  // Every packet of a connection, not only its first, where conntrack runs: an edit of what established connections may do is a change too.
  const tracked = options.conntrack === 'on' || [a, b].some((r) => compileRuleset(r).conntrack);
  const limits = { ct: tracked ? CT_STATES : IntervalSet.of(CT_FIRST), ...options.limits };
  const analyse = (r: Ruleset) => analyseRuleset(r, { host, limits, conntrack: options.conntrack, coarse: true });
  const [before, after] = [sideOf(analyse(a)), sideOf(analyse(b))];
  const scenarioHost = hostJson(host);
  const changes: SemanticChange[] = [];
  for (const [ka, ga] of before.byOutcome) {
    for (const [kb, gb] of after.byOutcome) {
      if (ka === kb) continue;
      const both = intersectAll(ga.cubes, gb.cubes);
      if (both.length === 0) continue;
      // Packets that could meet the new outcome before, and could still meet the old one now, did not change.
      const wasPossible = before.byOutcome.get(kb)?.uncertain ?? [];
      const stillPossible = after.byOutcome.get(ka)?.uncertain ?? [];
      const changed = subtractAll(both, intersectAll(wasPossible, stillPossible));
      if (changed.length === 0) continue;
      const cubes = joinCubes(changed);
      const packets = cubes.map((c) => cubeWords(c, host, a.family));
      const example: JsonObject = { ...(scenarioHost ? { host: scenarioHost } : {}), packet: pointJson(examplePoint(cubes[0], a.family), host, a.family) };
      if (options.conntrack === 'on') example.conntrack = 'on';
      const verdict = t('{0} before, {1} now', fateWords(ga.outcome), fateWords(gb.outcome));
      changes.push({ before: ga.outcome, after: gb.outcome, cubes, packets, example, words: packets.map((p) => `${p}: ${verdict}`) });
    }
  }
  return { family: a.family, host, changes };
}

/** The diff in words: one line per set of packets, or that nothing changed. */
export function semanticDiffText(d: SemanticDiff, names: { a: string; b: string }): string {
  const family = d.family === 'ipv4' ? 'IPv4' : 'IPv6';
  if (d.changes.length === 0) return t('{0}: no packet\'s fate changes from {1} to {2}', family, names.a, names.b) + '\n';
  const out = [t('{0}: what changes from {1} (before) to {2} (now):', family, names.a, names.b)];
  for (const c of d.changes) {
    for (const w of c.words) out.push(`  ${w}`);
    const why = [c.before.reason && t('before: {0}', c.before.reason), c.after.reason && t('now: {0}', c.after.reason)].filter(Boolean).join('; ');
    if (why) out.push(`    (${why})`);
  }
  return out.join('\n') + '\n';
}

export function semanticDiffJson(d: SemanticDiff): JsonObject {
  return {
    family: d.family, host: hostJson(d.host) ?? null, equal: d.changes.length === 0,
    changes: d.changes.map((c) => ({ before: { ...c.before }, after: { ...c.after }, packets: c.packets, words: c.words, example: c.example })),
  };
}
