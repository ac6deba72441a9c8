// Reads iptables-save / iptables-restore text into table blocks, line by line,
// with the same rules iptables-restore applies: `#` comments only in the first
// column, `*table` ... `COMMIT` blocks, `:CHAIN POLICY [packets:bytes]`
// declarations, and every other line inside a block run as a command.
// A bad line is reported and skipped; the rest of the file is still read.
import type { SourceText } from '../sourceText';
import type { Diagnostic, DiagnosticCode, Severity, Span } from '../diagnostics';
import type { Family } from '../knowledge';
import { Command, CommandHead, headOf, LineHead, parseCommand, ParseContext, writtenAsRead } from './command';
import type { ParsedLines } from './parsedLines';
import { runToEnd, Steps } from '../steps';
import { closesQuote, splitRestoreWords } from './restoreWords';
import type { Token } from './token';
import { grouped, t } from '../l10n';

/**
 * `:CHAIN POLICY [packets:bytes]`. A kube-proxy dump declares a chain for every third rule or so:
 * the line is its name's word (`name`, unless the word is quoted or missing), keeps where it
 * starts in its block's text as a command line does (CommandLine.text), and the policy's word only
 * for a policy (`-`, a user chain's, sets none): one object of 88 B, where the line kept a word of
 * 56 B and a slice of its text of 32 B beside one of 56 B. The counters' word is not kept: the
 * model ignores them, and the line tells whether an edit changed them.
 */
export class ChainDeclaration implements Token {
  /** On the prototype, like CommandLine's. */
  declare readonly kind: 'chain';

  constructor(
    /** Moved by a re-analysis when lines are added or removed above it (analysis/reanalyse.ts), with its name's word. */
    public line: number,
    /** The chain's name. */
    readonly text: string,
    readonly start: number,
    readonly end: number,
    readonly policy: Token | undefined,
    /** The line as written, or where it starts in its block's source. */
    private readonly written: string | number,
    private readonly context: BlockContext,
    /** The name's word, when it is not this line's own (quoted, or no name at all). */
    private readonly word?: Token,
  ) {}

  /** The chain's name as written. */
  get name(): Token {
    return this.word ?? this;
  }

  /** The line as written. */
  get lineText(): string {
    return lineFromKept(this.written, this.context);
  }
}

Object.defineProperty(ChainDeclaration.prototype, 'kind', { value: 'chain' });

/** Anything that can give a whole parsed command, now or by parsing it again. */
export interface CommandSource {
  readonly command: Command;
  /** What the command does, kept without its words. */
  readonly head: CommandHead;
}

/**
 * A command line of a table block. What it does is kept (its head); the rest of
 * its words are parsed again from the line when asked for: a file of 160k rules
 * would otherwise keep millions of words in memory. A line whose words are written
 * as they read (nearly all) is its own head: one object per rule, not two. Its
 * `kind` is its command's, as a head's (a chain line's is 'chain').
 */
export class CommandLine extends LineHead implements CommandSource {
  /** What few lines have: a column, counters, a head of their own (words quoted, `--append=NAME`). */
  private readonly placed?: { readonly column: number; readonly counters?: Token; readonly head?: CommandHead };

  constructor(
    line: number,
    column: number,
    /** The line as written, or where it starts in its block's source (see `text`). */
    private readonly written: string | number,
    readonly context: BlockContext,
    command: Command,
    counters?: Token,
  ) {
    super(command);
    // Moved by a re-analysis when lines are added or removed above it (analysis/reanalyse.ts), with the head's words when it is its own head.
    this.line = line;
    const head = writtenAsRead(command) ? undefined : headOf(command);
    this.placed = column !== 0 || counters || head ? { column, counters, head } : undefined;
  }

  /** The line as written: a file read once keeps where each line starts, not a slice of its text per line (32 B each). */
  get text(): string {
    return lineFromKept(this.written, this.context);
  }

  /** What the command does: the line itself, or a head of its own. */
  get head(): CommandHead {
    return this.placed?.head ?? this;
  }

  /** Where the line's text starts (a heredoc's lines are shifted in their script). */
  get column(): number {
    return this.placed?.column ?? 0;
  }

