// The language server's re-analysis after an edit patches the last analysis
// when the edit changed rules in place. Whatever it patches must be what a
// whole analysis of the new text says, diagnostic for diagnostic and rule for
// rule, over many edits in a row; anything else is left to the whole analysis.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Analysis, analyseSaveText, AnalysisOptions, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { reanalyseEdited } from '../../server/src/analysis/reanalyse';
import type { Ruleset } from '../../server/src/model/ruleset';
import { rulesetText } from '../../server/src/model/saveText';
import { ParsedLines } from '../../server/src/syntax/parsedLines';
import type { DocumentAnalysis } from '../../server/src/analysis/document';
import { carryTokens, documentTokens } from '../../server/src/services/semanticTokens';
import { carryOver, documentSymbols, foldingRanges } from '../../server/src/services/symbols';
import { traceLenses } from '../../server/src/services/trace';
import { generateKubeProxy } from '../bench/kubeProxy';
import { CORPUS, REPO } from '../support/shared';

/** A small deterministic random source, so that a failure can be run again. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** One edit of one line: a digit changed, a character typed or removed, a word negated, a port typed wrong. */
function editLine(line: string, next: () => number): string {
  const pick = (n: number) => Math.floor(next() * n);
  const digits = [...line.matchAll(/\d/g)].map((m) => m.index!);
  switch (pick(5)) {
    case 0:
      if (digits.length) {
        const at = digits[pick(digits.length)];
        return line.slice(0, at) + String((Number(line[at]) + 1 + pick(9)) % 10) + line.slice(at + 1);
      }
      return line + 'x';
    case 1:
      return line + ' ';
    case 2: {
      const at = pick(line.length);
      return line.slice(0, at) + line.slice(at + 1);
    }
    case 3:
      return line.replace(' -s ', ' ! -s ').replace(' -p tcp', ' -p udp');
    default:
      return line.replace(/--dport (\d+)/, '--dport $1x').replace(/ -j ACCEPT$/, ' -m state --state NEW -j ACCEPT');
  }
}

