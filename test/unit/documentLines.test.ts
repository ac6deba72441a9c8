// Places of the analysis (lines end at \n, as for iptables-restore and bash)
// as the editor counts them (\n, \r\n and a lone \r each end a line), and back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
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
  assert.deepEqual(Array.from(lines.semanticTokens(data)), [0, 0, 2, 1, 0, 0, 3, 2, 1, 0, 1, 7, 1, 1, 0, 1, 3, 1, 1, 0]);
});

/** A small deterministic random source, so that a failure can be run again. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** What a request can ask of the lines of a text: every line, its places, the block it is in. */
function answers(lines: DocumentLines): unknown[] {
  const out: unknown[] = [lines.count];
  for (let l = 0; l <= lines.count; l++) {
    out.push(lines.line(l), lines.blockMarkAbove(l), lines.range({ line: l, start: 1, end: 99 }), lines.fromEditor(pos(l, 3)), lines.editorEndLine(l));
  }
  return out;
}

test('lines worked out from the last ones after edits are those of the new text, kept in pieces (random edits as the editor sends them)', () => {
  for (let seed = 1; seed <= 3; seed++) editsInARow(seed);
});

function editsInARow(seed: number): void {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const pieces = ['-A INPUT -j ACCEPT', '*filter', 'COMMIT', ':X - [0:0]', '', 'x', '\n', '\n\n', 'COMMIT\n', '\n*nat\n', '# c', ...(seed === 3 ? ['\r\n', 'a\rb'] : [])];
  let doc = TextDocument.create('file:///t.rules', 'iptables', 1, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n');
  let lines = new DocumentLines(doc.getText());
  lines.blockMarkAbove(2);
  for (let k = 0; k < 400; k++) {
    const count = lines.count;
    const at = () => ({ line: pick(count + 1), character: pick(30) });
    const [a, b] = [at(), at()].sort((x, y) => x.line - y.line || x.character - y.character);
    // Now and then end first: the editor's document reads the range start first.
    const edits = [{ range: k % 7 ? { start: a, end: b } : { start: b, end: a }, text: pieces[pick(pieces.length)] }];
    if (k % 5 === 0) edits.push({ range: { start: b, end: b }, text: pieces[pick(pieces.length)] });
    doc = TextDocument.update(doc, edits, k + 2);
    lines = lines.edited(edits);
    assert.equal(lines.toString(), doc.getText(), `seed ${seed}, edit ${k}: ${JSON.stringify(edits)}`);
    assert.deepEqual(answers(lines), answers(new DocumentLines(doc.getText())), `seed ${seed}, edit ${k}: ${JSON.stringify(edits)}`);
  }
}

test('a save file\'s lines one at a time: the block each line is in, COMMIT with a CR too', () => {
  const lines = new DocumentLines('*filter\n-A INPUT -j ACCEPT\nCOMMIT\r\n# *not\n*nat\n-A X\n');
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((l) => lines.blockMarkAbove(l)), [undefined, 0, 0, 2, 2, 4, 4]);
  assert.equal(lines.line(1), '-A INPUT -j ACCEPT');
  assert.equal(lines.count, 7);
});
