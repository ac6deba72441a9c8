// Simple commands: a command's words expanded, the prefixes that run the rest
// (sudo, env, exec, `command`) taken off, then a function of the script, an
// iptables tool (handed to the firewall host), or a builtin/utility. Plain
// lines (plainCommands.ts) come here without their tree.
import type { Span } from '../diagnostics';
import { assignment } from './assignments';
import type { SyntaxNode } from './bashParser';
import { TooMuchWork } from './budget';
import { builtin } from './builtins';
import { ExitSignal, leavable, ReturnSignal } from './control';
import type { CallContext, RestoreInput } from './firewallHost';
import type { ShellInterpreter } from './interpreter';
import { changesCommandLookup, plainFields, PlainLine } from './plainCommands';
import { withRedirects } from './redirections';
import type { Frame } from './state';
import { iptablesTool, IptablesTool, isMultiCall, prefixLength } from './tools';
import { Field, known, Status, unknown, VariableValue } from './values';
import { t } from '../l10n';

/** A simple command as the tree has it. */
export interface CommandParts {
  hasName: boolean;
  assignments: SyntaxNode[];
  /** The name and the arguments, words continued over lines joined. */
  words: SyntaxNode[];
  redirects: SyntaxNode[];
}

/** An iptables command costs about as much as this many statements (parsing it, changing the ruleset). */
const IPTABLES_COST = 20;

/**
 * A plain line (plainCommands.ts), run as statement() and command() run
 * its tree: the same steps charged, the same fields, the same call.
 */
export function plainLine(sh: ShellInterpreter, line: PlainLine): void {
  const { words, row } = line;
  if (words.length) {
    const span = plainSpan(line);
    try {
      sh.budget.step();
      let unquoted = 0;
      for (const w of words) unquoted += w.unquoted;
      sh.budget.scan(2 * unquoted);
      const name = words[0].text;
      const status = iptables(sh, iptablesTool(name)!, plainFields(line), span, [], functionFrom(sh, name), line);
      sh.lastStatus = status;
      sh.errexitCheck(status, span);
    } catch (e) {
      if (e instanceof TooMuchWork) e.span ??= span;
      throw e;
    }
  }
  if (line.commentStart >= 0) {
    try {
      sh.budget.step();
    } catch (e) {
      if (e instanceof TooMuchWork) e.span ??= { line: row, start: line.commentStart, end: line.commentEnd };
      throw e;
    }
  }
}

/** The parts of a command, read from the tree once for the script's own commands (a loop runs a command many times). */
function partsOf(sh: ShellInterpreter, node: SyntaxNode): CommandParts {
  const own = sh.ownNode(node);
  const known = own ? sh.commandParts.get(node.id) : undefined;
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
    words: own ? joinContinuedWords(sh.source, words) : words,
    redirects,
  };
  if (own) sh.commandParts.set(node.id, parts);
  return parts;
}

/** A simple command: expand, strip prefixes, then run a function, a builtin, iptables or a utility. */
export function command(sh: ShellInterpreter, node: SyntaxNode, extraAssignments: SyntaxNode[]): Status {
  const parts = partsOf(sh, node);
  const assignments = [...extraAssignments, ...parts.assignments];
  if (!parts.hasName) {
    for (const a of assignments) assignment(sh, a, false);
    return 0;
  }
  const redirects = parts.redirects;
  const temp = new Map<string, VariableValue>();
  for (const a of assignments) assignment(sh, a, false, temp);
  const outer = sh.expander.vanished;
  sh.expander.vanished = [];
  const fields = sh.expander.fields(parts.words);
  const vanished = [...new Set(sh.expander.vanished)];
  sh.expander.vanished = outer;
  // `\iptables` only skips aliases (which scripts do not expand anyway), so functions still apply.
  const run = () => withTemporaries(sh, temp, () => execute(sh, fields, node, false, vanished));
  const status = redirects.length ? withRedirects(sh, redirects, run) : run();
  sh.lastStatus = status;
  sh.errexitCheck(status, sh.spanOf(node));
  return status;
}

function withTemporaries<T>(sh: ShellInterpreter, temp: Map<string, VariableValue>, body: () => T): T {
  if (temp.size === 0) return body();
  const frame: Frame = { locals: temp, positional: sh.positional(), vanished: sh.vanishedArguments() };
  sh.state.frames.push(frame);
  try {
    return body();
  } finally {
    sh.state.frames.splice(sh.state.frames.indexOf(frame), 1);
  }
}

