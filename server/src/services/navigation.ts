// Go to definition, find references, document highlight and rename for user
// chains, over the chain index. In a script, a chain may be named several
// times by one word (a loop over tables or over iptables and ip6tables), and
// its name may be written elsewhere (`CHAIN=web` ... `-N "$CHAIN"`): a rename
// edits where the name is written, and refuses where it is not written whole.
import type { Position, Span } from '../diagnostics';
import { isBuiltinChain, TableName } from '../knowledge';
import { chainNameProblem } from '../syntax/command';
import { sameSpan } from '../syntax/token';
import { ChainIndex, ChainOccurrence, contains } from './chainOccurrences';
import { t } from '../l10n';

export type HighlightKind = 'read' | 'write' | 'text';

export interface Highlight {
  span: Span;
  kind: HighlightKind;
}

export interface TextEdit {
  span: Span;
  newText: string;
}

export type Refusal = { refused: string };

/** A chain: its name in one table of one family. */
type Chain = Pick<ChainOccurrence, 'family' | 'table' | 'name'>;

const DECLARES = new Set(['declare', 'rename-to']);
const WRITES = new Set(['declare', 'rename-from', 'rename-to']);

function same(a: Chain, b: Chain): boolean {
  return a.name === b.name && a.table === b.table && a.family === b.family;
}

/** The chains named at a position, by a word naming them or where a name is written. */
function chainsAt(index: ChainIndex, at: Position): Chain[] {
  const chains: Chain[] = [];
  for (const o of index.occurrences) {
    if ((contains(o.span, at) || (o.literal && contains(o.literal, at))) && !chains.some((c) => same(c, o))) chains.push(o);
  }
  return chains;
}

function occurrencesOf(index: ChainIndex, chains: Chain[]): ChainOccurrence[] {
  return chains.length ? index.occurrences.filter((o) => chains.some((c) => same(c, o))) : [];
}

/**
 * Where the chain at a position is created (`:NAME`, `-N NAME`, `-E old NAME`):
 * where its name is written there (in a script, perhaps by the caller of a wrapper function).
 */
export function definition(index: ChainIndex, at: Position): Span[] {
  const declarations = occurrencesOf(index, chainsAt(index, at)).filter((o) => DECLARES.has(o.kind));
  return inOrder(declarations.map((o) => ({ span: o.literal ?? o.span }))).map((p) => p.span);
}

/**
 * Every place naming the chain at a position; in a script also where its
 * name is written for a variable or a function's caller.
 */
export function references(index: ChainIndex, at: Position, includeDeclaration: boolean): Span[] {
  return places(index, at).filter((p) => includeDeclaration || !p.declaration).map((p) => p.span);
}

/** The places of `references`: writes where a chain is created or renamed, reads where it is used. */
export function highlights(index: ChainIndex, at: Position): Highlight[] {
  return places(index, at).map(({ span, kind }) => ({ span, kind }));
}

type Place = Highlight & { declaration: boolean };

function places(index: ChainIndex, at: Position): Place[] {
  const found: Place[] = [];
  for (const o of occurrencesOf(index, chainsAt(index, at))) {
    found.push({ span: o.span, kind: WRITES.has(o.kind) ? 'write' : 'read', declaration: DECLARES.has(o.kind) });
    // Where a script wrote the name for a variable or a function's caller.
    if (o.literal && !sameSpan(o.literal, o.span)) found.push({ span: o.literal, kind: 'text', declaration: false });
  }
  // One place per position: the strongest kind, a declaration if any occurrence there is one.
  return inOrder(found, (kept, p) => {
    if (RANK[p.kind] > RANK[kept.kind]) kept.kind = p.kind;
    kept.declaration ||= p.declaration;
  });
}

const RANK: Record<HighlightKind, number> = { text: 0, read: 1, write: 2 };

