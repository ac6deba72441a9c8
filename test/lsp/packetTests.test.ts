// The Testing view's request over a real connection to the built server: the
// tests run against the document as the editor has it, open or not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { PACKET_TESTS_REQUEST, PacketTestsAnswer, PacketTestsParams } from '../../server/src/protocol/requests';
import { LspClient } from '../support/lspClient';
import { REPO } from '../support/shared';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

const ROUTER = readFileSync(path.join(REPO, 'examples', 'rules.v4'), 'utf8');
const WEB = { inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', destinationPort: 80 };
const TESTS: PacketTestsParams['tests'] = [
  { id: 'a', name: 'web', json: JSON.stringify({ packet: WEB, expect: { fate: 'forwarded', packetOut: { destination: '10.0.0.10' } } }) },
  { id: 'b', name: 'web-dropped', json: JSON.stringify({ packet: WEB, expect: { fate: 'dropped' } }) },
  { id: 'c', name: 'half-typed', json: '{"packet": {' },
];

function run(uri: string, text: string, version: number): Promise<PacketTestsAnswer> {
  return client.connection.sendRequest<PacketTestsAnswer>(PACKET_TESTS_REQUEST, { uri, text, version, tests: TESTS } satisfies PacketTestsParams);
}

test('iptables/runPacketTests runs each test against the open document, again after an edit', async () => {
  const uri = 'file:///tmp/lsp-tests/rules.v4';
  await client.open(uri, ROUTER);
  const first = (await run(uri, ROUTER, 1))!.results;
  assert.deepEqual(first.map((r) => [r.id, r.name, r.passed]), [['a', 'web', true], ['b', 'web-dropped', false], ['c', 'half-typed', false]]);
  assert.deepEqual(first[1].failures, [{ field: 'fate', expected: 'dropped', actual: 'forwarded' }]);
  assert.deepEqual(first[1].expected, ['fate: dropped']);
  assert.equal(first[1].actual[0], 'fate: forwarded');
  assert.ok(first[1].actual.includes('  filter/FORWARD/3  -A FORWARD -i eth0 -o eth1 -d 10.0.0.10/32 -p tcp -m multiport --dports 80,443 -m conntrack --ctstate DNAT -j ACCEPT → ACCEPT'));
  assert.match(first[2].error!, /^not valid JSON: /);
  // The forwarding rule edited to DROP: now the second test passes and the first fails.
  const line = ROUTER.split('\n').findIndex((l) => l.startsWith('-A FORWARD -i eth0 -o eth1 -d 10.0.0.10/32'));
  const end = ROUTER.split('\n')[line].length;
  const version = await client.change(uri, { range: { start: { line, character: end - 6 }, end: { line, character: end } }, text: 'DROP' });
  const edited = ROUTER.split('\n').map((l, i) => (i === line ? l.replace(/ACCEPT$/, 'DROP') : l)).join('\n');
  assert.deepEqual((await run(uri, edited, version))!.results.map((r) => r.passed), [false, true, false]);
});

test('a file the server does not have open is analysed from the text sent; a script without iptables gets null', async () => {
  const uri = 'file:///tmp/lsp-tests/closed/rules.v4';
  // Without the port forwards, the web request meets INPUT's DROP policy.
  const answer = (await run(uri, ROUTER.replace('-j port-forwards', '-j ACCEPT'), 3))!.results;
  assert.deepEqual(answer.map((r) => r.passed), [false, true, false]);
  assert.equal(answer[0].failures[0].actual, 'dropped');
  assert.equal(await run('file:///tmp/lsp-tests/backup.sh', '#!/bin/bash\ntar czf /backup/home.tgz /home\n', 1), null);
});
