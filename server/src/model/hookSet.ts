// The built-in hooks that reach a chain, as bits of one number: a table of
// kube-proxy has tens of thousands of chains, and a Set for each was most of
// the cost of working out where each is reached from. There are 32 such sets,
// each one shared object: a chain points to its set instead of owning one.
import { Hook, HOOKS } from '../knowledge';

const BIT: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

export class HookSet implements ReadonlySet<Hook> {
  private constructor(readonly bits: number) {}

  /** Every set, by its bits. */
  private static readonly SETS: readonly HookSet[] = Array.from({ length: 32 }, (_, bits) => new HookSet(bits));

  /** The set of these bits. */
  static from(bits: number): HookSet {
    return HookSet.SETS[bits];
  }

  static of(hooks: Iterable<Hook>): HookSet {
    let bits = 0;
    for (const h of hooks) bits |= BIT[h];
    return HookSet.SETS[bits];
  }

  /** This set and `hook`. */
  with(hook: Hook): HookSet {
    return HookSet.SETS[this.bits | BIT[hook]];
  }

  has(hook: Hook): boolean {
    return (this.bits & BIT[hook]) !== 0;
  }

  get size(): number {
    let n = 0;
    for (let b = this.bits; b; b &= b - 1) n++;
    return n;
  }

  *values(): SetIterator<Hook> {
    for (let i = 0; i < HOOKS.length; i++) if (this.bits & (1 << i)) yield HOOKS[i];
  }

  keys(): SetIterator<Hook> {
    return this.values();
  }

  *entries(): SetIterator<[Hook, Hook]> {
    for (const h of this.values()) yield [h, h];
  }

  [Symbol.iterator](): SetIterator<Hook> {
    return this.values();
  }

  forEach(visit: (value: Hook, key: Hook, set: ReadonlySet<Hook>) => void): void {
    for (const h of this.values()) visit(h, h, this);
  }
}
