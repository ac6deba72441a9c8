// The advice a careful reviewer gives on a loaded ruleset: chains nothing
// jumps to, interfaces that can never match where a chain is reached.
// (What the kernel itself refuses is in model/kernelChecks.ts.)
import { Diagnostic, diagnostic, DiagnosticCode, Severity, Span } from '../diagnostics';
import { hookList, INPUT_INTERFACE_HOOKS, OUTPUT_INTERFACE_HOOKS } from '../knowledge';
import { HookSet } from '../model/hookSet';
import type { Chain, Rule, Ruleset } from '../model/ruleset';
import { t } from '../l10n';
import { runToEnd, Steps } from '../steps';

export function reviewRuleset(ruleset: Ruleset, diagnostics: Diagnostic[]): void {
  runToEnd(reviewRulesetSteps(ruleset, diagnostics));
}

/** Rules reviewed between two pauses of `reviewRulesetSteps`. */
const RULES_PER_STEP = 8192;

/** `reviewRuleset` in steps (steps.ts): a pause between chains every few thousand rules. */
export function* reviewRulesetSteps(ruleset: Ruleset, diagnostics: Diagnostic[]): Steps<void> {
  const report = reporter(diagnostics);
  let reviewed = 0;
  for (const table of ruleset.tables.values()) {
    // An array and an index loop: each step of a for...of over 55k chains made an iterator result.
    const chains = [...table.chains.values()];
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i];
      const reach = reachOf(chain);
      const rules = chain.rules;
      if (reach) for (let k = 0; k < rules.length; k++) checkInterfaces(chain, reach, rules[k], report);
      if (!chain.builtin && chain.references.length === 0 && chain.declaration) {
        report('unused-chain', chain.declaration, t('no rule jumps to chain {0}, so its rules never run{1}', chain.name, table.fragment ? t(' (unless rules loaded from elsewhere jump here)') : ''), 'hint', 'unnecessary');
      }
      reviewed += chain.rules.length + 1;
      if (reviewed < RULES_PER_STEP) continue;
      reviewed = 0;
      yield;
    }
  }
}

/** The review of some rules of a chain only, after an edit in them (analysis/reanalyse.ts). */
export function reviewRules(chain: Chain, rules: readonly Rule[], diagnostics: Diagnostic[]): void {
  const reach = reachOf(chain);
  const report = reporter(diagnostics);
  if (reach) for (const rule of rules) checkInterfaces(chain, reach, rule, report);
}

function reporter(diagnostics: Diagnostic[]) {
  return (code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error', tag?: Diagnostic['tag']) => {
    const d = diagnostic(code, span, message, severity);
    if (tag) d.tag = tag;
    diagnostics.push(d);
  };
}

type Report = (code: DiagnosticCode, span: Span, message: string, severity?: Severity) => void;

/** Where a user chain is reached from, worked out once per chain: ONLY_OUTGOING and ONLY_INCOMING bits. */
type Reach = number;
const ONLY_OUTGOING = 1;
const ONLY_INCOMING = 2;
const HAVE_INPUT = HookSet.of(INPUT_INTERFACE_HOOKS).bits;
const HAVE_OUTPUT = HookSet.of(OUTPUT_INTERFACE_HOOKS).bits;

// From the hooks' bits: nothing made for each of kube-proxy's 55k chains.
function reachOf(chain: Chain): Reach {
  const bits = chain.hooks.bits;
  if (chain.builtin || bits === 0) return 0;
  return ((bits & HAVE_INPUT) === 0 ? ONLY_OUTGOING : 0) | ((bits & HAVE_OUTPUT) === 0 ? ONLY_INCOMING : 0);
}

function checkInterfaces(chain: Chain, reach: Reach, rule: Rule, report: Report): void {
  const { input, output } = rule.facts;
  if (reach & ONLY_OUTGOING && input && !input.negated) {
    report('interface-direction', input.flag, t('{0} is reached only from {1}, where packets have no input interface: this rule never matches', chain.name, hookList(chain.hooks)), 'warning');
  }
  if (reach & ONLY_INCOMING && output && !output.negated) {
    report('interface-direction', output.flag, t('{0} is reached only from {1}, where packets have no output interface yet: this rule never matches', chain.name, hookList(chain.hooks)), 'warning');
  }
}
