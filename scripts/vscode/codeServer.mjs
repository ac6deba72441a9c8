// A real VS Code for this machine: code-server 4.100.3 (VS Code 1.100.3, web workbench + Node
// extension host), installed from npm into a per-user cache and started on the loopback interface.
// Used by `npm start` and by the end-to-end tests. The recipe, and why each step is there, is in
// shared/notes/real-vscode-offline.md; the comments below only repeat what explains the code.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// The last code-server whose engines.node is 20 (newer ones want Node 22 or 24, and its
// postinstall refuses any other major). Bump it together with the Node version of the project.
const VERSION = '4.100.3';
const NODE_MAJOR = 20;
// code-server's lib/vscode/npm-shrinkwrap.json pins @vscode/ripgrep 1.15.11, whose postinstall
// downloads this release of rg from GitHub unless it finds it in its cache (see seedRipgrep).
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';
const RIPGREP_TARGETS = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' };

// A quiet, reproducible workbench. The theme is explicit because headless Chromium otherwise
// comes up light, and tests compare token colours against Dark Modern.
const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'window.restoreWindows': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  // examples/ and test workspaces sit inside this repository's git checkout: without this, a
  // "git repository was found in the parent folders" toast covers the bottom right corner.
  'git.openRepositoryInParentFolders': 'never',
};

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/**
 * Where code-server is installed: per user and outside the repository, since it weighs 300 MiB.
 * @returns {string}
 */
export function codeServerCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const cache = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(cache, 'iptables-vscode', `code-server-${VERSION}`);
}

function executableIn(dir) {
  return join(dir, 'node_modules', '.bin', 'code-server');
}

/**
 * The path of the code-server executable, installing code-server on first use (about a minute).
 * The install goes to a sibling temp dir that is renamed into place only once it works, so the
 * final directory existing means a complete install, even after Ctrl-C or a crash.
 * @param {{ log?: (line: string) => void }} [options] where the progress lines go
 * @returns {Promise<string>}
 */
export async function ensureCodeServer({ log = console.log } = {}) {
  const dir = codeServerCacheDir();
  const exe = executableIn(dir);
  if (existsSync(exe)) return exe;
  // Present but without its executable, the directory was damaged by hand: start over.
  await rm(dir, { recursive: true, force: true });

  checkPrerequisites();
  await mkdir(dirname(dir), { recursive: true });
  await removeAbandonedInstalls(dir);

  const partial = `${dir}.partial-${process.pid}`;
  const logFile = `${dir}-install.log`;
  const started = Date.now();
  log(`installing code-server ${VERSION} into ${dir}, about a minute (log: ${logFile})`);
  const ticker = setInterval(() => log(`  ... still installing (${seconds(started)})`), 15_000);
  try {
    await installInto(partial, logFile);
    const version = await run(process.execPath, [realpathSync(executableIn(partial)), '--version'], { env: await isolatedEnv(partial) });
    // On a first run even --version logs "Wrote default config file" before the version line.
    if (!version.stdout.split('\n').some((line) => line.startsWith(`${VERSION} `))) {
      throw new Error(`code-server ${VERSION} was installed but \`code-server --version\` says:\n${version.stdout}${version.stderr}`);
    }
    await rm(join(partial, 'xdg'), { recursive: true, force: true });
    try {
      await rename(partial, dir);
    } catch (error) {
      // Another process (a second `npm start`, a parallel test) finished first: use its install.
      if (!['ENOTEMPTY', 'EEXIST'].includes(error.code) || !existsSync(exe)) throw error;
    }
  } finally {
    clearInterval(ticker);
    await rm(partial, { recursive: true, force: true });
  }
  log(`code-server ${VERSION} installed in ${seconds(started)}`);
  return exe;
}

/**
 * Checks up front what the install would otherwise fail on after a minute and a thousand lines
 * of npm and node-gyp output, and says in one message what to install.
 */
