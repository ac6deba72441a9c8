// npm run bench: navigation and outline on the 8.5k-rule corpus file, warm,
// on an analysis already made (as the server has it when a request comes).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { DocumentAnalysis } from '../../server/src/analysis/document';
import { chainIndex } from '../../server/src/services/chainOccurrences';
import { highlights, references, rename } from '../../server/src/services/navigation';
import { semanticTokens } from '../../server/src/services/semanticTokens';
import { documentSymbols, foldingRanges } from '../../server/src/services/symbols';
import { CORPUS } from '../support/shared';

function median(run: () => void, runs = 31): number {
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const file = path.join(CORPUS, 'save', 'gfw-list-ss-redir.rules');
if (!existsSync(file)) {
  console.log(`(skipping: ${file} is not present)`);
} else {
  const text = readFileSync(file, 'utf8');
  const a = analyseSaveText(text, DEFAULT_OPTIONS);
  const analysis: DocumentAnalysis = { kind: 'save', diagnostics: a.diagnostics, rulesets: { ipv4: a.ruleset! }, file: a.file };
  // A copy of the analysis misses the index cache: the index is built again.
  const fresh = () => ({ ...analysis });
  const index = chainIndex(analysis, text);
  // The most used chain of the file: every rule jumps to it or is in it.
  const busiest = index.occurrences.find((o) => o.name === 'SS_REDIR' && o.kind === 'declare') ?? index.occurrences[0];
  const at = { line: busiest.span.line, character: busiest.span.start };
  const rows: [string, number][] = [
    ['chain index (first request after an edit)', median(() => chainIndex(fresh(), text))],
    ['document symbols (index included)', median(() => documentSymbols(fresh(), text))],
    ['folding ranges', median(() => foldingRanges(analysis))],
    ['semantic tokens (index included)', median(() => semanticTokens(chainIndex(fresh(), text)))],
    [`references of ${busiest.name} (${references(index, at, true).length} places)`, median(() => references(index, at, true))],
    ['document highlight', median(() => highlights(index, at))],
    ['rename', median(() => rename(index, at, 'SS'))],
  ];
  console.log(`gfw-list-ss-redir.rules (8.5k rules), median of 31, warm:`);
  for (const [name, ms] of rows) console.log(`  ${name.padEnd(48)} ${ms.toFixed(2).padStart(7)} ms`);
}
