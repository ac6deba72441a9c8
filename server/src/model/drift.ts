// Where two rulesets differ, chain by chain: rules added, removed and moved,
// policies changed, chains only one side has. Rules are compared as
// iptables-save prints them (saveText.ts), so counters, comment lines and the
// way a file spells an option do not count, and two rulesets that load the
// same compare equal. A table or built-in chain that holds nothing (ACCEPT,
// no rules) is the same as none: listing a table is enough to create it.
import { TABLES, type Family } from '../knowledge';
import type { Chain, Ruleset, Table } from './ruleset';
import { appendLine, chainLine, orderedChains } from './saveText';
import { ruleCount, t } from '../l10n';

export interface RuleChange {
  /** The rule as iptables-save prints it (`-A INPUT ...`). */
  rule: string;
  /** 1-based, in its side's chain. */
  position: number;
}

export interface RuleMove {
  rule: string;
  from: number;
  to: number;
}

export interface ChainDrift {
  family: Family;
  table: string;
  chain: string;
  /** Both sides have the chain (`changed`), only B (`added`) or only A (`removed`). */
  change: 'changed' | 'added' | 'removed';
  /** A built-in chain's policy, when it differs. */
  policy?: { a: string; b: string };
  /** Rules only B has, at their place in B. */
  added: RuleChange[];
  /** Rules only A has, at their place in A. */
  removed: RuleChange[];
  /** Rules both have, in another order. */
  moved: RuleMove[];
}

export type Rulesets = Partial<Record<Family, Ruleset>>;

/** One side of a comparison: the families it speaks for (undefined: whatever it has, as a live machine). */
export interface DriftSide {
  rulesets: Rulesets;
  families?: readonly Family[];
}

/**
 * What both sides speak for: a rules.v4 file against the live machine or a
 * dual-stack script is compared for IPv4 only. Sides with nothing in common
 * (an IPv4 file and an IPv6 one) are compared for both.
 */
export function comparedFamilies(a: DriftSide, b: DriftSide): Family[] {
  const both: Family[] = ['ipv4', 'ipv6'];
  const speaks = (s: DriftSide, f: Family) => (s.families ? s.families.includes(f) : s.rulesets[f] !== undefined);
  const common = both.filter((f) => speaks(a, f) && speaks(b, f));
  return common.length ? common : both.filter((f) => speaks(a, f) || speaks(b, f));
}

/** The chains that differ from A to B, for the families given, in table and chain order. */
export function rulesetDrift(a: Rulesets, b: Rulesets, families: readonly Family[]): ChainDrift[] {
  const out: ChainDrift[] = [];
  for (const family of families) {
    for (const spec of TABLES) {
      const ta = a[family]?.tables.get(spec.name);
      const tb = b[family]?.tables.get(spec.name);
      const names = new Set([...spec.chains, ...userChains(ta), ...userChains(tb)]);
      for (const name of sortedChains(spec.chains, names)) {
        const drift = chainDrift(family, spec.name, name, ta?.chains.get(name), tb?.chains.get(name));
        if (drift) out.push(drift);
      }
    }
  }
  return out;
}

function userChains(tgt: Table | undefined): string[] {
  return tgt ? [...tgt.chains.values()].filter((c) => !c.builtin).map((c) => c.name) : [];
}

