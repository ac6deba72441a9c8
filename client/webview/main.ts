// The trace panel in the browser: the packet form, and the engine run on the
// followed document's rules at every change, rendered by render.ts. Talks to
// the extension only through the messages of server/src/protocol/webview.ts.
import * as l10n from '@vscode/l10n';
import { defaultHost, traceScenario, type Scenario, type Trace } from '../../server/src/engine';
import { checkExpectation, expectationOf } from '../../server/src/engine/expectation';
import { packetJson as enginePacketJson, TCP_FLAG_NAMES } from '../../server/src/engine/packet';
import type { Family } from '../../server/src/knowledge';
import { COMMON_PROTOCOLS, ICMP_TYPES, ICMPV6_TYPES, protocolNumber, STATE_NAMES } from '../../server/src/knowledge/vocabulary';
import type { MatrixView, TraceModel } from '../../server/src/protocol/requests';
import type { EditorRange, FromWebview, MachineHostMessage, SavedSample, ToWebview, WebviewState } from '../../server/src/protocol/webview';
import { linePlace, rulesetFromSnapshot } from '../../server/src/model/snapshot';
import { nftRule, nftSummary } from '../../server/src/nft/script';
import type { Ruleset } from '../../server/src/model/ruleset';
import {
  Field, FieldErrors, hasPortFields, isIcmp, isTcp, newSample, PacketFields, PRESETS, presetForChain, presetPacket, PresetId, Sample,
  sampleFromScenario, scenarioJson, validate, withMachine,
} from './form';
import { applyPageLanguage } from './language';
import { renderMatrix } from './matrix';
import { escapeHtml as e, renderHits, renderPicture, renderSteps, renderVerdict } from './render';
import { traceView, type TraceView } from './viewModel';

declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): WebviewState | undefined; setState(s: WebviewState): void };

const vscode = acquireVsCodeApi();
const state: WebviewState = vscode.getState() ?? { forms: {} };
const post = (m: FromWebview) => vscode.postMessage(m);

interface Loaded {
  model: TraceModel;
  rulesets: Map<Family, Ruleset>;
  /** Per family, counter id (`filter/INPUT/3`, `filter/INPUT/policy:DROP`) → where it is written; a save file's rules are found when asked (placeOf). */
  places: Map<Family, Map<string, EditorRange[]>>;
  samples: SavedSample[];
  canSave: boolean;
  /** A live ruleset's document: the host of the machine it was read from. */
  machine?: MachineHostMessage;
}

let loaded: Loaded | undefined;
let sample: Sample | undefined;
let family: Family = 'ipv4';
let outcome = 0;
let expanded = new Set<string>();
let view: TraceView | undefined;
/** The last trace and the scenario it is of, for "Save as test". */
let traced: { trace: Trace; scenario: Scenario } | undefined;
/** The matrices shown, for the clicks on their classes. */
let matrices: MatrixView[] = [];
/** When the model arrived, until its first trace is on screen (reported in data-first-trace-ms). */
let modelArrived: number | undefined;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- the page ---------------------------------------------------------------------------------

function field(name: keyof PacketFields | 'conntrackOn', label: string, control: string): string {
  return `<div class="field" id="w-${name}"><label for="f-${name}">${label}</label>${control}<div class="error" id="e-${name}" aria-live="polite"></div></div>`;
}

const input = (name: string, extra = '') => `<input id="f-${name}" name="${name}" aria-describedby="e-${name}" autocomplete="off" spellcheck="false" ${extra}>`;

