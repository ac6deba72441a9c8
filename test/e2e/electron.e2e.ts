// The same extension-host suite through @vscode/test-electron, for machines
// that can download VS Code (it needs update.code.visualstudio.com and a
// display or xvfb-run). Offline, it skips and says why.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { REPO } from '../support/shared';
import { buildSuite } from './support/vscode';
import { addKubeProxyDump, prepareWorkspace } from './support/workspace';

test('extension-host suite in VS Code (electron)', { timeout: 15 * 60_000 }, async (t) => {
  let vscodeExecutablePath: string;
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: '1.100.3', timeout: 30_000 });
  } catch (e) {
    t.skip(`VS Code cannot be downloaded here (${(e as Error).message.split('\n')[0]}); the same suite runs in code-server`);
    return;
  }
  if (!process.env.DISPLAY && spawnSync('which', ['xvfb-run']).status !== 0) {
    t.skip('no display and no xvfb-run (apt-get install xvfb)');
    return;
  }
  const extensionTestsPath = await buildSuite();
  const workspace = prepareWorkspace();
  addKubeProxyDump(workspace);
  const code = await runTests({
    vscodeExecutablePath, extensionDevelopmentPath: REPO, extensionTestsPath,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
  assert.equal(code, 0);
});
