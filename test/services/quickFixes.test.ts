// Quick fixes: each fix applied to the text gives the expected text, and the
// analysis of the result no longer reports the problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument, DocumentAnalysis, DocumentKind } from '../../server/src/analysis/document';
import type { Diagnostic, DiagnosticCode } from '../../server/src/diagnostics';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { QuickFix, quickFixes, TextEdit } from '../../server/src/services/quickFixes';

const filter = (...rules: string[]) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n`;

function analyse(text: string, kind: DocumentKind): Promise<DocumentAnalysis> {
  return analyseDocument(text, kind, { ...DEFAULT_OPTIONS, family: 'ipv4' }, nodeBashParser);
}

/** Applies LSP-style edits (positions in the original text), as an editor does. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (p: TextEdit['range']['start']) => starts[p.line] + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

interface Found {
  diagnostic: Diagnostic;
  fixes: QuickFix[];
  /** The text after applying the fix titled `title`, after checking that it fixes the problem. */
  apply(title: string): Promise<string>;
}

/** The one diagnostic of `code` in `text`, and its fixes. */
async function fixesFor(text: string, code: DiagnosticCode, kind: DocumentKind = 'save'): Promise<Found> {
  const analysis = await analyse(text, kind);
  const found = analysis.diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got ${JSON.stringify(analysis.diagnostics, null, 1)}`);
  const diagnostic = found[0];
  const fixes = quickFixes(diagnostic, analysis, text);
  return {
    diagnostic,
    fixes,
    async apply(title) {
      const fix = fixes.find((f) => f.title === title);
      assert.ok(fix, `no fix "${title}" among ${fixes.map((f) => f.title).join(' | ')}`);
      const result = applyEdits(text, fix.edits);
      const after = await analyse(result, kind);
      assert.deepEqual(after.diagnostics.filter((d) => d.code === code), [], `still ${code} after "${title}"`);
      return result;
    },
  };
}

const titles = (f: Found) => f.fixes.map((x) => [x.title, x.preferred === true]);

test('an option without its module: add the `-m` before it (and before its `!`)', async () => {
  const plain = await fixesFor(filter('-A INPUT --ctstate NEW -j ACCEPT'), 'unknown-option');
  assert.deepEqual(titles(plain), [['Add `-m conntrack`', true]]);
  assert.equal(await plain.apply('Add `-m conntrack`'), filter('-A INPUT -m conntrack --ctstate NEW -j ACCEPT'));

  const negated = await fixesFor(filter('-A INPUT ! --ctstate INVALID -j ACCEPT'), 'unknown-option');
  assert.equal(await negated.apply('Add `-m conntrack`'), filter('-A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT'));
});

test('a port without a protocol: one fix per protocol that has the option, none preferred', async () => {
  const f = await fixesFor(filter('-A INPUT --dport 53 -j ACCEPT'), 'unknown-option');
  assert.deepEqual(titles(f), [['Add `-p tcp`', false], ['Add `-p udp`', false], ['Add `-p sctp`', false], ['Add `-p dccp`', false]]);
  assert.equal(await f.apply('Add `-p udp`'), filter('-A INPUT -p udp --dport 53 -j ACCEPT'));
});

test('a match or target value that needs a protocol: `-p` goes before the first `-m`, else before `-j`', async () => {
  const multiport = await fixesFor(filter('-A INPUT -s 10.0.0.0/8 -m multiport --dports 80,443 -j ACCEPT'), 'needs-protocol');
  assert.deepEqual(titles(multiport).map(([t]) => t), ['Add `-p tcp`', 'Add `-p udp`', 'Add `-p udplite`', 'Add `-p sctp`', 'Add `-p dccp`']);
  assert.equal(await multiport.apply('Add `-p tcp`'), filter('-A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 80,443 -j ACCEPT'));

  const reset = await fixesFor(filter('-A INPUT -j REJECT --reject-with tcp-reset'), 'needs-protocol');
  assert.deepEqual(titles(reset), [['Add `-p tcp`', true]]);
  assert.equal(await reset.apply('Add `-p tcp`'), filter('-A INPUT -p tcp -j REJECT --reject-with tcp-reset'));
});

test('a rule with another protocol gets no `-p` fix (a second `-p` would not do)', async () => {
  const f = await fixesFor(filter('-A INPUT -p icmp -m multiport --dports 80 -j ACCEPT'), 'needs-protocol');
  assert.deepEqual(f.fixes, []);
});

