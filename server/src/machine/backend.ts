// Which of iptables' two backends a machine uses, and whether the other one
// holds rules too. Both load rules into the kernel side by side and a packet
// meets both; each one's iptables shows only its own, so a machine where two
// tools use different backends (OpenWrt's fw3 and a container runtime, Cilium
// and kube-proxy) is confusing to read. iptables-nft warns of legacy tables;
// we say it either way, with what the other backend holds.
import { ruleCount, t } from '../l10n';
import type { Backend } from './liveCommand';

/** `iptables v1.8.9 (nf_tables)`; versions before 1.8 had the legacy backend only and do not say. */
export function backendOf(versionText: string): Backend {
  return /\(nf_tables\)/.test(versionText) ? 'nf_tables' : 'legacy';
}

export function otherBackend(b: Backend): Backend {
  return b === 'nf_tables' ? 'legacy' : 'nf_tables';
}

export interface HeldTable {
  table: string;
  rules: number;
  userChains: number;
  /** Built-in chains whose policy is not ACCEPT. */
  policies: string[];
}

/**
 * The tables of an iptables-save text that hold anything: a rule, a user
 * chain or a policy other than ACCEPT. A table with nothing of it changes no
 * packet (a listing may create one empty).
 */
export function heldTables(saveText: string): HeldTable[] {
  const held: HeldTable[] = [];
  let current: HeldTable | undefined;
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) current = { table: line.slice(1).trim(), rules: 0, userChains: 0, policies: [] };
    else if (!current) continue;
    else if (line.startsWith('-A ')) current.rules++;
    else if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (policy === '-') current.userChains++;
      else if (policy !== 'ACCEPT') current.policies.push(`${name} ${policy}`);
    } else if (line.trim() === 'COMMIT') {
      if (current.rules || current.userChains || current.policies.length) held.push(current);
      current = undefined;
    }
  }
  return held;
}

function describeHeld(family: string, tables: HeldTable[]): string {
  const parts = tables.map((table) => {
    const what = [
      table.rules ? ruleCount(table.rules) : '',
      table.userChains ? (table.userChains === 1 ? t('1 chain') : t('{0} chains', table.userChains)) : '',
      ...table.policies.map((p) => t('policy {0}', p)),
    ].filter(Boolean);
    return `${table.table} (${what.join(', ')})`;
  });
  return `${family} ${parts.join(', ')}`;
}

const BACKEND_NAME: Record<Backend, string> = { nf_tables: 'nf_tables', legacy: 'legacy' };
const SAVE_TOOL: Record<Backend, string> = { nf_tables: 'iptables-nft-save', legacy: 'iptables-legacy-save' };

/**
 * The warning for rules the backend not in use holds (its iptables-save
 * texts for IPv4 and IPv6), or undefined when it holds none.
 */
export function mixedBackendWarning(inUse: Backend, other: { ipv4: string; ipv6: string }): string | undefined {
  const o = otherBackend(inUse);
  const v4 = heldTables(other.ipv4);
  const v6 = heldTables(other.ipv6);
  if (v4.length === 0 && v6.length === 0) return undefined;
  const held = [v4.length ? describeHeld('IPv4', v4) : '', v6.length ? describeHeld('IPv6', v6) : ''].filter(Boolean).join('; ');
  return t('the {0} backend also holds rules ({1}). The kernel runs them as well as the {2} rules shown here, and iptables ({2}) does not list them: see them with {3}.', BACKEND_NAME[o], held, BACKEND_NAME[inUse], SAVE_TOOL[o]);
}
