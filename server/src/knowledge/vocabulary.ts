// Named values that iptables options accept: protocols, ICMP types, conntrack
// states, TCP flags, log levels... Names and numbers are protocol facts; the
// descriptions are ours.

export interface Named {
  name: string;
  doc: string;
}

/** Protocol names iptables knows itself, plus the common ones from /etc/protocols. */
export const PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['all', 0], ['tcp', 6], ['udp', 17], ['icmp', 1], ['icmpv6', 58], ['ipv6-icmp', 58],
  ['sctp', 132], ['udplite', 136], ['dccp', 33], ['esp', 50], ['ah', 51], ['ipcomp', 108],
  ['mh', 135], ['ipv6-mh', 135], ['mobility-header', 135],
  // Debian netbase /etc/protocols
  ['ip', 0], ['hopopt', 0], ['igmp', 2], ['ggp', 3], ['ipencap', 4], ['st', 5], ['egp', 8],
  ['igp', 9], ['pup', 12], ['hmp', 20], ['xns-idp', 22], ['rdp', 27], ['iso-tp4', 29], ['xtp', 36],
  ['ddp', 37], ['idpr-cmtp', 38], ['ipv6', 41], ['ipv6-route', 43], ['ipv6-frag', 44], ['idrp', 45],
  ['rsvp', 46], ['gre', 47], ['skip', 57], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['rspf', 73],
  ['vmtp', 81], ['eigrp', 88], ['ospf', 89], ['ax.25', 93], ['ipip', 94], ['etherip', 97],
  ['encap', 98], ['pim', 103], ['vrrp', 112], ['l2tp', 115], ['isis', 124], ['fc', 133],
  ['mpls-in-ip', 137], ['manet', 138], ['hip', 139], ['shim6', 140], ['wesp', 141], ['rohc', 142],
  ['ethernet', 143],
]);

/** A protocol as `-p` takes it, by name or number: its number, if known. */
export function protocolNumber(text: string): number | undefined {
  // The names are lower case and never digits: most rules write one as it is listed.
  const listed = PROTOCOLS.get(text);
  if (listed !== undefined) return listed;
  const lower = text.toLowerCase();
  return /^\d+$/.test(lower) ? Number(lower) : PROTOCOLS.get(lower);
}

/** The first name of each protocol number, as /etc/protocols lists them. */
const NAME_OF_NUMBER: ReadonlyMap<number, string> = new Map([...PROTOCOLS].reverse().filter(([name]) => name !== 'all').map(([name, n]) => [n, name]));

/** The name iptables-save prints for a protocol number: /etc/protocols' (58 is ipv6-icmp). */
export function savedProtocolName(n: number): string | undefined {
  return n === 0 ? 'all' : SAVED_NAMES[n] ?? NAME_OF_NUMBER.get(n);
}

const SAVED_NAMES: Record<number, string> = { 58: 'ipv6-icmp', 135: 'mobility-header' };

/** The usual name of a protocol number (6 is tcp). */
export function protocolName(n: number): string | undefined {
  return NAME_OF_NUMBER.get(n);
}

/** The protocols worth offering first in completion, with what they are. */
export const COMMON_PROTOCOLS: readonly Named[] = [
  { name: 'tcp', doc: 'Transmission Control Protocol (6).' },
  { name: 'udp', doc: 'User Datagram Protocol (17).' },
  { name: 'icmp', doc: 'ICMP for IPv4 (1): ping, unreachable and time-exceeded messages.' },
  { name: 'ipv6-icmp', doc: 'ICMPv6 (58): ping, neighbour discovery and errors for IPv6.' },
  { name: 'all', doc: 'Any protocol (0); the same as leaving `-p` out.' },
  { name: 'sctp', doc: 'Stream Control Transmission Protocol (132).' },
  { name: 'gre', doc: 'Generic Routing Encapsulation (47), used by PPTP and tunnels.' },
  { name: 'esp', doc: 'IPsec Encapsulating Security Payload (50).' },
  { name: 'ah', doc: 'IPsec Authentication Header (51).' },
  { name: 'udplite', doc: 'UDP-Lite (136).' },
  { name: 'dccp', doc: 'Datagram Congestion Control Protocol (33).' },
];

