// What is at a position of a document, read from its current text (a line may
// be half typed, and the last analysis may be one edit old): in iptables-restore
// input (a save file or a script's heredoc), the kind of line, its table and the
// words of the command; in a script, the iptables command on the cursor's line.
import type { DocumentAnalysis, DocumentKind } from '../analysis/document';
import type { Position } from '../diagnostics';
import type { Family } from '../knowledge';
import { isMultiCall, iptablesTool } from '../shell/tools';
import { splitRestoreWords } from '../syntax/restoreWords';
import { detectFamily } from '../syntax/saveFile';
import type { SourceText } from '../sourceText';
import type { Token } from '../syntax/token';
import { heredocAt, restoreFamilyOf, shellCommandAt } from './shellWords';

/** The word the cursor is in (empty between words), and how much of it is before the cursor. */
export interface CursorWord {
  token: Token;
  typed: string;
}

export interface CommandContext {
  kind: 'command';
  family: Family;
  /** iptables-restore input (a save file, a heredoc), else an iptables command in a script. */
  restore: boolean;
  /** The table the command works on: the `*table` above, or `-t` (filter without it). */
  table: string;
  /** Every word of the command (in a script, after the program name). */
  words: Token[];
  /** The words before the cursor's word. */
  before: Token[];
  word: CursorWord;
}

export type CursorContext =
  | CommandContext
  /** A `*table` line. */
  | { kind: 'header'; family: Family; word: CursorWord }
  /** A `:CHAIN POLICY [counters]` line; `field` is which of its words the cursor is in. */
  | { kind: 'chainLine'; family: Family; table: string; words: Token[]; field: number; word: CursorWord }
  /** The first word of a line of restore input, which is not an option: COMMIT, or the start of anything. */
  | { kind: 'lineStart'; family: Family; table?: string; word: CursorWord };

export interface ContextSource {
  text: SourceText;
  kind: DocumentKind;
  /** The last analysis, possibly of an older version: for the family of the document and of `$IPT`. */
  analysis?: DocumentAnalysis;
  /** The text's lines, when the caller keeps them (else a save file's text is split for each version). */
  lines?: SourceLines;
}

/** A text's lines (split at \n, as the analysis reads them), read one at a time. */
export interface SourceLines {
  readonly count: number;
  line(line: number): string;
  /** The nearest line above `line` that opens or closes a table block (`*table`, COMMIT). */
  blockMarkAbove(line: number): number | undefined;
}

/** Where `column` falls among `words`: the word it touches (or an empty one) and the words before. */
function wordAt(words: Token[], line: number, column: number): { word: CursorWord; before: Token[] } {
  let k = 0;
  while (k < words.length && (words[k].line < line || (words[k].line === line && words[k].end < column))) k++;
  const hit = words[k];
  if (hit && hit.line === line && hit.start <= column) {
    // The typed part, as written: for a quoted word the columns do not map onto its text.
    return { word: { token: hit, typed: hit.quoted ? hit.text : hit.text.slice(0, column - hit.start) }, before: words.slice(0, k) };
  }
  return { word: { token: { text: '', line, start: column, end: column }, typed: '' }, before: words.slice(0, k) };
}

function lineText(lines: readonly string[], line: number): string {
  return withoutCr(lines[line] ?? '');
}

function withoutCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/**
 * iptables-restore input from line `first` on (`lineAt` reads a line): `tabs`
 * tells whether leading tabs are removed from each line first (a `<<-`
 * heredoc). `markAbove`: the line above that opens or closes a table block, when known.
 */
function restoreContext(lineAt: (line: number) => string, first: number, pos: Position, family: Family, tabs: boolean, markAbove?: (line: number) => number | undefined): CursorContext | undefined {
  const read = (l: number) => {
    const raw = withoutCr(lineAt(l));
    const offset = tabs ? /^\t*/.exec(raw)![0].length : 0;
    return { text: raw.slice(offset), offset };
  };
  const { text, offset } = read(pos.line);
  const column = pos.character - offset;
  if (column < 0 || text.startsWith('#')) return undefined;
  if (text.startsWith('*')) {
    return { kind: 'header', family, word: wordAt(splitRestoreWords(text, pos.line, 1, offset), pos.line, pos.character).word };
  }
  let table: string | undefined;
  if (markAbove) {
    // The nearest `*table` or COMMIT above, without walking up thousands of lines.
    const above = markAbove(pos.line);
    const mark = above === undefined ? '' : read(above).text;
    if (above !== undefined && mark.startsWith('*')) table = splitRestoreWords(mark, above, 1)[0]?.text;
  } else {
    for (let l = pos.line - 1; l >= first; l--) {
      const above = read(l).text;
      if (above === 'COMMIT') break;
      if (above.startsWith('*')) {
        table = splitRestoreWords(above, l, 1)[0]?.text;
        break;
      }
    }
  }
  if (text.startsWith(':')) {
    if (!table) return undefined;
    const words = splitRestoreWords(text, pos.line, 1, offset);
    const at = wordAt(words, pos.line, pos.character);
    return { kind: 'chainLine', family, table, words, field: at.before.length, word: at.word };
  }
  // A `[packets:bytes]` prefix is not a word of the command.
  const from = text.startsWith('[') && text.indexOf(']') >= 0 && text.indexOf(']') < column ? text.indexOf(']') + 1 : 0;
  const words = splitRestoreWords(text, pos.line, from, offset);
  const { word, before } = wordAt(words, pos.line, pos.character);
  if (before.length === 0 && from === 0 && !word.token.text.startsWith('-')) return { kind: 'lineStart', family, table, word };
  if (!table) return undefined;
  return { kind: 'command', family, restore: true, table, words, before, word };
}

