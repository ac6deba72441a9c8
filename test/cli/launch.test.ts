// How the command lines start and end. They start from the code cache the build
// made of their bundles (server/src/node/launch.ts): V8 takes it when they run as
// installed, and a cache V8 refuses changes nothing but the time. They exit once
// their output has left (input.ts runCommandLine), without freeing their memory,
// and a run that prints nothing does not load Node's streams.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { V8_FLAGS } from '../../server/src/node/v8Flags';
import { REPO } from '../support/shared';

const OUT = path.join(REPO, 'server', 'out');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-launch-'));
// It holds a copy of server/out (20 MB).
after(() => rmSync(dir, { recursive: true, force: true }));
// Reports, as the command exits, whether V8 took the code cache it was given.
const probe = path.join(dir, 'probe.js');
writeFileSync(probe, `const vm = require('node:vm');
vm.Script = class extends vm.Script {
  constructor(source, options) {
    super(source, options);
    process.on('exit', () => process.stderr.write(options.cachedData ? (this.cachedDataRejected ? 'cache refused\\n' : 'cache taken\\n') : 'no cache\\n'));
  }
};
`);

function run(bin: string, args: string[], flags: readonly string[] = V8_FLAGS, out = OUT) {
  return spawnSync(process.execPath, [...flags, '-r', probe, path.join(out, bin), ...args], { cwd: REPO, encoding: 'utf8' });
}

test('each command takes its code cache when run with the V8 flags of its #! line', () => {
  const lint = run('cli.js', ['examples/mistakes.rules']);
  assert.equal(lint.status, 1, lint.stderr);
  assert.equal(lint.stderr, 'cache taken\n');
  const trace = run('trace.js', ['examples/rules.v4', '--packet', 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn']);
  assert.equal(trace.status, 0, trace.stderr);
  assert.equal(trace.stderr, 'cache taken\n');
  const diff = run('diff.js', ['examples/rules.v4', 'examples/rules.v4']);
  assert.equal(diff.status, 0, diff.stderr);
  assert.equal(diff.stderr, 'cache taken\n');
});

test('a cache V8 refuses (other flags, a damaged file) or none at all: the same output', () => {
  const expected = run('cli.js', ['--format', 'json', 'examples/mistakes.rules']);
  const otherFlags = run('cli.js', ['--format', 'json', 'examples/mistakes.rules'], []);
  assert.equal(otherFlags.stderr, 'cache refused\n');
  assert.equal(otherFlags.stdout, expected.stdout);

  const copy = path.join(dir, 'out');
  cpSync(OUT, copy, { recursive: true });
  writeFileSync(path.join(copy, 'cli.main.cache'), Buffer.alloc(4096, 7));
  const damaged = run('cli.js', ['--format', 'json', 'examples/mistakes.rules'], V8_FLAGS, copy);
  assert.equal(damaged.stderr, 'cache refused\n');
  assert.equal(damaged.stdout, expected.stdout);
  assert.equal(damaged.status, expected.status);

  rmSync(path.join(copy, 'cli.main.cache'));
  const none = run('cli.js', ['--format', 'json', 'examples/mistakes.rules'], V8_FLAGS, copy);
  assert.equal(none.stderr, 'no cache\n');
  assert.equal(none.stdout, expected.stdout);
  assert.equal(none.status, expected.status);
});

test('a reader that takes its time still gets the whole output, and the exit status', async () => {
  const rules = ['*filter', ':INPUT ACCEPT [0:0]'];
  for (let i = 0; i < 20_000; i++) rules.push(`-A INPUT -s 10.${i >> 8}.${i & 255}.0/24 -p tcp --dport ${1 + (i % 60000)} -j ACCEPT`);
  rules.push('-A INPUT -j NOWHERE', 'COMMIT', '');
  const file = path.join(dir, 'large.rules');
  writeFileSync(file, rules.join('\n'));
  const expected = spawnSync(process.execPath, [...V8_FLAGS, path.join(OUT, 'cli.js'), '--print-ruleset', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.ok(expected.stdout.length > 1 << 20, 'more than a pipe holds');

  const child = spawn(process.execPath, [...V8_FLAGS, path.join(OUT, 'cli.js'), '--print-ruleset', file]);
  child.stdout.pause();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdout.resume();
  const status = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(status, 1);
  assert.equal(Buffer.concat(out).toString(), expected.stdout);
  assert.equal(Buffer.concat(err).toString(), expected.stderr);
  assert.match(expected.stderr, /NOWHERE/);
});

test('a clean file\'s run prints nothing, exits 0 and never loads Node\'s streams', () => {
  const clean = path.join(dir, 'clean.rules');
  writeFileSync(clean, '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n');
  const streams = path.join(dir, 'streams.js');
  writeFileSync(streams, `process.on('exit', () => require('node:fs').writeSync(2, process.moduleLoadList.includes('NativeModule stream') ? 'streams loaded\\n' : 'no streams\\n'));\n`);
  const r = spawnSync(process.execPath, [...V8_FLAGS, '-r', streams, path.join(OUT, 'cli.js'), clean], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'no streams\n');
  const findings = spawnSync(process.execPath, [...V8_FLAGS, '-r', streams, path.join(OUT, 'cli.js'), 'examples/mistakes.rules'], { cwd: REPO, encoding: 'utf8' });
  assert.match(findings.stdout, /MASQUERADE/);
  assert.equal(findings.stderr, 'streams loaded\n');
});
