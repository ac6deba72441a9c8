// What the evaluator cannot know stays unknown, and unknown is never an error:
// a value from a command substitution, a file of the machine, the environment,
// a glob of the machine's paths or the script's own arguments is not judged; a
// condition on it keeps both ways open (an `exit` under it does not end the
// script); a command in a condition is a test the script expects may fail.
// Where an unknown value can take only a few values, each is checked, and an
// error needs all of them to fail; which way of an undecided branch ran before
// is unknown too, so a failure that depends on the rules needs every way's. Files the script writes (redirections, descriptors, iptables-save) are
// kept in memory and read back. After a file the evaluator cannot read is sourced, `iptables` may be a
// function from it; a file without `#!` is sourced by a script that made chains and functions it uses:
// failures that rest on those are warnings that name the assumption, certain ones stay errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { analyseScript } from '../../server/src/analysis/script';
import type { Machine } from '../../server/src/shell/utilities';

async function analyse(script: string, machine?: Machine) {
  return analyseScript(script, await nodeBashParser(), { ...DEFAULT_OPTIONS, machine });
}

const shown = (r: Awaited<ReturnType<typeof analyse>>, severities = ['error', 'warning']) =>
  r.diagnostics.filter((d) => severities.includes(d.severity)).map((d) => `${d.span.line + 1} ${d.severity}: ${d.message}`);

/** The `-A` lines of the IPv4 ruleset, as --print-ruleset prints them. */
const rules = (r: Awaited<ReturnType<typeof analyse>>) => rulesetText(r.rulesets.ipv4).split('\n').filter((l) => l.startsWith('-A '));

test('a protocol only the running script knows leaves the options that depend on it unjudged', async () => {
  const r = await analyse('#!/bin/bash\nP=$(cat /etc/fw/proto)\niptables -A INPUT -p $P --dport 22 -j ACCEPT\niptables -A INPUT -p $P -m multiport --dports 22,80 -j ACCEPT\n');
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r), [
    '-A INPUT -p <$(cat /etc/fw/proto)> --dport 22 -j ACCEPT',
    '-A INPUT -p <$(cat /etc/fw/proto)> -m multiport --dports 22,80 -j ACCEPT',
  ]);
});

test('fail2ban: a protocol list split by sed in a command substitution is computed', async () => {
  const r = await analyse("#!/bin/bash\nprotocol=tcp,udp\nfor proto in $(echo $protocol | sed -e 's/,/ /g'); do\n  iptables -I INPUT -p $proto -m multiport --dports domain,953 -j DROP\ndone\n");
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r), ['-A INPUT -p udp -m multiport --dports 53,953 -j DROP', '-A INPUT -p tcp -m multiport --dports 53,953 -j DROP']);
});

test('a probed command path is one of its candidates, never their text run together', async () => {
  const script = '#!/bin/bash\nfind_command() {\n  for p in "$@"; do\n    if [ -x "$p" ]; then echo "$p"; return 0; fi\n  done\n  return 1\n}\n'
    + 'IPT="$(find_command /sbin/iptables /usr/sbin/iptables)"\n[ -z "$IPT" ] && exit 1\n$IPT -A INPUT -j ACCEPT\n'
    + 'iptables -A INPUT -m comment --comment "$IPT"\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r), ['-A INPUT -j ACCEPT', '-A INPUT -m comment --comment "<$(find_command /sbin/iptables /usr/sbin/iptables)>"']);
});

test('version probes and commands in conditions are tests, not failures', async () => {
  const script = '#!/bin/sh\nif iptables -w -V >/dev/null 2>&1; then IPT="iptables -w"; else IPT=iptables; fi\n'
    + 'iptables --version >/dev/null || exit 1\nif ! $IPT -n -L web >/dev/null 2>&1; then $IPT -N web; fi\n$IPT -C INPUT -j web 2>/dev/null || $IPT -A INPUT -j web\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r), ['-A INPUT -j web']);
  const late = await analyse('#!/bin/sh\niptables -A INPUT -j ACCEPT -V\n');
  assert.deepEqual(shown(late), ['2 warning: `-V` prints the version and exits: the rest is never applied']);
  assert.deepEqual(rules(late), []);
});

