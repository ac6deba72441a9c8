// A static evaluator for the bash (and dash) that firewall scripts are written
// in: it runs the script's own logic (variables, loops, functions, case,
// pipelines of text utilities, files the script writes) without running
// anything on the machine, and hands every iptables call to the host.
// What depends on the machine stays "unknown"; branches it cannot decide are
// followed both ways and marked conditional. Nothing is guessed silently.
// This file runs statements and commands; state.ts holds variables and
// functions, control.ts the control flow, builtins.ts the builtins,
// testExpressions.ts test/[/[[, redirections.ts heredocs and files.
import type { Span } from '../diagnostics';
import type { Family } from '../knowledge';
import { evaluateArithmetic, UnknownValue } from './arithmetic';
import { findNode, Piece, ScriptPieces, SyntaxNode, Tree } from './bashParser';
import { changesCommandLookup, plainFields, PlainLine, standardPath } from './plainCommands';
import { Budget, checkLength, DEFAULT_LIMITS, Limits, TooMuchWork } from './budget';
import { builtin } from './builtins';
import { caseStatement, cStyleFor, ExitSignal, forStatement, ifStatement, leavable, Leaving, list, LoopSignal, pipeline, ReturnSignal, whileStatement } from './control';
import { Expander, ExpansionHost } from './expansion';
import { globPattern } from './patterns';
import { redirected, withRedirects } from './redirections';
import { Frame, ShellState } from './state';
import { testCommand } from './testExpressions';
import { iptablesTool, IptablesTool, isMultiCall, prefixLength } from './tools';
import type { Machine } from './utilities';
import { concat, Field, known, ShellString, Status, unknown, VariableValue } from './values';
import { t } from '../l10n';
import type { Steps } from '../steps';

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

/** Where the evaluation stopped being exact, or the shell of the #! line differs: shown to the user. */
export interface EvaluationNote {
  span: Span;
  message: string;
  /** A construct the script's own shell refuses is a warning; a limit of the evaluation is information. */
  severity?: 'warning';
}

export interface ShellOptions {
  /** `#!/bin/sh`: dash, which refuses some bash syntax at run time. */
  posix: boolean;
  /** No `#!` line: a file other scripts source, run on the functions and chains they made. */
  fragment?: boolean;
  /** The machine the script is for, when known: `ip addr` and /sys/class/net answer from it. */
  machine?: Machine;
  /** How much work the script may ask for (tests lower them). */
  limits?: Limits;
  /** False: every line is read with tree-sitter, plain commands too (tests compare both ways). */
  plainLines?: boolean;
}

/** Standard output being collected (command substitution, pipes), or discarded. */
export interface Output {
  parts: ShellString[];
  /** Characters in `parts`, kept below what one value may hold. */
  length: number;
}

/** Standard input: known text with a read position, or unknown. */
interface Input {
  text: ShellString;
  at: number;
}

/** How far past an array's end an index may write (the array is a list, so the gap is filled). */
const MAX_ARRAY_GAP = 100_000;

/** A simple command as the tree has it. */
interface CommandParts {
  hasName: boolean;
  assignments: SyntaxNode[];
  /** The name and the arguments, words continued over lines joined. */
  words: SyntaxNode[];
  redirects: SyntaxNode[];
}

/** Top-level statements run in one step (steps.ts): a language server answers requests between steps. */
const STATEMENTS_PER_STEP = 16;

/** An iptables command costs about as much as this many statements (parsing it, changing the ruleset). */
const IPTABLES_COST = 20;

export class ShellInterpreter implements ExpansionHost {
  // The parts of the evaluator (control.ts, builtins.ts, redirections.ts,
  // testExpressions.ts) work on the members below.
  readonly state: ShellState;
  readonly budget: Budget;
  lastStatus: Status = 0;
  private guardDepth = 0;
  conditional: string | undefined;
  stdout: Output | undefined;
  /** Standard error goes to /dev/null (`2>/dev/null`): the script expects the command may fail. */
  stderrDiscarded = false;
  stdin: Input | undefined;
  /** Where the lines of the redirected input are in the script, for iptables-restore. */
  pendingRestoreOrigin: RestoreInput['origin'];
  /** The files the script wrote, in memory. */
  get files() {
    return this.state.files;
  }
  /** The function calls and loops running, innermost last. */
  readonly leaving: Leaving[] = [];
  private tempCounter = 0;
  readonly expander: Expander;
  private readonly lines: string[];
  /** The trees of the script's own text alive now, a piece each (code from eval and heredocs is parsed into others). */
  private readonly ownTrees = new Set<Tree>();
  /** Pieces that define a function, which may run after them: freed at the end. */
  private readonly keptTrees = new Set<Tree>();
  /** Command nodes of the pieces alive that ran at least once. */
  private readonly executed = new Set<number>();
  /** The iptables commands the script never runs because it stopped before them (exit, set -e). */
  readonly unreached: Span[] = [];
  readonly notes: EvaluationNote[] = [];
  /** Where the script stopped early (exit, set -e), if it did. */
  stoppedAt?: { span: Span; reason: string };
  /** Where evaluation gave up because the script asked for too much work, and what it was. */
  gaveUp?: { span: Span; what: string };