/** Built-in chains in hook order, then user chains in byte order (iptables-save's order). */
function sortedChains(builtin: readonly string[], names: Set<string>): string[] {
  const user = [...names].filter((n) => !builtin.includes(n)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return [...builtin, ...user];
}

function chainDrift(family: Family, table: string, name: string, a: Chain | undefined, b: Chain | undefined): ChainDrift | undefined {
  const builtin = (a ?? b)?.builtin ?? true;
  const lines = (c: Chain | undefined) => c?.rules.map((r) => appendLine(c, r, family)) ?? [];
  const ra = lines(a);
  const rb = lines(b);
  const change = builtin || (a && b) ? 'changed' : a ? 'removed' : 'added';
  const drift: ChainDrift = { family, table, chain: name, change, ...ruleDrift(ra, rb) };
  const pa = a?.policy ?? 'ACCEPT';
  const pb = b?.policy ?? 'ACCEPT';
  if (builtin && pa !== pb) drift.policy = { a: pa, b: pb };
  const same = change === 'changed' && !drift.policy && !drift.added.length && !drift.removed.length && !drift.moved.length;
  return same ? undefined : drift;
}

/** Beyond this many cells the middle of two chains is matched by count, without order (moves are not told apart). */
const MAX_LCS_CELLS = 4_000_000;

/**
 * Rules added, removed and moved from `a` to `b`: the longest common
 * subsequence stays; of the rest, a rule both sides have (as many times) moved.
 */
export function ruleDrift(a: readonly string[], b: readonly string[]): Pick<ChainDrift, 'added' | 'removed' | 'moved'> {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const keptA = new Array<boolean>(midA.length).fill(false);
  const keptB = new Array<boolean>(midB.length).fill(false);
  if (midA.length * midB.length <= MAX_LCS_CELLS) markCommonSubsequence(midA, midB, keptA, keptB);
  const removed = midA.flatMap((rule, i) => (keptA[i] ? [] : [{ rule, position: head + i + 1 }]));
  const added = midB.flatMap((rule, i) => (keptB[i] ? [] : [{ rule, position: head + i + 1 }]));
  // A rule on both lists is the same rule in another place: pair them in order.
  const moved: RuleMove[] = [];
  const waiting = new Map<string, RuleChange[]>();
  for (const r of added) (waiting.get(r.rule) ?? waiting.set(r.rule, []).get(r.rule)!).push(r);
  const pairedAdded = new Set<RuleChange>();
  const stillRemoved: RuleChange[] = [];
  for (const r of removed) {
    const to = waiting.get(r.rule)?.shift();
    if (to) {
      moved.push({ rule: r.rule, from: r.position, to: to.position });
      pairedAdded.add(to);
    } else stillRemoved.push(r);
  }
  return { added: added.filter((r) => !pairedAdded.has(r)), removed: stillRemoved, moved };
}

/** Marks the items of one longest common subsequence of `a` and `b`. */
function markCommonSubsequence(a: readonly string[], b: readonly string[], keptA: boolean[], keptB: boolean[]): void {
  const n = a.length;
  const m = b.length;
  const width = m + 1;
  // lengths[i][j]: the LCS of a[i..] and b[j..].
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = a[i] === b[j] ? lengths[(i + 1) * width + j + 1] + 1 : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      keptA[i++] = true;
      keptB[j++] = true;
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) i++;
    else j++;
  }
}

/**
 * A ruleset's text for a side-by-side comparison: as iptables-save prints it,
 * with the tables in a fixed order (the order packets meet them) and those
 * that hold nothing left out, and every built-in chain listed.
 */
export function comparableText(ruleset: Ruleset | undefined): string {
  if (!ruleset) return '';
  const out: string[] = [];
  for (const spec of TABLES) {
    const table = ruleset.tables.get(spec.name);
    if (!table || isEmpty(table)) continue;
    const chains = orderedChains(table);
    const builtin = spec.chains.map((name) => {
      const c = table.chains.get(name);
      return c ? chainLine(c) : `:${name} ACCEPT [0:0]`;
    });
    const user = chains.filter((c) => !c.builtin).map(chainLine);
    out.push(`*${table.name}`, ...builtin, ...user, ...chains.flatMap((c) => c.rules.map((r) => appendLine(c, r, ruleset.family))), 'COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function isEmpty(table: Table): boolean {
  return [...table.chains.values()].every((c) => c.builtin && (c.policy ?? 'ACCEPT') === 'ACCEPT' && c.rules.length === 0);
}

// ---- words -------------------------------------------------------------------

const FAMILY_PREFIX: Record<Family, string> = { ipv4: '', ipv6: 'ip6 ' };

/** `filter/INPUT` (`ip6 filter/INPUT` for IPv6 when both families are compared). */
export function chainLabel(d: ChainDrift, bothFamilies: boolean): string {
  return `${bothFamilies ? FAMILY_PREFIX[d.family] : ''}${d.table}/${d.chain}`;
}

/** One line per changed chain: `filter/INPUT: policy ACCEPT -> DROP, 1 rule added, 2 removed`. */
export function driftSummary(d: ChainDrift, names: { a: string; b: string }, bothFamilies: boolean): string {
  const parts: string[] = [];
  if (d.change === 'added') parts.push(t('chain only in {0} ({1})', names.b, ruleCount(d.added.length)));
  else if (d.change === 'removed') parts.push(t('chain only in {0} ({1})', names.a, ruleCount(d.removed.length)));
  else {
    if (d.policy) parts.push(t('policy {0} -> {1}', d.policy.a, d.policy.b));
    if (d.added.length) parts.push(t('{0} added', ruleCount(d.added.length)));
    if (d.removed.length) parts.push(t('{0} removed', d.added.length ? d.removed.length : ruleCount(d.removed.length)));
    if (d.moved.length) parts.push(t('{0} moved', d.added.length || d.removed.length ? d.moved.length : ruleCount(d.moved.length)));
  }
  return `${chainLabel(d, bothFamilies)}: ${parts.join(', ')}`;
}