test('after sourcing a file of the machine, a test on what it may set is undecided: the exit under it does not end the script', async () => {
  const script = '#!/bin/bash\n. /etc/arno-iptables-firewall/firewall.conf\n[ -z "$EXT_IF" ] && exit 1\nif [ "$OPEN_ICMP" = 1 ]; then iptables -A INPUT -p icmp -j ACCEPT; fi\n'
    + 'iptables -A INPUT -i "${EXT_IF:-eth0}" -j ACCEPT\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r, ['error', 'warning', 'hint']), []);
  // The branch on $OPEN_ICMP may or may not run; the last rule assumes the file leaves EXT_IF unset, and says so.
  assert.deepEqual(rules(r), ['-A INPUT -p icmp -j ACCEPT', '-A INPUT -i eth0 -j ACCEPT']);
  assert.deepEqual(shown(r, ['information']), ['5 information: `eth0` assumes `/etc/arno-iptables-firewall/firewall.conf` does not set $EXT_IF; where that is not so, this rule changes']);
  const unset = await analyse('#!/bin/bash\n[ -z "$EXT_IF" ] && exit 1\niptables -A INPUT -j ACCEPT\n');
  assert.match(shown(unset, ['hint'])[0], /^3 hint: never runs: the script exits at line 2$/);
});

test('a restore input built in a file through a file descriptor is loaded from memory', async () => {
  const script = "#!/bin/sh\nF=/var/lib/fw/.restore\nexec 3>$F\necho '*filter' >&3\nfor p in 22 80; do\n  printf -- '-A INPUT -p tcp --dport %s -j ACCEPT\\n' $p >&3\ndone\n"
    + "cat >&3 <<EOF\n-A INPUT -j DROP\nCOMMIT\nEOF\nexec 3>&-\niptables-restore < $F\n";
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r), ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT', '-A INPUT -j DROP']);
});

test('iptables-save to a file and iptables-restore from it put the saved rules back', async () => {
  const script = '#!/bin/bash\nB=$(mktemp)\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\niptables-save > "$B"\n'
    + 'iptables -F INPUT\niptables -A INPUT -j DROP\nif ! iptables -A INPUT -j nowhere; then iptables-restore < "$B"; fi\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r), ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);
});

test('a glob of the machine\'s interfaces is unknown, or the interfaces the analysis is told', async () => {
  const script = '#!/bin/bash\nfor dev in /sys/class/net/*; do\n  i=${dev##*/}\n  iptables -N "in_$i"\n  iptables -A INPUT -i "$i" -j "in_$i"\ndone\n';
  const blind = await analyse(script);
  assert.deepEqual(shown(blind), []);
  assert.ok(!rules(blind).some((l) => l.includes('in_*')), rules(blind).join('\n'));
  const told = await analyse(script, { interfaces: [{ name: 'lo', addresses: [] }, { name: 'eth0', addresses: [] }] });
  assert.deepEqual(rules(told), ['-A INPUT -i eth0 -j in_eth0', '-A INPUT -i lo -j in_lo']);
});

test('a word with a few possible values is an error only when iptables refuses every one', async () => {
  const some = await analyse('#!/bin/bash\ncase "$(hostname)" in\n  web*) P=tcp ;;\n  *) P=icmp ;;\nesac\niptables -A INPUT -p $P --dport 80 -j ACCEPT\n');
  assert.deepEqual(shown(some), []);
  const none = await analyse('#!/bin/bash\ncase "$(hostname)" in\n  gw*) P=gre ;;\n  *) P=icmp ;;\nesac\niptables -A INPUT -p $P --dport 80 -j ACCEPT\n');
  assert.deepEqual(shown(none), ['6 error: `--dport` needs `-p tcp`, `-p udp`, `-p sctp` or `-p dccp` before it (with each of the values this command\'s words can have here)']);
});

