// The symbolic engine against the real kernel: every recorded case (the
// kernel's answer to one ruleset and one packet, ../shared/kernel/oracle)
// whose packet is one the analysis covers (a connection's first packet, or
// one of an established or related connection as the oracle builds it, with
// no other history, no payload, the scenario's default TTL, TOS and options)
// is analysed for that packet alone; the class holding it must have the
// kernel's fate, and a decided class the kernel's counters. A class whose
// fate the analysis does not know makes no claim: counted apart.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { parseHost, parsePacket } from '../../server/src/engine';
import { analyseRuleset } from '../../server/src/engine/symbolic';
import { cubeContains, pointJson, pointLimits, pointOf, wholeSpace } from '../../server/src/engine/symbolic/space';
import { kernelHits, readCases, scenarioOf, type KernelCase } from '../support/oracleCase';
import { SHARED } from '../support/shared';

const ROOTS = [path.join(SHARED, 'kernel', 'cases'), path.join(SHARED, 'kernel', 'cases6'), path.join(__dirname, 'cases'), path.join(__dirname, 'cases6')];

/** The analysis's answer for the case's packet, or undefined when the packet lies outside the space it covers. */
function symbolicAnswer(c: KernelCase): { fates: string[]; hits?: string[] } | undefined {
  const scenario = scenarioOf(c);
  if ((scenario.history as unknown[]).length || scenario.conntrack === 'on') return undefined;
  const host = parseHost(scenario.host);
  const packet = parsePacket(scenario.packet, { host, family: c.family });
  const point = pointOf(packet, host);
  // Inside the space: the packet the point stands for is the case's packet, field for field.
  const again = parsePacket(pointJson(point, host, c.family), { host, family: c.family });
  const text = (p: unknown) => JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v));
  if (text(again) !== text(packet)) return undefined;
  if (!wholeSpace(host, c.family, pointLimits(point)).some((q) => cubeContains(q, point))) return undefined;
  const ruleset = analyseSaveText(c.rules, { ...DEFAULT_OPTIONS, family: c.family }).ruleset!;
  const a = analyseRuleset(ruleset, { host, limits: pointLimits(point) });
  const holders = a.classes.filter((k) => k.cubes.some((q) => cubeContains(q, point)));
  // The space holds the packets the scenario reader makes with no mark set.
  if (holders.length === 0 && point.mark !== 0n) return undefined;
  if (holders.length === 1 && holders[0].assumptions.length === 0) return { fates: [holders[0].fate], hits: holders[0].hits };
  return { fates: holders.map((h) => h.fate) };
}

test('the symbolic engine agrees with the kernel on every recorded case whose packet it covers', () => {
  const cases = ROOTS.flatMap((r) => readCases(r));
  let covered = 0;
  let unknown = 0;
  const failures: string[] = [];
  for (const c of cases) {
    const answer = symbolicAnswer(c);
    if (!answer) continue;
    if (answer.fates.length > 0 && answer.fates.every((f) => f === 'unknown')) {
      unknown++;
      continue;
    }
    covered++;
    const fate = String(c.expected.fate);
    if (!answer.fates.includes(fate)) failures.push(`${c.name}: kernel ${fate}, analysis ${answer.fates.join(' or ')}`);
    const sorted = (h: string[]) => [...h].sort().join(' ');
    if (answer.hits && sorted(answer.hits) !== sorted(kernelHits(c.expected))) failures.push(`${c.name}: kernel hits [${sorted(kernelHits(c.expected))}], analysis [${sorted(answer.hits)}]`);
  }
  console.log(`symbolic engine against the kernel: ${covered} of ${cases.length} recorded cases covered, ${unknown} more whose fate the analysis does not know`);
  assert.ok(covered >= 50, `only ${covered} cases covered`);
  assert.deepEqual(failures, []);
});
