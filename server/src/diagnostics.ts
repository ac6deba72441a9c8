// The diagnostic type every stage reports with, and the catalogue of codes.
// Codes are stable: users filter on them and quick fixes key on them.
import { t } from './l10n';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** A span on one line; characters are UTF-16 code units, as in LSP. */
export interface Span {
  line: number;
  start: number;
  end: number;
}

/** A place between two characters, as LSP counts them (UTF-16 code units). */
export interface Position {
  line: number;
  character: number;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  span: Span;
  message: string;
  /** Marks unused or deprecated code for the editor's faded / struck-through look. */
  tag?: 'unnecessary' | 'deprecated';
  /** Other places that explain this one (the earlier rule that shadows a rule). */
  related?: { span: Span; message: string }[];
  /** What a quick fix needs to know that the code and span do not say, filled in by the check. */
  fix?: FixFacts;
}

/** Facts for quick fixes; each one present offers its fix. */
export interface FixFacts {
  /** The word probably meant instead of the span's text (a typo, a renamed option). */
  replaceWith?: string;
  /** Words of which any one, inserted before `at`, makes the line right: `-m conntrack`, `-p tcp`. */
  insert?: { words: string[]; at: Span };
  /** A user chain the command needs that does not exist, and the table it belongs in. */
  createChain?: { name: string; table: string };
  /** `-s ! x`: the option and the `!` after it, which iptables now wants before the option. */
  negation?: { option: Span; bang: Span };
}

/** A diagnostic on `span`, which may be a token: only its place is kept. */
export function diagnostic(code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error', fix?: FixFacts): Diagnostic {
  const d: Diagnostic = { code, severity, span: { line: span.line, start: span.start, end: span.end }, message };
  if (fix) d.fix = fix;
  return d;
}

export const CODES = {
  // The file as a whole
  'binary-file': 'The file is not text.',
  'analysis-failed': 'The analysis stopped on an internal error (a bug): nothing is checked until it is fixed.',
  'file-too-large': 'The file is larger than the configured limit; it is not analysed.',
  'crlf': 'Windows line endings: iptables-restore reads the carriage return as part of the line.',
  // The save/restore format
  'outside-table': 'A line outside any `*table` ... `COMMIT` block.',
  'missing-commit': 'A table block that never reaches `COMMIT`.',
  'unknown-table': 'A table name the kernel does not have.',
  'table-repeated': 'The same table appears twice; the later block replaces the earlier one.',
  'bad-chain-line': 'A `:CHAIN POLICY [packets:bytes]` line that iptables-restore cannot read.',
  'bad-counters': 'A `[packets:bytes]` counter prefix that is malformed.',
  'unterminated-quote': 'A double quote that is never closed.',
  // Commands and their arguments
  'no-command': 'A line with options but no command such as `-A`.',
  'command-conflict': 'Two commands on one line.',
  'bad-argument': 'A word that is neither an option nor an option\'s value.',
  'unknown-option': 'An option that neither iptables nor a loaded module defines.',
  'missing-value': 'An option given without its value.',
  'invalid-value': 'A value iptables refuses.',
  'duplicate-option': 'An option given twice where only one is allowed.',
  'cannot-invert': '`!` before an option that cannot be negated.',
  'option-conflict': 'Options that cannot be combined.',
  'missing-option': 'A module or target missing an option it needs.',
  'option-not-allowed': 'An option that does not fit the command.',
  'unknown-match': 'A `-m` module iptables does not have.',
  'wrong-family': 'Something that exists only for the other address family.',
  'removed': 'A module or option that current iptables no longer has.',
  'deprecated': 'Still accepted, but there is a better way.',
  'machine-dependent': 'Something only the machine that loads the rules can provide: a DNS name, an ipset.',
  'restore-only': 'An option that iptables-restore does not accept inside its input.',
  // Chains and the ruleset
  'chain-name': 'A chain name iptables refuses.',
  'chain-not-in-table': 'A chain that does not exist in this table.',
  'duplicate-chain': 'A chain declared twice.',
  'policy-on-user-chain': 'A policy on a user-defined chain (only built-in chains have one).',
  'invalid-policy': 'A policy other than ACCEPT or DROP.',
  'undefined-jump': 'A jump or goto to a chain that is not defined.',
  'unused-chain': 'A user-defined chain that no rule jumps to.',
  'jump-loop': 'Chains that jump to each other in a circle.',
  'jump-depth': 'A chain so many jumps below a built-in chain that iptables-nft (nf_tables) refuses to load it.',
  'too-many-rules': 'A command whose `-s`/`-d` address lists make more rules than the analysis checks one by one.',
  'rule-number': 'A rule number that does not fit the chain.',
  'no-such-rule': 'A delete of a rule that is not there.',
  'chain-in-use': 'Deleting or renaming a chain that rules still jump to.',
  'nat-drop': 'DROP in the nat table, which iptables refuses.',
  'needs-protocol': 'A match or target that works only with a given `-p`.',
  'interface-direction': '`-i` where packets have no input interface, or `-o` where they have no output interface.',
  'target-not-allowed': 'A target the kernel refuses in this table or chain.',
  'shadowed-rule': 'A rule that never matches: an earlier rule of the chain takes all its packets first.',
  'duplicate-rule': 'A rule that repeats an earlier rule of the same chain word for word.',
  // Scripts
  'not-reached': 'An iptables command the script never reaches (it stops earlier).',
  'not-evaluated': 'Where the script asks for more work than its analysis allows (an endless loop, a runaway recursion, a huge value): the commands after it are not checked.',
  'shell-note': 'Something about the shell code itself, seen while following the script: bash syntax that dash (/bin/sh) refuses.',
  'match-not-allowed': 'A match the kernel refuses in this table or chain.',
} as const;

export type DiagnosticCode = keyof typeof CODES;

/** ` (did you mean `X`?)` for the word the user probably meant, else ''. */
export function didYouMean(meant: string | undefined): string {
  return meant ? t(' (did you mean `{0}`?)', meant) : '';
}

/** The one of `candidates` that `name` is likely a typo of. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(2, Math.floor(name.length / 3)));
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d <= bestDistance) {
      best = c;
      bestDistance = d - 1;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // A swap of two neighbours counts as one edit (ACCPET for ACCEPT).
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], before[j - 2] + 1);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}
