// npm run bench: tracing one packet, warm (the ruleset compiled once), through
// a generated 10k-rule router and through a 10k-rule chain the packet walks
// to its end; traces per second on the 8.5k-rule gfw-list corpus file; on a
// kube-proxy node's 160k rules, the first trace (in the server, and in the
// panel from the model it gets) and a re-trace after the packet changes.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { DEFAULT_HOST_JSON, defaultHost, parseHost, parsePacket, Packet, scenarioOf, traceScenario } from '../../server/src/engine';
import type { Ruleset } from '../../server/src/model/ruleset';
import { rulesetFromSnapshot } from '../../server/src/model/snapshot';
import { traceModel } from '../../server/src/services/trace';
import { analyseDocument } from '../../server/src/analysis/document';
import { CORPUS } from '../support/shared';
import { generateRuleset } from './generate';
import { generateDockerHost, generateKubeProxy } from './kubeProxy';

const host = defaultHost();

function load(text: string): Ruleset {
  return analyseSaveText(text, DEFAULT_OPTIONS).ruleset!;
}

function packet(json: Record<string, unknown>): Packet {
  return parsePacket(json, { host });
}

/** Chains tried rule by rule, as before the index: the figure beside. */
const PLAIN = { indexFrom: Infinity };

/** Median milliseconds of one trace, after a warm-up, and the steps it takes. */
function time(ruleset: Ruleset, p: Packet, runs: number, options = {}, on = host): { ms: number; steps: number } {
  const scenario = scenarioOf(on, p);
  const t = traceScenario(ruleset, scenario, options);
  for (let i = 0; i < 20; i++) traceScenario(ruleset, scenario, options);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    traceScenario(ruleset, scenario, options);
    times.push(performance.now() - t0);
  }
  return { ms: median(times), steps: t.outcomes.reduce((n, o) => n + o.steps.length, 0) };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
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
const toEnd = packet({ protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 22, inInterface: 'eth0' });
const f = time(flat, toEnd, 101);
console.log(`one chain of 10k rules, all tried: ${f.ms.toFixed(3)} ms per trace (median of 101, warm; ${f.steps} steps; target under 5 ms; rule by rule: ${time(flat, toEnd, 101, PLAIN).ms.toFixed(3)} ms)`);

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

// ---- a kube-proxy node: 5,000 services of 10 endpoints, 160k rules ----------------------------------

/** A packet from outside to service `n`'s cluster IP and port (the generator's addressing). */
function toService(n: number): Packet {
  const destination = `10.${96 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`;
  return packet({ protocol: n % 10 === 9 ? 'udp' : 'tcp', source: '198.51.100.7', destination, sourcePort: 40000, destinationPort: n % 3 === 0 ? 443 : 80, inInterface: 'eth0' });
}

/** Re-traces after the packet changed (another service each time): median ms, warm. */
function retrace(ruleset: Ruleset, options = {}): number {
  const times: number[] = [];
  for (let i = 0; i < 101; i++) {
    const scenario = scenarioOf(host, toService((i * 797) % 5000));
    const t0 = performance.now();
    traceScenario(ruleset, scenario, options);
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function kubeProxy(): Promise<void> {
  const text = generateKubeProxy({ services: 5000, endpointsPerService: 10 });
  const analysis = await analyseDocument(text, 'save', DEFAULT_OPTIONS, () => { throw new Error('no scripts here'); });
  const ruleset = analysis.rulesets.ipv4!;
  // The last service: the walk goes through all of KUBE-SERVICES.
  const last = scenarioOf(host, toService(4999));
  let t0 = performance.now();
  const first = traceScenario(ruleset, last);
  const server = performance.now() - t0;
  console.log(`kube-proxy node, 160k rules: first trace ${server.toFixed(0)} ms (in the server or iptables-trace, after the analysis; ${first.outcomes.length} outcomes, ${first.steps.length} steps; target under 1 s)`);
  // The first time for each service compiles its chains; the second pass is warm.
  const cold = retrace(ruleset);
  console.log(`  re-trace after a packet change: ${cold.toFixed(2)} ms, warm ${retrace(ruleset).toFixed(2)} ms (median of 101, a different service each; target at most 30 ms; rule by rule, warm: ${retrace(ruleset, PLAIN).toFixed(2)} ms)`);

  // The panel's way: the model as the webview gets it, read, rebuilt (rules parsed when traced) and traced.
  t0 = performance.now();
  const bytes = new TextEncoder().encode(JSON.stringify(traceModel(analysis, 'file:///kube.rules', 1)));
  const made = performance.now() - t0;
  t0 = performance.now();
  const model = JSON.parse(new TextDecoder().decode(bytes));
  const read = performance.now() - t0;
  t0 = performance.now();
  const rebuilt = rulesetFromSnapshot(model.rulesets[0]);
  const built = performance.now() - t0;
  t0 = performance.now();
  traceScenario(rebuilt, last);
  const traced = performance.now() - t0;
  console.log(`  in the panel: the model ${(bytes.length / 1048576).toFixed(1)} MB made in ${made.toFixed(0)} ms; read ${read.toFixed(0)} ms, rebuilt ${built.toFixed(0)} ms, first trace ${traced.toFixed(0)} ms: ${(read + built + traced).toFixed(0)} ms from the model's arrival (target under 1 s)`);
  console.log(`  in the panel, re-trace after a packet change: ${retrace(rebuilt).toFixed(2)} ms (median of 101)`);
}

function docker(): void {
  const ruleset = load(generateDockerHost(2000));
  const dockerHost = parseHost({ ...DEFAULT_HOST_JSON, interfaces: [...DEFAULT_HOST_JSON.interfaces, { name: 'docker0', addresses: ['172.17.0.1/16'] }] });
  // The last published port: nat DOCKER looked up by port, then filter DOCKER by the container's address.
  const p = parsePacket({ protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 11999, inInterface: 'eth0' }, { host: dockerHost });
  const d = time(ruleset, p, 101, {}, dockerHost);
  console.log(`Docker host, 2,000 published ports: ${d.ms.toFixed(3)} ms per trace to the last port (median of 101, warm; ${d.steps} steps; rule by rule: ${time(ruleset, p, 101, PLAIN, dockerHost).ms.toFixed(3)} ms)`);
}

docker();
void kubeProxy();
