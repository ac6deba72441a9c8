import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closesQuote, splitRestoreWords } from '../../server/src/syntax/restoreWords';

const words = (line: string) => splitRestoreWords(line, 0).map((w) => [w.text, w.start, w.end]);

test('plain words keep their columns', () => {
  assert.deepEqual(words('-A  INPUT\t-j ACCEPT'), [['-A', 0, 2], ['INPUT', 4, 9], ['-j', 10, 12], ['ACCEPT', 13, 19]]);
});

test('double quotes group words; the range covers the quotes', () => {
  assert.deepEqual(words('--comment "allow ssh" -j'), [['--comment', 0, 9], ['allow ssh', 10, 21], ['-j', 22, 24]]);
});

test('a backslash escapes inside quotes only', () => {
  assert.deepEqual(words('"say \\"hi\\"" a\\b'), [['say "hi"', 0, 12], ['a\\b', 13, 16]]);
});

test('a closing quote ends the word, an opening quote inside a word continues it', () => {
  assert.deepEqual(words('"ab"cd x"y z"'), [['ab', 0, 4], ['cd', 4, 6], ['xy z', 7, 13]]);
});

test('an empty quoted string is an empty argument', () => {
  assert.deepEqual(words('--log-prefix ""'), [['--log-prefix', 0, 12], ['', 13, 15]]);
});

test('single quotes and carriage returns are ordinary characters', () => {
  assert.deepEqual(words("'a b' c\r"), [["'a", 0, 2], ["b'", 3, 5], ['c\r', 6, 8]]);
});

test('an unterminated quote takes the rest of the line, and closesQuote tells it from a closed one', () => {
  const line = '-m comment --comment "oops';
  const w = splitRestoreWords(line, 3, 0);
  assert.deepEqual(w.map((x) => x.text), ['-m', 'comment', '--comment', 'oops']);
  assert.equal(closesQuote(line, w[3].start, w[3].end), false);
  const closed = '--comment "a \\" b"';
  const c = splitRestoreWords(closed, 0, 0)[1];
  assert.equal(c.text, 'a " b');
  assert.equal(closesQuote(closed, c.start, c.end), true);
  const escapedEnd = '--comment "a \\"';
  const e = splitRestoreWords(escapedEnd, 0, 0)[1];
  assert.equal(closesQuote(escapedEnd, e.start, e.end), false);
});

test('after a quote, a tab or a newline, words are still split at every separator', () => {
  assert.deepEqual(words('-A X --comment "a b" -j Y\tc"d e"f  g\nh -p tcp\t"" z'), [
    ['-A', 0, 2], ['X', 3, 4], ['--comment', 5, 14], ['a b', 15, 20], ['-j', 21, 23], ['Y', 24, 25], ['cd e', 26, 32], ['f', 32, 33],
    ['g', 35, 36], ['h', 37, 38], ['-p', 39, 41], ['tcp', 42, 45], ['', 46, 48], ['z', 49, 50],
  ]);
});
