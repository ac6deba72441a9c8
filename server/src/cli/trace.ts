// iptables-trace: follow one packet through a ruleset as the Linux kernel
// would, on a simulated host, and say which rules it hits and what becomes of it.
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import {
  DEFAULT_HOST_JSON, defaultHost, Outcome, packetFromShorthand, parseHost, parseScenario, ScenarioError, shorthandHelp, Step, Trace,
  traceScenario,
} from '../engine';
import { fateWord, packetLine, verdictLine } from '../engine/describe';
import type { Family } from '../knowledge';
import { environmentLocale, orList, setLocale, t } from '../l10n';
import { Arguments, UsageError } from './arguments';
import { loadRules, print, printError, readError, readText, refusedRules, runCommandLine, terminalText } from './input';
import { matrixUsage, runMatrixCommand } from './matrix';
import { packetTestsUsage, runPacketTestsCommand } from './packetTests';

const HOST_HELP = DEFAULT_HOST_JSON.interfaces
  .map((i) => `  ${i.name.padEnd(5)}${i.addresses.join(', ')}${'mac' in i ? `  (${i.mac})` : ''}`)
  .join('\n');

function usage(): string {
  const tests = packetTestsUsage().split('\n');
  const matrix = matrixUsage().split('\n');
  return t(`usage: iptables-trace RULES (--scenario FILE.json | --packet 'PACKET') [options]
       {0}
       {1}

Follows one packet through an iptables-save / iptables-restore file (or the
rules a shell script builds) as the Linux kernel would: every table and chain
in hook order, each rule tried and why it did or did not match, NAT and mark
changes, and the verdict.

  --scenario FILE   a scenario JSON: {"host": ..., "packet": ..., "conntrack": "auto"|"on",
                    "history": [packets seen before], "state": {...}} (see README.md)
  --packet 'TEXT'   the packet in short form (replaces the scenario's packet):
                    {2}
  --format text|json   text (default) or the whole trace as JSON
  --brief           text: show only rules that matched, not every rule tried
  --family 4|6      IPv4 or IPv6 rules (default: from the file)
  --conntrack on    conntrack runs even if no rule needs it (a host with Docker...)
  --fresh           the rules were just loaded: rate limits, quotas and recent lists
                    start empty instead of unknown
  --external CHAIN  a chain created elsewhere (wildcard *), as for iptables-lint
  RULES             an iptables-save file or a firewall script, or - for standard input

Without a host in the scenario, the host is a router:
{3}
  routes: 10/8, 172.16/12, 192.168/16 via 10.0.0.2 on eth1, fd00::/8 via fd00::2 on eth1;
          default via 203.0.113.254 (IPv6: 2001:db8:1::fe) on eth0; forwarding on

Example: iptables-trace rules.v4 --packet 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0 syn'

{4}

{5}

Exit status: 0 traced (tests: all passed), 1 a test failed, 2 usage error, unreadable input,
a ruleset with errors or a bad packet.`, tests[0], matrix[0], shorthandHelp().split('\n').join('\n                    '), HOST_HELP, tests.slice(2).join('\n'), matrix.slice(2).join('\n'));
}

interface Args {
  rules: string;
  scenario?: string;
  packet?: string;
  format: 'text' | 'json';
  brief: boolean;
  family?: Family;
  conntrack?: 'on';
  fresh: boolean;
  external: string[];
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[], hint = ''): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(t('{0} takes {1}, not `{2}`{3}', option, orList(allowed), value, hint));
  return value as T;
}

/** Each option and what it sets from the words after it. */
const OPTIONS: Record<string, (args: Args, words: Arguments) => void> = {
  '--scenario': (args, words) => { args.scenario = words.value(); },
  '--packet': (args, words) => { args.packet = words.value(); },
  '--format': (args, words) => { args.format = oneOf('--format', words.value(), ['text', 'json'] as const); },
  '--family': (args, words) => { args.family = words.family(); },
  '--conntrack': (args, words) => { args.conntrack = oneOf('--conntrack', words.value(), ['on'] as const, t(' (without it, conntrack runs when a rule needs it)')); },
  '--brief': (args) => { args.brief = true; },
  '--fresh': (args) => { args.fresh = true; },
  '--external': (args, words) => { args.external.push(words.value()); },
};

