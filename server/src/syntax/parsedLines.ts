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

/** A parse result with everything it depends on: the text, where it is (tokens carry positions), the table and the family. */
interface KeptLine extends ParsedLine {
  text: string;
  column: number;
  table: string;
  family: string;
}

/**
 * Parsed command lines of one document, by line. Keeps the lines of the last
 * parse only, so it never grows past one document; a parse given up half way
 * (the document changed again) leaves what it did for the next one.
 */
export class ParsedLines {
  private previous: (KeptLine | undefined)[] = [];
  private current: (KeptLine | undefined)[] = [];

  /** A parse starts. */
  begin(): void {
    if (this.current.length === 0) return;
    // The last parse stopped before finishing: its lines are as good as the older ones.
    for (let line = 0; line < this.current.length; line++) {
      const kept = this.current[line];
      if (kept) this.previous[line] = kept;
    }
    this.current = [];
  }

  get(line: number, text: string, column: number, table: string, family: string): ParsedLine | undefined {
    const hit = this.previous[line];
    if (hit === undefined || hit.text !== text || hit.column !== column || hit.table !== table || hit.family !== family) return undefined;
    this.current[line] = hit;
    return hit;
  }

  set(line: number, text: string, column: number, table: string, family: string, parsed: ParsedLine): void {
    this.current[line] = { ...parsed, text, column, table, family };
  }

  /** The parse is complete: what it did not use is dropped. */
  finish(): void {
    this.previous = this.current;
    this.current = [];
  }
}
