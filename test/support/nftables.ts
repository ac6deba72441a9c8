// The real nft and iptables-translate, run inside a network namespace of the
// test's own (nft -c also asks the kernel), and the shared kernel oracle run
// with the rules loaded by nft instead of iptables.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { iptablesMissing, Namespace } from './iptables';
import { SHARED } from './shared';

/** Why nft cannot be used here, or undefined when it can. */
export function nftMissing(): string | undefined {
  const ipt = iptablesMissing();
  if (ipt) return ipt;
  if (spawnSync('nft', ['--version'], { stdio: 'ignore' }).status !== 0) return 'nft is not installed (apt-get install nftables)';
  return undefined;
}

export interface NftResult {
  ok: boolean;
  error: string;
}

/** A namespace for nft: check, load, list and clear rulesets without touching the machine's own. */
export class NftNamespace extends Namespace {
  nft(args: string[], input?: string): NftResult & { stdout: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, 'nft', ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
    return { ok: r.status === 0, error: (r.stderr ?? '').trim(), stdout: r.stdout ?? '' };
  }

  /** `nft -c -f`: the syntax and what the kernel would accept, without loading. */
  check(text: string): NftResult {
    return this.nft(['-c', '-f', '-'], text);
  }

  load(text: string): NftResult {
    return this.nft(['-f', '-'], text);
  }

  /** The ruleset as nft's JSON (`nft -j list ruleset`). */
  listJson(): NftJson[] {
    return (JSON.parse(this.nft(['-j', 'list', 'ruleset']).stdout || '{"nftables":[]}') as { nftables: NftJson[] }).nftables;
  }

  flush(): void {
    this.nft(['flush', 'ruleset']);
  }

  /** A program run in the namespace (iptables-translate reads no firewall, but looks ipsets up in the kernel). */
  exec(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, command, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }
}

export type NftJson = Record<string, Record<string, unknown>>;

export const ORACLE = path.join(SHARED, 'kernel', 'oracle');

/** Why the oracle cannot run the nft side, or undefined. */
export function oracleMissing(): string | undefined {
  if (!existsSync(ORACLE)) return `${ORACLE} is not present`;
  if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0) return 'python3 is not installed (the oracle is a Python script)';
  if (spawnSync('conntrack', ['--version'], { stdio: 'ignore' }).status !== 0) return 'conntrack is not installed (apt-get install conntrack)';
  return nftMissing();
}

/**
 * Stand-ins the oracle finds first on its PATH: its `iptables-legacy-restore`
 * loads our nft script instead (NFT_RULES), its `iptables-legacy-save -c`
 * prints nft's rule counters as save lines, so the oracle reports which nft
 * rules a packet hit, by chain and position, as it does for iptables (a rule
 * without a counter only finishes the one before it, and is not counted). nft
 * chains have no policy counter: policies never show as hits on this side.
 */
export function nftOracleShims(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nft-oracle-'));
  // awk over `nft list ruleset`: a snapshot is taken twice per packet, and a shell starts faster than node.
  const save = (family: string) => `#!/bin/sh
nft list ruleset | awk -v fam=${family} '
$1 == "table" { t = ($2 == fam && $3 != "oracle") ? $3 : ""; if (t != "") { if (open) print "COMMIT"; print "*" t; open = 1 } c = ""; next }
t != "" && $1 == "chain" { c = $2; print ":" c " - [0:0]"; next }
t != "" && c != "" && match($0, /counter packets [0-9]+ bytes [0-9]+/) { split(substr($0, RSTART, RLENGTH), a, " "); print "[" a[3] ":" a[5] "] -A " c " nft" }
END { if (open) print "COMMIT" }'
`;
  const restore = '#!/bin/sh\ncat > /dev/null\nexec nft -f "$NFT_RULES"\n';
  for (const [file, text] of [
    ['iptables-legacy-save', save('ip')], ['ip6tables-legacy-save', save('ip6')],
    ['iptables-legacy-restore', restore], ['ip6tables-legacy-restore', restore],
  ]) {
    writeFileSync(path.join(dir, file), text);
    chmodSync(path.join(dir, file), 0o755);
  }
  return dir;
}

export type OracleResult = Record<string, unknown> & { ok?: boolean; error?: string };

/** The oracle's answer for a ruleset and packet, with iptables (legacy) or, given an nft script, with nft. */
export function runOracle(rulesFile: string, packetFile: string, nft?: { shims: string; script: string }, wait?: number): OracleResult {
  const env = { ...process.env };
  if (nft) {
    const file = path.join(nft.shims, 'rules.nft');
    writeFileSync(file, nft.script);
    env.NFT_RULES = file;
    env.PATH = `${nft.shims}:${env.PATH}`;
  }
  const r = spawnSync(ORACLE, ['--brief', ...(wait ? ['--wait', String(wait)] : []), rulesFile, packetFile], { encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  try {
    return JSON.parse(r.stdout) as OracleResult;
  } catch {
    return { ok: false, error: `the oracle printed no JSON (status ${r.status}): ${r.stderr.slice(0, 500)}` };
  }
}
