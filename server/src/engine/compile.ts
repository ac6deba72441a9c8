// The ruleset turned into what the kernel holds after loading: rules with
// their tests ready to run, targets resolved, and whether any rule makes the
// kernel start connection tracking. Compiled once per ruleset, chain by chain.
import type { Family, Hook } from '../knowledge';
import { CONNTRACK_PRIORITY, isEntryHook, TABLES } from '../knowledge/tables';
import { checkValue, lookedUpWhenLoaded } from '../knowledge/values';
import { rulesetStarts, STARTS } from '../model/ruleFacts';
import type { Chain, Rule, Ruleset, Table } from '../model/ruleset';
import type { Criterion as RuleCriterion } from '../syntax/command';
import { Criterion, EvalContext, uncertain } from './context';
import type { Interface } from './host';
import { CompileContext, quoteWord } from './matches/common';
import { compileMatch } from './matches';
import { CompiledTarget, compileTarget } from './targets';
import { t } from '../l10n';

export type RuleAction =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE' }
  | { kind: 'jump'; chain: string; goto: boolean }
  | { kind: 'continue' }
  | { kind: 'target'; target: CompiledTarget }
  /** A chain this file does not define, or a target a script computes. */
  | { kind: 'unresolved'; chain: string; goto: boolean; reason: string };

export interface CompiledRule {
  /** Counter notation: `filter/INPUT/3`, with the kernel's index. */
  id: string;
  table: string;
  chain: string;
  index: number;
  /** The rule as written (one line may give several kernel rules). */
  text: string;
  /** 0-based line of the rule in its file, for the editor. */
  line: number;
  criteria: Criterion[];
  action: RuleAction;
}

export interface CompiledChain {
  name: string;
  builtin: boolean;
  policy: 'ACCEPT' | 'DROP';
  rules: CompiledRule[];
}

export interface CompiledTable {
  name: string;
  /** A chain of the table, compiled when a walk first enters it. */
  chain(name: string): CompiledChain;
}

/** A step of a hook: a table's chain at its priority, or the conntrack lookup. */
export type HookStage = { kind: 'table'; table: CompiledTable; priority: number } | { kind: 'conntrack'; priority: number };

export interface CompiledRuleset {
  family: Family;
  tables: Map<string, CompiledTable>;
  /** A rule makes the kernel start connection tracking (trap: otherwise nat is never consulted). */
  conntrack: boolean;
  /** A rule turns on defragmentation before the tables (conntrack, socket, TPROXY). */
  defrag: boolean;
  /** Per hook, the stages in priority order (conntrack included only when it runs). */
  stages(hook: Hook, conntrack: boolean): HookStage[];
}

const CACHE = new WeakMap<Ruleset, CompiledRuleset>();

/**
 * The ruleset ready to walk. Only what every trace needs is worked out here,
 * from what the model keeps of each rule; a chain's rules are parsed and
 * compiled when a walk first enters it (kube-proxy's 160k rules are mostly in
 * chains one packet never sees).
 */
export function compileRuleset(ruleset: Ruleset): CompiledRuleset {
  const hit = CACHE.get(ruleset);
  if (hit) return hit;
  const tables = new Map<string, CompiledTable>();
  for (const table of ruleset.tables.values()) {
    if (table.spec) tables.set(table.name, lazyTable(ruleset.family, table));
  }
  const starts = rulesetStarts(ruleset);
  const conntrack = (starts & STARTS.conntrack) !== 0;
  const stageCache = new Map<string, HookStage[]>();
  const compiled: CompiledRuleset = {
    family: ruleset.family,
    tables,
    conntrack,
    defrag: conntrack || (starts & STARTS.defrag) !== 0,
    stages(hook, withConntrack) {
      const key = `${hook}|${withConntrack}`;
      let stages = stageCache.get(key);
      if (!stages) {
        stages = [];
        for (const spec of TABLES) {
          const tgt = tables.get(spec.name);
          const priority = spec.priority[hook];
          if (tgt && priority !== undefined) stages.push({ kind: 'table', table: tgt, priority });
        }
        if (withConntrack && isEntryHook(hook)) stages.push({ kind: 'conntrack', priority: CONNTRACK_PRIORITY });
        stages.sort((a, b) => a.priority - b.priority);
        stageCache.set(key, stages);
      }
      return stages;
    },
  };
  CACHE.set(ruleset, compiled);
  return compiled;
}

