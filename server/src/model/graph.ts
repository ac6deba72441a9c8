// The jump graph of a table: rule positions, who jumps where, and which
// built-in hooks reach each chain (legality is reachability: a target is
// allowed in a user chain only if every hook that reaches it allows it).
// Each rule's jump is followed once, and no walk recurses: a table of 160k
// rules, or chains that jump one to the next thousands deep, stay cheap.
import type { Hook } from '../knowledge';
import { HookSet } from './hookSet';
import type { Chain, Rule, Table } from './ruleset';

export function linkChains(table: Table): void {
  for (const chain of table.chains.values()) {
    chain.references = [];
    chain.jumps = [];
  }
  for (const chain of table.chains.values()) {
    const rules = chain.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      rule.index = i + 1;
      rule.chain = chain.name;
      const target = jumpedChain(rule);
      if (!target) continue;
      target.references.push(rule);
      if (chain.jumps[chain.jumps.length - 1] !== target) chain.jumps.push(target);
    }
  }
  reachFromHooks(table);
}

/** Which hooks reach each chain, from the chains' jumps (linked already). */
export function reachFromHooks(table: Table): void {
  for (const chain of table.chains.values()) chain.hooks = new HookSet();
  for (const chain of table.chains.values()) {
    if (!chain.builtin) continue;
    chain.hooks.add(chain.name as Hook);
    const bit = chain.hooks.bits;
    const queue = [chain];
    while (queue.length) {
      for (const next of queue.pop()!.jumps) {
        if (!next.builtin && (next.hooks.bits & bit) === 0) {
          next.hooks.bits |= bit;
          queue.push(next);
        }
      }
    }
  }
}

/** The user chain a rule jumps or goes to, if it is one of this table. */
function jumpedChain(rule: Rule): Chain | undefined {
  return rule.target.kind === 'chain' ? rule.target.chain : undefined;
}

/**
 * Cycles in the jump graph (the kernel refuses a table with one, ELOOP).
 * Each cycle is reported once, by the rule that closes it. Rules are looked
 * at only when the chains' jumps have a cycle at all (tables almost never do).
 */
export function findJumpCycles(table: Table): Rule[][] {
  return hasCycle(table) ? cyclesByRule(table) : [];
}

/** Depth first over the chains' jumps, without recursion. */
function hasCycle(table: Table): boolean {
  const ACTIVE = 1;
  const DONE = 2;
  const state = new Map<Chain, number>();
  for (const root of table.chains.values()) {
    if (root.jumps.length === 0 || state.has(root)) continue;
    const stack: { chain: Chain; at: number }[] = [{ chain: root, at: 0 }];
    state.set(root, ACTIVE);
    while (stack.length) {
      const frame = stack[stack.length - 1];
      if (frame.at >= frame.chain.jumps.length) {
        state.set(frame.chain, DONE);
        stack.pop();
        continue;
      }
      const next = frame.chain.jumps[frame.at++];
      if (next.jumps.length === 0) continue;
      const s = state.get(next);
      if (s === ACTIVE) return true;
      if (s === undefined) {
        state.set(next, ACTIVE);
        stack.push({ chain: next, at: 0 });
      }
    }
  }
  return false;
}

function cyclesByRule(table: Table): Rule[][] {
  const ACTIVE = 1;
  const DONE = 2;
  const state = new Map<Chain, number>();
  const cycles: Rule[][] = [];
  for (const root of table.chains.values()) {
    if (state.has(root) || root.jumps.length === 0) continue;
    // A frame per chain on the way, and the rule that led to each but the first.
    const stack: { chain: Chain; at: number }[] = [{ chain: root, at: 0 }];
    const path: Rule[] = [];
    state.set(root, ACTIVE);
    while (stack.length) {
      const frame = stack[stack.length - 1];
      if (frame.at >= frame.chain.rules.length) {
        state.set(frame.chain, DONE);
        stack.pop();
        path.length = Math.max(0, stack.length - 1);
        continue;
      }
      const rule = frame.chain.rules[frame.at++];
      const next = jumpedChain(rule);
      if (!next) continue;
      const s = next.jumps.length === 0 ? DONE : state.get(next);
      if (s === ACTIVE) {
        path.push(rule);
        cycles.push(path.slice(path.findIndex((r) => r.chain === next.name)));
        path.pop();
      } else if (s === undefined) {
        path.push(rule);
        state.set(next, ACTIVE);
        stack.push({ chain: next, at: 0 });
      }
    }
  }
  return cycles;
}
