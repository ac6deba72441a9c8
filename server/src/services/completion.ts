// Completion: what iptables would accept at the cursor, read from the knowledge
// base and the model, each item with its documentation. Targets and matches are
// filtered by the table and by every hook that reaches the chain (legality is
// reachability); options by the modules the rule has loaded so far.
import type { Position, Span } from '../diagnostics';
import {
  ExtensionSpec, Family, Hook, POLICIES, STANDARD_TARGETS, TABLES, ValueSpec, findMatch, findTable, isBuiltinChain,
  matchesFor, targetsFor,
} from '../knowledge';
import { BASE_OPTION_DOCS, COMMAND_LETTERS, RULE_COMMANDS } from '../knowledge/baseOptions';
import { RULE_SNIPPETS, VALUE_SHAPES } from '../knowledge/snippets';
import { valueWords } from '../knowledge/valueWords';
import { PROTOCOLS, protocolNumber } from '../knowledge/vocabulary';
import type { Table } from '../model/ruleset';
import { Command, CommandKind, ParseContext, RuleSpec, parseCommand, protocolMatchName } from '../syntax/command';
import { spanOf, Token } from '../syntax/token';
import { CommandPart, partAt } from './commandParts';
import { CommandContext, ContextSource, CursorContext, CursorWord, cursorContext } from './cursorContext';
import { baseOptionDoc, chainDoc, commitDoc, extensionDoc, optionDoc, tableDoc, valueDoc, verdictDoc } from './docs';
import { usedValues, usedValuesFor } from './usedValues';
import { localized, t } from '../l10n';

export type CompletionKind = 'table' | 'chain' | 'target' | 'module' | 'option' | 'command' | 'value' | 'keyword' | 'snippet';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  /** One line beside the label. */
  detail?: string;
  /** Markdown. */
  documentation: string;
  /** What to insert, when not the label; a snippet (`${1:x}` placeholders) when `snippet` is set. */
  insert?: string;
  snippet?: boolean;
  /** The text the item replaces. */
  range: Span;
  /** The order to show items in. */
  sortText: string;
  deprecated?: boolean;
}

export interface CompletionList {
  items: CompletionEntry[];
  /** More values would fit than were sent: ask again as the word grows. */
  incomplete: boolean;
}

/** At most this many addresses or interfaces of the document are offered at once. */
const MAX_USED_VALUES = 100;

/** At most this many user chains are offered at once: a kube-proxy nat table has tens of thousands. */
const MAX_CHAINS = 100;

class Items {
  readonly list: CompletionEntry[] = [];
  incomplete = false;
  private readonly labels = new Set<string>();

  constructor(readonly range: Span) {}

  add(label: string, kind: CompletionKind, documentation: string, more: Partial<CompletionEntry> = {}): void {
    if (this.labels.has(label + '\0' + kind)) return;
    this.labels.add(label + '\0' + kind);
    this.list.push({ label, kind, documentation, range: this.range, sortText: String(this.list.length).padStart(5, '0'), ...more });
  }
}

export function completions(source: ContextSource, pos: Position): CompletionList {
  const ctx = cursorContext(source, pos);
  if (!ctx) return { items: [], incomplete: false };
  const items = new Items(spanOf(ctx.word.token));
  const model = 'table' in ctx && ctx.table ? source.analysis?.rulesets[ctx.family]?.tables.get(ctx.table) : undefined;
  switch (ctx.kind) {
    case 'header':
      for (const spec of TABLES) items.add(spec.name, 'table', tableDoc(spec));
      break;
    case 'chainLine':
      chainLineItems(ctx, model, items);
      break;
    case 'lineStart':
      lineStartItems(ctx, model, items);
      break;
    case 'command':
      commandItems(ctx, source, model, items);
      break;
  }
  return { items: items.list, incomplete: items.incomplete };
}

// ---- restore input: `*table`, `:CHAIN`, COMMIT ------------------------------------


