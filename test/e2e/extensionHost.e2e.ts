// The extension-host suite (extensionHost/suite.ts) in a real VS Code: code-server,
// offline, with the extension loaded from this folder, driven through Chromium.
// The workbench reports the suite's exit code through window.codeAutomationExit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO } from '../support/shared';
import { browserMissing, openBrowser, screenshot } from './support/browser';
import { buildSuite, loadCodeServer } from './support/vscode';
import { addKubeProxyDump, prepareWorkspace } from './support/workspace';

test('extension-host suite in code-server', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const { ensureCodeServer, startCodeServer } = await loadCodeServer();
  await ensureCodeServer();
  const tests = await buildSuite();
  const workspace = prepareWorkspace();
  addKubeProxyDump(workspace);
  const server = await startCodeServer({ workspace, extensionDevelopmentPath: REPO, extensionTestsPath: tests });
  const { context, page } = await openBrowser();
  try {
    const exit = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
    page.on('console', (m) => {
      const line = /(?:not ok|ok) - .*|# extension host: .*/.exec(m.text());
      if (line) console.log(line[0]);
    });
    await page.goto(server.workbenchUrl(workspace));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the suite did not finish in 8 minutes')), 8 * 60_000);
    });
    const code = await Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
    if (code !== 0) await screenshot(page, 'extension-host-failure');
    assert.equal(code, 0, 'the extension-host suite failed (see the lines above)');
  } finally {
    await context.close();
    await server.stop();
  }
});
