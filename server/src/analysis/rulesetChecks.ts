// The advice a careful reviewer gives on a loaded ruleset: chains nothing
// jumps to, interfaces that can never match where a chain is reached.
// (What the kernel itself refuses is in model/kernelChecks.ts.)
import { Diagnostic, diagnostic, DiagnosticCode, Severity, Span } from '../diagnostics';
import { hookList, INPUT_INTERFACE_HOOKS, OUTPUT_INTERFACE_HOOKS } from '../knowledge';
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
    for (const chain of table.chains.values()) {
      const reach = reachOf(chain);
      if (reach.onlyIncoming || reach.onlyOutgoing) for (const rule of chain.rules) checkInterfaces(chain, reach, rule, report);
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
  if (reach.onlyIncoming || reach.onlyOutgoing) for (const rule of rules) checkInterfaces(chain, reach, rule, report);
}

function reporter(diagnostics: Diagnostic[]) {
  return (code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error', tag?: Diagnostic['tag']) => {
    const d = diagnostic(code, span, message, severity);
    if (tag) d.tag = tag;
    diagnostics.push(d);
  };
}

type Report = (code: DiagnosticCode, span: Span, message: string, severity?: Severity) => void;

/** Where a user chain is reached from, worked out once per chain. */
interface Reach {
  onlyOutgoing: boolean;
  onlyIncoming: boolean;
}

function reachOf(chain: Chain): Reach {
  const hooks = [...chain.hooks];
  const some = !chain.builtin && hooks.length > 0;
  return {
    onlyOutgoing: some && hooks.every((h) => !INPUT_INTERFACE_HOOKS.includes(h)),
    onlyIncoming: some && hooks.every((h) => !OUTPUT_INTERFACE_HOOKS.includes(h)),
  };
}

function checkInterfaces(chain: Chain, reach: Reach, rule: Rule, report: Report): void {
  const spec = rule.facts;
  if (reach.onlyOutgoing && spec.inInterface && !spec.inInterface.negated) {
    report('interface-direction', spec.inInterface.flag, t('{0} is reached only from {1}, where packets have no input interface: this rule never matches', chain.name, hookList(chain.hooks)), 'warning');
  }
  if (reach.onlyIncoming && spec.outInterface && !spec.outInterface.negated) {
    report('interface-direction', spec.outInterface.flag, t('{0} is reached only from {1}, where packets have no output interface yet: this rule never matches', chain.name, hookList(chain.hooks)), 'warning');
  }
}
