// The text of a document after the editor's edits, as the pieces they left: slices of the
// text as opened and the text typed. A string made for each version (what applying an edit
// to one string does) is a copy of the whole text, 23 MB for a kube-proxy node's rules at
// each keystroke, and each lived until a full collection of the worker's heap.
import type { SourceText } from '../sourceText';

/** Pieces kept at most: beyond, the text is joined into one string again (a copy every few hundred edits). */
const MAX_PIECES = 512;

export class PieceText implements SourceText {
  /** Where each piece ends in the text, ascending. */
  private ends: number[];

  private constructor(private pieces: string[]) {
    this.ends = [];
    let end = 0;
    for (const piece of pieces) this.ends.push(end += piece.length);
  }

  static of(text: SourceText): PieceText {
    return text instanceof PieceText ? text : new PieceText(text.length ? [text.toString()] : []);
  }

  get length(): number {
    return this.ends.length ? this.ends[this.ends.length - 1] : 0;
  }

  /** This text with `from` to `to` replaced by `inserted`. */
  edited(from: number, to: number, inserted: string): PieceText {
    const i = this.pieceAt(from);
    const j = this.pieceAt(to);
    const pieces = this.pieces.slice(0, i);
    if (i < this.pieces.length && from > this.startOf(i)) pieces.push(this.pieces[i].slice(0, from - this.startOf(i)));
    if (inserted) pieces.push(inserted);
    if (j < this.pieces.length) pieces.push(to > this.startOf(j) ? this.pieces[j].slice(to - this.startOf(j)) : this.pieces[j]);
    for (let k = j + 1; k < this.pieces.length; k++) pieces.push(this.pieces[k]);
    return new PieceText(pieces.length > MAX_PIECES ? [pieces.join('')] : pieces);
  }

  slice(start: number, end = this.length): string {
    const from = Math.max(0, Math.min(start < 0 ? this.length + start : start, this.length));
    const to = Math.max(from, Math.min(end < 0 ? this.length + end : end, this.length));
    let i = this.pieceAt(from);
    if (i < this.pieces.length && to <= this.ends[i]) return this.pieces[i].slice(from - this.startOf(i), to - this.startOf(i));
    const parts: string[] = [];
    for (let at = from; at < to; i++) {
      const start = this.startOf(i);
      parts.push(this.pieces[i].slice(at - start, Math.min(to, this.ends[i]) - start));
      at = this.ends[i];
    }
    return parts.join('');
  }

  indexOf(search: string, position = 0): number {
    const from = Math.max(0, position);
    for (let i = this.pieceAt(from); i < this.pieces.length; i++) {
      const start = this.startOf(i);
      const found = this.pieces[i].indexOf(search, Math.max(0, from - start));
      if (found >= 0) return start + found;
      // A match across the end of this piece starts in its last characters.
      if (search.length > 1 && i + 1 < this.pieces.length) {
        const at = Math.max(from, this.ends[i] - search.length + 1);
        const across = this.slice(at, this.ends[i] + search.length - 1).indexOf(search);
        if (across >= 0) return at + across;
      }
    }
    return search === '' && from <= this.length ? from : -1;
  }

  /** The whole text as one string, joined once and kept as this text's only piece. */
  toString(): string {
    if (this.pieces.length > 1) {
      this.pieces = [this.pieces.join('')];
      this.ends = [this.pieces[0].length];
    }
    return this.pieces[0] ?? '';
  }

  /** The first piece that ends after `offset` (the number of pieces when none does). */
  private pieceAt(offset: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private startOf(piece: number): number {
    return piece ? this.ends[piece - 1] : 0;
  }
}
