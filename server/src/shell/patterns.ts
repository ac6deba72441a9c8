// The script's own patterns: globs (case, [[ == ]], ${x#pat}, ${x/pat/rep})
// and POSIX regular expressions (grep, [[ =~ ]]). Each is compiled to an
// automaton that follows every way through the pattern at once, so matching
// costs the text's length times the pattern's size: a pattern such as
// `^(a+)+$` or `*a*a*a*a*a*a*a*a*a*a*a*a`, which makes a backtracking matcher
// run for ages, costs no more than any other. The cost is charged to a meter.
import { Meter, TooMuchWork } from './budget';
import { grouped, t } from '../l10n';

type Assertion = 'start' | 'end' | 'word-boundary' | 'not-word-boundary' | 'word-start' | 'word-end';

/**
 * A state either consumes one character that passes `test` and goes on to
 * `next[0]`, or (without `test`) goes on to every state of `next` without
 * consuming anything, when its assertion (if any) holds there.
 */
interface State {
  test?: (c: number) => boolean;
  assertion?: Assertion;
  next: number[];
}

/** A compiled pattern. */
export interface Pattern {
  /** Does the whole text match? */
  matchesAll(text: string, meter: Meter): boolean;
  /** Does some part of the text match? */
  occursIn(text: string, meter: Meter): boolean;
  /** The end of the longest (with `shortest`, the shortest) match that starts at `from`; -1 when none does. */
  longestAt(text: string, from: number, meter: Meter, shortest?: boolean): number;
  /** The length of the longest (or shortest) suffix that matches, -1 when none does: of a pattern from `suffixGlobPattern`. */
  longestSuffix(text: string, meter: Meter, shortest?: boolean): number;
  /**
   * The leftmost match at or after `from`, and of those the longest (as the
   * shell's `${x/pat/rep}` and POSIX regular expressions choose it).
   */
  find(text: string, from: number, meter: Meter): [number, number] | undefined;
}

/**
 * `${x/pat/rep}` (the leftmost longest match) or, with `all`, `${x//pat/rep}`
 * (each one from left to right). The result's length is checked as it grows,
 * and it is built in flat chunks (one engine call per match would hold a list as long as the matches).
 */
export function replaceMatches(p: Pattern, text: string, replacement: string, all: boolean, meter: Meter): string {
  const chunks: string[] = [];
  let chunk: string[] = [];
  let length = 0;
  let copied = 0;
  for (let from = 0; from < text.length || (text === '' && from === 0);) {
    const match = p.find(text, from, meter);
    if (!match) break;
    // Each match costs more than its characters (the search, the pieces): charged as 64.
    meter.scan(64);
    length += match[0] - copied + replacement.length;
    meter.value(length + text.length - match[1]);
    chunk.push(text.slice(copied, match[0]), replacement);
    if (chunk.length >= 8192) { chunks.push(chunk.join('')); chunk = []; }
    copied = match[1];
    if (!all) break;
    // An empty match replaces nothing more at this place: go on after the next character.
    from = match[1] > match[0] ? match[1] : match[1] + 1;
  }
  chunks.push(chunk.join(''), text.slice(copied));
  return chunks.join('');
}

/** A pattern that is plain text: the engine's own string search. */
class Literal implements Pattern {
  constructor(private readonly literal: string) {}

  matchesAll(text: string): boolean {
    return text === this.literal;
  }

  occursIn(text: string, meter: Meter): boolean {
    meter.scan(text.length);
    return text.includes(this.literal);
  }

  longestAt(text: string, from: number, meter: Meter): number {
    meter.scan(this.literal.length);
    return text.startsWith(this.literal, from) ? from + this.literal.length : -1;
  }

  longestSuffix(text: string, meter: Meter): number {
    meter.scan(this.literal.length);
    return text.endsWith(this.literal) ? this.literal.length : -1;
  }

