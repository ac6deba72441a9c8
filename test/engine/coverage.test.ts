// Every match module and target of the knowledge base is either evaluated by
// the engine or listed as undecidable with the reason: nothing is silently
// taken as matching. The lists are printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MATCHES, TARGETS } from '../../server/src/knowledge';
import { MATCH_EVALUATORS, UNMODELLED_MATCHES } from '../../server/src/engine/matches';
import { TARGET_EVALUATORS } from '../../server/src/engine/targets';
import { table, trace } from '../support/trace';

const names = (list: readonly { name: string }[]) => [...new Set(list.map((m) => m.name))].sort();

test('every match module of the knowledge base is evaluated or declared undecidable, by its knowledge-base name', () => {
  const kb = names(MATCHES);
  const evaluated = Object.keys(MATCH_EVALUATORS).sort();
  const unknown = Object.keys(UNMODELLED_MATCHES).sort();
  console.log(`matches evaluated (${evaluated.length}): ${evaluated.join(' ')}`);
  console.log(`matches always uncertain (${unknown.length}): ${unknown.map((n) => `${n} (${UNMODELLED_MATCHES[n]})`).join('; ')}`);
  assert.deepEqual([...evaluated, ...unknown].sort(), kb);
  assert.deepEqual(evaluated.filter((n) => unknown.includes(n)), []);
});

test('every target of the knowledge base has an evaluator, by its knowledge-base name', () => {
  const kb = names(TARGETS);
  const evaluated = Object.keys(TARGET_EVALUATORS).sort();
  console.log(`targets evaluated (${evaluated.length}): ${evaluated.join(' ')}`);
  assert.deepEqual(evaluated, kb);
});

test('an undecidable module is uncertain, never a match', () => {
  const t = trace(table('filter', ':INPUT DROP [0:0]', '-A INPUT -p tcp -m osf --genre Linux -j ACCEPT'), 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0');
  assert.equal(t.decided, false);
  assert.deepEqual(t.outcomes.map((o) => o.fate), ['delivered', 'dropped']);
  assert.match(t.outcomes[0].assumptions[0].reason, /fingerprints/);
});
