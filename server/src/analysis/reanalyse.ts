// The analysis of a new version of a save file from the last one, when the
// edit only changed rules in place (a port, an address, a comment typed): the
// model is patched — each edited rule replaced in its chain, checked again, and
// its chain's dead-rule review done again — instead of 160k rules built anew.
// A caller that knows which lines were edited (the language server) spares the
// new text's reading too: only those lines are read again. It may also say that
// a stretch of lines became another, with lines added or removed: the lines
// below are moved (every position they hold), the rules of the stretch taken
// out of their chains and those of the new lines put in, when neither changes
// which chains a chain jumps to. Anything else (a chain or table line edited, a
// rule's chain or target changed in place, a block with commands other than -A,
// a problem of the model's own on an edited line) gives undefined: the caller
// analyses the whole text. The result equals a whole analysis of the text
// (test/unit/reanalyse.test.ts).
import type { Diagnostic, Span } from '../diagnostics';
import type { Family } from '../knowledge';
import { targetRef } from '../model/build';
import { jumpedChain } from '../model/graph';
import { ruleCommitProblems } from '../model/kernelChecks';
import { addressPairs, lineFacts, rememberFacts, ruleCountOf, RuleFacts } from '../model/ruleFacts';
import { Chain, ChainRule, chainRule, Rule, Ruleset, Table } from '../model/ruleset';
import { Command, moveHead } from '../syntax/command';
import type { ParsedLines } from '../syntax/parsedLines';
import type { ChainDeclaration, CommandLine, SaveFile, Statement, TableBlock } from '../syntax/saveFile';
import { blockLine, detectFamily, firstStatementFrom, forgetRecentCommands, readBlockLine, readSaveFile, unshared } from '../syntax/saveFile';
import type { SourceText } from '../sourceText';
import { runToEnd, Steps } from '../steps';
import { Analysis, AnalysisOptions, refuseInput } from './analyse';
import { chainOutcomes, changesPackets, findDeadRulesInChains } from './deadRules';
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
export function reanalyseEdited(base: Analysis, text: SourceText, options: AnalysisOptions, edited?: ReadonlySet<number> | LineShift): Analysis | undefined {
  return runToEnd(reanalyseSteps(base, text, options, edited));
}

/** Lines `from` to `from + removed` of the last analysis's text are lines `from` to `from + added` of the new one; the lines below moved. */
export interface LineShift {
  from: number;
  removed: number;
  added: number;
}

/**
 * `reanalyseEdited` in steps (steps.ts): the text is read in steps, the model patched in the last one.
 * `edited`: when known, the only lines that differ from `base`'s text (no line added or removed), or the stretch of lines that replaced others.
 */
export function* reanalyseSteps(base: Analysis, text: SourceText, options: AnalysisOptions, edited?: ReadonlySet<number> | LineShift): Steps<Analysis | undefined> {
  const { file: old, ruleset } = base;
  if (!old || !ruleset || refuseInput(text, options.maxFileSize)) return undefined;
  const family = options.family ?? detectFamily(text, options.fileName);
  if (family !== old.family || ruleset.family !== family) return undefined;
  if (edited && !(edited instanceof Set)) return shiftedAnalysis(base as Patchable, text, options, edited as LineShift);
  const editedLines = edited as ReadonlySet<number> | undefined;
  const inPlace = yield* inPlaceSteps(base as Patchable, text, options, family, editedLines);
  if (inPlace || !editedLines?.size) return inPlace;
  // Lines that were no rules, or are none now (a rule being typed): the stretch from the first to the last read again.
  let from = Infinity;
  let last = 0;
  for (const line of editedLines) {
    from = Math.min(from, line);
    last = Math.max(last, line);
  }
  return shiftedAnalysis(base as Patchable, text, options, { from, removed: last - from + 1, added: last - from + 1 });
}

