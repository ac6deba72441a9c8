// Applies table blocks, chain declarations and commands to a ruleset in order,
// the way iptables-restore and libiptc would, reporting what they would refuse
// at that moment (a rule for a chain that does not exist yet, a jump to a chain
// declared further down, a delete of a rule that is not there...).
import { closest, didYouMean, Diagnostic, diagnostic, DiagnosticCode, FixFacts, Severity, Span } from '../diagnostics';
import {
  ExtensionSpec, Family, POLICIES, STANDARD_TARGETS, TABLES, findTable, isBuiltinChain, isStandardTarget, targetsFor,
} from '../knowledge';
import { chainPattern } from '../knowledge/wellKnownChains';
import { type Command, type CommandHead, headOf, LineHead } from '../syntax/command';
import type { CommandSource, SaveFile, Statement, TableBlock } from '../syntax/saveFile';
import type { Token } from '../syntax/token';
import { added, leadsTo, linkChains, reachFromHooks, spreadHooks } from './graph';
import { HookSet } from './hookSet';
import { canonicalRule } from './saveText';
import { addedDepthProblems, loopProblems, ruleCommitProblems, tableCommitProblems } from './kernelChecks';
import { addressPairs, factsOf, lineFacts, rememberFacts, RuleFacts } from './ruleFacts';
import { Chain, ChainRule, PairRule, Rule, Ruleset, Table, TableChain, TargetRef } from './ruleset';
import { grouped, ruleCount, t } from '../l10n';

export interface BuildOptions {
  /** Chains created by other tools or files (`*` is a wildcard): jumps to them are not errors. */
  externalChains: readonly string[];
}

interface PendingJump {
  rule: Rule;
  token: Token;
  goto: boolean;
  table: Table;
}

export class RulesetBuilder {
  readonly ruleset: Ruleset;
  private readonly external: RegExp[];
  private pending: PendingJump[] = [];
  /**
   * Where the chains created in the current block (`:NAME`, `-N`) were declared, in order: to
   * explain "declared later". Filed by name only when a message asks (declaredInBlock): kube-proxy's
   * nat block declares 55k chains and asks for none.
   */
  private declared: Token[] = [];
  private declaredByName?: Map<string, Token>;

  private declaring(token: Token): void {
    this.declared.push(token);
    this.declaredByName?.set(token.text, token);
  }

  /** The last declaration of the chain `name` in the current block. */
  private declaredInBlock(name: string): Token | undefined {
    if (!this.declaredByName) {
      this.declaredByName = new Map();
      for (const token of this.declared) this.declaredByName.set(token.text, token);
    }
    return this.declaredByName.get(name);
  }

  constructor(
    family: Family,
    options: BuildOptions,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.ruleset = { family, tables: new Map() };
    this.external = options.externalChains.map(chainPattern);
    this.sink = diagnostics;
  }

  /** Where diagnostics go; a script's evaluation swaps it per command. */
  private sink: Diagnostic[];

  private report(code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error', fix?: FixFacts): void {
    this.sink.push(diagnostic(code, span, message, severity, fix));
  }

  /** A table's chains as a fresh kernel table has them: built-ins with policy ACCEPT, no rules. */
  private freshTable(name: string, header?: Token): Table {
    const spec = findTable(name);
    const table: Table = { name, spec, header, chains: new Map(), fragment: true };
    for (const hook of spec?.chains ?? []) table.chains.set(hook, newChain(hook, name, true));
    return table;
  }

  /**
   * `*table`: without --noflush the table is emptied and its user chains
   * deleted; with it (`noflush`), the rules loaded before stay.
   */
  beginTable(name: Token, restore: { noflush?: boolean; inScript?: boolean } = {}): Table | undefined {
    this.endBlock();
    if (!findTable(name.text)) {
      this.report('unknown-table', name, t('there is no table `{0}`; the tables are filter, nat, mangle, raw and security', name.text));
      return undefined;
    }
    const existing = this.ruleset.tables.get(name.text);
    this.noflush = restore.noflush === true;
    this.inScript = restore.inScript === true;
    if (existing && restore.noflush) {
      // Its rules were linked before; what this block changes is linked again at the end.
      this.stale.add(existing);
      this.blockOpen = true;
      return existing;
    }
    if (existing && !restore.inScript) {
      this.report('table-repeated', name, t('`*{0}` appears a second time: iptables-restore flushes the table again, so the rules of the earlier block are lost', name.text), 'warning');
    }
    const table = this.freshTable(name.text, name);
    if (existing) table.fragment = existing.fragment;
    this.ruleset.tables.set(name.text, table);
    this.blockOpen = true;
    return table;
  }

  /** Restore input inside a script: the ruleset before it is known, so nothing is a fragment. */
  private inScript = false;

  /** Inside an `iptables-restore --noflush` block: declaring an existing chain empties it. */
  private noflush = false;