function lineStartItems(ctx: Extract<CursorContext, { kind: 'lineStart' }>, model: Table | undefined, items: Items): void {
  if (!ctx.table) {
    for (const spec of TABLES) items.add('*' + spec.name, 'keyword', tableDoc(spec));
    return;
  }
  items.add('COMMIT', 'keyword', commitDoc());
  for (const name of undeclaredChains(model, ctx.table, ctx.word.token.line)) {
    items.add(`:${name}`, 'chain', chainDoc(name, model, ctx.table), { insert: declaration(name, ctx.table), snippet: true, detail: t('declare the chain') });
  }
  items.add(':chain', 'snippet', t('**:name - [0:0]**\n\nDeclares a user-defined chain: `-` because only built-in chains have a policy.'), { insert: ':${1:NAME} - [0:0]', snippet: true, detail: t('declare a user chain') });
  startOfCommandItems(ctx.family, ctx.table, true, undefined, items);
}

function chainLineItems(ctx: Extract<CursorContext, { kind: 'chainLine' }>, model: Table | undefined, items: Items): void {
  if (ctx.field === 0) {
    for (const chain of undeclaredChains(model, ctx.table, ctx.word.token.line)) {
      items.add(chain, 'chain', chainDoc(chain, model, ctx.table), { insert: declaration(chain, ctx.table).slice(1), snippet: true });
    }
  } else if (ctx.field === 1) {
    if (isBuiltinChain(ctx.table as never, ctx.words[0].text)) for (const p of policies(ctx.table)) items.add(p, 'value', verdictDoc(p)!);
    else items.add('-', 'value', t('**-**\n\nA user-defined chain: it has no policy.'));
  } else if (ctx.field === 2) {
    items.add('[0:0]', 'value', t('**[packets:bytes]**\n\nThe chain\'s counters; iptables-restore sets them, `[0:0]` starts from zero.'));
  }
}

function policies(table: string): string[] {
  const refused = findTable(table)?.refuses ?? [];
  return POLICIES.filter((p) => !refused.includes(p));
}

/** `:NAME POLICY [0:0]` as a snippet, with a choice of policy for a built-in chain. */
function declaration(name: string, table: string): string {
  if (!isBuiltinChain(table as never, name)) return `:${name} - [0:0]`;
  const choices = policies(table);
  return `:${name} ${choices.length > 1 ? '${1|' + choices.join(',') + '|}' : choices[0]} [0:0]`;
}

/**
 * Chains a `:` line may declare: built-in chains not declared yet in the
 * block, and chains that rules jump to but nothing creates.
 */
function undeclaredChains(model: Table | undefined, table: string, line: number): string[] {
  const declaredHere = (tgt: Token | undefined) => tgt !== undefined && tgt.line !== line;
  const builtin = (findTable(table)?.chains ?? []).filter((hook) => !declaredHere(model?.chains.get(hook)?.policyToken));
  return [...builtin, ...unresolvedJumps(model)];
}

function unresolvedJumps(model: Table | undefined): string[] {
  const names = new Set<string>();
  for (const chain of model?.chains.values() ?? []) {
    for (const rule of chain.rules) if (rule.target.kind === 'unresolved') names.add(rule.target.name);
  }
  return [...names];
}

// ---- commands -------------------------------------------------------------------

function commandItems(ctx: CommandContext, source: ContextSource, model: Table | undefined, items: Items): void {
  const parse: ParseContext = { family: ctx.family, restore: ctx.restore, table: ctx.table };
  const sofar = parseCommand(ctx.before, parse, []);
  const word = ctx.word.token;
  if (!word.text.startsWith('-')) {
    // Where the word lands when the command is read with it.
    const part = partAt(parseCommand([...ctx.before, word], parse, []), word.line, word.start);
    if (part && part.kind !== 'base') {
      valuePartItems(part, ctx, sofar, source, model, items);
      return;
    }
    if (ctx.word.typed !== '') return;
  }
  if (!sofar.kind) {
    startOfCommandItems(ctx.family, ctx.table, ctx.restore, sofar, items);
    return;
  }
  if (RULE_COMMANDS.has(sofar.kind)) optionItems(ctx, sofar, model, items);
}