function checkPrerequisites() {
  if (process.platform !== 'linux') {
    throw new Error(`The code-server install is scripted for Linux only. Install VS Code and put \`code\` on PATH instead.`);
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== NODE_MAJOR) {
    throw new Error(`code-server ${VERSION} needs Node ${NODE_MAJOR}, and this is Node ${process.versions.node}. Use Node ${NODE_MAJOR}, or install VS Code and put \`code\` on PATH.`);
  }
  const missing = [];
  if (!onPath('rg')) missing.push(['ripgrep', 'ripgrep']);
  // kerberos@2.1.1 (a code-server dependency) is compiled from source because its prebuilt
  // download fails offline, and it includes <gssapi/gssapi.h>.
  if (!['/usr/include', '/usr/local/include'].some((d) => existsSync(join(d, 'gssapi', 'gssapi.h')))) {
    missing.push(['the Kerberos headers', 'libkrb5-dev']);
  }
  // node-gyp builds six native modules (node-pty, argon2, kerberos, ...).
  if (!onPath('python3')) missing.push(['python3', 'python3']);
  if (!onPath('make')) missing.push(['make', 'make']);
  if (!onPath('g++')) missing.push(['a C++ compiler', 'g++']);
  if (!onPath('npm')) missing.push(['npm', 'npm']);
  if (missing.length > 0) {
    const what = missing.map(([name]) => name);
    const list = what.length === 1 ? what[0] : `${what.slice(0, -1).join(', ')} and ${what.at(-1)}`;
    const sudo = process.getuid() === 0 ? '' : 'sudo ';
    throw new Error(`code-server needs ${list} to install: ${sudo}apt-get install ${missing.map(([, pkg]) => pkg).join(' ')}`);
  }
}

/** Removes temp installs whose process is gone (interrupted), which would otherwise leak 300 MiB each. */
async function removeAbandonedInstalls(dir) {
  const prefix = `${dir.slice(dirname(dir).length + 1)}.partial-`;
  for (const name of await readdir(dirname(dir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!isAlive(pid)) await rm(join(dirname(dir), name), { recursive: true, force: true });
  }
}

async function installInto(partial, logFile) {
  await mkdir(partial, { recursive: true });
  await writeFile(join(partial, 'package.json'), JSON.stringify({ private: true, dependencies: { 'code-server': VERSION } }, null, 2));
  const env = await isolatedEnv(partial);
  await seedRipgrep(env.TMPDIR);
  const out = openSync(logFile, 'w');
  try {
    const result = await run('npm', ['install', '--foreground-scripts', '--no-audit', '--no-fund'], { cwd: partial, env, stdio: ['ignore', out, out] });
    if (result.code !== 0) {
      const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
      throw new Error(`Installing code-server ${VERSION} failed (npm exit status ${result.code}). The end of the log:\n${tail}\nFull log: ${logFile}`);
    }
  } finally {
    closeSync(out);
  }
}

/**
 * The environment of the install and of `--version`, like the recipe's shell: code-server writes
 * a config and logs under the XDG dirs even for `--version`, so they point inside the temp
 * install, and so does TMPDIR, where the ripgrep cache is seeded.
 */
async function isolatedEnv(partial) {
  const xdg = join(partial, 'xdg');
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(xdg, 'config'),
    XDG_DATA_HOME: join(xdg, 'data'),
    XDG_CACHE_HOME: join(xdg, 'cache'),
    TMPDIR: join(xdg, 'tmp'),
    // As root, code-server's postinstall.sh refuses to run unless this is true. npm 11 warns
    // that it does not know the option but still passes it to the script, which is enough.
    npm_config_unsafe_perm: 'true',
    // node-pty's postinstall runs `npx node-gyp`, which a `yes=false` npmrc would cancel (and
    // under `npm start` the outer npm exports that setting as npm_config_yes=).
    npm_config_yes: 'true',
  };
  // node-gyp needs Node's headers and would download them (offline: fail) unless nodedir points
  // at a prefix holding include/node/common.gypi. A nodedir exported by the machine wins;
  // otherwise the headers installed next to the running Node, the one the modules must match.
  const ownPrefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(ownPrefix, 'include', 'node', 'common.gypi'))) {
    env.npm_config_nodedir = ownPrefix;
  }
  for (const d of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'TMPDIR']) await mkdir(env[d], { recursive: true });
  return env;
}

