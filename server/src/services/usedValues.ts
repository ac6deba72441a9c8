// The addresses and interfaces a document already uses, most used first:
// completion offers them again. Computed once per analysis.
import type { DocumentAnalysis } from '../analysis/document';
import type { ValueSpec } from '../knowledge';
import type { OptionUse } from '../syntax/command';
import type { Token } from '../syntax/token';

export interface UsedValues {
  addresses: readonly string[];
  interfaces: readonly string[];
}

const ADDRESS_KINDS: ReadonlySet<ValueSpec> = new Set<ValueSpec>(['host', 'hostMask', 'addressList', 'addressRange']);

/** Which of the used values fit a value of this kind. */
export function usedValuesFor(spec: ValueSpec): keyof UsedValues | undefined {
  if (ADDRESS_KINDS.has(spec)) return 'addresses';
  return spec === 'interface' ? 'interfaces' : undefined;
}

const cache = new WeakMap<DocumentAnalysis, UsedValues>();

export function usedValues(analysis: DocumentAnalysis): UsedValues {
  let found = cache.get(analysis);
  if (found) return found;
  const counts = { addresses: new Map<string, number>(), interfaces: new Map<string, number>() };
  const add = (group: keyof UsedValues, token: Token | undefined) => {
    if (!token || token.unknown || token.text === '') return;
    const map = counts[group];
    // `-s a,b` lists several addresses.
    if (group === 'addresses' && token.text.includes(',')) {
      for (const value of token.text.split(',')) if (value !== '') map.set(value, (map.get(value) ?? 0) + 1);
    } else {
      map.set(token.text, (map.get(token.text) ?? 0) + 1);
    }
  };
  const addOptions = (options: readonly OptionUse[]) => {
    for (const use of options) {
      const group = use.spec.value && usedValuesFor(use.spec.value);
      if (group) add(group, use.values[0]);
    }
  };
  for (const ruleset of Object.values(analysis.rulesets)) {
    for (const table of ruleset.tables.values()) {
      for (const chain of table.chains.values()) {
        for (const { spec } of chain.rules) {
          add('addresses', spec.source?.value);
          add('addresses', spec.destination?.value);
          add('interfaces', spec.inInterface?.value);
          add('interfaces', spec.outInterface?.value);
          for (const m of spec.matches) addOptions(m.options);
          if (spec.target) addOptions(spec.target.options);
        }
      }
    }
  }
  // Values used equally often stay in the order the ruleset has them (by buckets: no sort of thousands of strings).
  const ranked = (m: Map<string, number>) => {
    const buckets: string[][] = [];
    for (const [value, n] of m) (buckets[n] ??= []).push(value);
    return buckets.reverse().flatMap((b) => b ?? []);
  };
  found = { addresses: ranked(counts.addresses), interfaces: ranked(counts.interfaces) };
  cache.set(analysis, found);
  return found;
}