  /** A `[packets:bytes]` prefix. */
  get counters(): Token | undefined {
    return this.placed?.counters;
  }

  /** What a later stage worked out from the line (model/ruleFacts.ts), kept with it for the next analysis. */
  facts: unknown = undefined;

  get command(): Command {
    let command = RECENT.get(this);
    if (command) return command;
    command = parseCommandLine(this.text, this.line, this.column, this.context).command;
    // Services ask for the same few commands again and again: keep the last ones.
    if (RECENT.size >= 1024) RECENT.delete(RECENT.keys().next().value!);
    RECENT.set(this, command);
    return command;
  }
}

/**
 * What a line keeps of its text: where it starts in its block's source for a file read once, else
 * the text itself (a line kept for the next versions: see BlockContext.source).
 */
function keptOfLine(context: BlockContext, lineText: string, from: number | undefined): string | number {
  return context.source !== undefined && from !== undefined ? from : lineText;
}

/** A line's text from what it kept (keptOfLine). */
function lineFromKept(kept: string | number, context: BlockContext): string {
  return typeof kept === 'string' ? kept : lineAt(context.source!, kept);
}

/** The line of `source` that starts at `from`, without its line end (a CR before the LF is not part of the line: readSaveFile). */
function lineAt(source: string, from: number): string {
  let end = source.indexOf('\n', from);
  if (end < 0) end = source.length;
  if (end > from && source.charCodeAt(end - 1) === 13 /* \r */) end--;
  return source.slice(from, end);
}

/** A block's parse context, with the text its lines are read from. */
export interface BlockContext extends ParseContext {
  /** The text of a file read once; undefined where lines are kept for its next versions (each keeps its own text: readBlockLine). */
  readonly source?: string;
}

const RECENT = new Map<CommandLine, Command>();

/** Forgets the commands kept for the services (the language server's last document closed). */
export function forgetRecentCommands(): void {
  RECENT.clear();
}

export type Statement = ChainDeclaration | CommandLine;

export interface TableBlock {
  name: Token;
  /** The `*` line. */
  header: Span;
  statements: Statement[];
  commit?: Token;
  /** Where the file's diagnostics of this block begin, and end at its COMMIT: iptables-restore commits table by table. */
  diagnostics: { from: number; toCommit?: number };
}

export interface SaveFile {
  family: Family;
  blocks: TableBlock[];
  /** Lines that are comments (for folding and the outline). */
  comments: number[];
  diagnostics: Diagnostic[];
}

export interface SaveParseOptions {
  /** Overrides the family found in the header comment or the file name. */
  family?: Family;
  fileName?: string;
  /** Commands parsed from the document's previous version, to reuse for unchanged lines. */
  reuse?: ParsedLines;
  /** Input embedded in a script (a heredoc): where each of its lines is in the script. */
  origin?: (line: number) => { line: number; column: number } | undefined;
  /** Hears the file as it is read, so that a model can be built in the same pass. */
  visit?: SaveFileVisitor;
}

export interface SaveFileVisitor {
  block(block: TableBlock): void;
  /**
   * `command`: the whole command, when the line was just parsed (not for a line reused from the last version).
   * A builder returns how many rules it made (one line of address lists can make thousands), to pause after as much work.
   */
  statement(statement: Statement, command?: Command): number | void;
}

/** IPv4 or IPv6: from the header comment, the file name, then the addresses in the text. */
export function detectFamily(text: SourceText, fileName?: string): Family {
  const header = /^# Generated by (ip6?)tables/m.exec(text.slice(0, 4096));
  if (header) return header[1] === 'ip6' ? 'ipv6' : 'ipv4';
  if (fileName && /(^|[/\\])(rules\.v6|ip6tables[^/\\]*|[^/\\]*\.v6|[^/\\]*6\.rules)$/.test(fileName)) return 'ipv6';
  if (fileName && /(^|[/\\])(rules\.v4|iptables[^/\\]*|[^/\\]*\.v4)$/.test(fileName)) return 'ipv4';
  const sample = text.slice(0, 65536);
  const v6 = /\s-[sd]\s+!?\s*[0-9a-fA-F]*:[0-9a-fA-F:]*[/\s]|icmp6|ipv6-icmp|icmpv6|\s--hl-/.test(sample);
  const v4 = /\s-[sd]\s+!?\s*\d+\.\d+\.\d+\.\d+/.test(sample);
  return v6 && !v4 ? 'ipv6' : 'ipv4';
}

