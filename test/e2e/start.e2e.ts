// `npm start` as a new user runs it: it prints a loopback URL, and there VS Code
// shows examples/ with the extension active and problems on mistakes.rules.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { REPO } from '../support/shared';
import { browserMissing, openBrowser, openFile, screenshot } from './support/browser';

test('npm start serves VS Code on examples/ with the extension working', { skip: browserMissing(), timeout: 10 * 60_000 }, async () => {
  const start = spawn('npm', ['start'], { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: process.env.PATH!.split(':').filter((p) => !p.includes('code')).join(':') } });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 5 minutes:\n${output}`)), 5 * 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\S+/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    };
    start.stdout!.on('data', onData);
    start.stderr!.on('data', onData);
    start.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => start.on('exit', () => resolve()));
  const { context, page } = await openBrowser();
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?folder=/);
    await page.goto(url);
    await page.locator('.window-title, .monaco-workbench', { hasText: '' }).first().waitFor();
    await openFile(page, 'mistakes.rules', 'MASQUERADE');
    await page.locator('#status\\.editor\\.mode', { hasText: 'iptables' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 30_000 });
    const errors = await page.locator('.editor-instance .squiggly-error').count();
    assert.ok(errors >= 10, `expected the deliberate mistakes to be underlined, saw ${errors}`);
    await page.waitForTimeout(300);
    await screenshot(page, 'npm-start-mistakes');
  } finally {
    await context.close();
    process.kill(-start.pid!, 'SIGINT');
    await exited;
  }
  assert.match(output, /stopping code-server/);
});
