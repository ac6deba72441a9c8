import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAddress } from '../../server/src/knowledge/addresses';
import { checkValue, describeValue, ValueContext } from '../../server/src/knowledge/values';
import { describeWord } from '../../server/src/knowledge/valueWords';
import { setLocale } from '../../server/src/l10n';
import type { ValueSpec } from '../../server/src/knowledge/schema';

const v4: ValueContext = { family: 'ipv4' };
const v6: ValueContext = { family: 'ipv6' };
const accepts = (spec: ValueSpec, text: string, ctx = v4) => checkValue(spec, text, ctx).error === undefined;

test('ports: numbers, service names, ranges with open ends', () => {
  assert.deepEqual(checkValue('portRange', '1024:', v4).value, { from: 1024, to: 65535 });
  assert.deepEqual(checkValue('portRange', ':', v4).value, { from: 0, to: 65535 });
  assert.deepEqual(checkValue('portRange', 'ssh', v4).value, { from: 22, to: 22 });
  assert.equal(checkValue('portRange', '65536', v4).error, 'port `65536` is out of range 0-65535');
  assert.equal(checkValue('portRange', '4:3', v4).error, 'the port range `4:3` is reversed: write `3:4`');
  assert.equal(checkValue('port', 'ntp', { family: 'ipv4', protocol: 'tcp' }).error, 'service `ntp` is not defined for tcp; write its port number (123)');
});

test('multiport lists count ranges twice and stop at 15', () => {
  assert.ok(accepts('portList', '80,443,8000:8080'));
  const sixteen = Array.from({ length: 16 }, (_, i) => String(i + 1)).join(',');
  assert.equal(checkValue('portList', sixteen, v4).error, 'too many ports: multiport takes at most 15 (a range counts as two), this list uses 16');
});

test('IPv4 addresses as iptables reads them: short forms, dotted and numeric masks, any/0', () => {
  const cidr = (text: string) => {
    const c = checkValue('addressList', text, v4).value as { address: bigint; prefix: number };
    return `${formatAddress(c.address, 'ipv4')}/${c.prefix}`;
  };
  assert.equal(cidr('10/8'), '10.0.0.0/8');
  assert.equal(cidr('192.168.1.77/255.255.255.0'), '192.168.1.0/24');
  assert.equal(cidr('0x0a.0.0.1'), '10.0.0.1/32');
  assert.equal(cidr('whatever/0'), '0.0.0.0/0');
  assert.equal(checkValue('addressList', '10.0.0.256', v4).error, '`10.0.0.256` is not a valid IPv4 address');
  assert.equal(checkValue('addressList', '10.0.0.0/33', v4).error, '`33` is not a valid IPv4 mask or prefix length');
  assert.equal(checkValue('addressList', 'fe80::1', v4).error, '`fe80::1` is an IPv6 address in an IPv4 rule');
  assert.equal(checkValue('addressList', '<private_ip>/32', v4).error, '`<private_ip>` is not a valid address or host name');
});

test('addresses checked while a file is read, where no value is kept, get the same verdicts', () => {
  const check: ValueContext = { family: 'ipv4', validateOnly: true };
  for (const a of ['192.0.2.1', '192.0.2.0/24', '0.0.0.0/32', '255.255.255.255/1', '10/8', '010.1.2.3', '0x0a.0.0.1', '10.0.0.0/255.0.0.0', '10.0.0.0/010']) {
    assert.deepEqual(checkValue('addressList', a, check), {}, a);
  }
  // A zero mask makes any address `any`, which the model needs to know.
  assert.equal(formatAddress((checkValue('addressList', '192.0.2.1/0', check).value as { address: bigint }).address, 'ipv4'), '0.0.0.0');
  assert.equal(checkValue('addressList', '10.0.0.256', check).error, '`10.0.0.256` is not a valid IPv4 address');
  assert.equal(checkValue('addressList', '10.0.0.0/33', check).error, '`33` is not a valid IPv4 mask or prefix length');
  assert.equal(checkValue('addressList', '10.0.0.0/08', check).error, '`08` is not a valid IPv4 mask or prefix length');
  assert.equal(checkValue('addressList', '10.0.0.0/', check).error, '`` is not a valid IPv4 mask or prefix length');
  assert.equal(checkValue('addressList', '1.2.3.4.5', check).error, '`1.2.3.4.5` is not a valid IPv4 address');
  assert.equal(checkValue('host', '192.0.2.0/24', check).error, '`192.0.2.0/24`: a mask is not allowed here');
});

