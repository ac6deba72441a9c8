// Completion offers what iptables would accept at the cursor, for save files
// and for iptables commands in shell scripts, each item documented.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { RULE_SNIPPETS } from '../../server/src/knowledge/snippets';
import { completions } from '../../server/src/services/completion';
import { atCursor } from '../support/cursor';

async function complete(marked: string, kind: 'save' | 'script' = 'save') {
  const { source, position } = await atCursor(marked, kind);
  return completions(source, position);
}

async function labels(marked: string, kind: 'save' | 'script' = 'save'): Promise<string[]> {
  return (await complete(marked, kind)).items.map((i) => i.label);
}

function includes(list: string[], wanted: string[], unwanted: string[] = []): void {
  for (const w of wanted) assert.ok(list.includes(w), `${w} should be offered in: ${list.join(' ')}`);
  for (const u of unwanted) assert.ok(!list.includes(u), `${u} should not be offered in: ${list.join(' ')}`);
}

test('after -j in filter INPUT: verdicts and filter targets, no NAT targets', async () => {
  const list = await labels('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ‸\nCOMMIT\n');
  includes(list, ['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'NFQUEUE'], ['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'CT', 'INPUT']);
});

test('after -j in nat PREROUTING: DNAT and REDIRECT, neither MASQUERADE, SNAT nor DROP', async () => {
  const list = await labels('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j ‸\nCOMMIT\n');
  includes(list, ['DNAT', 'REDIRECT', 'ACCEPT', 'RETURN', 'NETMAP'], ['MASQUERADE', 'SNAT', 'DROP', 'REJECT']);
});

test('a user chain reached only from PREROUTING gets no MASQUERADE; the chain is not offered as its own target', async () => {
  const text = '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:web - [0:0]\n:out - [0:0]\n'
    + '-A PREROUTING -j web\n-A POSTROUTING -j out\n-A web -j ‸\nCOMMIT\n';
  includes(await labels(text), ['DNAT', 'REDIRECT', 'out'], ['MASQUERADE', 'SNAT', 'web']);
  // The same chain reached from POSTROUTING as well: only what both hooks allow.
  const both = text.replace('-A POSTROUTING -j out', '-A POSTROUTING -j web');
  includes(await labels(both), ['NETMAP', 'ACCEPT'], ['MASQUERADE', 'DNAT', 'SNAT', 'REDIRECT']);
});

test('after -g only user chains', async () => {
  assert.deepEqual(await labels('*filter\n:a - [0:0]\n:b - [0:0]\n-A INPUT -g ‸\nCOMMIT\n'), ['a', 'b']);
});

test('after -m conntrack --: its options, with the loaded modules first, then the base options', async () => {
  const r = await complete('*filter\n-A INPUT -m conntrack --‸\nCOMMIT\n');
  const list = r.items.map((i) => i.label);
  includes(list, ['--ctstate', '--ctstatus', '--ctorigdst', '--ctdir', '-p', '-j'], ['--state', '--dport']);
  assert.equal(list[0], '--ctstate');
  const ctstate = r.items[0];
  assert.deepEqual(ctstate.range, { line: 1, start: 22, end: 24 });
  assert.equal(ctstate.detail, '-m conntrack');
  assert.match(ctstate.documentation, /^\*\*--ctstate\*\* \*comma-separated list of NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED, SNAT, DNAT\* — option of `-m conntrack`/);
  assert.match(ctstate.documentation, /Can be negated: `! --ctstate`\./);
});

test('options already used are not offered again, nor those they exclude; -p loads its protocol match', async () => {
  const list = await labels('*filter\n-A INPUT -p tcp --dport 22 --syn -‸\nCOMMIT\n');
  includes(list, ['--source-port', '--tcp-option', '-s', '-i', '-m', '-j'], ['--destination-port', '--syn', '--tcp-flags', '-p']);
});

test('after ! only options that can be negated', async () => {
  const list = await labels('*filter\n-A INPUT -m conntrack ! ‸\nCOMMIT\n');
  includes(list, ['--ctstate', '--ctproto', '-s', '-p', '-i'], ['--ctdir', '-m', '-j']);
});