export interface IcmpType {
  name: string;
  type: number;
  /** Omitted: any code of this type. */
  code?: number;
}

/** ICMP (IPv4) type names, in the order iptables searches them. */
export const ICMP_TYPES: readonly IcmpType[] = [
  { name: 'any', type: 255 },
  { name: 'echo-reply', type: 0 }, { name: 'pong', type: 0 },
  { name: 'destination-unreachable', type: 3 },
  { name: 'network-unreachable', type: 3, code: 0 }, { name: 'host-unreachable', type: 3, code: 1 },
  { name: 'protocol-unreachable', type: 3, code: 2 }, { name: 'port-unreachable', type: 3, code: 3 },
  { name: 'fragmentation-needed', type: 3, code: 4 }, { name: 'source-route-failed', type: 3, code: 5 },
  { name: 'network-unknown', type: 3, code: 6 }, { name: 'host-unknown', type: 3, code: 7 },
  { name: 'network-prohibited', type: 3, code: 9 }, { name: 'host-prohibited', type: 3, code: 10 },
  { name: 'TOS-network-unreachable', type: 3, code: 11 }, { name: 'TOS-host-unreachable', type: 3, code: 12 },
  { name: 'communication-prohibited', type: 3, code: 13 },
  { name: 'host-precedence-violation', type: 3, code: 14 }, { name: 'precedence-cutoff', type: 3, code: 15 },
  { name: 'source-quench', type: 4 },
  { name: 'redirect', type: 5 },
  { name: 'network-redirect', type: 5, code: 0 }, { name: 'host-redirect', type: 5, code: 1 },
  { name: 'TOS-network-redirect', type: 5, code: 2 }, { name: 'TOS-host-redirect', type: 5, code: 3 },
  { name: 'echo-request', type: 8 }, { name: 'ping', type: 8 },
  { name: 'router-advertisement', type: 9 }, { name: 'router-solicitation', type: 10 },
  { name: 'time-exceeded', type: 11 }, { name: 'ttl-exceeded', type: 11 },
  { name: 'ttl-zero-during-transit', type: 11, code: 0 }, { name: 'ttl-zero-during-reassembly', type: 11, code: 1 },
  { name: 'parameter-problem', type: 12 },
  { name: 'ip-header-bad', type: 12, code: 0 }, { name: 'required-option-missing', type: 12, code: 1 },
  { name: 'timestamp-request', type: 13 }, { name: 'timestamp-reply', type: 14 },
  { name: 'address-mask-request', type: 17 }, { name: 'address-mask-reply', type: 18 },
];

/** ICMPv6 type names, in the order ip6tables searches them. */
export const ICMPV6_TYPES: readonly IcmpType[] = [
  { name: 'destination-unreachable', type: 1 },
  { name: 'no-route', type: 1, code: 0 }, { name: 'communication-prohibited', type: 1, code: 1 },
  { name: 'beyond-scope', type: 1, code: 2 }, { name: 'address-unreachable', type: 1, code: 3 },
  { name: 'port-unreachable', type: 1, code: 4 }, { name: 'failed-policy', type: 1, code: 5 },
  { name: 'reject-route', type: 1, code: 6 },
  { name: 'packet-too-big', type: 2 },
  { name: 'time-exceeded', type: 3 }, { name: 'ttl-exceeded', type: 3 },
  { name: 'ttl-zero-during-transit', type: 3, code: 0 }, { name: 'ttl-zero-during-reassembly', type: 3, code: 1 },
  { name: 'parameter-problem', type: 4 },
  { name: 'bad-header', type: 4, code: 0 }, { name: 'unknown-header-type', type: 4, code: 1 },
  { name: 'unknown-option', type: 4, code: 2 },
  { name: 'echo-request', type: 128 }, { name: 'ping', type: 128 },
  { name: 'echo-reply', type: 129 }, { name: 'pong', type: 129 },
  { name: 'mld-listener-query', type: 130 }, { name: 'mld-listener-report', type: 131 },
  { name: 'mld-listener-done', type: 132 }, { name: 'mld-listener-reduction', type: 132 },
  { name: 'router-solicitation', type: 133 }, { name: 'router-advertisement', type: 134 },
  { name: 'neighbour-solicitation', type: 135 }, { name: 'neighbor-solicitation', type: 135 },
  { name: 'neighbour-advertisement', type: 136 }, { name: 'neighbor-advertisement', type: 136 },
  { name: 'redirect', type: 137 },
];

