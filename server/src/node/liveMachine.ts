// Reads a live machine with the read-only commands of machine/liveCommand.ts:
// its rulesets (root got with sudo or pkexec when a save is refused; a
// password the user types goes to sudo's stdin for this read and is kept
// nowhere), the backend in use and what the other one holds, and the host
// facts the trace needs. For VS Code's extension host and iptables-diff.
import { spawn } from 'node:child_process';
import { backendOf, mixedBackendWarning, otherBackend } from '../machine/backend';
import { interfaceNames, machineHost, MachineHost, sysctlKeys } from '../machine/hostFacts';
import { t } from '../l10n';
import { Backend, LiveCommand, machineArgv, MachineQuery, Privilege, showCommand } from '../machine/liveCommand';

export interface RunResult {
  /** Null when the command could not start or was stopped. */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  /** The command talks to the user on this terminal (sudo's password prompt). */
  terminal?: boolean;
}

export type Runner = (argv: readonly string[], options?: RunOptions) => Promise<RunResult>;

/** A save of a large ruleset (160k rules) is some 30 MB; more is not iptables-save. */
const MAX_OUTPUT = 256 * 1024 * 1024;
const TIMEOUT_MS = 120_000;

/** Runs a command without a shell; English messages, so that refusals can be recognised. */
export const runCommand: Runner = (argv, options = {}) => new Promise((resolve) => {
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, LC_ALL: 'C' },
    stdio: [options.terminal ? 'inherit' : 'pipe', 'pipe', options.terminal ? 'inherit' : 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  let failure = '';
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_OUTPUT) {
      failure = t('it printed more than {0} MB', MAX_OUTPUT / 1048576);
      child.kill();
    } else into.push(chunk);
  };
  child.stdout?.on('data', collect(out));
  child.stderr?.on('data', collect(err));
  const timer = setTimeout(() => {
    failure = t('no answer after {0} s', TIMEOUT_MS / 1000);
    child.kill();
  }, TIMEOUT_MS);
  child.on('error', (e: NodeJS.ErrnoException) => {
    failure = e.code === 'ENOENT' ? t('{0}: command not found', argv[0]) : e.message;
  });
  child.on('close', (status) => {
    clearTimeout(timer);
    const stderr = Buffer.concat(err).toString('utf8');
    resolve({ status: failure ? null : status, stdout: Buffer.concat(out).toString('utf8'), stderr: failure ? `${failure}\n${stderr}` : stderr });
  });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(options.input ?? '');
});

export class LiveError extends Error {}

/**
 * Asked when a save is refused and `sudo -n` cannot run it: how the user
 * wants to give root, or undefined to stop. `refusal` says what was refused.
 */
export type AskForRoot = (refusal: string) => Promise<{ privilege: 'sudo-password'; password: string } | { privilege: 'pkexec' | 'sudo-terminal' } | undefined>;

export interface LiveRuleset {
  /** iptables-save's text. */
  ipv4: string;
  /** ip6tables-save's; undefined when the command gives IPv4 only. */
  ipv6?: string;
  /** The backend in use, when the command names one or `iptables -V` said. */
  backend?: Backend;
  warnings: string[];
  /** The IPv4 save as run, for the reader. */
  command: string;
  privilege: Privilege;
  /** The machine's name (`uname -n`), when the command lets us ask. */
  host?: string;
  time: Date;
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** A refusal that root would not get: iptables says so in a few ways. */
function refused(r: RunResult): boolean {
  return r.status !== 0 && /permission denied|must be root|operation not permitted/i.test(r.stderr);
}

/** Runs one query of the machine; fails with the command's own first line of complaint. */
async function ask(run: Runner, argv: readonly string[] | undefined, what: string): Promise<string> {
  if (!argv) throw new LiveError(t('{0}: the live command has no iptables-save to stand in for', what));
  const r = await run(argv);
  if (r.status !== 0) {
    const why = firstLine(r.stderr) || t('no message');
    throw new LiveError(r.status === null ? t('{0} failed: {1}', showCommand(argv), why) : t('{0} failed (exit status {1}): {2}', showCommand(argv), r.status, why));
  }
  return r.stdout;
}

/** Runs the privileged saves at the one privilege that worked, and the password if that was it. */
class RootAccess {
  privilege: Privilege = 'plain';
  private password: string | undefined;

  constructor(private readonly cmd: LiveCommand, private readonly run: Runner, private readonly askForRoot: AskForRoot | undefined) {}

  private argv(query: MachineQuery, backend: Backend | undefined, privilege = this.privilege): string[] | undefined {
    return machineArgv(this.cmd, query, { backend, privilege });
  }

  private exec(argv: readonly string[], privilege = this.privilege): Promise<RunResult> {
    if (privilege === 'sudo-password') return this.run(argv, { input: `${this.password}\n` });
    return this.run(argv, { terminal: privilege === 'sudo-terminal' });
  }

