// Places of the analysis (lines end at \n, as for iptables-restore and bash)
// as the editor counts them (\n, \r\n and a lone \r each end a line), and back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocumentLines } from '../../server/src/lsp/documentLines';

const pos = (line: number, character: number) => ({ line, character });

test('with \\n and \\r\\n only, places are the same for both, a \\r of CRLF outside the line', () => {
  const lines = new DocumentLines('ab\r\ncd\nef');
  assert.deepEqual(lines.range({ line: 1, start: 0, end: 2 }), { start: pos(1, 0), end: pos(1, 2) });
  // The analysis sees `ab\r`: its end is the end of the editor's line, before the \r\n.
  assert.deepEqual(lines.range({ line: 0, start: 0, end: 3 }), { start: pos(0, 0), end: pos(0, 2) });
  assert.deepEqual(lines.fromEditor(pos(2, 1)), { line: 2, character: 1 });
});

test('a lone \\r splits an analysis line into two editor lines', () => {
  const lines = new DocumentLines('x\n-A INPUT "a\rb" -j NOWHERE\nCOMMIT');
  // `NOWHERE` is at column 18 of analysis line 1, i.e. column 6 of editor line 2.
  assert.deepEqual(lines.range({ line: 1, start: 18, end: 25 }), { start: pos(2, 6), end: pos(2, 13) });
  assert.deepEqual(lines.fromEditor(pos(2, 8)), { line: 1, character: 20 });
  assert.deepEqual(lines.toEditor(2, 3), pos(3, 3));
  // A span over the \r: as a range it crosses; on one line it is cut at that line's end.
  assert.deepEqual(lines.range({ line: 1, start: 10, end: 15 }), { start: pos(1, 10), end: pos(2, 3) });
  assert.deepEqual(lines.editorSpan({ line: 1, start: 10, end: 15 }), { line: 1, start: 10, end: 11 });
  assert.deepEqual([lines.editorLine(1), lines.editorEndLine(1)], [1, 2]);
});

test('places past a line or the document are kept inside it', () => {
  const lines = new DocumentLines('ab\r\ncd\r');
  assert.deepEqual(lines.range({ line: 0, start: 1, end: 99 }), { start: pos(0, 1), end: pos(0, 2) });
  assert.deepEqual(lines.range({ line: 7, start: 0, end: 4 }), { start: pos(2, 0), end: pos(2, 0) });
  assert.deepEqual(lines.fromEditor(pos(0, 50)), { line: 0, character: 2 });
  assert.deepEqual(lines.fromEditor(pos(9, 0)), { line: 1, character: 3 });
});

test('semantic tokens are re-encoded on the editor\'s lines; a token split by a lone \\r keeps its first part', () => {
  const lines = new DocumentLines('-A IN\rPUT -j X\n-A Y');
  // Tokens: (0,0,2) (0,3,6: "IN\rPUT") (0,13,1: "X") (1,3,1: "Y"), each type 1, no modifiers.
  const data = [0, 0, 2, 1, 0, 0, 3, 6, 1, 0, 0, 10, 1, 1, 0, 1, 3, 1, 1, 0];
  assert.deepEqual(lines.semanticTokens(data), [0, 0, 2, 1, 0, 0, 3, 2, 1, 0, 1, 7, 1, 1, 0, 1, 3, 1, 1, 0]);
});
