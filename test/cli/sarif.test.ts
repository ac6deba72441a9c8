// iptables-lint --format sarif: a log that the SARIF 2.1.0 schema accepts, with
// what GitHub code scanning needs to show an alert on the right word.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { CODES } from '../../server/src/diagnostics';
import { sarifErrors } from '../support/sarif';
import { REPO } from '../support/shared';

const CLI = path.join(REPO, 'server', 'out', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-sarif-'));
mkdirSync(path.join(dir, 'etc fw'));
writeFileSync(path.join(dir, 'etc fw', 'rules.v4'), '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -s ntp.example.net -j ACCEPT\nCOMMIT\n');
const outside = path.join(mkdtempSync(path.join(tmpdir(), 'iptables-sarif-out-')), 'nat.rules');
writeFileSync(outside, '*nat\n-A PREROUTING -j DROP\nCOMMIT\n');

interface Log {
  runs: {
    tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string }; help: { text: string; markdown: string } }[] } };
    results: {
      ruleId: string; ruleIndex: number; level: string; message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[];
    }[];
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations: { executionSuccessful: boolean; toolExecutionNotifications: { message: { text: string } }[] }[];
  }[];
}

function lintSarif(...files: string[]) {
  const r = spawnSync(CLI, ['--format', 'sarif', ...files], { encoding: 'utf8', cwd: dir });
  return { status: r.status, log: JSON.parse(r.stdout) as Log, stderr: r.stderr };
}

test('the SARIF log is valid SARIF 2.1.0 and places each result on its word', () => {
  const { status, log } = lintSarif('etc fw/rules.v4', outside);
  assert.equal(status, 1);
  assert.equal(sarifErrors(log), undefined);
  const [run] = log.runs;
  assert.equal(run.tool.driver.name, 'iptables-lint');
  assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, pathToFileURL(dir).href + '/');
  const results = run.results.map((r) => ({
    rule: run.tool.driver.rules[r.ruleIndex].id, ruleId: r.ruleId, level: r.level,
    ...r.locations[0].physicalLocation.artifactLocation, ...r.locations[0].physicalLocation.region,
  }));
  assert.deepEqual(results, [
    { rule: 'invalid-value', ruleId: 'invalid-value', level: 'error', uri: 'etc%20fw/rules.v4', uriBaseId: '%SRCROOT%', startLine: 3, startColumn: 25, endLine: 3, endColumn: 30 },
    { rule: 'machine-dependent', ruleId: 'machine-dependent', level: 'warning', uri: 'etc%20fw/rules.v4', uriBaseId: '%SRCROOT%', startLine: 4, startColumn: 13, endLine: 4, endColumn: 28 },
    // A file outside the working directory keeps its absolute place.
    { rule: 'nat-drop', ruleId: 'nat-drop', level: 'error', uri: pathToFileURL(outside).href, startLine: 2, startColumn: 18, endLine: 2, endColumn: 22 },
  ]);
  assert.equal(run.results[0].message.text, 'port `99999` is out of range 0-65535');
  assert.deepEqual(run.invocations.map((i) => i.executionSuccessful), [true]);
});

test('every diagnostic code is a rule with a description and help', () => {
  const { log } = lintSarif('etc fw/rules.v4');
  const rules = log.runs[0].tool.driver.rules;
  assert.deepEqual(rules.map((r) => r.id), Object.keys(CODES));
  const natDrop = rules.find((r) => r.id === 'nat-drop')!;
  assert.equal(natDrop.shortDescription.text, CODES['nat-drop']);
  assert.match(natDrop.help.markdown, /filter table/);
  for (const r of rules) assert.ok(r.help.text.length > 40 && r.help.text !== r.shortDescription.text, r.id);
});

test('an unreadable file is a failed invocation with its reason, and exit status 2', () => {
  const { status, log, stderr } = lintSarif('missing.rules', 'etc fw/rules.v4');
  assert.equal(status, 2);
  assert.equal(sarifErrors(log), undefined);
  assert.equal(stderr, 'missing.rules: error: no such file\n');
  const [inv] = log.runs[0].invocations;
  assert.equal(inv.executionSuccessful, false);
  assert.deepEqual(inv.toolExecutionNotifications.map((n) => n.message.text), ['no such file']);
  assert.equal(log.runs[0].results.length, 2);
});

test('the schema check itself refuses a result without a place', () => {
  const { log } = lintSarif('etc fw/rules.v4');
  (log.runs[0].results[0].locations[0].physicalLocation as { region: unknown }).region = { startLine: 0 };
  assert.match(sarifErrors(log) ?? 'accepted', /must be >= 1/);
});
