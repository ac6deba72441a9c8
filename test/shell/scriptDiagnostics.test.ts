// What a user sees on a firewall script: diagnostics on the exact words of
// iptables commands, and nothing on the rest of the shell script.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { setLocale } from '../../server/src/l10n';
import { documentKind } from '../../server/src/analysis/document';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { analyseScript } from '../../server/src/analysis/script';

async function analyse(script: string) {
  return analyseScript(script, await nodeBashParser(), DEFAULT_OPTIONS);
}

const summary = (d: { span: { line: number; start: number; end: number }; severity: string; message: string }) =>
  `${d.span.line + 1}:${d.span.start + 1}-${d.span.end + 1} ${d.severity}: ${d.message}`;

test('a shell script without iptables is left alone; one with iptables is analysed', () => {
  assert.equal(documentKind('#!/bin/bash\necho hello\nls -l /etc\n', 'hello.sh'), undefined);
  assert.equal(documentKind('#!/bin/sh\niptables -F\n', 'fw.sh'), 'script');
  assert.equal(documentKind('IPT=/sbin/iptables\n$IPT -F\n'), 'script');
  assert.equal(documentKind('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n', 'rules'), 'save');
});

test('only iptables command lines get diagnostics, whatever else the script does', async () => {
  const r = await analyse('#!/bin/bash\nfrobnicate --now $((1/0)) "unclosed\n' + 'iptables -A INPUT -p tcp --dport 80 -j ACCEPT\nsystemctl restart nothing || exit 7\n');
  assert.deepEqual(r.diagnostics.map(summary), []);
});

test('a value that comes through a variable is reported at the place it is used', async () => {
  const r = await analyse('#!/bin/bash\nPORT=99999\niptables -A INPUT -p tcp --dport "$PORT" -j ACCEPT\n');
  assert.deepEqual(r.diagnostics.map(summary), ['3:34-41 error: port `99999` is out of range 0-65535']);
});

test('a failure the script guards against is not reported; the same failure unguarded is', async () => {
  const guarded = await analyse('#!/bin/bash\nfor i in 1 2; do\n  iptables -N web 2>/dev/null || true\ndone\nif ! iptables -C INPUT -j web; then iptables -A INPUT -j web; fi\n');
  assert.deepEqual(guarded.diagnostics.map(summary), []);
  const plain = await analyse('#!/bin/bash\niptables -N web\niptables -N web\n');
  assert.deepEqual(plain.diagnostics.map(summary), ['3:13-16 error: chain `web` already exists on line 2: `-N` fails']);
});

test('a loop reports a problem once, with how many times it happens', async () => {
  const r = await analyse('#!/bin/bash\nfor p in 80 443 8080; do\n  iptables -A INPUT --dport $p -j ACCEPT\ndone\n');
  assert.deepEqual(r.diagnostics.map(summary), ['3:21-28 error: `--dport` needs `-p tcp`, `-p udp`, `-p sctp` or `-p dccp` before it (each of the 3 times this runs)']);
});

test('what only the machine knows stays unknown: no error, and the rule is kept as written', async () => {
  const r = await analyse('#!/bin/bash\nADMIN=$(cat /etc/admin-ip)\niptables -A INPUT -s "$ADMIN" -p tcp --dport 22 -j ACCEPT\n');
  assert.deepEqual(r.diagnostics.map(summary), []);
  assert.match(rulesetText(r.rulesets.ipv4), /-A INPUT -s <\$\(cat \/etc\/admin-ip\)> -p tcp -m tcp --dport 22 -j ACCEPT/);
  assert.equal(r.calls[0].command.symbolic, true);
});

