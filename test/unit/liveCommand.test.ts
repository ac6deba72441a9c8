// The commands run on a live machine: every one derived from the one setting,
// so that a wrapper reaches the same machine for all; root asked for only when
// a save is refused, never with a stored password.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heldTables, mixedBackendWarning } from '../../server/src/machine/backend';
import { LiveCommand, machineArgv, parseLiveCommand, showCommand, splitCommandLine } from '../../server/src/machine/liveCommand';
import { setLocale } from '../../server/src/l10n';
import { LiveError, readLiveRuleset, RunOptions, RunResult } from '../../server/src/node/liveMachine';

function command(setting: string): LiveCommand {
  const c = parseLiveCommand(setting);
  assert.ok(!('error' in c), `not a command: ${setting}`);
  return c;
}

test('the setting is split as a shell quotes words, and refused where it would need a shell', () => {
  assert.deepEqual(splitCommandLine(`ssh -p 2222 admin@fw 'sudo iptables-save' "a \\"b\\"" c\\ d`), ['ssh', '-p', '2222', 'admin@fw', 'sudo iptables-save', 'a "b"', 'c d']);
  assert.deepEqual(splitCommandLine(`iptables-save | grep x`), { error: '`|` would need a shell: give the command and its arguments only (a remote command may be one quoted word)' });
  assert.deepEqual(splitCommandLine(`ssh host 'sudo iptables-save`), { error: 'a single quote is not closed' });
  assert.deepEqual(parseLiveCommand('   '), { error: 'the command is empty' });
});

test('every query is the setting with another tool in the place of iptables-save', () => {
  const local = command('iptables-save');
  assert.deepEqual(machineArgv(local, 'save4'), ['iptables-save']);
  assert.deepEqual(machineArgv(local, 'save6'), ['ip6tables-save']);
  assert.deepEqual(machineArgv(local, 'version'), ['iptables', '-V']);
  assert.deepEqual(machineArgv(local, 'save4', { backend: 'legacy' }), ['iptables-legacy-save']);
  assert.deepEqual(machineArgv(local, 'save6', { backend: 'nf_tables' }), ['ip6tables-nft-save']);
  assert.deepEqual(machineArgv(local, 'addresses'), ['ip', '-j', 'addr']);
  assert.deepEqual(machineArgv(local, 'routes6'), ['ip', '-j', '-6', 'route']);
  assert.deepEqual(machineArgv(local, 'sockets'), ['ss', '-H', '-ltun']);
  assert.deepEqual(machineArgv(local, 'sysctl', { args: ['net.ipv4.ip_forward'] }), ['sysctl', '-e', 'net.ipv4.ip_forward']);

  const ns = command('ip netns exec fw1 iptables-save');
  assert.deepEqual(machineArgv(ns, 'routes4'), ['ip', 'netns', 'exec', 'fw1', 'ip', '-j', 'route']);
  assert.deepEqual(machineArgv(ns, 'save4', { privilege: 'sudo' }), ['ip', 'netns', 'exec', 'fw1', 'sudo', '-n', 'iptables-save']);

  // iptables' own tools stay beside the one named; ip and ss are found on PATH.
  const path = command('/usr/sbin/iptables-save');
  assert.deepEqual(machineArgv(path, 'save6'), ['/usr/sbin/ip6tables-save']);
  assert.deepEqual(machineArgv(path, 'hostname'), ['uname', '-n']);

  // A remote command in one word: ours go into that word.
  const ssh = command(`ssh admin@fw 'sudo /sbin/iptables-save'`);
  assert.deepEqual(machineArgv(ssh, 'save6'), ['ssh', 'admin@fw', 'sudo /sbin/ip6tables-save']);
  assert.deepEqual(machineArgv(ssh, 'addresses'), ['ssh', 'admin@fw', 'sudo ip -j addr']);
  assert.equal(showCommand(machineArgv(ssh, 'addresses')!), `ssh admin@fw 'sudo ip -j addr'`);
  assert.deepEqual(machineArgv(command('ssh fw iptables-save'), 'save4', { privilege: 'sudo-password' }), ['ssh', 'fw', 'sudo', '-S', 'iptables-save']);
});