  /** `:CHAIN POLICY [counters]`; `policy` undefined for `-` (ChainDeclaration). */
  private declareChain(table: Table, name: Token, policy: Token | undefined): void {
    const chainName = name.text;
    if (chainName === '') return;
    const builtin = isBuiltinChain(table.name as never, chainName);
    if (!builtin) {
      const existing = table.chains.get(chainName);
      if (existing && this.noflush) {
        existing.rules = [];
      } else if (existing) {
        this.report('duplicate-chain', name, t('chain `{0}` is already declared{1}: iptables-restore fails with "File exists"', chainName, where(existing.declaration)));
        return;
      } else if (isStandardTarget(chainName)) {
        this.report('chain-name', name, t('`{0}` is a built-in verdict and cannot be a chain name', chainName));
        return;
      } else {
        table.chains.set(chainName, newChain(chainName, table.name, false, name));
        this.declaring(name);
      }
    }
    if (!policy) return;
    if (!builtin) {
      const other = isBuiltinChain('mangle', chainName) ? t(' ({0} is a built-in chain of other tables, not of {1})', chainName, table.name) : '';
      this.report(other ? 'chain-not-in-table' : 'policy-on-user-chain', policy, t('only built-in chains have a policy; write `:{0} -` for a user-defined chain{1}', chainName, other));
      return;
    }
    this.setPolicy(table, table.chains.get(chainName)!, policy);
  }

  private setPolicy(table: Table, chain: Chain, policy: Token): void {
    // A policy only the running script knows: the chain keeps the one it has, unjudged.
    if (policy.unknown) return;
    if (!(POLICIES as readonly string[]).includes(policy.text)) {
      const lower = policy.text.toUpperCase();
      const upper = (POLICIES as readonly string[]).includes(lower);
      const hint = upper ? t(' (policies are upper case: `{0}`)', lower) : '';
      this.report('invalid-policy', policy, t('`{0}` is not a policy: a built-in chain\'s policy is ACCEPT or DROP{1}', policy.text, hint), 'error', upper ? { replaceWith: lower } : undefined);
      return;
    }
    chain.policy = policy.text;
    chain.policyToken = policy;
    table.fragment = false;
  }

  /** Applies a command; returns the rules it added (for -A, -I, -R). */
  private apply(table: Table, facts: RuleFacts): Rule[] {
    this.edited(table);
    const command = facts.head;
    if (!command.kind || command.otherFamily) return [];
    const chain = this.chainNamed(table, command.chainName);
    if (command.kind === 'append' || command.kind === 'insert' || command.kind === 'replace') {
      // The chain's token is made (a rule file's head keeps none) only for a message.
      const c = chain ?? this.needChain(table, command.chain, undefined, true);
      if (!c) return [];
      const rules = this.withAddresses(this.makeRule(table, c, facts), true);
      const n = command.ruleNumber?.value;
      if (command.kind === 'append') {
        for (const rule of rules) this.appendRule(table, c, rule);
      } else if (command.kind === 'insert') {
        const at = n ?? 1;
        if (at > c.rules.length + 1) {
          this.report('rule-number', command.ruleNumber!.token, t('chain {0} has {1} at this point: `-I {0} {2}` fails ("Index of insertion too big"); use at most {3}', c.name, ruleCount(c.rules.length), at, c.rules.length + 1));
          return [];
        }
        this.insertRules(table, c, at, rules);
      } else if (n !== undefined) {
        this.stale.add(table);
        if (n > c.rules.length) {
          this.report('no-such-rule', command.ruleNumber!.token, t('chain {0} has {1} at this point: there is no rule {2} to replace', c.name, ruleCount(c.rules.length), n));
          return [];
        }
        if (rules.length > 1) {
          const spec = facts.origin.command.rule;
          this.report('invalid-value', spec.source?.value ?? spec.destination!.value, t('`-R` replaces one rule: it takes a single source and destination address'));
          return [];
        }
        c.rules[n - 1] = rules[0];
      }
      return rules;
    }
    const chainToken = command.chain;
    this.lastChain = undefined;
    switch (command.kind) {
      case 'delete': {
        const c = this.needChain(table, chainToken, chain);
        if (!c) return [];
        this.stale.add(table);
        const n = command.ruleNumber?.value;
        if (n !== undefined) {
          if (n > c.rules.length) {
            this.report('no-such-rule', command.ruleNumber!.token, t('chain {0} has {1} at this point: there is no rule {2} to delete', c.name, ruleCount(c.rules.length), n));
          } else {
            c.rules.splice(n - 1, 1);
          }
          return [];
        }
        const remaining = [...c.rules];
        for (const wanted of this.withAddresses(this.ruleLike(table, c, facts))) {
          const key = canonicalRule(wanted, this.ruleset.family);
          const at = remaining.findIndex((r) => canonicalRule(r, this.ruleset.family) === key);
          if (at < 0) {
            this.report('no-such-rule', command.flag!, t('no rule of {0} matches this one at this point, so the delete fails ("Bad rule")', c.name));
            return [];
          }
          remaining.splice(at, 1);
        }
        c.rules = remaining;
        return [];
      }
      case 'check':
        this.needChain(table, chainToken, chain);
        return [];
      case 'newChain': {
        if (!chainToken) return [];
        if (table.chains.has(chainToken.text)) {
          this.report('duplicate-chain', chainToken, t('chain `{0}` already exists{1}: `-N` fails', chainToken.text, where(table.chains.get(chainToken.text)!.declaration)));
          return [];
        }
        table.chains.set(chainToken.text, newChain(chainToken.text, table.name, false, chainToken));
        this.declaring(chainToken);
        return [];
      }
      case 'flush':
      case 'zero':
        if (command.kind === 'flush') this.stale.add(table);
        if (chainToken) {
          const c = this.needChain(table, chainToken, chain);
          if (c && command.kind === 'flush') c.rules = [];
        } else if (command.kind === 'flush') {
          for (const c of table.chains.values()) c.rules = [];
        }
        return [];
      case 'deleteChain':
        this.stale.add(table);
        this.deleteChain(table, chainToken, command.flag);
        return [];
      case 'renameChain': {
        const c = this.needChain(table, chainToken, chain);
        const newName = command.newName;
        if (!c || !newName) return [];
        if (c.builtin) {
          this.report('chain-name', chainToken!, t('{0} is a built-in chain and cannot be renamed', c.name));
          return [];
        }
        if (table.chains.has(newName.text)) {
          this.report('duplicate-chain', newName, t('chain `{0}` already exists', newName.text));
          return [];
        }
        this.stale.add(table);
        table.chains.delete(c.name);
        c.name = newName.text;
        c.declaration = newName;
        table.chains.set(c.name, c);
        for (const ch of table.chains.values()) {
          for (const r of ch.rules) {
            if (r.target.kind === 'chain' && r.target.name === chainToken!.text) r.target = { ...r.target, name: c.name };
            if (r.chain === chainToken!.text) r.chain = c.name;
          }
        }
        return [];
      }
      case 'policy': {
        if (!chainToken || !command.policy) return [];
        const c = this.needChain(table, chainToken, chain);
        if (!c) return [];
        if (!c.builtin) {
          this.report('policy-on-user-chain', chainToken, t('{0} is a user-defined chain: only built-in chains have a policy', c.name));
          return [];
        }
        this.setPolicy(table, c, command.policy);
        return [];
      }
      case 'list':
      case 'listRules':
        this.report('option-not-allowed', command.flag!, t('`{0}` only prints the rules; it has no place in a file for iptables-restore', command.flag!.text), 'warning');
        return [];
    }
  }

