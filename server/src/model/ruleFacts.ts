// What the model keeps of a rule command, worked out once while all its words
// are at hand: what it does (its head), the kernel's commit checks that do not
// depend on the chain, the packets it matches (its shape), and one kernel rule
// per address pair. A rule read from a file keeps these, not its words, which
// are parsed again from its line when a service asks for them.
import type { Diagnostic } from '../diagnostics';
import type { Family } from '../knowledge';
import { Command, CommandHead, Criterion, hasOption, headOf, MatchUse, RuleSpec, TargetUse } from '../syntax/command';
import type { CommandLine, CommandSource } from '../syntax/saveFile';
import { commandCommitChecks, HookLimit } from './kernelChecks';
import type { Ruleset } from './ruleset';
import { Shape, shapeOf } from './shape';

/** One kernel rule of `-s a,b -d c,d`: its pair of addresses (each side only when the command listed several). */
export interface AddressPair {
  source?: string;
  destination?: string;
  shape: Shape;
}

export interface RuleFacts {
  head: CommandHead;
  /** The whole command: the command itself in a script, its line (parsed again) in a file. */
  source: CommandSource;
  /** What the kernel refuses in this rule whichever chain it is in (for its table). */
  problems: readonly Diagnostic[];
  /** What the kernel refuses depending on the hooks that reach its chain. */
  limits: readonly HookLimit[];
  inInterface?: Criterion;
  outInterface?: Criterion;
  shape: Shape;
  /** Several source or destination addresses: one kernel rule per pair, sources outermost. */
  pairs?: readonly AddressPair[];
  /** What loading the rule makes the kernel start: STARTS bits. */
  starts: number;
}

/** What a rule can make the kernel start (ExtensionSpec.starts), as bits. */
export const STARTS = { conntrack: 1, defrag: 2 } as const;

const NONE: readonly never[] = Object.freeze([]);

export function factsOf(command: Command, source: CommandSource, table: string, family: Family, head: CommandHead = headOf(command)): RuleFacts {
  const spec = command.rule;
  const problems: Diagnostic[] = [];
  const limits = command.kind ? commandCommitChecks(spec, table, problems) : [];
  const facts: RuleFacts = {
    head, source, problems: problems.length ? problems : NONE, limits: limits.length ? limits : NONE,
    inInterface: spec.inInterface, outInterface: spec.outInterface, shape: shapeOf(spec, undefined, family), pairs: undefined, starts: startsOf(spec),
  };
  if (isList(spec.source) || isList(spec.destination)) {
    const split = (c: Criterion | undefined) => (isList(c) ? c!.value.text.split(',').map((a) => a.trim()) : [undefined]);
    const destinations = split(spec.destination);
    facts.pairs = split(spec.source).flatMap((s) => destinations.map((d) => {
      const addresses = { source: s, destination: d };
      return { ...addresses, shape: shapeOf(spec, addresses, family) };
    }));
  }
  return facts;
}

function startsOf(spec: RuleSpec): number {
  let bits = 0;
  const add = (use: MatchUse | TargetUse) => {
    const s = use.spec?.starts;
    if (s && !(s.unless !== undefined && hasOption(use.options, s.unless))) bits |= STARTS[s.what];
  };
  for (const m of spec.matches) add(m);
  if (spec.target) add(spec.target);
  return bits;
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
  statement.facts = factsOf(command, statement, statement.context.table, statement.context.family, statement.head);
}

export function lineFacts(statement: CommandLine): RuleFacts {
  if (statement.facts === undefined) rememberFacts(statement, statement.command);
  return statement.facts as RuleFacts;
}
