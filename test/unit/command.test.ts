// How one command line is understood: the same decisions iptables' own parser makes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '../../server/src/diagnostics';
import { setLocale } from '../../server/src/l10n';
import { CommandHead, headOf, OptionUse, parseCommand } from '../../server/src/syntax/command';
import { splitRestoreWords } from '../../server/src/syntax/restoreWords';
import { readCommandLine } from '../../server/src/syntax/saveFile';

function parse(line: string, family: 'ipv4' | 'ipv6' = 'ipv4', table = 'filter') {
  const diagnostics: Diagnostic[] = [];
  const command = parseCommand(splitRestoreWords(line, 0), { family, restore: true, table }, diagnostics);
  return { command, messages: diagnostics.map((d) => `${d.code}: ${d.message}`) };
}

test('-p tcp loads the tcp match when one of its options appears', () => {
  const { command, messages } = parse('-A INPUT -p tcp --dport 22 -j ACCEPT');
  assert.deepEqual(messages, []);
  assert.deepEqual(command.rule.matches.map((m) => [m.name, m.implicit, m.options.map((o) => o.spec.name)]), [['tcp', true, ['destination-port']]]);
  assert.equal(command.rule.target?.name, 'ACCEPT');
});

test('the protocol may be given by number', () => {
  assert.deepEqual(parse('-A INPUT -p 6 --dport 22').messages, []);
});

test('long options may be abbreviated when the prefix is unique among loaded modules', () => {
  const { command, messages } = parse('-A PREROUTING -p tcp -j DNAT --to 10.0.0.1:80', 'ipv4', 'nat');
  assert.deepEqual(messages, []);
  assert.equal(command.rule.target?.options[0].spec.name, 'to-destination');
  assert.deepEqual(parse('-A INPUT --d 10.0.0.1').messages, [
    'unknown-option: `--d` is ambiguous: it could be `--delete` or `--delete-chain` or `--destination`',
  ]);
});

test('a loaded module\'s option is its whole name as written, before an `=` too, or one of its aliases', () => {
  const { command, messages } = parse('-A PREROUTING -p tcp -m comment --comment=web -m tcp --destination-port 80 -j DNAT --to-destination=10.0.0.1:80', 'ipv4', 'nat');
  assert.deepEqual(messages, []);
  const options = (owner: { options: OptionUse[] } | undefined) => owner?.options.map((o) => [o.spec.name, o.values[0].text]);
  assert.deepEqual(command.rule.matches.map(options), [[['comment', 'web']], [['destination-port', '80']]]);
  assert.deepEqual(options(command.rule.target), [['to-destination', '10.0.0.1:80']]);
  // A name the module's option only starts: not that option.
  assert.deepEqual(parse('-A INPUT -m comment --commentx a -j ACCEPT').messages, [
    'unknown-option: unknown option `--commentx` (did you mean `--comment`?)',
    'missing-option: `-m comment` needs `--comment`',
  ]);
});

test('a prefix of a loaded module wins over loading the protocol match', () => {
  // multiport's --dports takes `--dport` as an abbreviation; tcp is never loaded.
  const { command } = parse('-A INPUT -p tcp -m multiport --dport 80,443');
  assert.deepEqual(command.rule.matches.map((m) => m.name), ['multiport']);
});

test('loading a module twice gives its options to the newer copy', () => {
  const { command, messages } = parse('-A INPUT -p tcp -m tcp --dport 1 -m tcp --dport 2');
  assert.deepEqual(messages, []);
  assert.deepEqual(command.rule.matches.map((m) => m.options.map((o) => o.values[0].text)), [['1'], ['2']]);
});

test('! negates the next option only, and only where allowed', () => {
  const { command } = parse('-A INPUT ! -s 10.0.0.0/8 -p tcp ! --dport 22');
  assert.equal(command.rule.source?.negated, true);
  assert.equal(command.rule.matches[0].options[0].negated, true);
  assert.deepEqual(parse('-A INPUT ! -j ACCEPT').messages, ['cannot-invert: `!` cannot negate `-j`']);
  assert.deepEqual(parse('-A INPUT -s 1.2.3.4 !').messages, ['bad-argument: `!` at the end of the line negates nothing']);
});

test('long options with =, attached short values, and two-word options', () => {
  assert.deepEqual(parse('-A INPUT --protocol=tcp --dport=22 -jACCEPT').messages, []);
  const { command } = parse('-A INPUT -p tcp --tcp-flags SYN,ACK SYN');
  assert.deepEqual(command.rule.matches[0].options[0].values.map((v) => v.text), ['SYN,ACK', 'SYN']);
  assert.deepEqual(parse('-A INPUT -p tcp --tcp-flags SYN -j ACCEPT').messages, [
    'missing-value: `--tcp-flags` needs two values: TCP flags such as `SYN,ACK`, then TCP flags such as `SYN,ACK`',
  ]);
});

test('commands take their positional arguments the way iptables does', () => {
  assert.equal(parse('-I INPUT 3 -j ACCEPT').command.ruleNumber?.value, 3);
  assert.equal(parse('-I INPUT -j ACCEPT').command.ruleNumber, undefined);
  assert.equal(parse('-D INPUT 2').command.ruleNumber?.value, 2);
  assert.equal(parse('-E old new').command.newName?.text, 'new');
  assert.equal(parse('-P INPUT DROP').command.policy?.text, 'DROP');
  assert.deepEqual(parse('-R INPUT -j ACCEPT').messages, ['missing-value: `-R` needs a rule number after the chain name']);
});

test('-4 and -6 select the family; restore skips lines of the other one', () => {
  assert.equal(parse('-6 -A INPUT -s ::1 -j ACCEPT').command.otherFamily, true);
  assert.equal(parse('-4 -A INPUT -j ACCEPT').command.otherFamily, undefined);
});

