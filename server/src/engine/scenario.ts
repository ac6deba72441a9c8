// The scenario JSON the CLI reads and the trace panel saves: the host, the
// packet, whether conntrack is forced on, the packets seen before, and what is
// known of kernel state. See README.md (iptables-trace) for the format.
import type { Family } from '../knowledge';
import { Expectation, parseExpectation } from './expectation';
import { defaultHost, Host, parseHost } from './host';
import { Fields, JsonObject, ScenarioError } from './json';
import { Packet, parsePacket } from './packet';
import { EngineState, parseState } from './state';
import { t } from '../l10n';

export interface Scenario {
  host: Host;
  packet: Packet;
  /** `on`: conntrack runs even if no rule needs it (a host with Docker or other conntrack users). */
  conntrack: 'auto' | 'on';
  /** Packets the host saw before the probe, oldest first (they build connections, recent lists, buckets). */
  history: Packet[];
  /** Kernel state at the start; a fresh copy for every outcome explored. */
  makeState(): EngineState;
  /** A packet test's expectation (the trace itself ignores it). */
  expect?: Expectation;
}

/** `expect` and `rules` make a scenario a packet test (see packetTests.ts); the trace reads the rest. */
const SCENARIO_FIELDS = ['host', 'packet', 'conntrack', 'history', 'state', 'expect', 'rules'] as const;

/** Reads a scenario; `family` is the ruleset's, so a packet of the other family is refused. */
export function parseScenario(json: unknown, family?: Family): Scenario {
  const f = Fields.of('scenario', json);
  f.only(SCENARIO_FIELDS);
  const host = f.has('host') ? parseHost(f.obj.host, 'host') : defaultHost();
  if (!f.has('packet')) throw new ScenarioError('packet', t('the scenario needs a packet'));
  const packet = parsePacket(f.obj.packet, { host, family }, 'packet');
  const history = (f.array('history') ?? []).map((h, i) => parsePacket(h, { host, family: packet.family }, `history[${i}]`));
  const stateJson = f.obj.state;
  parseState(stateJson);
  f.string('rules');
  const scenario: Scenario = {
    host, packet, history,
    conntrack: f.oneOf('conntrack', ['auto', 'on'] as const) ?? 'auto',
    makeState: () => parseState(stateJson),
  };
  if (f.has('expect')) scenario.expect = parseExpectation(f.obj.expect, 'expect');
  return scenario;
}

/** A scenario from parts already read (the CLI's --packet, the tests). */
export function scenarioOf(host: Host, packet: Packet, extra: { conntrack?: 'auto' | 'on'; history?: Packet[]; state?: JsonObject } = {}): Scenario {
  parseState(extra.state);
  return { host, packet, history: extra.history ?? [], conntrack: extra.conntrack ?? 'auto', makeState: () => parseState(extra.state) };
}
