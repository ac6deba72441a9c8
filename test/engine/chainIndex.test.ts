// The chain index changes nothing a user sees: on random packets, through
// generated kube-proxy and Docker dumps and every corpus file, the walk that
// looks long chains up gives exactly the steps, hits, fates and outcomes of
// the walk that tries every rule in turn.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { parseHost, parsePacket, scenarioOf, traceScenario } from '../../server/src/engine';
import { IndexCursor } from '../../server/src/engine/chainIndex';
import { DEFAULT_HOST_JSON } from '../../server/src/engine/host';
import type { Family } from '../../server/src/knowledge';
import { formatAddress } from '../../server/src/knowledge/addresses';
import type { Ruleset } from '../../server/src/model/ruleset';
import type { Net } from '../../server/src/model/shape';
import { generateDockerHost, generateKubeProxy } from '../bench/kubeProxy';
import { generateRuleset } from '../bench/generate';
import { corpusMissing, corpusSaveFiles } from '../support/shared';

/** The example router, with a Docker bridge. */
const HOST_JSON = { ...DEFAULT_HOST_JSON, interfaces: [...DEFAULT_HOST_JSON.interfaces, { name: 'docker0', addresses: ['172.17.0.1/16', 'fd17::1/64'] }] };
const host = parseHost(HOST_JSON);

/** A linear congruential generator: the same packets on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => (a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296;
}

interface Seeds {
  addresses: Net[];
  ports: number[];
}

/** What the rules look for: their addresses and ports (from what the model keeps, no parsing). */
function seedsOf(ruleset: Ruleset): Seeds {
  const addresses: Net[] = [];
  const ports = new Set<number>([22, 53, 80, 443]);
  for (const table of ruleset.tables.values()) {
    for (const chain of table.chains.values()) {
      for (const rule of chain.rules) {
        const shape = rule.shape;
        if (shape.source) addresses.push(shape.source);
        if (shape.destination) addresses.push(shape.destination);
        for (const [from, to] of shape.dport ?? []) ports.add(from).add(to);
      }
    }
  }
  return { addresses, ports: [...ports] };
}

function packets(ruleset: Ruleset, count: number, seed: number): Record<string, unknown>[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const { addresses, ports } = seedsOf(ruleset);
  const family: Family = ruleset.family;
  const bits = family === 'ipv4' ? 32 : 128;
  const own = family === 'ipv4' ? ['203.0.113.1', '10.0.0.1', '172.17.0.1', '198.51.100.7', '10.1.2.3', '8.8.8.8'] : ['2001:db8:1::1', 'fd00::1', '2001:db8::7', 'fd00::5'];
  const address = (): string => {
    if (!addresses.length || next() < 0.25) return pick(own);
    const net = pick(addresses);
    // Inside the rule's network (its own address, or another host of it), or just outside.
    let host = net.address;
    const free = bits - Math.max(net.prefix, 0);
    if (free > 0 && next() < 0.5) host |= BigInt(Math.floor(next() * 2 ** Math.min(free, 30)));
    if (next() < 0.15) host ^= 1n << BigInt(Math.floor(next() * bits));
    return formatAddress(host, family);
  };
  const out: Record<string, unknown>[] = [];
  for (let n = 0; n < count; n++) {
    const protocol = pick(family === 'ipv4' ? ['tcp', 'tcp', 'udp', 'icmp'] : ['tcp', 'tcp', 'udp', 'ipv6-icmp']);
    const p: Record<string, unknown> = { protocol, destination: address() };
    const arrives = pick(['eth0', 'eth1', 'docker0', null]);
    if (arrives) p.inInterface = arrives;
    // A packet the host sends may leave its source to the route.
    if (arrives || next() < 0.8) p.source = address();
    if (protocol === 'tcp' || protocol === 'udp') {
      p.sourcePort = 1024 + Math.floor(next() * 60000);
      p.destinationPort = next() < 0.8 ? pick(ports) : Math.floor(next() * 65536);
    }
    if (protocol === 'tcp') p.tcpFlags = next() < 0.7 ? ['SYN'] : ['ACK'];
    if (next() < 0.15) p.ctState = 'ESTABLISHED';
    out.push(p);
  }
  return out;
}

