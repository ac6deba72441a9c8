// What the kernel remembers between packets (connections, recent lists, rate
// buckets, quotas, counters) and what the scenario's `state` says about the
// things a packet alone cannot tell: ipset members, the time, random draws.
import type { Family } from '../knowledge';
import { familyBits, maskFromPrefix } from '../knowledge/addresses';
import { PROTOCOLS } from '../knowledge/vocabulary';
import { ConnectionTable } from './conntrack';
import { Fields, ScenarioError, parseHostAddress, readAddress } from './json';
import { t } from '../l10n';

export type SetPart =
  | { kind: 'address'; family: Family; from: bigint; to: bigint }
  | { kind: 'port'; protocol: number | null; from: number; to: number }
  | { kind: 'interface'; name: string };

export interface RecentEntry {
  address: bigint;
  family: Family;
  /** Engine seconds of each hit, oldest first (the probe is at 0). */
  stamps: number[];
  ttl: number;
}

export interface Bucket {
  tokens: number;
  last: number;
}

export class EngineState {
  readonly conntrack = new ConnectionTable();
  /** Seconds; the probe is at 0, history packets before it. */
  now = 0;
  readonly limits = new Map<string, Bucket>();
  readonly quotas = new Map<string, number>();
  readonly nth = new Map<string, number>();
  /** connlimit: per rule and group key, the connections counted. */
  readonly connlimit = new Map<string, Map<string, Set<number>>>();

  constructor(
    /** The rules were just loaded: rate buckets are full, counters at their start, recent lists empty. */
    readonly fresh: boolean,
    /** Members of the ipsets the scenario describes; others are unknown. */
    readonly sets: Map<string, SetPart[][]>,
    /** Recent lists the scenario describes (and those built during the trace). */
    readonly recent: Map<string, RecentEntry[]>,
    /** Wall-clock time of the probe (ms since 1970, UTC), if given. */
    readonly time: number | null,
    readonly random: number | Map<string, number> | null,
  ) {}

  static blank(): EngineState {
    return new EngineState(false, new Map(), new Map(), null, null);
  }

  /** A random draw in [0, 1) the scenario supplies for this rule, if any. */
  randomFor(ruleId: string): number | undefined {
    if (this.random === null) return undefined;
    return typeof this.random === 'number' ? this.random : this.random.get(ruleId);
  }

  /** A recent list, when it is known (given, or empty because the rules were just loaded). */
  recentList(name: string): RecentEntry[] | undefined {
    let list = this.recent.get(name);
    if (!list && this.fresh) {
      list = [];
      this.recent.set(name, list);
    }
    return list;
  }
}

const STATE_FIELDS = ['fresh', 'sets', 'recent', 'time', 'random'];

export function parseState(json: unknown, path = 'state'): EngineState {
  if (json === undefined || json === null) return EngineState.blank();
  const f: Fields = Fields.of(path, json);
  f.only(STATE_FIELDS);
  const sets = new Map<string, SetPart[][]>();
  if (f.has('sets')) {
    const sf = Fields.of(f.at('sets'), f.obj.sets);
    for (const name of Object.keys(sf.obj)) {
      const members = sf.array(name) ?? [];
      sets.set(name, members.map((m, i) => parseSetMember(`${sf.at(name)}[${i}]`, m)));
    }
  }
  const recent = new Map<string, RecentEntry[]>();
  if (f.has('recent')) {
    const rf = Fields.of(f.at('recent'), f.obj.recent);
    for (const name of Object.keys(rf.obj)) {
      recent.set(name, (rf.array(name) ?? []).map((e, i) => parseRecentEntry(Fields.of(`${rf.at(name)}[${i}]`, e))));
    }
  }
  let time: number | null = null;
  const timeText = f.string('time');
  if (timeText !== undefined) {
    time = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(timeText) ? timeText : `${timeText}Z`);
    if (Number.isNaN(time)) f.fail('time', t('"{0}" is not a date and time such as "2025-05-01T12:00:00Z"', timeText));
  }
  let random: number | Map<string, number> | null = null;
  const r = f.obj.random;
  if (typeof r === 'number') random = f.number('random', 0, 0.9999999999)!;
  else if (r !== undefined && r !== null) {
    const rf = Fields.of(f.at('random'), r);
    random = new Map(Object.keys(rf.obj).map((k) => [k, rf.number(k, 0, 0.9999999999)!]));
  }
  return new EngineState(f.boolean('fresh') ?? false, sets, recent, time, random);
}

/** `192.0.2.0/24`, `192.0.2.1-192.0.2.9`, `tcp:80`, `80-90`, `eth0`, joined by commas per dimension. */
function parseSetMember(path: string, v: unknown): SetPart[] {
  if (typeof v !== 'string') throw new ScenarioError(path, t('expected a member such as "192.0.2.0/24" or "198.51.100.7,tcp:22"'));
  return v.split(',').map((part) => parseSetPart(path, part.trim()));
}

function parseSetPart(path: string, text: string): SetPart {
  const port = /^(?:([a-z]+):)?(\d+)(?:-(\d+))?$/i.exec(text);
  if (port && (port[1] !== undefined || !text.includes('.'))) {
    const proto = port[1] === undefined ? null : PROTOCOLS.get(port[1].toLowerCase());
    if (proto === undefined) throw new ScenarioError(path, t('"{0}" is not a protocol', port[1]));
    const from = Number(port[2]);
    const to = port[3] === undefined ? from : Number(port[3]);
    if (from > 65535 || to > 65535 || to < from) throw new ScenarioError(path, t('"{0}" is not a port or port range', text));
    return { kind: 'port', protocol: proto ?? 6, from, to };
  }
  const [a, b] = text.split('-');
  const slash = a.indexOf('/');
  const first = parseHostAddress(slash >= 0 ? a.slice(0, slash) : a);
  if (!first) {
    if (/^[a-zA-Z][\w.-]{0,14}$/.test(text)) return { kind: 'interface', name: text };
    throw new ScenarioError(path, t('"{0}" is neither an address, a network, a port nor an interface', text));
  }
  const bits = familyBits(first.family);
  if (slash >= 0) {
    const prefix = Number(a.slice(slash + 1));
    if (!(prefix >= 0 && prefix <= bits)) throw new ScenarioError(path, t('"{0}" has a bad prefix length', a));
    const mask = maskFromPrefix(prefix, first.family);
    const all = (1n << BigInt(bits)) - 1n;
    return { kind: 'address', family: first.family, from: first.address & mask, to: (first.address & mask) | (~mask & all) };
  }
  const last = b === undefined ? first : readAddress(path, b, first.family);
  return { kind: 'address', family: first.family, from: first.address, to: last.address };
}

function parseRecentEntry(f: Fields): RecentEntry {
  f.only(['address', 'seen', 'ttl']);
  const text = f.string('address');
  if (!text) f.fail('address', t('expected the address the list holds'));
  const a = readAddress(f.at('address'), text);
  const seen = f.array('seen') ?? [0];
  const stamps = seen.map((s, i) => {
    if (typeof s !== 'number' || s < 0) throw new ScenarioError(`${f.at('seen')}[${i}]`, t('expected how many seconds before the probe this hit was'));
    return -s;
  }).sort((x, y) => x - y);
  return { address: a.address, family: a.family, stamps, ttl: f.int('ttl', 0, 255) ?? 0 };
}
