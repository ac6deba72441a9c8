// The firewall a script builds, command by command: each iptables call the
// evaluator meets is parsed as iptables parses it and applied to the IPv4 or
// IPv6 ruleset, starting from an empty one, the way the kernel would see it.
import type { Diagnostic, Span } from '../diagnostics';
import type { Family } from '../knowledge';
import { BuildOptions, RulesetBuilder } from '../model/build';
import { linkChains } from '../model/graph';
import type { Ruleset } from '../model/ruleset';
import { Command, parseCommand } from '../syntax/command';
import { parseSaveFile, SaveFile } from '../syntax/saveFile';
import type { Token } from '../syntax/token';
import type { CallContext, FirewallHost, RestoreInput } from './interpreter';
import type { IptablesTool } from './tools';
import type { Field, Status } from './values';

/** Failures that depend on what ran before: expected where the script tests for them. */
const STATE_CODES = new Set(['duplicate-chain', 'no-such-rule', 'chain-in-use', 'rule-number', 'chain-not-in-table', 'undefined-jump']);

/** One iptables command as the script ran it. */
export interface IptablesCall {
  family: Family;
  command: Command;
  ok: boolean;
  /** Where the command is written in the script. */
  line: number;
  conditional?: string;
  /** For each of `command.words`: where its text is written literally in the script, when it is. */
  sources: (Span | undefined)[];
}

export class ScriptFirewall implements FirewallHost {
  private readonly builders: Record<Family, RulesetBuilder>;
  /** Each diagnostic once, with how many times its command produced it. */
  private readonly found = new Map<string, { diagnostic: Diagnostic; count: number }>();
  readonly calls: IptablesCall[] = [];
  /** The input of each iptables-restore the script ran, positioned in the script. */
  readonly restores: SaveFile[] = [];

  constructor(options: BuildOptions) {
    this.builders = {
      ipv4: new RulesetBuilder('ipv4', options, []),
      ipv6: new RulesetBuilder('ipv6', options, []),
    };
  }

  iptables(tool: IptablesTool, args: Field[], ctx: CallContext): Status {
    const sink: Diagnostic[] = [];
    const command = parseCommand(args.map(toToken), { family: tool.family, restore: false, table: 'filter' }, sink);
    explainSplitWords(sink, args);
    noteAssumptions(sink, args);
    const ok = !command.otherFamily && this.builders[tool.family].runCommand(command, sink);
    this.collect(sink, ctx);
    this.calls.push({ family: tool.family, command, ok, line: ctx.node.startPosition.row, conditional: ctx.conditional, sources: args.map((a) => a.source) });
    // iptables exits 2 for what it refuses while parsing, 1 for what fails later.
    return ok ? 0 : sink.some((d) => d.severity === 'error' && !STATE_CODES.has(d.code)) ? 2 : 1;
  }

  restore(tool: IptablesTool, args: Field[], input: RestoreInput | undefined, ctx: CallContext): Status {
    const flags = args.map((a) => a.text);
    const noflush = flags.some((f) => f === '-n' || f === '--noflush' || /^-[a-zA-Z]*n[a-zA-Z]*$/.test(f) && !f.startsWith('--'));
    const testOnly = flags.some((f) => f === '--test' || f === '-t');
    const sink: Diagnostic[] = [];
    if (!input || input.text.unknown) {
      const why = input?.text.unknown ?? 'it reads from the terminal';
      sink.push({ code: 'machine-dependent', severity: 'information', span: spanOfNode(ctx.node), message: `what this iptables-restore loads cannot be worked out here (${why}): its rules are not part of the ruleset shown` });
      this.collect(sink, ctx);
      return undefined;
    }
    const file = parseSaveFile(input.text.text, { family: tool.family, origin: input.origin });
    this.restores.push(file);
    sink.push(...file.diagnostics);
    let ok = !sink.some((d) => d.severity === 'error');
    if (ok && !testOnly) ok = this.builders[tool.family].runRestore(file, noflush, sink);
    this.collect(sink, ctx);
    return ok ? 0 : 1;
  }

  save(): string | undefined {
    return undefined;
  }

  private collect(sink: Diagnostic[], ctx: CallContext): void {
    for (const d of sink) {
      // A failure the script guards against (`-C || -A`, `-N x 2>/dev/null || true`) is intended.
      if (ctx.guarded && STATE_CODES.has(d.code)) continue;
      const key = `${d.code}|${d.span.line}|${d.span.start}|${d.span.end}|${d.message}`;
      const seen = this.found.get(key);
      if (seen) seen.count++;
      else this.found.set(key, { diagnostic: d, count: 1 });
    }
  }

  diagnostics(): Diagnostic[] {
    return [...this.found.values()].map(({ diagnostic, count }) =>
      (count > 1 ? { ...diagnostic, message: `${diagnostic.message} (each of the ${count} times this runs)` } : diagnostic));
  }

  rulesets(): Record<Family, Ruleset> {
    const out = { ipv4: this.builders.ipv4.ruleset, ipv6: this.builders.ipv6.ruleset };
    for (const rs of Object.values(out)) for (const t of rs.tables.values()) linkChains(t);
    return out;
  }
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
    if (field) d.message = `the shell splits \`${field.splitFrom}\` into several words here (its value contains spaces), and iptables takes \`${field.text}\` as a stray argument: write "${field.splitFrom}" in double quotes`;
  }
}

/** A value that holds only while the environment leaves a variable unset: say so where it is used. */
function noteAssumptions(sink: Diagnostic[], args: Field[]): void {
  const seen = new Set<string>();
  for (const a of args) {
    if (!a.assumes?.length || a.unknown) continue;
    const key = `${a.span.line}:${a.span.start}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sink.push({ code: 'machine-dependent', severity: 'information', span: a.span, message: `\`${a.text}\` assumes ${a.assumes.join(' and ')}; where that is not so, this rule changes` });
  }
}

function spanOfNode(node: CallContext['node']): { line: number; start: number; end: number } {
  const { row, column } = node.startPosition;
  return { line: row, start: column, end: node.endPosition.row === row ? node.endPosition.column : column + node.text.split('\n')[0].length };
}

function toToken(f: Field): Token {
  const t: Token = { text: f.text, line: f.span.line, start: f.span.start, end: f.span.end };
  if (f.unknown) t.unknown = f.unknown;
  return t;
}
