// Every place a document names a chain: declarations (`:web`, `-N web`), the
// chain of a command (`-A web`, `-F web`...), renames (`-E old new`) and jumps
// (`-j web`, `-g web`), from a save file, a script's iptables calls, or the
// iptables-restore input a script feeds in. A chain is its name in one table
// of one family: `web` in *filter and `web` in *nat are two chains.
// Navigation, the outline and semantic tokens all read this one index.
import type { DocumentAnalysis } from '../analysis/document';
import type { Position, Span } from '../diagnostics';
import type { SourceText } from '../sourceText';
import { Family, isBuiltinChain, isStandardTarget, TableName } from '../knowledge';
import { Command, CommandHead } from '../syntax/command';
import type { CommandLine, SaveFile } from '../syntax/saveFile';
import { spanOf, Token } from '../syntax/token';

export type OccurrenceKind =
  /** `:NAME`, `-N NAME`. */
  | 'declare'
  /** `-E OLD new`. */
  | 'rename-from'
  /** `-E old NEW`: the chain goes on under this name. */
  | 'rename-to'
  /** The chain of `-A -I -D -R -C`. */
  | 'rule'
  /** The chain of `-F -Z -L -S -X -P`. */
  | 'command'
  | 'jump'
  | 'goto';

export interface ChainOccurrence {
  name: string;
  table: string;
  family: Family;
  kind: OccurrenceKind;
  builtin: boolean;
  /**
   * Where the name is used. In a script, the word that gives it (`$CHAIN`),
   * or the name itself when it is written there.
   */
  span: Span;
  /**
   * Where the name is written as it is (without quotes): editing this renames
   * the chain here. In a script it may be elsewhere (`CHAIN=web`, a function's
   * caller). Undefined when the name is not written in one piece.
   */
  literal?: Span;
  /** Without a literal: the text at `span`, to say why it cannot be edited. */
  asWritten?: string;
}

export interface ChainIndex {
  /** In document order. */
  occurrences: ChainOccurrence[];
  /** `-j NAME` words that name a target, not a chain. */
  targets: { name: string; span: Span }[];
  /** Words in a chain's place whose value only the running script knows. */
  unknown: { span: Span; why: string }[];
  /** A shell script: names are written in shell syntax. */
  shell: boolean;
}

export function contains(span: Span, at: Position): boolean {
  return span.line === at.line && span.start <= at.character && at.character <= span.end;
}

const cache = new WeakMap<DocumentAnalysis, ChainIndex>();

/** The index of the analysed document `text` (kept with the analysis). */
export function chainIndex(analysis: DocumentAnalysis, text: SourceText): ChainIndex {
  let index = cache.get(analysis);
  if (!index) {
    index = buildIndex(analysis, lineReader(text));
    cache.set(analysis, index);
  }
  return index;
}

/** Each line of `text` (up to its \n; undefined past the last): from its known line starts when it has them, as the server's text of 200k lines, which is then neither joined nor split. */
export function lineReader(text: SourceText): (line: number) => string | undefined {
  if (text.lineText) return (line) => text.lineText!(line);
  const lines = text.toString().split('\n');
  return (line) => lines[line];
}

/**
 * Each occurrence of the analysed document `text` given to `visit` (not in document order), without
 * keeping them: the index of a kube-proxy node's rules is 400k of them (50 MB) that the semantic tokens
 * need only once. From the index when it is made already.
 */
export function visitOccurrences(analysis: DocumentAnalysis, text: SourceText, visit: (o: ChainOccurrence) => void): void {
  const index = cache.get(analysis);
  if (index) index.occurrences.forEach(visit);
  else buildIndex(analysis, lineReader(text), visit);
}

function buildIndex(analysis: DocumentAnalysis, lineOf: (line: number) => string | undefined, visit?: (o: ChainOccurrence) => void): ChainIndex {
  const builder = new IndexBuilder(lineOf, analysis.kind === 'script', visit);
  if (analysis.file) builder.saveFile(analysis.file);
  for (const call of analysis.calls ?? []) {
    const table = call.head.table;
    if (table?.unknown) {
      const why = table.unknown;
      chainWords(call.head, (token) => builder.unknownWord(token, why));
      continue;
    }
    builder.command(call.head, call.family, table?.text ?? 'filter', (token) => call.sourceOf(token));
  }
  for (const file of analysis.restores ?? []) builder.saveFile(file);
  return builder.finish();
}

/** The occurrences on some command lines of a save file alone (a patched analysis's new lines), in document order. */
export function commandOccurrences(commands: readonly CommandLine[], family: Family): ChainOccurrence[] {
  const byLine = new Map(commands.map((c) => [c.line, c]));
  const builder = new IndexBuilder((line) => byLine.get(line)?.text, false);
  for (const c of commands) builder.command(c.head, family, c.context.table);
  return builder.finish().occurrences;
}

class IndexBuilder {
  private readonly occurrences: ChainOccurrence[] = [];
  private readonly targets: ChainIndex['targets'] = [];
  private readonly unknown: ChainIndex['unknown'] = [];
  /** A script's loops and functions run a command many times: each place once. */
  private readonly seen?: Set<string>;

