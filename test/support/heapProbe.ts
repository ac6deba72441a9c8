// The language server's heap, measured from outside: a module loaded into the
// server (`node -r`) that, on SIGUSR2, runs a full garbage collection in each of
// its threads (the main one and its workers, which load the probe too) and adds
// what their heaps hold to a file. `extra`: more code for the same module (a
// fault to inject).
//
// Two figures. `objectsAfterCollection`: the heaps' objects from heap snapshots,
// without V8's "code" (compiled functions, bytecode, and what the compilers keep
// beside them: feedback vectors, inline-cache handlers, deoptimization data),
// which grows as V8 optimises the server's hot functions, whatever the documents
// were (+2.4 MB over 3,220 fuzz documents, everything else +0.13 MB), and never
// holds a document. For small heaps only (the snapshots are parsed here).
// `usedAfterCollection`: the whole heaps in use, for heaps of any size.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SERVER_V8_FLAGS } from '../../server/src/node/v8Flags';
import { SERVER_THREADS_REQUEST, ServerThreads } from '../../server/src/protocol/requests';
import type { LspClient } from './lspClient';
import { REPO } from './shared';

export interface HeapProbe {
  /** The command that starts the built server with the probe loaded. */
  command: string[];
  /** MB of objects without code after a full collection, once the server has handled every message sent before. */
  objectsAfterCollection(client: LspClient): Promise<number>;
  /** MB of the heaps in use after a full collection, code included. */
  usedAfterCollection(client: LspClient): Promise<number>;
  /** How many flat strings of `length` to `length + 64` characters the heaps hold after a full collection (copies of a document's text). */
  textsOfLength(client: LspClient, length: number): Promise<number>;
  /** MB of each thread's young generation (the memory V8 keeps for it, used or not): the main thread's, and the workers'. */
  youngGenerations(client: LspClient): Promise<{ main: number; workers: number[] }>;
}

export function heapProbe(name: string, extra = ''): HeapProbe {
  const probe = path.join(tmpdir(), `iptables-lsp-${name}-${process.pid}.js`);
  const heapFile = `${probe}.heap`;
  // Present: each thread writes a heap snapshot and names it, instead of its heap's size.
  const snapshots = `${probe}.snapshots`;
  // Present: each thread names its young generation's size instead.
  const young = `${probe}.young`;
  writeFileSync(probe, `${extra}
const { BroadcastChannel, isMainThread, threadId } = require('node:worker_threads');
const channel = new BroadcastChannel(${JSON.stringify(heapFile)});
channel.unref();
const measure = () => {
  global.gc();
  const fs = require('node:fs');
  let figure = process.memoryUsage().heapUsed;
  if (fs.existsSync(${JSON.stringify(snapshots)})) figure = require('node:v8').writeHeapSnapshot(${JSON.stringify(`${probe}.`)} + threadId + '.heapsnapshot');
  if (fs.existsSync(${JSON.stringify(young)})) figure = (isMainThread ? 'main:' : 'worker:') + require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  fs.appendFileSync(${JSON.stringify(heapFile)}, threadId + ' ' + figure + '\\n');
};
channel.onmessage = measure;
if (isMainThread) process.on('SIGUSR2', () => { channel.postMessage('measure'); measure(); });\n`);
  const collect = async (client: LspClient, snapshot: boolean, youngOnly = false): Promise<string[]> => {
    // A request is answered after every message sent before it (by the shared worker; small documents);
    // the server's threads are the main one, the shared worker and each large document's.
    await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///none' }, position: { line: 0, character: 0 } });
    const { documents } = await client.connection.sendRequest(SERVER_THREADS_REQUEST) as ServerThreads;
    const threads = 2 + documents.reduce((n, d) => n + d.workers.length, 0);
    rmSync(heapFile, { force: true });
    if (snapshot) writeFileSync(snapshots, '');
    else rmSync(snapshots, { force: true });
    if (youngOnly) writeFileSync(young, '');
    else rmSync(young, { force: true });
    process.kill(client.pid!, 'SIGUSR2');
    const lines = () => existsSync(heapFile) ? readFileSync(heapFile, 'utf8').trim().split('\n') : [];
    while (lines().length < threads) await new Promise((r) => setTimeout(r, 50));
    return lines().map((l) => l.slice(l.indexOf(' ') + 1));
  };
  return {
    // With the Node flags the extension gives the server.
    command: [process.execPath, ...SERVER_V8_FLAGS, '--expose-gc', '-r', probe, path.join(REPO, 'server', 'out', 'server.js')],
    async objectsAfterCollection(client) {
      let bytes = 0;
      for (const file of await collect(client, true)) {
        bytes += objectsWithoutCode(JSON.parse(readFileSync(file, 'utf8')));
        rmSync(file, { force: true });
      }
      return bytes / 2 ** 20;
    },
    async usedAfterCollection(client) {
      return (await collect(client, false)).reduce((sum, used) => sum + Number(used), 0) / 2 ** 20;
    },
    async youngGenerations(client) {
      const sizes = (await collect(client, false, true)).map((l) => l.split(':'));
      const mb = (kind: string) => sizes.filter(([k]) => k === kind).map(([, bytes]) => Number(bytes) / 2 ** 20);
      return { main: mb('main')[0], workers: mb('worker') };
    },
    async textsOfLength(client, length) {
      let count = 0;
      for (const file of await collect(client, true)) {
        count += stringsOfSize(JSON.parse(readFileSync(file, 'utf8')), length, length + 64);
        rmSync(file, { force: true });
      }
      return count;
    },
  };
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
}

/** Bytes of a snapshot's objects but V8's code and the memory outside the heap (ArrayBuffer contents, the bash parser's WebAssembly memory). */
function objectsWithoutCode(heap: HeapSnapshot): number {
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const type = fields.indexOf('type');
  const size = fields.indexOf('self_size');
  const left = new Set(['code', 'native', 'synthetic'].map((t) => types.indexOf(t)));
  let bytes = 0;
  for (let i = 0; i < heap.nodes.length; i += fields.length) if (!left.has(heap.nodes[i + type])) bytes += heap.nodes[i + size];
  return bytes;
}

/** Flat strings of a snapshot whose own size is `from` to `to` bytes (one byte a character of Latin-1 text, besides a header). */
function stringsOfSize(heap: HeapSnapshot, from: number, to: number): number {
  const fields = heap.snapshot.meta.node_fields;
  const type = fields.indexOf('type');
  const size = fields.indexOf('self_size');
  const flat = heap.snapshot.meta.node_types[0].indexOf('string');
  let count = 0;
  for (let i = 0; i < heap.nodes.length; i += fields.length) if (heap.nodes[i + type] === flat && heap.nodes[i + size] >= from && heap.nodes[i + size] <= to) count++;
  return count;
}