test('IPv6 addresses, including compressed and embedded IPv4 forms', () => {
  for (const a of ['::1', '2001:db8::/32', '::ffff:192.0.2.1', 'fe80::1:2:3:4/64']) assert.ok(accepts('addressList', a, v6), a);
  for (const a of ['2001:db8:::1', '1:2:3:4:5:6:7:8:9', 'g::1']) assert.ok(!accepts('addressList', a, v6), a);
});

test('host names are accepted with a warning about DNS', () => {
  const r = checkValue('addressList', 'ntp.example.net', v4);
  assert.equal(r.error, undefined);
  assert.match(r.warning!, /looked up once when the rules load/);
});

test('ICMP types by name, prefix, number and type/code', () => {
  assert.deepEqual(checkValue('icmpType', 'echo-request', v4).value, { type: 8, codeFrom: 0, codeTo: 255, any: false });
  assert.deepEqual(checkValue('icmpType', 'port-unr', v4).value, { type: 3, codeFrom: 3, codeTo: 3, any: false });
  assert.deepEqual(checkValue('icmpType', '3/4', v4).value, { type: 3, codeFrom: 4, codeTo: 4, any: false });
  assert.equal(checkValue('icmpType', 'echo', v4).error, 'ambiguous ICMP type `echo`: `echo-reply` or `echo-request`?');
});

test('MAC addresses need six hex bytes', () => {
  assert.ok(accepts('mac', '00:1A:2b:3c:4d:5e'));
  assert.equal(checkValue('mac', 'XX:XX:XX:XX:XX:XX', v4).error, '`XX:XX:XX:XX:XX:XX` is not a MAC address; write six hex bytes such as `00:1a:2b:3c:4d:5e`');
});

test('NAT ranges: addresses, ports, IPv6 in brackets, ports need a protocol', () => {
  const tcp = { family: 'ipv4', protocol: 'tcp' } as const;
  assert.deepEqual(checkValue('natRange', '10.0.0.1:8080', tcp).value, { portFrom: 8080, portTo: 8080, addressFrom: 0x0a000001n, addressTo: 0x0a000001n });
  assert.ok(accepts('natRange', '[2001:db8::1]:80', { family: 'ipv6', protocol: 'tcp' }));
  assert.equal(checkValue('natRange', '10.0.0.1:80', v4).error, 'a port needs `-p tcp`, `udp`, `sctp` or `dccp` earlier in the rule');
  assert.equal(checkValue('natPorts', '1024:2048', tcp).error, 'write the port range `1024:2048` with a dash: `1024-2048`');
  assert.ok(accepts('natPorts', 'ftp-data', tcp));
});

test('plain decimal ports, numbers and DNAT addresses read the same as their other spellings', () => {
  const tcp = { family: 'ipv4', protocol: 'tcp' } as const;
  // `a.b.c.d:port` (kube-proxy writes one per endpoint) against the same written as a range in hex.
  assert.deepEqual(checkValue('natRange', '10.244.3.7:8080', tcp).value, checkValue('natRange', '10.244.3.7-10.244.3.7:0x1f90', tcp).value);
  assert.deepEqual(checkValue('natRange', '10.244.3.7', v4).value, { addressFrom: 0x0af40307n, addressTo: 0x0af40307n });
  assert.equal(checkValue('natRange', '10.244.3.7/32:80', tcp).error, '`10.244.3.7/32` is not a valid IPv4 address');
  assert.equal(checkValue('natRange', '10.244.3.7:65536', tcp).error, '`65536` is not a valid port');
  assert.deepEqual(checkValue('natPorts', '0', tcp).value, { portFrom: 0, portTo: 0 });
  const byte = { kind: 'uint', min: 1, max: 255 } as const;
  assert.equal(checkValue(byte, '255', v4).value, checkValue(byte, '0xff', v4).value);
  assert.ok(!accepts(byte, '0'));
  assert.ok(!accepts(byte, '256'));
  assert.ok(!accepts(byte, '0x100'));
});

