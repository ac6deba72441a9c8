// `iptables-trace --matrix`: who reaches what, for one protocol and port, through
// a rule file or the rules a script builds (engine/symbolic/matrix.ts).
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import { parseHost, ScenarioError, type Host } from '../engine';
import { matrixJson, matrixText, parseService, Service, serviceMatrix } from '../engine/symbolic/matrix';
import type { Family } from '../knowledge';
import { t } from '../l10n';
import { Arguments, UsageError } from './arguments';
import { loadRules, print, printError, readError, readText, refusal, terminalText } from './input';

export const matrixUsage = (): string => t(`iptables-trace --matrix [--port tcp:22] RULES [--format text|json] [--host FILE.json] [--conntrack on]

Service matrix (--matrix): every first packet of a connection (TCP: the SYN) of
one protocol and port, from anywhere, on every interface and from the host
itself, through all the rules at once: who is delivered to the host
(INPUT), forwarded (FORWARD) or sent (OUTPUT), who is dropped where, what NAT
does, and on what the answer depends. --port takes tcp:22, udp:53, icmp, or a
protocol alone (every port). --format json gives each class with its hook,
fate, packets and an example scenario that iptables-trace --scenario reads.
--host: the host (the scenario's "host", or a scenario holding one); without
it, the example router with an interface for each one the rules name.`);

interface MatrixArgs {
  rules?: string;
  service: Service;
  format: 'text' | 'json';
  host?: string;
  conntrack?: 'on';
  family?: Family;
  external: string[];
}

function parseMatrixArgs(argv: string[]): MatrixArgs {
  const args: MatrixArgs = { service: { protocol: 6 }, format: 'text', external: [...DEFAULT_OPTIONS.externalChains] };
  const words = new Arguments(argv);
  for (let word = words.next(); word !== undefined; word = words.next()) {
    if (word === '--port') {
      const text = words.value();
      const service = parseService(text);
      if (!service) throw new UsageError(t('--port takes a protocol and port such as tcp:22, udp:53 or icmp, not `{0}`', text));
      args.service = service;
    } else if (word === '--format') {
      const f = words.value();
      if (f !== 'text' && f !== 'json') throw new UsageError(t('--format takes text or json with --matrix, not `{0}`', f));
      args.format = f;
    } else if (word === '--host') args.host = words.value();
    else if (word === '--conntrack') {
      if (words.value() !== 'on') throw new UsageError(t('--conntrack takes on'));
      args.conntrack = 'on';
    } else if (word === '--family') args.family = words.family();
    else if (word === '--external') args.external.push(words.value());
    else if (word.startsWith('-') && word !== '-') throw new UsageError(t('{0} does not go with --matrix', word));
    else if (args.rules !== undefined) throw new UsageError(t('one rules file only (got `{0}` and `{1}`)', args.rules, word));
    else args.rules = word;
  }
  if (args.rules === undefined) throw new UsageError(t('no rules file given'));
  return args;
}

/** A host file: the scenario's `host`, or a scenario with one. */
function readHost(file: string): Host {
  let json: unknown;
  try {
    json = JSON.parse(readText(file, file));
  } catch (e) {
    throw new UsageError(e instanceof SyntaxError ? t('{0}: not valid JSON: {1}', file, e.message) : readError(e, file));
  }
  const obj = json as Record<string, unknown>;
  try {
    return parseHost(typeof obj === 'object' && obj !== null && 'host' in obj ? obj.host : json);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

/** `iptables-trace --matrix ...`: 0 done, 2 usage error, unreadable input or rules with errors. */
export async function runMatrixCommand(argv: string[], usage: string): Promise<number> {
  let args: MatrixArgs;
  let host: Host | undefined;
  try {
    args = parseMatrixArgs(argv);
    if (args.host) host = readHost(args.host);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    printError(t('iptables-trace: {0}\n\n{1}\n', terminalText(e.message), usage));
    return 2;
  }
  const fail = (message: string) => {
    printError(t('iptables-trace: {0}\n', terminalText(message)));
    return 2;
  };
  const rules = await loadRules(args.rules!, { external: args.external, family: args.family });
  if (typeof rules === 'string') return fail(rules);
  // An analysis can go on where a trace could not: a value iptables refuses is taken as unknown.
  if (rules.errors.length) {
    const r = refusal(rules);
    const warning = t('{0} has {1}; {2}; the matrix reads the rules as written, and what a refused value would test as unknown:\n{3}', rules.name, r.errors, r.load, r.lines);
    printError(t('iptables-trace: warning: {0}\n', terminalText(warning)));
  }
  const family: Family = args.family ?? (rules.analysis.rulesets.ipv4 ? 'ipv4' : 'ipv6');
  const ruleset = rules.analysis.rulesets[family];
  if (!ruleset) return fail(t('{0} has no {1} rules', rules.name, family === 'ipv4' ? 'IPv4 (iptables)' : 'IPv6 (ip6tables)'));
  const matrix = serviceMatrix(ruleset, args.service, { host, conntrack: args.conntrack });
  print(args.format === 'json' ? JSON.stringify(matrixJson(matrix), null, 2) + '\n' : terminalText(matrixText(matrix)));
  return 0;
}