export function parseSaveFile(text: string, options: SaveParseOptions = {}): SaveFile {
  return runToEnd(readSaveFile(text, options));
}

/** Lines read and rules made between two pauses of `readSaveFile`. */
const WORK_PER_STEP = 2048;

/**
 * `parseSaveFile` in steps: pauses every few thousand lines or rules made, so
 * that a caller that must stay responsive (the language server) can do other
 * work in between.
 */
export function* readSaveFile(text: string, options: SaveParseOptions = {}): Steps<SaveFile> {
  const family = options.family ?? detectFamily(text, options.fileName);
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error') => {
    diagnostics.push({ code, severity, span, message });
  };
  const blocks: TableBlock[] = [];
  const comments: number[] = [];
  let block: TableBlock | undefined;
  /** One parse context per block, shared by its lines. */
  let context: BlockContext | undefined;
  let crlfReported = false;

  options.reuse?.begin();
  let inputLine = 0;
  let work = 0;
  for (let pos = 0; pos <= text.length; inputLine++) {
    if (++work >= WORK_PER_STEP) {
      work = 0;
      yield;
    }
    const at = options.origin?.(inputLine);
    const line = at?.line ?? inputLine;
    const col = at?.column ?? 0;
    const from = pos;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let lineText = text.slice(pos, nl);
    const atEnd = nl === text.length;
    pos = nl + 1;
    if (atEnd && lineText === '') break;

    if (lineText.endsWith('\r')) {
      lineText = lineText.slice(0, -1);
      // iptables-restore keeps the \r: the first line that is not a comment fails.
      if (!crlfReported && !lineText.startsWith('#')) {
        crlfReported = true;
        report('crlf', { line, start: col, end: col + lineText.length }, t('this file has Windows (CRLF) line endings: iptables-restore reads the carriage return as part of each line and fails here; save it with LF line endings'));
      }
    }
    if (lineText === '') continue;
    const first = lineText.charCodeAt(0);
    if (first === 35 /* # */) {
      comments.push(line);
      continue;
    }

    if (block && lineText === 'COMMIT') {
      block.commit = { text: 'COMMIT', line, start: col, end: col + 6 };
      block.diagnostics.toCommit = diagnostics.length;
      block = undefined;
      continue;
    }
    if (first === 42 /* * */) {
      const name = splitRestoreWords(lineText, line, 1, col)[0];
      if (block) {
        report('missing-commit', lineSpan(line, col, lineText), t('`{0}` starts a new table, but the `*{1}` block above has no COMMIT: iptables-restore fails here; add COMMIT on the line before', lineText, block.name.text));
      }
      if (!name) {
        report('unknown-table', lineSpan(line, col, lineText), t('a `*` line needs a table name: filter, nat, mangle, raw or security'));
        block = undefined;
        continue;
      }
      block = { name, header: lineSpan(line, col, lineText), statements: [], diagnostics: { from: diagnostics.length } };
      // Not for lines kept for the next versions: each keeps its own text (readBlockLine).
      context = { family, restore: true, table: name.text, source: options.reuse ? undefined : text };
      blocks.push(block);
      options.visit?.block(block);
      continue;
    }
    if (!block) {
      report('outside-table', lineSpan(line, col, lineText), outsideMessage(lineText));
      continue;
    }
    if (first === 58 /* : */) {
      // As a command line's (readBlockLine): a slice kept by a patched version would keep this version's whole text alive.
      const declaration = chainDeclaration(options.reuse ? unshared(lineText) : lineText, line, col, context!, from, report);
      block.statements.push(declaration);
      work += options.visit?.statement(declaration) || 0;
      continue;
    }
    const table = block.name.text;
    let statement: CommandLine | undefined;
    let found: readonly Diagnostic[];
    let command: Command | undefined;
    if (options.reuse?.has(line, lineText, col, table, family)) {
      statement = options.reuse.statement(line);
      found = options.reuse.diagnostics(line);
    } else {
      ({ statement, command, diagnostics: found } = readBlockLine(lineText, line, col, context!, options.reuse, from));
    }
    // An index loop: `found` is mostly the frozen empty list, and for...of over it made an iterator result per line.
    for (let k = 0; k < found.length; k++) diagnostics.push(found[k]);
    if (!statement) continue;
    block.statements.push(statement);
    work += options.visit?.statement(statement, command) || 0;
  }
  options.reuse?.finish();
  if (block) {
    report('missing-commit', block.name, t('the `*{0}` table is never committed: iptables-restore applies nothing without a COMMIT line at the end of the block', block.name.text));
  }
  return { family, blocks, comments, diagnostics };
}