/** What the model holds, as iptables-save would print it, and who jumps where. */
function modelOf(ruleset: Ruleset): string {
  const jumps = [...ruleset.tables.values()].flatMap((t) => [...t.chains.values()].map((c) =>
    `${t.name} ${c.name} <- ${c.references.map((r) => `${r.chain}#${r.index}`).join(',')} [${[...c.hooks].join(',')}]`));
  return rulesetText(ruleset) + jumps.join('\n');
}

/** A document's analysis options, with parsed lines kept from one analysis to the next. */
function optionsFor(name: string): AnalysisOptions {
  return { ...DEFAULT_OPTIONS, fileName: name, reuse: new ParsedLines() };
}

/**
 * `edits` random edits in a row on rule lines of `text`; after each, the patched
 * analysis (when there is one) equals the whole analysis. Returns how many were patched.
 * `told`: the re-analysis is told which line was edited (as the language server tells it), and reads only that one.
 */
function check(name: string, text: string, edits: number, seed: number, told = false): number {
  const next = random(seed);
  const options = optionsFor(name);
  let lines = text.split('\n');
  let analysis: Analysis = analyseSaveText(text, options);
  let patched = 0;
  const rules = lines.flatMap((l, i) => (/^(\[\d+:\d+\] )?-A /.test(l) ? [i] : []));
  if (rules.length === 0) return 0;
  for (let k = 0; k < edits; k++) {
    const at = rules[Math.floor(next() * rules.length)];
    if (told) shownOf(analysis, lines.join('\n'));
    lines = lines.map((l, i) => (i === at ? editLine(l, next) : l));
    const edited = lines.join('\n');
    const whole = analyseSaveText(edited, { ...DEFAULT_OPTIONS, fileName: name });
    const again = reanalyseEdited(analysis, edited, options, told ? new Set([at]) : undefined);
    if (again) {
      patched++;
      assert.deepEqual(again.diagnostics, whole.diagnostics, `${name}, edit ${k} (line ${at + 1}: ${lines[at]})`);
      assert.equal(modelOf(again.ruleset!), modelOf(whole.ruleset!), `${name}, edit ${k}: the model`);
      if (told) {
        // The outline, folds and tokens carried over from before the edit are those of the new text.
        carryOver(documentOf(analysis), documentOf(again));
        carryTokens(documentOf(analysis), documentOf(again));
        assert.equal(shownOf(again, edited), shownOf(whole, edited), `${name}, edit ${k}: outline, folding, lenses, tokens`);
      }
      analysis = again;
    } else {
      analysis = analyseSaveText(edited, options);
    }
  }
  return patched;
}

for (const told of [false, true]) {
  const how = told ? 'told the edited lines, reading only those' : 'reading the whole text';
  test(`after edits of rules in place, the patched analysis is the whole analysis (kube-proxy, the examples, the corpus; ${how})`, () => {
    const kube = generateKubeProxy({ services: 40, endpointsPerService: 3, nodePortEvery: 4 });
    assert.ok(check('kube-proxy.rules', kube, 40, 1, told) >= 20, 'most edits of a kube-proxy dump are patched');
    for (const example of ['rules.v4', 'mistakes.rules', 'ip6tables.rules']) {
      check(example, readFileSync(path.join(REPO, 'examples', example), 'utf8'), 30, 2, told);
    }
    const corpus = path.join(CORPUS, 'save');
    if (!existsSync(corpus)) return;
    let patched = 0;
    // The files under 16 KB (most of them): the larger ones take long to analyse twice per edit.
    const files = readdirSync(corpus).filter((f) => f.endsWith('.rules') && statSync(path.join(corpus, f)).size < 16_000);
    for (const [i, name] of files.entries()) patched += check(name, readFileSync(path.join(corpus, name), 'utf8'), 4, 100 + i, told);
    assert.ok(patched > 80, `${patched} edits of ${files.length} corpus files patched`);
  });
}

/** The lines where two texts of as many lines differ. */
function differing(a: string, b: string): Set<number> {
  const x = a.split('\n');
  const y = b.split('\n');
  assert.equal(x.length, y.length);
  return new Set(x.flatMap((line, i) => (line === y[i] ? [] : [i])));
}

const CHAINS = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:blocked - [0:0]
-A INPUT -j blocked
-A INPUT -p tcp --dport 22 -j ACCEPT
-A blocked -s 192.0.2.0/24 -j DROP
-A blocked -j DROP
COMMIT
`;

test('an edit that changes what a jump into its chain means redoes the review of the chains that jump there', () => {
  const reuse = new ParsedLines();
  const options = { ...DEFAULT_OPTIONS, reuse };
  const base = analyseSaveText(CHAINS, options);
  const shadowed = (a: Analysis) => a.diagnostics.filter((d) => d.code === 'shadowed-rule').map((d) => d.span.line);
  // blocked drops every packet, so nothing after the jump to it is ever reached.
  assert.deepEqual(shadowed(base), [6]);
  const edited = CHAINS.replace('-A blocked -j DROP', '-A blocked -p udp -j DROP');
  const again = reanalyseEdited(base, edited, options)!;
  assert.ok(again, 'an edit of a rule in place');
  assert.deepEqual(shadowed(again), []);
  assert.deepEqual(again.diagnostics, analyseSaveText(edited, DEFAULT_OPTIONS).diagnostics);
});

const MARKS = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:web - [0:0]
-A INPUT -m mark --mark 0x1 -j ACCEPT
-A INPUT -j web
-A INPUT -m mark --mark 0x1 -j ACCEPT
-A web -p tcp --dport 80 -j ACCEPT
COMMIT
`;

test('an edit that makes a rule an error redoes the review of the chains that jump to its chain', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  const base = analyseSaveText(MARKS, options);
  const dead = (a: Analysis) => a.diagnostics.filter((d) => d.code === 'shadowed-rule' || d.code === 'duplicate-rule').map((d) => [d.span.line, d.message]);
  // Nothing in web changes a packet: the second mark rule is the first one again.
  assert.equal(dead(base).length, 1);
  // An error in web: what it does is unknown, so it may change the mark.
  const edited = MARKS.replace('--dport 80 ', '--dport 80x ');
  const again = reanalyseEdited(base, edited, options);
  assert.ok(again, 'an edit of a rule in place');
  assert.deepEqual(dead(again), dead(analyseSaveText(edited, DEFAULT_OPTIONS)));
  assert.notDeepEqual(dead(again), dead(base));
});

const NESTED = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:mid - [0:0]
:web - [0:0]
-A INPUT -m mark --mark 0x1 -j ACCEPT
-A INPUT -j mid
-A INPUT -m mark --mark 0x1 -j ACCEPT
-A FORWARD -p tcp -j ACCEPT
-A FORWARD -p tcp --dport 22 -j ACCEPT
-A mid -j web
-A web -p tcp --dport 80 -j ACCEPT
COMMIT
`;

test('an edit that makes a rule an error redoes the review of the chains that reach its chain through others, and of no other', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  const base = analyseSaveText(NESTED, options);
  const dead = (a: Analysis, line: number) => a.diagnostics.filter((d) => (d.code === 'shadowed-rule' || d.code === 'duplicate-rule') && d.span.line === line).map((d) => d.message);
  // INPUT's second mark rule is its first again (mid and web change no mark); FORWARD's port 22 rule is shadowed.
  assert.equal(dead(base, 8).length, 1);
  assert.equal(dead(base, 10).length, 1);
  const edited = NESTED.replace('--dport 80 ', '--dport 80x ');
  for (const told of [undefined, new Set([12])]) {
    const again = reanalyseEdited(analyseSaveText(NESTED, options), edited, options, told);
    assert.ok(again, 'an edit of a rule in place');
    assert.deepEqual(again.diagnostics, analyseSaveText(edited, DEFAULT_OPTIONS).diagnostics);
    // web may now change anything, so may mid: INPUT, two jumps up, no longer says the copy never matches; FORWARD keeps its finding.
    assert.notDeepEqual(dead(again, 8), dead(base, 8));
    assert.deepEqual(dead(again, 10), dead(base, 10));
  }
});

test('edits that are not of rules in place are left to the whole analysis', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  const cases: [string, string][] = [
    ['a line added', CHAINS.replace('COMMIT', '-A INPUT -j DROP\nCOMMIT')],
    ['a rule removed', CHAINS.replace('-A INPUT -j blocked\n', '')],
    ['a target changed', CHAINS.replace('-A INPUT -j blocked', '-A INPUT -j DROP   ')],
    ['a chain renamed', CHAINS.replace(':blocked - [0:0]', ':blocker - [0:0]')],
    ['a policy\'s counters typed wrong', CHAINS.replace(':INPUT DROP [0:0]', ':INPUT DROP [0:x]')],
    ['an insert in place of an append', CHAINS.replace('-A INPUT -p tcp', '-I INPUT -p tcp')],
  ];
  for (const [what, text] of cases) {
    const base = analyseSaveText(CHAINS, options);
    assert.equal(reanalyseEdited(base, text, options), undefined, what);
    if (text.split('\n').length === CHAINS.split('\n').length) {
      assert.equal(reanalyseEdited(analyseSaveText(CHAINS, options), text, options, differing(CHAINS, text)), undefined, `${what}, told the line`);
    }
  }
});

test('told the edited line, a rule moved to another chain is taken out of one and put into the other', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  const text = CHAINS.replace('-A blocked -s 192.0.2.0/24', '-A INPUT   -s 192.0.2.0/24');
  assert.equal(reanalyseEdited(analyseSaveText(CHAINS, options), text, options), undefined, 'not without being told');
  const again = reanalyseEdited(analyseSaveText(CHAINS, options), text, options, differing(CHAINS, text));
  assert.ok(again, 'patched');
  const whole = analyseSaveText(text, DEFAULT_OPTIONS);
  assert.deepEqual(again.diagnostics, whole.diagnostics);
  assert.equal(modelOf(again.ruleset!), modelOf(whole.ruleset!));
  assert.deepEqual(again.ruleset!.tables.get('filter')!.chains.get('INPUT')!.rules.map((r) => r.index), [1, 2, 3]);
});

test('told the edited lines, a rule that becomes a comment, an empty line or a line of another block is read with the whole text', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  const cases: [string, string][] = [
    ['a rule commented out', CHAINS.replace('-A INPUT -p tcp', '#A INPUT -p tcp')],
    ['a rule emptied', CHAINS.replace('-A INPUT -p tcp --dport 22 -j ACCEPT', '')],
    ['COMMIT typed over a rule', CHAINS.replace('-A blocked -j DROP', 'COMMIT')],
    ['a rule made a chain line', CHAINS.replace('-A blocked -j DROP', ':other - [0:0]')],
    ['a rule with a CR', CHAINS.replace('-A blocked -j DROP', '-A blocked -j DROP\r')],
  ];
  for (const [what, text] of cases) {
    const base = analyseSaveText(CHAINS, options);
    const again = reanalyseEdited(base, text, options, differing(CHAINS, text));
    const whole = analyseSaveText(text, DEFAULT_OPTIONS);
    // Whichever way it went, what it says is what the whole analysis says.
    if (again) assert.deepEqual(again.diagnostics, whole.diagnostics, what);
    else assert.notDeepEqual(whole.diagnostics, base.diagnostics, what);
  }
});

test('told the edited lines, a parse error typed into a rule and taken out again is reported and cleared as a whole analysis does', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  let analysis = analyseSaveText(CHAINS, options);
  const texts = [
    CHAINS.replace('--dport 22', '--dport 22x'),
    CHAINS.replace('--dport 22', '--dport 2x2').replace('192.0.2.0/24', '192.0.2.0/2x4'),
    CHAINS.replace('-s 192.0.2.0/24', '-s 192.0.2.0/24 --bogus'),
    CHAINS,
  ];
  let last = CHAINS;
  for (const text of texts) {
    const again = reanalyseEdited(analysis, text, options, differing(last, text));
    const whole = analyseSaveText(text, DEFAULT_OPTIONS);
    assert.ok(again, `patched: ${text}`);
    assert.deepEqual(again.diagnostics, whole.diagnostics);
    assert.deepEqual(again.file!.diagnostics, whole.file!.diagnostics, 'the parse\'s own, in its order');
    assert.deepEqual(again.file!.blocks.map((b) => b.diagnostics), whole.file!.blocks.map((b) => b.diagnostics), 'where each block\'s begin');
    analysis = again;
    last = text;
  }
  assert.ok(!analysis.diagnostics.some((d) => d.severity === 'error'));
});

const documents = new WeakMap<Analysis, DocumentAnalysis>();

/** The analysis as the language server holds it (one object per analysis: the services keep what they work out per object). */
function documentOf(a: Analysis): DocumentAnalysis {
  let doc = documents.get(a);
  if (!doc) documents.set(a, doc = { kind: 'save', diagnostics: a.diagnostics, rulesets: a.ruleset ? { [a.ruleset.family]: a.ruleset } : {}, file: a.file, patch: a.patch });
  return doc;
}

/** What the editor's outline, folding, code lenses and highlighting show of an analysis of `text`. */
function shownOf(a: Analysis, text: string): string {
  const doc = documentOf(a);
  return JSON.stringify([documentSymbols(doc, text), foldingRanges(doc), traceLenses(doc), Array.from(documentTokens(doc, text))]);
}

/** One line added or removed inside a table block: a rule copied, a new rule, a rule deleted, an empty line or a comment, or anything deleted. */
function lineShiftEdit(lines: string[], next: () => number): { at: number; removed: number; added: string[] } {
  const pick = (n: number) => Math.floor(next() * n);
  const rules = lines.flatMap((l, i) => (/^(\[\d+:\d+\] )?-A /.test(l) ? [i] : []));
  const inside = lines.flatMap((l, i) => (i > 0 && !l.startsWith('*') && lines.slice(0, i).some((x) => x.startsWith('*')) ? [i] : []));
  const rule = () => lines[rules[pick(rules.length)]];
  switch (pick(6)) {
    case 0:
      return { at: inside[pick(inside.length)], removed: 0, added: [rule()] };
    case 1: {
      const chain = /^-A (\S+)/.exec(rule())?.[1] ?? 'INPUT';
      return { at: inside[pick(inside.length)], removed: 0, added: [`-A ${chain} -p tcp --dport ${1 + pick(1000)} -j ${['ACCEPT', 'DROP', 'RETURN'][pick(3)]}`] };
    }
    case 2:
      return { at: rules[pick(rules.length)], removed: 1, added: [] };
    case 3:
      return { at: inside[pick(inside.length)], removed: 0, added: [['', '# a note', '-A', editLine(rule(), next)][pick(4)]] };
    case 4:
      return { at: rules[pick(rules.length)], removed: 1, added: [editLine(rule(), next), rule()] };
    default:
      return { at: pick(lines.length - 1), removed: 1, added: [] };
  }
}

/**
 * `edits` random lines added or removed in a row; after each, the patched
 * analysis (when there is one) equals the whole analysis of the new text: its
 * diagnostics, model, parse, outline, folding, lenses and semantic tokens.
 * Returns how many were patched.
 */
function checkShifts(name: string, text: string, edits: number, seed: number): number {
  const next = random(seed);
  const options = optionsFor(name);
  let lines = text.split('\n');
  let analysis: Analysis = analyseSaveText(text, options);
  let patched = 0;
  for (let k = 0; k < edits; k++) {
    if (!lines.some((l) => /^(\[\d+:\d+\] )?-A /.test(l))) break;
    const { at, removed, added } = lineShiftEdit(lines, next);
    const before = lines;
    // What the editor was shown before the edit: carried over to the patched analysis where the edit cannot have changed it.
    shownOf(analysis, lines.join('\n'));
    lines = [...lines.slice(0, at), ...added, ...lines.slice(at + removed)];
    const edited = lines.join('\n');
    const whole = analyseSaveText(edited, { ...DEFAULT_OPTIONS, fileName: name });
    // A chain line deleted makes errors that no later edit takes back (and every later patch refused): undone after its check.
    const lasting = whole.diagnostics.some((d) => d.code === 'chain-not-in-table' || d.code === 'duplicate-chain' || d.code === 'undefined-jump');
    const again = reanalyseEdited(analysis, edited, options, { from: at, removed, added: added.length });
    const what = `${name}, edit ${k} (line ${at + 1}: ${removed} removed, added ${JSON.stringify(added)})`;
    if (again) {
      patched++;
      assert.deepEqual(again.diagnostics, whole.diagnostics, what);
      assert.equal(modelOf(again.ruleset!), modelOf(whole.ruleset!), `${what}: the model`);
      assert.deepEqual(again.file!.diagnostics, whole.file!.diagnostics, `${what}: the parse's own diagnostics`);
      assert.deepEqual(again.file!.blocks.map((b) => b.diagnostics), whole.file!.blocks.map((b) => b.diagnostics), `${what}: where each block's begin`);
      carryOver(documentOf(analysis), documentOf(again));
      carryTokens(documentOf(analysis), documentOf(again));
      assert.equal(shownOf(again, edited), shownOf(whole, edited), `${what}: outline, folding, lenses, tokens`);
      analysis = again;
    } else {
      analysis = analyseSaveText(edited, options);
    }
    if (lasting) {
      lines = before;
      analysis = analyseSaveText(lines.join('\n'), options);
    }
  }
  return patched;
}

