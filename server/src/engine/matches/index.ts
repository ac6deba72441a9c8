// Every match module of the knowledge base, by its name there: an evaluator,
// or the reason the engine cannot decide it (then it is always uncertain,
// never silently taken as matching).
import type { MatchUse } from '../../syntax/command';
import { uncertain } from '../context';
import { CompileContext, CompiledMatch, MatchCompiler, whole } from './common';
import { CONNECTION_EVALUATORS } from './connections';
import { CONTENT_EVALUATORS } from './content';
import { HEADER_EVALUATORS } from './headers';
import { IPV6_EVALUATORS } from './ipv6';
import { METADATA_EVALUATORS } from './metadata';
import { RATE_EVALUATORS } from './rates';
import { t } from '../../l10n';

export const MATCH_EVALUATORS: Readonly<Record<string, MatchCompiler>> = {
  ...HEADER_EVALUATORS, ...IPV6_EVALUATORS, ...CONTENT_EVALUATORS, ...CONNECTION_EVALUATORS, ...METADATA_EVALUATORS, ...RATE_EVALUATORS,
};

/** Modules whose answer lives outside anything a scenario describes. */
export const UNMODELLED_MATCHES: Readonly<Record<string, () => string>> = {
  osf: () => t('passive OS fingerprinting depends on the fingerprints loaded into the kernel'),
  rateest: () => t('rate estimators measure live traffic'),
};

export function compileMatch(use: MatchUse, cc: CompileContext): CompiledMatch {
  const name = use.spec?.name ?? use.name;
  const evaluator = MATCH_EVALUATORS[name];
  const scripted = use.options.find((o) => o.values.some((v) => v.unknown !== undefined));
  if (scripted) return { criteria: [whole(use, () => uncertain(t('{0} takes a value only the running script knows', scripted.flag.text)))] };
  if (evaluator && use.spec) return evaluator(use, cc);
  const reason = UNMODELLED_MATCHES[name]?.() ?? t('`-m {0}` is not a match module the engine knows', use.name);
  return { criteria: [whole(use, () => uncertain(reason))] };
}

export type { CompileContext, CompiledMatch };