function lazyTable(family: Family, table: Table): CompiledTable {
  const chains = new Map<string, CompiledChain>();
  return {
    name: table.name,
    chain(name) {
      let compiled = chains.get(name);
      if (!compiled) {
        const chain = table.chains.get(name);
        if (!chain) throw new Error(`no chain ${name} in table ${table.name}`);
        compiled = compileChain(family, chain);
        chains.set(name, compiled);
      }
      return compiled;
    },
  };
}

function compileChain(family: Family, chain: Chain): CompiledChain {
  const rules: CompiledRule[] = [];
  for (const rule of chain.rules) {
    const cc: CompileContext = { family, table: chain.table, ruleId: `${chain.table}/${chain.name}/${rule.index}`, hooks: chain.hooks };
    const criteria = baseCriteria(family, rule);
    for (const use of rule.spec.matches) criteria.push(...compileMatch(use, cc).criteria);
    rules.push({ id: cc.ruleId, table: chain.table, chain: chain.name, index: rule.index, text: ruleText(rule), line: rule.command.words[0]?.line ?? 0, criteria, action: compileAction(rule, cc) });
  }
  const policy = chain.policy === 'DROP' ? 'DROP' : 'ACCEPT';
  return { name: chain.name, builtin: chain.builtin, policy, rules };
}

function ruleText(rule: Rule): string {
  return rule.command.words.map((w) => quoteWord(w.text)).join(' ');
}

