// Sets of integers as sorted, disjoint, non-adjacent closed ranges: the values
// one header field takes in a set of packets (addresses, ports, flags...).
// Immutable; every operation is linear in the number of ranges.

export class IntervalSet {
  /** Flat [lo0, hi0, lo1, hi1, ...], inclusive, sorted, with gaps between ranges. */
  private constructor(private readonly r: readonly bigint[]) {}

  static readonly EMPTY = new IntervalSet([]);

  static range(lo: bigint, hi: bigint): IntervalSet {
    return lo > hi ? IntervalSet.EMPTY : new IntervalSet([lo, hi]);
  }

  static of(value: bigint): IntervalSet {
    return new IntervalSet([value, value]);
  }

  /** From ranges in any order, overlapping or not. */
  static fromRanges(ranges: Iterable<readonly [bigint, bigint]>): IntervalSet {
    const sorted = [...ranges].filter(([a, b]) => a <= b).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const out: bigint[] = [];
    for (const [a, b] of sorted) {
      const n = out.length;
      if (n && a <= out[n - 1] + 1n) {
        if (b > out[n - 1]) out[n - 1] = b;
      } else out.push(a, b);
    }
    return new IntervalSet(out);
  }

  /** The values 0-255 (or any small domain) for which `test` holds, as ranges. */
  static where(from: number, to: number, test: (v: number) => boolean): IntervalSet {
    const ranges: [bigint, bigint][] = [];
    let start = -1;
    for (let v = from; v <= to + 1; v++) {
      const yes = v <= to && test(v);
      if (yes && start < 0) start = v;
      if (!yes && start >= 0) {
        ranges.push([BigInt(start), BigInt(v - 1)]);
        start = -1;
      }
    }
    return IntervalSet.fromRanges(ranges);
  }

  private text?: string;

  /** The ranges as text (`lo,hi;lo,hi`): equal sets have the same key. */
  get key(): string {
    return (this.text ??= [...this.ranges()].join(';'));
  }

  get isEmpty(): boolean {
    return this.r.length === 0;
  }

  get rangeCount(): number {
    return this.r.length / 2;
  }

  *ranges(): IterableIterator<[bigint, bigint]> {
    for (let i = 0; i < this.r.length; i += 2) yield [this.r[i], this.r[i + 1]];
  }

  get min(): bigint {
    return this.r[0];
  }

  get max(): bigint {
    return this.r[this.r.length - 1];
  }

  /** How many values. */
  get size(): bigint {
    let n = 0n;
    for (let i = 0; i < this.r.length; i += 2) n += this.r[i + 1] - this.r[i] + 1n;
    return n;
  }

  get isSingleton(): boolean {
    return this.r.length === 2 && this.r[0] === this.r[1];
  }

  contains(v: bigint): boolean {
    let lo = 0;
    let hi = this.r.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (v < this.r[2 * mid]) hi = mid - 1;
      else if (v > this.r[2 * mid + 1]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  equals(o: IntervalSet): boolean {
    if (this === o) return true;
    if (this.r.length !== o.r.length) return false;
    for (let i = 0; i < this.r.length; i++) if (this.r[i] !== o.r[i]) return false;
    return true;
  }

  intersect(o: IntervalSet): IntervalSet {
    if (this.isEmpty || o.isEmpty) return IntervalSet.EMPTY;
    // The common case: one range inside the other's single range.
    if (o.r.length === 2 && o.r[0] <= this.r[0] && o.r[1] >= this.r[this.r.length - 1]) return this;
    if (this.r.length === 2 && this.r[0] <= o.r[0] && this.r[1] >= o.r[o.r.length - 1]) return o;
    const out: bigint[] = [];
    let i = 0;
    let j = 0;
    while (i < this.r.length && j < o.r.length) {
      const lo = this.r[i] > o.r[j] ? this.r[i] : o.r[j];
      const hi = this.r[i + 1] < o.r[j + 1] ? this.r[i + 1] : o.r[j + 1];
      if (lo <= hi) out.push(lo, hi);
      if (this.r[i + 1] < o.r[j + 1]) i += 2;
      else j += 2;
    }
    return out.length === this.r.length && out.every((v, k) => v === this.r[k]) ? this : new IntervalSet(out);
  }

  subtract(o: IntervalSet): IntervalSet {
    if (this.isEmpty || o.isEmpty) return this;
    if (o.max < this.min || o.min > this.max) return this;
    const out: bigint[] = [];
    let j = 0;
    for (let i = 0; i < this.r.length; i += 2) {
      let lo = this.r[i];
      const hi = this.r[i + 1];
      while (j < o.r.length && o.r[j + 1] < lo) j += 2;
      let k = j;
      while (k < o.r.length && o.r[k] <= hi && lo <= hi) {
        if (o.r[k] > lo) out.push(lo, o.r[k] - 1n);
        lo = o.r[k + 1] + 1n;
        k += 2;
      }
      if (lo <= hi) out.push(lo, hi);
    }
    return new IntervalSet(out);
  }

  union(o: IntervalSet): IntervalSet {
    if (o.isEmpty) return this;
    if (this.isEmpty) return o;
    return IntervalSet.fromRanges([...this.ranges(), ...o.ranges()]);
  }

  /** Whether the sets share a value (without making their intersection: a set cut at many places is tested often). */
  overlaps(o: IntervalSet): boolean {
    if (this.isEmpty || o.isEmpty || o.max < this.min || o.min > this.max) return false;
    let i = this.firstEndingAtOrAfter(o.min);
    let j = 0;
    while (i < this.r.length && j < o.r.length) {
      if (this.r[i + 1] < o.r[j]) i += 2;
      else if (o.r[j + 1] < this.r[i]) j += 2;
      else return true;
    }
    return false;
  }

  /** The place in `r` of the first range that ends at `v` or after. */
  private firstEndingAtOrAfter(v: bigint): number {
    let lo = 0;
    let hi = this.r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.r[2 * mid + 1] < v) lo = mid + 1;
      else hi = mid;
    }
    return 2 * lo;
  }

  subsetOf(o: IntervalSet): boolean {
    return this.subtract(o).isEmpty;
  }

  /** The first of `preferred` in the set, else its least value. */
  pick(preferred: readonly bigint[] = []): bigint {
    return preferred.find((p) => this.contains(p)) ?? this.min;
  }

  /** The value at `offset` counting from the least (0 <= offset < size). */
  nth(offset: bigint): bigint {
    let left = offset;
    for (let i = 0; i < this.r.length; i += 2) {
      const n = this.r[i + 1] - this.r[i] + 1n;
      if (left < n) return this.r[i] + left;
      left -= n;
    }
    return this.max;
  }
}
