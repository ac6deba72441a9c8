// Packet tests in a real VS Code (code-server): the workspace's saved tests
// listed in the Testing view under their rule file, run at once, a failing one
// shown failed with what it expected and what the trace gives; an edit of the
// rules re-runs them; "Save as test" in the trace panel adds a test.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { REPO } from '../support/shared';
import { browserMissing, goToLine, openFile, openPalette, runCommand, screenshot } from './support/browser';
import { traceFrame } from './support/trace';
import { withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

const WEB = { inInterface: 'eth0', protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', sourcePort: 40000, destinationPort: 80 };

function saveTest(workspace: string, name: string, json: unknown): void {
  const dir = path.join(workspace, '.vscode', 'iptables-trace', 'rules.v4');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
}

/** A row of the test explorer, by its label (its aria-label is `label (State), in N ms`). */
function testRow(page: Page, label: string) {
  return page.locator(`.test-explorer .monaco-list-row[aria-label^="${label} ("]`);
}

/** Waits until the row's status icon says `state` (passed, failed, errored). */
async function waitForState(page: Page, label: string, state: 'passed' | 'failed' | 'errored'): Promise<void> {
  await testRow(page, label).locator(`.computed-state.codicon-testing-${state}-icon`).waitFor({ timeout: 60_000 });
}

/**
 * Expands a row of the test explorer by a click on its twistie. The row gets one only once its
 * tests are listed (a run that ends first may leave it collapsed): asked until it is expanded.
 */
async function expandRow(page: Page, row: Locator): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const expanded = await row.getAttribute('aria-expanded');
    if (expanded === 'true') return;
    if (expanded === 'false') await row.locator('.monaco-tl-twistie').click();
    await page.waitForTimeout(500);
  }
  throw new Error('the rule file\'s row in the Testing view never expanded');
}

/** Opens a file of the workspace by name with quick open (the palette without its `>`). */
async function quickOpen(page: Page, name: string, textOnPage: string): Promise<void> {
  await (await openPalette(page)).fill(name);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .view-line', { hasText: textOnPage }).first().waitFor({ timeout: 30_000 });
}

test('packet tests in the Testing view: listed per rule file, failing ones shown with expected and actual, re-run after edits', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const workspace = prepareWorkspace();
  saveTest(workspace, 'web-from-outside', { packet: WEB, expect: { fate: 'forwarded', outInterface: 'eth1', packetOut: { destination: '10.0.0.10' } } });
  // The team expects SSH from outside to be closed; the router lets new connections in.
  saveTest(workspace, 'ssh-closed-from-outside', { packet: { ...WEB, destinationPort: 22 }, state: { fresh: true }, expect: { fate: 'dropped' } });
  // A failure opens its peek in the test's file, as soon as the first run ends.
  const settings = { 'editor.minimap.enabled': false, 'testing.openTesting': 'neverOpen', 'testing.automaticallyOpenPeekView': 'failureAnywhere' };
  await withWorkbench({ workspace, extensionDevelopmentPath: REPO, settings, failure: 'packet-tests-failure' }, async (page) => {
    await openFile(page, 'rules.v4', 'port-forwards');
    await page.locator('.activitybar .action-item a[aria-label^="Testing"]').click();
    const group = testRow(page, 'rules.v4');
    await group.waitFor({ timeout: 60_000 });
    await expandRow(page, group);
    await waitForState(page, 'web-from-outside', 'passed');
    await waitForState(page, 'ssh-closed-from-outside', 'failed');

    // The failure in the peek: what was expected, what the trace gives, and the way.
    const peek = page.locator('.test-output-peek');
    await peek.waitFor({ timeout: 30_000 });
    await peek.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    const peekText = (await peek.innerText()).replace(/\s+/g, ' ');
    assert.match(peekText, /fate: expected dropped, got delivered/);
    assert.match(peekText, /fate: dropped/);
    assert.match(peekText, /fate: delivered/);
    // The pointer off the activity bar: no tooltip over the view.
    await page.mouse.move(900, 900);
    await page.waitForTimeout(800);
    copyFileSync(await screenshot(page, 'packet-tests'), path.join(REPO, 'images', 'screenshot-packet-tests.png'));
    await page.keyboard.press('Escape');

    // Close SSH from outside in the rules: the test passes without being run by hand.
    await quickOpen(page, 'rules.v4', 'port-forwards');
    const lines = readFileSync(path.join(workspace, 'rules.v4'), 'utf8').split('\n');
    const ssh = lines.findIndex((l) => l.includes('--dport 22') && l.startsWith('-A INPUT'));
    await goToLine(page, ssh + 1);
    await page.keyboard.press('End');
    await page.keyboard.type(' -i eth1');
    await waitForState(page, 'ssh-closed-from-outside', 'passed');
    await waitForState(page, 'web-from-outside', 'passed');
    // The example that lets SSH in from eth0 fails now, and its peek takes the editor.
    await waitForState(page, 'ssh-first-try', 'failed');
    await page.keyboard.press('Escape');
    await quickOpen(page, 'rules.v4', 'port-forwards');

    // "Save as test" in the trace panel: the packet and its verdict become a new test.
    await runCommand(page, 'iptables: Trace Packet');
    const panel = traceFrame(page);
    await panel.locator('#verdict .verdict-text').waitFor({ timeout: 30_000 });
    await panel.locator('button[data-preset="incoming"]').click();
    await panel.locator('#f-destinationPort').fill('443');
    await panel.locator('#verdict .verdict-text', { hasText: 'forwarded out eth1' }).waitFor({ timeout: 30_000 });
    await panel.locator('#f-sampleName').fill('https-from-outside');
    await panel.locator('#save-test').click();
    await panel.locator('#test-status', { hasText: 'This packet test passes' }).waitFor({ timeout: 30_000 });
    const saved = path.join(workspace, '.vscode', 'iptables-trace', 'rules.v4', 'https-from-outside.json');
    await panel.locator('#sample-status', { hasText: 'https-from-outside.json' }).waitFor({ timeout: 20_000 });
    assert.ok(existsSync(saved));
    assert.deepEqual(JSON.parse(readFileSync(saved, 'utf8')).expect, { fate: 'forwarded', outInterface: 'eth1', packetOut: { destination: '10.0.0.10' } });
    await waitForState(page, 'https-from-outside', 'passed');
  });
});
