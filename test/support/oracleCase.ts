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
  rules: string;
  packet: Json;
  expected: Json;
}

export function readCases(root: string): KernelCase[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => existsSync(path.join(root, d, 'expected.json'))).sort().map((name) => {
    const dir = path.join(root, name);
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    return { name, dir, rules: read('rules.v4'), packet: JSON.parse(read('packet.json')), expected: JSON.parse(read('expected.json')) };
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
function packetOf(spec: Json, fallbackFrom?: string): Json {
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

/** The whole oracle input as an engine scenario on the oracle's topology. */
function scenarioOf(c: KernelCase): Json {
  const spec = c.packet;
  const from = origin(spec);
  const options = (spec.options ?? {}) as Json;
  const host: Json = { ...DEFAULT_HOST_JSON };
  if (options.rp_filter !== undefined) host.rpFilter = options.rp_filter;
  if (options.route_localnet !== undefined) host.routeLocalnet = Boolean(options.route_localnet);
  const sysctls = (options.fw_sysctls ?? {}) as Record<string, unknown>;
  if (sysctls['net.ipv4.ip_forward'] !== undefined) host.ipForward = Boolean(Number(sysctls['net.ipv4.ip_forward']));
  const proto = String(spec.proto ?? 'tcp');
  const listen = (spec.listen_ports as number[] | undefined) ?? (spec.dport !== undefined && (proto === 'tcp' || proto === 'udp') ? [Number(spec.dport)] : proto === 'tcp' ? [80] : proto === 'udp' ? [53] : []);
  host.sockets = proto === 'tcp' || proto === 'udp' ? listen.map((port) => ({ protocol: proto, port })) : [];
  const history = ((spec.pre ?? []) as Json[]).map((h) => packetOf(h, from));
  let packet = packetOf(spec);
  if (String(spec.ct ?? 'NEW').toUpperCase() === 'ESTABLISHED') {
    if (spec.ct_probe_direction === 'reply') {
      // The oracle's probe is the reply it built from where the opener arrived: recorded in expected.packet.
      history.push(packetOf(spec));
      packet = packetOf(c.expected.packet as Json);
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
  const { ruleset, diagnostics } = analyseSaveText(c.rules, DEFAULT_OPTIONS);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!ruleset || errors.length) throw new Error(`${c.name}: the ruleset has errors: ${errors.map((d) => d.message).join('; ')}`);
  return traceScenario(ruleset, parseScenario(scenarioOf(c), ruleset.family));
}

const REJECT_NAMES: Record<string, string> = { 'tcp-reset': 'tcp-rst' };

/** What differs between the engine and the kernel: hits (as a multiset), fate, interfaces, the packet out, the answer sent. */
export function compareWithKernel(c: KernelCase, t: Trace): string[] {
  const e = c.expected;
  const diffs: string[] = [];
  const sorted = (a: unknown) => [...(a as string[])].sort().join(' ');
  if (sorted(t.hits) !== sorted(e.hits)) diffs.push(`hits: kernel [${sorted(e.hits)}], engine [${sorted(t.hits)}]`);
  if (t.fate !== e.fate) diffs.push(`fate: kernel ${e.fate}, engine ${t.fate}`);
  if ((e.out_iface ?? null) !== t.outInterface && (e.fate === 'forwarded' || e.fate === 'sent')) diffs.push(`out interface: kernel ${e.out_iface}, engine ${t.outInterface}`);
  if (e.fate === 'delivered' && e.in_iface !== t.inInterface) diffs.push(`in interface: kernel ${e.in_iface}, engine ${t.inInterface}`);
  const rejected = (e.rejected_with as string[] | undefined)?.join(',') ?? null;
  const ours = t.rejectWith ? REJECT_NAMES[t.rejectWith] ?? t.rejectWith : null;
  if (e.fate === 'dropped' && rejected !== ours) diffs.push(`answer sent: kernel ${rejected}, engine ${ours}`);
  if ((e.send_error ?? null) !== t.sendError) diffs.push(`sendto() error: kernel ${e.send_error}, engine ${t.sendError}`);
  const observed = (e.observed as Json[] | undefined)?.find((o) => o.packet)?.packet as Json | undefined;
  if (observed && t.packetOut) {
    const out = t.packetOut;
    const pairs: [string, unknown, unknown][] = [
      ['source', observed.src, out.source], ['destination', observed.dst, out.destination], ['ttl', observed.ttl, out.ttl],
      ['tos', observed.tos, out.tos], ['length', observed.len, out.length],
    ];
    if (observed.sport !== undefined) pairs.push(['sourcePort', observed.sport, out.sourcePort], ['destinationPort', observed.dport, out.destinationPort]);
    if (observed.icmp_type !== undefined) pairs.push(['icmpType', observed.icmp_type, out.icmpType]);
    const inner = observed.inner as Json | undefined;
    if (inner) pairs.push(['inner source', inner.src, (out.inner as Json)?.source], ['inner destination', inner.dst, (out.inner as Json)?.destination]);
    for (const [k, a, b] of pairs) if (a !== b) diffs.push(`packet out ${k}: kernel ${a}, engine ${b}`);
  }
  return diffs;
}
