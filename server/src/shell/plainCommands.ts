// A line of a script that is one plain iptables command (`iptables -A INPUT
// -p tcp --dport 22 -j ACCEPT`, quoted strings without `$` allowed), read
// without tree-sitter: a generated script of a million such lines is read at
// the cost of splitting words, and the evaluator hands them to iptables as the
// full path would (commands.ts, plainLine). Anything the shell could
// expand, redirect, join or continue is not plain, and takes the full path.
import { iptablesTool } from './tools';
import type { Field } from './values';

/** One word of a plain line, as the expander would make it. */
export interface PlainWord {
  text: string;
  /** Columns of the word as written, quotes included. */
  start: number;
  end: number;
  /**
   * Columns of the text where it is written literally (ShellString.source):
   * an unquoted word itself, the inside of quotes (`''` too); -1 for `""` and
   * for a word of several parts.
   */
  sourceStart: number;
  sourceEnd: number;
  /** Characters written outside quotes: the expander scans them for brace groups, twice. */
  unquoted: number;
}

/** A line that is plain: a command, a comment, or both. */
export interface PlainLine {
  row: number;
  /** Where the line starts and ends in the script (its line end not included). */
  from: number;
  to: number;
  /** The command's words, the tool first; none for a comment alone. */
  words: PlainWord[];
  /** Columns of a comment (to the end of the line); -1 when there is none. */
  commentStart: number;
  commentEnd: number;
}

/** What may stand unquoted in a plain word: no quote, expansion, glob, brace, tilde, operator or escape. */
const UNQUOTED = new Uint8Array(128);
/** What may stand inside double quotes of a plain word: no expansion, escape or closing quote. */
const DOUBLE_QUOTED = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) {
  UNQUOTED[c] = '"\'|&;<>()$`\\*?[]{}~'.includes(String.fromCharCode(c)) ? 0 : 1;
  DOUBLE_QUOTED[c] = '"$`\\'.includes(String.fromCharCode(c)) ? 0 : 1;
}
DOUBLE_QUOTED[0x20] = DOUBLE_QUOTED[0x09] = 1;

const SPACE = 0x20;
const TAB = 0x09;
const HASH = 0x23;
const DOUBLE = 0x22;
const SINGLE = 0x27;

function isDoubleQuoted(c: number): boolean {
  return c < 128 && DOUBLE_QUOTED[c] === 1;
}

/** Whether `c` may stand inside single quotes of a plain word. */
function isSingleQuoted(c: number): boolean {
  return (c >= 0x20 && c < 0x7f && c !== SINGLE) || c === TAB;
}

/**
 * The line `text[from, to)` (no line end inside) read as a plain line at
 * `row`: undefined when it is not one; a line with no words and no comment
 * for a blank one. `tool`: whether a command of this name may be read so
 * (the evaluator says no where a function of that name is defined).
 * Without `words`, it only says whether the line is plain.
 */
export function readPlainLine(text: string, from: number, to: number, row: number, tool: (name: string) => boolean, words?: PlainWord[]): PlainLine | undefined {
  let i = from;
  let commentStart = -1;
  let count = 0;
  for (;;) {
    while (i < to && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i >= to) break;
    if (text.charCodeAt(i) === HASH) {
      // A carriage return ending it: where the grammar ends such a comment is not worth knowing.
      if (text.charCodeAt(to - 1) === 13) return undefined;
      commentStart = i;
      break;
    }
    const start = i;
    let parts = 0;
    let unquoted = 0;
    let sourceStart = -1;
    let sourceEnd = -1;
    let value = '';
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === TAB) break;
      const part = i;
      if (c === DOUBLE || c === SINGLE) {
        i++;
        if (c === DOUBLE) while (i < to && isDoubleQuoted(text.charCodeAt(i))) i++;
        else while (i < to && isSingleQuoted(text.charCodeAt(i))) i++;
        if (i >= to || text.charCodeAt(i) !== c) return undefined;
        i++;
        // `""` has no place of its own; `''` has an empty one (as the expander sees them).
        if (c === SINGLE || i - part > 2) {
          sourceStart = part + 1;
          sourceEnd = i - 1;
        } else sourceStart = sourceEnd = -1;
        if (words) value += text.slice(part + 1, i - 1);
      } else {
        // `#` is a comment only where a word starts, and after a quote it is not plain text the grammar agrees on.
        while (i < to) {
          const d = text.charCodeAt(i);
          if (d >= 128 || UNQUOTED[d] === 0 || (d === HASH && i === part)) break;
          i++;
        }
        if (i === part) return undefined;
        unquoted += i - part;
        sourceStart = part;
        sourceEnd = i;
        if (words) value += text.slice(part, i);
      }
      parts++;
    }
    if (count === 0) {
      // The command is a tool of the iptables kind, named by an unquoted word.
      const name = text.slice(start, i);
      if (parts !== 1 || unquoted !== i - start || iptablesTool(name)?.kind !== 'iptables' || !tool(name)) return undefined;
    }
    count++;
    if (words) {
      const literal = parts === 1 && sourceStart >= 0;
      words.push({ text: value, start: start - from, end: i - from, sourceStart: literal ? sourceStart - from : -1, sourceEnd: literal ? sourceEnd - from : -1, unquoted });
    }
  }
  return { row, from, to, words: words ?? [], commentStart: commentStart < 0 ? -1 : commentStart - from, commentEnd: to - from };
}

/** The command's arguments (its words after the tool) as the expander makes them: where each is, and where its text is written. */
export function plainFields(line: PlainLine): Field[] {
  const { words, row } = line;
  const fields: Field[] = [];
  for (let k = 1; k < words.length; k++) {
    const w = words[k];
    const field: Field = { text: w.text, span: { line: row, start: w.start, end: w.end } };
    if (w.sourceStart >= 0) field.source = { line: row, start: w.sourceStart, end: w.sourceEnd };
    fields.push(field);
  }
  return fields;
}

/** The directories a root shell's PATH holds on any distribution: an iptables found there is the tool. */
const SYSTEM_DIRECTORIES = new Set(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);

/** A PATH of system directories only (a script's `PATH=/sbin:/bin:...`), where a plain line still runs the tool. */
export function standardPath(path: string): boolean {
  return path.split(':').every((d) => SYSTEM_DIRECTORIES.has(d.replace(/\/+$/, '')));
}

/**
 * A command after which a tool's name may run something else, or something
 * more: an alias of it, `hash -p`, `enable`, a trap on every command or
 * failure. The evaluator does not follow these (yet): plain lines after them
 * take the full path, so that they mean what it makes of them.
 */
export function changesCommandLookup(name: string, args: readonly { text: string; unknown?: string }[]): boolean {
  switch (name) {
    case 'alias':
      return args.some((a) => a.unknown !== undefined || iptablesTool(a.text.split('=')[0]) !== undefined);
    case 'hash':
      return args.some((a) => a.unknown !== undefined || /^-\w*p/.test(a.text));
    case 'enable':
      return true;
    case 'trap':
      return args.some((a) => a.unknown !== undefined || /^(DEBUG|ERR|RETURN)$/.test(a.text));
    default:
      return false;
  }
}