  /** `creating`: the command adds rules, so creating the chain first is a fix. */
  private needChain(table: Table, token: Token | undefined, chain: Chain | undefined, creating = false): Chain | undefined {
    if (token && !chain) this.missingChain(table, token, creating);
    return chain;
  }

  private deleteChain(table: Table, chainToken: Token | undefined, flag: Token | undefined): void {
    const victims = chainToken ? [table.chains.get(chainToken.text)] : [...table.chains.values()].filter((c) => !c.builtin);
    if (chainToken && !victims[0]) {
      this.missingChain(table, chainToken);
      return;
    }
    for (const c of victims) {
      if (!c) continue;
      if (c.builtin) {
        this.report('chain-name', chainToken ?? flag!, t('{0} is a built-in chain and cannot be deleted', c.name));
        continue;
      }
      const users = [...table.chains.values()].flatMap((ch) => ch.rules).filter((r) => r.target.kind === 'chain' && r.target.name === c.name);
      if (users.length) {
        this.report('chain-in-use', chainToken ?? flag!, t('chain {0} is still the target of {1} (in {2}): `-X` fails ("Too many links")', c.name, ruleCount(users.length), users[0].chain));
        continue;
      }
      if (c.rules.length && chainToken) {
        this.report('chain-in-use', chainToken, t('chain {0} still has {1}: flush it (`-F {0}`) before `-X`', c.name, ruleCount(c.rules.length)));
        continue;
      }
      table.chains.delete(c.name);
    }
  }

  private missingChain(table: Table, token: Token, creating = false): void {
    const elsewhere = TABLES.map((tgt) => tgt.name).filter((tgt) => tgt !== table.name && isBuiltinChain(tgt, token.text));
    if (elsewhere.length) {
      this.report('chain-not-in-table', token, t('the {0} table has no {1} chain ({1} is built into {2}); its built-in chains are {3}', table.name, token.text, elsewhere.join(', '), table.spec?.chains.join(', ')));
      return;
    }
    // In restore input the block may still create it further down: that is known when the block ends.
    if (this.blockOpen) this.missing.push({ table, token, creating });
    else this.reportMissing(table, token, creating);
  }

  private reportMissing(table: Table, token: Token, creating: boolean): void {
    const declared = this.declaredInBlock(token.text);
    const later = declared && declared.line > token.line ? declared : undefined;
    if (later) {
      this.report('chain-not-in-table', token, t('chain `{0}` is only created further down (line {1}); iptables-restore needs it before this line', token.text, later.line + 1));
    } else {
      this.report('chain-not-in-table', token, t('chain `{0}` does not exist in the {1} table: declare it first with `:{0} - [0:0]` or `-N {0}`', token.text, table.name),
        'error', creating ? { createChain: { name: token.text, table: table.name } } : undefined);
    }
  }

  /** Restore input between `*table` and the block's end: a missing chain may still be declared further down. */
  private blockOpen = false;
  private missing: { table: Table; token: Token; creating: boolean }[] = [];

