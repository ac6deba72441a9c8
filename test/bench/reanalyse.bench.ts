// npm run bench: what the language server does after each keystroke in the
// 8.5k-rule corpus file: the whole analysis again (documentKind, then
// analyseDocument, dead rules included, unchanged lines' commands reused), after
// a one-character edit on a different line each time. Target: p95 under 50 ms.
// Then the same kind of edits patched into the last analysis where they change
// rules in place (analysis/reanalyse.ts), on that file and on a kube-proxy
// node's 160k rules, beside the whole analysis the other edits need.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { findDeadRules } from '../../server/src/analysis/deadRules';
import { analyseDocument, documentKind } from '../../server/src/analysis/document';
import { reanalyseEdited } from '../../server/src/analysis/reanalyse';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { ParsedLines } from '../../server/src/syntax/parsedLines';
import { CORPUS } from '../support/shared';
import { generateKubeProxy } from './kubeProxy';

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
  patching('gfw-list-ss-redir.rules', original, 100);
  patching('kube-proxy node, 160k rules', generateKubeProxy({ services: 5000, endpointsPerService: 10 }), 20);
}

/**
 * `count` one-character edits in a row, each on the last analysis, as a user
 * makes them: a digit of an address or port changed, or a letter typed in a
 * comment (a rule without either: at the end, which changes its target). Each
 * is patched where it changed rules in place, else analysed whole.
 */
function patching(name: string, text: string, count: number): void {
  const lines = text.split('\n');
  const ruleLines = lines.flatMap((l, i) => (l.startsWith('-A ') ? [i] : []));
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  let last = analyseSaveText(text, options);
  const patched: number[] = [];
  const whole: number[] = [];
  for (let k = 0; k < count; k++) {
    const at = ruleLines[Math.floor(((k + 0.5) * ruleLines.length) / count)];
    const line = lines[at];
    const digit = /(?:-[sd] |--dport |--to-destination )\D*(\d)/.exec(line);
    const quote = line.indexOf('"');
    if (digit) {
      const c = digit.index + digit[0].length - 1;
      lines[at] = line.slice(0, c) + String((Number(line[c]) + 1) % 10) + line.slice(c + 1);
    } else {
      lines[at] = quote >= 0 ? line.slice(0, quote + 1) + 'x' + line.slice(quote + 1) : line + 'x';
    }
    const next = lines.join('\n');
    const t0 = performance.now();
    const again = reanalyseEdited(last, next, options);
    if (again) patched.push(performance.now() - t0);
    last = again ?? analyseSaveText(next, options);
    if (!again) whole.push(performance.now() - t0);
  }
  const f = (times: number[]) => {
    if (times.length === 0) return 'none';
    const s = [...times].sort((a, b) => a - b);
    return `p50 ${percentile(s, 50).toFixed(1)} ms, p95 ${percentile(s, 95).toFixed(1)} ms (${s.length})`;
  };
  console.log(`${name} (${ruleLines.length} rules), ${count} one-character edits in a row, each on the last analysis:`);
  console.log(`  patched: ${f(patched)}; analysed whole (the patch tried first): ${f(whole)}`);
}

void main();
