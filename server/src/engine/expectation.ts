// A packet test's expectation: the `expect` of a saved scenario (the verdict,
// the counters that move, the interfaces, the packet after NAT), checked
// against a trace. Read by the scenario reader, the `--test` runner, the
// language server's test requests and the trace panel's "Save as test".
import type { Trace } from '.';
import { Fields, JsonObject, readAddress, ScenarioError } from './json';
import type { Fate } from './traverse';
import { orList, t } from '../l10n';

export interface Expectation {
  fate?: Fate;
  inInterface?: string | null;
  outInterface?: string | null;
  rejectWith?: string | null;
  /** Counters that must move (kernel notation, `filter/INPUT/3`); others may move too. */
  hits?: string[];
  /** Fields of the packet as it leaves or is delivered; the ones not given are not compared. */
  packetOut?: JsonObject;
}

/** One expectation the trace does not meet. */
export interface Mismatch {
  field: string;
  expected: string;
  actual: string;
}

const FATES: readonly Fate[] = ['delivered', 'forwarded', 'sent', 'dropped'];

/** The fields of the packet out a test may compare (those `packetJson` prints). */
const PACKET_OUT_FIELDS = [
  'protocol', 'source', 'destination', 'sourcePort', 'destinationPort', 'tcpFlags', 'mss', 'icmpType', 'icmpCode', 'ttl', 'tos', 'length', 'mark',
] as const;

const EXPECT_FIELDS = ['fate', 'inInterface', 'outInterface', 'rejectWith', 'hits', 'packetOut'] as const;

function nullableString(f: Fields, key: string): string | null | undefined {
  if (!(key in f.obj)) return undefined;
  return f.obj[key] === null ? null : f.string(key);
}

export function parseExpectation(json: unknown, path = 'expect'): Expectation {
  const f = Fields.of(path, json);
  f.only(EXPECT_FIELDS);
  const e: Expectation = {};
  const fate = f.oneOf('fate', FATES);
  if (fate) e.fate = fate;
  for (const key of ['inInterface', 'outInterface', 'rejectWith'] as const) {
    const v = nullableString(f, key);
    if (v !== undefined) e[key] = v;
  }
  const hits = f.array('hits');
  if (hits) {
    e.hits = hits.map((h, i) => {
      if (typeof h !== 'string' || !/^\w+\/[^/\s]+\/(\d+|policy:(ACCEPT|DROP))$/.test(h)) {
        throw new ScenarioError(`${f.at('hits')}[${i}]`, t('expected a counter such as "filter/INPUT/3" or "filter/INPUT/policy:DROP", got {0}', JSON.stringify(h)));
      }
      return h;
    });
  }
  if (f.has('packetOut')) {
    const p = Fields.of(f.at('packetOut'), f.obj.packetOut);
    p.only(PACKET_OUT_FIELDS);
    for (const key of ['source', 'destination']) if (p.has(key)) readAddress(p.at(key), p.string(key)!);
    e.packetOut = { ...p.obj };
  }
  if (Object.keys(e).length === 0) f.fail('fate', t('an expectation says at least one of {0}', EXPECT_FIELDS.join(', ')));
  return e;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Addresses compare by value (`10.0.0.010` is not written, but `::1` and `0::1` are the same). */
function sameValue(key: string, expected: unknown, actual: unknown): boolean {
  if ((key === 'source' || key === 'destination') && typeof expected === 'string' && typeof actual === 'string') {
    try {
      return readAddress(key, expected).address === readAddress(key, actual).address;
    } catch {
      return false;
    }
  }
  if (Array.isArray(expected) && Array.isArray(actual)) return [...expected].map(String).sort().join() === [...actual].map(String).sort().join();
  return JSON.stringify(expected) === JSON.stringify(actual);
}

/** What the trace says for a field when its outcomes disagree. */
function undecided(tgt: Trace, field: 'fate' | 'inInterface' | 'outInterface' | 'rejectWith'): string {
  return t('it depends ({0}, on {1})', orList(tgt.outcomes.map((o) => show(o[field]))), tgt.outcomes.flatMap((o) => o.assumptions.map((a) => `${a.rule} ${a.criterion}`)).filter((x, i, all) => all.indexOf(x) === i).join('; '));
}

/** Every expectation the trace does not meet; none when the test passes. */
export function checkExpectation(e: Expectation, tgt: Trace): Mismatch[] {
  const out: Mismatch[] = [];
  if (e.fate !== undefined && e.fate !== tgt.fate) out.push({ field: 'fate', expected: e.fate, actual: tgt.fate === 'unknown' ? undecided(tgt, 'fate') : tgt.fate });
  for (const key of ['inInterface', 'outInterface', 'rejectWith'] as const) {
    if (e[key] === undefined) continue;
    const same = tgt.outcomes.every((o) => o[key] === tgt.outcomes[0][key]);
    if (!same) out.push({ field: key, expected: show(e[key]), actual: undecided(tgt, key) });
    else if (tgt[key] !== e[key]) out.push({ field: key, expected: show(e[key]), actual: show(tgt[key]) });
  }
  if (e.hits) {
    const missing = e.hits.filter((h) => !tgt.hits.includes(h));
    if (missing.length) out.push({ field: 'hits', expected: e.hits.join(' '), actual: t('{0} (not: {1})', tgt.hits.join(' ') || t('(none)'), missing.join(' ')) });
  }
  if (e.packetOut) {
    for (const [key, expected] of Object.entries(e.packetOut)) {
      const actual = tgt.packetOut ? tgt.packetOut[key] : undefined;
      if (!tgt.packetOut) out.push({ field: `packetOut.${key}`, expected: show(expected), actual: t('it depends on the outcome') });
      else if (!sameValue(key, expected, actual)) out.push({ field: `packetOut.${key}`, expected: show(expected), actual: show(actual) });
    }
  }
  return out;
}

/**
 * The expectation "Save as test" writes: the verdict (fate and interface, the
 * answer sent) and the addresses and ports NAT changed. Undefined when the
 * trace is undecided: such a test could not pass.
 */
export function expectationOf(tgt: Trace, packetIn: JsonObject): Expectation | undefined {
  if (tgt.fate === 'unknown' || !tgt.decided) return undefined;
  const e: Expectation = { fate: tgt.fate };
  if (tgt.fate === 'delivered') e.inInterface = tgt.inInterface;
  if (tgt.fate === 'forwarded' || tgt.fate === 'sent') e.outInterface = tgt.outInterface;
  if (tgt.rejectWith) e.rejectWith = tgt.rejectWith;
  const changed: JsonObject = {};
  for (const key of ['source', 'destination', 'sourcePort', 'destinationPort'] as const) {
    const after = tgt.packetOut?.[key];
    if (after !== undefined && packetIn[key] !== undefined && !sameValue(key, packetIn[key], after)) changed[key] = after;
  }
  if (Object.keys(changed).length) e.packetOut = changed;
  return e;
}
