// The translations whose options combine into something no single option
// says: one function per NftForm of the knowledge base. Facts they rely on are
// noted where they were checked against the kernel (burst and nth counting,
// ICMP codes, the never-raise rule of TCPMSS).
import { formatAddress } from '../knowledge/addresses';
import { natManip, type Family, type NftMatchForm, type NftTargetForm, type OptionName } from '../knowledge';
import { NFT_ICMP_TYPES } from '../knowledge/nftables';
import { lookedUpWhenLoaded, type HostValue, type MarkMask, type PortRange } from '../knowledge/values';
import { MH_TYPES, TCP_FLAGS, TCP_HEADER_FLAGS } from '../knowledge/vocabulary';
import { t } from '../l10n';
import { first, isOption, second, type MatchUse, type OptionUse, type OptionUseOf, type TargetUse } from '../syntax/command';
import { num } from '../engine/matches/common';
import { addressValue, hex, isNftChainName, quoted, range, setOf } from './text';
import { comparison, Form, RuleWriter, TargetForm } from './writer';

const ip = (f: Family) => (f === 'ipv4' ? 'ip' : 'ip6');
const addrType = (f: Family) => (f === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr');
const U32 = 0xffffffffn;

/** The option of this name, the first given, with its values typed (see the engine's option()). */
function option<N extends OptionName<'match'>>(use: MatchUse, name: N): OptionUseOf<N, 'match'> | undefined;
function option<N extends OptionName<'target'>>(use: TargetUse, name: N): OptionUseOf<N, 'target'> | undefined;
function option<N extends OptionName>(use: MatchUse | TargetUse, name: N): OptionUseOf<N> | undefined;
function option<N extends OptionName>(use: MatchUse | TargetUse, name: N): OptionUseOf<N> | undefined {
  return use.options.find((o) => isOption(o, name));
}

// ---- matches ------------------------------------------------------------------------------------

const FLAG_BITS = new Map(TCP_FLAGS.map((f) => [f.name, f.bits]));

/** TCP flag bits by nft's names, in header order (ALL is the six of iptables, not ECE and CWR). */
function flagNames(bits: number): string {
  return TCP_HEADER_FLAGS.filter((f) => bits & f.bits).map((f) => f.name.toLowerCase()).join('|');
}

const tcpFlags: Form = (w, use) => {
  const o = option(use, 'tcp-flags')!;
  const bits = (names: string[]) => names.reduce((sum, n) => sum | (FLAG_BITS.get(n.toUpperCase()) ?? 0), 0);
  const mask = bits(first(o));
  const comp = bits(second(o));
  if (comp & ~mask) w.fail(t('the flags that must be set are not among those examined: the rule never matches'));
  if (mask === 0) {
    if (o.negated) w.fail(t('`! --tcp-flags NONE ...` never matches'));
    return w.test('meta l4proto tcp');
  }
  w.test(comparison(`tcp flags & (${flagNames(mask)})`, { value: comp ? flagNames(comp) : '0' }, o.negated));
};

/** ICMP type and code. A code range or one code is a second test; negated, both go in one set. */
const icmpType: Form = (w, use) => {
  const o = option(use, 'icmp-type') ?? option(use, 'icmpv6-type')!;
  const icmp = first(o);
  const proto = w.family === 'ipv4' ? 'icmp' : 'icmpv6';
  // For IPv4 the kernel takes type 255 for "any", whatever the code.
  if (icmp.any || (w.family === 'ipv4' && icmp.type === 255)) {
    if (o.negated) w.fail(t('`! --icmp-type any` never matches'));
    // Reading the type, unlike `meta l4proto`, leaves out later fragments, as iptables does.
    return w.test(`${proto} type 0-255`);
  }
  const type = NFT_ICMP_TYPES[w.family].get(icmp.type) ?? String(icmp.type);
  if (icmp.codeFrom === 0 && icmp.codeTo === 255) return w.test(comparison(`${proto} type`, { value: type }, o.negated));
  const code = range(icmp.codeFrom, icmp.codeTo);
  if (o.negated) return w.test(`${proto} type . ${proto} code != { ${type} . ${code} }`);
  w.test(`${proto} type ${type}`);
  w.test(`${proto} code ${code}`);
};

/** Port ranges sorted and joined where they touch or overlap. */
function merged(ranges: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/**
 * `--ports` (either port in the list) as pairs of source and destination port:
 * a listed source port with any destination, or any other source port with a
 * listed destination. The pairs do not overlap, which nft's sets of ranges need.
 */
function eitherPort(proto: string, ranges: readonly PortRange[], negated: boolean): string {
  const listed = merged(ranges);
  const others: PortRange[] = [];
  let next = 0;
  for (const r of listed) {
    if (r.from > next) others.push({ from: next, to: r.from - 1 });
    next = r.to + 1;
  }
  if (next <= 65535) others.push({ from: next, to: 65535 });
  const text = (r: PortRange) => range(r.from, r.to);
  const pairs = [...listed.map((l) => `${text(l)} . 0-65535`), ...others.flatMap((o) => listed.map((l) => `${text(o)} . ${text(l)}`))];
  return `${proto} sport . ${proto} dport ${negated ? '!= ' : ''}{ ${pairs.join(', ')} }`;
}

const multiport: Form = (w, use) => {
  const proto = w.protocol();
  if (!proto) return w.fail(t('`-m multiport` needs the rule\'s `-p`'));
  for (const o of use.options.filter((x) => isOption(x, ['source-ports', 'destination-ports', 'ports']))) {
    const ranges = first(o);
    if (o.spec.name === 'ports') w.test(eitherPort(proto, ranges, o.negated));
    else w.test(comparison(`${proto} ${o.spec.name === 'source-ports' ? 'sport' : 'dport'}`, { value: setOf(ranges.map((p) => range(p.from, p.to))) }, o.negated));
  }
};

/**
 * `--ctstate` holds packet states and the SNAT/DNAT status bits, which nft tests apart.
 * A packet without a connection (INVALID, UNTRACKED) that passes `--ctstate`
 * matches in iptables whatever the match's other options say (the kernel
 * showed it: test/kernel/cases/222); nft's tests of the connection fail on it.
 */
const conntrackState: Form = (w, use) => {
  const o = option(use, 'ctstate')!;
  const all = first(o);
  const without = ['INVALID', 'UNTRACKED'].filter((s) => all.includes(s) !== o.negated);
  if (without.length && use.options.some((other) => other !== o)) {
    w.fail(t('a packet without a connection ({0}) passes `--ctstate` and iptables then ignores the match\'s other options; nft\'s tests of the connection fail without one', without.join(', ')));
  }
  const nat = all.filter((s) => s === 'SNAT' || s === 'DNAT').map((s) => s.toLowerCase());
  const states = all.filter((s) => s !== 'SNAT' && s !== 'DNAT').map((s) => s.toLowerCase());
  if (!o.negated && nat.length && states.length) {
    w.fail(t('it matches a state or a NAT status; nft tests `ct state` and `ct status` apart and cannot join them with "or" in one rule'));
  }
  if (states.length) w.test(comparison('ct state', { value: [...new Set(states)].join(',') }, o.negated, undefined, true));
  if (nat.length) w.test(comparison('ct status', { value: [...new Set(nat)].join(',') }, o.negated, undefined, true));
};

/** A set of its own per rule, as each connlimit rule counts in a table of its own. */
const connlimit: Form = (w, use) => {
  const above = option(use, 'connlimit-above');
  const upto = option(use, 'connlimit-upto');
  const limit = (above ?? upto)!;
  const over = above ? !above.negated : upto!.negated;
  const mask = option(use, 'connlimit-mask');
  const key = `${ip(w.family)} ${option(use, 'connlimit-daddr') ? 'daddr' : 'saddr'}`;
  const bits = w.family === 'ipv4' ? U32 : (1n << 128n) - 1n;
  const m = mask ? first(mask) : bits;
  const name = `connlimit_${w.ctx.ruleId}`;
  w.declare(`set ${name}`, `set ${name} { type ${addrType(w.family)}; flags dynamic; }`);
  w.test(`add @${name} { ${key}${m === bits ? '' : ` & ${formatAddress(m, w.family)}`} ct count ${over ? 'over ' : ''}${first(limit)} }`);
};

const connbytes: Form = (w, use) => {
  const o = option(use, 'connbytes')!;
  const amount = first(o);
  const negated = o.negated;
  const dir = first(option(use, 'connbytes-dir')!);
  const mode = first(option(use, 'connbytes-mode')!);
  const expr = `ct ${dir === 'both' ? '' : `${dir} `}${mode}`;
  // One number has no upper bound (the kernel's `to` is then the largest 64-bit value).
  if (!o.values[0].text.includes(':') || amount.to >= 2 ** 64 - 1) return w.test(`${expr} ${negated ? '<' : '>='} ${amount.from}`);
  w.test(comparison(expr, { value: range(amount.from, amount.to) }, negated));
};

/** As iptables-translate writes it: without `--nowildcard`, sockets bound to any address do not count. */
const socket: Form = (w, use) => {
  const transparent = option(use, 'transparent');
  const nowildcard = option(use, 'nowildcard');
  if (!nowildcard) w.test('socket wildcard 0');
  if (transparent) w.test('socket transparent 1');
  else if (nowildcard) w.test('socket wildcard <= 1');
  if (option(use, 'restore-skmark')) w.test('meta mark set socket mark');
};

/** An address or network as nft writes it; a host name iptables looks up when the rules load, nft cannot. */
function addressText(w: RuleWriter, v: HostValue): { value: string; mask?: string } {
  if (!('address' in v)) return w.fail(lookedUpWhenLoaded(v.hostname));
  return addressValue(v);
}

/** IPsec policy: whether a packet went through (in) or will go through (out) a transform, and the SA's ids. */
const policy: Form = (w, use) => {
  const dir = first(option(use, 'dir')!);
  const pol = option(use, 'pol') ? first(option(use, 'pol')!) : 'ipsec';
  for (const name of ['strict', 'next', 'proto', 'mode'] as const) {
    if (option(use, name)) w.fail(t('`--{0}`: nft\'s ipsec expression reads one transform\'s request id, SPI and tunnel addresses, not its protocol or mode, nor a chain of them', name));
  }
  const exists = dir === 'in' ? 'meta secpath' : 'rt ipsec';
  if (pol === 'none') return w.test(`${exists} missing`);
  const elements = use.options.filter((o) => isOption(o, ['reqid', 'spi', 'tunnel-src', 'tunnel-dst']));
  if (elements.length === 0) return w.test(`${exists} exists`);
  for (const o of elements) {
    const field = { reqid: 'reqid', spi: 'spi', 'tunnel-src': `${ip(w.family)} saddr`, 'tunnel-dst': `${ip(w.family)} daddr` }[o.spec.name];
    w.test(comparison(`ipsec ${dir} ${field}`, isOption(o, ['tunnel-src', 'tunnel-dst']) ? addressText(w, first(o)) : { value: String(first(o)) }, o.negated));
  }
};

/** nft reads no ipset: a named set of the table stands for it, to be filled with the same members. */
const ipset: Form = (w, use) => {
  const o = option(use, 'match-set')!;
  const name = first(o);
  const dirs = second(o);
  if (dirs.length !== 1) w.fail(t('`{0}` names {1} dimensions, and only the ipset\'s type says what they are (two addresses? an address and a port?); declare the nft set by hand', dirs.join(','), dirs.length));
  if (!isNftChainName(name)) w.fail(t('nft cannot name a set `{0}` (a keyword, or a character it does not read)', name));
  w.declare(`set ${name}`, `set ${name} { type ${addrType(w.family)}; flags interval; }`);
  w.note(t('fill set {0} with the members of ipset {0}; it is declared for addresses and networks (hash:ip, hash:net)', name));
  w.test(comparison(`${ip(w.family)} ${dirs[0] === 'src' ? 'saddr' : 'daddr'}`, { value: `@${name}` }, o.negated));
};

/** The reverse-path lookup: the route back to the source must leave by the interface the packet came in on. */
const rpfilter: Form = (w, use) => {
  const invert = option(use, 'invert') !== undefined;
  // A local source passes the check: inverted, that is one more test; otherwise an "or" nft cannot write.
  if (option(use, 'accept-local')) {
    if (!invert) w.fail(t('`--accept-local` lets a local source pass as well as a good route back, an "or" nft cannot write in one rule'));
    w.test('fib saddr type != local');
  }
  const key = ['saddr', option(use, 'validmark') ? 'mark' : '', option(use, 'loose') ? '' : 'iif'].filter((k) => k !== '').join(' . ');
  w.test(`fib ${key} oif ${invert ? '0' : '!= 0'}`);
};

/** Checked on the kernel: a burst of N lets N packets through at once, in both. */
const limit: Form = (w, use) => {
  const rate = option(use, 'limit') ? first(option(use, 'limit')!) : { amount: 3, per: 'hour' };
  const burst = option(use, 'limit-burst') ? first(option(use, 'limit-burst')!) : 5;
  w.test(`limit rate ${rate.amount}/${rate.per} burst ${burst} packets`);
};

const BYTE_UNITS: Readonly<Record<string, string>> = { b: 'bytes', kb: 'kbytes', mb: 'mbytes', gb: 'gbytes' };

/**
 * A dynamic set of the table, named after the hashlimit table: one bucket per
 * key (what `--hashlimit-mode` names); rules with the same name share it, as
 * they share the hashlimit table.
 */
const hashlimit: Form = (w, use) => {
  if (option(use, 'hashlimit-rate-match') || option(use, 'hashlimit-rate-interval')) w.fail(t('nft\'s limit is a token bucket; it has no rate-measuring mode'));
  const above = option(use, 'hashlimit-above');
  const upto = option(use, 'hashlimit-upto');
  const over = above ? !above.negated : upto!.negated;
  const rate = first((above ?? upto)!);
  const rateText = rate.unit ? `${rate.amount} ${BYTE_UNITS[rate.unit]}/second` : `${rate.amount}/${rate.per}`;
  const burstOption = option(use, 'hashlimit-burst');
  let burst = '';
  if (burstOption) {
    const m = /^(\d+)([kmg]?b)?$/i.exec(burstOption.values[0].text);
    if (!m) return w.fail(t('the burst `{0}` is not a number of packets or bytes we can read', burstOption.values[0].text));
    burst = ` burst ${m[1]} ${m[2] ? BYTE_UNITS[m[2].toLowerCase()] : 'packets'}`;
  }
  const limitText = `limit rate ${over ? 'over ' : ''}${rateText}${burst}`;
  const mode = option(use, 'hashlimit-mode') ? first(option(use, 'hashlimit-mode')!) : [];
  for (const name of ['hashlimit-htable-size', 'hashlimit-htable-gcinterval'] as const) {
    if (option(use, name)) w.note(t('`--{0}` is left out: nft sizes and cleans its sets itself', name));
  }
  if (mode.length === 0) {
    w.note(t('without `--hashlimit-mode` all packets share one bucket, as with `limit`'));
    return w.test(limitText);
  }
  const proto = w.protocol();
  const keys: { expr: string; type: string }[] = [];
  for (const [m, field] of [['dstport', 'dport'], ['srcport', 'sport']] as const) {
    if (!mode.includes(m)) continue;
    if (!proto || !['tcp', 'udp', 'sctp', 'dccp', 'udplite'].includes(proto)) w.fail(t('a port in `--hashlimit-mode` needs `-p tcp`, `udp`, `sctp` or `dccp`'));
    keys.push({ expr: `${proto} ${field}`, type: 'inet_service' });
  }
  for (const [m, field, maskName] of [['dstip', 'daddr', 'hashlimit-dstmask'], ['srcip', 'saddr', 'hashlimit-srcmask']] as const) {
    if (!mode.includes(m)) continue;
    const mask = option(use, maskName);
    const full = w.family === 'ipv4' ? U32 : (1n << 128n) - 1n;
    const bits = mask ? first(mask) : full;
    keys.push({ expr: `${ip(w.family)} ${field}${bits === full ? '' : ` & ${formatAddress(bits, w.family)}`}`, type: addrType(w.family) });
  }
  const name = first(option(use, 'hashlimit-name')!);
  if (!isNftChainName(name)) w.fail(t('nft cannot name a set `{0}`', name));
  const expire = option(use, 'hashlimit-htable-expire');
  const timeout = expire ? Math.max(1, Math.round(num(expire) / 1000)) : 10;
  const max = option(use, 'hashlimit-htable-max');
  w.declare(`set ${name}`, `set ${name} { type ${keys.map((k) => k.type).join(' . ')}; size ${max ? first(max) : 65535}; flags dynamic,timeout; timeout ${timeout}s; }`);
  w.test(`update @${name} { ${keys.map((k) => k.expr).join(' . ')} ${limitText} }`);
};

/**
 * `--mode random` compares 31 random bits with the probability scaled to 2^31,
 * as the kernel does; `--mode nth` counts packets, and the kernel showed nft's
 * `numgen inc` matching the same packets as `--every n --packet p` for `mod n p`.
 */
const statistic: Form = (w, use) => {
  const probability = option(use, 'probability');
  if (probability) {
    const threshold = Math.round(0x80000000 * first(probability));
    return w.test(`meta random & 2147483647 ${probability.negated ? '>=' : '<'} ${threshold}`);
  }
  const every = option(use, 'every');
  if (!every) return w.fail(t('`--mode nth` needs `--every`'));
  const packet = option(use, 'packet') ? first(option(use, 'packet')!) : 0;
  w.test(comparison(`numgen inc mod ${first(every)}`, { value: String(packet) }, every.negated));
};

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (seconds: number) => `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;

/** `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` as nft's `YYYY-MM-DD hh:mm:ss`. */
function dateText(text: string): string {
  const [date, time = ''] = text.split('T');
  const [y, mo = '1', d = '1'] = date.split('-');
  const [h = '0', mi = '0', s = '0'] = time === '' ? [] : time.split(':');
  return `${y}-${pad(Number(mo))}-${pad(Number(d))} ${pad(Number(h))}:${pad(Number(mi))}:${pad(Number(s))}`;
}

const time: Form = (w, use) => {
  if (option(use, 'monthdays')) w.fail(t('`--monthdays`: nft\'s meta expressions know the weekday, not the day of the month'));
  if (option(use, 'contiguous')) w.fail(t('`--contiguous`: nft checks the weekday of the moment itself, not of the day the window began'));
  const start = option(use, 'datestart');
  const stop = option(use, 'datestop');
  if (start && stop) w.test(`meta time "${dateText(start.values[0].text)}"-"${dateText(stop.values[0].text)}"`);
  else if (start) w.test(`meta time >= "${dateText(start.values[0].text)}"`);
  else if (stop) w.test(`meta time <= "${dateText(stop.values[0].text)}"`);
  const from = option(use, 'timestart');
  const to = option(use, 'timestop');
  if (from || to) w.test(`meta hour "${clock(from ? first(from) : 0)}"-"${clock(to ? first(to) : 86399)}"`);
  const days = option(use, 'weekdays');
  // iptables counts Monday as 1 and Sunday as 7; nft Sunday as 0.
  if (days) w.test(comparison('meta day', { value: setOf([...new Set(first(days).map((d) => String(d % 7)))]) }, days.negated));
  if (start || stop || from || to) {
    w.note(option(use, 'kerneltz')
      ? t('nft reads the times in the time zone of the machine that loads the rules; iptables used the kernel\'s')
      : t('nft reads the times in the time zone of the machine that loads the rules; iptables reads them as UTC: load with `TZ=UTC nft -f ...`'));
  }
};

const addrtype: Form = (w, use) => {
  const iface = option(use, 'limit-iface-in') ? ' . iif' : option(use, 'limit-iface-out') ? ' . oif' : '';
  for (const [name, field] of [['src-type', 'saddr'], ['dst-type', 'daddr']] as const) {
    const o = option(use, name);
    if (!o) continue;
    const types = [...new Set(first(o).map((t) => t.toLowerCase()))];
    if (w.family === 'ipv6') addrtype6(w, o, field, iface, types);
    else w.test(comparison(`fib ${field}${iface} type`, { value: setOf(types) }, o.negated));
  }
};

/** What an IPv6 address is, as ipv6_addr_type says and as nft spells it: (a test, its negation). */
const ADDRESS_CLASSES: Readonly<Record<string, readonly [string, string]>> = {
  multicast: ['ff00::/8', '!= ff00::/8'],
  unicast: ['!= { ::, ff00::/8 }', '{ ::, ff00::/8 }'],
  unspec: ['::', '!= ::'],
};

/** A route lookup that fails is UNREACHABLE to iptables; nft names the failure (a throw route is 9: nft has no name for it). */
const UNREACHABLE_ROUTES = ['unreachable', 'blackhole', 'prohibit', '9'];

/**
 * IPv6 addrtype (match_type6) wants all the listed types, not one of them:
 * UNICAST, MULTICAST and UNSPEC are read from the address (a local or anycast
 * address is UNICAST too), LOCAL, ANYCAST and UNREACHABLE from the route (any
 * of them). nft's fib gives one type per address (anycast before local) and
 * names the unreachable route by its kind.
 */
function addrtype6(w: RuleWriter, o: OptionUse, field: string, iface: string, types: readonly string[]): void {
  const classes = types.filter((t) => t in ADDRESS_CLASSES);
  const routes = types.filter((t) => !(t in ADDRESS_CLASSES)).flatMap((t) => (t === 'unreachable' ? UNREACHABLE_ROUTES : [t]));
  if (classes.length > 1) {
    if (o.negated) return;
    w.fail(t('an address cannot be {0} at once: the rule never matches', classes.join(t(' and '))));
  }
  const tests = classes.map((c) => `ip6 ${field} ${ADDRESS_CLASSES[c][o.negated ? 1 : 0]}`);
  if (routes.length) tests.push(comparison(`fib ${field}${iface} type`, { value: setOf(routes) }, o.negated));
  if (o.negated && tests.length > 1) w.fail(t('`! --{0}` with a type of the address and one of its route means either is not; nft cannot join tests with "or" in one rule', o.spec.name));
  for (const t of tests) w.test(t);
}

/** Which extension headers a packet carries; only the "at least these" form has an nft equivalent. */
const ipv6header: Form = (w, use) => {
  const header = option(use, 'header')!;
  if (!option(use, 'soft')) w.fail(t('without `--soft` the packet must carry exactly the listed headers; nft tests each header by itself and cannot say "no other"'));
  if (header.negated) w.fail(t('`! --header` means "not all of these"; nft cannot join header tests with "or"'));
  const names: Readonly<Record<string, string>> = {
    'hop-by-hop': 'hbh', hop: 'hbh', hopopt: 'hbh', '0': 'hbh', dst: 'dst', 'ipv6-opts': 'dst', '60': 'dst',
    route: 'rt', 'ipv6-route': 'rt', '43': 'rt', frag: 'frag', 'ipv6-frag': 'frag', '44': 'frag', auth: 'ah', ah: 'ah', '51': 'ah',
  };
  for (const h of first(header)) {
    const nft = names[h];
    if (!nft) w.fail(t('`{0}` is not an extension header nft\'s exthdr expression reads', h));
    w.test(`exthdr ${nft} exists`);
  }
};

const quota: Form = (w, use) => {
  const o = option(use, 'quota')!;
  w.test(`quota ${o.negated ? 'over ' : ''}${first(o)} bytes`);
};

/** iptables' TTL check 1 (at most the fingerprint's) is nft's loose, 2 (none) its skip. */
const osf: Form = (w, use) => {
  if (option(use, 'log')) w.fail(t('`--log`: nft\'s osf expression does not log its guesses'));
  const genre = option(use, 'genre')!;
  const ttl = option(use, 'ttl') ? num(option(use, 'ttl')!) : 0;
  w.test(comparison(`osf ${['', 'ttl loose ', 'ttl skip '][ttl]}name`, { value: quoted(genre.values[0].text).text }, genre.negated));
};

/** A cgroup v2 path matches its sockets and those of the groups below it, found by its depth. */
const cgroupPath: Form = (w, use) => {
  const o = option(use, 'path')!;
  const path = o.values[0].text.replace(/^\/+|\/+$/g, '');
  const level = path === '' ? 0 : path.split('/').length;
  w.test(comparison(`socket cgroupv2 level ${level}`, { value: quoted(path).text }, o.negated));
};

/** A Mobility Header type or range, by number or by ip6tables' names. */
const mhType: Form = (w, use) => {
  const o = option(use, 'mh-type')!;
  const named = (t: string) => MH_TYPES.find((m) => m.alias === t.toLowerCase() || m.name.startsWith(t.toLowerCase()))?.type;
  const number = (t: string, end: number) => (t === '' ? end : /^\d+$/.test(t) ? Number(t) : named(t));
  const [a, b = a] = o.values[0].text.split(':');
  const from = number(a, 0);
  const to = number(b, 255);
  if (from === undefined || to === undefined) return w.fail(t('`{0}` is not a mobility header type we know', o.values[0].text));
  // Every type: the header's presence, which `-p` tests already.
  if (from === 0 && to === 255 && !o.negated) return;
  w.test(comparison('mh type', { value: range(from, to) }, o.negated));
};

const comment: Form = (w, use) => {
  for (const o of use.options) if (isOption(o, 'comment')) w.comments.push(o.parsed[0] ?? o.values[0].text);
};

const connlabel: Form = (w, use) => {
  const label = option(use, 'label')!;
  const text = label.values[0].text;
  if (option(use, 'set')) w.test(`ct label set ${text}`);
  w.test(comparison('ct label', { value: text }, label.negated));
  w.note(t('nft reads label names from /etc/connlabel.conf, as iptables does'));
};

// ---- targets ------------------------------------------------------------------------------------

/** value/mask operations on a 32-bit mark, as `set EXPR and ~mask xor value`. */
function markStatement(w: RuleWriter, use: TargetUse, expr: string): boolean {
  const masked = use.options.find((x) => isOption(x, ['set-xmark', 'set-mark']));
  const bits = use.options.find((x) => isOption(x, ['and-mark', 'or-mark', 'xor-mark']));
  const o = masked ?? bits;
  const v = masked ? first(masked) : bits ? { value: BigInt(num(bits)), mask: U32 } : undefined;
  if (!o || !v) return false;
  const set = (value: bigint, mask: bigint) => (mask === U32 ? `${expr} set ${hex(value)}` : `${expr} set ${expr} and ${hex(~mask & U32)} xor ${hex(value)}`);
  switch (o.spec.name) {
    case 'set-xmark': w.statement(set(v.value, v.mask)); break;
    // --set-mark value/mask clears the masked bits, then ORs the value in.
    case 'set-mark': w.statement(set(v.value, v.mask | v.value)); break;
    case 'and-mark': w.statement(`${expr} set ${expr} and ${hex(v.value)}`); break;
    case 'or-mark': w.statement(`${expr} set ${expr} or ${hex(v.value)}`); break;
    case 'xor-mark': w.statement(`${expr} set ${expr} xor ${hex(v.value)}`); break;
  }
  return true;
}

const mark: TargetForm = (w, use) => {
  markStatement(w, use, 'meta mark');
};

/** CONNMARK: the same operations on the connection mark, and copies between the two marks. */
const connmark: TargetForm = (w, target) => {
  if (option(target, 'left-shift-mark') || option(target, 'right-shift-mark')) w.fail(t('nft cannot shift one mark while copying it into the other'));
  if (markStatement(w, target, 'ct mark')) return;
  const both = option(target, 'mask') ? BigInt(first(option(target, 'mask')!)) : undefined;
  const nfmask = option(target, 'nfmask') ? BigInt(first(option(target, 'nfmask')!)) : both ?? U32;
  const ctmask = option(target, 'ctmask') ? BigInt(first(option(target, 'ctmask')!)) : both ?? U32;
  const save = option(target, 'save-mark') !== undefined;
  // save: ctmark = (ctmark & ~ctmask) ^ (mark & nfmask); restore swaps the roles.
  const [to, from, keep, take] = save ? ['ct mark', 'meta mark', ctmask, nfmask] : ['meta mark', 'ct mark', nfmask, ctmask];
  if (keep !== U32) w.fail(t('with a mask on the mark it writes, nft would have to combine both marks in one expression, which it cannot'));
  w.statement(`${to} set ${from}${take === U32 ? '' : ` and ${hex(take)}`}`);
};

/** TOS writes (tos & ~mask) ^ value: nft sets the DSCP and ECN parts of the byte, not other bits. */
const tosTarget: TargetForm = (w, use) => {
  const o = use.options[0];
  let v: MarkMask;
  if (isOption(o, 'set-tos')) v = first(o);
  else if (isOption(o, 'and-tos')) v = { value: 0n, mask: ~BigInt(num(o)) & 0xffn };
  else if (isOption(o, 'or-tos')) v = { value: BigInt(num(o)), mask: BigInt(num(o)) };
  else return w.fail(t('`--{0}`: nft can set the DSCP and ECN bits, not flip them', o.spec.name));
  if (v.value & ~v.mask) w.fail(t('the value flips bits outside the mask, which nft cannot do'));
  const f = ip(w.family);
  if (v.mask === 0n) return;
  if (v.mask === 0xfcn || v.mask === 0xffn) w.statement(`${f} dscp set ${hex(v.value >> 2n)}`);
  if (v.mask === 0x03n || v.mask === 0xffn) w.statement(`${f} ecn set ${v.value & 3n}`);
  if (![0xfcn, 0xffn, 0x03n].includes(v.mask)) w.fail(t('the mask {0} covers part of the DSCP or ECN field; nft sets each only whole', hex(v.mask)));
};

/** iptables never raises an MSS (checked: a SYN with a lower one keeps it); nft sets what it is told. */
const tcpmss: TargetForm = (w, use) => {
  const set = option(use, 'set-mss');
  w.note(t('on a SYN without an MSS option, iptables adds one and nft adds none'));
  if (set) {
    const n = first(set);
    w.statement(`tcp option maxseg size > ${n}`);
    return w.statement(`tcp option maxseg size set ${n}`);
  }
  w.note(t('nft sets the MSS from the route even where the segment asked for less; iptables only ever lowers it'));
  w.statement('tcp option maxseg size set rt mtu');
};

const TCP_OPTION_NAMES: Readonly<Record<string, string>> = {
  wscale: 'window', '3': 'window', mss: 'maxseg', '2': 'maxseg', 'sack-permitted': 'sack-perm', '4': 'sack-perm',
  sack: 'sack', '5': 'sack', timestamp: 'timestamp', '8': 'timestamp',
};

const tcpoptstrip: TargetForm = (w, use) => {
  const o = option(use, 'strip-options');
  if (!o) return;
  for (const name of o.values[0].text.split(',')) {
    const nft = TCP_OPTION_NAMES[name.toLowerCase()];
    if (!nft) w.fail(t('nft 1.0.6 cannot reset the TCP option `{0}`', name));
    w.statement(`reset tcp option ${nft}`);
  }
};

/** The kernel's conntrack event bits, by iptables' names, from bit 0. */
const CT_EVENT_BITS = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'];

/** Each CT setting is a statement; a helper is an object of the table, named after it and its protocol. */
const ct: TargetForm = (w, use) => {
  if (option(use, 'notrack')) return w.statement('notrack');
  if (option(use, 'timeout')) w.fail(t('`--timeout` names a policy made with `nfct`; declare a `ct timeout` object with its values and use `ct timeout set`'));
  if (option(use, 'expevents')) w.fail(t('`--expevents`: nft sets the events of connections, not of expectations'));
  for (const [name, expr] of [['zone', 'ct zone'], ['zone-orig', 'ct original zone'], ['zone-reply', 'ct reply zone']] as const) {
    const o = option(use, name);
    if (o) w.statement(`${expr} set ${o.values[0].text === 'mark' ? 'mark' : first(o)}`);
  }
  const helper = option(use, 'helper');
  if (helper) {
    const proto = w.protocol();
    if (proto !== 'tcp' && proto !== 'udp') w.fail(t('a conntrack helper object needs the rule\'s `-p tcp` or `-p udp`'));
    const name = `${helper.values[0].text}-${proto}`;
    if (!isNftChainName(name)) w.fail(t('nft cannot name a helper object `{0}`', name));
    w.declare(`ct helper ${name}`, `ct helper ${name} { type ${quoted(helper.values[0].text).text} protocol ${proto}; l3proto ${ip(w.family)}; }`);
    w.statement(`ct helper set "${name}"`);
  }
  const events = option(use, 'ctevents');
  if (events) {
    const names = first(events);
    // nft reads helper, mark and secmark as keywords there: the events are then written as their bits.
    const bits = names.reduce((sum, e) => sum | (1 << CT_EVENT_BITS.indexOf(e)), 0);
    w.statement(`ct event set ${names.some((e) => ['helper', 'mark', 'secmark'].includes(e)) ? hex(bits) : names.map((e) => (e === 'natseqinfo' ? 'seqadj' : e)).join(',')}`);
  }
};

/** SET: adds to or deletes from a set of the table (nft's dynamic sets stand for ipsets). */
const setTarget: TargetForm = (w, use) => {
  if (option(use, 'map-set')) w.fail(t('`--map-set`: copy values from a set entry with an nft map instead (`meta mark set ip saddr map @name`), declared by hand'));
  const o = (option(use, 'add-set') ?? option(use, 'del-set'))!;
  const name = first(o);
  const dirs = second(o);
  if (dirs.length !== 1) w.fail(t('`{0}` names {1} dimensions, and only the ipset\'s type says what they are; declare the nft set by hand', dirs.join(','), dirs.length));
  if (!isNftChainName(name)) w.fail(t('nft cannot name a set `{0}`', name));
  const timeout = option(use, 'timeout');
  w.declare(`set ${name}`, `set ${name} { type ${addrType(w.family)}; flags dynamic${timeout ? ', timeout' : ''}; }`);
  w.note(t('set {0} stands for ipset {0}: declared for addresses; fill it or let the rules fill it', name));
  const element = `${ip(w.family)} ${dirs[0] === 'src' ? 'saddr' : 'daddr'}${timeout ? ` timeout ${first(timeout)}s` : ''}`;
  const verb = o.spec.name === 'del-set' ? 'delete' : option(use, 'exist') ? 'update' : 'add';
  w.statement(`${verb} @${name} { ${element} }`);
};

/**
 * TPROXY: the socket, then the mark, as iptables-translate writes it. iptables
 * drops a packet no socket takes, where nft's rule just does not match (the
 * kernel showed it forwarded): a second rule with the same tests drops it.
 */
const tproxy: TargetForm = (w, use) => {
  const port = first(option(use, 'on-port')!);
  const onIp = option(use, 'on-ip');
  let address = onIp ? addressText(w, first(onIp)).value : '';
  if (w.family === 'ipv6' && address !== '' && port !== 0) address = `[${address}]`;
  w.statement(`tproxy to ${address === '' || port !== 0 ? `${address}:${port}` : address}`);
  const mark = option(use, 'tproxy-mark');
  if (mark) {
    const m = first(mark);
    w.statement(m.mask === U32 ? `meta mark set ${hex(m.value)}` : `meta mark set meta mark and ${hex(~m.mask & U32)} xor ${hex(m.value)}`);
  }
  w.statement('accept');
  w.followUp.push('drop');
};

/** NETMAP keeps the host part: nft's `prefix` NAT; the destination where packets come in, the source where they go out. */
const netmap: TargetForm = (w, use) => {
  const to = first(option(use, 'to')!);
  if (!('address' in to)) return w.fail(lookedUpWhenLoaded(to.hostname));
  if (to.prefix < 0) w.fail(t('the mask of `--to` is not a prefix'));
  const hooks = [...w.ctx.hooks];
  const dst = hooks.every((h) => natManip(h) === 'dst');
  const src = hooks.every((h) => natManip(h) === 'src');
  if (hooks.length === 0 || (!dst && !src)) w.fail(t('the chain is reached from hooks where NETMAP maps the destination and from hooks where it maps the source; nft must be told which'));
  w.statement(`${dst ? 'dnat' : 'snat'} ${ip(w.family)} prefix to ${formatAddress(to.address, w.family)}/${to.prefix}`);
};

const secmark: TargetForm = (w, use) => {
  const context = option(use, 'selctx')!.values[0].text;
  const name = `secmark_${w.ctx.ruleId}`;
  w.declare(`secmark ${name}`, `secmark ${name} { ${quoted(context).text} }`);
  w.statement(`meta secmark set "${name}"`);
};

export const MATCH_FORMS: Readonly<Record<NftMatchForm, Form>> = {
  tcpFlags, icmpType, multiport, conntrackState, connlimit, connbytes, socket, policy, ipset, rpfilter, limit,
  hashlimit, statistic, time, addrtype, ipv6header, quota, osf, cgroupPath, comment, connlabel, mhType,
};

export const TARGET_FORMS: Readonly<Record<NftTargetForm, TargetForm>> = {
  mark, connmark, tosTarget, tcpmss, tcpoptstrip, ct, setTarget, tproxy, netmap, secmark,
};
