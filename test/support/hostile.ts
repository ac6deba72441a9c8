// Scripts that ask the evaluator for too much work: each of the hostile
// inputs of issue 12 and a few like them. `line` and `column` (1-based, in the
// script given) are where the analysis stops, `what` says why (a loop stops
// on its line, at whichever of its statements took the last step).

export interface HostileScript {
  name: string;
  script: string;
  line: number;
  column: number;
  what: string;
}

const nested = (depth: number, open: string, inner: string, close: string) => open.repeat(depth) + inner + close.repeat(depth);

export const HOSTILE_SCRIPTS: HostileScript[] = [
  { name: 'a value that doubles forty times by replacement', script: 'x=ab; for i in $(seq 1 40); do x=${x//a/aa}; done',
    line: 1, column: 32, what: 'more than 100,000 steps' },
  { name: 'a brace range of a hundred million words', script: 'for i in {1..100000000}; do :; done',
    line: 1, column: 1, what: 'a brace expansion of 100,000,000 words, more than 100,000' },
  { name: 'two brace ranges multiplied', script: 'echo {1..9999}{1..9999}',
    line: 1, column: 1, what: 'a brace expansion of 99,980,001 words, more than 100,000' },
  { name: 'seq of a hundred million numbers', script: 'for i in $(seq 1 100000000); do :; done',
    line: 1, column: 12, what: '`seq` of 100,000,000 words, more than 100,000' },
  { name: 'a function that calls itself', script: 'f(){ f; }; f',
    line: 1, column: 6, what: 'calls, substitutions and blocks nested more than 200 deep' },
  { name: 'two functions that call each other', script: 'f(){ g; }; g(){ f; }; f',
    line: 1, column: 17, what: 'calls, substitutions and blocks nested more than 200 deep' },
  { name: 'a fork bomb', script: ':(){ :|:& };:',
    line: 1, column: 6, what: 'calls, substitutions and blocks nested more than 200 deep' },
  { name: '5,000 functions that call the next', script: Array.from({ length: 5000 }, (_, i) => `f${i}(){ f${i + 1}; }`).join('\n') + '\nf0',
    line: 100, column: 8, what: 'calls, substitutions and blocks nested more than 200 deep' },
  { name: '10,000 nested command substitutions', script: `x=${nested(10_000, '$(echo ', 'a', ')')}`,
    line: 1, column: 698, what: 'calls, substitutions and blocks nested more than 200 deep' },
  { name: 'a file that sources itself', script: "echo '. /tmp/self.sh' > /tmp/self.sh\n. /tmp/self.sh",
    line: 2, column: 1, what: 'eval and source nested more than 50 deep' },
  { name: 'two evals that run each other', script: 'a=\'eval "$b"\'; b=\'eval "$a"\'; eval "$a"',
    line: 1, column: 31, what: 'eval and source nested more than 50 deep' },
  { name: 'x=$x$x forty times', script: 'x=ab\n' + 'x=$x$x\n'.repeat(40).trimEnd(),
    line: 25, column: 1, what: 'a value of more than 16,777,216 characters' },
  { name: 'a loop that never ends', script: 'while :; do :; done',
    line: 1, column: 7, what: 'more than 100,000 steps' },
  { name: 'an arithmetic loop without end', script: 'for ((i = 0; ; i++)); do :; done',
    line: 1, column: 26, what: 'more than 100,000 steps' },
  { name: 'printf with a width of a billion', script: "printf '%999999999d' 1",
    line: 1, column: 1, what: 'a value of more than 16,777,216 characters' },
  { name: 'an array index far past the end', script: 'a[1000000000]=x',
    line: 1, column: 1, what: 'an array index of 1000000000, far past the end of the array' },
  { name: 'a pattern with a huge repeat count', script: "echo a | grep -E 'a{1000}{1000}'",
    line: 1, column: 10, what: 'a pattern of more than 20,000 states' },
];

/** A file for iptables-lint: the scripts above, and inputs that must simply be fast. */
export interface HostileInput {
  file: string;
  text: string;
}

const script = (body: string) => `#!/bin/bash\n${body}\niptables -A INPUT -j ACCEPT\n`;

/** `count` addresses of `net`.x.y, comma-separated. */
const addresses = (count: number, net: string) => Array.from({ length: count }, (_, i) => `${net}.${i >> 8}.${i & 255}`).join(',');

/** INPUT jumps to c0, each chain to the next, `depth` chains deep (and back to c0 from the last: a circle). */
function jumpChain(depth: number, circle = false): string {
  const chains = Array.from({ length: depth }, (_, i) => `:c${i} - [0:0]`);
  const jumps = Array.from({ length: depth - 1 }, (_, i) => `-A c${i} -j c${i + 1}`);
  return ['*filter', ':INPUT ACCEPT [0:0]', ...chains, '-A INPUT -j c0', ...jumps, circle ? `-A c${depth - 1} -j c0` : `-A c${depth - 1} -j DROP`, 'COMMIT', ''].join('\n');
}

const chainsInLoop = (count: number) => script(`for i in $(seq 1 ${count}); do\n  iptables -N c$i\n  iptables -A INPUT -j c$i\ndone`);

export const HOSTILE_INPUTS: HostileInput[] = [
  ...HOSTILE_SCRIPTS.map((h, i) => ({ file: `budget-${String(i + 1).padStart(2, '0')}.sh`, text: script(h.script) })),
  { file: 'trim-128k.sh', text: script(`x=${'a'.repeat(128 * 1024)}c\ny=\${x%%b*}`) },
  { file: 'grep-ere.sh', text: script(`x=${'a'.repeat(5000)}b\necho "$x" | grep -E '^(a+)+$'`) },
  { file: 'case-stars.sh', text: script(`x=${'a'.repeat(5000)}b\ncase $x in *a*a*a*a*a*a*a*a*a*a*a*a) echo y;; esac`) },
  // 160,000 rules of one line, and 20 lines of 10,000 (a 40 KB file of 200,000 rules).
  { file: 'list400.rules', text: `*filter\n-A INPUT -s ${addresses(400, '10.1')} -d ${addresses(400, '10.2')} -j ACCEPT\nCOMMIT\n` },
  { file: 'product.rules', text: `*filter\n${Array.from({ length: 20 }, (_, k) => `-A INPUT -s ${addresses(100, `10.${k}`)} -d ${addresses(100, '10.99')} -j ACCEPT`).join('\n')}\nCOMMIT\n` },
  { file: 'deep7000.rules', text: jumpChain(7000) },
  { file: 'circle7000.rules', text: jumpChain(7000, true) },
  { file: 'chains3000.sh', text: chainsInLoop(3000) },
  { file: 'chains10000.sh', text: chainsInLoop(10_000) },
];
