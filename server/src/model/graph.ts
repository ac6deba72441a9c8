// The jump graph of a table: rule positions, who jumps where, and which
// built-in hooks reach each chain (legality is reachability: a target is
// allowed in a user chain only if every hook that reaches it allows it).
// Each rule's jump is followed once, and no walk recurses: a table of 160k
// rules, or chains that jump one to the next thousands deep, stay cheap.
import type { Hook } from '../knowledge';
import { HookSet } from './hookSet';
import type { Chain, Rule, Table } from './ruleset';

// Passes over every chain or rule are index loops and Map.forEach: code that runs once over
// 55k chains is not optimized in time, and each step of a for...of made an iterator result.

export function linkChains(table: Table): void {
  table.chains.forEach((chain) => {
    chain.references = NO_ITEMS;
    chain.jumps = NO_ITEMS;
  });
  table.chains.forEach((chain) => {
    const rules = chain.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      rule.index = i + 1;
      rule.chain = chain.name;
      const target = jumpedChain(rule);
      if (!target) continue;
      target.references = added(target.references, rule);
      if (chain.jumps[chain.jumps.length - 1] !== target) chain.jumps = added(chain.jumps, target);
    }
  });
  reachFromHooks(table);
}

/** Which hooks reach each chain, from the chains' jumps (linked already). */
export function reachFromHooks(table: Table): void {
  // Each chain's set of hooks emptied in place, and the built-in chains (five at most) kept aside.
  const builtins: Chain[] = [];
  table.chains.forEach((chain) => {
    chain.hooks = HookSet.from(0);
    if (chain.builtin) builtins.push(chain);
  });
  for (const chain of builtins) {
    chain.hooks = chain.hooks.with(chain.name as Hook);
    const bit = chain.hooks.bits;
    const queue = [chain];
    while (queue.length) {
      const jumps = queue.pop()!.jumps;
      for (let i = 0; i < jumps.length; i++) {
        const next = jumps[i];
        if (!next.builtin && (next.hooks.bits & bit) === 0) {
          next.hooks = HookSet.from(next.hooks.bits | bit);
          queue.push(next);
        }
      }
    }
  }
}

/** What one pass in Kahn's order over a table's jumps tells (see jumpDepths). */
export interface JumpDepths {
  /** The table's chains, numbered in `order`. */
  chains: Chain[];
  /** By a chain's order: its longest way from a built-in chain in jumps (and gotos), as nf_tables counts; -1 for a chain no built-in chain reaches. */
  depths: Int32Array;
  /** Some jumps close a circle: the depths of the chains on and below it are not known. */
  circle: boolean;
}

/**
 * Each chain's longest way down from a built-in chain, and whether the jumps close
 * a circle, in one pass: a chain is taken once every jump into it is counted, so
 * the chains left over are those on a circle or below one.
 */
export function jumpDepths(table: Table): JumpDepths {
  const chains = numberChains(table);
  const waiting = new Int32Array(chains.length);
  // A built-in chain is where a way starts unless a chain that packets reach jumps into it.
  const fromReached = new Int32Array(chains.length);
  const depths = new Int32Array(chains.length).fill(-1);
  for (let i = 0; i < chains.length; i++) {
    const chain = chains[i];
    const reached = chain.builtin || chain.hooks.bits !== 0;
    const jumps = chain.jumps;
    for (let j = 0; j < jumps.length; j++) {
      waiting[jumps[j].order]++;
      if (reached) fromReached[jumps[j].order]++;
    }
  }
  const ready: Chain[] = [];
  for (let i = 0; i < chains.length; i++) {
    const chain = chains[i];
    if (chain.builtin && fromReached[i] === 0) depths[i] = 0;
    if (waiting[i] === 0) ready.push(chain);
  }
  let taken = 0;
  while (ready.length) {
    const chain = ready.pop()!;
    taken++;
    const below = depths[chain.order] < 0 ? -1 : depths[chain.order] + 1;
    const jumps = chain.jumps;
    for (let j = 0; j < jumps.length; j++) {
      const next = jumps[j];
      if (depths[next.order] < below) depths[next.order] = below;
      if (--waiting[next.order] === 0) ready.push(next);
    }
  }
  return { chains, depths, circle: taken < chains.length };
}

