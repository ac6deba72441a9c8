// The built-in hooks that reach a chain, as bits of one number: a table of
// kube-proxy has tens of thousands of chains, and a Set for each was most of
// the cost of working out where each is reached from.
import { Hook, HOOKS } from '../knowledge';

const BIT: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

export class HookSet implements ReadonlySet<Hook> {
  constructor(public bits = 0) {}

  static of(hooks: Iterable<Hook>): HookSet {
    const set = new HookSet();
    for (const h of hooks) set.add(h);
    return set;
  }

  has(hook: Hook): boolean {
    return (this.bits & BIT[hook]) !== 0;
  }

  add(hook: Hook): this {
    this.bits |= BIT[hook];
    return this;
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
