// A ruleset written back in iptables-save format, with rules in the canonical
// form iptables-save prints them (`-p tcp --dport 22` comes out as `-p tcp -m
// tcp --dport 22`, addresses get their mask, ICMP names become numbers...).
// Two rulesets that load the same print the same, so this is also how a
// script's ruleset is compared with the kernel's.
import type { Family } from '../knowledge';
import { checkValue, type ValueContext } from '../knowledge/values';
import { protocolNumber, savedProtocolName } from '../knowledge/vocabulary';
import type { MatchUse, OptionUse, RuleSpec, TargetUse } from '../syntax/command';
import type { Chain, Rule, Ruleset, Table } from './ruleset';
import { cidrText, savedOptionsText } from './savedOptions';

const canonical = new WeakMap<Rule, string>();

/** The rule's canonical text, computed once (rule comparisons for -D and -C use it). */
export function canonicalRule(rule: Rule, family: Family): string {
  let text = canonical.get(rule);
  if (text === undefined) {
    text = ruleText(rule, family);
    canonical.set(rule, text);
  }
  return text;
}

/**
 * The ruleset as iptables-save (legacy) prints it after the file or script ran
 * in a fresh network namespace: the kernel lists its tables newest first, so
 * the table the script touched last comes first.
 */
export function rulesetText(ruleset: Ruleset): string {
  const out = [...ruleset.tables.values()].reverse().flatMap((table) => tableText(table, ruleset.family));
  return out.length ? out.join('\n') + '\n' : '';
}

/** One table's block, `*table` to `COMMIT`, as lines. */
export function tableText(table: Table, family: Family): string[] {
  const chains = orderedChains(table);
  return [
    `*${table.name}`,
    ...chains.map(chainLine),
    ...chains.flatMap((chain) => chain.rules.map((rule) => appendLine(chain, rule, family))),
    'COMMIT',
  ];
}

/** `:NAME POLICY [0:0]`, counters aside. */
export function chainLine(chain: Chain): string {
  return `:${chain.name} ${chain.builtin ? chain.policy ?? 'ACCEPT' : '-'} [0:0]`;
}

/** `-A CHAIN ...`, the rule's line in iptables-save (a renamed chain's rules keep their old name). */
export function appendLine(chain: Chain, rule: Rule, family: Family): string {
  return `-A ${chain.name} ${canonicalRule(rule, family)}`.trimEnd();
}

/** Built-in chains in hook order, then user chains in byte order, as iptables-save lists them. */
export function orderedChains(table: Table): Chain[] {
  const builtin = (table.spec?.chains ?? []).map((h) => table.chains.get(h)).filter((c): c is Chain => !!c);
  const user = [...table.chains.values()].filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtin, ...user];
}

/** A rule's text after `-A CHAIN`, as iptables-save prints it. */
function ruleText(rule: Rule, family: Family): string {
  return ruleSpecText(rule.spec, family, rule.addresses, rule.target.kind === 'chain' || rule.target.kind === 'unresolved' ? rule.target.name : undefined);
}

/**
 * A command's rule as iptables-save prints it. `addresses` picks the pair of
 * a `-s a,b -d c,d` command this rule has; `targetName` is the target as it
 * is now (a renamed chain keeps the jumps to it).
 */
export function ruleSpecText(s: RuleSpec, family: Family, addresses?: Rule['addresses'], targetName?: string): string {
  const parts: string[] = [];
  const neg = (c: { negated: boolean }) => (c.negated ? '! ' : '');
  const address = (text: string | undefined, c: typeof s.source) => {
    if (!c) return undefined;
    const v = text ?? c.value.text;
    const r = checkValue('addressList', v, { family });
    const cidr = Array.isArray(r.value) ? r.value[0] : r.value;
    return cidr && 'address' in cidr ? cidrText(cidr, true) : v;
  };
  // A match-anything address (`0.0.0.0/0`) or interface (`+`) is no criterion at all, unless negated.
  const source = address(addresses?.source, s.source);
  const destination = address(addresses?.destination, s.destination);
  if (s.source && (s.source.negated || !isAnyAddress(source))) parts.push(`${neg(s.source)}-s ${source}`);
  if (s.destination && (s.destination.negated || !isAnyAddress(destination))) parts.push(`${neg(s.destination)}-d ${destination}`);
  if (s.inInterface && s.inInterface.value.text !== '+') parts.push(`${neg(s.inInterface)}-i ${s.inInterface.value.text}`);
  if (s.outInterface && s.outInterface.value.text !== '+') parts.push(`${neg(s.outInterface)}-o ${s.outInterface.value.text}`);
  if (s.protocol) {
    const p = s.protocol.value.unknown ? s.protocol.value.text : s.protocol.value.text.toLowerCase();
    const number = protocolNumber(p);
    const name = number === undefined ? p : savedProtocolName(number) ?? p;
    if (!(name === 'all' && !s.protocol.negated)) parts.push(`${neg(s.protocol)}-p ${name}`);
  }
  if (s.fragment) parts.push(`${neg(s.fragment)}-f`);
  const ctx = valueContext(s, family);
  for (const m of s.matches) parts.push(matchText(m, ctx));
  if (s.unattributed) parts.push(s.unattributed.map((t) => t.text).join(' '));
  if (s.target) parts.push(targetText(s.target, targetName ?? s.target.name, ctx));
  return parts.filter((p) => p !== '').join(' ');
}

/** What a rule's option values are read against: its family and `-p`. */
export function valueContext(s: RuleSpec, family: Family): ValueContext {
  return { family, protocol: s.protocol && !s.protocol.negated ? s.protocol.value.text.toLowerCase() : undefined };
}

function isAnyAddress(text: string | undefined): boolean {
  return text === '0.0.0.0/0' || text === '::/0';
}

function given(uses: readonly OptionUse[]) {
  return uses.map((u) => ({ spec: u.spec, negated: u.negated, values: u.values.map((v) => v.text) }));
}

function matchText(m: MatchUse, ctx: ValueContext): string {
  const head = `-m ${m.spec?.name ?? m.name}`;
  return m.spec ? [head, ...savedOptionsText(m.spec, given(m.options), ctx)].join(' ') : head;
}

/** `name` is the target as it is now (a renamed chain keeps the jumps to it). */
function targetText(t: TargetUse, name: string, ctx: ValueContext): string {
  const head = `${t.goto ? '-g' : '-j'} ${name}`;
  return t.spec ? [head, ...savedOptionsText(t.spec, given(t.options), ctx)].join(' ') : head;
}