/** `$IPT`, `${IPTABLES}`, `$IP6T`: a variable named for iptables (not for its save or restore). */
const IPTABLES_VARIABLE = /^\$\{?((?:\w*_)?ip(6?)t\w*)\}?$/i;

function scriptContext(lines: readonly string[], pos: Position, analysis: DocumentAnalysis | undefined): CursorContext | undefined {
  const heredoc = heredocAt(lines, pos.line);
  if (heredoc) {
    const family = restoreFamilyOf(lineText(lines, heredoc.opener));
    return family && restoreContext((l) => lines[l] ?? '', heredoc.opener + 1, pos, family, heredoc.stripTabs);
  }
  const command = shellCommandAt(lines, pos);
  if (!command) return undefined;
  let { name, args } = command;
  if (isMultiCall(name.text) && args.length) [name, ...args] = args;
  let family: Family | undefined;
  const tool = name.unknown ? undefined : iptablesTool(name.text);
  if (tool) family = tool.kind === 'iptables' ? tool.family : undefined;
  else {
    const variable = IPTABLES_VARIABLE.exec(name.text);
    if (variable && !/save|restore/i.test(variable[1])) {
      // What the variable holds is known to the analysis when it ran the line.
      family = analysis?.calls?.find((c) => c.line === command.line)?.family ?? (variable[2] ? 'ipv6' : 'ipv4');
    }
  }
  if (!family) return undefined;
  const { word, before } = wordAt(args, pos.line, pos.character);
  return { kind: 'command', family, restore: false, table: tableOption(args) ?? 'filter', words: args, before, word };
}

/** The table a command line names with `-t`, `-tnat`, `--table nat` or `--table=nat`. */
function tableOption(words: readonly Token[]): string | undefined {
  for (let k = 0; k < words.length; k++) {
    const w = words[k].text;
    if (w === '-t' || w === '--table') return words[k + 1]?.text;
    const m = /^(?:-t|--table=)(.+)$/.exec(w);
    if (m) return m[1];
  }
  return undefined;
}

export function cursorContext(source: ContextSource, pos: Position): CursorContext | undefined {
  const given = source.kind === 'save' ? source.lines : undefined;
  const text = given ? undefined : linesOf(source);
  const lineAt = given ? (l: number) => given.line(l) : (l: number) => text!.lines[l] ?? '';
  if (pos.line >= (given?.count ?? text!.lines.length)) return undefined;
  // LSP: a character past the line's end means the line's end.
  pos = { line: pos.line, character: Math.min(pos.character, lineAt(pos.line).length) };
  if (source.kind === 'script') return scriptContext(text!.lines, pos, source.analysis);
  const family = source.analysis?.file?.family ?? detectFamily(source.text);
  const markAbove = given ? (l: number) => given.blockMarkAbove(l) : (l: number) => {
    const marks = text!.blockMarks ??= blockMarksOf(text!.lines);
    return marks[lastBelow(marks, l)];
  };
  return restoreContext(lineAt, 0, pos, family, false, markAbove);
}

interface TextLines {
  text: SourceText;
  lines: string[];
  /** Lines that start or end a table block (`*table`, COMMIT), in order. */
  blockMarks?: number[];
}

/**
 * Requests come one after another on the same text, which may have 200k lines:
 * it is split once, kept with the analysis it is read with (and gone with it).
 */
const split = new WeakMap<DocumentAnalysis, TextLines>();

function linesOf(source: ContextSource): TextLines {
  const kept = source.analysis && split.get(source.analysis);
  if (kept?.text === source.text) return kept;
  const fresh = { text: source.text, lines: source.text.toString().split('\n') };
  if (source.analysis) split.set(source.analysis, fresh);
  return fresh;
}

function blockMarksOf(lines: readonly string[]): number[] {
  const marks: number[] = [];
  for (let l = 0; l < lines.length; l++) {
    const c = lines[l].charCodeAt(0);
    if (c === 42 /* * */ || (c === 67 /* C */ && lineText(lines, l) === 'COMMIT')) marks.push(l);
  }
  return marks;
}

/** The index in `sorted` of the last value below `line` (-1 for none). */
export function lastBelow(sorted: readonly number[], line: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < line) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