/** Commands, and in a table ready-made rules, where a command begins. */
function startOfCommandItems(family: Family, table: string, restore: boolean, sofar: Command | undefined, items: Items): void {
  for (const letter of Object.keys(COMMAND_LETTERS)) {
    const base = BASE_OPTION_DOCS[letter];
    if (restore && base.commandLineOnly) continue;
    items.add('-' + letter, 'command', baseOptionDoc(letter)!, { detail: base.usage });
  }
  if (!restore && !sofar?.table) items.add('-t', 'option', baseOptionDoc('t')!, { detail: BASE_OPTION_DOCS.t.usage });
  // Rules only where nothing but a table is written yet.
  if (sofar && sofar.words.length !== (sofar.table ? 2 : 0)) return;
  for (const s of RULE_SNIPPETS) {
    if (s.family && s.family !== family) continue;
    const given = sofar?.table?.text ?? (restore ? table : undefined);
    if (given !== undefined && given !== s.table) continue;
    const body = given === undefined && s.table !== 'filter' ? `-t ${s.table} ${s.body}` : s.body;
    const plain = body.replace(/\$\{\d+:([^}]*)\}/g, '$1');
    items.add(s.label, 'snippet', `${t('**{0}** ({1} table)', s.label, s.table)}\n\n${localized(s.doc)}\n\n\`\`\`\n${plain}\n\`\`\``, { insert: body, snippet: true, detail: plain });
  }
}

/** The hooks that reach the chain a rule goes to (none known: no limit). */
function chainHooks(model: Table | undefined, table: string, chain: string | undefined): ReadonlySet<Hook> {
  if (chain === undefined) return new Set();
  const known = model?.chains.get(chain);
  if (known) return known.hooks;
  return isBuiltinChain(table as never, chain) ? new Set([chain as Hook]) : new Set();
}

function allowedFrom(allowed: readonly Hook[] | undefined, hooks: ReadonlySet<Hook>): boolean {
  return !allowed || [...hooks].every((h) => allowed.includes(h));
}

/** The kernel takes the extension in this table and from every hook that reaches the chain. */
function legalHere(ext: ExtensionSpec, table: string, hooks: ReadonlySet<Hook>): boolean {
  return !ext.removed && (!ext.tables || ext.tables.includes(table as never)) && allowedFrom(ext.hooks, hooks);
}

/** An extension that needs a protocol fits a rule whose `-p` (when given) is one of them. */
function fitsProtocol(ext: ExtensionSpec, rule: RuleSpec): boolean {
  const p = rule.protocol;
  if (!ext.protocols || !p || p.negated) return true;
  const number = protocolNumber(p.value.text);
  return ext.protocols.some((name) => PROTOCOLS.get(name) === number);
}

function optionItems(ctx: CommandContext, sofar: Command, model: Table | undefined, items: Items): void {
  const rule = sofar.rule;
  const negated = ctx.before[ctx.before.length - 1]?.text === '!';
  const hooks = chainHooks(model, ctx.table, sofar.chain?.text);
  for (const { spec, used } of loadedModules(rule, ctx.family)) {
    const usedNames = new Set(used.map((u) => u.name));
    for (const opt of spec.options) {
      if (opt.removed || (negated && !opt.invert) || !allowedFrom(opt.hooks, hooks)) continue;
      if (usedNames.has(opt.name) && !opt.repeatable) continue;
      if (opt.excludes?.some((e) => usedNames.has(e)) || used.some((u) => u.excludes?.includes(opt.name))) continue;
      items.add('--' + opt.name, 'option', optionDoc(opt, spec), { detail: spec.kind === 'match' ? `-m ${spec.name}` : `-j ${spec.name}` });
    }
  }
  const given: Record<string, unknown> = {
    p: rule.protocol, s: rule.source, d: rule.destination, i: rule.inInterface, o: rule.outInterface, f: rule.fragment,
    j: rule.target, g: rule.target,
  };
  for (const letter of ['p', 's', 'd', 'i', 'o', 'f', 'm', 'j', 'g']) {
    const base = BASE_OPTION_DOCS[letter];
    if (given[letter] || (negated && !base.usage.startsWith('[!]')) || !allowedFrom(base.hooks, hooks)) continue;
    if (letter === 'f' && ctx.family === 'ipv6') continue;
    items.add('-' + letter, 'option', baseOptionDoc(letter)!, { detail: base.usage });
  }
}

