// The trace panel's custom request and the lenses, over a real connection to
// the built server, as the extension asks for them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CodeLens, CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { TRACE_COMMAND, TRACE_MODEL_REQUEST, TraceModel } from '../../server/src/lsp/protocol';
import { LspClient } from '../support/lspClient';
import { REPO } from '../support/shared';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

const ROUTER = readFileSync(path.join(REPO, 'examples', 'rules.v4'), 'utf8');

test('iptables/traceModel answers with the document\'s rulesets for its current version, and null for a script without iptables', async () => {
  const uri = 'file:///tmp/lsp-trace/rules.v4';
  await client.open(uri, ROUTER);
  const first = await client.connection.sendRequest<TraceModel>(TRACE_MODEL_REQUEST, { uri });
  assert.equal(first.version, 1);
  assert.equal(first.kind, 'save');
  assert.deepEqual(first.rulesets[0].tables.map((t) => t.name), ['raw', 'mangle', 'nat', 'filter']);
  const filter = first.rulesets[0].tables[3];
  assert.deepEqual(filter.chains.map((c) => [c.name, c.policy ?? '-', c.rules.length]), [['INPUT', 'DROP', 7], ['FORWARD', 'DROP', 4], ['OUTPUT', 'ACCEPT', 0], ['ssh-guard', '-', 3], ['log-drop', '-', 2]]);
  assert.deepEqual(first.errors, []);

  // An edit: the next answer is for version 2, with the error it brings.
  await client.change(uri, { range: { start: { line: 33, character: 18 }, end: { line: 33, character: 24 } }, text: 'ACCEPTT' });
  const second = await client.connection.sendRequest<TraceModel>(TRACE_MODEL_REQUEST, { uri });
  assert.equal(second.version, 2);
  assert.deepEqual(second.errors.map((e) => [e.line, e.code]), [[33, 'undefined-jump']]);

  const plain = 'file:///tmp/lsp-trace/backup.sh';
  await client.open(plain, '#!/bin/bash\ntar czf /backup/home.tgz /home\n', 'shellscript');
  assert.equal(await client.connection.sendRequest(TRACE_MODEL_REQUEST, { uri: plain }), null);
});

test('a "Trace a packet" lens on each built-in chain runs the panel\'s command for that chain', async () => {
  const uri = 'file:///tmp/lsp-trace/lenses.rules';
  await client.open(uri, ROUTER);
  const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
  assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [
    [18, '$(debug-start) Trace a packet through PREROUTING'],
    [21, '$(debug-start) Trace a packet through POSTROUTING'],
    [28, '$(debug-start) Trace a packet through INPUT'],
    [29, '$(debug-start) Trace a packet through FORWARD'],
    [30, '$(debug-start) Trace a packet through OUTPUT'],
  ]);
  assert.deepEqual(lenses[2].command, { title: '$(debug-start) Trace a packet through INPUT', command: TRACE_COMMAND, arguments: [{ uri, chain: 'INPUT' }] });
});