function page(): string {
  const flags = TCP_FLAG_NAMES.map((f) => `<label class="flag"><input type="checkbox" name="tcpFlags" value="${f}">${f}</label>`).join('');
  const states = ['', ...STATE_NAMES].map((s) => `<option value="${s}">${s || l10n.t('as conntrack sees it')}</option>`).join('');
  // A packet has a real protocol: not `all` (0).
  const protocols = COMMON_PROTOCOLS.filter((p) => protocolNumber(p.name) !== 0).map((p) => `<option value="${p.name}">`).join('');
  return `
<header class="top">
  <h1><span class="codicon codicon-debug-start" aria-hidden="true"></span>${l10n.t('Packet trace')} <span id="doc-name"></span></h1>
  <div id="doc-status" role="status"></div>
</header>
<form id="packet-form" aria-label="${l10n.t('The packet')}" novalidate>
  <div class="presets" role="group" aria-label="${l10n.t('Presets')}">
    ${PRESETS.map((p) => `<button type="button" class="preset" data-preset="${p.id}">${p.label()}</button>`).join('')}
    <label class="family" id="w-family" hidden>${l10n.t('Family')} <select id="f-family"><option value="ipv4">IPv4</option><option value="ipv6">IPv6</option></select></label>
  </div>
  <div class="grid">
    ${field('inInterface', l10n.t('Arrives on'), '<select id="f-inInterface" name="inInterface" aria-describedby="e-inInterface"></select>')}
    ${field('outInterface', l10n.t('Socket bound to'), '<select id="f-outInterface" name="outInterface" aria-describedby="e-outInterface"></select>')}
    ${field('protocol', l10n.t('Protocol'), input('protocol', 'list="protocols"'))}
    ${field('source', l10n.t('Source'), input('source', `placeholder="${l10n.t('chosen by the route')}"`))}
    ${field('sourcePort', l10n.t('Source port'), input('sourcePort', 'inputmode="numeric"'))}
    ${field('destination', l10n.t('Destination'), input('destination'))}
    ${field('destinationPort', l10n.t('Destination port'), input('destinationPort', 'inputmode="numeric"'))}
    ${field('icmpType', l10n.t('ICMP type'), input('icmpType', 'list="icmp-types"'))}
    ${field('ctState', l10n.t('Conntrack state'), `<select id="f-ctState" name="ctState" aria-describedby="e-ctState">${states}</select>`)}
    ${field('ctDirection', l10n.t('Direction'), `<select id="f-ctDirection" name="ctDirection" aria-describedby="e-ctDirection"><option value="original">${l10n.t('original (from the opener)')}</option><option value="reply">${l10n.t('reply')}</option></select>`)}
    ${field('mark', l10n.t('Mark'), input('mark', 'placeholder="0"'))}
    <div class="field" id="w-tcpFlags"><span class="label" id="l-tcpFlags">${l10n.t('TCP flags')}</span><div class="flags" role="group" aria-labelledby="l-tcpFlags" aria-describedby="e-tcpFlags">${flags}</div><div class="error" id="e-tcpFlags" aria-live="polite"></div></div>
    <div class="field check"><label><input type="checkbox" id="f-conntrackOn" name="conntrackOn">${l10n.t('Conntrack always on (Docker and the like)')}</label></div>
  </div>
  <datalist id="protocols">${protocols}</datalist>
  <datalist id="icmp-types"></datalist>
  <details id="host">
    <summary>${l10n.t('Host:')} <span id="host-summary"></span></summary>
    <div class="host-kind" role="radiogroup" aria-label="${l10n.t('Host')}">
      <label><input type="radio" name="hostKind" value="default">${l10n.t('The example router (eth0 outside, eth1 inside)')}</label>
      <label><input type="radio" name="hostKind" value="ip">${l10n.t('From {0} and {1}', '<code>ip -j addr</code>', '<code>ip -j route</code>')}</label>
      <label><input type="radio" name="hostKind" value="json">${l10n.t('Host JSON (as in a scenario file)')}</label>
      <label><input type="radio" name="hostKind" value="machine">${l10n.t('This machine: its interfaces, routes, sysctls and listening sockets')}</label>
    </div>
    <div id="w-machine" class="machine" role="status"></div>
    <div class="field" id="w-hostAddr"><label for="f-hostAddr">${l10n.t('Output of {0}', '<code>ip -j addr</code>')}</label><textarea id="f-hostAddr" name="hostAddr" rows="4" spellcheck="false" aria-describedby="e-hostAddr"></textarea><div class="error" id="e-hostAddr" aria-live="polite"></div></div>
    <div class="field" id="w-hostRoute"><label for="f-hostRoute">${l10n.t('Output of {0} (and {1})', '<code>ip -j route</code>', '<code>ip -j -6 route</code>')}</label><textarea id="f-hostRoute" name="hostRoute" rows="4" spellcheck="false" aria-describedby="e-hostRoute"></textarea><div class="error" id="e-hostRoute" aria-live="polite"></div></div>
    <div class="field" id="w-hostJson"><label for="f-hostJson">${l10n.t('Host JSON')}</label><textarea id="f-hostJson" name="hostJson" rows="6" spellcheck="false" aria-describedby="e-hostJson"></textarea><div class="error" id="e-hostJson" aria-live="polite"></div></div>
    <label class="check"><input type="checkbox" id="f-ipForward" name="ipForward">${l10n.t('IP forwarding on')}</label>
    <div class="error" id="e-host" aria-live="polite"></div>
  </details>
  <div class="samples">
    <label for="f-sample">${l10n.t('Sample')}</label><select id="f-sample"></select>
    <label for="f-sampleName" class="visually-hidden">${l10n.t('Name to save the sample as')}</label><input id="f-sampleName" placeholder="${l10n.t('name, e.g. ssh-from-outside')}" autocomplete="off">
    <button type="button" id="save-sample"><span class="codicon codicon-save" aria-hidden="true"></span>${l10n.t('Save to workspace')}</button>
    <button type="button" id="save-test" title="${l10n.t('Save the packet with this verdict as what it must get: a packet test of the Testing view and iptables-trace --test')}"><span class="codicon codicon-beaker" aria-hidden="true"></span>${l10n.t('Save as test')}</button>
    <span id="sample-status" role="status"></span>
  </div>
  <div id="test-status" role="status" aria-live="polite"></div>
  <div class="error" id="e-scenario" aria-live="polite"></div>
</form>
<section id="result" aria-label="${l10n.t('Trace')}">
  <div id="verdict" aria-live="polite"></div>
  <figure id="picture"></figure>
  <div id="hits"></div>
  <h2 id="steps-title">${l10n.t('Steps')}</h2>
  <ol id="steps" aria-labelledby="steps-title"></ol>
</section>
<section id="matrix-section" aria-labelledby="matrix-title">
  <h2 id="matrix-title">${l10n.t('Service matrix: who reaches a port')}</h2>
  <div class="matrix-ask">
    <label for="f-service">${l10n.t('Service')}</label><input id="f-service" value="tcp:22" placeholder="tcp:22, udp:53, icmp" autocomplete="off" spellcheck="false">
    <button type="button" id="show-matrix"><span class="codicon codicon-table" aria-hidden="true"></span>${l10n.t('Show who reaches it')}</button>
    <span id="matrix-status" role="status" aria-live="polite"></span>
  </div>
  <div id="matrix"></div>
</section>`;
}

