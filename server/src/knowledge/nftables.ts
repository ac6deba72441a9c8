// What iptables has built in, as nftables writes it: a family per address
// family, base chains for the built-in chains of each table, the verdicts, and
// the words nft reserves. Facts from nft 1.0.6 (Debian 12), its manual, and
// what the kernel accepts; the words are ours.
import type { Family, Hook, TableName } from './schema';
import { TABLES } from './tables';

/** The nft family of each address family. */
export const NFT_FAMILIES: Readonly<Record<Family, string>> = { ipv4: 'ip', ipv6: 'ip6' };

/** nft's names for the priorities of iptables' tables; nft accepts dstnat only in prerouting and srcnat only in postrouting. */
const PRIORITY_NAMES: ReadonlyMap<number, string> = new Map([[-300, 'raw'], [-150, 'mangle'], [0, 'filter'], [50, 'security']]);
const NAT_PRIORITY_NAMES: Partial<Record<Hook, string>> = { PREROUTING: 'dstnat', POSTROUTING: 'srcnat' };

export interface NftBaseChain {
  type: 'filter' | 'nat' | 'route';
  /** The hook in nft's spelling. */
  hook: string;
  /** The priority, by nft's name for it. */
  priority: string;
}

/**
 * The base chain that stands for a built-in chain. nat chains are of type
 * nat; mangle's OUTPUT is of type route, which routes a locally sent packet
 * again when a rule changed its mark or addresses, as iptables' mangle OUTPUT
 * does.
 */
export function nftBaseChain(table: TableName, hook: Hook): NftBaseChain | undefined {
  const priority = TABLES.find((t) => t.name === table)?.priority[hook];
  if (priority === undefined) return undefined;
  const type = table === 'nat' ? 'nat' : table === 'mangle' && hook === 'OUTPUT' ? 'route' : 'filter';
  const name = table === 'nat' ? NAT_PRIORITY_NAMES[hook] : PRIORITY_NAMES.get(priority);
  return { type, hook: hook.toLowerCase(), priority: name ?? String(priority) };
}

/** Protocol names nft knows without /etc/protocols; other protocols are written as numbers. */
export const NFT_PROTOCOL_NAMES: ReadonlySet<string> = new Set([
  'tcp', 'udp', 'icmp', 'icmpv6', 'ipv6-icmp', 'sctp', 'dccp', 'esp', 'ah', 'udplite', 'gre', 'igmp',
]);

/** The standard verdicts as nft statements (QUEUE is queue 0 of NFQUEUE). */
export const NFT_VERDICTS: Readonly<Record<string, string>> = {
  ACCEPT: 'accept', DROP: 'drop', RETURN: 'return', QUEUE: 'queue num 0',
};

/**
 * The words of nft 1.0.6's grammar (its parser's token names, lower case). A
 * chain cannot be named after one of them: nft reads the keyword instead, and
 * offers no way to quote a chain name.
 */
export const NFT_KEYWORDS: ReadonlySet<string> = new Set(`
a-rwnd abort accept ackseq add addr ah all arp asconf asconf-ack auto-merge avgpkt bridge burst bypass bytes
cfi cgroup cgroupv2 chain chains checksum chunk classid code colon comma comment comp constant continue
cookie-ack cookie-echo count counter counters cpi cpu create csumcov ct cum-tsn-ack cwr daddr data day dccp
define dei delete describe device devices direction dnat doff dport drop dscp dst dup dynamic echo ecn ecne
element elements eol error esp ether event exists expectation expiration expires export exthdr fanout fastopen
fib flags flow flowlabel flowtable flowtables flush forward-tsn frag frag-off fully-random fwd gateway
gc-interval get goto group handle hbh hdrlength heartbeat heartbeat-ack helper helpers hlen hook hooks
hoplimit hour htype ibriport ibrname icmp icmpv6 icmpx id igmp iif iifgroup iifname iiftype import in inc
include index inet init init-ack init-tag initial-tsn insert interval ip ip6 ipsec jhash json jump junk
l3proto label last-entry left length level limit limits list ll log lowest-tsn lsrr map maps mark masquerade
max-delay md5sig memory meta meter meters mh minute missing mod monitor more-fragments mptcp mrt mss mtu
name netdev new-cum-tsn newline nexthdr nexthop nftrace nh nop notrack num num-dup-tsns num-gap-ack-blocks
num-inbound-streams num-outbound-streams number numgen obriport obrname offload offset oif oifgroup oifname
oiftype operation option options original osf out over packets param-problem pcp performance persistent
pkttype plen policy port position ppid prefix priority proto-dst proto-src protocol ptr ptype queue
queue-threshold quota quotas ra random rate redefine redirect reject rename replace reply reqid reserved
reserved2 reset return right rr rt rt0 rt2 rtclassid rule rules ruleset sack sack-permitted sack0 sack1 sack2
sack3 saddr sctp secmark secmarks second seed seg-left semicolon seq seqno set sets shutdown shutdown-ack
shutdown-complete sid size skgid skuid snaplen snat socket spi spnum sport srh ssn ssrr state status stream
string subtype symhash synproxy synproxys table tables tag tcp th time timeout timestamp to tproxy trace
transparent tsecr tsn tsval ttl type typeof udp udplite undefine until update urgptr used value version vlan
vm vmap vtag week wildcard window with wscale xml xt zone
`.trim().split(/\s+/));

/** A name nft reads as a plain identifier: a letter, `_` or `.` first, then letters, digits, `/`, `-`, `_`, `.`. */
export const NFT_IDENTIFIER = /^[A-Za-z_.][A-Za-z0-9/_.-]*$/;

/** nft rule comments hold at most this many bytes. */
export const NFT_COMMENT_MAX = 128;

/** nft's names of ICMP types; other types are written as numbers. */
export const NFT_ICMP_TYPES: Readonly<Record<Family, ReadonlyMap<number, string>>> = {
  ipv4: new Map([
    [0, 'echo-reply'], [3, 'destination-unreachable'], [4, 'source-quench'], [5, 'redirect'], [8, 'echo-request'],
    [9, 'router-advertisement'], [10, 'router-solicitation'], [11, 'time-exceeded'], [12, 'parameter-problem'],
    [13, 'timestamp-request'], [14, 'timestamp-reply'], [15, 'info-request'], [16, 'info-reply'],
    [17, 'address-mask-request'], [18, 'address-mask-reply'],
  ]),
  ipv6: new Map([
    [1, 'destination-unreachable'], [2, 'packet-too-big'], [3, 'time-exceeded'], [4, 'parameter-problem'],
    [128, 'echo-request'], [129, 'echo-reply'], [130, 'mld-listener-query'], [131, 'mld-listener-report'],
    [132, 'mld-listener-done'], [133, 'nd-router-solicit'], [134, 'nd-router-advert'], [135, 'nd-neighbor-solicit'],
    [136, 'nd-neighbor-advert'], [137, 'nd-redirect'], [138, 'router-renumbering'], [141, 'ind-neighbor-solicit'],
    [142, 'ind-neighbor-advert'], [143, 'mld2-listener-report'],
  ]),
};

/** The values of the two ECN bits (RFC 3168), by nft's names. */
export const ECN_CODEPOINTS: Readonly<Record<string, string>> = { 0: 'not-ect', 1: 'ect1', 2: 'ect0', 3: 'ce' };
