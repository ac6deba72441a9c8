// Which part of a parsed iptables command a word is: the table, the chain, a
// criterion's value, the target, a module, one of its options or their values.
// Completion asks it where the word being typed lands; hover what is under the mouse.
import { BASE_LONG_OPTIONS } from '../knowledge/baseOptions';
import type { Command, CommandKind, MatchUse, OptionUse, TargetUse } from '../syntax/command';
import type { Token } from '../syntax/token';

export type CommandPart =
  /** An option of iptables itself (`-A`, `-p`, `-j`...), by its short letter. */
  | { kind: 'base'; letter: string; token: Token }
  | { kind: 'table'; token: Token }
  | { kind: 'chain'; command: CommandKind; token: Token }
  | { kind: 'policy'; token: Token }
  /** A rule number, a new chain name, counters: words with nothing to explain or offer. */
  | { kind: 'other'; token: Token }
  | { kind: 'criterion'; letter: 'p' | 's' | 'd' | 'i' | 'o'; token: Token }
  | { kind: 'target'; use: TargetUse; token: Token }
  | { kind: 'match'; use: MatchUse; token: Token }
  | { kind: 'option'; owner: MatchUse | TargetUse; use: OptionUse; token: Token }
  /** The `index`th value of a module option. */
  | { kind: 'value'; owner: MatchUse | TargetUse; use: OptionUse; index: number; token: Token };

/** The short letter of a base option word (`-p`, `--protocol`), if it is one. */
function baseLetter(word: string): string | undefined {
  if (/^-[A-Za-z0-9]$/.test(word)) return word[1];
  return word.startsWith('--') ? BASE_LONG_OPTIONS.get(word.slice(2).split('=')[0])?.letter : undefined;
}

/** The part of `command` whose word holds the column (its end included). */
export function partAt(command: Command, line: number, column: number): CommandPart | undefined {
  const at = (t: Token | undefined): t is Token => t !== undefined && t.line === line && t.start <= column && column <= t.end;
  const rule = command.rule;
  if (at(command.table)) return { kind: 'table', token: command.table };
  if (at(command.chain)) return { kind: 'chain', command: command.kind!, token: command.chain };
  if (at(command.policy)) return { kind: 'policy', token: command.policy };
  for (const t of [command.newName, command.ruleNumber?.token, ...(rule.counters ?? [])]) if (at(t)) return { kind: 'other', token: t };
  for (const letter of ['p', 's', 'd', 'i', 'o'] as const) {
    const c = letter === 'p' ? rule.protocol : letter === 's' ? rule.source : letter === 'd' ? rule.destination
      : letter === 'i' ? rule.inInterface : rule.outInterface;
    if (at(c?.value)) return { kind: 'criterion', letter, token: c!.value };
  }
  const owners: (MatchUse | TargetUse)[] = rule.target ? [...rule.matches, rule.target] : rule.matches;
  for (const owner of owners) {
    if (at(owner.nameToken)) {
      return 'goto' in owner ? { kind: 'target', use: owner, token: owner.nameToken } : { kind: 'match', use: owner, token: owner.nameToken };
    }
    for (const use of owner.options) {
      if (at(use.flag)) return { kind: 'option', owner, use, token: use.flag };
      const index = use.values.findIndex(at);
      if (index >= 0) return { kind: 'value', owner, use, index, token: use.values[index] };
    }
  }
  const word = command.words.find(at);
  const letter = word && baseLetter(word.text);
  return letter ? { kind: 'base', letter, token: word } : undefined;
}
