// The trace panel's markup from the view model: the verdict, the outcomes,
// the SVG picture and the steps list, as HTML strings. Every string that comes
// from the rules or the user passes through `escapeHtml` (a rule's comment is
// text, never markup). Pure: tested in Node.
import * as l10n from '@vscode/l10n';
import type { Hook } from '../../server/src/knowledge';
import { HOOKS } from '../../server/src/knowledge/tables';
import type { PathNode, Picture, Row, Stage, StageStatus, TraceView } from './viewModel';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

const FATE_ICON: Record<TraceView['fate'], string> = {
  delivered: 'pass', forwarded: 'pass', sent: 'pass', dropped: 'circle-slash', unknown: 'question',
};

function icon(name: string): string {
  return `<span class="codicon codicon-${name}" aria-hidden="true"></span>`;
}

function percent(p: number): string {
  return `${Math.round(p * 1000) / 10}%`;
}

export function renderVerdict(v: TraceView): string {
  // A fragment waiting for the rest of its packet is held, not refused.
  const fateIcon = v.stop === 'held' ? 'watch' : FATE_ICON[v.fate];
  const head = `<div class="verdict fate-${v.fate}${v.decided ? '' : ' uncertain'}">${icon(fateIcon)}<span class="verdict-text">${e(capitalise(v.verdict))}</span></div>`;
  if (v.decided) return head;
  const outcomes = v.outcomes.map((o, i) => {
    const chance = o.probability === undefined ? '' : `<span class="probability">${percent(o.probability)}</span>`;
    const label = o.probability === undefined ? l10n.t('Outcome {0}: {1}', i + 1, o.headline) : l10n.t('Outcome {0}, probability {1}: {2}', i + 1, percent(o.probability), o.headline);
    return `<li><button class="outcome${i === v.shown ? ' shown' : ''}" role="radio" aria-checked="${i === v.shown}" tabindex="${i === v.shown ? 0 : -1}" data-action="outcome" data-outcome="${i}" aria-label="${e(label)}">`
      + `${icon('question')}${chance}<span class="outcome-text">${e(o.headline)}</span></button>`
      + `<ul class="assumptions">${o.assumptions.map((a) => `<li>${e(l10n.t('if {0}', a))}</li>`).join('')}</ul></li>`;
  });
  return `${head}<ol class="outcomes" role="radiogroup" aria-label="${e(l10n.t('Possible outcomes'))}">${outcomes.join('')}</ol>`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function renderHits(v: TraceView): string {
  const hits = `<span class="label">${e(l10n.t('Counters'))}</span> <code>${e(v.hits.join(' ') || l10n.t('(none)'))}</code>`;
  const maybe = v.maybeHits.length ? ` <span class="label maybe">${e(l10n.t('maybe'))}</span> <code>${e(v.maybeHits.join(' '))}</code>` : '';
  const notes = v.notes.map((n) => `<li>${icon('info')}${e(n)}</li>`).join('');
  return `<p class="hits">${hits}${maybe}</p>${notes ? `<ul class="notes">${notes}</ul>` : ''}`;
}

// ---- the steps ----------------------------------------------------------------------------------

const RESULT_ICON: Record<NonNullable<Row['result']>, string> = { match: 'pass', nomatch: 'circle-outline', maybe: 'question' };

function rowLabel(r: Row): string {
  const where = r.line === undefined ? '' : l10n.t(', line {0}', r.line + 1);
  const decided = r.decider ? l10n.t('. This decided the verdict') : '';
  return `${r.rule}${where}: ${r.detail}${r.assumed ? `; ${r.assumed}` : ''}${decided}`;
}

function rowHtml(r: Row, index: number): string {
  const cls = `row row-${r.kind} d-${Math.min(r.depth, 9)}${r.result ? ` res-${r.result}` : ''}${r.decider ? ' decider' : ''}`;
  const changed = r.changed?.length ? `<ul class="changes">${r.changed.map((c) => `<li>${icon('arrow-swap')}${e(c)}</li>`).join('')}</ul>` : '';
  switch (r.kind) {
    case 'hook':
      return `<li class="${cls}" data-row="${index}"><h3>${e(r.text)}</h3></li>`;
    case 'chain':
      return `<li class="${cls}" data-row="${index}">${r.depth ? icon('debug-step-into') : ''}<span class="chain">${e(r.text)}</span></li>`;
    case 'event':
      return `<li class="${cls}" data-row="${index}">${icon('chevron-right')}<span class="event">${e(r.text)}</span>${changed}</li>`;
    case 'fork':
      return `<li class="${cls}" data-row="${index}">${icon('question')}<span>${e(r.text)}</span></li>`;
    case 'return':
      return `<li class="${cls}" data-row="${index}">${icon('debug-step-out')}<span class="return">${e(r.text)}</span></li>`;
    case 'hidden':
      return `<li class="${cls}" data-row="${index}"><button class="step" tabindex="-1" data-action="expand" data-run="${e(r.rule ?? '')}" aria-label="${e(l10n.t('{0} more rules did not match; show them', r.count ?? 0))}">`
        + `${icon('ellipsis')}<span>${e(r.text)}</span> <span class="link">${e(l10n.t('show'))}</span></button></li>`;
    case 'policy':
      return `<li class="${cls}" data-row="${index}"><button class="step" tabindex="-1" data-action="reveal" data-rule="${e(r.rule ?? '')}" aria-label="${e(`${r.text}${r.decider ? l10n.t('. This decided the verdict') : ''}`)}">`
        + `${icon(r.decider ? 'pass-filled' : 'circle-small')}<span class="policy">${e(r.text)}</span></button></li>`;
    case 'rule': {
      const assumed = r.assumed ? `<div class="assumed">${icon('question')}${e(r.assumed)}</div>` : '';
      const notes = r.notes?.map((n) => `<div class="note">${e(n)}</div>`).join('') ?? '';
      const line = r.line === undefined ? '' : `<span class="line">${r.line + 1}</span>`;
      const nft = r.nft ? `<div class="nft"><span class="nft-label">nft</span><code>${e(r.nft)}</code></div>` : '';
      return `<li class="${cls}" data-row="${index}"><button class="step" tabindex="-1" data-action="reveal" data-rule="${e(r.rule ?? '')}" aria-label="${e(rowLabel(r))}">`
        + `${icon(r.decider ? 'pass-filled' : RESULT_ICON[r.result!])}${line}<code class="rule-text">${e(r.text)}</code>`
        + `<span class="result">${e(r.detail ?? '')}</span></button>${assumed}${changed}${notes}${nft}</li>`;
    }
  }
}

export function renderSteps(rows: Row[]): string {
  return rows.map(rowHtml).join('');
}

// ---- the picture ----------------------------------------------------------------------------

const BOX_W = 128;
const HEAD = 20;
const ROW = 17;

/** Top-left corner of each hook's box; the main line runs through the headers (y = 34). */
const HOOK_AT: Record<Hook, [number, number]> = {
  PREROUTING: [70, 24],
  INPUT: [168, 150],
  FORWARD: [270, 24],
  OUTPUT: [430, 118],
  POSTROUTING: [430, 24],
};

/** Edges between nodes, as SVG path data. */
const EDGES: [PathNode, PathNode, string][] = [
  ['in', 'PREROUTING', 'M46 34 H70'],
  ['PREROUTING', 'route-in', 'M198 34 H218'],
  ['route-in', 'FORWARD', 'M246 34 H270'],
  ['route-in', 'INPUT', 'M232 48 V150'],
  ['FORWARD', 'POSTROUTING', 'M398 34 H430'],
  ['POSTROUTING', 'out', 'M558 34 H584'],
  ['INPUT', 'local', 'M232 246 V290 H300'],
  ['local', 'route-out', 'M410 290 H480'],
  ['route-out', 'OUTPUT', 'M494 276 V246'],
  ['OUTPUT', 'POSTROUTING', 'M494 118 V86'],
];

const STATUS_GLYPH: Record<Stage['status'], string> = { accepted: '✓', dropped: '✗', skipped: '↷', unreached: '', absent: '' };

function onPath(path: PathNode[], a: PathNode, b: PathNode): boolean {
  return path.some((n, i) => n === a && path[i + 1] === b);
}

function stageHtml(hook: Hook, stage: Stage, k: number): string {
  const [x, y] = HOOK_AT[hook];
  const top = y + HEAD + k * ROW;
  const status = statusWord(stage.status);
  const label = stage.name === 'conntrack' ? l10n.t('conntrack in {0}: {1}; {2}', hook, status, stage.detail) : l10n.t('{0} table in {1}: {2}; {3}', stage.name, hook, status, stage.detail);
  const target = stage.row === undefined ? '' : ` data-action="goto-row" data-row="${stage.row}"`;
  return `<g class="stage st-${stage.status}" tabindex="${stage.row === undefined ? -1 : 0}" role="${stage.row === undefined ? 'img' : 'button'}" aria-label="${e(label)}"${target}>`
    + `<title>${e(label)}</title><rect x="${x + 4}" y="${top}" width="${BOX_W - 8}" height="${ROW - 2}" rx="2"/>`
    + `<text x="${x + 10}" y="${top + 11.5}">${e(stage.name)}</text><text class="glyph" x="${x + BOX_W - 12}" y="${top + 11.5}" text-anchor="end">${STATUS_GLYPH[stage.status]}</text></g>`;
}

/** A table's status at a hook, in the page's language. */
function statusWord(status: StageStatus): string {
  switch (status) {
    case 'accepted': return l10n.t('accepted');
    case 'dropped': return l10n.t('dropped');
    case 'skipped': return l10n.t('skipped');
    case 'unreached': return l10n.t('unreached');
    case 'absent': return l10n.t('not in this file');
  }
}

function hookHtml(p: Picture, hook: Hook): string {
  const [x, y] = HOOK_AT[hook];
  const stages = p.stages[hook];
  const height = HEAD + stages.length * ROW + 4;
  const cls = `hook${p.path.includes(hook) ? ' on-path' : ''}${p.droppedAt === hook ? ' dropped' : ''}`;
  return `<g class="${cls}"><rect class="hook-box" x="${x}" y="${y}" width="${BOX_W}" height="${height}" rx="4"/>`
    + `<text class="hook-name" x="${x + BOX_W / 2}" y="${y + 14}" text-anchor="middle">${hook}</text>`
    + stages.map((s, k) => stageHtml(hook, s, k)).join('') + '</g>';
}

function nodeClass(p: Picture, node: PathNode): string {
  return `node${p.path.includes(node) ? ' on-path' : ''}${p.droppedAt === node ? ' dropped' : ''}`;
}

function diamond(p: Picture, node: PathNode, cx: number, cy: number, label: string): string {
  return `<g class="${nodeClass(p, node)}" role="img" aria-label="${e(label)}"><title>${e(label)}</title>`
    + `<path class="route" d="M${cx} ${cy - 14} L${cx + 14} ${cy} L${cx} ${cy + 14} L${cx - 14} ${cy} Z"/><text class="small" x="${cx}" y="${cy + 3.5}" text-anchor="middle">R</text></g>`;
}

/** A sentence for screen readers: where the packet went and what each table did. */
function pictureDescription(p: Picture): string {
  const names: Record<PathNode, string> = {
    in: l10n.t('arrives on {0}', p.inInterface ?? l10n.t('an interface')), out: l10n.t('leaves on {0}', p.outInterface ?? l10n.t('an interface')), local: l10n.t('a local process'),
    'route-in': 'routing', 'route-out': 'routing', PREROUTING: 'PREROUTING', INPUT: 'INPUT', FORWARD: 'FORWARD', OUTPUT: 'OUTPUT', POSTROUTING: 'POSTROUTING',
  };
  const parts = p.path.map((n) => {
    const hook = HOOKS.includes(n as Hook) ? p.stages[n as Hook].filter((s) => s.status !== 'absent' && s.status !== 'unreached').map((s) => `${s.name} ${statusWord(s.status)}`) : [];
    return hook.length ? `${names[n]} (${hook.join(', ')})` : names[n];
  });
  const way = parts.join(l10n.t(', then '));
  return p.droppedAt ? l10n.t('The packet\'s way: {0}; dropped at {1}.', way, names[p.droppedAt]) : l10n.t('The packet\'s way: {0}.', way);
}

export function renderPicture(p: Picture): string {
  const edges = EDGES.map(([a, b, d]) => `<path class="edge${onPath(p.path, a, b) ? ' on-path' : ''}" d="${d}" marker-end="url(#${onPath(p.path, a, b) ? 'arrow-on' : 'arrow'})"/>`).join('');
  const inLabel = p.inInterface ?? 'in';
  const outLabel = p.outInterface ?? 'out';
  return `<svg class="picture" viewBox="0 0 650 312" role="group" aria-labelledby="picture-desc">`
    + `<desc id="picture-desc">${e(pictureDescription(p))}</desc>`
    + '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path class="arrow" d="M0 0 L8 4 L0 8 Z"/></marker>'
    + '<marker id="arrow-on" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path class="arrow on-path" d="M0 0 L8 4 L0 8 Z"/></marker></defs>'
    + edges
    + `<g class="${nodeClass(p, 'in')}" role="img" aria-label="${e(`in: ${inLabel}`)}"><text x="8" y="38">${e(inLabel)}</text></g>`
    + `<g class="${nodeClass(p, 'out')}" role="img" aria-label="${e(`out: ${outLabel}`)}"><text x="590" y="38">${e(outLabel)}</text></g>`
    + diamond(p, 'route-in', 232, 34, l10n.t('routing decision: this host or forward'))
    + diamond(p, 'route-out', 494, 290, l10n.t('routing decision for a local packet'))
    + `<g class="${nodeClass(p, 'local')}" role="img" aria-label="${e(l10n.t('local process'))}"><rect class="local-box" x="300" y="277" width="110" height="26" rx="13"/><text x="355" y="294" text-anchor="middle">${e(l10n.t('local process'))}</text></g>`
    + HOOKS.map((h) => hookHtml(p, h)).join('')
    + '</svg>';
}
