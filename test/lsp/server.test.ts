// The language server over a real JSON-RPC connection, as VS Code talks to it.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import {
  createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, InitializeRequest,
  InitializedNotification, ProtocolConnection, PublishDiagnosticsNotification, PublishDiagnosticsParams,
  StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { REPO } from '../support/shared';

let server: ChildProcess;
let connection: ProtocolConnection;
const published = new Map<string, PublishDiagnosticsParams[]>();
const waiters: (() => void)[] = [];

before(async () => {
  server = spawn(process.execPath, [path.join(REPO, 'server', 'out', 'server.js'), '--stdio'], { stdio: 'pipe' });
  connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), p]);
    waiters.splice(0).forEach((w) => w());
  });
  connection.onRequest('workspace/configuration', () => [{ externalChains: ['corp-*'] }]);
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } } });
  await connection.sendNotification(InitializedNotification.type, {});
});

after(() => {
  connection.dispose();
  server.kill();
});

async function nextDiagnostics(uri: string, count: number): Promise<PublishDiagnosticsParams> {
  const deadline = Date.now() + 10_000;
  while ((published.get(uri)?.length ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri}`);
    await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 200); });
  }
  return published.get(uri)![count - 1];
}

test('diagnostics appear for a broken file and go away when it is fixed', async () => {
  const uri = 'file:///tmp/lsp-test/rules.v4';
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -j corp-audit\nCOMMIT\n';
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'iptables', version: 1, text } });
  const first = await nextDiagnostics(uri, 1);
  assert.deepEqual(first.diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.code, d.source]), [
    [2, 24, 29, 1, 'invalid-value', 'iptables'],
    // corp-* comes from the client's settings, so this is a warning, not an error.
    [3, 12, 22, 2, 'undefined-jump', 'iptables'],
  ]);
  await connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 2, character: 24 }, end: { line: 2, character: 29 } }, text: '22' }],
  });
  const second = await nextDiagnostics(uri, 2);
  assert.deepEqual(second.diagnostics.map((d) => d.code), ['undefined-jump']);
  assert.equal(second.version, 2);
});

test('a binary document gets one clear diagnostic', async () => {
  const uri = 'file:///tmp/lsp-test/blob.rules';
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'iptables', version: 1, text: '\0\0\0ELF\0' } });
  const d = await nextDiagnostics(uri, 1);
  assert.deepEqual(d.diagnostics.map((x) => [x.code, x.message]), [['binary-file', 'this file is binary, not text: it is not analysed']]);
});
