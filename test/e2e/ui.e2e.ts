// What a user sees, in a real VS Code (code-server) with the packaged .vsix
// installed: the language in the status bar, squiggles, and the Problems panel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';
import { browserMissing, openBrowser, openFile, runCommand, screenshot } from './support/browser';
import { loadCodeServer } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

test('the packaged extension shows problems in the editor and the Problems panel', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const { ensureCodeServer, installVsix, startCodeServer } = await loadCodeServer();
  await ensureCodeServer();
  const pack = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const root = mkdtempSync(path.join(tmpdir(), 'iptables-e2e-vsix-'));
  const extensionsDir = path.join(root, 'extensions');
  const userDataDir = path.join(root, 'user-data');
  await installVsix(path.join(REPO, 'iptables-vscode.vsix'), { extensionsDir, userDataDir });
  const workspace = prepareWorkspace();
  const server = await startCodeServer({ workspace, extensionsDir, userDataDir });
  const { context, page } = await openBrowser();
  try {
    await page.goto(server.workbenchUrl(workspace));
    await openFile(page, 'mistakes.rules', 'MASQUERADE');
    await page.locator('#status\\.editor\\.mode', { hasText: 'iptables' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Focus Problems');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'the MASQUERADE target is allowed only in POSTROUTING' });
    await row.waitFor({ timeout: 20_000 });
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /the MASQUERADE target is allowed only in POSTROUTING; the kernel refuses it in PREROUTING .*iptables.*\[Ln 9, Col 26\]/);
    await page.waitForTimeout(500);
    await screenshot(page, 'problems-panel');
    // The file list is the one a user sees too.
    const problems = await page.locator('.markers-panel .monaco-list-row').count();
    assert.ok(problems >= 12, `expected the mistakes to be listed, saw ${problems} rows`);
  } finally {
    await context.close();
    await server.stop();
  }
});
