// Kernel-recorded cases (../shared/kernel/cases and test/kernel/cases): the
// oracle's PACKET.json turned into the engine's scenario for the same
// topology, and the engine's answer compared with what the kernel recorded.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { DEFAULT_HOST_JSON, parseScenario, traceScenario, Trace } from '../../server/src/engine';

type Json = Record<string, unknown>;

export interface KernelCase {
  name: string;
  dir: string;
  family: 'ipv4' | 'ipv6';
  rules: string;
  packet: Json;
  expected: Json;
}

export function readCases(root: string): KernelCase[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => existsSync(path.join(root, d, 'expected.json'))).sort().map((name) => {
    const dir = path.join(root, name);
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    const v6 = existsSync(path.join(dir, 'rules.v6'));
    return {
      name, dir, family: v6 ? 'ipv6' : 'ipv4', rules: read(v6 ? 'rules.v6' : 'rules.v4'), packet: JSON.parse(read('packet.json')), expected: JSON.parse(read('expected.json')),
    };
  });
}

const PEER_MAC: Record<string, string> = { ext: '02:00:00:00:00:fe', int: '02:00:00:00:01:02' };
const IFACE_OF: Record<string, string> = { ext: 'eth0', int: 'eth1' };

/** normalize_spec of the oracle: where the packet comes from. */
function origin(spec: Json, fallback?: string): string {
  if (spec.from) return String(spec.from);
  if (spec.scenario === 'output') return 'fw';
  if (spec.in_iface === 'eth1') return 'int';
  if (spec.in_iface === 'eth0' || spec.scenario === 'input' || spec.scenario === 'forward') return 'ext';
  return fallback ?? 'ext';
}

function isInternal(a: string): boolean {
  const [x, y] = a.split('.').map(Number);
  return x === 10 || (x === 172 && y >= 16 && y < 32) || (x === 192 && y === 168);
}

/**
 * The oracle writes the header of other protocols as payload bytes: read back
 * the fields the engine models (ports, SPI, SCTP chunks, DCCP type); the rest
 * stays payload.
 */
function headerFields(proto: string, hex: string): Json | undefined {
  const bytes = (from: number, n: number) => parseInt(hex.slice(2 * from, 2 * (from + n)), 16);
  switch (proto) {
    case 'esp': case '50': return { spi: bytes(0, 4), payloadHex: hex.slice(16) };
    case 'ah': case '51': return { spi: bytes(4, 4), payloadHex: hex.slice(24) };
    case 'ipcomp': case '108': return { spi: bytes(2, 2), payloadHex: hex.slice(8) };
    case 'dccp': case '33': return { sourcePort: bytes(0, 2), destinationPort: bytes(2, 2), dccpType: (bytes(8, 1) >> 1) & 15, payloadHex: hex.slice(32) };
    case 'sctp': case '132': {
      const chunks: Json[] = [];
      let bodies = '';
      for (let at = 12; at + 4 <= hex.length / 2;) {
        const len = bytes(at + 2, 2);
        chunks.push({ type: bytes(at, 1), flags: bytes(at + 1, 1) });
        bodies += hex.slice(2 * (at + 4), 2 * (at + ((len + 3) & ~3)));
        at += Math.max(4, (len + 3) & ~3);
      }
      return { sourcePort: bytes(0, 2), destinationPort: bytes(2, 2), sctpChunks: chunks, payloadHex: bodies };
    }
    default: return undefined;
  }
}

