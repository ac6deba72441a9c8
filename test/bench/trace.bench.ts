// npm run bench: tracing one packet, warm (the ruleset compiled once), through
// a generated 10k-rule router and through a 10k-rule chain the packet walks
// to its end; traces per second on the 8.5k-rule gfw-list corpus file.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { defaultHost, parsePacket, Packet, scenarioOf, traceScenario } from '../../server/src/engine';
import type { Ruleset } from '../../server/src/model/ruleset';
import { CORPUS } from '../support/shared';
import { generateRuleset } from './generate';

const host = defaultHost();

function load(text: string): Ruleset {
  return analyseSaveText(text, DEFAULT_OPTIONS).ruleset!;
}

function packet(json: Record<string, unknown>): Packet {
  return parsePacket(json, { host });
}

/** Median milliseconds of one trace, after a warm-up, and the steps it takes. */
function time(ruleset: Ruleset, p: Packet, runs: number): { ms: number; steps: number } {
  const scenario = scenarioOf(host, p);
  const t = traceScenario(ruleset, scenario);
  for (let i = 0; i < 20; i++) traceScenario(ruleset, scenario);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    traceScenario(ruleset, scenario);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(runs / 2)], steps: t.outcomes.reduce((n, o) => n + o.steps.length, 0) };
}

/** A chain of 10k rules none of which matches: the packet is tested against every one. */
function flatChain(rules: number): string {
  const lines = ['*filter', ':INPUT DROP [0:0]'];
  for (let i = 0; i < rules; i++) {
    const a = `${(i >> 8) & 255}.${i & 255}`;
    lines.push(i % 2 ? `-A INPUT -s 192.0.${a}/32 -p tcp -m tcp --dport ${1 + (i % 1000)} -j ACCEPT` : `-A INPUT -p udp -m multiport --dports ${1000 + (i % 5000)},${2000 + (i % 5000)} -m comment --comment "rule ${i}" -j ACCEPT`);
  }
  return [...lines, 'COMMIT', ''].join('\n');
}

const router = load(generateRuleset(10_000));
const forwarded = packet({ protocol: 'tcp', source: '10.49.1.2', destination: '100.1.2.3', destinationPort: 443, inInterface: 'eth1' });
const r = time(router, forwarded, 201);
console.log(`generated router, 10k rules: ${r.ms.toFixed(3)} ms per trace (median of 201, warm; ${r.steps} steps; target under 5 ms)`);

const flat = load(flatChain(10_000));
const f = time(flat, packet({ protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 22, inInterface: 'eth0' }), 101);
console.log(`one chain of 10k rules, all tried: ${f.ms.toFixed(3)} ms per trace (median of 101, warm; ${f.steps} steps; target under 5 ms)`);

const gfwPath = path.join(CORPUS, 'save', 'gfw-list-ss-redir.rules');
if (existsSync(gfwPath)) {
  const gfw = load(readFileSync(gfwPath, 'utf8'));
  // A local connection to an address in no exempt list walks the whole 8.4k-rule SS_REDIR chain.
  const local = packet({ protocol: 'tcp', source: '203.0.113.1', destination: '8.8.8.8', destinationPort: 443 });
  const g = time(gfw, local, 201);
  const seconds = 1;
  let traces = 0;
  const end = performance.now() + seconds * 1000;
  const scenario = scenarioOf(host, local);
  while (performance.now() < end) {
    traceScenario(gfw, scenario);
    traces++;
  }
  console.log(`gfw-list-ss-redir.rules (8.5k rules): ${Math.round(traces / seconds)} traces per second (${g.ms.toFixed(3)} ms median, ${g.steps} steps)`);
} else {
  console.log(`(skipping gfw-list-ss-redir.rules: ${gfwPath} is not present)`);
}
