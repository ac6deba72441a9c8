// Reading iptables' extension syntax tests (xt-tests/*.t) and our verdict on a line.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Family } from '../../server/src/knowledge';
import { CORPUS } from './shared';

export interface XtCase {
  file: string;
  lineNo: number;
  family: Family;
  table: string;
  chains: string[];
  rule: string;
  expect: 'OK' | 'FAIL';
}

/** The cases of one .t file, for the families it is run with (libxt_: both). */
export function readXtFile(file: string): XtCase[] {
  const families: Family[] = file.startsWith('libipt_') ? ['ipv4'] : file.startsWith('libip6t_') ? ['ipv6']
    : file.startsWith('libxt_') || file === 'iptables.t' ? ['ipv4', 'ipv6'] : [];
  const cases: XtCase[] = [];
  let table = 'filter';
  let chains: string[] = [];
  readFileSync(path.join(CORPUS, 'xt-tests', file), 'utf8').split('\n').forEach((line, i) => {
    if (line.startsWith('*')) table = line.slice(1).trim();
    else if (line.startsWith(':')) chains = line.slice(1).trim().split(',');
    else if (line && !line.startsWith('#')) {
      const fields = line.split(';');
      if (fields.length < 3 || (fields[3] && fields[3] !== 'LEGACY')) return;
      const expect = fields[2] === 'OK' ? 'OK' : 'FAIL';
      for (const family of families) cases.push({ file, lineNo: i + 1, family, table, chains, rule: fields[0], expect });
    }
  });
  return cases;
}

/** Our verdict: does any chain get an error? Every chain must load for OK. */
export function ourVerdict(c: XtCase): { verdict: 'OK' | 'FAIL'; why?: string } {
  for (const chain of c.chains) {
    const error = ourError(c.family, c.table, chain, c.rule);
    if (error) return { verdict: 'FAIL', why: `${chain}: ${error}` };
  }
  return { verdict: 'OK' };
}

/** Our first error for `-A chain rule` in this table, if any. */
export function ourError(family: Family, table: string, chain: string, rule: string): string | undefined {
  const text = `*${table}\n-A ${chain} ${rule}\nCOMMIT\n`;
  return analyseSaveText(text, { ...DEFAULT_OPTIONS, family }).diagnostics.find((d) => d.severity === 'error')?.message;
}

