// What the trace panel shows for real traces of the router example: the path,
// each table's status at each hook, the rule that decided, the steps with jumps
// indented, uncertain outcomes, and long runs of misses folded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { renderVerdict } from '../../client/webview/render';
import { traceView, TraceView, ViewOptions } from '../../client/webview/viewModel';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { defaultHost, packetFromShorthand, parseScenario, traceScenario } from '../../server/src/engine';
import type { Ruleset } from '../../server/src/model/ruleset';
import { nftRule, nftSummary } from '../../server/src/nft/script';
import { REPO } from '../support/shared';

const ROUTER = analyseSaveText(readFileSync(path.join(REPO, 'examples', 'rules.v4'), 'utf8'), DEFAULT_OPTIONS).ruleset!;

function view(packet: string | Record<string, unknown>, ruleset: Ruleset = ROUTER, options: Partial<ViewOptions> = {}): TraceView {
  const scenario = parseScenario({ packet: typeof packet === 'string' ? packetFromShorthand(packet, defaultHost()) : packet });
  return traceView(traceScenario(ruleset, scenario), { arrivedOn: scenario.packet.inInterface, tables: new Set(ruleset.tables.keys()), ...options });
}

const statuses = (v: TraceView, hook: keyof TraceView['picture']['stages']) => v.picture.stages[hook].map((s) => `${s.name}:${s.status}`);

test('a port-forwarded connection: the path through FORWARD, the DNAT shown where it happens, and the FORWARD rule that accepted it', () => {
  const v = view('tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn');
  assert.equal(v.verdict, 'forwarded out eth1');
  assert.equal(v.decided, true);
  assert.equal(v.decider, 'filter/FORWARD/3');
  assert.deepEqual(v.picture.path, ['in', 'PREROUTING', 'route-in', 'FORWARD', 'POSTROUTING', 'out']);
  assert.equal(v.picture.inInterface, 'eth0');
  assert.equal(v.picture.outInterface, 'eth1');
  assert.deepEqual(statuses(v, 'PREROUTING'), ['raw:accepted', 'conntrack:accepted', 'mangle:accepted', 'nat:accepted']);
  assert.deepEqual(statuses(v, 'FORWARD'), ['mangle:accepted', 'filter:accepted', 'security:absent']);
  assert.deepEqual(statuses(v, 'INPUT'), ['mangle:unreached', 'filter:unreached', 'security:absent', 'nat:unreached']);
  // The jump into port-forwards is indented under the rule that jumps.
  const jump = v.rows.findIndex((r) => r.rule === 'nat/PREROUTING/1');
  assert.deepEqual(v.rows.slice(jump, jump + 3).map((r) => [r.kind, r.depth, r.text]), [
    ['rule', 0, '-A PREROUTING -i eth0 -j port-forwards'],
    ['chain', 1, 'nat/port-forwards'],
    ['rule', 1, '-A port-forwards -p tcp -m multiport --dports 80,443 -j DNAT --to-destination 10.0.0.10'],
  ]);
  assert.deepEqual(v.rows[jump + 2].changed, ['destination 203.0.113.1 → 10.0.0.10']);
  assert.equal(v.rows[jump + 2].detail, 'match → DNAT to 10.0.0.10:80');
  const decider = v.rows.filter((r) => r.decider);
  assert.deepEqual(decider.map((r) => [r.rule, r.line]), [['filter/FORWARD/3', 42]]);
});

test('a dropped packet: the table that dropped it, what it never reached, and the DROP rule in log-drop', () => {
  const v = view('tcp 198.51.100.7:40000 -> 203.0.113.1:23 in eth0 syn');
  assert.equal(v.verdict, 'dropped: filter/log-drop/2 DROP');
  assert.equal(v.decider, 'filter/log-drop/2');
  assert.deepEqual(v.picture.path, ['in', 'PREROUTING', 'route-in', 'INPUT']);
  assert.equal(v.picture.droppedAt, 'INPUT');
  assert.deepEqual(statuses(v, 'INPUT'), ['mangle:accepted', 'filter:dropped', 'security:absent', 'nat:unreached']);
  assert.equal(v.picture.stages.INPUT[1].detail, 'dropped by rule 2 of log-drop');
  assert.equal(v.picture.stages.INPUT[3].detail, 'not reached: the packet was dropped before');
  // The LOG rule's rate limit is uncertain, and nothing depends on it: a maybe, not a fork.
  const log = v.rows.find((r) => r.rule === 'filter/log-drop/1')!;
  assert.equal(log.result, 'maybe');
  assert.equal(log.depth, 1);
  assert.deepEqual(v.maybeHits, ['filter/log-drop/1']);
});

test('SSH from outside depends on the recent list: two outcomes, the fork marked, each with what it assumes', () => {
  const v = view('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn');
  assert.equal(v.decided, false);
  assert.equal(v.verdict, 'undecided: 2 possible outcomes');
  assert.deepEqual(v.outcomes.map((o) => o.headline), ['dropped: filter/log-drop/2 DROP', 'delivered to this host (arrived on eth0)']);
  assert.equal(v.outcomes[0].assumptions.length, 1);
  assert.match(v.outcomes[0].assumptions[0], /^filter\/ssh-guard\/2 .* matches — /);
  assert.equal(v.rows.filter((r) => r.kind === 'fork').length, 1);
  const second = view('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn', ROUTER, { outcome: 1 });
  assert.equal(second.shown, 1);
  assert.equal(second.shownFate, 'delivered');
  assert.equal(second.decider, 'filter/ssh-guard/3');
});

