// npm run bench: the service matrix (the symbolic engine over every first
// packet of one service) for tcp:22 and tcp:80 on the TUM rulesets of the
// corpus (up to 4.9k rules; target: under a second each), tcp:22 on a
// 160k-rule kube-proxy dump, tcp:80 on a smaller one, and nn-home-user.
// Wall time and the process's CPU time: on a shared machine the CPU time is
// the steadier figure.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { serviceMatrix, type Service } from '../../server/src/engine/symbolic/matrix';
import type { Ruleset } from '../../server/src/model/ruleset';
import { CORPUS } from '../support/shared';
import { generateKubeProxy } from './kubeProxy';

function ruleCount(rs: Ruleset): number {
  let n = 0;
  for (const t of rs.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
  return n;
}

/** The best of `runs` matrices (the first one warms the compiled rules up, as an editor's second request would find them). */
function time(rs: Ruleset, service: Service, runs: number): { wall: number; cpu: number; classes: number } {
  let best = { wall: Infinity, cpu: Infinity, classes: 0 };
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const m = serviceMatrix(rs, service);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    if (cpu < best.cpu) best = { wall, cpu, classes: m.entries.length };
  }
  return best;
}

const SERVICES: [string, Service][] = [['tcp:22', { protocol: 6, port: 22 }], ['tcp:80', { protocol: 6, port: 80 }]];

const tum = ['nn-tum-chair-2013-10-20.rules', 'nn-tum-chair-2014-07-25.rules', 'nn-tum-chair-2015-05-13.rules', 'nn-tum-chair-2016-06-27.rules'];
for (const name of tum) {
  const file = path.join(CORPUS, 'save', name);
  if (!existsSync(file)) {
    console.log(`${name}: not in the corpus (${CORPUS}), skipped`);
    continue;
  }
  const rs = analyseSaveText(readFileSync(file, 'utf8'), DEFAULT_OPTIONS).ruleset!;
  for (const [label, service] of SERVICES) {
    const r = time(rs, service, 3);
    console.log(`${name} (${ruleCount(rs)} rules), matrix ${label}: ${r.wall.toFixed(0)} ms wall, ${r.cpu.toFixed(0)} ms CPU, ${r.classes} classes (best of 3; target under 1000 ms)`);
  }
}

// The 160k-rule dump for tcp:22. For tcp:80, a service's port, each service's random pick among its
// 10 endpoints is one class per origin (merged ways); the cost is per service, so a 500-service dump
// (16k rules) is timed: the full dump's 3,300 port-80 services take minutes.
const kube = analyseSaveText(generateKubeProxy({ services: 5000, endpointsPerService: 10 }), DEFAULT_OPTIONS).ruleset!;
const k = time(kube, SERVICES[0][1], 1);
console.log(`kube-proxy dump (${ruleCount(kube)} rules), matrix tcp:22: ${k.wall.toFixed(0)} ms wall, ${k.cpu.toFixed(0)} ms CPU, ${k.classes} classes (one run)`);
const kube500 = analyseSaveText(generateKubeProxy({ services: 500, endpointsPerService: 10 }), DEFAULT_OPTIONS).ruleset!;
const k80 = time(kube500, SERVICES[1][1], 1);
console.log(`kube-proxy dump, 500 services (${ruleCount(kube500)} rules), matrix tcp:80: ${k80.wall.toFixed(0)} ms wall, ${k80.cpu.toFixed(0)} ms CPU, ${k80.classes} classes (one run)`);

// A home router whose recent, hashlimit and conntrack-tuple rules once made its matrix take 52 s.
const home = path.join(CORPUS, 'save', 'nn-home-user.rules');
if (existsSync(home)) {
  const rs = analyseSaveText(readFileSync(home, 'utf8'), DEFAULT_OPTIONS).ruleset!;
  const r = time(rs, SERVICES[0][1], 3);
  console.log(`nn-home-user.rules (${ruleCount(rs)} rules), matrix tcp:22: ${r.wall.toFixed(0)} ms wall, ${r.cpu.toFixed(0)} ms CPU, ${r.classes} classes (best of 3)`);
}
