// The command lines of iptables-lint, iptables-diff and iptables-trace (with --test
// and --matrix) are read alike: an option missing its value, or a family other than
// 4 or 6, is the same message on each, with the usage and exit status 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';

const OUT = path.join(REPO, 'server', 'out');
const COMMANDS: [name: string, script: string, args: string[]][] = [
  ['iptables-lint', 'cli.js', ['rules.v4']],
  ['iptables-diff', 'diff.js', ['a.rules', 'b.rules']],
  ['iptables-trace', 'trace.js', ['rules.v4', '--packet', 'tcp 10.0.0.1 -> 10.0.0.2:22']],
  ['iptables-trace', 'trace.js', ['--test']],
  ['iptables-trace', 'trace.js', ['--matrix', 'rules.v4']],
];

function run(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [path.join(OUT, script), ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' } });
  return { status: r.status, firstLine: r.stderr.split('\n')[0], usage: /\busage: /.test(r.stderr) };
}

for (const [name, script, args] of COMMANDS) {
  test(`${name} ${args[0]}: a missing value and a wrong family are usage errors`, () => {
    assert.deepEqual(run(script, [...args, '--external']), { status: 2, firstLine: `${name}: --external needs a value`, usage: true });
    assert.deepEqual(run(script, [...args, '--family', '5']), { status: 2, firstLine: `${name}: --family takes 4 or 6, not \`5\``, usage: true });
  });
}
