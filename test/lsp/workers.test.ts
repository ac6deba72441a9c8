// A large document's analyses run in worker threads of their own (server/src/lsp/router.ts):
// a rule line added or removed is patched by the worker that serves; while a new worker analyses
// the text whole again (a chain line was added), the one holding the last finished analysis
// answers hover; an edit that makes the new analysis stale ends its worker; and the old worker's
// memory is given back when the new one takes over; a document too large for two analyses at once
// has its serving worker ended at once, and hover answers from the text meanwhile.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { CompletionList, CompletionRequest, DocumentSymbol, DocumentSymbolRequest, HoverRequest, MarkupContent, SemanticTokensRequest } from 'vscode-languageserver-protocol/node';
import { ENDED_KEPT, KEEP_SERVING_BELOW, LARGE_DOCUMENT } from '../../server/src/lsp/router';
import { SERVER_THREADS_REQUEST, ServerThreads } from '../../server/src/protocol/requests';
import { generateKubeProxy } from '../bench/kubeProxy';
import { heapProbe } from '../support/heapProbe';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

// 12,800 rules, 1.9 MB: a worker of its own (from 256 KB on), an analysis of a second or so.
const text = generateKubeProxy({ services: 400, endpointsPerService: 10 });
const lines = text.split('\n');
const masq = lines.findIndex((l) => l.startsWith('-A KUBE-MARK-MASQ '));
const rule = '-A KUBE-MARK-MASQ -j RETURN\n';
let chains = 0;
/** A chain line and a rule line added below KUBE-MARK-MASQ's first rule: a chain line is not patched, the file is analysed whole again. */
const addRule = (uri: string, to = client) => to.change(uri, { range: { start: { line: masq + 1, character: 0 }, end: { line: masq + 1, character: 0 } }, text: `:KUBE-ADDED-${++chains} - [0:0]\n${rule}` });

const threads = (of = client) => of.connection.sendRequest(SERVER_THREADS_REQUEST) as Promise<ServerThreads>;
const workersOf = async (uri: string, of = client) => (await threads(of)).documents.find((d) => d.uri === uri)?.workers.map((w) => [w.role, w.version]);
/** The document's workers once there are `count` (the serving one asks for a new worker after the typing pause, when it cannot patch). */
const workersOnce = async (uri: string, count: number) => {
  for (let wait = 0; wait < 100 && (await workersOf(uri))?.length !== count; wait++) await new Promise((r) => setTimeout(r, 50));
  return workersOf(uri);
};
/** What hover says of the chain KUBE-MARK-MASQ, on the line of its first rule. */
const chainHover = async (uri: string) => {
  const h = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: masq, character: 5 } });
  return /\d+ rules?\./.exec((h?.contents as MarkupContent).value)?.[0];
};

/** The server process's resident memory and threads, from /proc. */
function statusOf(pid: number): { rssMb: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024, threads: Number(/Threads:\s+(\d+)/.exec(status)![1]) };
}

test('while a chain line added has the file analysed again in a new worker, hover answers from the last analysis at once', async () => {
  const uri = 'file:///tmp/lsp-workers/hover.rules';
  await client.open(uri, text);
  await client.diagnosticsOf(uri, 1, 60_000);
  assert.equal(await chainHover(uri), '1 rule.');
  const version = await addRule(uri);
  assert.deepEqual(await workersOnce(uri, 2), [['serving', 1], ['analysing', 2]]);
  // The serving worker has version 1's model (one rule in the chain) and the text of version 2.
  assert.equal(await chainHover(uri), '1 rule.');
  assert.deepEqual(client.publishedFor(uri).map((p) => p.version), [1], 'hover was answered before the new analysis was done');
  await client.diagnosticsOf(uri, version, 60_000);
  assert.equal(await chainHover(uri), '2 rules.');
  assert.deepEqual(await workersOf(uri), [['serving', 2]]);
  await client.close(uri);
});

