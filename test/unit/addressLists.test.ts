// `-s a,b -d c,d`: iptables makes one rule per pair of addresses. Hover says how
// many; past 100,000 such rules in one file a command stays one rule, reported,
// that a trace still matches against every pair.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { defaultHost, packetFromShorthand, parseScenario, traceScenario } from '../../server/src/engine';
import { hover } from '../../server/src/services/hover';
import { atCursor } from '../support/cursor';

/** `count` addresses of `net`.0.x, comma-separated (under iptables-restore's 1,023 bytes a word). */
const addresses = (count: number, net: string) => Array.from({ length: count }, (_, i) => `${net}.${i}`).join(',');

test('hover on -A and on an address list says how many rules iptables makes of the command', async () => {
  const text = '*filter\n:INPUT DROP [0:0]\n-‸A INPUT -s 10.0.0.1,10.0.0.2 -d 192.0.2.1,192.0.2.2,192.0.2.3 -j ACCEPT\nCOMMIT\n';
  const onCommand = await atCursor(text, 'save');
  assert.match(hover(onCommand.source, onCommand.position)!.contents, /iptables makes 6 rules of this command, one per pair of addresses \(2 sources × 3 destinations\)\./);
  const onList = await atCursor(text.replace('‸', '').replace('192.0.2.2', '192.0‸.2.2'), 'save');
  assert.match(hover(onList.source, onList.position)!.contents, /iptables makes 6 rules of this command/);
  const single = await atCursor(text.replace('‸', '').replace('-A', '-‸A').replace('10.0.0.1,10.0.0.2', '10.0.0.1').replace('192.0.2.1,192.0.2.2,192.0.2.3', '192.0.2.1'), 'save');
  assert.doesNotMatch(hover(single.source, single.position)!.contents, /rules of this command/);
});

test('past 100,000 rules from address lists, a command is one rule, reported, and a packet of any listed pair still meets its verdict', () => {
  const lists = Array.from({ length: 10 }, (_, k) => `-A FORWARD -s ${addresses(100, `10.1.${k}`)} -d ${addresses(100, '10.2.0')} -j ACCEPT`);
  const text = `*filter\n:FORWARD ACCEPT [0:0]\n${lists.join('\n')}\n-A FORWARD -s ${addresses(70, '192.0.2')} -d ${addresses(70, '203.0.113')} -j DROP\nCOMMIT\n`;
  const { ruleset, diagnostics } = analyseSaveText(text, DEFAULT_OPTIONS);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.span.line + 1]), [['too-many-rules', 13]]);
  assert.match(diagnostics[0].message, /^iptables makes 4,900 rules of this command \(70 sources × 70 destinations\); past 100,000 rules/);
  const forward = ruleset!.tables.get('filter')!.chains.get('FORWARD')!;
  assert.equal(forward.rules.length, 100_001);
  const traced = (packet: string) => traceScenario(ruleset!, parseScenario({ packet: packetFromShorthand(packet, defaultHost()) }, 'ipv4'));
  const listed = traced('tcp 192.0.2.57:40000 -> 203.0.113.69:22 in eth0');
  assert.equal(listed.fate, 'dropped');
  assert.deepEqual(listed.hits, ['filter/FORWARD/100001']);
  const other = traced('tcp 192.0.2.70:40000 -> 203.0.113.69:22 in eth0');
  assert.equal(other.fate, 'forwarded');
  assert.deepEqual(other.hits, ['filter/FORWARD/policy:ACCEPT']);
});