  find(text: string, from: number, meter: Meter): [number, number] | undefined {
    const at = text.indexOf(this.literal, from);
    meter.scan((at < 0 ? text.length : at + this.literal.length) - from);
    return at < 0 ? undefined : [at, at + this.literal.length];
  }

}

/** Following one state over one character costs about as much as scanning this many characters. */
const STATE_STEP_COST = 16;

const TEST = 0;
const SPLIT = 1;
const ASSERT = 2;
const ACCEPTING = 3;

/**
 * The automaton, run on every way at once (Thompson's construction). State
 * lists are typed arrays reused from one character to the next; a state is
 * taken once per position (the generation mark), the earliest-started first.
 */
class Automaton implements Pattern {
  private readonly kind: Uint8Array;
  private readonly next: Int32Array;
  private readonly tests: ((c: number) => boolean)[] = [];
  private readonly splits: number[][] = [];
  private readonly assertions: Assertion[] = [];
  private readonly mark: Int32Array;
  private generation = 0;
  private readonly stack: Int32Array;
  private readonly lists: Int32Array[];
  /** The start of the first thread that reached the accepting state at this position, or -1. */
  private acceptedFrom = -1;

  constructor(states: State[], private readonly start: number) {
    const n = states.length;
    this.kind = new Uint8Array(n);
    this.next = new Int32Array(n);
    this.mark = new Int32Array(n);
    let edges = 1;
    states.forEach((st, i) => {
      if (i === ACCEPT) this.kind[i] = ACCEPTING;
      else if (st.test) { this.kind[i] = TEST; this.tests[i] = st.test; this.next[i] = st.next[0]; }
      else if (st.assertion) { this.kind[i] = ASSERT; this.assertions[i] = st.assertion; this.next[i] = st.next[0]; }
      else { this.kind[i] = SPLIT; this.splits[i] = st.next; }
      edges += st.next.length;
    });
    this.stack = new Int32Array(edges);
    this.lists = [0, 1, 2, 3].map(() => new Int32Array(n));
  }

  matchesAll(text: string, meter: Meter): boolean {
    return this.longestAt(text, 0, meter) === text.length;
  }

  occursIn(text: string, meter: Meter): boolean {
    return this.search(text, 0, meter, true) !== undefined;
  }

  longestAt(text: string, from: number, meter: Meter, shortest = false): number {
    const length = this.longest(text, from, false, meter, shortest);
    return length < 0 ? -1 : from + length;
  }

  longestSuffix(text: string, meter: Meter, shortest = false): number {
    return this.longest(text, text.length, true, meter, shortest);
  }

  /**
   * How many characters the longest (or shortest) match takes from `from`,
   * reading forwards, or backwards (the automaton of a reversed glob); -1 for none.
   */
  private longest(text: string, from: number, backwards: boolean, meter: Meter, shortest: boolean): number {
    let [cur, nxt] = this.lists;
    this.generation++;
    this.acceptedFrom = -1;
    let n = this.close(this.start, text, from, cur, undefined, 0, 0);
    let best = this.acceptedFrom >= 0 ? 0 : -1;
    let cost = 0;
    const available = backwards ? from : text.length - from;
    for (let taken = 0; taken < available && n > 0 && !(shortest && best >= 0); taken++) {
      const at = backwards ? from - taken - 1 : from + taken;
      const c = text.charCodeAt(at);
      this.generation++;
      this.acceptedFrom = -1;
      let m = 0;
      for (let k = 0; k < n; k++) {
        const s = cur[k];
        if (this.kind[s] === TEST && this.tests[s](c)) m = this.close(this.next[s], text, backwards ? at : at + 1, nxt, undefined, 0, m);
      }
      [cur, nxt] = [nxt, cur];
      n = m;
      if (this.acceptedFrom >= 0) best = taken + 1;
      cost += n + 1;
      if (cost > 4096) { meter.scan(cost * STATE_STEP_COST); cost = 0; }
    }
    meter.scan(cost * STATE_STEP_COST);
    return best;
  }

