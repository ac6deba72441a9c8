// Quick fixes: for a diagnostic whose repair is clear, the edits that make it.
// Facts the check knew (the module an option needs, the word meant) come with
// the diagnostic (`fix`); where things are in the document comes from the
// analysis. Edits are as small as they can be, so the user's layout survives.
import type { DocumentAnalysis } from '../analysis/document';
import type { Diagnostic, FixFacts, Span } from '../diagnostics';
import { MAX_CHAIN_NAME } from '../knowledge';
import type { IptablesCall } from '../shell/scriptFirewall';
import { iptablesTool } from '../shell/tools';
import type { Command } from '../syntax/command';
import type { SaveFile, TableBlock } from '../syntax/saveFile';

export interface Position {
  line: number;
  /** UTF-16 code units, as in LSP. */
  character: number;
}

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
      if (analysis.file) fixes.push(...commitFix(diagnostic.span, analysis.file, doc));
      break;
    case 'deprecated':
      fixes.push(...replacementFix(diagnostic.span, analysis, doc));
      break;
  }
  if (diagnostic.fix) fixes.push(...factFixes(diagnostic, diagnostic.fix, analysis, doc));
  const sure = fixes.filter((f) => !f.doubtful);
  return fixes.map(({ title, edits }, i) => (sure.length === 1 && sure[0] === fixes[i] ? { title, edits, preferred: true } : { title, edits }));
}

function factFixes(d: Diagnostic, facts: FixFacts, analysis: DocumentAnalysis, doc: DocumentText): Candidate[] {
  const fixes: Candidate[] = [];
  if (facts.replaceWith !== undefined && doc.isLiteral(d.span)) {
    fixes.push({ title: `Change to \`${facts.replaceWith}\``, edits: [doc.replace(d.span, facts.replaceWith)] });
  }
  if (facts.insert) {
    const { words, at } = facts.insert;
    // Several choices (`-p tcp`, `-p udp`): none is the obvious one.
    for (const word of words) fixes.push({ title: `Add \`${word}\``, edits: [doc.insert(at, `${word} `)], doubtful: words.length > 1 });
  }
  if (facts.negation) fixes.push(...negationFix(d.span, facts.negation, doc));
  if (facts.createChain && validChainName(facts.createChain.name)) {
    const { name, table } = facts.createChain;
    const create = analysis.file ? declareChainFix(d.span, name, table, analysis.file, doc) : scriptChainFix(d.span, name, table, analysis.calls ?? [], doc);
    // With a typo guess as well, a chain of the mistyped name is the less likely wish.
    fixes.push(...create.map((f) => ({ ...f, doubtful: facts.replaceWith !== undefined })));
  }
  return fixes;
}

function validChainName(name: string): boolean {
  return name !== '' && name.length <= MAX_CHAIN_NAME && !/\s/.test(name) && !/^[-!]/.test(name);
}

// ---- the fixes --------------------------------------------------------------

function lineEndingFix(doc: DocumentText): Candidate[] {
  if (!doc.text.includes('\r\n')) return [];
  return [{ title: 'Convert line endings to LF', edits: [{ range: doc.whole(), newText: doc.text.replace(/\r\n/g, '\n') }] }];
}

/** COMMIT goes right after the block's last line (before any comments and blank lines that follow). */
function commitFix(span: Span, file: SaveFile, doc: DocumentText): Candidate[] {
  const open = file.blocks.filter((b) => !b.commit);
  // At the end of the file the block's name is marked; else the `*table` line that starts the next block.
  const block = open.find((b) => sameSpan(b.name, span)) ?? open.filter((b) => b.header.line < span.line).pop();
  if (!block) return [];
  return [{ title: `Add COMMIT at the end of the *${block.name.text} block`, edits: [doc.insertLineAfter(lastLine(block), 'COMMIT')] }];
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
  return [{ title: `Use \`-m ${replacement.name}${newOptions}\``, edits }];
}

/** `-s ! x` → `! -s x`: the `!` moves in front of the option. */
function negationFix(value: Span, { option, bang }: { option: Span; bang: Span }, doc: DocumentText): Candidate[] {
  if (option.line !== bang.line || bang.line !== value.line) return [];
  const optionText = doc.slice(option);
  return [{
    title: `Write \`! ${optionText} ${doc.slice(value)}\``,
    edits: [doc.insert(option, '! '), doc.remove({ line: bang.line, start: bang.start, end: value.start })],
  }];
}