// ---- the form ---------------------------------------------------------------------------------

const form = () => $<HTMLFormElement>('packet-form');
const control = <T extends HTMLElement>(name: string) => $<T>(`f-${name}`);

function interfaceOptions(select: HTMLSelectElement, names: string[], empty: string, value: string): void {
  const all = names.includes(value) || value === '' ? names : [...names, value];
  select.innerHTML = `<option value="">${e(empty)}</option>` + all.map((n) => `<option value="${e(n)}">${e(n)}</option>`).join('');
  select.value = value;
}

function fillForm(s: Sample): void {
  const names = [...validate(s, families()).host.interfaces.keys()];
  $('result').dataset.interfaces = names.join(' ');
  interfaceOptions(control('inInterface'), names, l10n.t('this host (sent by it)'), s.packet.inInterface);
  interfaceOptions(control('outInterface'), names, l10n.t('any (the route decides)'), s.packet.outInterface);
  for (const key of ['protocol', 'source', 'destination', 'sourcePort', 'destinationPort', 'icmpType', 'ctState', 'ctDirection', 'mark'] as const) {
    control<HTMLInputElement>(key).value = s.packet[key];
  }
  for (const box of form().querySelectorAll<HTMLInputElement>('input[name="tcpFlags"]')) box.checked = s.packet.tcpFlags.includes(box.value);
  control<HTMLInputElement>('conntrackOn').checked = s.conntrackOn;
  for (const r of form().querySelectorAll<HTMLInputElement>('input[name="hostKind"]')) r.checked = r.value === s.host.kind;
  control<HTMLTextAreaElement>('hostAddr').value = s.host.addr;
  control<HTMLTextAreaElement>('hostRoute').value = s.host.route;
  control<HTMLTextAreaElement>('hostJson').value = s.host.json;
  control<HTMLInputElement>('ipForward').checked = s.host.ipForward;
  control<HTMLSelectElement>('family').value = family;
  showFields(s);
}

function readForm(s: Sample): Sample {
  const value = (name: string) => control<HTMLInputElement>(name).value;
  const packet: PacketFields = {
    ...s.packet,
    inInterface: value('inInterface'), outInterface: value('outInterface'), protocol: value('protocol'), source: value('source'),
    destination: value('destination'), sourcePort: value('sourcePort'), destinationPort: value('destinationPort'), icmpType: value('icmpType'),
    ctState: value('ctState'), ctDirection: value('ctDirection') === 'reply' ? 'reply' : 'original', mark: value('mark'),
    tcpFlags: [...form().querySelectorAll<HTMLInputElement>('input[name="tcpFlags"]:checked')].map((b) => b.value),
  };
  const kind = form().querySelector<HTMLInputElement>('input[name="hostKind"]:checked')?.value as Sample['host']['kind'] | undefined;
  return {
    ...s,
    packet,
    conntrackOn: control<HTMLInputElement>('conntrackOn').checked,
    host: {
      ...s.host, kind: kind ?? 'default', addr: value('hostAddr'), route: value('hostRoute'), json: value('hostJson'), ipForward: control<HTMLInputElement>('ipForward').checked,
    },
  };
}

