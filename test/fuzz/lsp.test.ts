// Fuzz over a real connection: the built language server gets random and
// hostile documents, random edits and every request at random places (also
// past a line's end), as an editor would send them. Every range it answers or
// publishes must be inside the document (lines ended by \n, \r\n or a lone \r),
// and every request must be answered. Once every document is closed, the
// server's heap is back within 20% of where it started.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, test } from 'node:test';
import type { Position } from 'vscode-languageserver-protocol';
import { fuzzTest, lspLines, placesOutside } from '../support/fuzz';
import { heapProbe } from '../support/heapProbe';
import { lineEnd, saveText, scriptText } from '../support/fuzzInputs';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
const probe = heapProbe('fuzz');
let start = 0;
before(async () => {
  await client.start({}, { command: probe.command });
  await warmUp();
  start = await probe.objectsAfterCollection(client);
});
after(() => {
  if (process.env.FUZZ_SECONDS) console.log(`fuzz: ${requests} requests answered over the connection, ${documents} documents`);
  client.stop();
});

let requests = 0;
let documents = 0;

const REQUESTS = ['hover', 'completion', 'definition', 'references', 'documentHighlight', 'prepareRename', 'rename', 'codeAction'] as const;
const WHOLE_DOCUMENT_REQUESTS = ['documentSymbol', 'foldingRange', 'semanticTokens/full', 'codeLens', 'iptables/traceModel'] as const;

/** Where the server's memory starts: every request once on a few rule files and scripts (its code loaded and compiled), then closed. */
async function warmUp(): Promise<void> {
  for (const [i, [save, shell]] of fc.sample(fc.tuple(saveText, scriptText), { seed: 1, numRuns: 10 }).entries()) {
    for (const [uri, text, language] of [[`file:///warm/${i}.rules`, save, 'iptables'], [`file:///warm/${i}.sh`, shell, 'shellscript']] as const) {
      await client.open(uri, text, language);
      const position = { line: 0, character: 1 };
      for (const request of [...REQUESTS, ...WHOLE_DOCUMENT_REQUESTS]) await client.connection.sendRequest(methodOf(request), paramsOf(uri, request, position));
      await client.close(uri);
    }
  }
}

function methodOf(request: string): string {
  return request.includes('/') && !request.startsWith('semanticTokens') ? request : `textDocument/${request}`;
}

function paramsOf(uri: string, request: string, position: Position | undefined): Record<string, unknown> {
  const params: Record<string, unknown> = { textDocument: { uri }, position, newName: 'renamed', context: { includeDeclaration: true, diagnostics: [] }, uri };
  if (request === 'codeAction') params.range = { start: position, end: position };
  return params;
}

/** Where a position is in a text, as an offset (LSP lines). */
function offsetOf(text: string, p: Position): number {
  const lines = lspLines(text);
  let offset = 0;
  for (let i = 0; i < p.line && i < lines.length; i++) {
    offset += lines[i].length;
    offset += text.startsWith('\r\n', offset) ? 2 : 1;
  }
  return Math.min(offset + Math.min(p.character, lines[p.line]?.length ?? 0), text.length);
}

const placeIn = (text: string, [l, c]: [number, number]): Position => {
  const lines = lspLines(text);
  const line = Math.min(Math.floor(l * (lines.length + 0.5)), lines.length - 1);
  return { line, character: Math.floor(c * ((lines[line]?.length ?? 0) + 2)) };
};

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const operation = fc.oneof(
  fc.record({ edit: fc.tuple(fc.tuple(fraction, fraction), fc.tuple(fraction, fraction)), text: fc.oneof(fc.constantFrom('', 'x', ' -j DROP', '$(', '"', 'COMMIT'), lineEnd, fc.string({ maxLength: 12 })) }),
  fc.record({ request: fc.constantFrom(...REQUESTS), at: fc.tuple(fraction, fraction) }),
  fc.record({ request: fc.constantFrom(...WHOLE_DOCUMENT_REQUESTS) }),
);

fuzzTest('the language server: random documents, edits and requests; every range inside the document', fc.tuple(fc.boolean(), saveText, scriptText, fc.array(operation, { minLength: 1, maxLength: 12 })), async ([script, save, shell, operations]) => {
  const uri = `file:///fuzz/doc${++documents}.${script ? 'sh' : 'rules'}`;
  let text = script ? shell : save;
  const texts = new Map([[1, text]]);
  await client.open(uri, text, script ? 'shellscript' : 'iptables');
  const outside: string[] = [];
  for (const op of operations) {
    if ('edit' in op) {
      // Never between the two characters of a \r\n: an editor's position cannot be there.
      const snap = (o: number) => (text[o - 1] === '\r' && text[o] === '\n' ? o - 1 : o);
      const [a, b] = op.edit.map((p) => snap(offsetOf(text, placeIn(text, p)))).sort((x, y) => x - y);
      const range = { start: positionOf(text, a), end: positionOf(text, b) };
      text = text.slice(0, a) + op.text + text.slice(b);
      texts.set(await client.change(uri, { range, text: op.text }), text);
      continue;
    }
    const position = 'at' in op ? placeIn(text, op.at) : undefined;
    const method = methodOf(op.request);
    const answer = await client.connection.sendRequest(method, paramsOf(uri, op.request, position));
    requests++;
    outside.push(...placesOutside(answer, lspLines(text), `${method}`));
  }
  for (const published of client.publishedFor(uri)) {
    const seen = texts.get(published.version ?? 0);
    if (seen !== undefined) outside.push(...placesOutside(published.diagnostics, lspLines(seen), `diagnostics of version ${published.version}`));
  }
  await client.close(uri);
  assert.deepEqual(outside, []);
}, { runs: 25 });

test('after the fuzz run closed every document, the server\'s heap is back within 20% of its start', async () => {
  const end = await probe.objectsAfterCollection(client);
  if (process.env.FUZZ_SECONDS) console.log(`fuzz: objects on the heap ${start.toFixed(1)} MB at the start, ${end.toFixed(1)} MB after ${documents} documents and ${requests} requests`);
  assert.ok(documents >= 25, `only ${documents} documents`);
  assert.ok(end <= start * 1.2, `objects on the heap after a full collection: ${start.toFixed(1)} MB at the start, ${end.toFixed(1)} MB after ${documents} documents were opened, edited and closed`);
});

/** The position of an offset (LSP lines). */
function positionOf(text: string, offset: number): Position {
  const before = lspLines(text.slice(0, offset));
  // A \r\n split by the offset: the \r ends the line before.
  return { line: before.length - 1, character: before[before.length - 1].length };
}
