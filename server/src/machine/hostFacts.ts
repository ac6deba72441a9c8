// The trace's host from what a real machine prints: interfaces, addresses and
// routes (`ip -j addr`, `ip -j route`, `ip -j -6 route`), the sysctls that
// change a packet's way, and the listening sockets (`ss -H -ltun`), in the
// scenario's host JSON form.
import { hostFromIpJson } from '../engine/ipJson';
import { t } from '../l10n';

type Json = Record<string, unknown>;

/** The sysctl keys the engine reads: the host's own (`all`) and, per interface, its device's. */
export function sysctlKeys(interfaces: readonly string[]): string[] {
  // sysctl writes a dot in an interface name (eth0.100) as a slash.
  const dev = (name: string) => name.replace(/\./g, '/');
  return [
    'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.all.route_localnet',
    ...interfaces.flatMap((i) => [`net.ipv4.conf.${dev(i)}.rp_filter`, `net.ipv4.conf.${dev(i)}.route_localnet`]),
  ];
}

/** `key = value` lines, as sysctl prints them. */
function readSysctl(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([\w./-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) values.set(m[1], m[2]);
  }
  return values;
}

/** The interface names of `ip -j addr` output (for the sysctl keys); none when it is not that. */
export function interfaceNames(addrJson: string): string[] {
  try {
    const list = JSON.parse(addrJson) as unknown;
    return Array.isArray(list) ? list.map((i) => (i as Json)?.ifname).filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Listening sockets from `ss -H -ltun`: `tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*`.
 * `*` is an IPv6 socket that takes IPv4 too; `[::]` is IPv6 only; the `%dev`
 * of a socket bound to a device is dropped (the engine has no bound sockets).
 */
export function socketsFromSs(text: string): Json[] {
  const sockets: Json[] = [];
  const seen = new Set<string>();
  const add = (protocol: string, address: string, port: number) => {
    const key = `${protocol} ${address} ${port}`;
    if (seen.has(key)) return;
    seen.add(key);
    sockets.push({ protocol, port, address });
  };
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const protocol = words[0];
    if ((protocol !== 'tcp' && protocol !== 'udp') || words.length < 5) continue;
    const local = words[4];
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) continue;
    const address = local.slice(0, colon).replace(/%[^\]]*$/, '').replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
    if (address === '*') {
      add(protocol, '0.0.0.0', port);
      add(protocol, '::', port);
    } else add(protocol, address, port);
  }
  return sockets;
}

export interface MachineOutputs {
  addresses: string;
  routes4: string;
  routes6: string;
  sysctl: string;
  sockets: string;
}

export interface MachineHost {
  host: Json;
  /** What the host JSON cannot say as the machine has it. */
  notes: string[];
}

/** The scenario host of a machine, from its commands' outputs. Throws ScenarioError for output that is not what `ip -j` prints. */
export function machineHost(out: MachineOutputs): MachineHost {
  const host = hostFromIpJson(out.addresses, `${out.routes4}\n${out.routes6}`);
  const notes: string[] = [];
  const sysctl = readSysctl(out.sysctl);
  const bool = (key: string) => (sysctl.has(key) ? sysctl.get(key) !== '0' : undefined);
  const rp = (key: string) => {
    const n = Number(sysctl.get(key));
    return n === 1 || n === 2 ? n : 0;
  };
  const forward4 = bool('net.ipv4.ip_forward');
  const forward6 = bool('net.ipv6.conf.all.forwarding');
  if (forward4 !== undefined) host.ipForward = forward4;
  else if (forward6 !== undefined) host.ipForward = forward6;
  if (forward4 !== undefined && forward6 !== undefined && forward4 !== forward6) {
    notes.push(forward4 ? t('IPv4 forwarding is on and IPv6 forwarding off: the trace takes IPv4\'s for both') : t('IPv4 forwarding is off and IPv6 forwarding on: the trace takes IPv4\'s for both'));
  }
  host.rpFilter = rp('net.ipv4.conf.all.rp_filter');
  host.routeLocalnet = bool('net.ipv4.conf.all.route_localnet') ?? false;
  for (const itf of host.interfaces as Json[]) {
    const dev = String(itf.name).replace(/\./g, '/');
    const own = rp(`net.ipv4.conf.${dev}.rp_filter`);
    if (own) itf.rpFilter = own;
    if (bool(`net.ipv4.conf.${dev}.route_localnet`)) itf.routeLocalnet = true;
  }
  host.sockets = socketsFromSs(out.sockets);
  return { host, notes };
}
