// Applies table blocks, chain declarations and commands to a ruleset in order,
// the way iptables-restore and libiptc would, reporting what they would refuse
// at that moment (a rule for a chain that does not exist yet, a jump to a chain
// declared further down, a delete of a rule that is not there...).
import type { Diagnostic, DiagnosticCode, Severity, Span } from '../diagnostics';
import {
  Family, POLICIES, STANDARD_TARGETS, findTable, isBuiltinChain, isStandardTarget,
} from '../knowledge';
import type { Command } from '../syntax/command';
import type { Token } from '../syntax/token';
import { linkChains } from './graph';
import type { Chain, Rule, Ruleset, Table, TargetRef } from './ruleset';

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
  /** Chains declared in the current block, with where: to explain "declared later". */
  private declaredInBlock = new Map<string, Token>();

  constructor(
    family: Family,
    options: BuildOptions,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.ruleset = { family, tables: new Map() };
    this.external = options.externalChains.map(globToRegExp);
  }

  private report(code: DiagnosticCode, span: Span, message: string, severity: Severity = 'error'): void {
    this.diagnostics.push({ code, severity, span: { line: span.line, start: span.start, end: span.end }, message });
  }

  /** A table's chains as a fresh kernel table has them: built-ins with policy ACCEPT, no rules. */
  private freshTable(name: string, header?: Token): Table {
    const spec = findTable(name);
    const table: Table = { name, spec, header, chains: new Map(), fragment: true };
    for (const hook of spec?.chains ?? []) table.chains.set(hook, newChain(hook, name, true));
    return table;
  }

  /** `*table` without --noflush: the table is emptied and its user chains deleted. */
  beginTable(name: Token): Table | undefined {
    this.endBlock();
    if (!findTable(name.text)) {
      this.report('unknown-table', name, `there is no table \`${name.text}\`; the tables are filter, nat, mangle, raw and security`);
      return undefined;
    }
    if (this.ruleset.tables.has(name.text)) {
      this.report('table-repeated', name, `\`*${name.text}\` appears a second time: iptables-restore flushes the table again, so the rules of the earlier block are lost`, 'warning');
    }
    const table = this.freshTable(name.text, name);
    this.ruleset.tables.set(name.text, table);
    return table;
  }

  /** `:CHAIN POLICY [counters]`. */
  declareChain(table: Table, name: Token, policy: Token | undefined): void {
    const chainName = name.text;
    if (chainName === '') return;
    const builtin = isBuiltinChain(table.name as never, chainName);
    if (!builtin) {
      if (table.chains.has(chainName)) {
        this.report('duplicate-chain', name, `chain \`${chainName}\` is already declared${where(table.chains.get(chainName)!.declaration)}: iptables-restore fails with "File exists"`);
        return;
      }
      if (isStandardTarget(chainName)) {
        this.report('chain-name', name, `\`${chainName}\` is a built-in verdict and cannot be a chain name`);
        return;
      }
      table.chains.set(chainName, { ...newChain(chainName, table.name, false), declaration: name });
      this.declaredInBlock.set(chainName, name);
    }
    if (!policy || policy.text === '-') return;
    if (!builtin) {
      const other = isBuiltinChain('mangle', chainName) ? ` (${chainName} is a built-in chain of other tables, not of ${table.name})` : '';
      this.report(other ? 'chain-not-in-table' : 'policy-on-user-chain', policy, `only built-in chains have a policy; write \`:${chainName} -\` for a user-defined chain${other}`);
      return;
    }
    this.setPolicy(table, table.chains.get(chainName)!, policy);
  }

  private setPolicy(table: Table, chain: Chain, policy: Token): void {
    if (!(POLICIES as readonly string[]).includes(policy.text)) {
      const lower = policy.text.toUpperCase();
      const hint = (POLICIES as readonly string[]).includes(lower) ? ` (policies are upper case: \`${lower}\`)` : '';
      this.report('invalid-policy', policy, `\`${policy.text}\` is not a policy: a built-in chain's policy is ACCEPT or DROP${hint}`);
      return;
    }
    chain.policy = policy.text;
    chain.policyToken = policy;
    table.fragment = false;
  }

  apply(table: Table, command: Command, counters?: Token): void {
    if (!command.kind || command.otherFamily) return;
    const chainToken = command.chain;
    const chain = chainToken ? table.chains.get(chainToken.text) : undefined;
    switch (command.kind) {
      case 'append':
      case 'insert':
      case 'replace': {
        const c = this.needChain(table, chainToken, chain);
        if (!c) return;
        const rule = this.makeRule(table, c, command, counters);
        const n = command.ruleNumber?.value;
        if (command.kind === 'append') {
          c.rules.push(rule);
        } else if (command.kind === 'insert') {
          const at = n ?? 1;
          if (at > c.rules.length + 1) {
            this.report('rule-number', command.ruleNumber!.token, `chain ${c.name} has ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'} at this point: \`-I ${c.name} ${at}\` fails ("Index of insertion too big"); use at most ${c.rules.length + 1}`);
            return;
          }
          c.rules.splice(at - 1, 0, rule);
        } else if (n !== undefined) {
          if (n > c.rules.length) {
            this.report('no-such-rule', command.ruleNumber!.token, `chain ${c.name} has ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'} at this point: there is no rule ${n} to replace`);
            return;
          }
          c.rules[n - 1] = rule;
        }
        return;
      }
      case 'delete': {
        const c = this.needChain(table, chainToken, chain);
        if (!c) return;
        const n = command.ruleNumber?.value;
        if (n !== undefined) {
          if (n > c.rules.length) {
            this.report('no-such-rule', command.ruleNumber!.token, `chain ${c.name} has ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'} at this point: there is no rule ${n} to delete`);
          } else {
            c.rules.splice(n - 1, 1);
          }
          return;
        }
        const key = ruleKey(command);
        const at = c.rules.findIndex((r) => ruleKey(r.command) === key);
        if (at < 0) {
          this.report('no-such-rule', command.flag!, `no rule of ${c.name} matches this one at this point, so the delete fails ("Bad rule")`);
        } else {
          c.rules.splice(at, 1);
        }
        return;
      }
      case 'check':
        this.needChain(table, chainToken, chain);
        return;
      case 'newChain': {
        if (!chainToken) return;
        if (table.chains.has(chainToken.text)) {
          this.report('duplicate-chain', chainToken, `chain \`${chainToken.text}\` already exists${where(table.chains.get(chainToken.text)!.declaration)}: \`-N\` fails`);
          return;
        }
        table.chains.set(chainToken.text, { ...newChain(chainToken.text, table.name, false), declaration: chainToken });
        this.declaredInBlock.set(chainToken.text, chainToken);
        return;
      }
      case 'flush':
      case 'zero':
        if (chainToken) {
          const c = this.needChain(table, chainToken, chain);
          if (c && command.kind === 'flush') c.rules = [];
        } else if (command.kind === 'flush') {
          for (const c of table.chains.values()) c.rules = [];
        }
        return;
      case 'deleteChain':
        this.deleteChain(table, chainToken, command);
        return;
      case 'renameChain': {
        const c = this.needChain(table, chainToken, chain);
        const newName = command.newName;
        if (!c || !newName) return;
        if (c.builtin) {
          this.report('chain-name', chainToken!, `${c.name} is a built-in chain and cannot be renamed`);
          return;
        }
        if (table.chains.has(newName.text)) {
          this.report('duplicate-chain', newName, `chain \`${newName.text}\` already exists`);
          return;
        }
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
        return;
      }
      case 'policy': {
        if (!chainToken || !command.policy) return;
        const c = this.needChain(table, chainToken, chain);
        if (!c) return;
        if (!c.builtin) {
          this.report('policy-on-user-chain', chainToken, `${c.name} is a user-defined chain: only built-in chains have a policy`);
          return;
        }
        this.setPolicy(table, c, command.policy);
        return;
      }
      case 'list':
      case 'listRules':
        this.report('option-not-allowed', command.flag!, `\`${command.flag!.text}\` only prints the rules; it has no place in a file for iptables-restore`, 'warning');
        return;
    }
  }

  private needChain(table: Table, token: Token | undefined, chain: Chain | undefined): Chain | undefined {
    if (token && !chain) this.missingChain(table, token);
    return chain;
  }

  private deleteChain(table: Table, chainToken: Token | undefined, command: Command): void {
    const victims = chainToken ? [table.chains.get(chainToken.text)] : [...table.chains.values()].filter((c) => !c.builtin);
    if (chainToken && !victims[0]) {
      this.missingChain(table, chainToken);
      return;
    }
    for (const c of victims) {
      if (!c) continue;
      if (c.builtin) {
        this.report('chain-name', chainToken ?? command.flag!, `${c.name} is a built-in chain and cannot be deleted`);
        continue;
      }
      const users = [...table.chains.values()].flatMap((ch) => ch.rules).filter((r) => r.target.kind === 'chain' && r.target.name === c.name);
      if (users.length) {
        this.report('chain-in-use', chainToken ?? command.flag!, `chain ${c.name} is still the target of ${users.length} rule${users.length === 1 ? '' : 's'} (in ${users[0].chain}): \`-X\` fails ("Too many links")`);
        continue;
      }
      if (c.rules.length && chainToken) {
        this.report('chain-in-use', chainToken, `chain ${c.name} still has ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'}: flush it (\`-F ${c.name}\`) before \`-X\``);
        continue;
      }
      table.chains.delete(c.name);
    }
  }

  private missingChain(table: Table, token: Token): void {
    const elsewhere = ['raw', 'mangle', 'nat', 'filter', 'security'].filter((t) => t !== table.name && isBuiltinChain(t as never, token.text));
    if (elsewhere.length) {
      this.report('chain-not-in-table', token, `the ${table.name} table has no ${token.text} chain (${token.text} is built into ${elsewhere.join(', ')}); its built-in chains are ${table.spec?.chains.join(', ')}`);
      return;
    }
    const later = this.declaredLater(table, token.text);
    this.report('chain-not-in-table', token, later
      ? `chain \`${token.text}\` is only created further down (line ${later.line + 1}); iptables-restore needs it before this line`
      : `chain \`${token.text}\` does not exist in the ${table.name} table: declare it first with \`:${token.text} - [0:0]\` or \`-N ${token.text}\``);
  }

  /** Filled in by the caller that knows the whole block (see declareAhead). */
  private ahead = new Map<string, Token>();

  /** The chains a block declares anywhere, so that "declared later" can be told apart from "never". */
  declareAhead(names: Map<string, Token>): void {
    this.ahead = names;
  }

  private declaredLater(table: Table, name: string): Token | undefined {
    return table.chains.has(name) ? undefined : this.ahead.get(name);
  }

  private makeRule(table: Table, chain: Chain, command: Command, counters?: Token): Rule {
    const spec = command.rule;
    const rule: Rule = { table: table.name, chain: chain.name, index: 0, spec, command, target: { kind: 'none' }, counters };
    const t = spec.target;
    if (!t) return rule;
    let target: TargetRef;
    if (!t.goto && STANDARD_TARGETS[t.name] !== undefined) target = VERDICTS[t.name];
    else if (table.chains.has(t.name)) target = { kind: 'chain', name: t.name, goto: t.goto };
    else if (t.spec) target = { kind: 'extension', spec: t.spec };
    else {
      target = { kind: 'unresolved', name: t.name, goto: t.goto };
      this.pending.push({ rule, token: t.nameToken, goto: t.goto, table });
    }
    rule.target = target;
    if (target.kind === 'chain' && table.chains.get(t.name)!.builtin) {
      this.report('undefined-jump', t.nameToken, `${t.name} is a built-in chain: rules cannot jump to it (only to user-defined chains)`);
    }
    return rule;
  }

  /** Closes the current block: jumps that never found their chain are reported now. */
  endBlock(): void {
    for (const p of this.pending) {
      const name = p.token.text;
      const later = this.declaredInBlock.get(name);
      const verb = p.goto ? 'goes to' : 'jumps to';
      if (later && p.table.chains.has(name)) {
        this.report('undefined-jump', p.token, `this rule ${verb} \`${name}\` before the chain is created (line ${later.line + 1}): iptables-restore fails here; declare the chain at the top of the table`);
      } else if (this.external.some((re) => re.test(name))) {
        this.report('undefined-jump', p.token, `\`${name}\` is not defined in this file; it is taken to be created elsewhere (setting iptables.externalChains), and loading fails if it does not exist then`, 'warning');
      } else if (p.table.fragment) {
        this.report('undefined-jump', p.token, `\`${name}\` is not defined in this file; as this table sets no policies it looks like a fragment for \`iptables-restore --noflush\`, so the chain must exist when it is loaded`, 'warning');
      } else {
        const lower = [...p.table.chains.keys()].find((c) => c.toLowerCase() === name.toLowerCase());
        const hint = lower ? ` (did you mean \`${lower}\`? chain names are case-sensitive)` : isStandardTarget(name.toUpperCase()) ? ` (did you mean \`${name.toUpperCase()}\`?)` : '';
        this.report('undefined-jump', p.token, `\`${name}\` is neither a target nor a chain of the ${p.table.name} table${hint}: declare it with \`:${name} - [0:0]\`, or add it to iptables.externalChains if another tool creates it`);
      }
    }
    this.pending = [];
    this.declaredInBlock = new Map();
    this.ahead = new Map();
  }

  finish(): Ruleset {
    this.endBlock();
    for (const table of this.ruleset.tables.values()) linkChains(table);
    return this.ruleset;
  }
}

