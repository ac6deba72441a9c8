// The words an option's value can be, with what each one means: completion
// offers them and hover explains them (`--ctstate RELATED`, `-p tcp`).
import { localized, t } from '../l10n';
import type { Family, SimpleValueKind, ValueSpec } from './schema';
import {
  ADDRESS_TYPES, COMMON_PROTOCOLS, CT_STATES, CT_STATUSES, DSCP_CLASSES, ICMP_TYPES, ICMPV6_TYPES, IcmpType, LOG_LEVELS,
  Named, PACKET_TYPES, REJECT_TYPES_V4, REJECT_TYPES_V6, TCP_FLAGS, TOS_NAMES, WEEKDAYS,
} from './vocabulary';

function rejectTypes(types: readonly (Named & { alias: string })[]): Named[] {
  return types.flatMap((type) => [{ name: type.name, doc: type.doc }, { name: type.alias, doc: t('Short for `{0}`: {1}', type.name, localized(type.doc)) }]);
}

/** Enum options whose words are described in vocabulary.ts, by option name, for each family (built when asked: the alias texts are in the current language). */
const DESCRIBED: Readonly<Record<string, (family: Family) => readonly Named[]>> = {
  ctstate: () => CT_STATES,
  state: () => CT_STATES,
  ctstatus: () => CT_STATUSES,
  'src-type': () => ADDRESS_TYPES,
  'dst-type': () => ADDRESS_TYPES,
  'pkt-type': () => PACKET_TYPES,
  'reject-with': (family) => rejectTypes(family === 'ipv4' ? REJECT_TYPES_V4 : REJECT_TYPES_V6),
};

function icmpWords(types: readonly IcmpType[], label: string): Named[] {
  return types.map((type) => ({
    name: type.name,
    doc: type.name === 'any' ? t('Every {0} type.', label) : type.code === undefined ? t('{0} type {1}, any code.', label, type.type) : t('{0} type {1}, code {2}.', label, type.type, type.code),
  }));
}

const dayNames = () => [t('Monday'), t('Tuesday'), t('Wednesday'), t('Thursday'), t('Friday'), t('Saturday'), t('Sunday')];

const BY_KIND: Partial<Record<SimpleValueKind, (family: Family) => readonly Named[]>> = {
  // ICMP for the other family is a valid protocol number, but never what the rule means.
  protocol: (family) => COMMON_PROTOCOLS.filter((p) => p.name !== (family === 'ipv4' ? 'ipv6-icmp' : 'icmp')),
  icmpType: () => icmpWords(ICMP_TYPES, 'ICMP'),
  icmpv6Type: () => icmpWords(ICMPV6_TYPES, 'ICMPv6'),
  tcpFlagList: () => TCP_FLAGS,
  logLevel: () => LOG_LEVELS,
  dscpClass: () => [...DSCP_CLASSES].map(([name, n]) => ({ name, doc: `DSCP ${n} (0x${n.toString(16)}).` })),
  tosMask: () => [...TOS_NAMES].map(([name, n]) => ({ name, doc: t('TOS value 0x{0} (RFC 1349).', n.toString(16).padStart(2, '0')) })),
  weekdays: () => {
    const days = dayNames();
    return WEEKDAYS.map((name, i) => ({ name, doc: t('{0} (day {1}).', days[i], i + 1) }));
  },
};

/**
 * The words a value of this kind can be, each with its meaning where we have
 * one (an empty doc otherwise). Empty for free-form values (ports, addresses).
 */
export function valueWords(spec: ValueSpec, optionName: string, family: Family): readonly Named[] {
  if (typeof spec === 'string') return BY_KIND[spec]?.(family) ?? [];
  const words = spec.kind === 'enum' || spec.kind === 'enumList' ? spec.values : spec.kind === 'uint' ? spec.words ?? [] : [];
  const described = DESCRIBED[optionName]?.(family) ?? [];
  return words.map((name) => described.find((d) => d.name === name) ?? { name, doc: '' });
}

/** One word of a value, looked up as iptables compares it (case-insensitively where the option does). */
export function describeWord(spec: ValueSpec, optionName: string, family: Family, word: string): Named | undefined {
  const lower = word.toLowerCase();
  return valueWords(spec, optionName, family).find((w) => w.name === word || w.name.toLowerCase() === lower);
}
