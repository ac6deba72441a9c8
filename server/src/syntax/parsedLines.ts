// What parsing cost is worth keeping between two versions of one document: a
// keystroke changes one line, so the commands of every other line are reused
// instead of parsed again (most of an analysis's time and garbage).
import type { Diagnostic } from '../diagnostics';
import type { CommandLine } from './saveFile';

export interface ParsedLine {
  /** Undefined for a line that holds no command (its problem is reported). */
  statement?: CommandLine;
  /** What parsing the line reported. Shared between analyses: never mutated. */
  diagnostics: readonly Diagnostic[];
}

/**
 * Parsed command lines of one document, by everything their parse depends on:
 * the text, where it is (tokens carry positions), the table and the family.
 * Keeps the lines of the last parse only, so it never grows past one document.
 */
export class ParsedLines {
  private previous = new Map<string, ParsedLine>();
  private current = new Map<string, ParsedLine>();

  static key(text: string, line: number, column: number, table: string, family: string): string {
    return `${line}:${column}:${family}:${table}:${text}`;
  }

  get(key: string): ParsedLine | undefined {
    const hit = this.previous.get(key);
    if (hit) this.current.set(key, hit);
    return hit;
  }

  set(key: string, parsed: ParsedLine): void {
    this.current.set(key, parsed);
  }

  /** The parse is complete: what it did not use is dropped. */
  finish(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}
