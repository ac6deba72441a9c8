// The dead-rule analysis over every real-world rule file and recorded script:
// no exception, every finding well-formed, and three findings checked by hand.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Diagnostic } from '../../server/src/diagnostics';
import { corpusMissing, corpusSaveFiles, SHARED } from '../support/shared';
import { analyseCase, shellCases } from '../support/shellCases';

const dead = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.code === 'shadowed-rule' || d.code === 'duplicate-rule');

function analyseFile(name: string): Diagnostic[] {
  const f = corpusSaveFiles().find((x) => x.name === name)!;
  return analyseSaveText(readFileSync(f.path, 'utf8'), { ...DEFAULT_OPTIONS, family: name.startsWith('save6/') ? 'ipv6' : undefined, fileName: name }).diagnostics;
}

/** A finding is a faded warning that points at another rule. */
function checkShape(where: string, d: Diagnostic): void {
  assert.equal(d.severity, 'warning', where);
  assert.equal(d.tag, 'unnecessary', where);
  assert.ok(d.related?.length, `${where}: no related place`);
  for (const r of d.related!) assert.ok(r.span.line !== d.span.line || r.span.start !== d.span.start, `${where}: points at itself`);
}

test('every corpus file gets the dead-rule analysis without an exception', { skip: corpusMissing() }, () => {
  let total = 0;
  for (const f of corpusSaveFiles()) {
    let diagnostics: Diagnostic[] = [];
    assert.doesNotThrow(() => { diagnostics = analyseFile(f.name); }, f.name);
    for (const d of dead(diagnostics)) checkShape(`${f.name}:${d.span.line + 1}`, d);
    total += dead(diagnostics).length;
  }
  assert.ok(total > 0, 'the corpus has dead rules');
});

test('every recorded firewall script gets the dead-rule analysis without an exception', async () => {
  const cases = [...shellCases(path.join(SHARED, 'shell-cases')), ...shellCases(path.join(__dirname, '..', 'shell', 'cases'))];
  assert.ok(cases.length > 0);
  for (const c of cases) {
    const { diagnostics } = await analyseCase(c);
    for (const d of dead(diagnostics)) checkShape(`${c.name}:${d.span.line + 1}`, d);
  }
});

test('three corpus findings checked by hand', { skip: corpusMissing() }, () => {
  // INPUT's first rule jumps to STATEFUL, which accepts related, established and new packets and sends
  // the rest to DUMP, whose last rule drops everything: no packet reaches INPUT's rules 2 to 32.
  const saturn = dead(analyseFile('save/is-ringofsaturn.rules'));
  assert.deepEqual(saturn.map((d) => d.span.line + 1), Array.from({ length: 31 }, (_, i) => i + 9));
  assert.equal(saturn[0].message, 'this rule never matches: rule 1 of INPUT (line 8) comes first, matches every packet this one would and sends them to chain STATEFUL, where rule 3 (line 48) stops every one of them (`-j DUMP`)');
  // FORWARD's rule 5 jumps to DFWFW_FORWARD, which ends with an unconditional DROP and has no RETURN:
  // Docker's own FORWARD rules after it never see a packet.
  const dfwfw = dead(analyseFile('save/nn-docker-dfwfw.rules'));
  assert.deepEqual(dfwfw.map((d) => [d.span.line + 1, d.code, d.related!.map((r) => r.span.line + 1)]), [21, 22, 23, 24, 25].map((l) => [l, 'shadowed-rule', [20]]));
  // `--sport 53 -m state --state RELATED,ESTABLISHED -j ACCEPT` comes after
  // `-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` (the jump to SSHLimit in between changes nothing).
  const shorewall = dead(analyseFile('save/nn-shorewall-2015-spoofing.rules')).filter((d) => d.span.line + 1 === 92);
  assert.deepEqual(shorewall.map((d) => [d.code, d.message, d.related!.map((r) => r.span.line + 1)]), [
    ['shadowed-rule', 'this rule never matches: rule 8 of INPUT (line 90) comes first, matches every packet this one would and stops them there (`-j ACCEPT`)', [90]],
  ]);
});
