// `iptables-trace --test`: runs the saved packet tests (scenarios with an
// `expect`) against the rule files and scripts they belong to, and reports
// them as text, JSON or JUnit XML for CI. Exit status 1 when one fails.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import type { Family } from '../knowledge';
import type { Ruleset } from '../model/ruleset';
import { PacketTestResult, runPacketTest } from '../services/packetTests';
import { rulesPathOf, SAMPLES_DIR, testName } from '../services/testFiles';
import { Arguments, UsageError } from './arguments';
import { loadRules, LoadedRules, print, printError, readError, readText, terminalText } from './input';
import { t } from '../l10n';

export const packetTestsUsage = (): string => t(`iptables-trace --test [DIR | FILE.json...] [--format text|json|junit] [--external CHAIN]...

Packet tests (--test): each JSON file is a scenario with an "expect" (fate, hits,
inInterface, outInterface, rejectWith, packetOut), saved by the trace panel's
"Save as test" in .vscode/iptables-trace/<rule file>/<name>.json, or naming its
rule file in a "rules" field (relative to the test). Without DIR or FILE, the
tests are those of ./{0}. --format json prints one entry per test
({file, name, rules, passed, error, failures}); junit prints JUnit XML for CI.`, SAMPLES_DIR);

interface TestArgs {
  format: 'text' | 'json' | 'junit';
  external: string[];
  family?: Family;
  paths: string[];
}

function parseTestArgs(argv: string[]): TestArgs {
  const args: TestArgs = { format: 'text', external: [...DEFAULT_OPTIONS.externalChains], paths: [] };
  const words = new Arguments(argv);
  for (let word = words.next(); word !== undefined; word = words.next()) {
    if (word === '--format') {
      const f = words.value();
      if (f !== 'text' && f !== 'json' && f !== 'junit') throw new UsageError(t('--format takes text, json or junit with --test, not `{0}`', f));
      args.format = f;
    } else if (word === '--external') args.external.push(words.value());
    else if (word === '--family') args.family = words.family();
    else if (word.startsWith('-')) throw new UsageError(t('{0} does not go with --test', word));
    else args.paths.push(word);
  }
  return args;
}

/** The JSON files under a folder, in name order. */
function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return jsonFiles(p);
    return e.isFile() && e.name.endsWith('.json') ? [p] : [];
  });
}

/** A sample the panel saved without an expectation is a packet to trace, not a test. */
function isSample(file: string): boolean {
  try {
    const json = JSON.parse(readText(file, file));
    return typeof json === 'object' && json !== null && !('expect' in json);
  } catch {
    return false;
  }
}

/** The tests named, or found in the folders named: a folder's samples without `expect` are left out. */
function findTests(paths: string[]): string[] {
  const roots = paths.length ? paths : [SAMPLES_DIR];
  return roots.flatMap((p) => {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new UsageError(readError(e, p) + (paths.length ? '' : t(' (run in the folder that holds .vscode, or name the tests)')));
    }
    return isDir ? jsonFiles(p).filter((f) => !isSample(f)) : [p];
  });
}

export interface TestReport extends PacketTestResult {
  /** The test file, as found. */
  file: string;
  /** The rule file or script it ran against. */
  rules: string | null;
}

async function runAll(files: string[], args: TestArgs): Promise<TestReport[]> {
  const loaded = new Map<string, Promise<LoadedRules | string>>();
  const reports: TestReport[] = [];
  for (const file of files) {
    const name = testName(file);
    let json: unknown;
    try {
      json = JSON.parse(readText(file, file));
    } catch (e) {
      const error = e instanceof SyntaxError ? t('not valid JSON: {0}', e.message) : readError(e, file);
      reports.push({ file, rules: null, name, passed: false, error, failures: [], expected: [], actual: [] });
      continue;
    }
    const rulesPath = rulesPathOf(path.resolve(file), json);
    if (!rulesPath) {
      const error = t('which rules does it test? Save it as {0}/<rule file>/{1}.json or give "rules": "path/to/rules.v4"', SAMPLES_DIR, name);
      reports.push({ file, rules: null, name, passed: false, error, failures: [], expected: [], actual: [] });
      continue;
    }
    const rulesShown = path.relative('.', rulesPath) || rulesPath;
    if (!loaded.has(rulesPath)) loaded.set(rulesPath, loadRules(rulesPath, { external: args.external, family: args.family }));
    const rules = await loaded.get(rulesPath)!;
    if (typeof rules === 'string') {
      reports.push({ file, rules: rulesShown, name, passed: false, error: t('its rules cannot be read: {0}', rules), failures: [], expected: [], actual: [] });
      continue;
    }
    const rulesets = rules.analysis.rulesets as Partial<Record<Family, Ruleset>>;
    reports.push({ file, rules: rulesShown, ...runPacketTest(name, json, rulesets, rules.errors) });
  }
  return reports;
}