  find(text: string, from: number, meter: Meter): [number, number] | undefined {
    return this.search(text, from, meter, false);
  }


  private search(text: string, from: number, meter: Meter, any: boolean): [number, number] | undefined {
    let [cur, curStarts, nxt, nxtStarts] = this.lists;
    let best: [number, number] | undefined;
    let cost = 0;
    this.generation++;
    this.acceptedFrom = -1;
    let n = this.close(this.start, text, from, cur, curStarts, from, 0);
    for (let i = from; ; i++) {
      const a = this.acceptedFrom;
      if (a >= 0 && (!best || a < best[0] || (a === best[0] && i > best[1]))) {
        best = [a, i];
        if (any) break;
      }
      if (best) {
        // Only threads that started no later than the match can still make a better one.
        let kept = 0;
        for (let k = 0; k < n; k++) if (curStarts[k] <= best[0]) { cur[kept] = cur[k]; curStarts[kept] = curStarts[k]; kept++; }
        n = kept;
      }
      if (i >= text.length || (best && n === 0)) break;
      const c = text.charCodeAt(i);
      this.generation++;
      this.acceptedFrom = -1;
      let m = 0;
      for (let k = 0; k < n; k++) {
        const s = cur[k];
        if (this.kind[s] === TEST && this.tests[s](c)) m = this.close(this.next[s], text, i + 1, nxt, nxtStarts, curStarts[k], m);
      }
      // A new thread starts at each place until a match is found, after the older ones.
      if (!best) m = this.close(this.start, text, i + 1, nxt, nxtStarts, i + 1, m);
      [cur, curStarts, nxt, nxtStarts] = [nxt, nxtStarts, cur, curStarts];
      n = m;
      cost += n + 1;
      if (cost > 4096) { meter.scan(cost * STATE_STEP_COST); cost = 0; }
    }
    meter.scan(cost * STATE_STEP_COST);
    return best;
  }

  /**
   * Adds the states reachable from `from` at position `at` without consuming
   * a character (those that consume one, and the accepting one) to `list`
   * from index `length`; returns the new length.
   */
  private close(from: number, text: string, at: number, list: Int32Array, starts: Int32Array | undefined, start: number, length: number): number {
    const stack = this.stack;
    let sp = 0;
    stack[sp++] = from;
    while (sp > 0) {
      const s = stack[--sp];
      if (this.mark[s] === this.generation) continue;
      this.mark[s] = this.generation;
      const kind = this.kind[s];
      if (kind === TEST || kind === ACCEPTING) {
        if (kind === ACCEPTING && this.acceptedFrom < 0) this.acceptedFrom = start;
        list[length] = s;
        if (starts) starts[length] = start;
        length++;
      } else if (kind === ASSERT) {
        if (holds(this.assertions[s], text, at)) stack[sp++] = this.next[s];
      } else {
        const targets = this.splits[s];
        for (let k = targets.length - 1; k >= 0; k--) stack[sp++] = targets[k];
      }
    }
    return length;
  }
}

const ACCEPT = 0;

/** Past this many states, or groups this deep, a pattern is refused as too much work. */
const MAX_STATES = 20_000;
const MAX_GROUP_DEPTH = 100;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function holds(a: Assertion, text: string, at: number): boolean {
  const before = at > 0 && isWordChar(text.charCodeAt(at - 1));
  const after = at < text.length && isWordChar(text.charCodeAt(at));
  switch (a) {
    case 'start': return at === 0;
    case 'end': return at === text.length;
    case 'word-boundary': return before !== after;
    case 'not-word-boundary': return before === after;
    case 'word-start': return !before && after;
    case 'word-end': return before && !after;
  }
}

// ---- the pattern's parts, then the automaton ---------------------------------------

