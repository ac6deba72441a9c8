// Scripts that ask for too much work (endless loops, runaway recursion,
// values that double, huge ranges): the analysis stops at that place with
// one note, keeps what it found before, and judges nothing after it.
// (How long each takes, and how much memory, is measured by test/bench/hostile.bench.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import type { Diagnostic } from '../../server/src/diagnostics';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { analyseScript } from '../../server/src/analysis/script';
import { HOSTILE_SCRIPTS } from '../support/hostile';

async function analyse(script: string) {
  return analyseScript(script, await nodeBashParser(), DEFAULT_OPTIONS);
}

const summary = (d: Diagnostic) => `${d.span.line + 1}:${d.span.start + 1} ${d.severity} ${d.code}: ${d.message}`;
const stop = (what: string) => `not evaluated further: too much work here (${what}); the commands after this point are not checked`;

/** A mistake before the hostile part (reported) and after it (not judged). */
const BEFORE = 'iptables -A INPUT -p tcp --dport 99999 -j ACCEPT';
const AFTER = 'iptables -A INPUT -j NOWHERE';
const BEFORE_ERROR = '2:34 error invalid-value: port `99999` is out of range 0-65535';

for (const h of HOSTILE_SCRIPTS) {
  test(`${h.name}: one note where the work is, the mistake before it reported, nothing after it`, async () => {
    const r = await analyse(`#!/bin/bash\n${BEFORE}\n${h.script}\n${AFTER}\n`);
    const shown = r.diagnostics.filter((d) => d.code !== 'machine-dependent');
    assert.deepEqual(shown.map(summary).slice(0, 1), [BEFORE_ERROR]);
    // The line is where the work is; which statement of it took the last step does not matter.
    assert.deepEqual(shown.slice(1).map((d) => `${d.span.line + 1} ${d.severity} ${d.code}: ${d.message}`), [`${h.line + 2} information not-evaluated: ${stop(h.what)}`]);
  });
}

