// How values are spelled in nft's language: strings, interface names, chain
// names, number sets and masks.
import { formatAddress, type Cidr } from '../knowledge/addresses';
import type { Family, NftText } from '../knowledge';
import { NFT_COMMENT_MAX, NFT_IDENTIFIER, NFT_KEYWORDS } from '../knowledge/nftables';
import { t } from '../l10n';

/** Text for this family. */
export function forFamily(text: NftText, family: Family): string {
  return typeof text === 'string' ? text : text[family];
}

/** A quoted nft string. nft has no escape for `"` inside one: it becomes `'`, and the caller is told. */
export function quoted(text: string): { text: string; changed: boolean } {
  const clean = text.replace(/"/g, "'").replace(/[\r\n]/g, ' ');
  return { text: `"${clean}"`, changed: clean !== text };
}

/** A rule comment, cut to what nft holds (bytes, on a character boundary). */
export function commentText(text: string): { text: string; notes: string[] } {
  const notes: string[] = [];
  let body = text;
  const bytes = new TextEncoder();
  if (bytes.encode(body).length > NFT_COMMENT_MAX) {
    while (bytes.encode(body).length > NFT_COMMENT_MAX) body = body.slice(0, -1);
    notes.push(t('the comment is cut to the {0} bytes nft keeps', NFT_COMMENT_MAX));
  }
  const q = quoted(body);
  if (q.changed) notes.push(t('nft strings cannot hold `"`: the comment has `\'` instead'));
  return { text: q.text, notes };
}

/** An interface name: iptables' trailing `+` wildcard is nft's `*`. */
export function interfaceName(name: string): string {
  const escaped = name.replace(/\*/g, '\\*');
  return `"${escaped.endsWith('+') ? escaped.slice(0, -1) + '*' : escaped}"`;
}

/** Whether nft reads the name as the chain name it is (not a keyword, no character it cannot scan). */
export function isNftChainName(name: string): boolean {
  return NFT_IDENTIFIER.test(name) && !NFT_KEYWORDS.has(name);
}

/**
 * nft names for the chains of one table: each name nft can read stays, the
 * others get the closest name it can (`reject` becomes `reject_`,
 * `DOS~Pro` becomes `DOS_Pro`), unique within the table.
 */
export function chainNames(names: Iterable<string>): Map<string, string> {
  const all = [...names];
  const taken = new Set(all.filter(isNftChainName));
  const result = new Map<string, string>();
  for (const name of all) {
    if (taken.has(name)) {
      result.set(name, name);
      continue;
    }
    let base = name.replace(/[^A-Za-z0-9/_.-]/g, '_');
    if (!/^[A-Za-z_.]/.test(base)) base = `_${base}`;
    let candidate = isNftChainName(base) ? base : `${base}_`;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    result.set(name, candidate);
  }
  return result;
}

/** One value, or several as an anonymous set. */
export function setOf(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `{ ${items.join(', ')} }`;
}

/** A number as nft prints marks and masks. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** A range `from-to`, or the single value. */
export function range(from: number | bigint, to: number | bigint): string {
  return from === to ? String(from) : `${from}-${to}`;
}

/**
 * An address with its mask: `10.0.0.0/8` for a prefix (the host address
 * alone for a full mask); a mask that is not a prefix cannot be written so,
 * and comes back apart for an `& mask ==` test.
 */
export function addressValue(c: Cidr): { value: string; mask?: string } {
  const bits = c.family === 'ipv4' ? 32 : 128;
  if (c.prefix >= 0) return { value: c.prefix === bits ? formatAddress(c.address, c.family) : `${formatAddress(c.address, c.family)}/${c.prefix}` };
  return { value: formatAddress(c.address & c.mask, c.family), mask: formatAddress(c.mask, c.family) };
}
