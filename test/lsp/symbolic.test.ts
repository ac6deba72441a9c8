// The symbolic engine's requests over a real connection to the built server:
// the service matrix of an open document, and what another version of it
// (HEAD's, or the text before an edit) would change for the packets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { SEMANTIC_DIFF_REQUEST, SemanticDiffAnswer, SemanticDiffParams, SERVICE_MATRIX_REQUEST, ServiceMatrixAnswer, ServiceMatrixParams } from '../../server/src/protocol/requests';
import { LspClient } from '../support/lspClient';
import { REPO } from '../support/shared';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

const ROUTER = readFileSync(path.join(REPO, 'examples', 'rules.v4'), 'utf8');
const URI = 'file:///tmp/lsp-symbolic/rules.v4';

test('iptables/serviceMatrix: who reaches tcp:22 on the open document, and a clear error for a service it cannot read', async () => {
  await client.open(URI, ROUTER);
  const m = await client.connection.sendRequest<ServiceMatrixAnswer>(SERVICE_MATRIX_REQUEST, { uri: URI, service: 'tcp:22' } satisfies ServiceMatrixParams);
  assert.ok(m && 'text' in m);
  assert.match(m.text, /^tcp:22: new connections \(SYN\) to port 22, IPv4\n/);
  assert.match(m.text, /\n {2}forwarded out eth0 from 10\.0\.0\.0\/24 but 10\.0\.0\.1 .* on eth1\n {21}NAT: source → 203\.0\.113\.1\n/);
  // The panel's part: the classes with their cells and an example, at most maxClasses of them and how many more.
  const few = await client.connection.sendRequest<ServiceMatrixAnswer>(SERVICE_MATRIX_REQUEST, { uri: URI, service: 'tcp:22', maxClasses: 3 } satisfies ServiceMatrixParams);
  assert.ok(few && 'matrices' in few && 'matrices' in m);
  const all = m.matrices[0].classes;
  assert.equal(few.matrices[0].classes.length, 3);
  assert.equal(few.matrices[0].more, all.length - 3);
  const masq = all.find((c) => c.fate === 'forwarded' && c.outInterface === 'eth0' && c.rewrites.includes('source → 203.0.113.1'));
  assert.ok(masq && masq.cells.some((x) => x.from.startsWith('10.0.0.0/24 but') && x.on === 'eth1'));
  assert.equal((masq.example.packet as Record<string, unknown>).inInterface, 'eth1');
  const bad = await client.connection.sendRequest<ServiceMatrixAnswer>(SERVICE_MATRIX_REQUEST, { uri: URI, service: 'tcp:http' } satisfies ServiceMatrixParams);
  assert.deepEqual(bad, { error: 'not a service: `tcp:http` (tcp:22, udp:53, icmp, or a protocol alone)' });
});

test('iptables/semanticDiff: an edit that limits SSH to eth1 drops it on eth0; the same text changes nothing; too many rules for the automatic check gets null', async () => {
  const uri = 'file:///tmp/lsp-symbolic/edited.v4';
  const edited = ROUTER.replace('-A INPUT -p tcp -m tcp --dport 22', '-A INPUT -i eth1 -p tcp -m tcp --dport 22');
  assert.notEqual(edited, ROUTER);
  await client.open(uri, edited);
  const names = { a: 'HEAD', b: 'this version' };
  const d = await client.connection.sendRequest<SemanticDiffAnswer>(SEMANTIC_DIFF_REQUEST, { uri, baseText: ROUTER, names } satisfies SemanticDiffParams);
  assert.ok(d && d.changes > 0);
  assert.match(d.text, /^IPv4: what changes from HEAD \(before\) to this version \(now\):\n/);
  for (const l of d.text.split('\n').filter((x) => x.startsWith('  tcp'))) assert.match(l, /^ {2}tcp .*to port 22 .* on eth0: delivered before, dropped now$/);
  const same = await client.connection.sendRequest<SemanticDiffAnswer>(SEMANTIC_DIFF_REQUEST, { uri, baseText: edited, names } satisfies SemanticDiffParams);
  assert.deepEqual(same, { text: 'IPv4: no packet\'s fate changes from HEAD to this version\n', changes: 0 });
  const big = await client.connection.sendRequest<SemanticDiffAnswer>(SEMANTIC_DIFF_REQUEST, { uri, baseText: ROUTER, names, maxRules: 5 } satisfies SemanticDiffParams);
  assert.equal(big, null);
});