/** In a save file: `:NAME - [0:0]` after the chain lines at the top of the table's block. */
function declareChainFix(span: Span, name: string, table: string, file: SaveFile, doc: DocumentText): Candidate[] {
  const block = blockAt(file, span.line);
  if (!block || block.name.text !== table) return [];
  if (block.statements.some((s) => s.kind === 'chain' && s.name.text === name)) return [];
  let after = block.header.line;
  for (const s of block.statements) {
    if (s.kind !== 'chain') break;
    after = s.line;
  }
  const line = `:${name} - [0:0]`;
  return [{ title: `Declare chain ${name} (\`${line}\`)`, edits: [doc.insertLineAfter(after, line)] }];
}

/**
 * In a script: `iptables [-t table] -N NAME` on a line of its own before the
 * first command that uses the chain, run the same way (`$IPT`, `ip6tables`).
 */
function scriptChainFix(span: Span, name: string, table: string, calls: IptablesCall[], doc: DocumentText): Candidate[] {
  const here = callAt(calls, span);
  if (!here) return [];
  const sameTable = calls.filter((c) => c.family === here.family && tableOf(c.command) === table);
  // Created later on (used too early): a second `-N` would fail there.
  if (sameTable.some((c) => c.command.kind === 'newChain' && c.command.chain?.text === name)) return [];
  const first = sameTable.find((c) => c.command.chain?.text === name || c.command.rule.target?.name === name) ?? here;
  // A command run more than once (a loop, a function) would create the chain twice.
  if (calls.filter((c) => c.line === first.line).length > 1) return [];
  const start = commandStart(first, doc);
  if (!start) return [];
  const t = first.command.table;
  const line = `${start.indent}${start.program}${t ? ` -t ${doc.slice(t)}` : ''} -N ${name}`;
  return [{ title: `Create chain ${name} (\`${line.trim()}\`)`, edits: [doc.insertLineBefore(first.line, line)] }];
}

// ---- finding things -----------------------------------------------------------

function sameSpan(a: Span, b: Span): boolean {
  return a.line === b.line && a.start === b.start && a.end === b.end;
}

function blockAt(file: SaveFile, line: number): TableBlock | undefined {
  return file.blocks.filter((b) => b.header.line < line).pop();
}

function lastLine(block: TableBlock): number {
  return block.statements.length ? block.statements[block.statements.length - 1].line : block.header.line;
}

/** The command a diagnostic is on: a save file's line, or the script call with a word there. */
function commandAt(analysis: DocumentAnalysis, span: Span): Command | undefined {
  if (analysis.file) {
    const statement = blockAt(analysis.file, span.line)?.statements.find((s) => s.line === span.line);
    return statement?.kind === 'command' ? statement.command : undefined;
  }
  return callAt(analysis.calls ?? [], span)?.command;
}

function callAt(calls: IptablesCall[], span: Span): IptablesCall | undefined {
  return calls.find((c) => c.command.words.some((w) => w.line === span.line && w.start <= span.end && span.start <= w.end));
}

function tableOf(command: Command): string {
  return command.table?.text ?? 'filter';
}

/**
 * How a script command starts: its indentation, the word that runs iptables
 * (`iptables`, `/sbin/ip6tables`, `$IPT`), and what comes before that word.
 */
function commandStart(call: IptablesCall, doc: DocumentText): { indent: string; program: string; before: string } | undefined {
  const first = call.command.words[0];
  if (!first) return undefined;
  const text = doc.line(call.line);
  const head = first.line === call.line ? text.slice(0, first.start) : text.replace(/\\\s*$/, '');
  const m = /^(\s*)(.*?)(\S+)\s*$/.exec(head);
  if (!m) return undefined;
  const program = m[3];
  const isProgram = iptablesTool(program.replace(/^"|"$/g, '')) !== undefined || /^"?\$(\w+|\{\w+\})"?$/.test(program);
  return isProgram ? { indent: m[1], program, before: m[2] } : undefined;
}

/** The document's lines, and edits expressed on them. */
class DocumentText {
  private readonly lines: string[];
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

  whole(): TextEdit['range'] {
    const last = this.lines.length - 1;
    return { start: { line: 0, character: 0 }, end: { line: last, character: this.lines[last].length } };
  }
}
