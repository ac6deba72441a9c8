// Lines two ways. The analysis reads lines as iptables-restore and bash do:
// only `\n` ends one (a lone `\r` is part of the line, and CRLF leaves a `\r`
// at its end). An editor counts as LSP says: `\n`, `\r\n` and a lone `\r` each
// end a line. Every position between the server and the editor goes through
// here, so each is inside the document the editor has.
import type { Position, Span } from '../diagnostics';

/** An LSP range. */
export interface EditorRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export class DocumentLines {
  /** Where each `\n`-line starts. */
  private readonly starts: number[];
  /** Where each editor line starts, and where its content ends (before its line end). */
  private readonly editorStarts: number[];
  private readonly editorEnds: number[];

  constructor(readonly text: string) {
    this.starts = [0];
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) this.starts.push(nl + 1);
    // Without a CR (the common case, and 200k-line files are made anew on each edit) the editor's lines are the same.
    if (!text.includes('\r')) {
      this.editorStarts = this.starts;
      this.editorEnds = this.starts.slice(1).map((start) => start - 1);
      this.editorEnds.push(text.length);
      return;
    }
    this.editorStarts = [0];
    this.editorEnds = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        this.editorEnds.push(text.charCodeAt(i - 1) === 13 && this.editorStarts[this.editorStarts.length - 1] <= i - 1 ? i - 1 : i);
        this.editorStarts.push(i + 1);
      } else if (c === 13 && text.charCodeAt(i + 1) !== 10) {
        this.editorEnds.push(i);
        this.editorStarts.push(i + 1);
      }
    }
    this.editorEnds.push(text.length);
  }

  /** The offset of a place the analysis names (its line and column), kept inside that line. */
  private offsetOf(line: number, column: number): number {
    if (line >= this.starts.length) return this.text.length;
    const start = this.starts[Math.max(0, line)];
    const end = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    return start + Math.min(Math.max(0, column), end - start);
  }

  /** The editor's position of an offset: on the line it is in, at most at the end of that line's content. */
  private positionAt(offset: number): { line: number; character: number } {
    const line = lineAt(this.editorStarts, offset);
    return { line, character: Math.min(offset, this.editorEnds[line]) - this.editorStarts[line] };
  }

  /** A place of the analysis as the editor counts it. */
  toEditor(line: number, column: number): { line: number; character: number } {
    return this.positionAt(this.offsetOf(line, column));
  }

  /** A span of the analysis as an editor range. */
  range(span: Span): EditorRange {
    return { start: this.toEditor(span.line, span.start), end: this.toEditor(span.line, Math.max(span.start, span.end)) };
  }

  /** A span of the analysis on one editor line: the line it starts on, cut at that line's end. */
  editorSpan(span: Span): Span {
    const { start, end } = this.range(span);
    const lineEnd = this.editorEnds[start.line] - this.editorStarts[start.line];
    return { line: start.line, start: start.character, end: end.line === start.line ? end.character : lineEnd };
  }

  /** A range the analysis computed in its own lines (start and end positions). */
  editorRange(r: { start: Position; end: Position }): EditorRange {
    return { start: this.toEditor(r.start.line, r.start.character), end: this.toEditor(r.end.line, r.end.character) };
  }

  /** The editor line an analysis line starts on. */
  editorLine(line: number): number {
    return this.toEditor(line, 0).line;
  }

  /** The editor line an analysis line ends on. */
  editorEndLine(line: number): number {
    return this.toEditor(line, Number.MAX_SAFE_INTEGER).line;
  }

  /** An editor's position as the analysis counts it; one past the end of a line (or of the document) means its end, as LSP says. */
  fromEditor(p: { line: number; character: number }): Position {
    const line = Math.min(Math.max(0, p.line), this.editorStarts.length - 1);
    const offset = this.editorStarts[line] + Math.min(Math.max(0, p.character), this.editorEnds[line] - this.editorStarts[line]);
    const at = lineAt(this.starts, offset);
    return { line: at, character: offset - this.starts[at] };
  }

  /**
   * Semantic tokens (LSP's relative encoding: line delta, start delta, length,
   * type, modifiers) given in analysis lines, re-encoded in editor lines; a
   * token that a lone `\r` splits keeps its first part.
   */
  semanticTokens(data: readonly number[]): number[] {
    const out: number[] = [];
    let line = 0;
    let start = 0;
    let lastLine = 0;
    let lastStart = 0;
    for (let i = 0; i + 4 < data.length; i += 5) {
      line += data[i];
      start = data[i] === 0 ? start + data[i + 1] : data[i + 1];
      const from = this.toEditor(line, start);
      const to = this.toEditor(line, start + data[i + 2]);
      const length = (to.line === from.line ? to.character : this.editorEnds[from.line] - this.editorStarts[from.line]) - from.character;
      if (length <= 0) continue;
      out.push(from.line - lastLine, from.line === lastLine ? from.character - lastStart : from.character, length, data[i + 3], data[i + 4]);
      lastLine = from.line;
      lastStart = from.character;
    }
    return out;
  }
}

/** The line an offset is on, given where each line starts (ascending, the first at 0). */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
