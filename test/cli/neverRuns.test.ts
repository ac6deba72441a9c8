// Nothing a script says is ever run. iptables-lint analyses a script that tries
// everything a script can do to a machine (write, delete and create files, open
// a connection, eval and source, start processes, flush the firewall, change a
// sysctl, add a link), inside a network namespace of the test's own whose
// firewall, sysctl, links and listening socket are the witnesses; afterwards
// nothing on the machine has changed, and the analysis did reach the script's
// last line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { inNamespace, iptablesMissing, Namespace } from '../support/iptables';
import { REPO } from '../support/shared';

const LINT = path.join(REPO, 'server', 'out', 'cli.js');
const PORT = 47_113;

// Without the chains' packet counters: they move with the host's own traffic.
const hostRules = () => ['iptables-legacy-save', 'iptables-nft-save'].map((tool) => spawnSync(tool, [], { encoding: 'utf8' }).stdout.replace(/^#.*\n/gm, '').replace(/ \[\d+:\d+\]$/gm, ''));

test('a script that tries to change the machine is analysed to its end, and nothing on the machine changes', { skip: iptablesMissing() }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'iptables-never-runs-'));
  const keep = path.join(dir, 'keep');
  mkdirSync(keep);
  writeFileSync(path.join(keep, 'precious'), 'still here\n');
  writeFileSync(path.join(dir, 'sourced.sh'), `touch ${dir}/made-by-source\n`);
  const script = [
    '#!/bin/bash',
    `touch ${dir}/touched`,
    `echo pwned > ${dir}/redirected`,
    `printf x >> ${dir}/appended`,
    `mkdir ${dir}/made`,
    `rm -rf ${keep}`,
    `cp /etc/hostname ${dir}/copied`,
    `eval "touch ${dir}/made-by-eval"`,
    `. ${dir}/sourced.sh`,
    `curl -s http://127.0.0.1:${PORT}/ > ${dir}/fetched`,
    `exec 3<>/dev/tcp/127.0.0.1/${PORT}`,
    `nohup sh -c 'touch ${dir}/started' &`,
    'sysctl -w net.ipv4.ip_forward=1',
    'ip link add hostile0 type dummy',
    'iptables -F',
    'iptables -P INPUT ACCEPT',
    'iptables-restore <<EOF',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    'COMMIT',
    'EOF',
    'iptables -A INPUT -j NO_SUCH_CHAIN',
    '',
  ].join('\n');
  const file = path.join(dir, 'hostile.sh');
  writeFileSync(file, script);

  const ns = new Namespace('ipt-hostile-runs');
  inNamespace(ns.name, ['ip', 'link', 'set', 'lo', 'up']);
  const listener = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', [
    'import socket, sys',
    's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    `s.bind(("127.0.0.1", ${PORT})); s.listen(8); print("listening", flush=True)`,
    'sys.stdin.read()',
    's.setblocking(False)',
    'try:\n  s.accept(); print("connected")\nexcept BlockingIOError:\n  print("none")',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let heard = '';
  listener.stdout!.setEncoding('utf8').on('data', (chunk: string) => { heard += chunk; });
  try {
    assert.equal(ns.restore('*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s 192.0.2.1 -j ACCEPT\nCOMMIT\n', 'ipv4', false).loads, true);
    while (!heard.includes('listening')) await new Promise((resolve) => setTimeout(resolve, 20));
    const before = { rules: ns.save('ipv4'), forward: inNamespace(ns.name, ['sysctl', '-n', 'net.ipv4.ip_forward']).stdout, links: inNamespace(ns.name, ['ip', '-o', 'link']).stdout, host: hostRules() };

    const lint = inNamespace(ns.name, [process.execPath, LINT, file]);
    // The analysis went through every line: the last command's error is reported.
    assert.equal(lint.status, 1, lint.stderr);
    assert.match(lint.stdout, /hostile\.sh:22:\d+: error: `NO_SUCH_CHAIN` is neither a target nor a chain/);

    listener.stdin!.end();
    await new Promise((resolve) => listener.on('close', resolve));
    assert.match(heard, /none/, 'no connection reached the listening socket');
    assert.deepEqual(readdirSync(dir).sort(), ['hostile.sh', 'keep', 'sourced.sh']);
    assert.ok(existsSync(path.join(keep, 'precious')));
    assert.equal(ns.save('ipv4'), before.rules);
    assert.equal(inNamespace(ns.name, ['sysctl', '-n', 'net.ipv4.ip_forward']).stdout, before.forward);
    assert.equal(inNamespace(ns.name, ['ip', '-o', 'link']).stdout, before.links);
    assert.deepEqual(hostRules(), before.host);
  } finally {
    listener.kill();
    ns.delete();
    rmSync(dir, { recursive: true, force: true });
  }
});
