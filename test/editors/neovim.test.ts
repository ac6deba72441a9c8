// The language server in another editor: headless Neovim (Debian's, `apt-get
// install neovim`) with the README's configuration opens a rule file and a
// script, receives diagnostics, and asks for completion, hover and definition.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { blockWith } from '../support/readme';
import { REPO } from '../support/shared';

const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const missing = nvim.status === 0 ? undefined : 'nvim is not installed (apt-get install neovim)';

const RULES = [
  '*filter',
  ':INPUT DROP [0:0]',
  ':web - [0:0]',
  '-A INPUT -p tcp --dport 99999 -j web',
  '-A INPUT -p tcp -j ',
  '-A web -j ACCEPT',
  'COMMIT',
  '',
].join('\n');
// No #! line: Neovim's file type (sh) says it is a script.
const SCRIPT = 'iptables -A INPUT -p tcp --dport 22 -j ACCPET\n';

/**
 * Runs after the README's configuration: waits for each buffer's diagnostics,
 * then sends the requests an editor sends, and writes what came back as JSON.
 */
const DRIVER = String.raw`
local out = {}
local function wait_diagnostics(buf)
  vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
  return vim.tbl_map(function(d) return { line = d.lnum, col = d.col, message = d.message } end, vim.diagnostic.get(buf))
end
local function ask(buf, method, line, col)
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf), position = { line = line, character = col } }
  local answers = vim.lsp.buf_request_sync(buf, method, params, 10000) or {}
  for _, a in pairs(answers) do return a.result end
end
local rules = vim.api.nvim_get_current_buf()
out.filetype = vim.bo[rules].filetype
out.rules = wait_diagnostics(rules)
local completion = ask(rules, 'textDocument/completion', 4, 19)
local items = completion and (completion.items or completion) or {}
out.completion = vim.tbl_map(function(i) return i.label end, items)
local hover = ask(rules, 'textDocument/hover', 3, 35)
out.hover = hover and hover.contents.value
local definition = ask(rules, 'textDocument/definition', 3, 35)
out.definition = definition and definition[1] and definition[1].range.start
vim.cmd('edit firewall.sh')
out.script = wait_diagnostics(vim.api.nvim_get_current_buf())
out.clients = #vim.lsp.get_active_clients()
vim.fn.writefile({ vim.fn.json_encode(out) }, 'result.json')
vim.cmd('qa!')
`;

test('Neovim with the README configuration: diagnostics, completion after -j, hover and definition', { skip: missing, timeout: 60_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'iptables-nvim-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  // As `npm install -g` puts it on PATH.
  symlinkSync(path.join(REPO, 'server', 'out', 'server.js'), path.join(bin, 'iptables-language-server'));
  writeFileSync(path.join(dir, 'init.lua'), blockWith('Other editors', 'vim.lsp.start_client'));
  writeFileSync(path.join(dir, 'driver.lua'), DRIVER);
  writeFileSync(path.join(dir, 'web.rules'), RULES);
  writeFileSync(path.join(dir, 'firewall.sh'), SCRIPT);
  const r = spawnSync('nvim', ['--headless', '-n', '-i', 'NONE', '-u', 'init.lua', '-c', 'luafile driver.lua', 'web.rules'], {
    cwd: dir, encoding: 'utf8', timeout: 50_000,
    // No user configuration or state of the machine's own.
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, XDG_STATE_HOME: dir },
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const out = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
  assert.equal(out.filetype, 'iptables');
  assert.deepEqual(out.rules.map((d: { line: number; col: number }) => [d.line, d.col]), [[3, 24], [4, 16]]);
  assert.equal(out.rules[0].message, 'port `99999` is out of range 0-65535');
  // Targets of the filter table and its chains, not nat's.
  assert.ok(out.completion.includes('ACCEPT') && out.completion.includes('web') && out.completion.includes('REJECT'), out.completion.join(' '));
  assert.ok(!out.completion.includes('MASQUERADE'), out.completion.join(' '));
  assert.match(out.hover, /web/);
  assert.match(out.hover, /INPUT/);
  assert.deepEqual(out.definition, { line: 2, character: 1 });
  assert.deepEqual(out.script.map((d: { line: number; col: number }) => [d.line, d.col]), [[0, 39]]);
  assert.match(out.script[0].message, /^`ACCPET` is neither a target nor a chain .*\(did you mean `ACCEPT`\?\)/);
  // One server for both files.
  assert.equal(out.clients, 1);
});
