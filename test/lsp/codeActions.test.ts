// Quick fixes over a real connection: the code actions the server offers for a
// published diagnostic, applied as the editor applies them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CodeAction, CodeActionRequest, Diagnostic } from 'vscode-languageserver-protocol/node';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

async function actionsFor(uri: string, diagnostic: Diagnostic, only?: string[]): Promise<CodeAction[]> {
  const result = await client.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic], only },
  });
  return (result ?? []) as CodeAction[];
}

/** The text after the actions' edits, all made on `text` at once (as for "fix all"). */
function applied(uri: string, text: string, ...actions: CodeAction[]): string {
  const edits = actions.flatMap((a) => a.edit?.changes?.[uri] ?? []);
  assert.ok(edits.length, `no edits for ${uri} in ${JSON.stringify(actions)}`);
  return TextDocument.applyEdits(TextDocument.create(uri, 'iptables', 1, text), edits);
}

test('a save file: the fix for `--ctstate` without its module, applied, clears the diagnostic', async () => {
  const uri = 'file:///tmp/lsp-quickfix/rules.v4';
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT --ctstate ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -j LOGDROP\nCOMMIT\n';
  await client.open(uri, text);
  const published = await client.diagnostics(uri, 1);
  assert.deepEqual(published.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['unknown-option', 2, 9], ['undefined-jump', 3, 19]]);

  const [option, jump] = published.diagnostics;
  const optionActions = await actionsFor(uri, option);
  assert.deepEqual(optionActions.map((a) => [a.title, a.kind, a.isPreferred, a.diagnostics?.[0].code]), [['Add `-m conntrack`', 'quickfix', true, 'unknown-option']]);
  const jumpActions = await actionsFor(uri, jump);
  assert.deepEqual(jumpActions.map((a) => a.title), ['Declare chain LOGDROP (`:LOGDROP - [0:0]`)']);

  const fixed = applied(uri, text, jumpActions[0], optionActions[0]);
  assert.equal(fixed, '*filter\n:INPUT DROP [0:0]\n:LOGDROP - [0:0]\n-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -j LOGDROP\nCOMMIT\n');
  await client.change(uri, { text: fixed });
  const after = await client.diagnostics(uri, 2);
  assert.deepEqual(after.diagnostics.map((d) => d.code), []);
});

test('a shell script: creating the missing chain with the script\'s own iptables command', async () => {
  const uri = 'file:///tmp/lsp-quickfix/firewall.sh';
  const text = '#!/bin/bash\nIPT=/usr/sbin/iptables\n$IPT -P INPUT DROP\n$IPT -A INPUT -p tcp --dport 22 -j SSH\n$IPT -A SSH -j ACCEPT\n';
  await client.open(uri, text, 'shellscript');
  const published = await client.diagnostics(uri, 1);
  const jump = published.diagnostics.find((d) => d.code === 'undefined-jump');
  assert.ok(jump, JSON.stringify(published.diagnostics));
  const actions = await actionsFor(uri, jump);
  assert.deepEqual(actions.map((a) => [a.title, a.isPreferred]), [['Create chain SSH (`$IPT -N SSH`)', true]]);
  assert.equal(applied(uri, text, actions[0]), '#!/bin/bash\nIPT=/usr/sbin/iptables\n$IPT -P INPUT DROP\n$IPT -N SSH\n$IPT -A INPUT -p tcp --dport 22 -j SSH\n$IPT -A SSH -j ACCEPT\n');
});

test('a duplicate rule: the fix removes its line', async () => {
  const uri = 'file:///tmp/lsp-quickfix/duplicate.rules';
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';
  await client.open(uri, text);
  const [duplicate] = (await client.diagnostics(uri, 1)).diagnostics;
  assert.deepEqual([duplicate.code, duplicate.range.start.line], ['duplicate-rule', 3]);
  const actions = await actionsFor(uri, duplicate);
  assert.deepEqual(actions.map((a) => [a.title, a.isPreferred]), [['Remove the duplicate rule', true]]);
  assert.equal(applied(uri, text, actions[0]), '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n');
});

test('no quick fixes when the editor asks only for other kinds, or for a diagnostic that is not ours', async () => {
  const uri = 'file:///tmp/lsp-quickfix/crlf.rules';
  const text = '*filter\r\n:INPUT ACCEPT [0:0]\r\nCOMMIT\r\n';
  await client.open(uri, text);
  const [crlf] = (await client.diagnostics(uri, 1)).diagnostics;
  assert.equal(crlf.code, 'crlf');
  assert.deepEqual((await actionsFor(uri, crlf)).map((a) => applied(uri, text, a)), ['*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n']);
  assert.deepEqual(await actionsFor(uri, crlf, ['source.organizeImports']), []);
  assert.deepEqual(await actionsFor(uri, { ...crlf, code: 'something-else' }), []);
});
