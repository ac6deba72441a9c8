// Runs the real iptables tools inside a network namespace of the test's own,
// so nothing touches the machine's firewall. Skips where that is impossible.
import { execFileSync, spawnSync } from 'node:child_process';

export interface RestoreVerdict {
  loads: boolean;
  /** 1-based line iptables-restore names, when it fails. */
  line?: number;
  message?: string;
}

function commandWorks(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Why the real iptables cannot be used here, or undefined when it can. */
export function iptablesMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot create a network namespace for iptables';
  if (!commandWorks('iptables-legacy-restore', ['--version'])) return 'iptables-legacy-restore is not installed (apt-get install iptables)';
  if (!commandWorks('ip', ['-V'])) return 'iproute2 is not installed';
  return undefined;
}

export class Namespace {
  readonly name: string;

  constructor(prefix: string) {
    this.name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    execFileSync('ip', ['netns', 'add', this.name]);
  }

  /** Runs iptables(-legacy)-restore with the file on stdin. */
  restore(text: string, family: 'ipv4' | 'ipv6', test: boolean): RestoreVerdict {
    const tool = family === 'ipv4' ? 'iptables-legacy-restore' : 'ip6tables-legacy-restore';
    const args = ['netns', 'exec', this.name, tool, ...(test ? ['--test'] : [])];
    const r = spawnSync('ip', args, { input: text, encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { loads: true };
    const err = r.stderr ?? '';
    const line = /line:? (\d+)/.exec(err) ?? /at line (\d+)/.exec(err);
    return { loads: false, line: line ? Number(line[1]) : undefined, message: err.split('\n').find((l) => l.trim() !== '')?.trim() };
  }

  /** Runs one iptables command line in the namespace; true when it succeeds. */
  run(family: 'ipv4' | 'ipv6', args: string[]): { ok: boolean; stderr: string } {
    const tool = family === 'ipv4' ? 'iptables-legacy' : 'ip6tables-legacy';
    const r = spawnSync('ip', ['netns', 'exec', this.name, tool, ...args], { encoding: 'utf8', timeout: 30_000 });
    return { ok: r.status === 0, stderr: r.stderr ?? '' };
  }

  /** iptables(-legacy)-save of the namespace, without the `#` lines, chain counters as [0:0]. */
  save(family: 'ipv4' | 'ipv6'): string {
    const tool = family === 'ipv4' ? 'iptables-legacy-save' : 'ip6tables-legacy-save';
    const r = spawnSync('ip', ['netns', 'exec', this.name, tool], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
    return withoutCommentsAndCounters(r.stdout ?? '');
  }

  delete(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** Save text as the shell cases record it: no `#` lines, chain counters [0:0]. */
export function withoutCommentsAndCounters(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1 [0:0]')).join('\n');
}
