// The language server after edits as VS Code sends them (ranges, several in one
// notification, lines added, removed and joined): it reuses what it parsed and
// patches its last analysis where it can, and must still publish what a fresh
// analysis of the same text says.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CompletionRequest, DocumentSymbolRequest, HoverRequest, MarkupContent, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseSaveDocument } from '../../server/src/analysis/document';
import { completions } from '../../server/src/services/completion';
import { hover } from '../../server/src/services/hover';
import { runToEnd } from '../../server/src/steps';
import { generateKubeProxy } from '../bench/kubeProxy';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

/** A small deterministic random source, so that a failure can be run again. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((s / 0x80000000) * n);
  };
}

type Edit = (doc: TextDocument, pick: (n: number) => number) => TextDocumentContentChangeEvent[];

const at = (line: number, character: number) => ({ line, character });
const ruleLines = (doc: TextDocument) => doc.getText().split('\n').flatMap((l, i) => (l.startsWith('-A ') ? [i] : []));
const lineText = (doc: TextDocument, line: number) => doc.getText({ start: at(line, 0), end: at(line + 1, 0) }).replace(/\n$/, '');

/** A digit of a rule changed (an address, a port, a probability), or a letter typed after a port. */
const digitChanged: Edit = (doc, pick) => {
  const lines = ruleLines(doc);
  const line = lines[pick(lines.length)];
  const text = lineText(doc, line);
  const digits = [...text.matchAll(/\d/g)].map((m) => m.index!);
  const port = /--dport \d+/.exec(text);
  if (pick(3) === 0 && port) return [{ range: { start: at(line, port.index + port[0].length), end: at(line, port.index + port[0].length) }, text: 'x' }];
  const c = digits[pick(digits.length)];
  return [{ range: { start: at(line, c), end: at(line, c + 1) }, text: String((Number(text[c]) + 1 + pick(8)) % 10) }];
};

const edits: Edit[] = [
  digitChanged,
  digitChanged,
  // Two edits in one notification, each in the text the one before left.
  (doc, pick) => {
    const first = digitChanged(doc, pick);
    const next = TextDocument.update(TextDocument.create(doc.uri, doc.languageId, doc.version, doc.getText()), first, doc.version + 1);
    return [...first, ...digitChanged(next, pick)];
  },
  // A rule added above another: every line below moves down.
  (doc, pick) => {
    const lines = ruleLines(doc);
    const line = lines[pick(lines.length)];
    return [{ range: { start: at(line, 0), end: at(line, 0) }, text: '-A KUBE-MARK-MASQ -j RETURN\n' }];
  },
  // A rule removed.
  (doc, pick) => {
    const lines = ruleLines(doc);
    const line = lines[pick(lines.length)];
    return [{ range: { start: at(line, 0), end: at(line + 1, 0) }, text: '' }];
  },
  // Two lines joined into one (an error), or split again.
  (doc, pick) => {
    const lines = ruleLines(doc);
    const line = lines[pick(lines.length)];
    const end = lineText(doc, line).length;
    return [{ range: { start: at(line, end), end: at(line + 1, 0) }, text: ' ' }];
  },
  // A word typed over a line end: one line becomes two.
  (doc, pick) => {
    const lines = ruleLines(doc);
    const line = lines[pick(lines.length)];
    const space = lineText(doc, line).lastIndexOf(' -j ');
    return [{ range: { start: at(line, space), end: at(line, space + 1) }, text: ' -j DROP\n-A KUBE-SERVICES ' }];
  },
];

function diagnosticsOf(text: string): string[] {
  return analyseSaveText(text, { ...DEFAULT_OPTIONS, fileName: 'kube-proxy.rules' }).diagnostics
    .map((d) => `${d.span.line}:${d.span.start}-${d.span.end} ${d.code}`).sort();
}

test('after each edit, what the server publishes is what a fresh analysis of the text says', async () => {
  const uri = 'file:///tmp/lsp-edits/kube-proxy.rules';
  let doc = TextDocument.create(uri, 'iptables', 1, generateKubeProxy({ services: 30, endpointsPerService: 3, nodePortEvery: 3 }));
  await client.open(uri, doc.getText());
  await client.diagnosticsOf(uri, 1);
  const pick = random(7);
  // Where to ask: a random source of its own, so that the edits stay those above.
  const where = random(11);
  const seen = new Set<string>();
  for (let k = 0; k < 40; k++) {
    const changes = edits[k < edits.length ? k : pick(edits.length)](doc, pick);
    const version = await client.change(uri, ...changes);
    doc = TextDocument.update(doc, changes, version);
    const published = await client.diagnosticsOf(uri, version);
    const got = published.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.character} ${d.code}`).sort();
    const expected = diagnosticsOf(doc.getText());
    assert.deepEqual(got, expected, `edit ${k}: ${JSON.stringify(changes)}`);
    for (const d of expected) seen.add(d.split(' ')[1]);
    await sameAnswers(doc, where, `edit ${k}`);
  }
  // The edits made and cleared problems of the parser and of the model.
  assert.ok(seen.has('invalid-value') || seen.has('bad-value'), [...seen].join(', '));
  assert.ok(seen.has('shadowed-rule') || seen.has('duplicate-rule'), [...seen].join(', '));
});

/**
 * Hover and completion somewhere on a rule (the server reads the edited text's
 * lines from those before the edit): what the editor features say of a fresh
 * analysis of the text, on the same line, in the same table.
 */
async function sameAnswers(doc: TextDocument, pick: (n: number) => number, what: string): Promise<void> {
  const text = doc.getText();
  const analysis = runToEnd(analyseSaveDocument(text, { ...DEFAULT_OPTIONS, fileName: 'kube-proxy.rules' }));
  const source = { text, kind: 'save' as const, analysis };
  const lines = ruleLines(doc);
  const line = lines[pick(lines.length)];
  const words = [...lineText(doc, line).matchAll(/\S+/g)];
  const word = words[pick(words.length)];
  const position = at(line, word.index! + 1);
  const textDocument = { uri: doc.uri };
  const hovered = await client.connection.sendRequest(HoverRequest.type, { textDocument, position });
  const expected = hover(source, position);
  assert.equal((hovered?.contents as MarkupContent | undefined)?.value, expected?.contents, `${what}: hover on ${word[0]}`);
  const completed = await client.connection.sendRequest(CompletionRequest.type, { textDocument, position: at(line, word.index!) });
  const items = Array.isArray(completed) ? completed : completed?.items ?? [];
  assert.deepEqual(items.map((i) => i.label), completions(source, at(line, word.index!)).items.map((i) => i.label), `${what}: completion before ${word[0]}`);
}

test('an edit\'s diagnostics are published before the requests that waited for its analysis are answered', async () => {
  const uri = 'file:///tmp/lsp-edits/first.rules';
  const text = generateKubeProxy({ services: 10, endpointsPerService: 2 });
  await client.open(uri, text);
  await client.diagnosticsOf(uri, 1);
  const line = text.split('\n').findIndex((l) => l.includes('--dport '));
  const port = text.split('\n')[line].indexOf('--dport ') + '--dport '.length;
  const version = await client.change(uri, { range: { start: at(line, port), end: at(line, port) }, text: 'x' });
  // The outline asks for the new version's analysis at once; the diagnostics would wait for the typing pause.
  const symbols = client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
  const answered = await symbols.then(() => client.publishedFor(uri).some((p) => p.version === version));
  assert.ok(answered, 'the diagnostics came first');
  assert.ok((await client.diagnosticsOf(uri, version)).diagnostics.some((d) => d.code === 'invalid-value' && d.range.start.line === line));
});
