// The highlighting grammar on every real-world rule file of the corpus (the files cannot be
// copied into the repository, so instead of snapshots the colours are checked against what the
// file says and against the linter), and the shell injection on the firewall scripts of
// ../shared/shell-cases.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { BUILTIN_CHAIN_NAMES, findTarget, isStandardTarget, TABLES } from '../../server/src/knowledge';
import { createRegistry, SHELL_SCOPE, shellGrammarMissing, Token, tokenize } from '../support/grammars';
import { corpusMissing, corpusSaveFiles, SHARED } from '../support/shared';

const COMMAND = 'keyword.control.command.iptables';
const USER_CHAIN = 'entity.name.function.chain.iptables';
const BUILTIN_CHAIN = 'support.function.chain.builtin.iptables';

const has = (token: Token | undefined, scope: string) => token?.scopes.includes(scope) ?? false;
const at = (tokens: Token[], column: number) => tokens.find((t) => t.start <= column && column < t.end);
const chainScope = (name: string) => (BUILTIN_CHAIN_NAMES.has(name) ? BUILTIN_CHAIN : USER_CHAIN);

/** Where the colours of one save-format line contradict the text. */
function saveLineProblems(line: string, tokens: Token[]): string[] {
  const problems: string[] = [];
  const expect = (column: number, scope: string, what: string) => {
    if (!has(at(tokens, column), scope)) problems.push(`${what} at column ${column + 1} is not ${scope}: ${JSON.stringify(at(tokens, column))}`);
  };
  if (line.startsWith('#')) {
    if (!tokens.every((t) => has(t, 'comment.line.number-sign.iptables'))) problems.push('a comment line is not all comment');
    return problems;
  }
  const table = /^\*(\w+)$/.exec(line);
  if (table && TABLES.some((t) => t.name === table[1])) expect(1, 'entity.name.type.table.iptables', 'the table name');
  const command = /^(?:\[\d+:\d+\] )?(-[AI]) (\S+)/.exec(line);
  if (command) {
    expect(command.index + command[0].indexOf(command[1]), COMMAND, command[1]);
    expect(command.index + command[0].lastIndexOf(command[2]), chainScope(command[2]), `the chain ${command[2]}`);
  }
  for (const jump of line.matchAll(/ -j ([^\s"]+)/g)) {
    const name = jump[1];
    const builtin = isStandardTarget(name) || findTarget(name, 'ipv4') || findTarget(name, 'ipv6');
    const scope = isStandardTarget(name) ? 'constant.language.verdict.iptables' : builtin ? 'constant.language.target.iptables' : USER_CHAIN;
    expect(jump.index + 4, scope, `the target ${name}`);
  }
  return problems;
}

test('every corpus file is highlighted as it reads, and marked invalid only where the linter finds an error', { skip: corpusMissing() }, async () => {
  const grammar = (await (await createRegistry()).loadGrammar('source.iptables'))!;
  const files = corpusSaveFiles();
  assert.ok(files.length > 100, `expected the corpus, found ${files.length} files`);
  const problems: string[] = [];
  let commands = 0;
  for (const f of files) {
    const text = readFileSync(f.path, 'utf8');
    const lines = tokenize(grammar, text);
    const errorLines = new Set(analyseSaveText(text, { ...DEFAULT_OPTIONS, fileName: f.name }).diagnostics
      .filter((d) => d.severity === 'error').map((d) => d.span.line));
    text.split(/\r?\n/).forEach((line, i) => {
      if (/^(\[\d+:\d+\] )?-A /.test(line)) commands++;
      for (const p of saveLineProblems(line, lines[i])) problems.push(`${f.name}:${i + 1}: ${p}`);
      const invalid = lines[i].find((t) => t.scopes.some((s) => s.startsWith('invalid')));
      if (invalid && !errorLines.has(i)) problems.push(`${f.name}:${i + 1}: \`${invalid.text}\` is marked invalid, but the linter reports no error on this line`);
    });
  }
  assert.ok(commands > 40_000, `expected the corpus rules, saw ${commands}`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
});

const SHELL_CASES = path.join(SHARED, 'shell-cases');

function shellScripts(): { name: string; text: string }[] {
  return readdirSync(SHELL_CASES, { withFileTypes: true }).filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))
    .map((d) => ({ name: `${d.name}/script.sh`, text: readFileSync(path.join(SHELL_CASES, d.name, 'script.sh'), 'utf8') }));
}

test('iptables commands and restore heredocs in the shell-cases scripts get the save-file colours', { skip: existsSync(SHELL_CASES) ? undefined : `${SHELL_CASES} is not present` }, async (t) => {
  const missing = await shellGrammarMissing();
  if (missing) return t.skip(missing);
  const grammar = (await (await createRegistry()).loadGrammar(SHELL_SCOPE))!;
  const problems: string[] = [];
  let commands = 0;
  let heredocRules = 0;
  for (const script of shellScripts()) {
    const lines = tokenize(grammar, script.text);
    let heredoc: { end: RegExp; restore: boolean } | undefined;
    script.text.split('\n').forEach((line, i) => {
      const where = `${script.name}:${i + 1}`;
      if (heredoc?.end.test(line)) heredoc = undefined;
      else if (heredoc) {
        const rule = /^\t*(-A) (\S+)/.exec(line);
        if (heredoc.restore && rule) {
          heredocRules++;
          if (!has(at(lines[i], line.indexOf('-A')), COMMAND)) problems.push(`${where}: -A in a restore heredoc is not a command`);
          if (!lines[i].every((tok) => tok.scopes.includes('source.iptables'))) problems.push(`${where}: a heredoc line is not save-file text`);
        }
        return;
      }
      const start = /(?<!<)<<-?\s*['"]?(\w+)/.exec(line);
      if (start) heredoc = { end: new RegExp(`^\\t*${start[1]}$`), restore: /ip6?tables-restore/.test(line) };
      const command = /^\s*(?:sudo\s+)?(?:\/\S*\/)?(?:ip6?tables|\$\{?IPT\w*\}?)\s+(?:-t \w+\s+)?(-[AIN]) ([\w-]+)(\s|$)/.exec(line);
      if (command) {
        commands++;
        const column = command.index + command[0].indexOf(' ' + command[1] + ' ') + 1;
        if (!has(at(lines[i], column), COMMAND)) problems.push(`${where}: ${command[1]} is not a command: ${JSON.stringify(at(lines[i], column))}`);
        const chain = command[0].lastIndexOf(command[2]);
        if (!has(at(lines[i], chain), chainScope(command[2]))) problems.push(`${where}: the chain ${command[2]} is not a chain`);
      }
      const comment = /^\s*#/.test(line);
      if (comment && !lines[i].every((tok) => tok.scopes.some((s) => s.startsWith('comment.')) || !tok.text.trim())) {
        problems.push(`${where}: a shell comment lost its colour`);
      }
    });
  }
  assert.ok(commands > 100 && heredocRules > 10, `expected the shell cases' commands, saw ${commands} commands and ${heredocRules} heredoc rules`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
});