/**
 * The chains whose longest way from a built-in chain is `depth` jumps (and gotos),
 * as nf_tables counts when it checks a table. Only for a table without a circle;
 * chains that no built-in chain reaches are left out.
 */
export function chainsAtDepth(table: Table, depth: number, known: JumpDepths = jumpDepths(table)): Chain[] {
  const { chains, depths } = known;
  return chains.filter((chain) => depths[chain.order] === depth);
}

/** Numbers the table's chains in `order`, so that a walk keeps what it knows of each chain in an array, not a map. */
function numberChains(table: Table): Chain[] {
  const chains = [...table.chains.values()];
  for (let i = 0; i < chains.length; i++) chains[i].order = i;
  return chains;
}

/**
 * The most jumps from a built-in chain down to `chain`, looked for up to `cap`
 * levels above it (undefined when no built-in chain is found that close): level
 * by level up the rules that jump into each chain, so only the few levels
 * above cost anything in a table of thousands of chains.
 */
export function levelsAbove(table: Table, chain: Chain, cap: number): number | undefined {
  let deepest = chain.builtin ? 0 : undefined;
  let level: Iterable<Chain> = [chain];
  for (let k = 1; k <= cap; k++) {
    const up = new Set<Chain>();
    for (const c of level) for (const rule of c.references) up.add(table.chains.get(rule.chain)!);
    if (up.size === 0) break;
    for (const c of up) if (c.builtin) deepest = k;
    level = up;
  }
  return deepest;
}

/** The chains `k` jumps below `chain` for each k up to `cap` (level 0 is the chain), as far as there are any. */
export function levelsBelow(chain: Chain, cap: number): Chain[][] {
  const levels = [[chain]];
  for (let k = 1; k <= cap; k++) {
    const down = new Set<Chain>();
    for (const c of levels[k - 1]) for (const next of c.jumps) down.add(next);
    if (down.size === 0) break;
    levels.push([...down]);
  }
  return levels;
}

/**
 * What a chain's references and jumps are while it has none: one frozen array for every chain, replaced by
 * `added` at the first item. A kube-proxy dump declares 55k chains before their rules: two empty arrays each
 * outlived the young generation only to be dropped at their first item, and that first item touched them.
 */
export const NO_ITEMS: never[] = Object.freeze([]) as never[];

/** `list` with `item` at its end: a new array of one item for an empty list (a push would make room for 17). */
export function added<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

/** The user chain a rule jumps or goes to, if it is one of this table. */
export function jumpedChain(rule: Rule): Chain | undefined {
  return rule.target.kind === 'chain' ? rule.target.chain : undefined;
}

/**
 * A jump from a chain that `bits` of hooks reach, to `to`, just linked: those
 * hooks now also reach `to` and every chain below it. The chains that gained a
 * hook are added to `gained`.
 */
export function spreadHooks(bits: number, to: Chain, gained: Chain[]): void {
  const queue = [to];
  while (queue.length) {
    const chain = queue.pop()!;
    if (chain.builtin || (chain.hooks.bits | bits) === chain.hooks.bits) continue;
    chain.hooks = HookSet.from(chain.hooks.bits | bits);
    gained.push(chain);
    for (const next of chain.jumps) queue.push(next);
  }
}

/** Whether jumps lead from `from` to `to` (a jump from `to` to `from` would close a circle). */
export function leadsTo(from: Chain, to: Chain): boolean {
  const seen = new Set<Chain>([from]);
  const queue = [from];
  while (queue.length) {
    const chain = queue.pop()!;
    if (chain === to) return true;
    for (const next of chain.jumps) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

/**
 * Cycles in the jump graph (the kernel refuses a table with one, ELOOP).
 * Each cycle is reported once, by the rule that closes it. Rules are looked
 * at only when the chains' jumps have a cycle at all (tables almost never do).
 */
export function findJumpCycles(table: Table, known: JumpDepths = jumpDepths(table)): Rule[][] {
  return known.circle ? cyclesByRule(table) : [];
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