function textReport(reports: TestReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const status = r.error ? 'ERROR' : r.passed ? 'PASS ' : 'FAIL ';
    out.push(`${status} ${r.rules ?? '?'}  ${r.name}${r.passed ? '' : `  (${r.file})`}`);
    if (r.error) out.push(`        ${r.error}`);
    for (const f of r.failures) out.push(t('        {0}: expected {1}, got {2}', f.field, f.expected, f.actual));
    if (r.failures.length) out.push(...r.actual.slice(r.actual.indexOf('') + 1).map((l) => `        ${l}`));
  }
  const failed = reports.filter((r) => !r.passed && !r.error).length;
  const errors = reports.filter((r) => r.error).length;
  out.push('', t('{0}: {1} passed, {2} failed{3}', reports.length === 1 ? t('1 test') : t('{0} tests', reports.length), reports.length - failed - errors, failed, errors ? t(', {0} could not run', errors) : ''));
  return out.join('\n') + '\n';
}

function xml(text: string): string {
  // XML 1.0 has no place for most control characters, even escaped.
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JUnit XML as CI systems read it: one suite per rule file, one case per test. */
function junitReport(reports: TestReport[]): string {
  const suites = new Map<string, TestReport[]>();
  for (const r of reports) suites.set(r.rules ?? t('(no rules)'), [...(suites.get(r.rules ?? t('(no rules)')) ?? []), r]);
  const count = (rs: TestReport[]) => `tests="${rs.length}" failures="${rs.filter((r) => !r.passed && !r.error).length}" errors="${rs.filter((r) => r.error).length}"`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="iptables packet tests" ${count(reports)}>`];
  for (const [rules, rs] of suites) {
    out.push(`  <testsuite name="${xml(rules)}" ${count(rs)}>`);
    for (const r of rs) {
      const head = `    <testcase name="${xml(r.name)}" classname="${xml(rules)}" file="${xml(r.file)}"`;
      if (r.passed) out.push(`${head}/>`);
      else if (r.error) out.push(`${head}>`, `      <error message="${xml(r.error)}"/>`, '    </testcase>');
      else {
        const message = r.failures.map((f) => t('{0}: expected {1}, got {2}', f.field, f.expected, f.actual)).join('; ');
        out.push(`${head}>`, `      <failure message="${xml(message)}">${xml(['expected:', ...r.expected, '', 'actual:', ...r.actual].join('\n'))}</failure>`, '    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** `iptables-trace --test ...`: 0 all passed, 1 a test failed or could not run, 2 usage error. */
export async function runPacketTestsCommand(argv: string[], usage: string): Promise<number> {
  let args: TestArgs;
  let files: string[];
  try {
    args = parseTestArgs(argv);
    files = findTests(args.paths);
    if (files.length === 0) throw new UsageError(t('no packet tests (*.json) in {0}', args.paths.join(', ') || SAMPLES_DIR));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    printError(t('iptables-trace: {0}\n\n{1}\n', e.message, usage));
    return 2;
  }
  const reports = await runAll(files, args);
  if (args.format === 'json') {
    const entries = reports.map(({ file, name, rules, passed, error, failures }) => ({ file, name, rules, passed, ...(error ? { error } : {}), failures }));
    print(JSON.stringify(entries, null, 2) + '\n');
  } else print(args.format === 'junit' ? junitReport(reports) : terminalText(textReport(reports)));
  return reports.every((r) => r.passed) ? 0 : 1;
}
