// A shell script that runs iptables, evaluated: what iptables would say about
// each of its calls, and the IPv4 and IPv6 rulesets it builds. Only iptables
// command lines get diagnostics. (The review of the rules it ends with is
// analysis/, which reads this.)
import type { Diagnostic } from '../diagnostics';
import type { Family } from '../knowledge';
import type { BuildOptions } from '../model/build';
import type { Ruleset } from '../model/ruleset';
import type { Parser } from 'web-tree-sitter';
import { parseBash, PIECE_LENGTH, ScriptPieces, Tree } from './bashParser';
import { ShellInterpreter } from './interpreter';
import type { IptablesCall } from './iptablesCalls';
import { ChainName, ScriptFirewall } from './scriptFirewall';
import type { SaveFile } from '../syntax/saveFile';
import type { Machine } from './utilities';
import { t } from '../l10n';
import { runToEnd, Steps } from '../steps';

export interface ScriptEvaluation {
  diagnostics: Diagnostic[];
  rulesets: Record<Family, Ruleset>;
  calls: IptablesCall[];
  /** What each iptables-restore in the script read (heredocs), positioned in the script. */
  restores: SaveFile[];
  /** Whether the evaluation followed the script to its end (else the ruleset is only what was built until it stopped). */
  followedToEnd: boolean;
}

export interface ScriptOptions extends BuildOptions {
  /** The machine the script is for: its interfaces and addresses, when known. */
  machine?: Machine;
  /** Characters of the script parsed at a time (tests make it small). */
  pieceLength?: number;
  /** False: plain command lines are parsed with tree-sitter too (tests compare both ways). */
  plainLines?: boolean;
}

export function evaluateScript(text: string, parser: Parser, options: ScriptOptions): ScriptEvaluation {
  return runToEnd(evaluateScriptSteps(text, parser, options));
}

/** The evaluation in steps (see steps.ts). Left before its end (`return()`), it frees its trees all the same. */
export function* evaluateScriptSteps(text: string, parser: Parser, options: ScriptOptions): Steps<ScriptEvaluation> {
  // A tree lives in the parser's WebAssembly memory, which no garbage collector frees: each is deleted
  // once the evaluation is done (nothing it returns holds a node), or a server grows with every keystroke.
  const trees: Tree[] = [];
  const parse = (code: string) => {
    const tree = parseBash(parser, code);
    trees.push(tree);
    return tree;
  };
  const pieces = () => new ScriptPieces(parser, text, options.pieceLength ?? PIECE_LENGTH);
  try {
    return yield* evaluate(text, options, pieces, parse);
  } finally {
    for (const tree of trees) tree.delete();
  }
}

function* evaluate(text: string, options: ScriptOptions, pieces: () => ScriptPieces, parse: (code: string) => Tree): Steps<ScriptEvaluation> {
  // Without a `#!` line the file is not run but sourced: by a script that made chains it uses.
  const fragment = !text.startsWith('#!');
  let run = yield* evaluateOnce(text, options, pieces, parse, fragment, []);
  let assumed: Diagnostic[] = [];
  const given = fragment ? run.firewall.chainsFromSourcingScript() : [];
  if (given.length) {
    // Run again on those chains, so what fails only for want of them does not hide what else fails.
    assumed = run.firewall.withoutGivenChains(given);
    run = yield* evaluateOnce(text, options, pieces, parse, fragment, given);
  }
  const { firewall, interpreter } = run;
  const diagnostics = [...firewall.diagnostics(), ...assumed];
  // A note made in a loop is made each round: shown once.
  const noted = new Set<string>();
  for (const note of interpreter.notes) {
    const key = `${note.span.line}:${note.span.start}:${note.message}`;
    if (noted.has(key)) continue;
    noted.add(key);
    diagnostics.push({ code: 'shell-note', severity: 'information', span: note.span, message: note.message });
  }
  const gaveUp = interpreter.gaveUp;
  if (gaveUp) {
    diagnostics.push({ code: 'not-evaluated', severity: 'information', span: gaveUp.span, message: t('not evaluated further: too much work here ({0}); the commands after this point are not checked', gaveUp.what) });
  }
  for (const span of interpreter.unreached) {
    diagnostics.push({ code: 'not-reached', severity: 'hint', span, message: t('never runs: {0}', interpreter.stoppedAt!.reason), tag: 'unnecessary' });
  }
  return { diagnostics, rulesets: firewall.rulesets(), calls: firewall.calls, restores: firewall.restores, followedToEnd: !gaveUp };
}

function* evaluateOnce(text: string, options: ScriptOptions, pieces: () => ScriptPieces, parse: (code: string) => Tree, fragment: boolean, given: ChainName[]) {
  const posix = /^#!\s*\/(usr\/)?bin\/(env\s+)?(sh|dash)\b/.test(text);
  const firewall = new ScriptFirewall(options, given);
  const interpreter = new ShellInterpreter(text, firewall, { posix, fragment, machine: options.machine, plainLines: options.plainLines }, parse);
  yield* interpreter.run(pieces());
  return { firewall, interpreter };
}
