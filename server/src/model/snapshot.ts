// A ruleset as plain JSON, to send from the language server to the trace
// panel's webview, and the same ruleset rebuilt from it there.
//
// Why not the document's text: a shell script's ruleset comes from the bash
// evaluator (tree-sitter in WebAssembly), which the webview would have to load
// and run again; the words of each rule are what both sides need, and parsing
// them again with the same parser gives the same rule (values the script
// computes stay unknown). The model's knowledge-base references are not JSON,
// so they are found again by the parse rather than serialised. Each rule also
// says where it is written, for the editor: in a script, the words of the
// call (`both -A INPUT ...`), not the `"$@"` they went through.
//
// A save file's rules go as their lines instead, and the webview parses a
// rule only when a trace reaches its chain: kube-proxy's 160k rules would be
// tens of millions of words, nearly all in chains no packet of a trace enters.
// What a trace needs before that (the hooks that reach each chain, whether any
// rule starts conntrack) comes worked out.
import type { Span } from '../diagnostics';
import { findTable, Family } from '../knowledge';
import { Command, headOf, parseCommand, RuleSpec } from '../syntax/command';
import { CommandLine, readCommandLine } from '../syntax/saveFile';
import type { Token } from '../syntax/token';
import { targetRef } from './build';
import { linkChains } from './graph';
import { HookSet } from './hookSet';
import { AddressPair, addressPair, factsOf, RuleFacts, rulesetStarts } from './ruleFacts';
import { Chain, ChainRef, chainRule, jumpTargets, Rule, Ruleset, Table, TableChain, TargetRef } from './ruleset';
import type { Shape } from './shape';

export interface RulesetSnapshot {
  family: Family;
  tables: TableSnapshot[];
  /** What loading the rules makes the kernel start (STARTS bits). */
  starts: number;
}

export interface TableSnapshot {
  name: string;
  fragment: boolean;
  chains: ChainSnapshot[];
}

export interface ChainSnapshot {
  name: string;
  builtin: boolean;
  policy?: string;
  /** Where the policy is set, for the editor. */
  policyAt?: Span[];
  /** The built-in hooks that reach the chain (HookSet bits). */
  hooks: number;
  /** The rules as words (a script's), or */
  rules?: RuleSnapshot[];
  /** as the lines of a save file they are on. */
  lines?: LineRules;
}

/** The rules of a chain of a save file: where each is and its line's text, nothing parsed. */
export interface LineRules {
  /** Per rule, its 0-based line. */
  at: number[];
  /** The rules' lines, joined by newlines. */
  text: string;
  /** The rules of `-s a,b` (a kernel rule per pair of addresses), by position in the chain: the pair each has. */
  pairs?: Record<number, { source?: string; destination?: string }>;
}

export interface RuleSnapshot {
  /** The command's words, as the parser reads them. */
  words: WordSnapshot[];
  /** Where the rule is written, for the editor: a range per line its words are on. */
  at: Span[];
  /** One kernel rule of `-s a,b`: its pair of addresses. */
  addresses?: { source?: string; destination?: string };
}

/** A word: text, 0-based line, start and end column, and when set, quoted and why its value is unknown. */
export type WordSnapshot = [text: string, line: number, start: number, end: number, quoted?: 1 | 0, unknown?: string];

/** Where a command or a word is written, for the editor. */
export interface Places {
  rule(r: Rule): Span[];
  token(t: Token): Span[];
}

/** In a save file, words are where their tokens say. */
export const TOKEN_PLACES: Places = { rule: (r) => r.command.words, token: (t) => [t] };

export function snapshotOf(ruleset: Ruleset, places: Places = TOKEN_PLACES): RulesetSnapshot {
  return {
    family: ruleset.family,
    starts: rulesetStarts(ruleset),
    tables: [...ruleset.tables.values()].filter((t) => t.spec).map((t) => ({
      name: t.name,
      fragment: t.fragment,
      chains: [...t.chains.values()].map((c) => {
        const chain: ChainSnapshot = { name: c.name, builtin: c.builtin, hooks: c.hooks.bits };
        const lines = places === TOKEN_PLACES ? asLines(c.rules) : undefined;
        if (lines) chain.lines = lines;
        else chain.rules = c.rules.map((r) => ruleSnapshot(r, places));
        if (c.policy) chain.policy = c.policy;
        if (c.policyToken) chain.policyAt = lineRanges(places.token(c.policyToken));
        return chain;
      }),
    })),
  };
}

const LONE_CR = /\r(?!$)/;

/** The rules as their lines, when each is a line of its own (a save file's, not a heredoc's in a script). */
function asLines(rules: readonly Rule[]): LineRules | undefined {
  const at: number[] = [];
  const texts: string[] = [];
  const pairs: Record<number, { source?: string; destination?: string }> = {};
  let paired = false;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const source = rule.facts.origin;
    // A lone \r inside the line ends a line for the editor: the places the panel would find in it are wrong there.
    if (!(source instanceof CommandLine) || source.column !== 0 || LONE_CR.test(source.text)) return undefined;
    at.push(source.line);
    texts.push(source.text);
    if (rule.addresses) {
      pairs[i] = { source: rule.addresses.source, destination: rule.addresses.destination };
      paired = true;
    }
  }
  return paired ? { at, text: texts.join('\n'), pairs } : { at, text: texts.join('\n') };
}

function ruleSnapshot(rule: Rule, places: Places): RuleSnapshot {
  const r: RuleSnapshot = { words: rule.command.words.map(wordSnapshot), at: lineRanges(places.rule(rule)) };
  if (rule.addresses) r.addresses = { source: rule.addresses.source, destination: rule.addresses.destination };
  return r;
}