  constructor(
    private readonly source: string,
    private readonly host: FirewallHost,
    readonly options: ShellOptions,
    readonly reparse: (text: string) => Tree,
  ) {
    this.budget = new Budget(options.limits ?? DEFAULT_LIMITS, () => this.liveSize(), source.length);
    this.state = new ShellState(this.budget);
    this.expander = new Expander(this);
    this.lines = source.split('\n');
    this.state.globals.set('IFS', { kind: 'scalar', value: known(' \t\n') });
  }

  /**
   * Runs the script piece by piece, in steps; each piece's tree is freed once
   * it has run, unless it defines a function. Left before its end, it frees them all.
   */
  *run(pieces: ScriptPieces): Steps<void> {
    let piece: Piece | undefined;
    try {
      while ((piece = pieces.next(this.options.plainLines === false ? undefined : this.readsPlain))) {
        if (piece.kind === 'plain') {
          const { lines } = piece;
          for (let i = 0; i < lines.length; i++) {
            this.topStart = lines[i].from;
            this.plainLine(lines[i]);
            if (i % STATEMENTS_PER_STEP === STATEMENTS_PER_STEP - 1) yield;
          }
          piece = undefined;
          continue;
        }
        this.ownTrees.add(piece.tree);
        yield;
        const { statements } = piece;
        for (let i = 0; i < statements.length; i++) {
          this.topStart = statements[i].startIndex;
          this.statement(statements[i]);
          if (i % STATEMENTS_PER_STEP === STATEMENTS_PER_STEP - 1) yield;
        }
        this.release(piece.tree);
        piece = undefined;
      }
    } catch (e) {
      if (e instanceof ExitSignal || e instanceof ReturnSignal || e instanceof LoopSignal) {
        this.findUnreached(piece, pieces);
        return;
      }
      const tooMuch = e instanceof TooMuchWork ? e : isStackOverflow(e) ? new TooMuchWork(t('more nesting than the evaluator can follow')) : undefined;
      if (!tooMuch) throw e;
      this.gaveUp = { span: tooMuch.span ?? (piece?.kind === 'tree' ? this.spanOf(piece.tree.rootNode) : { line: 0, start: 0, end: 0 }), what: tooMuch.what };
      // Nothing after the place where it gave up is judged: only the piece it gave up in is looked at.
      this.findUnreached(piece, undefined);
    } finally {
      for (const tree of this.ownTrees) tree.delete();
      this.ownTrees.clear();
    }
  }

  /** A piece has run: its tree is freed, with what was remembered of its nodes by id (a later tree may reuse the ids). */
  private release(tree: Tree): void {
    this.spans.clear();
    this.commandParts.clear();
    this.executed.clear();
    if (this.keptTrees.has(tree)) return;
    this.ownTrees.delete(tree);
    tree.delete();
  }

  /** Where the top-level statement running now starts in the script. */
  private topStart = 0;

  /**
   * After the script stopped (exit, set -e) in `piece`: the iptables commands
   * after that point it never runs, there and in the pieces after it. Those
   * of the top-level statements before the one it stopped in ran, or are in
   * a function or branch that did not run for another reason.
   */
  private findUnreached(piece: Piece | undefined, rest: ScriptPieces | undefined): void {
    const stopped = this.stoppedAt;
    if (!stopped || !piece) return;
    const add = (span: Span) => {
      if (span.line > stopped.span.line && !(this.gaveUp && span.line >= this.gaveUp.span.line)) this.unreached.push(span);
    };
    // Only the piece's own statements: the rest of its tree is read again as the next piece.
    const unreached = (p: Piece) => {
      if (p.kind === 'plain') {
        for (const line of p.lines) if (line.words.length && line.from >= this.topStart) add(plainSpan(line));
        return;
      }
      for (const node of iptablesCommandNodes(p.statements)) {
        if (node.startIndex >= this.topStart && !this.executed.has(node.id)) add(this.spanOf(node));
      }
      this.release(p.tree);
    };
    unreached(piece);
    for (let next = rest?.next(ANY_TOOL); next; next = rest!.next(ANY_TOOL)) {
      if (next.kind === 'tree') this.ownTrees.add(next.tree);
      unreached(next);
    }
  }

  /** Which tools a plain line may name and be run without its tree: those the script did not make a function of, or find elsewhere. */
  private readonly readsPlain = (name: string): boolean => {
    if (this.lookupChanged || this.state.functions.has(name)) return false;
    const path = this.variable('PATH');
    return path === undefined || (path.kind === 'scalar' && !path.value.unknown && standardPath(path.value.text));
  };

  /** The script ran something that may change what a command name runs (an alias, `hash -p`...): every line takes the full path. */
  private lookupChanged = false;

