// The ruleset as the kernel would hold it after loading: tables, their chains
// and rules in order, and for every chain where it is reached from.
import type { ExtensionSpec, Family, TableSpec } from '../knowledge';
import type { Command, RuleSpec } from '../syntax/command';
import type { Token } from '../syntax/token';
import { NO_ITEMS } from './graph';
import type { HookSet } from './hookSet';
import type { AddressPair, RuleFacts } from './ruleFacts';
import type { Shape } from './shape';

export interface Ruleset {
  family: Family;
  tables: Map<string, Table>;
  /**
   * What loading the rules makes the kernel start (STARTS bits), when known
   * without reading every rule: a ruleset rebuilt from a snapshot parses a
   * rule only when a trace reaches its chain.
   */
  starts?: number;
}

export interface Table {
  name: string;
  /** Undefined for a table the kernel does not have. */
  spec?: TableSpec;
  /** The `*table` line (the last one, when the table appears twice). */
  header?: Token;
  chains: Map<string, Chain>;
  /**
   * No built-in chain gets a policy: the block is a fragment meant to be
   * layered onto rules loaded elsewhere (`iptables-restore --noflush`).
   */
  fragment: boolean;
}

export interface Chain {
  name: string;
  table: string;
  builtin: boolean;
  /** ACCEPT or DROP for a built-in chain; undefined for a user chain. */
  policy?: string;
  /** Where the policy was set (`:INPUT DROP` or `-P INPUT DROP`). */
  policyToken?: Token;
  /** Where a user chain was created (`:NAME -` or `-N NAME`). */
  declaration?: Token;
  rules: Rule[];
  /** Rules that jump or go to this chain. */
  references: Rule[];
  /** Built-in hooks from which packets can reach this chain. */
  hooks: HookSet;
  /** The chains its rules jump or go to, in rule order (once for a run of rules to the same chain). */
  jumps: Chain[];
  /** Its place among its table's chains, for a walk that keeps what it knows of each chain in an array (graph.ts). */
  order: number;
  /** The target of the rules that go (`-g`) to it, shared (build.ts targetRef). */
  gotoRef?: ChainRef;
  /** A chain is itself the target of the rules that jump (`-j`) to it (jumpTargets): no object of its own per chain. */
  readonly kind: 'chain';
  readonly goto: false;
  readonly chain: Chain;
}

/**
 * Makes the instances of a chain class the target of the rules that jump to them (ChainRef: kind
 * 'chain' and goto false from their prototype; their `chain` field is themselves). A kube-proxy dump
 * declares 55k chains and jumps to nearly all: a reference object each was 3 MB that the scavenger
 * copied twice. The target's name is the chain's, and follows it when it is renamed (`-E`).
 */
export function jumpTargets(chainClass: { prototype: object }): void {
  Object.defineProperties(chainClass.prototype, { kind: { value: 'chain' }, goto: { value: false } });
}

/** A chain of a table being built (model/build.ts) or rebuilt from a snapshot of one. */
export class TableChain implements Chain {
  declare readonly kind: 'chain';
  declare readonly goto: false;
  /** A field, not a getter: the walks over 160k rules' targets run mostly before V8 optimises them. */
  readonly chain: Chain = this;
  policyToken?: Token = undefined;
  rules: Rule[] = [];
  references: Rule[] = NO_ITEMS;
  jumps: Chain[] = NO_ITEMS;
  order = 0;
  gotoRef?: ChainRef = undefined;

  constructor(
    public name: string,
    public table: string,
    public builtin: boolean,
    public policy: string | undefined,
    public hooks: HookSet,
    public declaration?: Token,
  ) {}
}

jumpTargets(TableChain);

export type TargetRef =
  | { kind: 'none' }
  | { kind: 'verdict'; name: string }
  | { kind: 'extension'; spec: ExtensionSpec }
  /** `chain` is the chain object: following a jump needs no lookup by name. */
  | { kind: 'chain'; name: string; goto: boolean; chain: Chain }
  /** Neither a verdict, an extension nor a chain of this table: created elsewhere or a mistake. */
  | { kind: 'unresolved'; name: string; goto: boolean };

export type ChainRef = Extract<TargetRef, { kind: 'chain' }>;

export interface Rule {
  table: string;
  chain: string;
  /** 1-based position in its chain, as `iptables -L --line-numbers` shows it. */
  index: number;
  target: TargetRef;
  /** What the model keeps of the rule's command (shared by the rules of one `-s a,b` command). */
  facts: RuleFacts;
  /** `-s a,b -d c,d` makes one rule per pair of addresses: the pair this rule has. */
  readonly addresses?: AddressPair;
  /** The rule's whole command; for a rule read from a file, parsed again from its line. */
  readonly command: Command;
  readonly spec: RuleSpec;
  /** What the rule matches: its pair's shape, or its command's. */
  readonly shape: Shape;
}

/**
 * A rule of a chain. Its command is not kept: the facts' origin gives it again.
 * Five fields: a rule of one address pair is a PairRule.
 */
export class ChainRule implements Rule {
  constructor(
    public chain: string,
    public index: number,
    public target: TargetRef,
    public facts: RuleFacts,
  ) {}

  /** Its facts were worked out for its table. */
  get table(): string {
    return this.facts.table!;
  }

  get command(): Command {
    return this.facts.origin.command;
  }

  get spec(): RuleSpec {
    return this.command.rule;
  }

  get addresses(): AddressPair | undefined {
    return undefined;
  }

  get shape(): Shape {
    return this.facts;
  }
}

/** A rule of a chain, of one address pair when `pair` is given. */
export function chainRule(chain: string, index: number, target: TargetRef, facts: RuleFacts, pair: AddressPair | undefined): ChainRule {
  return pair ? new PairRule(chain, index, target, facts, pair) : new ChainRule(chain, index, target, facts);
}

/** One kernel rule of `-s a,b -d c,d`: its pair of addresses, and what it matches. */
export class PairRule extends ChainRule {
  constructor(chain: string, index: number, target: TargetRef, facts: RuleFacts, private readonly pair: AddressPair) {
    super(chain, index, target, facts);
  }

  override get addresses(): AddressPair {
    return this.pair;
  }

  override get shape(): Shape {
    return this.pair.shape;
  }
}
