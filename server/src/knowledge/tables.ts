import type { ExtensionSpec, Hook, TableName } from './schema';

export interface TableSpec {
  name: TableName;
  /** Built-in chains, in hook order. */
  chains: readonly Hook[];
  /** Priority of this table's hook functions (lower runs first); nat differs per hook. */
  priority: Partial<Record<Hook, number>>;
  /** Verdicts the table refuses, as a target and as a policy. */
  refuses?: readonly string[];
  doc: string;
}

/** The hooks in the order a packet can meet them. */
export const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

export const HOOK_DOCS: Record<Hook, string> = {
  PREROUTING: 'Every packet that arrives on an interface, before the routing decision.',
  INPUT: 'Packets routed to this host itself.',
  FORWARD: 'Packets routed through this host from one interface to another.',
  OUTPUT: 'Packets created by local processes, right after their routing decision.',
  POSTROUTING: 'Every packet about to leave on an interface, forwarded or local.',
};

/** Hooks where a packet has come in by an interface (`-i` can match there), and where it has one to leave by (`-o`). */
export const INPUT_INTERFACE_HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD'];
export const OUTPUT_INTERFACE_HOOKS: readonly Hook[] = ['FORWARD', 'OUTPUT', 'POSTROUTING'];

/**
 * Where a packet enters netfilter, from an interface or from a local socket:
 * connection tracking looks it up there, and NAT rewrites its destination
 * there (before routing); at INPUT and POSTROUTING, where it leaves, NAT
 * rewrites its source. FORWARD has no NAT.
 */
export function isEntryHook(hook: Hook): boolean {
  return hook === 'PREROUTING' || hook === 'OUTPUT';
}

/** The address NAT rewrites at a hook (see isEntryHook). */
export function natManip(hook: Hook): 'src' | 'dst' {
  return isEntryHook(hook) ? 'dst' : 'src';
}

/** The address a NAT target rewrites at a hook; undefined for a target that is not NAT. */
export function natRewrite(spec: ExtensionSpec | undefined, hook: Hook): 'src' | 'dst' | undefined {
  const nat = spec?.nat;
  return nat === 'byHook' ? natManip(hook) : nat;
}

/**
 * A target whose work on a connection's first packet the connection's later
 * packets meet: NAT (its binding rewrites them all), or a change of the
 * connection itself (its mark, zone, helper, or no tracking at all).
 */
export function changesConnection(spec: ExtensionSpec | undefined): boolean {
  return spec?.nat !== undefined || spec?.changes?.includes('conntrack') === true;
}

/** Connection tracking runs between raw and mangle (priority -200). */
export const CONNTRACK_PRIORITY = -200;

export const TABLES: readonly TableSpec[] = [
  {
    name: 'raw',
    chains: ['PREROUTING', 'OUTPUT'],
    priority: { PREROUTING: -300, OUTPUT: -300 },
    doc: 'Seen before connection tracking: the place to exempt traffic from tracking (`-j CT --notrack`) or to attach conntrack zones and helpers.',
  },
  {
    name: 'mangle',
    chains: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    priority: { PREROUTING: -150, INPUT: -150, FORWARD: -150, OUTPUT: -150, POSTROUTING: -150 },
    doc: 'For changing packet headers and metadata: TOS/DSCP, TTL, firewall marks and connection marks, MSS clamping.',
  },
  {
    name: 'nat',
    chains: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    priority: { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100 },
    refuses: ['DROP'],
    doc: 'Address translation, consulted only for the first packet of each connection: port forwarding (DNAT, REDIRECT) before routing, masquerading and SNAT after it. Not for filtering: DROP is refused here.',
  },
  {
    name: 'filter',
    chains: ['INPUT', 'FORWARD', 'OUTPUT'],
    priority: { INPUT: 0, FORWARD: 0, OUTPUT: 0 },
    doc: 'The default table, where packets are accepted, dropped or rejected.',
  },
  {
    name: 'security',
    chains: ['INPUT', 'FORWARD', 'OUTPUT'],
    priority: { INPUT: 50, FORWARD: 50, OUTPUT: 50 },
    doc: 'Mandatory access control (SELinux): SECMARK and CONNSECMARK labels, after the filter table.',
  },
];

export const POLICIES = ['ACCEPT', 'DROP'] as const;

/** The verdicts iptables itself knows, without loading an extension. */
export const STANDARD_TARGETS: Record<string, string> = {
  ACCEPT: 'Stop here and let the packet through this chain\'s hook (later tables and hooks still see it).',
  DROP: 'Stop here and discard the packet silently.',
  RETURN: 'Leave this chain and continue after the rule that jumped here; in a built-in chain, apply its policy.',
  QUEUE: 'Hand the packet to a user-space program on queue 0 (NFQUEUE is the modern form); dropped if nobody listens.',
};

/** iptables accepts chain names below this length. */
export const MAX_CHAIN_NAME = 28;
/** Interface names are at most 15 characters (IFNAMSIZ - 1). */
export const MAX_INTERFACE_NAME = 15;

/**
 * nf_tables follows jumps on a stack of 16 levels: a chain reached through 16
 * jumps or gotos from a built-in chain cannot be loaded, and the rule that
 * reaches it is refused with EMLINK ("Too many links"); chains no built-in chain
 * reaches are not checked. x_tables (the legacy backend) sizes its stack by the
 * table's chains and loads any depth. Recorded with both backends on Linux 6.18
 * (test/kernel/cases/295-jumps-20-deep-legacy, test/kernel/limits.test.ts).
 */
export const NFT_JUMP_LEVELS = 16;
