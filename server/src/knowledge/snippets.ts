// Ready-made rules and value shapes that completion offers, in the snippet
// syntax editors share (`${1:default}` is a placeholder to fill in). Kept with
// the knowledge because each is a fact about what iptables accepts; tests load
// every rule snippet and expect no problem.
import type { Family, SimpleValueKind, TableName } from './schema';

export interface RuleSnippet {
  label: string;
  /** The rule as iptables-restore reads it (`-A ...`). */
  body: string;
  table: TableName;
  /** Omitted: both families. */
  family?: Family;
  doc: string;
}

export const RULE_SNIPPETS: readonly RuleSnippet[] = [
  {
    label: 'allow a TCP port',
    table: 'filter',
    body: '-A ${1:INPUT} -p tcp -m tcp --dport ${2:22} -m conntrack --ctstate NEW -j ACCEPT',
    doc: 'Accepts new TCP connections to one port. The replies and later packets need an "allow established" rule before it.',
  },
  {
    label: 'allow established',
    table: 'filter',
    body: '-A ${1:INPUT} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    doc: 'Accepts the packets of connections already let in, and the connections related to them (ICMP errors, FTP data). Usually the first rule of INPUT and FORWARD.',
  },
  {
    label: 'NAT port forward',
    table: 'nat',
    family: 'ipv4',
    body: '-A PREROUTING -i ${1:eth0} -p tcp -m tcp --dport ${2:8080} -j DNAT --to-destination ${3:192.168.1.10}:${4:80}',
    doc: 'Forwards a port of this router to a host behind it. The filter table\'s FORWARD chain must let the connection through too, and IP forwarding must be on.',
  },
  {
    label: 'NAT port forward',
    table: 'nat',
    family: 'ipv6',
    body: '-A PREROUTING -i ${1:eth0} -p tcp -m tcp --dport ${2:8080} -j DNAT --to-destination [${3:2001:db8::10}]:${4:80}',
    doc: 'Forwards a port of this router to a host behind it. The filter table\'s FORWARD chain must let the connection through too, and IPv6 forwarding must be on.',
  },
  {
    label: 'masquerade',
    table: 'nat',
    body: '-A POSTROUTING -o ${1:eth0} -j MASQUERADE',
    doc: 'Gives connections leaving by this interface its current address as their source, so a whole network shares it. Needs IP forwarding on.',
  },
];

export interface ValueShape {
  label: string;
  body: string;
  family?: Family;
  doc: string;
}

/** How values without a fixed vocabulary are usually written. */
export const VALUE_SHAPES: Partial<Record<SimpleValueKind, readonly ValueShape[]>> = {
  natRange: [
    { label: 'address:port', family: 'ipv4', body: '${1:192.168.1.10}:${2:80}', doc: 'One address and port. A port needs `-p tcp`, `udp`, `sctp` or `dccp` in the rule.' },
    { label: 'address', family: 'ipv4', body: '${1:192.168.1.10}', doc: 'One address; the port is kept.' },
    { label: 'address-address', family: 'ipv4', body: '${1:192.168.1.10}-${2:192.168.1.20}', doc: 'A range of addresses: each new connection gets one of them.' },
    { label: 'address:port-port', family: 'ipv4', body: '${1:192.168.1.10}:${2:1024}-${3:65535}', doc: 'An address and a range of ports to choose from.' },
    { label: '[address]:port', family: 'ipv6', body: '[${1:2001:db8::10}]:${2:80}', doc: 'One address and port; an IPv6 address goes in brackets when a port follows.' },
    { label: 'address', family: 'ipv6', body: '${1:2001:db8::10}', doc: 'One address; the port is kept.' },
  ],
  natPorts: [
    { label: 'port', body: '${1:8080}', doc: 'One port.' },
    { label: 'port-port', body: '${1:1024}-${2:65535}', doc: 'A range of ports to choose from.' },
  ],
  rate: [
    { label: 'n/second', body: '${1:10}/second', doc: 'At most this many packets a second on average.' },
    { label: 'n/minute', body: '${1:3}/minute', doc: 'At most this many packets a minute on average.' },
  ],
  hashlimitRate: [
    { label: 'n/second', body: '${1:10}/second', doc: 'At most this many packets a second for each group.' },
    { label: 'n kb/s', body: '${1:512}kb/s', doc: 'At most this many bytes a second for each group (`kb`, `mb` or `gb`).' },
  ],
  timeOfDay: [{ label: 'hh:mm', body: '${1:08}:${2:00}', doc: 'A time of day, in UTC unless `--kerneltz` is given.' }],
};
