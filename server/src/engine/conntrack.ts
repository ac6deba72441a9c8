// Connection tracking as nf_conntrack does it: the tuple of a packet, the
// connection table, the TCP state machine, and the state a packet gets at the
// conntrack hook (priority -200): NEW, ESTABLISHED, RELATED, INVALID or UNTRACKED.
import type { Family } from '../knowledge';
import {
  DCCP, ICMP, ICMPV6, InnerPacket, isIcmpError, isLaterFragment, Packet, SCTP, TCP, TCP_FLAG_BITS, UDP, UDPLITE,
} from './packet';
import { t } from '../l10n';

export interface Tuple {
  protocol: number;
  src: bigint;
  dst: bigint;
  /** Ports; for ICMP the query id. */
  sport: number;
  /** Ports; for ICMP type * 256 + code. */
  dport: number;
}

export type Direction = 'original' | 'reply';

export type TcpState =
  | 'NONE' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'TIME_WAIT' | 'CLOSE' | 'SYN_SENT2';

export interface Connection {
  id: number;
  family: Family;
  /** The first packet's tuple. */
  orig: Tuple;
  /** What a reply looks like: the inverse of the original tuple after NAT. */
  reply: Tuple;
  tcpState: TcpState | null;
  seenReply: boolean;
  assured: boolean;
  confirmed: boolean;
  srcNat: boolean;
  dstNat: boolean;
  /** NAT was decided for this manipulation (nf_nat_initialized): nat chains are not run again. */
  natDone: { src: boolean; dst: boolean };
  mark: number;
  labels: bigint;
  secmark: number;
  /** The conntrack helper (`-j CT --helper`); undefined when a declared RELATED state does not say. */
  helper: string | null | undefined;
  zone: number;
  /** A connection a helper expected (RELATED), and its master. */
  master: Connection | null;
  packets: [number, number];
  bytes: [number, number];
  /** Engine seconds of the last packet, and the timeout then set (seconds). */
  lastSeen: number;
  timeout: number;
}

/** What the packet carries after the conntrack hook. */
export type CtInfo =
  | { kind: 'none' }
  | { kind: 'untracked' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'tracked'; conn: Connection; dir: Direction; state: 'NEW' | 'ESTABLISHED' | 'RELATED' };

export function ctStateName(ct: CtInfo): string | undefined {
  switch (ct.kind) {
    case 'none': return undefined;
    case 'untracked': return 'UNTRACKED';
    case 'invalid': return 'INVALID';
    case 'tracked': return ct.state;
  }
}

const ICMP_REPLY_TYPE: Record<Family, Record<number, number>> = {
  ipv4: { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 },
  ipv6: { 128: 129, 129: 128, 139: 140, 140: 139 },
};

/** MLD query/report/done, router and neighbour solicitation/advertisement, MLDv2 report. */
const UNTRACKED_ICMPV6 = [130, 131, 132, 133, 134, 135, 136, 143];

/** ICMP queries that may open a connection (icmp_new / icmpv6_new). */
const ICMP_NEW: Record<Family, readonly number[]> = { ipv4: [8, 13, 15, 17], ipv6: [128, 139] };

function isIcmp(protocol: number): boolean {
  return protocol === ICMP || protocol === ICMPV6;
}

function portsOf(protocol: number): boolean {
  return protocol === TCP || protocol === UDP || protocol === SCTP || protocol === DCCP || protocol === UDPLITE;
}

function tupleOf(p: Pick<Packet, 'protocol' | 'source' | 'destination' | 'sourcePort' | 'destinationPort' | 'icmpType' | 'icmpCode' | 'icmpId'>): Tuple {
  if (isIcmp(p.protocol)) return { protocol: p.protocol, src: p.source, dst: p.destination, sport: p.icmpId, dport: p.icmpType * 256 + p.icmpCode };
  const ports = portsOf(p.protocol);
  return { protocol: p.protocol, src: p.source, dst: p.destination, sport: ports ? p.sourcePort : 0, dport: ports ? p.destinationPort : 0 };
}

export function invertTuple(tgt: Tuple, family: Family): Tuple {
  if (isIcmp(tgt.protocol)) {
    const type = tgt.dport >> 8;
    const reply = ICMP_REPLY_TYPE[family][type] ?? type;
    return { protocol: tgt.protocol, src: tgt.dst, dst: tgt.src, sport: tgt.sport, dport: reply * 256 + (tgt.dport & 255) };
  }
  return { protocol: tgt.protocol, src: tgt.dst, dst: tgt.src, sport: tgt.dport, dport: tgt.sport };
}