test('-i is not offered where packets have no input interface', async () => {
  includes(await labels('*filter\n-A OUTPUT -‸\nCOMMIT\n'), ['-o', '-s'], ['-i']);
  includes(await labels('*filter\n-A INPUT -‸\nCOMMIT\n'), ['-i', '-f'], ['-o']);
});

test('after --ctstate: every conntrack state; in a list, the ones not yet given, replacing the item after the comma', async () => {
  assert.deepEqual(await labels('*filter\n-A INPUT -m conntrack --ctstate ‸\nCOMMIT\n'),
    ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);
  const r = await complete('*filter\n-A INPUT -m conntrack --ctstate ESTABLISHED,R‸\nCOMMIT\n');
  assert.deepEqual(r.items.map((i) => i.label), ['NEW', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);
  assert.deepEqual(r.items[1].range, { line: 1, start: 44, end: 45 });
  assert.match(r.items[1].documentation, /^\*\*RELATED\*\*\n\nA new connection that belongs to an existing one/);
  assert.deepEqual(await labels('*filter\n-A INPUT -m state --state ‸\nCOMMIT\n'), ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED']);
});

test('values from the vocabulary: protocols, TCP flags, ICMP types, log levels, reject types', async () => {
  includes(await labels('*filter\n-A INPUT -p ‸\nCOMMIT\n'), ['tcp', 'udp', 'icmp', 'all', 'sctp'], ['ipv6-icmp']);
  includes(await labels('# Generated by ip6tables-save\n*filter\n-A INPUT -p ‸\nCOMMIT\n'), ['tcp', 'ipv6-icmp'], ['icmp']);
  assert.deepEqual(await labels('*filter\n-A INPUT -p tcp --tcp-flags SYN,ACK ‸\nCOMMIT\n'), ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH', 'ALL', 'NONE']);
  includes(await labels('*filter\n-A INPUT -p icmp --icmp-type ‸\nCOMMIT\n'), ['echo-request', 'destination-unreachable', 'time-exceeded', 'any']);
  assert.deepEqual(await labels('*filter\n-A INPUT -j LOG --log-level ‸\nCOMMIT\n'),
    ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug', 'panic']);
  // tcp-reset needs -p tcp in the rule.
  includes(await labels('*filter\n-A INPUT -j REJECT --reject-with ‸\nCOMMIT\n'), ['icmp-port-unreachable', 'icmp-admin-prohibited', 'port-unreach'], ['tcp-reset']);
  includes(await labels('*filter\n-A INPUT -p tcp -j REJECT --reject-with ‸\nCOMMIT\n'), ['tcp-reset', 'icmp-host-prohibited']);
});

test('--to-destination offers the shapes of a NAT address as snippets', async () => {
  const r = await complete('*nat\n-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination ‸\nCOMMIT\n');
  assert.deepEqual(r.items.map((i) => [i.label, i.insert]), [
    ['address:port', '${1:192.168.1.10}:${2:80}'],
    ['address', '${1:192.168.1.10}'],
    ['address-address', '${1:192.168.1.10}-${2:192.168.1.20}'],
    ['address:port-port', '${1:192.168.1.10}:${2:1024}-${3:65535}'],
  ]);
  assert.ok(r.items.every((i) => i.snippet));
});

test('interfaces and addresses already used in the document, most used first, then in the order of the rules', async () => {
  const text = '*filter\n-A INPUT -i eth1 -s 10.0.0.0/8 -j ACCEPT\n-A INPUT -i eth0 -s 192.168.1.0/24 -j ACCEPT\n'
    + '-A FORWARD -i eth0 -o eth1 -d 192.168.1.0/24 -j ACCEPT\n-A INPUT -m conntrack --ctorigdst 172.16.0.1 -j ACCEPT\n';
  assert.deepEqual(await labels(text + '-A INPUT -i ‸\nCOMMIT\n'), ['eth1', 'eth0']);
  assert.deepEqual(await labels(text + '-A INPUT -s ‸\nCOMMIT\n'), ['192.168.1.0/24', '10.0.0.0/8', '172.16.0.1']);
  assert.deepEqual(await labels(text + '-A INPUT -s 10.0.0.0/8,1‸\nCOMMIT\n'), ['192.168.1.0/24', '172.16.0.1']);
});

test('chains after -A, -P, -X and -N: those of the current table that the command can take', async () => {
  const text = '*filter\n:INPUT DROP [0:0]\n:web - [0:0]\n-A INPUT -j web\n-A INPUT -j logdrop\n';
  assert.deepEqual(await labels(text + '-A ‸\nCOMMIT\n'), ['INPUT', 'FORWARD', 'OUTPUT', 'web']);
  assert.deepEqual(await labels(text + '-P ‸\nCOMMIT\n'), ['INPUT', 'FORWARD', 'OUTPUT']);
  assert.deepEqual(await labels(text + '-P INPUT ‸\nCOMMIT\n'), ['ACCEPT', 'DROP']);
  assert.deepEqual(await labels(text + '-X ‸\nCOMMIT\n'), ['web']);
  // -N: the chains rules jump to that nothing creates.
  assert.deepEqual(await labels(text + '-N ‸\nCOMMIT\n'), ['logdrop']);
  assert.deepEqual(await labels('*nat\n-P PREROUTING ‸\nCOMMIT\n'), ['ACCEPT']);
});

test('save-file structure: *table headers, chain declarations, COMMIT, commands and rules', async () => {
  assert.deepEqual(await labels('‸'), ['*raw', '*mangle', '*nat', '*filter', '*security']);
  assert.deepEqual(await labels('*‸'), ['raw', 'mangle', 'nat', 'filter', 'security']);
  const r = await complete('*filter\n:INPUT DROP [0:0]\n-A INPUT -j logdrop\n‸\n');
  const list = r.items.map((i) => i.label);
  assert.deepEqual(list.slice(0, 5), ['COMMIT', ':FORWARD', ':OUTPUT', ':logdrop', ':chain']);
  includes(list, ['-A', '-N', '-P', 'allow a TCP port', 'allow established'], ['-L', '-t', 'masquerade', '*filter']);
  assert.equal(r.items.find((i) => i.label === ':FORWARD')!.insert, ':FORWARD ${1|ACCEPT,DROP|} [0:0]');
  assert.deepEqual(await labels('*filter\n:INPUT DROP [0:0]\n:‸\nCOMMIT\n'), ['FORWARD', 'OUTPUT']);
  assert.deepEqual(await labels('*nat\n:PREROUTING ‸\nCOMMIT\n'), ['ACCEPT']);
  includes(await labels('*nat\n‸\n'), ['masquerade', 'NAT port forward', 'COMMIT'], ['allow a TCP port']);
});

test('every rule snippet loads in its table without a problem', () => {
  for (const s of RULE_SNIPPETS) {
    const rule = s.body.replace(/\$\{\d+:([^}]*)\}/g, '$1');
    const header = s.family === 'ipv6' ? '# Generated by ip6tables-save\n' : '';
    const a = analyseSaveText(`${header}*${s.table}\n${rule}\nCOMMIT\n`, DEFAULT_OPTIONS);
    assert.deepEqual(a.diagnostics.map((d) => d.message), [], `${s.label} (${s.family ?? 'both'})`);
  }
});

test('scripts: the iptables command under the cursor, its -t table, continuation lines, $IPT variables', async () => {
  const script = (line: string) => `#!/bin/sh\nIPT=/sbin/iptables\nIP6T=/sbin/ip6tables\n${line}\n`;
  includes(await labels(script('iptables -t nat -A POSTROUTING -o eth0 -j ‸'), 'script'), ['MASQUERADE', 'SNAT', 'ACCEPT'], ['DNAT', 'DROP', 'REJECT']);
  includes(await labels(script('sudo /usr/sbin/iptables -A INPUT -j ‸ 2>/dev/null'), 'script'), ['REJECT', 'DROP'], ['DNAT']);
  includes(await labels(script('iptables -A INPUT \\\n    -p tcp \\\n    -j ‸'), 'script'), ['REJECT'], ['DNAT']);
  includes(await labels(script('$IPT -A INPUT -m conntrack --ctstate ‸'), 'script'), ['ESTABLISHED', 'NEW']);
  includes(await labels(script('$IP6T -A INPUT -m ‸'), 'script'), ['icmp6', 'conntrack'], ['icmp']);
  includes(await labels(script('for p in 22 80; do iptables -A INPUT -p tcp --dport $p -j ‸; done'), 'script'), ['ACCEPT', 'REJECT']);
  includes(await labels(script('iptables -t ‸'), 'script'), ['filter', 'nat', 'mangle', 'raw', 'security']);
  // A new command: commands, -t, and rules (with -t nat for the nat ones).
  const r = await complete(script('iptables ‸'), 'script');
  includes(r.items.map((i) => i.label), ['-A', '-I', '-L', '-S', '-t', 'allow a TCP port', 'masquerade']);
  assert.equal(r.items.find((i) => i.label === 'masquerade')!.insert, '-t nat -A POSTROUTING -o ${1:eth0} -j MASQUERADE');
  // Not an iptables command, or a comment: nothing.
  assert.deepEqual(await labels(script('echo -j ‸'), 'script'), []);
  assert.deepEqual(await labels(script('# iptables -A INPUT -j ‸'), 'script'), []);
});

test('scripts: iptables-restore heredocs read as restore input, with the family of the tool', async () => {
  const text = '#!/bin/sh\nip6tables-restore <<-EOF\n\t*filter\n\t-A INPUT -m ‸\n\tCOMMIT\nEOF\n';
  includes(await labels(text, 'script'), ['icmp6', 'conntrack'], ['icmp']);
  assert.deepEqual(await labels('#!/bin/sh\niptables-restore <<EOF\n*filter\nCOMMIT\n*‸\nEOF\n', 'script'), ['raw', 'mangle', 'nat', 'filter', 'security']);
  // A heredoc for another program is not iptables input.
  assert.deepEqual(await labels('#!/bin/sh\niptables -F\ncat > /tmp/x <<EOF\n-A INPUT -j ‸\nEOF\n', 'script'), []);
});

test('every item carries documentation', async () => {
  const cases = [
    '*filter\n-A INPUT -j ‸\nCOMMIT\n', '*filter\n-A INPUT -m ‸\nCOMMIT\n', '*filter\n-A INPUT -p tcp -m conntrack -‸\nCOMMIT\n',
    '*filter\n‸\n', '*filter\n-A INPUT -m addrtype --src-type ‸\nCOMMIT\n', '*mangle\n-A OUTPUT -j DSCP --set-dscp-class ‸\nCOMMIT\n',
  ];
  for (const c of cases) {
    const r = await complete(c);
    assert.ok(r.items.length > 0, c);
    for (const item of r.items) assert.ok(item.documentation.length > 20, `${item.label} in ${c}`);
  }
});

test('half-typed and odd input never throws, whatever the position', async () => {
  const texts = [
    '*filter\n-A INPUT -p tcp --dport "unclosed -j\n:\n*\n[0:0\n-A "" -m "" --\n! ! -j\nCOMMIT\n‸',
    '#!/bin/bash\niptables -A INPUT $(echo "x \\\n" ) -j `cat` <<< "s"\nfoo() { $IPT "$@"; }\ncat <<"E" | iptables-restore\n*nat\n-A\nE\niptables \\‸',
  ];
  for (const [k, marked] of texts.entries()) {
    const { source } = await atCursor(marked, k === 0 ? 'save' : 'script');
    const lines = source.text.toString().split('\n');
    for (let line = 0; line <= lines.length; line++) {
      for (let character = 0; character <= (lines[line]?.length ?? 0) + 1; character++) completions(source, { line, character });
    }
  }
});

test('a table of thousands of chains: after -j, at most 100 of those starting with what is typed, and more on asking again', async () => {
  const chains = Array.from({ length: 3000 }, (_, i) => `KUBE-SEP-${String(i).padStart(4, '0')}`);
  const text = ['*nat', ':PREROUTING ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`), '-A PREROUTING -j ‸', 'COMMIT', ''].join('\n');
  const all = await complete(text);
  assert.equal(all.items.filter((i) => i.kind === 'chain').length, 100);
  assert.equal(all.incomplete, true);
  const typed = await complete(text.replace('-j ‸', '-j kube-sep-12‸'));
  assert.deepEqual(typed.items.filter((i) => i.kind === 'chain').map((i) => i.label), chains.filter((c) => c.startsWith('KUBE-SEP-12')));
  assert.equal(typed.incomplete, false);
});