test('after rule lines added or removed, the patched analysis is the whole analysis (kube-proxy, the examples, the corpus)', () => {
  const kube = generateKubeProxy({ services: 40, endpointsPerService: 3, nodePortEvery: 4 });
  assert.ok(checkShifts('kube-proxy.rules', kube, 60, 7) >= 30, 'most lines added or removed in a kube-proxy dump are patched');
  let examplesPatched = 0;
  for (const example of ['rules.v4', 'mistakes.rules', 'ip6tables.rules']) {
    examplesPatched += checkShifts(example, readFileSync(path.join(REPO, 'examples', example), 'utf8'), 30, 3);
  }
  assert.ok(examplesPatched > 0, 'some lines added or removed in the examples are patched (and compared)');
  const corpus = path.join(CORPUS, 'save');
  if (!existsSync(corpus)) return;
  let patched = 0;
  const files = readdirSync(corpus).filter((f) => f.endsWith('.rules') && statSync(path.join(corpus, f)).size < 16_000);
  for (const [i, name] of files.entries()) patched += checkShifts(name, readFileSync(path.join(corpus, name), 'utf8'), 4, 200 + i);
  assert.ok(patched > 60, `${patched} lines added or removed in ${files.length} corpus files patched`);
});

test('a rule line added or removed that changes packets (a MARK) redoes the review of the chains that jump to its chain', () => {
  const options = { ...DEFAULT_OPTIONS, reuse: new ParsedLines() };
  const dead = (a: Analysis) => a.diagnostics.filter((d) => d.code === 'shadowed-rule' || d.code === 'duplicate-rule').map((d) => d.message);
  // INPUT's third rule takes only packets its first took, unless web marks them on the way.
  const text = MARKS.replace('-A INPUT -m mark --mark 0x1 -j ACCEPT\n-A web', '-A INPUT -p tcp -m mark --mark 0x1 -j ACCEPT\n-A web');
  const lines = text.split('\n');
  const at = lines.indexOf('-A web -p tcp --dport 80 -j ACCEPT');
  const marked = [...lines.slice(0, at), '-A web -j MARK --set-mark 0x1', ...lines.slice(at)].join('\n');
  const base = analyseSaveText(marked, options);
  assert.deepEqual(dead(base), []);
  const removed = reanalyseEdited(base, text, options, { from: at, removed: 1, added: 0 });
  assert.ok(removed, 'patched');
  assert.deepEqual(removed.diagnostics, analyseSaveText(text, DEFAULT_OPTIONS).diagnostics);
  assert.match(String(dead(removed)), /never matches/);
  const added = reanalyseEdited(removed, marked, options, { from: at, removed: 0, added: 1 });
  assert.ok(added, 'patched');
  assert.deepEqual(added.diagnostics, base.diagnostics);
});

test('a file with a table in two blocks is analysed whole after a rule line is added, not patched', () => {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j ACCEPT', 'COMMIT', '*filter', '-A INPUT -s 10.0.0.1 -j DROP', 'COMMIT', ''];
  const base = analyseSaveText(lines.join('\n'), DEFAULT_OPTIONS);
  const edited = [...lines.slice(0, 6), '-A INPUT -s 10.0.0.2 -j DROP', ...lines.slice(6)].join('\n');
  // The outline's carry-over (symbols.ts carryOver) recounts a chain only under the table symbol the edit is in.
  assert.equal(reanalyseEdited(base, edited, DEFAULT_OPTIONS, { from: 6, removed: 0, added: 1 }), undefined);
  assert.ok(reanalyseEdited(analyseSaveText(lines.slice(0, 4).join('\n'), DEFAULT_OPTIONS), [...lines.slice(0, 3), '-A INPUT -s 10.0.0.2 -j DROP', 'COMMIT'].join('\n'), DEFAULT_OPTIONS, { from: 3, removed: 0, added: 1 }), 'the same line added to the table in one block is patched');
});