  /** The first save: plain, then `sudo -n`, then as the user says. */
  async first(query: MachineQuery, backend: Backend | undefined): Promise<string> {
    const plain = this.argv(query, backend, 'plain')!;
    let r = await this.run(plain);
    if (r.status === 0) return r.stdout;
    if (!refused(r)) throw new LiveError(t('{0} failed: {1}', showCommand(plain), firstLine(r.stderr) || t('exit status {0}', r.status)));
    const refusal = `${showCommand(plain)}: ${firstLine(r.stderr)}`;
    r = await this.exec(this.argv(query, backend, 'sudo')!, 'sudo');
    if (r.status === 0) {
      this.privilege = 'sudo';
      return r.stdout;
    }
    const answer = await this.askForRoot?.(refusal);
    if (!answer) throw new LiveError(t('{0}. Reading the rules needs root: run as root, allow sudo without a password for {1}, or put sudo in the live command', refusal, showCommand(plain)));
    this.privilege = answer.privilege;
    if (answer.privilege === 'sudo-password') this.password = answer.password;
    const argv = this.argv(query, backend)!;
    r = await this.exec(argv);
    if (r.status !== 0) throw new LiveError(t('{0} failed: {1}', showCommand(argv), firstLine(r.stderr.replace(/^\[sudo\] password for .*?:\s*/, '')) || t('exit status {0}', r.status)));
    return r.stdout;
  }

  /** A later save, at the privilege that worked; undefined when it fails. */
  async then(query: MachineQuery, backend: Backend | undefined): Promise<RunResult | undefined> {
    const argv = this.argv(query, backend);
    return argv && this.exec(argv);
  }

  forget(): void {
    this.password = undefined;
  }
}

/** The machine's rulesets, as the live command reaches it. Throws LiveError. */
export async function readLiveRuleset(cmd: LiveCommand, options: { run?: Runner; ask?: AskForRoot } = {}): Promise<LiveRuleset> {
  const run = options.run ?? runCommand;
  const warnings: string[] = [];
  let backend = cmd.backend;
  if (cmd.tool && !backend) {
    const v = await run(machineArgv(cmd, 'version')!);
    if (v.status === 0) backend = backendOf(v.stdout + v.stderr);
    else warnings.push(t('the backend is unknown: {0}', t('{0} failed: {1}', showCommand(machineArgv(cmd, 'version')!), firstLine(v.stderr))));
  }
  const root = new RootAccess(cmd, run, options.ask);
  try {
    const time = new Date();
    const ipv4 = await root.first('save4', undefined);
    let ipv6: string | undefined;
    if (cmd.tool) {
      const r6 = await root.then('save6', undefined);
      if (r6?.status === 0) ipv6 = r6.stdout;
      else warnings.push(t('no IPv6 ruleset: {0}', firstLine(r6?.stderr ?? '')));
    }
    if (cmd.tool && backend) {
      const other = otherBackend(backend);
      const [o4, o6] = [await root.then('save4', other), await root.then('save6', other)];
      // A machine without the other backend's tools has no rules there either.
      const text = (r: RunResult | undefined) => (r?.status === 0 ? r.stdout : '');
      const mixed = mixedBackendWarning(backend, { ipv4: text(o4), ipv6: text(o6) });
      if (mixed) warnings.push(mixed);
    }
    const host = await machineName(cmd, run);
    return { ipv4, ipv6, backend, warnings, command: showCommand(machineArgv(cmd, 'save4', { privilege: root.privilege })!), privilege: root.privilege, host, time };
  } finally {
    root.forget();
  }
}

/** The machine's name (`uname -n`); undefined when the command cannot ask it (it may reach any machine). */
export async function machineName(cmd: LiveCommand, run: Runner = runCommand): Promise<string | undefined> {
  if (!cmd.tool) return undefined;
  return firstLine((await run(machineArgv(cmd, 'hostname')!)).stdout) || undefined;
}

/** The trace's host as the machine has it. Throws LiveError when its interfaces cannot be read. */
export async function readMachineHost(cmd: LiveCommand, run: Runner = runCommand): Promise<MachineHost> {
  if (!cmd.tool) throw new LiveError(t('the live command has no iptables-save in it to stand in for `ip`, so this machine\'s interfaces cannot be read'));
  const addresses = await ask(run, machineArgv(cmd, 'addresses'), t('interfaces'));
  const optional = async (query: MachineQuery, args?: string[]) => {
    const argv = machineArgv(cmd, query, { args })!;
    const r = await run(argv);
    return r.status === 0 ? { text: r.stdout } : { text: '', note: t('{0} failed: {1}', showCommand(argv), firstLine(r.stderr)) };
  };
  const [routes4, routes6, sysctl, sockets] = await Promise.all([
    ask(run, machineArgv(cmd, 'routes4'), t('routes')),
    optional('routes6'),
    optional('sysctl', sysctlKeys(interfaceNames(addresses))),
    optional('sockets'),
  ]);
  try {
    const found = machineHost({ addresses, routes4, routes6: routes6.text, sysctl: sysctl.text, sockets: sockets.text });
    if (sockets.note) delete found.host.sockets;
    return { host: found.host, notes: [...found.notes, ...[routes6, sysctl, sockets].flatMap((x) => (x.note ? [x.note] : []))] };
  } catch (e) {
    throw new LiveError((e as Error).message);
  }
}
