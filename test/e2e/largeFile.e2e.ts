// A rules file over 50 MB in a real VS Code (code-server): VS Code gives
// extensions no such file, so the extension says once that it is not checked,
// and the trace panel, opened from that notice, reads the file from disk.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';
import { browserMissing, screenshot } from './support/browser';
import { traceFrame } from './support/trace';
import { withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

test('a rules file over 50 MB: one notice, and the trace panel reads it from disk', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const workspace = prepareWorkspace();
  // The router example after 53 MB of comments: over the limit, and quick to trace.
  const router = readFileSync(path.join(workspace, 'rules.v4'), 'utf8');
  writeFileSync(path.join(workspace, 'huge.rules'), `# ${'-'.repeat(1022)}\n`.repeat(53 * 1024) + router);
  await withWorkbench({ workspace, extensionDevelopmentPath: REPO, settings: { 'editor.minimap.enabled': false } }, async (page) => {
    const open = () => page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'huge.rules' }).first().click();
    await open();
    const notice = page.locator('.notifications-toasts .notification-toast', { hasText: 'VS Code gives extensions no file over 50 MB' });
    await notice.waitFor({ timeout: 60_000 });
    assert.match(await notice.innerText(), /huge\.rules is 53 MB/);
    await screenshot(page, 'large-file-notice');
    await notice.locator('.monaco-button', { hasText: 'Trace a Packet' }).click();
    const panel = traceFrame(page);
    await panel.locator('#doc-name', { hasText: 'huge.rules' }).waitFor({ timeout: 60_000 });
    await panel.locator('#verdict .verdict-text').waitFor({ timeout: 60_000 });
    await screenshot(page, 'large-file-trace');
    // Said once: coming back to the file brings no second notice.
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'rules.v4' }).first().click();
    await open();
    await page.waitForTimeout(3000);
    assert.equal(await notice.count(), 0);
  });
});