/** The patch of rules edited in place (each line a rule before and after, of the same chain and target). */
function* inPlaceSteps(base: Patchable, text: SourceText, options: AnalysisOptions, family: Family, editedLines?: ReadonlySet<number>): Steps<Analysis | undefined> {
  const { file: old, ruleset } = base;
  let found = editedLines && rereadLines(old, ruleset.tables, text, editedLines, options.reuse);
  // A rule typed on an empty line of a block: the caller patches it as a stretch of lines, without reading the whole text here.
  if (!found && editedLines && plainFile(old) && [...editedLines].some((line) => blockLine(old.blocks, line)?.at === -1)) return undefined;
  // Read whole, the text is matched with the last parse by the parsed lines kept: without them every rule would look edited.
  if (!found && !options.reuse) return undefined;
  if (!found) {
    const visit = { block: () => undefined, statement: (st: Statement, command?: Command) => { if (command && st.kind !== 'chain') rememberFacts(st, command); } };
    const file = yield* readSaveFile(text.toString(), { family, reuse: options.reuse, visit });
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
  let first = Infinity;
  for (const line of lines) first = Math.min(first, line);
  return { file, ruleset: { ...ruleset }, diagnostics, patch: { from: first, removed: 0, added: 0, chains: [...chains.keys()], edited: [...lines] } };
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
      // Rules patched one by one are each searched in their chain: that many are analysed faster whole.
      if (edited.length > MAX_SHIFTED_LINES) return undefined;
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
function rereadLines(old: SaveFile, tables: ReadonlyMap<string, Table>, text: SourceText, lines: ReadonlySet<number>, reuse?: ParsedLines): { file: SaveFile; edited: EditedRule[] } | undefined {
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
    const { block, at } = blockLine(blocks, line) ?? {};
    const before = block?.statements[at!];
    if (!block || !before || before.kind === 'chain' || !commandLineText(texts[k])) return undefined;
    // Kept by the next versions' analyses: a copy of its own (a slice would keep this version's whole text alive), which `reuse` makes.
    const { statement: after, command, diagnostics: said } = readBlockLine(reuse ? texts[k] : unshared(texts[k]), line, before.column, before.context, reuse);
    if (!after || !plain(after) || !sameRulePlace(before, after)) return undefined;
    rememberFacts(after, command);
    const table = tables.get(block.name.text);
    const chain = table?.chains.get(after.head.chainName!);
    if (!table || !chain) return undefined;
    if (!copied.has(block)) {
      block.statements = block.statements.slice();
      copied.add(block);
    }
    block.statements[at!] = after;
    diagnostics = withLineDiagnostics(diagnostics, blocks, line, said);
    edited.push({ table, chain, before, after });
  }
  const file = { family: old.family, blocks, comments: old.comments, diagnostics };
  plainFiles.add(file);
  return { file, edited };
}

/** The texts of `lines` (ascending) in `text`, split as the parser splits it; undefined when the text has fewer lines. */
function lineTexts(text: SourceText, lines: readonly number[]): string[] | undefined {
  if (text.lineText) {
    const found = lines.map((line) => text.lineText!(line));
    return found.every((t) => t !== undefined) ? found as string[] : undefined;
  }
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

/** A chain line, an append, or a line that makes nothing (no command yet, another family's): what iptables-save writes, or a rule being typed. */
function plain(s: Statement): boolean {
  return s.kind === 'chain' || (!s.head.symbolic && (s.head.kind === 'append' || s.head.kind === undefined || !!s.head.otherFamily));
}

/** The same text at the same place (its name where it was: the line starts in the same column). */
function sameDeclaration(x: ChainDeclaration, y: ChainDeclaration): boolean {
  return x.line === y.line && x.lineText === y.lineText && x.name.start === y.name.start;
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
  const rules = pairs.map((pair, k) => chainRule(old[k].chain, old[k].index, old[k].target, facts, pair));
  rules.forEach((rule, k) => {
    chain.rules[at + k] = rule;
    const target = rule.target.kind === 'chain' ? rule.target.chain : undefined;
    if (target) target.references[target.references.indexOf(old[k])] = rule;
  });
  return rules;
}

// ---- lines added or removed ----------------------------------------------------------------

type Patchable = Analysis & { file: SaveFile; ruleset: Ruleset };

/** Lines read again at most by a patch: past that, the whole analysis is about as quick. */
const MAX_SHIFTED_LINES = 2048;

/** Diagnostics whose words cite another line (a chain declared further down, twice): a move would leave them wrong. */
const CITES_LINES: ReadonlySet<string> = new Set(['chain-not-in-table', 'duplicate-chain']);

/** A new line of the stretch read, and what it makes. */
interface ReadLine {
  line: number;
  text: string;
  statement?: CommandLine;
  diagnostics: readonly Diagnostic[];
}

/**
 * The stretch of lines narrowed to what differs between the two texts: pressing
 * Enter at the end of a line replaces that line by two, of which the first is
 * the line as it was (and may be a chain line, which the patch leaves alone).
 */
export function narrowShift(shift: LineShift, before: SourceText, after: SourceText): LineShift {
  let { from, removed, added } = shift;
  const old = lineTexts(before, [from, from + removed - 1].filter((l) => l >= from));
  const now = lineTexts(after, [from, from + added - 1].filter((l) => l >= from));
  if (!old || !now) return shift;
  if (removed > 0 && added > 0 && old[0] === now[0]) {
    from++;
    removed--;
    added--;
  } else if (removed > 0 && added > 0 && old[old.length - 1] === now[now.length - 1]) {
    removed--;
    added--;
  }
  return { from, removed, added };
}

/**
 * `base` patched for old lines `from` to `from + removed` replaced by `added` new
 * ones, when the file stays made of chain lines and appends, the stretch is inside
 * one table block and holds only rules, comments and empty lines before and after,
 * and no chain jumps to other chains than before. Else undefined, `base` untouched.
 */
function shiftedAnalysis(base: Patchable, text: SourceText, options: AnalysisOptions, shift: LineShift): Analysis | undefined {
  const { file: old, ruleset } = base;
  const { from, removed, added } = shift;
  const end = from + removed;
  const delta = added - removed;
  if (removed > MAX_SHIFTED_LINES || added > MAX_SHIFTED_LINES || !plainFile(old)) return undefined;
  if (base.diagnostics.some((d) => CITES_LINES.has(d.code) || (d.code === 'undefined-jump' && d.severity === 'error'))) return undefined;
  const b = old.blocks.findIndex((block) => block.header.line < from && end <= block.commit!.line);
  const block = old.blocks[b];
  const table = block && ruleset.tables.get(block.name.text);
  if (!table) return undefined;
  const statements = block.statements;
  const first = firstStatementFrom(statements, from);
  let last = first;
  while (last < statements.length && statements[last].line < end) last++;
  const gone = statements.slice(first, last);
  if (gone.some((st) => st.kind === 'chain')) return undefined;
  const context = (statements.find((st) => st.kind !== 'chain') as CommandLine | undefined)?.context;
  const texts = added ? lineTexts(text, Array.from({ length: added }, (_, k) => from + k)) : [];
  if (!context || !texts) return undefined;

  // The new lines, read.
  const read: ReadLine[] = [];
  const comments: number[] = [];
  for (let k = 0; k < added; k++) {
    const line = from + k;
    const lineText = texts[k];
    if (lineText.includes('\r')) return undefined;
    if (lineText === '') continue;
    if (lineText.charCodeAt(0) === 35 /* # */) {
      comments.push(line);
      continue;
    }
    if (!commandLineText(lineText)) return undefined;
    const own = unshared(lineText);
    const { statement, command, diagnostics } = readBlockLine(own, line, 0, context);
    if (statement) {
      if (!plain(statement)) return undefined;
      rememberFacts(statement, command);
    }
    read.push({ line, text: own, statement, diagnostics });
  }

  // Which rules leave which chain, and which come in.
  const changes = new Map<Chain, { gone: Rule[]; added: Rule[] }>();
  const changeOf = (chain: Chain) => {
    let change = changes.get(chain);
    if (!change) changes.set(chain, (change = { gone: [], added: [] }));
    return change;
  };
  for (const st of gone as CommandLine[]) {
    const chain = ruleChain(table, st);
    if (chain === null) continue;
    const rules = chain && !lineFacts(st).lists ? rulesOf(chain, lineFacts(st)) : undefined;
    if (!rules) return undefined;
    changeOf(chain!).gone.push(...rules);
  }
  for (const { statement } of read) {
    if (!statement) continue;
    const chain = ruleChain(table, statement);
    if (chain === null) continue;
    const facts = lineFacts(statement);
    if (!chain || facts.lists || !declaredAbove(chain, from)) return undefined;
    const target = targetRef(table, statement.head);
    if (target.kind === 'unresolved' || (target.kind === 'chain' && (target.chain.builtin || !declaredAbove(target.chain, from)))) return undefined;
    changeOf(chain).added.push(new ChainRule(chain.name, 0, target, facts));
  }
  // A chain's new rules, and whether it jumps to the same chains (else hooks, loops and unused chains may change: the whole analysis).
  const patched = new Map<Chain, Rule[]>();
  for (const [chain, change] of changes) {
    const leaving = new Set(change.gone);
    const kept = leaving.size ? chain.rules.filter((r) => !leaving.has(r)) : chain.rules;
    let at = 0;
    while (at < kept.length && ruleLine(kept[at]) < from) at++;
    const rules = [...kept.slice(0, at), ...change.added, ...kept.slice(at)];
    if (!sameChains(jumpsOf(rules), chain.jumps)) return undefined;
    patched.set(chain, rules);
  }
  // What the last analysis said on the removed lines must be all that their parse and their rules' own checks say.
  const inStretch = (d: Diagnostic) => d.span.line >= from && d.span.line < end;
  const expected = old.diagnostics.filter(inStretch);
  for (const [chain, change] of changes) {
    for (const rule of change.gone) ruleCommitProblems(table, chain, rule, expected);
    reviewRules(chain, change.gone, expected);
  }
  const said = base.diagnostics.filter((d) => inStretch(d) && !DEAD_RULE_CODES.has(d.code));
  if (!sameDiagnostics(said, expected)) return undefined;

  // From here on nothing refuses: `base` becomes the result.
  const family = ruleset.family;
  const reviewAgain = new Set<Chain>(changes.keys());
  // A dead rule's message cites lines and rule numbers (its own chain's, the chain it jumps to): reviewed again wherever one is.
  for (const d of base.diagnostics) {
    if (!DEAD_RULE_CODES.has(d.code)) continue;
    const chain = chainAtLine(old, ruleset, d.span.line);
    if (chain) reviewAgain.add(chain);
  }
  const errorsBefore = base.diagnostics.some((d) => inStretch(d) && d.severity === 'error');
  // Known before the lines move: below the stretch they then take its line numbers.
  const removedDiagnostics = new Set(base.diagnostics.filter(inStretch));
  const lost = { from: firstAfter(old.diagnostics, from - 1), to: firstAfter(old.diagnostics, end - 1) };
  if (delta !== 0) {
    moveLines(old, ruleset, [old.diagnostics, base.diagnostics], end, delta);
    // Commands kept for the services (and the review below) hold the old lines.
    forgetRecentCommands();
  }
  const undeadBefore = base.diagnostics.filter((d) => !DEAD_RULE_CODES.has(d.code));
  const outcomesBefore = [...changes.keys()].map((chain) => chainOutcomes(table, family, [chain], undeadBefore)[0]);

  // The file: the block's statements, the comments and the parse's diagnostics of the new lines in place of the old.
  const newStatements = read.flatMap((r) => (r.statement ? [r.statement] : []));
  const fresh = read.flatMap((r) => r.diagnostics);
  const blocks = old.blocks.map((bl) => ({ ...bl, diagnostics: { ...bl.diagnostics } }));
  blocks[b].statements = [...statements.slice(0, first), ...newStatements, ...statements.slice(last)];
  const parsed = [...old.diagnostics.slice(0, lost.from), ...fresh, ...old.diagnostics.slice(lost.to)];
  const more = fresh.length - (lost.to - lost.from);
  for (let k = b; k < blocks.length; k++) {
    if (k > b) blocks[k].diagnostics.from += more;
    if (blocks[k].diagnostics.toCommit !== undefined) blocks[k].diagnostics.toCommit! += more;
  }
  const above = old.comments.filter((line) => line < from);
  const below = old.comments.filter((line) => line >= end).map((line) => line + delta);
  const file: SaveFile = { family: old.family, blocks, comments: [...above, ...comments, ...below], diagnostics: parsed };
  plainFiles.add(file);

  // The model: each changed chain's rules, their positions, who jumps where.
  for (const [chain, rules] of patched) {
    const change = changes.get(chain)!;
    for (const rule of change.gone) {
      const target = jumpedChain(rule);
      if (target) target.references.splice(target.references.indexOf(rule), 1);
    }
    for (const rule of change.added) {
      const target = jumpedChain(rule);
      if (target) target.references.splice(firstReferenceFrom(target.references, ruleLine(rule)), 0, rule);
    }
    rules.forEach((rule, k) => { rule.index = k + 1; });
    chain.rules = rules;
    chain.jumps = jumpsOf(rules);
  }

  // The diagnostics: the new lines' own, their rules' checks, and the dead-rule review of the chains that need it.
  for (const [chain, change] of changes) {
    for (const rule of change.added) ruleCommitProblems(table, chain, rule, fresh);
    reviewRules(chain, change.added, fresh);
  }
  const reviewed = ruleLines(reviewAgain);
  let diagnostics = base.diagnostics.filter((d) => !removedDiagnostics.has(d) && !(DEAD_RULE_CODES.has(d.code) && reviewed.has(d.span.line)));
  for (const d of fresh) diagnostics.push(d);
  // The review works out what a jump into each chain it reviews may do (the changed chains among them).
  const outcomes = new Map<Chain, string>();
  for (const [name, chains] of byTable(reviewAgain)) {
    const found = findDeadRulesInChains(ruleset.tables.get(name)!, family, chains, diagnostics);
    chains.forEach((chain, k) => outcomes.set(chain, found[k]));
  }
  const outcomesAfter = [...changes.keys()].map((chain) => outcomes.get(chain));
  const errorsAfter = fresh.some((d) => d.severity === 'error');
  // A rule that changes packets, or is broken (may change anything), added or taken out changes what a jump into its chain may change.
  const changing = [...changes.values()].some((c) => c.gone.some(changesPackets) || c.added.some(changesPackets));
  if (errorsBefore || errorsAfter || changing || outcomesAfter.join('\n') !== outcomesBefore.join('\n')) {
    // What a jump into a changed chain means changed: the chains that make it, directly or not, are reviewed again.
    const callers = [...callersOf(new Map([...changes.keys()].map((c) => [c, table])))].map(([chain]) => chain).filter((chain) => !reviewAgain.has(chain));
    const stale = ruleLines(callers);
    diagnostics = diagnostics.filter((d) => !(DEAD_RULE_CODES.has(d.code) && stale.has(d.span.line)));
    if (callers.length) findDeadRulesInChains(table, family, callers, diagnostics);
  }
  diagnostics.sort((x, y) => x.span.line - y.span.line || x.span.start - y.span.start || deadLast(x) - deadLast(y));

  // The document's parsed lines follow (the language server's next whole parse reuses them).
  const reuse = options.reuse;
  if (reuse) {
    reuse.moved(from, removed, added);
    for (const r of read) reuse.set(r.line, r.text, 0, context.table, context.family, r.statement, r.diagnostics);
  }
  return { file, ruleset: { ...ruleset }, diagnostics, patch: { from, removed, added, chains: [...changes.keys()], edited: newStatements.map((st) => st.line) } };
}


/** The chain a command's rules go to; null for a command that makes none (no command, another family's), undefined when its chain is missing. */
function ruleChain(table: Table, statement: CommandLine): Chain | null | undefined {
  const head = statement.head;
  if (!head.kind || head.otherFamily || head.chainName === undefined) return null;
  return table.chains.get(head.chainName);
}

/** A chain that exists from the start of the block, or is declared above `line`. */
function declaredAbove(chain: Chain, line: number): boolean {
  return chain.builtin || (chain.declaration !== undefined && chain.declaration.line < line);
}

/** The line of a rule read from a file. */
function ruleLine(rule: Rule): number {
  return (rule.facts.origin as CommandLine).line;
}

/** The chains the rules jump or go to, as the model lists them (once for a run of rules to the same chain). */
function jumpsOf(rules: readonly Rule[]): Chain[] {
  const jumps: Chain[] = [];
  for (const rule of rules) {
    const target = jumpedChain(rule);
    if (target && jumps[jumps.length - 1] !== target) jumps.push(target);
  }
  return jumps;
}

function sameChains(a: readonly Chain[], b: readonly Chain[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((c) => y.has(c));
}

/** Where a rule on `line` goes among a chain's references (in line order: a file is built as it is read). */
function firstReferenceFrom(references: readonly Rule[], line: number): number {
  let lo = 0;
  let hi = references.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ruleLine(references[mid]) < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function byTable(chains: Iterable<Chain>): Map<string, Chain[]> {
  const tables = new Map<string, Chain[]>();
  for (const chain of chains) {
    const list = tables.get(chain.table);
    if (list) list.push(chain);
    else tables.set(chain.table, [chain]);
  }
  return tables;
}

/** The chain of the rule on `line`. */
function chainAtLine(file: SaveFile, ruleset: Ruleset, line: number): Chain | undefined {
  const found = blockLine(file.blocks, line);
  const st = found && found.block.statements[found.at];
  return st && st.kind !== 'chain' && st.head.chainName !== undefined ? ruleset.tables.get(found!.block.name.text)?.chains.get(st.head.chainName) : undefined;
}

/**
 * Every position from line `below` on moved by `delta` lines: statements, their
 * words and what the model keeps of them, blocks, tables, chains, diagnostics.
 * A position held in several places (a diagnostic on a word) moves once.
 */
function moveLines(file: SaveFile, ruleset: Ruleset, diagnostics: readonly (readonly Diagnostic[])[], below: number, delta: number): void {
  const moved = new Set<Span>();
  const move = (span: Span | undefined) => {
    if (!span || span.line < below || moved.has(span)) return;
    moved.add(span);
    span.line += delta;
  };
  const moveDiagnostic = (d: Diagnostic) => {
    move(d.span);
    if (d.related) for (const r of d.related) move(r.span);
    move(d.fix?.insert?.at);
    move(d.fix?.negation?.option);
    move(d.fix?.negation?.bang);
  };
  for (const block of file.blocks) {
    move(block.header);
    move(block.name);
    move(block.commit);
    const statements = block.statements;
    for (let k = firstStatementFrom(statements, below); k < statements.length; k++) {
      const st = statements[k];
      st.line += delta;
      if (st.kind === 'chain') {
        // The line is its name's word (saveFile.ts ChainDeclaration), moved with it: diagnostics and the chain hold it.
        moved.add(st);
        move(st.name);
        move(st.policy);
        continue;
      }
      // A line that is its own head (saveFile.ts CommandLine) moved its head's words with its line.
      const head = st.head;
      moveHead(head, head === st ? 0 : delta, move);
      move(st.counters);
      const facts = st.facts as RuleFacts | undefined;
      if (!facts) continue;
      // Index loops: this runs once per edit over 200k rules, before V8 optimises it, and each step of a for...of allocates.
      const { problems, limits, input, output } = facts;
      for (let i = 0; i < problems.length; i++) moveDiagnostic(problems[i]);
      for (let i = 0; i < limits.length; i++) move(limits[i].anchor);
      move(input?.flag);
      move(input?.value);
      move(output?.flag);
      move(output?.value);
    }
  }
  for (const list of diagnostics) list.forEach(moveDiagnostic);
  ruleset.tables.forEach((table) => {
    move(table.header);
    table.chains.forEach((chain) => {
      move(chain.policyToken);
      move(chain.declaration);
    });
  });
}
