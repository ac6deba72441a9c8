// Dead and repeated rules over a real connection: the warning, its faded look,
// and the related information that leads to the rule that hides it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver-protocol/node';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

test('a shadowed rule is a faded warning whose related information points at the shadowing rule', async () => {
  const uri = 'file:///tmp/lsp-dead/rules.v4';
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/8 -p tcp -j ACCEPT\n-A INPUT -s 10.1.0.0/16 -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 10.1.0.0/16 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';
  await client.open(uri, text);
  const { diagnostics } = await client.diagnostics(uri, 1);
  assert.deepEqual(diagnostics.map((d) => ({
    code: d.code, severity: d.severity, tags: d.tags, line: d.range.start.line, from: d.range.start.character, to: d.range.end.character,
    related: d.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line, r.location.range.start.character, r.location.range.end.character, r.message]),
  })), [
    { code: 'shadowed-rule', severity: DiagnosticSeverity.Warning, tags: [DiagnosticTag.Unnecessary], line: 3, from: 0, to: 51,
      related: [[uri, 2, 0, 39, 'this rule takes every packet of the rule on line 4 first']] },
    // The copy of a dead rule is reported as a copy, pointing at the first one.
    { code: 'duplicate-rule', severity: DiagnosticSeverity.Warning, tags: [DiagnosticTag.Unnecessary], line: 4, from: 0, to: 51,
      related: [[uri, 3, 0, 51, 'the same rule, first written here']] },
  ]);
  assert.equal(diagnostics[0].message, 'this rule never matches: rule 1 of INPUT (line 3) comes first, matches every packet this one would and stops them there (`-j ACCEPT`)');
});

test('the warning goes away when the earlier rule is narrowed', async () => {
  const uri = 'file:///tmp/lsp-dead/narrowed.rules';
  await client.open(uri, '*filter\n-A INPUT -p tcp -j ACCEPT\n-A INPUT -p tcp --dport 22 -j DROP\nCOMMIT\n');
  assert.deepEqual((await client.diagnostics(uri, 1)).diagnostics.map((d) => [d.code, d.range.start.line]), [['shadowed-rule', 2]]);
  await client.change(uri, { range: { start: { line: 1, character: 15 }, end: { line: 1, character: 15 } }, text: ' --dport 80' });
  assert.deepEqual((await client.diagnostics(uri, 2)).diagnostics, []);
});
