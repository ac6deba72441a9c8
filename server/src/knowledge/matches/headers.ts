// Match extensions that look at protocol headers and packet content.
// Facts checked against iptables 1.8.11 sources and tests, iptables 1.8.9 and
// a Linux 6.18 kernel; the descriptions are ours.
import { ECN_CODEPOINTS } from '../nftables';
import type { ExtensionSpec, OptionSpec } from '../schema';

const UINT8 = { kind: 'uint', max: 255 } as const;
const UINT16 = { kind: 'uint', max: 65535 } as const;
const UINT32 = { kind: 'uint', max: 4294967295 } as const;
const UINT16_RANGE = { kind: 'uintRange', max: 65535 } as const;
const UINT32_RANGE = { kind: 'uintRange', max: 4294967295 } as const;

/**
 * `--sport`/`--dport` as tcp, udp, sctp and dccp spell them. tcp and udp
 * keep no flag for a port test: one over every port is not saved at all.
 */
function portOptions(proto: string, fullRangeSaved: boolean) {
  const omitWhen = fullRangeSaved ? undefined : '0:65535';
  return [
    { name: 'source-port', aliases: ['sport'], value: 'portRange', invert: true, save: { name: 'sport', omitWhen },
      nft: { expr: `${proto.toLowerCase()} sport` },
      doc: `Source ${proto} port or range \`from:to\`; an omitted end means 0 or 65535, as in \`1024:\`.` },
    { name: 'destination-port', aliases: ['dport'], value: 'portRange', invert: true, save: { name: 'dport', omitWhen },
      nft: { expr: `${proto.toLowerCase()} dport` },
      doc: `Destination ${proto} port or range, such as \`53\` or \`8000:8080\`.` },
  ] as const satisfies readonly OptionSpec[];
}

/** DCCP packet types in number order (0-9); INVALID stands for the unassigned ones. */
export const DCCP_TYPES = [
  'REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK', 'INVALID',
];

/** ipv6header --header: iptables' own names, numbers, and the /etc/protocols names (Debian netbase). */
const IPV6_HEADERS = [
  'hop-by-hop', 'hop', 'dst', 'route', 'frag', 'auth', 'esp', 'none', 'prot', 'protocol',
  'hopopt', 'ip', 'ipv6-opts', 'ipv6-route', 'ipv6-frag', 'ah', 'ipv6-nonxt',
  '0', '60', '43', '44', '51', '50', '59', '255',
];

/** srh compares three header fields each with -eq, -gt and -lt. */
function srhCompare<F extends string>(field: F, what: string) {
  return (['eq', 'gt', 'lt'] as const).map((op) => ({
    name: `srh-${field}-${op}` as const,
    value: UINT8,
    invert: true,
    doc: `${what} is ${op === 'eq' ? 'equal to' : op === 'gt' ? 'greater than' : 'less than'} this number (0-255).`
      + (op === 'eq' ? '' : ' The -eq, -gt and -lt forms share one stored value, so combining two of them compares both against the last one given.'),
  }) satisfies OptionSpec);
}

