// One entry point for any document: an iptables-save file, or a shell script
// that calls iptables. Decides which, and runs the right analysis.
import type { Parser } from 'web-tree-sitter';
import type { Diagnostic } from '../diagnostics';
import { cleanMessage } from '../display';
import type { Family } from '../knowledge';
import type { Ruleset } from '../model/ruleset';
import { callsIptables } from '../shell/detect';
import type { IptablesCall } from '../shell/iptablesCalls';
import type { SaveFile } from '../syntax/saveFile';
import type { Machine } from '../shell/utilities';
import type { SourceText } from '../sourceText';
import { runToEnd, Steps } from '../steps';
import { AnalysisOptions, analyseSaveSteps, Patch, refuseInput } from './analyse';
import { LineShift, reanalyseSteps } from './reanalyse';
import { analyseScriptSteps } from './script';

export type DocumentKind = 'save' | 'script';

export interface DocumentAnalysis {
  kind: DocumentKind;
  diagnostics: Diagnostic[];
  /** The rulesets the document loads or builds, by family. */
  rulesets: Partial<Record<Family, Ruleset>>;
  /** A save file as read, line by line. */
  file?: SaveFile;
  /** A script's iptables commands, in the order they ran. */
  calls?: IptablesCall[];
  /** A script's iptables-restore inputs (heredocs), positioned in the script. */
  restores?: SaveFile[];
  /** Made by patching the last analysis: what changed (analysis/reanalyse.ts). */
  patch?: Patch;
}

export interface DocumentOptions extends AnalysisOptions {
  machine?: Machine;
}

/** Shell script language ids: VS Code's, and those of Neovim, Helix and Emacs' eglot. */
const SHELL_LANGUAGE_IDS = new Set(['shellscript', 'sh', 'bash']);

/**
 * Which analysis a document gets, from the editor's language id when there is
 * one, else from the content: a shebang or shell file name means a script.
 * Undefined: a shell script that never calls iptables (we stay out of it).
 */
export function documentKind(source: SourceText, fileName?: string, languageId?: string): DocumentKind | undefined {
  if (languageId === 'iptables') return 'save';
  const text = source.toString();
  const script = SHELL_LANGUAGE_IDS.has(languageId ?? '') || /^#!.*\b(ba|da|k|z)?sh\b/.test(text) || /\.(sh|bash)$/.test(fileName ?? '');
  if (script) return callsIptables(text) ? 'script' : undefined;
  const saveFormat = /^(\*\s*\w+\s*|:\S+ \S+.*|-[AIDNXPFRE] .*|COMMIT\s*)$/m.test(text);
  return !saveFormat && callsIptables(text) ? 'script' : 'save';
}

export async function analyseDocument(text: string, kind: DocumentKind, options: DocumentOptions, bash: () => Promise<Parser>): Promise<DocumentAnalysis> {
  if (kind === 'save') return runToEnd(analyseSaveDocument(text, options));
  return runToEnd(analyseScriptDocument(text, options, await bash()));
}

/** A script's analysis in steps (see steps.ts). */
export function* analyseScriptDocument(text: string, options: DocumentOptions, parser: Parser): Steps<DocumentAnalysis> {
  const refusal = refuseInput(text, options.maxFileSize);
  if (refusal) return { kind: 'script', diagnostics: [refusal], rulesets: {} };
  const a = yield* analyseScriptSteps(text, parser, options);
  return { kind: 'script', diagnostics: cleaned(a.diagnostics), rulesets: a.rulesets, calls: a.calls, restores: a.restores };
}

/** Messages quote the file: as a user is shown them, each on one line, long values cut (display.ts). */
function cleaned(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => {
    const message = cleanMessage(d.message);
    const related = d.related?.map((r) => ({ ...r, message: cleanMessage(r.message) }));
    return message === d.message && !d.related ? d : { ...d, message, ...(related ? { related } : {}) };
  });
}

/** A save file's analysis in steps (see steps.ts). */
export function* analyseSaveDocument(text: string, options: DocumentOptions): Steps<DocumentAnalysis> {
  const a = yield* analyseSaveSteps(text, options);
  return { kind: 'save', diagnostics: cleaned(a.diagnostics), rulesets: a.ruleset ? { [a.ruleset.family]: a.ruleset } : {}, file: a.file };
}

/** The address families a document speaks for: a save file's own, or those a script builds rules for (IPv4 when none). */
export function familiesOf(analysis: DocumentAnalysis): Family[] {
  if (analysis.kind === 'save') return [analysis.file?.family ?? 'ipv4'];
  const built = (['ipv4', 'ipv6'] as const).filter((f) => analysis.rulesets[f]?.tables.size);
  return built.length ? built : ['ipv4'];
}

/**
 * A save file's new version analysed from its last analysis, when the edit allows (analysis/reanalyse.ts), in steps.
 * `edited`: the only lines that differ, when the caller knows them (no line added or removed), or the stretch of lines that replaced others.
 */
export function* reanalyseSaveDocument(base: DocumentAnalysis, text: SourceText, options: DocumentOptions, edited?: ReadonlySet<number> | LineShift): Steps<DocumentAnalysis | undefined> {
  const ruleset = base.file && base.rulesets[base.file.family];
  if (base.kind !== 'save' || !ruleset) return undefined;
  const a = yield* reanalyseSteps({ file: base.file, ruleset, diagnostics: base.diagnostics }, text, options, edited);
  return a?.ruleset && { kind: 'save', diagnostics: cleaned(a.diagnostics), rulesets: { [a.ruleset.family]: a.ruleset }, file: a.file, patch: a.patch };
}
