// The bash grammar bash-language-server uses (tree-sitter-bash), through
// web-tree-sitter. Loaded once, on first use: activation never pays for it.
// Pure: the caller hands in the two WebAssembly files (Node reads them from
// disk, a browser would fetch them).
import { Language, Node as SyntaxNode, Parser, Tree } from 'web-tree-sitter';
import { t } from '../l10n';

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
  const tree = parser.parse(avoidGrammarBugs(text));
  if (!tree) throw new Error(t('tree-sitter could not parse the script'));
  originals.set(tree, text);
  return tree;
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