test('branches the evaluator cannot decide write their own files; the file then holds one of their texts', async () => {
  const script = '#!/bin/bash\nif [ -e /etc/fw/strict ]; then echo DROP > /tmp/policy; else echo ACCEPT > /tmp/policy; fi\n'
    + 'iptables -P INPUT "$(cat /tmp/policy)"\niptables -A INPUT -j "$(cat /tmp/policy)"\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rules(r).length, 1);
  assert.match(rules(r)[0], /^-A INPUT -j <\$\(cat \/tmp\/policy\)>$/);
});

test('a loop that never ends stops the evaluation there, with a note, and the commands after it are not judged', async () => {
  const r = await analyse('#!/bin/bash\nn=0\nwhile true; do\n  n=$((n+1))\ndone\niptables -A INPUT -p tcp --dport $n -j ACCEPT\n');
  assert.deepEqual(shown(r), []);
  assert.match(shown(r, ['information'])[0], /not evaluated further: too much work here/);
  assert.deepEqual(rules(r), []);
});

test('what the evaluator knows about the script\'s own shell is shown', async () => {
  const r = await analyse('#!/bin/sh\nif [ "$(id -u)" == 0 ]; then iptables -A INPUT -j ACCEPT; fi\n');
  assert.deepEqual(shown(r, ['information']), ['2 information: `==` is not POSIX: dash (/bin/sh) fails this test with "unexpected operator"; use `=`']);
});

test('a word that vanishes because a variable the script never sets is empty: what iptables then refuses is a warning that says so', async () => {
  // arno-iptables-firewall's plugins: LOGLEVEL comes from the config of the script that sources them, through its iptables wrapper.
  const script = '#!/bin/bash\nipt() {\n  local IFS\n  /sbin/iptables "$@"\n}\nipt -N MAC_FILTER\n'
    + 'ipt -A MAC_FILTER -m limit --limit 3/m -j LOG --log-level $LOGLEVEL --log-prefix "AIF:MAC address dropped: "\n'
    + 'iptables -A MAC_FILTER -i "$EXT_IF" -j DROP\niptables -A MAC_FILTER -p tcp --dport imap3 -j DROP\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), [
    '4 warning: where $LOGLEVEL is unset, as in a clean environment: unknown log level `--log-prefix`; use 0-7 or emerg, alert, crit, error, warning, notice, info, debug, panic',
    '4 warning: where $LOGLEVEL is unset, as in a clean environment: `AIF:MAC address dropped: ` is not an option or the value of one',
    '8 warning: where $EXT_IF is unset, as in a clean environment: empty interface name',
    '9 error: `imap3` is neither a port number nor a known service name',
  ]);
  // The ruleset is the one a clean environment gets: those two commands fail.
  assert.deepEqual(rules(r), []);
});

test('a command whose errors the script throws away (2>/dev/null) is expected to fail where the state decides', async () => {
  // arno's plugins create their chains with `iptables -N X 2>/dev/null`, then flush them: on a restart -N fails, as intended.
  const script = '#!/bin/bash\nstart() {\n  iptables -N PPTP_IN 2>/dev/null\n  iptables -F PPTP_IN\n}\nstart\nstart\n'
    + 'iptables -X GONE >/dev/null 2>&1\niptables -X GONE &>/dev/null\ncleanup() { iptables -D INPUT -j GONE; }\ncleanup 2>/dev/null\n'
    + 'iptables -N PPTP_IN 2>&1 >/dev/null\niptables -A INPUT -p tcp --dport imap3 -j PPTP_IN 2>/dev/null\n';
  const r = await analyse(script);
  // Standard error is only thrown away when it goes there; a typo is an error whatever happens to the message.
  assert.deepEqual(shown(r), [
    '12 error: chain `PPTP_IN` already exists on line 3: `-N` fails',
    '13 error: `imap3` is neither a port number nor a known service name',
  ]);
});