/** One oracle packet description as the engine's packet JSON. */
function packetOf(spec: Json, fallbackFrom?: string, family: 'ipv4' | 'ipv6' = 'ipv4'): Json {
  if (family === 'ipv6') return packetOf6(spec, fallbackFrom);
  const from = origin(spec, fallbackFrom);
  const proto = String(spec.proto ?? spec.protocol ?? 'tcp').toLowerCase();
  const dst = String(spec.dst);
  const src = spec.src !== undefined ? String(spec.src) : from === 'fw' ? (isInternal(dst) ? '10.0.0.1' : '203.0.113.1') : from === 'ext' ? '198.51.100.7' : '10.0.0.2';
  const p: Json = { protocol: proto, source: src, destination: dst, inInterface: from === 'fw' ? null : IFACE_OF[from] };
  if (from !== 'fw') p.sourceMac = spec.src_mac ?? PEER_MAC[from];
  // The oracle sends as root, from a process in no net_cls group.
  else Object.assign(p, { uid: 0, gid: 0, cgroup: 0 });
  if (spec.dst_mac) p.destinationMac = spec.dst_mac;
  if (proto === 'tcp' || proto === 'udp') {
    p.sourcePort = spec.sport ?? 40000;
    p.destinationPort = spec.dport ?? (proto === 'udp' ? 53 : 80);
  }
  if (proto === 'tcp') p.tcpFlags = spec.tcp_flags ?? 'SYN';
  if (proto === 'icmp') {
    p.icmpType = spec.icmp_type ?? 8;
    p.icmpCode = spec.icmp_code ?? 0;
    p.icmpId = spec.icmp_id ?? spec.sport ?? 0x1234;
    const inner = spec.inner as Json | undefined;
    if (inner) {
      p.inner = {
        protocol: inner.proto ?? 'udp', source: inner.src, destination: inner.dst,
        ...(inner.sport !== undefined ? { sourcePort: inner.sport } : {}), ...(inner.dport !== undefined ? { destinationPort: inner.dport } : {}),
      };
    }
  }
  for (const [k, v] of [['ttl', 'ttl'], ['tos', 'tos'], ['frag_offset', 'fragmentOffset'], ['so_mark', 'mark'], ['out_iface', 'outInterface']] as const) {
    if (spec[k] !== undefined) p[v] = spec[k];
  }
  if (spec.df) p.dontFragment = true;
  if (spec.mf) p.moreFragments = true;
  const payload = spec.payload as string | { hex: string } | undefined;
  const hex = typeof payload === 'object' ? payload.hex : undefined;
  const fields = hex !== undefined ? headerFields(proto, hex) : undefined;
  if (fields) Object.assign(p, fields);
  else if (hex !== undefined) p.payloadHex = hex;
  else if (spec.payload_len !== undefined) p.payloadHex = '00'.repeat(Number(spec.payload_len));
  else if (typeof payload === 'string' && payload !== '') p.payload = payload;
  // The oracle builds the layer-4 header even for a later fragment, where it is just data.
  if (Number(spec.frag_offset ?? 0) > 0) {
    const header = '00'.repeat(({ tcp: 20, udp: 8, icmp: 8 } as Record<string, number>)[proto] ?? 0);
    p.payloadHex = header + String(p.payloadHex ?? Buffer.from(String(p.payload ?? '')).toString('hex'));
    delete p.payload;
  }
  return p;
}

const FW_ADDRESS6: Record<string, string> = { eth0: '2001:db8:1::1', eth1: 'fd00::1' };
const FW_LINK_LOCAL: Record<string, string> = { eth0: 'fe80::ff:fe00:1', eth1: 'fe80::ff:fe00:101' };
const EXT_ALIASES: Record<string, string> = { hbh: 'hop-by-hop', hop: 'hop-by-hop', hopopts: 'hop-by-hop', rt: 'routing', route: 'routing', frag: 'fragment', dst: 'destination', dstopts: 'destination', ah: 'auth' };
const ND_TYPES = [133, 134, 135, 136, 137];
const MLD_TYPES = [130, 131, 132, 143];

