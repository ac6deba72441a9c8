import type { Span } from '../diagnostics';

/** One word of a command, with where it was written. */
export interface Token extends Span {
  /** The word as iptables receives it: quotes removed, escapes resolved. */
  text: string;
  /** Double quotes were part of the word. */
  quoted?: boolean;
  /**
   * In a script: the word's value is not known statically (it comes from the
   * environment or another program); why. Such a word is never judged.
   */
  unknown?: string;
  /**
   * In a script: the text is what the shell made of the word at this span
   * (expanded, split, unquoted), not written there as it is. A part of such a
   * text has no place of its own: the word's span stands for it (partOf).
   */
  expanded?: true;
}

/** Where characters `from` to `to` of a token's text are written: inside the token always, the whole token when its text was made by the shell. */
export function partOf(token: Token, from: number, to = token.text.length): Span {
  if (token.expanded) return { line: token.line, start: token.start, end: token.end };
  return { line: token.line, start: Math.min(token.start + from, token.end), end: Math.min(token.start + to, token.end) };
}

/** From `first` to `last` when they share a line, else `first`; given a token alone, its span without the rest. */
export function spanOf(first: Span, last: Span = first): Span {
  return { line: first.line, start: first.start, end: last.line === first.line ? last.end : first.end };
}

export function sameSpan(a: Span, b: Span): boolean {
  return a.line === b.line && a.start === b.start && a.end === b.end;
}