test('an unquoted word of a few values is split as the shell splits each value: options held in a variable set in undecided branches', async () => {
  // arno-iptables-firewall: NF_CONNTRACK_STATE="-m state --state" on old kernels, else "-m conntrack --ctstate".
  const script = '#!/bin/bash\nif [ -e /proc/net/nf_conntrack ]; then S="-m conntrack --ctstate"; else S="-m state --state"; fi\n'
    + 'iptables -A INPUT $S ESTABLISHED -j ACCEPT\n'
    + 'if [ -e /etc/fw/strict ]; then T="-m state"; else T="-m conntrack"; fi\niptables -A INPUT $T ESTABLISHED -j ACCEPT\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), [
    '5 error: `-m state` needs `--state` (with each of the values this command\'s words can have here)',
    '5 error: `ESTABLISHED` is not an option or the value of one (with each of the values this command\'s words can have here)',
  ]);
  // The rule built is that of the first way iptables takes.
  assert.deepEqual(rules(r), ['-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT']);
});

test('branches the evaluator cannot decide each start from the rules as they were: one branch\'s chains are not another\'s', async () => {
  const script = '#!/bin/bash\nif [ -e /etc/fw/router ]; then\n  iptables -N fwd\n  iptables -A FORWARD -j fwd\nelse\n  iptables -N fwd\n  iptables -A INPUT -j fwd\nfi\n'
    + 'case "$(hostname)" in\n  gw*) iptables -F fwd ;;\n  *) iptables -A fwd -j ACCEPT ;;\nesac\niptables -A fwd -j DROP\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  // The rules go on from the first way that runs on and changes them (the `-F` of an empty chain changes nothing).
  assert.deepEqual(rules(r), ['-A FORWARD -j fwd', '-A fwd -j ACCEPT', '-A fwd -j DROP']);
});

test('the script\'s arguments are unknown: `case "$1"` keeps every way open, and a way that needs another\'s rules (stop after start) is no error', async () => {
  // The shape of arno-iptables-firewall's plugins and init scripts: start creates, stop flushes what start made.
  const script = '#!/bin/bash\nstart() {\n  iptables -N MAC_FILTER\n  iptables -A MAC_FILTER -j RETURN\n  iptables -A INPUT -j MAC_FILTER\n}\n'
    + 'stop() {\n  iptables -D INPUT -j MAC_FILTER\n  iptables -F MAC_FILTER\n  iptables -X MAC_FILTER\n}\n'
    + 'case "$1" in\n  start) start ;;\n  stop) stop ;;\n  restart) stop; start ;;\n  *) echo "usage: $0 start|stop" >&2; exit 1 ;;\nesac\n'
    + 'if [ $# -gt 1 ]; then iptables -A INPUT -i "$2" -j ACCEPT; fi\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  // The rules shown are those of the first way that runs on (start, then the `if`'s), as `script start eth1` leaves them.
  assert.deepEqual(rules(r), ['-A INPUT -j MAC_FILTER', '-A INPUT -i <the arguments the script is run with> -j ACCEPT', '-A MAC_FILTER -j RETURN']);
});

test('a failure that depends on the rules is an error when it fails on the rules every way leaves', async () => {
  const script = '#!/bin/bash\ncase "$1" in\n  start) iptables -N web; iptables -A web -j ACCEPT ;;\n  stop) iptables -F web; iptables -F mail ;;\nesac\n'
    + 'if [ -e /etc/fw/strict ]; then iptables -N web; fi\n';
  const r = await analyse(script);
  // `mail` is created on no way; `-N web` fails where start ran, not where stop ran.
  assert.deepEqual(shown(r), ['4 error: chain `mail` does not exist in the filter table: declare it first with `:mail - [0:0]` or `-N mail`']);
  // Created on every way from here on, `web` is known again.
  assert.deepEqual(shown(await analyse(`${script}iptables -N web 2>/dev/null\niptables -N web\n`)), [
    '4 error: chain `mail` does not exist in the filter table: declare it first with `:mail - [0:0]` or `-N mail`',
    '8 error: chain `web` already exists on line 3: `-N` fails',
  ]);
});

