// A static evaluator for the bash (and dash) that firewall scripts are written
// in: it runs the script's own logic (variables, loops, functions, case,
// pipelines of text utilities, files the script writes) without running
// anything on the machine, and hands every iptables call to the host.
// What depends on the machine stays "unknown"; branches it cannot decide are
// followed both ways and marked conditional. Nothing is guessed silently.
import type { Span } from '../diagnostics';
import type { Family } from '../knowledge';
import { evaluateArithmetic, UnknownValue } from './arithmetic';
import type { SyntaxNode, Tree } from './bashParser';
import { Expander, ExpansionHost, globToRegExp } from './expansion';
import { iptablesTool, IptablesTool, isMultiCall, prefixLength } from './tools';
import { Machine, runUtility } from './utilities';
import { concat, Field, known, ShellString, Status, unknown, VariableValue } from './values';

/** Where a command runs: what the evaluator could not decide on the way there. */
export interface CallContext {
  /** Inside a condition, or before `||`/`&&`: a failure is expected, not an error. */
  guarded: boolean;
  /** The branch was taken without knowing whether it would be (the reason). */
  conditional?: string;
  /** The command node in the script. */
  node: SyntaxNode;
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
}

export interface EvaluationNote {
  span: Span;
  message: string;
}

export interface ShellOptions {
  /** `#!/bin/sh`: dash, which refuses some bash syntax at run time. */
  posix: boolean;
  /** The machine the script is for, when known: `ip addr` and /sys/class/net answer from it. */
  machine?: Machine;
  /** Bound on evaluation steps, so a pathological script cannot hang the editor. */
  maxSteps?: number;
}

class ExitSignal { constructor(readonly status: Status) {} }
class ReturnSignal { constructor(readonly status: Status) {} }
class LoopSignal { constructor(readonly kind: 'break' | 'continue', readonly levels: number) {} }
class StepLimit {}

interface Frame {
  locals: Map<string, VariableValue>;
  positional: Field[];
}

interface Snapshot {
  globals: Map<string, VariableValue>;
  frames: Frame[];
  functions: Map<string, SyntaxNode>;
  errexit: boolean;
  pipefail: boolean;
  topPositional: Field[];
}

/** Standard output being collected (command substitution, pipes), or discarded. */
interface Output {
  parts: ShellString[];
}

/** Standard input: known text with a read position, or unknown. */
interface Input {
  text: ShellString;
  at: number;
}

interface VirtualFile {
  text: ShellString;
  origin?: RestoreInput['origin'];
}

const BUILTIN_NOOPS = new Set([':', 'true', 'cd', 'umask', 'trap', 'ulimit', 'hash', 'shopt', 'alias', 'unalias', 'wait', 'sleep', 'logger', 'modprobe', 'sysctl', 'systemctl', 'service', 'chmod', 'chown', 'mkdir', 'touch', 'sync', 'ln', 'rm', 'clear', 'stty', 'renice', 'disown', 'ipset', 'conntrack', 'tc']);
const KNOWN_COMMANDS = /^(iptables|ip6tables|iptables-restore|ip6tables-restore|iptables-save|ip6tables-save|ip|grep|sort|uniq|awk|sed|cat|echo|printf|cut|tr|wc|seq|head|tail|mktemp|sysctl|modprobe|logger|id|sudo|ipset|tc|conntrack)$/;

export class ShellInterpreter implements ExpansionHost {
  private globals = new Map<string, VariableValue>();
  private frames: Frame[] = [];
  private functions = new Map<string, SyntaxNode>();
  private topPositional: Field[] = [];
  private errexit = false;
  private pipefail = false;
  private lastStatus: Status = 0;
  private guardDepth = 0;
  private conditional: string | undefined;
  private stdout: Output | undefined;
  private stdin: Input | undefined;
  private readonly files = new Map<string, VirtualFile>();
  private tempCounter = 0;
  private steps = 0;
  private readonly expander: Expander;
  private readonly lines: string[];
  /** The script's own tree (code from eval and heredocs is parsed into others). */
  private tree: Tree | undefined;
  /** Command nodes that ran at least once. */
  readonly executed = new Set<number>();
  readonly notes: EvaluationNote[] = [];
  /** Where the script stopped early (exit, set -e), if it did. */
  stoppedAt?: { span: Span; reason: string };

  constructor(
    private readonly source: string,
    private readonly host: FirewallHost,
    private readonly options: ShellOptions,
    private readonly reparse: (text: string) => Tree,
  ) {
    this.expander = new Expander(this);
    this.lines = source.split('\n');
    this.globals.set('IFS', { kind: 'scalar', value: known(' \t\n') });
  }

  run(tree: Tree): void {
    this.tree = tree;
    try {
      this.block(tree.rootNode.namedChildren);
    } catch (e) {
      if (e instanceof ExitSignal || e instanceof ReturnSignal || e instanceof LoopSignal) return;
      if (e instanceof StepLimit) {
        this.notes.push({ span: this.spanOf(tree.rootNode), message: 'the script is too long to follow to the end; the rules after this point are not known' });
        return;
      }
      throw e;
    }
  }

  // ---- positions ---------------------------------------------------------------

  /** tree-sitter columns are UTF-16 code units for a JS string, as LSP wants them. */
  spanOf(node: SyntaxNode): Span {
    if (this.spanOverride) return this.spanOverride;
    const { row, column } = node.startPosition;
    const end = node.endPosition.row === row ? node.endPosition.column : (this.lines[row] ?? '').length;
    return { line: row, start: column, end };
  }

  literalSpan(node: SyntaxNode, offset: number, text: string): Span | undefined {
    if (this.spanOverride || node.tree !== this.tree || text.includes('\n')) return undefined;
    const { row, column } = node.startPosition;
    return { line: row, start: column + offset, end: column + offset + text.length };
  }

  // ---- variables (ExpansionHost) ---------------------------------------------------

