// A Kubernetes node's ruleset (160,000 kube-proxy rules, 24 MB) in the editor:
// its diagnostics on opening, and fresh ones after a one-character edit.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { it, summary, waitFor, workspaceFile } from './harness';

it('the 160,000 rules of a kube-proxy dump get their diagnostics, and fresh ones after an edit', async () => {
  const opened = Date.now();
  const doc = await vscode.workspace.openTextDocument(workspaceFile('kube-proxy.rules'));
  assert.equal(doc.languageId, 'iptables');
  const read = Date.now();
  const editor = await vscode.window.showTextDocument(doc);
  const found = await waitFor('the diagnostics of 160,000 rules', () => {
    const d = vscode.languages.getDiagnostics(doc.uri);
    return d.length ? d : undefined;
  }, 120_000);
  console.log(`# extension host: kube-proxy dump (${doc.lineCount} lines): read in ${read - opened} ms, diagnostics ${Date.now() - read} ms after that`);
  const unused = (line: number, chain: string) => `${line}:2 no rule jumps to chain ${chain}, so its rules never run`;
  assert.deepEqual(found.map(summary), [
    unused(9, 'KUBE-KUBELET-CANARY'), unused(11, 'KUBE-PROXY-CANARY'), unused(37, 'KUBE-KUBELET-CANARY'), unused(41, 'KUBE-PROXY-CANARY'),
  ]);

  // A port typed wrong in the second half of the file (a rule of KUBE-SERVICES): `--dport 443x`.
  const text = doc.getText();
  const port = text.indexOf('--dport ', doc.offsetAt(new vscode.Position(Math.floor(doc.lineCount / 2), 0))) + '--dport '.length;
  const after = doc.positionAt(text.indexOf(' ', port));
  const rule = after.line;
  const edited = Date.now();
  await editor.edit((e) => e.insert(after, 'x'));
  const error = await waitFor('an error for the port typed wrong', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'invalid-value'), 60_000);
  console.log(`# extension host: kube-proxy dump: a one-character edit to its error ${Date.now() - edited} ms`);
  assert.equal(error.range.start.line, rule);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});