/** Shared, immutable: thousands of rules end in the same verdict. */
const VERDICTS: Record<string, TargetRef> = Object.fromEntries(
  Object.keys(STANDARD_TARGETS).map((name) => [name, Object.freeze({ kind: 'verdict', name })]),
);

function newChain(name: string, table: string, builtin: boolean): Chain {
  return { name, table, builtin, policy: builtin ? 'ACCEPT' : undefined, rules: [], references: [], hooks: new Set() };
}

function where(token: Token | undefined): string {
  return token ? ` on line ${token.line + 1}` : '';
}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

/**
 * What makes two rules "the same" for `-D chain rule`: every word but the
 * command, chain, rule number and counters; `-m tcp` after `-p tcp` is the
 * match iptables would load anyway, so it does not count.
 */
export function ruleKey(command: Command): string {
  const skip = new Set<Token | undefined>([command.flag, command.chain, command.ruleNumber?.token, ...(command.rule.counters ?? [])]);
  const proto = command.rule.protocol?.value.text.toLowerCase();
  const parts: string[] = [];
  const words = command.words;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (skip.has(w) || w.text === '-c' || w.text === '--set-counters') continue;
    if ((w.text === '-m' || w.text === '--match') && words[i + 1]?.text === proto) { i++; continue; }
    parts.push(w.text);
  }
  return parts.join(' ');
}
