// npm run package: the .vsix, built from a staging folder with production
// bundles, so packaging never rewrites the development build under test.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBundles } from './bundles.mjs';

const out = resolve(process.argv[2] ?? 'iptables-vscode.vsix');
const stage = mkdtempSync(join(tmpdir(), 'iptables-vsix-'));
try {
  const manifestTranslations = readdirSync('.').filter((f) => /^package\.nls(\.[\w-]+)?\.json$/.test(f));
  for (const f of ['package.json', ...manifestTranslations, 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'language-configuration.json', 'images', 'syntaxes']) {
    if (existsSync(f)) cpSync(f, join(stage, f), { recursive: true });
  }
  // npm pack's list of files (the CLIs and the server) is not the .vsix's: vsce
  // takes its list from .vscodeignore and refuses a package.json with both.
  const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
  delete manifest.files;
  writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  await buildBundles({ production: true, outRoot: stage });
  const vsce = resolve('node_modules/.bin/vsce');
  const r = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], { cwd: stage, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
