// The analysis of a new version of a save file from the last one, when the
// edit only changed rules in place (a port, an address, a comment typed): the
// model is patched — each edited rule replaced in its chain, checked again, and
// its chain's dead-rule review done again — instead of 160k rules built anew.
// Anything else (a line added or removed, a rule's chain or target changed, a
// block with commands other than -A, a problem of the model's own on an edited
// line) gives undefined: the caller analyses the whole text. The result equals
// a whole analysis of the text (test/unit/reanalyse.test.ts). A caller that
// knows which lines were edited (the language server) spares the new text's
// reading too: only those lines are read again.
import type { Diagnostic } from '../diagnostics';
import { ruleCommitProblems } from '../model/kernelChecks';
import { addressPairs, lineFacts, rememberFacts, ruleCountOf, RuleFacts } from '../model/ruleFacts';
import { Chain, ChainRule, Rule, Table } from '../model/ruleset';
import type { Command } from '../syntax/command';
import type { ParsedLines } from '../syntax/parsedLines';
import type { CommandLine, SaveFile, Statement, TableBlock } from '../syntax/saveFile';
import { detectFamily, readBlockLine, readSaveFile } from '../syntax/saveFile';
import { runToEnd, Steps } from '../steps';
import { Analysis, AnalysisOptions, refuseInput } from './analyse';
import { chainOutcomes, findDeadRulesInChains } from './deadRules';
import { reviewRules } from './rulesetChecks';

const DEAD_RULE_CODES: ReadonlySet<string> = new Set(['shadowed-rule', 'duplicate-rule']);

interface EditedRule {
  table: Table;
  chain: Chain;
  before: CommandLine;
  after: CommandLine;
}

/**
 * `base`'s analysis patched to `text`, or undefined when the edit is not of
 * rules in place. `base`'s tables and chains are changed: they belong to the result from then on.
 */
export function reanalyseEdited(base: Analysis, text: string, options: AnalysisOptions, editedLines?: ReadonlySet<number>): Analysis | undefined {
  return runToEnd(reanalyseSteps(base, text, options, editedLines));
}

/**
 * `reanalyseEdited` in steps (steps.ts): the text is read in steps, the model patched in the last one.
 * `editedLines`: when known, the only lines that differ from `base`'s text (no line added or removed).
 */