function compileAction(rule: Rule, cc: CompileContext): RuleAction {
  const tgt = rule.target;
  switch (tgt.kind) {
    case 'none': return { kind: 'continue' };
    case 'verdict': return { kind: 'verdict', verdict: tgt.name as 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE' };
    case 'chain': return { kind: 'jump', chain: tgt.name, goto: tgt.goto };
    case 'unresolved': {
      const scripted = rule.spec.target?.nameToken.unknown !== undefined;
      const reason = scripted ? t('the target is `{0}`, known only when the script runs', tgt.name) : t('chain `{0}` is not in this file (created by another tool?)', tgt.name);
      return { kind: 'unresolved', chain: tgt.name, goto: tgt.goto, reason };
    }
    case 'extension': return { kind: 'target', target: compileTarget(rule.spec.target!, cc) };
  }
}

// ---- the base criteria: -s -d -i -o -p -f, in the order ip_packet_match tests them -------------------

function criterionText(c: RuleCriterion, value: string = c.value.text): string {
  return `${c.negated ? '! ' : ''}${c.flag.text} ${value}`;
}

/** A value only the running script knows: the criterion cannot be decided. */
function scriptValue(c: RuleCriterion): Criterion | undefined {
  const why = c.value.unknown;
  return why === undefined ? undefined : { text: criterionText(c), test: () => uncertain(t('{0} takes a value only the running script knows ({1})', c.flag.text, why)) };
}

/** `-s`/`-d` of one kernel rule: the model gives each rule of `-s a,b` its own address. */
function addressTest(family: Family, c: RuleCriterion | undefined, text: string | undefined, field: 'source' | 'destination'): Criterion | undefined {
  if (!c) return undefined;
  const unknown = scriptValue(c);
  if (unknown) return unknown;
  const value = text ?? c.value.text;
  const label = criterionText(c, value);
  if (text === undefined && value.includes(',')) return listTest(family, value, label, c.negated, field);
  const v = checkValue('hostMask', value, { family }).value;
  if (!v || !('address' in v)) {
    return { text: label, test: () => uncertain(lookedUpWhenLoaded(value)) };
  }
  const { address, mask } = v;
  const negated = c.negated;
  const test = (ctx: EvalContext) => ((ctx.pkt[field] & mask) === address) !== negated;
  return negated || mask === 0n ? { text: label, test, pure: true } : { text: label, test, pure: true, key: { field, mask, value: address } };
}

/**
 * A command of more address pairs than the model expands stays one rule: the
 * packet matches it when it matches the rule of any pair (their verdict is the same).
 */
function listTest(family: Family, value: string, label: string, negated: boolean, field: 'source' | 'destination'): Criterion {
  const nets: { address: bigint; mask: bigint }[] = [];
  for (const item of value.split(',')) {
    const v = checkValue('hostMask', item.trim(), { family }).value;
    if (!v || !('address' in v)) return { text: label, test: () => uncertain(lookedUpWhenLoaded(item.trim())) };
    nets.push(v);
  }
  const test = (ctx: EvalContext) => {
    const a = ctx.pkt[field];
    return nets.some((n) => ((a & n.mask) === n.address) !== negated);
  };
  return { text: label, test, pure: true };
}

/** ifname_compare: `eth+` matches every name starting with `eth`; no device compares as the empty name. */
function interfaceTest(c: RuleCriterion, pick: (ctx: EvalContext) => Interface | null): Criterion {
  const unknown = scriptValue(c);
  if (unknown) return unknown;
  const name = c.value.text;
  const wildcard = name.endsWith('+');
  const stem = wildcard ? name.slice(0, -1) : name;
  return {
    text: criterionText(c),
    test: (ctx) => {
      const dev = pick(ctx)?.name ?? '';
      return (wildcard ? dev.startsWith(stem) : dev === stem) !== c.negated;
    },
    pure: true,
  };
}

function baseCriteria(family: Family, rule: Rule): Criterion[] {
  const spec = rule.spec;
  const out: Criterion[] = [];
  const push = (c: Criterion | undefined) => c && out.push(c);
  push(addressTest(family, spec.source, rule.addresses?.source, 'source'));
  push(addressTest(family, spec.destination, rule.addresses?.destination, 'destination'));
  if (spec.inInterface) out.push(interfaceTest(spec.inInterface, (ctx) => ctx.inDev));
  if (spec.outInterface) out.push(interfaceTest(spec.outInterface, (ctx) => ctx.outDev));
  const p = spec.protocol;
  if (p) {
    const n = p.value.unknown === undefined ? checkValue('protocol', p.value.text.toLowerCase(), { family }).value : undefined;
    if (p.value.unknown !== undefined) push(scriptValue(p));
    else if (n !== undefined && n !== 0) {
      const negated = p.negated;
      const test = (ctx: EvalContext) => (ctx.pkt.protocol === n) !== negated;
      out.push(negated ? { text: criterionText(p), test, pure: true } : { text: criterionText(p), test, pure: true, key: { field: 'protocol', value: n } });
    } else if (n === 0 && p.negated) out.push({ text: criterionText(p), test: () => false, pure: true });
  }
  const f = spec.fragment;
  if (f) out.push({ text: `${f.negated ? '! ' : ''}-f`, test: (ctx) => (ctx.pkt.fragmentOffset !== 0) !== f.negated, pure: true });
  const loose = looseScriptWords(rule);
  if (loose.length) {
    out.push({ text: loose.join(' '), test: () => uncertain(t('{0} stands for words only the running script knows ({1} of this rule)', loose.join(' '), loose.length === 1 ? t('an option') : t('options'))) });
  }
  return out;
}

/** Words of a script whose value is unknown and that stand where options go (`$OPTS`), not as an option's value. */
function looseScriptWords(rule: Rule): string[] {
  if (!rule.command.symbolic) return [];
  const spec = rule.spec;
  const used = new Set([spec.source?.value, spec.destination?.value, spec.inInterface?.value, spec.outInterface?.value, spec.protocol?.value,
    ...spec.matches.flatMap((m) => [m.nameToken, ...m.options.flatMap((o) => o.values)]),
    spec.target?.nameToken, ...(spec.target?.options.flatMap((o) => o.values) ?? [])]);
  return rule.command.words.filter((w) => w.unknown !== undefined && !used.has(w)).map((w) => w.text);
}
