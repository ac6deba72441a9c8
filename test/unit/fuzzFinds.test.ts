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

// A script's word after expansion is not the text written at its place: a part of it (the chain of
// `-A\r`, the `--name` of `--name=value`) is shown at the whole word, never at columns counted in
// the expanded text (which ran past the word, and past its line when it started lines above).
test('an outline entry of a script word split from an unclosed quote across a lone \\r is placed at that word', async () => {
  const text = '#!/bin/bash\niptables -N web\niptables \r"\niptables ${ -A\r\n$IPT \n';
  const analysis = await analyseDocument(text, 'script', DEFAULT_OPTIONS, nodeBashParser);
  const chains = documentSymbols(analysis, text).flatMap((f) => f.children ?? []).flatMap((t) => t.children ?? []);
  assert.deepEqual(chains.map((c) => [c.name, c.selection]), [['web', { line: 1, start: 12, end: 15 }], ['\r', { line: 2, start: 10, end: 11 }]]);
});

test('an unknown --name=value split out of a word over several lines is reported on the word\'s first line, not past its end', async () => {
  // FUZZ_SECONDS=480, seed 1255553031, after 58,821 cases (the span was 2:10-25 on a line of 15 characters).
  const text = '#!/bin/bash\niptables -N web\niptables \rf() {\niptables --source-port\rx=tcp\niptables ${ -A tcp\n';
  const a = await analyseDocument(text, 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(a.diagnostics.filter((d) => d.code === 'unknown-option').map((d) => [d.message, d.span]), [['unknown option `--source-port\\rx`', { line: 2, start: 10, end: 15 }]]);
});

test('an option in a variable is reported at the variable, not at columns of its value', async () => {
  const long = await analyseDocument('#!/bin/bash\nO=--dprot=22\niptables -A INPUT -p tcp $O -j ACCEPT\n', 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(long.diagnostics.filter((d) => d.code === 'unknown-option').map((d) => d.span), [{ line: 2, start: 25, end: 27 }]);
  const short = await analyseDocument('#!/bin/bash\nO=-sx\niptables -A INPUT $O -j ACCEPT\n', 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(short.diagnostics.filter((d) => d.code === 'machine-dependent').map((d) => d.span), [{ line: 2, start: 18, end: 20 }]);
  // Written as it is, the name alone is marked.
  const written = await analyseDocument('#!/bin/bash\niptables -A INPUT -p tcp --dprot=22 -j ACCEPT\n', 'script', DEFAULT_OPTIONS, nodeBashParser);
  assert.deepEqual(written.diagnostics.filter((d) => d.code === 'unknown-option').map((d) => d.span), [{ line: 1, start: 25, end: 32 }]);
});
