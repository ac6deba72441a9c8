// Where each match and target is legal, checked against the real kernel: every
// rule that iptables' own tests expect to load is tried in every built-in chain
// of every table, with the real iptables in a private network namespace, and
// our verdict (error or not) must be the kernel's.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findMatch, findTarget, TABLES } from '../../server/src/knowledge';
import { iptablesMissing, Namespace } from '../support/iptables';
import { CORPUS, corpusMissing } from '../support/shared';
import { ourError, readXtFile, XtCase } from '../support/xtTests';

interface Trial {
  c: XtCase;
  table: string;
  chain: string;
}

/**
 * A shell inside the namespace that runs one trial at a time: starting
 * `ip netns exec` and sh once per worker, not per trial, halves the time.
 */
class TrialShell {
  private readonly shell: ChildProcess;
  private output = '';
  private waiting?: (status: number) => void;

  constructor(ns: Namespace, lockFile: string) {
    this.shell = spawn('ip', ['netns', 'exec', ns.name, 'sh'], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, XTABLES_LOCKFILE: lockFile } });
    this.shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
      const m = /^status (\d+)\n/m.exec(this.output);
      if (m && this.waiting) {
        this.output = this.output.slice(m.index + m[0].length);
        this.waiting(Number(m[1]));
      }
    });
  }

  /** Runs `iptables -t table -A chain rule` (then flushes the chain); resolves to "refused?". */
  refuses(t: Trial): Promise<boolean> {
    const tool = t.c.family === 'ipv4' ? 'iptables-legacy' : 'ip6tables-legacy';
    // Quotes in .t lines are shell quotes; the rules have no other shell syntax.
    const cmd = `${tool} -t ${t.table} -A ${t.chain} ${t.c.rule} >/dev/null 2>&1 && ${tool} -t ${t.table} -F ${t.chain}; echo "status $?"\n`;
    return new Promise((resolve) => {
      this.waiting = (status) => resolve(status !== 0);
      this.shell.stdin!.write(cmd);
    });
  }

  close(): void {
    this.shell.stdin!.end();
  }
}

/** The options of a rule, with the values of the few options whose value decides the hooks. */
function placementShape(rule: string): string {
  return rule.split(/\s+/).map((w, i, all) => (w.startsWith('-') || ['--dir', '-p', '-j', '-m'].includes(all[i - 1]) ? w : '_')).join(' ');
}

/** The extension a .t file is about, when the knowledge base claims it complete. */
function completeModule(file: string): boolean {
  const name = file.replace(/^lib(xt|ipt|ip6t)_/, '').replace(/\.t$/, '');
  const family = file.startsWith('libip6t_') ? 'ipv6' : 'ipv4';
  const spec = name === name.toUpperCase() ? findTarget(name, family) : findMatch(name, family);
  return spec?.complete === true;
}

const skip = corpusMissing() ?? iptablesMissing();

test('placement of complete matches and targets agrees with the kernel in every table and chain', { skip, timeout: 30 * 60_000 }, async () => {
  const files = readdirSync(path.join(CORPUS, 'xt-tests')).filter((f) => /^lib(xt|ipt|ip6t)_.*\.t$/.test(f) && completeModule(f));
  const trials: Trial[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    for (const c of readXtFile(f)) {
      if (c.expect !== 'OK') continue;
      // Placement depends on which options a rule uses, not on their values (except where
      // a value changes the hooks): one rule per such shape is enough, and keeps this fast.
      const shape = `${c.file} ${c.family} ${placementShape(c.rule)}`;
      if (seen.has(shape)) continue;
      seen.add(shape);
      for (const t of TABLES) for (const chain of t.chains) trials.push({ c, table: t.name, chain });
    }
  }
  const workers = 4;
  const namespaces = Array.from({ length: workers }, () => new Namespace('ipt-place'));
  const shells = namespaces.map((ns, w) => new TrialShell(ns, `/tmp/ipt-place-${process.pid}-${w}.lock`));
  const refused: boolean[] = new Array(trials.length);
  try {
    let next = 0;
    await Promise.all(shells.map(async (shell) => {
      while (next < trials.length) {
        const i = next++;
        refused[i] = await shell.refuses(trials[i]);
      }
    }));
  } finally {
    shells.forEach((s) => s.close());
    namespaces.forEach((ns) => ns.delete());
  }
  // A rule the kernel (or this iptables) refuses in every chain is not a placement question:
  // a newer iptables syntax, or something the machine lacks (SELinux, a module). Listed apart.
  const everywhere = new Map<XtCase, boolean>();
  trials.forEach((t, i) => everywhere.set(t.c, (everywhere.get(t.c) ?? true) && refused[i]));
  let agree = 0, total = 0;
  const disagreements: string[] = [];
  trials.forEach((t, i) => {
    if (everywhere.get(t.c)) return;
    total++;
    const ours = ourError(t.c.family, t.table, t.chain, t.c.rule);
    if ((ours !== undefined) === refused[i]) agree++;
    else disagreements.push(`${t.c.file}:${t.c.lineNo} [${t.c.family}] -t ${t.table} -A ${t.chain} ${t.c.rule}: kernel ${refused[i] ? 'refuses' : 'accepts'}, we ${ours ? `say: ${ours}` : 'see no error'}`);
  });
  const pct = ((100 * agree) / total).toFixed(2);
  console.log(`placement: ${agree}/${total} table/chain trials agree with the kernel (${pct}%)`);
  for (const d of disagreements) console.log(`  disagree: ${d}`);
  for (const c of [...everywhere].filter(([, all]) => all).map(([c]) => c)) {
    console.log(`  refused in every chain by this iptables and kernel (not a placement question): ${c.file}:${c.lineNo} [${c.family}] ${c.rule}`);
  }
  assert.ok(agree / total >= 0.99, `placement agreement ${pct}% is below 99%`);
});