  /**
   * A plain line (plainCommands.ts), run as statement() and command() run
   * its tree: the same steps charged, the same fields, the same call.
   */
  private plainLine(line: PlainLine): void {
    const { words, row } = line;
    if (words.length) {
      const span = plainSpan(line);
      try {
        this.budget.step();
        let unquoted = 0;
        for (const w of words) unquoted += w.unquoted;
        this.budget.scan(2 * unquoted);
        const name = words[0].text;
        const status = this.iptables(iptablesTool(name)!, plainFields(line), span, [], this.functionFrom(name), line);
        this.lastStatus = status;
        this.errexitCheck(status, span);
      } catch (e) {
        if (e instanceof TooMuchWork) e.span ??= span;
        throw e;
      }
    }
    if (line.commentStart >= 0) {
      try {
        this.budget.step();
      } catch (e) {
        if (e instanceof TooMuchWork) e.span ??= { line: row, start: line.commentStart, end: line.commentEnd };
        throw e;
      }
    }
  }

  /** Characters of every value the script holds: variables, positional parameters, files. */
  private liveSize(): number {
    let size = 0;
    const add = (v: VariableValue) => {
      if (v.kind === 'scalar') size += v.value.text.length;
      else for (const item of v.kind === 'indexed' ? v.items : v.items.values()) size += item?.text.length ?? 0;
    };
    for (const v of this.state.globals.values()) add(v);
    for (const f of this.state.frames) {
      for (const v of f.locals.values()) add(v);
      for (const p of f.positional) size += p.text.length;
    }
    for (const p of this.state.topPositional) size += p.text.length;
    for (const f of this.files.values()) size += f.text.text.length;
    return size;
  }

  // ---- positions ---------------------------------------------------------------

  /**
   * Where a node is, for the user. Positions in text the evaluator parsed
   * itself (eval, an unquoted heredoc, array values) mean nothing there: such
   * a node is reported at the statement of the script that ran it.
   * tree-sitter columns are UTF-16 code units for a JS string, as LSP wants them.
   */
  spanOf(node: SyntaxNode): Span {
    const own = this.ownTrees.has(node.tree) ? node : this.ownStatement;
    if (!own) return { line: 0, start: 0, end: 0 };
    // Asking the tree for positions is costly, and a loop asks for the same ones again.
    // (Words joined over continuation lines are made here and have no id.)
    const id = own.id as number | undefined;
    const known = id === undefined ? undefined : this.spans.get(id);
    if (known) return { ...known };
    const { row, column } = own.startPosition;
    const end = own.endPosition.row === row ? own.endPosition.column : (this.lines[row] ?? '').length;
    const span = { line: row, start: column, end };
    if (id !== undefined) this.spans.set(id, span);
    return { ...span };
  }

  private readonly spans = new Map<number, Span>();

  literalSpan(node: SyntaxNode, offset: number, text: string): Span | undefined {
    if (!this.ownTrees.has(node.tree) || text.includes('\n')) return undefined;
    // From the index, not the node's column: a string can start lines above the text inside it.
    const at = node.startIndex + offset;
    const lineStart = at === 0 ? 0 : this.source.lastIndexOf('\n', at - 1) + 1;
    let line = node.startPosition.row;
    for (let i = this.source.indexOf('\n', node.startIndex); i >= 0 && i < at; i = this.source.indexOf('\n', i + 1)) line++;
    return { line, start: at - lineStart, end: at - lineStart + text.length };
  }

  // ---- variables (ExpansionHost) ---------------------------------------------------

  variable(name: string): VariableValue | undefined {
    return this.state.variable(name);
  }

  assign(name: string, value: ShellString): void {
    this.state.setVariable(name, { kind: 'scalar', value });
  }

  positional(): Field[] {
    return this.state.positional();
  }

  /** Changes when the rules change (chains and how many rules each has). */
  firewallFingerprint(): string {
    return this.host.fingerprint();
  }

  undecidedFirewall(): UndecidedFirewall {
    return this.host.undecided(this.budget);
  }

  vanishedArguments(): string[] {
    const frames = this.state.frames;
    return frames[frames.length - 1]?.vanished ?? [];
  }

  special(name: string): ShellString {
    switch (name) {
      case '#': {
        const args = this.positional();
        const rest = args.find((a) => a.rest);
        return rest ? unknown(rest.unknown!) : known(String(args.length));
      }
      case '?': return this.lastStatus === undefined ? unknown(t('the exit status of a command that depends on the machine')) : known(String(this.lastStatus));
      case '0': return known('script.sh');
      case '$': return unknown(t('the process id'));
      case '!': return unknown(t('the last background process id'));
      case '-': return known(this.state.errexit ? 'e' : '');
      default: return unknown(`$${name}`);
    }
  }

  glob(pattern: string): string[] | undefined {
    const glob = globPattern(pattern);
    const matches = (p: string) => glob.matchesAll(p, this.budget);
    const net = '/sys/class/net/';
    if (pattern.startsWith(net) && !pattern.slice(net.length).includes('/')) {
      // The machine's interfaces, when the analysis is told them.
      const names = this.options.machine?.interfaces.map((i) => net + i.name);
      return names?.filter(matches).sort();
    }
    // Files the script wrote itself; anything else is on the machine.
    const written = [...this.files.keys()].filter(matches).sort();
    return written.length ? written : undefined;
  }

  unreadSource(): string | undefined {
    return this.state.unreadSources[this.state.unreadSources.length - 1];
  }

