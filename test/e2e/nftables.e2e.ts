// nftables in a real VS Code (code-server): "iptables: Convert to nftables" on
// the router example opens the nft script beside it and says how many rules
// have no equivalent; the hover on a rule shows it in nft; the same command on
// the shell script gives both families; a screenshot of both for the README.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO } from '../support/shared';
import { browserMissing, goToLine, openFile, runCommand, screenshot, showHover } from './support/browser';
import { withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

/** The lines the editor shows of its active tab (monaco draws only those in view). */
async function visibleLines(page: Page): Promise<string[]> {
  const lines = page.locator('.editor-group-container.active .editor-instance .view-line');
  const tops = await lines.evaluateAll((els) => els.map((el) => [parseFloat(/top:\s*([\d.]+)px/.exec(el.getAttribute('style') ?? '')?.[1] ?? '0'), (el.textContent ?? '').replace(/\u00a0/g, ' ')] as [number, string]));
  return tops.sort((a, b) => a[0] - b[0]).map(([, text]) => text);
}

test('Convert to nftables opens the nft script beside the rules; the hover on a rule shows it in nft', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const workspace = prepareWorkspace();
  await withWorkbench({ workspace, extensionDevelopmentPath: REPO, settings: { 'editor.minimap.enabled': false } }, async (page) => {
    await openFile(page, 'rules.v4', 'home/office router');
    await page.locator('.codelens-decoration', { hasText: 'Trace a packet through' }).first().waitFor({ timeout: 60_000 });

    await runCommand(page, 'iptables: Convert to nftables');
    const warning = page.locator('.notifications-toasts .notification-toast', { hasText: 'have no nftables equivalent' });
    await warning.waitFor({ timeout: 30_000 });
    assert.match(await warning.innerText(), /2 of the 21 rules of rules\.v4 have no nftables equivalent: they are comments in the script, saying why\./);
    await page.locator('.tabs-container .tab.active', { hasText: 'Untitled' }).waitFor({ timeout: 20_000 });
    await page.locator('.editor-group-container.active .view-line', { hasText: 'nft -f' }).first().waitFor({ timeout: 20_000 });
    const top = await visibleLines(page);
    assert.deepEqual(top.slice(0, 2), ['#!/usr/sbin/nft -f', '# rules.v4 in nftables, converted by iptables for VS Code.']);
    assert.ok(top.includes('table ip raw {'), top.join('\n'));
    assert.ok(top.some((l) => l.trim() === 'iifname "lo" counter notrack'), top.join('\n'));

    // Back in the rules: the hover on the port forward shows it in nft.
    await page.locator('.tabs-container .tab', { hasText: 'rules.v4' }).first().click();
    const lines = readFileSync(path.join(workspace, 'rules.v4'), 'utf8').split('\n');
    const dnat = lines.findIndex((l) => l.includes('-j DNAT'));
    await goToLine(page, dnat + 1, 2);
    const hover = await showHover(page, 'nftables');
    assert.match((await hover.innerText()).replace(/\s+/g, ' '), /In nftables: tcp dport \{ 80, 443 \} counter dnat to 10\.0\.0\.10/);
    // For the README: the rules and their script side by side, without the side bar.
    await page.keyboard.press('Escape');
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await showHover(page, 'nftables');
    await page.waitForTimeout(500);
    copyFileSync(await screenshot(page, 'nftables'), path.join(REPO, 'images', 'screenshot-nftables.png'));
    await page.keyboard.press('Escape');
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');

    // A firewall script: one table per family it adds rules to.
    await openFile(page, 'host-firewall.sh', 'ip6tables');
    await runCommand(page, 'iptables: Convert to nftables');
    await page.locator('.tabs-container .tab.active', { hasText: 'Untitled-2' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-group-container.active .view-line', { hasText: 'host-firewall.sh in nftables' }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Control+F');
    await page.keyboard.type('table ip6 filter {');
    await page.locator('.find-widget .matchesCount', { hasText: /^1 of 1$/ }).waitFor({ timeout: 20_000 });
  });
});
