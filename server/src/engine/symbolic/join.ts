// Unions of cubes kept small: cubes that differ in one dimension only are one.
import { IntervalSet } from './intervals';
import { Cube, DIMS } from './space';

/** Numbers for the distinct sets of one join: equal sets get one number, so cubes compare by numbers. */
class SetIds {
  private readonly byObject = new Map<IntervalSet, number>();
  private readonly byText = new Map<string, number>();

  of(set: IntervalSet): number {
    let id = this.byObject.get(set);
    if (id === undefined) {
      id = this.byText.get(set.key) ?? this.byText.size;
      this.byText.set(set.key, id);
      this.byObject.set(set, id);
    }
    return id;
  }
}

/** Cubes that differ in one dimension only become one, until no two do. */
export function joinCubes(cubes: Cube[]): Cube[] {
  if (cubes.length < 2) return cubes;
  const ids = new SetIds();
  // The common case: the cubes differ in one dimension only, all of them.
  const varying = DIMS.filter((d) => cubes.some((c) => ids.of(c[d]) !== ids.of(cubes[0][d])));
  if (varying.length === 0) return [cubes[0]];
  if (varying.length === 1) return [{ ...cubes[0], [varying[0]]: unionAll(cubes.map((c) => c[varying[0]])) }];
  let out = cubes;
  for (let changed = true; changed && out.length > 1;) {
    changed = false;
    for (const d of varying) {
      const byRest = new Map<string, Cube[]>();
      for (const c of out) {
        let rest = '';
        for (const x of varying) if (x !== d) rest += `${ids.of(c[x])},`;
        const g = byRest.get(rest);
        if (g) g.push(c);
        else byRest.set(rest, [c]);
      }
      if (byRest.size === out.length) continue;
      changed = true;
      out = [...byRest.values()].map((g) => (g.length === 1 ? g[0] : { ...g[0], [d]: unionAll(g.map((c) => c[d])) }));
    }
  }
  return out;
}

/** The union of many sets at once (not one by one: that would be quadratic). */
function unionAll(sets: IntervalSet[]): IntervalSet {
  return IntervalSet.fromRanges(sets.flatMap((s) => [...s.ranges()]));
}
