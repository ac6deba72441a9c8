// The firewall a script builds, command by command: each iptables call the
// evaluator meets is parsed as iptables parses it and applied to the IPv4 or
// IPv6 ruleset, starting from an empty one, the way the kernel would see it.
import type { Diagnostic } from '../diagnostics';
import { isBuiltinChain, isStandardTarget } from '../knowledge';
import type { Family, TableName } from '../knowledge';
import { BuildOptions, RulesetBuilder } from '../model/build';
import { linkChains } from '../model/graph';
import type { Ruleset } from '../model/ruleset';
import { rulesetText } from '../model/saveText';
import { Command, parseCommand } from '../syntax/command';
import { parseSaveFile, SaveFile } from '../syntax/saveFile';
import type { Token } from '../syntax/token';
import type { Budget } from './budget';
import { iptablesCall, IptablesCall, ScriptText, toToken } from './iptablesCalls';
import type { CallContext, FirewallHost, FirewallState, RestoreInput, UndecidedFirewall } from './firewallHost';
import type { IptablesTool } from './tools';
import type { Field, Status } from './values';
import { t } from '../l10n';

/** Failures that depend on what ran before: expected where the script tests for them. */
const STATE_CODES = new Set(['duplicate-chain', 'no-such-rule', 'chain-in-use', 'rule-number', 'chain-not-in-table', 'undefined-jump']);

/** Copying one chain or rule of the firewall for a way costs about as much as scanning this many characters. */
const RULE_COPY_COST = 8;
/** Trying a command again on the rules another way left costs about as much as this many statements. */
const RETRY_COST = 20;

/**
 * A command that failed on the rules of a way the evaluator could not decide
 * (`-F X` under `stop)`, where only `start)` creates X): whether it is an
 * error is known only when the other ways are.
 */
interface Doubt {
  family: Family;
  command: Command;
  errors: Diagnostic[];
  ctx: CallContext;
  /** The way of the innermost undecided branch it failed in. */
  way: number;
  /** The chains it names that were missing (see ScriptFirewall.missingChains). */
  missing: ChainName[];
}

/** A chain named by table, in one family. */
export interface ChainName {
  family: Family;
  table: string;
  name: string;
}

/** Undecided ways being followed: the failures they left in doubt. */
interface OpenWays {
  way: number;
  doubts: Doubt[];
}

export class ScriptFirewall implements FirewallHost {
  private readonly builders: Record<Family, RulesetBuilder>;
  /** Each diagnostic once, with how many times its command produced it, and the chains it failed on that were missing. */
  private readonly found = new Map<string, { diagnostic: Diagnostic; count: number; missing: ChainName[] }>();
  readonly calls: IptablesCall[] = [];
  /** The input of each iptables-restore the script ran, positioned in the script. */
  readonly restores: SaveFile[] = [];
  /** The undecided branches being followed, innermost last. */
  private readonly open: OpenWays[] = [];
  /** Chains (family, table, name) that some ways of an undecided branch left and others did not. */
  private readonly maybe = new Set<string>();
  /** The chains a command created whose name could be a function the evaluation has not seen, with that function. */
  private readonly creators = new Map<string, NonNullable<CallContext['maybeFunction']>>();
  /** Chains the script creates (or tries to: `-N` of one that is there). */
  private readonly created = new Set<string>();
  /** Chains missing where a command failed: with `created`, the chains a fragment takes from the script that sources it. */
  private readonly failedOn = new Map<string, ChainName>();

  /** `given`: chains there before the script runs (made by the script that sources a fragment). */
  constructor(options: BuildOptions, given: readonly ChainName[] = []) {
    this.builders = {
      ipv4: new RulesetBuilder('ipv4', options, []),
      ipv6: new RulesetBuilder('ipv6', options, []),
    };
    for (const c of given) this.builders[c.family].givenChain(c.table, c.name);
  }

  /** The script whose plain lines the calls keep (one per evaluation: the commands read again from them go with it). */
  private script?: ScriptText;