  ifs(): string {
    const v = this.variable('IFS');
    return v?.kind === 'scalar' && !v.value.unknown ? v.value.text : ' \t\n';
  }

  commandSubstitution(node: SyntaxNode): ShellString {
    const body = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
    const out = this.capture(() => this.inSubshell(() => this.block(body)));
    if (node.type === 'process_substitution') return known(this.tempFile(out));
    const text = concat(out.parts);
    const strip = (tgt: string) => tgt.slice(0, tgt.length - trailing(tgt, '\n'));
    if (!text.unknown) return known(strip(text.text));
    const alternatives = text.alternatives && [...new Set(text.alternatives.map(strip))];
    return unknown(`$(${node.text.replace(/^\$\(|^`|\)$|`$/g, '').trim()})`, alternatives);
  }

  arithmetic(text: string): ShellString {
    this.budget.scan(text.length);
    try {
      return known(String(evaluateArithmetic(this.expandArithmeticText(text), this.arithmeticScope())));
    } catch (e) {
      if (e instanceof TooMuchWork) throw e;
      return unknown(e instanceof UnknownValue ? t('$(({0})) with an unknown {1}', text, e.message) : `$((${text}))`);
    }
  }

  /** $x, ${x}, ${#a[@]}... inside arithmetic are expanded before it is evaluated. */
  private expandArithmeticText(text: string): string {
    return text.replace(/\$\{[^}]*\}|\$[A-Za-z_]\w*|\$\d+|\$#/g, (ref: string) => {
      const v = this.expandFragment(ref);
      if (v.unknown) throw new UnknownValue(ref);
      return v.text;
    // A nested $(( )) is a parenthesised part of the outer one.
    }).replace(/\$\(\(/g, '((');
  }

  private arithmeticScope() {
    return {
      get: (name: string): string | undefined | null => {
        const v = this.variable(name);
        if (!v) return undefined;
        const s = v.kind === 'scalar' ? v.value : v.kind === 'indexed' ? v.items[0] : v.items.get('0');
        this.budget.scan(s?.text.length ?? 0);
        return s?.unknown ? null : s?.text;
      },
      set: (name: string, value: number) => this.assign(name, known(String(value))),
    };
  }

  // ---- subshells, output, conditions ------------------------------------------------------

  inSubshell<T>(body: () => T): T {
    const saved = this.state.snapshot();
    try {
      return body();
    } catch (e) {
      if (e instanceof ExitSignal) {
        this.lastStatus = e.status;
        return undefined as T;
      }
      throw e;
    } finally {
      // Files the subshell wrote stay: they are on the machine, not in the shell.
      const files = this.state.files;
      this.state.restore(saved);
      this.state.files = files;
    }
  }

  capture(body: () => void): Output {
    const saved = this.stdout;
    const out: Output = { parts: [], length: 0 };
    this.stdout = out;
    try {
      body();
    } finally {
      this.stdout = saved;
    }
    return out;
  }

  write(text: ShellString): void {
    if (!this.stdout) return;
    checkLength(this.stdout.length += text.text.length);
    this.stdout.parts.push(text);
  }

  guarded<T>(body: () => T): T {
    this.guardDepth++;
    try {
      return body();
    } finally {
      this.guardDepth--;
    }
  }

  // ---- statements ------------------------------------------------------------------

  block(nodes: (SyntaxNode | null)[]): Status {
    let status: Status = 0;
    for (const n of nodes) if (n) status = this.statement(n);
    return status;
  }

  /** The innermost statement of the script's own text being run. */
  private ownStatement: SyntaxNode | undefined;

  statement(node: SyntaxNode): Status {
    const outer = this.ownStatement;
    if (this.ownTrees.has(node.tree)) this.ownStatement = node;
    try {
      this.budget.step();
      return this.budget.nested(() => this.runStatement(node));
    } catch (e) {
      // The innermost statement it comes through is where the note goes.
      if (e instanceof TooMuchWork) e.span ??= this.spanOf(node);
      throw e;
    } finally {
      this.ownStatement = outer;
    }
  }

  private runStatement(node: SyntaxNode): Status {
    let status: Status;
    switch (node.type) {
      case 'comment':
      case 'heredoc_body':
      case 'heredoc_end':
      case ';':
        return this.lastStatus;
      case 'command':
        status = this.command(node, []);
        break;
      case 'redirected_statement':
        status = redirected(this, node);
        break;
      case 'variable_assignment':
        this.assignment(node, false);
        status = 0;
        break;
      case 'variable_assignments':
        for (const c of node.namedChildren) if (c) this.assignment(c, false);
        status = 0;
        break;
      case 'declaration_command':
        status = this.declaration(node);
        break;
      case 'unset_command':
        status = this.unset(node);
        break;
      case 'list':
        return list(this, node);
      case 'pipeline':
        status = pipeline(this, node);
        break;
      case 'negated_command': {
        const inner = node.namedChildren.find((c) => c !== null)!;
        const s = this.guarded(() => this.statement(inner));
        status = s === undefined ? undefined : s === 0 ? 1 : 0;
        this.lastStatus = status;
        return status;
      }
      case 'compound_statement':
        // tree-sitter reads `(( count++ ))` as a group: it is arithmetic.
        status = node.text.startsWith('((') ? this.arithmeticStatus(node.text) : this.block(node.namedChildren);
        break;
      case 'subshell':
        status = this.inSubshell(() => this.block(node.namedChildren));
        break;
      case 'if_statement':
        return ifStatement(this, node);
      case 'while_statement':
        return whileStatement(this, node);
      case 'for_statement':
        return forStatement(this, node);
      case 'c_style_for_statement':
        return cStyleFor(this, node);
      case 'case_statement':
        return caseStatement(this, node);
      case 'function_definition': {
        const name = node.childForFieldName('name')?.text ?? node.namedChildren[0]?.text;
        if (name) this.state.functions.set(name, node);
        if (this.ownTrees.has(node.tree)) this.keptTrees.add(node.tree);
        status = 0;
        break;
      }
      case 'test_command':
        status = testCommand(this, node);
        break;
      case 'arithmetic_expansion':
      case 'compound_arithmetic':
        status = this.arithmeticStatus(node.text);
        break;
      default:
        if (node.text.startsWith('((')) {
          status = this.arithmeticStatus(node.text);
          break;
        }
        // Parse errors and constructs we do not model: skip them.
        status = undefined;
    }
    this.lastStatus = status;
    return status;
  }

  /** `(( expr ))`: true when the value is not zero. */
  private arithmeticStatus(text: string): Status {
    const v = this.arithmetic(text.replace(/^\(\(|\)\)$/g, ''));
    return v.unknown ? undefined : Number(v.text) !== 0 ? 0 : 1;
  }

  /** set -e: a failing command (at `span`) outside any condition ends the script. */
  private errexitCheck(status: Status, span: Span): void {
    if (this.state.errexit && status !== undefined && status !== 0 && this.guardDepth === 0 && !this.conditional) {
      this.stoppedAt = { span, reason: t('set -e: the script stops at line {0}, where a command fails', span.line + 1) };
      throw new ExitSignal(status);
    }
  }

  // ---- commands ------------------------------------------------------------------------

  private assignment(node: SyntaxNode, local: boolean, into?: Map<string, VariableValue>): void {
    const nameNode = node.childForFieldName('name') ?? node.namedChildren[0];
    const valueNode = node.childForFieldName('value') ?? node.namedChildren[1];
    if (!nameNode) return;
    const append = node.children.some((c) => c?.type === '+=');
    let name = nameNode.text;
    let index: string | undefined;
    const sub = /^([A-Za-z_]\w*)\[(.*)\]$/.exec(name);
    if (sub) [, name, index] = sub;
    const set = (v: VariableValue) => (into ? into.set(name, v) : this.state.setVariable(name, v, local));
    // The variable found is the one an assignment changes, unless it goes to a new local or a temporary.
    const inPlace = !into && !local;
    if (valueNode?.type === 'array') {
      const existing = this.variable(name);
      if (existing?.kind === 'assoc' || /\[.*\]=/.test(valueNode.text)) {
        const items = existing?.kind === 'assoc' && append ? new Map(existing.items) : new Map<string, ShellString>();
        for (const m of valueNode.text.slice(1, -1).matchAll(/\[([^\]]*)\]=("[^"]*"|'[^']*'|\S*)/g)) {
          items.set(this.expandFragment(m[1]).text, this.expandFragment(m[2]));
        }
        set(existing?.kind === 'assoc' || !/^\(\s*\[\d+\]/.test(valueNode.text) ? { kind: 'assoc', items } : { kind: 'indexed', items: [...items.values()] });
        return;
      }
      const fields = this.expander.fields(valueNode.namedChildren.filter((c): c is SyntaxNode => c !== null));
      const items = fields.map((f): ShellString => (f.unknown ? { text: f.text, unknown: f.unknown } : known(f.text)));
      this.budget.stored(items.reduce((n, i) => n + i.text.length, 0));
      if (append && existing?.kind === 'indexed') {
        // Appended in place (the live state owns its arrays): a loop that appends stays linear.
        const target = inPlace ? existing.items : existing.items.slice();
        for (const i of items) target.push(i);
        if (!inPlace) set({ kind: 'indexed', items: target });
        return;
      }
      set({ kind: 'indexed', items });
      return;
    }
    let value = valueNode ? this.expander.single(valueNode) : known('');
    const existing = this.variable(name);
    if (index !== undefined) {
      this.budget.stored(value.text.length);
      if (existing?.kind === 'assoc') {
        const items = inPlace ? existing.items : new Map(existing.items);
        items.set(this.expandFragment(index).text, value);
        if (!inPlace) set({ kind: 'assoc', items });
      } else {
        const items = existing?.kind === 'indexed' ? (inPlace ? existing.items : existing.items.slice()) : existing?.kind === 'scalar' ? [existing.value] : [];
        const given = Number(this.arithmetic(index).text);
        const i = given < 0 ? items.length + given : given;
        // An unknown index, or one before the start, changes no element we can name.
        if (!Number.isInteger(i) || i < 0) return;
        // The array is a list: an index far past its end would make a huge one.
        if (i > items.length + MAX_ARRAY_GAP) throw new TooMuchWork(t('an array index of {0}, far past the end of the array', i));
        items[i] = value;
        if (!(inPlace && existing?.kind === 'indexed')) set({ kind: 'indexed', items });
      }
      return;
    }
    if (append && existing?.kind === 'scalar') value = concat([existing.value, value]);
    if (append && existing?.kind === 'indexed') {
      this.budget.stored(value.text.length);
      if (inPlace) existing.items.push(value);
      else set({ kind: 'indexed', items: [...existing.items, value] });
      return;
    }
    set({ kind: 'scalar', value });
  }

  /** Expands a small piece of text written in the script (array keys and values). */
  expandFragment(text: string): ShellString {
    this.budget.scan(text.length);
    const tree = this.reparse(`: ${text}\n`);
    const cmd = findNode(tree.rootNode, 'command');
    const arg = cmd?.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'command_name')[0];
    return arg ? this.expander.single(arg) : known('');
  }

  private declaration(node: SyntaxNode): Status {
    const keyword = node.children[0]?.text ?? 'declare';
    const flags = node.namedChildren.filter((c) => c?.type === 'word' && c.text.startsWith('-')).map((c) => c!.text).join('');
    // declare in a function is local unless -g, like local itself.
    const local = keyword === 'local' || (keyword !== 'export' && keyword !== 'readonly' && this.state.frames.length > 0 && !flags.includes('g'));
    const empty = (): VariableValue => (flags.includes('A') ? { kind: 'assoc', items: new Map() } : flags.includes('a') ? { kind: 'indexed', items: [] } : { kind: 'scalar', value: known('') });
    for (const c of node.namedChildren) {
      if (!c || (c.type === 'word' && c.text.startsWith('-'))) continue;
      if (c.type === 'variable_assignment') {
        const name = (c.childForFieldName('name') ?? c.namedChildren[0])?.text ?? '';
        if (flags.includes('A') && !this.variable(name)) this.state.setVariable(name, empty(), local);
        this.assignment(c, local);
      } else if (local || !this.variable(c.text)) {
        this.state.setVariable(c.text, empty(), local);
      }
    }
    return 0;
  }

  private unset(node: SyntaxNode): Status {
    const words = node.namedChildren.filter((c): c is SyntaxNode => c !== null).map((c) => c.text);
    const functions = words.includes('-f');
    for (const w of words.filter((x) => !x.startsWith('-'))) {
      if (functions) this.state.functions.delete(w);
      else {
        for (const f of this.state.frames) f.locals.delete(w);
        this.state.globals.delete(w);
      }
    }
    return 0;
  }

  /** The parts of the script's own commands, read from the tree once (a loop runs a command many times). */
  private readonly commandParts = new Map<number, CommandParts>();

  private partsOf(node: SyntaxNode): CommandParts {
    const own = this.ownTrees.has(node.tree);
    const known = own ? this.commandParts.get(node.id) : undefined;
    if (known) return known;
    // One pass, each child's type read once: every read goes through the parser's memory.
    let nameNode: SyntaxNode | undefined;
    const assignments: SyntaxNode[] = [];
    const redirects: SyntaxNode[] = [];
    const argNodes: SyntaxNode[] = [];
    for (const c of node.namedChildren) {
      if (!c) continue;
      const type = c.type;
      if (type === 'variable_assignment') assignments.push(c);
      else if (type === 'command_name') nameNode ??= c;
      else if (type.endsWith('redirect')) redirects.push(c);
      else argNodes.push(c);
    }
    const words = nameNode ? [nameNode.namedChildren[0] ?? nameNode, ...argNodes] : [];
    const parts: CommandParts = {
      hasName: nameNode !== undefined,
      assignments,
      // Continuations are found in the script's own text; re-parsed text has none that matter.
      words: own ? joinContinuedWords(this.source, words) : words,
      redirects,
    };
    if (own) this.commandParts.set(node.id, parts);
    return parts;
  }

  /** A simple command: expand, strip prefixes, then run a function, a builtin, iptables or a utility. */
  private command(node: SyntaxNode, extraAssignments: SyntaxNode[]): Status {
    const parts = this.partsOf(node);
    const assignments = [...extraAssignments, ...parts.assignments];
    if (!parts.hasName) {
      for (const a of assignments) this.assignment(a, false);
      return 0;
    }
    const redirects = parts.redirects;
    const temp = new Map<string, VariableValue>();
    for (const a of assignments) this.assignment(a, false, temp);
    const outer = this.expander.vanished;
    this.expander.vanished = [];
    const fields = this.expander.fields(parts.words);
    const vanished = [...new Set(this.expander.vanished)];
    this.expander.vanished = outer;
    // `\iptables` only skips aliases (which scripts do not expand anyway), so functions still apply.
    const run = () => this.withTemporaries(temp, () => this.execute(fields, node, false, vanished));
    const status = redirects.length ? withRedirects(this, redirects, run) : run();
    this.lastStatus = status;
    this.errexitCheck(status, this.spanOf(node));
    return status;
  }

  private withTemporaries<T>(temp: Map<string, VariableValue>, body: () => T): T {
    if (temp.size === 0) return body();
    const frame: Frame = { locals: temp, positional: this.positional(), vanished: this.vanishedArguments() };
    this.state.frames.push(frame);
    try {
      return body();
    } finally {
      this.state.frames.splice(this.state.frames.indexOf(frame), 1);
    }
  }

  private execute(fields: Field[], node: SyntaxNode, bypassFunctions: boolean, vanished: string[]): Status {
    let replacesShell = false;
    // Prefixes that run the rest as a command (sudo, env, exec...), and empty alternatives of `$SUDO`.
    for (;;) {
      if (fields.length === 0) return 0;
      const first = fields[0];
      if (first.unknown) {
        if (first.alternatives && first.alternatives.every((a) => a === '' || prefixLength([a]) > 0)) {
          fields = fields.slice(1);
          continue;
        }
        const tool = sameTool(first.alternatives);
        if (tool) {
          // `$IPT` is one of several paths to the same iptables (found by probing): run it as that.
          fields = [{ span: first.span, text: tool }, ...fields.slice(1)];
          break;
        }
        const split = first.splits ? sameToolSplit(first.alternatives) : undefined;
        if (split) {
          // `$command` set to "$IPTABLES_RESTORE $option": the same words after one of those paths.
          fields = [...split.map((text) => ({ span: first.span, text })), ...fields.slice(1)];
          break;
        }
        this.write(unknown(t('the output of {0}', first.text)));
        return undefined;
      }
      if (first.text === 'command' && fields[1] && !fields[1].text.startsWith('-')) {
        fields = fields.slice(1);
        bypassFunctions = true;
        continue;
      }
      const n = prefixLength(fields.map((f) => f.text));
      if (n > 0) {
        replacesShell ||= first.text === 'exec' && fields.length > 1;
        fields = fields.slice(n);
        continue;
      }
      break;
    }
    const status = this.dispatch(fields, node, bypassFunctions, vanished);
    if (replacesShell) {
      // `exec CMD`: the command takes the shell's place, so the script ends with it.
      this.stoppedAt ??= { span: this.spanOf(node), reason: t('`exec` on line {0} replaces the script', node.startPosition.row + 1) };
      throw new ExitSignal(status);
    }
    return status;
  }

  private dispatch(fields: Field[], node: SyntaxNode, bypassFunctions: boolean, vanished: string[]): Status {
    const name = fields[0].text;
    const args = fields.slice(1);
    // Node ids are per tree: only the script's own commands count as run.
    if (this.ownTrees.has(node.tree)) this.executed.add(node.id);
    if (!bypassFunctions && this.state.functions.has(name)) return this.callFunction(name, args, vanished);
    const tool = iptablesTool(name) ?? (isMultiCall(name) && args[0] ? iptablesTool(args[0].text) : undefined);
    if (tool) return this.iptables(tool, isMultiCall(name) ? args.slice(1) : args, this.spanOf(node), vanished, bypassFunctions ? undefined : this.functionFrom(name));
    if (changesCommandLookup(name, args)) this.lookupChanged = true;
    return builtin(this, name, args, node);
  }

  /** Where a function called `name` could come from that the evaluation cannot see: a file it could not read, or the script that sources this one. */
  private functionFrom(name: string): CallContext['maybeFunction'] {
    // A path is never a function's name.
    if (name.includes('/')) return undefined;
    const from = this.options.fragment ? t('the script that sources this file') : this.unreadSource();
    return from ? { name, from } : undefined;
  }

  private iptables(tool: IptablesTool, args: Field[], span: Span, vanished: string[], maybeFunction: CallContext['maybeFunction'], plain?: PlainLine): Status {
    this.budget.step(IPTABLES_COST);
    for (const a of args) this.budget.scan(a.text.length);
    const ctx: CallContext = { guarded: this.guardDepth > 0 || this.stderrDiscarded, conditional: this.conditional, span, vanished, maybeFunction };
    if (plain) ctx.plain = { text: this.source, line: plain };
    if (tool.kind === 'iptables') return this.host.iptables(tool, args, ctx);
    if (tool.kind === 'save') {
      const text = this.host.save(tool.family);
      this.write(text === undefined ? unknown(t('the output of iptables-save')) : known(text));
      return 0;
    }
    const fileArg = args.find((a, i) => !a.text.startsWith('-') && !takesValue(args[i - 1]?.text, a.text));
    let input: RestoreInput | undefined;
    if (fileArg) {
      const f = fileArg.unknown ? undefined : this.files.get(fileArg.text);
      input = f ? { text: f.text, origin: f.origin } : { text: unknown(t('the contents of {0}', fileArg.text)) };
    } else if (this.stdin) {
      input = { text: { ...this.stdin.text, text: this.stdin.text.text.slice(this.stdin.at) }, origin: this.pendingRestoreOrigin };
      this.stdin.at = this.stdin.text.text.length;
    }
    this.budget.scan(input?.text.text.length ?? 0);
    return this.host.restore(tool, args, input, ctx);
  }

  private callFunction(name: string, args: Field[], vanished: string[]): Status {
    const def = this.state.functions.get(name)!;
    const body = def.childForFieldName('body') ?? def.namedChildren[def.namedChildren.length - 1]!;
    this.state.frames.push({ locals: new Map(), positional: args, vanished });
    try {
      return leavable(this, 'function', () => {
        try {
          return this.statement(body);
        } catch (e) {
          if (e instanceof ReturnSignal && !e.left) return e.status;
          throw e;
        }
      });
    } finally {
      this.state.frames.pop();
    }
  }

  evalText(code: string): Status {
    return this.budget.evaluating(() => {
      this.budget.scan(code.length);
      return this.block(this.reparse(code).rootNode.namedChildren);
    });
  }

  tempFile(out: Output, template = '/tmp/tmp.XXXXXXXXXX'): string {
    const n = ++this.tempCounter;
    const xs = trailing(template, 'X');
    const path = xs ? template.slice(0, template.length - xs) + String(n).padStart(xs, '0') : template;
    this.files.set(path, { text: concat(out.parts) });
    return path;
  }
}

