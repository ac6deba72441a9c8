// A ruleset written back in iptables-save format, with rules in the canonical
// form iptables-save prints them (`-p tcp --dport 22` comes out as `-p tcp -m
// tcp --dport 22`, addresses get their mask, ICMP names become numbers...).
// Two rulesets that load the same print the same, so this is also how a
// script's ruleset is compared with the kernel's.
import { familyBits, formatAddress } from '../knowledge/addresses';
import { TABLES, type ExtensionSpec, type Family, type OptionSpec, type ValueSpec } from '../knowledge';
import { checkValue, IcmpMatch, MarkMask, PortRange } from '../knowledge/values';
import {
  CT_STATES, DSCP_CLASSES, LOG_LEVELS, protocolNumber, REJECT_TYPES_V4, REJECT_TYPES_V6, savedProtocolName, TCP_FLAGS, TCP_HEADER_FLAGS,
} from '../knowledge/vocabulary';
import type { MatchUse, OptionUse, TargetUse } from '../syntax/command';
import type { Chain, Rule, Ruleset, Table } from './ruleset';
import type { Cidr } from '../knowledge/addresses';

/** How iptables-save prints an extension where it differs from "options in knowledge-base order". */
interface SaveFormat {
  /** Print order of the options. */
  order?: readonly string[];
  /** Options iptables fills in when absent, as printed. */
  defaults?: Readonly<Record<string, string>>;
  /** Options iptables leaves out when they have this (printed) value. */
  omitWhen?: Readonly<Record<string, string>>;
  /** Options always printed in double quotes. */
  quoted?: readonly string[];
  /** Rewrites the options (aliases that iptables stores differently). */
  rewrite?: (options: PrintedOption[], family: Family) => PrintedOption[];
  /** The spelling iptables-save uses, where it is an alias. */
  names?: Readonly<Record<string, string>>;
}

const PORT_NAMES = { 'source-port': 'sport', 'destination-port': 'dport' };

interface PrintedOption {
  name: string;
  values: string[];
  negated: boolean;
}

const CT_STATE_RANK = new Map(CT_STATES.map((s) => [s.name, s.saveOrder]));
const LOG_LEVEL_NUMBER = new Map(LOG_LEVELS.map((l) => [l.name, l.level]));
const TCP_FLAG_WORD_BITS = new Map(TCP_FLAGS.map((f) => [f.name, f.bits]));

const canonical = new WeakMap<Rule, string>();

/** The rule's canonical text, computed once (rule comparisons for -D and -C use it). */
export function canonicalRule(rule: Rule, family: Family): string {
  let text = canonical.get(rule);
  if (text === undefined) {
    text = ruleText(rule, family);
    canonical.set(rule, text);
  }
  return text;
}

/** MARK/CONNMARK store every way of setting a mark as "xor value into masked bits". */
function markAsXmark(options: PrintedOption[]): PrintedOption[] {
  return options.map((o) => {
    const [v, m] = (o.values[0] ?? '').split('/');
    const value = Number(v) >>> 0;
    const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
    switch (o.name) {
      case 'set-mark': return { ...o, name: 'set-xmark', values: [`${hex(value)}/${m ?? '0xffffffff'}`] };
      case 'and-mark': return { ...o, name: 'set-xmark', values: [`0x0/${hex(~value)}`] };
      case 'or-mark': return { ...o, name: 'set-xmark', values: [`${hex(value)}/${hex(value)}`] };
      case 'xor-mark': return { ...o, name: 'set-xmark', values: [`${hex(value)}/0x0`] };
      default: return o;
    }
  });
}

const hex = (n: number | bigint, width = 0) => `0x${n.toString(16).padStart(width, '0')}`;

/** DSCP classes are stored as their code point. */
function dscpClassAsValue(option: string, to: string): (options: PrintedOption[]) => PrintedOption[] {
  return (options) => options.map((o) => {
    if (o.name === option) return { ...o, name: to, values: [hex(DSCP_CLASSES.get(o.values[0].toUpperCase()) ?? 0, 2)] };
    if (o.name === to) return { ...o, values: [hex(Number(o.values[0]), 2)] };
    return o;
  });
}

