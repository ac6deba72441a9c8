// Fuzz over a real connection: the built language server gets random and
// hostile documents, random edits and every request at random places (also
// past a line's end), as an editor would send them. Every range it answers or
// publishes must be inside the document (lines ended by \n, \r\n or a lone \r),
// and every request must be answered.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before } from 'node:test';
import type { Position } from 'vscode-languageserver-protocol';
import { fuzzTest, lspLines, placesOutside } from '../support/fuzz';
import { lineEnd, saveText, scriptText } from '../support/fuzzInputs';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => {
  if (process.env.FUZZ_SECONDS) console.log(`fuzz: ${requests} requests answered over the connection`);
  client.stop();
});

let requests = 0;
let documents = 0;

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
  fc.record({ request: fc.constantFrom('hover', 'completion', 'definition', 'references', 'documentHighlight', 'prepareRename', 'rename', 'codeAction'), at: fc.tuple(fraction, fraction) }),
  fc.record({ request: fc.constantFrom('documentSymbol', 'foldingRange', 'semanticTokens/full', 'codeLens', 'iptables/traceModel') }),
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
    const params: Record<string, unknown> = { textDocument: { uri }, position, newName: 'renamed', context: { includeDeclaration: true, diagnostics: [] }, uri };
    if (op.request === 'codeAction') params.range = { start: position, end: position };
    const method = op.request.includes('/') && !op.request.startsWith('semanticTokens') ? op.request : `textDocument/${op.request}`;
    const answer = await client.connection.sendRequest(method, params);
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

/** The position of an offset (LSP lines). */
function positionOf(text: string, offset: number): Position {
  const before = lspLines(text.slice(0, offset));
  // A \r\n split by the offset: the \r ends the line before.
  return { line: before.length - 1, character: before[before.length - 1].length };
}
