// Records what the real kernel does with each case folder (rules.v4 or
// rules.v6 + packet.json) by running ../shared/kernel/oracle (root, network
// namespaces), writing its answer to expected.json beside them.
//   node scripts/record-kernel-cases.mjs test/kernel/cases6/7*     the folders given
//   node scripts/record-kernel-cases.mjs --random 40 --seed 7 DIR  new random IPv6 cases in DIR, recorded
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomCase } from './random-cases6.mjs';

const here = resolve(import.meta.dirname, '..');
const oracle = [join(here, '..', 'shared', 'kernel', 'oracle'), join(here, '..', '..', 'shared', 'kernel', 'oracle')].find((p) => existsSync(p));
if (!oracle) {
  console.error('../shared/kernel/oracle is not beside the repository');
  process.exit(2);
}

function record(dir) {
  const rules = existsSync(join(dir, 'rules.v6')) ? join(dir, 'rules.v6') : join(dir, 'rules.v4');
  const r = spawnSync(oracle, [rules, join(dir, 'packet.json')], { encoding: 'utf8' });
  let answer;
  try {
    answer = JSON.parse(r.stdout);
  } catch {
    answer = { ok: false, error: `no JSON from the oracle: ${r.stderr.slice(-300)}` };
  }
  if (!answer.ok) {
    console.log(`ERROR  ${dir}: ${answer.error}`);
    return false;
  }
  writeFileSync(join(dir, 'expected.json'), r.stdout);
  console.log(`RECORD ${dir}: ${answer.fate} ${answer.hits.join(' ')}`);
  return true;
}

const args = process.argv.slice(2);
const random = args.indexOf('--random');
let dirs = args;
if (random >= 0) {
  const count = Number(args[random + 1]);
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 1;
  const root = args[args.length - 1];
  dirs = [];
  for (let i = 0; i < count; i++) {
    const c = randomCase(seed * 1000 + i);
    const dir = join(root, `r${seed}-${String(i).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rules.v6'), c.rules);
    writeFileSync(join(dir, 'packet.json'), `${JSON.stringify(c.packet, null, 2)}\n`);
    dirs.push(dir);
  }
}
const failed = dirs.filter((d) => !record(d)).length;
console.log(`${dirs.length - failed} recorded, ${failed} failed`);
process.exit(failed ? 1 : 0);
