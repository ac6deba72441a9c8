// The shell builtins and simple commands firewall scripts use (echo, printf,
// read, set, eval, source, exit...), computed on what the evaluator knows;
// the text utilities are in utilities.ts.
import type { Meter } from './budget';
import type { SyntaxNode } from './bashParser';
import type { ShellInterpreter } from './interpreter';
import { ExitSignal, LoopSignal, ReturnSignal } from './control';
import { testWords } from './testExpressions';
import { runUtility } from './utilities';
import { concat, Field, known, Status, undecidable, unknown } from './values';
import { t } from '../l10n';

const BUILTIN_NOOPS = new Set([':', 'true', 'cd', 'umask', 'trap', 'ulimit', 'hash', 'shopt', 'alias', 'unalias', 'wait', 'sleep', 'logger', 'modprobe', 'sysctl', 'systemctl', 'service', 'chmod', 'chown', 'mkdir', 'touch', 'sync', 'ln', 'rm', 'clear', 'stty', 'renice', 'disown', 'ipset', 'conntrack', 'tc']);
const KNOWN_COMMANDS = /^(iptables|ip6tables|iptables-restore|ip6tables-restore|iptables-save|ip6tables-save|ip|grep|sort|uniq|awk|sed|cat|echo|printf|cut|tr|wc|seq|head|tail|mktemp|sysctl|modprobe|logger|id|sudo|ipset|tc|conntrack)$/;

