// A trace's verdict and packet in words, the same for the CLI and the trace panel.
import type { Outcome } from '.';
import { stopWords } from './traverse';
import { t } from '../l10n';

export type VerdictFacts = Pick<Outcome, 'fate' | 'inInterface' | 'outInterface' | 'rejectWith' | 'sendError' | 'dropReason'> & Partial<Pick<Outcome, 'stop'>>;

/** A fate in the user's language: `dropped`, `delivered`... */
export function fateWord(fate: Outcome['fate']): string {
  switch (fate) {
    case 'delivered': return t('delivered');
    case 'forwarded': return t('forwarded');
    case 'sent': return t('sent');
    case 'dropped': return t('dropped');
  }
}

export function verdictLine(o: VerdictFacts): string {
  switch (o.fate) {
    case 'delivered': return t('delivered to this host (arrived on {0})', o.inInterface);
    case 'forwarded': return t('forwarded out {0}', o.outInterface);
    case 'sent': return t('sent out {0}', o.outInterface);
    default: {
      const extra = [o.rejectWith && t('answered with {0}', o.rejectWith), o.sendError && t('sendto() fails with {0}', o.sendError)].filter(Boolean).join('; ');
      return t('{0}: {1}', o.stop ? stopWords(o.stop) : t('dropped'), o.dropReason) + (extra ? t(' ({0})', extra) : '');
    }
  }
}

/** `tcp 198.51.100.7:40000 -> 10.0.0.2:8080 SYN ttl 63 mark 0x0`, from a packet's JSON form. */
export function packetLine(p: Record<string, unknown> | null): string {
  if (!p) return t('(differs between outcomes)');
  const ports = p.sourcePort !== undefined ? [`:${p.sourcePort}`, `:${p.destinationPort}`] : ['', ''];
  const v6 = p.family === 'ipv6' && ports[0];
  const at = (a: unknown, port: string) => (v6 ? `[${a}]${port}` : `${a}${port}`);
  const flags = Array.isArray(p.tcpFlags) ? ` ${p.tcpFlags.join(',')}` : '';
  const undetermined = p.undetermined ? ` (${Object.entries(p.undetermined as object).map(([k, v]) => `${k} ${v}`).join('; ')})` : '';
  return `${p.protocol} ${at(p.source, ports[0])} -> ${at(p.destination, ports[1])}${flags} ${p.family === 'ipv6' ? 'hl' : 'ttl'} ${p.ttl} mark 0x${Number(p.mark).toString(16)}${undetermined}`;
}
