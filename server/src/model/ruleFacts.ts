// What the model keeps of a rule command, worked out once while all its words
// are at hand: what it does (its head), the kernel's commit checks that do not
// depend on the chain, the packets it matches (its shape), and one kernel rule
// per address pair. A rule read from a file keeps these, not its words, which
// are parsed again from its line when a service asks for them.
import type { Diagnostic } from '../diagnostics';
import { type Family, TABLES } from '../knowledge';
import { Command, CommandHead, Criterion, hasOption, MatchUse, RuleSpec, sameFlagPlace, TargetUse } from '../syntax/command';
import type { CommandLine, CommandSource } from '../syntax/saveFile';
import { commandCommitChecks, HookLimit } from './kernelChecks';
import type { Ruleset } from './ruleset';
import { CompactShape, Shape, SHAPE_BITS, shapeOf, workOutShape } from './shape';

/** One kernel rule of `-s a,b -d c,d`: its pair of addresses (each side only when the command listed several). */
export interface AddressPair {
  source?: string;
  destination?: string;
  shape: Shape;
}

/** `-s a,b -d c,d`: the addresses of each side (one undefined for a side with a single address or none). */
export interface AddressLists {
  sources: readonly (string | undefined)[];
  destinations: readonly (string | undefined)[];
  /** The kernel rules iptables makes of the command: sources times destinations. */
  count: number;
  /** Those rules' address pairs, made when first asked for (addressPairs). */
  pairs?: readonly AddressPair[];
}

/** What few rules have beside their shape: problems, hook limits other than a target's own alone, address lists, interfaces. */
interface RareFacts {
  readonly problems: readonly Diagnostic[];
  readonly limits: readonly HookLimit[];
  readonly lists: AddressLists | undefined;
  readonly input: Criterion | undefined;
  readonly output: Criterion | undefined;
}

/**
 * What the model keeps of a rule command, and the packets it matches: one object,
 * its own `shape`, so that each of 160k rules keeps one object of ten fields here
 * instead of two of twenty.
 */
export class RuleFacts extends CompactShape {
  /** The whole command: the command itself in a script, its line (parsed again) in a file. */
  readonly origin: CommandSource;
  private readonly more: RareFacts;

  constructor(work: Shape, origin: CommandSource, table: string, more: RareFacts, starts: number) {
    // What the dead-rule review asks of every rule's head, kept in the bits: the head is another object to fetch.
    const head = origin.head;
    const flags = starts | (head.symbolic ? SYMBOLIC : 0) | (sameFlagPlace(head, head) ? FLAGGED : 0);
    super(work, (flags | (TABLE_NAMES.indexOf(table) + 1) * TABLE) << SHAPE_BITS);
    this.origin = origin;
    this.more = more;
  }

  /** What the command does (its origin's). */
  get head(): CommandHead {
    return this.origin.head;
  }

  /** The table the facts were worked out for (undefined for a table the kernel does not have: no rule is made there). */
  get table(): string | undefined {
    return TABLE_NAMES[((this.bits >>> SHAPE_BITS) / TABLE | 0) - 1];
  }

  /** The packets the command matches (for `-s a,b`, each pair has a shape of its own). */
  get shape(): Shape {
    return this;
  }

  /** What the kernel refuses in this rule whichever chain it is in (for its table). */
  get problems(): readonly Diagnostic[] { return this.more.problems; }
  /** What the kernel refuses depending on the hooks that reach its chain. */
  get limits(): readonly HookLimit[] { return this.more.limits; }
  /** Several source or destination addresses: one kernel rule per pair, sources outermost (made by addressPairs when wanted). */
  get lists(): AddressLists | undefined { return this.more.lists; }
  /** `-i` and `-o` as written (the shape's `inInterface` and `outInterface` are what they match). */
  get input(): Criterion | undefined { return this.more.input; }
  get output(): Criterion | undefined { return this.more.output; }
  /** What loading the rule makes the kernel start: STARTS bits. */
  get starts(): number { return (this.bits >>> SHAPE_BITS) & (STARTS.conntrack | STARTS.defrag); }
  /** The head's `symbolic`: words only a running script knows decide what the command is. */
  get symbolic(): boolean { return ((this.bits >>> SHAPE_BITS) & SYMBOLIC) !== 0; }
  /** The command has its flag (`-A`, `-I`...): a rule without one is not what it was meant to be. */
  get flagged(): boolean { return ((this.bits >>> SHAPE_BITS) & FLAGGED) !== 0; }
}

// RuleFacts' bits above the shape's: STARTS, then these, then the table's place in TABLES plus one.
const SYMBOLIC = 4;
const FLAGGED = 8;
const TABLE = 16;
const TABLE_NAMES: readonly string[] = TABLES.map((t) => t.name);

/** What a rule can make the kernel start (ExtensionSpec.starts), as bits. */
export const STARTS = { conntrack: 1, defrag: 2 } as const;

const NONE: readonly never[] = Object.freeze([]);
const PROBLEMS: Diagnostic[] = [];
const LIMITS: HookLimit[] = [];

/** The rare facts of nearly every rule: none, or only its target's own hook limit. */
const PLAIN: RareFacts = Object.freeze({ problems: NONE, limits: NONE, lists: undefined, input: undefined, output: undefined });

