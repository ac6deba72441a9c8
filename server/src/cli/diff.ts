// iptables-diff: where two rulesets differ, chain by chain. Each side is a rule
// file, a firewall script (the ruleset it builds) or `live`: the ruleset the
// kernel holds now, read with iptables-save on this machine (or the network
// namespace the command runs in), so a cron job or CI can tell when a
// machine drifted from its repository.
import { analyseSaveText, DEFAULT_OPTIONS } from '../analysis/analyse';
import { familiesOf } from '../analysis/document';
import type { Family } from '../knowledge';
import { environmentLocale, setLocale, t } from '../l10n';
import { parseLiveCommand } from '../machine/liveCommand';
import { ChainDrift, chainLabel, comparedFamilies, DriftSide, driftSummary, Rulesets, rulesetDrift } from '../model/drift';
import { LiveError, LiveRuleset, readLiveRuleset, runCommand } from '../node/liveMachine';
import { semanticDiff, semanticDiffJson, semanticDiffText } from '../engine/symbolic/diff';
import { parseService, type Service, serviceLimits } from '../engine/symbolic/matrix';
import { Arguments, UsageError } from './arguments';
import { loadRules, print, printError, refusedRules, runCommandLine, terminalText } from './input';

const usage = (): string => t(`usage: iptables-diff [--semantic [--port tcp:22]] [--format text|json] [--live-command CMD] [--family 4|6] [--external CHAIN]... A B

Compares two rulesets chain by chain and prints each chain that differs from A
to B: its policy, and each rule added, removed or moved, as iptables-save
prints it (counters, comment lines and spelling aside).

  A, B               a rule file (iptables-save / iptables-restore format), a shell
                     script that runs iptables (the ruleset it builds), - for standard
                     input, or live: the ruleset this machine's kernel holds now (in the
                     network namespace the command runs in), read with iptables-save and
                     ip6tables-save (read-only; sudo -n, or sudo's prompt on a terminal,
                     when root is needed)
  --live-command CMD the command that prints the live IPv4 ruleset (default iptables-save);
                     ip6tables-save and the rest are run the same way, e.g.
                     'ssh host sudo iptables-save', 'ip netns exec NS iptables-save'
  --format json      print {equal, a, b, families, chains: [{family, table, chain, change,
                     policy, added, removed, moved}]}
  --family 4|6       the family of rule files that do not say (default: from the file)
  --external CHAIN   a chain created elsewhere (wildcard *), as for iptables-lint
  --semantic         compare what the rulesets do instead of how they are written: the
                     packets (first packets of connections, from anywhere, on every
                     interface and from the host) whose fate, way out or NAT differs,
                     in words ("tcp to port 22 from anywhere on eth0: dropped before,
                     delivered now"); a reordering that changes no fate changes nothing.
                     --format json gives each change with an example scenario
  --port SERVICE     with --semantic, only the packets of one service: tcp:22, udp:53,
                     icmp, or a protocol alone

Only the address families both sides speak for are compared: a rules.v4 file
against the live IPv4 ruleset, or against the IPv4 half of a dual-stack script.

Exit status: 0 the same ruleset (--semantic: no packet's outcome changes), 1 they
differ, 2 usage or read error (a file iptables-restore would refuse, a live command
that failed).`);

interface Args {
  sides: [string, string];
  format: 'text' | 'json';
  liveCommand: string;
  family?: Family;
  external: string[];
  semantic: boolean;
  service?: Service;
}

function parseArgs(argv: string[]): Args {
  let format: Args['format'] = 'text';
  let liveCommand = 'iptables-save';
  let family: Family | undefined;
  const external = [...DEFAULT_OPTIONS.externalChains];
  const positional: string[] = [];
  let semantic = false;
  let service: Service | undefined;
  const words = new Arguments(argv);
  for (let word = words.next(); word !== undefined; word = words.next()) {
    if (word === '--help' || word === '-h') {
      print(usage() + '\n');
      process.exit(0);
    } else if (word === '--format') {
      const f = words.value();
      if (f !== 'text' && f !== 'json') throw new UsageError(t('--format takes text or json, not `{0}`', f));
      format = f;
    } else if (word === '--live-command') liveCommand = words.value();
    else if (word === '--family') family = words.family();
    else if (word === '--external') external.push(words.value());
    else if (word === '--semantic') semantic = true;
    else if (word === '--port') {
      const text = words.value();
      service = parseService(text);
      if (!service) throw new UsageError(t('--port takes a protocol and port such as tcp:22, udp:53 or icmp, not `{0}`', text));
    } else if (word.startsWith('-') && word !== '-') throw new UsageError(t('unknown option {0}', word));
    else positional.push(word);
  }
  if (positional.length !== 2) throw new UsageError(t('give two rulesets to compare (got {0})', positional.length));
  if (positional[0] === '-' && positional[1] === '-') throw new UsageError(t('standard input can be only one of the two'));
  if (service && !semantic) throw new UsageError(t('--port goes with --semantic'));
  return { sides: [positional[0], positional[1]], format, liveCommand, family, external, semantic, service };
}

interface Side extends DriftSide {
  name: string;
  live?: LiveRuleset;
}

/** Asks for sudo's password on the terminal, when there is one. */
const askOnTerminal = async () => (process.stdin.isTTY && process.stderr.isTTY ? { privilege: 'sudo-terminal' as const } : undefined);

