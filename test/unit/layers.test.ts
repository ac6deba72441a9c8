// The folders of server/src are stages of one data flow: imports between them go one
// way, the core (everything but the Node and LSP adapters) runs anywhere, and the
// trace panel's page reaches the server only through the core and the contract.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';

const SERVER = path.join(REPO, 'server', 'src');
/** The folders that may use Node and the editor's protocol libraries. */
const ADAPTERS = new Set(['cli', 'lsp', 'node']);

interface Import { file: string; specifier: string; target: string }

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Every module a file names in an import, an `export ... from` or an `import()`. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*'([^']+)'|^\s*import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)) {
    const specifier = m[1] ?? m[2] ?? m[3];
    found.push({ file, specifier, target: specifier.startsWith('.') ? path.resolve(path.dirname(file), specifier) : specifier });
  }
  return found;
}

/** The server folder a path is in ('' for the files at the top of server/src), or undefined outside it. */
function folderOf(file: string): string | undefined {
  const relative = path.relative(SERVER, file);
  if (relative.startsWith('..')) return undefined;
  const parts = relative.split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}

const isNode = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);
const isEditor = (specifier: string) => specifier === 'vscode' || specifier.startsWith('vscode-languageserver') || specifier.startsWith('vscode-languageclient');
const name = (file: string) => path.relative(REPO, file);

const serverImports = sources(SERVER).flatMap(importsOf);

test('the folders of server/src import each other one way only (no cycle, so shell/ never imports analysis/)', () => {
  const edges = new Map<string, Map<string, string>>();
  for (const i of serverImports) {
    const from = folderOf(i.file)!;
    const to = folderOf(i.target);
    if (to === undefined || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${name(i.file)} imports '${i.specifier}'`);
  }
  assert.ok(edges.get('analysis')?.has('shell'), 'analysis/ reads what shell/ evaluates');
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string, way: string[]): void => {
    if (state.get(folder) === 'done') return;
    if (state.get(folder) === 'open') {
      const loop = way.slice(way.indexOf(folder));
      cycles.push([...loop, folder].map((f, k, all) => (k + 1 < all.length ? edges.get(f)!.get(all[k + 1])! : '')).filter(Boolean).join('; '));
      return;
    }
    state.set(folder, 'open');
    for (const next of edges.get(folder)?.keys() ?? []) visit(next, [...way, folder]);
    state.set(folder, 'done');
  };
  for (const folder of edges.keys()) visit(folder, []);
  assert.deepEqual(cycles, []);
});

test('nothing outside cli/, lsp/ and node/ imports Node built-ins or the editor libraries', () => {
  const wrong = serverImports
    .filter((i) => !ADAPTERS.has(folderOf(i.file)!) && (isNode(i.specifier) || isEditor(i.specifier)))
    .map((i) => `${name(i.file)} imports '${i.specifier}'`);
  assert.deepEqual(wrong, []);
});

test('the trace panel\'s page imports neither the adapters (lsp/, node/, cli/) nor Node or the editor', () => {
  const page = sources(path.join(REPO, 'client', 'webview')).flatMap(importsOf);
  assert.ok(page.some((i) => folderOf(i.target) === 'protocol'), 'the page reads the contract');
  const wrong = page
    .filter((i) => ADAPTERS.has(folderOf(i.target) ?? '') || isNode(i.specifier) || isEditor(i.specifier))
    .map((i) => `${name(i.file)} imports '${i.specifier}'`);
  assert.deepEqual(wrong, []);
});
