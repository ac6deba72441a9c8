// The language server's heap, measured from outside: a module loaded into the
// server (`node -r`) that, on SIGUSR2, runs a full garbage collection and writes
// what the heap holds to a file: its objects, without the code, bytecode and
// their metadata, which grow as V8 compiles the server's functions (4 MB over
// 51k fuzz documents, whatever the documents were) and never hold a document. `extra`: more code
// for the same module (a fault to inject).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
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
  writeFileSync(probe, `${extra}
process.on('SIGUSR2', () => {
  global.gc();
  const code = require('node:v8').getHeapCodeStatistics();
  require('node:fs').writeFileSync(${JSON.stringify(heapFile)}, String(process.memoryUsage().heapUsed - code.code_and_metadata_size - code.bytecode_and_metadata_size));
});\n`);
  return {
    command: [process.execPath, '--expose-gc', '-r', probe, path.join(REPO, 'server', 'out', 'server.js')],
    async heapAfterCollection(client) {
      // A request is answered after every message sent before it.
      await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///none' }, position: { line: 0, character: 0 } });
      rmSync(heapFile, { force: true });
      process.kill(client.pid!, 'SIGUSR2');
      while (!existsSync(heapFile)) await new Promise((r) => setTimeout(r, 50));
      return Number(readFileSync(heapFile, 'utf8')) / 2 ** 20;
    },
  };
}
