// The text utilities firewall scripts pipe their lists through (grep, sort,
// cut, seq, wc...), computed on text the evaluator knows. Anything it cannot
// compute exactly answers `undefined`: the caller turns that into "unknown".
// Their work is reported to a meter: the evaluator's budget.
import type { Meter } from './budget';
import { Pattern, regexPattern } from './patterns';

export interface UtilityResult {
  stdout: string;
  status: number;
}

export interface UtilityInput {
  args: string[];
  /** Standard input, when the command reads it. */
  stdin?: string;
  /** Contents of the files the script itself wrote. */
  readFile(path: string): string | undefined;
  /** The machine the script is meant for, when it is described. */
  machine?: Machine;
  meter: Meter;
}

/** What a script may ask of the machine it runs on: its interfaces and their addresses. */
export interface Machine {
  interfaces: { name: string; addresses: string[] }[];
}

type Utility = (input: UtilityInput) => UtilityResult | undefined;

const ok = (stdout: string): UtilityResult => ({ stdout, status: 0 });
const lines = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
function joinLines(items: string[], meter: Meter): string {
  meter.value(items.reduce((n, l) => n + l.length + 1, 0));
  return items.length ? items.join('\n') + '\n' : '';
}

/** The text a command reads: its file operands, or standard input. */
function inputOf(input: UtilityInput, files: string[]): string | undefined {
  let text: string | undefined = '';
  if (files.length === 0) text = input.stdin;
  for (const f of files) {
    const content = f === '-' ? input.stdin : input.readFile(f);
    if (content === undefined) return undefined;
    text += content;
  }
  if (text !== undefined) input.meter.scan(text.length);
  return text;
}

/** Splits `-abc` style flags from operands (a `--` ends the flags). */
function flags(args: string[]): { flags: Set<string>; operands: string[] } {
  const set = new Set<string>();
  const operands: string[] = [];
  let done = false;
  for (const a of args) {
    if (!done && a === '--') done = true;
    else if (!done && /^-[A-Za-z]+$/.test(a)) for (const c of a.slice(1)) set.add(c);
    else operands.push(a);
  }
  return { flags: set, operands };
}

