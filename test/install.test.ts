// The npm package as a user gets it: `npm pack`, then `npm install -g` of the
// .tgz into a fresh prefix, offline; the three commands run from there, and the
// README's GitHub workflow and the pre-commit hooks work with them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import { LspClient } from './support/lspClient';
import { blockWith } from './support/readme';
import { sarifErrors } from './support/sarif';
import { REPO } from './support/shared';

const work = mkdtempSync(path.join(tmpdir(), 'iptables-install-'));
const prefix = path.join(work, 'prefix');
const bin = path.join(prefix, 'bin');
const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));

/** What PATH holds for the installed commands: their folder and node, nothing of the repository. */
const env = { ...process.env, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` };

interface Workflow {
  permissions: Record<string, string>;
  jobs: { lint: { env: { IPTABLES_VSCODE: string }; steps: { name?: string; run?: string; uses?: string; with?: Record<string, string> }[] } };
}
const workflow = load(blockWith('In CI and pre-commit', 'upload-sarif')) as Workflow;
const steps = workflow.jobs.lint.steps;
const step = (name: string) => steps.find((s) => s.name === name)!;

// `npm test` has just built server/out; pack it as it is, without running `prepare` (a
// build while other test files run the bundles).
const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' }));
const tarball = path.join(work, packed[0].filename);

test('the package holds the four commands, built, and declares no dependencies to download', () => {
  // Each command line is a launcher, its bundle and its code cache (server/src/node/launch.ts).
  const commandLine = (bin: string) => [`server/out/${bin}.js`, `server/out/${bin}.main.cache`, `server/out/${bin}.main.js`];
  assert.deepEqual(packed[0].files.map((f: { path: string }) => f.path).sort(), [
    'LICENSE', 'README.md', 'package.json', ...commandLine('cli'), ...commandLine('diff'), 'server/out/server.js', ...commandLine('trace'),
    'server/out/tree-sitter-bash.wasm', 'server/out/tree-sitter.wasm',
  ]);
  assert.deepEqual(Object.keys(manifest.bin).sort(), ['iptables-diff', 'iptables-language-server', 'iptables-lint', 'iptables-trace']);
  assert.equal(manifest.dependencies, undefined);
  console.log(`npm package: ${(packed[0].size / 1024).toFixed(0)} KB, ${(packed[0].unpackedSize / 1048576).toFixed(1)} MB unpacked`);
});

test('the README workflow\'s install step installs the .tgz offline; the commands run from the prefix', { timeout: 120_000 }, async () => {
  const install = step('Install iptables-lint').run!;
  // npm_config_offline: nothing may come from the registry.
  const r = spawnSync('bash', ['-e', '-c', install], {
    cwd: work, encoding: 'utf8',
    env: { ...process.env, IPTABLES_VSCODE: tarball, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  assert.equal(r.status, 0, r.stderr);
  const installed = path.join(prefix, 'lib', 'node_modules', manifest.name);
  assert.ok(existsSync(path.join(installed, 'server', 'out', 'cli.js')));
  assert.ok(!existsSync(path.join(installed, 'node_modules')), 'the install brought dependencies');

  const lint = spawnSync('iptables-lint', ['mistakes.rules'], { cwd: path.join(REPO, 'examples'), env, encoding: 'utf8' });
  assert.equal(lint.status, 1, lint.stderr);
  assert.match(lint.stdout, /^mistakes\.rules:9:26: error: the MASQUERADE target is allowed only in POSTROUTING/m);

  const script = spawnSync('iptables-lint', ['--print-ruleset', 'host-firewall.sh'], { cwd: path.join(REPO, 'examples'), env, encoding: 'utf8' });
  assert.equal(script.status, 0, script.stderr);
  assert.match(script.stdout, /^-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT$/m);

  const trace = spawnSync('iptables-trace', ['rules.v4', '--packet', 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn'], { cwd: path.join(REPO, 'examples'), env, encoding: 'utf8' });
  assert.equal(trace.status, 0, trace.stderr);
  assert.match(trace.stdout, /^Verdict: forwarded out eth1$/m);

  const diff = spawnSync('iptables-diff', ['rules.v4', 'rules.v4'], { cwd: path.join(REPO, 'examples'), env, encoding: 'utf8' });
  assert.equal(diff.status, 0, diff.stderr);
  assert.equal(diff.stdout, 'rules.v4 and rules.v4 are the same ruleset (IPv4)\n');

  const client = await new LspClient().start({}, { command: [path.join(bin, 'iptables-language-server')] });
  try {
    assert.equal((client.capabilities.hoverProvider), true);
    await client.open('file:///x/rules.v4', '*filter\n-A INPUT -j NOWHERE\nCOMMIT\n');
    const { diagnostics } = await client.diagnostics('file:///x/rules.v4');
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [['undefined-jump', 1]]);
  } finally {
    client.stop();
  }
  const bare = spawnSync('iptables-language-server', [], { env, encoding: 'utf8' });
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /^usage: iptables-language-server --stdio/);
});

test('the README workflow: permissions, and its lint step writes valid SARIF that the upload step reads, failing only on unreadable files', { timeout: 60_000 }, () => {
  assert.equal(workflow.permissions['security-events'], 'write');
  const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
  const lintStep = step('Lint the firewall rules').run!;
  const output = upload.with!.sarif_file;
  assert.ok(lintStep.includes(`> ${output}`), `the lint step does not write ${output}`);
  assert.ok(existsSync(path.join(bin, 'iptables-lint')), 'runs after the install test');

  const repo = path.join(work, 'checkout');
  mkdirSync(path.join(repo, 'etc', 'iptables'), { recursive: true });
  writeFileSync(path.join(repo, 'etc', 'iptables', 'rules.v4'), '*filter\n:INPUT DROP [0:0]\n-A INPUT -j NOWHERE\nCOMMIT\n');
  writeFileSync(path.join(repo, 'firewall.sh'), '#!/bin/sh\niptables -A INPUT -p tcp --dport 70000 -j ACCEPT\n');
  writeFileSync(path.join(repo, 'notes.txt'), 'not a ruleset\n');
  execFileSync('git', ['init', '-q'], { cwd: repo });
  execFileSync('git', ['add', '.'], { cwd: repo });
  const run = spawnSync('bash', ['-e', '-c', lintStep], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(run.status, 0, `errors in the files are for code scanning, not a failed step: ${run.stderr}`);
  const log = JSON.parse(readFileSync(path.join(repo, output), 'utf8'));
  assert.equal(sarifErrors(log), undefined);
  const results = log.runs[0].results.map((r: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) =>
    [r.locations[0].physicalLocation.artifactLocation.uri, r.ruleId]);
  assert.deepEqual(results, [['etc/iptables/rules.v4', 'undefined-jump'], ['firewall.sh', 'invalid-value']]);

  // A file that cannot be read fails the step.
  execFileSync('git', ['rm', '-q', '--cached', 'notes.txt'], { cwd: repo });
  writeFileSync(path.join(repo, 'broken.rules'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]));
  execFileSync('git', ['add', 'broken.rules'], { cwd: repo });
  assert.equal(spawnSync('bash', ['-e', '-c', lintStep], { cwd: repo, env, encoding: 'utf8' }).status, 1);
});

test('the pre-commit hooks run an installed command on rule files and shell scripts', () => {
  const hooks = load(readFileSync(path.join(REPO, '.pre-commit-hooks.yaml'), 'utf8')) as {
    id: string; entry: string; language: string; files?: string; exclude?: string; types: string[];
  }[];
  assert.deepEqual(hooks.map((h) => [h.id, h.entry, h.language, h.types]), [
    ['iptables-lint', 'iptables-lint', 'node', ['text']],
    ['iptables-lint-scripts', 'iptables-lint', 'node', ['shell']],
  ]);
  for (const h of hooks) assert.ok(h.entry in manifest.bin);
  // pre-commit searches paths relative to the repository with these (Python) regular expressions.
  const rules = hooks[0];
  const picked = (p: string) => new RegExp(rules.files!).test(p) && !new RegExp(rules.exclude!).test(p);
  const paths = ['rules.v4', 'etc/iptables/rules.v6', 'fw/web.rules', 'host.iptables', 'etc/sysconfig/iptables', 'etc/sysconfig/ip6tables',
    'etc/udev/rules.d/70-net.rules', 'rules.v4.bak', 'README.md', 'myrules.v4x'];
  assert.deepEqual(paths.filter(picked), paths.slice(0, 6));
});
