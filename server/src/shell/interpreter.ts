// A static evaluator for the bash (and dash) that firewall scripts are written
// in: it runs the script's own logic (variables, loops, functions, case,
// pipelines of text utilities, files the script writes) without running
// anything on the machine, and hands every iptables call to the host.
// What depends on the machine stays "unknown"; branches it cannot decide are
// followed both ways and marked conditional. Nothing is guessed silently.
// This file runs the script piece by piece and its statements, and answers
// the expander; state.ts holds variables and functions, assignments.ts sets
// them, commands.ts runs simple commands, control.ts the control flow,
// builtins.ts the builtins, testExpressions.ts test/[/[[, redirections.ts
// heredocs and files, firewallHost.ts is what it asks of the firewall.
import type { Span } from '../diagnostics';
import { evaluateArithmetic, UnknownValue } from './arithmetic';
import { assignment, declaration, unset } from './assignments';
import { findNode, Piece, ScriptPieces, SyntaxNode, Tree } from './bashParser';
import { standardPath } from './plainCommands';
import { Budget, DEFAULT_LIMITS, Limits, TooMuchWork } from './budget';
import { command, CommandParts, plainLine, plainSpan } from './commands';
import { caseStatement, cStyleFor, ExitSignal, forStatement, ifStatement, Leaving, list, LoopSignal, pipeline, ReturnSignal, whileStatement } from './control';
import { Expander, ExpansionHost } from './expansion';
import type { FirewallHost, RestoreInput, UndecidedFirewall } from './firewallHost';
import { globPattern } from './patterns';
import { redirected } from './redirections';
import { ShellState } from './state';
import { testCommand } from './testExpressions';
import { iptablesTool } from './tools';
import type { Machine } from './utilities';
import { concat, Field, known, ShellString, Status, unknown, VariableValue } from './values';
import { t } from '../l10n';
import type { Steps } from '../steps';

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

/** Top-level statements run in one step (steps.ts): a language server answers requests between steps. */
const STATEMENTS_PER_STEP = 16;

export class ShellInterpreter implements ExpansionHost {
  // The parts of the evaluator (commands.ts, assignments.ts, control.ts,
  // builtins.ts, redirections.ts, testExpressions.ts) work on the members below.
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
  /** The parts of the script's own commands, read from the tree once (a loop runs a command many times). */
  readonly commandParts = new Map<number, CommandParts>();
  /** The iptables commands the script never runs because it stopped before them (exit, set -e). */
  readonly unreached: Span[] = [];
  readonly notes: EvaluationNote[] = [];
  /** Where the script stopped early (exit, set -e), if it did. */
  stoppedAt?: { span: Span; reason: string };
  /** Where evaluation gave up because the script asked for too much work, and what it was. */
  gaveUp?: { span: Span; what: string };

  constructor(
    readonly source: string,
    readonly host: FirewallHost,
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
            plainLine(this, lines[i]);
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
    if (path === undefined) return true;
    if (path.kind !== 'scalar' || path.value.unknown) return false;
    // Asked for every line of a run, and again for the lines after a parsed piece: PATH is split once per value.
    if (this.pathRead?.text !== path.value.text) this.pathRead = { text: path.value.text, standard: standardPath(path.value.text) };
    return this.pathRead.standard;
  };

  /** The last PATH readsPlain looked at, and whether it is of system directories only. */
  private pathRead?: { text: string; standard: boolean };

  /** The script ran something that may change what a command name runs (an alias, `hash -p`...): every line takes the full path. */
  lookupChanged = false;

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

  /** Whether the node is of the script's own text (not of code eval or a heredoc made). */
  ownNode(node: SyntaxNode): boolean {
    return this.ownTrees.has(node.tree);
  }

  /** A command of the script ran (node ids are per tree: only the script's own commands count). */
  ran(node: SyntaxNode): void {
    if (this.ownNode(node)) this.executed.add(node.id);
  }

  /**
   * Where a node is, for the user. Positions in text the evaluator parsed
   * itself (eval, an unquoted heredoc, array values) mean nothing there: such
   * a node is reported at the statement of the script that ran it.
   * tree-sitter columns are UTF-16 code units for a JS string, as LSP wants them.
   */
  spanOf(node: SyntaxNode): Span {
    const own = this.ownNode(node) ? node : this.ownStatement;
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
    const text = concat(out.parts, this.budget);
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
    this.budget.value(this.stdout.length += text.text.length);
    this.stdout.parts.push(text);
  }

  /** A command run now may fail without that being an error: it is in a condition, or its errors go to /dev/null. */
  failureExpected(): boolean {
    return this.guardDepth > 0 || this.stderrDiscarded;
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
        status = command(this, node, []);
        break;
      case 'redirected_statement':
        status = redirected(this, node);
        break;
      case 'variable_assignment':
        assignment(this, node, false);
        status = 0;
        break;
      case 'variable_assignments':
        for (const c of node.namedChildren) if (c) assignment(this, c, false);
        status = 0;
        break;
      case 'declaration_command':
        status = declaration(this, node);
        break;
      case 'unset_command':
        status = unset(this, node);
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
  errexitCheck(status: Status, span: Span): void {
    if (this.state.errexit && status !== undefined && status !== 0 && this.guardDepth === 0 && !this.conditional) {
      this.stoppedAt = { span, reason: t('set -e: the script stops at line {0}, where a command fails', span.line + 1) };
      throw new ExitSignal(status);
    }
  }

  // ---- code and files the script makes at run time ---------------------------------------

  /** Expands a small piece of text written in the script (array keys and values). */
  expandFragment(text: string): ShellString {
    this.budget.scan(text.length);
    const tree = this.reparse(`: ${text}\n`);
    const cmd = findNode(tree.rootNode, 'command');
    const arg = cmd?.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'command_name')[0];
    return arg ? this.expander.single(arg) : known('');
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
    this.files.set(path, { text: concat(out.parts, this.budget) });
    return path;
  }
}

/** Any tool may be named by a plain line when only looking for the commands a script never reaches. */
const ANY_TOOL = () => true;

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
