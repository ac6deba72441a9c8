// Fuzz: the engine's scenarios (what iptables-trace --scenario and the panel's
// samples read) built from the fields it knows, with right, wrong and random
// values, traced through rulesets made of random rules. A scenario is either
// refused with a ScenarioError (a message for the user) or traced; nothing else.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument } from '../../server/src/analysis/document';
import { DEFAULT_HOST_JSON, parseScenario, ScenarioError, traceScenario } from '../../server/src/engine';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { fuzzTest } from '../support/fuzz';
import { saveText } from '../support/fuzzInputs';

const RULES = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:web - [0:0]\n-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n'
  + '-A INPUT -p tcp --dport 22 -j web\n-A INPUT -p icmp -j ACCEPT\n-A web -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP\n'
  + '-A web -m limit --limit 3/min -j LOG\n-A web -j ACCEPT\n-A FORWARD -i eth1 -o eth0 -j ACCEPT\nCOMMIT\n'
  + '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -i eth0 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.5:8080\n'
  + '-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n';

const address = fc.constantFrom('203.0.113.7', '10.0.0.5', '10.0.0.1', '127.0.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '2001:db8::7', 'fe80::1', '::', 'nonsense', '', '1.2.3.4/24');
const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 20 }));
// Mostly right fields with right values, so that most scenarios get traced; now and then anything.
const packetField = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('source', 'destination'), address) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('protocol'), fc.constantFrom('tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'gre', 'esp', '6', '300', 'x')) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('sourcePort', 'destinationPort', 'ttl', 'hopLimit', 'length', 'mark', 'icmpType', 'icmpCode', 'tos', 'mss'), fc.integer({ min: -2, max: 70000 })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('inInterface', 'outInterface'), fc.constantFrom('eth0', 'eth1', 'lo', 'eth0', 'eth1', 'wg0')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('tcpFlags'), fc.constantFrom('SYN', 'SYN,ACK', 'ACK', 'FIN,ACK', 'RST', 'NONE', 'BOGUS')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('ctState'), fc.constantFrom('NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'x')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('moreFragments', 'dontFragment'), fc.boolean()) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('inner'), fc.record({ protocol: fc.constantFrom('udp', 'tcp', 'icmp'), source: address, destination: address }, { requiredKeys: [] })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('payload', 'payloadHex', 'sourceMac', 'ctDirection', 'family', 'sourcePort', 'inner'), anything) },
  // Any key: a JSON value written out (String() of an object with a `toString` key of its own throws).
  { weight: 1, arbitrary: fc.tuple(anything.map((v) => JSON.stringify(v)), anything) },
);
const packet = fc.array(packetField, { maxLength: 5 }).map((fields) => Object.fromEntries([['protocol', 'tcp'], ['source', '203.0.113.7'], ['destination', '10.0.0.1'], ...fields]));
const scenario = fc.record({
  host: fc.oneof({ weight: 8, arbitrary: fc.constant(DEFAULT_HOST_JSON) }, fc.constant({ interfaces: [] }), anything),
  packet: fc.oneof({ weight: 10, arbitrary: packet }, anything),
  conntrack: fc.constantFrom('auto', 'on', 'on', 'off'),
  history: fc.array(packet, { maxLength: 2 }),
  state: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, fc.constant({ recent: { ssh: [{ address: '203.0.113.7', seen: [1, 2, 3] }] } }), anything),
}, { requiredKeys: ['packet'] });

let fixed: Awaited<ReturnType<typeof analyseDocument>> | undefined;

fuzzTest('scenarios: refused with a message, or traced, through a fixed and a random ruleset', fc.tuple(scenario, saveText), async ([json, text]) => {
  fixed ??= await analyseDocument(RULES, 'save', DEFAULT_OPTIONS, nodeBashParser);
  const random = await analyseDocument(text, 'save', DEFAULT_OPTIONS, nodeBashParser);
  for (const analysis of [fixed, random]) {
    for (const ruleset of Object.values(analysis.rulesets)) {
      let parsed;
      try {
        parsed = parseScenario(json, ruleset.family);
      } catch (e) {
        assert.ok(e instanceof ScenarioError, `not a ScenarioError: ${(e as Error).stack}`);
        continue;
      }
      const trace = traceScenario(ruleset, parsed);
      assert.ok(['delivered', 'forwarded', 'sent', 'dropped', 'unknown'].includes(trace.fate), trace.fate);
    }
  }
}, { runs: 80 });
