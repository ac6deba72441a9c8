// The server's analyses by document version: what opening a large script costs
// depends on requests sharing one evaluation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisCache } from '../../server/src/lsp/analysisCache';

/** An analysis that finishes when told, and counts how often it was started. */
function controlled() {
  let started = 0;
  const finish: (() => void)[] = [];
  const fail: ((e: Error) => void)[] = [];
  const analyse = (label: string) => () => {
    started++;
    return new Promise<string>((resolve, reject) => {
      finish.push(() => resolve(label));
      fail.push(reject);
    });
  };
  return { analyse, started: () => started, finish: (i: number) => finish[i](), fail: (i: number) => fail[i](new Error('parser crashed')) };
}

test('requests that arrive while a version is being analysed wait for that one analysis', async () => {
  const cache = new AnalysisCache<string>();
  const run = controlled();
  const answers = ['tokens', 'folding', 'outline', 'lenses', 'trace'].map(() => cache.get('file:///fw.sh', 1, run.analyse('v1')));
  assert.equal(run.started(), 1);
  assert.equal(cache.latest('file:///fw.sh'), undefined, 'nothing finished yet');
  run.finish(0);
  assert.deepEqual(await Promise.all(answers), ['v1', 'v1', 'v1', 'v1', 'v1']);
  assert.equal(cache.latest('file:///fw.sh'), 'v1');
  assert.equal(await cache.get('file:///fw.sh', 1, run.analyse('again')), 'v1');
  assert.equal(run.started(), 1);
});

test('a new version is analysed anew; completion meanwhile gets the last finished one', async () => {
  const cache = new AnalysisCache<string>();
  const run = controlled();
  const first = cache.get('file:///fw.sh', 1, run.analyse('v1'));
  run.finish(0);
  await first;
  const second = cache.get('file:///fw.sh', 2, run.analyse('v2'));
  assert.equal(run.started(), 2);
  assert.equal(cache.latest('file:///fw.sh'), 'v1');
  run.finish(1);
  assert.equal(await second, 'v2');
  assert.equal(cache.latest('file:///fw.sh'), 'v2');
});

test('a failed analysis is not kept: the next request tries again', async () => {
  const cache = new AnalysisCache<string>();
  const run = controlled();
  const failing = cache.get('file:///fw.sh', 1, run.analyse('v1'));
  run.fail(0);
  await assert.rejects(failing, /parser crashed/);
  const retry = cache.get('file:///fw.sh', 1, run.analyse('v1 again'));
  assert.equal(run.started(), 2);
  run.finish(1);
  assert.equal(await retry, 'v1 again');
});

test('a settings change or a closed document drops what was kept', async () => {
  const cache = new AnalysisCache<string>();
  const run = controlled();
  const a = cache.get('file:///a.rules', 1, run.analyse('a'));
  const b = cache.get('file:///b.rules', 1, run.analyse('b'));
  run.finish(0);
  run.finish(1);
  await Promise.all([a, b]);
  cache.delete('file:///a.rules');
  assert.equal(cache.latest('file:///a.rules'), undefined);
  assert.equal(cache.latest('file:///b.rules'), 'b');
  cache.clear();
  assert.equal(cache.latest('file:///b.rules'), undefined);
  const again = cache.get('file:///b.rules', 1, run.analyse('b after the change'));
  run.finish(2);
  assert.equal(await again, 'b after the change');
});

test('a new version stops the analysis under way; the last finished one stays the latest', async () => {
  const cache = new AnalysisCache<string>();
  const stops: { stopped: boolean }[] = [];
  const finish: ((label: string) => void)[] = [];
  const analyse = (stop: { stopped: boolean }) => {
    stops.push(stop);
    return new Promise<string>((resolve) => finish.push(resolve));
  };
  const v1 = cache.get('file:///kube.rules', 1, analyse);
  finish[0]('v1');
  await v1;
  void cache.get('file:///kube.rules', 2, analyse);
  assert.equal(stops[1].stopped, false);
  cache.stopOthers('file:///kube.rules', 2);
  assert.equal(stops[1].stopped, false, 'the analysis of the version the document is at goes on');
  cache.stopOthers('file:///kube.rules', 3);
  assert.equal(stops[1].stopped, true, 'an edit stops the analysis it made stale');
  const v3 = cache.get('file:///kube.rules', 3, analyse);
  assert.equal(cache.latest('file:///kube.rules'), 'v1');
  // The stopped analysis happened to finish: newer than what was kept, so it is the latest until v3 is done.
  finish[1]('v2');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(cache.latest('file:///kube.rules'), 'v2');
  finish[2]('v3');
  assert.equal(await v3, 'v3');
  assert.equal(cache.latest('file:///kube.rules'), 'v3');
  void cache.get('file:///kube.rules', 4, analyse);
  cache.delete('file:///kube.rules');
  assert.equal(stops[3].stopped, true, 'closing the document stops its analysis');
});

test('a failed analysis of a new version leaves the last finished one as the latest', async () => {
  const cache = new AnalysisCache<string>();
  const run = controlled();
  const first = cache.get('file:///fw.rules', 1, run.analyse('v1'));
  run.finish(0);
  await first;
  const failing = cache.get('file:///fw.rules', 2, run.analyse('v2'));
  run.fail(1);
  await assert.rejects(failing, /parser crashed/);
  assert.equal(cache.latest('file:///fw.rules'), 'v1');
});