test('a reply on an established connection skips nat; a packet the host sends starts at the local process', () => {
  const reply = view({ inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.20', destination: '203.0.113.1', sourcePort: 443, destinationPort: 40000, tcpFlags: ['ACK'], ctState: 'ESTABLISHED', ctDirection: 'reply' });
  assert.equal(reply.verdict, 'delivered to this host (arrived on eth0)');
  assert.deepEqual(statuses(reply, 'PREROUTING'), ['raw:accepted', 'conntrack:accepted', 'mangle:accepted', 'nat:skipped']);
  assert.equal(reply.picture.stages.PREROUTING[3].detail, 'nat PREROUTING skipped: not the first packet of its connection');
  assert.equal(reply.decider, 'filter/INPUT/2');

  const sent = view({ protocol: 'udp', destination: '198.51.100.20', destinationPort: 53 });
  assert.equal(sent.verdict, 'sent out eth0');
  assert.deepEqual(sent.picture.path, ['local', 'route-out', 'OUTPUT', 'POSTROUTING', 'out']);
  assert.equal(sent.picture.inInterface, null);
  // No rule in filter OUTPUT: its policy decided.
  assert.equal(sent.decider, 'filter/OUTPUT/policy:ACCEPT');
});

test('a long run of rules that do not match folds after its first three, and opens when asked', () => {
  const rules = Array.from({ length: 20 }, (_, i) => `-A INPUT -s 192.0.2.${i + 1}/32 -j DROP`).join('\n');
  const ruleset = analyseSaveText(`*filter\n:INPUT ACCEPT [0:0]\n${rules}\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n`, DEFAULT_OPTIONS).ruleset!;
  const packet = 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn';
  const folded = view(packet, ruleset);
  const rules3 = folded.rows.filter((r) => r.kind === 'rule' || r.kind === 'hidden').map((r) => [r.kind, r.rule, r.count]);
  assert.deepEqual(rules3, [
    ['rule', 'filter/INPUT/1', undefined], ['rule', 'filter/INPUT/2', undefined], ['rule', 'filter/INPUT/3', undefined],
    ['hidden', 'filter/INPUT/1', 17],
    ['rule', 'filter/INPUT/21', undefined],
  ]);
  assert.equal(folded.rows.find((r) => r.kind === 'hidden')!.text, '17 more rules did not match');
  const open = view(packet, ruleset, { expanded: new Set(['filter/INPUT/1']) });
  assert.equal(open.rows.filter((r) => r.kind === 'rule').length, 21);
});

const V6 = analyseSaveText('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -i eth0 -j ACCEPT\nCOMMIT\n', { ...DEFAULT_OPTIONS, family: 'ipv6' }).ruleset!;

test('IPv6: a link-local source is not forwarded, stopped after routing and before FORWARD; a lone fragment is held after INPUT', () => {
  const scope = view('udp [fe80::5]:40000 -> [fd00::2]:53 in eth0', V6);
  assert.equal(scope.verdict, 'not forwarded: beyond scope: a link-local source may not leave its link (eth0 to eth1) (answered with icmp6-beyond-scope)');
  assert.equal(scope.stop, 'not-forwarded');
  assert.deepEqual(scope.picture.path, ['in', 'PREROUTING', 'route-in']);
  assert.equal(scope.picture.droppedAt, 'route-in');
  assert.deepEqual(statuses(scope, 'FORWARD'), ['mangle:absent', 'filter:unreached', 'security:absent']);
  const held = view({ protocol: 'udp', source: '2001:db8:5::7', destination: '2001:db8:1::1', inInterface: 'eth0', moreFragments: true, payloadHex: '00'.repeat(8) }, V6);
  assert.match(held.verdict, /^held for reassembly: /);
  assert.deepEqual(held.picture.path, ['in', 'PREROUTING', 'route-in', 'INPUT', 'local']);
  assert.equal(held.picture.droppedAt, 'local');
  assert.match(renderVerdict(held), /codicon-watch/, 'held, not refused: a clock, not the no-entry sign');
  assert.match(renderVerdict(scope), /codicon-circle-slash/);
});

test('each rule step says what the rule is in nftables', () => {
  const nft = (table: string, chain: string, index: number) => {
    const rule = ROUTER.tables.get(table)!.chains.get(chain)!.rules[index - 1];
    return nftSummary(nftRule(rule, ROUTER));
  };
  const v = view('tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn', ROUTER, { nft });
  const dnat = v.rows.find((r) => r.rule === 'nat/port-forwards/1');
  assert.equal(dnat?.nft, 'tcp dport { 80, 443 } counter dnat to 10.0.0.10');
  // Steps that are not rules have none.
  assert.deepEqual(v.rows.filter((r) => r.nft !== undefined && r.kind !== 'rule'), []);
});
