// The jump graph of a table: rule positions, who jumps where, and which
// built-in hooks reach each chain (legality is reachability: a target is
// allowed in a user chain only if every hook that reaches it allows it).
import type { Hook } from '../knowledge';
import type { Chain, Rule, Table } from './ruleset';

export function linkChains(table: Table): void {
  for (const chain of table.chains.values()) {
    chain.references = [];
    chain.hooks = new Set();
    chain.rules.forEach((rule, i) => {
      rule.index = i + 1;
      rule.chain = chain.name;
    });
  }
  for (const chain of table.chains.values()) {
    for (const rule of chain.rules) {
      const target = jumpedChain(table, rule);
      const t = rule.spec.target;
      if (target && t) target.references.push({ rule, token: t.nameToken, goto: t.goto });
    }
  }
  for (const chain of table.chains.values()) {
    if (!chain.builtin) continue;
    const hook = chain.name as Hook;
    const queue = [chain];
    chain.hooks.add(hook);
    while (queue.length) {
      const c = queue.pop()!;
      for (const rule of c.rules) {
        const next = jumpedChain(table, rule);
        if (next && !next.builtin && !next.hooks.has(hook)) {
          next.hooks.add(hook);
          queue.push(next);
        }
      }
    }
  }
}

/** The user chain a rule jumps or goes to, if it is one of this table. */
function jumpedChain(table: Table, rule: Rule): Chain | undefined {
  return rule.target.kind === 'chain' ? table.chains.get(rule.target.name) : undefined;
}

/**
 * Cycles in the jump graph (the kernel refuses a table with one, ELOOP).
 * Each cycle is reported once, by the rule that closes it.
 */
export function findJumpCycles(table: Table): Rule[][] {
  const state = new Map<string, 'active' | 'done'>();
  const path: Rule[] = [];
  const cycles: Rule[][] = [];
  const visit = (chain: Chain) => {
    state.set(chain.name, 'active');
    for (const rule of chain.rules) {
      const next = jumpedChain(table, rule);
      if (!next) continue;
      const s = state.get(next.name);
      path.push(rule);
      if (s === 'active') {
        const from = path.findIndex((r) => r.chain === next.name);
        cycles.push(path.slice(from));
      } else if (s === undefined) {
        visit(next);
      }
      path.pop();
    }
    state.set(chain.name, 'done');
  };
  for (const chain of table.chains.values()) if (!state.has(chain.name)) visit(chain);
  return cycles;
}