/** Puts Debian's rg where @vscode/ripgrep's postinstall looks before it tries GitHub. */
async function seedRipgrep(tmp) {
  const target = RIPGREP_TARGETS[process.arch];
  if (!target) return; // an unusual arch: let the postinstall try its download
  const cache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  const staging = join(tmp, 'rg-staging');
  await mkdir(cache, { recursive: true });
  await mkdir(staging, { recursive: true });
  await cp(realpathSync(onPath('rg')), join(staging, 'rg'));
  const tarball = join(cache, `ripgrep-${RIPGREP_RELEASE}-${target}.tar.gz`);
  const tar = await run('tar', ['czf', tarball, '-C', staging, 'rg']);
  if (tar.code !== 0) throw new Error(`Could not pack rg for code-server's install: ${tar.stderr}`);
}

/**
 * @typedef {object} CodeServer
 * @property {string} url `http://127.0.0.1:<port>`
 * @property {number} port
 * @property {string} root the run's temp dir (settings, config, log), left for the caller to remove
 * @property {string} logFile code-server's output
 * @property {Promise<number | string>} exited code-server's exit status, or the signal that ended it
 * @property {(folder?: string) => string} workbenchUrl the page that opens `folder` (default: the
 *   workspace) with the extension under development and its tests, if given
 * @property {() => Promise<void>} stop ends code-server and every process it started
 */

/**
 * Starts code-server on 127.0.0.1 without authentication (anyone who can reach the port gets the
 * editor and its terminal, hence loopback only) and waits until it answers.
 * Without the dirs, everything lives in a fresh temp root, returned as `root` for its logs.
 * The user settings file in userDataDir is overwritten with the defaults above and `settings`.
 * @param {object} [options]
 * @param {string} [options.workspace] the folder code-server opens by default
 * @param {string} [options.extensionDevelopmentPath] an extension folder to run unpackaged
 * @param {string} [options.extensionTestsPath] a module exporting `run()`, run in the extension host
 * @param {string} [options.extensionsDir]
 * @param {string} [options.userDataDir]
 * @param {Record<string, unknown>} [options.settings] user settings on top of the defaults
 * @param {number} [options.port] 0 picks a free one
 * @param {Record<string, string>} [options.env] added to code-server's environment (and so the
 *   extension host's and the language server's)
 * @param {string} [options.locale] VS Code's display language (`--locale`); without a language
 *   pack for it registered in userDataDir, VS Code stays in English
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer({
  workspace,
  extensionDevelopmentPath,
  extensionTestsPath,
  extensionsDir,
  userDataDir,
  settings = {},
  port = 0,
  env = {},
  locale,
} = {}) {
  const exe = await ensureCodeServer();
  const root = await mkdtemp(join(tmpdir(), 'iptables-vscode-run-'));
  userDataDir = resolve(userDataDir ?? join(root, 'user-data'));
  extensionsDir = resolve(extensionsDir ?? join(root, 'extensions'));
  const config = join(root, 'config.yaml');
  const logFile = join(root, 'code-server.log');

  // User settings are read by the server, so they are written before it starts.
  await mkdir(join(userDataDir, 'User'), { recursive: true });
  await writeFile(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  await mkdir(extensionsDir, { recursive: true });
  // Plain HTTP on loopback; every other option is on the command line, where it is visible in ps.
  await writeFile(config, 'cert: false\n');
  if (port === 0) port = await freePort();

  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--config', config,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
  ];
  if (locale) args.push('--locale', locale);
  if (workspace) args.push(resolve(workspace));
  const out = openSync(logFile, 'a');
  // Run by this Node rather than through the `#!/usr/bin/env node` of the .bin script, which
  // could find another Node than the one its native modules were built for.
  // Its own process group: the file watcher, the extension host and our language server are
  // code-server's children, and stop() must end all of them, not only code-server.
  const child = spawn(process.execPath, [realpathSync(exe), ...args], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...xdgEnv(root), ...env },
  });
  closeSync(out);
  const exited = new Promise((done) => child.once('exit', (code, signal) => done(code ?? signal)));
  // Last resort if the caller exits (or throws) without stop(). A signal that kills Node
  // outright skips 'exit' handlers, so callers should still handle SIGINT themselves.
  const killOnExit = () => signalGroup(child.pid, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      signalGroup(child.pid, 'SIGTERM');
      if (!(await groupGone(child.pid, exited, STOP_GRACE_MS))) {
        signalGroup(child.pid, 'SIGKILL');
        await groupGone(child.pid, exited, 1_000);
      }
    })();
    return stopping;
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url, exited, logFile);
  } catch (error) {
    await stop();
    throw error;
  }

  // The workbench resolves these against its remote authority, which must be exactly the host
  // and port the browser uses; pathToFileURL percent-encodes spaces, '#' and '?'.
  const remote = (path) => `vscode-remote://127.0.0.1:${port}${pathToFileURL(resolve(path)).pathname}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const workbenchUrl = (folder = workspace) => {
    const query = [];
    if (folder) query.push(`folder=${encodeURIComponent(resolve(folder))}`);
    if (payload.length > 0) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    return `${url}/${query.length > 0 ? `?${query.join('&')}` : ''}`;
  };

  return { url, port, root, logFile, exited, workbenchUrl, stop };
}

/**
 * Installs a .vsix into extensionsDir. --force, so that a rebuilt vsix with an unchanged version
 * replaces the installed one instead of being skipped as already installed.
 * @param {string} vsixPath
 * @param {{ extensionsDir: string, userDataDir: string }} dirs
 * @returns {Promise<void>}
 */
