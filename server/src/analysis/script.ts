// The analysis of a shell script that runs iptables: the script evaluated
// (shell/), then the review of the rules it ends with (dead rules).
import type { Parser } from 'web-tree-sitter';
import { evaluateScriptSteps, ScriptEvaluation, ScriptOptions } from '../shell/evaluateScript';
import { runToEnd, Steps } from '../steps';
import { findDeadRulesInScriptSteps } from './deadRules';

export type ScriptAnalysis = Omit<ScriptEvaluation, 'followedToEnd'>;

export function analyseScript(text: string, parser: Parser, options: ScriptOptions): ScriptAnalysis {
  return runToEnd(analyseScriptSteps(text, parser, options));
}

/** The analysis in steps (see steps.ts): a long script's statements run a few at a time. */
export function* analyseScriptSteps(text: string, parser: Parser, options: ScriptOptions): Steps<ScriptAnalysis> {
  const { followedToEnd, ...a } = yield* evaluateScriptSteps(text, parser, options);
  // The review judges the ruleset the script ends with, which is not known when it was not followed to its end.
  if (followedToEnd) yield* findDeadRulesInScriptSteps(a.rulesets, a.calls, a.diagnostics);
  a.diagnostics.sort((x, y) => x.span.line - y.span.line || x.span.start - y.span.start);
  return a;
}