function execute(sh: ShellInterpreter, fields: Field[], node: SyntaxNode, bypassFunctions: boolean, vanished: string[]): Status {
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
      sh.write(unknown(t('the output of {0}', first.text)));
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
  const status = dispatch(sh, fields, node, bypassFunctions, vanished);
  if (replacesShell) {
    // `exec CMD`: the command takes the shell's place, so the script ends with it.
    sh.stoppedAt ??= { span: sh.spanOf(node), reason: t('`exec` on line {0} replaces the script', node.startPosition.row + 1) };
    throw new ExitSignal(status);
  }
  return status;
}

function dispatch(sh: ShellInterpreter, fields: Field[], node: SyntaxNode, bypassFunctions: boolean, vanished: string[]): Status {
  const name = fields[0].text;
  const args = fields.slice(1);
  sh.ran(node);
  if (!bypassFunctions && sh.state.functions.has(name)) return callFunction(sh, name, args, vanished);
  const tool = iptablesTool(name) ?? (isMultiCall(name) && args[0] ? iptablesTool(args[0].text) : undefined);
  if (tool) return iptables(sh, tool, isMultiCall(name) ? args.slice(1) : args, sh.spanOf(node), vanished, bypassFunctions ? undefined : functionFrom(sh, name));
  if (changesCommandLookup(name, args)) sh.lookupChanged = true;
  return builtin(sh, name, args, node);
}

/** Where a function called `name` could come from that the evaluation cannot see: a file it could not read, or the script that sources this one. */
function functionFrom(sh: ShellInterpreter, name: string): CallContext['maybeFunction'] {
  // A path is never a function's name.
  if (name.includes('/')) return undefined;
  const from = sh.options.fragment ? t('the script that sources this file') : sh.unreadSource();
  return from ? { name, from } : undefined;
}

function iptables(sh: ShellInterpreter, tool: IptablesTool, args: Field[], span: Span, vanished: string[], maybeFunction: CallContext['maybeFunction'], plain?: PlainLine): Status {
  sh.budget.step(IPTABLES_COST);
  for (const a of args) sh.budget.scan(a.text.length);
  const ctx: CallContext = { guarded: sh.failureExpected(), conditional: sh.conditional, span, vanished, maybeFunction };
  if (plain) ctx.plain = { text: sh.source, line: plain };
  if (tool.kind === 'iptables') return sh.host.iptables(tool, args, ctx);
  if (tool.kind === 'save') {
    const text = sh.host.save(tool.family);
    sh.write(text === undefined ? unknown(t('the output of iptables-save')) : known(text));
    return 0;
  }
  const fileArg = args.find((a, i) => !a.text.startsWith('-') && !takesValue(args[i - 1]?.text, a.text));
  let input: RestoreInput | undefined;
  if (fileArg) {
    const f = fileArg.unknown ? undefined : sh.files.get(fileArg.text);
    input = f ? { text: f.text, origin: f.origin } : { text: unknown(t('the contents of {0}', fileArg.text)) };
  } else if (sh.stdin) {
    input = { text: { ...sh.stdin.text, text: sh.stdin.text.text.slice(sh.stdin.at) }, origin: sh.pendingRestoreOrigin };
    sh.stdin.at = sh.stdin.text.text.length;
  }
  sh.budget.scan(input?.text.text.length ?? 0);
  return sh.host.restore(tool, args, input, ctx);
}

function callFunction(sh: ShellInterpreter, name: string, args: Field[], vanished: string[]): Status {
  const def = sh.state.functions.get(name)!;
  const body = def.childForFieldName('body') ?? def.namedChildren[def.namedChildren.length - 1]!;
  sh.state.frames.push({ locals: new Map(), positional: args, vanished });
  try {
    return leavable(sh, 'function', () => {
      try {
        return sh.statement(body);
      } catch (e) {
        if (e instanceof ReturnSignal && !e.left) return e.status;
        throw e;
      }
    });
  } finally {
    sh.state.frames.pop();
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

/** Where a plain line's command is: from its first word to its last. */
export function plainSpan(line: PlainLine): Span {
  return { line: line.row, start: line.words[0].start, end: line.words[line.words.length - 1].end };
}