export function* reanalyseSteps(base: Analysis, text: string, options: AnalysisOptions, editedLines?: ReadonlySet<number>): Steps<Analysis | undefined> {
  const { file: old, ruleset } = base;
  if (!old || !ruleset || refuseInput(text, options.maxFileSize)) return undefined;
  const family = options.family ?? detectFamily(text, options.fileName);
  if (family !== old.family || ruleset.family !== family) return undefined;
  let found = editedLines && rereadLines(old, ruleset.tables, text, editedLines, options.reuse);
  if (!found) {
    const visit = { block: () => undefined, statement: (st: Statement, command?: Command) => { if (command && st.kind === 'command') rememberFacts(st, command); } };
    const file = yield* readSaveFile(text, { family, reuse: options.reuse, visit });
    const edited = editedRules(old, file, ruleset.tables);
    found = edited && { file, edited };
  }
  if (!found) return undefined;
  const { file, edited } = found;
  const lines = new Set(edited.map((e) => e.after.line));
  if (!sameOutside(old.diagnostics, file.diagnostics, lines)) return undefined;

  // Each edited command makes as many rules as before (one per address pair), all found in its chain.
  const before: (EditedRule & { rules: Rule[] })[] = [];
  for (const e of edited) {
    const rules = rulesOf(e.chain, lineFacts(e.before));
    if (!rules || rules.length !== ruleCountOf(lineFacts(e.after))) return undefined;
    before.push({ ...e, rules });
  }
  // What the last analysis said on the edited lines must be all that the rules' own checks say: else the model had its say there too.
  const expected = old.diagnostics.filter((d) => lines.has(d.span.line));
  for (const e of before) {
    for (const rule of e.rules) ruleCommitProblems(e.table, e.chain, rule, expected);
    reviewRules(e.chain, e.rules, expected);
  }
  const said = base.diagnostics.filter((d) => lines.has(d.span.line) && !DEAD_RULE_CODES.has(d.code));
  if (!sameDiagnostics(said, expected)) return undefined;

  const chains = new Map<Chain, Table>(edited.map((e) => [e.chain, e.table]));
  const reviewed = ruleLines(chains.keys());
  const kept = base.diagnostics.filter((d) => !lines.has(d.span.line) && !(DEAD_RULE_CODES.has(d.code) && reviewed.has(d.span.line)));
  const undeadBefore = base.diagnostics.filter((d) => !DEAD_RULE_CODES.has(d.code));
  const outcomesBefore = [...chains].flatMap(([chain, table]) => chainOutcomes(table, family, [chain], undeadBefore));

  let diagnostics = kept;
  for (const d of file.diagnostics) if (lines.has(d.span.line)) diagnostics.push(d);
  for (const e of before) {
    const rules = replaceRules(e.chain, e.rules, lineFacts(e.after), e.after);
    for (const rule of rules) ruleCommitProblems(e.table, e.chain, rule, diagnostics);
    reviewRules(e.chain, rules, diagnostics);
  }
  const undead = diagnostics.filter((d) => !DEAD_RULE_CODES.has(d.code));
  const outcomesAfter = [...chains].flatMap(([chain, table]) => findDeadRulesInChains(table, family, [chain], diagnostics));
  // The edited rules keep their targets: what a jump into their chain may change differs only when one became, or stopped being, an error.
  const sameErrors = sameLines(errorLines(undeadBefore, lines), errorLines(undead, lines));
  if (!sameErrors || outcomesAfter.join('\n') !== outcomesBefore.join('\n')) {
    // A jump into an edited chain now means something else to the chains that make it, directly or
    // not: their review again (a chain's review reads its own rules and what the chains it jumps to do).
    const callers = [...callersOf(chains)].filter(([chain]) => !chains.has(chain));
    const stale = ruleLines(callers.map(([chain]) => chain));
    diagnostics = diagnostics.filter((d) => !(DEAD_RULE_CODES.has(d.code) && stale.has(d.span.line)));
    for (const [chain, table] of callers) findDeadRulesInChains(table, family, [chain], diagnostics);
  }
  // As a whole analysis orders them: by place, and at one place the dead-rule review's last.
  diagnostics.sort((a, b) => a.span.line - b.span.line || a.span.start - b.span.start || deadLast(a) - deadLast(b));
  // A ruleset object of its own: whatever was worked out per ruleset (a trace's compiled chains) is of the old rules.
  return { file, ruleset: { ...ruleset }, diagnostics };
}

/** The lines of the chains' rules. */
function ruleLines(chains: Iterable<Chain>): Set<number> {
  const lines = new Set<number>();
  for (const chain of chains) {
    for (const rule of chain.rules) {
      // A rule file's head makes its flag token when asked (syntax/command.ts LineHead): once per rule.
      const flag = rule.facts.head.flag;
      if (flag) lines.add(flag.line);
    }
  }
  return lines;
}

/** The chains, and every chain that jumps or goes to one of them, directly or through others (jumps stay in their table). */
function callersOf(chains: ReadonlyMap<Chain, Table>): Map<Chain, Table> {
  const found = new Map(chains);
  const todo = [...chains.keys()];
  for (let chain = todo.pop(); chain; chain = todo.pop()) {
    const table = found.get(chain)!;
    for (const rule of chain.references) {
      const caller = table.chains.get(rule.chain);
      if (!caller || found.has(caller)) continue;
      found.set(caller, table);
      todo.push(caller);
    }
  }
  return found;
}

/** The lines among `lines` with an error: the dead-rule review leaves their rules out. */
function errorLines(diagnostics: readonly Diagnostic[], lines: ReadonlySet<number>): Set<number> {
  return new Set(diagnostics.filter((d) => d.severity === 'error' && lines.has(d.span.line)).map((d) => d.span.line));
}

function sameLines(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  return a.size === b.size && [...a].every((line) => b.has(line));
}

function deadLast(d: Diagnostic): number {
  return DEAD_RULE_CODES.has(d.code) ? 1 : 0;
}

/**
 * The rules edited in place between two parses of a file, or undefined when
 * the files differ otherwise. Every block must be made of chain lines and
 * appends only (iptables-save's own output), each table once.
 */
