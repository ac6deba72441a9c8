// Each open document's analysis, under way or done, by the version it is of.
// VS Code sends several requests at once when a file opens (tokens, folding,
// outline, lenses...): they all wait for one analysis, which for a script means
// one bash evaluation, not one each.

interface Entry<A> {
  version: number;
  analysis: Promise<A>;
  /** The last finished analysis, maybe of an older version. */
  done?: A;
}

export class AnalysisCache<A> {
  private readonly entries = new Map<string, Entry<A>>();

  /** The analysis of `version`: the one under way or done, else a new one from `analyse`. */
  get(uri: string, version: number, analyse: () => Promise<A>): Promise<A> {
    const entry = this.entries.get(uri);
    if (entry?.version === version) return entry.analysis;
    const next: Entry<A> = { version, analysis: analyse(), done: entry?.done };
    this.entries.set(uri, next);
    next.analysis.then((a) => { next.done = a; }, () => {
      // A failed analysis is not kept: the next request tries again (and reports why).
      if (this.entries.get(uri) === next) this.entries.delete(uri);
    });
    return next.analysis;
  }

  /** The last finished analysis, whatever its version: for answers that must not wait (completion). */
  latest(uri: string): A | undefined {
    return this.entries.get(uri)?.done;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }

  clear(): void {
    this.entries.clear();
  }
}
