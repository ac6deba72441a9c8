// Every message between the extension (client), the language server and the
// trace panel's webview, typed in one place (as rust-analyzer's lsp_ext.ts).
// Types and names, and the check of what the webview sends: the page is
// untrusted input (a rule comment could try to script it), so the extension
// takes only messages of these shapes. The client, the server and the webview all import it.
import type { DocumentKind } from '../analysis/document';
import type { Span } from '../diagnostics';
import type { RulesetSnapshot } from '../model/snapshot';
import type { LiveComparison, LiveTexts } from '../services/compareLive';
import type { PacketTestResult } from '../services/packetTests';

// ---- client → server (a custom LSP request) ----------------------------------------------------

/** The rulesets a document loads or builds, for the trace panel to run the engine on. */
export const TRACE_MODEL_REQUEST = 'iptables/traceModel';

export interface TraceModelParams {
  uri: string;
  /** The editor has no text for it (VS Code gives extensions no file over 50 MB): the server reads the file. */
  fromDisk?: boolean;
}

/** Null when the server stays out of the document (a shell script without iptables). */
export interface TraceModel {
  uri: string;
  /** The document version the model was made from. */
  version: number;
  kind: DocumentKind;
  /** One per address family the document has rules for. */
  rulesets: RulesetSnapshot[];
  /** The errors iptables would stop at: the trace shows the rules without them. */
  errors: ModelError[];
}

export interface ModelError extends Span {
  message: string;
  code: string;
}

/** "iptables: Convert to nftables": the document's rules as an nft script. */
export const NFT_SCRIPT_REQUEST = 'iptables/nftScript';

export interface NftScriptParams {
  uri: string;
}

/** Null when the server stays out of the document (a shell script without iptables). */
export interface NftScriptAnswer {
  /** The script, for `nft -f`. */
  text: string;
  /** Rules written in nft, and rules left as comments because nft has no equivalent. */
  translated: number;
  untranslated: number;
}

/** The command that asks for it and opens the script beside the document. */
export const CONVERT_TO_NFT_COMMAND = 'iptables.convertToNftables';

/** Runs packet tests (saved scenarios with `expect`) against a rule file or script, for the Testing view. */
export const PACKET_TESTS_REQUEST = 'iptables/runPacketTests';

export interface PacketTestsParams {
  /** The rule file or script the tests belong to. */
  uri: string;
  /** Its text and version as the editor has it: used when the server does not have that version open. */
  text: string;
  version: number;
  tests: { id: string; name: string; json: string }[];
}

/** One result per test, by id; null when the server stays out of the document (a script without iptables). */
export type PacketTestsAnswer = { results: (PacketTestResult & { id: string })[] } | null;

/** The service matrix of a document (the symbolic engine): who reaches a port, as text. */
export const SERVICE_MATRIX_REQUEST = 'iptables/serviceMatrix';

export interface ServiceMatrixParams {
  uri: string;
  /** `tcp:22`, `udp:53`, `icmp`... */
  service: string;
  /** At most this many classes per family in `matrices` (the text has them all). */
  maxClasses?: number;
}

/** A class of the matrix as the panel shows it (engine/symbolic/matrix.ts matrixJson). */
export interface MatrixClassView {
  /** INPUT, FORWARD, OUTPUT, or PREROUTING (dropped before routing). */
  hook: string;
  fate: string;
  outInterface: string | null;
  /** Its packets, each set in words: where from, where to, on which interface. */
  cells: { from: string; to: string; on: string }[];
  rewrites: string[];
  reason?: string;
  conditions: string[];
  /** One packet of the class as a scenario: what a click traces. */
  example: Record<string, unknown>;
}

export interface MatrixView {
  service: string;
  family: 'ipv4' | 'ipv6';
  classes: MatrixClassView[];
  /** Classes left out (maxClasses). */
  more?: number;
}

/** Null when the server stays out of the document. */
export type ServiceMatrixAnswer = { text: string; matrices: MatrixView[] } | { error: string } | null;

/**
 * What changes for the packets from another version of a document (`baseText`:
 * the last commit's, or the text before an edit) to the version the server has.
 */
export const SEMANTIC_DIFF_REQUEST = 'iptables/semanticDiff';

export interface SemanticDiffParams {
  uri: string;
  baseText: string;
  /** The base and the document in the answer's words (`HEAD`, `this version`). */
  names: { a: string; b: string };
  /** Only when the document has at most this many rules (an automatic check after an edit); null otherwise. */
  maxRules?: number;
}

/** `changes`: how many sets of packets changed; null when the server stays out of the document or it is too large. */
export type SemanticDiffAnswer = { text: string; changes: number } | null;

export const MATRIX_COMMAND = 'iptables.serviceMatrix';
export const COMPARE_HEAD_COMMAND = 'iptables.compareWithHead';

/** "Compare with Live": the document's ruleset beside the machine's, as iptables-save prints both. */
export const COMPARE_LIVE_REQUEST = 'iptables/compareWithLive';

export interface CompareLiveParams {
  uri: string;
  /** What iptables-save and ip6tables-save printed on the machine. */
  live: LiveTexts;
  /** The two sides as the summary names them. */
  names: { file: string; live: string };
}

/** Null when the server stays out of the document (a script without iptables). */
export type CompareLiveAnswer = LiveComparison | null;

/** The CodeLens the server puts on built-in chains runs this command with `TracePacketArgs`. */
export const TRACE_COMMAND = 'iptables.tracePacket';

