// The script's patterns as bash and GNU grep match them (every expected answer
// here was checked against bash 5 and GNU grep 3), and in time linear in the
// text even where a backtracking matcher takes ages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globPattern, regexPattern, replaceMatches, suffixGlobPattern } from '../../server/src/shell/patterns';

const free = { scan() {}, range() {}, value() {} };

test('grep -E and grep: which lines match', () => {
  const cases: [boolean, string, string, boolean][] = [
    [true, '^(ab)+$', 'ababab', true], [true, '^(ab)+$', 'ababa', false], [true, 'colou?r', 'the color', true],
    [true, '[[:digit:]]{3}', 'ab12c', false], [true, '[[:digit:]]{3}', 'ab123c', true], [false, 'a\\{2\\}', 'xaay', true],
    [false, 'a+', 'a+', true], [false, 'a+', 'aaa', false], [false, '\\(ab\\)*c', 'c', true], [false, '^*x', '*x', true],
    [true, '\\<eth[0-9]+\\>', 'dev eth0 up', true], [true, '\\<eth[0-9]+\\>', 'dev veth0 up', false], [true, '[^a-z]', 'abc', false],
    [true, '[^a-z]', 'abC', true], [true, 'x{,2}y', 'xxxy', true], [true, '[]a]', ']', true], [true, '^$', '', true], [true, 'a.c', 'abc', true],
    [true, 'A', 'a', false], [true, '(a|)b', 'b', true], [true, 'a|b', 'xbx', true], [true, 'a{2,3}', 'xaax', true], [true, '(ab|a)(bc|c)', 'abc', true],
    [true, 'a**', 'b', true], [true, '+a', '+a', true], [true, 'a{', 'a{', true], [true, '\\w+@\\w+', 'me@host', true],
    [true, '[[:upper:]][[:lower:]]', 'aBc', true], [true, '^(a+)+$', 'a'.repeat(5000) + 'b', false], [false, 'a\\|b', 'b', true],
  ];
  for (const [extended, source, line, expected] of cases) {
    assert.equal(regexPattern(source, { extended })?.occursIn(line, free), expected, `${extended ? 'grep -E' : 'grep'} '${source}' on '${line.slice(0, 20)}'`);
  }
  assert.equal(regexPattern('ETH0', { extended: true, ignoreCase: true })!.occursIn('dev eth0', free), true);
  // Back-references are not a regular language: the line's fate is left unknown.
  assert.equal(regexPattern('(a)\\1', { extended: true }), undefined);
  assert.equal(regexPattern('(a', { extended: true }), undefined);
});

test('case patterns and the trims and replacements of ${x...}', () => {
  assert.equal(globPattern('*.[bc]').matchesAll('a.b', free), true);
  assert.equal(globPattern('[!a]*').matchesAll('ab', free), false);
  assert.equal(globPattern('a?').matchesAll('ab', free), true);
  assert.equal(globPattern('\\[*').matchesAll('[x', free), true);
  const x = 'aXbXc';
  const prefix = (glob: string, shortest: boolean) => x.slice(Math.max(0, globPattern(glob).longestAt(x, 0, free, shortest)));
  const suffix = (glob: string, shortest: boolean) => x.slice(0, x.length - Math.max(0, suffixGlobPattern(glob).longestSuffix(x, free, shortest)));
  assert.deepEqual([prefix('*X', true), prefix('*X', false), suffix('X*', true), suffix('X*', false)], ['bXc', 'c', 'aXb', 'a']);
  assert.deepEqual([replaceMatches(globPattern('X'), x, '-', false, free), replaceMatches(globPattern('X'), x, '-', true, free), replaceMatches(globPattern('[XY]b'), x, '_', false, free)],
    ['a-bXc', 'a-b-c', 'a_Xc']);
  assert.deepEqual([replaceMatches(globPattern('*'), 'abc', 'r', true, free), replaceMatches(globPattern('b*'), 'abc', 'r', true, free), replaceMatches(globPattern('*'), '', 'r', true, free)], ['r', 'ar', 'r']);
});

test('a pattern that makes a backtracking matcher run for ages takes linear time here', () => {
  let work = 0;
  const meter = { scan(n: number) { work += n; }, range() {}, value() {} };
  const text = 'a'.repeat(100_000) + 'c';
  assert.equal(globPattern('*a*a*a*a*a*a*a*a*a*a*a*a').matchesAll(text, meter), false);
  assert.equal(regexPattern('^(a+)+$', { extended: true })!.occursIn(text, meter), false);
  // The work counted is the text's length times the pattern's size, not more.
  assert.ok(work < text.length * 16 * 40, `work ${work}`);
});
