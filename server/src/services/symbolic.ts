// The symbolic engine for the editor: the service matrix of a document, and
// what an edit changed (the semantic diff of two versions of a document).
import type { DocumentAnalysis } from '../analysis/document';
import type { Family } from '../knowledge';
import type { Ruleset } from '../model/ruleset';
import { semanticDiff, semanticDiffText } from '../engine/symbolic/diff';
import { matrixJson, matrixText, parseService, serviceMatrix } from '../engine/symbolic/matrix';
import type { JsonObject } from '../engine/json';
import { t } from '../l10n';

const FAMILIES: Family[] = ['ipv4', 'ipv6'];

function families(a: DocumentAnalysis): Family[] {
  return FAMILIES.filter((f) => a.rulesets[f]?.tables.size);
}

/** The matrix of each family the document has rules for, as text and JSON; an error for a service it cannot read. */
export function documentMatrix(a: DocumentAnalysis, service: string, maxClasses?: number): { text: string; json: JsonObject[] } | { error: string } {
  const s = parseService(service);
  if (!s) return { error: t('not a service: `{0}` (tcp:22, udp:53, icmp, or a protocol alone)', service) };
  const matrices = (families(a).length ? families(a) : ['ipv4' as Family]).map((f) => serviceMatrix(a.rulesets[f] ?? { family: f, tables: new Map() }, s));
  return { text: matrices.map(matrixText).join('\n'), json: matrices.map((m) => matrixJson(m, maxClasses)) };
}

/** How many rules the document has: the editor compares versions on its own only below a size. */
export function ruleCount(a: DocumentAnalysis): number {
  let n = 0;
  for (const r of Object.values(a.rulesets) as Ruleset[]) for (const t of r.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
  return n;
}

/** What changes from `before` to `after`, family by family, in words; `changes`: how many sets of packets changed. */
export function documentDiff(before: DocumentAnalysis, after: DocumentAnalysis, names: { a: string; b: string }): { text: string; changes: number } {
  const fs = FAMILIES.filter((f) => before.rulesets[f]?.tables.size || after.rulesets[f]?.tables.size);
  const diffs = (fs.length ? fs : ['ipv4' as Family]).map((f) => {
    const empty = { family: f, tables: new Map() };
    return semanticDiff(before.rulesets[f] ?? empty, after.rulesets[f] ?? empty);
  });
  return { text: diffs.map((d) => semanticDiffText(d, names)).join(''), changes: diffs.reduce((n, d) => n + d.changes.length, 0) };
}
