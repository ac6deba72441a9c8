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

export type Backend = 'legacy' | 'nft';

/** Runs a command in a namespace (`ip netns exec NAME ...`). */
export function inNamespace(name: string, args: string[], input?: string) {
  return spawnSync('ip', ['netns', 'exec', name, ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
}

/**
 * Runs a ../shared/shell-cases script in the namespace the way its run-case
 * does: its setup.ip first, then inside a private mount namespace with the
 * chosen backend's binary over the other's (so `iptables`, whatever it points
 * to, is that backend), a private /tmp and an empty environment.
 */
export function runShellCase(ns: string, dir: string, backend: Backend): { status: number | null; stderr: string } {
  spawnSync('ip', ['-netns', ns, 'link', 'set', 'lo', 'up']);
  const setup = `${dir}/setup.ip`;
  if (spawnSync('test', ['-f', setup]).status === 0) execFileSync('ip', ['-netns', ns, '-batch', setup]);
  const binary = (tool: string) => execFileSync('readlink', ['-f', execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim()], { encoding: 'utf8' }).trim();
  const [use, other] = backend === 'legacy' ? [binary('xtables-legacy-multi'), binary('xtables-nft-multi')] : [binary('xtables-nft-multi'), binary('xtables-legacy-multi')];
  const shell = /^#!\s*\S*\b(sh|dash)\b/.test(execFileSync('head', ['-n', '1', `${dir}/script.sh`], { encoding: 'utf8' })) ? 'sh' : 'bash';
  // The script is read before /tmp is hidden and run as ./script.sh from /tmp/case, as run-case
  // does: a checkout under /tmp would otherwise lose sight of it.
  const inner = `set -u
body=$(cat "$4"; echo x) || exit 97
mount --bind "$1" "$2" && mount -t tmpfs -o size=16m,mode=1777 live-tmp /tmp && mkdir /tmp/case && cd /tmp/case || exit 97
printf "%s" "\${body%x}" > script.sh
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C XTABLES_LOCKFILE=/tmp/.xtables.lock timeout 60 "$3" script.sh`;
  const r = inNamespace(ns, ['bash', '-c', inner, 'inner', use, other, shell, `${dir}/script.sh`]);
  return { status: r.status, stderr: r.stderr };
}

/** The host's own rulesets, both backends and families: tests check they never change. */
export function hostFirewall(): string {
  return ['iptables-legacy-save', 'ip6tables-legacy-save', 'iptables-nft-save', 'ip6tables-nft-save']
    .map((tool) => `${tool}:\n${withoutCommentsAndCounters(spawnSync(tool, [], { encoding: 'utf8' }).stdout ?? '')}`).join('\n');
}
