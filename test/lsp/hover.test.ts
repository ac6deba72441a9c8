// Hover from the language server over a real JSON-RPC connection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Hover, HoverRequest, MarkupContent } from 'vscode-languageserver-protocol/node';
import { LspClient } from '../support/lspClient';
import { generateKubeProxy } from '../bench/kubeProxy';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

function hoverAt(uri: string, line: number, character: number): Promise<Hover | null> {
  return client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
}

const value = (h: Hover | null) => (h?.contents as MarkupContent | undefined)?.value;

const TEXT = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:web - [0:0]\n'
  + '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -p tcp -j web\n-A FORWARD -j DOCKER-USER\nCOMMIT\n';

test('a chain of Docker says who creates it', async () => {
  const uri = 'file:///tmp/lsp-hover/docker.rules';
  await client.open(uri, TEXT);
  const h = await hoverAt(uri, 6, 16);
  assert.equal((h?.contents as MarkupContent).kind, 'markdown');
  assert.deepEqual(h?.range, { start: { line: 6, character: 14 }, end: { line: 6, character: 25 } });
  assert.match(value(h)!, /\*\*Docker\*\* creates chains named like this\. The place for your own rules about container traffic/);
});

test('a conntrack state says what it means, on the word under the mouse', async () => {
  const uri = 'file:///tmp/lsp-hover/state.rules';
  await client.open(uri, TEXT);
  const h = await hoverAt(uri, 4, 47);
  assert.deepEqual(h?.range, { start: { line: 4, character: 44 }, end: { line: 4, character: 51 } });
  assert.match(value(h)!, /^\*\*RELATED\*\*\n\nA new connection that belongs to an existing one/);
});

test('a user chain: declaration, rules, hooks and callers, as of the current text', async () => {
  const uri = 'file:///tmp/lsp-hover/chain.rules';
  await client.open(uri, TEXT);
  assert.equal(value(await hoverAt(uri, 3, 2)), '**web** — user chain of the filter table, declared on line 4\n\n'
    + '0 rules. Reached from INPUT. Jumped to from INPUT (line 6).');
  // Hover waits for the analysis of the version it is asked about.
  await client.change(uri, { range: { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } }, text: '-A FORWARD -g web\n' });
  assert.equal(value(await hoverAt(uri, 3, 2)), '**web** — user chain of the filter table, declared on line 4\n\n'
    + '0 rules. Reached from INPUT, FORWARD. Jumped to from INPUT (line 6), FORWARD (line 8, goto).');
});

test('in a large file, hover does not wait for the analysis of an edit: it answers from the last one finished', async () => {
  const uri = 'file:///tmp/lsp-hover/kube-proxy.rules';
  const text = generateKubeProxy({ services: 300, endpointsPerService: 3 });
  assert.ok(text.length > 256 * 1024, 'large enough not to be waited for');
  const lines = text.split('\n');
  const declared = lines.indexOf(':KUBE-MARK-MASQ - [0:0]');
  const rule = lines.indexOf('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
  await client.open(uri, text);
  await client.diagnosticsOf(uri, 1);
  const rules = async () => /(\d+) rules?\./.exec(value(await hoverAt(uri, declared, 3)) ?? '')?.[1];
  assert.equal(await rules(), '1');
  const version = await client.change(uri, { range: { start: { line: rule + 1, character: 0 }, end: { line: rule + 1, character: 0 } }, text: '-A KUBE-MARK-MASQ -j RETURN\n' });
  assert.equal(await rules(), '1', 'the analysis of the edit is not finished yet');
  await client.diagnosticsOf(uri, version);
  assert.equal(await rules(), '2');
});

test('nothing under the mouse: no hover', async () => {
  const uri = 'file:///tmp/lsp-hover/blank.rules';
  await client.open(uri, TEXT);
  assert.equal(await hoverAt(uri, 4, 8), null);
  assert.equal(await hoverAt(uri, 40, 0), null);
});
