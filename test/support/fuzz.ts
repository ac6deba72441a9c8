// The fuzz harness: property tests with fast-check. In `npm test` each property
// runs a short, fixed-seed round; `npm run fuzz` (FUZZ_SECONDS set) runs them
// long with a fresh seed and says how many cases each ran. A failure prints its
// seed and the smallest input fast-check shrank it to: that input becomes a unit test.
import fc from 'fast-check';
import { test } from 'node:test';

const LONG_SECONDS = Number(process.env.FUZZ_SECONDS ?? 0);
const SEED = 20261206;

/**
 * A property as a test. `share`: its part of a long run's time (the properties
 * of one file share FUZZ_SECONDS). `runs`: cases in the short run.
 */
export function fuzzTest<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (value: T) => void | Promise<void>, { share = 1, runs = 60 } = {}): void {
  test(`fuzz: ${name}`, async () => {
    const seed = LONG_SECONDS ? Date.now() % 2 ** 31 : SEED;
    const options: fc.Parameters<[T]> = LONG_SECONDS
      ? { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: LONG_SECONDS * 1000 * share, markInterruptAsFailure: false }
      : { seed, numRuns: runs };
    options.includeErrorInReport = true;
    const details = await fc.check(fc.asyncProperty(arbitrary, async (v) => { await check(v); }), options);
    if (LONG_SECONDS) console.log(`fuzz: ${name}: ${details.numRuns} cases (seed ${seed})`);
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? `failed with seed ${seed}`);
  });
}

/** The lines of a text as LSP counts them: `\n`, `\r\n` and a lone `\r` each end a line. */
export function lspLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** The lines of a text as iptables-restore and bash read them: only `\n` ends a line. */
export function newlineLines(text: string): string[] {
  return text.split('\n');
}

/**
 * Every place inside `value` (spans `{line, start, end}`, positions
 * `{line, character}`, LSP ranges) that is not inside the document whose
 * lines are given: a description of each, so a failing check says what and where.
 */
export function placesOutside(value: unknown, lines: readonly string[], where = 'result'): string[] {
  const out: string[] = [];
  const line = (n: unknown) => (Number.isInteger(n) && (n as number) >= 0 && (n as number) < lines.length ? lines[n as number] : undefined);
  const column = (l: string | undefined, c: unknown) => l !== undefined && Number.isInteger(c) && (c as number) >= 0 && (c as number) <= l.length;
  const visit = (v: unknown, path: string, depth: number) => {
    if (typeof v !== 'object' || v === null || depth > 20) return;
    const o = v as Record<string, unknown>;
    if (typeof o.line === 'number' && typeof o.start === 'number' && typeof o.end === 'number') {
      const l = line(o.line);
      if (!column(l, o.start) || !column(l, o.end) || (o.start as number) > (o.end as number)) out.push(`${path}: span ${o.line}:${o.start}-${o.end} (line length ${l?.length ?? 'none'})`);
    } else if (typeof o.line === 'number' && typeof o.character === 'number') {
      if (!column(line(o.line), o.character)) out.push(`${path}: position ${o.line}:${o.character} (line length ${line(o.line)?.length ?? 'none'})`);
      return;
    }
    for (const [k, x] of Object.entries(o)) visit(x, `${path}.${k}`, depth + 1);
  };
  visit(value, where, 0);
  return out;
}