/** Mobility Header types (RFC 6275) by the names and short forms ip6tables accepts; a name may be abbreviated. */
export const MH_TYPES: readonly { name: string; alias: string; type: number }[] = [
  { name: 'binding-refresh-request', alias: 'brr', type: 0 }, { name: 'home-test-init', alias: 'hoti', type: 1 },
  { name: 'careof-test-init', alias: 'coti', type: 2 }, { name: 'home-test', alias: 'hot', type: 3 },
  { name: 'careof-test', alias: 'cot', type: 4 }, { name: 'binding-update', alias: 'bu', type: 5 },
  { name: 'binding-acknowledgement', alias: 'ba', type: 6 }, { name: 'binding-error', alias: 'be', type: 7 },
];

export interface CtState extends Named {
  /** Place in the list iptables-save prints (libxt_conntrack's print_state), which is not this order. */
  saveOrder: number;
}

/** A packet is in exactly one of these; `-m state` knows only them. */
const PACKET_STATES = [
  { name: 'NEW', saveOrder: 1, doc: 'The first packet of a connection the kernel has not seen before (for TCP, usually a SYN).' },
  { name: 'ESTABLISHED', saveOrder: 3, doc: 'A packet of a connection that has already seen traffic in both directions.' },
  { name: 'RELATED', saveOrder: 2, doc: 'A new connection that belongs to an existing one, such as an ICMP error about it or an FTP data channel found by a helper.' },
  { name: 'INVALID', saveOrder: 0, doc: 'A packet conntrack could not place: for example a TCP packet that fits no known connection or a malformed header.' },
  { name: 'UNTRACKED', saveOrder: 4, doc: 'A packet exempted from tracking in the raw table (`-j CT --notrack`).' },
] as const satisfies readonly CtState[];

export const CT_STATES: readonly CtState[] = [
  ...PACKET_STATES,
  { name: 'SNAT', saveOrder: 5, doc: 'The connection\'s source address was translated (conntrack only).' },
  { name: 'DNAT', saveOrder: 6, doc: 'The connection\'s destination address was translated (conntrack only).' },
];

export type StateName = (typeof PACKET_STATES)[number]['name'];

export const STATE_NAMES: readonly StateName[] = PACKET_STATES.map((s) => s.name);

export const CT_STATUSES: readonly Named[] = [
  { name: 'NONE', doc: 'None of the other flags.' },
  { name: 'EXPECTED', doc: 'The connection was announced in advance by a helper.' },
  { name: 'SEEN_REPLY', doc: 'Packets have been seen in both directions.' },
  { name: 'ASSURED', doc: 'The connection is established enough that it will not be evicted early.' },
  { name: 'CONFIRMED', doc: 'The first packet has left the box and the entry is in the table.' },
];

export interface TcpFlag {
  name: string;
  /** Its bits in the TCP header's flags byte. */
  bits: number;
}

