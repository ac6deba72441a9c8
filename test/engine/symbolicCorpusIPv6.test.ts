// Soundness of the service matrix over the corpus's IPv6 files: every class of
// every file's tcp:22 matrix has a packet drawn from it (at random, or at a
// corner of its ranges) traced by the concrete engine, which must give it the
// class's fate; a packet in no class, or in two that both claim a decided
// fate, fails too (test/support/soundness.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpusSoundness } from '../support/soundness';
import { corpusMissing } from '../support/shared';

test('every class of every IPv6 corpus file\'s tcp:22 matrix meets, packet by packet, the fate the concrete engine gives', { skip: corpusMissing() }, () => {
  const r = corpusSoundness('save6');
  console.log(`symbolic soundness, corpus save6: ${r.files} files, ${r.classes} classes, ${r.packets} packets traced`);
  assert.ok(r.packets > 5000, `only ${r.packets} packets`);
  assert.deepEqual(r.failures, []);
});
