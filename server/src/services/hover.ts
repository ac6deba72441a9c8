// Hover: what the word under the mouse means, in our own words from the
// knowledge base, and for chains what the model knows (declaration, policy,
// rules, the hooks that reach it, who jumps to it, which tool creates it).
import type { Position, Span } from '../diagnostics';
import { findTable, STANDARD_TARGETS, type ExtensionSpec, type ValueSpec } from '../knowledge';
import { BASE_OPTION_DOCS } from '../knowledge/baseOptions';
import { describeWord } from '../knowledge/valueWords';
import { grouped, t } from '../l10n';
import { addressLists } from '../model/ruleFacts';
import type { Table } from '../model/ruleset';
import { savedOptionText } from '../model/savedOptions';
import { ruleSpecText, valueContext } from '../model/saveText';
import { nftCommandRule } from '../nft/script';
import { parseCommand, type Command, type OptionUse } from '../syntax/command';
import { spanOf, Token } from '../syntax/token';
import { CommandPart, partAt } from './commandParts';
import { CommandContext, ContextSource, cursorContext } from './cursorContext';
import { baseOptionDoc, chainDoc, commitDoc, extensionDoc, optionDoc, tableDoc, valueDoc, verdictDoc } from './docs';

export interface HoverResult {
  /** Markdown. */
  contents: string;
  range: Span;
}


export function hover(source: ContextSource, pos: Position): HoverResult | undefined {
  const ctx = cursorContext(source, pos);
  // The mouse is on a character: the one just after a word is not in it.
  if (!ctx || pos.character >= ctx.word.token.end) return undefined;
  const token = ctx.word.token;
  const result = (contents: string | undefined): HoverResult | undefined => contents ? { contents, range: spanOf(token) } : undefined;
  const model = 'table' in ctx && ctx.table ? source.analysis?.rulesets[ctx.family]?.tables.get(ctx.table) : undefined;
  switch (ctx.kind) {
    case 'header': {
      const spec = findTable(token.text);
      return result(spec && tableDoc(spec));
    }
    case 'chainLine':
      if (ctx.field === 0) return result(chainDoc(token.text, model, ctx.table));
      return ctx.field === 1 ? result(verdictDoc(token.text)) : undefined;
    case 'lineStart':
      return token.text === 'COMMIT' ? result(commitDoc()) : undefined;
    case 'command': {
      const command = parseCommand(ctx.words, { family: ctx.family, restore: ctx.restore, table: ctx.table }, []);
      const part = partAt(command, pos.line, pos.character);
      return part && partHover(part, ctx, model, pos, command);
    }
  }
}

function partHover(part: CommandPart, ctx: CommandContext, model: Table | undefined, pos: Position, command: Command): HoverResult | undefined {
  const at = (contents: string | undefined, range: Span = part.token) => contents ? { contents, range: spanOf(range) } : undefined;
  switch (part.kind) {
    case 'base':
      return at(withNftRule(withSavedRule(baseOptionDoc(part.letter), part.letter, command, ctx), part.letter, command, ctx, model));
    case 'table': {
      const spec = findTable(part.token.text);
      return at(spec && tableDoc(spec));
    }
    case 'chain':
      return at(chainDoc(part.token.text, model, ctx.table));
    case 'policy':
      return at(verdictDoc(part.token.text));
    case 'other':
      return undefined;
    case 'criterion': {
      const base = BASE_OPTION_DOCS[part.letter];
      const doc = valueDoc(describe(base.value!, part.letter, ctx, part.token, pos), baseOptionDoc(part.letter)!);
      const rules = part.letter === 's' || part.letter === 'd' ? rulesOfLists(command) : undefined;
      return at(rules ? `${doc}\n\n${rules}` : doc, itemSpan(part.token, pos));
    }
    case 'target': {
      const name = part.token.text;
      const use = part.use;
      if (use.spec) return at(withNftRule(extensionDoc(use.spec), undefined, command, ctx, model));
      if (!use.goto && name in STANDARD_TARGETS) return at(withNftRule(verdictDoc(name), undefined, command, ctx, model));
      return at(chainDoc(name, model, ctx.table));
    }
    case 'match':
      return at(part.use.spec && extensionDoc(part.use.spec));
    case 'option':
      return at(part.owner.spec && withSavedOption(optionDoc(part.use.spec, part.owner.spec), part.owner.spec, part.use, command, ctx));
    case 'value': {
      const opt = part.use.spec;
      const spec = part.index === 0 ? opt.value : opt.second;
      const owner = part.owner.spec;
      if (!spec || !owner) return undefined;
      return at(withSavedOption(valueDoc(describe(spec, opt.name, ctx, part.token, pos), optionDoc(opt, owner)), owner, part.use, command, ctx), itemSpan(part.token, pos));
    }
  }
}

