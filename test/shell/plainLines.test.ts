// A line that is one plain iptables command is read without tree-sitter
// (shell/plainCommands.ts): that must change nothing a user sees. Every script
// here is analysed both ways, plain lines read on their own and every line
// parsed, and the diagnostics, the rulesets, where each call's words are, the
// trace's places, the chain occurrences and the hover on every word must be
// the same. The scripts: the shell cases, the boundary and hostile scripts
// (each also with runs of plain lines around it, so the plain reading is used),
// and generated scripts that mix plain lines with every construct that could
// change what such a line means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { DocumentAnalysis } from '../../server/src/analysis/document';
import { analyseScript } from '../../server/src/analysis/script';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { chainIndex } from '../../server/src/services/chainOccurrences';
import { hover } from '../../server/src/services/hover';
import { traceModel } from '../../server/src/services/trace';
import type { Parser } from 'web-tree-sitter';
import { ScriptPieces } from '../../server/src/shell/bashParser';
import { shellTestScripts } from '../support/shellScripts';

/** What a user sees of a script's analysis, as text to compare. */
function seen(text: string, parser: Parser, options: { plainLines: boolean; pieceLength?: number }, hovers = false) {
  const a = analyseScript(text, parser, { ...DEFAULT_OPTIONS, ...options });
  const analysis: DocumentAnalysis = { kind: 'script', ...a };
  const lines = text.split('\n');
  const hovered: string[] = [];
  if (hovers) {
    lines.forEach((line, l) => {
      for (const m of line.matchAll(/\S+/g)) {
        const h = hover({ text, kind: 'script', analysis }, { line: l, character: m.index });
        if (h) hovered.push(`${l}:${m.index} ${JSON.stringify(h)}`);
      }
    });
  }
  return {
    diagnostics: a.diagnostics.map((d) => `${d.span.line + 1}:${d.span.start + 1}-${d.span.end + 1} ${d.severity} ${d.code}: ${d.message}${d.fix ? ' ' + JSON.stringify(d.fix) : ''}`),
    rules: `${rulesetText(a.rulesets.ipv4)}\n${rulesetText(a.rulesets.ipv6)}`,
    calls: a.calls.map((c) => JSON.stringify({ family: c.family, ok: c.ok, line: c.line, conditional: c.conditional, sources: c.sources, words: c.command.words })),
    trace: JSON.stringify(traceModel(analysis, 'file:///s.sh', 1)),
    chains: JSON.stringify(chainIndex(analysis, text)),
    hovered,
  };
}

const PLAIN = { plainLines: true };
const PARSED = { plainLines: false };
/**
 * Parsed a line at a time (pieces.test.ts: as the whole script is read, where a
 * syntax error does not make tree-sitter's recovery swallow the lines before
 * it): plain lines are statements of their own, as bash runs them.
 */
const PARSED_LINE_BY_LINE = { plainLines: false, pieceLength: 1 };

/** The two readings agree; where not, the first thing that differs (the whole of both would be pages). */
function assertSame(fast: ReturnType<typeof seen>, slow: ReturnType<typeof seen>, what: string): void {
  for (const key of Object.keys(slow) as (keyof typeof slow)[]) {
    const [a, b] = [fast[key], slow[key]].map((v) => (Array.isArray(v) ? v : v.split('\n')));
    const at = a.findIndex((x, i) => x !== b[i]);
    assert.ok(at < 0 && a.length === b.length, `${what}\n${key}, item ${at < 0 ? Math.min(a.length, b.length) : at}:\n  plain:  ${a[at < 0 ? b.length : at]}\n  parsed: ${b[at < 0 ? a.length : at]}`);
  }
}

