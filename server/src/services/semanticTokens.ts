// Semantic tokens: every place a chain name is written gets the same token
// type, so a chain looks the same where it is declared and where it is used;
// declarations carry `declaration`, built-in chains `defaultLibrary`.
// The legend is defined here only; the server announces it as it is.
import type { DocumentAnalysis } from '../analysis/document';
import { blockLine } from '../syntax/saveFile';
import type { CommandLine } from '../syntax/saveFile';
import type { SourceText } from '../sourceText';
import { ChainIndex, ChainOccurrence, commandOccurrences, visitOccurrences } from './chainOccurrences';

export const SEMANTIC_TOKEN_LEGEND = {
  /** `chain` is contributed in package.json (semanticTokenTypes), as a kind of `function`. */
  tokenTypes: ['chain'],
  tokenModifiers: ['declaration', 'defaultLibrary'],
} as const;

const CHAIN = SEMANTIC_TOKEN_LEGEND.tokenTypes.indexOf('chain');
const DECLARATION = 1 << SEMANTIC_TOKEN_LEGEND.tokenModifiers.indexOf('declaration');
const DEFAULT_LIBRARY = 1 << SEMANTIC_TOKEN_LEGEND.tokenModifiers.indexOf('defaultLibrary');

/** The tokens of a document in LSP's relative encoding (5 numbers per token). */
export function semanticTokens(index: ChainIndex): number[] {
  return numbers(encoded(placesOf(index.occurrences)));
}

/**
 * Typed-array tokens as the array of numbers an LSP answer holds, made at its size: Array.from grows
 * the array as it reads (for the 1.6M numbers of a kube-proxy node's rules: 54 MB and 0.36 s, against 13 MB and 40 ms).
 */
export function numbers(data: ArrayLike<number>, from = 0, to = data.length): number[] {
  const out: number[] = new Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = data[i];
  return out;
}

/** Tokens where they are: line, start, length and modifiers, four numbers each, in document order (400k tokens in a kube-proxy node's rules). */
type Places = Int32Array;

/** Places written as the occurrences come, put in document order at the end (a save file's come in that order already). */
class PlaceWriter {
  private places = new Int32Array(4096);
  private n = 0;
  private sorted = true;

  add(o: ChainOccurrence): void {
    const literal = o.literal;
    if (!literal) return;
    if (this.n === this.places.length) {
      const grown = new Int32Array(this.places.length * 2);
      grown.set(this.places);
      this.places = grown;
    }
    const p = this.places;
    const n = this.n;
    if (n > 0 && (literal.line < p[n - 4] || (literal.line === p[n - 4] && literal.start < p[n - 3]))) this.sorted = false;
    p[n] = literal.line;
    p[n + 1] = literal.start;
    p[n + 2] = literal.end - literal.start;
    p[n + 3] = (o.kind === 'declare' || o.kind === 'rename-to' ? DECLARATION : 0) | (o.builtin ? DEFAULT_LIBRARY : 0);
    this.n += 4;
  }

  finish(): Places {
    const p = this.places;
    const count = this.n >> 2;
    if (this.sorted) return p.slice(0, this.n);
    const order = Array.from({ length: count }, (_, k) => k * 4).sort((a, b) => p[a] - p[b] || p[a + 1] - p[b + 1]);
    const out = new Int32Array(this.n);
    order.forEach((from, k) => out.set(p.subarray(from, from + 4), k * 4));
    return out;
  }
}

function placesOf(occurrences: readonly ChainOccurrence[]): Places {
  const writer = new PlaceWriter();
  for (const o of occurrences) writer.add(o);
  return writer.finish();
}

function encoded(places: Places): Int32Array {
  // 2M numbers for the 160k-rule dump: a typed array is half the memory of an array of them.
  const data = new Int32Array((places.length >> 2) * 5);
  let n = 0;
  let line = 0;
  let start = 0;
  let end = -1;
  for (let i = 0; i < places.length; i += 4) {
    const at = places[i];
    const from = places[i + 1];
    const length = places[i + 2];
    const modifiers = places[i + 3];
    if (at === line && from < end) {
      // A name written once for several chains (a script's variable) is one token with every modifier.
      if (from === start) data[n - 1] |= modifiers;
      continue;
    }
    data[n++] = at - line;
    data[n++] = at === line ? from - start : from;
    data[n++] = length;
    data[n++] = CHAIN;
    data[n++] = modifiers;
    line = at;
    start = from;
    end = from + length;
  }
  return n === data.length ? data : data.slice(0, n);
}

// Worked out once per analysis (the 160k-rule dump's index takes seconds), and carried over to an analysis patched from it.
const PLACES = new WeakMap<DocumentAnalysis, Places>();

/** The tokens of an analysed document `text`, in LSP's relative encoding. */
export function documentTokens(analysis: DocumentAnalysis, text: SourceText): Int32Array {
  let places = PLACES.get(analysis);
  if (!places) {
    const writer = new PlaceWriter();
    visitOccurrences(analysis, text, (o) => writer.add(o));
    PLACES.set(analysis, places = writer.finish());
  }
  return encoded(places);
}

/** The edit that makes `before` (semantic tokens, LSP's encoding) `after`: what they do not share at either end (LSP's semantic tokens delta). */
export function tokenEdits(before: ArrayLike<number>, after: ArrayLike<number>): { start: number; deleteCount: number; data: number[] }[] {
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && before[start] === after[start]) start++;
  let end = 0;
  while (end < shorter - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  if (start === before.length && start === after.length) return [];
  return [{ start, deleteCount: before.length - start - end, data: numbers(after, start, after.length - end) }];
}

/**
 * `base`'s tokens made those of `patched`, its analysis after an edit (analysis/reanalyse.ts):
 * the lines it read again are tokenised again from their commands, the lines below moved.
 */
export function carryTokens(base: DocumentAnalysis, patched: DocumentAnalysis): void {
  const places = PLACES.get(base);
  const { patch, file } = patched;
  if (!places || !patch || !file) return;
  const { from, removed, added, edited } = patch;
  const inPlace = removed === 0 && added === 0;
  const redo = new Set(edited);
  const end = from + removed;
  const kept = new Int32Array(places.length);
  let n = 0;
  for (let i = 0; i < places.length; i += 4) {
    const line = places[i];
    if (inPlace ? redo.has(line) : line >= from && line < end) continue;
    kept[n] = line >= end && !inPlace ? line + added - removed : line;
    kept[n + 1] = places[i + 1];
    kept[n + 2] = places[i + 2];
    kept[n + 3] = places[i + 3];
    n += 4;
  }
  const commands: CommandLine[] = [];
  for (const line of edited) {
    const found = blockLine(file.blocks, line);
    const st = found && found.block.statements[found.at];
    if (st && st.kind !== 'chain') commands.push(st);
  }
  PLACES.set(patched, merged(kept.subarray(0, n), placesOf(commandOccurrences(commands, file.family))));
}

/** Two lists of places in document order, as one. */
function merged(a: Places, b: Places): Places {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let n = 0; n < out.length; n += 4) {
    const fromA = j >= b.length || (i < a.length && (a[i] < b[j] || (a[i] === b[j] && a[i + 1] <= b[j + 1])));
    const list = fromA ? a : b;
    const k = fromA ? i : j;
    for (let m = 0; m < 4; m++) out[n + m] = list[k + m];
    if (fromA) i += 4;
    else j += 4;
  }
  return out;
}