test('`-m state --state` becomes `-m conntrack --ctstate`, values and `!` untouched', async () => {
  const f = await fixesFor(filter('-A INPUT -m state ! --state INVALID,NEW -j ACCEPT'), 'deprecated');
  assert.deepEqual(titles(f), [['Use `-m conntrack --ctstate`', true]]);
  assert.equal(await f.apply('Use `-m conntrack --ctstate`'), filter('-A INPUT -m conntrack ! --ctstate INVALID,NEW -j ACCEPT'));
});

test('a jump to a chain that is not declared: declare it after the chain lines', async () => {
  const f = await fixesFor(filter('-A INPUT -p tcp -j LOGDROP', '-A LOGDROP -j DROP'), 'undefined-jump');
  assert.deepEqual(titles(f), [['Declare chain LOGDROP (`:LOGDROP - [0:0]`)', true]]);
  assert.equal(await f.apply('Declare chain LOGDROP (`:LOGDROP - [0:0]`)'),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:LOGDROP - [0:0]\n-A INPUT -p tcp -j LOGDROP\n-A LOGDROP -j DROP\nCOMMIT\n');
});

test('rules for a chain that is not declared: declare it (the first rule reports it)', async () => {
  const text = '*filter\n:INPUT DROP [0:0]\n-A web -j ACCEPT\nCOMMIT\n';
  const f = await fixesFor(text, 'chain-not-in-table');
  assert.equal(await f.apply('Declare chain web (`:web - [0:0]`)'), '*filter\n:INPUT DROP [0:0]\n:web - [0:0]\n-A web -j ACCEPT\nCOMMIT\n');
});

test('a mistyped target: the spelling is the preferred fix, a chain of that name the other', async () => {
  const f = await fixesFor(filter('-A INPUT -j ACCPET'), 'undefined-jump');
  assert.deepEqual(titles(f), [['Change to `ACCEPT`', true], ['Declare chain ACCPET (`:ACCPET - [0:0]`)', false]]);
  assert.equal(await f.apply('Change to `ACCEPT`'), filter('-A INPUT -j ACCEPT'));
});

test('typos: an option, a module, a policy, a chain name in the wrong case', async () => {
  const option = await fixesFor(filter('-A INPUT -p tcp --dprot 22 -j ACCEPT'), 'unknown-option');
  assert.equal(await option.apply('Change to `--dport`'), filter('-A INPUT -p tcp --dport 22 -j ACCEPT'));
  const module = await fixesFor(filter('-A INPUT -m conntrak --ctstate NEW -j ACCEPT'), 'unknown-match');
  assert.equal(await module.apply('Change to `conntrack`'), filter('-A INPUT -m conntrack --ctstate NEW -j ACCEPT'));
  const upper = await fixesFor(filter('-A INPUT -m Comment --comment x -j ACCEPT'), 'unknown-match');
  assert.equal(await upper.apply('Change to `comment`'), filter('-A INPUT -m comment --comment x -j ACCEPT'));
  const policy = await fixesFor('*filter\n:INPUT drop [0:0]\nCOMMIT\n', 'invalid-policy');
  assert.equal(await policy.apply('Change to `DROP`'), '*filter\n:INPUT DROP [0:0]\nCOMMIT\n');
  const chain = await fixesFor('*filter\n:INPUT DROP [0:0]\n:Web - [0:0]\n-A INPUT -j web\n-A Web -j ACCEPT\nCOMMIT\n', 'undefined-jump');
  assert.equal(await chain.apply('Change to `Web`'), '*filter\n:INPUT DROP [0:0]\n:Web - [0:0]\n-A INPUT -j Web\n-A Web -j ACCEPT\nCOMMIT\n');
});

test('a removed option with a new name is renamed', async () => {
  const f = await fixesFor(filter('-A FORWARD -m time --days Mon,Tue -j DROP'), 'removed');
  assert.deepEqual(titles(f), [['Change to `--weekdays`', true]]);
  assert.equal(await f.apply('Change to `--weekdays`'), filter('-A FORWARD -m time --weekdays Mon,Tue -j DROP'));
});

test('`-s ! x` (the old negation): `!` moves before the option', async () => {
  const address = await fixesFor(filter('-A INPUT -s ! 10.0.0.0/8 -j DROP'), 'bad-argument');
  assert.deepEqual(titles(address), [['Write `! -s 10.0.0.0/8`', true]]);
  assert.equal(await address.apply('Write `! -s 10.0.0.0/8`'), filter('-A INPUT ! -s 10.0.0.0/8 -j DROP'));
  const port = await fixesFor(filter('-A INPUT -p tcp --dport ! 22 -j DROP'), 'bad-argument');
  assert.equal(await port.apply('Write `! --dport 22`'), filter('-A INPUT -p tcp ! --dport 22 -j DROP'));
});

test('a block without COMMIT: COMMIT after its last line, at the end of the file or before the next table', async () => {
  const atEnd = await fixesFor('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n', 'missing-commit');
  assert.deepEqual(titles(atEnd), [['Add COMMIT at the end of the *filter block', true]]);
  assert.equal(await atEnd.apply('Add COMMIT at the end of the *filter block'), '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n');

  const noNewline = await fixesFor('*filter\n-A INPUT -j ACCEPT', 'missing-commit');
  assert.equal(await noNewline.apply('Add COMMIT at the end of the *filter block'), '*filter\n-A INPUT -j ACCEPT\nCOMMIT');

  const beforeNext = await fixesFor('*filter\n-A INPUT -j ACCEPT\n\n# the nat table\n*nat\nCOMMIT\n', 'missing-commit');
  assert.equal(await beforeNext.apply('Add COMMIT at the end of the *filter block'), '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n\n# the nat table\n*nat\nCOMMIT\n');
});

test('Windows line endings: one edit converts the whole file', async () => {
  const f = await fixesFor('# saved\r\n*filter\r\n:INPUT ACCEPT [0:0]\r\nCOMMIT\r\n', 'crlf');
  assert.deepEqual(titles(f), [['Convert line endings to LF', true]]);
  assert.equal(f.fixes[0].edits.length, 1);
  assert.equal(await f.apply('Convert line endings to LF'), '# saved\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
});

test('script: a jump to a missing chain creates it before its first use, run the same way', async () => {
  const script = '#!/bin/sh\nIPT=/sbin/iptables\nif true; then\n  $IPT -t nat -A PREROUTING -p tcp --dport 80 -j PORTFW\n  $IPT -t nat -A PORTFW -j DNAT --to-destination 10.0.0.2\nfi\n';
  const f = await fixesFor(script, 'undefined-jump', 'script');
  assert.deepEqual(titles(f), [['Create chain PORTFW (`$IPT -t nat -N PORTFW`)', true]]);
  assert.equal(await f.apply('Create chain PORTFW (`$IPT -t nat -N PORTFW`)'),
    '#!/bin/sh\nIPT=/sbin/iptables\nif true; then\n  $IPT -t nat -N PORTFW\n  $IPT -t nat -A PREROUTING -p tcp --dport 80 -j PORTFW\n  $IPT -t nat -A PORTFW -j DNAT --to-destination 10.0.0.2\nfi\n');

  const rulesFirst = await fixesFor('#!/bin/bash\nip6tables -A LOGDROP -j DROP\nip6tables -A INPUT -j LOGDROP\n', 'chain-not-in-table', 'script');
  assert.equal(await rulesFirst.apply('Create chain LOGDROP (`ip6tables -N LOGDROP`)'),
    '#!/bin/bash\nip6tables -N LOGDROP\nip6tables -A LOGDROP -j DROP\nip6tables -A INPUT -j LOGDROP\n');
});

test('script: a prefix that runs the command (`sudo`) is kept; a wrapper function gets no fix', async () => {
  const sudo = await fixesFor('#!/bin/sh\nif true; then\n\tsudo iptables -A INPUT -j LOGDROP\nfi\n', 'undefined-jump', 'script');
  assert.equal(await sudo.apply('Create chain LOGDROP (`sudo iptables -N LOGDROP`)'), '#!/bin/sh\nif true; then\n\tsudo iptables -N LOGDROP\n\tsudo iptables -A INPUT -j LOGDROP\nfi\n');
  const wrapped = await fixesFor('#!/bin/sh\nxtables-legacy-multi iptables -A INPUT -j LOGDROP\n', 'undefined-jump', 'script');
  assert.deepEqual(wrapped.fixes, []);
});

test('script: iptables-restore input in a here-document gets the save-file fixes', async () => {
  const script = (...lines: string[]) => `#!/bin/sh\niptables-restore <<EOF\n${lines.join('\n')}\nEOF\n`;
  const jump = await fixesFor(script('*filter', ':INPUT DROP [0:0]', '-A INPUT -j LOGDROP', 'COMMIT'), 'undefined-jump', 'script');
  assert.equal(await jump.apply('Declare chain LOGDROP (`:LOGDROP - [0:0]`)'), script('*filter', ':INPUT DROP [0:0]', ':LOGDROP - [0:0]', '-A INPUT -j LOGDROP', 'COMMIT'));
  const commit = await fixesFor(script('*filter', ':INPUT DROP [0:0]', '-A INPUT -j ACCEPT'), 'missing-commit', 'script');
  assert.equal(await commit.apply('Add COMMIT at the end of the *filter block'), script('*filter', ':INPUT DROP [0:0]', '-A INPUT -j ACCEPT', 'COMMIT'));
});

test('script: no chain is created where that would run twice or clash with a later `-N`', async () => {
  const later = await fixesFor('#!/bin/sh\niptables -A INPUT -j LOGDROP\niptables -N LOGDROP\n', 'undefined-jump', 'script');
  assert.deepEqual(later.fixes, []);
  const loop = await analyse('#!/bin/sh\nfor c in A B; do\n  iptables -A INPUT -j $c\ndone\n', 'script');
  const jumps = loop.diagnostics.filter((d) => d.code === 'undefined-jump');
  assert.equal(jumps.length, 2);
  for (const d of jumps) assert.deepEqual(quickFixes(d, loop, '#!/bin/sh\nfor c in A B; do\n  iptables -A INPUT -j $c\ndone\n'), []);
});

test('script: the same fixes for options as in a save file', async () => {
  const f = await fixesFor('#!/bin/sh\niptables -A INPUT -m state --state ESTABLISHED -j ACCEPT\n', 'deprecated', 'script');
  assert.equal(await f.apply('Use `-m conntrack --ctstate`'), '#!/bin/sh\niptables -A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n');
  const g = await fixesFor('#!/bin/sh\niptables -A INPUT --ctstate NEW -j ACCEPT\n', 'unknown-option', 'script');
  assert.equal(await g.apply('Add `-m conntrack`'), '#!/bin/sh\niptables -A INPUT -m conntrack --ctstate NEW -j ACCEPT\n');
});

test('a duplicate rule is removed with its line', async () => {
  const f = await fixesFor(filter('-A INPUT -p tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp --dport 22 -j ACCEPT', '-A INPUT -j DROP'), 'duplicate-rule');
  assert.deepEqual(f.diagnostic.span.line, 5);
  assert.deepEqual(titles(f), [['Remove the duplicate rule', true]]);
  assert.equal(await f.apply('Remove the duplicate rule'), filter('-A INPUT -p tcp --dport 22 -j ACCEPT', '-A INPUT -j DROP'));

  const lastLine = await fixesFor('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n*filter\n-A FORWARD -j DROP\n-A FORWARD -j DROP', 'duplicate-rule');
  assert.equal(lastLine.diagnostic.span.line, 5);
  const removed = applyEdits('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n*filter\n-A FORWARD -j DROP\n-A FORWARD -j DROP', lastLine.fixes[0].edits);
  assert.equal(removed, '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n*filter\n-A FORWARD -j DROP');
});

test('script: a duplicate command is removed with all its lines, but not out of a line it shares', async () => {
  const script = '#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\niptables -A INPUT \\\n  -p tcp --dport 22 -j ACCEPT # again\niptables -A INPUT -j LOG\n';
  const f = await fixesFor(script, 'duplicate-rule', 'script');
  assert.equal(await f.apply('Remove the duplicate rule'), '#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\niptables -A INPUT -j LOG\n');

  const shared = await fixesFor('#!/bin/sh\niptables -A INPUT -j LOG\ntrue && iptables -A INPUT -j LOG\n', 'duplicate-rule', 'script');
  assert.deepEqual(shared.fixes, []);
});

test('diagnostics without a clear fix get none, and a place past the end only what its facts still support', async () => {
  const text = filter('-A INPUT -j LOG --log-level 99');
  const analysis = await analyse(text, 'save');
  const invalid = analysis.diagnostics.find((d) => d.code === 'invalid-value')!;
  assert.deepEqual(quickFixes(invalid, analysis, text), []);
  // Past the end of the file no repair of the code's own and no `Change to` applies; the line
  // counts as in the last block, where chain x is still undeclared, so only that declaration is offered.
  const declare = { title: 'Declare chain x (`:x - [0:0]`)', edits: [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, newText: ':x - [0:0]\n' }] };
  for (const code of ['crlf', 'missing-commit', 'deprecated', 'duplicate-rule', 'undefined-jump'] as DiagnosticCode[]) {
    const far = { code, severity: 'error', span: { line: 999, start: 5, end: 9 }, message: '', fix: { replaceWith: 'x', createChain: { name: 'x', table: 'filter' } } } as Diagnostic;
    assert.deepEqual(quickFixes(far, analysis, text), [declare], code);
    assert.deepEqual(quickFixes(far, { kind: 'script', diagnostics: [], rulesets: {}, calls: [] }, ''), [], code);
  }
});
