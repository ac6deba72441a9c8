// A document's text as the analysis reads it after an edit: a string, or the language server's
// text of a version, kept in the pieces the editor's edits left with where each line starts
// (lsp/documentLines.ts), read a line at a time without a string of the whole text per version.

/** What reading a text line by line takes (a string is one); `toString()` gives the whole text as one string. */
export interface SourceText {
  readonly length: number;
  slice(start: number, end?: number): string;
  indexOf(search: string, position?: number): number;
  toString(): string;
  /** Line `line` (up to its \n; undefined past the last), from a text that knows where its lines start. */
  lineText?(line: number): string | undefined;
}
