// Which command names run iptables, and how: `iptables`, `/sbin/ip6tables`,
// `iptables-legacy-restore`, `xtables-nft-multi iptables`...
import type { Family } from '../knowledge';

export interface IptablesTool {
  kind: 'iptables' | 'restore' | 'save';
  family: Family;
}

const TOOL = /^(ip6?)tables(?:-(legacy|nft))?(?:-(restore|save))?$/;

/** The iptables tool a command name runs, if it is one. */
export function iptablesTool(name: string): IptablesTool | undefined {
  const base = name.replace(/^.*\//, '');
  const m = TOOL.exec(base);
  if (!m) return undefined;
  return { kind: (m[3] as 'restore' | 'save' | undefined) ?? 'iptables', family: m[1] === 'ip6' ? 'ipv6' : 'ipv4' };
}

/** `xtables-legacy-multi iptables ...`: the multi-call binary names the tool in its first argument. */
export function isMultiCall(name: string): boolean {
  return /^xtables-(legacy|nft)-multi$/.test(name.replace(/^.*\//, ''));
}

/**
 * Words that run the rest of the line as a command: `sudo iptables`, `exec
 * iptables`, `nice -n 5 iptables`. Returns how many words the prefix takes,
 * or 0 when the word is not a transparent prefix.
 */
export function prefixLength(words: readonly string[]): number {
  const [w] = words;
  const base = w?.replace(/^.*\//, '');
  switch (base) {
    case 'sudo':
    case 'doas': {
      let i = 1;
      while (i < words.length && words[i].startsWith('-')) i += /^-[ugCDhpTrt]$/.test(words[i]) ? 2 : 1;
      return i;
    }
    case 'exec':
    case 'nohup':
    case 'time':
    case 'builtin':
      return 1;
    case 'nice':
      return words[1] === '-n' ? 3 : words[1]?.startsWith('-') ? 2 : 1;
    case 'stdbuf': {
      let i = 1;
      while (i < words.length && words[i].startsWith('-')) i++;
      return i;
    }
    case 'env': {
      let i = 1;
      while (i < words.length && (words[i].startsWith('-') || /^[A-Za-z_]\w*=/.test(words[i]))) i++;
      return i;
    }
    default:
      return 0;
  }
}
