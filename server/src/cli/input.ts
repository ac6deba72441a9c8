// Reading rule files and scripts for the command lines: size and binary
// checks, a plain message for every way reading can fail, and the analysis
// that gives their rulesets.
import { readFileSync } from 'node:fs';
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import { analyseDocument, DocumentAnalysis, documentKind } from '../analysis/document';
import { escapeControls, shorten } from '../display';
import type { Family } from '../knowledge';
import { t } from '../l10n';
import { nodeBashParser } from '../node/bashWasm';

/** A file or stdin (`-`) as text, whatever its size; what is not text is refused before decoding it all. */
export function readText(file: string, what: string): string {
  const bytes = readFileSync(file === '-' ? 0 : file);
  if (bytes.subarray(0, 65536).includes(0)) throw new Error(t('{0} is a binary file, not text', what));
  return new TextDecoder('utf-8').decode(bytes);
}

export function readError(e: unknown, name: string): string {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? t('no such file') : err.code === 'EISDIR' ? t('is a directory') : err.code === 'EACCES' ? t('permission denied') : err.message;
  return `${escapeControls(name)}: ${escapeControls(why)}`;
}

export interface RulesOptions {
  external: string[];
  family?: Family;
}

export interface LoadedRules {
  /** The file as the user named it (`<stdin>` for `-`). */
  name: string;
  analysis: DocumentAnalysis;
  /** `file:line:column: message [code]` for each error iptables would stop at. */
  errors: string[];
}

/** Reads and analyses a rule file or script; a string says why it could not be read. */
export async function loadRules(file: string, options: RulesOptions): Promise<LoadedRules | string> {
  const name = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    text = readText(file, name);
  } catch (e) {
    return readError(e, name);
  }
  const fileName = file === '-' ? undefined : file;
  const analysis = await analyseDocument(text, documentKind(text, fileName) ?? 'script', {
    ...DEFAULT_OPTIONS, externalChains: options.external, family: options.family, fileName,
  }, nodeBashParser);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => `${escapeControls(name)}:${d.span.line + 1}:${d.span.start + 1}: ${d.message} [${d.code}]`);
  return { name, analysis, errors };
}

/** The message for rules with errors: the first ten, and how many more. `what`: the verb in the user's language. */
export function refusedRules(rules: LoadedRules, what: string): string {
  const r = refusal(rules);
  return t('{0} has {1}; {2}, so there is nothing to {3}:\n{4}', rules.name, r.errors, r.load, what, r.lines);
}

/** The pieces of a refusal: how many errors, who would refuse them, the first ten. */
export function refusal(rules: LoadedRules): { errors: string; load: string; lines: string } {
  const lines = rules.errors.slice(0, 10).map((e) => `  ${e}`);
  if (rules.errors.length > 10) lines.push(t('  ... and {0} more (iptables-lint lists them all)', rules.errors.length - 10));
  return {
    errors: rules.errors.length === 1 ? t('1 error') : t('{0} errors', rules.errors.length),
    load: rules.analysis.kind === 'save' ? t('iptables-restore would refuse it') : t('iptables would refuse these commands'),
    lines: lines.join('\n'),
  };
}

/**
 * What the command lines print goes through these two. Node makes standard output and
 * standard error when first asked for them, and loads its streams for them (6 ms of an
 * empty file's 85 ms run): a run that prints nothing, such as a clean file's, makes neither.
 */
let printed = false;
let printedError = false;

export function print(text: string): void {
  if (!printed) {
    printed = true;
    quietOnClosedPipe();
  }
  process.stdout.write(text);
}

export function printError(text: string): void {
  printedError = true;
  process.stderr.write(text);
}

/** `iptables-x ... | head` closes the pipe early: stop quietly. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/**
 * Text for a terminal: file content in it cannot act on the terminal, each line stays one line.
 * Tabs stay tabs (they move the cursor, nothing more, and an nft script is indented with them).
 */
export function terminalText(text: string): string {
  return text.split('\n').map((line) => line.split('\t').map(escapeControls).join('\t')).join('\n');
}

/**
 * Runs a command line's main: its status is the exit status; an internal error
 * (a bug, thrown anywhere, even outside main) is one line and status 2, never
 * a JavaScript stack.
 */
export function runCommandLine(tool: string, main: () => Promise<number>): void {
  const fail = (e: unknown) => {
    const what = e instanceof Error ? `${e.name === 'Error' ? '' : e.name + ': '}${e.message}` : String(e);
    printError(`${tool}: ${t('internal error: {0}', shorten(escapeControls(what), 300))}\n`);
    process.exit(2);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  main().then(exitWhenWritten, fail);
}

/**
 * Exits once what the command printed has left and the callbacks already queued have run (a
 * late error still counts, above): left to end by itself, Node would first tear down the heap,
 * 20 ms more after a 160k-rule file's run.
 */
function exitWhenWritten(status: number): void {
  process.exitCode = status;
  const streams = [printed && process.stdout, printedError && process.stderr].filter((s) => s !== false);
  let pending = streams.length;
  const exit = () => setImmediate(() => process.exit());
  if (pending === 0) exit();
  for (const stream of streams) {
    stream.write('', () => {
      if (--pending === 0) exit();
    });
  }
}
