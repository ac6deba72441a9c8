// Rulesets no human wrote, in the exact text iptables-save prints for them:
// a Kubernetes node with kube-proxy in iptables mode, and a Docker host with
// published ports. Deterministic, so benchmarks compare like with like.
import { createHash } from 'node:crypto';

/** kube-proxy's chain names: a prefix and 16 base32 characters of a SHA-256. */
function chainHash(prefix: string, key: string): string {
  const digest = createHash('sha256').update(key).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[digest[i] & 31];
  return `${prefix}-${out}`;
}

/**
 * `--probability` as iptables-save prints it: the kernel keeps lround(p * 2^31)
 * and iptables prints that back with eleven decimals.
 */
export function savedProbability(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

export interface KubeProxyShape {
  services: number;
  endpointsPerService: number;
  /** Every n-th service is also a NodePort (KUBE-NODEPORTS, KUBE-EXT-*). 0: none. */
  nodePortEvery?: number;
}

interface ChainRules {
  name: string;
  rules: string[];
}

/** One table in iptables-save's layout: built-ins, then user chains sorted, rules chain by chain. */
function saveTable(name: string, builtins: string[], chains: Map<string, string[]>, drop: string[] = []): string[] {
  const user = [...chains.keys()].filter((c) => !builtins.includes(c)).sort();
  const out = [`*${name}`];
  for (const c of builtins) out.push(`:${c} ${drop.includes(c) ? 'DROP' : 'ACCEPT'} [0:0]`);
  for (const c of user) out.push(`:${c} - [0:0]`);
  for (const c of [...builtins, ...user]) for (const r of chains.get(c) ?? []) out.push(`-A ${c} ${r}`);
  out.push('COMMIT');
  return out;
}

function chainMap(list: ChainRules[]): Map<string, string[]> {
  return new Map(list.map((c) => [c.name, c.rules]));
}

/** Pod and service addresses: 10.244.0.0/16 for pods, 10.96.0.0/12 for services. */
function podAddress(n: number): string {
  return `10.244.${(n >> 8) & 255}.${n & 255}`;
}
function serviceAddress(n: number): string {
  return `10.${96 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * The iptables-save of a node running kube-proxy (iptables mode, as of
 * Kubernetes 1.28+): 5 + S·(2 + 3E) nat rules for S services of E endpoints,
 * plus the filter table's fixed rules and, for NodePort services, KUBE-EXT chains.
 */
export function generateKubeProxy(shape: KubeProxyShape): string {
  const { services, endpointsPerService: endpoints } = shape;
  const nodePortEvery = shape.nodePortEvery ?? 0;
  const filter: ChainRules[] = [
    { name: 'INPUT', rules: [
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-j KUBE-FIREWALL',
    ] },
    { name: 'FORWARD', rules: [
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ] },
    { name: 'OUTPUT', rules: [
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-j KUBE-FIREWALL',
    ] },
    { name: 'KUBE-EXTERNAL-SERVICES', rules: [] },
    { name: 'KUBE-FIREWALL', rules: [
      '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    ] },
    { name: 'KUBE-FORWARD', rules: [
      '-m conntrack --ctstate INVALID -j DROP',
      '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ] },
    { name: 'KUBE-KUBELET-CANARY', rules: [] },
    { name: 'KUBE-NODEPORTS', rules: [] },
    { name: 'KUBE-PROXY-CANARY', rules: [] },
    { name: 'KUBE-PROXY-FIREWALL', rules: [] },
    { name: 'KUBE-SERVICES', rules: [] },
  ];

  const services_: string[] = [];
  const nodePorts: string[] = [];
  const nat: ChainRules[] = [
    { name: 'PREROUTING', rules: ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'] },
    { name: 'INPUT', rules: [] },
    { name: 'OUTPUT', rules: ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'] },
    { name: 'POSTROUTING', rules: ['-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'] },
    { name: 'KUBE-KUBELET-CANARY', rules: [] },
    { name: 'KUBE-MARK-MASQ', rules: ['-j MARK --set-xmark 0x4000/0x4000'] },
    { name: 'KUBE-NODEPORTS', rules: nodePorts },
    { name: 'KUBE-POSTROUTING', rules: [
      '-m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-j MARK --set-xmark 0x4000/0x0',
      '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ] },
    { name: 'KUBE-PROXY-CANARY', rules: [] },
    { name: 'KUBE-SERVICES', rules: services_ },
  ];

  let pod = 0;
  for (let s = 0; s < services; s++) {
    const name = `ns${s % 97}/svc-${s}:${s % 3 === 0 ? 'https' : 'http'}`;
    const protocol = s % 10 === 9 ? 'udp' : 'tcp';
    const port = s % 3 === 0 ? 443 : 80;
    const targetPort = 8000 + (s % 1000);
    const ip = serviceAddress(s);
    const svc = chainHash('KUBE-SVC', name + protocol);
    services_.push(`-d ${ip}/32 -p ${protocol} -m comment --comment "${name} cluster IP" -m ${protocol} --dport ${port} -j ${svc}`);
    const svcRules = [`! -s 10.244.0.0/16 -d ${ip}/32 -p ${protocol} -m comment --comment "${name} cluster IP" -m ${protocol} --dport ${port} -j KUBE-MARK-MASQ`];
    for (let e = 0; e < endpoints; e++) {
      const addr = podAddress(pod++ % 65536);
      const sep = chainHash('KUBE-SEP', `${name}${protocol}${addr}:${targetPort}`);
      const left = endpoints - e;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${savedProbability(Number((1 / left).toFixed(10)))}` : '';
      svcRules.push(`-m comment --comment "${name} -> ${addr}:${targetPort}"${pick} -j ${sep}`);
      nat.push({ name: sep, rules: [
        `-s ${addr}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`,
        `-p ${protocol} -m comment --comment "${name}" -m ${protocol} -j DNAT --to-destination ${addr}:${targetPort}`,
      ] });
    }
    nat.push({ name: svc, rules: svcRules });
    if (nodePortEvery > 0 && s % nodePortEvery === 0) {
      const ext = chainHash('KUBE-EXT', name + protocol);
      nodePorts.push(`-p ${protocol} -m comment --comment "${name}" -m ${protocol} --dport ${30000 + (s % 2768)} -j ${ext}`);
      nat.push({ name: ext, rules: [
        `-m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`,
        `-j ${svc}`,
      ] });
    }
  }
  services_.push('-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');

  return [
    '# Generated by iptables-save v1.8.9 on Sun Dec  6 00:00:00 2026',
    ...saveTable('filter', ['INPUT', 'FORWARD', 'OUTPUT'], chainMap(filter)),
    '# Completed on Sun Dec  6 00:00:00 2026',
    '# Generated by iptables-save v1.8.9 on Sun Dec  6 00:00:00 2026',
    ...saveTable('nat', ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], chainMap(nat)),
    '# Completed on Sun Dec  6 00:00:00 2026',
    '',
  ].join('\n');
}