  /** The chain lines and commands of a `*table` block, in order. */
  loadBlock(table: Table, block: TableBlock): void {
    for (const st of block.statements) this.statement(table, st);
  }

  /**
   * One statement of a block. `command`: its whole command, when the line was
   * just parsed (the file is built as it is read, while its words are at hand).
   */
  /** Applies one line of a rule file; how many rules it made. */
  statement(table: Table, st: Statement, command?: Command): number {
    if (st.kind === 'chain') {
      this.declareChain(table, st.name, st.policy);
      return 0;
    }
    if (command && st.facts === undefined) rememberFacts(st, command);
    const facts = lineFacts(st);
    const head = facts.head;
    // Nearly every line of a large file appends one rule to a chain it has: no list made for it.
    if (head.kind === 'append' && !head.otherFamily && facts.lists === undefined) {
      const chain = this.chainNamed(table, head.chainName);
      if (chain) {
        // No edit counted per rule: a block of a script's restore is counted as edited when it begins (runRestore), and a file has no checkpoints.
        this.appendRule(table, chain, this.makeRule(table, chain, facts));
        return 1;
      }
    }
    return this.apply(table, facts).length;
  }

  /**
   * The chain a command names, looked up once for a run of lines that name the same one (a file lists a chain's rules together).
   * The next run is most often the next chain declared (iptables-save lists the chains' rules in that order):
   * that chain, read in the map's own order, is taken when its key is the name, before the lookup by hash.
   */
  private chainNamed(table: Table, name: string | undefined): Chain | undefined {
    if (name === undefined) return undefined;
    const chains = table.chains;
    if (chains === this.lastChains) {
      const last = this.lastChain;
      if (last !== undefined && name === last.name) return last;
    } else {
      this.lastChains = chains;
      this.declarationOrder = chains.entries();
    }
    const chain = this.declaredNext(name) ?? chains.get(name);
    this.lastChain = chain;
    return chain;
  }

  /** The chain under `name` among the next few of declarationOrder, which then goes on after it. */
  private declaredNext(name: string): Chain | undefined {
    for (let i = 0; i < DECLARATION_GAP; i++) {
      const step = this.declarationOrder!.next();
      if (step.done) return undefined;
      if (step.value[0] === name) return step.value[1];
    }
    return undefined;
  }

  /** chainNamed's last answer, for the chains of `lastChains`; forgotten by any command that may remove a chain. */
  private lastChain?: Chain;
  private lastChains?: Map<string, Chain>;
  /**
   * The entries of `lastChains` from the one after the last that chainNamed found by it. A map's iterator
   * follows the map as it changes (a deleted chain is skipped, a new one comes at the end), so what
   * it gives is always in the map under that key; read once through, it gives nothing more.
   */
  private declarationOrder?: Iterator<[string, Chain]>;

  /** For a name that is no target: the chain or target it is probably a typo of, for the message and a quick fix. */
  private targetGuess(table: Table, name: string): { hint: string; fix?: FixFacts } {
    const sameLetters = [...table.chains.keys()].find((c) => c.toLowerCase() === name.toLowerCase());
    if (sameLetters) return { hint: t(' (chain names are case-sensitive: did you mean `{0}`?)', sameLetters), fix: { replaceWith: sameLetters } };
    const meant = closest(name, [...Object.keys(STANDARD_TARGETS), ...targetsFor(this.ruleset.family).map((tgt) => tgt.name), ...table.chains.keys()]);
    return { hint: didYouMean(meant), fix: meant ? { replaceWith: meant } : undefined };
  }

  /** Rules made from address lists so far: what withAddresses may still expand. */
  private listed = 0;

  /**
   * `-s a,b -d c,d`: one rule per address pair, sources outermost, as iptables
   * adds them. Past MAX_LISTED_RULES in all (`adding`), or for a single command,
   * the command stays one rule: its addresses are then tested as a list.
   */
  private withAddresses(rule: Rule, adding = false): Rule[] {
    const lists = rule.facts.lists;
    if (!lists) return [rule];
    if ((adding ? this.listed : 0) + lists.count > MAX_LISTED_RULES) {
      if (adding) {
        const spec = rule.facts.origin.command.rule;
        const sides = t('{0} sources × {1} destinations', grouped(lists.sources.length), grouped(lists.destinations.length));
        this.report('too-many-rules', spec.source?.value ?? spec.destination!.value,
          t('iptables makes {0} rules of this command ({1}); past {2} rules from address lists in one file they are not checked one by one: this command is checked as one rule', grouped(lists.count), sides, grouped(MAX_LISTED_RULES)), 'information');
      }
      return [rule];
    }
    if (adding) this.listed += lists.count;
    return addressPairs(rule.facts, this.ruleset.family)!.map((pair) => new PairRule(rule.chain, rule.index, rule.target, rule.facts, pair));
  }

  /** A rule as a command describes it, only to compare with existing ones (-D, -C). */
  private ruleLike(table: Table, chain: Chain, facts: RuleFacts): Rule {
    return new ChainRule(chain.name, 0, targetRef(table, facts.head), facts);
  }

