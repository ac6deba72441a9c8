// Equivalence in the real kernel: the shared oracle sends the same packets
// through the original iptables rules and through our nft script, and the
// kernel must treat each packet alike under both: the same fate, interfaces
// and answer, the same rules hit (nft rule counters, by chain and position),
// the same packet after NAT. Only rulesets whose every rule was translated
// are compared; the others are counted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Cidr } from '../../server/src/knowledge/addresses';
import { formatAddress } from '../../server/src/knowledge/addresses';
import { checkValue, PortRange } from '../../server/src/knowledge/values';
import type { Ruleset } from '../../server/src/model/ruleset';
import { nftScript, tableChainNames } from '../../server/src/nft/script';
import { generator } from '../../scripts/random-cases6.mjs';
import { nftOracleShims, oracleMissing, runOracle } from '../support/nftables';
import { readCases } from '../support/oracleCase';
import { CORPUS, corpusMissing, SHARED } from '../support/shared';

type Json = Record<string, unknown>;

/** What the kernel did with one packet, as far as both rulesets can be compared (nft chains count no policy). */
function verdict(phase: Json, names: Map<string, string>): string {
  // The probe's observations wrap the packet; the oracle lists a setup phase's packets as they are.
  const seen = ((phase.observed as Json[] | undefined) ?? []).map((o) => (o.packet ?? o) as Json);
  const observed = seen.find((o) => o.src !== undefined);
  const hits = ((phase.hits as string[] | undefined) ?? []).filter((h) => !h.includes('/policy:')).map((h) => {
    const [table, chain, index] = h.split('/');
    return `${table}/${names.get(`${table}/${chain}`) ?? chain}/${index}`;
  }).sort();
  // The stack's own SYN-ACKs are left out: it sends them again a second later, into whatever packet comes then.
  const rejected = (phase.rejected_with as string[] | undefined)?.filter((r) => r !== 'tcp-syn-ack');
  return JSON.stringify({
    fate: phase.fate, out: phase.out_iface, in: phase.in_iface, rejected: rejected?.length ? rejected : undefined, error: phase.send_error, hits,
    packet: observed && [observed.src, observed.dst, observed.sport, observed.dport, observed.ttl, observed.icmp_type],
  });
}

/** nft chain name back to the iptables one, by `table/chain`. */
function nftNames(ruleset: Ruleset): Map<string, string> {
  const back = new Map<string, string>();
  for (const table of ruleset.tables.values()) for (const [ipt, nft] of tableChainNames(table)) back.set(`${table.name}/${nft}`, ipt);
  return back;
}

function convert(text: string, fileName: string) {
  const { ruleset, diagnostics } = analyseSaveText(text, { ...DEFAULT_OPTIONS, fileName });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!ruleset || errors.length) throw new Error(`${fileName}: ${errors.map((d) => d.message).join('; ')}`);
  return { ruleset, script: nftScript([ruleset], { text }) };
}

const skip = oracleMissing();
const CASES = path.join(SHARED, 'kernel', 'cases');

test('the 40 shared kernel cases: the same fate, hits, answer and packet under iptables and under our nft', { skip, timeout: 10 * 60_000 }, () => {
  const cases = readCases(CASES);
  assert.equal(cases.length, 40);
  const shims = nftOracleShims();
  const differ: string[] = [];
  const untranslated: string[] = [];
  try {
    for (const c of cases) {
      const { ruleset, script } = convert(c.rules, 'rules.v4');
      if (script.untranslated) {
        untranslated.push(c.name);
        continue;
      }
      const nft = runOracle(path.join(c.dir, 'rules.v4'), path.join(c.dir, 'packet.json'), { shims, script: script.text });
      const kernel = verdict(c.expected, new Map());
      const ours = nft.ok ? verdict(nft, nftNames(ruleset)) : `error: ${nft.error}`;
      if (ours !== kernel) differ.push(`${c.name}:\n  iptables ${kernel}\n  nft      ${ours}`);
    }
  } finally {
    rmSync(shims, { recursive: true, force: true });
  }
  console.log(`kernel cases: ${cases.length - untranslated.length - differ.length} of ${cases.length - untranslated.length} translated cases alike; not translated: ${untranslated.join(', ')}`);
  assert.deepEqual(differ, []);
  assert.deepEqual(untranslated, ['31-recent-hitcount'], 'only -m recent has no nft equivalent among the shared cases');
});