test('a rule line added or removed is patched by the worker that serves: no new worker, and what it publishes is what a fresh analysis says', async () => {
  const uri = 'file:///tmp/lsp-workers/patched.rules';
  await client.open(uri, text);
  await client.diagnosticsOf(uri, 1, 60_000);
  const jump = lines.findIndex((l) => l.startsWith('-A KUBE-SEP-') && l.endsWith('-j KUBE-MARK-MASQ'));
  // A copy of a rule above the rule it copies: that one becomes the duplicate, one line further down.
  await client.change(uri, { range: { start: { line: jump, character: 0 }, end: { line: jump, character: 0 } }, text: `${lines[jump]}\n` });
  const added = await client.change(uri, { range: { start: { line: masq + 1, character: 0 }, end: { line: masq + 1, character: 0 } }, text: rule });
  const published = await client.diagnosticsOf(uri, added, 60_000);
  assert.equal(await chainHover(uri), '2 rules.');
  assert.deepEqual(await workersOf(uri), [['serving', 1]], 'the worker that opened it serves still');
  assert.deepEqual((await threads()).ended.filter((e) => e.uri === uri), [], 'no worker ended');
  const edited = [...lines.slice(0, masq + 1), rule.trimEnd(), ...lines.slice(masq + 1, jump), lines[jump], ...lines.slice(jump)];
  const fresh = 'file:///tmp/lsp-workers/patched-fresh.rules';
  await client.open(fresh, edited.join('\n'));
  const expected = await client.diagnosticsOf(fresh, 1, 60_000);
  await client.close(fresh);
  assert.ok(expected.diagnostics.some((d) => d.code === 'duplicate-rule' && d.range.start.line === jump + 2), 'the copied rule is a duplicate below the copy');
  // (Related places name their document.)
  const placed = (diagnostics: typeof expected.diagnostics) => JSON.parse(JSON.stringify(diagnostics).replaceAll(fresh, uri));
  assert.deepEqual(published.diagnostics, placed(expected.diagnostics));
  // The copy removed again (Backspace at the start of the next line, as VS Code sends it).
  const removed = await client.change(uri, { range: { start: { line: jump + 1, character: lines[jump].length }, end: { line: jump + 2, character: lines[jump].length } }, text: '' });
  const back = await client.diagnosticsOf(uri, removed, 60_000);
  assert.ok(!back.diagnostics.some((d) => d.code === 'duplicate-rule'));
  assert.deepEqual(await workersOf(uri), [['serving', 1]]);
  await client.close(uri);
});

test('an edit that makes the running analysis stale ends its worker, and its diagnostics never come', async () => {
  const uri = 'file:///tmp/lsp-workers/stale.rules';
  await client.open(uri, text);
  await client.diagnosticsOf(uri, 1, 60_000);
  const stale = await addRule(uri);
  await workersOnce(uri, 2);
  const [, analysing] = (await threads()).documents.find((d) => d.uri === uri)!.workers;
  await new Promise((r) => setTimeout(r, 300));
  const latest = await addRule(uri);
  const { ended } = await threads();
  assert.deepEqual(ended.filter((e) => e.uri === uri).map((e) => [e.thread, e.version, e.why]), [[analysing.thread, stale, 'stale']]);
  assert.deepEqual(await workersOf(uri), [['serving', 1], ['analysing', latest]]);
  await client.diagnosticsOf(uri, latest, 60_000);
  assert.deepEqual(client.publishedFor(uri).map((p) => p.version), [1, latest]);
  assert.equal(await chainHover(uri), '3 rules.');
  await client.close(uri);
});

test('the worker replaced by a newer analysis ends, and its memory and thread are given back', async () => {
  const uri = 'file:///tmp/lsp-workers/memory.rules';
  // A server of its own: what the documents of the tests above left to the allocator does not count.
  const own = await new LspClient().start();
  after(() => own.stop());
  const processStatus = () => statusOf(own.pid!);
  const before = processStatus();
  await own.open(uri, text);
  await own.diagnosticsOf(uri, 1, 60_000);
  const opened = processStatus();
  for (let k = 0; k < 4; k++) await own.diagnosticsOf(uri, await addRule(uri, own), 60_000);
  // An ended worker's thread exits as soon as its isolate is torn down.
  let edited = processStatus();
  for (let wait = 0; wait < 50 && edited.threads > opened.threads; wait++) {
    await new Promise((r) => setTimeout(r, 100));
    edited = processStatus();
  }
  const { ended } = await threads(own);
  assert.deepEqual(ended.filter((e) => e.uri === uri).map((e) => [e.version, e.why]), [[1, 'replaced'], [2, 'replaced'], [3, 'replaced'], [4, 'replaced']]);
  assert.equal(edited.threads, opened.threads, 'one worker for the document, as after opening it');
  // Each analysis of the document takes this much; four replaced ones may not have stayed.
  const one = opened.rssMb - before.rssMb;
  assert.ok(one > 20, `the document's worker took ${one.toFixed(0)} MB`);
  assert.ok(edited.rssMb < opened.rssMb + one / 2, `resident memory ${before.rssMb.toFixed(0)} MB before opening, ${opened.rssMb.toFixed(0)} MB after, ${edited.rssMb.toFixed(0)} MB after 4 replacements`);
  await own.close(uri);
});

