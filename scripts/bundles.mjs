// The esbuild bundles of the extension: the client, the language server, the trace panel's
// webview and the CLIs, and the TextMate grammars generated from the knowledge base.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Builds (or watches) the bundles under `outRoot` (the repository by default).
 * `production`: minified, no source maps, and only what the .vsix ships.
 */
export async function buildBundles({ production = false, watch = false, outRoot = '.' } = {}) {
  // The language server and the CLIs start with the V8 flags they are measured with (server/src/node/v8Flags.ts).
  const v8Flags = JSON.parse(readFileSync('server/src/node/v8Flags.json', 'utf8'));
  const executable = { banner: { js: `#!/usr/bin/env -S node ${v8Flags.cli.join(' ')}` } };
  const serverExecutable = { banner: { js: `#!/usr/bin/env -S node ${v8Flags.server.join(' ')}` } };
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  };
  const builds = [
    { ...common, entryPoints: ['client/src/extension.ts'], outfile: join(outRoot, 'client/out/extension.js'), external: ['vscode'] },
    { ...common, ...cjsTreeSitter, ...serverExecutable, entryPoints: ['server/src/lsp/server.ts'], outfile: join(outRoot, 'server/out/server.js') },
    // The trace panel's page: the engine runs there, in the browser.
    {
      ...common, platform: 'browser', format: 'iife', target: 'es2022',
      entryPoints: ['client/webview/main.ts'], outfile: join(outRoot, 'client/out/webview.js'),
    },
    { ...common, platform: 'browser', entryPoints: ['client/webview/style.css'], outfile: join(outRoot, 'client/out/webview.css') },
  ];
  if (!production) {
    builds.push(
      { ...common, ...cjsTreeSitter, ...executable, entryPoints: ['server/src/cli/lint.ts'], outfile: join(outRoot, 'server/out/cli.js') },
      { ...common, ...cjsTreeSitter, ...executable, entryPoints: ['server/src/cli/trace.ts'], outfile: join(outRoot, 'server/out/trace.js') },
      { ...common, ...cjsTreeSitter, ...executable, entryPoints: ['server/src/cli/diff.ts'], outfile: join(outRoot, 'server/out/diff.js') },
    );
  }
  copyBashGrammar(outRoot);
  copyPanelAssets(outRoot);
  await buildGrammars(outRoot);
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
  } else {
    await Promise.all(builds.map((b) => esbuild.build(b)));
    // esbuild marks a new bundle with a shebang executable, but not one it overwrites.
    const { bin } = JSON.parse(readFileSync('package.json', 'utf8'));
    for (const entry of Object.values(bin)) {
      const file = join(outRoot, entry);
      if (existsSync(file)) chmodSync(file, 0o755);
    }
  }
}

/**
 * web-tree-sitter's ES module build needs import.meta.url, which a CommonJS
 * bundle does not have: bundle its CommonJS build instead.
 */
const cjsTreeSitter = { alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' } };

/** The server parses shell scripts with tree-sitter-bash: its two WebAssembly files go next to the bundle. */
function copyBashGrammar(outRoot) {
  const require = createRequire(import.meta.url);
  mkdirSync(join(outRoot, 'server/out'), { recursive: true });
  copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), join(outRoot, 'server/out/tree-sitter.wasm'));
  copyFileSync(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'), join(outRoot, 'server/out/tree-sitter-bash.wasm'));
}

/** The trace panel's icon font (codicons, as VS Code's own UI has them) and the editor's gutter icons. */
function copyPanelAssets(outRoot) {
  const require = createRequire(import.meta.url);
  const codicons = join(outRoot, 'client/out/codicons');
  mkdirSync(codicons, { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(require.resolve(`@vscode/codicons/dist/${f}`), join(codicons, f));
  mkdirSync(join(outRoot, 'client/out/media'), { recursive: true });
  for (const f of ['trace-hit.svg', 'trace-decider.svg']) copyFileSync(join('client/media', f), join(outRoot, 'client/out/media', f));
}

/** Writes syntaxes/*.tmLanguage.json from server/src/grammar/tmGrammars.ts. */
async function buildGrammars(outRoot = '.') {
  const dir = mkdtempSync(join(tmpdir(), 'iptables-grammars-'));
  try {
    const outfile = join(dir, 'tmGrammars.cjs');
    await esbuild.build({ entryPoints: ['server/src/grammar/tmGrammars.ts'], outfile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
    const { saveFileGrammar, shellInjectionGrammar } = createRequire(import.meta.url)(outfile);
    mkdirSync(join(outRoot, 'syntaxes'), { recursive: true });
    writeFileSync(join(outRoot, 'syntaxes', 'iptables.tmLanguage.json'), JSON.stringify(saveFileGrammar(), null, 2) + '\n');
    writeFileSync(join(outRoot, 'syntaxes', 'iptables-shell.tmLanguage.json'), JSON.stringify(shellInjectionGrammar(), null, 2) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