// ---- random packets over converted corpus files -------------------------------------------------

/** Addresses and ports the ruleset tests, so that random packets meet its rules, not only its policies. */
function ruleValues(ruleset: Ruleset): { addresses: string[]; ports: number[] } {
  const addresses = new Set<string>();
  const ports = new Set<number>();
  for (const t of ruleset.tables.values()) for (const c of t.chains.values()) for (const r of c.rules) {
    for (const crit of [r.spec.source, r.spec.destination]) {
      const v = crit && checkValue('addressList', crit.value.text, { family: 'ipv4' }).value;
      for (const cidr of (Array.isArray(v) ? v : v ? [v] : []) as Cidr[]) {
        if (!('prefix' in cidr) || cidr.prefix <= 0) continue;
        addresses.add(formatAddress(cidr.address + (cidr.prefix < 31 ? 1n : 0n), 'ipv4'));
      }
    }
    for (const m of r.spec.matches) for (const o of m.options) {
      for (const p of o.parsed) {
        if (typeof p === 'number' && /port/.test(o.spec.name)) ports.add(p);
        else if (p && typeof p === 'object' && 'from' in p && /port/.test(o.spec.name)) ports.add((p as PortRange).from);
        else if (Array.isArray(p) && /ports/.test(o.spec.name)) for (const q of p as PortRange[]) ports.add(q.from);
      }
    }
  }
  return { addresses: [...addresses], ports: [...ports] };
}

/** Packets in the oracle's format: from outside, from inside and from the firewall itself. */
function packets(ruleset: Ruleset, count: number, rnd: () => number): Json[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const { addresses, ports } = ruleValues(ruleset);
  const outside = ['198.51.100.7', '192.0.2.33', '8.8.8.8', ...addresses];
  const inside = ['10.0.0.2', '10.0.0.77', '192.168.1.20', '172.16.5.4', ...addresses];
  const local = ['203.0.113.1', '203.0.113.9', '10.0.0.1'];
  const out: Json[] = [];
  for (let i = 0; i < count; i++) {
    const from = pick(['ext', 'ext', 'ext', 'int', 'int', 'fw']);
    const proto = pick(['tcp', 'tcp', 'tcp', 'udp', 'udp', 'icmp']);
    const p: Json = { from, proto };
    if (from === 'ext') Object.assign(p, { src: pick(outside), dst: pick([...local, ...inside, ...local]), in_iface: 'eth0' });
    if (from === 'int') Object.assign(p, { src: pick(inside), dst: pick([...local, ...outside]), in_iface: 'eth1' });
    if (from === 'fw') p.dst = pick([...outside, ...inside]);
    if (proto === 'tcp' || proto === 'udp') {
      p.sport = 1024 + Math.floor(rnd() * 60000);
      p.dport = ports.length && rnd() < 0.7 ? pick(ports) : pick([22, 25, 53, 80, 123, 443, 3128, 8080, 1 + Math.floor(rnd() * 65534)]);
    }
    if (proto === 'tcp') p.tcp_flags = pick(['SYN', 'SYN', 'SYN', 'ACK', 'SYN,ACK', 'FIN', 'RST', 'PSH,ACK', 'FIN,SYN,RST,PSH,ACK,URG']);
    if (proto === 'icmp') p.icmp_type = pick([8, 8, 0, 11, 3]);
    if (rnd() < 0.1) p.ttl = 1 + Math.floor(rnd() * 3);
    out.push(p);
  }
  return out;
}

/** nft tests whose answer depends on time or on a random draw: two runs would differ for that reason alone. */
const TIMED = /\b(limit rate|numgen|meta random|meta (hour|day|time)|quota)\b/;

const PACKETS_PER_FILE = 23;
/**
 * Converted corpus files whose every rule is translated, none timed, of a size
 * the oracle snapshots quickly: TPROXY and marks, NETMAP both ways, five
 * tables with gotos, conntrack helpers, DNAT and SNAT, connmark, Docker's.
 */