/** Sorted by position, one per position (`merge` folds a repeat into the one kept). */
function inOrder<T extends { span: Span }>(items: T[], merge?: (kept: T, repeat: T) => void): T[] {
  const sorted = items.sort((a, b) => a.span.line - b.span.line || a.span.start - b.span.start);
  const out: T[] = [];
  for (const item of sorted) {
    const last = out[out.length - 1];
    if (last && last.span.line === item.span.line && last.span.start === item.span.start) merge?.(last, item);
    else out.push(item);
  }
  return out;
}

/** What a rename at this position would change: its range and current name, or why it cannot. */
export function prepareRename(index: ChainIndex, at: Position): { span: Span; name: string } | Refusal | undefined {
  const plan = renamePlan(index, at);
  if (!plan || 'refused' in plan) return plan;
  const here = plan.occurrences.find((o) => o.literal && contains(o.literal, at))?.literal
    ?? plan.occurrences.find((o) => contains(o.span, at))!.span;
  return { span: here, name: plan.occurrences[0].name };
}

/** The edits that rename the chain at a position to `newName`, or why iptables or the script would not allow it. */
export function rename(index: ChainIndex, at: Position, newName: string): TextEdit[] | Refusal | undefined {
  const plan = renamePlan(index, at);
  if (!plan || 'refused' in plan) return plan;
  for (const c of plan.chains) {
    const problem = chainNameProblem(newName, c.family, true);
    if (problem) return { refused: problem };
  }
  // Names that would need quoting in a script, or escaping in a restore file, are not worth the risk.
  if (!/^[^"\\]+$/.test(newName) || (index.shell && !/^[\w.:@%+,=/-]+$/.test(newName))) {
    return { refused: t('`{0}` would need quoting or escaping here; choose a name of letters, digits and - _ . : @ % + , = /', newName) };
  }
  for (const c of plan.chains) {
    if (newName === c.name) continue;
    const taken = isBuiltinChain(c.table as TableName, newName)
      || index.occurrences.some((o) => o.name === newName && o.table === c.table && o.family === c.family && !plan.chains.some((p) => same(p, o)));
    if (taken) return { refused: t('the {0} table already has a chain `{1}`', c.table, newName) };
  }
  return inOrder(plan.occurrences.map((o) => ({ span: o.literal!, newText: newName })));
}

/**
 * The occurrences a rename changes: those of the chains at the position, and
 * in a script of any other chain whose name comes from the same written word
 * (one `CHAIN=web` used for iptables and ip6tables names two chains). Each
 * must be written out whole somewhere, or the rename is refused.
 */
function renamePlan(index: ChainIndex, at: Position): { chains: Chain[]; occurrences: ChainOccurrence[] } | Refusal | undefined {
  const chains = chainsAt(index, at);
  if (chains.length === 0) {
    const target = index.targets.find((tgt) => contains(tgt.span, at));
    if (target) return { refused: t('{0} is a target, not a chain: only user-defined chains can be renamed', target.name) };
    const unknown = index.unknown.find((u) => contains(u.span, at));
    if (unknown) return { refused: t('this chain name comes from {0}, which only the running script knows: it cannot be renamed here', unknown.why) };
    return undefined;
  }
  let occurrences = occurrencesOf(index, chains);
  while (index.shell) {
    const written = new Set(occurrences.flatMap((o) => (o.literal ? [`${o.literal.line}:${o.literal.start}`] : [])));
    const more = index.occurrences.filter((o) => o.literal && written.has(`${o.literal.line}:${o.literal.start}`) && !chains.some((c) => same(c, o)));
    if (more.length === 0) break;
    for (const o of more) if (!chains.some((c) => same(c, o))) chains.push(o);
    occurrences = occurrencesOf(index, chains);
  }
  const builtin = occurrences.find((o) => o.builtin);
  if (builtin) return { refused: t('{0} is a built-in chain of the {1} table: it cannot be renamed', builtin.name, builtin.table) };
  const unwritten = occurrences.find((o) => !o.literal);
  if (unwritten) {
    return { refused: t('the chain name on line {0} is written as `{1}`, not spelled out in one piece, so renaming cannot edit it safely; rename it by hand', unwritten.span.line + 1, unwritten.asWritten) };
  }
  return { chains, occurrences };
}