/** Deterministic random numbers (a test that fails must fail again). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Plain command lines: right and wrong ones, every way of writing a word that stays plain. */
const PLAIN_LINES = [
  'iptables -A INPUT -p tcp --dport 22 -j ACCEPT',
  'iptables -A INPUT -p tcp --dport 99999 -j ACCEPT',
  'iptables -N WEB',
  'iptables -N WEB',
  'iptables -A INPUT -j WEB',
  'iptables -A INPUT -j NOWHERE',
  'iptables -A INPUT -j ACCPET',
  'iptables -A WEB -s 10.0.0.0/8 -j RETURN',
  'iptables -A INPUT -m comment --comment "a comment with # and spaces" -j ACCEPT',
  "iptables -A INPUT -m comment --comment 'single quoted' -j DROP",
  'iptables -A INPUT -m comment --comment="joined words" -j ACCEPT',
  'iptables -A INPUT -m comment --comment "" -j ACCEPT',
  "iptables -A INPUT -m comment --comment '' -j ACCEPT",
  'iptables -A "INPUT" -p "tcp" --dport "80" -j "ACCEPT"',
  "iptables -A 'INPUT' -j 'WEB'",
  'iptables -A INPUT ! -s 192.0.2.1 -j DROP # a comment after it',
  'iptables\t-A\tINPUT\t-i lo -j ACCEPT\t',
  '  iptables -A INPUT -i eth0 -j ACCEPT',
  'iptables -A INPUT -j ACCEPT then fi done esac',
  'iptables -A INPUT -p tcp --dport 0x16 -j ACCEPT',
  'iptables -P FORWARD DROP',
  'iptables -P FORWARD ACCEPTED',
  'iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE',
  'iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080',
  'iptables -t nat -A INPUT -j DNAT --to-destination 10.0.0.2',
  'iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
  'iptables -A INPUT -j LOG --log-prefix "IPT: " --log-level 4',
  'iptables -D INPUT -j NOWHERE',
  'iptables -E WEB WWW',
  'iptables -F WEB',
  'iptables -X WEB',
  'iptables -A INPUT -m statistic --mode random --probability 0.5 -j ACCEPT',
  'iptables -A INPUT -s 10.0.0.1,10.0.0.2 -j ACCEPT',
  'iptables -A INPUT -s 10.0.0.1,10.0.0.2 -j ACCEPT',
  'iptables -I INPUT 1 -j ACCEPT',
  'iptables -R INPUT 1 -j DROP',
  'iptables -A INPUT -m set --match-set blocked src -j DROP',
  'iptables',
  'iptables -A',
  'ip6tables -A INPUT -s fe80::/64 -j ACCEPT',
  'ip6tables -A INPUT -s 10.0.0.1 -j ACCEPT',
  '/sbin/iptables -A INPUT -p udp --dport 53 -j ACCEPT',
  'iptables-legacy -A INPUT -j ACCEPT',
  'iptables -w -A INPUT -j ACCEPT',
  'iptables -C INPUT -j ACCEPT',
  '# a comment line',
  '',
  '   ',
];

/**
 * What could change what the plain lines after it, or inside it, mean: a
 * construct around them (`RUN` stands for a run of plain lines), a function or
 * alias of the tool's name, `set -e`, `exit`, or a line that is not plain
 * itself. Each is whole (a syntax error is in a test of its own).
 */
const OTHER = [
  'echo "setting up"',
  'X=192.0.2.7',
  'iptables -A INPUT -s $X -j DROP',
  'iptables -A INPUT -j DROP; iptables -A INPUT -j NOWHERE',
  'iptables -A INPUT -j ACCEPT 2>/dev/null || true',
  'iptables -N WEB 2>/dev/null',
  'iptables -A INPUT -j NOWHERE | cat',
  'iptables -A INPUT -p tcp \\\n  --dport 99999 -j ACCEPT',
  'iptables -A INPUT -p tcp \\\nRUN',
  'iptables -A INPUT -j ACCEPT &&\nRUN',
  'iptables -A INPUT -j NOWHERE ||\nRUN',
  'iptables-restore <<EOF\n*filter\n-A INPUT -j NOWHERE\nCOMMIT\nEOF',
  "cat > /tmp/r.sh <<'EOF'\nRUN\nEOF",
  'cat > /tmp/r.sh <<EOF\nRUN\nEOF\n. /tmp/r.sh',
  'if [ -n "$1" ]; then\nRUN\nelse\nRUN\nfi',
  'if true; then\nRUN\nfi',
  'for p in 22 80; do\nRUN\ndone',
  'while false; do\nRUN\ndone',
  'case "$1" in\n  start)\nRUN\n;;\n  *)\nRUN\n;;\nesac',
  '{\nRUN\n}',
  '(\nRUN\n)',
  'f() {\nRUN\n}\nf\nf',
  'g() {\nRUN\n}',
  'echo "open\nRUN\nclose"',
  "echo 'open\nRUN\nclose'",
  'iptables() { echo "not the tool: $*"; }',
  'iptables() { command iptables -w "$@"; }',
  'iptables() {\nRUN\n}',
  'unset -f iptables',
  'ip6tables() { /sbin/ip6tables "$@" -j NOWHERE; }',
  'alias iptables="iptables -w"',
  'PATH=/opt/fake/bin:$PATH',
  'PATH=/usr/sbin:/sbin:/usr/bin:/bin',
  "trap 'echo failed' ERR",
  "trap 'rm -f /tmp/x' EXIT",
  'hash -p /opt/iptables iptables',
  'set -e',
  'set +e',
  'exit 0',
  'if [ -n "$1" ]; then exit 0; fi',
  '`# a note`',
  'iptables -A INPUT -j ACCEPT &',
  'iptables -A INPUT -p tcp --dport {22,80} -j ACCEPT',
  'iptables -A INPUT -s ~ -j ACCEPT',
  '\\iptables -A INPUT -j NOWHERE',
  'iptables -A INPUT -m comment --comment "$HOME" -j ACCEPT',
  'sudo iptables -A INPUT -j NOWHERE',
  'iptables-save > /tmp/saved',
  'iptables -A INPUT -j ACCEPT\r',
  '# a comment with a carriage return\r',
  'iptables -A INPUT -m comment --comment "日本" -j NOWHERE',
];

