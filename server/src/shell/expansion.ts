// Word expansion as bash does it, on tree-sitter-bash nodes: quotes, escapes,
// parameter expansion with its operators, command and arithmetic substitution,
// brace expansion, then field splitting of the unquoted parts on IFS.
// Every resulting field keeps the span of the word the user wrote.
import type { Span } from '../diagnostics';
import type { Budget, Meter } from './budget';
import { sourceText, SyntaxNode } from './bashParser';
import { globPattern, replaceMatches, suffixGlobPattern } from './patterns';
import { concat, Field, known, ShellString, unknown, VariableValue } from './values';
import { t } from '../l10n';

export interface ExpansionHost {
  variable(name: string): VariableValue | undefined;
  assign(name: string, value: ShellString): void;
  /** $1.., with the spans of the words they came from. */
  positional(): Field[];
  special(name: string): ShellString;
  commandSubstitution(node: SyntaxNode): ShellString;
  arithmetic(text: string): ShellString;
  spanOf(node: SyntaxNode): Span;
  /**
   * Where `text`, found `offset` characters into the node, is written in the
   * script; undefined for text the script only evaluates (eval, heredocs).
   */
  literalSpan(node: SyntaxNode, offset: number, text: string): Span | undefined;
  ifs(): string;
  readonly budget: Budget;
  /** What the words of the running function's call assumed that vanished from them. */
  vanishedArguments(): string[];
  /** A file the script sourced without the evaluator being able to read it: it may set any variable. */
  unreadSource(): string | undefined;
  /** The paths a glob pattern matches, sorted; undefined when only the machine knows. */
  glob(pattern: string): string[] | undefined;
}

/** A piece of a word before splitting: quoted pieces are never split. */
interface Piece {
  value: ShellString;
  quoted: boolean;
  /** Text written in the script (brace expansion applies only to it, not to expansion results). */
  literal?: boolean;
  /** Separate fields that must stay separate ("$@", "${a[@]}"). */
  breakBefore?: boolean;
}

export class Expander {
  constructor(private readonly host: ExpansionHost) {}

  /**
   * What the words expanded since the caller emptied this assumed of variables
   * whose empty value made a word vanish (`--log-level $LOGLEVEL` with
   * LOGLEVEL unset): the command's meaning rests on it, though no word shows it.
   */
  vanished: string[] = [];

  /** Expands command arguments into fields (with splitting and brace expansion). */
  fields(nodes: SyntaxNode[]): Field[] {
    const out: Field[] = [];
    for (const node of nodes) for (const f of this.wordFields(node)) out.push(f);
    return out;
  }

  /** One word, no splitting (assignments, case subjects, redirect targets). */
  single(node: SyntaxNode): ShellString {
    return concat(this.pieces(node, false).map((p) => p.value), this.host.budget);
  }