  private scriptText(text: string): ScriptText {
    if (this.script?.text !== text) this.script = new ScriptText(text);
    return this.script;
  }

  iptables(tool: IptablesTool, args: Field[], ctx: CallContext): Status {
    const sink: Diagnostic[] = [];
    const context = { family: tool.family, restore: false, table: 'filter' };
    const parsed: Diagnostic[] = [];
    let command = parseCommand(args.map(toToken), context, parsed);
    const everyWay = failingEveryWay(args, context);
    // A word of a few values that the shell splits may be several words: only the ways tell what is
    // refused, and the rule built is that of the first way iptables takes.
    const split = everyWay !== undefined && args.some((a) => a.alternatives && a.splits);
    sink.push(...(split ? parsed.filter((d) => d.severity !== 'error') : parsed), ...(everyWay?.errors ?? []));
    if (split && everyWay.taken) command = parseCommand(everyWay.taken, context, []);
    explainSplitWords(sink, args);
    noteAssumptions(sink, args);
    const plain = ctx.plain && { script: this.scriptText(ctx.plain.text), from: ctx.plain.line.from, to: ctx.plain.line.to };
    const call = iptablesCall(tool.family, command, args, ctx.span.line, ctx.conditional, plain);
    const ok = !command.otherFamily && this.builders[tool.family].runCommand(command, sink, call);
    call.ok = ok;
    onlyWhileUnset(sink, args, ctx.vanished);
    let missing = ok ? [] : this.failedOnChains(sink, tool.family, command);
    if (missing.length && this.unlessFunction(sink, tool.family, missing, ctx)) missing = [];
    const errors = sink.filter((d) => d.severity === 'error');
    const open = this.open[this.open.length - 1];
    // Read below only for a command that failed, or makes or deletes a chain (not for every rule of a long script).
    const named = ok && command.kind !== 'newChain' && command.kind !== 'deleteChain' ? [] : this.chainsNamed(tool.family, command);
    if (!ok && !ctx.guarded && errors.length && errors.every((d) => STATE_CODES.has(d.code)) && (open || named.some((c) => this.maybe.has(c)))) {
      // A chain that exists on some ways only: failing on the way the rules go on from is no error.
      if (open && !named.some((c) => this.maybe.has(c))) open.doubts.push({ family: tool.family, command, errors, ctx, way: open.way, missing });
      this.collect(sink.filter((d) => d.severity !== 'error'), ctx);
    } else {
      this.collect(sink, ctx, missing);
    }
    if (command.kind === 'newChain') {
      for (const c of named) this.created.add(c);
      if (ok && ctx.maybeFunction) for (const c of named) this.creators.set(c, ctx.maybeFunction);
    }
    // After `-N X` (it was there, or is now) or a `-X X` that works, X is the same on every way.
    if (!open && (command.kind === 'newChain' || (ok && command.kind === 'deleteChain'))) for (const c of named) this.maybe.delete(c);
    this.calls.push(call);
    // iptables exits 2 for what it refuses while parsing, 1 for what fails later.
    return ok ? 0 : sink.some((d) => d.severity === 'error' && !STATE_CODES.has(d.code)) ? 2 : 1;
  }

  restore(tool: IptablesTool, args: Field[], input: RestoreInput | undefined, ctx: CallContext): Status {
    const sink: Diagnostic[] = [];
    const first = input?.text.unknown === undefined ? undefined : input.text.alternatives?.[0];
    if (input && first !== undefined) {
      // One of a few inputs (a file the ways wrote differently): the first is loaded, and what it finds holds where that one is.
      sink.push({ code: 'machine-dependent', severity: 'information', span: ctx.span, message: t('what this iptables-restore loads depends on the way the script went ({0}): the ruleset shown has what the first of those ways loads', input.text.unknown) });
      const onThatWay: Diagnostic[] = [];
      this.load(tool, args, { ...input, text: { text: first } }, ctx, onThatWay);
      for (const d of onThatWay) sink.push(d.severity === 'error' ? { ...d, severity: 'warning', message: t('on that first way: {0}', d.message) } : d);
      this.collect(sink, ctx);
      return undefined;
    }
    if (!input || input.text.unknown) {
      const why = input?.text.unknown ?? t('it reads from the terminal');
      sink.push({ code: 'machine-dependent', severity: 'information', span: ctx.span, message: t('what this iptables-restore loads cannot be worked out here ({0}): its rules are not part of the ruleset shown', why) });
      this.collect(sink, ctx);
      return undefined;
    }
    const ok = this.load(tool, args, input, ctx, sink);
    this.collect(sink, ctx);
    return ok ? 0 : 1;
  }

