// The trace panel's server side: the rulesets sent to the webview rebuild into
// the same rules (same traces), each rule says where the editor should select
// it, and the lenses sit on the built-in chains.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument, DocumentAnalysis, documentKind } from '../../server/src/analysis/document';
import { defaultHost, packetFromShorthand, parseScenario, traceScenario } from '../../server/src/engine';
import type { Family } from '../../server/src/knowledge';
import { ChainSnapshot, linePlace, rulesetFromSnapshot, TableSnapshot } from '../../server/src/model/snapshot';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { traceLenses, traceModel } from '../../server/src/services/trace';
import { generateKubeProxy } from '../bench/kubeProxy';
import { REPO } from '../support/shared';

async function analyse(name: string, text = readFileSync(path.join(REPO, 'examples', name), 'utf8')): Promise<DocumentAnalysis> {
  return analyseDocument(text, documentKind(text, name)!, { ...DEFAULT_OPTIONS, fileName: name }, nodeBashParser);
}

const PACKETS: Record<Family, string[]> = {
  ipv4: [
    'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn',
    'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn',
    'tcp 192.0.2.10:40000 -> 203.0.113.1:9100 in eth0 syn',
    'udp 10.0.0.5:5353 -> 10.0.0.1:53 in eth1',
    'icmp 203.0.113.1 -> 198.51.100.20',
  ],
  ipv6: [
    'tcp [2001:db8::7]:40000 -> [2001:db8:1::1]:80 in eth0 syn',
    'tcp [2001:db8::7]:40000 -> [2001:db8:1::1]:9100 in eth0 syn',
    'ipv6-icmp 2001:db8::7 -> 2001:db8:1::1 in eth0 type echo-request',
    'udp [fd00::5]:5353 -> [fd00::1]:53 in eth1',
  ],
};

for (const name of ['rules.v4', 'host-firewall.sh']) {
  test(`${name}: the model, through JSON and rebuilt, traces every packet as the document's own ruleset does`, async () => {
    const analysis = await analyse(name);
    const model = JSON.parse(JSON.stringify(traceModel(analysis, 'file:///x', 3)));
    assert.equal(model.version, 3);
    assert.deepEqual(model.rulesets.map((r: { family: string }) => r.family), name === 'rules.v4' ? ['ipv4'] : ['ipv4', 'ipv6']);
    // Every family: a script's IPv6 ruleset goes to the panel as well.
    for (const snapshot of model.rulesets) {
      const family: Family = snapshot.family;
      const rebuilt = rulesetFromSnapshot(snapshot);
      for (const p of PACKETS[family]) {
        const scenario = parseScenario({ packet: packetFromShorthand(p, defaultHost()) });
        assert.deepEqual(traceScenario(rebuilt, scenario), traceScenario(analysis.rulesets[family]!, scenario), p);
      }
    }
  });
}

test('a kube-proxy dump goes to the panel as its lines, about the size of the file, and its rebuilt rules trace as the document\'s own', async () => {
  const text = generateKubeProxy({ services: 300, endpointsPerService: 4, nodePortEvery: 3 });
  const analysis = await analyse('kube.rules', text);
  const json = JSON.stringify(traceModel(analysis, 'file:///x', 1));
  assert.ok(json.length < text.length * 1.25, `${json.length} bytes of model for ${text.length} of rules`);
  const rebuilt = rulesetFromSnapshot(JSON.parse(json).rulesets[0]);
  for (const p of [
    'tcp 198.51.100.7:40000 -> 10.96.0.5:80 in eth0 syn', 'udp 198.51.100.7:40000 -> 10.96.0.9:443 in eth0',
    'tcp 198.51.100.7:40000 -> 203.0.113.1:30003 in eth0 syn', 'tcp 10.0.0.5:40000 -> 10.96.1.8:80', 'tcp 10.0.0.5:40000 -> 10.96.0.7:81',
  ]) {
    const scenario = parseScenario({ packet: packetFromShorthand(p, defaultHost()) });
    assert.deepEqual(traceScenario(rebuilt, scenario), traceScenario(analysis.rulesets.ipv4!, scenario), p);
  }
});

test('where each rule is written: a save file line, a script call\'s words (not the function\'s "$@", not a variable\'s value)', async () => {
  const save = JSON.parse(JSON.stringify(traceModel(await analyse('rules.v4'), 'file:///x', 1).rulesets[0]));
  const filter = save.tables.find((t: TableSnapshot) => t.name === 'filter')!;
  const input = filter.chains.find((c: ChainSnapshot) => c.name === 'INPUT')!;
  // -A INPUT -i lo -j ACCEPT: the line goes, and the webview finds the words on it.
  assert.deepEqual(input.lines.at.slice(0, 2), [33, 34]);
  assert.deepEqual(linePlace(rulesetFromSnapshot(save), 'filter/INPUT/1'), [{ line: 33, start: 0, end: 24 }]);
  assert.deepEqual(input.policyAt, [{ line: 28, start: 7, end: 11 }]);

  const script = traceModel(await analyse('host-firewall.sh'), 'file:///x', 1).rulesets[0];
  const chains = script.tables.find((t) => t.name === 'filter')!.chains;
  const scriptInput = chains.find((c) => c.name === 'INPUT')!;
  // both -A INPUT -i lo -j ACCEPT
  assert.deepEqual(scriptInput.rules![0].at, [{ line: 19, start: 5, end: 29 }]);
  // both -P INPUT DROP
  assert.deepEqual(scriptInput.policyAt, [{ line: 15, start: 5, end: 18 }]);
  // $IPT -A MONITOR -s "$MONITORING" -j ACCEPT
  assert.deepEqual(chains.find((c) => c.name === 'MONITOR')!.rules![0].at, [{ line: 33, start: 5, end: 42 }]);
});

test('errors iptables would stop at are part of the model; warnings are not', async () => {
  const model = traceModel(await analyse('broken.rules', '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -j corp-audit\nCOMMIT\n'), 'file:///x', 1);
  assert.deepEqual(model.errors.map((e) => [e.line, e.start, e.end, e.code]), [[2, 24, 29, 'invalid-value'], [3, 12, 22, 'undefined-jump']]);
});

test('a lens on each built-in chain: on its policy, in the table verdicts belong to first', async () => {
  const lens = (l: { span: { line: number; start: number; end: number }; chain: string }) => [l.chain, l.span.line, l.span.start, l.span.end];
  assert.deepEqual(traceLenses(await analyse('rules.v4')).map(lens), [
    ['PREROUTING', 18, 12, 18], ['POSTROUTING', 21, 13, 19], ['INPUT', 28, 7, 11], ['FORWARD', 29, 9, 13], ['OUTPUT', 30, 8, 14],
  ]);
  // In the script, on the `both -P ...` calls, one lens for both families.
  assert.deepEqual(traceLenses(await analyse('host-firewall.sh')).map(lens), [['INPUT', 15, 5, 7], ['FORWARD', 16, 5, 7], ['OUTPUT', 17, 5, 7]]);
});
