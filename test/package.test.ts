// The .vsix holds only what the extension needs at run time, and is small.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from './support/shared';
import { listZip } from './support/zip';

test('the packaged .vsix contains the bundles and metadata only, under 2 MB', { timeout: 120_000 }, () => {
  const vsix = path.join(mkdtempSync(path.join(tmpdir(), 'iptables-vsix-test-')), 'test.vsix');
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), vsix], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const names = listZip(vsix).map((e) => e.name).sort();
  const files = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
  const grammars = files.filter((f) => f.startsWith('syntaxes/'));
  assert.deepEqual(files.filter((f) => !f.startsWith('syntaxes/')), [
    'LICENSE.txt', 'changelog.md', 'client/out/codicons/codicon.css', 'client/out/codicons/codicon.ttf', 'client/out/extension.js',
    'client/out/media/trace-decider.svg', 'client/out/media/trace-hit.svg', 'client/out/webview.css', 'client/out/webview.js',
    'images/icon.png', 'l10n/bundle.l10n.zh-cn.json', 'language-configuration.json',
    'package.json', 'package.nls.json', 'package.nls.zh-cn.json', 'readme.md', 'server/out/server.js', 'server/out/tree-sitter-bash.wasm', 'server/out/tree-sitter.wasm',
  ]);
  assert.deepEqual(grammars, ['syntaxes/iptables-shell.tmLanguage.json', 'syntaxes/iptables.tmLanguage.json']);
  assert.ok(!names.some((n) => /node_modules|\.ts$|\.map$|test\/|shared/.test(n)), names.join('\n'));
  const size = statSync(vsix).size;
  console.log(`vsix: ${names.length} entries, ${(size / 1024).toFixed(0)} KB`);
  assert.ok(size < 2 * 1024 * 1024, `${size} bytes`);
});
