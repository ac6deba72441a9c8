// A long generated script in the language server: it has a worker of its own
// (from 256 KB on, lsp/router.ts), it is evaluated a few statements at a time,
// and hover answers while that runs instead of waiting for the evaluation to end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HoverRequest } from 'vscode-languageserver-protocol/node';
import { SERVER_THREADS_REQUEST, ServerThreads } from '../../server/src/protocol/requests';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

// 8,000 commands, 0.9 MB: seconds of evaluation.
const lines = ['#!/bin/sh', 'iptables -N DOCKER'];
for (let i = 0; i < 8000; i++) lines.push(`iptables -A DOCKER -d 172.17.${(i >> 8) & 255}.${i & 255}/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport ${10000 + i} -j ACCEPT`);
lines.push('iptables -A DOCKER -p tcp --dport 99999 -j ACCEPT');

test('a long script: its own worker, hover while it is evaluated, then the mistake on its last line', async () => {
  const uri = 'file:///tmp/lsp-large-script/docker.sh';
  await client.open(uri, lines.join('\n') + '\n', 'shellscript');
  const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 10 } });
  // Answered from the text alone: the evaluation has not published anything yet.
  assert.deepEqual(client.publishedFor(uri), [], 'hover was answered before the evaluation ended');
  assert.match(JSON.stringify(hover?.contents), /-A|--append/);
  const threads = await client.connection.sendRequest(SERVER_THREADS_REQUEST) as ServerThreads;
  assert.deepEqual(threads.documents.find((d) => d.uri === uri)?.workers.map((w) => w.role), ['analysing']);
  const published = await client.diagnosticsOf(uri, 1, 120_000);
  assert.deepEqual(published.diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code}`), [`${lines.length}:35 invalid-value`]);
  await client.close(uri);
});
