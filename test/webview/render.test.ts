// The panel's markup: what comes from the rules is text, never markup; the
// picture and the steps carry their status for the eye and for screen readers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, renderPicture, renderSteps, renderVerdict } from '../../client/webview/render';
import { classFate, renderMatrix } from '../../client/webview/matrix';
import { traceView } from '../../client/webview/viewModel';
import { matrixJson, serviceMatrix } from '../../server/src/engine/symbolic/matrix';
import type { MatrixView } from '../../server/src/protocol/requests';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { defaultHost, packetFromShorthand, parseScenario, traceScenario } from '../../server/src/engine';

function viewOf(rules: string, packet: string) {
  const ruleset = analyseSaveText(rules, DEFAULT_OPTIONS).ruleset!;
  const scenario = parseScenario({ packet: packetFromShorthand(packet, defaultHost()) });
  return traceView(traceScenario(ruleset, scenario), { arrivedOn: scenario.packet.inInterface, tables: new Set(ruleset.tables.keys()) });
}

test('escapeHtml leaves no character that starts markup or ends an attribute', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;');
});

test('a comment full of markup is shown as the text it is', () => {
  const v = viewOf('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -m comment --comment "<img src=x onerror=alert(1)>" -j ACCEPT\nCOMMIT\n',
    'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn');
  const html = renderSteps(v.rows);
  assert.ok(html.includes('--comment &#34;&#60;img src=x onerror=alert(1)&#62;&#34; -j ACCEPT</code>'), html);
  assert.ok(!/<img|onerror=alert\(1\)>/.test(html));
  assert.ok(!/\son\w+=/.test(html.replace(/onerror=alert/g, '')), 'no inline handler anywhere');
});

test('the steps: the deciding rule is marked for the eye and in its label, jumps are indented', () => {
  const v = viewOf('*filter\n:INPUT DROP [0:0]\n:web - [0:0]\n-A INPUT -p tcp -j web\n-A web -p tcp --dport 80 -j ACCEPT\nCOMMIT\n', 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn');
  const html = renderSteps(v.rows);
  assert.match(html, /<li class="row row-rule d-1 res-match decider" data-row="\d+"><button class="step" tabindex="-1" data-action="reveal" data-rule="filter\/web\/1" aria-label="filter\/web\/1, line 5: match → ACCEPT. This decided the verdict">/);
  assert.match(html, /<li class="row row-chain d-1" data-row="\d+"><span class="codicon codicon-debug-step-into" aria-hidden="true"><\/span><span class="chain">filter\/web<\/span><\/li>/);
});

test('the picture: the path highlighted, a dropped table labelled, tables absent from the file struck through', () => {
  const v = viewOf('*filter\n:INPUT DROP [0:0]\nCOMMIT\n', 'tcp 198.51.100.7:40000 -> 203.0.113.1:23 in eth0 syn');
  const svg = renderPicture(v.picture);
  assert.match(svg, /<g class="stage st-dropped" tabindex="0" role="button" aria-label="filter table in INPUT: dropped; dropped by policy DROP" data-action="goto-row" data-row="\d+">/);
  assert.match(svg, /<g class="stage st-absent" tabindex="-1" role="img" aria-label="nat table in PREROUTING: not in this file; this file has no nat table">/);
  assert.match(svg, /<path class="edge on-path" d="M232 48 V150" marker-end="url\(#arrow-on\)"\/>/);
  assert.match(svg, /<path class="edge" d="M246 34 H270" marker-end="url\(#arrow\)"\/>/);
  assert.match(svg, /<desc id="picture-desc">The packet&#39;s way: arrives on eth0, then PREROUTING \(conntrack skipped\), then routing, then INPUT \(filter dropped\); dropped at INPUT\.<\/desc>/);
});

test('undecided: the outcomes are a radio group, with their probability when the kernel draws at random', () => {
  const v = viewOf('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m statistic --mode random --probability 0.25 -j DROP\nCOMMIT\n', 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn');
  const html = renderVerdict(v);
  assert.match(html, /^<div class="verdict fate-unknown uncertain">/);
  assert.match(html, /<ol class="outcomes" role="radiogroup" aria-label="Possible outcomes">/);
  assert.match(html, /role="radio" aria-checked="true" tabindex="0" data-action="outcome" data-outcome="0" aria-label="Outcome 1, probability 25%: dropped: filter\/INPUT\/1 DROP">/);
  assert.match(html, /role="radio" aria-checked="false" tabindex="-1" data-action="outcome" data-outcome="1" aria-label="Outcome 2, probability 75%: delivered to this host \(arrived on eth0\)">/);
});

test('a rule step shows the rule in nftables as text', () => {
  const v = viewOf('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -m comment --comment "<b>" -j ACCEPT\nCOMMIT\n', 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn');
  const rule = v.rows.find((r) => r.kind === 'rule')!;
  rule.nft = 'tcp dport 22 counter accept comment "<b>"';
  assert.match(renderSteps([rule]), /<div class="nft"><span class="nft-label">nft<\/span><code>tcp dport 22 counter accept comment &#34;&#60;b&#62;&#34;<\/code><\/div><\/li>$/);
});

test('the service matrix: a box and a table row per class, by hook, each with the example a click traces; the rules\' words are text', () => {
  const rules = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i eth1 -p tcp --dport 22 -j ACCEPT\n'
    + '-A FORWARD -i eth1 -o eth0 -j ACCEPT\n-A FORWARD -m limit --limit 1/s -m comment --comment "<b>x</b>" -j ACCEPT\nCOMMIT\n';
  const m = matrixJson(serviceMatrix(analyseSaveText(rules, DEFAULT_OPTIONS).ruleset!, { protocol: 6, port: 22 })) as unknown as MatrixView;
  const html = renderMatrix('tcp:22', [m]);
  const input = m.classes.findIndex((c) => c.hook === 'INPUT' && c.fate === 'delivered' && c.cells.some((x) => x.on === 'eth1'));
  assert.ok(input >= 0, JSON.stringify(m.classes.map((c) => [c.hook, c.fate, c.cells])));
  assert.equal((m.classes[input].example.packet as Record<string, unknown>).inInterface, 'eth1');
  // Every class: one box in the picture and one button in its hook's table, both naming it.
  for (let i = 0; i < m.classes.length; i++) assert.equal(html.split(`data-matrix="0" data-class="${i}"`).length - 1, 2, `class ${i}`);
  assert.deepEqual([...html.matchAll(/<caption>([^<]*)<\/caption>/g)].map((x) => x[1]), ['To this host (INPUT)', 'Through this host (FORWARD)', 'From this host (OUTPUT)', 'Dropped before routing (PREROUTING)']);
  const cell = '(?:(?!</td>).)*';
  assert.match(html, new RegExp(`<tr class="tone-ok"><td class="fate">delivered</td><td>${cell}</td><td>${cell}</td><td>eth1(<br>eth1)*</td>`));
  // The rate limit is taken both ways: those classes depend on conditions (yellow), and say so.
  const limited = m.classes.filter((c) => c.conditions.some((x) => x.includes('--limit')));
  assert.ok(limited.length >= 2);
  assert.ok(limited.every((c) => classFate(c).endsWith(', if the conditions hold')));
  assert.match(html, /<rect class="cell tone-unsure"/);
  assert.ok(!html.includes('<b>'));
});
