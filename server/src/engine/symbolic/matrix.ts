// The service matrix: for one protocol and port, who reaches what. Every
// first packet of a connection to that port (TCP: the SYN), from anywhere,
// on every interface and from the host itself, through the whole ruleset:
// the classes by where they end (INPUT, FORWARD, OUTPUT), their fate, the
// addresses they come from and go to, what NAT did to them, what the answer
// depends on, and an example packet for the trace.
import { padColumns } from '../../display';
import type { Hook } from '../../knowledge';
import { t } from '../../l10n';
import type { Ruleset } from '../../model/ruleset';
import { type Host } from '../host';
import type { JsonObject } from '../json';
import { ICMP, ICMPV6, TCP, TCP_FLAG_BITS } from '../packet';
import type { Fate } from '../traverse';
import { analyseRuleset, type Analysis, exampleOf, hostForRules, PacketClass } from '.';
import { IntervalSet } from './intervals';
import type { SymbolicAssumption, View } from './piece';
import type { Cube, Dim, SpaceLimits } from './space';
import { addressWords, cubeEnds, cubeWords, fateOutWords, hostJson, openValueWords, valueText } from './words';

export interface Service {
  protocol: number;
  /** Undefined: every port. */
  port?: number;
}

export interface MatrixOptions {
  host?: Host;
  conntrack?: 'auto' | 'on';
}

export interface MatrixEntry {
  /** Where the packets' way ends: INPUT (to this host), FORWARD (through it), OUTPUT (from it), or PREROUTING when dropped before routing. */
  hook: Hook;
  fate: Fate | 'unknown';
  cubes: Cube[];
  /** Each cube in words. */
  packets: string[];
  /** What the fate depends on, in words (empty when it depends on nothing). */
  conditions: string[];
  assumptions: SymbolicAssumption[];
  outInterface: string | null;
  /** How NAT rewrote them (`destination → 10.0.0.10`). */
  rewrites: string[];
  reason?: string;
  /** A scenario `iptables-trace --scenario` reads as it is: one packet of the class (and the host, when not the default). */
  example: JsonObject;
}

export interface Matrix {
  service: Service;
  family: Ruleset['family'];
  host: Host;
  /** Interfaces the host got because the rules name them. */
  addedInterfaces: string[];
  entries: MatrixEntry[];
}

const HOOK_ORDER: Hook[] = ['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING'];
const FATE_ORDER: (Fate | 'unknown')[] = ['delivered', 'forwarded', 'sent', 'unknown', 'dropped'];

/** `tcp:22`, `udp:53`, `icmp`, `tcp` (every port). */
export function parseService(text: string): Service | undefined {
  const m = /^(tcp|udp|sctp|dccp|udplite|icmp|icmpv6|\d+)(?::(\d+))?$/i.exec(text.trim());
  if (!m) return undefined;
  const names: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, dccp: 33, udplite: 136, icmp: 1, icmpv6: 58 };
  const protocol = names[m[1].toLowerCase()] ?? Number(m[1]);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (protocol < 1 || protocol > 255 || (port !== undefined && (port > 65535 || protocol === ICMP || protocol === ICMPV6))) return undefined;
  return port === undefined ? { protocol } : { protocol, port };
}

export function serviceText(s: Service): string {
  const name = ({ 6: 'tcp', 17: 'udp', 132: 'sctp', 33: 'dccp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6' } as Record<number, string>)[s.protocol] ?? String(s.protocol);
  return s.port === undefined ? name : `${name}:${s.port}`;
}

/** Where a class's way ends, for the matrix: FORWARD or INPUT when it got there, OUTPUT for the host's own, else PREROUTING. */
export function mainHook(c: PacketClass): Hook {
  for (const h of ['FORWARD', 'INPUT'] as Hook[]) if (c.hooks.includes(h)) return h;
  if (c.hooks[0] === 'OUTPUT' || c.hooks.length === 0 && c.inInterface === null) return 'OUTPUT';
  return 'PREROUTING';
}

function assumptionWords(a: SymbolicAssumption): string {
  const where = a.rule.endsWith('/*') ? t('a rule of {0}', a.rule.slice(0, -2)) : a.rule;
  return a.assumed === 'match' ? t('if `{0}` ({1}) matches: {2}', a.criterion, where, a.reason) : t('if `{0}` ({1}) does not match: {2}', a.criterion, where, a.reason);
}

const rewritten = (): Partial<Record<Dim, string>> => ({ src: t('source'), dst: t('destination'), sport: t('source port'), dport: t('destination port'), mark: t('mark'), flags: t('TCP flags') });

/** What NAT rewrote, in words (`destination → 10.0.0.2`). */
export function rewriteWords(views: Partial<Record<Dim, View>>, family: Ruleset['family']): string[] {
  const words = rewritten();
  return Object.entries(views).flatMap(([d, v]) => {
    const what = words[d as Dim];
    if (!what) return [];
    const addr = d === 'src' || d === 'dst';
    const value = v.kind === 'const' ? (addr ? addressWords(IntervalSet.of(v.value), family) : valueText(d as Dim, v.value)) : openValueWords(d as Dim, v.within, v.why, family, v.random);
    return [`${what} → ${value}`];
  });
}

