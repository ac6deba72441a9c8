// What the kernel checks when a table is committed: where each match and
// target may be used (the table, and every hook that reaches the chain: legality
// is reachability), which protocol it needs, option limits, and loops between
// chains. A rejected check means the whole commit fails.
import { Diagnostic, diagnostic, DiagnosticCode, FixFacts, Severity, Span } from '../diagnostics';
import { ExtensionSpec, Hook, HOOKS, hookList, NFT_JUMP_LEVELS } from '../knowledge';
import { PROTOCOLS, protocolNumber } from '../knowledge/vocabulary';
import type { OptionUse, RuleSpec } from '../syntax/command';
import { chainsAtDepth, findJumpCycles, JumpDepths, jumpDepths, jumpedChain, levelsAbove, levelsBelow } from './graph';
import type { Chain, Rule, Table } from './ruleset';
import { orList, t } from '../l10n';

/** Adds a problem to `sink` (a function, not a closure per rule: 160k rules pass these checks). */
function report(sink: Diagnostic[], code: DiagnosticCode, span: Span, message: string, severity?: Severity, fix?: FixFacts): void {
  sink.push(diagnostic(code, span, message, severity, fix));
}

/**
 * A check the kernel makes at commit that depends on which hooks reach the
 * rule's chain: an extension, or an option (value), limited to some hooks.
 */
export interface HookLimit {
  code: DiagnosticCode;
  /** Absent for a target's own limit: the rule's target name (shared by every rule with the target). */
  anchor?: Span;
  hooks: readonly Hook[];
  /** The limited extension; else `option` says which option (and value) is. */
  ext?: ExtensionSpec;
  option?: string;
}

/**
 * The kernel's checks of a rule that its command alone decides (in this
 * table), reported now; the hook limits it leaves for when its chain is known.
 */
export function commandCommitChecks(spec: RuleSpec, table: string, diagnostics: Diagnostic[], limits: HookLimit[]): void {
  // Index loops: an iterator for each rule's matches and options added up over 160k rules.
  for (let k = 0; k < spec.matches.length; k++) {
    const m = spec.matches[k];
    const anchor = m.nameToken ?? spec.protocol?.value;
    if (m.spec && anchor) checkExtension(table, spec, m.spec, anchor, m.options, diagnostics, limits);
  }
  const tgt = spec.target;
  if (tgt?.spec && !tgt.goto) checkExtension(table, spec, tgt.spec, tgt.nameToken, tgt.options, diagnostics, limits);
}

/** The kernel's checks of one rule in its chain (with the chain's current hooks). */
export function ruleCommitProblems(table: Table, chain: Chain, rule: Rule, diagnostics: Diagnostic[]): void {
  const { problems, limits } = rule.facts;
  // Index loops: nothing allocated for the rules that pass (all but a few of 160k), not even an iterator.
  for (let k = 0; k < problems.length; k++) diagnostics.push(problems[k]);
  for (let k = 0; k < limits.length; k++) {
    const limit = limits[k];
    let bad: Hook[] | undefined;
    for (let h = 0; h < HOOKS.length; h++) if (chain.hooks.has(HOOKS[h]) && !limit.hooks.includes(HOOKS[h])) (bad ??= []).push(HOOKS[h]);
    if (bad) diagnostics.push(limitProblem(table, chain, rule, limit, bad));
  }
}

/** A hook limit the rule breaks in its chain, in words (apart: a closure in the loop above made a context for each limit of 160k rules). */
function limitProblem(table: Table, chain: Chain, rule: Rule, limit: HookLimit, bad: Hook[]): Diagnostic {
  // A rule file's head makes the target's token on each read: only for a message.
  const anchor = limit.anchor ?? rule.facts.head.target!.nameToken;
  const via = chain.builtin ? t('in {0}', chain.name) : t('in {0}, which is reached from {1}', chain.name, hookList(bad));
  if (limit.ext) {
    const ext = limit.ext;
    const what = ext.kind === 'match' ? t('the {0} match', ext.name) : t('the {0} target', ext.name);
    const allowed = HOOKS.filter((h) => limit.hooks.includes(h) && table.spec?.chains.includes(h));
    return diagnostic(limit.code, anchor, t('{0} is allowed only in {1}; the kernel refuses it {2}', what, allowed.join(', ') || t('other tables\' chains'), via));
  }
  return diagnostic(limit.code, anchor, t('{0} works only in {1}; the kernel refuses it {2}', limit.option, limit.hooks.join(', '), via));
}

