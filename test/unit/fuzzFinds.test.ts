// The smallest inputs the fuzz harness (test/fuzz, npm run fuzz) found a
// problem with, each kept as a unit test of what the user sees instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument } from '../../server/src/analysis/document';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { completions } from '../../server/src/services/completion';
import { documentSymbols } from '../../server/src/services/symbols';

test('a binary file whose first line is empty: the refusal spans that empty line, not past its end', async () => {
  const a = await analyseDocument('\n\0\n', 'save', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.span]), [['binary-file', { line: 0, start: 0, end: 0 }]]);
  const b = await analyseDocument('\niptables -N web\niptables \0\n', 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(b.diagnostics.map((d) => [d.code, d.span]), [['binary-file', { line: 0, start: 0, end: 0 }]]);
  // The first line ends at a lone carriage return too, as the editor counts lines.
  const c = await analyseDocument('ab\rc\0', 'save', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(c.diagnostics.map((d) => d.span), [{ line: 0, start: 0, end: 2 }]);
});

test('completion asked past the end of a line answers for the line\'s end (as LSP says), with ranges on the line', async () => {
  const text = '*raw\n-A tcp\n';
  const analysis = await analyseDocument(text, 'save', DEFAULT_OPTIONS, nodeBashParser);
  const past = completions({ text, kind: 'save', analysis }, { line: 1, character: 12 });
  const end = completions({ text, kind: 'save', analysis }, { line: 1, character: 6 });
  assert.deepEqual(past, end);
  assert.ok(past.items.length > 0 && past.items.every((i) => !i.range || i.range.end <= 6));
});

test('an iptables-restore that eval runs is reported at the eval, not at a place in the evaluated text', async () => {
  const a = await analyseDocument('#!/bin/bash\niptables -N web\neval "$x iptables-restore"\n', 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(a.diagnostics.filter((d) => d.code === 'machine-dependent' && d.message.startsWith('what this iptables-restore')).map((d) => d.span), [{ line: 2, start: 0, end: 26 }]);
});

test('a command run inside a heredoc\'s $( ) is reported at the heredoc\'s command, not at a place of the re-parsed text', async () => {
  const a = await analyseDocument('#!/bin/bash\niptables -N web\ncat <<EOF\n$(iptables -A INPUT -j NOWHERE)\nEOF\n', 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.span]), [['undefined-jump', { line: 2, start: 0, end: 9 }]]);
});

test('an outline entry of a script word split from an unclosed quote across a lone \\r stays on its line, never ending before it starts', async () => {
  const text = '#!/bin/bash\niptables -N web\niptables \r"\niptables ${ -A\r\n$IPT \n';
  const analysis = await analyseDocument(text, 'script', DEFAULT_OPTIONS, nodeBashParser);
  const chains = documentSymbols(analysis, text).flatMap((f) => f.children ?? []).flatMap((t) => t.children ?? []);
  assert.deepEqual(chains.map((c) => [c.name, c.selection]), [['web', { line: 1, start: 12, end: 15 }], ['\r', { line: 2, start: 11, end: 11 }]]);
});
