// "iptables: Compare with Live": the ruleset a rule file loads or a script
// builds, beside the one the machine holds, both as iptables-save prints them,
// with a summary by table and chain above them. The summary is the same text on
// both sides, so the diff editor shows it as shared, at the top.
import { analyseSaveText, DEFAULT_OPTIONS } from '../analysis/analyse';
import { type DocumentAnalysis, familiesOf } from '../analysis/document';
import type { Family } from '../knowledge';
import { t } from '../l10n';
import { type ChainDrift, comparableText, comparedFamilies, driftSummary, type Rulesets, rulesetDrift } from '../model/drift';

export interface LiveComparison {
  families: Family[];
  chains: ChainDrift[];
  /** One line per changed chain. */
  summary: string[];
  /** The document's ruleset and the live one, each under the summary. */
  left: string;
  right: string;
}

export interface LiveTexts {
  /** iptables-save's output. */
  ipv4: string;
  /** ip6tables-save's, when it was read. */
  ipv6?: string;
}

export function compareWithLive(analysis: DocumentAnalysis, live: LiveTexts, names: { file: string; live: string }): LiveComparison {
  const liveRulesets: Rulesets = {};
  for (const family of ['ipv4', 'ipv6'] as const) {
    const text = live[family];
    if (text !== undefined) liveRulesets[family] = analyseSaveText(text, { ...DEFAULT_OPTIONS, family }).ruleset;
  }
  const families = comparedFamilies({ rulesets: analysis.rulesets, families: familiesOf(analysis) }, { rulesets: liveRulesets });
  const chains = rulesetDrift(analysis.rulesets, liveRulesets, families);
  const summary = chains.map((d) => driftSummary(d, { a: names.file, b: names.live }, families.length > 1));
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  const head = [
    `# ${t('Left: {0}, as iptables-save would print it once loaded. Right: {1}. Counters and comment lines aside.', names.file, names.live)}`,
    ...(errors ? [`# ${analysis.kind === 'save'
      ? t('{0} has errors ({1}): iptables-restore would refuse the whole file. The left side is the ruleset without the lines in error.', names.file, errors)
      : t('{0} has errors ({1}): those commands would fail. The left side is the ruleset without them.', names.file, errors)}`] : []),
    `# ${chains.length ? t('{0} chains differ:', chains.length) : t('The same ruleset.')}`,
    ...summary.map((s) => `#   ${s}`),
    '',
  ];
  const side = (rulesets: Rulesets) => [
    ...head,
    ...families.flatMap((f) => [...(families.length > 1 ? [`# ${f === 'ipv4' ? 'iptables-save (IPv4)' : 'ip6tables-save (IPv6)'}`] : []), comparableText(rulesets[f])]),
  ].join('\n');
  return { families, chains, summary, left: side(analysis.rulesets), right: side(liveRulesets) };
}
