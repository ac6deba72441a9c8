// Runs long work (steps.ts) a slice of time at a time and lets the event loop
// run between slices: requests that arrive meanwhile (hover, completion) are
// answered within a slice's time, and a newer version of the document can stop
// the work it made stale.
import { performance } from 'node:perf_hooks';
import type { Steps } from '../steps';
import { StaleAnalysis, Stop } from './analysisCache';

/** Long enough to make progress, short enough that a request waits no longer. */
const SLICE_MS = 8;

export async function runInSlices<T>(steps: Steps<T>, stop: Stop, version: number): Promise<T> {
  for (;;) {
    const end = performance.now() + SLICE_MS;
    do {
      const step = steps.next();
      if (step.done) return step.value;
    } while (performance.now() < end);
    await new Promise((resolve) => setImmediate(resolve));
    if (stop.stopped) {
      // Its `finally` blocks run: what it holds outside the heap (a script's trees) is freed.
      steps.return(undefined as T);
      throw new StaleAnalysis(version);
    }
  }
}
