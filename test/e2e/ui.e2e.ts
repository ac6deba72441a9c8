// What a user sees, in a real VS Code (code-server) with the packaged .vsix
// installed: the language in the status bar, squiggles, the Problems panel, a
// hover and the suggest widget.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { browserMissing, goToLine, openFile, runCommand, screenshot, showHover } from './support/browser';
import { installPackagedExtension, withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

test('the packaged extension shows problems, hovers and completions in the editor', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const { extensionsDir, userDataDir } = await installPackagedExtension();
  const workspace = prepareWorkspace();
  await withWorkbench({ workspace, extensionsDir, userDataDir }, async (page) => {
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

    // A hover, then completion in the suggest widget, on the router example.
    await openFile(page, 'rules.v4', 'home/office router');
    const lines = readFileSync(path.join(workspace, 'rules.v4'), 'utf8').split('\n');
    const jump = lines.findIndex((l) => l.endsWith('-j ssh-guard'));
    await goToLine(page, jump + 1, lines[jump].length - 2);
    const hover = await showHover(page, 'ssh-guard');
    assert.match((await hover.innerText()).replace(/\s+/g, ' '), /ssh-guard.*INPUT/);
    await page.waitForTimeout(300);
    await screenshot(page, 'hover');
    await page.keyboard.press('Escape');

    await goToLine(page, lines.lastIndexOf('COMMIT') + 1);
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.type('-A FORWARD -p tcp -j RE');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Space');
    const suggest = page.locator('.editor-widget.suggest-widget.visible');
    await suggest.locator('.monaco-list-row').first().waitFor({ timeout: 20_000 });
    const labels = await suggest.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
    // Word-based suggestions say `Text`; ours are targets, fuzzy-matched on `RE` (R-at-E-est too).
    // REDIRECT is a nat target, so filter FORWARD does not get it.
    const targets = labels.filter((l) => !l.includes(', Text')).map((l) => l.split(',')[0]).sort();
    assert.deepEqual(targets, ['RATEEST', 'REJECT', 'RETURN']);
    await page.waitForTimeout(300);
    await screenshot(page, 'completion');
  });
});