function parseArgs(argv: string[]): Args {
  const args: Args = { rules: '', format: 'text', brief: false, fresh: false, external: [...DEFAULT_OPTIONS.externalChains] };
  const positional: string[] = [];
  const words = new Arguments(argv);
  for (let word = words.next(); word !== undefined; word = words.next()) {
    if (word === '--help' || word === '-h') {
      print(usage() + '\n');
      process.exit(0);
    }
    const set = OPTIONS[word];
    if (set) set(args, words);
    else if (word.startsWith('-') && word !== '-') throw new UsageError(t('unknown option {0}', word));
    else positional.push(word);
  }
  if (positional.length === 0) throw new UsageError(t('no rules file given'));
  if (positional.length > 1) throw new UsageError(t('one rules file only (got `{0}` and `{1}`)', positional[0], positional[1]));
  if (!args.scenario && !args.packet) throw new UsageError(t('give the packet: --scenario FILE or --packet \'...\''));
  return { ...args, rules: positional[0] };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--test')) return runPacketTestsCommand(argv.filter((a) => a !== '--test'), usage());
  if (argv.includes('--matrix')) return runMatrixCommand(argv.filter((a) => a !== '--matrix'), usage());
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    printError(t('iptables-trace: {0}\n\n{1}\n', (e as Error).message, usage()));
    return 2;
  }
  const fail = (message: string): number => {
    printError(terminalText(t('iptables-trace: {0}\n', message)));
    return 2;
  };
  const rules = await loadRules(args.rules, { external: args.external, family: args.family });
  if (typeof rules === 'string') return fail(rules);
  if (rules.errors.length) return fail(refusedRules(rules, t('trace')));
  const { analysis, name: rulesName } = rules;
  let json: Record<string, unknown> = {};
  if (args.scenario) {
    try {
      json = JSON.parse(readText(args.scenario, args.scenario));
    } catch (e) {
      return fail(e instanceof SyntaxError ? t('{0}: not valid JSON: {1}', args.scenario, e.message) : readError(e, args.scenario));
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail(t('{0}: expected a JSON object', args.scenario));
  }
  let trace: Trace;
  try {
    if (args.packet) {
      const host = json.host === undefined ? defaultHost() : parseHost(json.host);
      json = { ...json, packet: packetFromShorthand(args.packet, host) };
    }
    if (args.conntrack) json.conntrack = 'on';
    if (args.fresh) json.state = { ...(json.state as object | undefined), fresh: true };
    const scenario = parseScenario(json);
    const family = scenario.packet.family;
    const ruleset = analysis.rulesets[family];
    if (!ruleset) {
      const name = family === 'ipv4' ? 'IPv4 (iptables)' : 'IPv6 (ip6tables)';
      return fail(t('{0} has no {1} rules, and the packet is {2}{3}', rulesName, name, family === 'ipv4' ? 'IPv4' : 'IPv6', args.family ? '' : t(' (--family says which family a file is)')));
    }
    trace = traceScenario(ruleset, scenario);
  } catch (e) {
    if (e instanceof ScenarioError) return fail(`${args.scenario && !args.packet ? args.scenario + ': ' : ''}${e.message}`);
    throw e;
  }
  if (args.format === 'json') {
    // Each outcome carries only its steps after the shared ones, so a long walk is written once.
    const outcomes = trace.outcomes.map((o) => ({ ...o, steps: o.steps.slice(trace.steps.length) }));
    print(JSON.stringify({ ...trace, outcomes }, null, 2) + '\n');
  }
  else print(terminalText(renderText(trace, rulesName, args.brief)));
  return 0;
}

