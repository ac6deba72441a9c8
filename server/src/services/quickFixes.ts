// Quick fixes: for a diagnostic whose repair is clear, the edits that make it.
// Facts the check knew (the module an option needs, the word meant) come with
// the diagnostic (`fix`); where things are in the document comes from the
// analysis. Edits are as small as they can be, so the user's layout survives.
import type { DocumentAnalysis } from '../analysis/document';
import type { Diagnostic, FixFacts, Position, Span } from '../diagnostics';
import type { Family } from '../knowledge';
import type { IptablesCall } from '../shell/iptablesCalls';
import { iptablesTool, prefixLength } from '../shell/tools';
import { chainNameProblem, Command } from '../syntax/command';
import type { SaveFile, TableBlock } from '../syntax/saveFile';
import { sameSpan } from '../syntax/token';
import { shellCommandAt } from './shellWords';
import { t } from '../l10n';

export interface TextEdit {
  range: { start: Position; end: Position };
  newText: string;
}

export interface QuickFix {
  title: string;
  edits: TextEdit[];
  /** The fix to apply when the user asks for "the" fix of this problem. */
  preferred?: boolean;
}

/** A fix being made: `doubtful` when it is one guess among others. */
type Candidate = Omit<QuickFix, 'preferred'> & { doubtful?: boolean };

/** The fixes for one diagnostic of the analysed document `text`; none when the repair is not clear. */
export function quickFixes(diagnostic: Diagnostic, analysis: DocumentAnalysis, text: string): QuickFix[] {
  const doc = new DocumentText(text);
  const fixes: Candidate[] = [];
  switch (diagnostic.code) {
    case 'crlf':
      fixes.push(...lineEndingFix(doc));
      break;
    case 'missing-commit':
      fixes.push(...commitFix(diagnostic.span, analysis, doc));
      break;
    case 'deprecated':
      fixes.push(...replacementFix(diagnostic.span, analysis, doc));
      break;
    case 'duplicate-rule':
      fixes.push(...removeRuleFix(diagnostic.span, analysis, doc));
      break;
  }
  if (diagnostic.fix) fixes.push(...factFixes(diagnostic, diagnostic.fix, analysis, doc));
  const sure = fixes.filter((f) => !f.doubtful);
  return fixes.map(({ title, edits }, i) => (sure.length === 1 && sure[0] === fixes[i] ? { title, edits, preferred: true } : { title, edits }));
}

function factFixes(d: Diagnostic, facts: FixFacts, analysis: DocumentAnalysis, doc: DocumentText): Candidate[] {
  const fixes: Candidate[] = [];
  if (facts.replaceWith !== undefined && doc.isLiteral(d.span)) {
    fixes.push({ title: t('Change to `{0}`', facts.replaceWith), edits: [doc.replace(d.span, facts.replaceWith)] });
  }
  if (facts.insert) {
    const { words, at } = facts.insert;
    // Several choices (`-p tcp`, `-p udp`): none is the obvious one.
    for (const word of words) fixes.push({ title: t('Add `{0}`', word), edits: [doc.insert(at, `${word} `)], doubtful: words.length > 1 });
  }
  if (facts.negation) fixes.push(...negationFix(d.span, facts.negation, doc));
  if (facts.createChain) {
    const { name, table } = facts.createChain;
    const input = restoreInputAt(analysis, d.span.line);
    const create = input ? declareChainFix(d.span, name, table, input, doc) : scriptChainFix(d.span, name, table, analysis.calls ?? [], doc);
    // With a typo guess as well, a chain of the mistyped name is the less likely wish.
    fixes.push(...create.map((f) => ({ ...f, doubtful: facts.replaceWith !== undefined })));
  }
  return fixes;
}

// ---- the fixes --------------------------------------------------------------

function lineEndingFix(doc: DocumentText): Candidate[] {
  if (!doc.text.includes('\r\n')) return [];
  return [{ title: t('Convert line endings to LF'), edits: [{ range: doc.whole(), newText: doc.text.replace(/\r\n/g, '\n') }] }];
}

/** COMMIT goes right after the block's last line (before any comments and blank lines that follow). */
function commitFix(span: Span, analysis: DocumentAnalysis, doc: DocumentText): Candidate[] {
  const open = restoreInputAt(analysis, span.line)?.blocks.filter((b) => !b.commit) ?? [];
  // At the end of the file the block's name is marked; else the `*table` line that starts the next block.
  const block = open.find((b) => sameSpan(b.name, span)) ?? open.filter((b) => b.header.line < span.line).pop();
  if (!block) return [];
  return [{ title: t('Add COMMIT at the end of the *{0} block', block.name.text), edits: [doc.insertLineAfter(lastLine(block), 'COMMIT')] }];
}

