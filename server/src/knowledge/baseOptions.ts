// The options of the iptables command itself, before any module is loaded:
// the commands (-A, -I, ...), the base criteria (-s, -p, ...), -j/-g/-m/-t and
// the rest of iptables.c's original_opts, by long name and by short letter.

export type CommandKind =
  | 'append' | 'insert' | 'delete' | 'replace' | 'check' | 'list' | 'listRules'
  | 'flush' | 'zero' | 'newChain' | 'deleteChain' | 'renameChain' | 'policy';

export interface BaseOption { letter: string; arg: 'none' | 'required' | 'optional' }

export const BASE_LONG_OPTIONS: ReadonlyMap<string, BaseOption> = new Map(Object.entries({
  append: { letter: 'A', arg: 'required' }, delete: { letter: 'D', arg: 'required' },
  check: { letter: 'C', arg: 'required' }, insert: { letter: 'I', arg: 'required' },
  replace: { letter: 'R', arg: 'required' }, list: { letter: 'L', arg: 'optional' },
  'list-rules': { letter: 'S', arg: 'optional' }, flush: { letter: 'F', arg: 'optional' },
  zero: { letter: 'Z', arg: 'optional' }, 'new-chain': { letter: 'N', arg: 'required' },
  'delete-chain': { letter: 'X', arg: 'optional' }, 'rename-chain': { letter: 'E', arg: 'required' },
  policy: { letter: 'P', arg: 'required' }, source: { letter: 's', arg: 'required' },
  destination: { letter: 'd', arg: 'required' }, src: { letter: 's', arg: 'required' },
  dst: { letter: 'd', arg: 'required' }, protocol: { letter: 'p', arg: 'required' },
  'in-interface': { letter: 'i', arg: 'required' }, jump: { letter: 'j', arg: 'required' },
  table: { letter: 't', arg: 'required' }, match: { letter: 'm', arg: 'required' },
  numeric: { letter: 'n', arg: 'none' }, 'out-interface': { letter: 'o', arg: 'required' },
  verbose: { letter: 'v', arg: 'none' }, wait: { letter: 'w', arg: 'optional' },
  'wait-interval': { letter: 'W', arg: 'optional' }, exact: { letter: 'x', arg: 'none' },
  fragments: { letter: 'f', arg: 'none' }, version: { letter: 'V', arg: 'none' },
  help: { letter: 'h', arg: 'optional' }, 'line-numbers': { letter: '0', arg: 'none' },
  modprobe: { letter: 'M', arg: 'required' }, 'set-counters': { letter: 'c', arg: 'required' },
  goto: { letter: 'g', arg: 'required' }, ipv4: { letter: '4', arg: 'none' }, ipv6: { letter: '6', arg: 'none' },
}));

/** The short letters iptables' getopt accepts (IPT_OPTSTRING), with their argument kind. */
export const BASE_SHORT_OPTIONS: ReadonlyMap<string, BaseOption['arg']> = (() => {
  const spec = 'A:C:D:E:F::I:L::M:N:P:R:S::VX::Z::c:d:i:j:o:p:s:t:vW::46fg:h::m:nw::x';
  const map = new Map<string, BaseOption['arg']>();
  for (let i = 0; i < spec.length; i++) {
    const letter = spec[i];
    if (spec[i + 1] === ':' && spec[i + 2] === ':') { map.set(letter, 'optional'); i += 2; }
    else if (spec[i + 1] === ':') { map.set(letter, 'required'); i += 1; }
    else map.set(letter, 'none');
  }
  return map;
})();

/** The short letter of each command. */
export const COMMAND_LETTERS: Readonly<Record<string, CommandKind>> = {
  A: 'append', I: 'insert', D: 'delete', R: 'replace', C: 'check', L: 'list', S: 'listRules',
  F: 'flush', Z: 'zero', N: 'newChain', X: 'deleteChain', E: 'renameChain', P: 'policy',
};
