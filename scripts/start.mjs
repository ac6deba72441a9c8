// npm start: builds, then opens the extension in a real VS Code on examples/.
// With VS Code installed (`code` on PATH), that is a new Extension Development Host window.
// Without it (a server, a container), code-server, the same VS Code in a browser, is installed
// once into ~/.cache and serves the workbench on 127.0.0.1 until Ctrl-C.
// IPTABLES_START_NO_WAIT=1 prints the address and stops at once (used by tests).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer, startCodeServer } from './vscode/codeServer.mjs';

// Absolute paths from the script's location, so `npm start` works from any directory.
const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const examples = join(repo, 'examples');

// On a fresh clone the build would fail with "Cannot find package 'esbuild'": say what to do.
if (!existsSync(join(repo, 'node_modules', 'esbuild'))) {
  console.error('npm start: the dependencies are not installed. Run `npm install` first, then `npm start`.');
  process.exit(1);
}
const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const code = onPath('code');
if (code) {
  const editor = spawnSync(code, [`--extensionDevelopmentPath=${repo}`, examples], { stdio: 'inherit' });
  process.exit(editor.status ?? 1);
}

let server;
try {
  await ensureCodeServer();
  const started = Date.now();
  server = await startCodeServer({ workspace: examples, extensionDevelopmentPath: repo });
  console.log(`code-server ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
}

// Top and bottom rules only: side borders would be copied along with the URL.
const lines = [
  'VS Code (code-server) is running this extension on examples/. Open in a browser:',
  '',
  `  ${server.workbenchUrl(examples)}`,
  '',
  'then open mistakes.rules to see the diagnostics. Ctrl-C stops the server.',
  `Remote machine? Forward the port first: ssh -L ${server.port}:127.0.0.1:${server.port} <host>`,
];
const rule = '─'.repeat(Math.min(100, Math.max(...lines.map((l) => l.length))));
console.log(['', rule, ...lines, rule, ''].join('\n'));

if (process.env.IPTABLES_START_NO_WAIT === '1') {
  await shutDown(0);
} else {
  // code-server runs in its own process group, so Ctrl-C in the terminal reaches only us: every
  // way of ending this script must stop it, or it would outlive `npm start` holding the port.
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signalled) return; // a second Ctrl-C while stopping must not orphan the server
      signalled = true;
      console.log('\nstopping code-server...');
      shutDown(0);
    });
  }
  server.exited.then((status) => {
    if (signalled) return;
    console.error(`npm start: code-server stopped on its own (${status}); its log is ${server.logFile}`);
    process.exit(1);
  });
}

async function shutDown(status) {
  await server.stop();
  await rm(server.root, { recursive: true, force: true });
  process.exit(status);
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command)).find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