/** The iptables-save of a Docker host (Docker 28) with containers on docker0 publishing ports. */
export function generateDockerHost(publishedPorts: number): string {
  const nat = new Map<string, string[]>([
    ['PREROUTING', ['-m addrtype --dst-type LOCAL -j DOCKER']],
    ['INPUT', []],
    ['OUTPUT', ['! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER']],
    ['POSTROUTING', ['-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE']],
    ['DOCKER', ['-i docker0 -j RETURN']],
  ]);
  const filter = new Map<string, string[]>([
    ['INPUT', []],
    ['FORWARD', ['-j DOCKER-USER', '-j DOCKER-FORWARD']],
    ['OUTPUT', []],
    ['DOCKER', []],
    ['DOCKER-BRIDGE', ['-o docker0 -j DOCKER']],
    ['DOCKER-CT', ['-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT']],
    ['DOCKER-FORWARD', ['-j DOCKER-CT', '-j DOCKER-ISOLATION-STAGE-1', '-j DOCKER-BRIDGE', '-i docker0 -j ACCEPT']],
    ['DOCKER-ISOLATION-STAGE-1', ['-i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2']],
    ['DOCKER-ISOLATION-STAGE-2', ['-o docker0 -j DROP']],
    ['DOCKER-USER', []],
  ]);
  for (let p = 0; p < publishedPorts; p++) {
    const container = `172.17.${((p + 2) >> 8) & 255}.${(p + 2) & 255}`;
    const inner = 80 + (p % 20);
    nat.get('POSTROUTING')!.push(`-s ${container}/32 -d ${container}/32 -p tcp -m tcp --dport ${inner} -j MASQUERADE`);
    nat.get('DOCKER')!.push(`! -i docker0 -p tcp -m tcp --dport ${10000 + p} -j DNAT --to-destination ${container}:${inner}`);
    filter.get('DOCKER')!.push(`-d ${container}/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport ${inner} -j ACCEPT`);
  }
  filter.get('DOCKER')!.push('! -i docker0 -o docker0 -j DROP');
  return [
    '# Generated by iptables-save v1.8.9 on Sun Dec  6 00:00:00 2026',
    ...saveTable('nat', ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], nat),
    '# Completed on Sun Dec  6 00:00:00 2026',
    '# Generated by iptables-save v1.8.9 on Sun Dec  6 00:00:00 2026',
    ...saveTable('filter', ['INPUT', 'FORWARD', 'OUTPUT'], filter, ['FORWARD']),
    '# Completed on Sun Dec  6 00:00:00 2026',
    '',
  ].join('\n');
}

/**
 * The same rules as a shell script of one `iptables` command each, as generated
 * firewall scripts are written: per table, the chains made (`-N`), the policies
 * set (`-P`, where not ACCEPT), then every rule appended (`-A`). A save file's
 * quoting is the shell's too (double-quoted comments).
 */
export function scriptForm(save: string): string {
  const out = ['#!/bin/sh'];
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(' ');
      if (policy === '-') out.push(`iptables -t ${table} -N ${chain}`);
      else if (policy !== 'ACCEPT') out.push(`iptables -t ${table} -P ${chain} ${policy}`);
    } else if (line.startsWith('-A ')) out.push(`iptables -t ${table} ${line}`);
  }
  return out.join('\n') + '\n';
}