function editedRules(old: SaveFile, file: SaveFile, tables: ReadonlyMap<string, Table>): EditedRule[] | undefined {
  if (old.blocks.length !== file.blocks.length) return undefined;
  const edited: EditedRule[] = [];
  const names = new Set<string>();
  for (let b = 0; b < file.blocks.length; b++) {
    const before = old.blocks[b];
    const after = file.blocks[b];
    const name = after.name.text;
    if (name !== before.name.text || names.has(name) || after.statements.length !== before.statements.length) return undefined;
    if (after.header.line !== before.header.line || after.commit?.line !== before.commit?.line) return undefined;
    names.add(name);
    const table = tables.get(name);
    if (!table) return undefined;
    for (let s = 0; s < after.statements.length; s++) {
      const x = before.statements[s];
      const y = after.statements[s];
      if (!plain(y)) return undefined;
      if (x === y) continue;
      if (!plain(x)) return undefined;
      if (x.kind === 'chain' || y.kind === 'chain') {
        if (x.kind !== 'chain' || y.kind !== 'chain' || !sameDeclaration(x, y)) return undefined;
        continue;
      }
      const chain = sameRulePlace(x, y) ? table.chains.get(y.head.chainName!) : undefined;
      if (!chain) return undefined;
      edited.push({ table, chain, before: x, after: y });
    }
  }
  return edited;
}

/** Save files known to be made as iptables-save writes them: each table once, committed, of chain lines and appends only. */
const plainFiles = new WeakSet<SaveFile>();

function plainFile(file: SaveFile): boolean {
  if (plainFiles.has(file)) return true;
  const names = new Set(file.blocks.map((b) => b.name.text));
  if (names.size !== file.blocks.length || file.blocks.some((b) => !b.commit || !b.statements.every(plain))) return false;
  plainFiles.add(file);
  return true;
}

/**
 * The new file when only `lines` were edited (none added or removed) and each
 * is a rule in place, with the rules edited; the other lines are kept from
 * `old` instead of read again (215k lines of a kube-proxy node). Undefined for
 * any other edit: the whole text is read.
 */
function rereadLines(old: SaveFile, tables: ReadonlyMap<string, Table>, text: string, lines: ReadonlySet<number>, reuse?: ParsedLines): { file: SaveFile; edited: EditedRule[] } | undefined {
  if (!plainFile(old)) return undefined;
  const sorted = [...lines].sort((a, b) => a - b);
  const texts = lineTexts(text, sorted);
  if (!texts) return undefined;
  const blocks = old.blocks.map((b) => ({ ...b, diagnostics: { ...b.diagnostics } }));
  const copied = new Set<TableBlock>();
  const edited: EditedRule[] = [];
  let diagnostics = old.diagnostics;
  for (let k = 0; k < sorted.length; k++) {
    const line = sorted[k];
    const block = blocks.find((b) => b.header.line < line && line < b.commit!.line);
    const at = block ? statementAt(block.statements, line) : -1;
    const before = at >= 0 ? block!.statements[at] : undefined;
    if (!block || before?.kind !== 'command' || !commandLineText(texts[k])) return undefined;
    const { statement: after, command, diagnostics: said } = readBlockLine(texts[k], line, before.column, before.context, reuse);
    if (!after || !plain(after) || !sameRulePlace(before, after)) return undefined;
    rememberFacts(after, command);
    const table = tables.get(block.name.text);
    const chain = table?.chains.get(after.head.chainName!);
    if (!table || !chain) return undefined;
    if (!copied.has(block)) {
      block.statements = block.statements.slice();
      copied.add(block);
    }
    block.statements[at] = after;
    diagnostics = withLineDiagnostics(diagnostics, blocks, line, said);
    edited.push({ table, chain, before, after });
  }
  const file = { family: old.family, blocks, comments: old.comments, diagnostics };
  plainFiles.add(file);
  return { file, edited };
}

/** The texts of `lines` (ascending) in `text`, split as the parser splits it; undefined when the text has fewer lines. */
function lineTexts(text: string, lines: readonly number[]): string[] | undefined {
  const texts: string[] = [];
  let line = 0;
  let pos = 0;
  for (const wanted of lines) {
    for (; line < wanted; line++) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) return undefined;
      pos = nl + 1;
    }
    const end = text.indexOf('\n', pos);
    texts.push(text.slice(pos, end < 0 ? text.length : end));
  }
  return texts;
}

