// npm start: builds, then shows what the extension reports on the bundled examples.
// (Opening them in a real VS Code comes with the editor integration.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const examples = readdirSync('examples').filter((f) => /\.rules$|\.v[46]$/.test(f)).map((f) => `examples/${f}`);
console.log(`iptables-lint ${examples.join(' ')}\n`);
const lint = spawnSync(process.execPath, ['server/out/cli.js', ...examples], { stdio: 'inherit' });
// Exit status 1 only means "errors found", which mistakes.rules is for.
if (lint.status === 2) process.exit(2);
console.log('\nexamples/mistakes.rules is wrong on purpose; the other examples are clean.');
