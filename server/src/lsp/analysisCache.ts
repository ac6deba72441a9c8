// Each open document's analysis, under way or done, by the version it is of.
// VS Code sends several requests at once when a file opens (tokens, folding,
// outline, lenses...): they all wait for one analysis, which for a script means
// one bash evaluation, not one each. A newer version makes the analysis under
// way stale: it is told to stop, and whoever waited for it hears so.

/** What waiting for a stale analysis ends with. */
export class StaleAnalysis extends Error {
  constructor(readonly version: number) {
    super(`the analysis of version ${version} was stopped: the document changed`);
  }
}

/** Tells a running analysis whether it should still go on. */
export interface Stop {
  readonly stopped: boolean;
}

interface Running<A> {
  version: number;
  analysis: Promise<A>;
  stop: { stopped: boolean };
}

interface Document<A> {
  running?: Running<A>;
  /** The last finished analysis, maybe of an older version. */
  done?: { version: number; analysis: A };
}

export class AnalysisCache<A> {
  private readonly documents = new Map<string, Document<A>>();

  /**
   * The analysis of `version`: the one under way or done, else a new one from
   * `analyse`, which should give up (throw StaleAnalysis) once `stop.stopped`.
   * An analysis of another version under way is stopped.
   */
  get(uri: string, version: number, analyse: (stop: Stop) => Promise<A>): Promise<A> {
    let doc = this.documents.get(uri);
    if (!doc) this.documents.set(uri, doc = {});
    if (doc.running?.version === version) return doc.running.analysis;
    if (doc.done?.version === version) return Promise.resolve(doc.done.analysis);
    if (doc.running) doc.running.stop.stopped = true;
    const stop = { stopped: false };
    const running: Running<A> = { version, analysis: analyse(stop), stop };
    const kept = doc;
    kept.running = running;
    running.analysis.then((analysis) => {
      if (!kept.done || kept.done.version < version) kept.done = { version, analysis };
      if (kept.running === running) kept.running = undefined;
    }, () => {
      // A failed analysis is not kept: the next request tries again (and reports why).
      if (kept.running === running) kept.running = undefined;
    });
    return running.analysis;
  }

  /** The document is now at `version`: an analysis of another one under way is stopped. */
  stopOthers(uri: string, version: number): void {
    const running = this.documents.get(uri)?.running;
    if (running && running.version !== version) running.stop.stopped = true;
  }

  /** The last finished analysis, whatever its version: for answers that must not wait (completion). */
  latest(uri: string): A | undefined {
    return this.documents.get(uri)?.done?.analysis;
  }

  delete(uri: string): void {
    const running = this.documents.get(uri)?.running;
    if (running) running.stop.stopped = true;
    this.documents.delete(uri);
  }

  clear(): void {
    for (const uri of [...this.documents.keys()]) this.delete(uri);
  }
}