/** A line the parser reads as a command of its block (not a comment, table, chain or COMMIT line; no CR, whose report is the file's first). */
function commandLineText(line: string): boolean {
  return line !== '' && !/^[#*:]/.test(line) && line !== 'COMMIT' && !line.includes('\r');
}

/** The index of the statement on `line` in a block's statements (in line order), or -1. */
function statementAt(statements: readonly Statement[], line: number): number {
  let lo = 0;
  let hi = statements.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (statements[mid].line < line) lo = mid + 1;
    else hi = mid;
  }
  return statements[lo]?.line === line ? lo : -1;
}

/**
 * A file's diagnostics (in line order: every block committed) with those of
 * `line` replaced by `said`, where a parse reports them; the blocks' indices
 * into them moved along.
 */
function withLineDiagnostics(diagnostics: readonly Diagnostic[], blocks: TableBlock[], line: number, said: readonly Diagnostic[]): Diagnostic[] {
  const from = firstAfter(diagnostics, line - 1);
  const to = firstAfter(diagnostics, line);
  const shift = said.length - (to - from);
  for (const b of blocks) {
    if (b.header.line > line) b.diagnostics.from += shift;
    if (b.diagnostics.toCommit !== undefined && b.commit!.line > line) b.diagnostics.toCommit += shift;
  }
  return [...diagnostics.slice(0, from), ...said, ...diagnostics.slice(to)];
}

/** The index of the first diagnostic after `line` in a list in line order. */
function firstAfter(diagnostics: readonly Diagnostic[], line: number): number {
  let lo = 0;
  let hi = diagnostics.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (diagnostics[mid].span.line <= line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A chain line, or an append for this family: what iptables-save writes. */
function plain(s: Statement): boolean {
  return s.kind === 'chain' || (s.head.kind === 'append' && !s.head.otherFamily && !s.head.symbolic);
}

function sameDeclaration(x: Extract<Statement, { kind: 'chain' }>, y: Extract<Statement, { kind: 'chain' }>): boolean {
  const same = (a?: { text: string; line: number; start: number; end: number }, b?: { text: string; line: number; start: number; end: number }) =>
    a === b || (a !== undefined && b !== undefined && a.text === b.text && a.line === b.line && a.start === b.start && a.end === b.end);
  return x.line === y.line && same(x.name, y.name) && same(x.policy, y.policy) && same(x.counters, y.counters);
}

/** The same line, appending to the same chain with the same target: the edit changed what the rule matches. */
function sameRulePlace(x: CommandLine, y: CommandLine): boolean {
  const a = x.head;
  const b = y.head;
  return x.line === y.line && a.chain !== undefined && a.chain.text === b.chain?.text
    && a.target?.name === b.target?.name && a.target?.goto === b.target?.goto;
}

/** What the parses said outside the edited lines is the same. */
function sameOutside(old: readonly Diagnostic[], now: readonly Diagnostic[], lines: ReadonlySet<number>): boolean {
  return sameDiagnostics(old.filter((d) => !lines.has(d.span.line)), now.filter((d) => !lines.has(d.span.line)));
}

function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  if (a.length !== b.length) return false;
  const key = (d: Diagnostic) => `${d.code}|${d.severity}|${d.span.line}|${d.span.start}|${d.span.end}|${d.message}`;
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.every((k, i) => k === y[i]);
}

/** The chain's rules made by one command (one per address pair, side by side), or undefined when they are not all there. */
function rulesOf(chain: Chain, facts: RuleFacts): Rule[] | undefined {
  const at = chain.rules.findIndex((r) => r.facts === facts);
  const count = ruleCountOf(facts);
  if (at < 0) return undefined;
  const rules = chain.rules.slice(at, at + count);
  return rules.length === count && rules.every((r) => r.facts === facts) ? rules : undefined;
}

/** The edited command's rules in place of the old ones (as many: one per address pair), with the same target and position. */
function replaceRules(chain: Chain, old: Rule[], facts: RuleFacts, statement: CommandLine): Rule[] {
  const pairs = addressPairs(facts, statement.context.family) ?? [undefined];
  const at = chain.rules.indexOf(old[0]);
  const rules = pairs.map((pair, k) => new ChainRule(old[k].table, old[k].chain, old[k].index, old[k].target, facts, statement.counters, pair));
  rules.forEach((rule, k) => {
    chain.rules[at + k] = rule;
    const target = rule.target.kind === 'chain' ? rule.target.chain : undefined;
    if (target) target.references[target.references.indexOf(old[k])] = rule;
  });
  return rules;
}
