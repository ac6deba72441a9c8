// Language detection, diagnostics, settings and server supervision, as a user
// meets them in VS Code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { it, summary, waitFor, workspaceFile } from './harness';

it('rules.v4 is an iptables file, and clean', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('rules.v4'));
  assert.equal(doc.languageId, 'iptables');
  await vscode.window.showTextDocument(doc);
  // The server answers with an empty list for a clean file; wait until it has analysed it.
  await waitFor('the extension to be active', () => (vscode.extensions.getExtension('iptables-vscode.iptables-vscode')?.isActive ? true : undefined));
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(vscode.languages.getDiagnostics(doc.uri).map(summary), []);
});

it('a file whose first line is *filter is an iptables file', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('firewall-dump'));
  assert.equal(doc.languageId, 'iptables');
});

it('/etc/sysconfig/iptables is an iptables file', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('etc', 'sysconfig', 'iptables'));
  assert.equal(doc.languageId, 'iptables');
});

it('diagnostics appear for a broken file and disappear when it is fixed', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('broken.rules'));
  const editor = await vscode.window.showTextDocument(doc);
  const found = await waitFor('diagnostics', () => {
    const d = vscode.languages.getDiagnostics(doc.uri);
    return d.length ? d : undefined;
  });
  assert.deepEqual(found.map(summary), ['3:25 port `99999` is out of range 0-65535']);
  assert.equal(found[0].severity, vscode.DiagnosticSeverity.Error);
  assert.equal(found[0].source, 'iptables');
  assert.equal(found[0].code, 'invalid-value');
  await editor.edit((e) => e.replace(new vscode.Range(2, 24, 2, 29), '22'));
  await waitFor('the diagnostics to clear', () => (vscode.languages.getDiagnostics(doc.uri).length === 0 ? true : undefined));
});

it('changing iptables.externalChains takes effect without a reload', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('external.rules'));
  await vscode.window.showTextDocument(doc);
  const severity = () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'undefined-jump')?.severity;
  await waitFor('an error for the unknown chain', () => (severity() === vscode.DiagnosticSeverity.Error ? true : undefined));
  const config = vscode.workspace.getConfiguration('iptables');
  await config.update('externalChains', ['corp-*'], vscode.ConfigurationTarget.Workspace);
  try {
    await waitFor('a warning once the chain is external', () => (severity() === vscode.DiagnosticSeverity.Warning ? true : undefined));
  } finally {
    await config.update('externalChains', undefined, vscode.ConfigurationTarget.Workspace);
  }
});

it('a firewall script gets its diagnostic on the exact word, and only there', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('broken-firewall.sh'));
  assert.equal(doc.languageId, 'shellscript');
  await vscode.window.showTextDocument(doc);
  const found = await waitFor('diagnostics on the script', () => {
    const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'iptables');
    return d.length ? d : undefined;
  });
  assert.deepEqual(found.map(summary), ['4:34 port `99999` is out of range 0-65535']);
  assert.equal(found[0].range.end.character, 40, "the squiggle covers \"$PORT\" with its quotes");
});

it('a shell script that does not run iptables gets nothing from us', async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('plain.sh'));
  await vscode.window.showTextDocument(doc);
  // Give the server time to answer a document change; it must stay silent.
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual(vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'iptables').map(summary), []);
});

it('a crashed server is restarted and diagnostics keep working', async () => {
  const servers = () => execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n').filter((l) => l.includes('server.js')).map((l) => Number(l.trim().split(/\s+/)[0]));
  const [pid] = await waitFor('the language server process', () => (servers().length ? servers() : undefined));
  process.kill(pid, 'SIGKILL');
  await waitFor('a new language server process', () => (servers().some((p) => p !== pid) ? true : undefined));
  const doc = await vscode.workspace.openTextDocument({ language: 'iptables', content: '*filter\n-A INPUT -j NOWHERE\nCOMMIT\n' });
  await vscode.window.showTextDocument(doc);
  const d = await waitFor('diagnostics from the restarted server', () => {
    const list = vscode.languages.getDiagnostics(doc.uri);
    return list.length ? list : undefined;
  });
  assert.equal(d[0].code, 'undefined-jump');
});