test('an edit in place the last analysis cannot be patched for (a rule\'s target changed) is analysed whole in a new worker', async () => {
  const uri = 'file:///tmp/lsp-workers/target.rules';
  await client.open(uri, text);
  await client.diagnosticsOf(uri, 1, 60_000);
  const line = lines.findIndex((l) => l.startsWith('-A KUBE-SEP-') && l.endsWith('-j KUBE-MARK-MASQ'));
  const at = lines[line].length - 'KUBE-MARK-MASQ'.length;
  const version = await client.change(uri, { range: { start: { line, character: at }, end: { line, character: lines[line].length } }, text: 'RETURN' });
  await client.diagnosticsOf(uri, version, 60_000);
  const { ended, documents } = await threads();
  assert.deepEqual(ended.filter((e) => e.uri === uri).map((e) => [e.version, e.why]), [[1, 'replaced']]);
  assert.deepEqual(documents.find((d) => d.uri === uri)?.workers.map((w) => [w.role, w.version]), [['serving', 2]]);
  assert.deepEqual(client.publishedFor(uri).map((p) => p.version), [1, 2]);
  await client.close(uri);
});

test('a small document that grows large gets a worker of its own', async () => {
  const uri = 'file:///tmp/lsp-workers/grows.rules';
  const small = generateKubeProxy({ services: 20, endpointsPerService: 10 });
  const at = small.split('\n').findIndex((l) => l.startsWith('-A KUBE-MARK-MASQ '));
  await client.open(uri, small);
  await client.diagnosticsOf(uri, 1, 60_000);
  assert.equal((await threads()).documents.find((d) => d.uri === uri), undefined, 'a small document is the shared worker\'s');
  const version = await client.change(uri, { range: { start: { line: at + 1, character: 0 }, end: { line: at + 1, character: 0 } }, text: rule.repeat(7000) });
  await client.diagnosticsOf(uri, version, 60_000);
  assert.deepEqual(await workersOf(uri), [['serving', 2]]);
  // The shared worker let it go without a word: no empty diagnostics from it in between.
  assert.deepEqual(client.publishedFor(uri).map((p) => p.version), [1, 2]);
  const h = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: at, character: 5 } });
  assert.match((h?.contents as MarkupContent).value, /7001 rules\./);
  await client.close(uri);
});

test('the server lists only the last workers that ended: a long session does not pile them up', async () => {
  // Each large document opened and closed again ends its worker ('closed').
  const large = generateKubeProxy({ services: 60, endpointsPerService: 10 });
  assert.ok(large.length >= LARGE_DOCUMENT);
  const uris = Array.from({ length: ENDED_KEPT + 8 }, (_, i) => `file:///tmp/lsp-workers/closed-${i}.rules`);
  for (const uri of uris) {
    await client.open(uri, large);
    await client.close(uri);
  }
  const { ended } = await threads();
  // The latest, oldest first; the first eight closed (and the other tests' workers) are no longer listed.
  assert.deepEqual(ended.map((e) => [e.uri, e.why]), uris.slice(-ENDED_KEPT).map((uri) => [uri, 'closed']));
});

test('a document too large for two analyses at once: its serving worker ends as a new one analyses it whole, and hover and completion answer from the text meanwhile', async () => {
  const uri = 'file:///tmp/lsp-workers/room.rules';
  // 59,200 rules, 8.4 MB.
  const big = generateKubeProxy({ services: 1850, endpointsPerService: 10 });
  assert.ok(big.length >= KEEP_SERVING_BELOW);
  const bigLines = big.split('\n');
  const at = bigLines.findIndex((l) => l.startsWith('-A KUBE-MARK-MASQ '));
  const jump = bigLines.findIndex((l) => l.startsWith('-A KUBE-SEP-') && l.endsWith('-j KUBE-MARK-MASQ'));
  await client.open(uri, big);
  await client.diagnosticsOf(uri, 1, 120_000);
  const [serving] = (await threads()).documents.find((d) => d.uri === uri)!.workers;
  const hoverAt = (line: number, character: number) => client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  const completeAt = (line: number, character: number) => client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } });
  assert.match(((await hoverAt(at, 5))?.contents as MarkupContent).value, /1 rule\./);
  // A rule line added is patched: the worker stays, and hover counts the new rule from the model as soon as the diagnostics come.
  const patched = await client.change(uri, { range: { start: { line: jump, character: 0 }, end: { line: jump, character: 0 } }, text: rule });
  await client.diagnosticsOf(uri, patched, 120_000);
  assert.match(((await hoverAt(at, 5))?.contents as MarkupContent).value, /2 rules\./);
  assert.deepEqual(await workersOf(uri), [['serving', 1]], 'the worker that opened it');
  assert.deepEqual((await threads()).ended.filter((e) => e.uri === uri), []);
  // A chain line added is not: the file is analysed whole in a new worker, and the serving one ends at once.
  const version = await client.change(uri, { range: { start: { line: at + 1, character: 0 }, end: { line: at + 1, character: 0 } }, text: `:KUBE-ADDED - [0:0]\n${rule}` });
  for (let wait = 0; wait < 100 && !(await threads()).ended.some((e) => e.uri === uri); wait++) await new Promise((r) => setTimeout(r, 50));
  const { documents, ended } = await threads();
  assert.deepEqual(documents.find((d) => d.uri === uri)?.workers.map((w) => [w.role, w.version]), [['analysing', version]], 'one worker: the new one');
  assert.deepEqual(ended.filter((e) => e.uri === uri).map((e) => [e.thread, e.version, e.why]), [[serving.thread, 1, 'evicted']]);
  // From the text (the jump is below the added lines): what a word means, without the model's count of rules.
  assert.ok(jump > at);
  const fromText = ((await hoverAt(jump + 3, bigLines[jump].length - 3))?.contents as MarkupContent).value;
  assert.match(fromText, /KUBE-MARK-MASQ/);
  assert.doesNotMatch(fromText, /\d+ rules?\./);
  const targets = await completeAt(jump + 3, bigLines[jump].length - 'KUBE-MARK-MASQ'.length) as CompletionList;
  assert.ok(targets.items.some((i) => i.label === 'ACCEPT'), 'targets offered after -j');
  assert.deepEqual(client.publishedFor(uri).map((p) => p.version), [1, patched], 'answered before the new analysis was done');
  await client.diagnosticsOf(uri, version, 120_000);
  assert.match(((await hoverAt(at, 5))?.contents as MarkupContent).value, /3 rules\./);
  assert.deepEqual(await workersOf(uri), [['serving', version]]);
  await client.close(uri);
});

