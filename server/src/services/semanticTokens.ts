// Semantic tokens: every place a chain name is written gets the same token
// type, so a chain looks the same where it is declared and where it is used;
// declarations carry `declaration`, built-in chains `defaultLibrary`.
// The legend is defined here only; the server announces it as it is.
import type { ChainIndex } from './chainOccurrences';

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
  const tokens: { line: number; start: number; length: number; modifiers: number }[] = [];
  for (const o of index.occurrences) {
    if (!o.literal) continue;
    const modifiers = (o.kind === 'declare' || o.kind === 'rename-to' ? DECLARATION : 0) | (o.builtin ? DEFAULT_LIBRARY : 0);
    tokens.push({ line: o.literal.line, start: o.literal.start, length: o.literal.end - o.literal.start, modifiers });
  }
  tokens.sort((a, b) => a.line - b.line || a.start - b.start);
  const data: number[] = [];
  let line = 0;
  let start = 0;
  let end = -1;
  for (const t of tokens) {
    if (t.line === line && t.start < end) {
      // A name written once for several chains (a script's variable) is one token with every modifier.
      if (t.start === start) data[data.length - 1] |= t.modifiers;
      continue;
    }
    data.push(t.line - line, t.line === line ? t.start - start : t.start, t.length, CHAIN, t.modifiers);
    line = t.line;
    start = t.start;
    end = t.start + t.length;
  }
  return data;
}
