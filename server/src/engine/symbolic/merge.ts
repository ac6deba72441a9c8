// Ways merged again (for a coarse walk, which asks about fates only). An
// answer the analysis takes both ways (a random pick, a rate limit) doubles
// the pieces behind it; when every way of such answers reaches the same place
// in the same kernel state, the packets are one piece again: a field the ways
// set differently becomes "some value among theirs", and the answers they
// covered all of are no longer assumed. kube-proxy's pick of one endpoint
// among N (N-1 nested `-m statistic --mode random` rules) is then one piece
// whose destination is one of the endpoints, not N pieces.
import { t } from '../../l10n';
import { IntervalSet } from './intervals';
import { currentSet, narrowed, Piece, sameView, SymbolicAssumption, View } from './piece';
import { Cube, DIMS, Dim, withDim } from './space';

/** More cube dimensions varying in a group than this: not merged (the partition would cost more than it saves). */
const MAX_VARYING = 3;

const sameAssumption = (a: SymbolicAssumption, b: SymbolicAssumption) => a.rule === b.rule && a.criterion === b.criterion && a.assumed === b.assumed;
const sameList = (a: SymbolicAssumption[], b: SymbolicAssumption[]) => a.length === b.length && a.every((x, i) => sameAssumption(x, b[i]));

/**
 * What the union of ways still assumes, or undefined when it cannot say: the
 * ways branch on the same answers in the same order (a decision tree), and
 * where one branches both ways both sides must come to the same assumptions.
 * A way that assumes nothing covers every other.
 */
export function mergedAssumptions(ways: SymbolicAssumption[][]): SymbolicAssumption[] | undefined {
  if (ways.some((w) => w.length === 0)) return [];
  const a = ways[0][0];
  if (!ways.every((w) => w[0].rule === a.rule && w[0].criterion === a.criterion)) return undefined;
  const yes = ways.filter((w) => w[0].assumed === 'match').map((w) => w.slice(1));
  const no = ways.filter((w) => w[0].assumed !== 'match').map((w) => w.slice(1));
  if (yes.length === 0 || no.length === 0) {
    const rest = mergedAssumptions(ways.map((w) => w.slice(1)));
    return rest && [a, ...rest];
  }
  const y = mergedAssumptions(yes);
  const n = mergedAssumptions(no);
  return y && n && sameList(y, n) ? y : undefined;
}

/**
 * One piece for the ways that cover `cube` with the same assumptions left;
 * fields they set apart become unknown (undefined: addresses the host may
 * treat apart, not in `oneRegion`). Where every answer the ways no longer
 * assume is a random match (kube-proxy's pick of an endpoint), each way is
 * possible: such a field is one of the ways' values, picked at random.
 */
function mergedPiece(ways: Piece[], cube: Cube, assumptions: SymbolicAssumption[], oneRegion: (addresses: IntervalSet) => boolean): Piece | undefined {
  const first = ways[0];
  const views: Partial<Record<Dim, View>> = { ...first.views };
  const droppedBy = (w: Piece) => w.assumptions.filter((a) => !assumptions.some((b) => sameAssumption(a, b)));
  const dropped = droppedBy(first)[0] ?? first.assumptions[0];
  const random = ways.every((w) => droppedBy(w).every((a) => a.probability !== undefined));
  const why = random
    ? t('follows the random pick of `{0}` ({1}) and the rules after it', dropped.criterion, dropped.rule)
    : t('depends on which way `{0}` ({1}) and the answers after it went', dropped.criterion, dropped.rule);
  for (const d of new Set(ways.flatMap((w) => Object.keys(w.views) as Dim[]))) {
    if (ways.every((w) => sameView(w.views[d], first.views[d]))) continue;
    const sets = ways.map((w) => currentSet({ ...w, cube }, d));
    const within = IntervalSet.fromRanges(sets.flatMap((x) => [...x.ranges()]));
    // Routing asks one address of an open field: the ways stay apart where the host may route theirs apart.
    if ((d === 'src' || d === 'dst') && !oneRegion(within)) return undefined;
    // Each way gives the field one value: every value of the union is one of the picks.
    views[d] = random && sets.every((x) => x.isSingleton) ? { kind: 'unknown', within, why, random: true } : { kind: 'unknown', within, why };
  }
  return { ...narrowed(first, cube), views, assumptions };
}

