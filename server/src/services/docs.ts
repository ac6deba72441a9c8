// Markdown that explains knowledge-base items and model chains, shared by
// completion (an item's documentation) and hover. Every sentence comes from a
// `doc` field of the knowledge base or from facts of the model.
import {
  ExtensionSpec, HOOK_DOCS, Hook, OptionSpec, STANDARD_TARGETS, TableSpec, hookList, isBuiltinChain,
} from '../knowledge';
import { BASE_OPTION_DOCS } from '../knowledge/baseOptions';
import { describeValue } from '../knowledge/values';
import { wellKnownChain } from '../knowledge/wellKnownChains';
import type { Chain, Table } from '../model/ruleset';
import { localized, t } from '../l10n';

const code = (s: string) => '`' + s + '`';

export function tableDoc(spec: TableSpec): string {
  return t('**{0}** table\n\n{1}\n\nBuilt-in chains: {2}.', spec.name, localized(spec.doc), spec.chains.join(t(', ')));
}

/** The placement facts of a match or target: tables, hooks, protocol, verdict. */
function placement(ext: ExtensionSpec): string[] {
  const facts: string[] = [];
  if (ext.tables) facts.push(ext.tables.length > 1 ? t('Only in the {0} tables.', ext.tables.join(t(' or '))) : t('Only in the {0} table.', ext.tables[0]));
  if (ext.hooks) facts.push(t('Only in chains reached from {0}.', hookList(ext.hooks)));
  if (ext.protocols) facts.push(t('Needs {0} in the rule.', ext.protocols.map((p) => code('-p ' + p)).join(t(' or '))));
  if (ext.family) facts.push(ext.family === 'ipv4' ? t('IPv4 only (iptables).') : t('IPv6 only (ip6tables).'));
  if (ext.kind === 'target') facts.push(ext.terminating ? t('Ends the rule walk: the packet gets its verdict here.') : t('The packet goes on to the next rule.'));
  return facts;
}

export function extensionDoc(ext: ExtensionSpec): string {
  const title = ext.kind === 'match' ? t('**-m {0}** (match)', ext.name) : t('**-j {0}** (target)', ext.name);
  const parts = [title, localized(ext.doc), placement(ext).join(' ')];
  if (ext.removed) parts.push(t('**Removed:** {0}', localized(ext.removed)));
  else if (ext.deprecated) parts.push(t('**Deprecated:** {0}', localized(ext.deprecated)));
  const options = ext.options.filter((o) => !o.removed).map((o) => code('--' + o.name));
  if (options.length) parts.push(t('Options: {0}', options.join(t(', '))));
  return parts.filter((p) => p !== '').join('\n\n');
}

export function optionDoc(opt: OptionSpec, owner: ExtensionSpec): string {
  const value = opt.value ? ` *${describeValue(opt.value)}*${opt.second ? ` *${describeValue(opt.second)}*` : ''}` : '';
  const from = owner.kind === 'match' ? code('-m ' + owner.name) : code('-j ' + owner.name);
  const facts = [
    opt.invert ? t('Can be negated: {0}.', code('! --' + opt.name)) : t('Cannot be negated with `!`.'),
    opt.mandatory ? t('Required.') : '',
    opt.repeatable ? t('May be given more than once.') : '',
    opt.hooks ? t('Only in chains reached from {0}.', hookList(opt.hooks)) : '',
    opt.excludes?.length ? t('Not together with {0}.', opt.excludes.map((e) => code('--' + e)).join(t(', '))) : '',
    opt.requires?.length ? t('Needs {0}{1}.', opt.requires.map((r) => code('--' + r)).join(t(' and ')), opt.after ? t(', given before it') : '') : '',
    opt.onlyWith ? t('Only with {0}.', code(`--${opt.onlyWith.option} ${opt.onlyWith.value}`)) : '',
    opt.requiresOneOf?.length ? t('Needs one of {0}.', opt.requiresOneOf.map((r) => code('--' + r)).join(t(', '))) : '',
    opt.aliases?.length ? t('Also written {0}.', opt.aliases.map((a) => code('--' + a)).join(t(', '))) : '',
  ].filter((f) => f !== '');
  const parts = [t('**--{0}**{1} — option of {2}', opt.name, value, from), localized(opt.doc), facts.join(' ')];
  if (opt.removed) parts.push(t('**Removed:** {0}', localized(opt.removed)));
  return parts.join('\n\n');
}

export function baseOptionDoc(letter: string): string | undefined {
  const base = BASE_OPTION_DOCS[letter];
  const hooks = base?.hooks ? t(' Only in chains reached from {0}.', hookList(base.hooks)) : '';
  return base && `**${base.usage}**\n\n${localized(base.doc)}${hooks}`;
}

/** A value word with its meaning, then what the option it belongs to is. */
export function valueDoc(word: { name: string; doc: string } | undefined, optionDocs: string): string {
  return word?.doc ? `**${word.name}**\n\n${localized(word.doc)}\n\n---\n\n${optionDocs}` : optionDocs;
}

/** COMMIT in a restore file, for hover and completion. */
export function commitDoc(): string {
  return t('**COMMIT**\n\nEnds the table block: iptables-restore checks the whole block and swaps it in as one step; without this line nothing of the block applies.');
}

export function verdictDoc(name: string): string | undefined {
  const doc = STANDARD_TARGETS[name];
  return doc && t('**{0}** (verdict)\n\n{1}', name, localized(doc));
}

/** What the model knows of a chain: where it is declared, its policy, rules, hooks, callers; who makes it. */
export function chainDoc(name: string, table: Table | undefined, tableName: string): string {
  const chain = table?.chains.get(name);
  const builtin = isBuiltinChain(tableName as never, name);
  const where = (line: number | undefined) => (line === undefined ? '' : t(' on line {0}', line + 1));
  const parts: string[] = [];
  if (builtin) {
    parts.push(t('**{0}** — built-in chain of the {1} table', name, tableName), localized(HOOK_DOCS[name as Hook]));
  } else {
    parts.push(chain
      ? t('**{0}** — user chain of the {1} table, declared{2}', name, tableName, where(chain.declaration?.line))
      : t('**{0}** — not a chain of the {1} table in this document', name, tableName));
  }
  if (chain) parts.push(chainFacts(chain, builtin));
  const known = builtin ? undefined : wellKnownChain(name);
  if (known) parts.push(t('**{0}** creates chains named like this. {1}', known.tool, localized(known.doc)));
  return parts.join('\n\n');
}

function chainFacts(chain: Chain, builtin: boolean): string {
  const facts: string[] = [];
  if (builtin) facts.push(t('Policy {0}{1}.', chain.policy ?? 'ACCEPT', chain.policyToken ? t(' (line {0})', chain.policyToken.line + 1) : t(' (not set here)')));
  facts.push(chain.rules.length === 1 ? t('1 rule.') : t('{0} rules.', chain.rules.length));
  if (!builtin) facts.push(chain.hooks.size ? t('Reached from {0}.', hookList(chain.hooks)) : t('Not reached from any built-in chain.'));
  if (chain.references.length) {
    const shown = chain.references.slice(0, 8).map((r) => {
      const target = r.facts.head.target!;
      return target.goto ? t('{0} (line {1}, goto)', r.chain, target.nameToken.line + 1) : t('{0} (line {1})', r.chain, target.nameToken.line + 1);
    });
    const more = chain.references.length - shown.length;
    facts.push(t('Jumped to from {0}{1}.', shown.join(t(', ')), more > 0 ? t(' and {0} more', more) : ''));
  }
  return facts.join(' ');
}