test('a probability written as a plain fraction is the number any other spelling reads as', () => {
  const probability = { kind: 'double', min: 0, max: 1 } as const;
  // Digits as kube-proxy writes them (ten decimals) and random ones up to the plain form's 15 digits.
  const texts = ['0.1000000000', '0.0416666667', '1.0000000000', '00.5', '0.000000000000001', '0.999999999999999', '1.', '.5', '-0.5', '0.5e-1', ' 0.5'];
  // A fixed pseudo-random sequence: a failure names its text and comes back at the next run.
  let seed = 20261207;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < 2000; k++) {
    const digits = Array.from({ length: 1 + (k % 15) }, () => String(Math.floor(random() * 10))).join('');
    const dot = 1 + Math.floor(random() * Math.max(1, digits.length - 1));
    texts.push(digits.length > 1 ? digits.slice(0, dot) + '.' + digits.slice(dot) : '0.' + digits);
  }
  for (const text of texts) {
    const r = checkValue(probability, text, v4);
    const expected = Number(text);
    if (expected >= 0 && expected <= 1) assert.equal(r.value, expected, text);
    else assert.ok(r.error, text);
  }
});

test('numbers follow strtoul: hex and octal, no minus, 64-bit limits exact', () => {
  assert.equal(checkValue({ kind: 'uint', max: 255 }, '0x1f', v4).value, 31);
  assert.equal(checkValue({ kind: 'uint', max: 255 }, '010', v4).value, 8);
  assert.ok(!accepts({ kind: 'uint', max: 255 }, '-1'));
  assert.ok(accepts({ kind: 'uint', max: 2 ** 64 - 1 }, '18446744073709551615'));
  assert.ok(!accepts({ kind: 'uint', max: 2 ** 64 - 1 }, '18446744073709551616'));
});

test('enumerations: case, abbreviations and list limits', () => {
  const states = { kind: 'enumList', values: ['NEW', 'ESTABLISHED'], ignoreCase: true, prefix: true } as const;
  assert.deepEqual(checkValue(states, 'new,est', v4).value, ['NEW', 'ESTABLISHED']);
  assert.equal(checkValue(states, 'NEW,BOGUS', v4).error, 'unknown value `BOGUS` in `NEW,BOGUS`; expected NEW, ESTABLISHED');
});

test('weekdays: iptables compares the first two letters, case-sensitively', () => {
  assert.deepEqual(checkValue('weekdays', 'Mon,Tuesday,7', v4).value, [1, 2, 7]);
  assert.ok(!accepts('weekdays', 'mon'));
});

test('strings that iptables cuts short give a warning, not an error', () => {
  const r = checkValue({ kind: 'string', maxLength: 5, truncate: true }, 'abcdefg', v4);
  assert.equal(r.error, undefined);
  assert.equal(r.warning, 'the text is 7 characters long; the limit is 5, so iptables keeps only the first 5');
});

test('in Simplified Chinese, value errors and value syntax are Chinese, the value and iptables words as written', () => {
  assert.equal(describeValue('portList'), 'up to 15 ports or `from:to` ranges, separated by commas');
  setLocale('zh-cn');
  try {
    assert.equal(checkValue('portRange', '65536', v4).error, '端口 `65536` 超出范围 0-65535');
    assert.equal(checkValue('portRange', '4:3', v4).error, '端口范围 `4:3` 写反了：请写成 `3:4`');
    assert.equal(checkValue('port', 'ntp', { family: 'ipv4', protocol: 'tcp' }).error, '服务 `ntp` 没有为 tcp 定义；请写它的端口号（123）');
    assert.equal(checkValue('setName', 'blocked', v4).note, '加载规则时 ipset `blocked` 必须已经存在（先执行 `ipset create blocked ...`）');
    assert.equal(describeValue('portList'), '最多 15 个端口或 `from:to` 范围，用逗号分隔');
    const rejectWith = { kind: 'enum', values: ['icmp-port-unreachable', 'port-unreach'] } as const;
    assert.equal(describeWord(rejectWith, 'reject-with', 'ipv4', 'port-unreach')?.doc, '`icmp-port-unreachable` 的简写：ICMP 端口不可达；默认值。');
    assert.equal(describeWord('weekdays', 'weekdays', 'ipv4', 'Wed')?.doc, '星期三（第 3 天）。');
    assert.equal(describeWord('icmpType', 'icmp-type', 'ipv4', 'echo-request')?.doc, 'ICMP 类型 8，任意代码。');
  } finally {
    setLocale(undefined);
  }
  assert.equal(describeValue('portList'), 'up to 15 ports or `from:to` ranges, separated by commas');
});
