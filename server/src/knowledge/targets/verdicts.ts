import type { ExtensionSpec } from '../schema';
import { REJECT_TYPES_V4, REJECT_TYPES_V6 } from '../vocabulary';

/**
 * iptables tries each reject type in table order and takes the first whose
 * name or alias begins with the text (case-insensitively), so the list keeps
 * that order: name, alias, next name...
 */
function rejectWords(types: readonly { name: string; alias: string }[]): string[] {
  const words: string[] = [];
  for (const t of types) {
    for (const w of [t.name, t.alias]) if (!words.includes(w)) words.push(w);
  }
  return words;
}

/** The kernel stores a reject type by number: an alias comes back under the type's name. */
function rejectNames(types: readonly { name: string; alias: string }[]): Record<string, string> {
  return Object.fromEntries(types.map((t) => [t.alias, t.name]));
}

/** nft's words for each name and alias of a reject type. */
function rejectNft(types: readonly { name: string; alias: string; nft: string }[]): Record<string, string> {
  return Object.fromEntries(types.flatMap((t) => [[t.name, t.nft], [t.alias, t.nft]]));
}

const REJECT_DOC =
  'Throws the packet away and tells the sender so, by default with an ICMP port-unreachable. Only the filter table accepts it, and it ends the rule walk like DROP.';