/** The words `--tcp-flags` takes. */
export const TCP_FLAGS: readonly (Named & TcpFlag)[] = [
  { name: 'SYN', bits: 0x02, doc: 'Synchronise: opens a connection.' },
  { name: 'ACK', bits: 0x10, doc: 'Acknowledgement field is valid.' },
  { name: 'FIN', bits: 0x01, doc: 'The sender has finished sending.' },
  { name: 'RST', bits: 0x04, doc: 'Reset: aborts the connection.' },
  { name: 'URG', bits: 0x20, doc: 'Urgent pointer is valid.' },
  { name: 'PSH', bits: 0x08, doc: 'Push the data to the application now.' },
  { name: 'ALL', bits: 0x3f, doc: 'All six flags.' },
  { name: 'NONE', bits: 0x00, doc: 'No flag.' },
];

/** The ECN flags (RFC 3168): `--tcp-flags` cannot name them, `-m ecn` tests them. */
const TCP_ECN_FLAGS: readonly TcpFlag[] = [
  { name: 'ECE', bits: 0x40 },
  { name: 'CWR', bits: 0x80 },
];

/** Each flag of the TCP header (not ALL or NONE), in bit order. */
export const TCP_HEADER_FLAGS: readonly TcpFlag[] = [...TCP_FLAGS, ...TCP_ECN_FLAGS]
  .filter((f) => f.bits !== 0 && (f.bits & (f.bits - 1)) === 0)
  .sort((a, b) => a.bits - b.bits);

export interface LogLevel extends Named {
  level: number;
}

function logLevel(name: string, level: number, note = ''): LogLevel {
  return { name, level, doc: `Level ${level}${note}.` };
}

/** The syslog level names iptables accepts for `--log-level`. */
export const LOG_LEVELS: readonly LogLevel[] = [
  logLevel('emerg', 0), logLevel('alert', 1), logLevel('crit', 2), logLevel('error', 3, ' (old name)'),
  logLevel('warning', 4, ' (the default)'), logLevel('notice', 5), logLevel('info', 6), logLevel('debug', 7),
  logLevel('panic', 0, ' (old name)'),
];

/** REJECT's answers for IPv4: the name, then its short alias, then nft's words for it (none: the default). */
export const REJECT_TYPES_V4: readonly (Named & { alias: string; nft: string })[] = [
  { name: 'icmp-net-unreachable', alias: 'net-unreach', nft: 'icmp type net-unreachable', doc: 'ICMP network unreachable.' },
  { name: 'icmp-host-unreachable', alias: 'host-unreach', nft: 'icmp type host-unreachable', doc: 'ICMP host unreachable.' },
  { name: 'icmp-proto-unreachable', alias: 'proto-unreach', nft: 'icmp type prot-unreachable', doc: 'ICMP protocol unreachable.' },
  { name: 'icmp-port-unreachable', alias: 'port-unreach', nft: '', doc: 'ICMP port unreachable; the default.' },
  { name: 'icmp-net-prohibited', alias: 'net-prohib', nft: 'icmp type net-prohibited', doc: 'ICMP network administratively prohibited.' },
  { name: 'icmp-host-prohibited', alias: 'host-prohib', nft: 'icmp type host-prohibited', doc: 'ICMP host administratively prohibited.' },
  { name: 'tcp-reset', alias: 'tcp-rst', nft: 'tcp reset', doc: 'A TCP RST, as a closed port would answer; needs `-p tcp`.' },
  { name: 'icmp-admin-prohibited', alias: 'admin-prohib', nft: 'icmp type admin-prohibited', doc: 'ICMP communication administratively prohibited.' },
];

export const REJECT_TYPES_V6: readonly (Named & { alias: string; nft: string })[] = [
  { name: 'icmp6-no-route', alias: 'no-route', nft: 'icmpv6 type no-route', doc: 'ICMPv6 no route to destination.' },
  { name: 'icmp6-adm-prohibited', alias: 'adm-prohibited', nft: 'icmpv6 type admin-prohibited', doc: 'ICMPv6 administratively prohibited.' },
  { name: 'icmp6-addr-unreachable', alias: 'addr-unreach', nft: 'icmpv6 type addr-unreachable', doc: 'ICMPv6 address unreachable.' },
  { name: 'icmp6-port-unreachable', alias: 'port-unreach', nft: '', doc: 'ICMPv6 port unreachable; the default.' },
  { name: 'tcp-reset', alias: 'tcp-reset', nft: 'tcp reset', doc: 'A TCP RST; needs `-p tcp`.' },
  { name: 'icmp6-policy-fail', alias: 'policy-fail', nft: 'icmpv6 type policy-fail', doc: 'ICMPv6 source address failed ingress/egress policy.' },
  { name: 'icmp6-reject-route', alias: 'reject-route', nft: 'icmpv6 type reject-route', doc: 'ICMPv6 reject route to destination.' },
];

