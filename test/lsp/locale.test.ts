// The server speaks the editor's display language (the `locale` of initialize),
// else its own LANG, as an editor without that field leaves it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodeLens, CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { LspClient } from '../support/lspClient';

const RULES = '*filter\n:INPUT DROP [0:0]\nCOMMIT\n';

async function lensTitle(options: { locale?: string; env?: NodeJS.ProcessEnv }): Promise<string | undefined> {
  const client = await new LspClient().start({}, options);
  try {
    const uri = 'file:///tmp/lsp-locale/rules.v4';
    await client.open(uri, RULES);
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    return lenses[0]?.command?.title;
  } finally {
    client.stop();
  }
}

const english = { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' };

test('locale zh-cn from the editor: the server answers in Simplified Chinese', async () => {
  assert.equal(await lensTitle({ locale: 'zh-cn', env: english }), '$(debug-start) 追踪经过 INPUT 的数据包');
  assert.equal(await lensTitle({ locale: 'en', env: { ...english, LANG: 'zh_CN.UTF-8' } }), '$(debug-start) Trace a packet through INPUT');
});

test('no locale from the editor: the server\'s LANG decides', async () => {
  assert.equal(await lensTitle({ env: { ...english, LANG: 'zh_CN.UTF-8' } }), '$(debug-start) 追踪经过 INPUT 的数据包');
  assert.equal(await lensTitle({ env: english }), '$(debug-start) Trace a packet through INPUT');
});
