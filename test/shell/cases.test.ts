// The ruleset a script builds, predicted statically, against the ruleset the
// kernel really built when the script ran in a network namespace: the shared
// cases and our own (test/shell/cases). What --print-ruleset prints must be
// byte for byte what iptables-save printed after the run.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { SHARED } from '../support/shared';
import { analyseCase, compareRulesets, shellCases } from '../support/shellCases';

const shared = shellCases(path.join(SHARED, 'shell-cases'));
const own = shellCases(path.join(__dirname, 'cases'));

for (const [label, cases] of [['shared', shared], ['own', own]] as const) {
  test(`${label} shell cases: the statically built ruleset is the kernel's`, { skip: cases.length === 0 ? `no ${label} cases here` : undefined }, async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const analysis = await analyseCase(c);
      for (const { family, ours, kernel } of compareRulesets(c, analysis)) {
        if (ours === kernel) continue;
        const o = ours.split('\n');
        const k = kernel.split('\n');
        failures.push(`${c.name} (${family}):\n${k.filter((l) => !o.includes(l)).map((l) => `  kernel only: ${l}`).concat(o.filter((l) => !k.includes(l)).map((l) => `  ours only:   ${l}`)).join('\n')}`);
      }
    }
    console.log(`${label}: ${cases.length - new Set(failures.map((f) => f.split(' ')[0])).size}/${cases.length} scripts build exactly the kernel's ruleset`);
    assert.deepEqual(failures, []);
  });
}

/** The commands the shared mistake cases' notes name as failing (1-based script lines). */
const FAILING_LINES: Record<string, number[]> = {
  '37-mistake-nat-targets-in-filter': [12, 14, 20, 24, 28],
  // Line 32 is line 5 of the restore heredoc that starts on line 28.
  '39-mistake-missing-chains-atomic-restore': [7, 12, 15, 17, 19, 20, 23, 32],
  '41-set-e-aborts-midway': [26],
};

test('shared mistake cases: an error on every command that makes iptables fail, and nowhere else', { skip: shared.length === 0 ? 'no shared cases here' : undefined }, async () => {
  for (const [name, lines] of Object.entries(FAILING_LINES)) {
    const c = shared.find((x) => x.name === name);
    if (!c) continue;
    const analysis = await analyseCase(c);
    const errorLines = [...new Set(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.line + 1))].sort((a, b) => a - b);
    assert.deepEqual(errorLines, lines, name);
  }
});
