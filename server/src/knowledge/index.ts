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
import type { ValueOf } from './values';
import { VERDICT_TARGETS } from './targets/verdicts';

export * from './schema';
export {
  changesConnection, HOOKS, HOOK_DOCS, INPUT_INTERFACE_HOOKS, isEntryHook, MAX_CHAIN_NAME, MAX_INTERFACE_NAME, natManip, natRewrite, NFT_JUMP_LEVELS, OUTPUT_INTERFACE_HOOKS, POLICIES,
  STANDARD_TARGETS, TABLES,
} from './tables';
export type { TableSpec } from './tables';

export const MATCHES: readonly KnownExtensionSpec[] = [...HEADER_MATCHES, ...CONNECTION_MATCHES, ...METADATA_MATCHES];
export const TARGETS: readonly KnownExtensionSpec[] = [
  ...VERDICT_TARGETS, ...NAT_TARGETS, ...PACKET_TARGETS, ...TRACKING_TARGETS, ...LOGGING_TARGETS,
];

// ---- the knowledge base's own names, as types --------------------------------
// The data above keeps its literal types (`as const`), so the compiler knows
// every option's name and value kind: code that names an option checks the
// name against the data, and reads its value with the type of its kind.

type ExtensionData = (
  | typeof HEADER_MATCHES | typeof CONNECTION_MATCHES | typeof METADATA_MATCHES
  | typeof VERDICT_TARGETS | typeof NAT_TARGETS | typeof PACKET_TARGETS | typeof TRACKING_TARGETS | typeof LOGGING_TARGETS
)[number];
/** Matches and targets share some option names (`--mss`, `--to`) with other kinds of value. */
type ExtensionKind = ExtensionSpec['kind'];
type OptionData<K extends ExtensionKind = ExtensionKind> = Extract<ExtensionData, { kind: K }>['options'][number];

/** The long name of an option of some match (K = 'match') or target extension. */
export type OptionName<K extends ExtensionKind = ExtensionKind> = OptionData<K>['name'];

// Where the data names options (excludes, requires, the order iptables-save prints them...), each
// name must be one of the extension's own options: a misspelt one fails the type check below.
type Names<L> = L extends readonly (infer N)[] ? N : never;
type OptionRefs<O> = O extends unknown ?
  | (O extends { excludes: infer L } ? Names<L> : never)
  | (O extends { requires: infer L } ? Names<L> : never)
  | (O extends { requiresOneOf: infer L } ? Names<L> : never)
  | (O extends { after: infer L } ? Names<L> : never)
  | (O extends { below: infer N } ? N : never)
  | (O extends { renamedTo: infer N } ? N : never)
  | (O extends { onlyWith: { option: infer N } } ? N : never)
  | (O extends { save: { negatedAs: infer N } } ? N : never)
  | (O extends { save: { defaultWith: infer L } } ? Names<L> : never)
  | (O extends { save: { defaultWithout: infer L } } ? Names<L> : never)
  | (O extends { save: { storedAs: readonly (infer S)[] } } ? S extends { option: infer N } ? N : never : never)
  : never;
type ExtensionRefs<E> =
  | (E extends { needsOneOf: infer L } ? Names<L> : never)
  | (E extends { saveOrder: infer L } ? Names<L> : never)
  | (E extends { saveElements: infer N } ? N : never)
  | (E extends { starts: { unless: infer N } } ? N : never)
  | (E extends { options: readonly (infer O)[] } ? OptionRefs<O> : never);
/** The names an extension's data refers to that are none of its options: never, or the compiler says which. */
type Misnamed<E> = E extends { options: readonly (infer O)[] } ? Exclude<ExtensionRefs<E>, O extends { name: infer N } ? N : never> : never;
/** A match another extension needs beside it (TCPMSS: tcp with --syn or --tcp-flags): the names must be that match's options. */
type MisnamedNeeds<E> = E extends { needsMatch: { name: infer M; options: infer L } }
  ? Exclude<Names<L>, Extract<ExtensionData, { kind: 'match'; name: M }>['options'][number]['name']> : never;