/** Loops between chains: the kernel refuses the table (ELOOP). Says whether there is one. */
export function loopProblems(table: Table, diagnostics: Diagnostic[], known?: JumpDepths): boolean {
  const cycles = findJumpCycles(table, known);
  for (const cycle of cycles) {
    const names = [...cycle.map((r) => r.chain), cycle[0].chain].join(' → ');
    const closing = cycle[cycle.length - 1];
    const reachable = table.chains.get(cycle[0].chain)!.hooks.size > 0;
    report(diagnostics, 'jump-loop', closing.facts.head.target!.nameToken, t('these chains jump in a circle ({0}): the kernel refuses the table ("Too many levels of symbolic links")', names), reachable ? 'error' : 'warning');
  }
  return cycles.length > 0;
}

/**
 * Jumps deeper than nf_tables follows: iptables-nft refuses the rule that puts a
 * chain NFT_JUMP_LEVELS below a built-in chain; the legacy backend loads it, so
 * it is a warning. Reported once, on each jump out of a chain one level above.
 */
function depthProblems(table: Table, known: JumpDepths, diagnostics: Diagnostic[]): void {
  for (const chain of chainsAtDepth(table, NFT_JUMP_LEVELS - 1, known)) {
    const rules = chain.rules;
    for (let k = 0; k < rules.length; k++) {
      const next = jumpedChain(rules[k]);
      if (next) diagnostics.push(tooDeep(rules[k], next, chain));
    }
  }
}

/**
 * The same limit for rules a script adds one command at a time: iptables-nft
 * refuses the command whose jump (into a chain with chains below it, or from a
 * chain deep down) puts a chain NFT_JUMP_LEVELS below a built-in chain.
 * For a table without a circle, its jumps just linked.
 */
export function addedDepthProblems(table: Table, chain: Chain, added: readonly Rule[], diagnostics: Diagnostic[]): void {
  if (!chain.builtin && chain.hooks.bits === 0) return;
  const above = levelsAbove(table, chain, NFT_JUMP_LEVELS - 1);
  if (above === undefined) return;
  // The jumped chain is above + 1 down; the chain `need` levels below it is NFT_JUMP_LEVELS down.
  const need = NFT_JUMP_LEVELS - 1 - above;
  const done = new Set<Chain>();
  for (const rule of added) {
    const target = jumpedChain(rule);
    if (!target || done.has(target)) continue;
    done.add(target);
    const deep = levelsBelow(target, need)[need];
    if (deep) diagnostics.push(tooDeep(rule, deep[0], chain));
  }
}

function tooDeep(rule: Rule, deep: Chain, from: Chain): Diagnostic {
  return diagnostic('jump-depth', rule.facts.head.target!.nameToken, t('this jump puts chain {0} {1} jumps below {2}: iptables-nft refuses the rule ("Too many links"), as nf_tables follows at most {3}; the legacy backend loads it',
    deep.name, NFT_JUMP_LEVELS, hookList(from.hooks), NFT_JUMP_LEVELS - 1), 'warning');
}

/** Every check of a whole table, as at an iptables-restore COMMIT. */
export function tableCommitProblems(table: Table, diagnostics: Diagnostic[]): void {
  table.chains.forEach((chain) => {
    const rules = chain.rules;
    for (let k = 0; k < rules.length; k++) ruleCommitProblems(table, chain, rules[k], diagnostics);
  });
  // One walk tells both whether the jumps close a circle and how deep each chain is.
  const known = jumpDepths(table);
  if (!loopProblems(table, diagnostics, known)) depthProblems(table, known, diagnostics);
}

function checkExtension(table: string, rule: RuleSpec, ext: ExtensionSpec, anchor: Span, options: OptionUse[], sink: Diagnostic[], limits: HookLimit[]): void {
  checkPlacement(table, ext, anchor, sink, limits);
  checkProtocol(rule, ext, anchor, sink);
  if (ext.needsMatch) checkNeededMatch(rule, ext, ext.needsMatch, anchor, sink);
  for (let k = 0; k < options.length; k++) checkOption(rule, options[k], sink, limits);
}

function checkPlacement(table: string, ext: ExtensionSpec, anchor: Span, sink: Diagnostic[], limits: HookLimit[]): void {
  const code = ext.kind === 'match' ? 'match-not-allowed' : 'target-not-allowed';
  if (ext.tables && !ext.tables.includes(table as never)) {
    // Worded only here: nearly every rule of 160k passes.
    const what = ext.kind === 'match' ? t('the {0} match', ext.name) : t('the {0} target', ext.name);
    report(sink, code, anchor, ext.tables.length > 1 ? t('{0} works only in the {1} tables; the kernel refuses it in {2}', what, orList(ext.tables), table) : t('{0} works only in the {1} table; the kernel refuses it in {2}', what, ext.tables[0], table));
    return;
  }
  if (!ext.hooks) return;
  if (ext.kind !== 'target') {
    limits.push({ code, anchor, hooks: ext.hooks, ext });
    return;
  }
  // One per target: kube-proxy's 160k rules have tens of thousands of DNATs.
  let limit = TARGET_LIMITS.get(ext);
  if (!limit) TARGET_LIMITS.set(ext, (limit = Object.freeze({ code, hooks: ext.hooks, ext })));
  limits.push(limit);
}