export function builtin(sh: ShellInterpreter, name: string, args: Field[], node: SyntaxNode): Status {
  const words = args.map((a) => a.text);
  const anyUnknown = args.some((a) => a.unknown);
  switch (name) {
    case 'echo': {
      let i = 0;
      let newline = true;
      let escapes = false;
      while (i < words.length && /^-[neE]+$/.test(words[i])) {
        if (words[i].includes('n')) newline = false;
        if (words[i].includes('e')) escapes = true;
        i++;
      }
      const out = concat(args.slice(i).flatMap((a, k) => (k ? [known(' '), a] : [a])), sh.budget);
      if (escapes) sh.budget.scan(out.text.length);
      sh.write(concat([escapes ? { ...out, text: out.text.replace(/\\n/g, '\n').replace(/\\t/g, '\t') } : out, known(newline ? '\n' : '')], sh.budget));
      return 0;
    }
    case 'printf': {
      if (anyUnknown) { sh.write(unknown(t('printf output'))); return 0; }
      const rest = words[0] === '--' ? words.slice(1) : words;
      if (rest[0] === '-v' && rest[1]) {
        sh.assign(rest[1], known(printf(rest[2] ?? '', rest.slice(3), sh.budget)));
        return 0;
      }
      sh.write(known(printf(rest[0] ?? '', rest.slice(1), sh.budget)));
      return 0;
    }
    case 'let': {
      let last = 0;
      for (const w of words) {
        const v = sh.arithmetic(w);
        if (v.unknown) return undefined;
        last = Number(v.text);
      }
      return last !== 0 ? 0 : 1;
    }
    case 'read':
      return read(sh, args);
    case 'mapfile':
    case 'readarray':
      return mapfile(sh, words);
    case 'test':
    case '[': {
      const list = name === '[' ? words.slice(0, -1) : words;
      if (args.some(undecidable)) return undefined;
      return testWords(sh, list, node);
    }
    case 'false':
      return 1;
    case 'exit':
      sh.stoppedAt ??= { span: sh.spanOf(node), reason: t('the script exits at line {0}', node.startPosition.row + 1) };
      throw new ExitSignal(words[0] === undefined ? sh.lastStatus : Number(words[0]));
    case 'return':
      throw new ReturnSignal(words[0] === undefined ? sh.lastStatus : Number(words[0]));
    case 'break':
    case 'continue':
      throw new LoopSignal(name, Number(words[0] ?? 1));
    case 'shift': {
      const n = Number(words[0] ?? 1);
      const args = sh.positional();
      const last = args[args.length - 1];
      // Shifting the script's own arguments leaves what only the machine knows.
      sh.state.setPositional(last?.rest && n >= args.length ? [last] : args.slice(n));
      return 0;
    }
    case 'set':
      return set(sh, args);
    case 'eval': {
      const code = concat(args.flatMap((a, k) => (k ? [known(' '), a] : [a])), sh.budget);
      if (code.unknown) return undefined;
      return sh.evalText(code.text);
    }
    case 'source':
    case '.': {
      const f = args[0]?.unknown ? undefined : sh.files.get(words[0] ?? '');
      if (f && !f.text.unknown) return sh.evalText(f.text.text);
      // A file of the machine: whatever it sets is unknown from here on.
      sh.state.unreadSources.push(args[0]?.unknown || !words[0] ? t('the file sourced on line {0}', sh.spanOf(node).line + 1) : `\`${words[0]}\``);
      return undefined;
    }
    case 'local':
    case 'declare':
    case 'typeset':
    case 'export':
    case 'readonly':
      for (const w of words.filter((x) => !x.startsWith('-'))) {
        const eq = w.indexOf('=');
        if (eq > 0) sh.state.setVariable(w.slice(0, eq), { kind: 'scalar', value: known(w.slice(eq + 1)) }, name === 'local');
      }
      return 0;
    case 'unset':
      return 0;
    case 'command':
    case 'type':
    case 'which':
      // command -v NAME: the tools a firewall script probes for are taken to be installed.
      return words.some((w) => sh.state.functions.has(w) || KNOWN_COMMANDS.test(w.replace(/^.*\//, ''))) ? 0 : undefined;
    case 'mktemp': {
      const template = words.find((w) => !w.startsWith('-')) ?? '/tmp/tmp.XXXXXXXXXX';
      const path = sh.tempFile({ parts: [], length: 0 }, template);
      sh.write(known(path + '\n'));
      return 0;
    }
    case 'rm':
      for (const w of words.filter((x) => !x.startsWith('-'))) sh.files.delete(w);
      return 0;
    case 'id':
    case 'hostname':
    case 'date':
    case 'uname':
    case 'whoami':
      sh.write(unknown(t('the output of `{0}`', [name, ...words].join(' '))));
      return 0;
  }
  if (BUILTIN_NOOPS.has(name)) return 0;
  // `cat FILE` of a file the script wrote in ways it could not decide between: one of their texts.
  const written = name === 'cat' && args.length === 1 && !anyUnknown ? sh.files.get(words[0]) : undefined;
  if (written?.text.alternatives) {
    sh.write(written.text);
    return 0;
  }
  if (!anyUnknown) {
    const result = runUtility(name, {
      args: words,
      stdin: sh.stdin && !sh.stdin.text.unknown ? sh.stdin.text.text.slice(sh.stdin.at) : undefined,
      readFile: (p) => {
        const f = sh.files.get(p);
        return f && !f.text.unknown ? f.text.text : undefined;
      },
      machine: sh.options.machine,
      meter: sh.budget,
    });
    if (result) {
      if (sh.stdin) sh.stdin.at = sh.stdin.text.text.length;
      sh.write(known(result.stdout));
      return result.status;
    }
  }
  sh.write(unknown(t('the output of `{0}`', [name, ...words].join(' '))));
  return undefined;
}

function read(sh: ShellInterpreter, args: Field[]): Status {
  const words = args.map((a) => a.text);
  let delim = '\n';
  let raw = false;
  let arrayName: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '-r') raw = true;
    else if (w === '-d') delim = words[++i] ?? '';
    else if (w === '-a') arrayName = words[++i];
    else if (/^-[pstnNui]$/.test(w)) i++;
    else if (w.startsWith('-')) continue;
    else names.push(w);
  }
  if (names.length === 0 && !arrayName) names.push('REPLY');
  const input = sh.stdin;
  if (!input || input.text.unknown) {
    for (const n of names) sh.assign(n, unknown(input ? t('a line of {0}', input.text.unknown) : t('a line typed in')));
    return input ? undefined : 1;
  }
  const rest = input.text.text.slice(input.at);
  if (rest === '') {
    for (const n of names) sh.assign(n, known(''));
    return 1;
  }
  const end = delim === '' ? -1 : rest.indexOf(delim);
  let line = end < 0 ? rest : rest.slice(0, end);
  input.at += end < 0 ? rest.length : end + 1;
  sh.budget.scan(line.length);
  if (!raw) line = line.replace(/\\\n/g, '').replace(/\\(.)/g, '$1');
  const ifs = sh.ifs();
  const white = [...ifs].filter((c) => ' \t\n'.includes(c)).join('');
  const trimmed = trimCharacters(line, white);
  const splitter = new RegExp(`[${escapeClass(white)}]*[${escapeClass(ifs.replace(/[ \t\n]/g, ''))}][${escapeClass(white)}]*|[${escapeClass(white)}]+`);
  if (arrayName) {
    const parts = trimmed === '' ? [] : trimmed.split(ifs ? splitter : /(?!)/);
    sh.state.setVariable(arrayName, { kind: 'indexed', items: parts.map(known) });
  } else {
    let remaining = trimmed;
    names.forEach((n, i) => {
      if (i === names.length - 1) {
        sh.assign(n, known(remaining));
        return;
      }
      const m = ifs ? splitter.exec(remaining) : null;
      if (!m) {
        sh.assign(n, known(remaining));
        remaining = '';
      } else {
        sh.assign(n, known(remaining.slice(0, m.index)));
        remaining = remaining.slice(m.index + m[0].length);
      }
    });
  }
  return end < 0 && delim !== '' ? 1 : 0;
}

function mapfile(sh: ShellInterpreter, words: string[]): Status {
  const name = words.filter((w) => !w.startsWith('-')).pop() ?? 'MAPFILE';
  const strip = words.includes('-t');
  const input = sh.stdin;
  if (!input || input.text.unknown) {
    sh.state.setVariable(name, { kind: 'scalar', value: unknown(t('lines read by mapfile')) });
    return undefined;
  }
  const rest = input.text.text.slice(input.at);
  input.at = input.text.text.length;
  sh.budget.scan(rest.length);
  const items = rest === '' ? [] : rest.replace(/\n$/, '').split('\n').map((l) => known(strip ? l : l + '\n'));
  sh.state.setVariable(name, { kind: 'indexed', items });
  return 0;
}

function set(sh: ShellInterpreter, args: Field[]): Status {
  const words = args.map((a) => a.text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--') {
      sh.state.setPositional(args.slice(i + 1));
      return 0;
    }
    if (w === '-o' || w === '+o') {
      if (words[i + 1] === 'errexit') sh.state.errexit = w === '-o';
      if (words[i + 1] === 'pipefail') sh.state.pipefail = w === '-o';
      i++;
      continue;
    }
    if (/^[-+][a-zA-Z]+$/.test(w)) {
      if (w.includes('e')) sh.state.errexit = w[0] === '-';
      continue;
    }
    sh.state.setPositional(args.slice(i));
    return 0;
  }
  return 0;
}

