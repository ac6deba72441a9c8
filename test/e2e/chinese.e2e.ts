// VS Code with its display language set to Simplified Chinese: the extension's
// commands, diagnostics, hovers and the trace panel come out in Chinese.
// The real language pack cannot be downloaded here, and `--locale zh-cn` alone leaves
// VS Code in English (it only takes a language some installed pack contributes). So a
// stand-in pack is installed first: an extension contributing the zh-cn localization
// with none of VS Code's own translations. VS Code's words stay English; ours are Chinese.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';
import { browserMissing, goToLine, openFile, runCommand, screenshot, showHover } from './support/browser';
import { traceFrame } from './support/trace';
import { installPackagedExtension, withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

/** A .vsix of a language pack for zh-cn that translates nothing of VS Code itself. */
function standInLanguagePack(root: string): string {
  const dir = path.join(root, 'language-pack');
  mkdirSync(path.join(dir, 'translations'), { recursive: true });
  writeFileSync(path.join(dir, 'translations', 'main.i18n.json'), JSON.stringify({ version: '1.0.0', contents: {} }));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'stand-in-language-pack-zh-hans', publisher: 'iptables-vscode-tests', version: '1.0.0',
    description: 'zh-cn as a display language, without translations of VS Code itself', engines: { vscode: '^1.90.0' },
    categories: ['Language Packs'],
    contributes: {
      localizations: [{
        languageId: 'zh-cn', languageName: 'Chinese Simplified', localizedLanguageName: '中文(简体)',
        translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
      }],
    },
  }));
  const vsix = path.join(root, 'language-pack.vsix');
  const vsce = spawnSync(path.join(REPO, 'node_modules', '.bin', 'vsce'), ['package', '--skip-license', '--allow-missing-repository', '-o', vsix], { cwd: dir, encoding: 'utf8' });
  assert.equal(vsce.status, 0, vsce.stdout + vsce.stderr);
  return vsix;
}

/**
 * What VS Code's server writes to languagepacks.json when a language pack is installed into
 * a running server; the command-line install does not write it, and without it `--locale
 * zh-cn` falls back to English.
 */
function registerLanguagePack(userDataDir: string, extensionsDir: string): void {
  const id = 'iptables-vscode-tests.stand-in-language-pack-zh-hans';
  const version = '1.0.0';
  const folder = path.join(extensionsDir, `${id}-${version}`);
  writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify({
    'zh-cn': {
      hash: createHash('md5').update(id).update(version).digest('hex'),
      extensions: [{ extensionIdentifier: { id }, version }],
      translations: { vscode: path.join(folder, 'translations', 'main.i18n.json') },
      label: '中文(简体)',
    },
  }));
}

test('display language zh-cn: commands, diagnostics, hover and the panel in Chinese', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const { extensionsDir, userDataDir } = await installPackagedExtension((root) => [standInLanguagePack(root)]);
  registerLanguagePack(userDataDir, extensionsDir);
  const workspace = prepareWorkspace();
  await withWorkbench({ workspace, extensionsDir, userDataDir, locale: 'zh-cn', failure: 'zh-cn-failure' }, async (page) => {
    await openFile(page, 'mistakes.rules', 'MASQUERADE');
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 60_000 });

    // A diagnostic of the command-line parser, in the Problems panel.
    await runCommand(page, 'View: Focus Problems');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: '前面需要有 `-m conntrack`' });
    await row.waitFor({ timeout: 30_000 });
    assert.match((await row.innerText()).replace(/\s+/g, ' '), /`--ctstate` 前面需要有 `-m conntrack`/);

    // Hover on a user chain of the router example.
    await openFile(page, 'rules.v4', 'home/office router');
    const lines = readFileSync(path.join(workspace, 'rules.v4'), 'utf8').split('\n');
    const jump = lines.findIndex((l) => l.endsWith('-j ssh-guard'));
    await goToLine(page, jump + 1, lines[jump].length - 2);
    const hover = await showHover(page, 'ssh-guard');
    assert.match((await hover.innerText()).replace(/\s+/g, ' '), /ssh-guard —— filter 表的用户链/);
    await page.keyboard.press('Escape');

    // The command by its Chinese title opens the panel, titled in Chinese, and the trace inside is in Chinese.
    await runCommand(page, 'iptables: 追踪数据包');
    await page.locator('.tab', { hasText: '数据包追踪：rules.v4' }).waitFor({ timeout: 30_000 });
    await traceFrame(page).locator('#steps li', { hasText: '到达：' }).first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1000);
    const shot = await screenshot(page, 'zh-cn-panel');
    copyFileSync(shot, path.join(REPO, 'images', 'screenshot-zh-cn.png'));
  });
});