const FILES = [
  'save/istio-cni-plugin-tproxy.rules', 'save/nn-serverfault-762193.rules', 'save/nn-online-linuxforum-ru.rules',
  'save/iptables-test-firewalld-completed.rules', 'save/iptables-test-wireless.rules', 'save/nn-serverfault-769294.rules',
  'save/nn-internal-office-fw.rules', 'save/analyzer-docker.rules', 'save/nn-serverfault-765855.rules',
];
/** Seconds the oracle waits for a packet that does not show up (dropped): a delivered one shows in milliseconds. */
const WAIT = 0.12;

/**
 * The kernel's answers under iptables, recorded once (NFT_RECORD=1 npm test ...
 * runs the iptables side again and writes them) with the packets and a hash of
 * each corpus file; every run sends the same packets through our nft script.
 */
const RECORDING = path.join(__dirname, 'random-packets.json');

interface Recorded {
  file: string;
  sha256: string;
  packets: Json[];
  /** The oracle's verdict for each packet under the file's iptables rules. */
  iptables: string[];
}

function record(): Recorded[] {
  const chosen = FILES.map((name) => {
    const text = readFileSync(path.join(CORPUS, name), 'utf8');
    const { ruleset, script } = convert(text, name);
    if (script.untranslated || TIMED.test(script.text)) throw new Error(`${name} has a rule we do not translate or one whose answer depends on time`);
    return { name, text, ruleset };
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'nft-kernel-'));
  try {
    return chosen.map((c, n) => {
      const list = packets(c.ruleset, PACKETS_PER_FILE, generator(1000 + n));
      const packetFile = path.join(dir, 'packets.json');
      writeFileSync(packetFile, JSON.stringify({ ...list[list.length - 1], pre: list.slice(0, -1) }));
      const ipt = runOracle(path.join(CORPUS, c.name), packetFile, undefined, WAIT);
      if (!ipt.ok) throw new Error(`${c.name}: the oracle failed: ${ipt.error}`);
      return { file: c.name, sha256: sha256(c.text), packets: list, iptables: [...(ipt.setup as Json[]), ipt].map((p) => verdict(p, new Map())) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

test('at least 200 random packets through converted corpus files: the same fate, hits and packet under both', { skip: skip ?? corpusMissing(), timeout: 20 * 60_000 }, () => {
  if (process.env.NFT_RECORD) writeFileSync(RECORDING, JSON.stringify(record(), null, 1) + '\n');
  const recorded = JSON.parse(readFileSync(RECORDING, 'utf8')) as Recorded[];
  const dir = mkdtempSync(path.join(tmpdir(), 'nft-kernel-'));
  const shims = nftOracleShims();
  const differ: string[] = [];
  let compared = 0;
  try {
    for (const r of recorded) {
      const text = readFileSync(path.join(CORPUS, r.file), 'utf8');
      assert.equal(sha256(text), r.sha256, `${r.file} changed since the kernel's answers were recorded: record them again (NFT_RECORD=1)`);
      const { ruleset, script } = convert(text, r.file);
      const packetFile = path.join(dir, 'packets.json');
      writeFileSync(packetFile, JSON.stringify({ ...r.packets[r.packets.length - 1], pre: r.packets.slice(0, -1) }));
      const nft = runOracle(path.join(CORPUS, r.file), packetFile, { shims, script: script.text }, WAIT);
      if (!nft.ok) {
        differ.push(`${r.file}: the oracle failed with our nft script: ${nft.error}`);
        continue;
      }
      const names = nftNames(ruleset);
      [...(nft.setup as Json[]), nft].forEach((phase, i) => {
        compared++;
        const ours = verdict(phase, names);
        if (ours !== r.iptables[i]) differ.push(`${r.file} packet ${i} ${JSON.stringify(r.packets[i])}:\n  iptables ${r.iptables[i]}\n  nft      ${ours}`);
      });
    }
  } finally {
    rmSync(shims, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`random packets: ${compared - differ.length} of ${compared} alike over ${recorded.length} converted corpus files (${recorded.map((r) => r.file).join(', ')})`);
  assert.ok(compared >= 200, `only ${compared} packets compared`);
  assert.deepEqual(differ, []);
});
