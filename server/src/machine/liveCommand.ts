// The commands run on a live machine, all of them read-only. One setting names
// the command that prints the IPv4 ruleset (`iptables.live.command` in VS
// Code, `--live-command` for iptables-diff; `iptables-save` by default); every
// other command is that one with another tool's name in the place of
// `iptables-save`, so a wrapper in front (`ssh host sudo`, `ip netns exec NS`,
// `docker exec C`) reaches the same machine for all of them.

import { t } from '../l10n';

export type Backend = 'nf_tables' | 'legacy';

export interface LiveCommand {
  argv: string[];
  /**
   * Where the save tool's name is: the word, where its path and its name start
   * in it, and where it ends (a word can hold a whole remote command: `ssh
   * host 'sudo iptables-save'`).
   * Undefined: the command is run as it is and gives the IPv4 ruleset only.
   */
  tool?: { word: number; pathStart: number; start: number; end: number };
  /** The backend the command names (`iptables-legacy-save`), if it names one. */
  backend?: Backend;
}

/** What the machine is asked, each a read-only command (the README lists them all). */
export type MachineQuery =
  | 'save4' | 'save6' | 'version' | 'addresses' | 'routes4' | 'routes6' | 'sysctl' | 'sockets' | 'hostname';

interface QuerySpec {
  /** The tool, for a backend when it depends on one. */
  name: (backend: Backend | undefined) => string;
  args: readonly string[];
  /** Needs root: the one kind of query that is tried with sudo or pkexec when refused. */
  privileged: boolean;
}

const BACKEND_SUFFIX: Record<Backend, string> = { nf_tables: '-nft', legacy: '-legacy' };
const suffix = (b: Backend | undefined) => (b ? BACKEND_SUFFIX[b] : '');

export const MACHINE_QUERIES: Record<MachineQuery, QuerySpec> = {
  save4: { name: (b) => `iptables${suffix(b)}-save`, args: [], privileged: true },
  save6: { name: (b) => `ip6tables${suffix(b)}-save`, args: [], privileged: true },
  version: { name: () => 'iptables', args: ['-V'], privileged: false },
  addresses: { name: () => 'ip', args: ['-j', 'addr'], privileged: false },
  routes4: { name: () => 'ip', args: ['-j', 'route'], privileged: false },
  routes6: { name: () => 'ip', args: ['-j', '-6', 'route'], privileged: false },
  // The keys are added per call: the interfaces' own rp_filter and route_localnet.
  sysctl: { name: () => 'sysctl', args: ['-e'], privileged: false },
  sockets: { name: () => 'ss', args: ['-H', '-ltun'], privileged: false },
  hostname: { name: () => 'uname', args: ['-n'], privileged: false },
};

/**
 * How a refused save is tried again: `sudo -n` (no prompt), `sudo -S` (a
 * password the user typed, on stdin), `sudo` asking on the terminal
 * (iptables-diff), `pkexec` (the desktop's own prompt).
 */
export type Privilege = 'plain' | 'sudo' | 'sudo-password' | 'sudo-terminal' | 'pkexec';

export const PRIVILEGE_PREFIX: Record<Privilege, readonly string[]> = {
  plain: [], sudo: ['sudo', '-n'], 'sudo-password': ['sudo', '-S'], 'sudo-terminal': ['sudo'], pkexec: ['pkexec'],
};

const SAVE_TOOL = /(^|[\s/])(ip6?tables(-legacy|-nft)?-save)(?=\s|$)/;

/** The command of the setting, or why it cannot be run. */
export function parseLiveCommand(setting: string): LiveCommand | { error: string } {
  const argv = splitCommandLine(setting);
  if ('error' in argv) return argv;
  if (argv.length === 0) return { error: t('the command is empty') };
  for (const [word, text] of argv.entries()) {
    const m = SAVE_TOOL.exec(text);
    if (!m) continue;
    const start = m.index + m[1].length;
    const pathStart = text.lastIndexOf(' ', start) + 1;
    const backend = m[3] === '-nft' ? 'nf_tables' : m[3] === '-legacy' ? 'legacy' : undefined;
    return { argv, tool: { word, pathStart, start, end: start + m[2].length }, backend };
  }
  return { argv };
}

/**
 * The argv that asks the machine `query` (with extra `args`), run with
 * `privilege`; for a save, `backend` picks the tool (none: the one the command
 * names). Undefined when the command has no save tool to stand in for.
 */
export function machineArgv(cmd: LiveCommand, query: MachineQuery, options: { backend?: Backend; privilege?: Privilege; args?: readonly string[] } = {}): string[] | undefined {
  const spec = MACHINE_QUERIES[query];
  const prefix = PRIVILEGE_PREFIX[options.privilege ?? 'plain'];
  if (!cmd.tool) return query === 'save4' ? [...prefix, ...cmd.argv] : undefined;
  const iptables = query === 'save4' || query === 'save6' || query === 'version';
  const backend = query === 'save4' || query === 'save6' ? options.backend ?? cmd.backend : undefined;
  const { word, pathStart, start, end } = cmd.tool;
  const text = cmd.argv[word];
  // `/usr/sbin/iptables-save`: iptables' other tools are beside it; ip, ss and the rest are found on PATH.
  const name = (iptables ? text.slice(pathStart, start) : '') + spec.name(backend);
  const words = [...prefix, name, ...spec.args, ...(options.args ?? [])];
  const before = text.slice(0, pathStart);
  const after = text.slice(end);
  if (before === '' && after === '') return [...cmd.argv.slice(0, word), ...words, ...cmd.argv.slice(word + 1)];
  // Inside a remote command line (`ssh host 'sudo iptables-save'`): our words need no quoting there.
  return [...cmd.argv.slice(0, word), before + words.join(' ') + after, ...cmd.argv.slice(word + 1)];
}

/** A command as a user would type it (for messages and the document's header). */
export function showCommand(argv: readonly string[]): string {
  return argv.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Splits a command line into words as a POSIX shell would, for the quoting
 * alone: single quotes, double quotes (with `\` before `"`, `\`, `$`, `` ` ``),
 * and a backslash outside quotes. Nothing is expanded and nothing runs.
 */
export function splitCommandLine(text: string): string[] | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) return { error: t('a single quote is not closed') };
      word += text.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        word += text[j];
      }
      if (j >= text.length) return { error: t('a double quote is not closed') };
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
    } else if ('|&;<>()$`'.includes(c)) {
      return { error: t('`{0}` would need a shell: give the command and its arguments only (a remote command may be one quoted word)', c) };
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
