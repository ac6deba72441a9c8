// npm run bench: the highlighting grammars in vscode-textmate, as VS Code runs them. Target: a
// 10,000-character line tokenizes in under 50 ms, whatever it holds (no pathological
// backtracking); every corpus file tokenizes. The grammars come straight from the generator.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tm from 'vscode-textmate';
import { INJECTION_SCOPE, SAVE_SCOPE, saveFileGrammar, shellInjectionGrammar } from '../../server/src/grammar/tmGrammars';
import { registryOf, SHELL_SCOPE, shellGrammarPath } from '../support/grammars';
import { corpusMissing, corpusSaveFiles } from '../support/shared';

const TARGET_MS = 50;
const LENGTH = 10_000;

/** `unit` repeated to LENGTH characters after `prefix`. */
function line(prefix: string, unit: string): string {
  return (prefix + unit.repeat(Math.ceil(LENGTH / unit.length))).slice(0, LENGTH);
}

const LINES: [string, string][] = [
  ['address list', line('-A INPUT -s ', '203.0.113.7,2001:db8::17/128,')],
  ['many matches', line('-A INPUT', ' -p tcp -m tcp --dport 1024:65535 -m conntrack ! --ctstate NEW -m mark --mark 0x10/0xff')],
  ['quoted comment', line('-A INPUT -m comment --comment "', 'a \\"quoted\\" word ')],
  ['one long word', line('-A INPUT -j ', 'KUBE-SVC-')],
  ['hex and colons', line('-A INPUT -s ', 'ab:')],
  ['dots and digits', line('-A INPUT -s ', '10.')],
  ['dashes', line('-A INPUT ', '-')],
  ['unknown options', line('-A INPUT', ' --dprt 1')],
];

/** Median time of tokenizing `text` after `state`, with the grammar already compiled by a first run. */
function time(grammar: tm.IGrammar, state: tm.StateStack, text: string): number {
  grammar.tokenizeLine(text, state);
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    grammar.tokenizeLine(text, state);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[5];
}

function stateAfter(grammar: tm.IGrammar, text: string): tm.StateStack {
  let state = tm.INITIAL;
  for (const l of text.split('\n')) state = grammar.tokenizeLine(l, state).ruleStack;
  return state;
}

async function main(): Promise<void> {
  const shellFile = await shellGrammarPath();
  const grammars = new Map<string, () => tm.IRawGrammar>([
    [SAVE_SCOPE, () => saveFileGrammar() as unknown as tm.IRawGrammar],
    [INJECTION_SCOPE, () => shellInjectionGrammar() as unknown as tm.IRawGrammar],
  ]);
  if (existsSync(shellFile)) grammars.set(SHELL_SCOPE, () => tm.parseRawGrammar(readFileSync(shellFile, 'utf8'), shellFile));
  const registry = registryOf(grammars, new Map([[SHELL_SCOPE, [INJECTION_SCOPE]]]));
  const save = (await registry.loadGrammar(SAVE_SCOPE))!;
  const shell = existsSync(shellFile) ? (await registry.loadGrammar(SHELL_SCOPE))! : undefined;
  if (!shell) console.log(`(no shell-script figures: VS Code's shell grammar is not installed at ${shellFile})`);

  let over = 0;
  console.log(`10,000-character line            | save file | continued line of a shell command (target < ${TARGET_MS} ms)`);
  const inTable = stateAfter(save, '*filter');
  const inCommand = shell && stateAfter(shell, 'iptables -A INPUT \\');
  for (const [name, text] of LINES) {
    const a = time(save, inTable, text);
    const b = inCommand ? time(shell, inCommand, text.slice(9)) : undefined;
    over += Number(a >= TARGET_MS) + Number((b ?? 0) >= TARGET_MS);
    console.log(`${name.padEnd(33)} | ${a.toFixed(2).padStart(6)} ms | ${b === undefined ? 'n/a' : b.toFixed(2).padStart(6) + ' ms'}`);
  }
  if (shell) {
    // A line that starts a command is first scanned by VS Code's shell grammar itself, whose own
    // patterns are slow on some long words: for comparison, the same lines without our injection.
    const alone = (await registryOf(grammars, new Map()).loadGrammar(SHELL_SCOPE))!;
    console.log('whole shell line `iptables ...` (one run) | with our injection | shell grammar alone');
    for (const [name, text] of LINES) {
      const command = `iptables ${text.slice(3)}`;
      const once = (g: tm.IGrammar) => { const t0 = performance.now(); g.tokenizeLine(command, tm.INITIAL); return performance.now() - t0; };
      console.log(`${name.padEnd(41)} | ${once(shell).toFixed(1).padStart(11)} ms | ${once(alone).toFixed(1).padStart(11)} ms`);
    }
  }

  const missing = corpusMissing();
  if (missing) console.log(`(no corpus figures: ${missing})`);
  else {
    let bytes = 0;
    let slowest = { name: '', ms: 0 };
    const t0 = performance.now();
    for (const f of corpusSaveFiles()) {
      const text = readFileSync(f.path, 'utf8');
      const t1 = performance.now();
      stateAfter(save, text);
      const ms = performance.now() - t1;
      bytes += text.length;
      if (ms > slowest.ms) slowest = { name: f.name, ms };
    }
    const total = performance.now() - t0;
    console.log(`corpus: ${corpusSaveFiles().length} files, ${(bytes / 1e6).toFixed(1)} MB in ${total.toFixed(0)} ms `
      + `(${(bytes / 1e6 / (total / 1000)).toFixed(1)} MB/s); slowest ${slowest.name} ${slowest.ms.toFixed(0)} ms`);
  }
  if (over) {
    console.log(`${over} lines took ${TARGET_MS} ms or more`);
    process.exitCode = 1;
  }
}

main();
