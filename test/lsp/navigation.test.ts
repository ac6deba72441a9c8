// Go to definition, references, highlights and rename of chains, from the
// language server over a real JSON-RPC connection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DefinitionRequest, DocumentHighlightRequest, Location, PrepareRenameRequest, Range, ReferencesRequest, RenameRequest,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

const at = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
const doc = (uri: string, line: number, character: number) => ({ textDocument: { uri }, position: { line, character } });

const SAVE = [
  '*filter',
  ':INPUT DROP [0:0]',
  ':web - [0:0]',
  '-A INPUT -p tcp --dport 80 -j web',
  '-A INPUT -p tcp --dport 443 -g web',
  '-A web -j ACCEPT',
  'COMMIT',
  '*nat',
  ':web - [0:0]',
  '-A PREROUTING -p tcp --dport 8080 -j web',
  'COMMIT',
  '',
].join('\n');

test('the server announces navigation and rename with a prepare step', () => {
  const c = client.capabilities;
  assert.equal(c.definitionProvider, true);
  assert.equal(c.referencesProvider, true);
  assert.equal(c.documentHighlightProvider, true);
  assert.deepEqual(c.renameProvider, { prepareProvider: true });
});

test('rename across a save file: one WorkspaceEdit with exactly the four places of `web` in *filter', async () => {
  const uri = 'file:///tmp/lsp-nav/rename.rules';
  await client.open(uri, SAVE);
  const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, doc(uri, 3, 31));
  assert.deepEqual(prepared, { range: { start: { line: 3, character: 30 }, end: { line: 3, character: 33 } }, placeholder: 'web' });
  const edit = await client.connection.sendRequest(RenameRequest.type, { ...doc(uri, 3, 31), newName: 'www' }) as WorkspaceEdit;
  assert.deepEqual(Object.keys(edit.changes!), [uri]);
  assert.deepEqual(edit.changes![uri].map((e) => `${at(e.range)} ${e.newText}`), [
    '2:1-2:4 www', '3:30-3:33 www', '4:31-4:34 www', '5:3-5:6 www',
  ]);
});

test('rename is refused, with the reason, for a built-in chain, a bad name and a name already taken', async () => {
  const uri = 'file:///tmp/lsp-nav/refused.rules';
  await client.open(uri, SAVE);
  await assert.rejects(client.connection.sendRequest(PrepareRenameRequest.type, doc(uri, 3, 5)),
    { message: 'INPUT is a built-in chain of the filter table: it cannot be renamed' });
  await assert.rejects(client.connection.sendRequest(PrepareRenameRequest.type, doc(uri, 5, 12)),
    { message: 'ACCEPT is a target, not a chain: only user-defined chains can be renamed' });
  await assert.rejects(client.connection.sendRequest(RenameRequest.type, { ...doc(uri, 2, 2), newName: 'web server' }),
    { message: 'chain name `web server` contains white space' });
  await assert.rejects(client.connection.sendRequest(RenameRequest.type, { ...doc(uri, 2, 2), newName: 'x'.repeat(29) }),
    { message: `chain name \`${'x'.repeat(29)}\` is 29 characters long; iptables allows at most 28` });
  await assert.rejects(client.connection.sendRequest(RenameRequest.type, { ...doc(uri, 2, 2), newName: 'INPUT' }),
    { message: 'the filter table already has a chain `INPUT`' });
  // Nothing to rename on an option: no answer, no error.
  assert.equal(await client.connection.sendRequest(PrepareRenameRequest.type, doc(uri, 3, 18)), null);
});

test('references in *nat leave out the `web` chain of *filter; with and without the declaration', async () => {
  const uri = 'file:///tmp/lsp-nav/references.rules';
  await client.open(uri, SAVE);
  const refs = async (includeDeclaration: boolean) => (await client.connection.sendRequest(ReferencesRequest.type, { ...doc(uri, 9, 38), context: { includeDeclaration } }))!
    .map((l) => `${l.uri === uri} ${at(l.range)}`);
  assert.deepEqual(await refs(true), ['true 8:1-8:4', 'true 9:37-9:40']);
  assert.deepEqual(await refs(false), ['true 9:37-9:40']);
});

test('go to definition and highlights', async () => {
  const uri = 'file:///tmp/lsp-nav/definition.rules';
  await client.open(uri, SAVE);
  const def = await client.connection.sendRequest(DefinitionRequest.type, doc(uri, 4, 32)) as Location[];
  assert.deepEqual(def, [{ uri, range: { start: { line: 2, character: 1 }, end: { line: 2, character: 4 } } }]);
  const marks = await client.connection.sendRequest(DocumentHighlightRequest.type, doc(uri, 5, 4));
  // 3: write (the declaration), 2: read.
  assert.deepEqual(marks!.map((h) => `${at(h.range)} ${h.kind}`), ['2:1-2:4 3', '3:30-3:33 2', '4:31-4:34 2', '5:3-5:6 2']);
});

test('navigation follows the text as it is after an edit', async () => {
  const uri = 'file:///tmp/lsp-nav/edited.rules';
  await client.open(uri, SAVE);
  // Line 5 becomes a second jump to web, from INPUT.
  await client.change(uri, { range: { start: { line: 5, character: 0 }, end: { line: 5, character: 16 } }, text: '-A INPUT -j web' });
  const refs = await client.connection.sendRequest(ReferencesRequest.type, { ...doc(uri, 2, 2), context: { includeDeclaration: true } });
  assert.deepEqual(refs!.map((l) => at(l.range)), ['2:1-2:4', '3:30-3:33', '4:31-4:34', '5:12-5:15']);
});

test('a shell script: rename through a variable edits the assignment, and a built name is refused', async () => {
  const uri = 'file:///tmp/lsp-nav/firewall.sh';
  await client.open(uri, '#!/bin/bash\nCHAIN=web\niptables -N "$CHAIN"\niptables -A INPUT -j "$CHAIN"\n', 'shellscript');
  const edit = await client.connection.sendRequest(RenameRequest.type, { ...doc(uri, 3, 24), newName: 'www' }) as WorkspaceEdit;
  assert.deepEqual(edit.changes![uri].map((e) => `${at(e.range)} ${e.newText}`), ['1:6-1:9 www']);
  const built = 'file:///tmp/lsp-nav/built.sh';
  await client.open(built, '#!/bin/bash\nP=fw\niptables -N "$P-in"\n', 'shellscript');
  await assert.rejects(client.connection.sendRequest(PrepareRenameRequest.type, doc(built, 2, 14)),
    { message: 'the chain name on line 3 is written as `"$P-in"`, not spelled out in one piece, so renaming cannot edit it safely; rename it by hand' });
});