test('a loop that never ends stops the analysis there (it no longer gives up after 10,000 rounds and runs on)', async () => {
  const r = await analyse('#!/bin/bash\nwhile true; do\n  iptables -A INPUT -s 10.0.0.1 -j ACCEPT\ndone\niptables -A INPUT -j NOWHERE\n');
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}: ${d.message}`), [`not-evaluated: ${stop('more than 100,000 steps')}`]);
  // On the loop: its head or the command in it, whichever took the last step.
  assert.ok([1, 2].includes(r.diagnostics[0].span.line));
  assert.ok(r.calls.length > 1000 && r.calls.every((c) => c.line === 2), 'the rules of the loop were built until then');
});

test('patterns that make a backtracking matcher run for ages are matched exactly', async () => {
  const a = 'a'.repeat(5000);
  const r = await analyse(`#!/bin/bash
x=${a}b
case $x in *a*a*a*a*a*a*a*a*a*a*a*a) c=matched;; *) c=other;; esac
if echo "$x" | grep -qE '^(a+)+$'; then g=all-a; else g=not-all-a; fi
if [[ $x =~ ^(a|aa)+b$ ]]; then m=re; fi
y=${a}c
t=\${y%%b*}\${#y}
iptables -A INPUT -m comment --comment "$c $g $m \${#t}" -j ACCEPT
`);
  assert.deepEqual(r.diagnostics.map(summary), []);
  assert.match(rulesetText(r.rulesets.ipv4), /--comment "other not-all-a re 5005"/);
});

test('trimming and replacing with patterns follow bash on long values', async () => {
  const r = await analyse(`#!/bin/bash
v=$(printf '%0200000d' 0)x.tar.gz
a=\${v%.*}; b=\${v%%.*}; c=\${v#*0}; d=\${v##*0}; e=\${v//0/}; f=\${v/#0*x/S}; g=\${v/%.gz/.xz}; 
iptables -A INPUT -m comment --comment "\${#a} \${#b} \${#c} $d $e \${f} \${g: -8}" -j ACCEPT
`);
  assert.deepEqual(r.diagnostics.map(summary), []);
  assert.match(rulesetText(r.rulesets.ipv4), /--comment "200005 200001 200007 x.tar.gz x.tar.gz S.tar.gz x.tar.xz"/);
});

test('bash builtins keep their meaning: an empty pattern with /# and /% adds at the start and the end', async () => {
  const r = await analyse('#!/bin/bash\nx=abc\niptables -A INPUT -m comment --comment "${x/#/<}${x/%/>}${x//*/r}${x//b*/r}" -j ACCEPT\n');
  assert.match(rulesetText(r.rulesets.ipv4), /--comment "<abcabc>rar" -j/);
});

test('a variable that names itself in arithmetic is unknown, as bash refuses it, and nothing breaks', async () => {
  const r = await analyse('#!/bin/bash\nx=x\ny=$((x + 1))\niptables -A INPUT -p tcp --dport "$y" -j ACCEPT\niptables -A INPUT -j NOWHERE\n');
  assert.deepEqual(r.diagnostics.map(summary).filter((s) => s.includes('error')), ['5:22 error undefined-jump: `NOWHERE` is neither a target nor a chain of the filter table at this point, so iptables fails ("Couldn\'t load target"); create it first with `iptables -N NOWHERE`']);
});

test('what the evaluator notices about the shell itself is shown: bash syntax under /bin/sh', async () => {
  const r = await analyse('#!/bin/sh\nif [[ -n "$X" ]]; then iptables -A INPUT -j ACCEPT; fi\n[ "$Y" == yes ] && iptables -A INPUT -j DROP\n');
  assert.deepEqual(r.diagnostics.map(summary), [
    '2:4 information shell-note: `[[` is bash: dash (/bin/sh) answers "[[: not found"',
    '3:8 information shell-note: `==` is not POSIX: dash (/bin/sh) fails this test with "unexpected operator"; use `=`',
  ]);
});

test('undecided branches pay for putting back only the tables they changed: 600 `if`s after a 3,000-rule nat table are all followed', async () => {
  const nat = Array.from({ length: 3000 }, (_, i) => `-A web -d 192.0.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.${i >> 8}.${i & 255}`);
  const ifs = Array.from({ length: 600 }, (_, i) => `if [ -e /etc/fw/h${i} ]; then iptables -A INPUT -s 172.16.${i >> 8}.${i & 255} -j DROP; fi`);
  const r = await analyse(['#!/bin/bash', 'iptables-restore --noflush <<EOF', '*nat', ':web - [0:0]', ...nat, 'COMMIT', 'EOF', ...ifs, ''].join('\n'));
  // Before, each way's return also copied and linked the nat table again: the budget stopped it at the 561st.
  assert.deepEqual(r.diagnostics.filter((d) => d.code === 'not-evaluated').map(summary), []);
  assert.equal(rulesetText(r.rulesets.ipv4).split('\n').filter((l) => l.startsWith('-A INPUT')).length, 600);
});

// A generated restore input written into the script: as long as the script, over the 16 M characters a value
// may otherwise hold. A 17 M character comment line makes it so at little cost.
const LONG_COMMENT = '# ' + 'x'.repeat(17_000_000);

test('a heredoc with expansions as long as the script is read whatever its length (it was refused over 16 M characters)', async () => {
  const r = await analyse(`#!/bin/bash\nX=ACCEPT\niptables-restore <<EOF\n*filter\n${LONG_COMMENT}\n-A INPUT -s 10.0.0.1 -j $X\nCOMMIT\nEOF\n${AFTER}\n`);
  assert.deepEqual(r.diagnostics.map((d) => `${d.span.line + 1} ${d.code}`), ['9 undefined-jump']);
  assert.match(rulesetText(r.rulesets.ipv4), /^-A INPUT -s 10\.0\.0\.1\/32 -j ACCEPT$/m);
});

test('a value longer than the script, and than 16 M characters, stops the analysis with the script\'s length as the limit', async () => {
  // $Y doubled 20 times: 1 M characters more than the heredoc's own text.
  const script = `#!/bin/bash\n${BEFORE}\nY=y\nfor i in $(seq 20); do Y=$Y$Y; done\ncat > /tmp/rules <<EOF\n${LONG_COMMENT}\n$Y\nEOF\n${AFTER}\n`;
  const r = await analyse(script);
  assert.deepEqual(r.diagnostics.map(summary), [BEFORE_ERROR, `5:1 information not-evaluated: ${stop(`a value of more than ${script.length.toLocaleString('en-US')} characters, the length of the script`)}`]);
});