test('counters with -c, and where they are allowed', () => {
  assert.deepEqual(parse('-A INPUT -c 10 2000 -j ACCEPT').messages, []);
  assert.deepEqual(parse('-A INPUT -c 10,2000 -j ACCEPT').messages, []);
  assert.deepEqual(parse('-A INPUT -c x -j ACCEPT').messages, ['invalid-value: `-c` needs two numbers: `-c packets bytes` or `-c packets,bytes`']);
});

test('a mistyped module gets a hint; a module of the other family says so', () => {
  assert.deepEqual(parse('-A INPUT -m TCP --dport 1').messages.slice(0, 1), ['unknown-match: iptables has no match module `TCP`; module names are lower case: `-m tcp`']);
  assert.deepEqual(parse('-A INPUT -p icmp -m icmp --icmp-type 8', 'ipv6').messages.slice(0, 1), ['wrong-family: `-m icmp` exists only for IPv4 (iptables)']);
});

test('ipv6-icmp and icmpv6 name the icmp6 module', () => {
  assert.deepEqual(parse('-A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT', 'ipv6').messages, []);
  assert.deepEqual(parse('-A INPUT -p icmpv6 -m icmpv6 --icmpv6-type 128 -j ACCEPT', 'ipv6').messages, []);
});

test('checks iptables makes between one option and another: a value, an order, one of a list, a smaller number', () => {
  // Each refused line was accepted before; iptables 1.8.9 refuses it (its syntax tests say so too).
  const cases: [string, string[]][] = [
    ['-A INPUT -m policy --dir in --pol ipsec --tunnel-dst 10.0.0.0/8', ['missing-option: `--tunnel-dst` also needs `--mode tunnel`']],
    ['-A INPUT -m policy --dir in --pol ipsec --mode transport --tunnel-src 10.0.0.1', ['missing-option: `--tunnel-src` works only with `--mode tunnel`']],
    ['-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.0.0.1', []],
    ['-A INPUT -m policy --dir in --pol ipsec --strict', ['missing-option: `--strict` needs at least one of `--reqid`, `--spi`, `--tunnel-src`, `--tunnel-dst`, `--proto`, `--mode`']],
    ['-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1', []],
    ['-A OUTPUT -m owner --suppl-groups --gid-owner 0-10', ['missing-option: `--suppl-groups` must come after `--gid-owner`: iptables reads the options in order']],
    ['-A OUTPUT -m owner --gid-owner 0-10 --suppl-groups', []],
    ['-A INPUT -m statistic --mode nth --every 5 --packet 5', ['invalid-value: `--packet` must be below `--every` (5): it counts from 0']],
    ['-A INPUT -m statistic --mode nth --packet 4 --every 5', []],
  ];
  for (const [line, expected] of cases) assert.deepEqual(parse(line).messages, expected, line);
});

test('in Simplified Chinese, a removed or deprecated module or option gives the knowledge base\'s reason in Chinese too', () => {
  setLocale('zh-cn');
  try {
    assert.deepEqual(parse('-A FORWARD -m time --days Mon -j DROP').messages, ['removed: `--days` 已从 iptables 中移除：请改用 `--weekdays`，星期名称相同']);
    assert.deepEqual(parse('-A INPUT -m state --state ESTABLISHED -j ACCEPT').messages, ['deprecated: `-m state --state X` 是旧的别名；请改写成 `-m conntrack --ctstate X`。']);
    assert.deepEqual(parse('-A INPUT -j ULOG').messages, ['removed: 目标 ULOG 已不存在：内核在 Linux 3.17 中移除了 ULOG；请配合 ulogd2（其 NFLOG 输入插件）使用 `-j NFLOG --nflog-group N`。']);
  } finally {
    setLocale(undefined);
  }
});

test('a rule file line keeps its head compact, and gives back the same words (places, quotes) as its whole parse', () => {
  const lines = [
    '-A INPUT -s 10.0.0.0/8 -j ACCEPT',
    '-A "INPUT" -j "DROP"',
    '--append=INPUT -j ACCEPT',
    '-AINPUT -g "LOG_AND_DROP"',
    '-I FORWARD 3 -j RETURN',
    '   -A  OUTPUT   -j  KUBE-SERVICES  ',
    '-N "my chain"',
    '-P INPUT DROP',
    // Columns past 1023 are kept aside (the head packs three below 1024 in one number); the target at 1023, at 1024.
    `-A INPUT -m comment --comment "${'x'.repeat(1100)}" -j ACCEPT`,
    `-A INPUT -m comment --comment "${'x'.repeat(987)}" -j ACCEPT`,
    `-A INPUT -m comment --comment "${'x'.repeat(988)}" -j ACCEPT`,
    `${' '.repeat(1030)}-A INPUT -j DROP`,
  ];
  const read = (line: string) => readCommandLine(line, 0, { family: 'ipv4', restore: true, table: 'filter' })!;
  for (const line of lines) {
    const { statement, command } = read(line);
    const words = (h: CommandHead) => ({ kind: h.kind, flag: h.flag, chain: h.chain, target: h.target?.nameToken, goto: h.goto, name: h.targetName });
    assert.deepEqual(words(statement.head), words(headOf(command)), line);
  }
  // The unquoted, unsplit lines (nearly all of a file) keep no word objects: the line is its own head.
  const { statement } = read('-A INPUT -s 10.0.0.0/8 -j ACCEPT');
  assert.equal(statement.head, statement);
  assert.equal(Object.values(statement).some((v) => typeof v === 'object' && v !== null && 'start' in v), false);
});
