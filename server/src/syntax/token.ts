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
}

/** From `first` to `last` when they share a line, else `first`; given a token alone, its span without the rest. */
export function spanOf(first: Span, last: Span = first): Span {
  const end = last.line === first.line ? last.end : first.end;
  // Never ending before it starts: a script's word split from text it built can be placed at a line's end (fuzz find).
  return { line: first.line, start: Math.min(first.start, end), end };
}

export function sameSpan(a: Span, b: Span): boolean {
  return a.line === b.line && a.start === b.start && a.end === b.end;
}
