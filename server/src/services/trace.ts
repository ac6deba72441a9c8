// The trace panel's side of the server: the model the panel runs the engine
// on, and where the "Trace a packet" lenses go.
import type { DocumentAnalysis, DocumentKind } from '../analysis/document';
import type { Span } from '../diagnostics';
import type { Hook } from '../knowledge';
import { Places, RulesetSnapshot, snapshotOf, TOKEN_PLACES } from '../model/snapshot';
import type { IptablesCall } from '../shell/iptablesCalls';
import type { CommandSource } from '../syntax/saveFile';

/** Null when the server stays out of the document (a shell script without iptables). */
export interface TraceModel {
  uri: string;
  /** The document version the model was made from. */
  version: number;
  kind: DocumentKind;
  /** One per address family the document has rules for. */
  rulesets: RulesetSnapshot[];
  /** The errors iptables would stop at: the trace shows the rules without them. */
  errors: ModelError[];
}

export interface ModelError extends Span {
  message: string;
  code: string;
}

export function traceModel(analysis: DocumentAnalysis, uri: string, version: number): TraceModel {
  return {
    uri,
    version,
    kind: analysis.kind,
    rulesets: Object.values(analysis.rulesets).map((r) => snapshotOf(r, placesIn(analysis))),
    errors: analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ ...d.span, message: d.message, code: d.code })),
  };
}

/**
 * Where commands are written. A script's words may come through a variable or
 * a function's `"$@"`: the call's own words, where written literally, are the place.
 */
function placesIn(analysis: DocumentAnalysis): Places {
  if (!analysis.calls) return TOKEN_PLACES;
  // A rule's facts keep the call that made it as their source.
  const calls = new Map<CommandSource, IptablesCall>(analysis.calls.map((c) => [c, c]));
  const byPolicy = new Map(analysis.calls.filter((c) => c.head.kind === 'policy' && c.command.policy).map((c) => [c.command.policy!, c]));
  const literal = (spans: readonly (Span | undefined)[] | undefined) => commandLines(spans?.filter((s): s is Span => s !== undefined) ?? []);
  return {
    rule: (rule) => {
      const source = rule.facts.origin;
      const spans = literal(calls.get(source)?.sources);
      return spans.length ? spans : rule.command.words;
    },
    token: (t) => {
      const spans = literal(byPolicy.get(t)?.sources);
      return spans.length ? spans : [t];
    },
  };
}

/**
 * The words on the command's own lines: those of the line with the most of
 * them and its neighbours (a `\` continuation), not a variable's value written
 * further up (`MONITORING=192.0.2.10`).
 */
function commandLines(spans: Span[]): Span[] {
  const count = new Map<number, number>();
  for (const s of spans) count.set(s.line, (count.get(s.line) ?? 0) + 1);
  const main = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  if (main === undefined) return [];
  let [first, last] = [main, main];
  while (count.has(first - 1)) first--;
  while (count.has(last + 1)) last++;
  return spans.filter((s) => s.line >= first && s.line <= last);
}

export interface TraceLens {
  span: Span;
  chain: Hook;
}

/** Where a built-in chain's lens goes first: the table verdicts belong to, then the others. */
const LENS_TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'];

/**
 * One lens per built-in chain (of the table that comes first in LENS_TABLES),
 * where its policy is set (`:INPUT DROP`, `-P INPUT DROP`) or else at its
 * first rule; the two families of a script share a line's lens.
 */
export function traceLenses(analysis: DocumentAnalysis): TraceLens[] {
  const lenses = new Map<string, TraceLens>();
  const places = placesIn(analysis);
  for (const ruleset of Object.values(analysis.rulesets)) {
    const chains = new Set<string>();
    for (const name of LENS_TABLES) {
      for (const chain of ruleset.tables.get(name)?.chains.values() ?? []) {
        if (!chain.builtin || chains.has(chain.name)) continue;
        const at = chain.policyToken ? places.token(chain.policyToken)[0] : chain.rules[0] && places.rule(chain.rules[0])[0];
        if (!at) continue;
        chains.add(chain.name);
        const key = `${at.line}:${chain.name}`;
        if (!lenses.has(key)) lenses.set(key, { span: { line: at.line, start: at.start, end: at.end }, chain: chain.name as Hook });
      }
    }
  }
  return [...lenses.values()].sort((a, b) => a.span.line - b.span.line || a.span.start - b.span.start);
}
