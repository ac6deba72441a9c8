// Completion from the language server over a real JSON-RPC connection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CompletionItem, CompletionItemKind, CompletionList, CompletionRequest, InsertTextFormat, MarkupContent, TextEdit,
} from 'vscode-languageserver-protocol/node';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

async function complete(uri: string, line: number, character: number): Promise<CompletionList | null> {
  return client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } }) as Promise<CompletionList | null>;
}

const labels = (list: CompletionList | null) => list?.items.map((i) => i.label) ?? [];
const find = (list: CompletionList | null, label: string): CompletionItem => {
  const item = list?.items.find((i) => i.label === label);
  assert.ok(item, `${label} is offered`);
  return item;
};

test('after -j in filter INPUT: REJECT with its documentation, not DNAT', async () => {
  const uri = 'file:///tmp/lsp-completion/filter.rules';
  await client.open(uri, '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j \nCOMMIT\n');
  const list = await complete(uri, 2, 19);
  assert.equal(list?.isIncomplete, false);
  assert.ok(!labels(list).includes('DNAT') && !labels(list).includes('MASQUERADE'));
  const reject = find(list, 'REJECT');
  assert.equal(reject.kind, CompletionItemKind.EnumMember);
  assert.deepEqual(reject.textEdit, { range: { start: { line: 2, character: 19 }, end: { line: 2, character: 19 } }, newText: 'REJECT' });
  assert.equal((reject.documentation as MarkupContent).kind, 'markdown');
  assert.match((reject.documentation as MarkupContent).value, /^\*\*-j REJECT\*\* \(target\)\n\nThrows the packet away and tells the sender so/);
  assert.equal(find(list, 'DROP').detail, 'verdict');
});

test('after -j in nat PREROUTING: DNAT, not MASQUERADE', async () => {
  const uri = 'file:///tmp/lsp-completion/nat.rules';
  await client.open(uri, '*nat\n-A PREROUTING -p tcp --dport 80 -j \nCOMMIT\n');
  const list = await complete(uri, 1, 37);
  find(list, 'DNAT');
  find(list, 'REDIRECT');
  assert.ok(!labels(list).includes('MASQUERADE'));
  assert.ok(!labels(list).includes('DROP'));
});

test('after -m conntrack --: --ctstate, replacing the dashes', async () => {
  const uri = 'file:///tmp/lsp-completion/conntrack.rules';
  await client.open(uri, '*filter\n-A INPUT -m conntrack --\nCOMMIT\n');
  const item = find(await complete(uri, 1, 24), '--ctstate');
  assert.equal(item.kind, CompletionItemKind.Property);
  assert.deepEqual(item.textEdit, { range: { start: { line: 1, character: 22 }, end: { line: 1, character: 24 } }, newText: '--ctstate' });
});

test('rule snippets at the start of a line, in the snippet format', async () => {
  const uri = 'file:///tmp/lsp-completion/snippets.rules';
  await client.open(uri, '*nat\n\nCOMMIT\n');
  const list = await complete(uri, 1, 0);
  const masquerade = find(list, 'masquerade');
  assert.equal(masquerade.insertTextFormat, InsertTextFormat.Snippet);
  assert.equal(masquerade.kind, CompletionItemKind.Snippet);
  assert.equal((masquerade.textEdit as TextEdit).newText, '-A POSTROUTING -o ${1:eth0} -j MASQUERADE');
  assert.equal(find(list, 'COMMIT').insertTextFormat, InsertTextFormat.PlainText);
});

test('a line typed after the last analysis: the new text is read at once', async () => {
  const uri = 'file:///tmp/lsp-completion/typing.rules';
  await client.open(uri, '*filter\n:web - [0:0]\nCOMMIT\n');
  await client.diagnostics(uri, 1);
  // No wait for a new analysis: completion comes straight after the edit.
  await client.change(uri, { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '-A INPUT -m conntrack --ctstate NEW,\n' });
  assert.deepEqual(labels(await complete(uri, 2, 36)), ['ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);
  await client.change(uri, { range: { start: { line: 2, character: 36 }, end: { line: 2, character: 36 } }, text: 'RELATED -j ' });
  const list = await complete(uri, 2, 47);
  find(list, 'web');
  find(list, 'REJECT');
});

test('shell scripts: the iptables command on the line, with its -t table', async () => {
  const uri = 'file:///tmp/lsp-completion/firewall.sh';
  await client.open(uri, '#!/bin/sh\niptables -t nat -A POSTROUTING -o eth0 -j \necho done\n', 'shellscript');
  const list = await complete(uri, 1, 43);
  find(list, 'MASQUERADE');
  assert.ok(!labels(list).includes('DNAT'));
  assert.deepEqual(labels(await complete(uri, 2, 5)), []);
});

test('a shell script that never runs iptables gets no completion', async () => {
  const uri = 'file:///tmp/lsp-completion/hello.sh';
  await client.open(uri, '#!/bin/sh\necho -j \n', 'shellscript');
  assert.equal(await complete(uri, 1, 8), null);
});
