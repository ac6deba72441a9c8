// The V8 flags the CLIs and the language server run with, in one place: the
// build writes them into each executable's `#!` line, the extension passes the
// server's to it, and the benchmarks measure with them.
// - A 64 MB semi-space (a young generation of 192 MB): the model of a large
//   ruleset survives, and a small one copies it again and again (half the
//   analysis time on 8k rules; 160k rules: 2.8-3.0 s of CPU, 3.5-3.7 s with
//   32 MB, 3.8-5.0 s with 16 MB). The server gives it to its worker threads
//   only (`serverWorkerYoungGenerationMb`): its main thread holds texts, and
//   the flag, which would override the workers' own limit, made its young
//   generation 128 MB of memory too. The main thread, which passes messages
//   on, has 4 MB semi-spaces (V8's default kept 32 MB of young generation):
//   that flag is unset before a worker starts (`workerYoungGeneration`).
// - The old generation grows by at most 2x its live size between full
//   collections in the CLIs (V8 otherwise lets it reach 4x: a 700k-rule file
//   peaked at 1.7 GB of which half was garbage), 1.25x in the server, where a
//   worker keeps a model while every keystroke leaves a copy of the text
//   behind (23 MB for 160k rules): its heap peaked at 630 MB over 20 edits
//   with 1.5x, 580 MB with 1.25x, and the CLI's run on 160k rules takes as
//   much CPU with 1.25x (2.9-4.3 s against 3.3-3.7 s with 1.5x, load ~12).
//   While a worker analyses a large document whole, 2x (`serverWholeAnalysisHeapGrowingPercent`):
//   its model grows from nothing, and 1.25x starts a collection at every quarter of growth (6 full
//   collections instead of 3 on the 160k-rule dump, whose first diagnostics took 1.2x as long).
// - The CLIs' old generation starts with room for 200 MB before its first full collection (V8
//   starts with far less): the 160k-rule dump's text and model, about 115 MB, are all kept, and a
//   full collection early in the run, when the text and the first 30 MB of model had left the young
//   generation, found almost nothing to free (62.9 -> 56.3 MB) for 9-20 ms of pause and concurrent
//   marking on the other core. A smaller file never gets near it; a larger one is collected as before.
import { setFlagsFromString } from 'node:v8';
import flags from './v8Flags.json';

export const V8_FLAGS: readonly string[] = flags.cli;
export const SERVER_V8_FLAGS: readonly string[] = flags.server;
/** The young generation of each of the server's worker threads (Worker resourceLimits). */
export const SERVER_WORKER_YOUNG_GENERATION_MB: number = flags.serverWorkerYoungGenerationMb;

const LEAN_HEAP_GROWTH = `--heap-growing-percent=${/--heap-growing-percent=(\d+)/.exec(flags.server.join(' '))?.[1] ?? 100}`;
let wholeAnalysis = false;

/**
 * Whether a worker of the server analyses a large document whole: the old generation's growth for
 * all its threads (V8 flags are the process's; V8 reads this one each time it sets the next limit).
 */
export function wholeAnalysisHeapGrowth(running: boolean): void {
  if (running === wholeAnalysis) return;
  wholeAnalysis = running;
  setFlagsFromString(running ? `--heap-growing-percent=${flags.serverWholeAnalysisHeapGrowingPercent}` : LEAN_HEAP_GROWTH);
}

/**
 * The worker threads started from now on get the young generation their resource limits give: the
 * main thread's own semi-space flag (`server`), which V8 reads as each heap is set up, would override it.
 */
export function workerYoungGeneration(): void {
  setFlagsFromString('--max-semi-space-size=0');
}