function v6(a: string): bigint {
  const [head, tail] = a.split('::');
  const words = (x: string | undefined) => (x ? x.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.reduce((n, w) => (n << 16n) | BigInt(w), 0n);
}

function isMulticast6(a: string): boolean {
  return a.toLowerCase().startsWith('ff');
}

/** The oracle's IPv6 packet (normalize_spec6, build_ip6_parts) as the engine's packet JSON. */
function packetOf6(spec: Json, fallbackFrom?: string): Json {
  const from = origin(spec, fallbackFrom);
  let proto = String(spec.proto ?? spec.protocol ?? 'tcp').toLowerCase();
  if (proto === 'icmp6' || proto === 'ipv6-icmp' || proto === '58') proto = 'icmpv6';
  const dst = String(spec.dst);
  const d = v6(dst);
  const oif = String(spec.out_iface ?? (d >> 120n === 0xfdn ? 'eth1' : 'eth0'));
  const linkScope = (d >> 118n) === 0x3fan || (isMulticast6(dst) && Number((d >> 112n) & 0xfn) <= 2);
  const src = spec.src !== undefined ? String(spec.src)
    : from === 'fw' ? (d === 1n ? '::1' : linkScope ? FW_LINK_LOCAL[oif] : FW_ADDRESS6[oif]) : from === 'ext' ? '2001:db8:2::7' : 'fd00::2';
  const p: Json = { protocol: /^\d+$/.test(proto) ? Number(proto) : proto, source: src, destination: dst, inInterface: from === 'fw' ? null : IFACE_OF[from] };
  if (from !== 'fw') {
    p.sourceMac = spec.src_mac ?? PEER_MAC[from];
    if (spec.dst_mac || isMulticast6(dst)) p.destinationMac = spec.dst_mac ?? `33:33:${[(d >> 24n) & 255n, (d >> 16n) & 255n, (d >> 8n) & 255n, d & 255n].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  } else {
    Object.assign(p, { uid: 0, gid: 0, cgroup: 0 });
    // The oracle sends link-scope destinations with the scope id of out_iface or eth0.
    if (linkScope && !spec.out_iface) p.outInterface = 'eth0';
  }
  if (proto === 'tcp' || proto === 'udp') {
    p.sourcePort = spec.sport ?? 40000;
    p.destinationPort = spec.dport ?? (proto === 'udp' ? 53 : 80);
  }
  if (proto === 'tcp') p.tcpFlags = spec.tcp_flags ?? 'SYN';
  const type = Number(spec.icmp_type ?? 128);
  if (proto === 'icmpv6') {
    p.icmpType = type;
    p.icmpCode = spec.icmp_code ?? 0;
    p.icmpId = spec.icmp_id ?? spec.sport ?? 0x1234;
    // The oracle's default quote: a UDP datagram from the (final) destination back to the source.
    const routed = ((spec.ext_headers ?? []) as Json[]).find((h) => h.type === 'routing' && (h.addresses as string[] ?? []).length && h.segments_left !== 0);
    const inner = (spec.inner as Json | undefined) ?? (routed ? { src: (routed.addresses as string[]).at(-1) } : undefined);
    if (inner && type < 128) {
      p.inner = {
        protocol: inner.proto ?? 'udp', ...(inner.src ? { source: inner.src } : {}), ...(inner.dst ? { destination: inner.dst } : {}),
        ...(inner.sport !== undefined ? { sourcePort: inner.sport } : {}), ...(inner.dport !== undefined ? { destinationPort: inner.dport } : {}),
      };
    }
  }
  const hops = spec.hop_limit ?? spec.ttl ?? (proto === 'icmpv6' && ND_TYPES.includes(type) ? 255 : proto === 'icmpv6' && MLD_TYPES.includes(type) ? 1 : undefined);
  if (hops !== undefined) p.ttl = hops;
  if ((spec.tclass ?? spec.tos) !== undefined) p.tos = spec.tclass ?? spec.tos;
  if (spec.so_mark !== undefined) p.mark = spec.so_mark;
  if (spec.out_iface !== undefined) p.outInterface = spec.out_iface;
  if (spec.frag_offset !== undefined) p.fragmentOffset = spec.frag_offset;
  if (spec.mf) p.moreFragments = true;
  if (spec.frag_id !== undefined) p.fragmentId = spec.frag_id;
  const headers = ((spec.ext_headers ?? []) as (string | Json)[]).map((h) => (typeof h === 'string' ? { type: h } : h));
  const later = Number(spec.frag_offset ?? 0) > 0 || headers.some((h) => h.type === 'fragment' && Number(h.offset ?? 0) > 0);
  const out: Json[] = [];
  for (const h of headers) {
    const type = EXT_ALIASES[String(h.type).toLowerCase()] ?? String(h.type).toLowerCase();
    const e: Json = { type };
    if (type === 'hop-by-hop' || type === 'destination') {
      e.options = ((h.options ?? []) as (number | Json)[]).map((o) => (typeof o === 'number' ? { type: o } : { type: o.type, ...(o.data !== undefined ? { data: o.data } : o.len !== undefined ? { length: o.len } : {}) }));
      if (h.pad === false) e.pad = false;
    } else if (type === 'routing') {
      Object.assign(e, { routingType: h.routing_type ?? 0, addresses: h.addresses ?? [] });
      if (h.segments_left !== undefined) e.segmentsLeft = h.segments_left;
    } else if (type === 'fragment') {
      if (h.offset !== undefined) e.offset = h.offset;
      if (h.m !== undefined) e.moreFragments = h.m;
      if (h.id !== undefined) e.id = h.id;
    } else if (type === 'auth' && h.spi !== undefined) e.spi = h.spi;
    out.push(e);
    // A later fragment carries only data after its fragment header.
    if (type === 'fragment' && later) break;
  }
  if (out.length) p.extensionHeaders = out;
  const payload = spec.payload as string | { hex: string } | undefined;
  if (typeof payload === 'object') {
    const hex = payload.hex;
    const fields = headerFields(proto, hex);
    if (proto === 'mh' || proto === '135' || proto === 'mobility-header' || proto === 'ipv6-mh') {
      p.mhType = parseInt(hex.slice(4, 6), 16);
      p.payloadHex = hex.slice(16);
    } else if (fields) Object.assign(p, fields);
    else p.payloadHex = hex;
  } else if (spec.payload_len !== undefined) p.payloadHex = '00'.repeat(Number(spec.payload_len));
  else if (typeof payload === 'string' && payload !== '') p.payload = payload;
  return p;
}

/** The whole oracle input as an engine scenario on the oracle's topology. */
export function scenarioOf(c: KernelCase): Json {
  const spec = c.packet;
  const from = origin(spec);
  const options = (spec.options ?? {}) as Json;
  const host: Json = { ...DEFAULT_HOST_JSON };
  if (options.rp_filter !== undefined) host.rpFilter = options.rp_filter;
  if (options.route_localnet !== undefined) host.routeLocalnet = Boolean(options.route_localnet);
  const sysctls = (options.fw_sysctls ?? {}) as Record<string, unknown>;
  const forwarding = sysctls[c.family === 'ipv4' ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding'];
  if (forwarding !== undefined) host.ipForward = Boolean(Number(forwarding));
  const proto = String(spec.proto ?? 'tcp').toLowerCase();
  const listen = (spec.listen_ports as number[] | undefined) ?? (spec.dport !== undefined && (proto === 'tcp' || proto === 'udp') ? [Number(spec.dport)] : proto === 'tcp' ? [80] : proto === 'udp' ? [53] : []);
  host.sockets = proto === 'tcp' || proto === 'udp' ? listen.map((port) => ({ protocol: proto, port, ...(c.family === 'ipv6' ? { address: '::' } : {}) })) : [];
  const history = ((spec.pre ?? []) as Json[]).map((h) => packetOf(h, from, c.family));
  let packet = packetOf(spec, undefined, c.family);
  if (String(spec.ct ?? 'NEW').toUpperCase() === 'ESTABLISHED') {
    if (spec.ct_probe_direction === 'reply') {
      // The oracle's probe is the reply it built from where the opener arrived: recorded in expected.packet.
      history.push(packetOf(spec, undefined, c.family));
      packet = packetOf(c.expected.packet as Json, undefined, c.family);
    } else {
      packet.ctState = 'ESTABLISHED';
      if (spec.tcp_flags === undefined && proto === 'tcp') packet.tcpFlags = 'ACK';
    }
  }
  return {
    // Rules just loaded, and the clock of now: time windows in the cases are years wide.
    host, packet, history, conntrack: options.conntrack === 'on' ? 'on' : 'auto', state: { fresh: true, time: new Date().toISOString() },
  };
}

export function traceCase(c: KernelCase): Trace {
  const { ruleset, diagnostics } = analyseSaveText(c.rules, { ...DEFAULT_OPTIONS, family: c.family });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!ruleset || errors.length) throw new Error(`${c.name}: the ruleset has errors: ${errors.map((d) => d.message).join('; ')}`);
  return traceScenario(ruleset, parseScenario(scenarioOf(c), ruleset.family));
}

const REJECT_NAMES: Record<string, string> = { 'tcp-reset': 'tcp-rst' };

/** The kernel's hits as a multiset: a rule counted twice (a user chain reached from two hooks) is there twice. */
export function kernelHits(e: Json): string[] {
  const rules = e.rules as { table: string; chain: string; index: number; packets: number }[] | undefined;
  const policies = e.policies as { table: string; chain: string; policy: string; packets: number }[] | undefined;
  if (!rules || !policies) return e.hits as string[];
  return [
    ...rules.flatMap((r) => new Array<string>(r.packets).fill(`${r.table}/${r.chain}/${r.index}`)),
    ...policies.flatMap((r) => new Array<string>(r.packets).fill(`${r.table}/${r.chain}/policy:${r.policy}`)),
  ];
}

/** What differs between the engine and the kernel: hits (as a multiset), fate, interfaces, the packet out, the answer sent. */
export function compareWithKernel(c: KernelCase, t: Trace): string[] {
  const e = c.expected;
  const diffs: string[] = [];
  const sorted = (a: unknown) => [...(a as string[])].sort().join(' ');
  if (sorted(t.hits) !== sorted(kernelHits(e))) diffs.push(`hits: kernel [${sorted(kernelHits(e))}], engine [${sorted(t.hits)}]`);
  if (t.fate !== e.fate) diffs.push(`fate: kernel ${e.fate}, engine ${t.fate}`);
  if ((e.out_iface ?? null) !== t.outInterface && (e.fate === 'forwarded' || e.fate === 'sent')) diffs.push(`out interface: kernel ${e.out_iface}, engine ${t.outInterface}`);
  // The oracle reports lo for whatever the fw delivers to itself; a multicast copy really comes back in on the interface it was sent by.
  const looped = origin(c.packet) === 'fw' && /^ff/i.test(String(c.packet.dst)) && t.inInterface === c.packet.out_iface;
  if (e.fate === 'delivered' && e.in_iface !== t.inInterface && !looped) diffs.push(`in interface: kernel ${e.in_iface}, engine ${t.inInterface}`);
  const rejected = (e.rejected_with as string[] | undefined)?.join(',') ?? null;
  const ours = t.rejectWith ? REJECT_NAMES[t.rejectWith] ?? t.rejectWith : null;
  if (e.fate === 'dropped' && rejected !== ours) diffs.push(`answer sent: kernel ${rejected}, engine ${ours}`);
  if ((e.send_error ?? null) !== t.sendError) diffs.push(`sendto() error: kernel ${e.send_error}, engine ${t.sendError}`);
  const observed = (e.observed as Json[] | undefined)?.find((o) => o.packet)?.packet as Json | undefined;
  if (observed && t.packetOut) {
    const out = t.packetOut;
    const v6 = c.family === 'ipv6';
    const length = v6 ? (observed.plen === undefined ? undefined : Number(observed.plen) + 40) : observed.len;
    const pairs: [string, unknown, unknown][] = [
      ['source', observed.src, out.source], ['destination', observed.dst, out.destination], ['ttl', v6 ? observed.hop_limit : observed.ttl, out.ttl],
      ['tos', v6 ? observed.tclass : observed.tos, out.tos],
    ];
    if (length !== undefined) pairs.push(['length', length, out.length]);
    if (observed.sport !== undefined) pairs.push(['sourcePort', observed.sport, out.sourcePort], ['destinationPort', observed.dport, out.destinationPort]);
    if (observed.icmp_type !== undefined) pairs.push(['icmpType', observed.icmp_type, out.icmpType]);
    const inner = observed.inner as Json | undefined;
    if (inner) pairs.push(['inner source', inner.src, (out.inner as Json)?.source], ['inner destination', inner.dst, (out.inner as Json)?.destination]);
    if (v6) {
      // A delivered packet's headers come from the socket, which reports hop-by-hop, routing and destination options only.
      const seen = ((observed.ext ?? []) as Json[]).map((h) => h.type).join(',');
      const ours = ((out.extensionHeaders ?? []) as string[]).filter((h) => e.fate !== 'delivered' || h === 'hop-by-hop' || h === 'routing' || h === 'destination').join(',');
      pairs.push(['extension headers', seen, ours]);
    }
    for (const [k, a, b] of pairs) if (a !== b) diffs.push(`packet out ${k}: kernel ${a}, engine ${b}`);
  }
  return diffs;
}
