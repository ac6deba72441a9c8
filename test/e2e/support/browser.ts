// Debian's Chromium driven by playwright-core, with the flags this offline
// machine needs (see the real-VS-Code notes).
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { REPO } from '../../support/shared';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO, 'test-results');

export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

export async function openBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'iptables-e2e-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs a command from the palette by its label. */
export async function runCommand(page: Page, label: string): Promise<void> {
  // The palette can also close between its box showing and the typing (focus moving in a busy workbench): open it again.
  for (let attempt = 1; ; attempt++) {
    const input = await openPalette(page);
    try {
      await input.fill('>' + label, { timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/**
 * Opens the command palette. While the workbench is busy (a 24 MB file just opened) a key can be
 * lost, or the palette closed again as focus moves: F1 again until its box is on screen.
 */
export async function openPalette(page: Page): Promise<Locator> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      return input;
    } catch (e) {
      if (attempt >= 6) throw e;
    }
  }
}

/** Opens a workspace file from the explorer and waits for the editor to show it. */
export async function openFile(page: Page, name: string, textOnPage: string): Promise<void> {
  // The exact name: `firewall.sh` is not `broken-firewall.sh`.
  const label = page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  await page.locator('.explorer-folders-view .monaco-list-row').filter({ has: label }).first().click();
  await page.locator('.editor-instance .view-line', { hasText: textOnPage }).first().waitFor({ timeout: 60_000 });
}

/** Moves the cursor with Go to Line (1-based line and column, as the editor shows them). */
export async function goToLine(page: Page, line: number, column?: number): Promise<void> {
  await page.keyboard.press('Control+G');
  // Typed before the box is open, the digits would land in the file.
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 20_000 });
  await input.fill(':' + (column ? `${line}:${column}` : String(line)));
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .monaco-editor.focused').first().waitFor({ timeout: 20_000 });
  if (!column) await page.keyboard.press('Home');
}

/** Shows the hover at the cursor and waits for it to hold `text`; asks again while the server is still busy. */
export async function showHover(page: Page, text: string): Promise<Locator> {
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: text });
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    try {
      await hover.waitFor({ timeout: 8_000 });
      return hover;
    } catch (e) {
      if (attempt === 4) throw e;
      await page.keyboard.press('Escape');
    }
  }
}