  private makeRule(table: Table, chain: Chain, facts: RuleFacts): Rule {
    const head = facts.head;
    const target = targetRef(table, head);
    // The model's strings of the names (the same text): a chain's rules keep one string of its name, not a slice of their line each.
    if (head instanceof LineHead) head.shareNames(chain.name, nameOf(target));
    const rule = new ChainRule(chain.name, 0, target, facts);
    if (target.kind === 'unresolved') this.pending.push({ rule, token: head.target!.nameToken, goto: head.goto, table });
    if (target.kind === 'chain' && target.chain.builtin) {
      this.report('undefined-jump', head.target!.nameToken, t('{0} is a built-in chain: rules cannot jump to it (only to user-defined chains)', head.targetName));
    }
    return rule;
  }

  /** Closes the current block: chains and jumps that never found their chain are reported now. */
  endBlock(): void {
    this.blockOpen = false;
    for (const m of this.missing) this.reportMissing(m.table, m.token, m.creating);
    this.missing = [];
    for (const p of this.pending) {
      const name = p.token.text;
      const later = this.declaredInBlock(name);
      const verb = p.goto ? t('goes to') : t('jumps to');
      if (later && p.table.chains.has(name)) {
        this.report('undefined-jump', p.token, t('this rule {0} `{1}` before the chain is created (line {2}): iptables-restore fails here; declare the chain at the top of the table', verb, name, later.line + 1));
      } else if (this.external.some((re) => re.test(name))) {
        this.report('undefined-jump', p.token, t('`{0}` is not defined in this file; it is taken to be created elsewhere (setting iptables.externalChains), and loading fails if it does not exist then', name), 'warning');
      } else if (p.table.fragment && !this.inScript) {
        const guess = this.targetGuess(p.table, name);
        this.report('undefined-jump', p.token, t('`{0}` is not defined in this file{1}; as this table sets no policies it looks like a fragment for `iptables-restore --noflush`, so the chain must exist when it is loaded', name, guess.hint), 'warning', guess.fix);
      } else {
        const guess = this.targetGuess(p.table, name);
        this.report('undefined-jump', p.token, t('`{0}` is neither a target nor a chain of the {1} table{2}: declare it with `:{0} - [0:0]`, or add it to iptables.externalChains if another tool creates it', name, p.table.name, guess.hint),
          'error', { ...guess.fix, createChain: { name, table: p.table.name } });
      }
    }
    this.pending = [];
    this.declared = [];
    this.declaredByName = undefined;
  }

  // ---- scripts: each iptables command is its own commit, from an empty ruleset ----

  /**
   * Each table's last edit, from a count that only grows: a table holds the
   * same as at a checkpoint while its number is the one the checkpoint saw.
   */
  private readonly edits = new WeakMap<Table, number>();
  private editCount = 0;

  private edited(table: Table): void {
    this.edits.set(table, ++this.editCount);
  }

  /** A chain there before the script runs, empty (one the script that sources a fragment made). */
  givenChain(tableName: string, name: string): void {
    const table = this.touchTable(tableName);
    this.edited(table);
    if (!table.chains.has(name)) table.chains.set(name, newChain(name, tableName, false));
  }

  /** A table comes to exist when a command first names it, even `-F`. */
  private touchTable(name: string): Table {
    let table = this.ruleset.tables.get(name);
    if (!table) {
      table = this.freshTable(name);
      this.ruleset.tables.set(name, table);
      this.stale.add(table);
    }
    return table;
  }

  /**
   * Runs one iptables command of a script, as the kernel would take it:
   * applied and committed at once, or refused with nothing changed.
   * Diagnostics go to `sink`; the result says whether iptables succeeds.
   * `source`: what the rules it makes keep of it (a script's call: its head, and its words when asked for).
   */
  runCommand(command: Command, sink: Diagnostic[], source: CommandSource = { command, head: headOf(command) }): boolean {
    this.sink = sink;
    try {
      return this.runScriptCommand(command, source);
    } finally {
      this.sink = this.diagnostics;
    }
  }

