// A real VS Code for the tests: code-server (see scripts/vscode/codeServer.mjs),
// and the extension-host test suite bundled for it.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { REPO } from '../../support/shared';

export type CodeServerModule = typeof import('../../../scripts/vscode/codeServer.mjs');

export function loadCodeServer(): Promise<CodeServerModule> {
  return import('../../../scripts/vscode/codeServer.mjs');
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
