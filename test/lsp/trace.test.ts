// The trace panel's custom request and the lenses, over a real connection to
// the built server, as the extension asks for them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { CodeLens, CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { TRACE_COMMAND, TRACE_MODEL_REQUEST, TraceModel } from '../../server/src/protocol/requests';
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
  // A save file's rules come as their lines.
  assert.deepEqual(filter.chains.map((c) => [c.name, c.policy ?? '-', c.lines?.at.length]), [['INPUT', 'DROP', 7], ['FORWARD', 'DROP', 4], ['OUTPUT', 'ACCEPT', 0], ['ssh-guard', '-', 3], ['log-drop', '-', 2]]);
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

test('a file over iptables.maxFileSize gets one warning instead of a check, and is traced all the same; one the editor has no text for is read from disk', async () => {
  const small = await new LspClient().start({ maxFileSize: 0.001 });
  try {
    const uri = 'file:///tmp/lsp-trace/large/rules.v4';
    await small.open(uri, ROUTER);
    const published = await small.diagnosticsOf(uri, 1);
    assert.deepEqual(published.diagnostics.map((d) => [d.code, d.range.start.line, d.message]), [
      ['file-too-large', 0, `this file is ${(ROUTER.length / 1048576).toFixed(1)} MB, over the 0.0 MB limit (setting iptables.maxFileSize): it is not analysed`],
    ]);
    const model = await small.connection.sendRequest<TraceModel>(TRACE_MODEL_REQUEST, { uri });
    assert.deepEqual(model.rulesets[0].tables.map((t) => t.name), ['raw', 'mangle', 'nat', 'filter']);
    assert.equal(model.version, 1);

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'lsp-trace-')), 'huge.rules');
    writeFileSync(file, ROUTER.replace(':ssh-guard - [0:0]', ':ssh-guard - [0:0]\n:from-disk - [0:0]'));
    const fromDisk = await small.connection.sendRequest<TraceModel>(TRACE_MODEL_REQUEST, { uri: pathToFileURL(file).href, fromDisk: true });
    assert.ok(fromDisk.rulesets[0].tables[3].chains.some((c) => c.name === 'from-disk'), 'the model is of the file on disk');
  } finally {
    small.stop();
  }
});
