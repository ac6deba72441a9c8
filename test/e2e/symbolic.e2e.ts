// The symbolic engine in a real VS Code (code-server): "Service Matrix" shows
// who reaches SSH in the trace panel, as a picture and tables, and a click on
// a class traces one of its packets; "Compare with HEAD" says what an
// uncommitted edit changes; saving that edit brings the notice that the
// ruleset now lets other packets through, its details a click away.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO } from '../support/shared';
import { browserMissing, goToLine, openFile, runCommand, screenshot } from './support/browser';
import { traceFrame } from './support/trace';
import { withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

function git(dir: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** The text of the editor that shows a line holding `line`, once it does. */
async function editorText(page: Page, line: string): Promise<string> {
  const editor = page.locator('.editor-instance', { has: page.locator('.view-line', { hasText: line }) }).first();
  await editor.waitFor({ timeout: 60_000 });
  return (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
}

test('Service Matrix in the panel (a click traces a class), Compare with HEAD, and the notice after a save that changes what passes', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const workspace = prepareWorkspace();
  git(workspace, 'init', '-q');
  git(workspace, 'add', 'rules.v4');
  git(workspace, 'commit', '-q', '-m', 'the router as deployed');
  await withWorkbench({ workspace, extensionDevelopmentPath: REPO, settings: { 'editor.minimap.enabled': false }, failure: 'symbolic-failure' }, async (page) => {
    await openFile(page, 'rules.v4', 'port-forwards');
    // The extension is running (its CodeLens is on the built-in chains): its commands are in the palette.
    await page.locator('.codelens-decoration', { hasText: 'Trace a packet through' }).first().waitFor({ timeout: 60_000 });

    // The command asks for the service (tcp:22 offered) and shows the matrix in the panel.
    await runCommand(page, 'iptables: Service Matrix');
    const box = page.locator('.quick-input-widget .quick-input-box input');
    await box.waitFor({ timeout: 20_000 });
    assert.equal(await box.inputValue(), 'tcp:22');
    await page.keyboard.press('Enter');
    const panel = traceFrame(page);
    await panel.locator('#matrix table.matrix caption', { hasText: 'Through this host (FORWARD)' }).waitFor({ timeout: 60_000 });
    const captions = await panel.locator('#matrix table.matrix caption').allInnerTexts();
    assert.deepEqual(captions.slice(0, 3), ['To this host (INPUT)', 'Through this host (FORWARD)', 'From this host (OUTPUT)']);
    // As many boxes in the picture as rows in the tables: one per class.
    const boxes = await panel.locator('#matrix svg rect.cell').count();
    assert.ok(boxes > 5);
    assert.equal(await panel.locator('#matrix table.matrix tbody tr').count(), boxes);
    // The LAN's SSH to the world: forwarded out eth0, masqueraded.
    const lan = panel.locator('#matrix tr', { hasText: 'NAT: source → 203.0.113.1' }).filter({ hasText: 'forwarded out eth0' }).first();
    // The README's picture: the section's title, the picture and the first table.
    await panel.locator('#matrix-title').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    // The pointer on the empty title bar: no hover over the editor or the picture.
    await page.mouse.move(1300, 12);
    await page.waitForTimeout(800);
    copyFileSync(await screenshot(page, 'service-matrix'), path.join(REPO, 'images', 'screenshot-service-matrix.png'));
    await lan.scrollIntoViewIfNeeded();
    await lan.locator('button', { hasText: 'Trace one' }).click();
    await panel.locator('#verdict .verdict-text', { hasText: 'forwarded out eth0' }).waitFor({ timeout: 30_000 });
    assert.equal(await panel.locator('#f-inInterface').inputValue(), 'eth1');
    assert.equal(await panel.locator('#f-destinationPort').inputValue(), '22');
    assert.match(await lan.getAttribute('class') ?? '', /\btraced\b/);
    // The panel's own box: another service, and a box of the picture traced with the keyboard.
    await panel.locator('#f-service').fill('tcp:80');
    await panel.locator('#show-matrix').click();
    await panel.locator('#matrix h3', { hasText: 'tcp:80, IPv4' }).waitFor({ timeout: 60_000 });
    const dnat = panel.locator('#matrix tr', { hasText: 'NAT: destination → 10.0.0.10' }).filter({ hasText: 'forwarded out eth1' }).first();
    await dnat.locator('button', { hasText: 'Trace one' }).click();
    await panel.locator('#verdict .verdict-text', { hasText: 'forwarded out eth1' }).waitFor({ timeout: 30_000 });
    assert.equal(await panel.locator('#f-destinationPort').inputValue(), '80');

    // An edit that keeps SSH to the LAN: Compare with HEAD says SSH from eth0 is dropped now.
    await openFile(page, 'rules.v4', 'port-forwards');
    const lines = readFileSync(path.join(workspace, 'rules.v4'), 'utf8').split('\n');
    const ssh = lines.findIndex((l) => l.includes('--dport 22') && l.startsWith('-A INPUT'));
    assert.ok(ssh >= 0);
    await goToLine(page, ssh + 1);
    await page.keyboard.press('End');
    await page.keyboard.type(' -i eth1');
    await runCommand(page, 'iptables: Compare with HEAD');
    const diff = await editorText(page, 'IPv4: what changes from HEAD (before) to this version (now):');
    assert.match(diff, /\n  tcp .*to port 22 .* on eth0: delivered before, dropped now\n/);
    assert.doesNotMatch(diff, /on eth1: delivered before/);

    // Saved, the edit brings the notice; "Show" opens the same words.
    await openFile(page, 'rules.v4', 'port-forwards');
    await page.keyboard.press('Control+S');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'This edit changes what rules.v4 lets through' });
    await toast.waitFor({ timeout: 60_000 });
    assert.match(await toast.innerText(), /sets of packets meet another fate/);
    await toast.locator('.monaco-button', { hasText: 'Show' }).click();
    const shown = await editorText(page, 'from before the edit (before) to after it (now)');
    assert.match(shown, /on eth0: delivered before, dropped now/);
  });
});