/** An empty name ("not found"), or one that starts with `-` (a suffix after one: `./-restore`, ` --wait`): no program the script means. */
const NOT_FOUND = /^(.*\/)?(-.*)?$/;

/**
 * The command the values of a probed command name all run, when they agree
 * (the empty value, "not found", aside): `/sbin/iptables` or `/usr/sbin/iptables`.
 */
function sameTool(values: readonly string[] | undefined): string | undefined {
  const named = values?.filter((v) => !NOT_FOUND.test(v)) ?? [];
  const tools = named.map(iptablesTool);
  const first = tools[0];
  if (!first || tools.some((tgt) => !tgt || tgt.kind !== first.kind || tgt.family !== first.family)) return undefined;
  return named[0];
}

/** Whether `word` is the value of the iptables-restore option before it (`--wait 60`, `-T nat`), not its file. */
function takesValue(option: string | undefined, word: string): boolean {
  if (option === '-w' || option === '--wait') return /^\d+(\.\d+)?$/.test(word);
  return option === '-W' || option === '--wait-interval' || option === '-M' || option === '--modprobe' || option === '-T' || option === '--table';
}

/** Values of an unquoted word that split into one of several paths to the same iptables and the same words after it. */
function sameToolSplit(values: readonly string[] | undefined): string[] | undefined {
  const words = values?.map((v) => v.split(/[ \t\n]+/).filter((w) => w !== '')).filter((w) => w.length > 0 && !NOT_FOUND.test(w[0])) ?? [];
  const rest = words[0]?.slice(1).join(' ');
  if (words.length === 0 || words.some((w) => w.slice(1).join(' ') !== rest)) return undefined;
  const tool = sameTool(words.map((w) => w[0]));
  return tool ? [tool, ...words[0].slice(1)] : undefined;
}

