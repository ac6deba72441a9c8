// The TextMate grammars as VS Code loads them: ours from the paths package.json gives (the files
// the build writes), VS Code's own shell grammar from the code-server install of the editor
// tests, tokenized with the vscode-textmate and Oniguruma that VS Code uses.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as tm from 'vscode-textmate';
import { REPO } from './shared';

interface GrammarContribution {
  scopeName: string;
  path: string;
  injectTo?: string[];
}

export const SHELL_SCOPE = 'source.shell';

/** Where code-server keeps VS Code's shellscript grammar (see scripts/vscode/codeServer.mjs). */
export async function shellGrammarPath(): Promise<string> {
  const { codeServerCacheDir } = await import('../../scripts/vscode/codeServer.mjs');
  return path.join(codeServerCacheDir(), 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'shellscript', 'syntaxes', 'shell-unix-bash.tmLanguage.json');
}

/** A reason to skip the shell tests, or undefined when VS Code's shell grammar is here. */
export async function shellGrammarMissing(): Promise<string | undefined> {
  const file = await shellGrammarPath();
  return existsSync(file) ? undefined
    : `VS Code's shell grammar comes with code-server, which is not installed (${file}); npm run test:e2e or npm start installs it`;
}

let onigLib: Promise<tm.IOnigLib> | undefined;

function loadOniguruma(): Promise<tm.IOnigLib> {
  onigLib ??= (async () => {
    const wasm = readFileSync(path.join(REPO, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    return {
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    };
  })();
  return onigLib;
}

export function contributedGrammars(): GrammarContribution[] {
  const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  return manifest.contributes.grammars;
}

/** Our grammars as the build wrote them, plus VS Code's shell grammar when it is installed. */
export async function createRegistry(): Promise<tm.Registry> {
  const grammars = new Map<string, () => tm.IRawGrammar>();
  const injections = new Map<string, string[]>();
  const read = (file: string) => () => tm.parseRawGrammar(readFileSync(file, 'utf8'), file);
  for (const g of contributedGrammars()) {
    const file = path.join(REPO, g.path);
    if (!existsSync(file)) throw new Error(`${g.path} is missing: npm run build writes it`);
    grammars.set(g.scopeName, read(file));
    for (const host of g.injectTo ?? []) injections.set(host, [...(injections.get(host) ?? []), g.scopeName]);
  }
  const shell = await shellGrammarPath();
  if (existsSync(shell)) grammars.set(SHELL_SCOPE, read(shell));
  return registryOf(grammars, injections);
}

/** A registry over grammars by scope name, with the injections each host scope receives. */
export function registryOf(grammars: ReadonlyMap<string, () => tm.IRawGrammar>, injections: ReadonlyMap<string, string[]>): tm.Registry {
  return new tm.Registry({
    onigLib: loadOniguruma(),
    loadGrammar: async (scopeName) => grammars.get(scopeName)?.() ?? null,
    getInjections: (scopeName) => injections.get(scopeName),
  });
}

export interface Token {
  text: string;
  start: number;
  end: number;
  scopes: string[];
}

/** Every line's tokens. */
export function tokenize(grammar: tm.IGrammar, text: string): Token[][] {
  let stack = tm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), start: t.startIndex, end: t.endIndex, scopes: t.scopes }));
  });
}
