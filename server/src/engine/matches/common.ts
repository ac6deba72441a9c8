// Shared pieces of the match evaluators: how a compiled match looks, and the
// small readers every module uses on its options.
import type { Family, Hook, OptionName } from '../../knowledge';
import { first, isOption, second, type MatchUse, type OptionUse, type OptionUseOf, type TargetUse } from '../../syntax/command';
import type { MarkMask, PortRange, UintRange } from '../../knowledge/values';
import { Criterion, EvalContext, invert, Tri } from '../context';

export interface CompileContext {
  family: Family;
  table: string;
  /** Counter notation of the rule (`filter/INPUT/3`): per-rule kernel memory keys on it. */
  ruleId: string;
  /** Built-in hooks that reach the rule's chain. */
  hooks: ReadonlySet<Hook>;
}

export interface CompiledMatch {
  criteria: Criterion[];
}

export type MatchCompiler = (use: MatchUse, cc: CompileContext) => CompiledMatch;

/** The option as written: `! --dport 22`. */
export function optionText(o: OptionUse): string {
  return `${o.negated ? '! ' : ''}${o.flag.text}${o.values.map((v) => ' ' + quoteWord(v.text)).join('')}`;
}

export function quoteWord(w: string): string {
  return w === '' || /[\s"'\\]/.test(w) ? `"${w.replace(/(["\\])/g, '\\$1')}"` : w;
}

/** The option of this name (or one of these), the last one given (the one iptables keeps), with its values typed. */
export function option<N extends OptionName<'match'>>(use: MatchUse, name: N | readonly N[]): OptionUseOf<N, 'match'> | undefined;
export function option<N extends OptionName<'target'>>(use: TargetUse, name: N | readonly N[]): OptionUseOf<N, 'target'> | undefined;
export function option<N extends OptionName>(use: MatchUse | TargetUse, name: N | readonly N[]): OptionUseOf<N> | undefined {
  for (let i = use.options.length - 1; i >= 0; i--) {
    const o = use.options[i];
    if (isOption(o, name)) return o;
  }
  return undefined;
}

export { first, second };

/** A criterion from a test that ignores negation, negated as the option says. */
export function criterion(o: OptionUse, test: (ctx: EvalContext) => Tri, stateful = false): Criterion {
  const negated = o.negated;
  const c: Criterion = { text: optionText(o), test: negated ? (ctx) => invert(test(ctx), true) : test };
  if (stateful) c.stateful = true;
  return c;
}

/**
 * A criterion with a precondition the kernel checks first (the header is
 * there, the packet has a connection...): when `before` answers, that is the
 * result whatever the negation.
 */
export function unless(c: Criterion, before: (ctx: EvalContext) => Tri | undefined): Criterion {
  const test = c.test;
  return { ...c, test: (ctx) => before(ctx) ?? test(ctx) };
}

/** `value[/mask]` (mark, connmark, tos): the field ANDed with the mask equals the value. */
export function maskedEquals(o: { parsed: readonly [first?: MarkMask, ...rest: unknown[]] }): (field: number) => boolean {
  const { value, mask } = first(o);
  const v = Number(value);
  const m = Number(mask);
  return (field) => ((field & m) >>> 0) === v;
}

/** One criterion for a whole module, for modules the kernel evaluates as one unit. */
export function whole(use: MatchUse, test: (ctx: EvalContext) => Tri, stateful = false): Criterion {
  const text = `-m ${use.name}${use.options.map((o) => ' ' + optionText(o)).join('')}`;
  return stateful ? { text, test, stateful } : { text, test };
}

/** A number value (see first); a 64-bit one past 2^53 loses its last digits. */
export function num(o: { parsed: readonly (number | bigint | undefined)[] }, i = 0): number {
  const v = o.parsed[i]!;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** A range value (see first); a 64-bit end past 2^53 stays a bigint, which compares with numbers all the same. */
export function range<R extends PortRange | UintRange>(o: { parsed: readonly [first?: R, ...rest: unknown[]] }): R {
  return first(o);
}

/** A later fragment carries no layer-4 header: every header match is false on it. */
export function laterFragment(ctx: EvalContext): boolean {
  return ctx.pkt.fragmentOffset !== 0;
}

/** A value or `value/mask` written as text (devgroup, realm): numbers only; names live on the machine. */
export function valueMask(text: string): { value: number; mask: number } | undefined {
  const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(text);
  if (!m) return undefined;
  return { value: Number(m[1]) >>> 0, mask: m[2] === undefined ? 0xffffffff : Number(m[2]) >>> 0 };
}
