// Tracing a ruleset written inline, for the engine's unit tests.
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { defaultHost, packetFromShorthand, parseHost, parseScenario, Trace, traceScenario } from '../../server/src/engine';

type Json = Record<string, unknown>;

/** `*filter` blocks get their built-in chains with ACCEPT unless a `:CHAIN POLICY` line says otherwise. */
export function trace(rules: string, packet: string | Json, scenario: Json = {}): Trace {
  const { ruleset, diagnostics } = analyseSaveText(rules, DEFAULT_OPTIONS);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!ruleset || errors.length) throw new Error(`the test ruleset has errors: ${errors.map((d) => d.message).join('; ')}`);
  const host = scenario.host ? parseHost(scenario.host) : defaultHost();
  const json = typeof packet === 'string' ? packetFromShorthand(packet, host) : packet;
  return traceScenario(ruleset, parseScenario({ ...scenario, packet: json }, ruleset.family));
}

/** Rules of one table, one per line, with `*table` and COMMIT around them. */
export function table(name: string, ...lines: string[]): string {
  return `*${name}\n${lines.join('\n')}\nCOMMIT\n`;
}
