// The TextMate grammars, through vscode-tmgrammar-test: the scope assertions written in the
// *.test.iptables / *.test.sh fixtures beside this file, and snapshots of whole files under
// snapshots/ (reviewed by hand when written; UPDATE_GRAMMAR_SNAPSHOTS=1 rewrites them).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Registry } from 'vscode-textmate';
import { getVSCodeTokens, renderSnap } from 'vscode-tmgrammar-test/dist/snapshot/index';
import { parseGrammarTestCase, runGrammarTestCase } from 'vscode-tmgrammar-test/dist/unit/index';
import { contributedGrammars, createRegistry, SHELL_SCOPE, shellGrammarMissing } from '../support/grammars';
import { REPO } from '../support/shared';

const DIR = path.join(REPO, 'test', 'grammar');
const SNAPSHOTS = path.join(DIR, 'snapshots');

// vscode-tmgrammar-test types its registry with its own, older vscode-textmate; ours is the
// one VS Code uses and has the same loadGrammar/tokenizeLine.
type ToolRegistry = Parameters<typeof runGrammarTestCase>[0];
const forTool = (registry: Registry) => registry as unknown as ToolRegistry;

/** One line per failed assertion: where, which token, and its scopes. */
async function assertionFailures(registry: Registry, file: string): Promise<string[]> {
  const testCase = parseGrammarTestCase(readFileSync(file, 'utf8'));
  const failures = await runGrammarTestCase(forTool(registry), testCase);
  return failures.map((f) => {
    const text = testCase.source[f.srcLine].slice(f.start, f.end);
    const missing = f.missing.length ? ` missing ${f.missing.join(' ')}` : '';
    const unexpected = f.unexpected.length ? ` unexpected ${f.unexpected.join(' ')}` : '';
    return `${path.basename(file)}:${f.line + 1}: \`${text}\`${missing}${unexpected} (has ${f.actual.join(' ')})`;
  });
}

test('package.json names the grammars the build writes', () => {
  const [save, injection] = contributedGrammars();
  for (const g of [save, injection]) {
    const written = JSON.parse(readFileSync(path.join(REPO, g.path), 'utf8'));
    assert.equal(written.scopeName, g.scopeName, g.path);
  }
  assert.equal((save as { language?: string }).language, 'iptables');
  assert.deepEqual(injection.injectTo, [SHELL_SCOPE]);
});

for (const name of readdirSync(DIR).filter((f) => /\.test\.(iptables|sh)$/.test(f)).sort()) {
  test(`scope assertions in ${name}`, async (t) => {
    const missing = name.endsWith('.sh') ? await shellGrammarMissing() : undefined;
    if (missing) return t.skip(missing);
    assert.deepEqual(await assertionFailures(await createRegistry(), path.join(DIR, name)), []);
  });
}

for (const name of readdirSync(SNAPSHOTS).filter((f) => !f.endsWith('.snap')).sort()) {
  test(`snapshot of ${name}`, async (t) => {
    const shell = name.endsWith('.sh');
    const missing = shell ? await shellGrammarMissing() : undefined;
    if (missing) return t.skip(missing);
    const source = readFileSync(path.join(SNAPSHOTS, name), 'utf8');
    const actual = renderSnap(await getVSCodeTokens(forTool(await createRegistry()), shell ? SHELL_SCOPE : 'source.iptables', source));
    const snap = path.join(SNAPSHOTS, `${name}.snap`);
    if (process.env.UPDATE_GRAMMAR_SNAPSHOTS === '1') writeFileSync(snap, actual + '\n');
    assert.ok(existsSync(snap), `${snap} is missing: run the test with UPDATE_GRAMMAR_SNAPSHOTS=1, then review it`);
    assert.equal(actual + '\n', readFileSync(snap, 'utf8'));
  });
}