  variable(name: string): VariableValue | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const v = this.frames[i].locals.get(name);
      if (v) return v;
    }
    return this.globals.get(name);
  }

  private setVariable(name: string, value: VariableValue, local = false): void {
    if (local && this.frames.length) {
      this.frames[this.frames.length - 1].locals.set(name, value);
      return;
    }
    for (let i = this.frames.length - 1; i >= 0; i--) {
      if (this.frames[i].locals.has(name)) {
        this.frames[i].locals.set(name, value);
        return;
      }
    }
    this.globals.set(name, value);
  }

  assign(name: string, value: ShellString): void {
    this.setVariable(name, { kind: 'scalar', value });
  }

  positional(): Field[] {
    return this.frames.length ? this.frames[this.frames.length - 1].positional : this.topPositional;
  }

  private setPositional(fields: Field[]): void {
    if (this.frames.length) this.frames[this.frames.length - 1].positional = fields;
    else this.topPositional = fields;
  }

  special(name: string): ShellString {
    switch (name) {
      case '#': return known(String(this.positional().length));
      case '?': return this.lastStatus === undefined ? unknown('the exit status of a command that depends on the machine') : known(String(this.lastStatus));
      case '0': return known('script.sh');
      case '$': return unknown('the process id');
      case '!': return unknown('the last background process id');
      case '-': return known(this.errexit ? 'e' : '');
      default: return unknown(`$${name}`);
    }
  }

  ifs(): string {
    const v = this.variable('IFS');
    return v?.kind === 'scalar' && !v.value.unknown ? v.value.text : ' \t\n';
  }

  commandSubstitution(node: SyntaxNode): ShellString {
    const body = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
    const out = this.capture(() => this.inSubshell(() => this.block(body)));
    if (node.type === 'process_substitution') return known(this.tempFile(out));
    return concat(out.parts).unknown ? unknown(`$(${node.text.replace(/^\$\(|^`|\)$|`$/g, '').trim()})`) : known(concat(out.parts).text.replace(/\n+$/, ''));
  }

  arithmetic(text: string): ShellString {
    try {
      return known(String(evaluateArithmetic(this.expandArithmeticText(text), this.arithmeticScope())));
    } catch (e) {
      return unknown(e instanceof UnknownValue ? `$((${text})) with an unknown ${e.message}` : `$((${text}))`);
    }
  }

  /** $x, ${x}, ${#a[@]}... inside arithmetic are expanded before it is evaluated. */
  private expandArithmeticText(text: string): string {
    return text.replace(/\$\{[^}]*\}|\$[A-Za-z_]\w*|\$\d+|\$#/g, (ref: string) => {
      const v = this.expandFragment(ref);
      if (v.unknown) throw new UnknownValue(ref);
      return v.text;
    }).replace(/\$\(\(|\)\)$/g, '');
  }

  private arithmeticScope() {
    return {
      get: (name: string): string | undefined | null => {
        const v = this.variable(name);
        if (!v) return undefined;
        const s = v.kind === 'scalar' ? v.value : v.kind === 'indexed' ? v.items[0] : v.items.get('0');
        return s?.unknown ? null : s?.text;
      },
      set: (name: string, value: number) => this.assign(name, known(String(value))),
    };
  }

  // ---- state snapshots (subshells and undecidable branches) ----------------------------

  private snapshot(): Snapshot {
    const copyVars = (m: Map<string, VariableValue>) => new Map([...m].map(([k, v]) => [k, copyValue(v)]));
    return {
      globals: copyVars(this.globals),
      frames: this.frames.map((f) => ({ locals: copyVars(f.locals), positional: [...f.positional] })),
      functions: new Map(this.functions),
      errexit: this.errexit,
      pipefail: this.pipefail,
      topPositional: [...this.topPositional],
    };
  }

  private restoreSnapshot(s: Snapshot): void {
    this.globals = s.globals;
    this.frames = s.frames;
    this.functions = s.functions;
    this.errexit = s.errexit;
    this.pipefail = s.pipefail;
    this.topPositional = s.topPositional;
  }

  private inSubshell<T>(body: () => T): T {
    const saved = this.snapshot();
    try {
      return body();
    } catch (e) {
      if (e instanceof ExitSignal) {
        this.lastStatus = e.status;
        return undefined as T;
      }
      throw e;
    } finally {
      this.restoreSnapshot(saved);
    }
  }

  private capture(body: () => void): Output {
    const saved = this.stdout;
    const out: Output = { parts: [] };
    this.stdout = out;
    try {
      body();
    } finally {
      this.stdout = saved;
    }
    return out;
  }

  private write(text: ShellString): void {
    this.stdout?.parts.push(text);
  }

  private guarded<T>(body: () => T): T {
    this.guardDepth++;
    try {
      return body();
    } finally {
      this.guardDepth--;
    }
  }

  /**
   * Runs alternatives that the evaluator cannot choose between (an unknown
   * condition): each on the state before, then merges the variables. An
   * alternative that ends the script (exit) is taken to be the one that does
   * not happen, since the script is read as it runs to its end.
   */
  private undecided(reason: string, alternatives: (() => void)[]): void {
    const before = this.snapshot();
    const after: Snapshot[] = [];
    const outerConditional = this.conditional;
    let exits = 0;
    let lastExit: ExitSignal | undefined;
    for (const alt of alternatives) {
      this.restoreSnapshot(cloneSnapshot(before));
      this.conditional = outerConditional ?? reason;
      try {
        alt();
        after.push(this.snapshot());
      } catch (e) {
        if (e instanceof ExitSignal) { exits++; lastExit = e; continue; }
        if (e instanceof ReturnSignal || e instanceof LoopSignal) { after.push(this.snapshot()); continue; }
        throw e;
      } finally {
        this.conditional = outerConditional;
      }
    }
    if (after.length === 0) {
      this.restoreSnapshot(before);
      throw lastExit ?? new ExitSignal(undefined);
    }
    this.restoreSnapshot(mergeSnapshots(after, reason));
    if (exits) this.lastStatus = 0;
  }

  // ---- statements ------------------------------------------------------------------

  private block(nodes: (SyntaxNode | null)[]): Status {
    let status: Status = 0;
    for (const n of nodes) if (n) status = this.statement(n);
    return status;
  }

  private tick(): void {
    if (++this.steps > (this.options.maxSteps ?? 200_000)) throw new StepLimit();
  }

  private statement(node: SyntaxNode): Status {
    this.tick();
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
        status = this.redirected(node);
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
        return this.list(node);
      case 'pipeline':
        status = this.pipeline(node);
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
        return this.ifStatement(node);
      case 'while_statement':
        return this.whileStatement(node);
      case 'for_statement':
        return this.forStatement(node);
      case 'c_style_for_statement':
        return this.cStyleFor(node);
      case 'case_statement':
        return this.caseStatement(node);
      case 'function_definition': {
        const name = node.childForFieldName('name')?.text ?? node.namedChildren[0]?.text;
        if (name) this.functions.set(name, node);
        status = 0;
        break;
      }
      case 'test_command':
        status = this.testCommand(node);
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

  /** set -e: a failing command outside any condition ends the script. */
  private errexitCheck(status: Status, node: SyntaxNode): void {
    if (this.errexit && status !== undefined && status !== 0 && this.guardDepth === 0 && !this.conditional) {
      this.stoppedAt = { span: this.spanOf(node), reason: `set -e: the script stops at line ${node.startPosition.row + 1}, where a command fails` };
      throw new ExitSignal(status);
    }
  }

  private list(node: SyntaxNode): Status {
    const kids = node.children.filter((c): c is SyntaxNode => c !== null);
    // Left-associative: (a && b) || c; the operands before the last operator are guarded.
    const operators = kids.filter((k) => k.type === '&&' || k.type === '||');
    const operands = kids.filter((k) => k.type !== '&&' && k.type !== '||');
    let status = this.guarded(() => this.statement(operands[0]));
    for (let i = 0; i < operators.length; i++) {
      const op = operators[i].type;
      const operand = operands[i + 1];
      const last = i === operators.length - 1;
      const run = () => (last ? this.statement(operand) : this.guarded(() => this.statement(operand)));
      if (status === undefined) {
        const reason = `\`${operands[i].text.split('\n')[0]}\` may succeed or fail`;
        this.undecided(reason, [() => { status = run(); }, () => {}]);
        status = undefined;
        continue;
      }
      if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) status = run();
    }
    this.lastStatus = status;
    return status;
  }

  private pipeline(node: SyntaxNode): Status {
    const stages = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
    let input = this.stdin;
    let status: Status = 0;
    let failed: Status = 0;
    for (let i = 0; i < stages.length; i++) {
      const last = i === stages.length - 1;
      const savedIn = this.stdin;
      this.stdin = input;
      try {
        // Every stage of a pipeline runs in a subshell: its variables are lost (bash without lastpipe).
        if (last) {
          status = this.inSubshell(() => this.statement(stages[i]));
        } else {
          const out = this.capture(() => { status = this.inSubshell(() => this.statement(stages[i])); });
          input = { text: concat(out.parts), at: 0 };
        }
      } finally {
        this.stdin = savedIn;
      }
      if (status !== 0) failed = status;
    }
    return this.pipefail ? failed : status;
  }

  private ifStatement(node: SyntaxNode): Status {
    // if COND then BODY [elif COND then BODY]... [else BODY]
    const clauses: { cond?: SyntaxNode[]; body: SyntaxNode[] }[] = [];
    let cur: { cond?: SyntaxNode[]; body: SyntaxNode[] } = { cond: [], body: [] };
    let inCond = true;
    for (const c of node.children) {
      if (!c) continue;
      if (c.type === 'if' || c.type === 'fi') continue;
      if (c.type === 'then') { inCond = false; continue; }
      if (c.type === 'elif_clause' || c.type === 'else_clause') {
        clauses.push(cur);
        const isElse = c.type === 'else_clause';
        const parts = c.children.filter((x): x is SyntaxNode => x !== null);
        const thenAt = parts.findIndex((x) => x.type === 'then');
        cur = isElse
          ? { body: parts.filter((x) => x.type !== 'else') }
          : { cond: parts.slice(1, thenAt).filter((x) => x.isNamed), body: parts.slice(thenAt + 1).filter((x) => x.isNamed) };
        inCond = false;
        continue;
      }
      if (!c.isNamed) continue;
      (inCond ? cur.cond! : cur.body).push(c);
    }
    clauses.push(cur);
    return this.chooseClause(clauses, 0);
  }

  private chooseClause(clauses: { cond?: SyntaxNode[]; body: SyntaxNode[] }[], i: number): Status {
    if (i >= clauses.length) return 0;
    const clause = clauses[i];
    if (!clause.cond) return this.block(clause.body);
    const status = this.guarded(() => this.block(clause.cond!));
    if (status === 0) return this.block(clause.body);
    if (status !== undefined) return this.chooseClause(clauses, i + 1);
    let result: Status;
    const reason = `\`${clause.cond.map((c) => c.text).join('; ').split('\n')[0]}\` cannot be decided here`;
    this.undecided(reason, [() => { result = this.block(clause.body); }, () => { result = this.chooseClause(clauses, i + 1); }]);
    return result;
  }

  private loopBody(body: SyntaxNode[]): 'break' | 'continue' | undefined {
    try {
      this.block(body);
      return undefined;
    } catch (e) {
      if (e instanceof LoopSignal) {
        if (e.levels > 1) throw new LoopSignal(e.kind, e.levels - 1);
        return e.kind;
      }
      throw e;
    }
  }

  private doGroup(node: SyntaxNode): SyntaxNode[] {
    const group = node.namedChildren.find((c) => c?.type === 'do_group' || c?.type === 'compound_statement');
    return group ? group.namedChildren.filter((c): c is SyntaxNode => c !== null) : [];
  }

  private whileStatement(node: SyntaxNode): Status {
    const until = node.children[0]?.type === 'until';
    const condNodes = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'do_group');
    const body = this.doGroup(node);
    for (let round = 0; ; round++) {
      if (round >= 10_000) {
        this.notes.push({ span: this.spanOf(node), message: 'this loop was followed for 10,000 rounds and then given up' });
        return 0;
      }
      let status = this.guarded(() => this.block(condNodes));
      if (status !== undefined && until) status = status === 0 ? 1 : 0;
      if (status === undefined) {
        this.undecided(`whether \`${condNodes.map((c) => c.text).join('; ').split('\n')[0]}\` goes on`, [() => { this.loopBody(body); }, () => {}]);
        return 0;
      }
      if (status !== 0) return 0;
      if (this.loopBody(body) === 'break') return 0;
    }
  }

  private forStatement(node: SyntaxNode): Status {
    const variable = node.childForFieldName('variable')?.text ?? node.namedChildren[0]?.text ?? '';
    const valueNodes = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'variable_name' && c.type !== 'do_group' && c !== node.childForFieldName('variable'));
    const hasIn = node.children.some((c) => c?.type === 'in');
    const fields = hasIn ? this.expander.fields(valueNodes) : this.positional();
    const body = this.doGroup(node);
    if (fields.some((f) => f.unknown)) {
      const reason = fields.find((f) => f.unknown)!.unknown!;
      this.undecided(`the list of the \`for\` loop (${reason})`, [() => {
        this.assign(variable, unknown(`each word of ${reason}`));
        this.loopBody(body);
      }]);
      return 0;
    }
    for (const f of fields) {
      this.setVariable(variable, { kind: 'scalar', value: f.source ? { text: f.text, source: f.source } : known(f.text) });
      if (this.loopBody(body) === 'break') break;
    }
    return 0;
  }

  private cStyleFor(node: SyntaxNode): Status {
    const m = /^for\s*\(\((.*?);(.*?);(.*?)\)\)/s.exec(node.text);
    if (!m) return undefined;
    const body = this.doGroup(node);
    const run = (expr: string) => (expr.trim() ? this.arithmetic(expr) : known('1'));
    run(m[1]);
    for (let round = 0; round < 10_000; round++) {
      const cond = run(m[2]);
      if (cond.unknown) {
        this.undecided('the condition of a `for ((...))` loop', [() => { this.loopBody(body); }]);
        return 0;
      }
      if (Number(cond.text) === 0) return 0;
      if (this.loopBody(body) === 'break') return 0;
      run(m[3]);
    }
    return 0;
  }

  private caseStatement(node: SyntaxNode): Status {
    const subjectNode = node.childForFieldName('value') ?? node.namedChildren[0]!;
    const subject = this.expander.single(subjectNode);
    const items = node.namedChildren.filter((c): c is SyntaxNode => c?.type === 'case_item');
    const parsed = items.map((item) => {
      const kids = item.children.filter((c): c is SyntaxNode => c !== null);
      const close = kids.findIndex((c) => c.type === ')');
      const patterns = kids.slice(0, close).filter((c) => c.type !== '|' && c.type !== '(');
      const terminator = kids.find((c) => c.type === ';;' || c.type === ';&' || c.type === ';;&')?.type ?? ';;';
      const body = kids.slice(close + 1).filter((c) => c.isNamed);
      return { patterns, terminator, body };
    });
    const matches = (i: number): boolean | undefined => {
      if (subject.unknown) return undefined;
      return parsed[i].patterns.some((p) => this.patternRegExp(p).test(subject.text));
    };
    if (subject.unknown) {
      this.undecided(`which branch of \`case ${subjectNode.text}\` runs`, [...parsed.map((p) => () => { this.block(p.body); }), () => {}]);
      return 0;
    }
    let status: Status = 0;
    for (let i = 0; i < parsed.length; i++) {
      if (!matches(i)) continue;
      status = this.block(parsed[i].body);
      let t = parsed[i].terminator;
      while (t === ';&' && i + 1 < parsed.length) {
        i++;
        status = this.block(parsed[i].body);
        t = parsed[i].terminator;
      }
      if (t !== ';;&') break;
    }
    return status;
  }

  /** A case pattern: quoted parts are literal, the rest is a glob. */
  private patternRegExp(node: SyntaxNode): RegExp {
    const parts = node.type === 'concatenation' ? node.children.filter((c): c is SyntaxNode => c !== null) : [node];
    let glob = '';
    for (const p of parts) {
      if (p.type === 'string' || p.type === 'raw_string') glob += this.expander.single(p).text.replace(/[*?[\]\\]/g, '\\$&');
      else glob += this.expander.single(p).text;
    }
    return globToRegExp(glob);
  }

  // ---- commands ------------------------------------------------------------------------

  private redirected(node: SyntaxNode): Status {
    const body = node.childForFieldName('body') ?? node.namedChildren[0]!;
    const redirects = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c !== body);
    return this.withRedirects(redirects, () => this.statement(body));
  }

  /** Runs `body` with its redirections: heredocs and files as input, files as output. */
  private withRedirects(redirects: SyntaxNode[], body: () => Status): Status {
    const savedIn = this.stdin;
    const savedOut = this.stdout;
    let outFile: { path: string; append: boolean; parts: ShellString[] } | undefined;
    let restoreOrigin: RestoreInput['origin'];
    for (const r of redirects) {
      if (r.type === 'heredoc_redirect') {
        const heredoc = this.heredoc(r);
        this.stdin = { text: heredoc.text, at: 0 };
        restoreOrigin = heredoc.origin;
      } else if (r.type === 'herestring_redirect') {
        const word = r.namedChildren[0];
        this.stdin = { text: word ? concat([this.expander.single(word), known('\n')]) : known('\n'), at: 0 };
      } else if (r.type === 'file_redirect') {
        const op = r.children.find((c) => c !== null && /^[<>&|]+$/.test(c.type))?.type ?? '>';
        const fd = r.children.find((c) => c?.type === 'file_descriptor')?.text;
        const target = r.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'file_descriptor').pop();
        if (!target) continue;
        const path = this.expander.single(target);
        if (op === '<') {
          const f = path.unknown ? undefined : this.files.get(path.text);
          this.stdin = { text: f ? f.text : unknown(`the contents of ${path.text}`), at: 0 };
          restoreOrigin = f?.origin;
        } else if ((op === '>' || op === '>>' || op === '>|') && (fd === undefined || fd === '1') && !path.unknown && path.text !== '/dev/null') {
          outFile = { path: path.text, append: op === '>>', parts: [] };
          this.stdout = { parts: outFile.parts };
        } else if ((op === '>' || op === '>>') && (fd === undefined || fd === '1')) {
          this.stdout = undefined;
        } else if (op === '>&' && fd === undefined && path.text === '2') {
          this.stdout = undefined;
        }
      }
    }
    try {
      this.pendingRestoreOrigin = restoreOrigin;
      return body();
    } finally {
      this.pendingRestoreOrigin = undefined;
      this.stdin = savedIn;
      this.stdout = savedOut;
      if (outFile) {
        const prev = outFile.append ? this.files.get(outFile.path) : undefined;
        const text = concat([...(prev ? [prev.text] : []), ...outFile.parts]);
        this.files.set(outFile.path, { text, origin: outFile.append ? undefined : restoreOrigin });
      }
    }
  }

  private pendingRestoreOrigin: RestoreInput['origin'];

  /** A heredoc's text (expanded unless the delimiter is quoted), and where its lines are. */
  private heredoc(node: SyntaxNode): { text: ShellString; origin: RestoreInput['origin'] } {
    const start = node.children.find((c) => c?.type === 'heredoc_start');
    const bodyNode = node.children.find((c) => c?.type === 'heredoc_body') ?? this.heredocBodyAfter(node);
    const quoted = !!start && /['"\\]/.test(start.text);
    const stripTabs = node.children.some((c) => c?.type === '<<-');
    if (!bodyNode) return { text: known(''), origin: undefined };
    let raw = bodyNode.text;
    const firstLine = bodyNode.startPosition.row;
    const firstColumn = bodyNode.startPosition.column;
    const tabs: number[] = [];
    raw = raw.split('\n').map((l) => {
      const stripped = stripTabs ? l.replace(/^\t+/, '') : l;
      tabs.push(l.length - stripped.length);
      return stripped;
    }).join('\n');
    const origin = (line: number) => ({ line: firstLine + line, column: (line === 0 ? firstColumn : 0) + (tabs[line] ?? 0) });
    if (quoted) return { text: known(raw), origin };
    return { text: this.expandHeredoc(raw), origin };
  }

  private heredocBodyAfter(node: SyntaxNode): SyntaxNode | undefined {
    return node.parent?.namedChildren.find((c) => c?.type === 'heredoc_body') ?? undefined;
  }

  /** Parameter, command and arithmetic expansion in an unquoted heredoc. */
  private expandHeredoc(raw: string): ShellString {
    const tree = this.reparse(`cat <<__HEREDOC__\n${raw}${raw.endsWith('\n') ? '' : '\n'}__HEREDOC__\n`);
    const body = findNode(tree.rootNode, 'heredoc_body');
    if (!body) return known(raw);
    const parts: ShellString[] = [];
    let at = body.startIndex;
    for (const c of body.namedChildren) {
      if (!c || c.type === 'heredoc_content') continue;
      parts.push(known(unescapeHeredoc(body.text.slice(at - body.startIndex, c.startIndex - body.startIndex))));
      parts.push(this.expander.single(c));
      at = c.endIndex;
    }
    parts.push(known(unescapeHeredoc(body.text.slice(at - body.startIndex))));
    const text = concat(parts);
    return raw.endsWith('\n') ? text : { ...text, text: text.text.replace(/\n$/, '') };
  }

  private assignment(node: SyntaxNode, local: boolean, into?: Map<string, VariableValue>): void {
    const nameNode = node.childForFieldName('name') ?? node.namedChildren[0];
    const valueNode = node.childForFieldName('value') ?? node.namedChildren[1];
    if (!nameNode) return;
    const append = node.children.some((c) => c?.type === '+=');
    let name = nameNode.text;
    let index: string | undefined;
    const sub = /^([A-Za-z_]\w*)\[(.*)\]$/.exec(name);
    if (sub) [, name, index] = sub;
    const set = (v: VariableValue) => (into ? into.set(name, v) : this.setVariable(name, v, local));
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
      const prev = append && existing?.kind === 'indexed' ? existing.items : [];
      set({ kind: 'indexed', items: [...prev, ...fields.map((f): ShellString => (f.unknown ? { text: f.text, unknown: f.unknown } : known(f.text)))] });
      return;
    }
    let value = valueNode ? this.expander.single(valueNode) : known('');
    const existing = this.variable(name);
    if (index !== undefined) {
      if (existing?.kind === 'assoc') {
        const items = new Map(existing.items);
        items.set(this.expandFragment(index).text, value);
        set({ kind: 'assoc', items });
      } else {
        const i = Number(this.arithmetic(index).text);
        const items = existing?.kind === 'indexed' ? [...existing.items] : existing?.kind === 'scalar' ? [existing.value] : [];
        items[i] = value;
        set({ kind: 'indexed', items });
      }
      return;
    }
    if (append && existing?.kind === 'scalar') value = concat([existing.value, value]);
    if (append && existing?.kind === 'indexed') {
      set({ kind: 'indexed', items: [...existing.items, value] });
      return;
    }
    set({ kind: 'scalar', value });
  }

  /** Expands a small piece of text written in the script (array keys and values). */
  private expandFragment(text: string): ShellString {
    const tree = this.reparse(`: ${text}\n`);
    const cmd = findNode(tree.rootNode, 'command');
    const arg = cmd?.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'command_name')[0];
    return arg ? this.expander.single(arg) : known('');
  }

  private declaration(node: SyntaxNode): Status {
    const keyword = node.children[0]?.text ?? 'declare';
    const flags = node.namedChildren.filter((c) => c?.type === 'word' && c.text.startsWith('-')).map((c) => c!.text).join('');
    // declare in a function is local unless -g, like local itself.
    const local = keyword === 'local' || (keyword !== 'export' && keyword !== 'readonly' && this.frames.length > 0 && !flags.includes('g'));
    const empty = (): VariableValue => (flags.includes('A') ? { kind: 'assoc', items: new Map() } : flags.includes('a') ? { kind: 'indexed', items: [] } : { kind: 'scalar', value: known('') });
    for (const c of node.namedChildren) {
      if (!c || (c.type === 'word' && c.text.startsWith('-'))) continue;
      if (c.type === 'variable_assignment') {
        const name = (c.childForFieldName('name') ?? c.namedChildren[0])?.text ?? '';
        if (flags.includes('A') && !this.variable(name)) this.setVariable(name, empty(), local);
        this.assignment(c, local);
      } else if (local || !this.variable(c.text)) {
        this.setVariable(c.text, empty(), local);
      }
    }
    return 0;
  }

  private unset(node: SyntaxNode): Status {
    const words = node.namedChildren.filter((c): c is SyntaxNode => c !== null).map((c) => c.text);
    const functions = words.includes('-f');
    for (const w of words.filter((x) => !x.startsWith('-'))) {
      if (functions) this.functions.delete(w);
      else {
        for (const f of this.frames) f.locals.delete(w);
        this.globals.delete(w);
      }
    }
    return 0;
  }

  private testCommand(node: SyntaxNode): Status {
    const text = node.text.trim();
    if (text.startsWith('[[')) {
      if (this.options.posix) {
        // dash has no [[: "[[: not found", status 127.
        this.notes.push({ span: this.spanOf(node), message: '`[[` is bash: dash (/bin/sh) answers "[[: not found"' });
        return 127;
      }
      return this.doubleBracket(text.slice(2, -2));
    }
    const inner = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
    return inner.length ? this.testExpression(inner[0], false) : 1;
  }

  /**
   * `[[ ... ]]`, read from its text (tree-sitter's grouping of && and =~ is not
   * bash's): || binds looser than &&, then !, then the comparisons.
   */
  private doubleBracket(text: string): Status {
    const tokens = [...text.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|\$\{[^}]*\}|\$\([^)]*\)|&&|\|\||[()!]|[^\s()&|!"']+(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s()&|])*/g)].map((m) => m[0]);
    let i = 0;
    const or = (): Status => {
      let a = and();
      while (tokens[i] === '||') { i++; const b = and(); a = a === 0 || b === 0 ? 0 : a === undefined || b === undefined ? undefined : 1; }
      return a;
    };
    const and = (): Status => {
      let a = not();
      while (tokens[i] === '&&') { i++; const b = not(); a = a === 1 || b === 1 ? 1 : a === undefined || b === undefined ? undefined : 0; }
      return a;
    };
    const not = (): Status => {
      if (tokens[i] === '!') { i++; return invert(not()); }
      if (tokens[i] === '(') { i++; const v = or(); i++; return v; }
      const left = tokens[i++] ?? '';
      const op = tokens[i];
      if (op && /^(==?|!=|=~|<|>|-(eq|ne|lt|le|gt|ge|nt|ot|ef))$/.test(op)) {
        i++;
        const right = tokens[i++] ?? '';
        const r = op === '=~' ? known(right.replace(/^(['"])(.*)\1$/, '$2')) : this.expandFragment(right);
        // An unquoted right side of == is a pattern; a quoted one is literal text.
        return this.compareStrings(this.expandFragment(left), op, r, op !== '=~' && !/^["']/.test(right));
      }
      if (/^-[a-zA-Z]$/.test(left) && op !== undefined && op !== '&&' && op !== '||' && op !== ')') {
        i++;
        return this.unaryTest(left, this.expandFragment(op));
      }
      const v = this.expandFragment(left);
      return v.unknown ? undefined : v.text !== '' ? 0 : 1;
    };
    return or();
  }

  /** [ ] / [[ ]] expressions from the tree (binary/unary/parenthesized/negated). */
  private testExpression(node: SyntaxNode, double: boolean): Status {
    switch (node.type) {
      case 'binary_expression': {
        const [left, right] = [node.childForFieldName('left') ?? node.namedChildren[0], node.childForFieldName('right') ?? node.namedChildren[node.namedChildren.length - 1]];
        const op = node.childForFieldName('operator')?.text ?? node.children.find((c) => c && !c.isNamed)?.text ?? '';
        if (op === '&&' || op === '-a' || op === '||' || op === '-o') {
          const a = this.testExpression(left!, double);
          if ((op === '&&' || op === '-a') && a === 1) return 1;
          if ((op === '||' || op === '-o') && a === 0) return 0;
          const b = this.testExpression(right!, double);
          if (a === undefined || b === undefined) return undefined;
          return op === '&&' || op === '-a' ? (a === 0 && b === 0 ? 0 : 1) : (a === 0 || b === 0 ? 0 : 1);
        }
        const l = this.expander.single(left!);
        const r = op === '=~' ? known(right!.text) : this.expander.single(right!);
        if (op === '==' && this.options.posix && !double) return this.dashDoubleEquals(right!);
        return this.compareStrings(l, op, r, false);
      }
      case 'unary_expression': {
        const op = node.children[0]?.text ?? '';
        const operand = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'test_operator').pop();
        if (op === '!') return invert(this.testExpression(operand!, double));
        const v = operand ? this.expander.single(operand) : known('');
        return this.unaryTest(op, v);
      }
      case 'parenthesized_expression':
        return this.testExpression(node.namedChildren[0]!, double);
      case 'negated_command':
        return invert(this.testExpression(node.namedChildren[0]!, double));
      default: {
        // [ "$x" ]: a single word is true when not empty.
        const v = this.expander.single(node);
        return v.unknown ? undefined : v.text !== '' ? 0 : 1;
      }
    }
  }

  /** dash's [ does not know ==: it prints "unexpected operator" and the test fails (status 2). */
  private dashDoubleEquals(node: SyntaxNode): Status {
    this.notes.push({ span: this.spanOf(node), message: '`==` is not POSIX: dash (/bin/sh) fails this test with "unexpected operator"; use `=`' });
    return 2;
  }

  /** A comparison of test / [ / [[; `pattern`: the right side of == and != is a glob ([[ only). */
  private compareStrings(l: ShellString, op: string, r: ShellString, pattern: boolean): Status {
    if (l.unknown || r.unknown) return undefined;
    switch (op) {
      case '=':
      case '==':
        return (pattern ? globToRegExp(r.text).test(l.text) : l.text === r.text) ? 0 : 1;
      case '!=':
        return (pattern ? !globToRegExp(r.text).test(l.text) : l.text !== r.text) ? 0 : 1;
      case '=~':
        try { return new RegExp(r.text).test(l.text) ? 0 : 1; } catch { return 2; }
      case '<': return l.text < r.text ? 0 : 1;
      case '>': return l.text > r.text ? 0 : 1;
      case '-eq': case '-ne': case '-lt': case '-le': case '-gt': case '-ge': {
        const a = Number(l.text.trim());
        const b = Number(r.text.trim());
        if (!Number.isInteger(a) || !Number.isInteger(b)) return 2;
        const result = { '-eq': a === b, '-ne': a !== b, '-lt': a < b, '-le': a <= b, '-gt': a > b, '-ge': a >= b }[op];
        return result ? 0 : 1;
      }
      default:
        return undefined;
    }
  }

  private unaryTest(op: string, v: ShellString): Status {
    switch (op) {
      case '-n': return v.unknown ? undefined : v.text !== '' ? 0 : 1;
      case '-z': return v.unknown ? undefined : v.text === '' ? 0 : 1;
      case '-v': return v.unknown ? undefined : this.variable(v.text) ? 0 : 1;
      case '-d':
        // /sys/class/net/IF exists when the machine has that interface.
        if (!v.unknown && this.options.machine && v.text.startsWith('/sys/class/net/')) {
          return this.options.machine.interfaces.some((i) => i.name === v.text.slice('/sys/class/net/'.length)) ? 0 : 1;
        }
        return undefined;
      case '-f':
      case '-e':
      case '-s':
      case '-r':
        // Only files the script wrote itself are known.
        if (!v.unknown && this.files.has(v.text)) return op === '-s' ? (this.files.get(v.text)!.text.text !== '' ? 0 : 1) : 0;
        return undefined;
      default:
        return undefined;
    }
  }

  /** A simple command: expand, strip prefixes, then run a function, a builtin, iptables or a utility. */
  private command(node: SyntaxNode, extraAssignments: SyntaxNode[]): Status {
    const nameNode = node.childForFieldName('name');
    const assignments = [...extraAssignments, ...node.namedChildren.filter((c): c is SyntaxNode => c?.type === 'variable_assignment')];
    const argNodes = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'variable_assignment' && c !== nameNode && c.type !== 'command_name' && !c.type.endsWith('redirect'));
    if (!nameNode) {
      for (const a of assignments) this.assignment(a, false);
      return 0;
    }
    const redirects = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type.endsWith('redirect'));
    const temp = new Map<string, VariableValue>();
    for (const a of assignments) this.assignment(a, false, temp);
    const fields = this.expander.fields(joinContinuedWords(this.source, [nameNode.namedChildren[0] ?? nameNode, ...argNodes]));
    // `\iptables` only skips aliases (which scripts do not expand anyway), so functions still apply.
    const run = () => this.withTemporaries(temp, () => this.execute(fields, node, false));
    const status = redirects.length ? this.withRedirects(redirects, run) : run();
    this.lastStatus = status;
    this.errexitCheck(status, node);
    return status;
  }

  private withTemporaries<T>(temp: Map<string, VariableValue>, body: () => T): T {
    if (temp.size === 0) return body();
    const frame: Frame = { locals: temp, positional: this.positional() };
    this.frames.push(frame);
    try {
      return body();
    } finally {
      this.frames.splice(this.frames.indexOf(frame), 1);
    }
  }

  private execute(fields: Field[], node: SyntaxNode, bypassFunctions: boolean): Status {
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
        this.write(unknown(`the output of ${first.text}`));
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
    const status = this.dispatch(fields, node, bypassFunctions);
    if (replacesShell) {
      // `exec CMD`: the command takes the shell's place, so the script ends with it.
      this.stoppedAt ??= { span: this.spanOf(node), reason: `\`exec\` on line ${node.startPosition.row + 1} replaces the script` };
      throw new ExitSignal(status);
    }
    return status;
  }

  private dispatch(fields: Field[], node: SyntaxNode, bypassFunctions: boolean): Status {
    const name = fields[0].text;
    const args = fields.slice(1);
    this.executed.add(node.id);
    if (!bypassFunctions && this.functions.has(name)) return this.callFunction(name, args);
    const tool = iptablesTool(name) ?? (isMultiCall(name) && args[0] ? iptablesTool(args[0].text) : undefined);
    if (tool) return this.iptables(tool, isMultiCall(name) ? args.slice(1) : args, node);
    return this.builtin(name, args, node);
  }

  private iptables(tool: IptablesTool, args: Field[], node: SyntaxNode): Status {
    const ctx: CallContext = { guarded: this.guardDepth > 0, conditional: this.conditional, node };
    if (tool.kind === 'iptables') return this.host.iptables(tool, args, ctx);
    if (tool.kind === 'save') {
      const text = this.host.save(tool.family);
      this.write(text === undefined ? unknown('the output of iptables-save') : known(text));
      return 0;
    }
    const fileArg = args.find((a) => !a.text.startsWith('-'));
    let input: RestoreInput | undefined;
    if (fileArg) {
      const f = fileArg.unknown ? undefined : this.files.get(fileArg.text);
      input = f ? { text: f.text, origin: f.origin } : { text: unknown(`the contents of ${fileArg.text}`) };
    } else if (this.stdin) {
      input = { text: { ...this.stdin.text, text: this.stdin.text.text.slice(this.stdin.at) }, origin: this.pendingRestoreOrigin };
      this.stdin.at = this.stdin.text.text.length;
    }
    return this.host.restore(tool, args, input, ctx);
  }

  private callFunction(name: string, args: Field[]): Status {
    const def = this.functions.get(name)!;
    const body = def.childForFieldName('body') ?? def.namedChildren[def.namedChildren.length - 1]!;
    this.frames.push({ locals: new Map(), positional: args });
    try {
      return this.statement(body);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.status;
      throw e;
    } finally {
      this.frames.pop();
    }
  }

  private builtin(name: string, args: Field[], node: SyntaxNode): Status {
    const words = args.map((a) => a.text);
    const anyUnknown = args.some((a) => a.unknown);
    switch (name) {
      case 'echo': {
        let i = 0;
        let newline = true;
        let escapes = false;
        while (i < words.length && /^-[neE]+$/.test(words[i])) {
          if (words[i].includes('n')) newline = false;
          if (words[i].includes('e')) escapes = true;
          i++;
        }
        const out = concat(args.slice(i).flatMap((a, k) => (k ? [known(' '), a] : [a])));
        this.write(concat([escapes ? { ...out, text: out.text.replace(/\\n/g, '\n').replace(/\\t/g, '\t') } : out, known(newline ? '\n' : '')]));
        return 0;
      }
      case 'printf': {
        if (anyUnknown) { this.write(unknown('printf output')); return 0; }
        const rest = words[0] === '--' ? words.slice(1) : words;
        if (rest[0] === '-v' && rest[1]) {
          this.assign(rest[1], known(printf(rest[2] ?? '', rest.slice(3))));
          return 0;
        }
        this.write(known(printf(rest[0] ?? '', rest.slice(1))));
        return 0;
      }
      case 'let': {
        let last = 0;
        for (const w of words) {
          const v = this.arithmetic(w);
          if (v.unknown) return undefined;
          last = Number(v.text);
        }
        return last !== 0 ? 0 : 1;
      }
      case 'read':
        return this.read(args);
      case 'mapfile':
      case 'readarray':
        return this.mapfile(words);
      case 'test':
      case '[': {
        const list = name === '[' ? words.slice(0, -1) : words;
        if (anyUnknown) return undefined;
        return this.testWords(list, node);
      }
      case 'false':
        return 1;
      case 'exit':
        this.stoppedAt ??= { span: this.spanOf(node), reason: `the script exits at line ${node.startPosition.row + 1}` };
        throw new ExitSignal(words[0] === undefined ? this.lastStatus : Number(words[0]));
      case 'return':
        throw new ReturnSignal(words[0] === undefined ? this.lastStatus : Number(words[0]));
      case 'break':
      case 'continue':
        throw new LoopSignal(name, Number(words[0] ?? 1));
      case 'shift': {
        const n = Number(words[0] ?? 1);
        this.setPositional(this.positional().slice(n));
        return 0;
      }
      case 'set':
        return this.set(args);
      case 'eval': {
        const code = concat(args.flatMap((a, k) => (k ? [known(' '), a] : [a])));
        if (code.unknown) return undefined;
        return this.evalText(code.text, node);
      }
      case 'source':
      case '.': {
        const f = this.files.get(words[0] ?? '');
        return f && !f.text.unknown ? this.evalText(f.text.text, node) : undefined;
      }
      case 'local':
      case 'declare':
      case 'typeset':
      case 'export':
      case 'readonly':
        for (const w of words.filter((x) => !x.startsWith('-'))) {
          const eq = w.indexOf('=');
          if (eq > 0) this.setVariable(w.slice(0, eq), { kind: 'scalar', value: known(w.slice(eq + 1)) }, name === 'local');
        }
        return 0;
      case 'unset':
        return 0;
      case 'command':
      case 'type':
      case 'which':
        // command -v NAME: the tools a firewall script probes for are taken to be installed.
        return words.some((w) => this.functions.has(w) || KNOWN_COMMANDS.test(w.replace(/^.*\//, ''))) ? 0 : undefined;
      case 'mktemp': {
        const template = words.find((w) => !w.startsWith('-')) ?? '/tmp/tmp.XXXXXXXXXX';
        const path = this.tempFile({ parts: [] }, template);
        this.write(known(path + '\n'));
        return 0;
      }
      case 'rm':
        for (const w of words.filter((x) => !x.startsWith('-'))) this.files.delete(w);
        return 0;
      case 'id':
      case 'hostname':
      case 'date':
      case 'uname':
      case 'whoami':
        this.write(unknown(`the output of \`${[name, ...words].join(' ')}\``));
        return 0;
    }
    if (BUILTIN_NOOPS.has(name)) return 0;
    if (!anyUnknown) {
      const result = runUtility(name, {
        args: words,
        stdin: this.stdin && !this.stdin.text.unknown ? this.stdin.text.text.slice(this.stdin.at) : undefined,
        readFile: (p) => {
          const f = this.files.get(p);
          return f && !f.text.unknown ? f.text.text : undefined;
        },
        machine: this.options.machine,
      });
      if (result) {
        if (this.stdin) this.stdin.at = this.stdin.text.text.length;
        this.write(known(result.stdout));
        return result.status;
      }
    }
    this.write(unknown(`the output of \`${[name, ...words].join(' ')}\``));
    return undefined;
  }

  private testWords(list: string[], node: SyntaxNode): Status {
    if (list.length === 0) return 1;
    if (list[0] === '!') return invert(this.testWords(list.slice(1), node));
    if (list.length === 1) return list[0] !== '' ? 0 : 1;
    if (list.length === 2) return this.unaryTest(list[0], known(list[1]));
    if (list.length === 3) {
      if (list[1] === '==' && this.options.posix) {
        return this.dashDoubleEquals(node);
      }
      return this.compareStrings(known(list[0]), list[1], known(list[2]), false);
    }
    const and = list.indexOf('-a');
    const or = list.indexOf('-o');
    const split = or > 0 ? or : and;
    if (split > 0) {
      const a = this.testWords(list.slice(0, split), node);
      const b = this.testWords(list.slice(split + 1), node);
      if (a === undefined || b === undefined) return undefined;
      return split === or ? (a === 0 || b === 0 ? 0 : 1) : (a === 0 && b === 0 ? 0 : 1);
    }
    return undefined;
  }

  private read(args: Field[]): Status {
    const words = args.map((a) => a.text);
    let delim = '\n';
    let raw = false;
    let arrayName: string | undefined;
    const names: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w === '-r') raw = true;
      else if (w === '-d') delim = words[++i] ?? '';
      else if (w === '-a') arrayName = words[++i];
      else if (/^-[pstnNui]$/.test(w)) i++;
      else if (w.startsWith('-')) continue;
      else names.push(w);
    }
    if (names.length === 0 && !arrayName) names.push('REPLY');
    const input = this.stdin;
    if (!input || input.text.unknown) {
      for (const n of names) this.assign(n, unknown(input ? `a line of ${input.text.unknown}` : 'a line typed in'));
      return input ? undefined : 1;
    }
    const rest = input.text.text.slice(input.at);
    if (rest === '') {
      for (const n of names) this.assign(n, known(''));
      return 1;
    }
    const end = delim === '' ? -1 : rest.indexOf(delim);
    let line = end < 0 ? rest : rest.slice(0, end);
    input.at += end < 0 ? rest.length : end + 1;
    if (!raw) line = line.replace(/\\\n/g, '').replace(/\\(.)/g, '$1');
    const ifs = this.ifs();
    const white = [...ifs].filter((c) => ' \t\n'.includes(c)).join('');
    const trimmed = white ? line.replace(new RegExp(`^[${escapeClass(white)}]+|[${escapeClass(white)}]+$`, 'g'), '') : line;
    const splitter = new RegExp(`[${escapeClass(white)}]*[${escapeClass(ifs.replace(/[ \t\n]/g, ''))}][${escapeClass(white)}]*|[${escapeClass(white)}]+`);
    if (arrayName) {
      const parts = trimmed === '' ? [] : trimmed.split(ifs ? splitter : /(?!)/);
      this.setVariable(arrayName, { kind: 'indexed', items: parts.map(known) });
    } else {
      let remaining = trimmed;
      names.forEach((n, i) => {
        if (i === names.length - 1) {
          this.assign(n, known(remaining));
          return;
        }
        const m = ifs ? splitter.exec(remaining) : null;
        if (!m) {
          this.assign(n, known(remaining));
          remaining = '';
        } else {
          this.assign(n, known(remaining.slice(0, m.index)));
          remaining = remaining.slice(m.index + m[0].length);
        }
      });
    }
    return end < 0 && delim !== '' ? 1 : 0;
  }

  private mapfile(words: string[]): Status {
    const name = words.filter((w) => !w.startsWith('-')).pop() ?? 'MAPFILE';
    const strip = words.includes('-t');
    const input = this.stdin;
    if (!input || input.text.unknown) {
      this.setVariable(name, { kind: 'scalar', value: unknown('lines read by mapfile') });
      return undefined;
    }
    const rest = input.text.text.slice(input.at);
    input.at = input.text.text.length;
    const items = rest === '' ? [] : rest.replace(/\n$/, '').split('\n').map((l) => known(strip ? l : l + '\n'));
    this.setVariable(name, { kind: 'indexed', items });
    return 0;
  }

  private set(args: Field[]): Status {
    const words = args.map((a) => a.text);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w === '--') {
        this.setPositional(args.slice(i + 1));
        return 0;
      }
      if (w === '-o' || w === '+o') {
        if (words[i + 1] === 'errexit') this.errexit = w === '-o';
        if (words[i + 1] === 'pipefail') this.pipefail = w === '-o';
        i++;
        continue;
      }
      if (/^[-+][a-zA-Z]+$/.test(w)) {
        if (w.includes('e')) this.errexit = w[0] === '-';
        continue;
      }
      this.setPositional(args.slice(i));
      return 0;
    }
    return 0;
  }

  private evalText(code: string, node: SyntaxNode): Status {
    const tree = this.reparse(code);
    // Positions inside the evaluated text mean nothing to the user: report at the eval's words.
    const span = this.spanOf(node);
    const saved = this.spanOverride;
    this.spanOverride = span;
    try {
      return this.block(tree.rootNode.namedChildren);
    } finally {
      this.spanOverride = saved;
    }
  }

  private spanOverride: Span | undefined;

  private tempFile(out: Output, template = '/tmp/tmp.XXXXXXXXXX'): string {
    const n = ++this.tempCounter;
    const path = template.replace(/X+$/, (x) => String(n).padStart(x.length, '0'));
    this.files.set(path, { text: concat(out.parts) });
    return path;
  }
}

/**
 * `"a"\<newline>"b"`: a backslash-newline between two words removes itself, so
 * they are one word (tree-sitter keeps them as two nodes).
 */
function joinContinuedWords(source: string, nodes: SyntaxNode[]): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const n of nodes) {
    const prev = out[out.length - 1];
    if (prev && source.slice(prev.endIndex, n.startIndex) === '\\\n') {
      out[out.length - 1] = { type: 'concatenation', children: [...(prev.type === 'concatenation' ? prev.children : [prev]), n], text: prev.text + n.text, startPosition: prev.startPosition, endPosition: n.endPosition, startIndex: prev.startIndex, endIndex: n.endIndex } as unknown as SyntaxNode;
    } else {
      out.push(n);
    }
  }
  return out;
}

