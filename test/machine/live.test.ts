// Reading a live machine with the real tools, in network namespaces of the
// test's own: every ruleset the corpus and the shell cases load compares equal
// with what each backend's iptables-save gives back, and the trace's host is
// the namespace's own interfaces, routes, sysctls and sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { parseHost } from '../../server/src/engine';
import type { Family } from '../../server/src/knowledge';
import { LiveCommand, parseLiveCommand } from '../../server/src/machine/liveCommand';
import { Rulesets, rulesetDrift } from '../../server/src/model/drift';
import { readLiveRuleset, readMachineHost } from '../../server/src/node/liveMachine';
import { Backend, hostFirewall, inNamespace, iptablesMissing, Namespace, runShellCase } from '../support/iptables';
import { corpusMissing, corpusSaveFiles, SHARED } from '../support/shared';
import { analyseCase, shellCases } from '../support/shellCases';

const skip = iptablesMissing();
const hostBefore = skip ? '' : hostFirewall();

function command(text: string): LiveCommand {
  const c = parseLiveCommand(text);
  assert.ok(!('error' in c));
  return c;
}

async function liveRulesets(ns: string, backend: Backend): Promise<{ rulesets: Rulesets; warnings: string[] }> {
  const live = await readLiveRuleset(command(`ip netns exec ${ns} iptables-${backend}-save`));
  const rulesets: Rulesets = {};
  for (const family of ['ipv4', 'ipv6'] as const) rulesets[family] = analyseSaveText(live[family] ?? '', { ...DEFAULT_OPTIONS, family }).ruleset;
  return { rulesets, warnings: live.warnings };
}

test('every corpus file iptables-restore loads, loaded by both backends at once, is live as written in each; each backend warns of the other', { skip: skip ?? corpusMissing() }, async () => {
  const verdicts = new Map(readFileSync(path.join(SHARED, 'corpus', 'restore-verdicts.tsv'), 'utf8').split('\n').map((l) => l.split('\t')).map(([f, loads]) => [f, loads === 'yes']));
  let compared = 0;
  const differ: string[] = [];
  for (const f of corpusSaveFiles().filter((c) => verdicts.get(c.name))) {
    const family: Family = f.name.startsWith('save6/') ? 'ipv6' : 'ipv4';
    const text = readFileSync(f.path, 'utf8');
    const ns = new Namespace('live-corpus');
    try {
      const restore = family === 'ipv4' ? 'restore' : 'restore6';
      const loaded = (['legacy', 'nft'] as const).every((b) => inNamespace(ns.name, [`ip${restore === 'restore6' ? '6' : ''}tables-${b}-restore`], text).status === 0);
      if (!loaded) continue;
      const file = analyseSaveText(text, { ...DEFAULT_OPTIONS, family, fileName: f.name }).ruleset;
      for (const backend of ['legacy', 'nft'] as const) {
        const live = await liveRulesets(ns.name, backend);
        compared++;
        const drift = rulesetDrift({ [family]: file }, live.rulesets, [family]);
        if (drift.length) differ.push(`${f.name} (${backend}): ${drift.map((d) => `${d.table}/${d.chain}`).join(', ')}`);
        // A file of empty tables with ACCEPT policies leaves nothing that changes a packet.
        const holds = /^(-A |:\S+ (DROP|-) )/m.test(text);
        if (/also holds rules/.test(live.warnings.join()) !== holds) differ.push(`${f.name} (${backend}): ${holds ? 'no' : 'a'} mixed-backend warning`);
      }
    } finally {
      ns.delete();
    }
  }
  console.log(`corpus files loaded and read back live: ${compared} (both backends); equal to the file: ${compared - differ.length}`);
  assert.ok(compared >= 140, `only ${compared} comparisons`);
  assert.deepEqual(differ, []);
});