type Node =
  | { kind: 'char'; test: (c: number) => boolean }
  | { kind: 'assert'; assertion: Assertion }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'either'; items: Node[] }
  | { kind: 'repeat'; item: Node; min: number; max: number };

class Builder {
  readonly states: State[] = [{ next: [] }];

  /** States that match `node`, then go on to `next`; returns the first. */
  build(node: Node, next: number): number {
    switch (node.kind) {
      case 'char': return this.add({ test: node.test, next: [next] });
      case 'assert': return this.add({ assertion: node.assertion, next: [next] });
      case 'sequence': {
        let at = next;
        for (let i = node.items.length - 1; i >= 0; i--) at = this.build(node.items[i], at);
        return at;
      }
      case 'either': return this.add({ next: node.items.map((item) => this.build(item, next)) });
      case 'repeat': {
        let at = next;
        if (node.max === Infinity) {
          const loop = this.add({ next: [] });
          this.states[loop].next = [this.build(node.item, loop), next];
          at = loop;
        } else {
          for (let i = node.min; i < node.max; i++) at = this.add({ next: [this.build(node.item, at), next] });
        }
        for (let i = 0; i < node.min; i++) at = this.build(node.item, at);
        return at;
      }
    }
  }

  private add(state: State): number {
    if (this.states.length >= MAX_STATES) throw new TooMuchWork(t('a pattern of more than {0} states', grouped(MAX_STATES)));
    this.states.push(state);
    return this.states.length - 1;
  }
}

function compile(node: Node): Pattern {
  const b = new Builder();
  return new Automaton(b.states, b.build(node, ACCEPT));
}

const ANY = (): boolean => true;
const sequence = (items: Node[]): Node => ({ kind: 'sequence', items });
const char = (test: (c: number) => boolean): Node => ({ kind: 'char', test });
const literal = (code: number, ignoreCase = false): Node => {
  if (!ignoreCase) return char((c) => c === code);
  const lower = foldCase(code);
  return char((c) => foldCase(c) === lower);
};

function foldCase(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => CLASSES.alpha(c) || CLASSES.digit(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  print: (c) => c >= 32 && c <= 126,
  graph: (c) => c >= 33 && c <= 126,
  cntrl: (c) => c < 32 || c === 127,
  xdigit: (c) => CLASSES.digit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  word: isWordChar,
};

/**
 * A bracket expression starting after its `[`: the test and the index after
 * its `]`, or undefined when it is not closed (then `[` is an ordinary
 * character). `escapes`: a backslash quotes the next character (globs; in
 * regular expressions it is itself).
 */
function bracket(p: string, at: number, escapes: boolean, ignoreCase: boolean): { test: (c: number) => boolean; end: number } | undefined {
  let i = at;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') { negate = true; i++; }
  const parts: ((c: number) => boolean)[] = [];
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    first = false;
    if (p[i] === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      const cls = close < 0 ? undefined : CLASSES[p.slice(i + 2, close)];
      if (cls) { parts.push(cls); i = close + 2; continue; }
    }
    let lo: number;
    if (escapes && p[i] === '\\' && i + 1 < p.length) { lo = p.charCodeAt(i + 1); i += 2; } else { lo = p.charCodeAt(i); i++; }
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      i++;
      let hi: number;
      if (escapes && p[i] === '\\' && i + 1 < p.length) { hi = p.charCodeAt(i + 1); i += 2; } else { hi = p.charCodeAt(i); i++; }
      parts.push((c) => c >= lo && c <= hi);
    } else {
      parts.push((c) => c === lo);
    }
  }
  if (i >= p.length) return undefined;
  const inSet = (c: number) => parts.some((tgt) => tgt(c));
  const test = ignoreCase ? (c: number) => inSet(c) || inSet(foldCase(c)) || inSet(c >= 97 && c <= 122 ? c - 32 : c) : inSet;
  return { test: negate ? (c) => !test(c) : test, end: i + 1 };
}