test('a command that names a backend keeps it for both families; one without iptables-save gives IPv4 alone', () => {
  const legacy = command('ip netns exec x iptables-legacy-save');
  assert.equal(legacy.backend, 'legacy');
  assert.deepEqual(machineArgv(legacy, 'save6'), ['ip', 'netns', 'exec', 'x', 'ip6tables-legacy-save']);
  assert.deepEqual(machineArgv(legacy, 'save4', { backend: 'nf_tables' }), ['ip', 'netns', 'exec', 'x', 'iptables-nft-save']);
  const opaque = command('/usr/local/bin/fw-dump --v4');
  assert.deepEqual(machineArgv(opaque, 'save4', { privilege: 'sudo' }), ['sudo', '-n', '/usr/local/bin/fw-dump', '--v4']);
  assert.equal(machineArgv(opaque, 'save6'), undefined);
  assert.equal(machineArgv(opaque, 'addresses'), undefined);
});

/** A machine that answers from a table of command lines; records what ran and what went to stdin. */
function fakeMachine(answers: Record<string, Partial<RunResult>>) {
  const ran: { command: string; input?: string; terminal?: boolean }[] = [];
  const run = async (argv: readonly string[], options: RunOptions = {}): Promise<RunResult> => {
    const command = argv.join(' ');
    ran.push({ command, ...(options.input !== undefined ? { input: options.input } : {}), ...(options.terminal ? { terminal: true } : {}) });
    const a = answers[command];
    return a ? { status: 0, stdout: '', stderr: '', ...a } : { status: null, stdout: '', stderr: `${argv[0]}: command not found` };
  };
  return { run, ran };
}

const V4 = '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';
const DENIED = { status: 4, stderr: 'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n' };

test('root: plain first, then sudo -n, and the rest at the privilege that worked', async () => {
  const m = fakeMachine({
    'iptables -V': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
    'iptables-save': DENIED,
    'sudo -n iptables-save': { stdout: V4 },
    'sudo -n ip6tables-save': { stdout: '' },
    'sudo -n iptables-legacy-save': { stdout: '' },
    'sudo -n ip6tables-legacy-save': { stdout: '' },
    'uname -n': { stdout: 'fw1\n' },
  });
  const live = await readLiveRuleset(command('iptables-save'), { run: m.run, ask: async () => assert.fail('no need to ask') });
  assert.deepEqual([live.ipv4, live.ipv6, live.backend, live.privilege, live.host, live.command, live.warnings], [V4, '', 'nf_tables', 'sudo', 'fw1', 'sudo -n iptables-save', []]);
});

