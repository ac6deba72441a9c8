// The words an option's value can be, with what each one means: completion
// offers them and hover explains them (`--ctstate RELATED`, `-p tcp`).
import type { Family, SimpleValueKind, ValueSpec } from './schema';
import {
  ADDRESS_TYPES, COMMON_PROTOCOLS, CT_STATES, CT_STATUSES, DSCP_CLASSES, ICMP_TYPES, ICMPV6_TYPES, IcmpType, LOG_LEVELS,
  Named, PACKET_TYPES, REJECT_TYPES_V4, REJECT_TYPES_V6, TCP_FLAGS, TOS_NAMES, WEEKDAYS,
} from './vocabulary';

function rejectTypes(types: readonly (Named & { alias: string })[]): Named[] {
  return types.flatMap((t) => [{ name: t.name, doc: t.doc }, { name: t.alias, doc: `Short for \`${t.name}\`: ${t.doc}` }]);
}

/** Enum options whose words are described in vocabulary.ts, by option name, for each family. */
const DESCRIBED: Readonly<Record<string, Readonly<Record<Family, readonly Named[]>>>> = {
  ctstate: { ipv4: CT_STATES, ipv6: CT_STATES },
  state: { ipv4: CT_STATES, ipv6: CT_STATES },
  ctstatus: { ipv4: CT_STATUSES, ipv6: CT_STATUSES },
  'src-type': { ipv4: ADDRESS_TYPES, ipv6: ADDRESS_TYPES },
  'dst-type': { ipv4: ADDRESS_TYPES, ipv6: ADDRESS_TYPES },
  'pkt-type': { ipv4: PACKET_TYPES, ipv6: PACKET_TYPES },
  'reject-with': { ipv4: rejectTypes(REJECT_TYPES_V4), ipv6: rejectTypes(REJECT_TYPES_V6) },
};

function icmpWords(types: readonly IcmpType[], label: string): Named[] {
  return types.map((t) => ({
    name: t.name,
    doc: t.name === 'any' ? `Every ${label} type.` : `${label} type ${t.type}, ${t.code === undefined ? 'any code' : `code ${t.code}`}.`,
  }));
}

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const BY_KIND: Partial<Record<SimpleValueKind, (family: Family) => readonly Named[]>> = {
  // ICMP for the other family is a valid protocol number, but never what the rule means.
  protocol: (family) => COMMON_PROTOCOLS.filter((p) => p.name !== (family === 'ipv4' ? 'ipv6-icmp' : 'icmp')),
  icmpType: () => icmpWords(ICMP_TYPES, 'ICMP'),
  icmpv6Type: () => icmpWords(ICMPV6_TYPES, 'ICMPv6'),
  tcpFlagList: () => TCP_FLAGS,
  logLevel: () => LOG_LEVELS,
  dscpClass: () => [...DSCP_CLASSES].map(([name, n]) => ({ name, doc: `DSCP ${n} (0x${n.toString(16)}).` })),
  tosMask: () => [...TOS_NAMES].map(([name, n]) => ({ name, doc: `TOS value 0x${n.toString(16).padStart(2, '0')} (RFC 1349).` })),
  weekdays: () => WEEKDAYS.map((name, i) => ({ name, doc: `${DAY_NAMES[i]} (day ${i + 1}).` })),
};

/**
 * The words a value of this kind can be, each with its meaning where we have
 * one (an empty doc otherwise). Empty for free-form values (ports, addresses).
 */
export function valueWords(spec: ValueSpec, optionName: string, family: Family): readonly Named[] {
  if (typeof spec === 'string') return BY_KIND[spec]?.(family) ?? [];
  const words = spec.kind === 'enum' || spec.kind === 'enumList' ? spec.values : spec.kind === 'uint' ? spec.words ?? [] : [];
  const described = DESCRIBED[optionName]?.[family] ?? [];
  return words.map((name) => described.find((d) => d.name === name) ?? { name, doc: '' });
}

/** One word of a value, looked up as iptables compares it (case-insensitively where the option does). */
export function describeWord(spec: ValueSpec, optionName: string, family: Family, word: string): Named | undefined {
  const lower = word.toLowerCase();
  return valueWords(spec, optionName, family).find((w) => w.name === word || w.name.toLowerCase() === lower);
}
