// A packet test's expectation: the `expect` of a saved scenario (the verdict,
// the counters that move, the interfaces, the packet after NAT), checked
// against a trace. Read by the scenario reader, the `--test` runner, the
// language server's test requests and the trace panel's "Save as test".
import type { Trace } from '.';
import { Fields, JsonObject, readAddress, ScenarioError } from './json';
import type { Fate } from './traverse';

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
        throw new ScenarioError(`${f.at('hits')}[${i}]`, `expected a counter such as "filter/INPUT/3" or "filter/INPUT/policy:DROP", got ${JSON.stringify(h)}`);
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
  if (Object.keys(e).length === 0) f.fail('fate', `an expectation says at least one of ${EXPECT_FIELDS.join(', ')}`);
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
function undecided(t: Trace, field: 'fate' | 'inInterface' | 'outInterface' | 'rejectWith'): string {
  return `it depends (${t.outcomes.map((o) => show(o[field])).join(' or ')}, on ${t.outcomes.flatMap((o) => o.assumptions.map((a) => `${a.rule} ${a.criterion}`)).filter((x, i, all) => all.indexOf(x) === i).join('; ')})`;
}

/** Every expectation the trace does not meet; none when the test passes. */
export function checkExpectation(e: Expectation, t: Trace): Mismatch[] {
  const out: Mismatch[] = [];
  if (e.fate !== undefined && e.fate !== t.fate) out.push({ field: 'fate', expected: e.fate, actual: t.fate === 'unknown' ? undecided(t, 'fate') : t.fate });
  for (const key of ['inInterface', 'outInterface', 'rejectWith'] as const) {
    if (e[key] === undefined) continue;
    const same = t.outcomes.every((o) => o[key] === t.outcomes[0][key]);
    if (!same) out.push({ field: key, expected: show(e[key]), actual: undecided(t, key) });
    else if (t[key] !== e[key]) out.push({ field: key, expected: show(e[key]), actual: show(t[key]) });
  }
  if (e.hits) {
    const missing = e.hits.filter((h) => !t.hits.includes(h));
    if (missing.length) out.push({ field: 'hits', expected: e.hits.join(' '), actual: `${t.hits.join(' ') || '(none)'} (not: ${missing.join(' ')})` });
  }
  if (e.packetOut) {
    for (const [key, expected] of Object.entries(e.packetOut)) {
      const actual = t.packetOut ? t.packetOut[key] : undefined;
      if (!t.packetOut) out.push({ field: `packetOut.${key}`, expected: show(expected), actual: 'it depends on the outcome' });
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
export function expectationOf(t: Trace, packetIn: JsonObject): Expectation | undefined {
  if (t.fate === 'unknown' || !t.decided) return undefined;
  const e: Expectation = { fate: t.fate };
  if (t.fate === 'delivered') e.inInterface = t.inInterface;
  if (t.fate === 'forwarded' || t.fate === 'sent') e.outInterface = t.outInterface;
  if (t.rejectWith) e.rejectWith = t.rejectWith;
  const changed: JsonObject = {};
  for (const key of ['source', 'destination', 'sourcePort', 'destinationPort'] as const) {
    const after = t.packetOut?.[key];
    if (after !== undefined && packetIn[key] !== undefined && !sameValue(key, packetIn[key], after)) changed[key] = after;
  }
  if (Object.keys(changed).length) e.packetOut = changed;
  return e;
}
