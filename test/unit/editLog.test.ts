// The language server's record of which lines changed since an analysis: the
// re-analysis reads only those lines again, so a line left out would leave its
// old rule in the model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EditLog } from '../../server/src/lsp/editLog';

test('the lines edited after a version, up to another, when no line moved', () => {
  const log = new EditLog(1);
  log.record(2, { start: 10, end: 10, lines: 1 });
  log.record(3, { start: 4, end: 5, lines: 2 });
  log.record(4, { start: 7, end: 7, lines: 1 });
  assert.deepEqual([...log.since(1, 4)!].sort((a, b) => a - b), [4, 5, 7, 10]);
  assert.deepEqual([...log.since(2, 3)!].sort((a, b) => a - b), [4, 5]);
  assert.deepEqual([...log.since(4, 4)!], []);
});

test('a line added, removed or the whole text replaced: no answer across it', () => {
  const log = new EditLog(1);
  log.record(2, { start: 3, end: 3, lines: 2 });
  log.record(3, { start: 8, end: 8, lines: 1 });
  log.record(4, { start: 3, end: 4, lines: 1 });
  log.record(5);
  assert.equal(log.since(1, 3), undefined);
  assert.deepEqual([...log.since(2, 3)!], [8]);
  assert.equal(log.since(3, 4), undefined);
  assert.equal(log.since(4, 5), undefined);
});

test('versions before the log or before what it forgot get no answer', () => {
  const log = new EditLog(5);
  log.record(6, { start: 1, end: 1, lines: 1 });
  assert.equal(log.since(4, 6), undefined);
  log.forget(6);
  assert.equal(log.since(5, 6), undefined);
  assert.deepEqual([...log.since(6, 6)!], []);
  for (let v = 7; v < 1200; v++) log.record(v, { start: v, end: v, lines: 1 });
  assert.equal(log.since(6, 1199), undefined, 'the oldest edits were forgotten');
  assert.deepEqual([...log.since(1198, 1199)!], [1199]);
});

test('lines added and removed since a version: the one stretch of lines that replaced others, in the versions\' own line numbers', () => {
  const log = new EditLog(1);
  // Line 10 replaced by two (Enter typed in it), then line 4 deleted: old lines 4-10 are new lines 4-10.
  log.record(2, { start: 10, end: 10, lines: 2 });
  log.record(3, { start: 4, end: 4, lines: 0 });
  assert.deepEqual(log.shift(1, 2), { from: 10, removed: 1, added: 2 });
  assert.deepEqual(log.shift(1, 3), { from: 4, removed: 7, added: 7 });
  assert.deepEqual(log.shift(2, 3), { from: 4, removed: 1, added: 0 });
  // A line inserted below the stretch, then one above it.
  log.record(4, { start: 20, end: 19, lines: 1 });
  assert.deepEqual(log.shift(1, 4), { from: 4, removed: 16, added: 17 });
  log.record(5, { start: 0, end: 0, lines: 1 });
  assert.deepEqual(log.shift(3, 5), { from: 0, removed: 20, added: 21 });
  assert.deepEqual(log.shift(5, 5), { from: 0, removed: 0, added: 0 });
  log.record(6);
  assert.equal(log.shift(1, 6), undefined, 'the whole text replaced');
  assert.equal(new EditLog(5).shift(4, 5), undefined, 'before the log');
});
