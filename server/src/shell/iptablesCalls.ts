// The iptables commands a script ran, as the services read them (where their
// words are, which chains they name) and as the rules they made keep them. A
// command of a plain line (plainCommands.ts) that adds a rule or a chain keeps
// only what it does and where its line is: its words are read again from the
// line when asked for, as a rule file's are (a generated script of 200k
// commands would otherwise keep every word of every command).
import type { Span } from '../diagnostics';
import type { Family } from '../knowledge';
import { Command, CommandHead, compactHeadOf, headOf, parseCommand } from '../syntax/command';
import type { CommandSource } from '../syntax/saveFile';
import { sameSpan, Token } from '../syntax/token';
import { plainFields, readPlainLine } from './plainCommands';
import type { Field } from './values';

/** One iptables command as the script ran it; the rules it made have it as their source. */
export interface IptablesCall extends CommandSource {
  readonly family: Family;
  readonly command: Command;
  /** What the command does and to which chain, read without its words. */
  readonly head: CommandHead;
  ok: boolean;
  /** Where the command is written in the script. */
  readonly line: number;
  readonly conditional?: string;
  /** For each of `command.words`: where its text is written literally in the script, when it is. */
  readonly sources: readonly (Span | undefined)[];
  /** Where the text of one of the tokens of `head` is written literally in the script, when it is. */
  sourceOf(token: Token): Span | undefined;
  /** Whether one of `command.words` may be on this line (without reading them again). */
  hasWordOn(line: number): boolean;
}

/** The words a command was given, as its tokens. */
export function toToken(f: Field): Token {
  const tgt: Token = { text: f.text, line: f.span.line, start: f.span.start, end: f.span.end };
  if (f.unknown) tgt.unknown = f.unknown;
  // Only a word written as it is (no quotes, no expansion) has a place for each of its characters.
  if (!f.source || !sameSpan(f.source, f.span)) tgt.expanded = true;
  return tgt;
}

/** Commands of plain lines kept by their line (the many of a generated script: rules and chains), where the tokens of their head are written as they are. */
const KEPT_BY_LINE: ReadonlySet<Command['kind']> = new Set(['append', 'insert', 'newChain']);

/**
 * The text of the script one evaluation ran, shared by the calls of its plain
 * lines, with the commands read again from those lines for the services: they
 * go with the evaluation's calls, never outliving them.
 */
export class ScriptText {
  /** The last ones asked for (services ask for the same few again and again). */
  readonly recent = new Map<PlainCall, Command>();

  constructor(readonly text: string) {}
}

/** Commands kept read again per script evaluated. */
const RECENT_KEPT = 1024;

/** The call of a command just run: kept by its line where it can be (see KEPT_BY_LINE), else whole. */
export function iptablesCall(family: Family, command: Command, args: readonly Field[], line: number, conditional: string | undefined, plain: { script: ScriptText; from: number; to: number } | undefined): IptablesCall {
  const head = plain && conditional === undefined && KEPT_BY_LINE.has(command.kind) ? compactHeadOf(command) : undefined;
  if (head) return new PlainCall(family, head, line, plain!.script, plain!.from, plain!.to);
  return new WholeCall(family, command, args.map((a) => a.source), line, conditional);
}

class WholeCall implements IptablesCall {
  ok = false;
  readonly head: CommandHead;
  /** The lines its words are on (a function's arguments can be anywhere). */
  private readonly firstWordLine: number;
  private readonly lastWordLine: number;

  constructor(
    readonly family: Family,
    readonly command: Command,
    readonly sources: readonly (Span | undefined)[],
    readonly line: number,
    readonly conditional: string | undefined,
  ) {
    this.head = headOf(command);
    let first = line;
    let last = line;
    for (const w of command.words) {
      if (w.line < first) first = w.line;
      if (w.line > last) last = w.line;
    }
    this.firstWordLine = first;
    this.lastWordLine = last;
  }

  hasWordOn(line: number): boolean {
    return this.firstWordLine <= line && line <= this.lastWordLine;
  }

  sourceOf(token: Token): Span | undefined {
    return this.sources[this.command.words.indexOf(token)];
  }
}

/** A plain line's command kept by its line: its words read again from there when asked for. */
class PlainCall implements IptablesCall {
  ok = false;

  constructor(
    readonly family: Family,
    readonly head: CommandHead,
    readonly line: number,
    private readonly script: ScriptText,
    private readonly from: number,
    private readonly to: number,
  ) {}

  hasWordOn(line: number): boolean {
    return line === this.line;
  }

  get conditional(): undefined {
    return undefined;
  }

  get command(): Command {
    const recent = this.script.recent;
    let command = recent.get(this);
    if (command) return command;
    command = parseCommand(this.fields().map(toToken), { family: this.family, restore: false, table: 'filter' }, []);
    if (recent.size >= RECENT_KEPT) recent.delete(recent.keys().next().value!);
    recent.set(this, command);
    return command;
  }

  get sources(): (Span | undefined)[] {
    return this.fields().map((f) => f.source);
  }

  /** The head's tokens are words written as they are (see iptablesCall): each is its own place. */
  sourceOf(token: Token): Span | undefined {
    return { line: token.line, start: token.start, end: token.end };
  }

  private fields(): Field[] {
    return plainFields(readPlainLine(this.script.text, this.from, this.to, this.line, () => true, [])!);
  }
}