/** The modules whose options can follow: the target's, each match's newest copy, and the protocol's match. */
function loadedModules(rule: RuleSpec, family: Family): { spec: ExtensionSpec; used: { name: string; excludes?: readonly string[] }[] }[] {
  const out: { spec: ExtensionSpec; used: { name: string; excludes?: readonly string[] }[] }[] = [];
  if (rule.target?.spec) out.push({ spec: rule.target.spec, used: rule.target.options.map((o) => o.spec) });
  const seen = new Set<string>();
  for (let k = rule.matches.length - 1; k >= 0; k--) {
    const m = rule.matches[k];
    if (!m.spec || seen.has(m.spec.name)) continue;
    seen.add(m.spec.name);
    out.push({ spec: m.spec, used: m.options.map((o) => o.spec) });
  }
  const name = rule.protocol && protocolMatchName(rule.protocol.value.text.toLowerCase(), family);
  const implicit = name ? findMatch(name, family) : undefined;
  if (implicit && !seen.has(implicit.name)) out.push({ spec: implicit, used: [] });
  return out;
}

// ---- values -----------------------------------------------------------------------

function valuePartItems(part: CommandPart, ctx: CommandContext, sofar: Command, source: ContextSource, model: Table | undefined, items: Items): void {
  const rule = sofar.rule;
  switch (part.kind) {
    case 'table':
      if (!ctx.restore) for (const spec of TABLES) items.add(spec.name, 'table', tableDoc(spec));
      return;
    case 'chain':
      chainItems(part.command, model, ctx.table, ctx.word.typed, items);
      return;
    case 'policy':
      for (const p of policies(ctx.table)) items.add(p, 'value', verdictDoc(p)!);
      return;
    case 'criterion': {
      const base = BASE_OPTION_DOCS[part.letter];
      valueItems(base.value!, part.letter, baseOptionDoc(part.letter)!, undefined, ctx, sofar, source, items);
      return;
    }
    case 'target':
      targetItems(ctx, sofar, model, part.use.goto, items);
      return;
    case 'match': {
      const hooks = chainHooks(model, ctx.table, sofar.chain?.text);
      for (const m of matchesFor(ctx.family)) {
        if (legalHere(m, ctx.table, hooks) && fitsProtocol(m, rule)) {
          items.add(m.name, 'module', extensionDoc(m), { deprecated: m.deprecated !== undefined, detail: t('match') });
        }
      }
      return;
    }
    case 'value': {
      const opt = part.use.spec;
      const spec = part.index === 0 ? opt.value : opt.second;
      const owner = part.owner.spec;
      if (spec && owner) valueItems(spec, opt.name, optionDoc(opt, owner), opt.valueNeedsProtocol, ctx, sofar, source, items);
      return;
    }
  }
}

function chainItems(command: CommandKind, model: Table | undefined, table: string, typed: string, items: Items): void {
  // -N names a new chain: the ones rules already jump to are the likely ones.
  if (command === 'newChain') {
    for (const name of unresolvedJumps(model)) items.add(name, 'chain', chainDoc(name, model, table), { detail: t('jumped to, not created yet') });
    return;
  }
  if (command !== 'deleteChain' && command !== 'renameChain') {
    for (const hook of findTable(table)?.chains ?? []) items.add(hook, 'chain', chainDoc(hook, model, table), { detail: t('built-in chain') });
  }
  if (command === 'policy') return;
  userChainItems(model, table, typed, undefined, items);
}

/**
 * The table's user chains but `except`. Of a table with more than MAX_CHAINS,
 * only those that start with what is typed (any case), at most MAX_CHAINS: the
 * editor asks again as the word grows.
 */
function userChainItems(model: Table | undefined, table: string, typed: string, except: string | undefined, items: Items): void {
  const prefix = (model?.chains.size ?? 0) > MAX_CHAINS ? typed : '';
  let offered = 0;
  for (const chain of model?.chains.values() ?? []) {
    if (!startsWithAnyCase(chain.name, prefix) || chain.builtin || chain.name === except) continue;
    if (offered++ === MAX_CHAINS) {
      items.incomplete = true;
      return;
    }
    items.add(chain.name, 'chain', chainDoc(chain.name, model, table), { detail: t('user chain') });
  }
}

