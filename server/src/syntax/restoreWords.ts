// Splits one line of iptables-restore input into words, the way
// iptables-restore does: only double quotes group, a backslash escapes the
// next character inside quotes only, a closing quote ends the word, and only
// space, tab and newline separate words (a carriage return does not).
import type { Token } from './token';

const QUOTE = 34;
const BACKSLASH = 92;

/** `-A`, `-j`...: one string each, not one per word of every line (the model keeps some of them). */
const SHORT_OPTIONS: string[] = [];

function shortOption(letter: number): string {
  return (SHORT_OPTIONS[letter] ??= '-' + String.fromCharCode(letter));
}

function isSeparator(c: number): boolean {
  return c === 32 || c === 9 || c === 10;
}

/** Where the first quote, tab or newline at `from` or after is (`n`: none). Before it, only a space ends a word. */
function nextSpecial(text: string, from: number, n: number): number {
  let at = n;
  let k = text.indexOf('"', from);
  if (k >= 0) at = k;
  k = text.indexOf('\t', from);
  if (k >= 0 && k < at) at = k;
  k = text.indexOf('\n', from);
  if (k >= 0 && k < at) at = k;
  return at;
}

function plainWord(text: string, start: number, end: number): string {
  return end - start === 2 && text.charCodeAt(start) === 45 ? shortOption(text.charCodeAt(start + 1)) : text.slice(start, end);
}

/**
 * `offset` shifts the columns (text embedded in a script, such as a heredoc).
 * A quote that is never closed makes the rest of the line the last word (see closesQuote).
 */
export function splitRestoreWords(text: string, line: number, from = 0, offset = 0): Token[] {
  const words: Token[] = [];
  const n = text.length;
  let i = from;
  let special = nextSpecial(text, from, n);
  while (i < n) {
    while (i < n && isSeparator(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    // Plain words (nearly all of them) are one slice, and before the next quote, tab or newline
    // their end is the next space: found by indexOf, not a character at a time (a quarter of the split's time).
    if (i < special) {
      const space = text.indexOf(' ', i);
      const end = space < 0 ? n : space;
      if (end <= special) {
        i = end;
        words.push({ text: plainWord(text, start, i), line, start: start + offset, end: i + offset });
        continue;
      }
      i = special;
    }
    while (i < n && !isSeparator(text.charCodeAt(i)) && text.charCodeAt(i) !== QUOTE) i++;
    if (i > special) special = nextSpecial(text, i, n);
    if (i >= n || text.charCodeAt(i) !== QUOTE) {
      words.push({ text: plainWord(text, start, i), line, start: start + offset, end: i + offset });
      continue;
    }
    // Pieces are sliced, not added a character at a time (a chain of one-character strings per word).
    let value = text.slice(start, i);
    i++;
    let piece = i;
    let closed = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH && i + 1 < n) {
        value += text.slice(piece, i) + text[i + 1];
        i += 2;
        piece = i;
      } else if (c === QUOTE) {
        value += text.slice(piece, i);
        i++;
        closed = true;
        break;
      } else {
        i++;
      }
    }
    if (!closed) value += text.slice(piece, i);
    if (i > special) special = nextSpecial(text, i, n);
    words.push({ text: value, line, start: start + offset, end: i + offset, quoted: true });
  }
  return words;
}

/** Whether the quoted word that splitRestoreWords found at [start, end) of `text` has its closing quote. */
export function closesQuote(text: string, start: number, end: number): boolean {
  for (let i = text.indexOf('"', start) + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < text.length) i++;
    else if (c === QUOTE) return true;
  }
  return false;
}
