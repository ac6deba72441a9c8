// Chains that other tools create on a machine (Docker, kube-proxy, ufw,
// firewalld, fail2ban, CNI plugins, Calico): who makes them and what for. The
// chains a rule file may jump to without declaring them by default
// (iptables.externalChains) come from here, and so do the hovers that explain them.

export interface ChainOwner {
  /** Who creates the chains. */
  tool: string;
  /** What the tool uses its chains for (Markdown). */
  doc: string;
  /** Chain names (`*` a wildcard) taken to exist on the machine by default. */
  external: readonly string[];
  /** Chains whose role is known, by name or pattern; the first that fits wins. */
  chains: readonly { name: string; doc: string }[];
}

export const CHAIN_OWNERS: readonly ChainOwner[] = [
  {
    tool: 'Docker',
    doc: 'Docker creates its chains in the filter and nat tables when the daemon starts, and rewrites them as containers come and go.',
    external: [
      'DOCKER', 'DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-INGRESS',
      'DOCKER-FORWARD', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-INTERNAL',
    ],
    chains: [
      { name: 'DOCKER', doc: 'Published container ports. In nat it holds a DNAT rule per published port (`-p 8080:80`), reached from PREROUTING and OUTPUT for local addresses; in filter it accepts the forwarded traffic to those ports. Docker owns it: rules added here by hand disappear when Docker rewrites it.' },
      { name: 'DOCKER-USER', doc: 'The place for your own rules about container traffic: FORWARD jumps here before any of Docker\'s rules, and Docker never flushes it. Filter here what may reach published ports (for example `-i eth0 ! -s 203.0.113.0/24 -j DROP`).' },
      { name: 'DOCKER-ISOLATION-STAGE-1', doc: 'First half of the isolation between Docker networks: traffic leaving one Docker bridge for another interface is sent on to stage 2.' },
      { name: 'DOCKER-ISOLATION-STAGE-2', doc: 'Second half of the isolation between Docker networks: drops packets about to enter another Docker bridge, so containers on different networks cannot talk.' },
      { name: 'DOCKER-FORWARD', doc: 'Docker 28 and later: FORWARD jumps here once, and Docker keeps its own forwarding rules (connection tracking, bridges, isolation) in this chain instead of in FORWARD itself.' },
      { name: 'DOCKER-BRIDGE', doc: 'Docker 28 and later: sends traffic headed into each Docker bridge on to the DOCKER chain, which holds the published ports.' },
      { name: 'DOCKER-CT', doc: 'Docker 28 and later: accepts packets of established and related connections going into Docker bridges.' },
      { name: 'DOCKER-INTERNAL', doc: 'Docker 28 and later: keeps networks created with `--internal` cut off from everything outside them.' },
      { name: 'DOCKER-INGRESS', doc: 'Swarm mode\'s routing mesh: sends traffic for a service\'s published port to the ingress network, whichever node it arrives on.' },
    ],
  },
  {
    tool: 'kube-proxy (Kubernetes)',
    doc: 'kube-proxy in iptables mode programs Kubernetes Services as chains named KUBE-*, and keeps rewriting them to follow Services and their endpoints. Hashed names (KUBE-SVC-XYZ...) change when Services change.',
    external: ['KUBE-*'],
    chains: [
      { name: 'KUBE-SERVICES', doc: 'Entry point for Services, jumped to from PREROUTING and OUTPUT: in nat, one rule per Service cluster IP and port, jumping to its KUBE-SVC-* chain, and KUBE-NODEPORTS last; in filter, rejects traffic for Services without endpoints.' },
      { name: 'KUBE-SVC-*', doc: 'One Service port: picks one of its endpoints at random (`-m statistic --mode random`) and jumps to that endpoint\'s KUBE-SEP-* chain.' },
      { name: 'KUBE-SEP-*', doc: 'One Service endpoint (a pod): DNATs the connection to the pod\'s address and port, and marks traffic from the pod to itself for masquerading.' },
      { name: 'KUBE-EXT-*', doc: 'External traffic for a Service (NodePort, LoadBalancer, external IPs): marks it for masquerading when needed, then picks an endpoint.' },
      { name: 'KUBE-XLB-*', doc: 'External traffic for a Service with `externalTrafficPolicy: Local` (older kube-proxy): only endpoints on this node are chosen, so the client address is kept.' },
      { name: 'KUBE-SVL-*', doc: 'A Service port restricted to endpoints on this node (`internalTrafficPolicy: Local`).' },
      { name: 'KUBE-FW-*', doc: 'A LoadBalancer Service\'s `loadBalancerSourceRanges`: traffic from other sources is dropped.' },
      { name: 'KUBE-NODEPORTS', doc: 'NodePort Services: matches their ports on the node\'s own addresses, jumped to at the end of KUBE-SERVICES.' },
      { name: 'KUBE-MARK-MASQ', doc: 'Sets the firewall mark bit (0x4000 by default) that tells KUBE-POSTROUTING to masquerade the packet, so replies come back through this node.' },
      { name: 'KUBE-MARK-DROP', doc: 'Sets the firewall mark bit (0x8000) that KUBE-FIREWALL drops (older Kubernetes versions).' },
      { name: 'KUBE-POSTROUTING', doc: 'Masquerades the packets that KUBE-MARK-MASQ marked, after routing.' },
      { name: 'KUBE-FORWARD', doc: 'Filter-table rules that let forwarded Service traffic through: packets marked by kube-proxy and established connections to and from pods.' },
      { name: 'KUBE-EXTERNAL-SERVICES', doc: 'Rejects traffic from outside for external Service addresses that have no endpoints.' },
      { name: 'KUBE-PROXY-FIREWALL', doc: 'Drops traffic to LoadBalancer Services from sources outside `loadBalancerSourceRanges`.' },
      { name: 'KUBE-FIREWALL', doc: 'Created by the kubelet: drops packets carrying the KUBE-MARK-DROP mark and traffic to localhost that arrives from outside.' },
      { name: 'KUBE-*-CANARY', doc: 'An empty chain that kube-proxy or the kubelet creates only to notice when someone flushes the tables, so it can restore its rules.' },
    ],
  },
  {
    tool: 'ufw',
    doc: 'ufw (Uncomplicated Firewall) builds its ruleset from `/etc/ufw/*.rules` and the rules added with `ufw allow`/`deny`; IPv6 chains are called ufw6-*.',
    external: ['ufw-*', 'ufw6-*'],
    chains: [
      { name: 'ufw*-user-limit*', doc: 'Rate limiting for `ufw limit`: logs and rejects a client that opens too many connections in a short time.' },
      { name: 'ufw*-before-logging-*', doc: 'Logging before the other ufw rules, at the higher `ufw logging` levels.' },
      { name: 'ufw*-after-logging-*', doc: 'Logging of what reaches the default policy, at the configured `ufw logging` level.' },
      { name: 'ufw*-user-logging-*', doc: 'Logging asked for by individual rules (`ufw allow log ...`).' },
      { name: 'ufw*-logging-*', doc: 'Logging for `ufw logging`: writes a `[UFW BLOCK]` or `[UFW ALLOW]` line before the verdict.' },
      { name: 'ufw*-before-*', doc: 'Rules from `/etc/ufw/before.rules` (before6.rules for IPv6), run before the user\'s: loopback, established connections, ICMP, DHCP.' },
      { name: 'ufw*-user-*', doc: 'The rules added with `ufw allow`, `ufw deny` and `ufw limit`, as stored in `/etc/ufw/user.rules`.' },
      { name: 'ufw*-after-*', doc: 'Rules from `/etc/ufw/after.rules`, run after the user\'s: quietly drops noise such as NetBIOS and broadcasts before the default policy logs it.' },
      { name: 'ufw*-reject-*', doc: 'Carries out a `reject` default policy.' },
      { name: 'ufw*-track-*', doc: 'Lets new connections through so that connection tracking records them (for an `allow` outgoing policy).' },
      { name: 'ufw*-skip-to-policy-*', doc: 'Jumps straight to ufw\'s default policy for the direction.' },
      { name: 'ufw*-not-local', doc: 'Drops packets that are not addressed to this host (neither a local, broadcast nor multicast address).' },
    ],
  },
  {
    tool: 'fail2ban',
    doc: 'fail2ban creates one chain per jail (f2b-sshd, or fail2ban-ssh in old versions), jumped to from INPUT for the jail\'s ports; each banned address gets a REJECT or DROP rule there until the ban ends, and the chain ends with RETURN.',
    external: ['f2b-*', 'fail2ban-*'],
    chains: [],
  },
  {
    tool: 'CNI plugins (container networking)',
    doc: 'The CNI plugins that container runtimes and Kubernetes use (bridge, portmap, firewall) create CNI-* chains: per-container masquerading, hostPort forwarding, and forwarding rules.',
    external: ['CNI-*'],
    chains: [
      { name: 'CNI-HOSTPORT-*', doc: 'The portmap plugin: DNAT for container hostPorts and masquerading of the hairpin traffic.' },
      { name: 'CNI-DN-*', doc: 'The portmap plugin: the DNAT rules of one container\'s hostPorts.' },
      { name: 'CNI-FORWARD', doc: 'The firewall plugin: lets the containers\' traffic through FORWARD (through CNI-ADMIN first).' },
      { name: 'CNI-ADMIN', doc: 'The firewall plugin: the place for an administrator\'s own rules, checked before CNI-FORWARD accepts container traffic.' },
    ],
  },
  {
    tool: 'Calico',
    doc: 'Calico\'s agent (Felix) programs Kubernetes network policy as cali-* chains: cali-tw-* and cali-fw-* for traffic to and from each workload, cali-pi-*/cali-po-* for policies.',
    external: ['cali-*'],
    chains: [],
  },
  {
    tool: 'firewalld',
    doc: 'firewalld (iptables backend) writes the whole ruleset itself, with chains per zone. A rule file saved from such a machine declares these chains; firewalld rewrites them on reload.',
    external: [],
    chains: [
      { name: '*_direct', doc: 'Rules added with `firewall-cmd --direct`, run before the zones\' rules.' },
      { name: '*_ZONES', doc: 'Sends each packet to the chain of its zone, chosen by the interface it uses.' },
      { name: '*_ZONES_SOURCE', doc: 'Sends each packet to the chain of its zone, chosen by its source address (older firewalld).' },
      { name: 'IN_*', doc: 'A zone\'s rules for traffic to this host (`IN_public`), split into `_pre`, `_log`, `_deny`, `_allow` and `_post` parts.' },
      { name: 'FWDI_*', doc: 'A zone\'s rules for forwarded traffic coming in through it.' },
      { name: 'FWDO_*', doc: 'A zone\'s rules for forwarded traffic going out through it.' },
      { name: 'PRE_*', doc: 'A zone\'s rules in PREROUTING (port forwarding and marks of the zone).' },
      { name: 'POST_*', doc: 'A zone\'s rules in POSTROUTING (masquerading of the zone).' },
    ],
  },
];

/** A chain name pattern with `*` as a wildcard, as a regular expression. */
export function chainPattern(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

const KNOWN = CHAIN_OWNERS.flatMap((owner) => [
  ...owner.chains.map((c) => ({ owner, pattern: chainPattern(c.name), doc: c.doc })),
  ...owner.external.map((name) => ({ owner, pattern: chainPattern(name), doc: owner.doc })),
]);

/** Who creates a chain of this name and what it is for, when a well-known tool does. */
export function wellKnownChain(name: string): { tool: string; doc: string } | undefined {
  const hit = KNOWN.find((k) => k.pattern.test(name));
  return hit && { tool: hit.owner.tool, doc: hit.doc };
}
