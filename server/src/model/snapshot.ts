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
import type { Span } from '../diagnostics';
import { findTable, Family } from '../knowledge';
import { Command, parseCommand } from '../syntax/command';
import type { Token } from '../syntax/token';
import { targetRef } from './build';
import { linkChains } from './graph';
import { HookSet } from './hookSet';
import { factsOf } from './ruleFacts';
import { Chain, ChainRule, Rule, Ruleset, Table } from './ruleset';

export interface RulesetSnapshot {
  family: Family;
  tables: TableSnapshot[];
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
  rules: RuleSnapshot[];
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
  command(c: Command): Span[];
  token(t: Token): Span[];
}

/** In a save file, words are where their tokens say. */
export const TOKEN_PLACES: Places = { command: (c) => c.words, token: (t) => [t] };

export function snapshotOf(ruleset: Ruleset, places: Places = TOKEN_PLACES): RulesetSnapshot {
  return {
    family: ruleset.family,
    tables: [...ruleset.tables.values()].filter((t) => t.spec).map((t) => ({
      name: t.name,
      fragment: t.fragment,
      chains: [...t.chains.values()].map((c) => {
        const chain: ChainSnapshot = { name: c.name, builtin: c.builtin, rules: c.rules.map((r) => ruleSnapshot(r, places)) };
        if (c.policy) chain.policy = c.policy;
        if (c.policyToken) chain.policyAt = lineRanges(places.token(c.policyToken));
        return chain;
      }),
    })),
  };
}

function ruleSnapshot(rule: Rule, places: Places): RuleSnapshot {
  const r: RuleSnapshot = { words: rule.command.words.map(wordSnapshot), at: lineRanges(places.command(rule.command)) };
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

/** The ruleset the snapshot was made from: the same rules, targets, jumps and hooks. */
export function rulesetFromSnapshot(s: RulesetSnapshot): Ruleset {
  const ruleset: Ruleset = { family: s.family, tables: new Map() };
  for (const t of s.tables) {
    const table: Table = { name: t.name, spec: findTable(t.name), chains: new Map(), fragment: t.fragment };
    for (const c of t.chains) {
      const chain: Chain = { name: c.name, table: t.name, builtin: c.builtin, rules: [], references: [], hooks: new HookSet(), jumps: [] };
      if (c.policy) chain.policy = c.policy;
      table.chains.set(c.name, chain);
    }
    for (const c of t.chains) {
      table.chains.get(c.name)!.rules = c.rules.map((r) => {
        // Not restore input: a script's words may carry `-t`; the table is the context either way.
        const command = parseCommand(r.words.map(tokenOf), { family: s.family, restore: false, table: t.name }, []);
        const facts = factsOf(command, { command }, t.name, s.family);
        const pair = r.addresses && facts.pairs?.find((p) => p.source === r.addresses!.source && p.destination === r.addresses!.destination);
        return new ChainRule(t.name, c.name, 0, targetRef(table, facts.head.target), facts, undefined, pair);
      });
    }
    linkChains(table);
    ruleset.tables.set(t.name, table);
  }
  return ruleset;
}