/** `text` without the characters of `chars` at either end (a loop: `/[ \t]+$/` is quadratic on long runs). */
function trimCharacters(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start])) start++;
  while (end > start && chars.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

function escapeClass(chars: string): string {
  return chars.replace(/[\]\\^-]/g, '\\$&');
}

/** printf's format language, for the conversions scripts use; widths are measured before padding. */
function printf(format: string, args: string[], meter: Meter): string {
  const fmt = format.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  let out = '';
  let i = 0;
  do {
    meter.scan(fmt.length);
    out += fmt.replace(/%(-?\d*)([sdbxc%])/g, (_, width: string, conv: string) => {
      if (conv === '%') return '%';
      const a = args[i++] ?? '';
      const v = conv === 'd' ? String(parseInt(a, 10) || 0) : conv === 'x' ? (parseInt(a, 10) || 0).toString(16) : a;
      const w = Number(width);
      meter.value(out.length + Math.abs(w));
      meter.scan(Math.abs(w));
      // `%05d`: numbers are padded with zeros after their sign.
      if (w > 0 && width.startsWith('0') && (conv === 'd' || conv === 'x')) return v.startsWith('-') ? '-' + v.slice(1).padStart(w - 1, '0') : v.padStart(w, '0');
      return w > 0 ? v.padStart(w) : w < 0 ? v.padEnd(-w) : v;
    });
    meter.value(out.length);
  } while (i < args.length && /%[-\d]*[sdbxc]/.test(fmt));
  return out;
}
