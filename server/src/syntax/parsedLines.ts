// What parsing cost is worth keeping between two versions of one document: a
// keystroke changes one line, so the commands of every other line are reused
// instead of parsed again (most of an analysis's time and garbage).
import type { Diagnostic } from '../diagnostics';
import type { CommandLine } from './saveFile';

/**
 * Parsed command lines of one document, by line, with everything their parse
 * depends on: the text, where it is (tokens carry positions), the table and the
 * family. One array per field, so that a parse reusing 200k lines reads them in
 * order instead of 200k objects spread over the heap. Keeps the lines of the
 * last parse only; a parse given up half way (the document changed again)
 * leaves what it did for the next one.
 *
 * An owner that reports every edit (`edited`, the language server) spares the
 * comparison of each line's text with the kept one, which would read every
 * kept text again.
 */
export class ParsedLines {
  /** Undefined for a line that holds no command (its problem is reported). */
  private readonly statements: (CommandLine | undefined)[] = [];
  /** What parsing the line reported. Shared between analyses: never mutated. */
  private readonly found: (readonly Diagnostic[] | undefined)[] = [];
  private readonly texts: (string | undefined)[] = [];
  private readonly columns: number[] = [];
  private readonly tables: (string | undefined)[] = [];
  private readonly families: (string | undefined)[] = [];
  /** The parse that last used each line. */
  private readonly used: number[] = [];
  private parse = 0;
  /** Lines edited since the last finished parse; from `movedFrom` on, all of them (lines were added or removed). */
  private touched = new Set<number>();
  private movedFrom = Infinity;

  /** `edits`: the owner calls `edited` for every change of the text from the first parse on. */
  constructor(private readonly edits = false) {}

  /** The editor replaced lines `start` to `end` (of the text as it was) by `lines` lines. */
  edited(start: number, end: number, lines: number): void {
    if (lines !== end - start + 1) this.movedFrom = Math.min(this.movedFrom, start);
    for (let line = start; line <= end && line < this.movedFrom; line++) this.touched.add(line);
  }

  /** A parse starts. */
  begin(): void {
    this.parse++;
  }

  /** Whether the line's parse is kept (`statement` and `diagnostics` give it); it is kept for the next parse too. */
  has(line: number, text: string, column: number, table: string, family: string): boolean {
    if (this.columns[line] !== column || this.tables[line] !== table || this.families[line] !== family) return false;
    const unedited = this.edits && line < this.movedFrom && !this.touched.has(line);
    if (!unedited && this.texts[line] !== text) return false;
    this.used[line] = this.parse;
    return true;
  }

  statement(line: number): CommandLine | undefined {
    return this.statements[line];
  }

  diagnostics(line: number): readonly Diagnostic[] {
    return this.found[line]!;
  }

  set(line: number, text: string, column: number, table: string, family: string, statement: CommandLine | undefined, diagnostics: readonly Diagnostic[]): void {
    this.statements[line] = statement;
    this.found[line] = diagnostics;
    this.texts[line] = text;
    this.columns[line] = column;
    this.tables[line] = table;
    this.families[line] = family;
    this.used[line] = this.parse;
  }

  /**
   * Lines `from` to `from + removed` were replaced by `added` lines, and their
   * parse with them (analysis/reanalyse.ts): the kept lines below move along,
   * their statements moved already.
   */
  moved(from: number, removed: number, added: number): void {
    if (from >= this.used.length) return;
    const none = (fill: number | undefined) => new Array(added).fill(fill);
    this.statements.splice(from, removed, ...none(undefined));
    this.found.splice(from, removed, ...none(undefined));
    this.texts.splice(from, removed, ...none(undefined));
    this.columns.splice(from, removed, ...none(-1));
    this.tables.splice(from, removed, ...none(undefined));
    this.families.splice(from, removed, ...none(undefined));
    this.used.splice(from, removed, ...none(this.parse));
  }

  /** The parse is complete: what it did not use is dropped. */
  finish(): void {
    for (let line = 0; line < this.used.length; line++) {
      if (this.used[line] === this.parse || this.texts[line] === undefined) continue;
      this.statements[line] = this.found[line] = this.texts[line] = this.tables[line] = this.families[line] = undefined;
      this.columns[line] = -1;
    }
    this.touched = new Set();
    this.movedFrom = Infinity;
  }
}
