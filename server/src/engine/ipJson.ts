// A host description from what a real machine prints: `ip -j addr` and
// `ip -j route` (and `ip -j -6 route`), pasted as they are, in the scenario's
// host JSON form (parseHost reads and checks it).
import { ScenarioError } from './json';
import { t } from '../l10n';

type Json = Record<string, unknown>;

/** The route types the engine models; others (local, broadcast, multicast...) are the kernel's own. */
const ROUTE_TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit']);

/** Reads one or more JSON arrays pasted one after the other (`ip -j route; ip -j -6 route`). */
function readArrays(text: string, what: string): Json[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let items: unknown;
  try {
    items = JSON.parse(`[${trimmed.replace(/\]\s*\[/g, '],[')}]`).flat();
  } catch (e) {
    throw new ScenarioError(what, t('not the JSON that `ip -j {0}` prints: {1}', what, (e as Error).message));
  }
  const list = items as unknown[];
  list.forEach((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ScenarioError(`${what}[${i}]`, t('expected an object'));
  });
  return list as Json[];
}

/**
 * The host JSON for `addr` (the output of `ip -j addr`) and `route` (of `ip -j
 * route`, optionally followed by `ip -j -6 route`). Routes the kernel adds for
 * the addresses themselves (`proto kernel`) are left out: the engine derives them.
 */
export function hostFromIpJson(addr: string, route: string): Json {
  const interfaces = readArrays(addr, 'addr').map((itf, i) => {
    const name = itf.ifname;
    if (typeof name !== 'string') throw new ScenarioError(`addr[${i}].ifname`, t('every interface of `ip -j addr` has an ifname'));
    const addresses = (Array.isArray(itf.addr_info) ? itf.addr_info : [])
      .filter((a: Json) => (a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string')
      .map((a: Json) => `${a.local}/${a.prefixlen}`);
    const out: Json = { name, addresses };
    if (itf.link_type === 'ether' && typeof itf.address === 'string') out.mac = itf.address;
    return out;
  });
  const routes = readArrays(route, 'route').flatMap((r, i) => {
    const type = typeof r.type === 'string' ? r.type : 'unicast';
    if (!ROUTE_TYPES.has(type) || r.protocol === 'kernel' || (r.table !== undefined && r.table !== 'main')) return [];
    if (typeof r.dst !== 'string') throw new ScenarioError(`route[${i}].dst`, t('every route of `ip -j route` has a dst'));
    const gateway = typeof r.gateway === 'string' ? r.gateway : undefined;
    const v6 = (gateway ?? r.dst).includes(':');
    const out: Json = { to: r.dst === 'default' && v6 ? 'default6' : r.dst };
    if (typeof r.dev === 'string') out.dev = r.dev;
    if (gateway) out.via = gateway;
    if (type !== 'unicast') out.type = type;
    return [out];
  });
  return { interfaces, routes };
}