/** Without a lower-case copy of each of 50k names. */
function startsWithAnyCase(text: string, prefix: string): boolean {
  if (text.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (lowerAscii(text.charCodeAt(i)) !== lowerAscii(prefix.charCodeAt(i))) return false;
  return true;
}

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function targetItems(ctx: CommandContext, sofar: Command, model: Table | undefined, goto: boolean, items: Items): void {
  const current = sofar.chain?.text;
  if (!goto) {
    const refused = findTable(ctx.table)?.refuses ?? [];
    for (const name of Object.keys(STANDARD_TARGETS)) if (!refused.includes(name)) items.add(name, 'target', verdictDoc(name)!, { detail: t('verdict') });
  }
  userChainItems(model, ctx.table, ctx.word.typed, current, items);
  if (goto) return;
  const hooks = chainHooks(model, ctx.table, current);
  for (const tgt of targetsFor(ctx.family)) {
    if (legalHere(tgt, ctx.table, hooks) && fitsProtocol(tgt, sofar.rule)) {
      items.add(tgt.name, 'target', extensionDoc(tgt), { deprecated: tgt.deprecated !== undefined, detail: t('target') });
    }
  }
}

/** Values written as comma-separated lists. */
function isList(spec: ValueSpec): boolean {
  return typeof spec === 'string' ? ['tcpFlagList', 'weekdays', 'addressList'].includes(spec) : spec.kind === 'enumList';
}

function valueItems(
  spec: ValueSpec, optionName: string, optionDocs: string, needsProtocol: Readonly<Record<string, readonly string[]>> | undefined,
  ctx: CommandContext, sofar: Command, source: ContextSource, items: Items,
): void {
  const { range, typed, listed } = listItem(ctx.word, isList(spec));
  const add = (label: string, kind: CompletionKind, doc: string, more: Partial<CompletionEntry> = {}) => {
    if (!listed.has(label.toLowerCase())) items.add(label, kind, doc, { range, ...more });
  };
  const protocol = sofar.rule.protocol && !sofar.rule.protocol.negated ? sofar.rule.protocol.value.text.toLowerCase() : undefined;
  for (const w of valueWords(spec, optionName, ctx.family)) {
    const needs = needsProtocol?.[w.name];
    if (needs && !(protocol && needs.includes(protocol))) continue;
    add(w.name, 'value', valueDoc(w, optionDocs));
  }
  for (const shape of typeof spec === 'string' ? VALUE_SHAPES[spec] ?? [] : []) {
    if (!shape.family || shape.family === ctx.family) add(shape.label, 'snippet', `**${shape.label}**\n\n${localized(shape.doc)}`, { insert: shape.body, snippet: true });
  }
  const group = usedValuesFor(spec);
  if (group && source.analysis) {
    const fitting = usedValues(source.analysis)[group].filter((v) => v.startsWith(typed) && v !== typed);
    for (const v of fitting.slice(0, MAX_USED_VALUES)) add(v, 'value', valueDoc({ name: v, doc: t('Already used in this document.') }, optionDocs));
    if (fitting.length > MAX_USED_VALUES) items.incomplete = true;
  }
}

/** In a comma-separated list, the item at the cursor: its range, typed part, and the items already listed. */
function listItem(word: CursorWord, list: boolean): { range: Span; typed: string; listed: Set<string> } {
  const tgt = word.token;
  const whole = spanOf(tgt);
  if (!list || tgt.quoted) return { range: whole, typed: word.typed, listed: new Set() };
  const from = word.typed.lastIndexOf(',') + 1;
  const next = tgt.text.indexOf(',', word.typed.length);
  const to = next < 0 ? tgt.text.length : next;
  const others = [...tgt.text.slice(0, from).split(','), ...tgt.text.slice(to).split(',')].filter((x) => x !== '');
  return {
    range: { line: tgt.line, start: tgt.start + from, end: tgt.start + to },
    typed: word.typed.slice(from),
    listed: new Set(others.map((x) => x.toLowerCase())),
  };
}