test('an unknown word where an option goes may be options that take the words after it', async () => {
  // NF_CONNTRACK_STATE comes from a file the script sources and cannot read, or from the one branch that sets it.
  const script = '#!/bin/bash\n. /usr/share/fw/environment\nif [ -e /proc/net/nf_conntrack ]; then NF_STATE="-m state --state"; fi\n'
    + 'iptables -A INPUT $NF_STATE ESTABLISHED,RELATED -j ACCEPT\niptables -A INPUT $(cat /etc/fw/opts) 22 -j ACCEPT\n'
    + 'iptables -A INPUT -p tcp ESTABLISHED -j ACCEPT\n';
  const r = await analyse(script);
  // After a known option, a stray word is still one.
  assert.deepEqual(shown(r), ['6 error: `ESTABLISHED` is not an option or the value of one']);
});

test('after a file it cannot read, `iptables` may be a dual-stack function from it: failures on chains made in the other family are warnings', async () => {
  const script = '#!/bin/bash\n. /usr/share/fw/environment\niptables -N BLOCK\nip6tables -A BLOCK -j DROP\nip6tables -A INPUT -j BLOCK\n'
    + '/sbin/iptables -N PATHED\n/sbin/ip6tables -A PATHED -j DROP\ncommand iptables -N OWN\ncommand ip6tables -A OWN -j DROP\n'
    + 'iptables -A NEVER -j DROP\nip6tables -A BLOCK -p tcp --dprot 22 -j ACCEPT\n';
  assert.deepEqual(shown(await analyse(script)), [
    '4 warning: if `iptables` is the tool and not a function from `/usr/share/fw/environment`: chain `BLOCK` does not exist in the filter table: declare it first with `:BLOCK - [0:0]` or `-N BLOCK`',
    '5 warning: if `iptables` is the tool and not a function from `/usr/share/fw/environment`: `BLOCK` is neither a target nor a chain of the filter table at this point, so iptables fails ("Couldn\'t load target"); create it first with `iptables -N BLOCK`',
    // A path or `command` is the tool itself; a chain made in no family, and a typo, fail whatever `iptables` is.
    '7 error: chain `PATHED` does not exist in the filter table: declare it first with `:PATHED - [0:0]` or `-N PATHED`',
    '9 error: chain `OWN` does not exist in the filter table: declare it first with `:OWN - [0:0]` or `-N OWN`',
    '10 error: chain `NEVER` does not exist in the filter table: declare it first with `:NEVER - [0:0]` or `-N NEVER`',
    '11 error: unknown option `--dprot` (did you mean `--dport`?)',
  ]);
  // With every file it sources read, `iptables` is the tool: the same failure is certain.
  assert.deepEqual(shown(await analyse('#!/bin/bash\niptables -N BLOCK\nip6tables -A BLOCK -j DROP\n')), [
    '3 error: chain `BLOCK` does not exist in the filter table: declare it first with `:BLOCK - [0:0]` or `-N BLOCK`',
  ]);
});

