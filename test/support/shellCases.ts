// Shell firewall cases: a script plus the ruleset the kernel really built from
// it (recorded by running it in a network namespace: expected.v4/expected.v6),
// and optionally setup.ip, the interfaces it was recorded with.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Family } from '../../server/src/knowledge';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { analyseScript, ScriptAnalysis } from '../../server/src/analysis/script';
import type { Machine } from '../../server/src/shell/utilities';

export interface ShellCase {
  name: string;
  dir: string;
}

export function shellCases(root: string): ShellCase[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => existsSync(path.join(root, d, 'script.sh'))).sort().map((name) => ({ name, dir: path.join(root, name) }));
}

/** The interfaces and addresses setup.ip creates (with lo), for `ip addr` in the script. */
function machineOf(dir: string): Machine | undefined {
  const file = path.join(dir, 'setup.ip');
  if (!existsSync(file)) return undefined;
  const interfaces: Machine['interfaces'] = [{ name: 'lo', addresses: ['127.0.0.1/8'] }];
  const add = (name: string) => interfaces.find((i) => i.name === name) ?? (interfaces.push({ name, addresses: [] }), interfaces[interfaces.length - 1]);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    for (const m of line.matchAll(/(?:link add|dev) (\S+)|peer name (\S+)/g)) add(m[1] ?? m[2]);
    const a = /^addr add (\S+) dev (\S+)/.exec(line);
    if (a) add(a[2]).addresses.push(a[1]);
  }
  return { interfaces };
}

export async function analyseCase(c: ShellCase): Promise<ScriptAnalysis> {
  const parser = await nodeBashParser();
  return analyseScript(readFileSync(path.join(c.dir, 'script.sh'), 'utf8'), parser, { ...DEFAULT_OPTIONS, machine: machineOf(c.dir) });
}

/** What we print for the script's ruleset, and what iptables-save printed after the real run (as recorded). */
export function compareRulesets(c: ShellCase, analysis: ScriptAnalysis): { family: Family; ours: string; kernel: string }[] {
  return (['ipv4', 'ipv6'] as const).map((family) => {
    const file = path.join(c.dir, family === 'ipv4' ? 'expected.v4' : 'expected.v6');
    return { family, ours: rulesetText(analysis.rulesets[family]), kernel: existsSync(file) ? readFileSync(file, 'utf8') : '' };
  });
}
