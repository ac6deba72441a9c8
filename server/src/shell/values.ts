// What the static shell evaluator knows about values: a string it can compute,
// or an "unknown" that says why not (an environment variable, the output of a
// program it cannot run). Unknowns are carried along, never guessed.
import type { Span } from '../diagnostics';
import type { Meter } from './budget';

/** A string, or a placeholder for a value only the running machine knows. */
export interface ShellString {
  text: string;
  /** Why the real value is unknown (`$(ip -o addr ...)`), when it is. */
  unknown?: string;
  /** The few values it can take, when branches the evaluator cannot decide disagree. */
  alternatives?: string[];
  /**
   * Variables the script never sets, taken as unset (as in a clean
   * environment): the value is right unless the environment sets them.
   */
  assumes?: string[];
  /**
   * A file the script sourced, which the evaluator cannot read, may set the
   * variable this came from (or, for a file the script wrote, some ways wrote
   * what only the machine knows): the value, or its alternatives, assume it
   * does not (see `assumes`), and a test on it is not decided.
   */
  maybeSetBy?: string;
  /**
   * Where this exact text is written in the script, when the value is one
   * piece of literal text there (a word, the inside of quotes, or a variable
   * set from one): the place to edit to change it (renaming a chain).
   */
  source?: Span;
}

/** One word of a command after expansion, with where the user wrote it. */
export interface Field extends ShellString {
  span: Span;
  /** Came from an unquoted expansion that the shell split: the source text (`$DESC`). */
  splitFrom?: string;
  /** An unknown value expanded unquoted: the shell splits it, so it may be several words, or none. */
  splits?: boolean;
  /** Stands for itself and any words after it: the arguments the script is run with. */
  rest?: boolean;
}

export type VariableValue =
  | { kind: 'scalar'; value: ShellString }
  | { kind: 'indexed'; items: (ShellString | undefined)[] }
  | { kind: 'assoc'; items: Map<string, ShellString> };

export const known = (text: string): ShellString => ({ text });

export function unknown(reason: string, alternatives?: string[]): ShellString {
  return alternatives ? { text: `<${reason}>`, unknown: reason, alternatives } : { text: `<${reason}>`, unknown: reason };
}

/**
 * Concatenation: unknown if any part is (alternatives survive when only one
 * part has them). Its length is checked before the text is made.
 */
export function concat(parts: ShellString[], meter: Meter): ShellString {
  if (parts.length === 1) return parts[0];
  let length = 0;
  for (const p of parts) length += p.text.length;
  meter.value(length);
  const unknowns = parts.filter((p) => p.unknown);
  // `+` joins without copying (the engine keeps a rope), so appending in a loop stays linear.
  let text = '';
  for (const p of parts) text += p.text;
  const assumes = [...new Set(parts.flatMap((p) => p.assumes ?? []))];
  const result: ShellString = { text };
  if (assumes.length) result.assumes = assumes;
  const setBy = parts.find((p) => p.maybeSetBy)?.maybeSetBy;
  if (setBy) result.maybeSetBy = setBy;
  if (unknowns.length === 0) return result;
  result.unknown = unknowns[0].unknown;
  const only = unknowns.length === 1 ? unknowns[0] : undefined;
  if (only?.alternatives) {
    const at = parts.indexOf(only);
    const before = parts.slice(0, at).map((p) => p.text).join('');
    const after = parts.slice(at + 1).map((p) => p.text).join('');
    result.alternatives = only.alternatives.map((a) => before + a + after);
  }
  return result;
}

/** At most this many values are kept for a value that branches left different: past it, it may be anything. */
export const MAX_ALTERNATIVES = 64;

/** The texts a value can have: its own when known, its alternatives, or undefined when it can be anything. */
export function possibleTexts(s: ShellString): string[] | undefined {
  return s.unknown === undefined ? [s.text] : s.alternatives;
}

/** The value cannot decide a test: it is unknown, or a file the evaluator cannot read may change it. */
export function undecidable(v: ShellString): boolean {
  return v.unknown !== undefined || v.maybeSetBy !== undefined;
}

/** Exit status of a command; `undefined` when it depends on the machine. */
export type Status = number | undefined;
