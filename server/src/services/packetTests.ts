// Packet tests: saved scenarios with an `expect`, run against the rule file or
// script they belong to: one test's run and result, for the `--test` command
// line and the editor's Testing view alike.
import type { DocumentAnalysis } from '../analysis/document';
import type { Family } from '../knowledge';
import { parseScenario, ScenarioError, traceScenario, type Trace } from '../engine';
import { verdictLine } from '../engine/describe';
import { checkExpectation, Expectation, Mismatch } from '../engine/expectation';
import type { Ruleset } from '../model/ruleset';
import { t } from '../l10n';

export interface PacketTestResult {
  name: string;
  passed: boolean;
  /** Why the test could not run (not JSON, no expectation, a bad packet, rules iptables would refuse). */
  error?: string;
  failures: Mismatch[];
  /** What was expected, one `field: value` per line. */
  expected: string[];
  /** What the trace gave for the same fields, and its verdict and way. */
  actual: string[];
}

function expectedLines(e: Expectation): string[] {
  const out: string[] = [];
  if (e.fate !== undefined) out.push(t('fate: {0}', e.fate));
  for (const key of ['inInterface', 'outInterface', 'rejectWith'] as const) if (e[key] !== undefined) out.push(`${key}: ${e[key] ?? 'none'}`);
  if (e.hits) out.push(t('hits: {0}', e.hits.join(' ')));
  for (const [k, v] of Object.entries(e.packetOut ?? {})) out.push(`packetOut.${k}: ${Array.isArray(v) ? v.join(',') : v}`);
  return out;
}

/** The trace as the lines a report shows beside the expectation: the same fields, then the verdict and the rules that decided. */
function actualLines(e: Expectation, tgt: Trace): string[] {
  const field = (key: string, v: unknown) => `${key}: ${v === null || v === undefined ? 'none' : Array.isArray(v) ? v.join(',') : v}`;
  const out: string[] = [];
  if (e.fate !== undefined) out.push(field('fate', tgt.fate));
  for (const key of ['inInterface', 'outInterface', 'rejectWith'] as const) if (e[key] !== undefined) out.push(field(key, tgt[key]));
  if (e.hits) out.push(field('hits', tgt.hits.join(' ')));
  for (const k of Object.keys(e.packetOut ?? {})) out.push(field(`packetOut.${k}`, tgt.packetOut?.[k]));
  out.push('', tgt.decided ? t('verdict: {0}', verdictLine({ ...tgt, fate: tgt.fate as Exclude<Trace['fate'], 'unknown'> })) : t('undecided: {0} outcomes', tgt.outcomes.length));
  out.push('way:');
  for (const s of tgt.steps) {
    if (s.kind === 'rule' && s.matched) out.push(`  ${s.table}/${s.chain}/${s.rule}  ${s.text} → ${s.action ?? ''}`);
    else if (s.kind === 'policy') out.push(`  ${s.table}/${s.chain}  ${s.action}`);
    else if (s.kind === 'event' && !s.hook && /^(routing|dropped|rerouted)/.test(s.message ?? '')) out.push(`  » ${s.message}`);
  }
  return out;
}

/**
 * Runs one test: its JSON (the scenario with `expect`) against the rulesets of
 * its rule file. `rulesErrors`: the errors iptables would stop at in that file
 * (a test of rules that do not load is an error, not a pass or a failure).
 */
export function runPacketTest(name: string, json: unknown, rulesets: Partial<Record<Family, Ruleset>>, rulesErrors: string[] = []): PacketTestResult {
  const result = (r: Partial<PacketTestResult>): PacketTestResult => ({ name, passed: false, failures: [], expected: [], actual: [], ...r });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return result({ error: t('a packet test is a JSON object: a scenario with an "expect"') });
  if (!('expect' in json)) return result({ error: t('no expectation: add "expect": {"fate": "delivered"} (or dropped, forwarded, sent), "hits", "outInterface" or "packetOut"') });
  if (rulesErrors.length) {
    return result({ error: (rulesErrors.length === 1
      ? t('the rules have 1 error iptables would refuse them for: {0}', rulesErrors[0])
      : t('the rules have {0} errors iptables would refuse them for: {1}{2}', rulesErrors.length, rulesErrors.slice(0, 3).join('; '), rulesErrors.length > 3 ? '; ...' : '')) });
  }
  try {
    const scenario = parseScenario(json);
    const ruleset = rulesets[scenario.packet.family];
    if (!ruleset) return result({ error: t('the rules have no {0} ruleset for this packet', scenario.packet.family === 'ipv4' ? t('IPv4 (iptables)') : t('IPv6 (ip6tables)')) });
    const trace = traceScenario(ruleset, scenario);
    const expect = scenario.expect!;
    const failures = checkExpectation(expect, trace);
    return result({ passed: failures.length === 0, failures, expected: expectedLines(expect), actual: actualLines(expect, trace) });
  } catch (e) {
    if (e instanceof ScenarioError) return result({ error: e.message });
    throw e;
  }
}

/** Tests given as JSON text, against a document's analysis (the Testing view's request). */
export function runPacketTests<T extends { name: string; json: string }>(analysis: DocumentAnalysis, tests: T[]): (PacketTestResult & { test: T })[] {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => t('line {0}: {1}', d.span.line + 1, d.message));
  return tests.map((tgt) => {
    let json: unknown;
    try {
      json = JSON.parse(tgt.json);
    } catch (e) {
      return { test: tgt, name: tgt.name, passed: false, error: t('not valid JSON: {0}', (e as Error).message), failures: [], expected: [], actual: [] };
    }
    return { test: tgt, ...runPacketTest(tgt.name, json, analysis.rulesets, errors) };
  });
}