  private runScriptCommand(command: Command, source: CommandSource): boolean {
    if (command.printsOnly) return !hasError(this.sink);
    if (!command.kind || hasError(this.sink)) return false;
    const tableName = command.table?.text ?? 'filter';
    const facts = factsOf(command, source, tableName, this.ruleset.family);
    if (command.table?.unknown) return true;
    if (!findTable(tableName)) {
      this.report('unknown-table', command.table!, t('there is no table `{0}`; the tables are filter, nat, mangle, raw and security', tableName));
      return false;
    }
    const table = this.touchTable(tableName);
    if (command.chain?.unknown) return true;
    if (command.kind === 'check') return this.hasRule(table, facts);
    if (command.kind === 'list' || command.kind === 'listRules') {
      if (command.chain && !table.chains.has(command.chain.text)) this.missingChain(table, command.chain);
      return !hasError(this.sink);
    }
    const target = command.rule.target;
    if (target && !target.nameToken.unknown && (command.kind === 'append' || command.kind === 'insert' || command.kind === 'replace')) {
      const name = target.name;
      const resolved = (!target.goto && isStandardTarget(name)) || table.chains.has(name) || (!target.goto && target.spec);
      if (!resolved && !this.external.some((re) => re.test(name))) {
        const { hint, fix } = this.targetGuess(table, name);
        this.report('undefined-jump', target.nameToken, target.goto
          ? t('`-g {0}` fails: there is no chain `{0}` in the {1} table at this point{2}', name, table.name, hint)
          : t('`{0}` is neither a target nor a chain of the {1} table at this point, so iptables fails ("Couldn\'t load target"){2}; create it first with `iptables -N {0}`', name, table.name, hint),
          'error', { ...fix, createChain: { name, table: table.name } });
        return false;
      }
      if (!resolved) {
        this.report('undefined-jump', target.nameToken, t('`{0}` is not created by this script; it is taken to be created elsewhere (setting iptables.externalChains)', name), 'warning');
      }
    }
    // A new chain is empty and nothing jumps to it: nothing to link, nothing else to check again.
    if (command.kind === 'newChain') {
      this.apply(table, facts);
      return !hasError(this.sink);
    }
    const jumps = (rules: Rule[]) => rules.some((r) => r.target.kind === 'chain');
    const chain = command.chain ? table.chains.get(command.chain.text) : undefined;
    // Appends and inserts are undone by removing what they added; other commands keep a copy of the table.
    const adds = command.kind === 'append' || command.kind === 'insert';
    const linked = adds && chain !== undefined && !this.stale.has(table);
    const before = adds && chain ? undefined : snapshotChains(table);
    this.pending = [];
    const added = this.apply(table, facts);
    this.pending = [];
    const undo = () => {
      if (before) restoreChains(table, before);
      else if (chain) {
        const drop = new Set(added);
        chain.rules = chain.rules.filter((r) => !drop.has(r));
      }
      this.relink(table, true);
    };
    if (hasError(this.sink)) {
      undo();
      return false;
    }
    if (linked && !this.stale.has(table)) {
      const problems = this.addedProblems(table, chain, added);
      if (problems) {
        const refused = problems.filter((d) => d.severity === 'error');
        for (const d of refused) this.sink.push(d);
        if (refused.length) undo();
        else addedDepthProblems(table, chain, added, this.sink);
        return refused.length === 0;
      }
    }
    const hooksMayChange = !adds || jumps(added);
    const hooksBefore = hooksMayChange ? new Map([...table.chains].map(([n, c]) => [n, c.hooks.bits])) : undefined;
    this.relink(table, hooksMayChange);
    const problems: Diagnostic[] = [];
    for (const c of table.chains.values()) {
      // The rules the command added; after any other command, or where a chain gained a hook, all of them.
      const recheckAll = !adds || (hooksBefore !== undefined && (hooksBefore.get(c.name) ?? 0) !== c.hooks.bits);
      for (const rule of recheckAll ? c.rules : c === chain ? added : []) ruleCommitProblems(table, c, rule, problems);
    }
    const circle = hooksMayChange && loopProblems(table, problems);
    const refused = problems.filter((d) => d.severity === 'error');
    for (const d of refused) this.sink.push(d);
    if (refused.length) {
      undo();
      return false;
    }
    if (chain && !circle && jumps(added)) addedDepthProblems(table, chain, added, this.sink);
    return true;
  }

  /**
   * The kernel's commit checks after rules were appended or inserted into a
   * linked table, linked as they came: the hooks their jumps bring to the chains
   * below, and the rules of the chains that gained one, checked again; nothing
   * else in the table. Undefined when a jump may close a circle (the whole table is then linked and checked).
   */
  private addedProblems(table: Table, chain: Chain, added: Rule[]): Diagnostic[] | undefined {
    const targets = added.map((rule) => (rule.target.kind === 'chain' ? rule.target.chain : undefined)).filter((c) => c !== undefined);
    if (targets.some((target) => leadsTo(target, chain))) return undefined;
    const gained: Chain[] = [];
    for (const target of targets) spreadHooks(chain.hooks.bits, target, gained);
    const problems: Diagnostic[] = [];
    for (const rule of added) ruleCommitProblems(table, chain, rule, problems);
    for (const c of gained) for (const rule of c.rules) ruleCommitProblems(table, c, rule, problems);
    return problems;
  }

  /**
   * Tables whose jump graph changed since it was last linked. A table that only
   * grows at the end is linked rule by rule as it grows: loading a file needs
   * no pass over every rule afterwards, only the walk from the hooks.
   */
  private stale = new Set<Table>();

  private appendRule(table: Table, chain: Chain, rule: Rule): void {
    chain.rules.push(rule);
    if (this.stale.has(table)) return;
    rule.index = chain.rules.length;
    const target = rule.target.kind === 'chain' ? rule.target.chain : undefined;
    if (!target) return;
    target.references = added(target.references, rule);
    if (chain.jumps[chain.jumps.length - 1] !== target) chain.jumps = added(chain.jumps, target);
  }

