// npm run bench: parse + full analysis in-process, next to the whole-process
// time of the real `iptables-legacy-restore --test` on the same files.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { findDeadRules } from '../../server/src/analysis/deadRules';
import { rulesetFromSave } from '../../server/src/model/fromSave';
import { parseSaveFile } from '../../server/src/syntax/saveFile';
import { iptablesMissing, Namespace } from '../support/iptables';
import { CORPUS } from '../support/shared';
import { generateRuleset } from './generate';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeRuns(runs: number, run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The parse alone, and the dead-rule review alone (a review iptables-restore does not make). */
function stages(text: string, runs: number): { parse: number; deadRules: number } {
  const parse = timeRuns(runs, () => parseSaveFile(text));
  const ruleset = rulesetFromSave(parseSaveFile(text), DEFAULT_OPTIONS, []);
  return { parse, deadRules: timeRuns(runs, () => findDeadRules(ruleset, [])) };
}

function timeRestore(ns: Namespace | undefined, text: string, runs: number): number | undefined {
  if (!ns) return undefined;
  ns.restore(text, 'ipv4', true);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'iptables-legacy-restore', '--test'], { input: text });
    times.push(performance.now() - t0);
    if (r.status !== 0) return undefined;
  }
  return median(times);
}

const inputs: { name: string; text: string }[] = [];
const gfw = path.join(CORPUS, 'save', 'gfw-list-ss-redir.rules');
if (existsSync(gfw)) inputs.push({ name: 'gfw-list-ss-redir.rules (8.5k rules)', text: readFileSync(gfw, 'utf8') });
else console.log(`(skipping gfw-list-ss-redir.rules: ${gfw} is not present)`);
inputs.push({ name: 'generated (50k rules)', text: generateRuleset(50_000) });

const missing = iptablesMissing();
const ns = missing ? undefined : new Namespace('ipt-bench');
if (missing) console.log(`(no iptables-restore timing: ${missing})`);
try {
  console.log('input                                  | ours: parse+analysis | iptables-legacy-restore --test (whole process) | ratio | without the dead-rule review');
  for (const { name, text } of inputs) {
    const ours = timeRuns(41, () => analyseSaveText(text, DEFAULT_OPTIONS));
    const theirs = timeRestore(ns, text, 15);
    const { parse, deadRules } = stages(text, 21);
    const ratio = (ms: number) => theirs ? `${(ms / theirs).toFixed(2)}x` : '-';
    console.log(`${name.padEnd(38)} | ${ours.toFixed(1).padStart(17)} ms | ${(theirs ? theirs.toFixed(1) + ' ms' : 'n/a').padStart(46)} | ${ratio(ours).padStart(5)} | ${(ours - deadRules).toFixed(1)} ms, ${ratio(ours - deadRules)}`);
    console.log(`${''.padEnd(38)}   of which: parse ${parse.toFixed(1)} ms, dead-rule review ${deadRules.toFixed(1)} ms`);
  }
} finally {
  ns?.delete();
}
