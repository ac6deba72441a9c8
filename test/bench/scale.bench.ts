// npm run bench: the whole `iptables-lint` run on the rulesets of Kubernetes
// and Docker nodes, beside the real `iptables-nft-restore --test` and
// `iptables-legacy-restore --test` on the same files, in the same run: wall
// time and peak memory of each process (GNU time), median of a few runs taken
// in turns (ours, nft, legacy, ours...).
// Then the same rules written as shell scripts of one `iptables` command each
// (scriptForm), beside the same rules as a rule file: the script's factor.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { iptablesMissing, Namespace } from '../support/iptables';
import { V8_FLAGS } from '../../server/src/node/v8Flags';
import { REPO } from '../support/shared';
import { generateRuleset } from './generate';
import { generateDockerHost, generateKubeProxy, scriptForm } from './kubeProxy';

interface Run {
  seconds: number;
  megabytes: number;
  status: number | null;
}

const TIME = '/usr/bin/time';

/** One process: wall seconds and peak resident memory, from GNU time. */
function measure(command: string[], input?: string): Run {
  const r = spawnSync(TIME, ['-f', '%e %M', ...command], { input: input && Buffer.from(input), maxBuffer: 1 << 30, encoding: 'buffer' });
  const last = r.stderr.toString().trim().split('\n').pop() ?? '';
  const [seconds, kilobytes] = last.split(' ').map(Number);
  return { seconds, megabytes: kilobytes / 1024, status: r.status };
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)];
}

function show(run: Run | undefined): string {
  if (!run) return 'n/a'.padStart(20);
  return `${run.seconds.toFixed(2)} s ${run.megabytes.toFixed(0).padStart(5)} MB`.padStart(20);
}

const lint = path.join(REPO, 'server', 'out', 'cli.js');
if (!existsSync(TIME)) {
  console.log('(no figures: GNU time is not installed; apt-get install time)');
  process.exit(0);
}
if (!existsSync(lint)) {
  console.log('(no figures: build first, npm run build)');
  process.exit(0);
}

const dir = mkdtempSync(path.join(tmpdir(), 'iptables-scale-bench-'));
const inputs = [
  { name: 'Docker host, 2,000 published ports', text: generateDockerHost(2000), runs: 5 },
  { name: 'kube-proxy, 5,000 services x 10 endpoints', text: generateKubeProxy({ services: 5000, endpointsPerService: 10, nodePortEvery: 10 }), runs: 5 },
  { name: 'kube-proxy, 21,875 services x 10 endpoints', text: generateKubeProxy({ services: 21_875, endpointsPerService: 10, nodePortEvery: 10 }), runs: 1 },
];
const missing = iptablesMissing();
const ns = missing ? undefined : new Namespace('ipt-scale-bench');
if (missing) console.log(`(no iptables-restore figures: ${missing})`);
try {
  console.log(`${'input'.padEnd(44)} ${'rules'.padStart(8)} ${'size'.padStart(7)} | ${'iptables-lint'.padStart(20)} | ${'nft-restore --test'.padStart(20)} | ${'legacy-restore --test'.padStart(20)}`);
  for (const { name, text, runs } of inputs) {
    const file = path.join(dir, 'rules.v4');
    writeFileSync(file, text);
    const rules = text.split('\n').filter((l) => l.startsWith('-A ')).length;
    // The three take turns, run after run: a change in the machine's load falls on all of them.
    const ourRuns: Run[] = [];
    const nftRuns: Run[] = [];
    const legacyRuns: Run[] = [];
    for (let r = 0; r < runs; r++) {
      ourRuns.push(measure([process.execPath, ...V8_FLAGS, lint, file]));
      if (ns) {
        nftRuns.push(measure(['ip', 'netns', 'exec', ns.name, 'iptables-nft-restore', '--test'], text));
        legacyRuns.push(measure(['ip', 'netns', 'exec', ns.name, 'iptables-legacy-restore', '--test'], text));
      }
    }
    const ours = median(ourRuns);
    if (ours.status !== 0) console.log(`(iptables-lint exited ${ours.status} on ${name}: it found errors in a file the kernel loads)`);
    const nft = ns ? median(nftRuns) : undefined;
    const legacy = ns ? median(legacyRuns) : undefined;
    console.log(`${name.padEnd(44)} ${rules.toLocaleString('en').padStart(8)} ${(text.length / 1048576).toFixed(1).padStart(4)} MB | ${show(ours)} | ${show(nft)} | ${show(legacy)}`);
  }
  scripts();
} finally {
  ns?.delete();
  rmSync(dir, { recursive: true, force: true });
}

/** iptables-lint on generated scripts, and on the same rules as a rule file. */
function scripts(): void {
  const inputs = [
    { name: 'router, 2,000 rules', save: generateRuleset(2000), runs: 3 },
    { name: 'Docker host, 2,000 published ports', save: generateDockerHost(2000), runs: 3 },
    { name: 'kube-proxy, 500 services x 10 endpoints', save: generateKubeProxy({ services: 500, endpointsPerService: 10, nodePortEvery: 10 }), runs: 3 },
    { name: 'kube-proxy, 5,000 services x 10 endpoints', save: generateKubeProxy({ services: 5000, endpointsPerService: 10, nodePortEvery: 10 }), runs: 1 },
  ];
  console.log(`\n${'script of one iptables command a line'.padEnd(44)} ${'commands'.padStart(8)} ${'size'.padStart(7)} | ${'iptables-lint script'.padStart(20)} | ${'same rules as a file'.padStart(20)} | factor`);
  for (const { name, save, runs } of inputs) {
    const text = scriptForm(save);
    const script = path.join(dir, 'rules.sh');
    const file = path.join(dir, 'rules.v4');
    writeFileSync(script, text);
    writeFileSync(file, save);
    const times = (f: string) => median(Array.from({ length: runs }, () => measure([process.execPath, ...V8_FLAGS, lint, f])));
    const ours = times(script);
    const rules = times(file);
    if (ours.status !== rules.status) console.log(`(iptables-lint exited ${ours.status} on the script of ${name}, ${rules.status} on its rule file)`);
    const commands = text.split('\n').filter((l) => l.startsWith('iptables ')).length;
    console.log(`${name.padEnd(44)} ${commands.toLocaleString('en').padStart(8)} ${(text.length / 1048576).toFixed(1).padStart(4)} MB | ${show(ours)} | ${show(rules)} | ${(ours.seconds / rules.seconds).toFixed(1)}x time, ${(ours.megabytes / rules.megabytes).toFixed(1)}x memory`);
  }
}
