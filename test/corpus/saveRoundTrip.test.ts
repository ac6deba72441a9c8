// The printer against the real tools on whole files: every corpus file that
// iptables-restore loads is loaded into a network namespace of its own, and
// what iptables-save then prints (its `#` lines aside, chain counters as
// [0:0]) must be exactly what `iptables-lint --print-ruleset` prints for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { rulesetText } from '../../server/src/model/saveText';
import { detectFamily } from '../../server/src/syntax/saveFile';
import { corpusMissing, corpusSaveFiles } from '../support/shared';
import { iptablesMissing, Namespace } from '../support/iptables';

const skip = corpusMissing() ?? iptablesMissing();

/** The lines only one side has, a few of each. */
function difference(ours: string, kernel: string): string {
  const o = new Set(ours.split('\n'));
  const k = new Set(kernel.split('\n'));
  const lines = [...[...k].filter((l) => !o.has(l)).slice(0, 3).map((l) => `  kernel: ${l}`), ...[...o].filter((l) => !k.has(l)).slice(0, 3).map((l) => `  ours:   ${l}`)];
  return lines.length ? lines.join('\n') : '  (the same lines in another order)';
}

test('corpus round trip: we print what iptables-save prints after loading the file', { skip }, () => {
  let loaded = 0;
  const differ: string[] = [];
  for (const f of corpusSaveFiles()) {
    const text = readFileSync(f.path, 'utf8');
    const family = f.name.startsWith('save6/') ? 'ipv6' : detectFamily(text, f.name);
    const ns = new Namespace('savetext-rt');
    try {
      if (!ns.restore(text, family, false).loads) continue;
      loaded++;
      const kernel = ns.save(family);
      const ruleset = analyseSaveText(text, { ...DEFAULT_OPTIONS, family, fileName: f.name }).ruleset;
      const ours = ruleset ? rulesetText(ruleset) : '';
      if (ours !== kernel) differ.push(`${f.name}\n${difference(ours, kernel)}`);
    } finally {
      ns.delete();
    }
  }
  console.log(`corpus files iptables-restore loads: ${loaded}; printed exactly as iptables-save prints them: ${loaded - differ.length}`);
  assert.ok(loaded >= 76, `only ${loaded} corpus files loaded`);
  assert.deepEqual(differ, []);
});