export async function installVsix(vsixPath, { extensionsDir, userDataDir }) {
  const exe = await ensureCodeServer();
  const root = await mkdtemp(join(tmpdir(), 'iptables-vscode-vsix-'));
  try {
    const result = await run(process.execPath, [
      realpathSync(exe),
      '--user-data-dir', resolve(userDataDir),
      '--extensions-dir', resolve(extensionsDir),
      '--install-extension', resolve(vsixPath),
      '--force',
    ], { env: { ...process.env, ...xdgEnv(root) } });
    if (result.code !== 0 || !/was successfully installed/.test(result.stdout)) {
      throw new Error(`code-server could not install ${vsixPath} (exit status ${result.code}):\n${result.stdout}${result.stderr}`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// code-server writes a default config and logs under the XDG dirs: into the temp root, not the user's.
function xdgEnv(root) {
  return { XDG_CONFIG_HOME: join(root, 'xdg-config'), XDG_DATA_HOME: join(root, 'xdg-data'), XDG_CACHE_HOME: join(root, 'xdg-cache') };
}

// Listening on port 0 lets the kernel pick; the small race until code-server binds it is accepted.
function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function waitUntilHealthy(url, exited, logFile) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitStatus;
  exited.then((status) => (exitStatus = status));
  while (Date.now() < deadline) {
    if (exitStatus !== undefined) {
      throw new Error(`code-server exited (${exitStatus}) before it was ready. The end of its log (${logFile}):\n${logTail(logFile)}`);
    }
    if ((await httpStatus(`${url}/healthz`)) === 200) return;
    await sleep(100);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${READY_TIMEOUT_MS / 1000} s. The end of its log (${logFile}):\n${logTail(logFile)}`);
}

function httpStatus(url) {
  return new Promise((done) => {
    const request = get(url, { timeout: 1_000 }, (response) => {
      response.resume();
      done(response.statusCode);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => done(undefined));
  });
}

function logTail(logFile, lines = 30) {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

/** Whether code-server has exited and every process of its group is gone, within timeoutMs. */
async function groupGone(pid, exited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exitedYet = false;
  exited.then(() => (exitedYet = true));
  while (Date.now() < deadline) {
    if (exitedYet && !groupHasLiveProcess(pid)) return true;
    await sleep(50);
  }
  return false;
}

/**
 * kill(-pgid, 0) would also count zombies: the extension host and the language server are
 * reparented to PID 1 when code-server exits, and an init that reaps lazily (this sandbox's
 * reaps about once a second) leaves them as zombies, dead but still in the group. So read the
 * state of each process in /proc instead.
 */
function groupHasLiveProcess(pgid) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we were looking
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function run(command, args, { cwd, env = process.env, stdio = ['ignore', 'pipe', 'pipe'] } = {}) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

function seconds(since) {
  return `${Math.round((Date.now() - since) / 1000)} s`;
}
