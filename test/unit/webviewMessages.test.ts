// The trace panel's page is untrusted input (a rule comment could try to script
// it): the extension takes only messages of the protocol's shapes, rebuilt with
// their known fields, and drops the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFromWebview } from '../../server/src/protocol/webview';

const uri = 'file:///ws/rules.v4';

test('well-formed messages pass, rebuilt with only their own fields', () => {
  assert.deepEqual(parseFromWebview({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(parseFromWebview({ type: 'readMachine', uri: 'file:///etc/shadow' }), { type: 'readMachine' });
  assert.deepEqual(parseFromWebview({ type: 'reveal', uri, version: 3, ranges: [{ line: 4, start: 0, end: 9, x: 'y' }] }),
    { type: 'reveal', uri, version: 3, ranges: [{ line: 4, start: 0, end: 9 }] });
  assert.deepEqual(parseFromWebview({ type: 'decorate', uri, version: 3, hits: [], decider: [{ line: 1, start: 2, end: 2 }] }),
    { type: 'decorate', uri, version: 3, hits: [], decider: [{ line: 1, start: 2, end: 2 }] });
  assert.deepEqual(parseFromWebview({ type: 'saveSample', uri, name: 'ssh in', scenario: { packet: { proto: 'tcp' } } }),
    { type: 'saveSample', uri, name: 'ssh in', scenario: { packet: { proto: 'tcp' } } });
  assert.deepEqual(parseFromWebview({ type: 'matrix', uri, service: 'tcp:22', maxClasses: 1e9 }), { type: 'matrix', uri, service: 'tcp:22' });
});

test('anything else is dropped: unknown types, wrong field types, empty or huge lists, bad ranges', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const dropped: unknown[] = [
    null, 'ready', [], 42, { type: 'run' }, { type: '__proto__' }, { type: 'reveal' },
    { type: 'reveal', uri, version: 3, ranges: [] },
    { type: 'reveal', uri, version: '3', ranges: [{ line: 0, start: 0, end: 1 }] },
    { type: 'reveal', uri: 42, version: 3, ranges: [{ line: 0, start: 0, end: 1 }] },
    { type: 'reveal', uri: '', version: 3, ranges: [{ line: 0, start: 0, end: 1 }] },
    { type: 'reveal', uri, version: 3, ranges: [{ line: -1, start: 0, end: 1 }] },
    { type: 'reveal', uri, version: 3, ranges: [{ line: 0, start: 5, end: 1 }] },
    { type: 'reveal', uri, version: 3, ranges: [{ line: 0.5, start: 0, end: 1 }] },
    { type: 'reveal', uri, version: 3, ranges: [{ line: Infinity, start: 0, end: 1 }] },
    { type: 'decorate', uri, version: 3, hits: Array.from({ length: 10_001 }, () => ({ line: 0, start: 0, end: 0 })), decider: [] },
    { type: 'decorate', uri, version: 3, hits: 'all', decider: [] },
    { type: 'matrix', uri, service: '' },
    { type: 'matrix', uri, service: 22 },
    { type: 'matrix', uri, service: 'tcp:'.repeat(11) },
    { type: 'matrix', service: 'tcp:22' },
    { type: 'saveSample', uri, name: ['settings'], scenario: {} },
    { type: 'saveSample', uri, name: '', scenario: {} },
    { type: 'saveSample', uri, name: 'x'.repeat(201), scenario: {} },
    { type: 'saveSample', uri, name: 'x', scenario: [1, 2] },
    { type: 'saveSample', uri, name: 'x', scenario: cyclic },
    { type: 'saveSample', uri, name: 'x', scenario: { blob: 'x'.repeat(1 << 20) } },
    { type: 'saveSample', uri: 'x'.repeat(8193), name: 'x', scenario: {} },
  ];
  dropped.forEach((m, i) => assert.equal(parseFromWebview(m), undefined, `message ${i}`));
});
