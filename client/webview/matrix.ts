// The service matrix in the panel: who reaches a service, per hook, as a
// picture (one box per class, coloured by its fate) and a table (where the
// packets come from, where they go, what becomes of them). Every class
// carries one of its packets: a click on its box or its row traces it.
import * as l10n from '@vscode/l10n';
import type { MatrixClassView, MatrixView } from '../../server/src/protocol/requests';
import { escapeHtml as e } from './render';

const HOOKS = ['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING'];

function hookTitle(hook: string): string {
  switch (hook) {
    case 'INPUT': return l10n.t('To this host (INPUT)');
    case 'FORWARD': return l10n.t('Through this host (FORWARD)');
    case 'OUTPUT': return l10n.t('From this host (OUTPUT)');
    default: return l10n.t('Dropped before routing (PREROUTING)');
  }
}

/** A class's fate in words: where it leaves, and whether it rests on an answer nobody can give. */
export function classFate(c: MatrixClassView): string {
  const fate = c.fate === 'delivered' ? l10n.t('delivered')
    : c.fate === 'forwarded' ? l10n.t('forwarded out {0}', c.outInterface ?? '')
      : c.fate === 'sent' ? l10n.t('sent out {0}', c.outInterface ?? '')
        : c.fate === 'dropped' ? l10n.t('dropped') : l10n.t('unknown');
  return c.conditions.length ? l10n.t('{0}, if the conditions hold', fate) : fate;
}

/** The colour of a class: its fate, or unsure when it depends on conditions. */
function tone(c: MatrixClassView): string {
  if (c.fate === 'unknown' || c.conditions.length) return 'unsure';
  return c.fate === 'dropped' ? 'bad' : 'ok';
}

/** Boxes per lane of the picture; more are counted, not drawn. */
const BOXES = 24;

function picture(m: MatrixView, mi: number, hooks: string[]): string {
  const box = 22;
  const left = 260;
  const rows = hooks.map((hook, row) => {
    const classes = m.classes.map((c, ci) => ({ c, ci })).filter(({ c }) => c.hook === hook);
    const y = 8 + row * (box + 10);
    const boxes = classes.slice(0, BOXES).map(({ c, ci }, k) => {
      const label = `${classFate(c)}: ${c.cells.map((x) => `${x.from} → ${x.to} (${x.on})`).join('; ')}`;
      return `<rect class="cell tone-${tone(c)}" x="${left + k * (box + 4)}" y="${y}" width="${box}" height="${box}" rx="3" role="button" tabindex="0" `
        + `data-action="matrix-class" data-matrix="${mi}" data-class="${ci}" aria-label="${e(label)}"><title>${e(label)}</title></rect>`;
    }).join('');
    const more = classes.length > BOXES ? `<text x="${left + BOXES * (box + 4) + 4}" y="${y + 15}">${e(l10n.t('+{0} more', classes.length - BOXES))}</text>` : '';
    return `<text x="0" y="${y + 15}">${e(hookTitle(hook))}</text>${boxes}${more}`;
  }).join('');
  const width = left + (BOXES + 3) * (box + 4);
  return `<svg class="picture matrix-picture" viewBox="0 0 ${width} ${8 + hooks.length * (box + 10)}" role="group" aria-label="${e(l10n.t('The classes of packets by hook, one box each: green gets through, red is dropped, yellow depends on conditions'))}">${rows}</svg>`;
}

function table(m: MatrixView, mi: number, hook: string): string {
  const rows = m.classes.map((c, ci) => ({ c, ci })).filter(({ c }) => c.hook === hook).map(({ c, ci }) => {
    const lines = (f: (x: MatrixClassView['cells'][number]) => string) => c.cells.map((x) => e(f(x))).join('<br>');
    const notes = [...c.rewrites.map((r) => l10n.t('NAT: {0}', r)), ...(c.reason ? [c.reason] : []), ...c.conditions];
    return `<tr class="tone-${tone(c)}"><td class="fate">${e(classFate(c))}</td><td>${lines((x) => x.from)}</td><td>${lines((x) => x.to)}</td><td>${lines((x) => x.on)}</td>`
      + `<td class="notes">${notes.map(e).join('<br>')}</td>`
      + `<td><button type="button" class="link" data-action="matrix-class" data-matrix="${mi}" data-class="${ci}">${e(l10n.t('Trace one'))}</button></td></tr>`;
  });
  return `<table class="matrix"><caption>${e(hookTitle(hook))}</caption><thead><tr><th scope="col">${e(l10n.t('Fate'))}</th><th scope="col">${e(l10n.t('From'))}</th>`
    + `<th scope="col">${e(l10n.t('To'))}</th><th scope="col">${e(l10n.t('Arrives on'))}</th><th scope="col">${e(l10n.t('NAT, reason, conditions'))}</th><th scope="col"></th></tr></thead>`
    + `<tbody>${rows.join('')}</tbody></table>`;
}

/** The matrices of a document (one per family with rules) as the picture and a table per hook. */
export function renderMatrix(service: string, matrices: MatrixView[]): string {
  return matrices.map((m, mi) => {
    const hooks = HOOKS.filter((h) => m.classes.some((c) => c.hook === h));
    const title = l10n.t('{0}, {1}: {2} classes of first packets', service, m.family === 'ipv6' ? 'IPv6' : 'IPv4', m.classes.length + (m.more ?? 0));
    const more = m.more ? `<p class="more">${e(l10n.t('The first {0} are shown; iptables-trace --matrix lists them all.', m.classes.length))}</p>` : '';
    return `<div class="matrix-family" data-family="${m.family}"><h3>${e(title)}</h3>${picture(m, mi, hooks)}${hooks.map((h) => table(m, mi, h)).join('')}${more}</div>`;
  }).join('');
}
