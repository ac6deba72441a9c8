// Fuzz: random and hostile rule files and shell scripts, with every line end,
// through the analysis and every editor feature at random places. Nothing may
// throw, and every place a result names is inside the document.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument, DocumentKind } from '../../server/src/analysis/document';
import type { Position } from '../../server/src/diagnostics';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { chainIndex } from '../../server/src/services/chainOccurrences';
import { completions } from '../../server/src/services/completion';
import { hover } from '../../server/src/services/hover';
import { definition, highlights, prepareRename, references, rename } from '../../server/src/services/navigation';
import { quickFixes } from '../../server/src/services/quickFixes';
import { semanticTokens } from '../../server/src/services/semanticTokens';
import { documentSymbols, foldingRanges } from '../../server/src/services/symbols';
import { traceLenses, traceModel } from '../../server/src/services/trace';
import { fuzzTest, newlineLines, placesOutside } from '../support/fuzz';
import { place, saveText, scriptText } from '../support/fuzzInputs';

/** The analysis, then every feature at `at`: what each answered, for the range check. */
async function everything(text: string, kind: DocumentKind, at: [number, number][]) {
  const analysis = await analyseDocument(text, kind, DEFAULT_OPTIONS, nodeBashParser);
  const lines = newlineLines(text);
  const source = { text, kind, analysis };
  const index = chainIndex(analysis, text);
  const answers: Record<string, unknown> = {
    diagnostics: analysis.diagnostics,
    fixes: analysis.diagnostics.map((d) => quickFixes(d, analysis, text)),
    symbols: documentSymbols(analysis, text),
    folds: foldingRanges(analysis),
    lenses: traceLenses(analysis),
    model: traceModel(analysis, 'file:///fuzz', 1).errors,
  };
  semanticTokens(index);
  at.forEach(([l, c], i) => {
    const line = Math.min(Math.floor(l * lines.length), lines.length);
    const pos: Position = { line, character: Math.floor(c * (lines[line]?.length ?? 0)) };
    answers[`at ${i} ${pos.line}:${pos.character}`] = {
      hover: hover(source, pos), completions: completions(source, pos),
      definition: definition(index, pos), references: references(index, pos, true), highlights: highlights(index, pos),
      prepareRename: prepareRename(index, pos), rename: rename(index, pos, 'renamed'),
    };
  });
  return { lines, answers };
}

const places = fc.array(place, { minLength: 1, maxLength: 4 });

fuzzTest('rule files: the analysis and every feature, places inside the document', fc.tuple(saveText, places), async ([text, at]) => {
  const { lines, answers } = await everything(text, 'save', at);
  assert.deepEqual(placesOutside(answers, lines), []);
}, { share: 0.5 });

fuzzTest('shell scripts: the evaluation and every feature, places inside the document', fc.tuple(scriptText, places), async ([text, at]) => {
  const { lines, answers } = await everything(text, 'script', at);
  assert.deepEqual(placesOutside(answers, lines), []);
}, { share: 0.5 });
