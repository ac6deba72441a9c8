// Control flow: lists (&&, ||), pipelines, if, loops and case. A condition
// the evaluator cannot decide runs every branch on a copy of the state, and the
// states are merged after (a variable the branches disagree on becomes unknown).
import type { SyntaxNode } from './bashParser';
import type { FirewallState } from './firewallHost';
import type { Output, ShellInterpreter } from './interpreter';
import { globPattern, Pattern } from './patterns';
import { cloneSnapshot, mergeSnapshots, oneOfTexts, sameState, Snapshot } from './state';
import { concat, known, ShellString, Status, undecidable, unknown } from './values';
import { t } from '../l10n';

export class ExitSignal { constructor(readonly status: Status) {} }
/** `return`; `left`: every branch still running had returned, and each left its state with the call. */
export class ReturnSignal { constructor(readonly status: Status, readonly left = false) {} }
/** `break`/`continue`; `left` as for ReturnSignal, with the loop. */
export class LoopSignal { constructor(readonly kind: 'break' | 'continue', readonly levels: number, readonly left = false) {} }

/**
 * A function call or a loop being run. A branch the evaluator could not
 * decide that returns (or breaks) leaves here: the state and output it had
 * then are merged with those of the other ways through, at the end.
 */
export interface Leaving {
  kind: 'function' | 'loop';
  /** Everything written since the call or loop began. */
  output: Output;
  exits: { state: Snapshot; output: ShellString; status: Status; firewall: FirewallState }[];
}

/**
 * Runs a function body or a loop; afterwards its state is the merge of the
 * ways out (the end, each early return or break), and what it wrote is one of
 * theirs: known when they agree, else one of the texts they wrote.
 */
export function leavable(sh: ShellInterpreter, kind: Leaving['kind'], body: () => Status): Status {
  const outer = sh.stdout;
  const frame: Leaving = { kind, output: { parts: [], length: 0 }, exits: [] };
  sh.stdout = outer ? frame.output : undefined;
  sh.leaving.push(frame);
  let status: Status;
  let ended = true;
  try {
    status = body();
  } catch (e) {
    if (!((e instanceof ReturnSignal && kind === 'function') || (e instanceof LoopSignal && kind === 'loop')) || !e.left) throw e;
    ended = false;
  } finally {
    sh.leaving.pop();
    sh.stdout = outer;
  }
  if (frame.exits.length === 0) {
    // The usual case: one way through, nothing to merge.
    if (outer) for (const part of frame.output.parts) sh.write(part);
    return status!;
  }
  const ways: Omit<Leaving['exits'][number], 'firewall'>[] = [...frame.exits];
  if (ended) ways.push({ state: sh.state.current(), output: concat(frame.output.parts, sh.budget), status: status! });
  // The rules go on from the way that ran to the end (else from the first way out), with the chains only the others created.
  const others = ended ? frame.exits : frame.exits.slice(1);
  if (!ended) frame.exits[0].firewall.back();
  for (const w of others) w.firewall.addMissing();
  sh.state.restore(mergeSnapshots(ways.map((w) => w.state), kind === 'function' ? t('which way the function returns') : t('which way the loop ends'), sh.budget));
  const statuses = new Set(ways.map((w) => w.status));
  if (outer) sh.write(oneOf(ways.map((w) => w.output)));
  return statuses.size === 1 ? ways[0].status : undefined;
}

/** One of several texts: itself when they agree; else unknown, with the texts as the values it can take. */
function oneOf(texts: ShellString[]): ShellString {
  const first = texts[0];
  if (texts.every((tgt) => !tgt.unknown && tgt.text === first.text)) return first;
  return oneOfTexts(texts, t('output that depends on the machine'));
}

/**
 * Runs alternatives that the evaluator cannot choose between (an unknown
 * condition): each on the state before, then merges the variables, and what
 * they wrote. An alternative that ends the script (exit) is taken to be the
 * one that does not happen, since the script is read as it runs to its end;
 * one that returns from a function or breaks a loop leaves its state there.
 */