test('a large document\'s worker keeps no text of the versions before the last: after a dozen edits the heaps hold the text as opened only, in each thread', async () => {
  const uri = 'file:///tmp/lsp-workers/texts.rules';
  // 2,100 rules, 310 KB: a worker of its own, and heap snapshots small enough to read here.
  const small = generateKubeProxy({ services: 66, endpointsPerService: 10 });
  assert.ok(small.length >= LARGE_DOCUMENT);
  const probe = heapProbe('texts');
  const own = await new LspClient().start({}, { command: probe.command });
  after(() => own.stop());
  await own.open(uri, small);
  await own.diagnosticsOf(uri, 1, 60_000);
  // The main thread keeps the text as opened (edits are applied to it when needed), the worker the text its model was read from.
  assert.equal(await probe.textsOfLength(own, small.length), 2);
  const smallLines = small.split('\n');
  const rules = smallLines.flatMap((l, k) => (/^-A .* -d \d/.test(l) ? [k] : []));
  for (let k = 0; k < 12; k++) {
    // A digit of a destination address changed: a rule edited in place, patched by the worker.
    const line = rules[Math.floor((k * rules.length) / 12)];
    const at = smallLines[line].indexOf(' -d ') + 4;
    const version = await own.change(uri, { range: { start: { line, character: at }, end: { line, character: at + 1 } }, text: String((Number(smallLines[line][at]) + 1) % 10) });
    await own.diagnosticsOf(uri, version, 60_000);
  }
  assert.deepEqual(await workersOf(uri, own), [['serving', 1]], 'every edit patched by the worker that opened it');
  // What VS Code asks after an edit reads the lines, not a string of the whole text.
  const outline = await own.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }) as DocumentSymbol[];
  assert.deepEqual(outline.map((s) => s.name).sort(), ['filter', 'nat']);
  const tokens = await own.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } });
  assert.ok(tokens!.data.length > 5 * rules.length, 'a token or more for each rule');
  // The worker's current text is pieces of the opened one and what was typed; a rule read again holds a copy of its line, not a slice of its version's text.
  assert.equal(await probe.textsOfLength(own, small.length), 2);
});

test('the main thread, which only passes messages on, keeps a small young generation; a large document\'s worker gets the large one its analysis needs', async () => {
  const probe = heapProbe('young');
  const own = await new LspClient().start({}, { command: probe.command });
  after(() => own.stop());
  const uri = 'file:///tmp/lsp-workers/young.rules';
  await own.open(uri, text);
  await own.diagnosticsOf(uri, 1, 120_000);
  const young = await probe.youngGenerations(own);
  // Two semi-spaces of 4 MB, where V8's default would keep 32 MB for the thread that holds the editor's texts.
  assert.ok(young.main <= 8, `main thread: ${young.main} MB`);
  // The analysis of 8k rules has grown its worker's young generation past the main thread's limit (the flag did not reach the workers).
  assert.equal(young.workers.length, 2, 'the shared worker and the document\'s');
  assert.ok(Math.max(...young.workers) > 8, `workers: ${young.workers.join(', ')} MB`);
});
