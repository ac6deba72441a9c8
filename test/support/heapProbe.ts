// The language server's heap, measured from outside: a module loaded into the
// server (`node -r`) that, on SIGUSR2, runs a full garbage collection in each of its
// threads and writes what their heaps hold to a file: its objects, without the code, bytecode and
// their metadata, which grow as V8 compiles the server's functions (4 MB over
// 51k fuzz documents, whatever the documents were) and never hold a document. `extra`: more code
// for the same module (a fault to inject).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SERVER_THREADS_REQUEST, ServerThreads } from '../../server/src/protocol/requests';
import type { LspClient } from './lspClient';
import { REPO } from './shared';

export interface HeapProbe {
  /** The command that starts the built server with the probe loaded. */
  command: string[];
  /** MB of objects after a full collection, once the server has handled every message sent before. */
  heapAfterCollection(client: LspClient): Promise<number>;
}

export function heapProbe(name: string, extra = ''): HeapProbe {
  const probe = path.join(tmpdir(), `iptables-lsp-${name}-${process.pid}.js`);
  const heapFile = `${probe}.heap`;
  // Every thread of the server (the main one and its workers, which load the probe too) measures
  // its own heap when the main one is signalled, and adds a line to the file.
  writeFileSync(probe, `${extra}
const { BroadcastChannel, isMainThread, threadId } = require('node:worker_threads');
const channel = new BroadcastChannel(${JSON.stringify(heapFile)});
channel.unref();
const measure = () => {
  global.gc();
  const code = require('node:v8').getHeapCodeStatistics();
  require('node:fs').appendFileSync(${JSON.stringify(heapFile)}, threadId + ' ' + (process.memoryUsage().heapUsed - code.code_and_metadata_size - code.bytecode_and_metadata_size) + '\\n');
};
channel.onmessage = measure;
if (isMainThread) process.on('SIGUSR2', () => { channel.postMessage('measure'); measure(); });\n`);
  return {
    command: [process.execPath, '--expose-gc', '-r', probe, path.join(REPO, 'server', 'out', 'server.js')],
    async heapAfterCollection(client) {
      // A request is answered after every message sent before it (by the shared worker; small documents);
      // the server's threads are the main one, the shared worker and each large document's.
      await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///none' }, position: { line: 0, character: 0 } });
      const { documents } = await client.connection.sendRequest(SERVER_THREADS_REQUEST) as ServerThreads;
      const threads = 2 + documents.reduce((n, d) => n + d.workers.length, 0);
      rmSync(heapFile, { force: true });
      process.kill(client.pid!, 'SIGUSR2');
      const lines = () => existsSync(heapFile) ? readFileSync(heapFile, 'utf8').trim().split('\n') : [];
      while (lines().length < threads) await new Promise((r) => setTimeout(r, 50));
      return lines().reduce((sum, l) => sum + Number(l.split(' ')[1]), 0) / 2 ** 20;
    },
  };
}
