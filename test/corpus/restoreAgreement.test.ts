// Our diagnostics against the real iptables-restore on every corpus file:
// a file it loads gets no error; a file it rejects for a reason written in the
// file gets an error on the line it names; a rejection that depends on the
// machine (ipset sets, DNS, chains created by other tools) gets a warning there,
// not an error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { looksLikeHostName } from '../../server/src/knowledge/addresses';
import { detectFamily } from '../../server/src/syntax/saveFile';
import { CORPUS, corpusMissing, corpusSaveFiles } from '../support/shared';
import { iptablesMissing, Namespace, RestoreVerdict } from '../support/iptables';

type Oracle = { source: string; verdicts: Map<string, RestoreVerdict> };

/** The real iptables-restore --test in a namespace of our own, or the recorded verdicts. */
function oracle(): Oracle | string {
  const files = corpusSaveFiles();
  if (!iptablesMissing()) {
    const ns = new Namespace('ipt-agree');
    try {
      const verdicts = new Map<string, RestoreVerdict>();
      for (const f of files) {
        const text = readFileSync(f.path, 'utf8');
        verdicts.set(f.name, ns.restore(text, familyOf(f.name, text), true));
      }
      return { source: 'iptables-legacy-restore --test (run now, in a private network namespace)', verdicts };
    } finally {
      ns.delete();
    }
  }
  const tsv = path.join(CORPUS, 'restore-verdicts.tsv');
  try {
    const verdicts = new Map<string, RestoreVerdict>();
    for (const row of readFileSync(tsv, 'utf8').split('\n').slice(1)) {
      const [file, loads, line, message] = row.split('\t');
      if (file) verdicts.set(file, { loads: loads === 'yes', line: line ? Number(line) : undefined, message });
    }
    return { source: `${tsv} (recorded; ${iptablesMissing()})`, verdicts };
  } catch {
    return `neither iptables (${iptablesMissing()}) nor ${tsv} is available`;
  }
}

function familyOf(name: string, text: string) {
  return name.startsWith('save6/') ? 'ipv6' : detectFamily(text, name);
}

/** Rejections caused by the machine rather than the file. */
function machineDependent(message: string): boolean {
  const host = /host\/network `([^']*)' not found/.exec(message);
  if (host) return looksLikeHostName(host[1]);
  return /Set .* doesn't exist/.test(message) || /Couldn't load target `(KUBE-|ufw6?-|DOCKER)/.test(message);
}

const skip = corpusMissing();

test('agreement with the real iptables-restore on the corpus', { skip }, () => {
  const o = oracle();
  if (typeof o === 'string') {
    console.log(`skipped: ${o}`);
    return;
  }
  const problems: string[] = [];
  let loaded = 0, loadedClean = 0, rejectedInFile = 0, rejectedFlagged = 0, rejectedMachine = 0, machineWarned = 0;
  for (const f of corpusSaveFiles()) {
    const verdict = o.verdicts.get(f.name);
    if (!verdict) continue;
    const text = readFileSync(f.path, 'utf8');
    const { diagnostics } = analyseSaveText(text, { ...DEFAULT_OPTIONS, family: familyOf(f.name, text), fileName: f.name });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (verdict.loads) {
      loaded++;
      if (errors.length === 0) loadedClean++;
      else problems.push(`${f.name} loads, but we report ${errors.length} error(s), first: ${errors[0].span.line + 1}: ${errors[0].message}`);
      continue;
    }
    const line = verdict.line!;
    const onLine = diagnostics.filter((d) => d.span.line + 1 === line);
    if (machineDependent(verdict.message ?? '')) {
      rejectedMachine++;
      const worst = onLine.filter((d) => d.severity === 'error');
      if (worst.length === 0 && onLine.some((d) => d.code === 'machine-dependent' || d.code === 'undefined-jump')) machineWarned++;
      else problems.push(`${f.name}:${line} is rejected by the machine (${verdict.message}); we give ${worst.length ? 'an error: ' + worst[0].message : 'no warning'}`);
      continue;
    }
    rejectedInFile++;
    if (onLine.some((d) => d.severity === 'error')) rejectedFlagged++;
    else problems.push(`${f.name}:${line} is rejected (${verdict.message}); we report no error on that line`);
  }
  console.log(`oracle: ${o.source}`);
  console.log(`files iptables-restore loads: ${loaded}, with no error from us: ${loadedClean}`);
  console.log(`files it rejects for a reason in the file: ${rejectedInFile}, with our error on its line: ${rejectedFlagged}`);
  console.log(`files it rejects for a reason of the machine: ${rejectedMachine}, with our warning or note there and no error: ${machineWarned}`);
  assert.deepEqual(problems, []);
});