function undecided(sh: ShellInterpreter, reason: string, alternatives: (() => void)[]): void {
  const before = sh.state.snapshot();
  const after: Snapshot[] = [];
  const outputs: ShellString[] = [];
  const outer = sh.stdout;
  const outerConditional = sh.conditional;
  const stoppedBefore = sh.stoppedAt;
  // Each way starts from the firewall as it was: one branch's chains are not another's.
  const firewall = sh.undecidedFirewall();
  const continuing: FirewallState[] = [];
  let exits = 0;
  let left: ReturnSignal | LoopSignal | undefined;
  let lastExit: ExitSignal | undefined;
  try {
    for (const [i, alt] of alternatives.entries()) {
      sh.state.restore(cloneSnapshot(before, sh.budget));
      firewall.enter(i);
      sh.conditional = outerConditional ?? reason;
      const out: Output = { parts: [], length: 0 };
      sh.stdout = outer ? out : undefined;
      try {
        alt();
        after.push(sh.state.current());
        outputs.push(concat(out.parts, sh.budget));
        continuing.push(firewall.leave());
      } catch (e) {
        if (e instanceof ExitSignal) {
          exits++;
          lastExit = e;
          firewall.leave();
          continue;
        }
        const frame = leavingFor(sh, e);
        if (frame) {
          frame.exits.push({ state: sh.state.current(), output: concat([...frame.output.parts, ...out.parts], sh.budget), status: e instanceof ReturnSignal ? e.status : 0, firewall: firewall.leave() });
          left = e as ReturnSignal | LoopSignal;
          continue;
        }
        if (e instanceof ReturnSignal || e instanceof LoopSignal) {
          after.push(sh.state.current());
          outputs.push(concat(out.parts, sh.budget));
          continuing.push(firewall.leave());
          continue;
        }
        throw e;
      } finally {
        sh.conditional = outerConditional;
        sh.stdout = outer;
      }
    }
  } catch (e) {
    firewall.abandon();
    throw e;
  }
  firewall.settle(continuing);
  if (after.length === 0) {
    sh.state.restore(before);
    if (left instanceof ReturnSignal) throw new ReturnSignal(undefined, true);
    if (left instanceof LoopSignal) throw new LoopSignal(left.kind, 1, true);
    throw lastExit ?? new ExitSignal(undefined);
  }
  sh.state.restore(mergeSnapshots(after, reason, sh.budget));
  if (outer) sh.write(oneOf(outputs));
  // An exit in a branch that may not run does not stop the script.
  sh.stoppedAt = stoppedBefore;
  if (exits) sh.lastStatus = 0;
}

/** The function call or loop a `return` or `break` in a branch leaves, if the evaluator is in one. */
function leavingFor(sh: ShellInterpreter, e: unknown): Leaving | undefined {
  const want = e instanceof ReturnSignal ? 'function' : e instanceof LoopSignal && e.kind === 'break' && e.levels === 1 ? 'loop' : undefined;
  if (!want) return undefined;
  for (let i = sh.leaving.length - 1; i >= 0; i--) {
    if (sh.leaving[i].kind === want) return sh.leaving[i];
    // A return inside a loop leaves the loop too: the loop's frame is not the one.
    if (want === 'loop') return undefined;
  }
  return undefined;
}

export function list(sh: ShellInterpreter, node: SyntaxNode): Status {
  const kids = node.children.filter((c): c is SyntaxNode => c !== null);
  // Left-associative: (a && b) || c; the operands before the last operator are guarded.
  const operators = kids.filter((k) => k.type === '&&' || k.type === '||');
  const operands = kids.filter((k) => k.type !== '&&' && k.type !== '||');
  let status = sh.guarded(() => sh.statement(operands[0]));
  for (let i = 0; i < operators.length; i++) {
    const op = operators[i].type;
    const operand = operands[i + 1];
    const last = i === operators.length - 1;
    const run = () => (last ? sh.statement(operand) : sh.guarded(() => sh.statement(operand)));
    if (status === undefined) {
      const reason = t('`{0}` may succeed or fail', operands[i].text.split('\n')[0]);
      undecided(sh, reason, [() => { status = run(); }, () => {}]);
      status = undefined;
      continue;
    }
    if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) status = run();
  }
  sh.lastStatus = status;
  return status;
}

export function pipeline(sh: ShellInterpreter, node: SyntaxNode): Status {
  const stages = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
  return runPipeline(sh, stages.map((stage) => () => sh.statement(stage)));
}