// ---- text output ---------------------------------------------------------------------------------

function renderSteps(steps: Step[], file: string, brief: boolean, out: string[]): void {
  let hook: string | undefined;
  let place: string | undefined;
  for (const s of steps) {
    if (s.hook && s.hook !== hook) {
      hook = s.hook;
      place = undefined;
      out.push('', s.hook);
    }
    if (s.kind === 'event') {
      // Routing and the like happen between hooks: they stand apart.
      if (!s.hook) [hook, place] = [undefined, undefined];
      out.push(s.hook ? `  ${s.message}` : `» ${s.message}`);
      for (const c of s.changed ?? []) out.push(`      ${c}`);
      continue;
    }
    const where = `${s.table}/${s.chain}`;
    if (where !== place && s.kind !== 'return') {
      place = where;
      out.push(`  ${where}`);
    }
    if (s.kind === 'return') {
      out.push(`    ↩ ${s.message}`);
      place = undefined;
      continue;
    }
    if (s.kind === 'policy') {
      out.push(`    ${s.action}`);
      continue;
    }
    if (brief && !s.matched && !s.maybe) continue;
    const result = s.maybe ? t('maybe → {0}', s.action) : s.matched ? t('match → {0}', s.action ?? '') : t('no match: {0}', s.failed);
    out.push(`    ${file}:${(s.line ?? 0) + 1}  ${s.text}`, `        ${result}`);
    if (s.assumed) out.push(`        ? ${s.assumed}`);
    for (const c of s.changed ?? []) out.push(`        ${c}`);
    for (const n of s.notes ?? []) out.push(`        (${n})`);
  }
}

function renderText(tgt: Trace, file: string, brief: boolean): string {
  const out: string[] = [];
  for (const s of tgt.setup) out.push(t('before the probe, {0}: {1}; hits {2}', s.label, s.fate, s.hits.join(' ') || '(none)'));
  if (!tgt.conntrack) out.push(t('conntrack is not running: no rule needs it, so the nat table is never consulted'));
  renderSteps(tgt.steps, file, brief, out);
  if (tgt.decided) {
    out.push('', t('Verdict: {0}', verdictLine({ ...tgt, fate: tgt.fate as Outcome['fate'] })));
  } else {
    out.push('', t('Undecided: {0}{1} possible outcomes{2}.', tgt.outcomes.length, tgt.truncated ? '+' : '', tgt.fate !== 'unknown' ? t(', all {0}', fateWord(tgt.fate as Outcome['fate'])) : ''));
    tgt.outcomes.forEach((o, i) => {
      const chance = o.probability === undefined ? '' : t(' (probability {0}%)', Math.round(o.probability * 1000) / 10);
      out.push('', t('Outcome {0}{1}, if:', i + 1, chance));
      for (const a of o.assumptions) out.push(`  ${a.packet === 'probe' ? '' : a.packet + ': '}${a.rule} ${a.criterion} ${a.assumed === 'match' ? 'matches' : t('does not match')} — ${a.reason}`);
      renderSteps(o.steps.slice(tgt.steps.length), file, brief, out);
      out.push(t('  Verdict: {0}', verdictLine(o)), t('  Hits: {0}', o.hits.join(' ')));
    });
  }
  out.push(t('Hits: {0}{1}', tgt.hits.join(' ') || '(none)', tgt.decided ? '' : t(' (in every outcome)')));
  if (tgt.maybeHits.length) out.push(t('Maybe: {0} (rules that only count or log, on an uncertain match)', tgt.maybeHits.join(' ')));
  out.push(t('Packet out: {0}', packetLine(tgt.packetOut)));
  for (const n of tgt.notes) out.push(t('Note: {0}', n));
  return out.join('\n').replace(/^\n/, '') + '\n';
}

setLocale(environmentLocale(process.env));
runCommandLine('iptables-trace', () => main(process.argv.slice(2)));
