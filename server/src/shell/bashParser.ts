// The bash grammar bash-language-server uses (tree-sitter-bash), through
// web-tree-sitter. Loaded once, on first use: activation never pays for it.
// Pure: the caller hands in the two WebAssembly files (Node reads them from
// disk, a browser would fetch them).
import { Language, Node as SyntaxNode, ParseOptions, Parser, Tree } from 'web-tree-sitter';
import { t } from '../l10n';
import { PlainLine, readPlainLine } from './plainCommands';

export interface BashWasm {
  treeSitter: Uint8Array;
  bash: Uint8Array;
}

export type { Node as SyntaxNode, Tree } from 'web-tree-sitter';

let ready: Promise<Parser> | undefined;

export function bashParser(load: () => BashWasm): Promise<Parser> {
  ready ??= (async () => {
    const wasm = load();
    await Parser.init({ wasmBinary: wasm.treeSitter } as object);
    const parser = new Parser();
    parser.setLanguage(await Language.load(wasm.bash));
    return parser;
  })();
  return ready;
}

/** The text each tree was parsed from, before avoidGrammarBugs. */
const originals = new WeakMap<Tree, string>();

export function parseBash(parser: Parser, text: string): Tree {
  return parseMasked(parser, avoidGrammarBugs(text), text);
}

/** The tree of `masked` (avoidGrammarBugs of `text`), or of the ranges of it given. */
function parseMasked(parser: Parser, masked: string, text: string, options?: ParseOptions): Tree {
  const tree = parser.parse(masked, null, options);
  if (!tree) throw new Error(t('tree-sitter could not parse the script'));
  originals.set(tree, text);
  return tree;
}

/**
 * Characters of a script parsed at a time (a few ms): a piece's tree is freed
 * once it has run, so the tree of a whole long script is never in memory.
 */
export const PIECE_LENGTH = 1 << 14;

/** Top-level statements, each whole, and the tree of the piece of text they are in. */
export interface TreePiece {
  kind: 'tree';
  tree: Tree;
  statements: SyntaxNode[];
}

/** Top-level lines that are plain commands or comments (plainCommands.ts), read without a tree. */
export interface PlainPiece {
  kind: 'plain';
  lines: PlainLine[];
}

export type Piece = TreePiece | PlainPiece;

/** Plain lines in a row worth reading without tree-sitter (fewer are parsed with the text around them). */
const PLAIN_RUN = 8;

/**
 * A script's top-level statements, parsed a piece of text at a time. A piece
 * is cut at the end of a line not continued by a backslash. Its last
 * statement, a statement with a syntax error (an `if` whose `fi` is past the
 * cut) and whatever follows, and a statement that ends on the line where
 * those begin (`echo "a` is read as `echo` and an error), may be misread for
 * want of the text after the cut: they begin the next piece. A piece that
 * keeps no statement is parsed again twice as long, up to the whole rest
 * (one statement as long as the script, or a syntax error that runs on).
 *
 * Given which tools a plain line may name, lines that are plain commands
 * (plainCommands.ts) are read without tree-sitter where at least PLAIN_RUN of
 * them follow each other at the top level. As for a parsed piece, the last
 * line of such a run is left for what follows it to be read with it, and a
 * parsed piece ends after the first line of the next run.
 */
export class ScriptPieces {
  private at = 0;
  private point = { row: 0, column: 0 };
  private readonly masked: string;

  constructor(private readonly parser: Parser, private readonly text: string, private readonly pieceLength = PIECE_LENGTH) {
    this.masked = avoidGrammarBugs(text);
  }

  next(tool?: (name: string) => boolean): Piece | undefined {
    if (this.at >= this.text.length) return undefined;
    const plain = tool && this.plainRun(tool);
    if (plain) return plain;
    let end = this.cutAfter(this.at + this.pieceLength);
    if (tool) end = Math.min(end, this.beforePlainRun(tool, end));
    for (;;) {
      const tree = parseMasked(this.parser, this.masked, this.text, { includedRanges: [{ startIndex: this.at, endIndex: end, startPosition: this.point, endPosition: this.pointAt(end) }] });
      const root = tree.rootNode;
      const children = root.namedChildren.filter((c): c is SyntaxNode => c !== null);
      // A root that is itself an error (a loop whose `done` is past the cut) holds pieces of statements.
      const whole = end >= this.text.length ? children.length : root.isError ? 0 : wholeStatements(children);
      if (whole === 0 && end < this.text.length) {
        tree.delete();
        end = this.cutAfter(this.at + 2 * (end - this.at));
        continue;
      }
      const rest = children[whole];
      if (rest) {
        this.at = rest.startIndex;
        this.point = rest.startPosition;
      } else this.at = this.text.length;
      return { kind: 'tree', tree, statements: children.slice(0, whole) };
    }
  }

