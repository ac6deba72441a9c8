// Random ip6tables rulesets and IPv6 packets for differential tests against
// the kernel (scripts/record-kernel-cases.mjs --random): every rule loads,
// each packet is one the oracle can send, and a seed gives the same case.

/** mulberry32: a small seeded generator, so a case can be made again (numbers in [0, 1)). */
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOOKS = { raw: ['PREROUTING', 'OUTPUT'], mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] };
const IN_HOOKS = ['PREROUTING', 'INPUT', 'FORWARD'];
const OUT_HOOKS = ['FORWARD', 'OUTPUT', 'POSTROUTING'];

const CRITERIA = [
  () => '-s 2001:db8:2::/48', () => '-d fd00::/64', () => '-d 2001:db8:1::1/128', () => '! -s fe80::/10', () => '-d ff00::/8',
  (h) => (IN_HOOKS.includes(h) ? '-i eth0' : '-o eth0'), (h) => (OUT_HOOKS.includes(h) ? '-o eth1' : '-i eth1'),
  () => '-p tcp -m tcp --dport 22', () => '-p udp -m udp --sport 40000', () => '-p ipv6-icmp -m icmp6 --icmpv6-type echo-request', () => '-p ipv6-icmp',
  () => '-m hl --hl-gt 60', () => '-m hl --hl-lt 64', () => '-m hbh', () => '-m hbh --hbh-len 8', () => '-m dst --dst-len 8', () => '-m dst --dst-opts 30:2',
  () => '-m rt --rt-type 0', () => '-m rt --rt-segsleft 0', () => '-m frag --fragmore', () => '-m frag --fragfirst', () => '-m ipv6header --header frag --soft',
  () => '-m ipv6header --header prot', () => '-m conntrack --ctstate NEW', () => '-m conntrack --ctstate UNTRACKED,INVALID', () => '-m mark --mark 0x1',
  () => '-m length --length 0:60', () => '-m addrtype --dst-type LOCAL', () => '-m frag --fraglast', () => '-m rt --rt-len 24', () => '-m hbh --hbh-opts 5:2',
  () => '-m ipv6header ! --header hop-by-hop,dst --soft', () => '-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation', () => '-m conntrack --ctstate RELATED,ESTABLISHED', () => '-m addrtype --dst-type ANYCAST', () => '-m tos --tos 0x10',
  (h) => (IN_HOOKS.includes(h) ? '-m eui64' : '-m hl --hl-eq 64'), (h, t) => (h === 'PREROUTING' && t !== 'nat' ? '-m rpfilter' : '-m hl --hl-eq 63'),
];

const TARGETS = {
  raw: () => ['', '-j NOTRACK', '-j CT --notrack', '-j ACCEPT'],
  mangle: (h) => ['', '-j MARK --set-mark 0x1', '-j HL --hl-dec 1', '-j DSCP --set-dscp 0x4', '-j ACCEPT', ...(h === 'PREROUTING' ? ['-j DROP'] : [])],
  nat: (h) => ['', '-j ACCEPT', ...(h === 'PREROUTING' ? ['-j DNAT --to-destination fd00::10', '-j REDIRECT'] : h === 'OUTPUT' ? ['-j DNAT --to-destination fd00::2'] : h === 'POSTROUTING' ? ['-j MASQUERADE', '-j SNAT --to-source 2001:db8:1::9'] : [])],
  filter: () => ['', '-j ACCEPT', '-j DROP', '-j REJECT', '-j RETURN', '-j LOG'],
};

const DESTINATIONS = ['2001:db8:1::1', '2001:db8:1::9', 'fd00::2', '2001:db8:2::7', '2001:db8:1::', 'ff02::1', 'fe80::ff:fe00:1', '2001:db8:1::5', 'fd00::10', 'ff02::1:ff00:1', 'ff02::2', 'fd00::'];