// ---- globs ---------------------------------------------------------------------------

type GlobItem = { kind: 'star' } | { kind: 'one'; test: (c: number) => boolean };

function globItems(glob: string): GlobItem[] {
  const items: GlobItem[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (items[items.length - 1]?.kind !== 'star') items.push({ kind: 'star' });
    } else if (c === '?') {
      items.push({ kind: 'one', test: ANY });
    } else if (c === '[') {
      const b = bracket(glob, i + 1, true, false);
      if (b) { items.push({ kind: 'one', test: b.test }); i = b.end - 1; } else items.push({ kind: 'one', test: (x) => x === 91 });
    } else {
      const code = c === '\\' && i + 1 < glob.length ? glob.charCodeAt(++i) : glob.charCodeAt(i);
      items.push({ kind: 'one', test: (x) => x === code });
    }
  }
  return items;
}

function globNode(items: GlobItem[]): Node {
  return sequence(items.map((it): Node => (it.kind === 'star' ? { kind: 'repeat', item: char(ANY), min: 0, max: Infinity } : char(it.test))));
}

/** A shell glob: `*`, `?`, `[...]` (with `!` or `^` to negate), a backslash quotes. */
export function globPattern(glob: string): Pattern {
  return /[*?[\\]/.test(glob) ? compile(globNode(globItems(glob))) : new Literal(glob);
}

/** A glob for `longestSuffix`: compiled from its end, to read the text from its end. */
export function suffixGlobPattern(glob: string): Pattern {
  return /[*?[\\]/.test(glob) ? compile(globNode(globItems(glob).reverse())) : new Literal(glob);
}

// ---- POSIX regular expressions -------------------------------------------------------

/**
 * A POSIX regular expression, extended (grep -E, [[ =~ ]]) or basic (grep),
 * with GNU's `\w \s \b \< \>` and the basic syntax's `\+ \? \|`. Undefined
 * for what it cannot match exactly (back-references) or does not parse.
 */
export function regexPattern(source: string, options: { extended: boolean; ignoreCase?: boolean }): Pattern | undefined {
  if (!options.ignoreCase && !(options.extended ? /[.[\]()*+?{}|^$\\]/ : /[.[\]*^$\\]/).test(source)) return new Literal(source);
  const node = new RegexReader(source, options.extended, options.ignoreCase ?? false).read();
  return node && compile(node);
}

class RegexReader {
  private i = 0;
  private depth = 0;

  constructor(private readonly p: string, private readonly extended: boolean, private readonly ignoreCase: boolean) {}

  read(): Node | undefined {
    const node = this.alternatives();
    return node && this.i === this.p.length ? node : undefined;
  }

  /** `|` in ERE, `\|` in BRE. */
  private isBar(): boolean {
    return this.extended ? this.p[this.i] === '|' : this.p.startsWith('\\|', this.i);
  }

  private isClose(): boolean {
    return this.extended ? this.p[this.i] === ')' : this.p.startsWith('\\)', this.i);
  }

  private alternatives(): Node | undefined {
    const items: Node[] = [];
    for (;;) {
      const branch = this.branch();
      if (!branch) return undefined;
      items.push(branch);
      if (!this.isBar()) break;
      this.i += this.extended ? 1 : 2;
    }
    return items.length === 1 ? items[0] : { kind: 'either', items };
  }

  private branch(): Node | undefined {
    const items: Node[] = [];
    const startAt = this.i;
    while (this.i < this.p.length && !this.isBar() && !this.isClose()) {
      let atom = this.atom(this.i === startAt);
      if (!atom) return undefined;
      for (;;) {
        const q = this.quantifier();
        if (q === undefined) return undefined;
        if (q === null) break;
        atom = { kind: 'repeat', item: atom, min: q[0], max: q[1] };
      }
      items.push(atom);
    }
    return sequence(items);
  }

  /** A quantifier after an atom: [min, max], null when there is none, undefined when malformed. */
  private quantifier(): [number, number] | null | undefined {
    const p = this.p;
    const c = p[this.i];
    if (c === '*') { this.i++; return [0, Infinity]; }
    if (this.extended ? c === '+' : p.startsWith('\\+', this.i)) { this.i += this.extended ? 1 : 2; return [1, Infinity]; }
    if (this.extended ? c === '?' : p.startsWith('\\?', this.i)) { this.i += this.extended ? 1 : 2; return [0, 1]; }
    const open = this.extended ? '{' : '\\{';
    if (!p.startsWith(open, this.i)) return null;
    const m = (this.extended ? /^\{(\d*)(,(\d*))?\}/ : /^\\\{(\d*)(,(\d*))?\\\}/).exec(p.slice(this.i, this.i + 32));
    // `{,n}` is GNU's 0 to n; `{` that starts no interval is an ordinary character in an ERE.
    if (!m || (m[1] === '' && m[2] === undefined)) return this.extended ? null : undefined;
    const min = Number(m[1] || 0);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    // RE_DUP_MAX: regcomp refuses larger counts.
    if (max < min || min > 32767 || (max !== Infinity && max > 32767)) return undefined;
    this.i += m[0].length;
    return [min, max];
  }

  private atom(first: boolean): Node | undefined {
    const p = this.p;
    const c = p[this.i];
    if (this.extended ? c === '(' : p.startsWith('\\(', this.i)) {
      if (++this.depth > MAX_GROUP_DEPTH) throw new TooMuchWork(t('a pattern with groups nested more than {0} deep', MAX_GROUP_DEPTH));
      this.i += this.extended ? 1 : 2;
      if (this.isClose()) { this.i += this.extended ? 1 : 2; return sequence([]); }
      const inner = this.alternatives();
      if (!inner || !this.isClose()) return undefined;
      this.i += this.extended ? 1 : 2;
      this.depth--;
      return inner;
    }
    this.i++;
    switch (c) {
      case '.': return char(ANY);
      case '^':
        if (this.extended || first) return { kind: 'assert', assertion: 'start' };
        return literal(94);
      case '$':
        if (this.extended || this.i === p.length || this.isBar() || this.isClose()) return { kind: 'assert', assertion: 'end' };
        return literal(36);
      case '[': {
        const b = bracket(p, this.i, false, this.ignoreCase);
        if (!b) return undefined;
        this.i = b.end;
        return char(b.test);
      }
      case '*':
        // At the start of an expression, `*` is an ordinary character.
        return first ? literal(42) : undefined;
      case '\\': return this.escape();
      default:
        if (this.extended && (c === '+' || c === '?' || c === '{') && first) return literal(c.charCodeAt(0));
        if (this.extended && (c === '+' || c === '?')) return undefined;
        return literal(c.charCodeAt(0), this.ignoreCase);
    }
  }

  private escape(): Node | undefined {
    const c = this.p[this.i++];
    if (c === undefined) return undefined;
    switch (c) {
      case 'w': return char(isWordChar);
      case 'W': return char((x) => !isWordChar(x));
      case 's': return char(CLASSES.space);
      case 'S': return char((x) => !CLASSES.space(x));
      case 'b': return { kind: 'assert', assertion: 'word-boundary' };
      case 'B': return { kind: 'assert', assertion: 'not-word-boundary' };
      case '<': return { kind: 'assert', assertion: 'word-start' };
      case '>': return { kind: 'assert', assertion: 'word-end' };
      case '`': return { kind: 'assert', assertion: 'start' };
      case "'": return { kind: 'assert', assertion: 'end' };
      default:
        // \1..\9 refer back to a group: not a regular language, so not matched here.
        if (c >= '1' && c <= '9') return undefined;
        return literal(c.charCodeAt(0), this.ignoreCase);
    }
  }
}