/** Held to never by test/unit/knowledgeNames.test.ts. */
export type MisnamedInData = Misnamed<ExtensionData> | MisnamedNeeds<ExtensionData>;
/** Extensions whose nft form is of the other kind (a match written by a target's form, a target by a match's): never (test/nft/translate.test.ts). */
export type MisplacedNftForm =
  | Extract<ExtensionData, { kind: 'match'; nft: { targetForm: unknown } }>['name']
  | Extract<ExtensionData, { kind: 'target'; nft: { form: unknown } }>['name'];

/** An option of the knowledge base: its name is one the compiler knows. */
export interface KnownOptionSpec extends OptionSpec { name: OptionName }
/** An extension of the knowledge base, with its options as KnownOptionSpec. */
export interface KnownExtensionSpec extends ExtensionSpec { options: readonly KnownOptionSpec[] }

/**
 * The options of that name: one name can belong to several extensions, with a
 * kind each (a spec made by a helper may carry several names, `srh-hdr-len-eq|gt|lt`).
 */
type Named<N extends OptionName, K extends ExtensionKind> =
  OptionData<K> extends infer O ? O extends { name: infer M } ? ([Extract<M, N>] extends [never] ? never : O) : never : never;

/** What the first word of option N means (never for a flag). */
export type FirstValue<N extends OptionName, K extends ExtensionKind = ExtensionKind> =
  Named<N, K> extends infer O ? O extends { value: infer V } ? ValueOf<V> : never : never;
/** What the second word means, for the options that take two (`--tcp-flags mask comp`). */
export type SecondValue<N extends OptionName, K extends ExtensionKind = ExtensionKind> =
  Named<N, K> extends infer O ? O extends { second: infer V } ? ValueOf<V> : never : never;

type Index = Map<string, { ipv4?: KnownExtensionSpec; ipv6?: KnownExtensionSpec }>;

function index(list: readonly KnownExtensionSpec[]): Index {
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
export function findMatch(name: string, family: Family): KnownExtensionSpec | undefined {
  return MATCH_LOOKUP.get(name)?.[family];
}

/** iptables maps these names to the icmp6 module, in `-m` and for `-p`. */
export const MATCH_ALIASES: Readonly<Record<string, string>> = { icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6' };

/** The modules by every name `-m` takes, aliases included: one lookup per `-m` of 160k rules. */
const MATCH_LOOKUP: Index = new Map([...MATCH_INDEX, ...Object.entries(MATCH_ALIASES).map(([alias, name]) => [alias, MATCH_INDEX.get(name)!] as const)]);

/** The target extension `-j NAME` loads for this family (not the standard verdicts). */
export function findTarget(name: string, family: Family): KnownExtensionSpec | undefined {
  return TARGET_INDEX.get(name)?.[family];
}

/** A module that exists, but only for the other family. */
export function otherFamilyExtension(name: string, kind: 'match' | 'target', family: Family): KnownExtensionSpec | undefined {
  const other: Family = family === 'ipv4' ? 'ipv6' : 'ipv4';
  return (kind === 'match' ? MATCH_INDEX : TARGET_INDEX).get(name)?.[other];
}

/** A set, not the record's own properties: a property lookup by a name read from a file first makes it a unique string (55k chain declarations). */
const STANDARD_TARGET_NAMES: ReadonlySet<string> = new Set(Object.keys(STANDARD_TARGETS));

export function isStandardTarget(name: string): boolean {
  return STANDARD_TARGET_NAMES.has(name);
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

export function matchesFor(family: Family): KnownExtensionSpec[] {
  return MATCHES.filter((m) => m.family === undefined || m.family === family);
}

export function targetsFor(family: Family): KnownExtensionSpec[] {
  return TARGETS.filter((t) => t.family === undefined || t.family === family);
}

/** Every spelling of an option, its own name first. */
export function optionNames(option: OptionSpec): readonly string[] {
  return option.aliases ? [option.name, ...option.aliases] : [option.name];
}

/** The extension's first option with this full name or alias (the parser has its own table: syntax/command.ts writtenOption). */
export function optionNamed(ext: KnownExtensionSpec, name: string): KnownOptionSpec | undefined {
  return ext.options.find((o) => optionNames(o).includes(name));
}

/** Match modules whose options include this long name: for "`--ctstate` needs `-m conntrack`". */
export function modulesDefining(optionName: string, family: Family): KnownExtensionSpec[] {
  return [...matchesFor(family), ...targetsFor(family)].filter((ext) =>
    ext.options.some((o) => optionNames(o).includes(optionName)),
  );
}