async function readLive(command: string): Promise<Side> {
  const cmd = parseLiveCommand(command);
  if ('error' in cmd) throw new LiveError(`--live-command: ${cmd.error}`);
  const live = await readLiveRuleset(cmd, { run: runCommand, ask: askOnTerminal });
  const rulesets: Rulesets = {};
  for (const family of ['ipv4', 'ipv6'] as const) {
    const text = live[family];
    // The kernel holds what it holds: our diagnostics on it do not stop the comparison.
    if (text !== undefined) rulesets[family] = analyseSaveText(text, { ...DEFAULT_OPTIONS, family }).ruleset;
  }
  return { name: 'live', rulesets, live };
}

async function readSide(file: string, args: Args): Promise<Side | string> {
  const rules = await loadRules(file, { external: args.external, family: args.family });
  if (typeof rules === 'string') return rules;
  const { analysis } = rules;
  if (analysis.kind === 'save' && rules.errors.length) return refusedRules(rules, t('compare'));
  // A failing command leaves the kernel as it was and the script goes on: the rest is compared.
  if (rules.errors.length) printError(rules.errors.length === 1 ? t('iptables-diff: {0}: 1 command would fail (iptables-lint lists it); compared without it\n', terminalText(rules.name)) : t('iptables-diff: {0}: {1} commands would fail (iptables-lint lists them); compared without them\n', terminalText(rules.name), rules.errors.length));
  return { name: rules.name, rulesets: analysis.rulesets, families: familiesOf(analysis) };
}

function liveDescription(live: LiveRuleset): string {
  const what = [`${live.command}${live.host ? ` on ${live.host}` : ''}`, live.time.toISOString().replace(/\.\d+Z$/, 'Z'), live.backend].filter(Boolean);
  return what.join(', ');
}

function sideHeader(mark: string, s: Side): string {
  return `${mark} ${s.name}${s.live ? ` (${liveDescription(s.live)})` : ''}`;
}

function renderText(a: Side, b: Side, chains: ChainDrift[], families: Family[]): string {
  const both = families.length > 1;
  const names = { a: a.name, b: b.name };
  if (chains.length === 0) return t('{0} and {1} are the same ruleset ({2})\n', a.name, b.name, families.map((f) => (f === 'ipv4' ? 'IPv4' : 'IPv6')).join(' and '));
  const out = [sideHeader('---', a), sideHeader('+++', b)];
  for (const d of chains) {
    out.push(driftSummary(d, names, both));
    if (d.change === 'removed') out.push(`  - :${d.chain} - [0:0]`);
    if (d.change === 'added') out.push(`  + :${d.chain} - [0:0]`);
    if (d.policy) out.push(`  - :${d.chain} ${d.policy.a} [0:0]`, `  + :${d.chain} ${d.policy.b} [0:0]`);
    for (const r of d.removed) out.push(`  - ${String(r.position).padEnd(6)}${r.rule}`);
    for (const r of d.added) out.push(`  + ${String(r.position).padEnd(6)}${r.rule}`);
    for (const r of d.moved) out.push(`  ~ ${`${r.from}->${r.to}`.padEnd(6)}${r.rule}`);
  }
  out.push('', chains.length === 1 ? t('{0} and {1} differ in 1 chain: {2}', a.name, b.name, chainLabel(chains[0], both)) : t('{0} and {1} differ in {2} chains: {3}', a.name, b.name, chains.length, chains.map((d) => chainLabel(d, both)).join(', ')));
  return out.join('\n') + '\n';
}

function sideJson(s: Side) {
  return { name: s.name, ...(s.live ? { live: { ...s.live, time: s.live.time.toISOString(), ipv4: undefined, ipv6: undefined } } : {}) };
}

/** --semantic: the packets whose outcome changes, family by family (a side without rules of a family has none). */
function semantic(a: Side, b: Side, families: Family[], args: Args): number {
  const diffs = families.map((family) => {
    const empty = { family, tables: new Map() };
    return semanticDiff(a.rulesets[family] ?? empty, b.rulesets[family] ?? empty, { limits: args.service && serviceLimits(args.service) });
  });
  const names = { a: a.name, b: b.name };
  if (args.format === 'json') {
    print(JSON.stringify({ equal: diffs.every((d) => d.changes.length === 0), a: sideJson(a), b: sideJson(b), families: diffs.map(semanticDiffJson) }, null, 2) + '\n');
  } else print(terminalText(diffs.map((d) => semanticDiffText(d, names)).join('')));
  return diffs.some((d) => d.changes.length) ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    printError(t('iptables-diff: {0}\n\n{1}\n', (e as Error).message, usage()));
    return 2;
  }
  const sides: Side[] = [];
  let live: Side | undefined;
  for (const file of args.sides) {
    try {
      if (file === 'live') sides.push(live ??= await readLive(args.liveCommand));
      else {
        const side = await readSide(file, args);
        if (typeof side === 'string') throw new LiveError(side);
        sides.push(side);
      }
    } catch (e) {
      if (!(e instanceof LiveError)) throw e;
      printError(t('iptables-diff: {0}\n', terminalText(e.message)));
      return 2;
    }
  }
  const [a, b] = sides;
  for (const w of live?.live?.warnings ?? []) printError(t('iptables-diff: warning: {0}\n', terminalText(w)));
  const families = comparedFamilies(a, b);
  if (args.semantic) return semantic(a, b, families, args);
  const chains = rulesetDrift(a.rulesets, b.rulesets, families);
  if (args.format === 'json') {
    print(JSON.stringify({ equal: chains.length === 0, a: sideJson(a), b: sideJson(b), families, chains }, null, 2) + '\n');
  } else print(terminalText(renderText(a, b, chains, families)));
  return chains.length ? 1 : 0;
}

setLocale(environmentLocale(process.env));
runCommandLine('iptables-diff', () => main(process.argv.slice(2)));
