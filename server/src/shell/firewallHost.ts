// What the evaluator hands the firewall and asks of it (scriptFirewall.ts is
// the firewall): each iptables call with where it runs, restore input with
// where its lines are, and checkpoints for branches it cannot decide.
import type { Span } from '../diagnostics';
import type { Family } from '../knowledge';
import type { Budget } from './budget';
import type { PlainLine } from './plainCommands';
import type { IptablesTool } from './tools';
import type { Field, ShellString, Status } from './values';

/** Where a command runs: what the evaluator could not decide on the way there. */
export interface CallContext {
  /** Inside a condition, before `||`/`&&`, or with its errors thrown away (`2>/dev/null`): a failure is expected, not an error. */
  guarded: boolean;
  /** The branch was taken without knowing whether it would be (the reason). */
  conditional?: string;
  /** Where the command is, as the user sees it (for code that eval runs: the eval's words). */
  span: Span;
  /** What its words assumed of variables that were empty and so vanished from them. */
  vanished: string[];
  /**
   * The command's name could be a function this evaluation has not seen (a
   * dual-stack `iptables` wrapper): its name, and where it would come from.
   */
  maybeFunction?: { name: string; from: string };
  /** The command is a plain line of this script (plainCommands.ts): its words can be read again from there. */
  plain?: { text: string; line: PlainLine };
}

/** Text handed to iptables-restore, with where each of its lines is in the script. */
export interface RestoreInput {
  text: ShellString;
  /** Script position of a line of the input, when it is known. */
  origin?: (line: number) => { line: number; column: number } | undefined;
}

export interface FirewallHost {
  iptables(tool: IptablesTool, args: Field[], ctx: CallContext): Status;
  restore(tool: IptablesTool, args: Field[], input: RestoreInput | undefined, ctx: CallContext): Status;
  save(family: Family): string | undefined;
  /** The firewall across the ways of a branch the evaluator cannot decide (see ScriptFirewall.undecided). */
  undecided(budget: Budget): UndecidedFirewall;
  /** Changes when the rules change (chains and how many rules each has). */
  fingerprint(): string;
}

/** Where the firewall was at some point of the evaluation. */
export interface FirewallState {
  /** Its chains, each as `family table name`. */
  chains: ReadonlySet<string>;
  /** What ScriptFirewall.fingerprint said then. */
  fingerprint: string;
  back(): void;
  /** Adds to the firewall of now the chains it had that are missing. */
  addMissing(): void;
}

export interface UndecidedFirewall {
  /** Way `way` (from 0) begins, with the rules as they were before the first. */
  enter(way: number): void;
  /** The way ran on, or left the script, a function or a loop: where its firewall is. */
  leave(): FirewallState;
  /** Every way was followed: the firewall goes on from the first of `continuing`. */
  settle(continuing: FirewallState[]): void;
  /** The evaluation stops inside the ways. */
  abandon(): void;
}
