// The extension-host suite (extensionHost/suite.ts) in a real VS Code: code-server,
// offline, with the extension loaded from this folder, driven through Chromium.
// The workbench reports the suite's exit code through window.codeAutomationExit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO } from '../support/shared';
import { browserMissing } from './support/browser';
import { buildSuite, withWorkbench } from './support/vscode';
import { addKubeProxyDump, prepareWorkspace } from './support/workspace';

test('extension-host suite in code-server', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const tests = await buildSuite();
  const workspace = prepareWorkspace();
  addKubeProxyDump(workspace);
  let exit!: Promise<number>;
  const listen = (page: Page) => {
    exit = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
    page.on('console', (m) => {
      const line = /(?:not ok|ok) - .*|# extension host: .*/.exec(m.text());
      if (line) console.log(line[0]);
    });
  };
  await withWorkbench({ workspace, extensionDevelopmentPath: REPO, extensionTestsPath: tests, failure: 'extension-host-failure', beforeOpen: listen }, async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the suite did not finish in 8 minutes')), 8 * 60_000);
    });
    const code = await Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
    assert.equal(code, 0, 'the extension-host suite failed (see the lines above)');
  });
});
