// npm run bench: evaluating a generated firewall script with 5,000 iptables
// calls (loops, functions, variables), in-process, warm.
import { performance } from 'node:perf_hooks';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { analyseScript } from '../../server/src/analysis/script';

/** A script shaped like the big real ones: a helper function, loops over lists, plain calls. */
function generateScript(calls: number): string {
  const lines = ['#!/bin/bash', 'IPT=/sbin/iptables', 'WAN=eth0', 'allow() { $IPT -A "$1" -p "$2" --dport "$3" -j ACCEPT; }', '$IPT -N SERVICES', '$IPT -A INPUT -j SERVICES'];
  let made = 2;
  for (let block = 0; made < calls; block++) {
    const ports = Array.from({ length: 10 }, (_, i) => 1000 + ((block * 10 + i) % 60000));
    lines.push(`for p in ${ports.join(' ')}; do`, '  allow SERVICES tcp "$p"', 'done');
    made += 10;
    for (let i = 0; i < 10 && made < calls; i++, made++) {
      lines.push(`$IPT -A FORWARD -i $WAN -s 10.${block % 250}.${i}.0/24 -m conntrack --ctstate NEW -m comment --comment "block ${block} net ${i}" -j DROP`);
    }
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const parser = await nodeBashParser();
  const script = generateScript(5000);
  for (let i = 0; i < 3; i++) analyseScript(script, parser, DEFAULT_OPTIONS);
  const times: number[] = [];
  let calls = 0;
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    calls = analyseScript(script, parser, DEFAULT_OPTIONS).calls.length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`generated script, ${calls} iptables calls: ${times[4].toFixed(0)} ms (median of 9, warm; target under 500 ms)`);
}

void main();
