// Long analyses in the language server run in slices of time: what arrives
// meanwhile (a hover, a new version) is handled between two slices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StaleAnalysis } from '../../server/src/lsp/analysisCache';
import { runInSlices } from '../../server/src/lsp/timeSlices';
import type { Steps } from '../../server/src/steps';

/** Work of `steps` steps of about a millisecond each; counts the steps taken. */
function* busy(steps: number, taken: { count: number }): Steps<string> {
  for (let i = 0; i < steps; i++) {
    const end = performance.now() + 1;
    while (performance.now() < end) { /* a millisecond of work */ }
    taken.count++;
    yield;
  }
  return 'done';
}

test('work in slices lets what arrives meanwhile run before it ends', async () => {
  const taken = { count: 0 };
  let seenAt: number | undefined;
  setImmediate(() => { seenAt = taken.count; });
  assert.equal(await runInSlices(busy(100, taken), { stopped: false }, 1), 'done');
  assert.equal(taken.count, 100);
  assert.ok(seenAt !== undefined && seenAt < 100, `a request queued at the start ran after ${seenAt} of 100 steps`);
});

test('stopped work ends with StaleAnalysis at the next pause, its later steps not taken', async () => {
  const taken = { count: 0 };
  const stop = { stopped: false };
  setImmediate(() => { stop.stopped = true; });
  await assert.rejects(runInSlices(busy(100, taken), stop, 7), (e) => e instanceof StaleAnalysis && e.version === 7);
  assert.ok(taken.count < 100, `stopped after ${taken.count} of 100 steps`);
});