function key(tgt: Tuple): string {
  return `${tgt.protocol}|${tgt.src}|${tgt.dst}|${tgt.sport}|${tgt.dport}`;
}

/** The connections the kernel remembers between packets (confirmed entries only). */
export class ConnectionTable {
  private readonly byTuple = new Map<string, { conn: Connection; dir: Direction }>();
  private nextId = 1;

  newId(): number {
    return this.nextId++;
  }

  find(tgt: Tuple): { conn: Connection; dir: Direction } | undefined {
    return this.byTuple.get(key(tgt));
  }

  /** nf_conntrack_confirm: the entry becomes visible to later packets. */
  confirm(conn: Connection): void {
    conn.confirmed = true;
    this.byTuple.set(key(conn.orig), { conn, dir: 'original' });
    this.byTuple.set(key(conn.reply), { conn, dir: 'reply' });
  }

  /** A reply tuple another connection already uses (a NAT clash). */
  replyInUse(tgt: Tuple, self: Connection): boolean {
    const hit = this.byTuple.get(key(tgt));
    return hit !== undefined && hit.conn !== self;
  }

  connections(): Connection[] {
    return [...new Set([...this.byTuple.values()].map((e) => e.conn))];
  }
}

// ---- TCP ------------------------------------------------------------------------------

const S: readonly TcpState[] = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];
type Next = TcpState | 'IV' | 'IG';

