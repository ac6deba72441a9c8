// The two WebAssembly files of the bash grammar, read from disk: next to the
// bundle in a packaged extension (the build copies them there), else from
// node_modules (tests, development).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { bashParser, BashWasm } from '../shell/bashParser';

function wasm(file: string, module: string): Uint8Array {
  const bundled = path.join(__dirname, file);
  return readFileSync(existsSync(bundled) ? bundled : require.resolve(module));
}

function readBashWasm(): BashWasm {
  return {
    treeSitter: wasm('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'),
    bash: wasm('tree-sitter-bash.wasm', 'tree-sitter-bash/tree-sitter-bash.wasm'),
  };
}

/** The bash parser, loaded on first use. */
export function nodeBashParser(): Promise<Parser> {
  return bashParser(readBashWasm);
}