test('every shell case, run under each backend, is live as the script builds it', { skip: skip ?? (shellCases(path.join(SHARED, 'shell-cases')).length ? undefined : 'no ../shared/shell-cases') }, async () => {
  let compared = 0;
  const differ: string[] = [];
  for (const c of shellCases(path.join(SHARED, 'shell-cases'))) {
    const analysis = await analyseCase(c);
    const families = (['ipv4', 'ipv6'] as const).filter((f) => analysis.rulesets[f]?.tables.size);
    for (const backend of ['legacy', 'nft'] as const) {
      const ns = new Namespace('live-shell');
      try {
        runShellCase(ns.name, c.dir, backend);
        const live = await liveRulesets(ns.name, backend);
        compared++;
        const drift = rulesetDrift(analysis.rulesets, live.rulesets, families.length ? families : ['ipv4']);
        if (drift.length) differ.push(`${c.name} (${backend}): ${drift.map((d) => `${d.family} ${d.table}/${d.chain}`).join(', ')}`);
      } finally {
        ns.delete();
      }
    }
  }
  console.log(`shell cases run and read back live: ${compared}; equal to the script's ruleset: ${compared - differ.length}`);
  assert.ok(compared >= 40);
  assert.deepEqual(differ, []);
});

test('the trace\'s host from the namespace: its interfaces and addresses, both families\' routes, sysctls per device, listening sockets', { skip }, async () => {
  const ns = new Namespace('live-host');
  const ip = (...args: string[]) => assert.equal(inNamespace(ns.name, ['ip', ...args]).status, 0, args.join(' '));
  const sysctl = (key: string, value: string) => assert.equal(inNamespace(ns.name, ['sysctl', '-q', '-w', `${key}=${value}`]).status, 0, key);
  let listener: ReturnType<typeof spawn> | undefined;
  try {
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'wan0', 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', 'lan0', 'address', '02:00:00:00:01:01');
    ip('addr', 'add', '203.0.113.1/24', 'dev', 'wan0');
    ip('addr', 'add', '10.0.0.1/24', 'dev', 'lan0');
    ip('-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'wan0', 'nodad');
    ip('link', 'set', 'wan0', 'up');
    ip('link', 'set', 'lan0', 'up');
    ip('route', 'add', 'default', 'via', '203.0.113.254');
    ip('route', 'add', '172.16.0.0/12', 'via', '10.0.0.2');
    ip('-6', 'route', 'add', 'default', 'via', '2001:db8:1::fe');
    sysctl('net.ipv4.ip_forward', '1');
    sysctl('net.ipv6.conf.all.forwarding', '1');
    sysctl('net.ipv4.conf.lan0.rp_filter', '1');
    sysctl('net.ipv4.conf.wan0.route_localnet', '1');
    listener = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', 'require("net").createServer().listen(2222, "0.0.0.0", () => console.log("up"))']);
    await new Promise((resolve) => listener!.stdout!.once('data', resolve));

    const { host, notes } = await readMachineHost(command(`ip netns exec ${ns.name} iptables-save`));
    assert.deepEqual(notes, []);
    const interfaces = host.interfaces as { name: string; addresses: string[] }[];
    assert.deepEqual(interfaces.map((i) => ({ ...i, addresses: i.addresses.filter((a) => !a.startsWith('fe80:')) })), [
      { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
      { name: 'lan0', addresses: ['10.0.0.1/24'], mac: '02:00:00:00:01:01', rpFilter: 1 },
      { name: 'wan0', addresses: ['203.0.113.1/24', '2001:db8:1::1/64'], mac: '02:00:00:00:00:01', routeLocalnet: true },
    ]);
    assert.deepEqual(host.routes, [
      { to: 'default', dev: 'wan0', via: '203.0.113.254' }, { to: '172.16.0.0/12', dev: 'lan0', via: '10.0.0.2' }, { to: 'default6', dev: 'wan0', via: '2001:db8:1::fe' },
    ]);
    assert.deepEqual([host.ipForward, host.rpFilter, host.routeLocalnet, host.sockets], [true, 0, false, [{ protocol: 'tcp', port: 2222, address: '0.0.0.0' }]]);
    assert.deepEqual([...parseHost(host).interfaces.keys()], ['lo', 'lan0', 'wan0']);
  } finally {
    listener?.kill();
    ns.delete();
  }
});

test('the host\'s own firewall is as it was before these tests', { skip }, () => {
  assert.equal(hostFirewall(), hostBefore);
});
