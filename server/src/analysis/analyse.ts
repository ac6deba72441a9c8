// The whole analysis of one iptables-save document: text in, diagnostics and
// the ruleset model out. Pure: no editor, no file system.
import type { Diagnostic } from '../diagnostics';
import type { Family } from '../knowledge';
import { CHAIN_OWNERS } from '../knowledge/wellKnownChains';
import { rulesetBuilder } from '../model/fromSave';
import type { Chain, Ruleset } from '../model/ruleset';
import type { ParsedLines } from '../syntax/parsedLines';
import { detectFamily, readSaveFile, SaveFile } from '../syntax/saveFile';
import type { SourceText } from '../sourceText';
import { runToEnd, Steps } from '../steps';
import { tableCommitProblems } from '../model/kernelChecks';
import { findDeadRulesSteps } from './deadRules';
import { reviewRulesetSteps } from './rulesetChecks';
import { t } from '../l10n';

export interface AnalysisOptions {
  /** Chains created by other tools or files; `*` is a wildcard. */
  externalChains: readonly string[];
  /** Larger documents are not analysed (in characters: bytes, for the ASCII of rule files). */
  maxFileSize: number;
  family?: Family;
  fileName?: string;
  /** The document's commands from its previous analysis, reused where lines did not change. */
  reuse?: ParsedLines;
}

/** Chains that well-known tools create: jumps to them are not errors by default. */
export const DEFAULT_EXTERNAL_CHAINS: readonly string[] = CHAIN_OWNERS.flatMap((owner) => owner.external);

export const DEFAULT_OPTIONS: AnalysisOptions = {
  externalChains: DEFAULT_EXTERNAL_CHAINS,
  maxFileSize: Infinity,
};

export interface Analysis {
  file?: SaveFile;
  ruleset?: Ruleset;
  diagnostics: Diagnostic[];
  /** Made by patching the last analysis (analysis/reanalyse.ts): what changed, for what services worked out to be carried over. */
  patch?: Patch;
}

/** Old lines `from` to `from + removed` became `added` new ones (none: rules edited in place, the first at `from`); the chains whose rules were edited, taken out or put in. */
export interface Patch {
  from: number;
  removed: number;
  added: number;
  chains: readonly Chain[];
  /** The lines read again, with a command on them (of the new text). */
  edited: readonly number[];
}

export function analyseSaveText(text: string, options: AnalysisOptions = DEFAULT_OPTIONS): Analysis {
  return runToEnd(analyseSaveSteps(text, options));
}

/** `analyseSaveText` in steps, for a caller that answers other requests in between. */
export function* analyseSaveSteps(text: string, options: AnalysisOptions = DEFAULT_OPTIONS): Steps<Analysis> {
  const refusal = refuseInput(text, options.maxFileSize);
  if (refusal) return { diagnostics: [refusal] };
  const family = options.family ?? detectFamily(text, options.fileName);
  const built: Diagnostic[] = [];
  const builder = rulesetBuilder(family, options, built);
  const file = yield* readSaveFile(text, { family, reuse: options.reuse, visit: builder.visit });
  const ruleset = builder.finish();
  // The file keeps what its parse said (analysis/reanalyse.ts compares two parses).
  const diagnostics = file.diagnostics.concat(built);
  yield;
  for (const table of ruleset.tables.values()) tableCommitProblems(table, diagnostics);
  yield;
  yield* reviewRulesetSteps(ruleset, diagnostics);
  yield;
  yield* findDeadRulesSteps(ruleset, diagnostics);
  diagnostics.sort((a, b) => a.span.line - b.span.line || a.span.start - b.span.start);
  return { file, ruleset, diagnostics };
}

/** Binary or oversized input gets one clear diagnostic instead of thousands of wrong ones. */
export function refuseInput(text: SourceText, maxFileSize: number): Diagnostic | undefined {
  const sample = text.slice(0, 65536);
  // The first line as an editor counts it: up to the first line end of any kind, maybe empty.
  const end = sample.length < text.length && !/[\r\n]/.test(sample) ? text.toString().search(/[\r\n]/) : sample.search(/[\r\n]/);
  const firstLine = { line: 0, start: 0, end: end < 0 ? text.length : end };
  if (text.length > maxFileSize) {
    return { code: 'file-too-large', severity: 'warning', span: firstLine, message: t('this file is {0} MB, over the {1} MB limit (setting iptables.maxFileSize): it is not analysed', (text.length / 1048576).toFixed(1), (maxFileSize / 1048576).toFixed(1)) };
  }
  // NUL bytes and U+FFFD (what undecodable bytes become) mark binary data.
  const nul = sample.indexOf('\0');
  const bad = (sample.match(/\uFFFD/g)?.length ?? 0) > 8;
  if (nul >= 0 || bad) {
    return { code: 'binary-file', severity: 'error', span: firstLine, message: t('this file is binary, not text: it is not analysed') };
  }
  return undefined;
}
