// A real VS Code for the tests: code-server (see scripts/vscode/codeServer.mjs)
// opened in Chromium, and the extension-host test suite bundled for it.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO } from '../../support/shared';
import { openBrowser, screenshot } from './browser';

export type CodeServerModule = typeof import('../../../scripts/vscode/codeServer.mjs');
type StartOptions = NonNullable<Parameters<CodeServerModule['startCodeServer']>[0]>;

export function loadCodeServer(): Promise<CodeServerModule> {
  return import('../../../scripts/vscode/codeServer.mjs');
}

export interface WorkbenchOptions extends StartOptions {
  workspace: string;
  /** The screenshot taken when the test fails (test-results/<name>.png). */
  failure?: string;
  /** Before the workbench loads: functions exposed to the page, listeners on it. */
  beforeOpen?: (page: Page) => unknown;
}

/**
 * code-server on `workspace` (installed first if need be) and Chromium on its
 * workbench, for `body`; both are ended after it, and a failure leaves a screenshot.
 */
export async function withWorkbench<T>(options: WorkbenchOptions, body: (page: Page) => Promise<T>): Promise<T> {
  const { failure, beforeOpen, ...start } = options;
  const { ensureCodeServer, startCodeServer } = await loadCodeServer();
  await ensureCodeServer();
  const server = await startCodeServer(start);
  const { context, page } = await openBrowser();
  try {
    await beforeOpen?.(page);
    await page.goto(server.workbenchUrl(options.workspace));
    return await body(page);
  } catch (e) {
    if (failure) await screenshot(page, failure);
    throw e;
  } finally {
    await context.close();
    await server.stop();
  }
}

/**
 * The extension as users get it (`npm run package`), installed in fresh
 * extension and user-data dirs after the other .vsix files `before` makes there.
 */
export async function installPackagedExtension(before: (root: string) => string[] = () => []): Promise<{ extensionsDir: string; userDataDir: string }> {
  const pack = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm run package failed: ${pack.stderr}`);
  const { ensureCodeServer, installVsix } = await loadCodeServer();
  await ensureCodeServer();
  const root = mkdtempSync(path.join(tmpdir(), 'iptables-e2e-vsix-'));
  const dirs = { extensionsDir: path.join(root, 'extensions'), userDataDir: path.join(root, 'user-data') };
  for (const vsix of [...before(root), path.join(REPO, 'iptables-vscode.vsix')]) await installVsix(vsix, dirs);
  return dirs;
}

/** Bundles the extension-host suite to out/e2e/extensionHost/index.js (vscode stays external). */
export async function buildSuite(): Promise<string> {
  const outfile = path.join(REPO, 'out', 'e2e', 'extensionHost', 'index.js');
  await esbuild.build({
    entryPoints: [path.join(REPO, 'test', 'e2e', 'extensionHost', 'suite.ts')],
    outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'warning',
  });
  return path.dirname(outfile);
}
