// An iptables option's value as nft writes it, by the kind of value the
// knowledge base gives the option: ports and ranges, addresses, marks, lists
// of words, quoted text.
import { formatAddress } from '../knowledge/addresses';
import type { Family, OptionSpec, ValueSpec } from '../knowledge';
import { NFT_PROTOCOL_NAMES } from '../knowledge/nftables';
import { kinded, type NatRange, type ParsedValue } from '../knowledge/values';
import { protocolName, protocolNumber } from '../knowledge/vocabulary';
import { t } from '../l10n';
import { addressValue, hex, interfaceName, quoted, range, setOf } from './text';

/** A value for a test: `value`, or `& mask == value` when there is a mask. */
export interface TestValue {
  value: string;
  mask?: string;
}

export class Untranslatable extends Error {}

/** A protocol as nft names it: the names nft knows by itself, else the number. */
export function protocolText(p: number | string): string {
  const n = typeof p === 'number' ? p : protocolNumber(p);
  if (n === undefined) return String(p);
  const name = protocolName(n);
  return name !== undefined && NFT_PROTOCOL_NAMES.has(name) ? name : String(n);
}

function words(items: readonly string[], map: Readonly<Record<string, string>> | undefined): string[] {
  return items.map((w) => {
    const nft = map?.[w.toLowerCase()];
    if (nft === undefined && map) throw new Untranslatable(t('nft has no word for `{0}`', w));
    return nft ?? w.toLowerCase();
  });
}

/**
 * The value of one of the option's words, parsed by the knowledge base, as
 * nft writes it. `text` is the word as written, for kinds whose meaning nft
 * reads itself (names it looks up).
 */
export function valueText(
  spec: ValueSpec, parsed: ParsedValue | undefined, text: string, family: Family, fact: { words?: Readonly<Record<string, string>>; flags?: boolean; verbatim?: boolean } = {},
): TestValue {
  if (fact.verbatim) return { value: fact.words?.[text.toLowerCase()] ?? text };
  if (parsed === undefined) throw new Untranslatable(t('`{0}` is not a value iptables accepts here', text));
  const v = kinded(spec, parsed);
  switch (v.kind) {
    case 'port': return { value: String(v.value) };
    case 'portRange': return { value: range(v.value.from, v.value.to) };
    case 'portList': return { value: setOf(v.value.map((p) => range(p.from, p.to))) };
    case 'host':
    case 'hostMask':
    case 'addressList': {
      const one = Array.isArray(v.value) ? v.value[0] : v.value;
      if ('hostname' in one) return { value: one.hostname };
      return addressValue(one);
    }
    case 'addressRange': {
      const r = v.value;
      return { value: r.from === r.to ? formatAddress(r.from, family) : `${formatAddress(r.from, family)}-${formatAddress(r.to, family)}` };
    }
    case 'markMask':
    case 'tosMask': {
      const m = v.value;
      const full = v.kind === 'markMask' ? 0xffffffffn : 0xffn;
      return m.mask === full ? { value: hex(m.value) } : { value: hex(m.value), mask: hex(m.mask) };
    }
    case 'mac': return { value: v.value };
    case 'logLevel': return { value: words([String(v.value)], fact.words)[0] };
    case 'protocol': return { value: protocolText(v.value) };
    case 'interface': return { value: interfaceName(text) };
    case 'dscpClass': return { value: hex(v.value) };
    case 'natPorts': return { value: `:${range(v.value.portFrom!, v.value.portTo!)}` };
    case 'natRange': return { value: natRangeText(v.value, text, family) };
    case 'uint': return { value: fact.words?.[String(v.value).toLowerCase()] ?? String(v.value) };
    case 'uintRange': return { value: range(v.value.from, v.value.to) };
    case 'double': return { value: String(v.value) };
    case 'string': return { value: fact.words ? words([v.value], fact.words)[0] : quoted(v.value).text };
    case 'enum': return { value: words([v.value], fact.words)[0] };
    case 'enumList': {
      const items = [...new Set(words(v.value, fact.words))];
      return { value: fact.flags ? items.join(',') : setOf(items) };
    }
    default: throw new Untranslatable(t('values of this kind (`{0}`) have no nft spelling we know', text));
  }
}

/** A NAT target's `to`: `address[-address][:port[-port]]`, an IPv6 address in brackets before a port. */
function natRangeText(r: NatRange, text: string, family: Family): string {
  if (/\/\w+$/.test(text) && r.portFrom !== undefined) throw new Untranslatable(t('nft cannot shift ports from a base (`/base`)'));
  let addresses = '';
  if (r.addressFrom !== undefined) {
    const a = formatAddress(r.addressFrom, family);
    const b = formatAddress(r.addressTo!, family);
    addresses = r.addressFrom === r.addressTo ? a : `${a}-${b}`;
  }
  if (r.portFrom === undefined) return addresses;
  const ports = range(r.portFrom, r.portTo!);
  return family === 'ipv6' && addresses !== '' ? `[${addresses}]:${ports}` : `${addresses}:${ports}`;
}

/** The option's value, from its first word. */
export function optionValue(
  option: OptionSpec, use: { values: { text: string }[]; parsed: readonly (ParsedValue | undefined)[] }, family: Family,
  fact: { words?: Readonly<Record<string, string>>; flags?: boolean; verbatim?: boolean } = {},
): TestValue {
  return valueText(option.value!, use.parsed[0], use.values[0]?.text ?? '', family, fact);
}
