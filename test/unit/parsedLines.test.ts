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
  return file!.blocks.flatMap((b) => b.statements).find((s): s is CommandLine => s.kind !== 'chain' && s.line === line)!.command;
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
  const statements = file.blocks[0].statements.filter((s): s is CommandLine => s.kind !== 'chain');
  assert.equal(statements.length, 5000);
  assert.equal(statements[4999].text, rules[4999].replace('10.0.19.135', '10.0.19.136'));
});

test('told of every edit, the parse reuses the lines it was not told of, and compares those after a line added', () => {
  const rules = Array.from({ length: 50 }, (_, i) => `-A INPUT -s 10.0.0.${i} -j ACCEPT`);
  const text = ['*filter', ':INPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');
  const reuse = new ParsedLines(true);
  const commands = (t: string) => parseSaveFile(t, { reuse }).blocks[0].statements.filter((s): s is CommandLine => s.kind !== 'chain');
  const first = commands(text);
  // Line 12 (rule 10) edited in place.
  reuse.edited(12, 12, 1);
  const edited = text.replace('-s 10.0.0.10 ', '-s 10.0.0.99 ');
  const second = commands(edited);
  assert.equal(second[10].text, '-A INPUT -s 10.0.0.99 -j ACCEPT');
  assert.notEqual(second[10], first[10]);
  assert.ok(second.every((s, i) => i === 10 || s === first[i]), 'every other line reused');
  // A line added before rule 20: the rules from there on moved down one line, so they are read again.
  reuse.edited(22, 22, 2);
  const added = edited.replace('-A INPUT -s 10.0.0.20 ', '-A INPUT -j DROP\n-A INPUT -s 10.0.0.20 ');
  const third = commands(added);
  assert.equal(third.length, 51);
  assert.ok(third.slice(0, 20).every((s, i) => s === second[i]), 'the lines above are reused');
  assert.deepEqual(third.slice(21).map((s) => [s.line, s.text]), second.slice(20).map((s) => [s.line + 1, s.text]));
  assert.deepEqual(parseSaveFile(added, { reuse }).diagnostics, parseSaveFile(added).diagnostics);
});
