// Shared pieces of the match evaluators: how a compiled match looks, and the
// small readers every module uses on its options.
import type { Family, Hook } from '../../knowledge';
import type { MatchUse, OptionUse } from '../../syntax/command';
import type { MarkMask } from '../../knowledge/values';
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

export function option(use: MatchUse | { options: OptionUse[] }, name: string): OptionUse | undefined {
  for (let i = use.options.length - 1; i >= 0; i--) if (use.options[i].spec.name === name) return use.options[i];
  return undefined;
}

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
export function maskedEquals(o: OptionUse): (field: number) => boolean {
  const { value, mask } = o.parsed[0] as MarkMask;
  const v = Number(value);
  const m = Number(mask);
  return (field) => ((field & m) >>> 0) === v;
}

/** One criterion for a whole module, for modules the kernel evaluates as one unit. */
export function whole(use: MatchUse, test: (ctx: EvalContext) => Tri, stateful = false): Criterion {
  const text = `-m ${use.name}${use.options.map((o) => ' ' + optionText(o)).join('')}`;
  return stateful ? { text, test, stateful } : { text, test };
}

export function num(o: OptionUse, i = 0): number {
  const v = o.parsed[i];
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

export function range(o: OptionUse, i = 0): { from: number; to: number } {
  return o.parsed[i] as { from: number; to: number };
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