  /** `lineAt`: the text of a line, where names are found as written; `visit`: each occurrence is given to it, not kept. */
  constructor(private readonly lineAt: (line: number) => string | undefined, private readonly shell: boolean, private readonly visit?: (o: ChainOccurrence) => void) {
    if (shell) this.seen = new Set();
  }

  saveFile(file: SaveFile): void {
    for (const block of file.blocks) {
      const table = block.name.text;
      for (const st of block.statements) {
        if (st.kind === 'chain') this.add(st.name, 'declare', file.family, table);
        // The head names every chain a command does: the line is not parsed again.
        else this.command(st.head, file.family, table);
      }
    }
  }

  command(command: CommandHead, family: Family, table: string, sourceOf?: (token: Token) => Span | undefined): void {
    if (command.otherFamily) return;
    chainWords(command, (token, kind) => {
      if (token.unknown) this.unknownWord(token, token.unknown);
      else this.add(token, kind, family, table, sourceOf?.(token));
    });
    // Only occurrences are visited: targets and unknown words are the index's.
    const target = this.visit ? undefined : command.target;
    if (target && !target.nameToken.unknown && !jumpsToChain(command)) {
      if (this.seen && this.repeated(`target ${spanKey(target.nameToken)}`)) return;
      // The token itself: thousands of `-j RETURN` are not worth a copy each.
      this.targets.push({ name: target.name, span: target.nameToken });
    }
  }

  unknownWord(token: Token, why: string): void {
    if (this.visit || (this.seen && this.repeated(`unknown ${spanKey(token)}`))) return;
    this.unknown.push({ span: spanOf(token), why });
  }

  private add(token: Token, kind: OccurrenceKind, family: Family, table: string, source?: Span): void {
    const name = token.text;
    if (name === '') return;
    const literal = this.literalOf(token, source);
    const span = literal && literal.line === token.line && literal.start >= token.start && literal.end <= token.end ? literal : spanOf(token);
    if (this.seen && this.repeated(`${family} ${table} ${name} ${kind} ${spanKey(span)} ${literal ? spanKey(literal) : '-'}`)) return;
    const asWritten = literal ? undefined : this.lineAt(span.line)?.slice(span.start, span.end);
    const occurrence: ChainOccurrence = { name, table, family, kind, builtin: isBuiltinChain(table as TableName, name), span, literal, asWritten };
    if (this.visit) this.visit(occurrence);
    else this.occurrences.push(occurrence);
  }

  /** Where the name is written exactly: the word itself (inside its quotes), or where a script took it from. */
  private literalOf(token: Token, source: Span | undefined): Span | undefined {
    const name = token.text;
    if (this.writes(token, name, 0)) return spanOf(token);
    if (this.writes(token, name, 1)) return { line: token.line, start: token.start + 1, end: token.end - 1 };
    // A script's source is checked against the text too: a heredoc's expansions shift columns.
    return source && this.writes(source, name, 0) ? spanOf(source) : undefined;
  }

  /** Does the text at `span` hold exactly `name`, bare (0) or in a pair of quotes (1)? */
  private writes(span: Span, name: string, quotes: 0 | 1): boolean {
    const line = this.lineAt(span.line);
    if (line === undefined || span.end - span.start !== name.length + 2 * quotes || !line.startsWith(name, span.start + quotes)) return false;
    const q = line[span.start];
    return quotes === 0 || ((q === '"' || q === "'") && line[span.end - 1] === q);
  }

  private repeated(key: string): boolean {
    if (this.seen!.has(key)) return true;
    this.seen!.add(key);
    return false;
  }

  finish(): ChainIndex {
    return { occurrences: this.occurrences.sort(byPosition), targets: this.targets.sort(byPosition), unknown: this.unknown.sort(byPosition), shell: this.shell };
  }
}

/** Document order of things with a place. */
export function byPosition(a: { span: Span }, b: { span: Span }): number {
  return a.span.line - b.span.line || a.span.start - b.span.start;
}

const COMMAND_KIND: Partial<Record<NonNullable<Command['kind']>, OccurrenceKind>> = {
  append: 'rule', insert: 'rule', delete: 'rule', replace: 'rule', check: 'rule',
  newChain: 'declare', renameChain: 'rename-from',
  flush: 'command', zero: 'command', list: 'command', listRules: 'command', deleteChain: 'command', policy: 'command',
};

/** The words of a command that name chains, with what each does. */
function chainWords(command: CommandHead, visit: (token: Token, kind: OccurrenceKind) => void): void {
  const kind = command.kind && COMMAND_KIND[command.kind];
  if (command.chain && kind) visit(command.chain, kind);
  if (command.newName && command.kind === 'renameChain') visit(command.newName, 'rename-to');
  const target = command.target;
  if (target && jumpsToChain(command)) visit(target.nameToken, target.goto ? 'goto' : 'jump');
}

/** `-g` always names a chain; `-j` does unless it names a verdict or a target extension. */
function jumpsToChain(command: CommandHead): boolean {
  const t = command.target;
  return !!t && (t.goto || (!t.spec && !isStandardTarget(t.name)));
}

function spanKey(s: Span): string {
  return `${s.line}:${s.start}:${s.end}`;
}
