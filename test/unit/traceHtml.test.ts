// The trace panel's page and where its samples go: a strict policy, one script
// with a nonce and nothing inline; sample files a team can commit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleFileName, samplesDirectory, traceHtml } from '../../client/src/traceHtml';

test('the page allows only the extension\'s own files and the one script with its nonce', () => {
  const html = traceHtml({
    cspSource: 'https://ext.example', nonce: 'n0nce', script: 'https://ext.example/webview.js', style: 'https://ext.example/webview.css', codicons: 'https://ext.example/codicon.css',
    language: 'en', bundle: undefined, title: 'Packet trace',
  });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.equal(csp, "default-src 'none'; img-src https://ext.example data:; font-src https://ext.example; style-src https://ext.example; script-src 'nonce-n0nce'; base-uri 'none'; form-action 'none'");
  assert.deepEqual(html.match(/<script[^>]*>/g), ['<script nonce="n0nce" src="https://ext.example/webview.js">']);
  assert.ok(!/\son[a-z]+=|style=|javascript:/i.test(html));
});

test('the language and the translations reach the page as data, escaped', () => {
  const html = traceHtml({
    cspSource: 'x', nonce: 'n', script: 's', style: 'st', codicons: 'c',
    language: 'zh-cn', bundle: { 'Steps': '步骤', 'a "<b>" & c': '"<i>"' }, title: '数据包追踪 <x>',
  });
  assert.match(html, /<html lang="zh-cn">/);
  assert.match(html, /<title>数据包追踪 &lt;x&gt;<\/title>/);
  const attribute = /data-l10n="([^"]*)"/.exec(html)![1];
  const decoded = attribute.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(decoded), { 'Steps': '步骤', 'a "<b>" & c': '"<i>"' });
  assert.deepEqual(html.match(/<script[^>]*>/g), ['<script nonce="n" src="s">']);
});

test('samples are saved under .vscode/iptables-trace, one folder per document, with tame file names', () => {
  assert.equal(samplesDirectory('/ws', '/ws/examples/rules.v4'), '/ws/.vscode/iptables-trace/examples/rules.v4');
  assert.equal(samplesDirectory('/ws/', '/ws/./examples/../rules.v4'), '/ws/.vscode/iptables-trace/rules.v4');
  assert.equal(sampleFileName('SSH from outside!'), 'SSH-from-outside.json');
  assert.equal(sampleFileName('../../etc/passwd'), 'etc-passwd.json');
  assert.equal(sampleFileName('  '), 'sample.json');
});

test('a sample never lands outside the folder\'s samples directory, whatever the document\'s path says', () => {
  // The path arithmetic of issue 12: a document "in" the workspace that climbs to the user's settings.
  assert.equal(samplesDirectory('/home/u/ws', '/home/u/ws/../../u/.config/Code/User/settings'), undefined);
  assert.equal(samplesDirectory('/ws', '/elsewhere/rules.v4'), undefined);
  assert.equal(samplesDirectory('/ws', '/ws'), undefined);
  assert.equal(samplesDirectory('/ws', '/ws/a\\..\\..\\..\\etc'), undefined);
  assert.equal(samplesDirectory('/ws', '/ws/..hidden/rules'), '/ws/.vscode/iptables-trace/..hidden/rules');
});