export const VERDICT_TARGETS = [
  {
    name: 'REJECT',
    kind: 'target',
    family: 'ipv4',
    complete: true,
    tables: ['filter'],
    terminating: true,
    nft: { statement: 'reject' },
    doc: REJECT_DOC,
    options: [
      {
        name: 'reject-with',
        value: { kind: 'enum', values: rejectWords(REJECT_TYPES_V4), ignoreCase: true, prefix: true, savedAs: rejectNames(REJECT_TYPES_V4) },
        save: { default: 'icmp-port-unreachable' },
        nft: { keyword: 'with', words: rejectNft(REJECT_TYPES_V4) },
        valueNeedsProtocol: { 'tcp-reset': ['tcp'], 'tcp-rst': ['tcp'] },
        doc: 'What to answer with, for example `icmp-admin-prohibited` or `tcp-reset`. Short aliases (`port-unreach`) and abbreviations work. `tcp-reset` needs `-p tcp` in the rule, otherwise the kernel refuses it.',
      },
    ],
  },
  {
    name: 'REJECT',
    kind: 'target',
    family: 'ipv6',
    complete: true,
    tables: ['filter'],
    terminating: true,
    nft: { statement: 'reject' },
    doc: REJECT_DOC.replace('an ICMP port-unreachable', 'an ICMPv6 port-unreachable'),
    options: [
      {
        name: 'reject-with',
        value: { kind: 'enum', values: rejectWords(REJECT_TYPES_V6), ignoreCase: true, prefix: true, savedAs: rejectNames(REJECT_TYPES_V6) },
        save: { default: 'icmp6-port-unreachable' },
        nft: { keyword: 'with', words: rejectNft(REJECT_TYPES_V6) },
        valueNeedsProtocol: { 'tcp-reset': ['tcp'] },
        doc: 'What to answer with, for example `icmp6-adm-prohibited` or `tcp-reset`. Short aliases (`adm-prohibited`) and abbreviations work. `tcp-reset` needs `-p tcp` in the rule, otherwise the kernel refuses it.',
      },
    ],
  },
  {
    name: 'NFQUEUE',
    kind: 'target',
    complete: true,
    terminating: true,
    nft: { statement: 'queue' },
    doc: 'Hands the packet to a user-space program (an IPS, a custom filter) listening on a netfilter queue; that program decides its fate. Without a listener the packet is dropped unless `--queue-bypass` is given.',
    options: [
      { name: 'queue-num', save: { default: '0', defaultWithout: ['queue-balance'] }, value: { kind: 'uint', max: 65535 }, excludes: ['queue-balance'],
        nft: { keyword: 'num' },
        doc: 'Queue number to send to, `0` by default.' },
      { name: 'queue-balance', value: { kind: 'uintRange', max: 65534, proper: true }, excludes: ['queue-num'],
        nft: { keyword: 'num' },
        doc: 'Spreads flows over a range of queues, written `first:last` with first below last, such as `0:3`.' },
      { name: 'queue-bypass',
        nft: { keyword: 'bypass', flag: true },
        doc: 'If no program is bound to the queue, let the packet pass this hook as if accepted instead of dropping it.' },
      { name: 'queue-cpu-fanout', requires: ['queue-balance'],
        nft: { keyword: 'fanout', flag: true },
        doc: 'With `--queue-balance`, picks the queue by the CPU handling the packet instead of by a flow hash.' },
    ],
  },
  {
    name: 'SYNPROXY',
    starts: { what: 'conntrack' },
    kind: 'target',
    complete: true,
    protocols: ['tcp'],
    hooks: ['INPUT', 'FORWARD'],
    terminating: true,
    mayContinue: 'segments that are neither a connection request nor the client\'s ACK (a RST or FIN, say) go on to the next rule',
    changes: [],
    nft: { statement: 'synproxy' },
    doc: 'Answers TCP handshakes itself with SYN cookies and only opens the real connection once the client has completed it, to blunt SYN floods. Use it on `-m conntrack --ctstate INVALID,UNTRACKED` packets, with the SYNs made untracked in raw (`-j CT --notrack`).',
    options: [
      { name: 'sack-perm', nft: { keyword: 'sack-perm' }, doc: 'Tell the client selective acknowledgements are allowed; match the backend server.' },
      { name: 'timestamp', nft: { keyword: 'timestamp' }, doc: 'Offer TCP timestamps; match the backend server.' },
      { name: 'wscale', value: { kind: 'uint', max: 255 },
        nft: { keyword: 'wscale' },
        doc: 'Window scale factor to announce, as the backend uses (TCP allows up to `14`), for example `7`.' },
      { name: 'mss', value: { kind: 'uint', max: 65535 },
        nft: { keyword: 'mss' },
        doc: 'Maximum segment size to announce, the backend\'s value such as `1460`.' },
      { name: 'ecn', nft: { none: 'nft\'s synproxy does not announce ECN' }, doc: 'Announce ECN support (RFC 3168) to the client.' },
    ],
  },
  {
    name: 'TEE',
    kind: 'target',
    complete: true,
    terminating: false,
    changes: [],
    nft: { statement: 'dup to' },
    doc: 'Sends a copy of the packet to another host on the local network, for example a traffic analyser; the original carries on unchanged.',
    options: [
      { name: 'gateway', value: 'host', mandatory: true,
        nft: { keyword: '' },
        doc: 'Next hop the copy is routed through, such as `192.168.0.50`; it must be directly reachable.' },
      { name: 'oif', value: 'interface',
        nft: { keyword: 'device' },
        doc: 'Send the copy out through this interface, for example `eth1`.' },
    ],
  },
  {
    name: 'TPROXY',
    starts: { what: 'defrag' },
    kind: 'target',
    complete: true,
    tables: ['mangle'],
    hooks: ['PREROUTING'],
    protocols: ['tcp', 'udp'],
    terminating: true,
    nft: { targetForm: 'tproxy' },
    doc: 'Transparent proxying: delivers the packet to a local socket (opened with `IP_TRANSPARENT`) without changing its addresses. Needs a policy route for the mark it sets, and drops the packet when no socket is found.',
    options: [
      { name: 'on-port', value: 'port', mandatory: true,
        doc: 'Local port the proxy listens on, `0` to keep the original destination port.' },
      { name: 'on-ip', save: { default: { ipv4: '0.0.0.0', ipv6: '::' } }, value: 'host',
        doc: 'Local address of the proxy socket; by default the address the packet arrived on.' },
      { name: 'tproxy-mark', save: { form: 'xmark', default: '0x0/0x0' }, value: 'markMask',
        doc: 'Firewall mark to set on the packet for the policy route, `value[/mask]` such as `0x1/0x1`.' },
    ],
  },
] as const satisfies readonly ExtensionSpec[];
