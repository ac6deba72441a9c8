// An iptables option's value as nft writes it, by the kind of value the
// knowledge base gives the option: ports and ranges, addresses, marks, lists
// of words, quoted text.
import { formatAddress, type Cidr } from '../knowledge/addresses';
import type { Family, OptionSpec, ValueSpec } from '../knowledge';
import { NFT_PROTOCOL_NAMES } from '../knowledge/nftables';
import type { HostValue, MarkMask, NatRange, PortRange } from '../knowledge/values';
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
  spec: ValueSpec, parsed: unknown, text: string, family: Family, fact: { words?: Readonly<Record<string, string>>; flags?: boolean; verbatim?: boolean } = {},
): TestValue {
  if (fact.verbatim) return { value: fact.words?.[text.toLowerCase()] ?? text };
  if (parsed === undefined) throw new Untranslatable(t('`{0}` is not a value iptables accepts here', text));
  if (typeof spec === 'string') {
    switch (spec) {
      case 'port': return { value: String(parsed) };
      case 'portRange': {
        const p = parsed as PortRange;
        return { value: range(p.from, p.to) };
      }
      case 'portList': return { value: setOf((parsed as PortRange[]).map((p) => range(p.from, p.to))) };
      case 'host':
      case 'hostMask':
      case 'addressList': {
        const v = parsed as HostValue | HostValue[];
        const one = Array.isArray(v) ? v[0] : v;
        if ('hostname' in one) return { value: one.hostname };
        return addressValue(one as Cidr);
      }
      case 'addressRange': {
        const r = parsed as { from: bigint; to: bigint };
        return { value: r.from === r.to ? formatAddress(r.from, family) : `${formatAddress(r.from, family)}-${formatAddress(r.to, family)}` };
      }
      case 'markMask':
      case 'tosMask': {
        const m = parsed as MarkMask;
        const full = spec === 'markMask' ? 0xffffffffn : 0xffn;
        return m.mask === full ? { value: hex(m.value) } : { value: hex(m.value), mask: hex(m.mask) };
      }
      case 'mac': return { value: String(parsed) };
      case 'logLevel': return { value: words([String(parsed)], fact.words)[0] };
      case 'protocol': return { value: protocolText(parsed as number) };
      case 'interface': return { value: interfaceName(text) };
      case 'dscpClass': return { value: hex(parsed as number) };
      case 'natPorts': {
        const r = parsed as NatRange;
        return { value: `:${range(r.portFrom!, r.portTo!)}` };
      }
      case 'natRange': return { value: natRangeText(parsed as NatRange, text, family) };
      default: throw new Untranslatable(t('values of this kind (`{0}`) have no nft spelling we know', text));
    }
  }
  switch (spec.kind) {
    case 'uint': return { value: fact.words?.[String(parsed).toLowerCase()] ?? String(parsed) };
    case 'uintRange': {
      const r = parsed as { from: number; to: number };
      return { value: range(r.from, r.to) };
    }
    case 'double': return { value: String(parsed) };
    case 'string': return { value: fact.words ? words([String(parsed)], fact.words)[0] : quoted(String(parsed)).text };
    case 'enum': return { value: words([String(parsed)], fact.words)[0] };
    case 'enumList': {
      const items = [...new Set(words(parsed as string[], fact.words))];
      return { value: fact.flags ? items.join(',') : setOf(items) };
    }
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
  option: OptionSpec, use: { values: { text: string }[]; parsed: readonly unknown[] }, family: Family,
  fact: { words?: Readonly<Record<string, string>>; flags?: boolean; verbatim?: boolean } = {},
): TestValue {
  return valueText(option.value!, use.parsed[0], use.values[0]?.text ?? '', family, fact);
}
