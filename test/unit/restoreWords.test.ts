import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitRestoreWords } from '../../server/src/syntax/restoreWords';

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

test('an unterminated quote takes the rest of the line and is reported', () => {
  const columns: number[] = [];
  const w = splitRestoreWords('-m comment --comment "oops', 3, 0, (c) => columns.push(c));
  assert.deepEqual(w.map((x) => x.text), ['-m', 'comment', '--comment', 'oops']);
  assert.deepEqual(columns, [21]);
});