/** `-m state --state X` → `-m conntrack --ctstate X`: the module name and each option name, nothing else. */
function replacementFix(span: Span, analysis: DocumentAnalysis, doc: DocumentText): Candidate[] {
  const match = commandAt(analysis, span)?.rule.matches.find((m) => m.nameToken && sameSpan(m.nameToken, span));
  const replacement = match?.spec?.replacement;
  if (!match || !replacement || !doc.isLiteral(span)) return [];
  const edits = [doc.replace(span, replacement.name)];
  for (const use of match.options) {
    const renamed = replacement.options[use.spec.name];
    if (!renamed) continue;
    if (!doc.isLiteral(use.flag)) return [];
    edits.push(doc.replace(use.flag, `--${renamed}`));
  }
  const newOptions = match.options.map((o) => ` --${replacement.options[o.spec.name] ?? o.spec.name}`).join('');
  return [{ title: t('Use `-m {0}{1}`', replacement.name, newOptions), edits }];
}

/** `-s ! x` → `! -s x`: the `!` moves in front of the option. */
function negationFix(value: Span, { option, bang }: { option: Span; bang: Span }, doc: DocumentText): Candidate[] {
  if (option.line !== bang.line || bang.line !== value.line) return [];
  const optionText = doc.slice(option);
  return [{
    title: t('Write `! {0} {1}`', optionText, doc.slice(value)),
    edits: [doc.insert(option, '! '), doc.remove({ line: bang.line, start: bang.start, end: value.start })],
  }];
}

/** In a save file: `:NAME - [0:0]` after the chain lines at the top of the table's block. */
function declareChainFix(span: Span, name: string, table: string, file: SaveFile, doc: DocumentText): Candidate[] {
  const block = blockAt(file, span.line);
  if (!block || block.name.text !== table || !creatable(name, file.family)) return [];
  if (block.statements.some((s) => s.kind === 'chain' && s.name.text === name)) return [];
  let after = block.header.line;
  for (const s of block.statements) {
    if (s.kind !== 'chain') break;
    after = s.line;
  }
  const line = `:${name} - [0:0]`;
  return [{ title: t('Declare chain {0} (`{1}`)', name, line), edits: [doc.insertLineAfter(after, line)] }];
}

/**
 * In a script: `iptables [-t table] -N NAME` on a line of its own before the
 * first command that uses the chain, run the same way (`$IPT`, `ip6tables`).
 */
function scriptChainFix(span: Span, name: string, table: string, calls: IptablesCall[], doc: DocumentText): Candidate[] {
  const here = callAt(calls, span);
  if (!here || !creatable(name, here.family)) return [];
  // Read from the calls' heads: a long script's commands are not parsed again.
  const sameTable = calls.filter((c) => c.family === here.family && (c.head.table?.text ?? 'filter') === table);
  // Created later on (used too early): a second `-N` would fail there.
  if (sameTable.some((c) => c.head.kind === 'newChain' && c.head.chainName === name)) return [];
  const first = sameTable.find((c) => c.head.chainName === name || c.head.targetName === name) ?? here;
  // A command run more than once (a loop, a function) would create the chain twice.
  if (calls.filter((c) => c.line === first.line).length > 1) return [];
  const start = commandStart(first, doc);
  if (!start) return [];
  const tableWord = first.command.table;
  const line = `${doc.indentation(first.line)}${start.program}${tableWord ? ` -t ${doc.slice(tableWord)}` : ''} -N ${name}`;
  return [{ title: t('Create chain {0} (`{1}`)', name, line.trim()), edits: [doc.insertLineBefore(first.line, line)] }];
}

