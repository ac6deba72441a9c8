// Reusing the commands of unchanged lines must never change what an analysis
// says: after each edit, the analysis with reuse equals a fresh one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { ParsedLines } from '../../server/src/syntax/parsedLines';
import { parseSaveFile, readSaveFile } from '../../server/src/syntax/saveFile';
import type { CommandLine } from '../../server/src/syntax/saveFile';
import { REPO } from '../support/shared';

const MISTAKES = readFileSync(path.join(REPO, 'examples', 'mistakes.rules'), 'utf8');

function commandOnLine(text: string, reuse: ParsedLines, line: number) {
  const { file } = analyseSaveText(text, { ...DEFAULT_OPTIONS, reuse });
  return file!.blocks.flatMap((b) => b.statements).find((s): s is CommandLine => s.kind === 'command' && s.line === line)!.command;
}

test('after every kind of edit, reusing parsed lines gives the same diagnostics as parsing afresh', () => {
  const lines = MISTAKES.split('\n');
  const rule = lines.findIndex((l) => l.startsWith('-A '));
  const header = lines.findIndex((l) => l === '*filter');
  const edits: [string, string][] = [
    ['a digit changed', MISTAKES.replace('--dport 80800', '--dport 8080')],
    ['a line inserted at the top, moving every line down', '# new\n' + MISTAKES],
    ['a rule removed', lines.filter((_, i) => i !== rule).join('\n')],
    ['the table of a block changed', lines.map((l, i) => (i === header ? '*nat' : l)).join('\n')],
    ['a quote left open', MISTAKES.replace('-A INPUT', '-A INPUT -m comment --comment "open')],
    ['a counter prefix added', lines.map((l, i) => (i === rule ? '[1:2] ' + l : l)).join('\n')],
    ['back to the original', MISTAKES],
  ];
  const reuse = new ParsedLines();
  analyseSaveText(MISTAKES, { ...DEFAULT_OPTIONS, reuse });
  for (const [what, text] of edits) {
    if (what !== 'back to the original') assert.notEqual(text, MISTAKES, `${what}: the edit changes the text`);
    const withReuse = analyseSaveText(text, { ...DEFAULT_OPTIONS, reuse }).diagnostics;
    const fresh = analyseSaveText(text, DEFAULT_OPTIONS).diagnostics;
    assert.deepEqual(withReuse, fresh, what);
  }
});

test('an unchanged line keeps its parsed command; the edited line is parsed again', () => {
  const text = '*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 80 -j ACCEPT\nCOMMIT\n';
  const reuse = new ParsedLines();
  const before = [commandOnLine(text, reuse, 1), commandOnLine(text, reuse, 2)];
  const edited = text.replace('--dport 80', '--dport 81');
  const after = [commandOnLine(edited, reuse, 1), commandOnLine(edited, reuse, 2)];
  assert.equal(after[0], before[0]);
  assert.notEqual(after[1], before[1]);
  assert.equal(after[1].rule.matches[0].options[0].values[0].text, '81');
});

test('a parse stopped half way leaves the lines it read for the next one', () => {
  const rules = Array.from({ length: 5000 }, (_, i) => `-A INPUT -s 10.0.${i >> 8}.${i & 255} -j ACCEPT`);
  const text = ['*filter', ':INPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');
  const reuse = new ParsedLines();
  let parsed = 0;
  // A statement comes with its command only when its line was parsed, not reused.
  const visit = { block: () => {}, statement: (_: unknown, command?: unknown) => { if (command) parsed++; } };
  // The first pause comes after a few thousand lines; the document changes there.
  assert.equal(readSaveFile(text, { reuse, visit }).next().done, false);
  const readBeforeTheEdit = parsed;
  assert.ok(readBeforeTheEdit > 1000 && readBeforeTheEdit < 5000, `${readBeforeTheEdit} lines read before the pause`);
  parsed = 0;
  const edited = text.replace('-s 10.0.19.135 ', '-s 10.0.19.136 ');
  const file = parseSaveFile(edited, { reuse, visit });
  assert.equal(parsed, 5000 - readBeforeTheEdit, 'only the lines the stopped parse did not reach are parsed');
  const statements = file.blocks[0].statements.filter((s): s is CommandLine => s.kind === 'command');
  assert.equal(statements.length, 5000);
  assert.equal(statements[4999].text, rules[4999].replace('10.0.19.135', '10.0.19.136'));
});
