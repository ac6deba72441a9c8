// Every corpus file the real iptables-restore loads, converted to an nft
// script, is accepted by the real `nft -c -f` (syntax and the kernel's checks,
// in a namespace of our own); the rules we leave as comments are counted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { nftScript } from '../../server/src/nft/script';
import { detectFamily } from '../../server/src/syntax/saveFile';
import { NftNamespace, nftMissing } from '../support/nftables';
import { CORPUS, corpusMissing, loadingCorpusFiles } from '../support/shared';

const skip = corpusMissing() ?? nftMissing();

test('nft -c -f accepts our conversion of every corpus file iptables-restore loads', { skip, timeout: 10 * 60_000 }, () => {
  const files = loadingCorpusFiles();
  const ns = new NftNamespace('nft-corpus');
  const refused: string[] = [];
  let rules = 0, untranslated = 0;
  const reasons = new Map<string, number>();
  try {
    for (const name of files) {
      const text = readFileSync(path.join(CORPUS, name), 'utf8');
      const family = name.startsWith('save6/') ? 'ipv6' : detectFamily(text, name);
      const { ruleset } = analyseSaveText(text, { ...DEFAULT_OPTIONS, family, fileName: name });
      const script = nftScript([ruleset!], { source: name, text });
      rules += script.translated + script.untranslated;
      untranslated += script.untranslated;
      for (const m of script.text.matchAll(/^\t\t#   (`[^`]+`)/gm)) reasons.set(m[1], (reasons.get(m[1]) ?? 0) + 1);
      const r = ns.check(script.text);
      if (!r.ok) refused.push(`${name}: ${r.error.split('\n').slice(0, 3).join(' / ')}`);
    }
  } finally {
    ns.delete();
  }
  console.log(`nft -c: ${files.length - refused.length} of ${files.length} converted corpus files accepted; ${rules - untranslated} of ${rules} rules translated, ${untranslated} left as comments (${[...reasons].map(([k, n]) => `${k} ${n}`).join(', ')})`);
  assert.equal(files.length, 76, 'restore-verdicts.tsv lists 76 files that load');
  assert.deepEqual(refused, []);
});
