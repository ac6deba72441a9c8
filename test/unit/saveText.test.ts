// What --print-ruleset writes for a rule: the text iptables-save prints once
// the kernel holds the rule. The expected lines are what iptables-save 1.8.9
// printed for these rules (test/kernel/saveText.test.ts checks many more
// against the real tool; these hold where iptables is not installed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Family } from '../../server/src/knowledge';
import { rulesetText } from '../../server/src/model/saveText';

function saved(rule: string, table = 'filter', family: Family = 'ipv4'): string {
  const ruleset = analyseSaveText(`*${table}\n-A ${rule}\nCOMMIT\n`, { ...DEFAULT_OPTIONS, family }).ruleset!;
  return rulesetText(ruleset).split('\n').find((l) => l.startsWith('-A '))!.slice(3);
}

test('options under the name iptables-save uses, in its order', () => {
  assert.equal(saved('INPUT -p tcp -m multiport --destination-ports 80,https -j ACCEPT'), 'INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT');
  assert.equal(saved('INPUT -m string --algo bm --string x -j DROP'), 'INPUT -m string --string "x" --algo bm -j DROP');
  assert.equal(saved('INPUT -j LOG --log-level debug --log-prefix x --log-uid'), 'INPUT -j LOG --log-prefix x --log-level 7 --log-uid');
  assert.equal(saved('INPUT -m hashlimit --hashlimit 10/sec --hashlimit-srcmask 8 --hashlimit-name a --hashlimit-mode srcip'),
    'INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name a --hashlimit-srcmask 8');
});

test('values in the form the kernel stores them', () => {
  assert.equal(saved('INPUT -m conntrack --ctproto tcp --ctorigdst 10.0.0.1/32 -j ACCEPT'), 'INPUT -m conntrack --ctproto 6 --ctorigdst 10.0.0.1 -j ACCEPT');
  assert.equal(saved('INPUT -m statistic --mode random --probability 0.33333'), 'INPUT -m statistic --mode random --probability 0.33332999982');
  assert.equal(saved('POSTROUTING -j CLASSIFY --set-class 1:30', 'mangle'), 'POSTROUTING -j CLASSIFY --set-class 0001:0030');
  assert.equal(saved('INPUT -m limit --limit 4/minute'), 'INPUT -m limit --limit 4/min');
  assert.equal(saved('INPUT -m limit --limit 60/minute'), 'INPUT -m limit --limit 1/sec');
  assert.equal(saved('INPUT -m time --timestart 07:00 --timestop 19:30'), 'INPUT -m time --timestart 07:00:00 --timestop 19:30:00 --datestop 2038-01-19T03:14:07');
  assert.equal(saved('INPUT -s ::ffff:0:0/96', 'filter', 'ipv6'), 'INPUT -s ::ffff:0.0.0.0/96');
  assert.equal(saved('INPUT -d 2001:db8:0:0:8d3::/128', 'filter', 'ipv6'), 'INPUT -d 2001:db8:0:0:8d3::/128');
  assert.equal(saved('PREROUTING -j TOS --and-tos 0x12', 'mangle'), 'PREROUTING -j TOS --set-tos 0x00/0xed');
  assert.equal(saved('PREROUTING -j MARK --or-mark 4', 'mangle'), 'PREROUTING -j MARK --set-xmark 0x4/0x4');
  assert.equal(saved('INPUT -m u32 --u32 "6 & 0xFF = 1 && 4 & 0x3FFF = 0"'), 'INPUT -m u32 --u32 "0x6&0xff=0x1&&0x4&0x3fff=0x0"');
  assert.equal(saved('INPUT -m pkttype --pkt-type host'), 'INPUT -m pkttype --pkt-type unicast');
});

test('defaults iptables-save always prints, and what it leaves out', () => {
  assert.equal(saved('INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-name a'), 'INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name a');
  assert.equal(saved('INPUT -m hashlimit --hashlimit-above 512kb/s --hashlimit-name e'), 'INPUT -m hashlimit --hashlimit-above 512kb/s --hashlimit-name e');
  assert.equal(saved('INPUT -m recent --set', 'filter', 'ipv6'), 'INPUT -m recent --set --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource');
  assert.equal(saved('INPUT -j REJECT'), 'INPUT -j REJECT --reject-with icmp-port-unreachable');
  assert.equal(saved('INPUT -j NFQUEUE'), 'INPUT -j NFQUEUE --queue-num 0');
  assert.equal(saved('INPUT -m limit --limit-burst 5'), 'INPUT -m limit --limit 3/hour');
  assert.equal(saved('INPUT -p tcp --sport 0:65535 -j ACCEPT'), 'INPUT -p tcp -m tcp -j ACCEPT');
  assert.equal(saved('INPUT -i + -j ACCEPT'), 'INPUT -j ACCEPT');
  assert.equal(saved('INPUT -j LOG --log-level warning'), 'INPUT -j LOG');
});

test('negations the kernel stores as another option', () => {
  assert.equal(saved('INPUT -m connlimit ! --connlimit-upto 10'), 'INPUT -m connlimit --connlimit-above 10 --connlimit-mask 32 --connlimit-saddr');
  assert.equal(saved('INPUT -m time ! --weekdays Mon,Tue'), 'INPUT -m time --weekdays Wed,Thu,Fri,Sat,Sun --datestop 2038-01-19T03:14:07');
  assert.equal(saved('INPUT -m hashlimit ! --hashlimit-upto 5/hour --hashlimit-name c'), 'INPUT -m hashlimit --hashlimit-above 5/hour --hashlimit-burst 5 --hashlimit-name c');
});

test('quoting: bare only for letters, digits, - and _', () => {
  assert.equal(saved('INPUT -m comment --comment default/web:http'), 'INPUT -m comment --comment "default/web:http"');
  assert.equal(saved('INPUT -m comment --comment plain_word-1'), 'INPUT -m comment --comment plain_word-1');
  assert.equal(saved('INPUT -m comment --comment "a\\"b"'), 'INPUT -m comment --comment "a\\"b"');
  assert.equal(saved('INPUT -m string --algo bm --hex-string "abc|41|"'), 'INPUT -m string --string "abcA" --algo bm');
  assert.equal(saved('INPUT -m string --algo bm --hex-string "|00 01|a"'), 'INPUT -m string --hex-string "|000161|" --algo bm');
});

test('tables come out newest first, as the legacy kernel lists them', () => {
  const ruleset = analyseSaveText('*nat\nCOMMIT\n*filter\nCOMMIT\n*raw\nCOMMIT\n', DEFAULT_OPTIONS).ruleset!;
  assert.deepEqual(rulesetText(ruleset).split('\n').filter((l) => l.startsWith('*')), ['*raw', '*filter', '*nat']);
});
