// A packet test's expectation: what it may say, the message for what it may
// not, each way a trace can fall short of it, and what "Save as test" writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultHost, packetFromShorthand, parseScenario, ScenarioError } from '../../server/src/engine';
import { checkExpectation, expectationOf, parseExpectation } from '../../server/src/engine/expectation';
import { packetJson } from '../../server/src/engine/packet';
import { table, trace } from '../support/trace';

const ROUTER = table('nat', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -i eth0 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.10') +
  table('filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', '-A INPUT -p tcp --dport 22 -j ACCEPT', '-A FORWARD -d 10.0.0.10 -j ACCEPT',
    '-A INPUT -p udp -j REJECT', '-A INPUT -p tcp --dport 23 -m limit --limit 1/min -j ACCEPT');
const WEB = 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0';

test('a trace meets an expectation of its fate, interfaces, counters and packet out', () => {
  const t = trace(ROUTER, WEB);
  const e = parseExpectation({ fate: 'forwarded', outInterface: 'eth1', hits: ['nat/PREROUTING/1', 'filter/FORWARD/1'], packetOut: { destination: '10.0.0.10', destinationPort: 80, tcpFlags: ['SYN'] } });
  assert.deepEqual(checkExpectation(e, t), []);
});

test('every unmet expectation is named with what was expected and what the trace gives', () => {
  const t = trace(ROUTER, WEB);
  const e = parseExpectation({ fate: 'dropped', outInterface: 'eth0', hits: ['filter/FORWARD/1', 'filter/INPUT/1'], packetOut: { destination: '10.0.0.11' } });
  assert.deepEqual(checkExpectation(e, t), [
    { field: 'fate', expected: 'dropped', actual: 'forwarded' },
    { field: 'outInterface', expected: 'eth0', actual: 'eth1' },
    { field: 'hits', expected: 'filter/FORWARD/1 filter/INPUT/1', actual: 'nat/PREROUTING/1 filter/FORWARD/1 nat/POSTROUTING/policy:ACCEPT (not: filter/INPUT/1)' },
    { field: 'packetOut.destination', expected: '10.0.0.11', actual: '10.0.0.10' },
  ]);
});

test('an undecided trace fails a fate it does not always have, saying what it depends on', () => {
  const t = trace(ROUTER, 'tcp 198.51.100.7:40000 -> 203.0.113.1:23 in eth0');
  const [m] = checkExpectation(parseExpectation({ fate: 'delivered' }), t);
  assert.equal(m.field, 'fate');
  assert.match(m.actual, /^it depends \(delivered or dropped, on filter\/INPUT\/3 -m limit --limit 1\/min\)$/);
});

test('bad expectations get one message naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ fate: 'accepted' }, /^expect\.fate: expected one of delivered, forwarded, sent, dropped, got "accepted"$/],
    [{ verdict: 'dropped' }, /^expect\.verdict: unknown field; known fields: fate, inInterface/],
    [{ hits: ['INPUT/3'] }, /^expect\.hits\[0\]: expected a counter such as "filter\/INPUT\/3"/],
    [{ packetOut: { destination: '10.0.0.300' } }, /^expect\.packetOut\.destination: "10\.0\.0\.300" is not an IPv4 or IPv6 address$/],
    [{ packetOut: { color: 'red' } }, /^expect\.packetOut\.color: unknown field/],
    [{}, /^expect\.fate: an expectation says at least one of/],
    ['dropped', /^expect: expected an object, got "dropped"$/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseExpectation(json), (e: Error) => e instanceof ScenarioError && message.test(e.message), JSON.stringify(json));
  }
  // In a scenario, the path names the field as the packet's do.
  assert.throws(() => parseScenario({ packet: { destination: '203.0.113.1' }, expect: { fate: 'lost' } }), (e: Error) => e.message.startsWith('expect.fate: '));
});

test('"Save as test" expects the verdict and what NAT changed; an undecided trace gives no test', () => {
  const saved = (shorthand: string) => expectationOf(trace(ROUTER, shorthand), packetJson(parseScenario({ packet: packetFromShorthand(shorthand, defaultHost()) }).packet));
  assert.deepEqual(saved(WEB), { fate: 'forwarded', outInterface: 'eth1', packetOut: { destination: '10.0.0.10' } });
  assert.deepEqual(saved('udp 198.51.100.7:40000 -> 203.0.113.1:53 in eth0'), { fate: 'dropped', rejectWith: 'icmp-port-unreachable' });
  assert.deepEqual(saved('tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0'), { fate: 'delivered', inInterface: 'eth0' });
  assert.equal(saved('tcp 198.51.100.7:40000 -> 203.0.113.1:23 in eth0'), undefined);
});