/** Each stage's output is the next one's input. */
export function runPipeline(sh: ShellInterpreter, stages: (() => Status)[]): Status {
  let input = sh.stdin;
  let status: Status = 0;
  let failed: Status = 0;
  for (let i = 0; i < stages.length; i++) {
    const last = i === stages.length - 1;
    const savedIn = sh.stdin;
    sh.stdin = input;
    try {
      // Every stage of a pipeline runs in a subshell: its variables are lost (bash without lastpipe).
      if (last) {
        status = sh.inSubshell(stages[i]);
      } else {
        const out = sh.capture(() => { status = sh.inSubshell(stages[i]); });
        input = { text: concat(out.parts, sh.budget), at: 0 };
      }
    } finally {
      sh.stdin = savedIn;
    }
    if (status !== 0) failed = status;
  }
  return sh.state.pipefail ? failed : status;
}

export function ifStatement(sh: ShellInterpreter, node: SyntaxNode): Status {
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
  return chooseClause(sh, clauses, 0);
}

function chooseClause(sh: ShellInterpreter, clauses: { cond?: SyntaxNode[]; body: SyntaxNode[] }[], i: number): Status {
  if (i >= clauses.length) return 0;
  const clause = clauses[i];
  if (!clause.cond) return sh.block(clause.body);
  const status = sh.guarded(() => sh.block(clause.cond!));
  if (status === 0) return sh.block(clause.body);
  if (status !== undefined) return chooseClause(sh, clauses, i + 1);
  let result: Status;
  const reason = t('`{0}` cannot be decided here', clause.cond.map((c) => c.text).join('; ').split('\n')[0]);
  undecided(sh, reason, [() => { result = sh.block(clause.body); }, () => { result = chooseClause(sh, clauses, i + 1); }]);
  return result;
}

function loopBody(sh: ShellInterpreter, body: SyntaxNode[]): 'break' | 'continue' | undefined {
  try {
    sh.block(body);
    return undefined;
  } catch (e) {
    if (e instanceof LoopSignal) {
      if (e.left) throw e;
      if (e.levels > 1) throw new LoopSignal(e.kind, e.levels - 1);
      return e.kind;
    }
    throw e;
  }
}

function doGroup(node: SyntaxNode): SyntaxNode[] {
  const group = node.namedChildren.find((c) => c?.type === 'do_group' || c?.type === 'compound_statement');
  return group ? group.namedChildren.filter((c): c is SyntaxNode => c !== null) : [];
}

export function whileStatement(sh: ShellInterpreter, node: SyntaxNode): Status {
  return leavable(sh, 'loop', () => whileLoop(sh, node));
}

function whileLoop(sh: ShellInterpreter, node: SyntaxNode): Status {
  const until = node.children[0]?.type === 'until';
  const condNodes = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'do_group');
  const body = doGroup(node);
  // A loop that never ends runs until the budget says so: then nothing after it is judged.
  let previous: { state: Snapshot; firewall: string } | undefined;
  for (;;) {
    sh.budget.step();
    let status = sh.guarded(() => sh.block(condNodes));
    if (status !== undefined && until) status = status === 0 ? 1 : 0;
    if (status === undefined) {
      undecided(sh, t('whether `{0}` goes on', condNodes.map((c) => c.text).join('; ').split('\n')[0]), [() => { loopBody(sh, body); }, () => {}]);
      return 0;
    }
    if (status !== 0) return 0;
    const waysOut = leftWays(sh);
    if (loopBody(sh, body) === 'break') return 0;
    if (leftWays(sh) === waysOut) {
      previous = undefined;
      continue;
    }
    // A retry loop (`while [ 1 ]; do cmd; [ $? -ne 4 ] && return; done`): once a round that may leave
    // ends as the one before, the way that stays goes round for ever, so the loop ends only by leaving.
    const now = { state: sh.state.snapshot(), firewall: sh.firewallFingerprint() };
    if (previous && previous.firewall === now.firewall && sameState(previous.state, now.state, sh.budget)) throw onlyLeaving(sh);
    previous = now;
  }
}

/** How many ways have left the function calls and loops running so far. */
function leftWays(sh: ShellInterpreter): number {
  let n = 0;
  for (const frame of sh.leaving) n += frame.exits.length;
  return n;
}

/** Every way still running leaves, to the innermost call or loop that some way left before. */
function onlyLeaving(sh: ShellInterpreter): ReturnSignal | LoopSignal {
  for (let i = sh.leaving.length - 1; i >= 0; i--) {
    const frame = sh.leaving[i];
    if (frame.exits.length === 0) continue;
    return frame.kind === 'loop' ? new LoopSignal('break', 1, true) : new ReturnSignal(undefined, true);
  }
  return new ReturnSignal(undefined, true);
}

export function forStatement(sh: ShellInterpreter, node: SyntaxNode): Status {
  return leavable(sh, 'loop', () => forLoop(sh, node));
}

