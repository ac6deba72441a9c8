// A text kept as the pieces its edits left reads as the string the same edits make.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceText } from '../../server/src/lsp/pieceText';

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

test('after random edits, slices and searches of the pieces are those of the edited string, and the whole text is that string', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const next = random(seed);
    const pick = (n: number) => Math.floor(next() * n);
    const typed = ['', 'x', '\n', '-A INPUT -j ACCEPT\n', 'COMM', 'IT', '\n*', 'nat', 'COMMIT\n*filter\n', ':X - [0:0]'];
    let text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*nat\nCOMMIT\n';
    let pieces = PieceText.of(text);
    // Over 600 edits: the pieces are joined again at least once on the way.
    for (let k = 0; k < 700; k++) {
      const [from, to] = [pick(text.length + 1), pick(text.length + 1)].sort((a, b) => a - b);
      const inserted = typed[pick(typed.length)];
      text = text.slice(0, from) + inserted + text.slice(to);
      pieces = pieces.edited(from, to, inserted);
      assert.equal(pieces.length, text.length);
      const [a, b] = [pick(text.length + 2), pick(text.length + 2)].sort((x, y) => x - y);
      assert.equal(pieces.slice(a, b), text.slice(a, b), `seed ${seed}, edit ${k}: slice ${a}-${b}`);
      assert.equal(pieces.slice(a), text.slice(a));
      for (const search of ['\n', 'COMMIT', '\n*', 'x', 'T\n*f']) {
        assert.equal(pieces.indexOf(search, a), text.indexOf(search, a), `seed ${seed}, edit ${k}: ${JSON.stringify(search)} from ${a}`);
      }
      if (k % 100 === 0) assert.equal(pieces.toString(), text);
    }
    assert.equal(pieces.toString(), text);
  }
});