function copyValue(v: VariableValue): VariableValue {
  if (v.kind === 'indexed') return { kind: 'indexed', items: [...v.items] };
  if (v.kind === 'assoc') return { kind: 'assoc', items: new Map(v.items) };
  return v;
}

function cloneSnapshot(s: Snapshot): Snapshot {
  const copyVars = (m: Map<string, VariableValue>) => new Map([...m].map(([k, v]) => [k, copyValue(v)]));
  return {
    ...s,
    globals: copyVars(s.globals),
    frames: s.frames.map((f) => ({ locals: copyVars(f.locals), positional: [...f.positional] })),
    functions: new Map(s.functions),
    topPositional: [...s.topPositional],
  };
}

/** After undecidable branches: a variable that differs between them becomes unknown. */
function mergeSnapshots(states: Snapshot[], reason: string): Snapshot {
  if (states.length === 1) return states[0];
  const mergeVars = (maps: Map<string, VariableValue>[]): Map<string, VariableValue> => {
    const names = new Set(maps.flatMap((m) => [...m.keys()]));
    const out = new Map<string, VariableValue>();
    for (const name of names) {
      const values = maps.map((m) => m.get(name));
      const texts = values.map((v) => (v?.kind === 'scalar' ? (v.value.unknown ? undefined : v.value.text) : v === undefined ? '' : undefined));
      const first = values[0];
      if (values.every((v) => sameValue(v, first, false))) {
        // The same value written in two places is no longer one literal to edit.
        if (first) out.set(name, values.every((v) => sameValue(v, first, true)) ? first : withoutSources(first));
      } else if (texts.every((t) => t !== undefined)) {
        out.set(name, { kind: 'scalar', value: unknown(`$${name}, which depends on ${reason}`, [...new Set(texts as string[])]) });
      } else {
        out.set(name, { kind: 'scalar', value: unknown(`$${name}, which depends on ${reason}`) });
      }
    }
    return out;
  };
  const base = states[0];
  return {
    ...base,
    globals: mergeVars(states.map((s) => s.globals)),
    frames: base.frames.map((f, i) => ({ locals: mergeVars(states.map((s) => s.frames[i]?.locals ?? new Map())), positional: f.positional })),
  };
}