  /** Loads a known input as iptables-restore with these arguments would. */
  private load(tool: IptablesTool, args: Field[], input: RestoreInput, ctx: CallContext, sink: Diagnostic[]): boolean {
    const flags = args.map((a) => a.text);
    const noflush = flags.some((f) => f === '-n' || f === '--noflush' || /^-[a-zA-Z]*n[a-zA-Z]*$/.test(f) && !f.startsWith('--'));
    const testOnly = flags.some((f) => f === '--test' || f === '-t');
    // Text the script built elsewhere (a file written line by line): its problems are shown at the restore.
    const origin = input.origin ?? (() => ({ line: ctx.span.line, column: ctx.span.start }));
    const file = parseSaveFile(input.text.text, { family: tool.family, origin });
    this.restores.push(file);
    sink.push(...file.diagnostics);
    return this.builders[tool.family].runRestore(file, { noflush, test: testOnly }, sink);
  }

  /** What iptables-save prints now: the ruleset built so far, in the kernel's text. */
  save(family: Family): string | undefined {
    const ruleset = this.builders[family].ruleset;
    // A rule with a word only the running script knows has no text to restore.
    for (const table of ruleset.tables.values()) for (const chain of table.chains.values()) if (chain.rules.some((r) => r.facts.head.symbolic)) return undefined;
    return rulesetText(ruleset);
  }

  /** `missing`: the chains the command failed on that were missing, when it failed only on what the rules hold. */
  private collect(sink: Diagnostic[], ctx: CallContext, missing: ChainName[] = []): void {
    for (const d of sink) {
      // A failure the script guards against (`-C || -A`, `-N x 2>/dev/null || true`) is intended.
      if (ctx.guarded && STATE_CODES.has(d.code)) continue;
      // A name close to a target or chain there is (`ACCPET`) is a typo, whoever else makes chains.
      const onChains = d.severity === 'error' && STATE_CODES.has(d.code) && !d.fix?.replaceWith ? missing : [];
      for (const c of onChains) this.failedOn.set(chainKey(c.family, c.table, c.name), c);
      const key = `${d.code}|${d.span.line}|${d.span.start}|${d.span.end}|${d.message}`;
      const seen = this.found.get(key);
      if (seen) seen.count++;
      else this.found.set(key, { diagnostic: d, count: 1, missing: onChains });
    }
  }

  diagnostics(): Diagnostic[] {
    return [...this.found.values()].map(({ diagnostic, count }) => counted(diagnostic, count));
  }

  /**
   * A fragment (a file other scripts source) runs on the chains the script
   * sourcing it made: the chains it failed on and never creates itself.
   */
  chainsFromSourcingScript(): ChainName[] {
    return [...this.failedOn].filter(([key]) => !this.created.has(key)).map(([, c]) => c);
  }

  /** The errors that fail only on `given` chains, as warnings that say they hold only if the sourcing script does not make them. */
  withoutGivenChains(given: readonly ChainName[]): Diagnostic[] {
    const keys = new Set(given.map((c) => chainKey(c.family, c.table, c.name)));
    const out: Diagnostic[] = [];
    for (const { diagnostic, count, missing } of this.found.values()) {
      if (diagnostic.severity !== 'error' || missing.length === 0 || !missing.every((c) => keys.has(chainKey(c.family, c.table, c.name)))) continue;
      const names = [...new Set(missing.map((c) => `\`${c.name}\``))].join(t(' and '));
      out.push(counted({ ...diagnostic, severity: 'warning', message: t('if the script that sources this file does not create {0}: {1}', names, diagnostic.message) }, count));
    }
    return out;
  }