function forLoop(sh: ShellInterpreter, node: SyntaxNode): Status {
  const variable = node.childForFieldName('variable')?.text ?? node.namedChildren[0]?.text ?? '';
  const valueNodes = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'variable_name' && c.type !== 'do_group' && c !== node.childForFieldName('variable'));
  const hasIn = node.children.some((c) => c?.type === 'in');
  const fields = hasIn ? sh.expander.fields(valueNodes) : sh.positional();
  const body = doGroup(node);
  if (fields.some((f) => f.unknown)) {
    const reason = fields.find((f) => f.unknown)!.unknown!;
    undecided(sh, t('the list of the `for` loop ({0})', reason), [() => {
      sh.assign(variable, unknown(t('each word of {0}', reason)));
      loopBody(sh, body);
    }]);
    return 0;
  }
  for (const f of fields) {
    sh.budget.step();
    sh.state.setVariable(variable, { kind: 'scalar', value: f.source ? { text: f.text, source: f.source } : known(f.text) });
    if (loopBody(sh, body) === 'break') break;
  }
  return 0;
}

export function cStyleFor(sh: ShellInterpreter, node: SyntaxNode): Status {
  return leavable(sh, 'loop', () => cStyleLoop(sh, node));
}

function cStyleLoop(sh: ShellInterpreter, node: SyntaxNode): Status {
  const m = /^for\s*\(\((.*?);(.*?);(.*?)\)\)/s.exec(node.text);
  if (!m) return undefined;
  const body = doGroup(node);
  const run = (expr: string) => (expr.trim() ? sh.arithmetic(expr) : known('1'));
  run(m[1]);
  for (;;) {
    sh.budget.step();
    const cond = run(m[2]);
    if (cond.unknown) {
      undecided(sh, t('the condition of a `for ((...))` loop'), [() => { loopBody(sh, body); }]);
      return 0;
    }
    if (Number(cond.text) === 0) return 0;
    if (loopBody(sh, body) === 'break') return 0;
    run(m[3]);
  }
}

export function caseStatement(sh: ShellInterpreter, node: SyntaxNode): Status {
  const subjectNode = node.childForFieldName('value') ?? node.namedChildren[0]!;
  const subject = sh.expander.single(subjectNode);
  const items = node.namedChildren.filter((c): c is SyntaxNode => c?.type === 'case_item');
  const parsed = items.map((item) => {
    const kids = item.children.filter((c): c is SyntaxNode => c !== null);
    const close = kids.findIndex((c) => c.type === ')');
    const patterns = kids.slice(0, close).filter((c) => c.type !== '|' && c.type !== '(');
    const terminator = kids.find((c) => c.type === ';;' || c.type === ';&' || c.type === ';;&')?.type ?? ';;';
    const body = kids.slice(close + 1).filter((c) => c.isNamed);
    return { patterns, terminator, body };
  });
  const matches = (i: number): boolean => parsed[i].patterns.some((p) => casePattern(sh, p).matchesAll(subject.text, sh.budget));
  if (undecidable(subject)) {
    // Without a catch-all `*)`, the subject may also match no pattern at all.
    const catchAll = parsed.some((p) => p.patterns.some((n) => n.text === '*'));
    undecided(sh, t('which branch of `case {0}` runs', subjectNode.text), [...parsed.map((p) => () => { sh.block(p.body); }), ...(catchAll ? [] : [() => {}])]);
    return 0;
  }
  let status: Status = 0;
  for (let i = 0; i < parsed.length; i++) {
    if (!matches(i)) continue;
    status = sh.block(parsed[i].body);
    let tgt = parsed[i].terminator;
    while (tgt === ';&' && i + 1 < parsed.length) {
      i++;
      status = sh.block(parsed[i].body);
      tgt = parsed[i].terminator;
    }
    if (tgt !== ';;&') break;
  }
  return status;
}

/** A case pattern: quoted parts are literal, the rest is a glob. */
function casePattern(sh: ShellInterpreter, node: SyntaxNode): Pattern {
  const parts = node.type === 'concatenation' ? node.children.filter((c): c is SyntaxNode => c !== null) : [node];
  let glob = '';
  for (const p of parts) {
    if (p.type === 'string' || p.type === 'raw_string') glob += sh.expander.single(p).text.replace(/[*?[\]\\]/g, '\\$&');
    else glob += sh.expander.single(p).text;
  }
  return globPattern(glob);
}