const RULE_COMMANDS = new Set(['A', 'I', 'R', 'D', 'C']);

/** On `-A` and the other rule commands: the rule as iptables-save will list it. */
function withSavedRule(doc: string | undefined, letter: string, command: Command, ctx: CommandContext): string | undefined {
  if (!doc || !RULE_COMMANDS.has(letter) || !command.chain || command.symbolic) return doc;
  const rules = rulesOfLists(command);
  if (rules) return `${doc}\n\n${rules}`;
  const rule = `-A ${command.chain.text} ${ruleSpecText(command.rule, ctx.family)}`;
  return `${doc}\n\n${t('iptables-save lists this rule as:')}\n\`\`\`\n${rule}\n\`\`\``;
}

/** On `-A` and the rule's target: the rule in nftables, or why nft has no equivalent. */
function withNftRule(doc: string | undefined, letter: string | undefined, command: Command, ctx: CommandContext, model: Table | undefined): string | undefined {
  if (!doc || (letter !== undefined && !RULE_COMMANDS.has(letter)) || !command.chain || !NFT_COMMANDS.has(command.kind ?? '')) return doc;
  const nft = nftCommandRule(command, ctx.family, ctx.table, model);
  if (nft.text === undefined) return `${doc}\n\n${t('**nftables** has no equivalent: {0}', nft.untranslatable ?? '')}`;
  const notes = nft.notes.map((n) => `\n- ${n}`).join('');
  return `${doc}\n\n${t('In **nftables**:')}\n\`\`\`\n${nft.text}\n\`\`\`${notes}`;
}

/** `-s a,b -d c,d`: how many rules iptables makes of the command. */
function rulesOfLists(command: Command): string | undefined {
  const lists = addressLists(command.rule);
  if (!lists) return undefined;
  const sides = t('{0} sources × {1} destinations', grouped(lists.sources.length), grouped(lists.destinations.length));
  return t('iptables makes {0} rules of this command, one per pair of addresses ({1}).', grouped(lists.count), sides);
}

/** The commands that add a rule nft can write (deleting or checking one is another matter). */
const NFT_COMMANDS: ReadonlySet<string> = new Set(['append', 'insert', 'replace']);

/** How iptables-save writes the option back, where that is not how it is written here. */
function withSavedOption(doc: string, ext: ExtensionSpec, use: OptionUse, command: Command, ctx: CommandContext): string {
  const written = [use.negated ? '!' : '', use.flag.text, ...use.values.map((v) => v.text)].filter((w) => w !== '').join(' ');
  const saved = savedOptionText(ext, { spec: use.spec, negated: use.negated, values: use.values.map((v) => v.text) }, valueContext(command.rule, ctx.family));
  if (saved === written || command.symbolic) return doc;
  return `${doc}\n\n${saved === '' ? t('iptables-save leaves it out: the kernel keeps no test for it.') : t('iptables-save writes it back as `{0}`.', saved)}`;
}

/** The comma-separated item of a value under the cursor (the whole value when quoted). */
function itemSpan(token: Token, pos: Position): Span {
  if (token.quoted) return spanOf(token);
  const offset = pos.character - token.start;
  const from = token.text.lastIndexOf(',', offset - 1) + 1;
  const next = token.text.indexOf(',', offset);
  return { line: token.line, start: token.start + from, end: token.start + (next < 0 ? token.text.length : next) };
}

function describe(spec: ValueSpec, optionName: string, ctx: CommandContext, token: Token, pos: Position) {
  const item = itemSpan(token, pos);
  const word = token.text.slice(item.start - token.start, item.end - token.start);
  return describeWord(spec, optionName, ctx.family, word);
}