  /**
   * When a command failed only on what the rules hold: the user chains it
   * names (its chain, the chain it jumps to) that its family's rules lack.
   */
  private failedOnChains(sink: Diagnostic[], family: Family, command: Command): ChainName[] {
    const errors = sink.filter((d) => d.severity === 'error');
    if (errors.length === 0 || !errors.every((d) => STATE_CODES.has(d.code))) return [];
    const table = command.table?.text ?? 'filter';
    const chains = this.builders[family].ruleset.tables.get(table)?.chains;
    const target = command.rule.target;
    const jumpsTo = target && !target.nameToken.unknown && !target.spec && !(isStandardTarget(target.name) && !target.goto) ? [target.name] : [];
    const names = [...(command.chain && !command.chain.unknown ? [command.chain.text] : []), ...jumpsTo];
    return [...new Set(names)].filter((n) => !isBuiltinChain(table as TableName, n) && !chains?.has(n)).map((name) => ({ family, table, name }));
  }

  /**
   * A failure on chains the script made in the other family only, where the
   * command that made them or this one could be a function the evaluation
   * has not seen (arno's `iptables` runs both iptables and ip6tables), rests
   * on the command being the tool: its errors become warnings that say so.
   */
  private unlessFunction(sink: Diagnostic[], family: Family, missing: ChainName[], ctx: CallContext): boolean {
    const other: Family = family === 'ipv4' ? 'ipv6' : 'ipv4';
    const otherChains = (table: string) => this.builders[other].ruleset.tables.get(table)?.chains;
    if (!missing.every((c) => otherChains(c.table)?.has(c.name))) return false;
    const fn = missing.map((c) => this.creators.get(chainKey(other, c.table, c.name))).find((f) => f) ?? ctx.maybeFunction;
    if (!fn) return false;
    for (let i = 0; i < sink.length; i++) {
      const d = sink[i];
      if (d.severity === 'error') sink[i] = { ...d, severity: 'warning', message: t('if `{0}` is the tool and not a function from {1}: {2}', fn.name, fn.from, d.message) };
    }
    return true;
  }

  /**
   * The firewall across the ways of a branch the evaluator cannot decide.
   * Each way starts from the rules as they were, so one way's chains are not
   * another's. A command that fails on its way's rules only because of what
   * is there (a chain missing, a rule to delete not found) is an error only
   * when it also fails on the rules every other way leaves: the script may
   * run again with another argument (`stop` after `start`). The rules go on
   * from the first way that runs on and changes them (else the first that
   * runs on), with the chains only others created.
   */
  undecided(budget: Budget): UndecidedFirewall {
    const checkpoint = (): FirewallState => {
      const both = [this.builders.ipv4.checkpoint(), this.builders.ipv6.checkpoint()];
      const size = both[0].size + both[1].size;
      budget.scan(size * RULE_COPY_COST);
      const chains = new Set<string>();
      for (const family of ['ipv4', 'ipv6'] as const) {
        for (const table of this.builders[family].ruleset.tables.values()) for (const name of table.chains.keys()) chains.add(chainKey(family, table.name, name));
      }
      return {
        chains,
        fingerprint: this.fingerprint(),
        back: () => { for (const c of both) budget.scan(c.back() * RULE_COPY_COST); },
        addMissing: () => { budget.scan(size * RULE_COPY_COST); both.forEach((c) => c.addMissing()); },
      };
    };
    const before = checkpoint();
    const frame: OpenWays = { way: 0, doubts: [] };
    const ends: { way: number; state: FirewallState }[] = [];
    this.open.push(frame);
    const close = () => {
      const i = this.open.indexOf(frame);
      if (i >= 0) this.open.splice(i, 1);
    };
    return {
      enter: (way) => {
        frame.way = way;
        if (way > 0) before.back();
      },
      leave: () => {
        const state = checkpoint();
        ends.push({ way: frame.way, state });
        return state;
      },
      settle: (continuing) => {
        close();
        if (continuing.length > 1) {
          const sets = continuing.map((w) => w.chains);
          for (const set of sets) for (const c of set) if (sets.some((other) => !other.has(c))) this.maybe.add(c);
        }
        const { left, assumed } = this.stillFailing(frame.doubts, ends, budget);
        for (const [d, warnings] of assumed) this.collect(warnings, d.ctx);
        // A way that changes nothing (`product_is_started` then only a message) shows less of the script.
        const shown = continuing.find((w) => w.fingerprint !== before.fingerprint) ?? continuing[0] ?? ends[0]?.state ?? before;
        shown.back();
        for (const w of continuing) if (w !== shown) w.addMissing();
        const outer = this.open[this.open.length - 1];
        for (const d of left) {
          if (outer) outer.doubts.push({ ...d, way: outer.way });
          else this.collect(d.errors, d.ctx, d.missing);
        }
      },
      abandon: close,
    };
  }