export function factsOf(command: Command, source: CommandSource, table: string, family: Family): RuleFacts {
  const spec = command.rule;
  // Filled for the few rules that have problems or hook limits, copied out of these then.
  const problems = PROBLEMS;
  const limits = LIMITS;
  if (command.kind) commandCommitChecks(spec, table, problems, limits);
  const lists = addressLists(spec);
  const input = spec.inInterface;
  const output = spec.outInterface;
  const more = problems.length === 0 && lists === undefined && input === undefined && output === undefined ? plainFacts(limits)
    : { problems: problems.length ? problems.splice(0) : NONE, limits: limits.length ? limits.splice(0) : NONE, lists, input, output };
  return new RuleFacts(workOutShape(spec, undefined, family), source, table, more, startsOf(spec));
}

/** The rare facts of a rule with nothing rare but `limits` (taken out of it): one object for all the rules with only a target's own limit (a DNAT's). */
function plainFacts(limits: HookLimit[]): RareFacts {
  if (limits.length === 0) return PLAIN;
  const only = limits.length === 1 && limits[0].anchor === undefined ? limits[0] : undefined;
  if (!only) return { problems: NONE, limits: limits.splice(0), lists: undefined, input: undefined, output: undefined };
  limits.length = 0;
  let more = ALONE.get(only);
  if (!more) ALONE.set(only, (more = Object.freeze({ problems: NONE, limits: Object.freeze([only]), lists: undefined, input: undefined, output: undefined })));
  return more;
}

const ALONE = new WeakMap<HookLimit, RareFacts>();

/** `-s a,b -d c,d`: the addresses of each side, when either lists several. */
export function addressLists(spec: RuleSpec): AddressLists | undefined {
  if (!isList(spec.source) && !isList(spec.destination)) return undefined;
  const split = (c: Criterion | undefined) => (isList(c) ? c!.value.text.split(',').map((a) => a.trim()) : [undefined]);
  const sources = split(spec.source);
  const destinations = split(spec.destination);
  return { sources, destinations, count: sources.length * destinations.length };
}

/** How many kernel rules iptables makes of the command. */
export function ruleCountOf(facts: RuleFacts): number {
  return facts.lists?.count ?? 1;
}

/**
 * The kernel rules of `-s a,b -d c,d`, one per address pair, sources outermost.
 * Made only for the commands whose rules the model holds one by one (a list of a
 * few hundred addresses on each side would otherwise cost its product at once),
 * and kept on the lists: a module-level WeakMap keyed by the facts made the
 * scavenger keep every finished analysis until a full collection.
 */
export function addressPairs(facts: RuleFacts, family: Family): readonly AddressPair[] | undefined {
  const lists = facts.lists;
  if (!lists) return undefined;
  if (!lists.pairs) {
    const { command } = facts.origin;
    lists.pairs = lists.sources.flatMap((s) => lists.destinations.map((d) => {
      const addresses = { source: s, destination: d };
      return { ...addresses, shape: shapeOf(command.rule, addresses, family) };
    }));
  }
  return lists.pairs;
}

/** The rule of one address pair, found by its addresses (without a search through every pair). */
export function addressPair(facts: RuleFacts, family: Family, source: string | undefined, destination: string | undefined): AddressPair | undefined {
  const lists = facts.lists;
  if (!lists) return undefined;
  const s = lists.sources.indexOf(source);
  const d = lists.destinations.indexOf(destination);
  return s < 0 || d < 0 ? undefined : addressPairs(facts, family)![s * lists.destinations.length + d];
}

function startsOf(spec: RuleSpec): number {
  let bits = spec.target ? startedBy(spec.target) : 0;
  for (let k = 0; k < spec.matches.length; k++) bits |= startedBy(spec.matches[k]);
  return bits;
}

function startedBy(use: MatchUse | TargetUse): number {
  const s = use.spec?.starts;
  return s && !(s.unless !== undefined && hasOption(use.options, s.unless)) ? STARTS[s.what] : 0;
}

/** What loading every rule of the ruleset makes the kernel start: STARTS bits (a snapshot's rebuilt ruleset says it without its rules). */
export function rulesetStarts(ruleset: Ruleset): number {
  if (ruleset.starts !== undefined) return ruleset.starts;
  let bits = 0;
  for (const table of ruleset.tables.values()) {
    if (!table.spec) continue;
    for (const chain of table.chains.values()) for (const rule of chain.rules) bits |= rule.facts.starts;
  }
  return bits;
}

/** `-s a,b`: one rule per address (tested first, so a rule with one address allocates nothing for it). */
function isList(c: Criterion | undefined): boolean {
  return !!c && !c.value.unknown && c.value.text.includes(',');
}

/** The facts of a line just parsed, kept with the line (a document's next version reuses unchanged lines). */
export function rememberFacts(statement: CommandLine, command: Command): void {
  statement.facts = factsOf(command, statement, statement.context.table, statement.context.family);
}

export function lineFacts(statement: CommandLine): RuleFacts {
  if (statement.facts === undefined) rememberFacts(statement, statement.command);
  return statement.facts as RuleFacts;
}