test('root: when sudo -n cannot, the user is asked; a typed password goes to sudo -S on stdin, each time, and is not kept', async () => {
  const m = fakeMachine({
    'iptables -V': { stdout: 'iptables v1.8.9 (legacy)\n' },
    'iptables-save': DENIED,
    'sudo -n iptables-save': { status: 1, stderr: 'sudo: a password is required\n' },
    'sudo -S iptables-save': { stdout: V4, stderr: '[sudo] password for me: ' },
    'sudo -S ip6tables-save': { stdout: '' },
    'sudo -S iptables-nft-save': { stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n' },
    'sudo -S ip6tables-nft-save': { stdout: '' },
    'uname -n': { stdout: 'fw1\n' },
  });
  const asked: string[] = [];
  const live = await readLiveRuleset(command('iptables-save'), { run: m.run, ask: async (why) => (asked.push(why), { privilege: 'sudo-password', password: 'hunter2' }) });
  assert.deepEqual(asked, ['iptables-save: iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)']);
  assert.deepEqual(m.ran.filter((r) => r.input !== undefined && r.input !== '').map((r) => [r.command, r.input]), [
    ['sudo -S iptables-save', 'hunter2\n'], ['sudo -S ip6tables-save', 'hunter2\n'], ['sudo -S iptables-nft-save', 'hunter2\n'], ['sudo -S ip6tables-nft-save', 'hunter2\n'],
  ]);
  assert.equal(live.privilege, 'sudo-password');
  assert.ok(!JSON.stringify(live).includes('hunter2'));
  assert.deepEqual(live.warnings, ['the nf_tables backend also holds rules (IPv4 filter (1 rule)). The kernel runs them as well as the legacy rules shown here, and iptables (legacy) does not list them: see them with iptables-nft-save.']);
});

test('root: a refusal the user does not answer, and a failure that is not a refusal, are errors that say what ran', async () => {
  const denied = fakeMachine({ 'iptables -V': { stdout: 'iptables v1.8.9 (nf_tables)\n' }, 'iptables-save': DENIED, 'sudo -n iptables-save': { status: 1, stderr: 'sudo: a password is required\n' } });
  await assert.rejects(readLiveRuleset(command('iptables-save'), { run: denied.run, ask: async () => undefined }),
    (e: unknown) => e instanceof LiveError && /^iptables-save: .*Permission denied \(you must be root\)\. Reading the rules needs root/.test(e.message));
  const broken = fakeMachine({ 'ip netns exec nope iptables-legacy-save': { status: 1, stderr: 'Cannot open network namespace "nope": No such file or directory\n' } });
  await assert.rejects(readLiveRuleset(command('ip netns exec nope iptables-legacy-save'), { run: broken.run }),
    (e: unknown) => e instanceof LiveError && e.message === 'ip netns exec nope iptables-legacy-save failed: Cannot open network namespace "nope": No such file or directory');
  // On a terminal, iptables-diff lets sudo ask there.
  const tty = fakeMachine({ 'iptables-legacy-save': DENIED, 'sudo iptables-legacy-save': { stdout: V4 }, 'sudo ip6tables-legacy-save': { stdout: '' }, 'uname -n': { stdout: 'x\n' } });
  const live = await readLiveRuleset(command('iptables-legacy-save'), { run: tty.run, ask: async () => ({ privilege: 'sudo-terminal' }) });
  assert.equal(live.ipv4, V4);
  assert.ok(tty.ran.find((r) => r.command === 'sudo iptables-legacy-save')?.terminal);
});

test('root: pkexec when the user picks it, for every save of the reading', async () => {
  const m = fakeMachine({
    'iptables -V': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
    'iptables-save': DENIED,
    'sudo -n iptables-save': { status: 1, stderr: 'sudo: a password is required\n' },
    'pkexec iptables-save': { stdout: V4 },
    'pkexec ip6tables-save': { stdout: '' },
    'pkexec iptables-legacy-save': { stdout: '' },
    'pkexec ip6tables-legacy-save': { stdout: '' },
    'uname -n': { stdout: 'fw1\n' },
  });
  const live = await readLiveRuleset(command('iptables-save'), { run: m.run, ask: async () => ({ privilege: 'pkexec' }) });
  assert.deepEqual([live.ipv4, live.privilege, live.command, live.warnings], [V4, 'pkexec', 'pkexec iptables-save', []]);
  assert.deepEqual(m.ran.filter((r) => r.command.startsWith('pkexec')).map((r) => r.command),
    ['pkexec iptables-save', 'pkexec ip6tables-save', 'pkexec iptables-legacy-save', 'pkexec ip6tables-legacy-save']);
  assert.ok(m.ran.every((r) => !r.input && !r.terminal));
});

test('the other backend holds rules when it has a rule, a user chain or a policy other than ACCEPT; empty tables are nothing', () => {
  assert.deepEqual(heldTables('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:x - [0:0]\n-A x -j RETURN\nCOMMIT\n'),
    [{ table: 'filter', rules: 1, userChains: 1, policies: ['INPUT DROP'] }]);
  assert.equal(mixedBackendWarning('nf_tables', { ipv4: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', ipv6: '' }), undefined);
  assert.equal(mixedBackendWarning('nf_tables', { ipv4: '', ipv6: '*filter\n:INPUT DROP [0:0]\nCOMMIT\n' }),
    'the legacy backend also holds rules (IPv6 filter (policy INPUT DROP)). The kernel runs them as well as the nf_tables rules shown here, and iptables (nf_tables) does not list them: see them with iptables-legacy-save.');
});

test('in Simplified Chinese, the live machine\'s refusals and warnings are Chinese; commands, backends and tables as written', async () => {
  setLocale('zh-cn');
  try {
    assert.deepEqual(splitCommandLine(`ssh host 'sudo iptables-save`), { error: '单引号没有闭合' });
    assert.deepEqual(splitCommandLine(`iptables-save | grep x`), { error: '`|` 需要 shell 才能执行：只给出命令及其参数（远程命令可以写成一个加引号的词）' });
    assert.equal(mixedBackendWarning('nf_tables', { ipv4: '*filter\n:INPUT DROP [0:0]\n:x - [0:0]\n-A x -j RETURN\nCOMMIT\n', ipv6: '' }),
      'legacy 后端中也有规则（IPv4 filter (1 条规则, 1 条链, 策略 INPUT DROP)）。内核会运行它们以及这里显示的 nf_tables 规则，而 iptables（nf_tables）不会列出它们：请用 iptables-legacy-save 查看。');
    const broken = fakeMachine({ 'ip netns exec nope iptables-legacy-save': { status: 1, stderr: 'Cannot open network namespace "nope"\n' } });
    await assert.rejects(readLiveRuleset(command('ip netns exec nope iptables-legacy-save'), { run: broken.run }),
      (e: unknown) => e instanceof LiveError && e.message === 'ip netns exec nope iptables-legacy-save 失败：Cannot open network namespace "nope"');
  } finally {
    setLocale(undefined);
  }
});