/** Counts the rules the index passed over, so a test where it never answered cannot pass unnoticed. */
function countPassedOver(): { count: number } {
  const counter = { count: 0 };
  const failed = IndexCursor.prototype.failed;
  IndexCursor.prototype.failed = function (this: IndexCursor, ...args: Parameters<IndexCursor['failed']>) {
    counter.count++;
    return failed.apply(this, args);
  };
  return counter;
}

const passedOver = countPassedOver();

/** Traces each packet both ways; returns how many packets could be traced (a packet the host refuses to form is skipped). */
function compareWalks(name: string, ruleset: Ruleset, count: number, seed: number): number {
  let traced = 0;
  for (const json of packets(ruleset, count, seed)) {
    let scenario;
    try {
      scenario = scenarioOf(host, parsePacket(json, { host, family: ruleset.family }));
    } catch {
      continue;
    }
    const plain = traceScenario(ruleset, scenario, { indexFrom: Infinity });
    // Every chain the index can help, however short.
    const indexed = traceScenario(ruleset, scenario, { indexFrom: 0 });
    assert.deepEqual(indexed, plain, `${name}: ${JSON.stringify(json)}`);
    traced++;
  }
  return traced;
}

function load(text: string, family?: Family): Ruleset {
  const analysis = analyseSaveText(text, { ...DEFAULT_OPTIONS, family });
  return analysis.ruleset!;
}

test('kube-proxy dump: the indexed walk gives the plain walk\'s steps, hits and outcomes, and passes over most of KUBE-SERVICES', () => {
  const ruleset = load(generateKubeProxy({ services: 400, endpointsPerService: 3, nodePortEvery: 4 }));
  const before = passedOver.count;
  assert.equal(compareWalks('kube-proxy', ruleset, 150, 1), 150);
  // Roughly a KUBE-SERVICES walk (400 rules) per packet through nat: the index answered for most of them.
  assert.ok(passedOver.count - before > 150 * 100, `passed over ${passedOver.count - before} rules`);
});

test('Docker host dump (nat by port, filter by container address): indexed and plain walks agree', () => {
  const ruleset = load(generateDockerHost(300));
  const before = passedOver.count;
  assert.equal(compareWalks('docker', ruleset, 150, 2), 150);
  assert.ok(passedOver.count - before > 1000, `passed over ${passedOver.count - before} rules`);
});

test('generated router: indexed and plain walks agree', () => {
  assert.equal(compareWalks('router', load(generateRuleset(3000)), 100, 3), 100);
});

test('every corpus file: indexed and plain walks agree on random packets drawn from its rules', { skip: corpusMissing() }, () => {
  const before = passedOver.count;
  let traced = 0;
  corpusSaveFiles().forEach((file, i) => {
    const family: Family = file.name.startsWith('save6/') ? 'ipv6' : 'ipv4';
    const ruleset = analyseSaveText(readFileSync(file.path, 'utf8'), { ...DEFAULT_OPTIONS, family }).ruleset;
    if (ruleset) traced += compareWalks(file.name, ruleset, 12, 100 + i);
  });
  assert.ok(traced > 1000, `${traced} packets traced`);
  assert.ok(passedOver.count - before > 10_000, `passed over ${passedOver.count - before} rules`);
});

test('a rule is looked up by its key only when nothing before the key acts: a `-m recent --set` the walk never reaches stays unrun', () => {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]'];
  for (let i = 0; i < 100; i++) lines.push(`-A INPUT -p tcp -m tcp --dport ${2000 + i} -j ACCEPT`);
  // The random draw is uncertain; a later criterion fails anyway (the port), so the kernel's answer needs no guess and --set is not reached.
  lines.push('-A INPUT -p tcp -m statistic --mode random --probability 0.5 -m recent --name seen --set -m tcp --dport 80 -j ACCEPT');
  lines.push('-A INPUT -m recent --name seen --rcheck -j DROP', 'COMMIT', '');
  const ruleset = load(lines.join('\n'));
  const scenario = scenarioOf(host, parsePacket({ protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 22, inInterface: 'eth0' }, { host }), { state: { fresh: true } });
  const plain = traceScenario(ruleset, scenario, { indexFrom: Infinity });
  assert.equal(plain.fate, 'delivered');
  assert.deepEqual(traceScenario(ruleset, scenario, { indexFrom: 0 }), plain);
});