test('a branch that cannot be decided is followed both ways and marked conditional', async () => {
  const r = await analyse('#!/bin/bash\nif [ -f /etc/fw/open-web ]; then\n  iptables -A INPUT -p tcp --dport 80 -j ACCEPT\nelse\n  iptables -A INPUT -p tcp --dport 80 -j DROP\nfi\n');
  assert.deepEqual(r.calls.map((c) => [c.command.rule.target?.name, c.conditional !== undefined]), [['ACCEPT', true], ['DROP', true]]);
});

test('a value taken from an unset variable says it assumes a clean environment', async () => {
  const r = await analyse('#!/bin/bash\nSSH=${SSH_PORT:-2222}\niptables -A INPUT -p tcp --dport $SSH -j ACCEPT\n');
  assert.deepEqual(r.diagnostics.map(summary), ['3:34-38 information: `2222` assumes $SSH_PORT is unset, as in a clean environment; where that is not so, this rule changes']);
});

test('set -e and exec end the script: the iptables commands after them never run', async () => {
  const r = await analyse('#!/bin/bash\nexec iptables -A INPUT -j ACCEPT\niptables -A INPUT -j DROP\n');
  assert.deepEqual(r.diagnostics.map(summary), ['3:1-26 hint: never runs: `exec` on line 2 replaces the script']);
  assert.match(rulesetText(r.rulesets.ipv4), /-A INPUT -j ACCEPT\nCOMMIT/);
});

test('in Simplified Chinese, the script\'s notes are Chinese too: assumptions, repeats, lines that never run', async () => {
  setLocale('zh-cn');
  try {
    const unset = await analyse('#!/bin/bash\nSSH=${SSH_PORT:-2222}\niptables -A INPUT -p tcp --dport $SSH -j ACCEPT\n');
    assert.deepEqual(unset.diagnostics.map(summary), ['3:34-38 information: `2222` 假定 $SSH_PORT 未设置（如同在干净的环境中）；若情况并非如此，这条规则就会不同']);
    const home = await analyse('#!/bin/bash\niptables -A INPUT -m comment --comment "$HOME $USER" -j ACCEPT\n');
    assert.deepEqual(home.diagnostics.map((d) => d.message), ['`/root root` 假定 $HOME 为 /root（脚本以 root 身份运行） 和 $USER 为 root（脚本以 root 身份运行）；若情况并非如此，这条规则就会不同']);
    const loop = await analyse('#!/bin/bash\nfor p in 80 443 8080; do\n  iptables -A INPUT --dport $p -j ACCEPT\ndone\n');
    assert.match(loop.diagnostics[0].message, /^`--dport` .*（这里运行的 3 次中每次都如此）$/);
    const exec = await analyse('#!/bin/bash\nexec iptables -A INPUT -j ACCEPT\niptables -A INPUT -j DROP\n');
    assert.deepEqual(exec.diagnostics.map(summary), ['3:1-26 hint: 永远不会执行：第 2 行的 `exec` 取代了脚本']);
  } finally {
    setLocale(undefined);
  }
});

test('errors inside a heredoc fed to iptables-restore point into the script, tabs of <<- included', async () => {
  const script = '#!/bin/bash\niptables-restore <<-EOF\n\t*filter\n\t-A INPUT -p tcp --dport 70000 -j ACCEPT\n\tCOMMIT\nEOF\n';
  const r = await analyse(script);
  assert.deepEqual(r.diagnostics.map(summary), ['4:26-31 error: port `70000` is out of range 0-65535']);
});

test('a restore block that fails loads nothing, and the script goes on', async () => {
  const r = await analyse("#!/bin/bash\niptables-restore --noflush <<'EOF'\n*filter\n:web - [0:0]\n-A web -j ACCPET\nCOMMIT\nEOF\niptables -A INPUT -j DROP\n");
  assert.deepEqual(r.diagnostics.map((d) => d.span.line + 1), [5]);
  assert.equal(rulesetText(r.rulesets.ipv4), '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n');
});

