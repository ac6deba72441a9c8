// The command lines start from the code cache the build made of their bundles
// (server/src/node/launch.ts): V8 takes it when they run as installed, and a
// cache V8 refuses changes nothing but the time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { V8_FLAGS } from '../../server/src/node/v8Flags';
import { REPO } from '../support/shared';

const OUT = path.join(REPO, 'server', 'out');
const dir = mkdtempSync(path.join(tmpdir(), 'iptables-launch-'));
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
