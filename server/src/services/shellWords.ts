// Reads the shell command under the cursor straight from the text, the way an
// editor needs it while a line is half typed: no bash parser, no evaluation.
// Quotes and escapes are resolved; `$VAR`, `$(...)` and backquotes are words
// whose value only the running script knows. Backslash-continued lines are one
// command; `;`, `&&`, `||`, `|` and parentheses separate commands.
import type { Position } from '../diagnostics';
import type { Token } from '../syntax/token';
import { iptablesTool, prefixLength } from '../shell/tools';
import { t } from '../l10n';

export interface ShellCommand {
  /** The command's name word (after `sudo`, assignments, `then`...). */
  name: Token;
  args: Token[];
  /** The first line of the command. */
  line: number;
}

type Item = Token | { op: string; line: number; start: number };

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', '}', 'time']);

/** Ends with an odd number of backslashes: the line goes on below. */
function continues(line: string): boolean {
  const m = /(\\+)\r?$/.exec(line);
  return m !== null && m[1].length % 2 === 1;
}

/** `$name`, `${...}`, `$(...)`, `$1`: the length of the expansion starting at `i`. */
function expansionLength(text: string, i: number): number {
  const next = text[i + 1];
  if (next === '{' || next === '(') {
    const close = next === '{' ? '}' : ')';
    let depth = 0;
    for (let k = i + 1; k < text.length; k++) {
      if (text[k] === next) depth++;
      else if (text[k] === close && --depth === 0) return k - i + 1;
    }
    return text.length - i;
  }
  const m = /^[A-Za-z_]\w*|^[0-9@*#?$!-]/.exec(text.slice(i + 1));
  return 1 + (m ? m[0].length : 0);
}

/** The words and operators of one physical line. */
function lexLine(text: string, line: number, items: Item[]): void {
  let i = 0;
  const n = continues(text) ? text.replace(/\\\r?$/, '').length : text.replace(/\r$/, '').length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '#') return;
    if (';&|()`'.includes(c)) {
      const two = text.slice(i, i + 2);
      const op = two === '&&' || two === '||' || two === ';;' ? two : c;
      items.push({ op, line, start: i });
      i += op.length;
      continue;
    }
    const start = i;
    let value = '';
    let unknown = false;
    while (i < n && !' \t;&|()`'.includes(text[i])) {
      const ch = text[i];
      if (ch === '\\') { value += text[i + 1] ?? ''; i += 2; continue; }
      if (ch === '$') { const len = expansionLength(text, i); value += text.slice(i, i + len); unknown = true; i += len; continue; }
      if (ch === '\'') {
        const close = text.indexOf('\'', i + 1);
        const end = close < 0 ? n : close;
        value += text.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      if (ch === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && '$`"\\'.includes(text[i + 1] ?? '')) { value += text[i + 1]; i += 2; continue; }
          if (text[i] === '$') { const len = expansionLength(text, i); value += text.slice(i, i + len); unknown = true; i += len; continue; }
          value += text[i++];
        }
        i++;
        continue;
      }
      value += ch;
      i++;
    }
    const token: Token = { text: value, line, start, end: Math.min(i, n) };
    if (unknown) token.unknown = t('set only when the script runs');
    items.push(token);
  }
}

function before(a: { line: number; start: number }, pos: Position): boolean {
  return a.line < pos.line || (a.line === pos.line && a.start < pos.character);
}

/**
 * The simple command whose words surround `pos`, or undefined when the
 * cursor is on no command (a comment, an empty line, the command's name).
 */
export function shellCommandAt(lines: readonly string[], pos: Position): ShellCommand | undefined {
  let first = pos.line;
  while (first > 0 && continues(lines[first - 1])) first--;
  let last = pos.line;
  while (last + 1 < lines.length && continues(lines[last])) last++;
  const items: Item[] = [];
  for (let l = first; l <= last; l++) lexLine(lines[l], l, items);
  // The command the cursor is in: after the last operator before the cursor.
  let from = 0;
  let to = items.length;
  for (let k = 0; k < items.length; k++) {
    if (!('op' in items[k])) continue;
    if (before(items[k], pos)) from = k + 1;
    else { to = k; break; }
  }
  const words = items.slice(from, to) as Token[];
  let k = 0;
  while (k < words.length && (KEYWORDS.has(words[k].text) || /^[A-Za-z_]\w*=/.test(words[k].text))) k++;
  for (let skip = prefixLength(words.slice(k).map((w) => w.text)); skip > 0; skip = prefixLength(words.slice(k).map((w) => w.text))) k += skip;
  const name = words[k];
  if (!name || !before({ line: name.line, start: name.end }, pos)) return undefined;
  // Redirections (`2>/dev/null`, `> file`) are not arguments.
  const args: Token[] = [];
  for (let a = k + 1; a < words.length; a++) {
    const redirect = /^\d*(?:[<>]&?|&>)(.*)$/.exec(words[a].text);
    if (!redirect) args.push(words[a]);
    else if (redirect[1] === '') a++;
  }
  return { name, args, line: first };
}

export interface HeredocBody {
  /** The line with `<<`. */
  opener: number;
  /** `<<-`: leading tabs are removed from each line of the body. */
  stripTabs: boolean;
}

const HEREDOC = /<<(?!<)(-?)[ \t]*(['"]?)([^\s'"|&;<>()]+)\2/g;

/** The here-document whose body holds `line`, if it is in one. */
export function heredocAt(lines: readonly string[], line: number): HeredocBody | undefined {
  const open: { opener: number; stripTabs: boolean; delimiter: string }[] = [];
  for (let l = 0; l < line; l++) {
    const text = lines[l].replace(/\r$/, '');
    if (open.length) {
      const body = open[0].stripTabs ? text.replace(/^\t+/, '') : text;
      if (body === open[0].delimiter) open.shift();
      continue;
    }
    if (/^\s*#/.test(text) || !text.includes('<<')) continue;
    for (const m of text.matchAll(HEREDOC)) open.push({ opener: l, stripTabs: m[1] === '-', delimiter: m[3] });
  }
  return open[0] && { opener: open[0].opener, stripTabs: open[0].stripTabs };
}

/** The iptables-restore a here-document feeds, from its opener line: its family. */
export function restoreFamilyOf(openerLine: string): 'ipv4' | 'ipv6' | undefined {
  for (const word of openerLine.split(/[\s;&|()]+/)) {
    const tool = iptablesTool(word.replace(/^["']|["']$/g, ''));
    if (tool?.kind === 'restore') return tool.family;
    const variable = /^\$\{?((?:\w*_)?ip(6?)t\w*restore\w*)\}?$/i.exec(word);
    if (variable) return variable[2] ? 'ipv6' : 'ipv4';
  }
  return undefined;
}
