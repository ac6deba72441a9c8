// What `iptables-lint`, `iptables-trace` and `iptables-diff` start as: a few lines that run the
// command's bundle (`cli.main.js` next to `cli.js`) from V8's code cache of it, which the build
// makes after a warm-up run (scripts/bundles.mjs). Node compiles a 1.3 MB bundle in 25-35 ms, a
// quarter of an empty file's whole run, and a large file's run compiles every function it calls
// on first use: from the cache, both are read ready-made.
// V8 accepts the cache only from its own version, run with the V8 flags it was made with (the
// CLIs' `#!` line, V8_FLAGS) and for a source of the same length; otherwise it compiles as usual.
import { readFileSync, writeFileSync } from 'node:fs';
import { wrap } from 'node:module';
import { dirname } from 'node:path';
import { constants, Script } from 'node:vm';

/** Set by the build's warm-up run only: write the cache as the run ends, from what the run compiled. */
const WRITE_CACHE = 'IPTABLES_VSCODE_WRITE_CODE_CACHE';

function runBundle(bundle: string): void {
  const cacheFile = bundle.replace(/\.js$/, '.cache');
  const writing = process.env[WRITE_CACHE] === '1';
  let cachedData: Buffer | undefined;
  if (!writing) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache (a build without one, or removed by a rebuild in watch mode): compile.
    }
  }
  // esbuild writes ASCII only (it escapes the rest), which Latin-1 reads faster than UTF-8.
  const source = readFileSync(bundle, 'latin1');
  const script = new Script(wrap(source), { filename: bundle, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (writing) process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));
}

runBundle(__filename.replace(/\.js$/, '.main.js'));
