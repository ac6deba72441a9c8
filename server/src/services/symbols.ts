// The outline and folding of a document. A save file shows its tables and
// their chains, with each chain's policy and rule count; a script shows, per
// address family, the tables and chains its commands work on. Save files fold
// by table block, by run of rules of one chain, and by comment block.
import type { DocumentAnalysis } from '../analysis/document';
import type { Position, Span } from '../diagnostics';
import type { Family } from '../knowledge';
import type { Ruleset } from '../model/ruleset';
import type { SourceText } from '../sourceText';
import { byPosition, ChainOccurrence, lineReader, visitOccurrences } from './chainOccurrences';
import { ruleCount, t } from '../l10n';

export interface OutlineSymbol {
  name: string;
  detail?: string;
  kind: 'family' | 'table' | 'chain';
  /** The whole symbol (a table: its block, `*table` to COMMIT). */
  range: { start: Position; end: Position };
  /** The name to reveal when the symbol is picked. */
  selection: Span;
  children: OutlineSymbol[];
}

export interface Fold {
  startLine: number;
  endLine: number;
  kind?: 'comment';
}

const FAMILY_NAMES: Record<Family, { name: string; tool: string }> = {
  ipv4: { name: 'IPv4', tool: 'iptables' },
  ipv6: { name: 'IPv6', tool: 'ip6tables' },
};

/** Occurrences that say a chain is worked on here (a jump alone names a chain of elsewhere too). */
const OWNS = new Set(['declare', 'rename-from', 'rename-to', 'rule', 'command']);

// Worked out once per analysis (the outline of 160k rules takes seconds), and carried over to an analysis patched from it.
const OUTLINES = new WeakMap<DocumentAnalysis, OutlineSymbol[]>();
const FOLDS = new WeakMap<DocumentAnalysis, Fold[] | undefined>();

export function documentSymbols(analysis: DocumentAnalysis, text: SourceText): OutlineSymbol[] {
  let symbols = OUTLINES.get(analysis);
  if (!symbols) OUTLINES.set(analysis, symbols = outlineOf(analysis, text));
  return symbols;
}

/**
 * The outline and folds of `base` made those of `patched`, its analysis after an
 * edit (analysis/reanalyse.ts), where the edit cannot have changed them but by
 * moving lines: rules edited in place change neither; rules added or removed
 * change a chain's rule count, and folds of runs of rules.
 */
export function carryOver(base: DocumentAnalysis, patched: DocumentAnalysis): void {
  const patch = patched.patch;
  if (!patch) return;
  const { from, removed, added, chains } = patch;
  const inPlace = removed === 0 && added === 0;
  if (inPlace && FOLDS.has(base)) FOLDS.set(patched, FOLDS.get(base));
  const outline = OUTLINES.get(base);
  // A chain shows at its declaration, if it has one above the edit: else where its first rule is, which the edit may have moved.
  if (!outline || !chains.every((c) => (c.declaration ?? c.policyToken)?.line! < from)) return;
  if (inPlace) return void OUTLINES.set(patched, outline);
  const end = from + removed;
  const line = (l: number) => (l >= end ? l + added - removed : l);
  const position = (p: Position) => ({ line: line(p.line), character: p.character });
  const ruleset = patched.file && patched.rulesets[patched.file.family];
  const counted = new Map<string, Set<string>>();
  for (const c of chains) counted.set(c.table, (counted.get(c.table) ?? new Set()).add(c.name));
  const move = (s: OutlineSymbol, table?: string): OutlineSymbol => {
    const recount = s.kind === 'chain' && !!counted.get(table!)?.has(s.name);
    // Above the edit, with the same count: the symbol as it was (the 55k chains of a kube-proxy node are not all made again).
    // A table above the edit holds none of the recounted chains: a patched file has each table in one block (reanalyse.ts plainFile).
    if (s.range.end.line < from && !recount) return s;
    return {
      ...s,
      range: { start: position(s.range.start), end: position(s.range.end) },
      selection: { ...s.selection, line: line(s.selection.line) },
      detail: recount ? chainDetail(ruleset, table!, s.name) : s.detail,
      children: s.children.map((c) => move(c, s.kind === 'table' ? s.name : table)),
    };
  };
  OUTLINES.set(patched, outline.map((s) => move(s)));
}

function outlineOf(analysis: DocumentAnalysis, text: SourceText): OutlineSymbol[] {
  const occurrences = ownerOccurrences(analysis, text);
  const lineEnd = lineLengths(lineReader(text));
  if (analysis.file) {
    const ruleset = analysis.rulesets[analysis.file.family];
    let next = 0;
    return analysis.file.blocks.map((block) => {
      const last = block.commit?.line ?? block.statements[block.statements.length - 1]?.line ?? block.header.line;
      const inBlock: ChainOccurrence[] = [];
      while (next < occurrences.length && occurrences[next].span.line <= last) {
        if (occurrences[next].span.line > block.header.line) inBlock.push(occurrences[next]);
        next++;
      }
      return {
        name: block.name.text, kind: 'table',
        range: { start: { line: block.header.line, character: block.header.start }, end: { line: last, character: lineEnd(last) } },
        selection: { line: block.name.line, start: block.name.start, end: block.name.end },
        children: chainSymbols(inBlock, ruleset, lineEnd),
      };
    });
  }
  const families = groupBy(occurrences, (o) => o.family);
  return [...families].map(([family, inFamily]) => ({
    ...group(FAMILY_NAMES[family].name, 'family', inFamily, lineEnd),
    detail: FAMILY_NAMES[family].tool,
    children: [...groupBy(inFamily, (o) => o.table)].map(([table, inTable]) => ({
      ...group(table, 'table', inTable, lineEnd),
      children: chainSymbols(inTable, analysis.rulesets[family], lineEnd),
    })),
  }));
}