  private wordFields(node: SyntaxNode): Field[] {
    const span = this.host.spanOf(node);
    const pieces = this.pieces(node, false);
    const words = braceExpand(pieces, this.host.budget);
    // Each access to a node's text goes through the parser's memory: read once.
    const source = node.text;
    const out: Field[] = [];
    for (const w of words) for (const f of this.split(w, span, source)) out.push(f);
    // Pathname expansion, for an unquoted pattern of paths (`/sys/class/net/*`).
    if (!/[*?[]/.test(source) || /["'\\]/.test(source)) return out;
    return out.flatMap((f) => {
      if (f.unknown || !f.text.includes('/') || !/[*?[]/.test(f.text)) return [f];
      const paths = this.host.glob(f.text);
      if (!paths) return [{ ...unknown(t('the paths matching {0} on the machine', f.text)), span }];
      return paths.length ? paths.map((p) => ({ ...known(p), span })) : [f];
    });
  }

  /** Field splitting: only unquoted expansion results split; empty unquoted results vanish. */
  private split(pieces: Piece[], span: Span, source: string): Field[] {
    const ifs = this.host.ifs();
    const fields: Field[] = [];
    let current: ShellString[] = [];
    let hasQuoted = false;
    let splitHappened = false;
    let unquotedUnknown = false;
    const flush = (force: boolean) => {
      if (current.length || (force && hasQuoted)) {
        const v = concat(current, this.host.budget);
        const field: Field = { ...v, span };
        if (unquotedUnknown && v.unknown) field.splits = true;
        fields.push(field);
      }
      current = [];
      hasQuoted = false;
      unquotedUnknown = false;
    };
    for (const p of pieces) {
      if (p.breakBefore) flush(true);
      if (p.quoted || p.value.unknown) {
        current.push(p.value);
        if (p.quoted) hasQuoted = true;
        else unquotedUnknown = true;
        continue;
      }
      // Text written in the script is never split, only what expansions made of it: with IFS=' ,', `FIN,SYN` stays one word.
      if (p.literal) {
        current.push(p.value);
        continue;
      }
      const text = p.value.text;
      if (text === '' && p.value.assumes) this.vanished.push(...p.value.assumes);
      // Nothing to split: the value stays as it is, with where it was written.
      if (text !== '' && !containsAny(text, ifs)) {
        current.push(p.value);
        continue;
      }
      this.host.budget.scan(text.length);
      const piece = (tgt: string): ShellString => (p.value.assumes ? { text: tgt, assumes: p.value.assumes, ...(p.value.maybeSetBy ? { maybeSetBy: p.value.maybeSetBy } : {}) } : known(tgt));
      let buf = '';
      for (const c of text) {
        if (ifs.includes(c)) {
          if (buf) current.push(piece(buf));
          buf = '';
          // IFS white space separates; other IFS characters delimit (and may make empty fields).
          if (current.length || !' \t\n'.includes(c)) {
            flush(true);
            splitHappened = true;
          }
        } else {
          buf += c;
        }
      }
      if (buf) current.push(piece(buf));
    }
    flush(false);
    if (splitHappened && fields.length > 1) for (const f of fields) f.splitFrom = source;
    return fields;
  }

  /** The pieces of a word node; `inQuotes` is true inside "...". */
  private pieces(node: SyntaxNode, inQuotes: boolean): Piece[] {
    return this.host.budget.nested(() => this.nodePieces(node, inQuotes));
  }

  private nodePieces(node: SyntaxNode, inQuotes: boolean): Piece[] {
    switch (node.type) {
      case 'word':
      case 'number':
      case 'extglob_pattern': {
        const raw = node.text;
        const text = inQuotes ? raw : unescapeWord(raw);
        const source = text === raw ? this.host.literalSpan(node, 0, text) : undefined;
        return [{ value: written(text, source), quoted: inQuotes || raw.includes('\\'), literal: !inQuotes }];
      }
      case 'raw_string': {
        const text = node.text.slice(1, -1);
        return [{ value: written(text, this.host.literalSpan(node, 1, text)), quoted: true }];
      }
      case 'ansi_c_string':
        return [{ value: known(ansiC(node.text.slice(2, -1))), quoted: true }];
      case 'string':
        return this.stringPieces(node);
      case 'translated_string':
        return this.stringPieces(node.namedChildren[0] ?? node);
      case 'concatenation': {
        const out: Piece[] = [];
        const kids = node.children;
        for (let i = 0; i < kids.length; i++) {
          const c = kids[i];
          if (!c) continue;
          const next = kids[i + 1];
          // The grammar reads `$dir/$1` as `$dir`, `/`, a lone `$`, then the number 1: the `$` and its digit are $1.
          if (c.type === '$' && next?.type === 'number' && c.endIndex === next.startIndex) {
            out.push({ value: this.scalar(next.text[0]), quoted: inQuotes });
            if (next.text.length > 1) out.push({ value: known(next.text.slice(1)), quoted: inQuotes, literal: !inQuotes });
            i++;
            continue;
          }
          for (const p of this.pieces(c, inQuotes)) out.push(p);
        }
        return out;
      }
      case 'simple_expansion':
      case 'expansion':
        return this.parameter(node, inQuotes);
      case 'command_substitution':
        // Inside a re-parsed heredoc, tree-sitter may read $((...)) as $( (...) ).
        if (node.text.startsWith('$((') && node.text.endsWith('))')) return [{ value: this.host.arithmetic(sourceText(node).slice(3, -2)), quoted: inQuotes }];
        return [{ value: this.host.commandSubstitution(node), quoted: inQuotes }];
      case 'arithmetic_expansion':
        return [{ value: this.host.arithmetic(arithmeticText(sourceText(node))), quoted: inQuotes }];
      case 'brace_expression':
        return [{ value: known(node.text), quoted: false, literal: true }];
      case 'process_substitution':
        return [{ value: this.host.commandSubstitution(node), quoted: true }];
      default:
        return [{ value: known(node.text), quoted: inQuotes }];
    }
  }

  private stringPieces(node: SyntaxNode): Piece[] {
    const out: Piece[] = [];
    const inner = node.text.slice(1, -1);
    // Text between the children (tree-sitter does not always give string_content nodes).
    let at = node.startIndex + 1;
    const end = node.endIndex - 1;
    const literal = (from: number, to: number) => {
      if (to <= from) return;
      const raw = inner.slice(from - node.startIndex - 1, to - node.startIndex - 1);
      const text = unescapeDouble(raw);
      out.push({ value: written(text, text === raw ? this.host.literalSpan(node, from - node.startIndex, text) : undefined), quoted: true });
    };
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'string_content') continue;
      // tree-sitter starts an expansion after a blank at the blank ("$a ${b}"): the blank is text.
      literal(at, c.startIndex + (c.text.length - c.text.trimStart().length));
      for (const p of this.pieces(c, true)) out.push({ ...p, quoted: true });
      at = c.endIndex;
    }
    literal(at, end);
    if (out.length === 0) out.push({ value: known(''), quoted: true });
    return out;
  }

  /** $name, ${name}, ${name op word}, ${#name}, ${a[i]}, ${!name}, $@, $*, $1... */
  private parameter(node: SyntaxNode, inQuotes: boolean): Piece[] {
    const text = node.text.trimStart();
    if (node.type === 'simple_expansion') {
      const name = text.slice(1);
      return this.named(name, undefined, inQuotes);
    }
    const body = text.slice(2, -1);
    // ${#name}: length
    const len = /^#([A-Za-z_]\w*|\d+|[@*])(\[(.*)\])?$/.exec(body);
    if (len) {
      if (len[2]) {
        const v = this.host.variable(len[1]);
        if (len[3] === '@' || len[3] === '*') return [{ value: known(String(arrayValues(v).length)), quoted: inQuotes }];
        const item = this.subscript(len[1], len[3]);
        return [{ value: item.unknown ? item : known(String(this.characters(item.text))), quoted: inQuotes }];
      }
      const v = this.scalar(len[1]);
      return [{ value: v.unknown ? v : known(String(this.characters(v.text))), quoted: inQuotes }];
    }
    const m = /^(!?)([A-Za-z_]\w*|\d+|[@*#?$!-])(\[([^\]]*)\])?(.*)$/s.exec(body);
    if (!m) return [{ value: unknown(text), quoted: inQuotes }];
    let [, indirect, name] = m;
    const index = m[4];
    const rest = m[5];
    if (indirect) {
      const target = this.scalar(name);
      if (target.unknown) return [{ value: target, quoted: inQuotes }];
      name = target.text;
    }
    const base = this.named(name, index, inQuotes);
    if (rest === '') return base;
    return this.operator(name, index, base, rest, node, inQuotes);
  }

  /** How many characters (not UTF-16 units) a value has, as bash counts them. */
  private characters(text: string): number {
    this.host.budget.scan(text.length);
    let n = 0;
    for (const _ of text) n++;
    return n;
  }

  private named(name: string, index: string | undefined, inQuotes: boolean): Piece[] {
    if (name === '@' || name === '*' || (index !== undefined && (index === '@' || index === '*'))) {
      const values: ShellString[] = index !== undefined
        ? arrayValues(this.host.variable(name))
        : this.host.positional();
      const all = index === '@' || name === '@';
      if (index === undefined) this.vanished.push(...this.host.vanishedArguments());
      if (inQuotes && all) {
        if (values.length === 0) return [];
        return values.map((v, i) => ({ value: v, quoted: true, breakBefore: i > 0 }));
      }
      const sep = inQuotes ? (this.host.ifs()[0] ?? '') : ' ';
      return [{ value: concat(values.flatMap((v, i) => (i ? [known(sep), v] : [v])), this.host.budget), quoted: inQuotes }];
    }
    if (index !== undefined) return [{ value: this.subscript(name, index), quoted: inQuotes }];
    return [{ value: this.scalar(name), quoted: inQuotes }];
  }

  private scalar(name: string): ShellString {
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      if (n === 0) return this.host.special('0');
      const args = this.host.positional();
      const last = args[args.length - 1];
      return args[n - 1] ?? (last?.rest ? last : known(''));
    }
    if (/^[#?$!-]$/.test(name)) return this.host.special(name);
    const v = this.host.variable(name);
    const from = v ? undefined : this.host.unreadSource();
    if (from !== undefined && !SHELL_VARIABLES.has(name)) return { text: '', assumes: [t('{0} does not set ${1}', from, name)], maybeSetBy: from };
    if (!v) {
      const given = MACHINE_VARIABLES[name];
      if (given) return { text: given.value, assumes: [given.assumption()] };
      // Never set by the script: empty, as when it runs with a clean environment (and said so).
      return SHELL_VARIABLES.has(name) ? known('') : { text: '', assumes: [t('${0} is unset, as in a clean environment', name)] };
    }
    if (v.kind === 'scalar') return v.value;
    if (v.kind === 'indexed') return v.items[0] ?? known('');
    return v.items.get('0') ?? known('');
  }

  private subscript(name: string, index: string): ShellString {
    const v = this.host.variable(name);
    if (!v) return known('');
    if (v.kind === 'assoc') {
      const key = this.expandText(index);
      return key.unknown ? key : (v.items.get(key.text) ?? known(''));
    }
    const i = this.host.arithmetic(index);
    if (i.unknown) return i;
    if (v.kind === 'scalar') return Number(i.text) === 0 ? v.value : known('');
    const n = Number(i.text);
    return v.items[n < 0 ? v.items.length + n : n] ?? known('');
  }

  /** Expands `$x` references inside text such as an associative-array key. */
  private expandText(text: string): ShellString {
    const m = /^\$\{?([A-Za-z_]\w*)\}?$/.exec(text);
    return m ? this.scalar(m[1]) : known(text.replace(/^["']|["']$/g, ''));
  }

  private operator(name: string, index: string | undefined, base: Piece[], rest: string, node: SyntaxNode, inQuotes: boolean): Piece[] {
    const value = concat(base.map((p) => p.value), this.host.budget);
    const isSet = index !== undefined || name === '@' || name === '*' || this.host.variable(name) !== undefined || /^\d+$/.test(name) && (this.host.positional().length >= Number(name) || this.host.positional().some((a) => a.rest));
    const word = (): ShellString => concat(operatorWords(node).flatMap((n) => this.pieces(n, inQuotes).map((p) => p.value)), this.host.budget);
    const piece = (v: ShellString): Piece[] => [{ value: v, quoted: inQuotes }];
    const op = /^(:?[-=+?]|##?|%%?|\/#|\/%|\/\/?|\^\^?|,,?|:)/.exec(rest)?.[0];
    if (value.unknown && op !== ':-' && op !== '-' && op !== ':=' && op !== '=') return piece(value);
    switch (op) {
      case ':-': return value.unknown ? piece(value) : value.text === '' ? piece(withAssumptions(word(), value)) : base;
      case '-': return isSet ? base : piece(withAssumptions(word(), value));
      case ':=':
      case '=': {
        if ((op === ':=' && value.text === '' && !value.unknown) || (op === '=' && !isSet)) {
          const w = withAssumptions(word(), value);
          this.host.assign(name, w);
          return piece(w);
        }
        return base;
      }
      case ':+': return value.text === '' ? piece(known('')) : piece(word());
      case '+': return isSet ? piece(word()) : piece(known(''));
      case ':?':
      case '?': return base;
      case '#':
      case '##':
      case '%':
      case '%%': {
        const pattern = this.patternText(node, op) ?? word();
        if (pattern.unknown) return piece(pattern);
        return piece(known(trimPattern(value.text, pattern.text, op, this.host.budget)));
      }
      case '/':
      case '//':
      case '/#':
      case '/%': {
        const [pat, rep] = replaceParts(node, this, inQuotes, this.host.budget);
        if (pat.unknown || rep.unknown) return piece(pat.unknown ? pat : rep);
        return piece(known(replacePattern(value.text, pat.text, rep.text, op, this.host.budget)));
      }
    }
    this.host.budget.scan(value.text.length);
    switch (op) {
      case '^^': return piece(known(value.text.toUpperCase()));
      case '^': return piece(known(value.text.charAt(0).toUpperCase() + value.text.slice(1)));
      case ',,': return piece(known(value.text.toLowerCase()));
      case ',': return piece(known(value.text.charAt(0).toLowerCase() + value.text.slice(1)));
      case ':': {
        const m = /^:\s*(-?\d+|[^:]+)(?::\s*(-?\d+|.+))?$/.exec(rest);
        if (!m) return piece(unknown(node.text.trimStart()));
        const off = this.host.arithmetic(m[1]);
        const len = m[2] === undefined ? undefined : this.host.arithmetic(m[2]);
        if (off.unknown || len?.unknown) return piece(unknown(node.text.trimStart()));
        const chars = [...value.text];
        let start = Number(off.text);
        if (start < 0) start = Math.max(0, chars.length + start);
        const count = len === undefined ? chars.length : Number(len.text) < 0 ? chars.length - start + Number(len.text) : Number(len.text);
        return piece(known(chars.slice(start, start + count).join('')));
      }
      default:
        return piece(unknown(node.text.trimStart()));
    }
  }

  /**
   * A trim pattern as written, when it is plain text: tree-sitter drops a
   * leading space from `${v%% *}`, which changes what it matches.
   */
  private patternText(node: SyntaxNode, op: string): ShellString | undefined {
    const body = node.text.trimStart().slice(2, -1);
    const at = body.indexOf(op, body.search(/[#%]/) === 0 && op.startsWith('#') ? 1 : 0);
    const raw = at < 0 ? undefined : body.slice(at + op.length);
    return raw !== undefined && !/[$`"'\\]/.test(raw) ? known(raw) : undefined;
  }

  /** Public for replaceParts: pieces of a child node. */
  piecesOf(node: SyntaxNode, inQuotes: boolean): ShellString {
    return concat(this.pieces(node, inQuotes).map((p) => p.value), this.host.budget);
  }
}

/** Text as the script writes it, with where, when that is known. */
function written(text: string, source: Span | undefined): ShellString {
  return source ? { text, source } : known(text);
}

/** Variables every root shell has: their usual value, said to be assumed. */
// Assumptions are functions: the language is only known once the server or CLI has started.
const MACHINE_VARIABLES: Record<string, { value: string; assumption: () => string }> = {
  HOME: { value: '/root', assumption: () => t('$HOME is /root (the script runs as root)') },
  USER: { value: 'root', assumption: () => t('$USER is root (the script runs as root)') },
  LOGNAME: { value: 'root', assumption: () => t('$LOGNAME is root (the script runs as root)') },
  UID: { value: '0', assumption: () => t('$UID is 0 (the script runs as root)') },
  EUID: { value: '0', assumption: () => t('$EUID is 0 (the script runs as root)') },
  PATH: { value: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', assumption: () => t('$PATH is the usual system path') },
};

/** Variables bash itself provides: never "assumed unset". */
const SHELL_VARIABLES = new Set(['HOME', 'PATH', 'PWD', 'OLDPWD', 'SHELL', 'USER', 'LOGNAME', 'HOSTNAME', 'UID', 'EUID', 'BASH', 'BASH_VERSION', 'RANDOM', 'LINENO', 'SECONDS', 'PPID', 'OPTIND', 'OPTARG', 'REPLY', 'LANG', 'LC_ALL', 'TERM']);

/** A default used because a variable was unset keeps the assumption that it was. */
function withAssumptions(word: ShellString, from: ShellString): ShellString {
  if (!from.assumes) return word;
  const out: ShellString = { ...word, assumes: [...new Set([...(word.assumes ?? []), ...from.assumes])] };
  if (from.maybeSetBy) out.maybeSetBy = from.maybeSetBy;
  return out;
}

/** The nodes after the operator token in ${name op word}. */
function operatorWords(node: SyntaxNode): SyntaxNode[] {
  const kids = node.children.filter((c): c is SyntaxNode => c !== null);
  const opAt = kids.findIndex((c) => /^(:?[-=+?]|##?|%%?|\/\/?|\/#|\/%|\^\^?|,,?)$/.test(c.type));
  return opAt < 0 ? [] : kids.slice(opAt + 1).filter((c) => c.type !== '}');
}

function replaceParts(node: SyntaxNode, expander: Expander, inQuotes: boolean, meter: Meter): [ShellString, ShellString] {
  const kids = node.children.filter((c): c is SyntaxNode => c !== null && c.type !== '}' && c.type !== '${');
  const opAt = kids.findIndex((c) => /^(\/\/?|\/#|\/%)$/.test(c.type));
  const rest = kids.slice(opAt + 1);
  const slash = rest.findIndex((c) => c.type === '/');
  const patNodes = slash < 0 ? rest : rest.slice(0, slash);
  const repNodes = slash < 0 ? [] : rest.slice(slash + 1);
  const join = (nodes: SyntaxNode[]) => concat(nodes.map((n) => (n.type === 'regex' ? known(n.text) : expander.piecesOf(n, inQuotes))), meter);
  return [join(patNodes), join(repNodes)];
}

function arrayValues(v: VariableValue | undefined): ShellString[] {
  if (!v) return [];
  if (v.kind === 'scalar') return [v.value];
  if (v.kind === 'indexed') return v.items.filter((x): x is ShellString => x !== undefined);
  return [...v.items.values()];
}

function arithmeticText(tgt: string): string {
  return tgt.startsWith('$((') ? tgt.slice(3, -2) : tgt.startsWith('$[') ? tgt.slice(2, -1) : tgt;
}

function containsAny(text: string, chars: string): boolean {
  for (let i = 0; i < chars.length; i++) if (text.includes(chars[i])) return true;
  return false;
}

/** Outside quotes, a backslash keeps the next character literally. */
function unescapeWord(text: string): string {
  return text.includes('\\') ? text.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1') : text;
}

/** Inside "...", a backslash only escapes $ ` " \ and newline. */
function unescapeDouble(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
}

function ansiC(text: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"' };
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return map[e] ?? '\\' + e;
  });
}

/** `${x#pat}` `##` `%` `%%`: the value without its shortest or longest prefix or suffix that matches. */
function trimPattern(value: string, pattern: string, op: string, meter: Meter): string {
  if (op === '#' || op === '##') {
    const end = globPattern(pattern).longestAt(value, 0, meter, op === '#');
    return end < 0 ? value : value.slice(end);
  }
  const length = suffixGlobPattern(pattern).longestSuffix(value, meter, op === '%');
  return length < 0 ? value : value.slice(0, value.length - length);
}

/**
 * `${x/pat/rep}` and its forms: the leftmost longest match (`/`), every one
 * from left to right (`//`), the longest at the start (`/#`) or at the end
 * (`/%`). The result is measured as it grows.
 */
function replacePattern(value: string, pattern: string, replacement: string, op: string, meter: Meter): string {
  if (op === '/#') {
    const end = globPattern(pattern).longestAt(value, 0, meter);
    return end < 0 ? value : replacement + value.slice(end);
  }
  if (op === '/%') {
    const length = suffixGlobPattern(pattern).longestSuffix(value, meter);
    return length < 0 ? value : value.slice(0, value.length - length) + replacement;
  }
  return pattern === '' ? value : replaceMatches(globPattern(pattern), value, replacement, op === '//', meter);
}

/** The first brace group of a word's literal text: how many words it makes, and the k-th of them. */
interface BraceGroup {
  piece: number;
  at: number;
  length: number;
  count: number;
  item(k: number): string;
}

function firstBraceGroup(pieces: Piece[], meter: Meter): BraceGroup | undefined {
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (!p.literal) continue;
    meter.scan(p.value.text.length);
    const m = /\{([^{}]*(?:,|\.\.)[^{}]*)\}/.exec(p.value.text);
    if (!m) continue;
    const inner = m[1];
    const group = { piece: i, at: m.index, length: m[0].length };
    const range = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(inner) ?? /^([a-zA-Z])\.\.([a-zA-Z])$/.exec(inner);
    if (range) {
      const alpha = /[a-zA-Z]/.test(range[1]);
      const from = alpha ? range[1].charCodeAt(0) : Number(range[1]);
      const to = alpha ? range[2].charCodeAt(0) : Number(range[2]);
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return undefined;
      const step = (Math.abs(Number(range[3] ?? 1)) || 1) * (from <= to ? 1 : -1);
      const count = Math.floor((to - from) / step) + 1;
      return { ...group, count, item: (k) => (alpha ? String.fromCharCode(from + k * step) : String(from + k * step)) };
    }
    if (!inner.includes(',')) return undefined;
    const items = inner.split(',');
    return { ...group, count: items.length, item: (k) => items[k] };
  }
  return undefined;
}

function withBraceItem(pieces: Piece[], g: BraceGroup, item: string): Piece[] {
  const p = pieces[g.piece];
  const text = p.value.text;
  const out = pieces.slice();
  out[g.piece] = { ...p, value: known(text.slice(0, g.at) + item + text.slice(g.at + g.length)) };
  return out;
}

/**
 * Brace expansion of literal parts: {a,b,c} and {1..5}. The words are
 * counted before any is made; then made depth first, in bash's order.
 */
function braceExpand(pieces: Piece[], meter: Meter): Piece[][] {
  let words = 1;
  for (let probe = pieces, g = firstBraceGroup(probe, meter); g; probe = withBraceItem(probe, g, g.item(0)), g = firstBraceGroup(probe, meter)) {
    words *= g.count;
    meter.range(words, t('a brace expansion'));
  }
  const out: Piece[][] = [];
  const stack = [pieces];
  while (stack.length) {
    const word = stack.pop()!;
    const g = firstBraceGroup(word, meter);
    if (!g) {
      out.push(word);
      continue;
    }
    for (let k = g.count - 1; k >= 0; k--) stack.push(withBraceItem(word, g, g.item(k)));
  }
  return out;
}

export { known };
