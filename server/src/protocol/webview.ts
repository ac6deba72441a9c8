// The contract between the extension and the trace panel's webview: the
// messages each way, typed, and the check of what the webview sends. The page
// is untrusted input (a rule comment could try to script it), so the extension
// takes only messages of these shapes.
import type { MatrixView } from './requests';

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
