// The options of the iptables command itself, before any module is loaded:
// the commands (-A, -I, ...), the base criteria (-s, -p, ...), -j/-g/-m/-t and
// the rest of iptables.c's original_opts, by long name and by short letter.
import type { Hook, ValueSpec } from './schema';
import { INPUT_INTERFACE_HOOKS, OUTPUT_INTERFACE_HOOKS } from './tables';

export type CommandKind =
  | 'append' | 'insert' | 'delete' | 'replace' | 'check' | 'list' | 'listRules'
  | 'flush' | 'zero' | 'newChain' | 'deleteChain' | 'renameChain' | 'policy';

/** The commands that take a rule specification. */
export const RULE_COMMANDS: ReadonlySet<CommandKind> = new Set(['append', 'insert', 'delete', 'replace', 'check']);

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

export interface BaseOptionDoc {
  /** How it is written, with its arguments. */
  usage: string;
  /** What it does (Markdown, our own words). */
  doc: string;
  /** The kind of its value, for the criteria. */
  value?: ValueSpec;
  /** Packets have what it tests only in chains reached from these hooks; iptables refuses it in other built-in chains. */
  hooks?: readonly Hook[];
  /** Only for the iptables command: refused or pointless inside iptables-restore input. */
  commandLineOnly?: boolean;
}

/** What each base option does, by short letter. */
export const BASE_OPTION_DOCS: Readonly<Record<string, BaseOptionDoc>> = {
  A: { usage: '-A chain rule', doc: 'Appends the rule at the end of the chain.' },
  I: { usage: '-I chain [position] rule', doc: 'Inserts the rule at a position of the chain; without one, at the top (position 1).' },
  D: { usage: '-D chain rule | -D chain position', doc: 'Deletes one rule, named by its position (1 is the first) or by repeating its whole specification.' },
  R: { usage: '-R chain position rule', doc: 'Replaces the rule at this position with a new one.' },
  C: { usage: '-C chain rule', doc: 'Checks whether the chain already holds exactly this rule (exit status 0 if it does), so that a script can add a rule only once: `iptables -C ... || iptables -A ...`.' },
  L: { usage: '-L [chain]', doc: 'Lists the rules of one chain, or of every chain of the table, as a table for reading.', commandLineOnly: true },
  S: { usage: '-S [chain]', doc: 'Prints the rules of one chain, or of the whole table, as the commands that create them.', commandLineOnly: true },
  F: { usage: '-F [chain]', doc: 'Flushes: deletes every rule of the chain, or of every chain of the table. Policies and user chains stay.' },
  Z: { usage: '-Z [chain [position]]', doc: 'Sets the packet and byte counters of the rules back to zero.' },
  N: { usage: '-N chain', doc: 'Creates a user-defined chain. Packets reach it only through a `-j` or `-g` from another chain.' },
  X: { usage: '-X [chain]', doc: 'Deletes a user-defined chain, which must be empty and unreferenced; without a name, every user chain of the table.' },
  E: { usage: '-E old-name new-name', doc: 'Renames a user-defined chain; the rules that jump to it follow.' },
  P: { usage: '-P chain policy', doc: 'Sets the policy of a built-in chain, ACCEPT or DROP: the fate of packets that reach its end without a verdict.' },
  t: { usage: '-t table', doc: 'The table the command works on: `filter` (the default), `nat`, `mangle`, `raw` or `security`.', commandLineOnly: true },
  p: { usage: '[!] -p protocol', value: 'protocol', doc: 'The packet\'s layer-4 protocol, by name (`tcp`, `udp`, `icmp`...) or number. It also loads the match of that protocol, so that its options (`--dport`...) can follow.' },
  s: { usage: '[!] -s address[/mask][,...]', value: 'addressList', doc: 'Source address or network. A comma-separated list makes one rule per entry; a host name is looked up once, when the rule is loaded.' },
  d: { usage: '[!] -d address[/mask][,...]', value: 'addressList', doc: 'Destination address or network. A comma-separated list makes one rule per entry; a host name is looked up once, when the rule is loaded.' },
  i: { usage: '[!] -i interface', value: 'interface', hooks: INPUT_INTERFACE_HOOKS, doc: 'The interface the packet arrived on; a `+` at the end matches every name that begins so (`eth+`).' },
  o: { usage: '[!] -o interface', value: 'interface', hooks: OUTPUT_INTERFACE_HOOKS, doc: 'The interface the packet will leave by; a `+` at the end matches every name that begins so.' },
  f: { usage: '[!] -f', doc: 'Only the second and later fragments of a fragmented IPv4 packet, which carry no port numbers.' },
  j: { usage: '-j target', doc: 'What to do with a packet that matches: a verdict (ACCEPT, DROP, RETURN), a target extension (REJECT, LOG, DNAT...), or a user chain to run, coming back afterwards unless it gives a verdict.' },
  g: { usage: '-g chain', doc: 'Goes on in a user chain without coming back: when that chain ends, processing continues after the rule that called the current chain (or the policy applies).' },
  m: { usage: '-m match', doc: 'Loads a match module, whose options follow: `-m conntrack --ctstate NEW`.' },
  c: { usage: '-c packets bytes', doc: 'Sets the packet and byte counters of the rule as it is created.' },
  w: { usage: '-w [seconds]', doc: 'Waits for the xtables lock (for ever, or this many seconds) instead of failing while another iptables runs.', commandLineOnly: true },
  '4': { usage: '-4', doc: 'This line is for IPv4 only: ip6tables(-restore) skips it, so one file can feed both.' },
  '6': { usage: '-6', doc: 'This line is for IPv6 only: iptables(-restore) skips it, so one file can feed both.' },
  v: { usage: '-v', doc: 'Verbose output.', commandLineOnly: true },
  n: { usage: '-n', doc: 'With `-L`: print addresses and ports as numbers, without DNS lookups.', commandLineOnly: true },
};