const TARGET_LIMITS = new WeakMap<ExtensionSpec, HookLimit>();

function checkProtocol(rule: RuleSpec, ext: ExtensionSpec, anchor: Span, sink: Diagnostic[]): void {
  // What is named in the message is worded only for a rule that fails: every -m tcp rule passes here.
  if (ext.protocols && !hasProtocol(rule, ext.protocols)) reportProtocol(rule, ext.protocols, ext.kind === 'match' ? `\`-m ${ext.name}\`` : `\`-j ${ext.name}\``, anchor, sink);
}

/** The rule has one of `protocols` (a protocol only the running script knows, `-p $proto`, is not judged). */
function hasProtocol(rule: RuleSpec, protocols: readonly string[]): boolean {
  const p = rule.protocol;
  if (p?.value.unknown) return true;
  const number = p && !p.negated ? protocolNumber(p.value.text) : undefined;
  if (number !== undefined) for (let k = 0; k < protocols.length; k++) if (PROTOCOLS.get(protocols[k]) === number) return true;
  return false;
}

function reportProtocol(rule: RuleSpec, protocols: readonly string[], what: string, anchor: Span, sink: Diagnostic[]): void {
  const p = rule.protocol;
  const need = orList(protocols.map((x) => `\`-p ${x}\``));
  const have = p ? (p.negated ? t(' (a negated `! -p {0}` does not count)', p.value.text) : t(' (this rule has `-p {0}`)', p.value.text)) : '';
  report(sink, 'needs-protocol', anchor, t('{0} needs {1} in the same rule{2}; the kernel refuses it otherwise', what, need, have), 'error', p ? undefined : addProtocol(rule, protocols));
}

/** `-p X` goes where iptables-save puts it: before the first `-m`, else before `-j`. */
function addProtocol(rule: RuleSpec, protocols: readonly string[]): FixFacts | undefined {
  const flags = [...rule.matches.map((m) => m.flag), rule.target?.flag].filter((f) => f !== undefined);
  const at = flags.sort((a, b) => a.line - b.line || a.start - b.start)[0];
  if (!at) return undefined;
  // Names for one protocol number (ipv6-icmp, icmpv6) are offered once.
  const byNumber = new Map<number | string, string>();
  for (const name of protocols) if (!byNumber.has(PROTOCOLS.get(name) ?? name)) byNumber.set(PROTOCOLS.get(name) ?? name, name);
  return { insert: { words: [...byNumber.values()].map((name) => `-p ${name}`), at } };
}

/** Option-level rules: hooks an option is limited to, values that need a protocol. */
function checkOption(rule: RuleSpec, use: OptionUse, sink: Diagnostic[], limits: HookLimit[]): void {
  const opt = use.spec;
  const value = use.parsed[0];
  const valueHooks = typeof value === 'string' ? opt.valueHooks?.[value] : undefined;
  const hooks = valueHooks ?? opt.hooks;
  if (hooks) limits.push({ code: 'option-not-allowed', anchor: use.flag, hooks, option: valueHooks ? `\`--${opt.name} ${value}\`` : `\`--${opt.name}\`` });
  const needs = typeof value === 'string' ? opt.valueNeedsProtocol?.[value] : undefined;
  if (needs && !hasProtocol(rule, needs)) reportProtocol(rule, needs, `\`--${opt.name} ${value}\``, use.values[0], sink);
}

/** TCPMSS and friends: the kernel looks for a particular match in the same rule. */
function checkNeededMatch(rule: RuleSpec, ext: ExtensionSpec, need: { name: string; options: readonly string[] }, anchor: Span, sink: Diagnostic[]): void {
  const found = rule.matches.some((m) => m.name === need.name && m.options.some((o) => need.options.includes(o.spec.name) && !o.negated));
  if (found) return;
  const opts = orList(need.options.map((o) => `\`--${o}\``));
  report(sink, 'missing-option', anchor, t('the kernel refuses `-j {0}` unless the rule also matches with `-m {1}` {2}', ext.name, need.name, opts));
}
