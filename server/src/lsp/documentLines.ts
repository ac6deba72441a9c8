// Lines two ways. The analysis reads lines as iptables-restore and bash do:
// only `\n` ends one (a lone `\r` is part of the line, and CRLF leaves a `\r`
// at its end). An editor counts as LSP says: `\n`, `\r\n` and a lone `\r` each
// end a line. Every position between the server and the editor goes through
// here, so each is inside the document the editor has. After an edit, the text is kept in
// the pieces the edits left (lsp/pieceText.ts) and the lines worked out from the last ones.
import type { Position, Span } from '../diagnostics';
import { lastBelow, type SourceLines } from '../services/cursorContext';
import type { SourceText } from '../sourceText';
import { PieceText } from './pieceText';

/** An LSP range. */
export interface EditorRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** An edit of a text: lines and characters of the text as it was, as LSP gives them. */
export interface LineEdit {
  range: EditorRange;
  text: string;
}

/** A text with its lines; read as a text (SourceText), it is its text. */
export class DocumentLines implements SourceLines, SourceText {
  /** Where each `\n`-line starts. */
  private readonly starts: ArrayLike<number>;
  /** Where each editor line starts, and (when a CR is in the text) where its content ends (before its line end). */
  private readonly editorStarts: ArrayLike<number>;
  private readonly editorEnds?: ArrayLike<number>;

  /** `starts`: where each line starts, when known (the text holds no CR). */
  constructor(readonly text: SourceText, starts?: Uint32Array) {
    // Without a CR (the common case) the editor's lines are the analysis's.
    // Their ends are then the next line's start less its \n: not an array made at each keystroke.
    if (starts || text.indexOf('\r') < 0) {
      this.starts = this.editorStarts = starts ?? lineStarts(text);
      return;
    }
    const whole = text.toString();
    this.starts = lineStarts(whole);
    const editorStarts = [0];
    const editorEnds: number[] = [];
    this.editorStarts = editorStarts;
    this.editorEnds = editorEnds;
    for (let i = 0; i < whole.length; i++) {
      const c = whole.charCodeAt(i);
      if (c === 10) {
        editorEnds.push(whole.charCodeAt(i - 1) === 13 && editorStarts[editorStarts.length - 1] <= i - 1 ? i - 1 : i);
        editorStarts.push(i + 1);
      } else if (c === 13 && whole.charCodeAt(i + 1) !== 10) {
        editorEnds.push(i);
        editorStarts.push(i + 1);
      }
    }
    editorEnds.push(whole.length);
  }

  get length(): number {
    return this.text.length;
  }

  slice(start: number, end?: number): string {
    return this.text.slice(start, end);
  }

  indexOf(search: string, position?: number): number {
    return this.text.indexOf(search, position);
  }

  toString(): string {
    return this.text.toString();
  }

  lineText(line: number): string | undefined {
    return line >= 0 && line < this.starts.length ? this.line(line) : undefined;
  }

  /** Whether the editor's lines are the analysis's (no lone CR ends a line for the editor only). */
  get sameLines(): boolean {
    return this.editorStarts.length === this.starts.length;
  }

  /** Lines that open or close a table block (`*table`, COMMIT), ascending; found when first asked for. */
  private marks?: number[];

  get count(): number {
    return this.starts.length;
  }

  /** Line `line` as the analysis reads it (up to its \n). */
  line(line: number): string {
    return lineOf(this.text, this.starts, line);
  }

  blockMarkAbove(line: number): number | undefined {
    const marks = this.marks ??= blockMarks(this.text, this.starts);
    return marks[lastBelow(marks, line)];
  }

  /**
   * This text after `edits` (in order, as the editor sent them), kept in pieces, with its lines worked
   * out from these when neither holds a CR: neither the text nor its lines read again (200k lines at
   * each keystroke), and no string of the whole text made for the new version.
   */
  edited(edits: readonly LineEdit[]): DocumentLines {
    return edits.reduce<DocumentLines>((lines, edit) => lines.editedBy(edit), this);
  }

  private editedBy({ range: given, text: inserted }: LineEdit): DocumentLines {
    // A range given end first is read start first, as the editor's document reads it.
    const { start: a, end: b } = given;
    const range = a.line < b.line || (a.line === b.line && a.character <= b.character) ? given : { start: b, end: a };
    const starts = this.starts;
    const last = starts.length - 1;
    // As the editor's document places them: inside the line, past the last line at the end.
    const offset = (p: { line: number; character: number }) => {
      if (p.line >= this.editorStarts.length) return this.text.length;
      if (p.line < 0) return 0;
      return Math.min(this.editorStarts[p.line] + Math.max(0, p.character), this.editorEnd(p.line));
    };
    const from = offset(range.start);
    const to = offset(range.end);
    const text = PieceText.of(this.text).edited(from, to, inserted);
    if (starts !== this.editorStarts || inserted.includes('\r') || range.start.line < 0) return new DocumentLines(text);
    const first = Math.min(range.start.line, last) + 1;
    const added = lineStarts(inserted).subarray(1).map((start) => start + from);
    const kept = Math.min(range.end.line, last) + 1;
    const shift = inserted.length - (to - from);
    const next = new Uint32Array(first + added.length + starts.length - kept);
    next.set((starts as Uint32Array).subarray(0, first));
    next.set(added, first);
    // The lines after the edit, moved: written in place (a mapped copy first was another 200k-line array per keystroke).
    for (let k = kept, at = first + added.length; k < starts.length; k++, at++) next[at] = starts[k] + shift;
    const lines = new DocumentLines(text, next);
    // Lines edited in place that neither were nor are a block's first or last: the same blocks.
    const start = Math.min(range.start.line, last);
    const end = Math.min(range.end.line, last);
    if (this.marks && end - start === lineCount(inserted) - 1) {
      const marks = new Set(this.marks);
      let same = true;
      for (let l = start; l <= end && same; l++) same = !marks.has(l) && !isBlockMark(lines.line(l));
      if (same) lines.marks = this.marks;
    }
    return lines;
  }