const UTILITIES: Record<string, Utility> = {
  cat: (input) => {
    const text = inputOf(input, flags(input.args).operands);
    return text === undefined ? undefined : ok(text);
  },
  grep: (input) => {
    const { flags: f, operands } = flags(input.args);
    if (operands.length === 0 || [...f].some((c) => !'vEicqxF'.includes(c))) return undefined;
    const [pattern, ...files] = operands;
    const text = inputOf(input, files);
    if (text === undefined) return undefined;
    const re = f.has('F') ? undefined : regexPattern(pattern, { extended: f.has('E'), ignoreCase: f.has('i') });
    if (!f.has('F') && !re) return undefined;
    const matches = (l: string) => (f.has('F') ? l.includes(pattern) : f.has('x') ? re!.matchesAll(l, input.meter) : re!.occursIn(l, input.meter));
    const hit = (l: string) => matches(l) !== f.has('v');
    const found = lines(text).filter(hit);
    const status = found.length ? 0 : 1;
    if (f.has('q')) return { stdout: '', status };
    return { stdout: f.has('c') ? `${found.length}\n` : joinLines(found, input.meter), status };
  },
  sort: (input) => {
    const { flags: f, operands } = flags(input.args);
    if ([...f].some((c) => !'unr'.includes(c))) return undefined;
    const text = inputOf(input, operands);
    if (text === undefined) return undefined;
    // LC_ALL=C byte order, as the firewall scripts' `env -i` runs have it.
    input.meter.scan(text.length * Math.log2(text.length + 2));
    let items = lines(text).sort((a, b) => (f.has('n') ? parseFloat(a) - parseFloat(b) || (a < b ? -1 : a > b ? 1 : 0) : a < b ? -1 : a > b ? 1 : 0));
    if (f.has('r')) items.reverse();
    if (f.has('u')) items = items.filter((l, i) => i === 0 || l !== items[i - 1]);
    return ok(joinLines(items, input.meter));
  },
  uniq: (input) => {
    const text = inputOf(input, flags(input.args).operands);
    if (text === undefined) return undefined;
    const items = lines(text);
    return ok(joinLines(items.filter((l, i) => i === 0 || l !== items[i - 1]), input.meter));
  },
  head: (input) => headTail(input, (items, n) => items.slice(0, n)),
  tail: (input) => headTail(input, (items, n) => items.slice(Math.max(0, items.length - n))),
  wc: (input) => {
    const { flags: f, operands } = flags(input.args);
    const text = inputOf(input, operands);
    if (text === undefined || !f.has('l')) return undefined;
    const count = (text.match(/\n/g) ?? []).length;
    return ok(operands.length ? `${count} ${operands[0]}\n` : `${count}\n`);
  },
  tr: (input) => {
    const { flags: f, operands } = flags(input.args);
    if (input.stdin === undefined || f.size > 1 || (f.size === 1 && !f.has('d'))) return undefined;
    const set = (s: string) => s.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
    if (f.has('d')) {
      const del = set(operands[0] ?? '');
      input.meter.scan(input.stdin.length * del.length);
      return ok([...input.stdin].filter((c) => !del.includes(c)).join(''));
    }
    const [from, to] = operands.map(set);
    if (from === undefined || to === undefined || /[[\]-]/.test(from + to)) return undefined;
    input.meter.scan(input.stdin.length * from.length);
    return ok([...input.stdin].map((c) => (from.includes(c) ? to[Math.min(from.indexOf(c), to.length - 1)] : c)).join(''));
  },
  cut: (input) => {
    const args = input.args;
    const d = args.find((a) => a.startsWith('-d'));
    const fl = args.find((a) => a.startsWith('-f'));
    if (!fl) return undefined;
    const delim = d ? (d.length > 2 ? d.slice(2) : args[args.indexOf(d) + 1]) : '\t';
    const fieldsText = fl.length > 2 ? fl.slice(2) : args[args.indexOf(fl) + 1];
    const wanted = fieldsText.split(',').map(Number);
    if (wanted.some((n) => !(n >= 1)) || input.stdin === undefined) return undefined;
    return ok(joinLines(lines(input.stdin).map((l) => {
      input.meter.scan(l.length * wanted.length);
      const parts = l.split(delim);
      return parts.length === 1 ? l : wanted.map((n) => parts[n - 1]).filter((x) => x !== undefined).join(delim);
    }), input.meter));
  },
  seq: (input) => {
    const nums = input.args.map(Number);
    if (nums.length === 0 || nums.length > 3 || nums.some((n) => !Number.isInteger(n))) return undefined;
    const [first, step, last] = nums.length === 1 ? [1, 1, nums[0]] : nums.length === 2 ? [nums[0], 1, nums[1]] : nums;
    if (step === 0) return undefined;
    input.meter.range(Math.max(0, Math.floor((last - first) / step) + 1), '`seq`');
    const out: number[] = [];
    for (let n = first; step > 0 ? n <= last : n >= last; n += step) out.push(n);
    return ok(joinLines(out.map(String), input.meter));
  },
  awk: (input) => {
    // The one-liners firewall scripts use: `awk [-F sep] '{ print $N[, $M]...[; exit] }'`.
    const args = [...input.args];
    let sep: string | undefined;
    if (args[0]?.startsWith('-F')) sep = args[0].length > 2 ? args.shift()!.slice(2) : (args.shift(), args.shift());
    const m = /^\s*\{\s*print\s+((?:\$\d+\s*,?\s*)+)\s*(;\s*exit\s*)?;?\s*\}\s*$/.exec(args[0] ?? '');
    if (!m) return undefined;
    const text = inputOf(input, args.slice(1));
    if (text === undefined) return undefined;
    const fields = [...m[1].matchAll(/\$(\d+)/g)].map((f) => Number(f[1]));
    const out: string[] = [];
    for (const line of lines(text)) {
      input.meter.scan(line.length * fields.length);
      const parts = sep === undefined ? line.trim().split(/\s+/) : line.split(sep);
      out.push(fields.map((n) => (n === 0 ? line : parts[n - 1] ?? '')).join(' '));
      if (m[2]) break;
    }
    return ok(joinLines(out, input.meter));
  },
  ip: (input) => {
    // `ip [-4|-6] [-o] addr show [dev] NAME`, answered from the machine's description.
    const machine = input.machine;
    const words = input.args.filter((a) => !/^-(o|oneline|br)$/.test(a));
    const family = words.includes('-6') ? 6 : words.includes('-4') ? 4 : 0;
    const rest = words.filter((w) => w !== '-4' && w !== '-6');
    if (!machine || !/^a(ddr(ess)?)?$/.test(rest[0] ?? '') || (rest[1] !== undefined && !/^(show|list|ls)$/.test(rest[1]))) return undefined;
    const dev = rest[2] === 'dev' ? rest[3] : rest[2];
    const interfaces = machine.interfaces.filter((i) => dev === undefined || i.name === dev);
    if (dev !== undefined && interfaces.length === 0) return { stdout: '', status: 1 };
    const out: string[] = [];
    machine.interfaces.forEach((i, n) => {
      if (!interfaces.includes(i)) return;
      for (const a of i.addresses) {
        const v6 = a.includes(':');
        if ((family === 4 && v6) || (family === 6 && !v6)) continue;
        out.push(`${n + 1}: ${i.name}    ${v6 ? 'inet6' : 'inet'} ${a} scope global ${i.name}\\       valid_lft forever preferred_lft forever`);
      }
    });
    return ok(joinLines(out, input.meter));
  },
  sed: (input) => {
    // Substitutions only: `sed [-e] 's/RE/REPL/[g]'` (any delimiter, -E/-r for extended, `;` between).
    const scripts: string[] = [];
    let extended = false;
    const files: string[] = [];
    for (let i = 0; i < input.args.length; i++) {
      const a = input.args[i];
      if (a === '-e') scripts.push(input.args[++i] ?? '');
      else if (a === '-E' || a === '-r') extended = true;
      else if (a.startsWith('-')) return undefined;
      else if (scripts.length === 0) scripts.push(a);
      else files.push(a);
    }
    const commands = scripts.flatMap((sc) => substitutions(sc, extended));
    if (commands.some((c) => c === undefined)) return undefined;
    const text = inputOf(input, files);
    if (text === undefined) return undefined;
    return ok(joinLines(lines(text).map((l) => commands.reduce((acc, c) => substitute(acc, c!, input.meter), l)), input.meter));
  },
  basename: (input) => (input.args[0] === undefined ? undefined : ok(input.args[0].replace(/\/+$/, '').replace(/.*\//, '') + '\n')),
  dirname: (input) => (input.args[0] === undefined ? undefined : ok((input.args[0].replace(/\/[^/]*$/, '') || '/') + '\n')),
};

interface Substitution {
  pattern: Pattern;
  /** The replacement, split at each `&` (the whole match). */
  pieces: string[];
  all: boolean;
}

/** The `s/RE/REPL/flags` commands of a sed script, or undefined for anything else (back-references included). */
function substitutions(script: string, extended: boolean): (Substitution | undefined)[] {
  const out: (Substitution | undefined)[] = [];
  let rest = script.trim();
  while (rest !== '') {
    const m = /^s(.)/.exec(rest);
    if (!m) return [undefined];
    const d = m[1];
    const parts: string[] = [];
    let at = 2;
    let piece = '';
    while (at < rest.length && parts.length < 2) {
      const c = rest[at];
      if (c === '\\' && rest[at + 1] === d) { piece += d; at += 2; continue; }
      if (c === d) { parts.push(piece); piece = ''; at++; continue; }
      piece += c;
      at++;
    }
    if (parts.length < 2 || /\\\d/.test(parts[1])) return [undefined];
    const flagText = /^[gI]*/.exec(rest.slice(at))![0];
    rest = rest.slice(at + flagText.length).replace(/^\s*;?\s*/, '');
    const pattern = regexPattern(parts[0], { extended, ignoreCase: flagText.includes('I') });
    if (!pattern) return [undefined];
    const pieces = parts[1].split(/(?<!\\)&/).map((p) => p.replace(/\\(.)/g, '$1'));
    out.push({ pattern, pieces, all: flagText.includes('g') });
  }
  return out;
}

/** One line through one `s` command: the leftmost longest match, or each of them with `g`. */
function substitute(line: string, s: Substitution, meter: Meter): string {
  let out = '';
  let copied = 0;
  for (let from = 0; from <= line.length;) {
    const match = s.pattern.find(line, from, meter);
    if (!match) break;
    out += line.slice(copied, match[0]) + s.pieces.join(line.slice(match[0], match[1]));
    meter.value(out.length);
    copied = match[1];
    if (!s.all) break;
    from = match[1] > match[0] ? match[1] : match[1] + 1;
  }
  return out + line.slice(copied);
}

function headTail(input: UtilityInput, pick: (items: string[], n: number) => string[]): UtilityResult | undefined {
  let n = 10;
  const files: string[] = [];
  for (let i = 0; i < input.args.length; i++) {
    const a = input.args[i];
    if (a === '-n') n = Number(input.args[++i]);
    else if (/^-n?\d+$/.test(a)) n = Number(a.replace(/^-n?/, ''));
    else files.push(a);
  }
  const text = inputOf(input, files);
  if (text === undefined || !(n >= 0)) return undefined;
  return ok(joinLines(pick(lines(text), n), input.meter));
}

/** Runs a utility on known input; undefined when the name or the use is not covered. */
export function runUtility(name: string, input: UtilityInput): UtilityResult | undefined {
  return Object.prototype.hasOwnProperty.call(UTILITIES, name) ? UTILITIES[name](input) : undefined;
}