export const HEADER_MATCHES = [
  // ---- transport protocols ------------------------------------------------
  {
    name: 'tcp',
    kind: 'match',
    saveOrder: ['source-port', 'destination-port', 'tcp-option', 'tcp-flags'],
    complete: true,
    protocols: ['tcp'],
    doc: 'Matches fields of the TCP header: ports, flags and options. `-p tcp` loads it by itself as soon as one of its options follows.',
    options: [
      ...portOptions('TCP', false),
      { name: 'tcp-flags', value: 'tcpFlagList', second: 'tcpFlagList', invert: true, excludes: ['syn'],
        nft: { form: 'tcpFlags' },
        doc: 'Takes two lists: the flags to examine, and those of them that must be set (the rest must be clear). `SYN,ACK,FIN,RST SYN` is a plain connection request.' },
      { name: 'syn', save: { storedAs: [{ option: 'tcp-flags', values: ['FIN,SYN,RST,ACK', 'SYN'] }] }, invert: true, excludes: ['tcp-flags'],
        nft: { expr: 'tcp flags & (fin|syn|rst|ack)', value: 'syn' },
        doc: 'Shorthand for `--tcp-flags FIN,SYN,RST,ACK SYN`: a segment that opens a connection. `! --syn` matches every other segment.' },
      { name: 'tcp-option', value: { kind: 'uint', min: 1, max: 255 }, invert: true,
        nft: { expr: 'tcp option', presence: true },
        doc: 'The segment carries the TCP option with this kind number, for example `2` (MSS).' },
    ],
  },
  {
    name: 'udp',
    kind: 'match',
    complete: true,
    protocols: ['udp'],
    doc: 'Matches UDP source and destination ports. `-p udp` loads it by itself; UDP-Lite has no port match of its own (use `multiport`).',
    options: portOptions('UDP', false),
  },
  {
    name: 'sctp',
    kind: 'match',
    complete: true,
    protocols: ['sctp'],
    doc: 'Matches SCTP ports and the chunk types a packet carries.',
    options: [
      ...portOptions('SCTP', true),
      { name: 'chunk-types', value: { kind: 'enum', values: ['all', 'any', 'only'], ignoreCase: true }, second: { kind: 'string' }, invert: true,
        nft: { none: 'not translated: nft tests one chunk at a time (`sctp chunk init exists`), and the all/any/only lists with chunk flags would have to be spelled out chunk by chunk' },
        doc: 'First word says how to compare (`all`, `any` or `only` of the listed chunks present), then a comma list of chunk names such as `INIT,INIT_ACK`, or `ALL`/`NONE`. A chunk may carry flags after a colon, upper case for set and lower case for clear: `DATA:Be`.' },
    ],
  },
  {
    name: 'dccp',
    kind: 'match',
    protocols: ['dccp'],
    doc: 'Matches DCCP ports, packet types and options.',
    options: [
      ...portOptions('DCCP', true),
      { name: 'dccp-types', save: { form: 'sorted' }, value: { kind: 'enumList', values: DCCP_TYPES, ignoreCase: true }, invert: true,
        nft: { expr: 'dccp type', words: { request: 'request', response: 'response', data: 'data', ack: 'ack', dataack: 'dataack', closereq: 'closereq', close: 'close', reset: 'reset', sync: 'sync', syncack: 'syncack', invalid: '10-15' } },
        doc: 'The packet type is one of this comma list, for example `REQUEST,RESPONSE`. `INVALID` also covers the unassigned types.' },
      { name: 'dccp-option', value: { kind: 'uint', min: 1, max: 255 }, invert: true,
        nft: { none: 'nft 1.0.6 cannot test DCCP options' },
        doc: 'The packet carries the DCCP option with this number.' },
    ],
  },
  {
    name: 'icmp',
    kind: 'match',
    family: 'ipv4',
    complete: true,
    protocols: ['icmp'],
    doc: 'Matches the ICMP message type and code. `-p icmp` loads it by itself when `--icmp-type` follows.',
    options: [
      { name: 'icmp-type', value: 'icmpType', mandatory: true, invert: true,
        nft: { form: 'icmpType' },
        doc: 'A type name such as `echo-request` or `port-unreachable`, a number, or `type/code` such as `3/4`. `any` matches every type.' },
    ],
  },
  {
    name: 'icmp6',
    kind: 'match',
    family: 'ipv6',
    complete: true,
    protocols: ['ipv6-icmp', 'icmpv6'],
    doc: 'Matches the ICMPv6 message type and code. ip6tables also accepts `-m icmpv6` and `-m ipv6-icmp` for it and saves it as `icmp6`.',
    options: [
      { name: 'icmpv6-type', value: 'icmpv6Type', mandatory: true, invert: true,
        nft: { form: 'icmpType' },
        doc: 'A type name such as `echo-request` or `neighbour-solicitation`, a number, or `type/code` such as `1/4`.' },
    ],
  },
  {
    name: 'multiport',
    kind: 'match',
    complete: true,
    protocols: ['tcp', 'udp', 'udplite', 'sctp', 'dccp'],
    needsAnOption: true,
    nft: { form: 'multiport' },
    doc: 'Matches a list of up to 15 ports or ranges in one rule. The `-p` must come before `-m multiport` in the rule, and only one of its three options can be used.',
    options: [
      { name: 'source-ports', save: { name: 'sports' }, aliases: ['sports'], value: 'portList', invert: true, excludes: ['destination-ports', 'ports'],
        doc: 'Source port is in the list, such as `53,123,5000:5010` (a range counts as two ports and its start must be below its end).' },
      { name: 'destination-ports', save: { name: 'dports' }, aliases: ['dports'], value: 'portList', invert: true, excludes: ['source-ports', 'ports'],
        doc: 'Destination port is in the list, such as `22,80,443`.' },
      { name: 'ports', value: 'portList', invert: true, excludes: ['source-ports', 'destination-ports'],
        doc: 'Either the source or the destination port is in the list.' },
    ],
  },

  // ---- IPsec and compression ----------------------------------------------
  {
    name: 'esp',
    kind: 'match',
    complete: true,
    protocols: ['esp'],
    doc: 'Matches the Security Parameters Index of IPsec ESP packets.',
    options: [
      { name: 'espspi', save: { omitWhen: '0:4294967295' }, value: UINT32_RANGE, invert: true,
        nft: { expr: 'esp spi' },
        doc: 'SPI or range `from:to`, 32-bit, for example `0x100:0x1ff`.' },
    ],
  },
  {
    name: 'ah',
    kind: 'match',
    family: 'ipv4',
    complete: true,
    protocols: ['ah'],
    doc: 'Matches the Security Parameters Index of IPsec AH packets; needs `-p ah`.',
    options: [
      { name: 'ahspi', save: { omitWhen: '0:4294967295' }, value: UINT32_RANGE, invert: true,
        nft: { expr: 'ah spi' },
        doc: 'SPI or range `from:to`, 32-bit.' },
    ],
  },
  {
    name: 'ah',
    kind: 'match',
    family: 'ipv6',
    complete: true,
    nft: { none: 'nft reads AH only as the last header of a packet (`meta l4proto ah`), and in IPv6 the transport header comes after it; its exthdr expression does not know AH' },
    doc: 'Matches the IPsec Authentication Header among the IPv6 extension headers, whatever the final protocol; no `-p` needed.',
    options: [
      { name: 'ahspi', save: { omitWhen: '0:4294967295' }, value: UINT32_RANGE, invert: true,
        nft: { expr: 'ah spi' },
        doc: 'SPI or range `from:to`, 32-bit.' },
      { name: 'ahlen', save: { omitWhen: '0' }, value: UINT32, invert: true,
        nft: { expr: 'ah hdrlength', bytes: { unit: 4, less: 2 } },
        doc: 'The whole header\'s length in bytes (16 for an AH with a 4-byte ICV), not its length field.' },
      { name: 'ahres', nft: { expr: 'ah reserved', value: '0' }, doc: 'The reserved field is zero.' },
    ],
  },
  {
    name: 'ipcomp',
    kind: 'match',
    protocols: ['ipcomp'],
    doc: 'Matches IP payload compression (IPComp) packets by their Compression Parameter Index.',
    options: [
      { name: 'ipcompspi', save: { omitWhen: '0:4294967295' }, value: UINT32_RANGE, invert: true,
        nft: { expr: 'comp cpi', max: 65535 },
        doc: 'CPI or range `from:to`; the header field is 16-bit, stored as a 32-bit number.' },
      { name: 'compres', nft: { expr: 'comp flags', value: '0' }, doc: 'The reserved field is zero.' },
    ],
  },

  // ---- IPv6 extension headers --------------------------------------------
  {
    name: 'mh',
    kind: 'match',
    family: 'ipv6',
    protocols: ['mh', 'ipv6-mh', 'mobility-header'],
    doc: 'Matches the Mobile IPv6 Mobility Header type.',
    options: [
      { name: 'mh-type', save: { omitWhen: '0:255' }, value: { kind: 'string', minLength: 1 }, invert: true,
        nft: { form: 'mhType' },
        doc: 'A type or range `from:to`, by number (0-255) or name such as `binding-update` (`bu`) or `binding-acknowledgement` (`ba`); a name may be abbreviated.' },
    ],
  },
  {
    name: 'rt',
    kind: 'match',
    family: 'ipv6',
    complete: true,
    nft: { alone: 'exthdr rt exists' },
    doc: 'Matches packets that carry an IPv6 Routing Header, optionally by its type, length and segments left.',
    options: [
      { name: 'rt-type', value: UINT32, invert: true,
        nft: { expr: 'rt type' },
        doc: 'Routing type, for example `2` for Mobile IPv6 or `4` for segment routing.' },
      { name: 'rt-segsleft', save: { omitWhen: '0:4294967295' }, value: UINT32_RANGE, invert: true,
        nft: { expr: 'rt seg-left', max: 255 },
        doc: 'Segments Left value or range `from:to`.' },
      { name: 'rt-len', value: UINT32, invert: true,
        nft: { expr: 'rt hdrlength', bytes: { unit: 8, less: 1 } },
        doc: 'The whole header\'s length in bytes (8 + 16 per address for type 0), not its Hdr Ext Len field.' },
      { name: 'rt-0-res', requires: ['rt-type'],
        nft: { none: 'nft reads the addresses of a type 0 routing header by index only, and not its reserved field' },
        doc: 'Type 0 only: the reserved field is zero. Needs `--rt-type 0` earlier in the rule.' },
      { name: 'rt-0-addrs', value: 'addressList', requires: ['rt-type'],
        nft: { none: 'nft reads the addresses of a type 0 routing header by index only, not as a list to find' },
        doc: 'Type 0 only: up to 16 numeric IPv6 addresses, comma-separated, that must appear in the header. Needs `--rt-type 0` earlier in the rule.' },
      { name: 'rt-0-not-strict', requires: ['rt-0-addrs'],
        nft: { none: 'nft reads the addresses of a type 0 routing header by index only, not as a list to find' },
        doc: 'With `--rt-0-addrs`: the addresses need only appear somewhere in the header, in the given order, instead of being its first entries.' },
    ],
  },
  {
    name: 'frag',
    kind: 'match',
    family: 'ipv6',
    complete: true,
    nft: { alone: 'exthdr frag exists' },
    doc: 'Matches packets that carry an IPv6 Fragment header, by identification and fragment position.',
    options: [
      { name: 'fragid', save: { omitWhen: '0:4294967295' }, value: UINT32_RANGE, invert: true,
        nft: { expr: 'frag id' },
        doc: 'Fragment identification or range `from:to`.' },
      { name: 'fraglen', value: UINT32, invert: true,
        nft: { note: 'the kernel ignores it' },
        doc: 'Header length; current kernels ignore it.' },
      { name: 'fragres', nft: { expr: 'frag reserved 0 frag reserved2', value: '0' }, doc: 'The reserved fields are zero.' },
      { name: 'fragfirst', nft: { expr: 'frag frag-off', value: '0' }, doc: 'Only the first fragment (offset zero).' },
      { name: 'fragmore', excludes: ['fraglast'], nft: { expr: 'frag more-fragments', value: '1' }, doc: 'More fragments follow this one (M flag set).' },
      { name: 'fraglast', excludes: ['fragmore'], nft: { expr: 'frag more-fragments', value: '0' }, doc: 'The last fragment (M flag clear).' },
    ],
  },
  {
    name: 'hbh',
    kind: 'match',
    family: 'ipv6',
    nft: { alone: 'exthdr hbh exists' },
    doc: 'Matches packets that carry an IPv6 Hop-by-Hop Options header, optionally by its length and options.',
    options: [
      { name: 'hbh-len', value: UINT32, invert: true,
        nft: { expr: 'hbh hdrlength', bytes: { unit: 8, less: 1 } },
        doc: 'The whole header\'s length in bytes (8, 16, 24...), not its Hdr Ext Len field.' },
      { name: 'hbh-opts', value: { kind: 'string', minLength: 1 },
        nft: { none: 'nft reads the options of this header only at fixed offsets, not as a list that must appear in order' },
        doc: 'Up to 16 options as `type[:length]`, comma-separated, that must open the header in this order, padding included (Pad1 is 0, PadN 1), for example `5:2,1:0`.' },
    ],
  },
  {
    name: 'dst',
    kind: 'match',
    family: 'ipv6',
    nft: { alone: 'exthdr dst exists' },
    doc: 'Matches packets that carry an IPv6 Destination Options header, optionally by its length and options.',
    options: [
      { name: 'dst-len', value: UINT32, invert: true,
        nft: { expr: 'dst hdrlength', bytes: { unit: 8, less: 1 } },
        doc: 'The whole header\'s length in bytes (8, 16, 24...), not its Hdr Ext Len field.' },
      { name: 'dst-opts', value: { kind: 'string', minLength: 1 },
        nft: { none: 'nft reads the options of this header only at fixed offsets, not as a list that must appear in order' },
        doc: 'Up to 16 options as `type[:length]`, comma-separated, that must open the header in this order, padding included (Pad1 is 0, PadN 1), for example `201:16`.' },
    ],
  },
  {
    name: 'ipv6header',
    kind: 'match',
    family: 'ipv6',
    nft: { form: 'ipv6header' },
    doc: 'Matches on which IPv6 extension headers a packet carries. Without `--soft` the packet must have exactly the listed set.',
    options: [
      { name: 'header', value: { kind: 'enumList', values: IPV6_HEADERS }, mandatory: true, invert: true,
        doc: 'Comma list of headers: `hop`, `dst`, `route`, `frag`, `auth`, `esp`, `none` or `prot` (any upper-layer protocol), or their protocol names or numbers.' },
      { name: 'soft', doc: 'Matches when the packet has at least the listed headers, others allowed.' },
    ],
  },
  {
    name: 'srh',
    kind: 'match',
    family: 'ipv6',
    nft: { none: 'nft reads some fields of the segment routing header (`srh tag`, `srh last-entry`, a segment by its index), not the previous, next and last segment ids this match compares; not translated' },
    doc: 'Matches fields of the IPv6 Segment Routing Header (routing type 4).',
    options: [
      { name: 'srh-next-hdr', value: UINT8, invert: true,
        doc: 'Next Header number after the SRH, for example `17` for UDP.' },
      ...srhCompare('hdr-len', 'Header length field'),
      ...srhCompare('segs-left', 'Segments Left'),
      ...srhCompare('last-entry', 'Last Entry index'),
      { name: 'srh-tag', value: UINT16, invert: true, doc: 'Tag field (0-65535).' },
      { name: 'srh-psid', save: { form: 'cidr' }, value: 'hostMask', invert: true, doc: 'Previous segment ID in the list, `address[/mask]`.' },
      { name: 'srh-nsid', save: { form: 'cidr' }, value: 'hostMask', invert: true, doc: 'Next segment ID in the list, `address[/mask]`.' },
      { name: 'srh-lsid', save: { form: 'cidr' }, value: 'hostMask', invert: true, doc: 'Last segment ID in the list, `address[/mask]`.' },
    ],
  },
  {
    name: 'eui64',
    kind: 'match',
    family: 'ipv6',
    hooks: ['PREROUTING', 'INPUT', 'FORWARD'],
    nft: { none: 'nft cannot compare the interface id of the source address with the MAC address of the frame' },
    doc: 'Checks that the interface identifier of an autoconfigured source address was derived from the sender\'s MAC address. Needs an Ethernet header, so only incoming packets.',
    options: [],
  },

  // ---- IP header fields --------------------------------------------------
  {
    name: 'ttl',
    kind: 'match',
    family: 'ipv4',
    complete: true,
    needsOneOf: ['ttl-eq', 'ttl-lt', 'ttl-gt'],
    doc: 'Compares the IPv4 time-to-live field. Exactly one of its options is allowed.',
    options: [
      { name: 'ttl-eq', aliases: ['ttl'], value: UINT8, invert: true, excludes: ['ttl-lt', 'ttl-gt'],
        nft: { expr: 'ip ttl' },
        doc: 'TTL equals this value; `! --ttl-eq` is "not equal".' },
      { name: 'ttl-lt', value: UINT8, excludes: ['ttl-eq', 'ttl-gt'],
        nft: { expr: 'ip ttl', op: '<' },
        doc: 'TTL is less than this value. Cannot be negated: write the opposite test, `--ttl-gt 4` for "not below 5".' },
      { name: 'ttl-gt', value: UINT8, excludes: ['ttl-eq', 'ttl-lt'],
        nft: { expr: 'ip ttl', op: '>' },
        doc: 'TTL is greater than this value. Cannot be negated: write the opposite test, `--ttl-lt 6` for "not above 5".' },
    ],
  },
  {
    name: 'hl',
    kind: 'match',
    family: 'ipv6',
    complete: true,
    needsOneOf: ['hl-eq', 'hl-lt', 'hl-gt'],
    doc: 'Compares the IPv6 hop limit field. Exactly one of its options is allowed.',
    options: [
      { name: 'hl-eq', aliases: ['hl'], value: UINT8, invert: true, excludes: ['hl-lt', 'hl-gt'],
        nft: { expr: 'ip6 hoplimit' },
        doc: 'Hop limit equals this value; `! --hl-eq` is "not equal". Neighbour discovery packets use `255`.' },
      { name: 'hl-lt', value: UINT8, excludes: ['hl-eq', 'hl-gt'],
        nft: { expr: 'ip6 hoplimit', op: '<' },
        doc: 'Hop limit is less than this value. Cannot be negated.' },
      { name: 'hl-gt', value: UINT8, excludes: ['hl-eq', 'hl-lt'],
        nft: { expr: 'ip6 hoplimit', op: '>' },
        doc: 'Hop limit is greater than this value. Cannot be negated.' },
    ],
  },
  {
    name: 'length',
    kind: 'match',
    complete: true,
    doc: 'Matches the length of the packet at layer 3: the whole IPv4 packet, or the IPv6 payload plus its header.',
    options: [
      { name: 'length', value: UINT16_RANGE, mandatory: true, invert: true,
        nft: { expr: 'meta length' },
        doc: 'Length in bytes or range `from:to`, for example `0:128` for small packets.' },
    ],
  },
  {
    name: 'tos',
    kind: 'match',
    complete: true,
    doc: 'Matches the IPv4 TOS byte or IPv6 traffic class under a mask.',
    options: [
      { name: 'tos', value: 'tosMask', mandatory: true, invert: true,
        nft: { expr: { ipv4: '@nh,8,8', ipv6: '@nh,0,16' }, aligned: { ipv6: { shift: 4, width: 8 } } },
        doc: '`value[/mask]` such as `0x10/0x3f`, or a name like `Minimize-Delay` (then the mask is `0x3f`). Without a mask all 8 bits are compared.' },
    ],
  },
  {
    name: 'dscp',
    kind: 'match',
    complete: true,
    needsOneOf: ['dscp', 'dscp-class'],
    doc: 'Matches the 6-bit DSCP value of the IPv4 TOS byte or IPv6 traffic class.',
    options: [
      { name: 'dscp', save: { form: 'hex2' }, value: { kind: 'uint', max: 63 }, invert: true, excludes: ['dscp-class'],
        nft: { expr: { ipv4: 'ip dscp', ipv6: 'ip6 dscp' } },
        doc: 'DSCP number 0-63, decimal or hex, for example `0x2e` (EF).' },
      { name: 'dscp-class', save: { storedAs: [{ option: 'dscp' }] }, value: 'dscpClass', invert: true, excludes: ['dscp'],
        nft: { expr: { ipv4: 'ip dscp', ipv6: 'ip6 dscp' } },
        doc: 'DSCP class by name, such as `EF`, `AF41` or `CS1`; saved as its number.' },
    ],
  },
  {
    name: 'ecn',
    kind: 'match',
    saveOrder: ['ecn-tcp-ece', 'ecn-tcp-cwr', 'ecn-ip-ect'],
    needsAnOption: true,
    doc: 'Matches ECN bits: the two in the IP header, or the CWR and ECE flags of TCP. The TCP options need `-p tcp`; `--ecn-ip-ect` works for any protocol.',
    options: [
      { name: 'ecn-tcp-cwr', invert: true,
        nft: { expr: 'tcp flags', value: 'cwr' },
        doc: 'The TCP CWR (congestion window reduced) flag is set. Needs `-p tcp`.' },
      { name: 'ecn-tcp-ece', invert: true,
        nft: { expr: 'tcp flags', value: 'ecn' },
        doc: 'The TCP ECE (ECN echo) flag is set. Needs `-p tcp`.' },
      { name: 'ecn-ip-ect', value: { kind: 'uint', max: 3 }, invert: true,
        nft: { expr: { ipv4: 'ip ecn', ipv6: 'ip6 ecn' }, words: ECN_CODEPOINTS },
        doc: 'The ECN field of the IP header: `0` not ECN-capable, `1` or `2` ECN-capable, `3` congestion experienced.' },
    ],
  },
  {
    name: 'tcpmss',
    kind: 'match',
    complete: true,
    protocols: ['tcp'],
    doc: 'Matches the Maximum Segment Size option of TCP SYN and SYN/ACK segments.',
    options: [
      { name: 'mss', value: UINT16_RANGE, mandatory: true, invert: true,
        nft: { expr: 'tcp option maxseg size', notNegated: 'negated, iptables also matches a segment without an MSS option, and nft does not' },
        doc: 'MSS value or range `from:to`, for example `1400:1536`.' },
    ],
  },

  // ---- packet content ------------------------------------------------------
  {
    name: 'string',
    kind: 'match',
    saveOrder: ['string', 'hex-string', 'algo', 'from', 'to', 'icase'],
    complete: true,
    needsOneOf: ['string', 'hex-string'],
    nft: { none: 'nft has no expression that searches the payload for a pattern' },
    doc: 'Searches the packet for a byte pattern. It sees one packet at a time, so patterns split across packets are missed.',
    options: [
      { name: 'algo', value: { kind: 'enum', values: ['bm', 'kmp'] }, mandatory: true,
        doc: 'Search algorithm: `bm` (Boyer-Moore) or `kmp` (Knuth-Morris-Pratt). Required.' },
      { name: 'string', save: { form: 'pattern' }, value: { kind: 'string', minLength: 1, maxLength: 128 }, invert: true, excludes: ['hex-string'],
        doc: 'The text to find, at most 128 bytes, such as `"GET /admin"`.' },
      { name: 'hex-string', save: { form: 'pattern' }, value: 'hexString', invert: true, excludes: ['string'],
        doc: 'The pattern with bytes in hex between pipes, mixed with plain text: `"|16 03 01|"`. At most 128 bytes once decoded.' },
      { name: 'from', save: { omitWhen: '0' }, value: UINT16,
        doc: 'Offset in bytes from the start of the network header where the search begins (default 0).' },
      { name: 'to', save: { omitWhen: '65535' }, value: UINT16,
        doc: 'Offset where the search stops (default the end of the packet); must not be below `--from`.' },
      { name: 'icase', doc: 'Ignores letter case while searching.' },
    ],
  },
  {
    name: 'u32',
    kind: 'match',
    complete: true,
    nft: { none: 'nft reads header fields at fixed offsets (`@th,16,16`), not the computed offsets, header jumps and chains of tests of u32' },
    doc: 'Tests 32-bit words taken at offsets in the packet, with masks, shifts and header jumps. Handy for fields no other match reaches.',
    options: [
      { name: 'u32', save: { form: 'u32' }, value: 'u32', mandatory: true, invert: true,
        doc: 'One or more tests joined by `&&`, each `location=value[,value|from:to...]`; for example `0>>22&0x3C@0&0xFFFF=80` reads the destination port of an unfragmented IPv4 TCP or UDP packet.' },
    ],
  },
  {
    name: 'bpf',
    kind: 'match',
    needsOneOf: ['bytecode', 'object-pinned'],
    nft: { none: 'nft does not run classic BPF or eBPF programs in a rule' },
    doc: 'Runs a classic BPF program, or an eBPF program pinned in the BPF filesystem, against the packet; it matches when the program returns non-zero.',
    options: [
      { name: 'bytecode', save: { form: 'alwaysQuoted' }, value: 'bpf', excludes: ['object-pinned'],
        doc: 'The program as `count,code jt jf k,...` (at most 64 instructions), as printed by `nfbpf_compile`.' },
      { name: 'object-pinned', value: { kind: 'string', minLength: 1 }, excludes: ['bytecode'],
        doc: 'Path of a pinned eBPF socket-filter program, such as `/sys/fs/bpf/myprog`. It must exist when the rule is loaded.' },
    ],
  },
  {
    name: 'osf',
    kind: 'match',
    family: 'ipv4',
    protocols: ['tcp'],
    hooks: ['PREROUTING', 'INPUT', 'FORWARD'],
    nft: { form: 'osf' },
    doc: 'Passive OS fingerprinting: guesses the sender\'s operating system from its TCP SYN. Matches nothing until fingerprints are loaded into the kernel (`nfnl_osf`).',
    options: [
      { name: 'genre', value: { kind: 'string', minLength: 1 }, mandatory: true, invert: true,
        doc: 'Operating system family to match, such as `Linux` or `Windows`; only the first 31 characters are kept.' },
      { name: 'ttl', value: { kind: 'uint', max: 2 },
        doc: 'How to compare the TTL: `0` exactly (same LAN), `1` at most the fingerprint\'s value (remote hosts), `2` not at all.' },
      { name: 'log', value: { kind: 'uint', max: 2 },
        doc: 'Logs guesses to the kernel log: `0` every match or unknown, `1` only the first, `2` every known match.' },
    ],
  },
] as const satisfies readonly ExtensionSpec[];