const FORMATS: Record<string, SaveFormat> = {
  tcp: {
    names: PORT_NAMES,
    order: ['source-port', 'destination-port', 'tcp-flags', 'tcp-option'],
    rewrite: (options) => options.map((o) => (o.name === 'syn' ? { name: 'tcp-flags', values: ['FIN,SYN,RST,ACK', 'SYN'], negated: o.negated } : o)),
  },
  udp: { names: PORT_NAMES },
  sctp: { names: PORT_NAMES },
  dccp: { names: PORT_NAMES },
  recent: {
    order: ['set', 'rcheck', 'update', 'remove', 'seconds', 'reap', 'hitcount', 'rttl', 'name', 'mask', 'rsource', 'rdest'],
    defaults: { name: 'DEFAULT', mask: '255.255.255.255', rsource: '' },
  },
  limit: { omitWhen: { 'limit-burst': '5' }, defaults: { limit: '3/hour' } },
  LOG: { order: ['log-prefix', 'log-level'], omitWhen: { 'log-level': '4' }, quoted: ['log-prefix'] },
  NFLOG: { quoted: ['nflog-prefix'] },
  TPROXY: { order: ['on-port', 'on-ip', 'tproxy-mark'], rewrite: (options, family) => (options.some((o) => o.name === 'on-ip') ? options : [...options, { name: 'on-ip', values: [family === 'ipv4' ? '0.0.0.0' : '::'], negated: false }]) },
  MARK: { rewrite: markAsXmark },
  CONNMARK: {
    rewrite: (options) => {
      const copies = options.some((o) => o.name === 'save-mark' || o.name === 'restore-mark');
      const mask = options.find((o) => o.name === 'mask')?.values[0];
      const rest = markAsXmark(options).filter((o) => o.name !== 'mask').map((o) => (o.name === 'nfmask' || o.name === 'ctmask' ? { ...o, values: [hex(Number(o.values[0]))] } : o));
      // --save-mark/--restore-mark store both masks; --mask sets the two at once.
      if (!copies) return rest;
      for (const name of ['nfmask', 'ctmask']) {
        if (!rest.some((o) => o.name === name)) rest.push({ name, values: [hex(mask === undefined ? 0xffffffff : Number(mask))], negated: false });
      }
      return rest;
    },
  },
  TOS: {
    rewrite: (options) => options.map((o) => {
      if (o.name !== 'set-tos') return o;
      const r = checkValue('tosMask', o.values[0], { family: 'ipv4' }).value as MarkMask | undefined;
      return r ? { ...o, values: [`${hex(r.value, 2)}/${hex(r.mask, 2)}`] } : o;
    }),
  },
  DSCP: { rewrite: dscpClassAsValue('set-dscp-class', 'set-dscp') },
  dscp: { rewrite: dscpClassAsValue('dscp-class', 'dscp') },
  connlimit: {
    rewrite: (options, family) => {
      const out = [...options];
      if (!out.some((o) => o.name === 'connlimit-mask')) out.push({ name: 'connlimit-mask', values: [family === 'ipv4' ? '32' : '128'], negated: false });
      if (!out.some((o) => o.name === 'connlimit-daddr' || o.name === 'connlimit-saddr')) out.push({ name: 'connlimit-saddr', values: [], negated: false });
      return out;
    },
  },
  hashlimit: { omitWhen: { 'hashlimit-burst': '5' } },
};