test('every expansion inside double quotes is expanded, also one after a blank; ${x/#pat/rep} and printf %05d as bash has them', async () => {
  const r = await analyse('#!/bin/bash\nv=web.example.org; n=$(printf "%05d" 42)\niptables -A INPUT -m comment --comment "${v%%.*} ${v#*.} ${v/#web/www} ${v/#x/y} $n" -j ACCEPT\n');
  assert.deepEqual(r.diagnostics.map(summary), []);
  assert.match(rulesetText(r.rulesets.ipv4), /--comment "web example\.org www\.example\.org web\.example\.org 00042"/);
});

test('shapes the bash grammar misreads are read as bash runs them: `cat <<EOF | iptables-restore`, `$dir/$1`, an operator in a variable', async () => {
  // Shorewall's compiled scripts: $(( -1 $LEFTSHIFT n )); tree-sitter-bash took the rest of the file for one function.
  const script = '#!/bin/sh\nLEFTSHIFT="<<"\nnetmask() { echo $(( -1 $LEFTSHIFT $(( 32 - $1 )) & 0xff )); }\nfind_tool() {\n  for dir in /usr/sbin /sbin; do\n'
    + '    if [ -x $dir/$1 ]; then echo $dir/$1; return 0; fi\n  done\n  return 2\n}\nIPTABLES=$(find_tool iptables)\ncommand="${IPTABLES}-restore --wait 60"\n'
    + 'cat <<EOF | $command\n*filter\n:host$(netmask 24) - [0:0]\n-A INPUT -j host$(netmask 24)\n-A INPUT -s 10.0.0.$(( 1 $LEFTSHIFT 2 )) -j DROP\nCOMMIT\nEOF\n'
    + 'iptables -A INPUT -s 10.0.0.$(( 1 $LEFTSHIFT 3 )) -j DROP\n';
  const r = await analyse(script);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'hint').map(summary), []);
  assert.equal(rulesetText(r.rulesets.ipv4), '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:host0 - [0:0]\n-A INPUT -j host0\n-A INPUT -s 10.0.0.4/32 -j DROP\n-A INPUT -s 10.0.0.8/32 -j DROP\nCOMMIT\n');
});

test('a retry loop whose rounds change nothing ends only by leaving it: what follows is evaluated', async () => {
  // Shorewall's qt1: run a command until its status is not 4 (the xtables lock was busy).
  const script = '#!/bin/sh\nqt1() {\n  local status\n  while [ 1 ]; do\n    "$@" </dev/null >/dev/null 2>&1\n    status=$?\n    [ $status -ne 4 ] && return $status\n  done\n}\n'
    + 'qt1 $(cat /etc/fw/probe)\niptables -A INPUT -j ACCEPT\n';
  const r = await analyse(script);
  assert.deepEqual(r.diagnostics.map(summary), []);
  assert.ok(rulesetText(r.rulesets.ipv4).includes('-A INPUT -j ACCEPT\n'));
});

test('IFS splits what expansions produce, never the text written in the script', async () => {
  // As arno's traffic shaper: IFS=' ,' for its port lists, then --tcp-flags written out with commas.
  const r = await analyse([
    '#!/bin/bash', 'IFS=\' ,\'', 'iptables -t mangle -N SHAPER', 'iptables -t mangle -A SHAPER -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK ACK -j RETURN',
    'PORTS=22,80', 'for port in $PORTS; do iptables -A INPUT -p tcp --dport $port -j ACCEPT; done', 'FLAGS=SYN,ACK', 'iptables -A INPUT -p tcp --tcp-flags $FLAGS SYN -j DROP', '',
  ].join('\n'));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map(summary), [
    // $FLAGS is split: --tcp-flags takes SYN and ACK, and the last SYN is left over.
    '8:45-48 error: `SYN` is not an option or the value of one',
  ]);
  const rules = rulesetText(r.rulesets.ipv4!);
  assert.match(rules, /-A SHAPER -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK ACK -j RETURN/);
  assert.match(rules, /-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT/);
});