/** One range per line, from the first span's start to the last one's end on it. */
function lineRanges(spans: readonly Span[]): Span[] {
  const byLine = new Map<number, Span>();
  for (const { line, start, end } of spans) {
    const r = byLine.get(line);
    if (!r) byLine.set(line, { line, start, end });
    else {
      r.start = Math.min(r.start, start);
      r.end = Math.max(r.end, end);
    }
  }
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}

function wordSnapshot(w: Token): WordSnapshot {
  if (w.unknown !== undefined) return [w.text, w.line, w.start, w.end, w.quoted ? 1 : 0, w.unknown];
  return w.quoted ? [w.text, w.line, w.start, w.end, 1] : [w.text, w.line, w.start, w.end];
}

function tokenOf([text, line, start, end, quoted, unknown]: WordSnapshot): Token {
  const t: Token = { text, line, start, end };
  if (quoted) t.quoted = true;
  if (unknown !== undefined) t.unknown = unknown;
  return t;
}

/** The ruleset the snapshot was made from: the same rules, targets, jumps and hooks (a save file's rules read when first asked). */
export function rulesetFromSnapshot(s: RulesetSnapshot): Ruleset {
  const ruleset: Ruleset = { family: s.family, tables: new Map(), starts: s.starts };
  for (const t of s.tables) {
    const table: Table = { name: t.name, spec: findTable(t.name), chains: new Map(), fragment: t.fragment };
    for (const c of t.chains) {
      const hooks = HookSet.from(c.hooks);
      const chain: Chain = c.lines
        ? new LineChain(c.name, t.name, c.builtin, hooks, table, s.family, c.lines)
        : new TableChain(c.name, t.name, c.builtin, undefined, hooks);
      if (c.policy) chain.policy = c.policy;
      table.chains.set(c.name, chain);
    }
    let words = false;
    for (const c of t.chains) {
      if (!c.rules) continue;
      words = true;
      table.chains.get(c.name)!.rules = c.rules.map((r) => {
        // Not restore input: a script's words may carry `-t`; the table is the context either way.
        const command = parseCommand(r.words.map(tokenOf), { family: s.family, restore: false, table: t.name }, []);
        const facts = factsOf(command, { command, head: headOf(command) }, t.name, s.family);
        const pair = r.addresses && addressPair(facts, s.family, r.addresses.source, r.addresses.destination);
        return chainRule(c.name, 0, targetRef(table, facts.head), facts, pair);
      });
    }
    // A script's chains are linked as built; a save file's come with their hooks and nothing else needs the links.
    if (words) linkChains(table);
    ruleset.tables.set(t.name, table);
  }
  return ruleset;
}

/**
 * A chain of a save file rebuilt from its lines: its rules are made when a
 * trace first enters it (most chains of a kube-proxy node never are). Its
 * `references` and `jumps` stay empty: the engine does not read them.
 */
class LineChain implements Chain {
  declare readonly kind: 'chain';
  declare readonly goto: false;
  readonly chain: Chain = this;
  policy?: string;
  references: Rule[] = [];
  jumps: Chain[] = [];
  order = 0;
  gotoRef?: ChainRef = undefined;
  private made?: Rule[];

  constructor(
    public name: string,
    public table: string,
    public builtin: boolean,
    public hooks: HookSet,
    private readonly owner: Table,
    private readonly family: Family,
    private readonly lines: LineRules,
  ) {}

  get rules(): Rule[] {
    if (!this.made) {
      const texts = this.lines.text.split('\n');
      this.made = this.lines.at.map((line, i) => new LineRule(this.owner, this.name, i + 1, this.family, line, texts[i], this.lines.pairs?.[i]));
    }
    return this.made;
  }

  set rules(rules: Rule[]) {
    this.made = rules;
  }
}

jumpTargets(LineChain);

/** A rule of a save file rebuilt from its line, parsed again when a trace compiles its chain. */
class LineRule implements Rule {
  private read?: { statement: CommandLine; command: Command; target: TargetRef };
  private known?: RuleFacts;

  constructor(
    private readonly owner: Table,
    public chain: string,
    public index: number,
    private readonly family: Family,
    private readonly line: number,
    private readonly text: string,
    private readonly pair?: { source?: string; destination?: string },
  ) {}

  get table(): string {
    return this.owner.name;
  }

  private parsed(): { statement: CommandLine; command: Command; target: TargetRef } {
    if (!this.read) {
      const found = readCommandLine(this.text, this.line, { family: this.family, restore: true, table: this.owner.name });
      if (!found) throw new Error(`line ${this.line + 1} of the rules has no command`);
      this.read = { ...found, target: targetRef(this.owner, found.statement.head) };
    }
    return this.read;
  }

  get facts(): RuleFacts {
    const { statement, command } = this.parsed();
    return this.known ??= factsOf(command, statement, this.owner.name, this.family);
  }

  get target(): TargetRef {
    return this.parsed().target;
  }

  get addresses(): AddressPair | undefined {
    const pair = this.pair;
    return pair && addressPair(this.facts, this.family, pair.source, pair.destination);
  }

  get command(): Command {
    return this.parsed().command;
  }

  get spec(): RuleSpec {
    return this.command.rule;
  }

  get shape(): Shape {
    return this.addresses?.shape ?? this.facts.shape;
  }
}

/** Where a rule of a save file's chain (`filter/INPUT/3`) is written, from its words: worked out for the few rules a trace shows. */
export function linePlace(ruleset: Ruleset, id: string): Span[] {
  const first = id.indexOf('/');
  const last = id.lastIndexOf('/');
  const rule = ruleset.tables.get(id.slice(0, first))?.chains.get(id.slice(first + 1, last))?.rules[Number(id.slice(last + 1)) - 1];
  return rule instanceof LineRule ? lineRanges(rule.command.words) : [];
}
