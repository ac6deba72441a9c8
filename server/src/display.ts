// Text from a file, shown to a user: in a message, a rule of a trace, a file
// name. Control characters are escaped, so a rule comment cannot move the
// cursor, clear the screen or retitle a terminal, nor split one finding over
// two lines; long values are cut with an ellipsis, so a finding stays readable.

/** Characters a terminal or an editor acts on instead of showing: C0, DEL, C1, line and paragraph separators, bidi controls, BOM. */
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e' };

/** Every control character written as an escape (`\e`, `\n`, `\x07`, `\u2028`), the rest as it is. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** At most `max` characters: longer text is cut, with `…` at the cut (never inside a surrogate pair). */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (cut > 0 && /[\ud800-\udbff]/.test(text[cut - 1])) cut--;
  return text.slice(0, cut) + '…';
}

/** Longest quoted value (a `code span`) and longest message a user is shown. */
const MAX_QUOTED = 120;
const MAX_MESSAGE = 1000;

/** A message as a user should see it: one line, each quoted value and the whole of it of a sane length. */
export function cleanMessage(message: string): string {
  const quotedCut = message.replace(/`([^`]*)`/g, (span, inner: string) => (inner.length > MAX_QUOTED ? `\`${shorten(inner, MAX_QUOTED)}\`` : span));
  return shorten(escapeControls(quotedCut), MAX_MESSAGE);
}

/** East Asian wide and full-width characters: a terminal gives each two columns. */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;

/** `text` padded with spaces to `width` terminal columns (a Chinese word lines up with an English one). */
export function padColumns(text: string, width: number): string {
  let columns = 0;
  for (const c of text) columns += WIDE.test(c) ? 2 : 1;
  return text + ' '.repeat(Math.max(0, width - columns));
}
