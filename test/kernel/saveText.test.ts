// The canonical printer against the real iptables, one rule at a time: every
// rule iptables' own extension tests expect to load, and the rules of
// savedRules.txt, are added in a network namespace of our own and read back
// with `iptables -S`; what we print for the rule must be the same text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { BUILTIN_CHAIN_NAMES, type Family } from '../../server/src/knowledge';
import { rulesetText } from '../../server/src/model/saveText';
import { iptablesMissing, Namespace } from '../support/iptables';
import { CORPUS, corpusMissing } from '../support/shared';
import { readXtFile } from '../support/xtTests';

interface Probe {
  family: Family;
  table: string;
  chain: string;
  rule: string;
}

function probes(): Probe[] {
  const out: Probe[] = [];
  if (!corpusMissing()) {
    for (const file of readdirSync(path.join(CORPUS, 'xt-tests')).filter((f) => f.endsWith('.t')).sort()) {
      for (const c of readXtFile(file)) if (c.expect === 'OK') out.push({ family: c.family, table: c.table, chain: c.chains[0], rule: c.rule });
    }
  }
  for (const line of readFileSync(path.join(__dirname, 'savedRules.txt'), 'utf8').split('\n')) {
    const m = /^(ipv4|ipv6) (\S+) (\S+) (.*)$/.exec(line);
    if (m) out.push({ family: m[1] as Family, table: m[2], chain: m[3], rule: m[4] });
  }
  return out;
}

/** What iptables -S prints for each rule that loads (undefined where it does not). */
function kernelTexts(family: Family, list: Probe[]): (string | undefined)[] {
  const tool = family === 'ipv4' ? 'iptables-legacy' : 'ip6tables-legacy';
  const ns = new Namespace('savetext');
  try {
    const script = list.map((p, i) => {
      const create = BUILTIN_CHAIN_NAMES.has(p.chain) ? '' : `${tool} -w -t ${p.table} -N ${p.chain} 2>/dev/null; `;
      return `${create}if ${tool} -w -t ${p.table} -A ${p.chain} ${p.rule} 2>/dev/null; then echo "@@${i}"; ${tool} -w -t ${p.table} -S ${p.chain} | tail -n 1; ${tool} -w -t ${p.table} -F ${p.chain}; fi\n`;
    }).join('');
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'bash', '-s'], {
      input: script, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, XTABLES_LOCKFILE: `/tmp/savetext-${process.pid}.lock` },
    });
    const texts: (string | undefined)[] = new Array(list.length).fill(undefined);
    let at = -1;
    for (const line of r.stdout.split('\n')) {
      const m = /^@@(\d+)$/.exec(line);
      if (m) at = Number(m[1]);
      else if (at >= 0 && line !== '') texts[at] = line;
    }
    return texts;
  } finally {
    ns.delete();
  }
}

function ours(p: Probe): string {
  const chain = BUILTIN_CHAIN_NAMES.has(p.chain) ? '' : `:${p.chain} - [0:0]\n`;
  const ruleset = analyseSaveText(`*${p.table}\n${chain}-A ${p.chain} ${p.rule}\nCOMMIT\n`, { ...DEFAULT_OPTIONS, family: p.family }).ruleset;
  return (ruleset ? rulesetText(ruleset) : '').split('\n').find((l) => l.startsWith('-A ')) ?? '';
}

/**
 * Rules we print otherwise, and why: what the kernel keeps there is not
 * worth modelling yet (each is rare in real rule sets).
 */
const KNOWN: readonly [RegExp, string][] = [
  [/-m mh\b/, 'Mobility Header type names and ranges are printed as written'],
  [/--(uid|gid)-owner [a-z]/, 'user and group names are those of the machine that loads the rules'],
  [/-m srh .*--srh-[pnl]sid/, 'srh keeps the address under its mask unmasked'],
  [/-m ipv6header/, 'extension header names are printed as written'],
  [/-j HMARK .*--hmark-tuple (?!ct)/, 'HMARK stores a tuple as masks'],
  [/--queue-balance \d+:$/, 'an open queue range ends at 65535 in the kernel'],
];

test('single rules: what we print is what iptables -S prints after adding the rule', { skip: iptablesMissing() }, () => {
  const list = probes();
  const problems: string[] = [];
  let loaded = 0;
  let known = 0;
  for (const family of ['ipv4', 'ipv6'] as const) {
    const mine = list.filter((p) => p.family === family);
    kernelTexts(family, mine).forEach((kernel, i) => {
      if (kernel === undefined) return;
      loaded++;
      const p = mine[i];
      const printed = ours(p);
      if (printed === kernel) return;
      if (KNOWN.some(([pattern]) => pattern.test(`-A ${p.chain} ${p.rule}`))) known++;
      else problems.push(`${family} ${p.table} ${p.rule}\n  kernel: ${kernel}\n  ours:   ${printed}`);
    });
  }
  console.log(`rules the kernel took: ${loaded}; printed exactly: ${loaded - known - problems.length}; known differences: ${known}`);
  // Without the shared corpus only test/kernel/savedRules.txt is probed (215 rules; a few need modules a machine may lack).
  const floor = corpusMissing() ? 200 : 1000;
  assert.ok(loaded > floor, `only ${loaded} rules loaded`);
  assert.deepEqual(problems, []);
});