/**
 * The occurrences that say a chain is worked on here, in document order. Not from the chain index, which
 * would be kept with the analysis (400k occurrences of a kube-proxy node's rules, 50 MB): navigation makes
 * it when asked. A save file's outline shows a chain of a block at its declaration, else where it is first
 * named: only those two of each are kept (a script's tables span every line that names one of their chains).
 */
function ownerOccurrences(analysis: DocumentAnalysis, text: SourceText): ChainOccurrence[] {
  const owners: ChainOccurrence[] = [];
  const blocks = analysis.file?.blocks;
  let block = 0;
  /** The chains of the block being read (its table's): named (1), declared too (2). */
  let kept = new Map<string, 1 | 2>();
  visitOccurrences(analysis, text, (o) => {
    if (!OWNS.has(o.kind)) return;
    if (blocks) {
      // A save file's occurrences come block by block.
      while (block + 1 < blocks.length && o.span.line > blocks[block + 1].header.line) {
        block++;
        kept = new Map();
      }
      const seen = kept.get(o.name);
      if (seen === 2 || (seen === 1 && o.kind !== 'declare')) return;
      kept.set(o.name, o.kind === 'declare' ? 2 : 1);
    }
    owners.push(o);
  });
  return owners.sort(byPosition);
}

/** A family or a table of a script: from the first to the last line naming one of its chains. */
function group(name: string, kind: OutlineSymbol['kind'], occurrences: ChainOccurrence[], lineEnd: (line: number) => number): Omit<OutlineSymbol, 'children'> {
  const lines = occurrences.flatMap((o) => (o.literal ? [o.span.line, o.literal.line] : [o.span.line]));
  const first = Math.min(...lines);
  const last = Math.max(...lines);
  return { name, kind, range: { start: { line: first, character: 0 }, end: { line: last, character: lineEnd(last) } }, selection: placeOf(occurrences[0]) };
}

/**
 * The chains of one table of one family, in the order they first appear,
 * each at its declaration if it has one.
 */
function chainSymbols(occurrences: ChainOccurrence[], ruleset: Ruleset | undefined, lineEnd: (line: number) => number): OutlineSymbol[] {
  return [...groupBy(occurrences, (o) => o.name).values()].map((uses) => {
    const at = placeOf(uses.find((o) => o.kind === 'declare') ?? uses[0]);
    const { name, table } = uses[0];
    return {
      name, kind: 'chain', detail: chainDetail(ruleset, table, name),
      range: { start: { line: at.line, character: 0 }, end: { line: at.line, character: lineEnd(at.line) } },
      // A copy: the model's own place moves with a patch (carryOver moves the outline's).
      selection: { line: at.line, start: at.start, end: at.end },
      children: [],
    };
  });
}

/** Where a chain is named for the user: a script's wrapper function passes on a name its caller wrote. */
function placeOf(o: ChainOccurrence): Span {
  return o.literal ?? o.span;
}

/** "policy DROP, 3 rules", from the ruleset the document loads. */
function chainDetail(ruleset: Ruleset | undefined, table: string, name: string): string | undefined {
  const chain = ruleset?.tables.get(table)?.chains.get(name);
  if (!chain) return undefined;
  const rules = ruleCount(chain.rules.length);
  return chain.policy ? t('policy {0}, {1}', chain.policy, rules) : rules;
}

/**
 * Folds of a save file. A script gets none: the editor's own folding by
 * indentation serves shell code better, and any answer from us replaces it.
 */
export function foldingRanges(analysis: DocumentAnalysis): Fold[] | undefined {
  if (!FOLDS.has(analysis)) FOLDS.set(analysis, foldsOf(analysis));
  return FOLDS.get(analysis);
}

function foldsOf(analysis: DocumentAnalysis): Fold[] | undefined {
  const file = analysis.file;
  if (!file) return undefined;
  const folds: Fold[] = [];
  const add = (startLine: number, endLine: number, kind?: Fold['kind']) => {
    if (endLine > startLine) folds.push(kind ? { startLine, endLine, kind } : { startLine, endLine });
  };
  for (const block of file.blocks) {
    const last = block.statements[block.statements.length - 1]?.line ?? block.header.line;
    add(block.header.line, block.commit?.line ?? last);
    // Runs of rules appended or inserted into one chain.
    let run: { chain: string; start: number; end: number } | undefined;
    for (const st of block.statements) {
      const kind = st.kind !== 'chain' ? st.head.kind : undefined;
      const chain = st.kind !== 'chain' && (kind === 'append' || kind === 'insert') ? st.head.chainName : undefined;
      if (run && chain === run.chain) {
        run.end = st.line;
        continue;
      }
      if (run) add(run.start, run.end);
      run = chain === undefined ? undefined : { chain, start: st.line, end: st.line };
    }
    if (run) add(run.start, run.end);
  }
  let start = -1;
  file.comments.forEach((line, i) => {
    if (start < 0) start = line;
    if (file.comments[i + 1] !== line + 1) {
      add(start, line, 'comment');
      start = -1;
    }
  });
  return folds.sort((a, b) => a.startLine - b.startLine);
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The length of each line, without its line break. */
function lineLengths(lineOf: (line: number) => string | undefined): (line: number) => number {
  return (line) => {
    const text = lineOf(line) ?? '';
    return text.length - (text.endsWith('\r') ? 1 : 0);
  };
}
