// A script is parsed and run a piece of text at a time (shell/bashParser.ts,
// ScriptPieces), so the tree of a long generated script is never whole in
// memory. Where a piece is cut must change nothing a user sees: every script
// here is analysed with pieces cut after every line and in one piece, and the
// diagnostics and the rulesets built must be the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseScript } from '../../server/src/analysis/script';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { BOUNDARIES, shellTestScripts } from '../support/shellScripts';

test('cut after every line or read in one piece, a script gets the same diagnostics and builds the same rules', async () => {
  const parser = await nodeBashParser();
  const seen = (text: string, pieceLength: number) => {
    const a = analyseScript(text, parser, { ...DEFAULT_OPTIONS, pieceLength });
    return {
      diagnostics: a.diagnostics.map((d) => `${d.span.line + 1}:${d.span.start + 1}-${d.span.end + 1} ${d.severity} ${d.code}: ${d.message}`),
      rules: `${rulesetText(a.rulesets.ipv4)}\n${rulesetText(a.rulesets.ipv6)}`,
    };
  };
  const all = shellTestScripts();
  let errors = 0;
  for (const { name, text } of all) {
    const whole = seen(text, text.length + 1);
    errors += whole.diagnostics.filter((d) => / error /.test(d)).length;
    assert.deepEqual(seen(text, 1), whole, name);
  }
  // The scripts are not trivially alike: they find errors, and at the places the cuts fall on.
  assert.ok(all.length > 40 && errors > 20, `${all.length} scripts, ${errors} errors`);
});

test('the boundary scripts: what a cut could break is found at its line', async () => {
  const parser = await nodeBashParser();
  const lines = (name: string, code: string) =>
    analyseScript(BOUNDARIES[name], parser, { ...DEFAULT_OPTIONS, pieceLength: 1 }).diagnostics.filter((d) => d.code === code).map((d) => d.span.line + 1);
  // The NOWHERE inside the single-quoted string is text, not a command.
  assert.deepEqual(lines('a single-quoted string over lines', 'undefined-jump'), []);
  assert.deepEqual(lines('a single-quoted string over lines', 'invalid-value'), [5]);
  assert.deepEqual(lines('a heredoc', 'undefined-jump'), [4]);
  assert.deepEqual(lines('a function defined early, called late', 'invalid-value'), [3]);
  assert.deepEqual(lines('exit, then commands that never run', 'not-reached'), [6, 7, 8]);
  assert.deepEqual(lines('set -e and a failing command', 'not-reached'), [4]);
});
