// iptables' own extension syntax tests (extensions/*.t): each line is
// `rule;canonical;OK|FAIL` for the table and chains named above it. OK must
// load in every chain, FAIL must be refused in every chain. We check that our
// diagnostics give an error exactly for the FAIL lines.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Family, findMatch, findTarget, isStandardTarget } from '../../server/src/knowledge';
import { CORPUS, corpusMissing } from '../support/shared';
import { ourVerdict, readXtFile } from '../support/xtTests';

/** The extension a .t file tests, and whether the knowledge base claims it complete. */
function moduleOf(file: string): { name: string; complete: boolean } {
  const name = file.replace(/^lib(xt|ipt|ip6t)_/, '').replace(/\.t$/, '');
  if (file === 'iptables.t' || name === 'standard') return { name, complete: true };
  const family: Family = file.startsWith('libip6t_') ? 'ipv6' : 'ipv4';
  const spec = name === name.toUpperCase() ? findTarget(name, family) : findMatch(name, family);
  return { name, complete: spec?.complete === true || isStandardTarget(name) };
}

const skip = corpusMissing();

test('agreement with iptables\' own syntax tests (xt-tests/*.t)', { skip }, () => {
  const files = readdirSync(path.join(CORPUS, 'xt-tests')).filter((f) => f.endsWith('.t') && !/^lib(ebt|arpt)_/.test(f)).sort();
  let total = 0, agree = 0, completeTotal = 0, completeAgree = 0;
  const disagreements: string[] = [];
  for (const file of files) {
    const { complete } = moduleOf(file);
    for (const c of readXtFile(file)) {
      const ours = ourVerdict(c);
      const ok = ours.verdict === c.expect;
      total++;
      if (ok) agree++;
      if (!complete) continue;
      completeTotal++;
      if (ok) completeAgree++;
      else disagreements.push(`${c.file}:${c.lineNo} [${c.family}] expected ${c.expect}: ${c.rule}${ours.why ? ` — we say ${ours.why}` : ' — we say OK'}`);
    }
  }
  const pct = (a: number, b: number) => ((100 * a) / Math.max(1, b)).toFixed(1);
  console.log(`all modules: ${agree}/${total} lines agree (${pct(agree, total)}%)`);
  console.log(`modules the knowledge base claims complete: ${completeAgree}/${completeTotal} lines agree (${pct(completeAgree, completeTotal)}%)`);
  for (const d of disagreements) console.log(`  disagree: ${d}`);
  assert.ok(completeAgree / completeTotal >= 0.98, `only ${pct(completeAgree, completeTotal)}% agreement on complete modules`);
});