test('a file without #! runs on the chains the script sourcing it made: failures on chains it never creates are warnings', async () => {
  const plugin = 'plugin_start() {\n  iptables -N MY_CHAIN 2>/dev/null\n  iptables -F MY_CHAIN\n  iptables -A EXT_INPUT_CHAIN -j MY_CHAIN\n  ip6tables -A MY_CHAIN -j DROP\n}\n'
    + 'plugin_restart() {\n  iptables -A EXT_INPUT_CHAIN -j MY_CHAIN\n}\ncase "$1" in\n  start) plugin_start ;;\n  restart) plugin_restart ;;\nesac\n'
    + 'iptables -A LATE -j ACCEPT\niptables -N LATE\niptables -A EXT_INPUT_CHAIN -p tcp --dport 22 -j ACCPET\n';
  const r = await analyse(plugin);
  assert.deepEqual(shown(r), [
    '4 warning: if the script that sources this file does not create `EXT_INPUT_CHAIN`: chain `EXT_INPUT_CHAIN` does not exist in the filter table: declare it first with `:EXT_INPUT_CHAIN - [0:0]` or `-N EXT_INPUT_CHAIN`',
    '5 warning: if `iptables` is the tool and not a function from the script that sources this file: chain `MY_CHAIN` does not exist in the filter table: declare it first with `:MY_CHAIN - [0:0]` or `-N MY_CHAIN`',
    // restart's jump needs start's MY_CHAIN (as before) and the sourcing script's EXT_INPUT_CHAIN: no error.
    // LATE is the fragment's own chain, created after it is used: certain.
    '14 error: chain `LATE` does not exist in the filter table: declare it first with `:LATE - [0:0]` or `-N LATE`',
    // A name that is nearly a target is a typo, not a chain made elsewhere.
    '16 error: `ACCPET` is neither a target nor a chain of the filter table at this point, so iptables fails ("Couldn\'t load target") (did you mean `ACCEPT`?); create it first with `iptables -N ACCPET`',
  ]);
  assert.deepEqual(rules(r), ['-A EXT_INPUT_CHAIN -j MY_CHAIN']);
  // Run on its own (a #! line), nothing made EXT_INPUT_CHAIN: every failure is certain.
  assert.deepEqual(shown(await analyse(`#!/bin/sh\n${plugin}`)).map((l) => l.split(':')[0]), ['5 error', '6 error', '9 error', '15 error', '17 error']);
});

test('Shorewall: a probed tool path kept through a `case`, and a restore input some ways add machine lines to, are followed', async () => {
  // shorewallrc cannot be read, so it may set IPTABLES; where it does not, the probe finds one of two paths.
  const script = '#!/bin/sh\n. /usr/share/shorewall/shorewallrc\n'
    + 'mywhich() {\n  for dir in /sbin /usr/sbin; do\n    if [ -x $dir/$1 ]; then echo $dir/$1; return 0; fi\n  done\n  return 2\n}\n'
    + '[ -z "$IPTABLES" ] && IPTABLES=$(mywhich iptables)\ncase $IPTABLES in\n  */*) ;;\n  *) IPTABLES=./$IPTABLES ;;\nesac\n'
    + 'IPTABLES_RESTORE=${IPTABLES}-restore\ncommand="$IPTABLES_RESTORE --wait 60"\n'
    + 'exec 3>/var/lib/shorewall/.iptables-restore-input\ncat >&3 << __EOF__\n*filter\n:INPUT DROP [0:0]\n__EOF__\n'
    + '[ -f /var/lib/shorewall/.dynamic ] && cat /var/lib/shorewall/.dynamic >&3\n'
    + 'cat >&3 << __EOF__\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n__EOF__\nexec 3>&-\ncat /var/lib/shorewall/.iptables-restore-input | $command\n'
    // Split, the "not found" value leaves only the option: ` --wait` is no program either.
    + 'g_tool="$IPTABLES --wait"\n$g_tool -A INPUT -p tcp --dport 22 -j ACCEPT\n';
  const r = await analyse(script);
  assert.deepEqual(shown(r), []);
  assert.deepEqual(rulesetText(r.rulesets.ipv4).split('\n').filter((l) => /^[:-]A? ?INPUT/.test(l)), [':INPUT DROP [0:0]', '-A INPUT -i lo -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);
  assert.deepEqual(shown(r, ['information']), [
    '27 information: what this iptables-restore loads depends on the way the script went (output that depends on the machine): the ruleset shown has what the first of those ways loads',
  ]);
});