  fingerprint(): string {
    const parts: string[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const table of this.builders[family].ruleset.tables.values()) {
        for (const chain of table.chains.values()) parts.push(`${family} ${table.name} ${chain.name} ${chain.rules.length} ${chain.policy ?? ''}`);
      }
    }
    return parts.join('\n');
  }

  /** The chains a command names (its chain, and the chain it jumps to), as keys of `maybe`. */
  private chainsNamed(family: Family, command: Command): string[] {
    const table = command.table?.text ?? 'filter';
    const names = [command.chain?.text, command.rule.target?.name].filter((n): n is string => n !== undefined);
    return names.map((n) => chainKey(family, table, n));
  }

  /**
   * The doubts that fail on the rules every other way left too. The doubts
   * of one way are tried in their order on each other way's rules, as if that
   * way had run before (`stop` after `start`).
   */
  private stillFailing(doubts: Doubt[], ends: { way: number; state: FirewallState }[], budget: Budget): { left: Doubt[]; assumed: Map<Doubt, Diagnostic[]> } {
    const passed = new Set<Doubt>();
    // Those that fail on some way only where a function the evaluation has not seen would not make them fail.
    const assumed = new Map<Doubt, Diagnostic[]>();
    const ways = [...new Set(doubts.map((d) => d.way))];
    for (const end of ends) {
      for (const way of ways) {
        const tried = way === end.way ? [] : doubts.filter((d) => d.way === way && !passed.has(d));
        if (tried.length === 0) continue;
        end.state.back();
        for (const d of tried) {
          budget.step(RETRY_COST);
          const sink: Diagnostic[] = [];
          if (this.builders[d.family].runCommand(d.command, sink)) passed.add(d);
          else if (!assumed.has(d)) {
            const missing = this.failedOnChains(sink, d.family, d.command);
            if (missing.length && this.unlessFunction(sink, d.family, missing, d.ctx)) assumed.set(d, sink);
          }
        }
      }
    }
    for (const d of passed) assumed.delete(d);
    return { left: doubts.filter((d) => !passed.has(d) && !assumed.has(d)), assumed };
  }

  rulesets(): Record<Family, Ruleset> {
    const out = { ipv4: this.builders.ipv4.ruleset, ipv6: this.builders.ipv6.ruleset };
    for (const rs of Object.values(out)) for (const tgt of rs.tables.values()) linkChains(tgt);
    return out;
  }
}

/** At most this many ways of reading a command with words of several possible values are tried. */
const MAX_WAYS = 16;

/**
 * A command with words that can take one of a few values (a variable set in
 * branches the evaluator could not decide): each way is parsed, and what
 * iptables refuses is reported only when it refuses every way.
 */