  /** `-I CHAIN at`: the chain's rules from there on move down; in a linked table, the new rules' jumps are linked as they come. */
  private insertRules(table: Table, chain: Chain, at: number, rules: Rule[]): void {
    // Each address pair is inserted at the same position, so they end up in reverse order.
    for (const rule of rules) chain.rules.splice(at - 1, 0, rule);
    if (this.stale.has(table)) return;
    for (let i = at - 1; i < chain.rules.length; i++) chain.rules[i].index = i + 1;
    for (const rule of rules) {
      const target = rule.target.kind === 'chain' ? rule.target.chain : undefined;
      if (!target) continue;
      target.references = added(target.references, rule);
      if (!chain.jumps.includes(target)) chain.jumps = added(chain.jumps, target);
    }
  }

  /** Re-links a table's chains (hooks, references, rule positions) when needed. */
  private relink(table: Table, changed: boolean): void {
    if (changed) this.stale.add(table);
    if (!this.stale.has(table)) return;
    linkChains(table);
    this.stale.delete(table);
  }

  /** `-C`: does an identical rule exist? */
  private hasRule(table: Table, facts: RuleFacts): boolean {
    const command = facts.head;
    const chain = command.chain ? table.chains.get(command.chain.text) : undefined;
    if (!chain) {
      if (command.chain) this.missingChain(table, command.chain);
      return false;
    }
    const wanted = this.withAddresses(this.ruleLike(table, chain, facts));
    return wanted.every((w) => chain.rules.some((r) => canonicalRule(r, this.ruleset.family) === canonicalRule(w, this.ruleset.family)));
  }

  /**
   * `iptables-restore [--noflush] [--test]` inside a script, as the legacy tool
   * runs it: each table is committed at its COMMIT, so a failure keeps the
   * tables committed before it. The table being read when it fails exists
   * afterwards as the tool opened it (empty when it was new); the blocks after
   * it are checked but change nothing. `--test` commits nothing, but leaves
   * the tables it read. Returns whether the whole input loads. `sink` already
   * holds the file's own diagnostics.
   */
  runRestore(file: SaveFile, options: { noflush: boolean; test: boolean }, sink: Diagnostic[]): boolean {
    this.sink = sink;
    const isError = (d: Diagnostic) => d.severity === 'error';
    const readErrors = (from: number, to: number) => file.diagnostics.slice(from, to).some(isError);
    let failed = false;
    let read = 0;
    try {
      for (const block of file.blocks) {
        // A line between two tables that the tool refuses (outside any table) stops it there.
        if (readErrors(read, block.diagnostics.from)) failed = true;
        read = block.diagnostics.toCommit ?? file.diagnostics.length;
        const name = block.name.text;
        const before = this.ruleset.tables.get(name);
        const saved = before && snapshotChains(before);
        const errors = sink.filter(isError).length;
        const table = this.beginTable(block.name, { noflush: options.noflush, inScript: true });
        if (!table) {
          failed = true;
          continue;
        }
        this.edited(table);
        this.loadBlock(table, block);
        this.endBlock();
        linkChains(table);
        tableCommitProblems(table, sink);
        const fails = block.diagnostics.toCommit === undefined || readErrors(block.diagnostics.from, read) || sink.filter(isError).length > errors;
        if (!fails && !failed && !options.test) continue;
        if (before) {
          restoreChains(before, saved!);
          linkChains(before);
          this.edited(before);
          this.ruleset.tables.set(name, before);
        } else if (failed) {
          this.ruleset.tables.delete(name);
        } else {
          this.ruleset.tables.set(name, this.freshTable(name));
        }
        failed ||= fails;
      }
      if (readErrors(read, file.diagnostics.length)) failed = true;
      this.endBlock();
      return !failed;
    } finally {
      this.noflush = false;
      this.inScript = false;
      this.sink = this.diagnostics;
    }
  }

  /**
   * Where the ruleset is now (a branch the script may not take starts here):
   * `back` puts it back there; `addMissing` adds to the ruleset of now the
   * tables and chains it had that are missing; `size`, the chains and rules copied.
   */
  checkpoint(): RulesetCheckpoint {
    const saved = [...this.ruleset.tables].map(([name, t]) => ({ name, table: t, chains: snapshotChains(t), edit: this.edits.get(t) }));
    const sizeOf = (s: (typeof saved)[number]) => {
      let n = 0;
      for (const c of s.chains.values()) n += 1 + c.rules.length;
      return n;
    };
    let size = 0;
    for (const s of saved) size += sizeOf(s);
    const back = () => {
      let restored = 0;
      this.ruleset.tables = new Map(saved.map((s) => {
        // Only the tables edited since are put back and linked again (a way that added one rule to filter leaves nat alone).
        if (this.ruleset.tables.get(s.name) === s.table && this.edits.get(s.table) === s.edit) return [s.name, s.table];
        restoreChains(s.table, s.chains);
        linkChains(s.table);
        if (s.edit === undefined) this.edits.delete(s.table);
        else this.edits.set(s.table, s.edit);
        restored += sizeOf(s);
        return [s.name, s.table];
      }));
      return restored;
    };
    const addMissing = () => {
      for (const s of saved) {
        let table = this.ruleset.tables.get(s.name);
        if (!table) {
          table = this.freshTable(s.name);
          this.ruleset.tables.set(s.name, table);
        }
        let added = false;
        for (const [name, c] of s.chains) {
          if (table.chains.has(name)) continue;
          c.chain.rules = c.rules.slice();
          c.chain.policy = c.policy;
          c.chain.name = name;
          table.chains.set(name, c.chain);
          added = true;
        }
        if (added) {
          this.edited(table);
          linkChains(table);
        }
      }
    };
    return { back, addMissing, size };
  }

