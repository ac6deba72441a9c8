// Soundness of the conntrack dimension over the corpus's IPv4 files: the
// packets of established connections (either side) and of related ones, to
// tcp:22 (files in even places) or udp:53 (odd places), in classes checked
// packet by packet against the concrete engine, which builds an established
// connection by sending its first packet through the ruleset
// (test/support/soundness.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseRuleset } from '../../server/src/engine/symbolic';
import { IntervalSet } from '../../server/src/engine/symbolic/intervals';
import { CT_ESTABLISHED, CT_RELATED } from '../../server/src/engine/symbolic/space';
import { corpusSoundness } from '../support/soundness';
import { corpusMissing } from '../support/shared';

test('every class of established and related packets to tcp:22 or udp:53 of every IPv4 corpus file meets, packet by packet, the concrete engine\'s fate', { skip: corpusMissing() }, () => {
  const ct = IntervalSet.range(CT_ESTABLISHED, CT_RELATED);
  const r = corpusSoundness('save', (ruleset, file) => {
    const [proto, port] = file % 2 === 0 ? [6n, 22n] : [17n, 53n];
    return analyseRuleset(ruleset, { limits: { proto: IntervalSet.of(proto), dport: IntervalSet.of(port), ct }, coarse: true });
  });
  console.log(`symbolic soundness, established and related, corpus save: ${r.files} files, ${r.classes} classes, ${r.packets} packets traced`);
  assert.ok(r.packets > 2000, `only ${r.packets} packets`);
  assert.deepEqual(r.failures, []);
});