function failingEveryWay(args: Field[], context: Parameters<typeof parseCommand>[1]): { errors: Diagnostic[]; taken?: Token[] } | undefined {
  if (!args.some((a) => a.alternatives)) return undefined;
  let ways: Token[][] = [[]];
  for (const a of args) {
    // Values that hold only if a file the evaluator cannot read leaves the variable alone are not all it can be.
    const values = a.unknown && a.alternatives && !a.maybeSetBy ? a.alternatives : undefined;
    if (!values && a.unknown) return undefined;
    // Unquoted, each value is split into words as the shell would (an empty one vanishes).
    const words = (v: string): Token[] => (a.splits ? v.split(/[ \t\n]+/).filter((x) => x !== '') : [v]).map((x) => ({ ...toToken(a), text: x, unknown: undefined }));
    ways = ways.flatMap((w) => (values ?? [a.text]).map((v) => [...w, ...(values ? words(v) : [toToken(a)])]));
    if (ways.length > MAX_WAYS) return undefined;
  }
  const errors = ways.map((words) => {
    const sink: Diagnostic[] = [];
    parseCommand(words, context, sink);
    return sink.filter((d) => d.severity === 'error');
  });
  const taken = errors.findIndex((e) => e.length === 0);
  if (taken >= 0) return { errors: [], taken: ways[taken] };
  return { errors: errors[0].map((d) => ({ ...d, message: t('{0} (with each of the values this command\'s words can have here)', d.message) })) };
}

/**
 * A stray word that came from splitting an unquoted expansion (`--comment
 * $DESC` where DESC has spaces): say that the shell did it, and how to fix it.
 */
function explainSplitWords(sink: Diagnostic[], args: Field[]): void {
  for (const d of sink) {
    if (d.code !== 'bad-argument') continue;
    // The split words share the span of the expansion: the message names the stray one.
    const field = args.find((a) => a.splitFrom && a.span.line === d.span.line && a.span.start === d.span.start && d.message.startsWith(`\`${a.text}\``));
    if (field) d.message = t('the shell splits `{0}` into several words here (its value contains spaces), and iptables takes `{1}` as a stray argument: write "{0}" in double quotes', field.splitFrom, field.text);
  }
}

/**
 * What iptables refuses only because a variable the script never sets is
 * empty (a word that vanished, `--log-level $LOGLEVEL`, or an empty word) is
 * not certain: the environment, or the file that sources this one, may set
 * it. Such errors are warnings that say what they rest on.
 */
function onlyWhileUnset(sink: Diagnostic[], args: Field[], vanished: string[]): void {
  if (vanished.length === 0 && !args.some((a) => a.text === '' && a.assumes)) return;
  const assumed = [...new Set([...vanished, ...args.flatMap((a) => (a.text === '' && a.assumes) || [])])];
  if (assumed.length === 0) return;
  for (let i = 0; i < sink.length; i++) {
    const d = sink[i];
    if (d.severity === 'error') sink[i] = { ...d, severity: 'warning', message: t('where {0}: {1}', assumed.join(t(' and ')), d.message) };
  }
}

/** A value that holds only while the environment leaves a variable unset: say so where it is used. */
function noteAssumptions(sink: Diagnostic[], args: Field[]): void {
  if (!args.some((a) => a.assumes?.length)) return;
  const seen = new Set<string>();
  for (const a of args) {
    if (!a.assumes?.length || a.unknown) continue;
    const key = `${a.span.line}:${a.span.start}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sink.push({ code: 'machine-dependent', severity: 'information', span: a.span, message: t('`{0}` assumes {1}; where that is not so, this rule changes', a.text, a.assumes.join(t(' and '))) });
  }
}

function counted(d: Diagnostic, count: number): Diagnostic {
  return count > 1 ? { ...d, message: t('{0} (each of the {1} times this runs)', d.message, count) } : d;
}

function chainKey(family: Family, table: string, chain: string): string {
  return `${family} ${table} ${chain}`;
}
