// The bundled examples say what they claim: the clean ones load into a real
// kernel, and every line of mistakes.rules that a comment calls wrong gets an error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../server/src/analysis/analyse';
import { rulesetText } from '../server/src/model/saveText';
import { nodeBashParser } from '../server/src/node/bashWasm';
import { analyseScript } from '../server/src/analysis/script';
import { iptablesMissing, Namespace } from './support/iptables';
import { REPO } from './support/shared';

const read = (name: string) => readFileSync(path.join(REPO, 'examples', name), 'utf8');

test('the clean examples have no problems', () => {
  for (const name of ['rules.v4', 'ip6tables.rules']) {
    const found = analyseSaveText(read(name), { ...DEFAULT_OPTIONS, fileName: name }).diagnostics;
    assert.deepEqual(found.map((d) => `${d.span.line + 1}: ${d.message}`), [], name);
  }
});

test('the clean examples load into a real kernel', { skip: iptablesMissing() }, () => {
  const ns = new Namespace('ipt-examples');
  try {
    assert.deepEqual(ns.restore(read('rules.v4'), 'ipv4', false), { loads: true });
    assert.deepEqual(ns.restore(read('ip6tables.rules'), 'ipv6', false), { loads: true });
  } finally {
    ns.delete();
  }
});

// Needs no kernel, so it runs where iptables is missing too.
test('the host firewall script has no problems', async () => {
  const analysis = analyseScript(read('host-firewall.sh'), await nodeBashParser(), DEFAULT_OPTIONS);
  assert.deepEqual(analysis.diagnostics.map((d) => `${d.span.line + 1}: ${d.message}`), []);
});

test('the host firewall script builds rulesets a real kernel loads', { skip: iptablesMissing() }, async () => {
  const analysis = analyseScript(read('host-firewall.sh'), await nodeBashParser(), DEFAULT_OPTIONS);
  const ns = new Namespace('ipt-examples');
  try {
    assert.deepEqual(ns.restore(rulesetText(analysis.rulesets.ipv4), 'ipv4', false), { loads: true });
    assert.deepEqual(ns.restore(rulesetText(analysis.rulesets.ipv6), 'ipv6', false), { loads: true });
  } finally {
    ns.delete();
  }
});

test('every mistake in mistakes.rules is reported on its line', () => {
  const text = read('mistakes.rules');
  const lines = text.split('\n');
  const errorLines = new Set(analyseSaveText(text, DEFAULT_OPTIONS).diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.line));
  // A comment (after the header) describes the mistakes on the rule lines right after it.
  const expected: number[] = [];
  lines.forEach((l, i) => {
    if (i < 2 || !l.startsWith('#')) return;
    for (let j = i + 1; j < lines.length && lines[j].startsWith('-'); j++) expected.push(j);
  });
  assert.ok(expected.length >= 12);
  assert.deepEqual(expected.filter((l) => !errorLines.has(l)).map((l) => lines[l]), []);
});
