// The language server over a real JSON-RPC connection, as VS Code talks to it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start({ externalChains: ['corp-*'] }));
after(() => client.stop());

test('diagnostics appear for a broken file and go away when it is fixed', async () => {
  const uri = 'file:///tmp/lsp-test/rules.v4';
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -j corp-audit\nCOMMIT\n';
  await client.open(uri, text);
  const first = await client.diagnostics(uri, 1);
  assert.deepEqual(first.diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.code, d.source]), [
    [2, 24, 29, 1, 'invalid-value', 'iptables'],
    // corp-* comes from the client's settings, so this is a warning, not an error.
    [3, 12, 22, 2, 'undefined-jump', 'iptables'],
  ]);
  await client.change(uri, { range: { start: { line: 2, character: 24 }, end: { line: 2, character: 29 } }, text: '22' });
  const second = await client.diagnostics(uri, 2);
  assert.deepEqual(second.diagnostics.map((d) => d.code), ['undefined-jump']);
  assert.equal(second.version, 2);
});

test('a binary document gets one clear diagnostic', async () => {
  const uri = 'file:///tmp/lsp-test/blob.rules';
  await client.open(uri, '\0\0\0ELF\0');
  const d = await client.diagnostics(uri, 1);
  assert.deepEqual(d.diagnostics.map((x) => [x.code, x.message]), [['binary-file', 'this file is binary, not text: it is not analysed']]);
});

test('a settings change re-analyses open documents with the new settings', async () => {
  const uri = 'file:///tmp/lsp-test/external.rules';
  await client.open(uri, '*filter\n:INPUT DROP [0:0]\n-A INPUT -j audit-log\nCOMMIT\n');
  const before = await client.diagnostics(uri, 1);
  assert.deepEqual(before.diagnostics.map((d) => [d.code, d.severity]), [['undefined-jump', 1]]);
  await client.configure({ externalChains: ['corp-*', 'audit-*'] });
  const after = await client.diagnostics(uri, 2);
  assert.deepEqual(after.diagnostics.map((d) => [d.code, d.severity]), [['undefined-jump', 2]]);
  await client.configure({ externalChains: ['corp-*'] });
});
