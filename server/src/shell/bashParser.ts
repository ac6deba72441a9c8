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

export function parseBash(parser: Parser, text: string): Tree {
  const tree = parser.parse(avoidGrammarBugs(text));
  if (!tree) throw new Error(t('tree-sitter could not parse the script'));
  return tree;
}

/**
 * Works around two misparses of tree-sitter-bash without moving any column:
 * a command that starts with a backslash (`\iptables`) is glued to the line
 * before it, and a comment in backquotes (`` `# note` ``) swallows the rest of
 * the line. The backslash only skips aliases, and the comment expands to
 * nothing, so blanks mean the same to the shell.
 */
function avoidGrammarBugs(text: string): string {
  return text
    .replace(/^([ \t]*)\\(?=[A-Za-z_])/gm, '$1 ')
    .replace(/`#[^`\n]*`/g, (m) => ' '.repeat(m.length));
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
