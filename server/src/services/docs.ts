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

const code = (s: string) => '`' + s + '`';

export function tableDoc(spec: TableSpec): string {
  return `**${spec.name}** table\n\n${spec.doc}\n\nBuilt-in chains: ${spec.chains.join(', ')}.`;
}

/** The placement facts of a match or target: tables, hooks, protocol, verdict. */
function placement(ext: ExtensionSpec): string[] {
  const facts: string[] = [];
  if (ext.tables) facts.push(`Only in the ${ext.tables.join(' or ')} table${ext.tables.length > 1 ? 's' : ''}.`);
  if (ext.hooks) facts.push(`Only in chains reached from ${hookList(ext.hooks)}.`);
  if (ext.protocols) facts.push(`Needs ${ext.protocols.map((p) => code('-p ' + p)).join(' or ')} in the rule.`);
  if (ext.family) facts.push(ext.family === 'ipv4' ? 'IPv4 only (iptables).' : 'IPv6 only (ip6tables).');
  if (ext.kind === 'target') facts.push(ext.terminating ? 'Ends the rule walk: the packet gets its verdict here.' : 'The packet goes on to the next rule.');
  return facts;
}

export function extensionDoc(ext: ExtensionSpec): string {
  const title = ext.kind === 'match' ? `**-m ${ext.name}** (match)` : `**-j ${ext.name}** (target)`;
  const parts = [title, ext.doc, placement(ext).join(' ')];
  if (ext.removed) parts.push(`**Removed:** ${ext.removed}`);
  else if (ext.deprecated) parts.push(`**Deprecated:** ${ext.deprecated}`);
  const options = ext.options.filter((o) => !o.removed).map((o) => code('--' + o.name));
  if (options.length) parts.push(`Options: ${options.join(', ')}`);
  return parts.filter((p) => p !== '').join('\n\n');
}

export function optionDoc(opt: OptionSpec, owner: ExtensionSpec): string {
  const value = opt.value ? ` *${describeValue(opt.value)}*${opt.second ? ` *${describeValue(opt.second)}*` : ''}` : '';
  const from = owner.kind === 'match' ? code('-m ' + owner.name) : code('-j ' + owner.name);
  const facts = [
    opt.invert ? 'Can be negated: `! --' + opt.name + '`.' : 'Cannot be negated with `!`.',
    opt.mandatory ? 'Required.' : '',
    opt.repeatable ? 'May be given more than once.' : '',
    opt.hooks ? `Only in chains reached from ${hookList(opt.hooks)}.` : '',
    opt.excludes?.length ? `Not together with ${opt.excludes.map((e) => code('--' + e)).join(', ')}.` : '',
    opt.requires?.length ? `Needs ${opt.requires.map((r) => code('--' + r)).join(' and ')}${opt.after ? ', given before it' : ''}.` : '',
    opt.onlyWith ? `Only with ${code(`--${opt.onlyWith.option} ${opt.onlyWith.value}`)}.` : '',
    opt.requiresOneOf?.length ? `Needs one of ${opt.requiresOneOf.map((r) => code('--' + r)).join(', ')}.` : '',
    opt.aliases?.length ? `Also written ${opt.aliases.map((a) => code('--' + a)).join(', ')}.` : '',
  ].filter((f) => f !== '');
  const parts = [`**--${opt.name}**${value} — option of ${from}`, opt.doc, facts.join(' ')];
  if (opt.removed) parts.push(`**Removed:** ${opt.removed}`);
  return parts.join('\n\n');
}

export function baseOptionDoc(letter: string): string | undefined {
  const base = BASE_OPTION_DOCS[letter];
  const hooks = base?.hooks ? ` Only in chains reached from ${hookList(base.hooks)}.` : '';
  return base && `**${base.usage}**\n\n${base.doc}${hooks}`;
}

/** A value word with its meaning, then what the option it belongs to is. */
export function valueDoc(word: { name: string; doc: string } | undefined, optionDocs: string): string {
  return word?.doc ? `**${word.name}**\n\n${word.doc}\n\n---\n\n${optionDocs}` : optionDocs;
}

export function verdictDoc(name: string): string | undefined {
  const doc = STANDARD_TARGETS[name];
  return doc && `**${name}** (verdict)\n\n${doc}`;
}

/** What the model knows of a chain: where it is declared, its policy, rules, hooks, callers; who makes it. */
export function chainDoc(name: string, table: Table | undefined, tableName: string): string {
  const chain = table?.chains.get(name);
  const builtin = isBuiltinChain(tableName as never, name);
  const where = (line: number | undefined) => (line === undefined ? '' : ` on line ${line + 1}`);
  const parts: string[] = [];
  if (builtin) {
    parts.push(`**${name}** — built-in chain of the ${tableName} table`, HOOK_DOCS[name as Hook]);
  } else {
    parts.push(chain
      ? `**${name}** — user chain of the ${tableName} table, declared${where(chain.declaration?.line)}`
      : `**${name}** — not a chain of the ${tableName} table in this document`);
  }
  if (chain) parts.push(chainFacts(chain, builtin));
  const known = builtin ? undefined : wellKnownChain(name);
  if (known) parts.push(`**${known.tool}** creates chains named like this. ${known.doc}`);
  return parts.join('\n\n');
}

function chainFacts(chain: Chain, builtin: boolean): string {
  const facts: string[] = [];
  if (builtin) facts.push(`Policy ${chain.policy ?? 'ACCEPT'}${chain.policyToken ? ` (line ${chain.policyToken.line + 1})` : ' (not set here)'}.`);
  facts.push(`${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'}.`);
  if (!builtin) facts.push(chain.hooks.size ? `Reached from ${hookList(chain.hooks)}.` : 'Not reached from any built-in chain.');
  if (chain.references.length) {
    const shown = chain.references.slice(0, 8).map((r) => `${r.chain} (line ${r.facts.head.target!.nameToken.line + 1}${r.facts.head.target!.goto ? ', goto' : ''})`);
    const more = chain.references.length - shown.length;
    facts.push(`Jumped to from ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}.`);
  }
  return facts.join(' ');
}