export function rulesetText(ruleset: Ruleset): string {
  const out: string[] = [];
  for (const table of [...ruleset.tables.values()].sort((a, b) => tableOrder(a) - tableOrder(b))) {
    out.push(`*${table.name}`);
    for (const chain of orderedChains(table)) out.push(`:${chain.name} ${chain.builtin ? chain.policy ?? 'ACCEPT' : '-'} [0:0]`);
    for (const chain of orderedChains(table)) for (const rule of chain.rules) out.push(`-A ${chain.name} ${ruleText(rule, ruleset.family)}`.trimEnd());
    out.push('COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function tableOrder(t: Table): number {
  return TABLES.findIndex((spec) => spec.name === t.name);
}

/** Built-in chains in hook order, then user chains in byte order, as iptables-save lists them. */
function orderedChains(table: Table): Chain[] {
  const builtin = (table.spec?.chains ?? []).map((h) => table.chains.get(h)).filter((c): c is Chain => !!c);
  const user = [...table.chains.values()].filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtin, ...user];
}

/** A rule's text after `-A CHAIN`, as iptables-save prints it. */
function ruleText(rule: Rule, family: Family): string {
  const s = rule.spec;
  const parts: string[] = [];
  const neg = (c: { negated: boolean }) => (c.negated ? '! ' : '');
  const address = (text: string | undefined, c: typeof s.source) => {
    if (!c) return undefined;
    const v = text ?? c.value.text;
    const r = checkValue('addressList', v, { family });
    const cidr = Array.isArray(r.value) ? (r.value[0] as Cidr) : (r.value as Cidr | undefined);
    return cidr && 'address' in cidr ? formatCidr(cidr) : v;
  };
  // A match-anything address (`0.0.0.0/0`) is no criterion at all, unless negated.
  const source = address(rule.addresses?.source, s.source);
  const destination = address(rule.addresses?.destination, s.destination);
  if (s.source && (s.source.negated || !isAnyAddress(source))) parts.push(`${neg(s.source)}-s ${source}`);
  if (s.destination && (s.destination.negated || !isAnyAddress(destination))) parts.push(`${neg(s.destination)}-d ${destination}`);
  if (s.inInterface) parts.push(`${neg(s.inInterface)}-i ${s.inInterface.value.text}`);
  if (s.outInterface) parts.push(`${neg(s.outInterface)}-o ${s.outInterface.value.text}`);
  if (s.protocol) {
    const p = s.protocol.value.text.toLowerCase();
    const number = protocolNumber(p);
    const name = number === undefined ? p : savedProtocolName(number) ?? p;
    if (!(name === 'all' && !s.protocol.negated)) parts.push(`${neg(s.protocol)}-p ${name}`);
  }
  if (s.fragment) parts.push(`${neg(s.fragment)}-f`);
  for (const m of s.matches) parts.push(matchText(m, family));
  if (s.target) parts.push(targetText(s.target, rule.target.kind === 'chain' || rule.target.kind === 'unresolved' ? rule.target.name : s.target.name, family));
  return parts.filter((p) => p !== '').join(' ');
}

function isAnyAddress(text: string | undefined): boolean {
  return text === '0.0.0.0/0' || text === '::/0';
}

function formatCidr(c: Cidr): string {
  const addr = formatAddress(c.address, c.family);
  if (c.prefix >= 0) return `${addr}/${c.prefix}`;
  return `${addr}/${formatAddress(c.mask, c.family)}`;
}

function matchText(m: MatchUse, family: Family): string {
  const head = `-m ${m.spec?.name ?? m.name}`;
  return m.spec ? [head, ...optionsText(m.spec, m.options, family)].join(' ') : head;
}

/** `name` is the target as it is now (a renamed chain keeps the jumps to it). */
function targetText(t: TargetUse, name: string, family: Family): string {
  const head = `${t.goto ? '-g' : '-j'} ${name}`;
  if (!t.spec) return head;
  const options = [...t.options];
  let text = [head, ...optionsText(t.spec, options, family)].join(' ');
  if (t.spec.name === 'REJECT' && !options.some((o) => o.spec.name === 'reject-with')) {
    text += ` --reject-with ${family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`;
  }
  return text;
}

function optionsText(ext: ExtensionSpec, uses: OptionUse[], family: Family): string[] {
  const format = FORMATS[ext.name] ?? {};
  let printed: PrintedOption[] = uses.map((u) => ({
    name: u.spec.name,
    negated: u.negated,
    values: u.values.map((v, i) => canonicalValue(i === 0 ? u.spec.value : u.spec.second, v.text, family, ext, u.spec)),
  }));
  if (format.rewrite) printed = format.rewrite(printed, family);
  for (const [name, value] of Object.entries(format.defaults ?? {})) {
    if (!printed.some((p) => p.name === name || (name === 'rsource' && p.name === 'rdest'))) printed.push({ name, values: value === '' ? [] : [value], negated: false });
  }
  printed = printed.filter((p) => format.omitWhen?.[p.name] === undefined || p.values[0] !== format.omitWhen[p.name]);
  const order = format.order ?? ext.options.map((o) => o.name);
  printed.sort((a, b) => rank(order, a.name) - rank(order, b.name));
  return printed.map((p) => {
    const values = p.values.map((v) => (format.quoted?.includes(p.name) ? quote(v, true) : quote(v, false)));
    return `${p.negated ? '! ' : ''}--${format.names?.[p.name] ?? p.name}${values.length ? ' ' + values.join(' ') : ''}`;
  });
}

function rank(order: readonly string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}

/** A value the way iptables-save prints it. */
function canonicalValue(spec: ValueSpec | undefined, text: string, family: Family, ext: ExtensionSpec, option: OptionSpec): string {
  if (!spec) return text;
  const r = checkValue(spec, text, { family, validateOnly: false });
  if (r.error || r.value === undefined) return text;
  const v = r.value;
  if (typeof spec === 'string') {
    switch (spec) {
      case 'portRange': {
        const p = v as PortRange;
        return p.from === p.to ? String(p.from) : `${p.from}:${p.to}`;
      }
      case 'port': return String(v);
      case 'portList': return (v as PortRange[]).map((p) => (p.from === p.to ? String(p.from) : `${p.from}:${p.to}`)).join(',');
      case 'icmpType':
      case 'icmpv6Type': {
        const t = v as IcmpMatch;
        if (t.any) return 'any';
        if (t.codeFrom === 0 && t.codeTo === 255) return String(t.type);
        return t.codeFrom === t.codeTo ? `${t.type}/${t.codeFrom}` : `${t.type}/${t.codeFrom}:${t.codeTo}`;
      }
      case 'markMask': {
        const m = v as MarkMask;
        return m.mask === 0xffffffffn && !text.includes('/') && ext.kind === 'match' ? `0x${m.value.toString(16)}` : `0x${m.value.toString(16)}/0x${m.mask.toString(16)}`;
      }
      case 'rate': {
        const rate = v as { amount: number; per: string };
        return `${rate.amount}/${({ second: 'sec', minute: 'min', hour: 'hour', day: 'day' } as Record<string, string>)[rate.per]}`;
      }
      case 'hostMask':
      case 'host':
      case 'addressList':
        return 'address' in (v as object) ? formatCidr(v as Cidr).replace(`/${familyBits(family)}`, option.name === 'mask' || spec === 'host' ? '' : `/${familyBits(family)}`) : text;
      case 'mac': return String(v);
      case 'tcpFlagList': return tcpFlagsText(v as string[]);
      case 'logLevel': return typeof v === 'number' ? String(v) : String(LOG_LEVEL_NUMBER.get(v as string) ?? v);
      default: return text;
    }
  }
  if (spec.kind === 'enumList') {
    const items = v as string[];
    if (option.name === 'ctstate' || option.name === 'state') return [...new Set(items)].sort((a, b) => CT_STATE_RANK.get(a)! - CT_STATE_RANK.get(b)!).join(',');
    return items.join(',');
  }
  if (spec.kind === 'enum') {
    // REJECT types are stored by number: an alias comes back under its full name.
    const types = family === 'ipv4' ? REJECT_TYPES_V4 : REJECT_TYPES_V6;
    return option.name === 'reject-with' ? types.find((t) => t.alias === v || t.name === v)?.name ?? String(v) : String(v);
  }
  if (spec.kind === 'uint') return String(v);
  return text;
}

/** TCP flags as iptables-save lists them: in header order, ALL spelled out. */
function tcpFlagsText(names: string[]): string {
  const bits = names.reduce((sum, n) => sum | (TCP_FLAG_WORD_BITS.get(n) ?? 0), 0);
  const text = TCP_HEADER_FLAGS.filter((f) => bits & f.bits).map((f) => f.name).join(',');
  return text === '' ? 'NONE' : text;
}

/** iptables-save's quoting: bare when one plain word, else double quotes with `"` and `\` escaped. */
function quote(value: string, always: boolean): string {
  if (!always && value !== '' && !/[\s"'\\]/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/'/g, "\\'")}"`;
}
