// Inputs for the fuzz harness: rule files and shell scripts built from the
// words iptables and bash know (so they get deep into the checks), mixed with
// broken, hostile and random text, and every kind of line end.
import fc from 'fast-check';
import { MATCHES, optionNames, TABLES, TARGETS } from '../../server/src/knowledge';

const OPTIONS = [...MATCHES, ...TARGETS].flatMap((e) => e.options.flatMap((o) => optionNames(o))).map((n) => `--${n}`);
const MODULES = MATCHES.map((m) => m.name);
const TARGET_NAMES = TARGETS.map((t) => t.name);
const CHAINS = [...new Set(TABLES.flatMap((t) => t.chains)), 'web', 'LOGDROP', 'DOCKER', 'KUBE-SVC-X'];
const VALUES = [
  'tcp', 'udp', 'icmp', 'all', '22', '80:443', '0', '65536', '-1', '10.0.0.0/8', '::1', '2001:db8::/32', 'eth0', 'eth+', 'lo',
  'NEW,ESTABLISHED', 'SYN,ACK', 'ACK', '1/s', '5', 'a', '0x10/0xff', 'echo-request', 'host.example.org', '""', '"a b"', '!', '"',
];
const BASE = ['-A', '-I', '-D', '-R', '-N', '-X', '-F', '-P', '-E', '-Z', '-C', '-L', '-S', '-t', '-j', '-g', '-m', '-p', '-s', '-d', '-i', '-o', '-f', '!', '-4', '-6', '-c'];

/** Text nobody would write: control characters, separators, surrogates, long runs. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\x1b[2J', '\x1b]0;x\x07', '\u2028', '\u202e', '\ud800', '\t', '\0', '\r', '"', "'", '`', '\\', '$(', '${', '{1..3}'),
  fc.nat({ max: 3000 }).map((n) => 'a'.repeat(n)),
);

const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...OPTIONS) },
  { weight: 3, arbitrary: fc.constantFrom(...BASE) },
  { weight: 2, arbitrary: fc.constantFrom(...MODULES, ...TARGET_NAMES, ...CHAINS) },
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 1, arbitrary: hostileText },
);

/** The words of one iptables command line, after the program name. */
export const ruleWords = fc.array(word, { maxLength: 14 }).map((w) => w.join(' '));

export const lineEnd = fc.constantFrom('\n', '\r\n', '\r');

const saveLine = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...TABLES.map((t) => `*${t.name}`), '*bogus', '*', 'COMMIT', '# comment', '') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...CHAINS, ''), fc.constantFrom('ACCEPT', 'DROP', '-', 'X', ''), fc.constantFrom('[0:0]', '[1:2]', '[x', '')).map(([c, p, n]) => `:${c} ${p} ${n}`) },
  { weight: 6, arbitrary: ruleWords },
  { weight: 1, arbitrary: hostileText },
);

/** A rule file, of lines joined by any line end. */
export const saveText = fc.array(fc.tuple(saveLine, lineEnd), { maxLength: 25 }).map((lines) => lines.map(([l, e]) => l + e).join(''));

const name = fc.constantFrom('x', 'IPT', 'CHAIN', 'i', 'f', 'PORTS', 'a');
const shellLine = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('iptables', 'ip6tables', '$IPT', 'iptables-restore', 'sudo iptables', 'f'), ruleWords).map(([c, w]) => `${c} ${w}`) },
  { weight: 2, arbitrary: fc.tuple(name, fc.oneof(word, fc.constantFrom('$x', '"$x$x"', '${x//a/b}', '${x%%.*}', '$(echo a)', '$((i+1))', '(a b c)', "'$x'"))).map(([n, v]) => `${n}=${v}`) },
  { weight: 1, arbitrary: fc.tuple(name, fc.constantFrom('a b c', '{1..5}', '$PORTS', '"$@"', '$(seq 3)', '{a,b}{1,2}')).map(([n, l]) => `for ${n} in ${l}; do`) },
  { weight: 1, arbitrary: fc.constantFrom('done', 'fi', 'esac', '}', 'then', 'else', ';;', 'do') },
  { weight: 1, arbitrary: fc.constantFrom('if [ -f /etc/x ]; then', 'while read -r line; do', 'case $x in', 'a|b) ;;', '*) ;;', 'f() {', 'set -e', 'exit 1', 'return',
    'cat <<EOF', 'EOF', "iptables-restore <<'EOF'", 'eval "$x"', '. /tmp/x', 'x=$(cat /tmp/x)', 'echo "$x" > /tmp/x', '[[ $x == a* ]] && iptables -F', 'f "$@"', 'break', 'shift') },
  { weight: 1, arbitrary: saveLine },
  { weight: 1, arbitrary: hostileText },
);

/** A shell script that runs iptables, of lines joined by any line end. */
export const scriptText = fc.tuple(fc.constantFrom('#!/bin/bash', '#!/bin/sh', ''), fc.array(fc.tuple(shellLine, lineEnd), { maxLength: 25 }))
  .map(([shebang, lines]) => `${shebang}\niptables -N web\n${lines.map(([l, e]) => l + e).join('')}`);

/** A place in a text, given as fractions of its line count and of a line's length (slightly past the end too). */
export const place = fc.tuple(fc.double({ min: 0, max: 1.05, noNaN: true }), fc.double({ min: 0, max: 1.1, noNaN: true }));