  /** The offset of a place the analysis names (its line and column), kept inside that line. */
  private offsetOf(line: number, column: number): number {
    if (line >= this.starts.length) return this.text.length;
    const start = this.starts[Math.max(0, line)];
    return start + Math.min(Math.max(0, column), this.lineEnd(line) - start);
  }

  /** Where the content of line `line` (as the analysis reads lines) ends: before its \n. */
  private lineEnd(line: number): number {
    return line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
  }

  /** Where the content of editor line `line` ends (before its line end). */
  private editorEnd(line: number): number {
    return this.editorEnds ? this.editorEnds[line] : this.lineEnd(line);
  }

  /** The editor's position of an offset: on the line it is in, at most at the end of that line's content. */
  private positionAt(offset: number): { line: number; character: number } {
    const line = lineAt(this.editorStarts, offset);
    return { line, character: Math.min(offset, this.editorEnd(line)) - this.editorStarts[line] };
  }

  /** A place of the analysis as the editor counts it. */
  toEditor(line: number, column: number): { line: number; character: number } {
    // The editor's lines are the analysis's: no search for the line (the outline of a kube-proxy node's rules has 220k places).
    if (this.starts === this.editorStarts && line >= 0 && line < this.starts.length) return { line, character: Math.min(Math.max(0, column), this.lineEnd(line) - this.starts[line]) };
    return this.positionAt(this.offsetOf(line, column));
  }

  /** A span of the analysis as an editor range. */
  range(span: Span): EditorRange {
    return { start: this.toEditor(span.line, span.start), end: this.toEditor(span.line, Math.max(span.start, span.end)) };
  }

  /** A span of the analysis on one editor line: the line it starts on, cut at that line's end. */
  editorSpan(span: Span): Span {
    const { start, end } = this.range(span);
    const lineEnd = this.editorEnd(start.line) - this.editorStarts[start.line];
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
    const offset = this.editorStarts[line] + Math.min(Math.max(0, p.character), this.editorEnd(line) - this.editorStarts[line]);
    const at = lineAt(this.starts, offset);
    return { line: at, character: offset - this.starts[at] };
  }

  /**
   * Semantic tokens (LSP's relative encoding: line delta, start delta, length,
   * type, modifiers) given in analysis lines, re-encoded in editor lines; a
   * token that a lone `\r` splits keeps its first part.
   */
  semanticTokens(data: ArrayLike<number>): Int32Array {
    // Made at its largest size and cut to what was written (2M numbers for 160k rules).
    const out = new Int32Array(data.length - (data.length % 5));
    let n = 0;
    let line = 0;
    let start = 0;
    let lastLine = 0;
    let lastStart = 0;
    for (let i = 0; i + 4 < data.length; i += 5) {
      line += data[i];
      start = data[i] === 0 ? start + data[i + 1] : data[i + 1];
      let at = line;
      let character: number;
      let length: number;
      if (this.starts === this.editorStarts && line < this.starts.length) {
        // The editor's lines are the analysis's: a token is only cut at its line's end.
        const lineLength = this.editorEnd(line) - this.editorStarts[line];
        character = Math.min(start, lineLength);
        length = Math.min(start + data[i + 2], lineLength) - character;
      } else {
        const from = this.toEditor(line, start);
        const to = this.toEditor(line, start + data[i + 2]);
        at = from.line;
        character = from.character;
        length = (to.line === from.line ? to.character : this.editorEnd(from.line) - this.editorStarts[from.line]) - from.character;
      }
      if (length <= 0) continue;
      out[n++] = at - lastLine;
      out[n++] = at === lastLine ? character - lastStart : character;
      out[n++] = length;
      out[n++] = data[i + 3];
      out[n++] = data[i + 4];
      lastLine = at;
      lastStart = character;
    }
    return n === out.length ? out : out.slice(0, n);
  }
}

function lineCount(text: string): number {
  let n = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/** A `*table` or COMMIT line (iptables-restore reads a CR at its end as part of it; the editor shows COMMIT). */
function isBlockMark(line: string): boolean {
  return line.startsWith('*') || line === 'COMMIT' || line === 'COMMIT\r';
}

/** The lines of `text` that open or close a table block, found without splitting it. */
function blockMarks(text: SourceText, starts: ArrayLike<number>): number[] {
  const at = new Set<number>();
  if (isBlockMark(lineOf(text, starts, 0))) at.add(0);
  for (const word of ['\n*', '\nCOMMIT']) {
    for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
      const line = lineAt(starts, i + 1);
      if (isBlockMark(lineOf(text, starts, line))) at.add(line);
    }
  }
  return [...at].sort((a, b) => a - b);
}

/** Line `line` of `text` (up to its \n), given where each starts. */
function lineOf(text: SourceText, starts: ArrayLike<number>, line: number): string {
  if (line < 0 || line >= starts.length) return '';
  return text.slice(starts[line], line + 1 < starts.length ? starts[line + 1] - 1 : text.length);
}

/** Where each `\n`-line of `text` starts. */
function lineStarts(text: SourceText): Uint32Array {
  const starts = [0];
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) starts.push(nl + 1);
  return Uint32Array.from(starts);
}

/** The line an offset is on, given where each line starts (ascending, the first at 0). */
function lineAt(starts: ArrayLike<number>, offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