/**
 * `"a"\<newline>"b"`: a backslash-newline between two words removes itself, so
 * they are one word (tree-sitter keeps them as two nodes).
 */
function joinContinuedWords(source: string, nodes: SyntaxNode[]): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  // Each run of continued words is joined once (joining them pairwise was quadratic in a long run).
  let run: SyntaxNode[] = [];
  const flush = () => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length > 1) {
      const first = run[0];
      const last = run[run.length - 1];
      const children = run.flatMap((n) => (n.type === 'concatenation' ? n.children : [n]));
      out.push({ type: 'concatenation', tree: first.tree, children, text: run.map((n) => n.text).join(''), startPosition: first.startPosition, endPosition: last.endPosition, startIndex: first.startIndex, endIndex: last.endIndex } as unknown as SyntaxNode);
    }
    run = [];
  };
  for (const n of nodes) {
    const prev = run[run.length - 1];
    const gap = prev && source.slice(prev.endIndex, n.startIndex);
    // Nothing between two words also makes one (the grammar splits `$dir/$1` after the `$`).
    if (gap !== '\\\n' && gap !== '') flush();
    run.push(n);
  }
  flush();
  return out;
}

/** Any tool may be named by a plain line when only looking for the commands a script never reaches. */
const ANY_TOOL = () => true;

/** Where a plain line's command is: from its first word to its last. */
function plainSpan(line: PlainLine): Span {
  return { line: line.row, start: line.words[0].start, end: line.words[line.words.length - 1].end };
}

/** Command nodes whose name is an iptables tool written literally (without recursion: a tree can be deep). */
function iptablesCommandNodes(statements: SyntaxNode[]): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const stack = [...statements].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'command') {
      const name = n.childForFieldName('name')?.text;
      if (name && iptablesTool(name)) out.push(n);
    }
    const children = n.namedChildren;
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (c) stack.push(c);
    }
  }
  return out;
}

/** A JavaScript stack overflow: nesting deeper than the engine's stack, whatever the budget said. */
function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** How many times `char` ends `text` (a loop: a regular expression such as /\n+$/ is quadratic on long runs). */
export function trailing(text: string, char: string): number {
  let n = 0;
  while (n < text.length && text[text.length - 1 - n] === char) n++;
  return n;
}
