// Which lines of an open document the editor changed since a version: the
// re-analysis after a keystroke reads only those lines again (analysis/
// reanalyse.ts) instead of the whole text; when lines were added or removed,
// the one stretch of lines that holds every edit, the lines below it moved.
import type { LineShift } from '../analysis/reanalyse';

interface Edit {
  /** The version the edit made. */
  version: number;
  /** Lines start to end of the text as it was, replaced by `lines` lines; undefined when the whole text was replaced. */
  range?: { start: number; end: number; lines: number };
}

/** Kept edits of one document; older ones are forgotten, and asking about a version before them gets undefined. */
const KEPT = 1000;

export class EditLog {
  private edits: Edit[] = [];

  /** `since` answers only from this version on (the document's version when the log began, or the oldest forgotten edit's). */
  constructor(private from: number) {}

  /** Version `version` replaced lines `start` to `end` by `lines` lines (undefined: the whole text, or line numbers the analysis does not share). */
  record(version: number, range?: { start: number; end: number; lines: number }): void {
    this.edits.push({ version, range });
    if (this.edits.length > KEPT) this.forget(this.edits[this.edits.length - KEPT].version - 1);
  }

  /** The lines edited after `version` up to `upTo`, each still at its place; undefined when lines moved meanwhile, or the log does not reach back so far. */
  since(version: number, upTo: number): Set<number> | undefined {
    if (version < this.from) return undefined;
    const lines = new Set<number>();
    for (const edit of this.edits) {
      if (edit.version <= version || edit.version > upTo) continue;
      const range = edit.range;
      if (!range || range.lines !== range.end - range.start + 1) return undefined;
      for (let line = range.start; line <= range.end; line++) lines.add(line);
    }
    return lines;
  }

  /**
   * The edits after `version` up to `upTo` as one stretch of lines replaced by
   * another (the lines above it untouched, those below moved); undefined when
   * the whole text was replaced meanwhile, or the log does not reach back so far.
   */
  shift(version: number, upTo: number): LineShift | undefined {
    if (version < this.from) return undefined;
    // In the text as it is after each edit: lines [from, to) stand for lines [from, oldTo) of `version`'s.
    let from = Infinity;
    let to = 0;
    let oldTo = 0;
    for (const edit of this.edits) {
      if (edit.version <= version || edit.version > upTo) continue;
      const range = edit.range;
      if (!range) return undefined;
      const end = range.end + 1;
      if (from === Infinity) {
        from = range.start;
        oldTo = end;
      } else {
        const last = Math.max(to, end);
        oldTo += last - to;
        to = last;
        from = Math.min(from, range.start);
      }
      to = Math.max(to, end) - (end - range.start) + range.lines;
    }
    return from === Infinity ? { from: 0, removed: 0, added: 0 } : { from, removed: oldTo - from, added: to - from };
  }

  /** Edits up to `version` are no longer asked about. */
  forget(version: number): void {
    this.edits = this.edits.filter((e) => e.version > version);
    this.from = Math.max(this.from, version);
  }
}