// tcp_conntracks[dir][flags][state] of nf_conntrack_proto_tcp.c; IV = invalid, IG = ignored.
// Columns: NONE SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE SYN_SENT2.
const ss = 'SYN_SENT', sr = 'SYN_RECV', es = 'ESTABLISHED', fw = 'FIN_WAIT', cw = 'CLOSE_WAIT', la = 'LAST_ACK', tw = 'TIME_WAIT', cl = 'CLOSE', s2 = 'SYN_SENT2';
const TCP_TABLE: Record<Direction, Record<string, readonly Next[]>> = {
  original: {
    syn: [ss, ss, 'IG', 'IG', 'IG', 'IG', 'IG', ss, ss, s2],
    synack: ['IV', 'IV', sr, 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', sr],
    fin: ['IV', 'IV', fw, fw, la, la, la, tw, cl, 'IV'],
    ack: [es, 'IV', es, es, cw, cw, tw, tw, cl, 'IV'],
    rst: ['IV', cl, cl, cl, cl, cl, cl, cl, cl, cl],
    none: ['IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV'],
  },
  reply: {
    syn: ['IV', s2, 'IV', 'IV', 'IV', 'IV', 'IV', ss, 'IV', s2],
    synack: ['IV', sr, 'IG', 'IG', 'IG', 'IG', 'IG', 'IG', 'IG', sr],
    fin: ['IV', 'IV', fw, fw, la, la, la, tw, cl, 'IV'],
    ack: ['IV', 'IG', sr, es, cw, cw, tw, tw, cl, 'IG'],
    rst: ['IV', cl, cl, cl, cl, cl, cl, cl, cl, cl],
    none: ['IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV', 'IV'],
  },
};

/** get_conntrack_index: RST wins, then SYN (with or without ACK), FIN, ACK. */
function tcpIndex(flags: number): string {
  if (flags & TCP_FLAG_BITS.RST) return 'rst';
  if (flags & TCP_FLAG_BITS.SYN) return flags & TCP_FLAG_BITS.ACK ? 'synack' : 'syn';
  if (flags & TCP_FLAG_BITS.FIN) return 'fin';
  if (flags & TCP_FLAG_BITS.ACK) return 'ack';
  return 'none';
}

/** tcp_valid_flags: the combinations of FIN, SYN, RST, ACK and URG conntrack accepts (PSH, ECE, CWR aside). */
const VALID_TCP_FLAGS = new Set([0x02, 0x22, 0x12, 0x04, 0x14, 0x11, 0x31, 0x10, 0x30]);

function tcpError(flags: number): string | undefined {
  return VALID_TCP_FLAGS.has(flags & 0x37) ? undefined : t('this combination of TCP flags is invalid for conntrack (tcp_valid_flags)');
}

const TCP_TIMEOUTS: Record<TcpState, number> = {
  NONE: 0, SYN_SENT: 120, SYN_RECV: 60, ESTABLISHED: 432000, FIN_WAIT: 120, CLOSE_WAIT: 60, LAST_ACK: 30, TIME_WAIT: 120, CLOSE: 10, SYN_SENT2: 120,
};

function timeoutFor(conn: Connection): number {
  if (conn.tcpState) return TCP_TIMEOUTS[conn.tcpState];
  if (conn.orig.protocol === UDP || conn.orig.protocol === UDPLITE) return conn.seenReply ? 120 : 30;
  if (isIcmp(conn.orig.protocol)) return 30;
  return 600;
}

// ---- the conntrack hook ------------------------------------------------------------------

export interface ConntrackResult {
  ct: CtInfo;
  /** Why the state is what it is, for the trace. */
  explain: string;
}

/**
 * nf_conntrack_in for one packet: find its connection (or the one an ICMP
 * error is about), or open a new unconfirmed one if the protocol allows.
 */
export function conntrackIn(table: ConnectionTable, p: Packet, now: number, incoming = false): ConntrackResult {
  if (p.family === 'ipv6' && p.protocol === NO_NEXT_HEADER) {
    const reason = t('no next header (59): conntrack finds no layer-4 header and leaves the packet without a connection');
    return { ct: { kind: 'invalid', reason }, explain: `INVALID: ${reason}` };
  }
  if (incoming && checksumForAnotherHop(p)) {
    const reason = t('the checksum was computed for the routing header\'s final destination, so it fails here (nf_conntrack_checksum)');
    return { ct: { kind: 'invalid', reason }, explain: `INVALID: ${reason}` };
  }
  // icmpv6_error: neighbour discovery and MLD are never tracked (so `--ctstate INVALID -j DROP` spares them).
  if (p.protocol === ICMPV6 && UNTRACKED_ICMPV6.includes(p.icmpType)) {
    return { ct: { kind: 'untracked' }, explain: t('UNTRACKED: conntrack does not track neighbour discovery and multicast listener messages') };
  }
  if (isIcmpError(p)) return relatedError(table, p);
  const tgt = tupleOf(p);
  const found = table.find(tgt);
  if (found) return existing(found.conn, found.dir, p, now);
  const refusal = refuseNew(p);
  if (refusal) return { ct: { kind: 'invalid', reason: refusal }, explain: `INVALID: ${refusal}` };
  const conn: Connection = {
    id: table.newId(), family: p.family, orig: tgt, reply: invertTuple(tgt, p.family), tcpState: null,
    seenReply: false, assured: false, confirmed: false, srcNat: false, dstNat: false, natDone: { src: false, dst: false },
    mark: 0, labels: 0n, secmark: 0, helper: null, zone: 0, master: null, packets: [0, 0], bytes: [0, 0], lastSeen: now, timeout: 0,
  };
  if (p.protocol === TCP) conn.tcpState = TCP_TABLE.original[tcpIndex(p.tcpFlags)][0] as TcpState;
  account(conn, 'original', p, now);
  const how = p.protocol === TCP && !(p.tcpFlags & TCP_FLAG_BITS.SYN)
    ? t('a TCP packet without SYN opens a connection picked up mid-stream (nf_conntrack_tcp_loose=1)')
    : t('the first packet of a connection');
  return { ct: { kind: 'tracked', conn, dir: 'original', state: 'NEW' }, explain: `NEW: ${how}` };
}

const NO_NEXT_HEADER = 59;

/**
 * A sender computes the upper-layer checksum with the final destination of a
 * routing header (RFC 8200 8.1); conntrack verifies incoming TCP, UDP,
 * UDP-Lite, DCCP and ICMPv6 checksums with the address in the IPv6 header.
 */
function checksumForAnotherHop(p: Packet): boolean {
  if (![TCP, UDP, UDPLITE, DCCP, ICMPV6].includes(p.protocol) || isLaterFragment(p)) return false;
  const rt = p.extensionHeaders.find((h) => h.type === 'routing');
  return rt !== undefined && rt.segmentsLeft > 0 && rt.addresses.length > 0 && rt.addresses[rt.addresses.length - 1] !== p.destination;
}

/** Why the first packet of a flow cannot open a connection, if it cannot. */
function refuseNew(p: Packet): string | undefined {
  if (p.protocol === TCP) {
    const bad = tcpError(p.tcpFlags);
    if (bad) return bad;
    if (TCP_TABLE.original[tcpIndex(p.tcpFlags)][0] === 'IV') return t('a TCP {0} cannot open a connection and belongs to none the host knows', tcpIndex(p.tcpFlags).toUpperCase());
    return undefined;
  }
  if (isIcmp(p.protocol) && !ICMP_NEW[p.family].includes(p.icmpType)) {
    return t('ICMP type {0} is neither a query that opens a connection nor a reply to a known one', p.icmpType);
  }
  if (p.protocol === SCTP && p.sctpChunks[0]?.type !== 1) return t('an SCTP connection starts with an INIT chunk');
  return undefined;
}

function existing(conn: Connection, dir: Direction, p: Packet, now: number): ConntrackResult {
  let state: 'NEW' | 'ESTABLISHED' | 'RELATED' = dir === 'reply' || conn.seenReply ? 'ESTABLISHED' : conn.master ? 'RELATED' : 'NEW';
  if (p.protocol === TCP && conn.tcpState) {
    const bad = tcpError(p.tcpFlags);
    if (bad) return { ct: { kind: 'invalid', reason: bad }, explain: `INVALID: ${bad}` };
    const index = tcpIndex(p.tcpFlags);
    const next = TCP_TABLE[dir][index][S.indexOf(conn.tcpState)];
    if (next === 'IV') {
      const reason = t('a {0} in the {1} direction is invalid in TCP state {2}', index.toUpperCase(), dir, conn.tcpState);
      return { ct: { kind: 'invalid', reason }, explain: `INVALID: ${reason}` };
    }
    if (next !== 'IG') {
      // Set ASSURED on the valid answer to SYN_RECV, or to a picked-up connection.
      if (next === 'ESTABLISHED' && (conn.tcpState === 'SYN_RECV' || conn.tcpState === 'ESTABLISHED') && conn.seenReply) conn.assured = true;
      conn.tcpState = next;
    }
  }
  if (dir === 'reply') {
    conn.seenReply = true;
    state = 'ESTABLISHED';
  }
  account(conn, dir, p, now);
  const what = dir === 'reply' ? t('a reply of a known connection') : state === 'ESTABLISHED' ? t('a connection that has seen replies') : t('a connection that has not been answered yet');
  return { ct: { kind: 'tracked', conn, dir, state }, explain: `${state}: ${what}${conn.tcpState ? ` (TCP ${conn.tcpState})` : ''}` };
}

function account(conn: Connection, dir: Direction, p: Packet, now: number): void {
  const i = dir === 'original' ? 0 : 1;
  conn.packets[i]++;
  conn.bytes[i] += p.length;
  conn.lastSeen = now;
  conn.timeout = timeoutFor(conn);
}

/** An ICMP error is RELATED to the connection of the packet it quotes, else INVALID. */
function relatedError(table: ConnectionTable, p: Packet): ConntrackResult {
  const inner = p.inner!;
  const quoted = invertTuple(tupleOf(innerAsPacket(inner)), p.family);
  const found = table.find(quoted);
  if (!found) {
    const reason = t('an ICMP error about a connection the host does not know');
    return { ct: { kind: 'invalid', reason }, explain: `INVALID: ${reason}` };
  }
  return {
    ct: { kind: 'tracked', conn: found.conn, dir: found.dir, state: 'RELATED' },
    explain: t('RELATED: an ICMP error about a known connection'),
  };
}

function innerAsPacket(i: InnerPacket) {
  return { protocol: i.protocol, source: i.source, destination: i.destination, sourcePort: i.sourcePort, destinationPort: i.destinationPort, icmpType: i.icmpType, icmpCode: i.icmpCode, icmpId: i.icmpId };
}

/**
 * A connection the scenario declares, with no history to build it from: an
 * established one (in the table, NAT decided, no translation), or the new
 * connection a helper expected (RELATED: unconfirmed, NAT still to decide).
 */
export function declaredConnection(table: ConnectionTable, p: Packet, dir: Direction, now: number, related = false): Connection {
  const tgt = tupleOf(p);
  const orig = dir === 'original' ? tgt : invertTuple(tgt, p.family);
  const conn: Connection = {
    id: table.newId(), family: p.family, orig, reply: invertTuple(orig, p.family), tcpState: p.protocol === TCP ? 'ESTABLISHED' : null,
    seenReply: !related, assured: !related, confirmed: false, srcNat: false, dstNat: false, natDone: { src: !related, dst: !related },
    mark: 0, labels: 0n, secmark: 0, helper: null, zone: 0, master: null, packets: [1, related ? 0 : 1], bytes: [0, 0], lastSeen: now, timeout: 0,
  };
  if (related) conn.master = { ...conn, id: table.newId(), master: null, helper: undefined };
  conn.timeout = timeoutFor(conn);
  if (!related) table.confirm(conn);
  return conn;
}

/** Seconds left before the entry expires, as `--ctexpire` reads it (0 until confirmed). */
export function expiresIn(conn: Connection, now: number): number {
  return conn.confirmed ? Math.max(0, conn.timeout - (now - conn.lastSeen)) : 0;
}
