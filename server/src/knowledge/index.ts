// The single entry point to what the extension knows about iptables.
import { CONNECTION_MATCHES } from './matches/connections';
import { HEADER_MATCHES } from './matches/headers';
import { METADATA_MATCHES } from './matches/metadata';
import type { ExtensionSpec, Family, Hook, OptionSpec, TableName } from './schema';
import { HOOKS, STANDARD_TARGETS, TABLES, TableSpec } from './tables';
import { LOGGING_TARGETS } from './targets/logging';
import { NAT_TARGETS } from './targets/nat';
import { PACKET_TARGETS } from './targets/packet';
import { TRACKING_TARGETS } from './targets/tracking';
import { VERDICT_TARGETS } from './targets/verdicts';

export * from './schema';
export {
  changesConnection, HOOKS, HOOK_DOCS, INPUT_INTERFACE_HOOKS, isEntryHook, MAX_CHAIN_NAME, MAX_INTERFACE_NAME, natManip, natRewrite, NFT_JUMP_LEVELS, OUTPUT_INTERFACE_HOOKS, POLICIES,
  STANDARD_TARGETS, TABLES,
} from './tables';
export type { TableSpec } from './tables';

export const MATCHES: readonly ExtensionSpec[] = [...HEADER_MATCHES, ...CONNECTION_MATCHES, ...METADATA_MATCHES];
export const TARGETS: readonly ExtensionSpec[] = [
  ...VERDICT_TARGETS, ...NAT_TARGETS, ...PACKET_TARGETS, ...TRACKING_TARGETS, ...LOGGING_TARGETS,
];

type Index = Map<string, { ipv4?: ExtensionSpec; ipv6?: ExtensionSpec }>;

function index(list: readonly ExtensionSpec[]): Index {
  const byName: Index = new Map();
  for (const ext of list) {
    const entry = byName.get(ext.name) ?? {};
    if (ext.family !== 'ipv6') entry.ipv4 ??= ext;
    if (ext.family !== 'ipv4') entry.ipv6 ??= ext;
    byName.set(ext.name, entry);
  }
  return byName;
}

const MATCH_INDEX = index(MATCHES);
const TARGET_INDEX = index(TARGETS);
const TABLE_INDEX = new Map(TABLES.map((t) => [t.name as string, t]));

/** The match module `-m name` loads for this family, if iptables has one. */
export function findMatch(name: string, family: Family): ExtensionSpec | undefined {
  return MATCH_INDEX.get(MATCH_ALIASES[name] ?? name)?.[family];
}

/** iptables maps these names to the icmp6 module, in `-m` and for `-p`. */
export const MATCH_ALIASES: Readonly<Record<string, string>> = { icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6' };

/** The target extension `-j NAME` loads for this family (not the standard verdicts). */
export function findTarget(name: string, family: Family): ExtensionSpec | undefined {
  return TARGET_INDEX.get(name)?.[family];
}

/** A module that exists, but only for the other family. */
export function otherFamilyExtension(name: string, kind: 'match' | 'target', family: Family): ExtensionSpec | undefined {
  const other: Family = family === 'ipv4' ? 'ipv6' : 'ipv4';
  return (kind === 'match' ? MATCH_INDEX : TARGET_INDEX).get(name)?.[other];
}

export function isStandardTarget(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(STANDARD_TARGETS, name);
}

export function findTable(name: string): TableSpec | undefined {
  return TABLE_INDEX.get(name);
}

export function isBuiltinChain(table: TableName, chain: string): chain is Hook {
  return findTable(table)?.chains.includes(chain as Hook) ?? false;
}

/** Hooks as a comma-separated list, in the order a packet meets them. */
export function hookList(hooks: Iterable<Hook>): string {
  const set = new Set(hooks);
  return HOOKS.filter((h) => set.has(h)).join(', ');
}

/** Every built-in chain name in any table. */
export const BUILTIN_CHAIN_NAMES: ReadonlySet<string> = new Set(TABLES.flatMap((t) => t.chains));

export function matchesFor(family: Family): ExtensionSpec[] {
  return MATCHES.filter((m) => m.family === undefined || m.family === family);
}

export function targetsFor(family: Family): ExtensionSpec[] {
  return TARGETS.filter((t) => t.family === undefined || t.family === family);
}

/** Every spelling of an option, its own name first. */
export function optionNames(option: OptionSpec): readonly string[] {
  return option.aliases ? [option.name, ...option.aliases] : [option.name];
}

const OPTION_INDEX = new WeakMap<ExtensionSpec, ReadonlyMap<string, OptionSpec>>();

/** The extension's option by one of its full names (a lookup the parser makes for every option it reads). */
export function optionNamed(ext: ExtensionSpec, name: string): OptionSpec | undefined {
  let index = OPTION_INDEX.get(ext);
  if (!index) {
    const map = new Map<string, OptionSpec>();
    for (const o of ext.options) for (const n of optionNames(o)) if (!map.has(n)) map.set(n, o);
    OPTION_INDEX.set(ext, (index = map));
  }
  return index.get(name);
}

/** Match modules whose options include this long name: for "`--ctstate` needs `-m conntrack`". */
export function modulesDefining(optionName: string, family: Family): ExtensionSpec[] {
  return [...matchesFor(family), ...targetsFor(family)].filter((ext) =>
    ext.options.some((o) => optionNames(o).includes(optionName)),
  );
}