export interface TracePacketArgs {
  uri: string;
  /** Start from the preset that reaches this chain first. */
  chain?: string;
}

// ---- extension ⇄ webview (postMessage) ----------------------------------------------------------

/** The trace's host as a live machine has it (`ip -j addr` and the rest), or why it could not be read. */
export type MachineHostMessage =
  | { host: Record<string, unknown>; label: string; notes: string[] }
  | { error: string; label: string };

/** A sample packet saved in the workspace: the scenario JSON that `iptables-trace --scenario` reads. */
export interface SavedSample {
  name: string;
  /** Workspace-relative path of the file. */
  path: string;
  scenario: Record<string, unknown>;
}

export type ToWebview =
  /** The followed document and its rules (again after every edit, debounced). */
  | {
    type: 'model';
    /** The TraceModel as UTF-8 JSON: VS Code hands bytes to a webview as they are, an object it re-encodes on the way (several times slower for 8k rules). */
    model: Uint8Array;
    fileName: string; samples: SavedSample[]; canSave: boolean;
    /** A live ruleset's document: its machine's host, read with the ruleset. */
    machine?: MachineHostMessage;
  }
  /** This machine's host, asked for by `readMachine`. */
  | { type: 'machineHost'; machine: MachineHostMessage }
  /** No iptables document to follow (yet), and why. */
  | { type: 'noModel'; message: string }
  /** The CodeLens of a built-in chain asks for a packet that reaches it. */
  | { type: 'preset'; chain: string }
  | { type: 'samples'; uri: string; samples: SavedSample[] }
  /** A save failed or worked: shown beside the samples. */
  | { type: 'status'; message: string; error?: boolean }
  /** The service matrix of the followed document (asked for by the command or the panel), or why there is none. */
  | { type: 'matrix'; uri: string; service: string; matrices: MatrixView[] }
  | { type: 'matrix'; uri: string; service: string; error: string };

/** A place in the followed document, as the editor counts (0-based). */
export interface EditorRange {
  line: number;
  start: number;
  end: number;
}

export type FromWebview =
  | { type: 'ready' }
  /** Select these ranges of the document (a rule's words) and show them. */
  | { type: 'reveal'; uri: string; version: number; ranges: EditorRange[] }
  /** Decorate the rules the packet hit; `decider` decided the verdict. */
  | { type: 'decorate'; uri: string; version: number; hits: EditorRange[]; decider: EditorRange[] }
  | { type: 'saveSample'; uri: string; name: string; scenario: Record<string, unknown> }
  /** The host "this machine" was chosen: read it (the live command's machine). */
  | { type: 'readMachine' }
  /** Show the service matrix of the document for this service (`tcp:22`). */
  | { type: 'matrix'; uri: string; service: string };

/** What a message from the webview may hold at most: more is refused, not cut. */
const LIMITS = { uri: 8192, name: 200, ranges: 10_000, scenario: 1 << 20, service: 40 };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function editorRanges(v: unknown, atLeast: number): EditorRange[] | undefined {
  if (!Array.isArray(v) || v.length < atLeast || v.length > LIMITS.ranges) return undefined;
  const out: EditorRange[] = [];
  for (const r of v) {
    if (!isRecord(r) || !isCount(r.line) || !isCount(r.start) || !isCount(r.end) || r.start > r.end) return undefined;
    out.push({ line: r.line, start: r.start, end: r.end });
  }
  return out;
}

/** A scenario to save: a plain object that JSON can write, of a sane size. */
function scenario(v: unknown): Record<string, unknown> | undefined {
  if (!isRecord(v)) return undefined;
  try {
    const json = JSON.stringify(v);
    return json.length <= LIMITS.scenario ? JSON.parse(json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A message from the webview, checked against its type: a new object with
 * only the fields the type has; undefined for anything else (the extension
 * drops it). Which document it may name is the panel's to check.
 */
export function parseFromWebview(m: unknown): FromWebview | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'readMachine':
      return { type: 'readMachine' };
    case 'reveal': {
      const ranges = editorRanges(m.ranges, 1);
      return isText(m.uri, LIMITS.uri) && isCount(m.version) && ranges ? { type: 'reveal', uri: m.uri, version: m.version, ranges } : undefined;
    }
    case 'decorate': {
      const hits = editorRanges(m.hits, 0);
      const decider = editorRanges(m.decider, 0);
      return isText(m.uri, LIMITS.uri) && isCount(m.version) && hits && decider ? { type: 'decorate', uri: m.uri, version: m.version, hits, decider } : undefined;
    }
    case 'saveSample': {
      const saved = scenario(m.scenario);
      return isText(m.uri, LIMITS.uri) && isText(m.name, LIMITS.name) && saved ? { type: 'saveSample', uri: m.uri, name: m.name, scenario: saved } : undefined;
    }
    case 'matrix':
      return isText(m.uri, LIMITS.uri) && isText(m.service, LIMITS.service) ? { type: 'matrix', uri: m.uri, service: m.service } : undefined;
    default:
      return undefined;
  }
}

/** What the webview keeps across hiding, reloads and restarts (vscode.setState; the serializer hands it back). */
export interface WebviewState {
  /** The document the panel followed last. */
  uri?: string;
  /** Per document: the packet and host forms as the user left them. */
  forms: Record<string, unknown>;
}

/** The panel's view type, for the serializer and package.json's activation event. */
export const TRACE_VIEW_TYPE = 'iptables.trace';
