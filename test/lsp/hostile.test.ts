// The language server on hostile and broken documents: positions as the editor
// counts lines (a lone \r ends one), a failed analysis that replaces the old
// diagnostics, hover answered on a script that asks for too much work and while
// huge address lists and deep chains are analysed, and memory given back when
// documents close.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TRACE_MODEL_REQUEST, TraceModel } from '../../server/src/protocol/requests';
import { HOSTILE_INPUTS, HOSTILE_SCRIPTS } from '../support/hostile';
import { heapProbe } from '../support/heapProbe';
import { LspClient } from '../support/lspClient';

// A fault to trip on, loaded into the server from outside: sorting the diagnostics of a document that names BOOM throws.
const probe = heapProbe('hostile', `const sort = Array.prototype.sort;
Array.prototype.sort = function (...a) {
  if (this.some((d) => d && typeof d.message === 'string' && d.message.includes('BOOM'))) throw new Error('injected fault');
  return sort.apply(this, a);
};`);

const client = new LspClient();
before(() => client.start({}, { command: probe.command }));
after(() => client.stop());

test('a lone carriage return ends a line for the editor: diagnostics and hover are placed on the editor\'s lines', async () => {
  const uri = 'file:///tmp/lsp-hostile/cr.rules';
  // For iptables-restore the comment and the rule are one line; the editor shows two.
  await client.open(uri, '*filter\n-A INPUT -m comment --comment "a\rb" -j NOWHERE\nCOMMIT\n');
  const d = await client.diagnostics(uri, 1);
  assert.deepEqual(d.diagnostics.map((x) => [x.code, x.range]), [
    ['undefined-jump', { start: { line: 2, character: 6 }, end: { line: 2, character: 13 } }],
  ]);
  const hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 8 } }) as { range: unknown } | null;
  assert.deepEqual(hover?.range, { start: { line: 2, character: 6 }, end: { line: 2, character: 13 } });
});

test('the trace model places a rule split by a lone carriage return on the editor\'s line it starts on', async () => {
  const uri = 'file:///tmp/lsp-hostile/cr-trace.rules';
  await client.open(uri, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "a\rb" -j ACCEPT\nCOMMIT\n');
  const model = await client.connection.sendRequest(TRACE_MODEL_REQUEST, { uri }) as TraceModel;
  const input = model.rulesets[0].tables[0].chains.find((c) => c.name === 'INPUT')!;
  // Sent with its places (not as a line for the panel to find them in), the place cut at the \r.
  assert.deepEqual([input.lines, input.rules?.map((r) => r.at)], [undefined, [[{ line: 2, start: 0, end: 32 }]]]);
});

test('an analysis that fails replaces the old diagnostics with one that says so', async () => {
  const uri = 'file:///tmp/lsp-hostile/fails.rules';
  await client.open(uri, '*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n');
  assert.deepEqual((await client.diagnostics(uri, 1)).diagnostics.map((x) => x.code), ['invalid-value']);
  await client.change(uri, { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '-A INPUT -j BOOM\n' });
  const failed = await client.diagnostics(uri, 2);
  assert.deepEqual(failed.diagnostics.map((x) => [x.code, x.severity, x.range.start.line]), [['analysis-failed', 1, 0]]);
  assert.match(failed.diagnostics[0].message as string, /^the analysis of this file stopped on an internal error \(injected fault\)/);
});

test('hover is answered on a script that asks for too much work, and the script gets its note', async () => {
  const h = HOSTILE_SCRIPTS.find((s) => s.name === 'a loop that never ends')!;
  const uri = 'file:///tmp/lsp-hostile/loop.sh';
  await client.open(uri, `#!/bin/bash\n${h.script}\niptables -A INPUT -j ACCEPT\n`, 'shellscript');
  const asked = client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 22 } }) as Promise<{ contents: { value: string } } | null>;
  assert.match((await asked)!.contents.value, /ACCEPT/);
  const d = await client.diagnostics(uri, 1);
  assert.deepEqual(d.diagnostics.map((x) => [x.code, x.range.start.line]), [['not-evaluated', 1]]);
});

test('hover is answered while the server analyses 400 × 400 addresses, 20 lines of 100 × 100 and chains 7,000 deep, from the text as it is', async () => {
  const cases = [
    { file: 'list400.rules', at: { line: 1, character: 1 }, says: 'iptables makes 160,000 rules of this command, one per pair of addresses (400 sources × 400 destinations).' },
    { file: 'product.rules', at: { line: 20, character: 1 }, says: 'iptables makes 10,000 rules of this command, one per pair of addresses (100 sources × 100 destinations).' },
    // `-A c3499 -j c3500`, on `-j`.
    { file: 'deep7000.rules', at: { line: 10502, character: 10 }, says: '**-j target**' },
  ];
  for (const c of cases) {
    const uri = `file:///tmp/lsp-hostile/hover-${c.file}`;
    const text = HOSTILE_INPUTS.find((h) => h.file === c.file)!.text;
    assert.equal(text.split('\n')[c.at.line].slice(0, 2), '-A', c.file);
    await client.open(uri, text);
    // Asked at once: the first analysis is under way.
    const answer = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: c.at }) as { contents: { value: string } } | null;
    assert.ok(answer?.contents.value.includes(c.says), `${c.file}: ${JSON.stringify(answer)}`);
    await client.diagnostics(uri, 1);
    await client.close(uri);
  }
});

test('the server\'s memory comes back when documents close', async () => {
  const heap = () => probe.objectsAfterCollection(client);
  const used = () => probe.usedAfterCollection(client);
  // Distinct ports and port ranges in every rule: nothing of them may stay in a cache.
  const rule = (i: number) => `-A INPUT -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -p tcp --dport ${1 + (i % 60000)}:${65535 - (i % 60000)} -j ACCEPT`;
  const text = (round: number) => `*filter\n:INPUT DROP [0:0]\n${Array.from({ length: 10_000 }, (_, i) => rule(i + round * 10_000)).join('\n')}\nCOMMIT\n`;
  // The start: the server after a first small document (its code and knowledge loaded).
  await client.open('file:///tmp/lsp-hostile/small.rules', '*filter\n-A INPUT -p tcp --dport 22:23 -j ACCEPT\nCOMMIT\n');
  await client.diagnostics('file:///tmp/lsp-hostile/small.rules', 1);
  await client.close('file:///tmp/lsp-hostile/small.rules');
  const start = await heap();
  const startUsed = await used();
  let open = 0;
  for (let round = 0; round < 3; round++) {
    const uris = Array.from({ length: 2 }, (_, i) => `file:///tmp/lsp-hostile/big-${round}-${i}.rules`);
    // One at a time: each analysis well within the client's wait, on a busy machine too.
    for (const uri of uris) {
      await client.open(uri, text(round));
      await client.diagnostics(uri, 1);
    }
    open = Math.max(open, await used());
    for (const uri of uris) await client.close(uri);
  }
  const end = await heap();
  assert.ok(open > startUsed + 20, `the documents took memory while open: ${startUsed.toFixed(0)} -> ${open.toFixed(0)} MB`);
  assert.ok(end <= start * 1.2, `heap after a full collection: ${start.toFixed(1)} MB at the start, ${end.toFixed(1)} MB after closing every document`);
});