/** The first of a block's statements (in line order) on `line` or after it. */
export function firstStatementFrom(statements: readonly Statement[], line: number): number {
  let lo = 0;
  let hi = statements.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (statements[mid].line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the statement on `line` among a block's statements (in line order), or -1. */
export function statementAt(statements: readonly Statement[], line: number): number {
  const at = firstStatementFrom(statements, line);
  return statements[at]?.line === line ? at : -1;
}

/** The block of `blocks` whose lines hold `line` (after its header, before its COMMIT), and the index of the statement on it (-1: none). */
export function blockLine<B extends TableBlock>(blocks: readonly B[], line: number): { block: B; at: number } | undefined {
  const block = blocks.find((b) => b.header.line < line && (b.commit === undefined || line < b.commit.line));
  return block && { block, at: statementAt(block.statements, line) };
}

const NO_DIAGNOSTICS: readonly Diagnostic[] = Object.freeze([]);

/**
 * The characters of `text` in a string of their own. V8 makes a slice of a long
 * string a view into it; joining first makes it copy them (flattening the join).
 */
export function unshared(text: string): string {
  return (' ' + text).slice(1);
}

/**
 * A command line of a table block, as `readSaveFile` reads it (`statement` undefined for a line
 * without words), kept in `reuse` for the next parse. Also for a line read again after an edit.
 * `from`: where the line starts in the context's source (a file read once), kept instead of its text.
 */
export function readBlockLine(lineText: string, line: number, col: number, context: BlockContext, reuse?: ParsedLines, from?: number): { statement?: CommandLine; command: Command; diagnostics: readonly Diagnostic[] } {
  // A line kept for the next versions gets a copy of its own: a slice would keep this version's whole text alive.
  const own = reuse ? unshared(lineText) : lineText;
  const read = parseCommandLine(own, line, col, context);
  const statement = read.command.words.length ? new CommandLine(line, col, keptOfLine(context, own, from), context, read.command, read.counters) : undefined;
  const diagnostics = read.diagnostics.length ? read.diagnostics : NO_DIAGNOSTICS;
  reuse?.set(line, own, col, context.table, context.family, statement, diagnostics);
  return { statement, command: read.command, diagnostics };
}

/** One command line of a table block read on its own (a rule the trace panel got as its line); undefined for a line without words. */
export function readCommandLine(lineText: string, line: number, context: ParseContext): { statement: CommandLine; command: Command } | undefined {
  const { command, counters } = parseCommandLine(lineText, line, 0, context);
  if (!command.words.length) return undefined;
  return { statement: new CommandLine(line, 0, lineText, context, command, counters), command };
}

/** A command line inside a table block: its optional `[packets:bytes]` prefix, words and command. */
function parseCommandLine(lineText: string, line: number, col: number, ctx: ParseContext): { command: Command; counters?: Token; diagnostics: Diagnostic[] } {
  // Called for every rule of a file: nothing allocated here that a good line does not need.
  const diagnostics: Diagnostic[] = [];
  let from = 0;
  let counters: Token | undefined;
  if (lineText.charCodeAt(0) === 91 /* [ */) {
    const close = lineText.indexOf(']');
    if (close < 0 || lineText.indexOf(':') < 0 || lineText.indexOf(':') > close) {
      diagnostics.push(problem('bad-counters', lineSpan(line, col, lineText), t('a counter prefix must look like `[packets:bytes]`')));
      return { command: EMPTY_COMMAND, diagnostics };
    }
    counters = { text: lineText.slice(0, close + 1), line, start: col, end: col + close + 1 };
    if (!/^\[\d+:\d+\]$/.test(counters.text)) diagnostics.push(problem('bad-counters', counters, t('`[packets:bytes]` needs two numbers'), 'warning'));
    from = close + 1;
  }
  const words = splitRestoreWords(lineText, line, from, col);
  for (const w of words) {
    // The tool's buffer for a word holds 1,023 bytes of UTF-8 (at most three per UTF-16 unit).
    const bytes = w.text.length * 3 < MAX_WORD_BYTES ? 0 : new TextEncoder().encode(w.text).length;
    if (bytes >= MAX_WORD_BYTES) diagnostics.push(problem('invalid-value', { line: w.line, start: w.start, end: w.end }, t('this word is {0} bytes long: iptables-restore reads words of at most {1} bytes and refuses the line ("Parameter too long!")', grouped(bytes), grouped(MAX_WORD_BYTES - 1))));
  }
  if (words.length === 0) {
    diagnostics.push(problem('no-command', lineSpan(line, col, lineText), t('a line of only spaces inside a table: iptables-restore refuses it; leave the line empty')));
    return { command: EMPTY_COMMAND, diagnostics };
  }
  const last = words[words.length - 1];
  if (last.quoted && !closesQuote(lineText, last.start - col, last.end - col)) {
    diagnostics.push(problem('unterminated-quote', { line, start: col + lineText.indexOf('"', last.start - col), end: col + lineText.length }, t('this double quote is never closed: the rest of the line becomes one word'), 'warning'));
  }
  return { command: parseCommand(words, ctx, diagnostics), counters, diagnostics };
}

/** The whole line, for a problem with all of it (made only then: a span per line of 160k costs). */
function lineSpan(line: number, col: number, lineText: string): Span {
  return { line, start: col, end: col + lineText.length };
}

function problem(code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error'): Diagnostic {
  return { code, severity, span, message };
}

/** iptables-restore copies each word into a buffer of 1,024 bytes, its end included. */
const MAX_WORD_BYTES = 1024;

/** Stands for a line that holds no command (its problem is reported). */
const EMPTY_COMMAND: Command = Object.freeze({ rule: { matches: [] }, words: [] });

/** `from`: where the line starts in the context's source (a file read once), kept instead of its text. */
function chainDeclaration(lineText: string, line: number, col: number, context: BlockContext, from: number, report: (code: DiagnosticCode, span: Span, message: string, severity?: Severity) => void): ChainDeclaration {
  const [name, policy, counters] = splitRestoreWords(lineText, line, 1, col);
  const word = name ?? { text: '', line, start: col, end: col + 1 };
  const decl = new ChainDeclaration(line, word.text, word.start, word.end, policy?.text === '-' ? undefined : policy, keptOfLine(context, lineText, from), context, name && !name.quoted ? undefined : word);
  if (!name) {
    report('bad-chain-line', { line, start: col, end: col + lineText.length }, t('a chain line needs a name and a policy: `:NAME - [0:0]` or `:INPUT ACCEPT [0:0]`'));
  } else if (!policy) {
    report('bad-chain-line', name, t('`:{0}` needs a policy after the name: `-` for a user-defined chain, ACCEPT or DROP for a built-in one', name.text));
  } else if (policy.text !== '-' && counters && !/^\[\d+:\d+/.test(counters.text)) {
    report('bad-counters', counters, t('policy counters must look like `[packets:bytes]`'));
  }
  return decl;
}

function outsideMessage(lineText: string): string {
  if (lineText.startsWith('COMMIT')) return t('COMMIT without a table: there is no `*table` line above it');
  if (lineText.startsWith(':')) return t('a chain line outside a table: put it after a `*table` line');
  if (/^\s*-/.test(lineText) || lineText.startsWith('[')) {
    return t('a rule outside a table: iptables-restore refuses it; put it between a `*table` line (e.g. `*filter`) and COMMIT');
  }
  if (/^\s+$/.test(lineText)) return t('a line of only spaces outside a table: iptables-restore refuses it; leave it empty');
  if (/^\s+#/.test(lineText)) return t('a comment must start in the first column: iptables-restore refuses `#` after spaces');
  return t('this is not iptables-restore input: outside a table only `*table` lines, `#` comments and empty lines are allowed');
}