/** Fields the packet does not have are hidden (ports for ICMP, flags for UDP...). */
function showFields(s: Sample): void {
  const p = s.packet;
  $('w-outInterface').hidden = p.inInterface !== '';
  $('w-sourcePort').hidden = !hasPortFields(p);
  $('w-destinationPort').hidden = !hasPortFields(p);
  $('w-tcpFlags').hidden = !isTcp(p);
  $('w-icmpType').hidden = !isIcmp(p);
  $('w-ctDirection').hidden = p.ctState !== 'ESTABLISHED';
  $('w-hostAddr').hidden = s.host.kind !== 'ip';
  $('w-hostRoute').hidden = s.host.kind !== 'ip';
  $('w-hostJson').hidden = s.host.kind !== 'json';
  showMachine(s);
  const types = family === 'ipv4' ? ICMP_TYPES : ICMPV6_TYPES;
  $('icmp-types').innerHTML = types.filter((t) => t.name !== 'any').map((t) => `<option value="${e(t.name)}">`).join('');
}

/** Which machine "this machine" is, and what of it could not be read. */
function showMachine(s: Sample): void {
  const box = $('w-machine');
  const m = s.host.kind === 'machine' ? s.host.machine : undefined;
  box.hidden = s.host.kind !== 'machine';
  box.innerHTML = !m ? e(l10n.t('Reading this machine…'))
    : e(l10n.t('Read from {0}.', m.label)) + ('notes' in m && m.notes.length ? `<ul>${m.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : '');
}

const ERROR_FIELDS: Field[] = [
  'inInterface', 'outInterface', 'protocol', 'source', 'destination', 'sourcePort', 'destinationPort', 'tcpFlags', 'icmpType', 'ctState', 'ctDirection', 'mark',
  'host', 'hostAddr', 'hostRoute', 'hostJson', 'scenario',
];

function showErrors(errors: FieldErrors): void {
  for (const f of ERROR_FIELDS) {
    const box = $(`e-${f}`);
    box.textContent = errors[f] ?? '';
    const c = document.getElementById(`f-${f}`);
    if (c) c.setAttribute('aria-invalid', String(errors[f] !== undefined));
  }
  if (errors.host || errors.hostAddr || errors.hostRoute || errors.hostJson) ($('host') as HTMLDetailsElement).open = true;
}

function families(): Family[] {
  return loaded ? [...loaded.rulesets.keys()] : ['ipv4', 'ipv6'];
}

function saveState(): void {
  if (loaded && sample) state.forms[loaded.model.uri] = { sample, family };
  vscode.setState(state);
}

// ---- tracing ----------------------------------------------------------------------------------

function update(started = performance.now()): void {
  if (!loaded || !sample) return;
  const result = $('result');
  const checked = validate(sample, families());
  showErrors(checked.errors);
  const names = [...checked.host.interfaces.keys()];
  $('host-summary').textContent = sample.host.kind === 'default' ? l10n.t('the example router')
    : sample.host.kind === 'machine' ? l10n.t('this machine{0}: {1}', sample.host.machine?.label ? ` (${sample.host.machine.label})` : '', names.join(', ')) : names.join(', ');
  if (result.dataset.interfaces !== names.join(' ')) {
    result.dataset.interfaces = names.join(' ');
    interfaceOptions(control('inInterface'), names, l10n.t('this host (sent by it)'), sample.packet.inInterface);
    interfaceOptions(control('outInterface'), names, l10n.t('any (the route decides)'), sample.packet.outInterface);
  }
  const scenario = checked.scenario;
  if (!scenario) {
    // The last trace stays, dimmed, until the packet is right again: no flicker while typing.
    result.classList.add('stale');
    return;
  }
  let trace: Trace;
  try {
    trace = traceScenario(loaded.rulesets.get(scenario.packet.family)!, scenario);
  } catch (err) {
    result.classList.add('stale');
    $('e-scenario').textContent = l10n.t('The trace failed: {0}', (err as Error).message);
    return;
  }
  const tables = new Set(loaded.rulesets.get(scenario.packet.family)!.tables.keys());
  view = traceView(trace, { outcome, arrivedOn: scenario.packet.inInterface, tables, expanded, nft: (table, chain, index) => nftOfRule(scenario.packet.family, table, chain, index) });
  traced = { trace, scenario };
  render(view);
  showTestStatus(trace, scenario);
  result.classList.remove('stale');
  const ms = performance.now() - started;
  document.body.dataset.traces = String(Number(document.body.dataset.traces ?? 0) + 1);
  document.body.dataset.lastTraceMs = ms.toFixed(1);
  // Until the next frame is drawn: what the user waits for.
  requestAnimationFrame(() => { document.body.dataset.lastPaintMs = (performance.now() - started).toFixed(1); });
  if (modelArrived !== undefined) {
    document.body.dataset.firstTraceMs = (performance.now() - modelArrived).toFixed(1);
    modelArrived = undefined;
  }
  post({
    type: 'decorate', uri: loaded.model.uri, version: loaded.model.version,
    hits: view.hits.flatMap((h) => placeOf(scenario.packet.family, h)),
    decider: view.decider ? placeOf(scenario.packet.family, view.decider) : [],
  });
}

/** The steps' rules in nftables, worked out once per loaded model (a step is shown again after every edit of the packet). */
let nftCache = new Map<string, string | undefined>();

function nftOfRule(family: Family, table: string, chain: string, index: number): string | undefined {
  const key = `${family}/${table}/${chain}/${index}`;
  if (nftCache.has(key)) return nftCache.get(key);
  const ruleset = loaded?.rulesets.get(family);
  const rule = ruleset?.tables.get(table)?.chains.get(chain)?.rules[index - 1];
  const text = rule && ruleset ? nftSummary(nftRule(rule, ruleset)) : undefined;
  nftCache.set(key, text);
  return text;
}

/** A loaded packet test: whether this trace meets its expectation, and where not. */
function showTestStatus(trace: Trace, scenario: Scenario): void {
  const box = $('test-status');
  if (!scenario.expect) {
    box.className = '';
    box.innerHTML = '';
    return;
  }
  const failures = checkExpectation(scenario.expect, trace);
  box.className = failures.length ? 'test-fails' : 'test-passes';
  box.innerHTML = failures.length
    ? `<span class="codicon codicon-error" aria-hidden="true"></span><strong>${e(l10n.t('This packet test fails:'))}</strong><ul>${failures.map((f) => `<li>${e(l10n.t('{0}: expected {1}, the trace gives {2}', f.field, f.expected, f.actual))}</li>`).join('')}</ul>`
    : `<span class="codicon codicon-pass" aria-hidden="true"></span>${e(l10n.t('This packet test passes: the trace meets its expectation ({0}).', Object.keys(scenario.expect).join(', ')))}`;
}

function render(v: TraceView): void {
  const steps = $('steps');
  const focused = steps.contains(document.activeElement) ? (document.activeElement as HTMLElement).closest('li')?.dataset.row : undefined;
  $('verdict').innerHTML = renderVerdict(v);
  $('picture').innerHTML = renderPicture(v.picture);
  $('hits').innerHTML = renderHits(v);
  steps.innerHTML = renderSteps(v.rows);
  steps.className = `fate-${v.shownFate}`;
  const buttons = steps.querySelectorAll<HTMLElement>('button.step');
  const keep = focused === undefined ? undefined : steps.querySelector<HTMLElement>(`li[data-row="${focused}"] button.step`);
  (keep ?? buttons[0])?.setAttribute('tabindex', '0');
  keep?.focus();
}

// ---- the model and the samples -------------------------------------------------------------------

/** Where each policy and each rule given as words is written, by counter id, per family. */
function placesOf(model: TraceModel): Map<Family, Map<string, EditorRange[]>> {
  const all = new Map<Family, Map<string, EditorRange[]>>();
  for (const rs of model.rulesets) {
    const places = new Map<string, EditorRange[]>();
    for (const t of rs.tables) {
      for (const c of t.chains) {
        c.rules?.forEach((r, i) => places.set(`${t.name}/${c.name}/${i + 1}`, r.at));
        if (c.policyAt && c.policy) places.set(`${t.name}/${c.name}/policy:${c.policy}`, c.policyAt);
      }
    }
    all.set(rs.family, places);
  }
  return all;
}

/** Where a rule or policy of the traced family is written; a save file's rule, from its line. */
function placeOf(f: Family, id: string): EditorRange[] {
  if (!loaded) return [];
  const ruleset = loaded.rulesets.get(f);
  return loaded.places.get(f)?.get(id) ?? (ruleset ? linePlace(ruleset, id) : []);
}

function receiveModel(m: Extract<ToWebview, { type: 'model' }>): void {
  modelArrived = performance.now();
  const model = JSON.parse(new TextDecoder().decode(m.model)) as TraceModel;
  const fresh = loaded?.model.uri !== model.uri;
  document.body.dataset.modelAtMs = modelArrived.toFixed(0);

  const rulesets = new Map<Family, Ruleset>(model.rulesets.map((s) => [s.family, rulesetFromSnapshot(s)]));
  nftCache = new Map();
  loaded = { model, rulesets, places: placesOf(model), samples: m.samples, canSave: m.canSave, machine: m.machine };
  $('doc-name').textContent = m.fileName;
  showDocumentStatus(model);
  $('w-family').hidden = rulesets.size < 2;
  if (fresh) {
    const saved = state.forms[model.uri] as { sample: Sample; family: Family } | undefined;
    family = saved?.family && rulesets.has(saved.family) ? saved.family : rulesets.has('ipv4') || rulesets.size === 0 ? 'ipv4' : 'ipv6';
    sample = saved?.sample ?? newSample(defaultHost(), family);
    // A live ruleset is traced on the machine it was read from.
    if (m.machine && (!saved || sample.host.kind === 'machine')) sample = onMachine(sample, m.machine);
    outcome = 0;
    expanded = new Set();
    fillForm(sample);
    matrices = [];
    $('matrix').innerHTML = '';
    $('matrix-status').textContent = '';
  }
  showSamples();
  state.uri = model.uri;
  saveState();
  if (pendingMatrix?.uri === model.uri) showMatrix(pendingMatrix);
  if (rulesets.size === 0) {
    $('verdict').innerHTML = `<div class="verdict fate-unknown">${e(l10n.t('This document has no rules to trace.'))}</div>`;
    return;
  }
  update(modelArrived);
}

function showDocumentStatus(model: TraceModel): void {
  const box = $('doc-status');
  if (!model.errors.length) {
    box.innerHTML = '';
    box.className = '';
    return;
  }
  const refuse = model.kind === 'save' ? l10n.t('iptables-restore would refuse this file') : l10n.t('iptables would refuse these commands');
  const items = model.errors.slice(0, 5).map((er) => `<li><button type="button" class="link" data-action="reveal-error" data-line="${er.line}" data-start="${er.start}" data-end="${er.end}">${e(l10n.t('line {0}', er.line + 1))}</button>: ${e(er.message)}</li>`);
  const more = model.errors.length > 5 ? `<li>${e(l10n.t('and {0} more (see the Problems panel)', model.errors.length - 5))}</li>` : '';
  box.className = 'errors';
  box.innerHTML = `<span class="codicon codicon-warning" aria-hidden="true"></span><strong>${e(model.errors.length === 1 ? l10n.t('1 error: {0}.', refuse) : l10n.t('{0} errors: {1}.', model.errors.length, refuse))}</strong> `
    + `${e(l10n.t('The trace shows the rules as read, without the commands in error, so it may not be what the kernel would do.'))}<ul>${items.join('')}${more}</ul>`;
}

function showSamples(): void {
  const select = $<HTMLSelectElement>('f-sample');
  const samples = loaded?.samples ?? [];
  select.innerHTML = `<option value="">${e(l10n.t('(this panel\'s packet)'))}</option>` + samples.map((s, i) => `<option value="${i}">${e(s.name)}</option>`).join('');
  $('save-sample').toggleAttribute('disabled', !loaded?.canSave);
  $('save-test').toggleAttribute('disabled', !loaded?.canSave);
  if (!loaded?.canSave) {
    $('sample-status').textContent = loaded?.machine ? l10n.t('A live ruleset\'s samples are not saved: save them beside the rule file it should match.') : l10n.t('Open a workspace folder to save samples.');
  }
}

// ---- events -------------------------------------------------------------------------------------

/** The sample on the machine's host; its packet made anew when it came in on an interface the machine has not. */
function onMachine(s: Sample, machine: MachineHostMessage): Sample {
  const next = { ...s, host: withMachine(s.host, machine) };
  const host = validate(next, families()).host;
  if (s.packet.inInterface === '' || host.interfaces.has(s.packet.inInterface)) return next;
  return { ...next, packet: presetPacket('incoming', host, family), extra: {} };
}

/** "This machine" chosen: a live ruleset's own machine, else the one the live command reaches, read now. */
function chooseMachine(s: Sample): Sample {
  if (loaded?.machine) return onMachine(s, loaded.machine);
  post({ type: 'readMachine' });
  return { ...s, host: { ...s.host, machine: undefined } };
}

function machineRead(machine: MachineHostMessage): void {
  if (sample?.host.kind !== 'machine') return;
  sample = onMachine(sample, machine);
  fillForm(sample);
  saveState();
  update();
}

function changed(): void {
  if (!sample) return;
  const started = performance.now();
  const before = sample.host.kind;
  sample = readForm(sample);
  if (sample.host.kind === 'machine' && before !== 'machine') {
    sample = chooseMachine(sample);
    fillForm(sample);
  }
  showFields(sample);
  saveState();
  update(started);
}

function applyPreset(id: PresetId): void {
  if (!sample) return;
  const host = validate(sample, families()).host;
  sample = { ...sample, packet: presetPacket(id, host, family), extra: {} };
  outcome = 0;
  fillForm(sample);
  saveState();
  update();
}

function reveal(ranges: EditorRange[]): void {
  if (loaded && ranges.length) post({ type: 'reveal', uri: loaded.model.uri, version: loaded.model.version, ranges });
}

function onClick(ev: MouseEvent): void {
  const target = (ev.target as HTMLElement).closest<HTMLElement>('[data-action], [data-preset]');
  if (!target) return;
  if (target.dataset.preset) return applyPreset(target.dataset.preset as PresetId);
  switch (target.dataset.action) {
    case 'reveal':
      return reveal(placeOf(traced?.scenario.packet.family ?? family, target.dataset.rule ?? ''));
    case 'reveal-error':
      return reveal([{ line: Number(target.dataset.line), start: Number(target.dataset.start), end: Number(target.dataset.end) }]);
    case 'expand':
      expanded.add(target.dataset.run ?? '');
      return update();
    case 'outcome':
      outcome = Number(target.dataset.outcome);
      return update();
    case 'goto-row':
      return focusRow(Number(target.dataset.row));
    case 'matrix-class':
      return traceClass(Number(target.dataset.matrix), Number(target.dataset.class));
  }
}

// ---- the service matrix ---------------------------------------------------------------------------

function askMatrix(): void {
  const service = $<HTMLInputElement>('f-service').value.trim();
  if (!loaded || !service) return;
  $('matrix-status').textContent = l10n.t('Working out who reaches {0}…', service);
  post({ type: 'matrix', uri: loaded.model.uri, service });
}

/** A matrix that came before its document's model (the panel just opened): shown once the model is there. */
let pendingMatrix: Extract<ToWebview, { type: 'matrix' }> | undefined;

function showMatrix(m: Extract<ToWebview, { type: 'matrix' }>): void {
  if (!loaded || m.uri !== loaded.model.uri) {
    pendingMatrix = m;
    return;
  }
  pendingMatrix = undefined;
  $<HTMLInputElement>('f-service').value = m.service;
  const status = $('matrix-status');
  status.classList.toggle('failed', 'error' in m);
  if ('error' in m) {
    status.textContent = m.error;
    return;
  }
  matrices = m.matrices;
  status.textContent = l10n.t('Click a class to trace one of its packets.');
  $('matrix').innerHTML = renderMatrix(m.service, m.matrices);
  $('matrix-section').scrollIntoView({ block: 'start' });
}

/** A class clicked: its example packet in the form, traced. */
function traceClass(mi: number, ci: number): void {
  const m = matrices[mi];
  const c = m?.classes[ci];
  if (!c) return;
  for (const el of $('matrix').querySelectorAll('.traced')) el.classList.remove('traced');
  for (const el of $('matrix').querySelectorAll(`[data-matrix="${mi}"][data-class="${ci}"]`)) (el.closest('tr') ?? el).classList.add('traced');
  family = m.family;
  sample = sampleFromScenario(c.example);
  outcome = 0;
  control<HTMLSelectElement>('sample').value = '';
  fillForm(sample);
  saveState();
  update();
  $('result').scrollIntoView({ block: 'start' });
}

function onMatrixKey(ev: KeyboardEvent): void {
  const cell = (ev.target as Element).closest<SVGElement>('[data-action="matrix-class"]');
  if (!cell || cell.tagName.toLowerCase() === 'button' || (ev.key !== 'Enter' && ev.key !== ' ')) return;
  ev.preventDefault();
  traceClass(Number(cell.dataset.matrix), Number(cell.dataset.class));
}

function focusRow(row: number): void {
  const li = $('steps').querySelector<HTMLElement>(`li[data-row="${row}"]`);
  if (!li) return;
  li.scrollIntoView({ block: 'start' });
  const next = li.querySelector<HTMLElement>('button.step') ?? nextStepButton(li);
  if (next) moveFocus(next);
}

function nextStepButton(li: HTMLElement): HTMLElement | undefined {
  for (let n = li.nextElementSibling; n; n = n.nextElementSibling) {
    const b = n.querySelector<HTMLElement>('button.step');
    if (b) return b;
  }
  return undefined;
}

/** Roving focus: one step button is in the tab order, arrows move between them. */
function moveFocus(to: HTMLElement): void {
  for (const b of $('steps').querySelectorAll<HTMLElement>('button.step[tabindex="0"]')) b.setAttribute('tabindex', '-1');
  to.setAttribute('tabindex', '0');
  to.focus();
}

function onStepsKey(ev: KeyboardEvent): void {
  const buttons = [...$('steps').querySelectorAll<HTMLElement>('button.step')];
  const at = buttons.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1, PageDown: at + 10, PageUp: at - 10 }[ev.key];
  if (to === undefined) return;
  ev.preventDefault();
  moveFocus(buttons[Math.max(0, Math.min(buttons.length - 1, to))]);
}

/** Arrows move between outcomes, as in any radio group. */
function onOutcomesKey(ev: KeyboardEvent): void {
  if (!view || view.decided || !(ev.target as HTMLElement).closest('.outcomes')) return;
  const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[ev.key];
  if (step === undefined) return;
  ev.preventDefault();
  outcome = (view.shown + step + view.outcomes.length) % view.outcomes.length;
  update();
  $('verdict').querySelector<HTMLElement>('.outcome.shown')?.focus();
}

function onPictureKey(ev: KeyboardEvent): void {
  if (ev.key !== 'Enter' && ev.key !== ' ') return;
  const g = (ev.target as Element).closest<SVGElement>('[data-action="goto-row"]');
  if (!g) return;
  ev.preventDefault();
  focusRow(Number(g.dataset.row));
}

function saveSample(): void {
  if (!loaded || !sample) return;
  const name = control<HTMLInputElement>('sampleName').value.trim();
  if (!name) {
    $('sample-status').textContent = l10n.t('Give the sample a name first.');
    control<HTMLInputElement>('sampleName').focus();
    return;
  }
  if (!validate(sample, families()).scenario) {
    $('sample-status').textContent = l10n.t('Fix the packet first: the fields in error are marked.');
    return;
  }
  post({ type: 'saveSample', uri: loaded.model.uri, name, scenario: scenarioJson(sample) });
}

/** Saves the packet with the current verdict as its expectation. */
function saveTest(): void {
  if (!loaded || !sample || !traced) return;
  const expect = expectationOf(traced.trace, enginePacketJson(traced.scenario.packet));
  if (!expect) {
    $('sample-status').textContent = l10n.t('The verdict depends on something the packet cannot tell (see the outcomes): settle it in the scenario\'s state before saving a test.');
    return;
  }
  sample = { ...sample, extra: { ...sample.extra, scenario: { ...sample.extra.scenario, expect } } };
  saveState();
  saveSample();
  update();
}

function loadSample(index: string): void {
  const saved = loaded?.samples[Number(index)];
  if (!saved || index === '') return;
  sample = sampleFromScenario(saved.scenario);
  control<HTMLInputElement>('sampleName').value = saved.name;
  outcome = 0;
  fillForm(sample);
  saveState();
  update();
}

function onMessage(ev: MessageEvent<ToWebview>): void {
  const m = ev.data;
  switch (m.type) {
    case 'model':
      return receiveModel(m);
    case 'noModel':
      $('doc-status').className = 'info';
      $('doc-status').textContent = m.message;
      return;
    case 'preset':
      return applyPreset(presetForChain(m.chain));
    case 'machineHost':
      return machineRead(m.machine);
    case 'samples':
      if (loaded && m.uri === loaded.model.uri) {
        loaded.samples = m.samples;
        showSamples();
      }
      return;
    case 'matrix':
      return showMatrix(m);
    case 'status':
      $('sample-status').textContent = m.message;
      $('sample-status').classList.toggle('failed', m.error === true);
      return;
  }
}

function start(): void {
  // Since this page began to load: the measure of the panel's own start.
  document.body.dataset.startedAtMs = performance.now().toFixed(0);
  applyPageLanguage($('app'));
  $('app').innerHTML = page();
  const f = form();
  // Every field, checkbox and select reports `input`; the sample and family choices replace the packet.
  f.addEventListener('input', (ev) => {
    if (!['f-sample', 'f-family', 'f-sampleName'].includes((ev.target as HTMLElement).id)) changed();
  });
  f.addEventListener('change', (ev) => {
    const id = (ev.target as HTMLElement).id;
    if (id === 'f-sample') loadSample((ev.target as HTMLSelectElement).value);
    if (id === 'f-family') {
      family = (ev.target as HTMLSelectElement).value === 'ipv6' ? 'ipv6' : 'ipv4';
      applyPreset('incoming');
    }
  });
  f.addEventListener('submit', (ev) => ev.preventDefault());
  $('save-sample').addEventListener('click', saveSample);
  $('save-test').addEventListener('click', saveTest);
  document.addEventListener('click', onClick);
  $('steps').addEventListener('keydown', onStepsKey);
  $('verdict').addEventListener('keydown', onOutcomesKey);
  $('picture').addEventListener('keydown', onPictureKey);
  $('matrix').addEventListener('keydown', onMatrixKey);
  $('show-matrix').addEventListener('click', askMatrix);
  $('f-service').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') askMatrix();
  });
  window.addEventListener('message', onMessage);
  post({ type: 'ready' });
}

start();