/** DSCP class names and their code points. */
export const DSCP_CLASSES: ReadonlyMap<string, number> = new Map([
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28],
  ['CS6', 0x30], ['CS7', 0x38], ['BE', 0x00], ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e],
  ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16], ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e],
  ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26], ['EF', 0x2e],
]);

/** Symbolic TOS values (RFC 1349). */
export const TOS_NAMES: ReadonlyMap<string, number> = new Map([
  ['Minimize-Delay', 0x10], ['Maximize-Throughput', 0x08], ['Maximize-Reliability', 0x04],
  ['Minimize-Cost', 0x02], ['Normal-Service', 0x00],
]);

export const ADDRESS_TYPES: readonly Named[] = [
  { name: 'UNSPEC', doc: 'An unspecified address (0.0.0.0).' },
  { name: 'UNICAST', doc: 'An ordinary unicast address.' },
  { name: 'LOCAL', doc: 'An address of this host.' },
  { name: 'BROADCAST', doc: 'A broadcast address.' },
  { name: 'ANYCAST', doc: 'An anycast address.' },
  { name: 'MULTICAST', doc: 'A multicast address.' },
  { name: 'BLACKHOLE', doc: 'An address routed to a blackhole route.' },
  { name: 'UNREACHABLE', doc: 'An address with an unreachable route.' },
  { name: 'PROHIBIT', doc: 'An address with a prohibit route.' },
  { name: 'THROW', doc: 'An address with a throw route.' },
  { name: 'NAT', doc: 'An address marked for NAT in the routing table.' },
  { name: 'XRESOLVE', doc: 'An address resolved externally.' },
];

export const PACKET_TYPES: readonly (Named & { sameAs?: string })[] = [
  { name: 'unicast', doc: 'Addressed to this host\'s link-layer address.' },
  { name: 'broadcast', doc: 'Link-layer broadcast.' },
  { name: 'multicast', doc: 'Link-layer multicast.' },
  { name: 'host', sameAs: 'unicast', doc: 'Same as unicast.' },
  { name: 'bcast', sameAs: 'broadcast', doc: 'Same as broadcast.' },
  { name: 'mcast', sameAs: 'multicast', doc: 'Same as multicast.' },
  { name: 'otherhost', doc: 'Addressed to another host (seen in promiscuous mode or on a bridge).' },
];

export const WEEKDAYS: readonly string[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** SCTP chunk types by name, as the sctp match spells them (RFC 9260 and extensions). */
export const SCTP_CHUNK_TYPES: ReadonlyMap<string, number> = new Map([
  ['DATA', 0], ['INIT', 1], ['INIT_ACK', 2], ['SACK', 3], ['HEARTBEAT', 4], ['HEARTBEAT_ACK', 5],
  ['ABORT', 6], ['SHUTDOWN', 7], ['SHUTDOWN_ACK', 8], ['ERROR', 9], ['COOKIE_ECHO', 10],
  ['COOKIE_ACK', 11], ['ECN_ECNE', 12], ['ECN_CWR', 13], ['SHUTDOWN_COMPLETE', 14], ['I_DATA', 64],
  ['RE_CONFIG', 130], ['PAD', 132], ['ASCONF', 193], ['ASCONF_ACK', 128], ['FORWARD_TSN', 192],
  ['I_FORWARD_TSN', 194],
]);