  finish(): Ruleset {
    this.endBlock();
    for (const table of this.ruleset.tables.values()) {
      if (this.stale.has(table)) linkChains(table);
      else reachFromHooks(table);
      // An array grown by push keeps room for 17 or more: 55k small chains would keep megabytes of it.
      // A chain's jumps or references of one were made by `added` with room for it alone.
      table.chains.forEach((chain) => {
        if (chain.rules.length > 0) chain.rules = chain.rules.slice();
        if (chain.references.length > 1) chain.references = chain.references.slice();
        if (chain.jumps.length > 1) chain.jumps = chain.jumps.slice();
      });
    }
    this.stale.clear();
    return this.ruleset;
  }
}

/**
 * The rules made from `-s`/`-d` address lists that one analysis holds one by one.
 * More would cost more memory than the editor and iptables-lint may take (a 40 KB
 * file of 100-by-100 lists makes 200,000); the kernel takes such files, so a
 * command past the bound is still checked, as one rule.
 */
export const MAX_LISTED_RULES = 100_000;

/**
 * How many chains chainNamed looks past for the next one a file names: chains without rules
 * between them (kube-proxy declares a few); the whole order is read at most once.
 */
const DECLARATION_GAP = 4;

/** Shared, immutable: thousands of rules end in the same verdict. */
const VERDICTS: ReadonlyMap<string, TargetRef> = new Map(
  Object.keys(STANDARD_TARGETS).map((name) => [name, Object.freeze({ kind: 'verdict', name } as const)]),
);

const NO_TARGET: TargetRef = Object.freeze({ kind: 'none' });

/** What a rule's `-j`/`-g` names, among the chains the table has now. */
export function targetRef(table: Table, head: CommandHead): TargetRef {
  const name = head.targetName;
  if (name === undefined) return NO_TARGET;
  const goto = head.goto;
  const verdict = goto ? undefined : VERDICTS.get(name);
  if (verdict) return verdict;
  const chain = table.chains.get(name);
  if (chain) {
    // A chain is the target of the jumps to it; one that a script's branches left under another name gets a reference of its own.
    if (chain.name !== name) return { kind: 'chain', name, goto, chain };
    if (!goto) return chain;
    if (chain.gotoRef?.name === name) return chain.gotoRef;
    return (chain.gotoRef = { kind: 'chain', name: chain.name, goto, chain });
  }
  const spec = head.targetSpec;
  if (!spec) return { kind: 'unresolved', name, goto };
  let ref = EXTENSIONS.get(spec);
  if (!ref) EXTENSIONS.set(spec, ref = { kind: 'extension', spec });
  return ref;
}

/** The model's string of the name of what a target reference refers to (an extension's is the name it is found by). */
function nameOf(target: TargetRef): string | undefined {
  switch (target.kind) {
    case 'none': return undefined;
    case 'extension': return target.spec.name;
    case 'chain': return target.chain.name;
    default: return target.name;
  }
}

// Target references are never changed in place (a rename makes new ones for `-g`; a chain, the
// target of the jumps to it, takes its new name), so the rules that go to one chain
// (Chain.gotoRef), or use one target extension, share one: kube-proxy's 700k rules nearly all
// jump somewhere.
const EXTENSIONS = new WeakMap<ExtensionSpec, TargetRef>();

function hasError(sink: Diagnostic[]): boolean {
  return sink.some((d) => d.severity === 'error');
}

/** Where a ruleset was (see RulesetBuilder.checkpoint). */
export interface RulesetCheckpoint {
  /** Returns how many chains and rules it put back. */
  back(): number;
  addMissing(): void;
  size: number;
}

/** The chains of a table as they are now: enough to undo a refused command. */
function snapshotChains(table: Table): Map<string, { chain: Chain; rules: Rule[]; policy?: string }> {
  return new Map([...table.chains].map(([name, c]) => [name, { chain: c, rules: [...c.rules], policy: c.policy }]));
}

function restoreChains(table: Table, saved: ReturnType<typeof snapshotChains>): void {
  table.chains = new Map([...saved].map(([name, s]) => {
    // A copy: the same snapshot may be gone back to more than once.
    s.chain.rules = s.rules.slice();
    s.chain.policy = s.policy;
    s.chain.name = name;
    return [name, s.chain];
  }));
}

/** A chain as a table gets it: empty, a built-in one with policy ACCEPT. */
function newChain(name: string, table: string, builtin: boolean, declaration?: Token): Chain {
  return new TableChain(name, table, builtin, builtin ? 'ACCEPT' : undefined, HookSet.from(0), declaration);
}

function where(token: Token | undefined): string {
  return token ? t(' on line {0}', token.line + 1) : '';
}

