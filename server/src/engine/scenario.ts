// The scenario JSON the CLI reads and the trace panel saves: the host, the
// packet, whether conntrack is forced on, the packets seen before, and what is
// known of kernel state. See README.md (iptables-trace) for the format.
import type { Family } from '../knowledge';
import { defaultHost, Host, parseHost } from './host';
import { Fields, JsonObject, ScenarioError } from './json';
import { Packet, parsePacket } from './packet';
import { EngineState, parseState } from './state';

export interface Scenario {
  host: Host;
  packet: Packet;
  /** `on`: conntrack runs even if no rule needs it (a host with Docker or other conntrack users). */
  conntrack: 'auto' | 'on';
  /** Packets the host saw before the probe, oldest first (they build connections, recent lists, buckets). */
  history: Packet[];
  /** Kernel state at the start; a fresh copy for every outcome explored. */
  makeState(): EngineState;
}

const SCENARIO_FIELDS = ['host', 'packet', 'conntrack', 'history', 'state'] as const;

/** Reads a scenario; `family` is the ruleset's, so a packet of the other family is refused. */
export function parseScenario(json: unknown, family?: Family): Scenario {
  const f = Fields.of('scenario', json);
  f.only(SCENARIO_FIELDS);
  const host = f.has('host') ? parseHost(f.obj.host, 'host') : defaultHost();
  if (!f.has('packet')) throw new ScenarioError('packet', 'the scenario needs a packet');
  const packet = parsePacket(f.obj.packet, { host, family }, 'packet');
  const history = (f.array('history') ?? []).map((h, i) => parsePacket(h, { host, family: packet.family }, `history[${i}]`));
  const stateJson = f.obj.state;
  parseState(stateJson);
  return {
    host, packet, history,
    conntrack: f.oneOf('conntrack', ['auto', 'on'] as const) ?? 'auto',
    makeState: () => parseState(stateJson),
  };
}

/** A scenario from parts already read (the CLI's --packet, the tests). */
export function scenarioOf(host: Host, packet: Packet, extra: { conntrack?: 'auto' | 'on'; history?: Packet[]; state?: JsonObject } = {}): Scenario {
  parseState(extra.state);
  return { host, packet, history: extra.history ?? [], conntrack: extra.conntrack ?? 'auto', makeState: () => parseState(extra.state) };
}