function sameValue(a: VariableValue | undefined, b: VariableValue | undefined, withSources: boolean): boolean {
  const replacer = withSources ? undefined : (key: string, x: unknown) => (key === 'source' ? undefined : x);
  const json = (v: VariableValue | undefined) => JSON.stringify(serialise(v), replacer);
  return json(a) === json(b);
}

function withoutSources(v: VariableValue): VariableValue {
  const strip = (s: ShellString): ShellString => (s.source ? { ...s, source: undefined } : s);
  if (v.kind === 'scalar') return { ...v, value: strip(v.value) };
  if (v.kind === 'indexed') return { kind: 'indexed', items: v.items.map((s) => s && strip(s)) };
  return { kind: 'assoc', items: new Map([...v.items].map(([k, s]) => [k, strip(s)])) };
}

function serialise(v: VariableValue | undefined): unknown {
  if (!v) return null;
  if (v.kind === 'assoc') return [...v.items.entries()];
  if (v.kind === 'indexed') return v.items;
  return v.value;
}

function invert(s: Status): Status {
  return s === undefined ? undefined : s === 0 ? 1 : 0;
}

function findNode(node: SyntaxNode, type: string): SyntaxNode | undefined {
  if (node.type === type) return node;
  for (const c of node.children) {
    const f = c && findNode(c, type);
    if (f) return f;
  }
  return undefined;
}

function unescapeHeredoc(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\([$`\\])/g, '$1');
}

function escapeClass(chars: string): string {
  return chars.replace(/[\]\\^-]/g, '\\$&');
}

/** printf's format language, for the conversions scripts use. */
function printf(format: string, args: string[]): string {
  const fmt = format.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  let out = '';
  let i = 0;
  do {
    out += fmt.replace(/%(-?\d*)([sdbxc%])/g, (_, width: string, conv: string) => {
      if (conv === '%') return '%';
      const a = args[i++] ?? '';
      const v = conv === 'd' ? String(parseInt(a, 10) || 0) : conv === 'x' ? (parseInt(a, 10) || 0).toString(16) : a;
      const w = Number(width);
      return w > 0 ? v.padStart(w) : w < 0 ? v.padEnd(-w) : v;
    });
  } while (i < args.length && /%[-\d]*[sdbxc]/.test(fmt));
  return out;
}

