// Which lines of an open document the editor changed since a version: the
// re-analysis after a keystroke reads only those lines again (analysis/
// reanalyse.ts) instead of the whole text, when no line was added or removed.

interface Edit {
  /** The version the edit made. */
  version: number;
  /** Lines start to end of the text as it was; undefined when lines moved (added, removed, or the whole text replaced). */
  lines?: { start: number; end: number };
}

/** Kept edits of one document; older ones are forgotten, and asking about a version before them gets undefined. */
const KEPT = 1000;

export class EditLog {
  private edits: Edit[] = [];

  /** `since` answers only from this version on (the document's version when the log began, or the oldest forgotten edit's). */
  constructor(private from: number) {}

  /** Version `version` replaced lines `start` to `end` by `lines` lines (undefined: the whole text, or line numbers the analysis does not share). */
  record(version: number, range?: { start: number; end: number; lines: number }): void {
    const inPlace = range && range.lines === range.end - range.start + 1;
    this.edits.push({ version, lines: inPlace ? { start: range.start, end: range.end } : undefined });
    if (this.edits.length > KEPT) this.forget(this.edits[this.edits.length - KEPT].version - 1);
  }

  /** The lines edited after `version` up to `upTo`, each still at its place; undefined when lines moved meanwhile, or the log does not reach back so far. */
  since(version: number, upTo: number): Set<number> | undefined {
    if (version < this.from) return undefined;
    const lines = new Set<number>();
    for (const edit of this.edits) {
      if (edit.version <= version || edit.version > upTo) continue;
      if (!edit.lines) return undefined;
      for (let line = edit.lines.start; line <= edit.lines.end; line++) lines.add(line);
    }
    return lines;
  }

  /** Edits up to `version` are no longer asked about. */
  forget(version: number): void {
    this.edits = this.edits.filter((e) => e.version > version);
    this.from = Math.max(this.from, version);
  }
}
