// The esbuild bundles of the extension: the client, the language server, the trace panel's
// webview and the CLIs, and the TextMate grammars generated from the knowledge base.
import { spawnSync } from 'node:child_process';
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
    // Each command is its launcher (server/src/node/launch.ts) and, next to it, its bundle and code cache.
    for (const { entry, bin } of COMMANDS) {
      builds.push(
        { ...common, ...executable, entryPoints: ['server/src/node/launch.ts'], outfile: join(outRoot, `server/out/${bin}.js`) },
        { ...common, ...cjsTreeSitter, entryPoints: [`server/src/cli/${entry}.ts`], outfile: join(outRoot, `server/out/${bin}.main.js`), plugins: watch ? [staleCacheRemoved] : [] },
      );
    }
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
    if (!production) for (const command of COMMANDS) writeCodeCache(outRoot, command, v8Flags.cli);
  }
}

/** The command lines: their source under server/src/cli/, their executable under server/out/, and a run that calls what a typical run does. */
const COMMANDS = [
  { entry: 'lint', bin: 'cli', warmUp: ['examples/rules.v4', 'examples/mistakes.rules', 'examples/ip6tables.rules'] },
  { entry: 'trace', bin: 'trace', warmUp: ['examples/rules.v4', '--packet', 'tcp 198.51.100.7:40000 -> 203.0.113.1:80 in eth0 syn'] },
  { entry: 'diff', bin: 'diff', warmUp: ['examples/rules.v4', 'examples/mistakes.rules'] },
];

/**
 * A command's code cache (server/src/node/launch.ts): its warm-up run, with the V8 flags of its `#!`
 * line (V8 refuses a cache made with others), writes what it compiled.
 */
function writeCodeCache(outRoot, { bin, warmUp }, flags) {
  const cache = join(outRoot, `server/out/${bin}.main.cache`);
  rmSync(cache, { force: true });
  spawnSync(process.execPath, [...flags, join(outRoot, `server/out/${bin}.js`), ...warmUp], { stdio: 'ignore', env: { ...process.env, IPTABLES_VSCODE_WRITE_CODE_CACHE: '1' } });
  if (!existsSync(cache)) throw new Error(`the warm-up run of server/out/${bin}.js wrote no code cache`);
}

/** In watch mode a rebuilt bundle would meet the cache of the one before, which V8 may take if only their lengths are alike: removed. */
const staleCacheRemoved = {
  name: 'stale-code-cache',
  setup(build) {
    build.onEnd(() => rmSync(build.initialOptions.outfile.replace(/\.js$/, '.cache'), { force: true }));
  },
};

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