/** The group's pieces cut where their sets of dimension `d` begin and end: each part with the pieces that hold it (a sweep over the ends). */
function atoms(group: Piece[], d: Dim): { set: IntervalSet; holders: Piece[] }[] {
  // Where each piece's ranges begin (+) and end (-), in order of place.
  const edges: { at: bigint; piece: number; enters: boolean }[] = [];
  group.forEach((p, i) => {
    for (const [lo, hi] of p.cube[d].ranges()) edges.push({ at: lo, piece: i, enters: true }, { at: hi + 1n, piece: i, enters: false });
  });
  edges.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const inside = new Set<number>();
  const byHolders = new Map<string, { ranges: [bigint, bigint][]; holders: number[] }>();
  for (let k = 0; k < edges.length;) {
    const at = edges[k].at;
    for (; k < edges.length && edges[k].at === at; k++) {
      if (edges[k].enters) inside.add(edges[k].piece);
      else inside.delete(edges[k].piece);
    }
    if (inside.size === 0 || k === edges.length) continue;
    const holders = [...inside].sort((a, b) => a - b);
    const key = holders.join(',');
    const range: [bigint, bigint] = [at, edges[k].at - 1n];
    const g = byHolders.get(key);
    if (g) g.ranges.push(range);
    else byHolders.set(key, { ranges: [range], holders });
  }
  return [...byHolders.values()].map((g) => ({ set: IntervalSet.fromRanges(g.ranges), holders: g.holders.map((i) => group[i]) }));
}

/**
 * Pieces in the same kernel state (`stateKey`: everything but the fields'
 * values and the assumptions), merged where their ways cover each other.
 * Pieces it cannot merge come back as they were (or over the part of their
 * packets that no merge took).
 */
export function mergeWays(pieces: Piece[], stateKey: (p: Piece) => string, oneRegion: (addresses: IntervalSet) => boolean): Piece[] {
  const groups = new Map<string, Piece[]>();
  for (const p of pieces) {
    const k = stateKey(p);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const out: Piece[] = [];
  for (const g of groups.values()) {
    if (g.length < 2 || g.every((p) => sameList(p.assumptions, g[0].assumptions))) out.push(...g);
    else out.push(...mergeGroup(g, oneRegion));
  }
  return out;
}

function mergeGroup(group: Piece[], oneRegion: (addresses: IntervalSet) => boolean): Piece[] {
  const varying = DIMS.filter((d) => group.some((p) => !p.cube[d].equals(group[0].cube[d])));
  if (varying.length === 0) {
    const assumptions = mergedAssumptions(group.map((p) => p.assumptions));
    const merged = assumptions && mergedPiece(group, group[0].cube, assumptions, oneRegion);
    return merged ? [merged] : group;
  }
  if (varying.length > MAX_VARYING) return group;
  // Cut along one varying dimension, among pieces that agree on the others (kube-proxy: per service address, by source).
  for (const d of varying) {
    const rest = varying.filter((x) => x !== d);
    const byRest = new Map<string, Piece[]>();
    for (const p of group) {
      const k = rest.map((x) => p.cube[x].key).join('|');
      const g = byRest.get(k);
      if (g) g.push(p);
      else byRest.set(k, [p]);
    }
    if (byRest.size === group.length) continue;
    let merged = false;
    const out: Piece[] = [];
    for (const sub of byRest.values()) {
      const r = sub.length < 2 ? undefined : mergeAlong(sub, d, oneRegion);
      if (r) merged = true;
      out.push(...(r ?? sub));
    }
    if (merged) return out;
  }
  return group;
}

/** The pieces (which differ in `d` only) merged part by part of `d`; undefined when no part merges. */
function mergeAlong(group: Piece[], d: Dim, oneRegion: (addresses: IntervalSet) => boolean): Piece[] | undefined {
  const out: Piece[] = [];
  const left = new Map<Piece, [bigint, bigint][]>();
  let merged = false;
  for (const { set, holders } of atoms(group, d)) {
    const assumptions = holders.length > 1 ? mergedAssumptions(holders.map((p) => p.assumptions)) : undefined;
    const piece = assumptions && mergedPiece(holders, withDim(holders[0].cube, d, set), assumptions, oneRegion);
    if (piece) {
      merged = true;
      out.push(piece);
    } else for (const h of holders) left.set(h, [...(left.get(h) ?? []), ...set.ranges()]);
  }
  if (!merged) return undefined;
  for (const [p, ranges] of left) out.push(narrowed(p, withDim(p.cube, d, IntervalSet.fromRanges(ranges))));
  return out;
}
