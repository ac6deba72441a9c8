// Completion, hover, rename, quick fixes and the outline, through VS Code's own
// provider commands: what the editor's widgets show comes from these.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { it, waitFor, workspaceFile } from './harness';

async function untitled(content: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ language: 'iptables', content });
  await vscode.window.showTextDocument(doc);
  return doc;
}

async function completionLabels(doc: vscode.TextDocument, position: vscode.Position): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, position);
  return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
}

it('completion after -j offers the targets legal in that table and chain', async () => {
  const filter = await untitled('*filter\n:INPUT DROP [0:0]\n-A INPUT -j \nCOMMIT\n');
  const inFilter = await completionLabels(filter, new vscode.Position(2, 12));
  assert.ok(inFilter.includes('REJECT') && inFilter.includes('ACCEPT'), `filter INPUT offers ${inFilter.join(' ')}`);
  assert.ok(!inFilter.includes('DNAT') && !inFilter.includes('MASQUERADE'), `filter INPUT offers ${inFilter.join(' ')}`);
  const nat = await untitled('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j \nCOMMIT\n');
  const inNat = await completionLabels(nat, new vscode.Position(2, 17));
  assert.ok(inNat.includes('DNAT') && !inNat.includes('MASQUERADE') && !inNat.includes('REJECT'), `nat PREROUTING offers ${inNat.join(' ')}`);
});

it('hover on a user chain says where packets reach it from and who jumps to it', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('rules.v4'));
  const line = doc.getText().split('\n').findIndex((l) => l.startsWith('-A PREROUTING -i eth0 -j port-forwards'));
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, 30));
  const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  assert.match(text, /port-forwards/);
  assert.match(text, /PREROUTING/);
});

it('renaming a user chain changes its declaration, its rules and every jump to it', async () => {
  const original = (await vscode.workspace.openTextDocument(workspaceFile('rules.v4'))).getText();
  const doc = await untitled(original);
  const line = doc.getText().split('\n').findIndex((l) => l.startsWith(':ssh-guard'));
  const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', doc.uri, new vscode.Position(line, 3), 'guard-ssh');
  assert.ok(await vscode.workspace.applyEdit(edit));
  const text = doc.getText();
  assert.equal(text.match(/ssh-guard/g), null);
  assert.equal(text.match(/guard-ssh/g)?.length, 5, 'the declaration, three -A lines and one -j');
  assert.equal(text.replace(/guard-ssh/g, 'ssh-guard'), original);
});

it('the quick fix for a --ctstate without -m conntrack adds the module, and the error goes away', async () => {
  const doc = await untitled('*filter\n:INPUT DROP [0:0]\n-A INPUT --ctstate NEW -j ACCEPT\nCOMMIT\n');
  const [problem] = await waitFor('the unknown-option diagnostic', () => {
    const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.code === 'unknown-option');
    return d.length ? d : undefined;
  });
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, problem.range, vscode.CodeActionKind.QuickFix.value);
  const fix = actions.find((a) => a.isPreferred) ?? actions[0];
  assert.ok(fix?.edit, `quick fixes offered: ${actions.map((a) => a.title).join('; ')}`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  assert.equal(doc.lineAt(2).text, '-A INPUT -m conntrack --ctstate NEW -j ACCEPT');
  await waitFor('the diagnostic to clear', () => (vscode.languages.getDiagnostics(doc.uri).length === 0 ? true : undefined));
});

it('the outline lists tables, then their chains', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('rules.v4'));
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
  assert.deepEqual(symbols.map((s) => s.name), ['raw', 'mangle', 'nat', 'filter']);
  const filter = symbols[3].children.map((c) => c.name);
  assert.deepEqual(filter, ['INPUT', 'FORWARD', 'OUTPUT', 'ssh-guard', 'log-drop']);
});