/** A generated script: runs of plain lines between other lines, and inside them. */
function generated(seed: number): string {
  const next = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const run = () => Array.from({ length: next() < 0.7 ? 8 + Math.floor(next() * 12) : Math.floor(next() * 8) }, () => pick(PLAIN_LINES)).join('\n');
  const lines = [next() < 0.8 ? '#!/bin/bash' : '#!/bin/sh'];
  for (let block = 0; block < 8; block++) {
    lines.push(run());
    lines.push(pick(OTHER).replace(/RUN/g, run));
  }
  return lines.join('\n') + (next() < 0.8 ? '\n' : '');
}

/** `count` plain lines of rules, some refused, some with comments. */
function plainRun(count: number): string {
  const line = (i: number) => (i % 10 === 9 ? `# rule ${i}` : i % 7 === 3 ? 'iptables -A INPUT -j NOWHERE # refused' : `iptables -A INPUT -p tcp --dport ${i + 1} -j ACCEPT`);
  return Array.from({ length: count }, (_, i) => line(i)).join('\n');
}

test('plain lines read on their own or parsed: the shell cases, the boundary and hostile scripts, and with plain runs around them', async () => {
  const parser = await nodeBashParser();
  const all = shellTestScripts();
  let errors = 0;
  for (const { name, text } of all) {
    const body = text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text;
    const shebang = text.startsWith('#!') ? text.slice(0, text.indexOf('\n') + 1) : '';
    for (const script of [text, `${shebang}${plainRun(12)}\n${body}\n${plainRun(12)}\n`]) {
      const fast = seen(script, parser, PLAIN);
      // The plain runs around a script add two refused lines each: only the scripts' own errors count.
      if (script === text) errors += fast.diagnostics.filter((d) => / error /.test(d)).length;
      assertSame(fast, seen(script, parser, PARSED), name);
      assertSame(fast, seen(script, parser, PARSED_LINE_BY_LINE), name);
    }
  }
  assert.ok(all.length > 40 && errors > 50, `${all.length} scripts, ${errors} errors`);
});

test('plain lines read on their own or parsed: generated scripts that mix them with what could change their meaning, hovers included', async () => {
  const parser = await nodeBashParser();
  let plainErrors = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const script = generated(seed);
    const fast = seen(script, parser, PLAIN, seed <= 40);
    assertSame(fast, seen(script, parser, PARSED_LINE_BY_LINE, seed <= 40), `seed ${seed}:\n${script}`);
    plainErrors += fast.diagnostics.filter((d) => / error (undefined-jump|invalid-value)/.test(d)).length;
  }
  assert.ok(plainErrors > 300, `${plainErrors} errors`);
});

test('where the step budget runs out inside a run of plain lines, both readings stop at the same line and say the same', async () => {
  const parser = await nodeBashParser();
  // A loop takes most of the budget (2 steps a character of the script); the plain lines after it use up the rest.
  const stops = new Set<string>();
  for (let rounds = 62_000; rounds <= 80_000; rounds += 2000) {
    const script = `#!/bin/bash\ni=0\nwhile [ $i -lt ${rounds} ]; do i=$((i+1)); done\n${plainRun(3000)}\n# the end\n`;
    const fast = seen(script, parser, PLAIN);
    assertSame(fast, seen(script, parser, PARSED), `${rounds} rounds`);
    const stop = fast.diagnostics.find((d) => / not-evaluated: /.test(d));
    if (stop) stops.add(stop.split(' ')[0]);
  }
  // Stopped at several places inside the plain lines (line 4 on), not only at the loop.
  assert.ok([...stops].filter((s) => Number(s.split(':')[0]) > 3).length >= 5, [...stops].join(', '));
});

test('a run of plain lines is read without the bash parser, all but its last line', async () => {
  const parser = await nodeBashParser();
  const pieces = new ScriptPieces(parser, `#!/bin/sh\n${plainRun(12)}\necho done\n`);
  const kinds: string[] = [];
  for (let piece = pieces.next(() => true); piece; piece = pieces.next(() => true)) kinds.push(piece.kind === 'plain' ? `plain ${piece.lines.length}` : 'tree');
  // The `#!` line and 11 commands; the last command is read with `echo done`.
  assert.deepEqual(kinds, ['plain 12', 'tree']);
});
