// The symbolic engine checked against the concrete one: packets drawn from
// each class (at random, and at the corners of its ranges) are traced one by
// one, and each must meet the fate (and, for a fine analysis, take the way)
// its class says. A packet that lies in no class, or in two classes that
// claim a decided answer, is a failure too.
import type { Analysis, PacketClass } from '../../server/src/engine/symbolic';
import { parseScenario, traceScenario, type Trace } from '../../server/src/engine';
import { cubeContains, pointJson, randomPoint, seededRandom, type Cube, type Point } from '../../server/src/engine/symbolic/space';
import { hostJson } from '../../server/src/engine/symbolic/words';
import { showAddress } from '../../server/src/engine/json';
import { readFileSync } from 'node:fs';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { serviceAnalysis } from '../../server/src/engine/symbolic/matrix';
import { corpusSaveFiles } from './shared';
import type { Ruleset } from '../../server/src/model/ruleset';

export interface Mismatch {
  packet: unknown;
  expected: string;
  actual: string;
}

export interface SoundnessReport {
  classes: number;
  packets: number;
  mismatches: Mismatch[];
}

/** The concrete trace of one point of the space. */
export function traceOfPoint(a: Analysis, p: Point, conntrack = false): Trace {
  const host = hostJson(a.host);
  const json = { ...(host ? { host } : {}), packet: pointJson(p, a.host, a.ruleset.family), ...(conntrack ? { conntrack: 'on' } : {}) };
  return traceScenario(a.ruleset, parseScenario(JSON.parse(JSON.stringify(json)), a.ruleset.family));
}

function decided(c: PacketClass): boolean {
  return c.fate !== 'unknown' && c.assumptions.length === 0;
}

/**
 * Draws `perClass` packets from every class (half of them at corners) and
 * checks each against the concrete trace. `fine`: the class's counters and
 * rewritten fields must be the trace's too.
 */
export function checkSoundness(a: Analysis, options: { perClass: number; seed: number; fine?: boolean; conntrack?: boolean }): SoundnessReport {
  const random = seededRandom(options.seed);
  const mismatches: Mismatch[] = [];
  let packets = 0;
  const cubesOf = a.classes.map((c) => c.cubes);
  for (const c of a.classes) {
    for (let i = 0; i < options.perClass; i++) {
      const cube: Cube = c.cubes[Math.floor(random() * c.cubes.length)];
      const p = randomPoint(cube, random, (i + a.classes.indexOf(c)) % 2 === 1);
      const packet = pointJson(p, a.host, a.ruleset.family);
      const holders = a.classes.filter((_, k) => cubesOf[k].some((q) => cubeContains(q, p)));
      const fail = (expected: string, actual: string) => mismatches.push({ packet, expected, actual });
      if (holders.filter(decided).length > 0 && holders.length > 1) {
        fail('one class', `${holders.length} classes: ${holders.map((h) => h.fate).join(', ')}`);
        continue;
      }
      // An unknown answer is no claim a trace could contradict.
      if (!decided(c) && holders.some((h) => h.fate === 'unknown')) continue;
      packets++;
      const t = traceOfPoint(a, p, options.conntrack);
      const fates = new Set(t.outcomes.map((o) => o.fate));
      if (decided(c)) {
        if (t.fate !== c.fate) {
          fail(`${c.fate} (${c.dropReason ?? c.outInterface ?? ''})`, `${t.fate} (${t.dropReason ?? t.outInterface ?? ''}) hits ${t.hits.join(' ')}`);
          continue;
        }
        if ((c.fate === 'forwarded' || c.fate === 'sent') && t.outInterface !== c.outInterface) fail(`out ${c.outInterface}`, `out ${t.outInterface}`);
        if (options.fine && c.hits.join(' ') !== t.hits.join(' ')) fail(`hits ${c.hits.join(' ')}`, `hits ${t.hits.join(' ')}`);
        if (options.fine) {
          for (const [dim, field] of [['src', 'source'], ['dst', 'destination'], ['sport', 'sourcePort'], ['dport', 'destinationPort']] as const) {
            const v = c.rewritten[dim];
            if (v?.kind !== 'const') continue;
            const want = dim === 'src' || dim === 'dst' ? showAddress(v.value, a.ruleset.family) : Number(v.value);
            if (t.packetOut?.[field] !== want) fail(`${field} ${want} after NAT`, `${field} ${String(t.packetOut?.[field])}`);
          }
        }
        continue;
      }
      // An answer the analysis takes both ways: each way the trace can go is a class holding the packet.
      const known = new Set(holders.map((h) => h.fate));
      for (const f of fates) if (!known.has(f)) fail(`one of ${[...known].join(', ')}`, `${f} (${t.dropReason ?? t.outInterface ?? ''})`);
    }
  }
  return { classes: a.classes.length, packets, mismatches };
}

/**
 * The tcp:22 matrix (or what `analyse` makes of the file, given its place in
 * the folder) of every corpus file of one folder (`save`, `save6`), each class checked with one packet (at random, or at a corner for every
 * other class): the failures, at most three per file, and how much was checked.
 */
export function corpusSoundness(folder: 'save' | 'save6', analyse: (r: Ruleset, file: number) => Analysis = (r) => serviceAnalysis(r, { protocol: 6, port: 22 })): { files: number; classes: number; packets: number; failures: string[] } {
  const out = { files: 0, classes: 0, packets: 0, failures: [] as string[] };
  for (const [i, f] of corpusSaveFiles().filter((x) => x.name.startsWith(`${folder}/`)).entries()) {
    const ruleset = analyseSaveText(readFileSync(f.path, 'utf8'), { ...DEFAULT_OPTIONS, family: folder === 'save6' ? 'ipv6' : 'ipv4' }).ruleset;
    if (!ruleset) continue;
    const r = checkSoundness(analyse(ruleset, i), { perClass: 1, seed: f.name.length });
    out.files++;
    out.packets += r.packets;
    out.classes += r.classes;
    for (const m of r.mismatches.slice(0, 3)) out.failures.push(`${f.name}: ${JSON.stringify(m.packet)}: class says ${m.expected}, trace ${m.actual}`);
  }
  return out;
}
