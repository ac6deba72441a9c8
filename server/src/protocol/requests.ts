// The contract between the extension (client) and the language server: every
// custom request and command, typed in one place (as rust-analyzer's lsp_ext.ts).
// The messages between the extension and the trace panel are in webview.ts.
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

// The model and its errors are the trace service's own types (services/ never imports the contract).
export type { ModelError, TraceModel } from '../services/trace';

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

/** The server's threads (server/src/lsp/router.ts): which worker answers for each large document, and the workers ended so far. */
export const SERVER_THREADS_REQUEST = 'iptables/serverThreads';

export interface ServerThreads {
  documents: { uri: string; workers: { thread: number; role: WorkerRole; version: number }[] }[];
  /**
   * The last workers of large documents that ended (at most 32, lsp/router.ts's ENDED_KEPT), oldest first. `evicted`: a
   * serving worker ended as a new one analyses a document too large for two analyses of it at once.
   */
  ended: { uri: string; thread: number; version: number; why: 'replaced' | 'stale' | 'closed' | 'died' | 'evicted' }[];
}

/** `serving`: holds the last finished analysis and answers from it; `analysing`: works on a newer version, and takes over when done. */
export type WorkerRole = 'serving' | 'analysing';

// ---- the server's main thread → a worker ----------------------------------------------------

/** Another worker analyses the document from now on: this one answers from its last analysis and starts no other. */
export const RETIRE_NOTIFICATION = 'iptables/retire';

export interface RetireParams {
  uri: string;
}

// ---- a worker → the server's main thread ----------------------------------------------------

/** The worker cannot patch its last analysis for the edits (or a small document grew large): a new worker is to analyse the document whole; this one has retired. */
export const ANALYSE_ANEW_NOTIFICATION = 'iptables/analyseAnew';

export interface AnalyseAnewParams {
  uri: string;
}