function pick(r, list) {
  return list[Math.floor(r() * list.length)];
}

export function randomCase(seed) {
  const r = generator(seed);
  const lines = [];
  for (const table of ['raw', 'mangle', 'nat', 'filter']) {
    if (r() < 0.4) continue;
    lines.push(`*${table}`);
    const hooks = HOOKS[table];
    for (const h of hooks) lines.push(`:${h} ${table === 'filter' && r() < 0.2 ? 'DROP' : 'ACCEPT'} [0:0]`);
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const hook = pick(r, hooks);
      const parts = [];
      for (let k = Math.floor(r() * 3); k > 0; k--) {
        const c = pick(r, CRITERIA)(hook, table);
        // -s, -d, -i, -o and -p are given once per rule.
        const flag = (x) => x.replace(/^! /, '').split(' ')[0];
        if (!parts.some((p) => p === c || (!flag(c).startsWith('-m') && flag(p) === flag(c)))) parts.push(c);
      }
      const target = pick(r, TARGETS[table](hook));
      // REJECT and the NAT targets want their chain and table; -o and -i their hook.
      lines.push(['-A', hook, ...parts, target].filter(Boolean).join(' '));
    }
    lines.push('COMMIT');
  }
  const from = pick(r, ['ext', 'ext', 'int', 'fw']);
  // The fw's own link-local address of one link is nobody's on the other: a case would only wait for a neighbour.
  const dst = pick(r, DESTINATIONS.filter((d) => from === 'ext' || d !== 'fe80::ff:fe00:1'));
  const proto = pick(r, ['tcp', 'udp', 'icmpv6']);
  const packet = { description: `random case ${seed}`, from, proto, dst };
  if (from !== 'fw' && r() < 0.2) packet.src = from === 'ext' ? 'fe80::ff:fe00:fe' : 'fe80::ff:fe00:102';
  if (from === 'fw' && dst.startsWith('ff02')) packet.out_iface = pick(r, ['eth0', 'eth1']);
  if (proto === 'tcp') Object.assign(packet, { dport: pick(r, [22, 80]), tcp_flags: pick(r, ['SYN', 'SYN', 'ACK', 'FIN']) });
  if (proto === 'udp') packet.dport = pick(r, [53, 161]);
  if (proto === 'icmpv6') packet.icmp_type = pick(r, [128, 128, 129, 135, 1, 133, 143]);
  if (proto === 'icmpv6' && packet.icmp_type === 135) packet.nd_target = dst.startsWith('ff') ? '2001:db8:1::1' : dst;
  if (r() < 0.2) packet.hop_limit = pick(r, [1, 2, 255]);
  if (r() < 0.15) packet.tclass = 0x10;
  const ext = r();
  if (ext < 0.1) packet.ext_headers = [{ type: 'hop-by-hop', options: [{ type: pick(r, [30, 0x41, 0x81, 5]), len: 2 }] }];
  else if (ext < 0.2) packet.ext_headers = [{ type: 'destination', options: [{ type: pick(r, [30, 0x41, 0x81]), len: 2 }] }];
  else if (ext < 0.27) packet.ext_headers = [{ type: 'routing', routing_type: 0, segments_left: pick(r, [0, 1]), addresses: ['fd00::5'] }];
  else if (ext < 0.34) packet.ext_headers = ['fragment'];
  else if (ext < 0.4) Object.assign(packet, { mf: true, payload_len: pick(r, [4, 8]) });
  else if (ext < 0.45) Object.assign(packet, { frag_offset: pick(r, [1, 4]), payload_len: 8 });
  else if (ext < 0.5) packet.ext_headers = [{ type: 'hop-by-hop', options: [{ type: 5, data: '0000' }] }, { type: 'destination', options: [{ type: 0xc3, len: 2 }] }];
  if (r() < 0.2) packet.options = { conntrack: 'on' };
  return { rules: `${lines.join('\n')}\n`, packet };
}