  /** The plain lines from here (at the start of a line), when there are enough of them in a row. */
  private plainRun(tool: (name: string) => boolean): PlainPiece | undefined {
    const text = this.text;
    const lineStart = this.at - this.point.column;
    if (text.slice(lineStart, this.at).trim() !== '') return undefined;
    const lines: PlainLine[] = [];
    let from = lineStart;
    let row = this.point.row;
    // Where the last line with a statement starts: the line after it is not read yet when the run ends.
    let lastFrom = from;
    while (from < text.length && from - lineStart < this.pieceLength) {
      let nl = text.indexOf('\n', from);
      if (nl < 0) nl = text.length;
      const line = readPlainLine(text, from, nl, row, tool, []);
      if (!line) break;
      if (line.words.length || line.commentStart >= 0) {
        lines.push(line);
        lastFrom = from;
      }
      from = nl + 1;
      row++;
    }
    const toEnd = from >= text.length;
    if (!toEnd && lines.length) {
      const last = lines.pop()!;
      from = lastFrom;
      row = last.row;
    }
    if (!toEnd && lines.length < PLAIN_RUN) return undefined;
    this.at = Math.min(from, text.length);
    this.point = { row, column: 0 };
    return { kind: 'plain', lines };
  }

  /** Just after the first line of the first run of plain lines after this line, or `limit`. */
  private beforePlainRun(tool: (name: string) => boolean, limit: number): number {
    const text = this.text;
    let from = text.indexOf('\n', this.at) + 1;
    let run = 0;
    let firstEnd = 0;
    while (from > 0 && from < limit) {
      let nl = text.indexOf('\n', from);
      if (nl < 0) nl = text.length;
      const line = readPlainLine(text, from, nl, 0, tool);
      if (!line) run = 0;
      else if (line.commentStart >= 0 || readsWords(text, from, nl)) {
        if (run++ === 0) firstEnd = nl + 1;
        if (run > PLAIN_RUN) return Math.min(firstEnd, limit);
      }
      from = nl + 1;
    }
    return limit;
  }

  /** Just after the first line end at or past `at` that no backslash continues (or the end of the text). */
  private cutAfter(at: number): number {
    for (let i = this.text.indexOf('\n', at); i >= 0; i = this.text.indexOf('\n', i + 1)) {
      if (this.text[i - 1] !== '\\') return i + 1;
    }
    return this.text.length;
  }

  /** The row and column of `index`, at or after the piece's start. */
  private pointAt(index: number): { row: number; column: number } {
    let { row } = this.point;
    let lineStart = this.at - this.point.column;
    for (let i = this.text.indexOf('\n', this.at); i >= 0 && i < index; i = this.text.indexOf('\n', i + 1)) {
      row++;
      lineStart = i + 1;
    }
    return { row, column: index - lineStart };
  }
}

/** Whether a line that is plain holds a word (is not blank). */
function readsWords(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return true;
  }
  return false;
}

/** How many of a cut piece's top-level statements are surely read as the whole text reads them. */
function wholeStatements(children: SyntaxNode[]): number {
  let whole = children.findIndex((c) => c.hasError);
  if (whole < 0 || whole > children.length - 1) whole = children.length - 1;
  while (whole > 0 && children[whole - 1].endPosition.row >= children[whole].startPosition.row) whole--;
  return whole;
}

/** A node's text as it was written (the parser reads a copy with a few spans blanked). */
export function sourceText(node: SyntaxNode): string {
  return originals.get(node.tree)?.slice(node.startIndex, node.endIndex) ?? node.text;
}

/**
 * Works around misparses of tree-sitter-bash without moving any column:
 * a command that starts with a backslash (`\iptables`) is glued to the line
 * before it, and a comment in backquotes (`` `# note` ``) swallows the rest of
 * the line. The backslash only skips aliases, and the comment expands to
 * nothing, so blanks mean the same to the shell. An operator held in a
 * variable (`$(( -1 $LEFTSHIFT 8 ))`, in Shorewall's compiled scripts) is a
 * syntax error to the grammar, which then takes the rest of the file for one
 * function: it is read as `+`, and the arithmetic is evaluated from the
 * text as written (sourceText).
 */
function avoidGrammarBugs(text: string): string {
  return maskOperatorVariables(text
    .replace(/^([ \t]*)\\(?=[A-Za-z_])/gm, '$1 ')
    .replace(/`#[^`\n]*`/g, (m) => ' '.repeat(m.length)));
}

/** `$NAME` between two operands of a `$(( ))`, as `+` and blanks of the same length. */
function maskOperatorVariables(text: string): string {
  if (!text.includes('$((')) return text;
  return text.replace(/([\w)][ \t]+)(\$\{?[A-Za-z_]\w*\}?)(?=[ \t]+[\w$(-])/g, (m, before: string, name: string, at: number) =>
    (insideArithmetic(text, at) ? before + '+' + ' '.repeat(name.length - 1) : m));
}

/** Whether position `at` is inside a `$(( ))` that opens on the same line. */
function insideArithmetic(text: string, at: number): boolean {
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const open = text.lastIndexOf('$((', at);
  if (open < lineStart) return false;
  let depth = 0;
  for (let i = open + 1; i < at; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
  }
  return depth >= 2;
}

/** The first node of a type in a tree, depth first (without recursion: a tree can be deep). */
export function findNode(root: SyntaxNode, type: string): SyntaxNode | undefined {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === type) return node;
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (c) stack.push(c);
    }
  }
  return undefined;
}