/** Deletes the line(s) of the rule the diagnostic marks. */
function removeRuleFix(span: Span, analysis: DocumentAnalysis, doc: DocumentText): Candidate[] {
  const title = t('Remove the duplicate rule');
  if (restoreInputAt(analysis, span.line)) {
    return commandAt(analysis, span) ? [{ title, edits: [doc.removeLines(span.line, span.line)] }] : [];
  }
  const calls = analysis.calls ?? [];
  const call = callAt(calls, span);
  if (!call || calls.filter((c) => c.line === call.line).length > 1) return [];
  const start = commandStart(call, doc);
  const last = call.command.words[call.command.words.length - 1];
  // Only a command that has its lines to itself: nothing before it, nothing but a comment after.
  if (!start?.alone || !/^\s*(#.*)?$/.test(doc.line(last.line).slice(last.end))) return [];
  return [{ title, edits: [doc.removeLines(call.line, last.line)] }];
}

// ---- finding things -----------------------------------------------------------

/** A chain iptables would create under this name. */
function creatable(name: string, family: Family): boolean {
  return chainNameProblem(name, family, true) === undefined;
}

/** The iptables-restore input a line is in: the save file, or a script's here-document. */
function restoreInputAt(analysis: DocumentAnalysis, line: number): SaveFile | undefined {
  if (analysis.file) return analysis.file;
  return analysis.restores?.find((f) => f.blocks.length > 0 && f.blocks[0].header.line <= line && line <= endLine(f));
}

function endLine(file: SaveFile): number {
  const last = file.blocks[file.blocks.length - 1];
  return last.commit?.line ?? lastLine(last);
}

function blockAt(file: SaveFile, line: number): TableBlock | undefined {
  return file.blocks.filter((b) => b.header.line < line).pop();
}

function lastLine(block: TableBlock): number {
  return block.statements.length ? block.statements[block.statements.length - 1].line : block.header.line;
}

/** The command a diagnostic is on: a line of restore input, or the script call with a word there. */
function commandAt(analysis: DocumentAnalysis, span: Span): Command | undefined {
  const input = restoreInputAt(analysis, span.line);
  if (input) {
    const statement = blockAt(input, span.line)?.statements.find((s) => s.line === span.line);
    return statement && statement.kind !== 'chain' ? statement.command : undefined;
  }
  return callAt(analysis.calls ?? [], span)?.command;
}

function callAt(calls: IptablesCall[], span: Span): IptablesCall | undefined {
  return calls.find((c) => c.hasWordOn(span.line) && c.command.words.some((w) => w.line === span.line && w.start <= span.end && span.start <= w.end));
}


/**
 * How a script command runs iptables, as written (`iptables`, `sudo
 * /sbin/ip6tables`, `"$IPT"`), and whether the command starts its line.
 */
function commandStart(call: IptablesCall, doc: DocumentText): { program: string; alone: boolean } | undefined {
  const first = call.command.words[0];
  const name = first && shellCommandAt(doc.lines, { line: first.line, character: first.start })?.name;
  if (!name || !(name.unknown || iptablesTool(name.text))) return undefined;
  const before = doc.line(name.line).slice(doc.indentation(name.line).length, name.start);
  const words = before.split(/\s+/).filter((w) => w !== '');
  // `sudo` and the like run the command: they go with it.
  const prefix = words.length > 0 && prefixLength(words) === words.length;
  return { program: (prefix ? before : '') + doc.slice(name), alone: prefix || words.length === 0 };
}

/** The document's lines, and edits expressed on them. */
class DocumentText {
  readonly lines: string[];
  private readonly eol: string;

  constructor(readonly text: string) {
    this.lines = text.split('\n');
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
  }

  /** A line without its line ending. */
  line(n: number): string {
    const l = this.lines[n] ?? '';
    return l.endsWith('\r') ? l.slice(0, -1) : l;
  }

  indentation(line: number): string {
    return /^\s*/.exec(this.line(line))![0];
  }

  slice(span: Span): string {
    return this.line(span.line).slice(span.start, span.end);
  }

  /** Written out in the text, not made by a shell expansion that an edit would destroy. */
  isLiteral(span: Span): boolean {
    const s = this.slice(span);
    return s !== '' && !/[$`]/.test(s);
  }

  replace(span: Span, newText: string): TextEdit {
    return { range: { start: { line: span.line, character: span.start }, end: { line: span.line, character: span.end } }, newText };
  }

  insert(before: Span, newText: string): TextEdit {
    return this.replace({ line: before.line, start: before.start, end: before.start }, newText);
  }

  remove(span: Span): TextEdit {
    return this.replace(span, '');
  }

  insertLineBefore(line: number, content: string): TextEdit {
    return this.replace({ line, start: 0, end: 0 }, content + this.eol);
  }

  insertLineAfter(line: number, content: string): TextEdit {
    if (line + 1 < this.lines.length) return this.insertLineBefore(line + 1, content);
    const end = this.line(line).length;
    return this.replace({ line, start: end, end }, this.eol + content);
  }

  /** Lines `first` to `last` and their line ending (at the end of the file, the one before them). */
  removeLines(first: number, last: number): TextEdit {
    if (last + 1 < this.lines.length) return { range: { start: { line: first, character: 0 }, end: { line: last + 1, character: 0 } }, newText: '' };
    const start = first > 0 ? { line: first - 1, character: this.line(first - 1).length } : { line: first, character: 0 };
    return { range: { start, end: { line: last, character: this.line(last).length } }, newText: '' };
  }

  whole(): TextEdit['range'] {
    const last = this.lines.length - 1;
    return { start: { line: 0, character: 0 }, end: { line: last, character: this.lines[last].length } };
  }
}
