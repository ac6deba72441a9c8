// npm run bench: what the language server does after each keystroke in the
// 8.5k-rule corpus file: the whole analysis again (documentKind, then
// analyseDocument, dead rules included, unchanged lines' commands reused), after
// a one-character edit on a different line each time. Target: p95 under 50 ms.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { findDeadRules } from '../../server/src/analysis/deadRules';
import { analyseDocument, documentKind } from '../../server/src/analysis/document';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { ParsedLines } from '../../server/src/syntax/parsedLines';
import { CORPUS } from '../support/shared';

const EDITS = 100;

/** Edit `k`: on the k-th of 100 rule lines spread over the file, change a digit or type a letter. */
function edited(lines: string[], ruleLines: number[], k: number): string {
  const at = ruleLines[Math.floor((k * ruleLines.length) / EDITS)];
  const line = lines[at];
  const digit = line.search(/\d/);
  const changed = k % 2 === 0 && digit >= 0
    ? line.slice(0, digit) + String((Number(line[digit]) + 1) % 10) + line.slice(digit + 1)
    : line + 'x';
  return [...lines.slice(0, at), changed, ...lines.slice(at + 1)].join('\n');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const file = path.join(CORPUS, 'save', 'gfw-list-ss-redir.rules');
  if (!existsSync(file)) {
    console.log(`(skipping: ${file} is not present)`);
    return;
  }
  const original = readFileSync(file, 'utf8');
  const lines = original.split('\n');
  const ruleLines = lines.flatMap((l, i) => (l.startsWith('-A ') ? [i] : []));
  // As the server does: the document's parsed lines are kept from one version to the next.
  const options = { ...DEFAULT_OPTIONS, fileName: file, reuse: new ParsedLines() };
  const analyse = async (text: string) => analyseDocument(text, documentKind(text, undefined, 'iptables')!, options, nodeBashParser);
  for (let i = 0; i < 10; i++) await analyse(edited(lines, ruleLines, i));
  const total: number[] = [];
  const dead: number[] = [];
  let warnings = 0;
  for (let k = 0; k < EDITS; k++) {
    const text = edited(lines, ruleLines, k);
    const t0 = performance.now();
    const a = await analyse(text);
    total.push(performance.now() - t0);
    warnings = a.diagnostics.filter((d) => d.code === 'shadowed-rule' || d.code === 'duplicate-rule').length;
    // The dead-rule share, timed again on its own over the same ruleset.
    const others = a.diagnostics.filter((d) => d.code !== 'shadowed-rule' && d.code !== 'duplicate-rule');
    const t1 = performance.now();
    findDeadRules(a.rulesets.ipv4!, others);
    dead.push(performance.now() - t1);
  }
  total.sort((a, b) => a - b);
  dead.sort((a, b) => a - b);
  const f = (n: number) => `${n.toFixed(1)} ms`;
  console.log(`gfw-list-ss-redir.rules (${ruleLines.length} rules), ${EDITS} one-character edits, full re-analysis each:`);
  console.log(`  p50 ${f(percentile(total, 50))}, p95 ${f(percentile(total, 95))}, max ${f(total[total.length - 1])} (target: p95 under 50 ms)`);
  console.log(`  of which dead-rule analysis: p50 ${f(percentile(dead, 50))}, p95 ${f(percentile(dead, 95))}; ${warnings} dead-rule warnings`);
}

void main();