/** The analysis behind a matrix: the service's first packets, classes by fate only (a coarse walk). */
export function serviceAnalysis(ruleset: Ruleset, service: Service, options: MatrixOptions = {}): Analysis {
  const host = options.host ?? hostForRules(ruleset);
  return analyseRuleset(ruleset, { host, limits: serviceLimits(service), conntrack: options.conntrack, coarse: true });
}

/** A service's first packets: its protocol, its port, and for TCP the SYN. */
export function serviceLimits(service: Service): SpaceLimits {
  const limits: SpaceLimits = { proto: IntervalSet.of(BigInt(service.protocol)) };
  if (service.port !== undefined) limits.dport = IntervalSet.of(BigInt(service.port));
  if (service.protocol === TCP) limits.flags = IntervalSet.of(BigInt(TCP_FLAG_BITS.SYN));
  return limits;
}

/**
 * The matrix of one service: the first packets of its connections (for TCP
 * the SYN) to that port, or to every port, in classes by their way's end and fate.
 */
export function serviceMatrix(ruleset: Ruleset, service: Service, options: MatrixOptions = {}): Matrix {
  const analysis = serviceAnalysis(ruleset, service, options);
  const host = analysis.host;
  const scenarioHost = hostJson(host);
  const entries: MatrixEntry[] = analysis.classes.map((c) => {
    const example: JsonObject = { ...(scenarioHost ? { host: scenarioHost } : {}), packet: exampleOf(c, analysis) };
    if (options.conntrack === 'on') example.conntrack = 'on';
    return {
      hook: mainHook(c), fate: c.fate, cubes: c.cubes, packets: c.cubes.map((q) => cubeWords(q, host, ruleset.family, service.port !== undefined)),
      conditions: c.assumptions.map(assumptionWords), assumptions: c.assumptions, outInterface: c.outInterface,
      rewrites: rewriteWords(c.rewritten, ruleset.family), ...(c.dropReason || c.unknown ? { reason: c.unknown ?? c.dropReason } : {}), example,
    };
  });
  entries.sort((a, b) => HOOK_ORDER.indexOf(a.hook) - HOOK_ORDER.indexOf(b.hook) || FATE_ORDER.indexOf(a.fate) - FATE_ORDER.indexOf(b.fate));
  const defaultNames = new Set(hostForRules({ family: ruleset.family, tables: new Map() }).interfaces.keys());
  return {
    service, family: ruleset.family, host, entries,
    addedInterfaces: options.host ? [] : [...host.interfaces.keys()].filter((n) => !defaultNames.has(n)),
  };
}

function hookWords(hook: Hook): string {
  switch (hook) {
    case 'INPUT': return t('INPUT: to this host');
    case 'FORWARD': return t('FORWARD: through this host');
    case 'OUTPUT': return t('OUTPUT: from this host');
    case 'PREROUTING': return t('PREROUTING: dropped before routing');
    case 'POSTROUTING': return 'POSTROUTING';
  }
}

/** The matrix as text: by hook, each class's fate, its packets, what NAT did, why and on what it depends. */
export function matrixText(m: Matrix): string {
  const out: string[] = [];
  const what = m.service.protocol === TCP ? t('new connections (SYN)') : t('first packets');
  const family = m.family === 'ipv4' ? 'IPv4' : 'IPv6';
  out.push(m.service.port === undefined ? `${serviceText(m.service)}: ${what}, ${family}` : t('{0}: {1} to port {2}, {3}', serviceText(m.service), what, m.service.port, family));
  if (m.addedInterfaces.length) out.push(t('host: the example router, with the interfaces the rules name (no addresses, no routes): {0}', m.addedInterfaces.join(', ')));
  let hook: Hook | undefined;
  for (const e of m.entries) {
    if (e.hook !== hook) {
      hook = e.hook;
      out.push('', hookWords(hook));
    }
    const fate = fateOutWords(e.fate, e.outInterface);
    e.packets.forEach((p, i) => out.push(`  ${padColumns(i === 0 ? fate : '', 18)} ${p}`));
    const pad = ' '.repeat(21);
    for (const r of e.rewrites) out.push(`${pad}NAT: ${r}`);
    if (e.reason) out.push(`${pad}(${e.reason})`);
    for (const c of e.conditions) out.push(`${pad}${c}`);
  }
  return out.join('\n') + '\n';
}

/**
 * The matrix as JSON: each class with its hook, fate, packets (in words, and
 * as `cells`: where from, where to, on which interface), conditions and an
 * example scenario. `maxClasses`: at most that many classes, `more` says how many were left out.
 */
export function matrixJson(m: Matrix, maxClasses = Infinity): JsonObject {
  const shown = m.entries.slice(0, maxClasses);
  return {
    service: serviceText(m.service), family: m.family, host: hostJson(m.host) ?? null, addedInterfaces: m.addedInterfaces,
    classes: shown.map((e) => ({
      hook: e.hook, fate: e.fate, outInterface: e.outInterface, packets: e.packets, cells: e.cubes.map((c) => cubeEnds(c, m.host, m.family)),
      rewrites: e.rewrites, ...(e.reason ? { reason: e.reason } : {}), conditions: e.conditions, example: e.example,
    })),
    ...(shown.length < m.entries.length ? { more: m.entries.length - shown.length } : {}),
  };
}
