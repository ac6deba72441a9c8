// The server's main thread: it talks LSP with the editor and hands every document to a worker
// thread (lsp/languageWorker.ts) that analyses it and answers for it, so no analysis and no
// garbage collection of a ruleset ever holds up the thread the editor talks to. Small documents
// share one worker. A large one has its own. Edits go to the worker that serves: it patches its
// last analysis (rules edited, added or removed). When it cannot, it asks for a whole analysis
// (and lines added or removed while one runs make that one stale): a new worker analyses the new
// text while the one holding the last finished analysis answers hover, completion and the
// outline; when the new one publishes its diagnostics it takes over and the old one ends, its heap
// given back at once. A document too large for two analyses of it in memory at once has its
// serving worker ended as the new one starts: hover and completion are answered here from the
// text alone until the new analysis is done.
import { Worker } from 'node:worker_threads';
import { SERVER_WORKER_YOUNG_GENERATION_MB, wholeAnalysisHeapGrowth, workerYoungGeneration } from '../node/v8Flags';
import { CompletionParams, HoverParams, Message, MessageReader, MessageWriter, NotificationMessage, RequestMessage, ResponseMessage } from 'vscode-languageserver/node';
import { TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { documentKind } from '../analysis/document';
import { DocumentLines } from './documentLines';
import { completionAnswer, hoverAnswer } from './textAnswers';
import { ANALYSE_ANEW_NOTIFICATION, AnalyseAnewParams, RETIRE_NOTIFICATION, RetireParams, SERVER_THREADS_REQUEST, ServerThreads, WorkerRole } from '../protocol/requests';

/** From this size on a document has workers of its own, and may be answered from an analysis one edit old. */
export const LARGE_DOCUMENT = 256 * 1024;

/** How many ended workers the server lists (the latest): a long session ends one per whole analysis. */
export const ENDED_KEPT = 32;

/**
 * From this size on, a document's serving worker ends when another analyses the document whole:
 * the two analyses would not fit in the server's 800 MB (a worker holds about 24 bytes per byte
 * of text: 550 MB for the 23 MB of a 160k-rule dump, besides the main thread's 60 MB).
 */
export const KEEP_SERVING_BELOW = 8 * 1024 * 1024;

/** Requests a worker answers from its last finished analysis and the text as it is now. */
const RECENT = new Set(['textDocument/hover', 'textDocument/completion', 'textDocument/documentSymbol']);

/** Requests the main thread answers from the text alone while a large document has no serving worker. */
const TEXT_ANSWERS = new Set(['textDocument/hover', 'textDocument/completion']);

/** A worker's own initialize (its answer is not the editor's business). */
const OWN_ID = 'router:';

const CONTENT_MODIFIED = -32801;

type Id = string | number;

interface Link {
  worker: Worker;
  thread: number;
  /** The large document it is for (none: the shared worker). */
  uri?: string;
  /** The version it started from. */
  version: number;
  role: WorkerRole;
  /** The editor's requests it has not answered yet. */
  pending: Map<Id, RequestMessage>;
  ended?: boolean;
  retired?: boolean;
}

interface Large {
  /** The worker with the last finished analysis (none before the first is done). */
  serving?: Link;
  /** The worker for the document as it is now (the serving one when no whole analysis runs). */
  newest: Link;
  /** Workers that died without finishing an analysis, in a row. */
  deaths: number;
  /** Its serving worker was ended to make room for a whole analysis: hover and completion are answered from the text here meanwhile. */
  fromText?: { lines?: DocumentLines };
}

/** Routes the editor's messages (`reader`, `writer`) to workers that run `entry`. */
export function routeLanguage(reader: MessageReader, writer: MessageWriter, entry: string): void {
  // Once: the main thread's heap is set up already, every worker after this reads the flag unset.
  workerYoungGeneration();
  const documents = new Map<string, EditorText>();
  const larges = new Map<string, Large>();
  const ended: ServerThreads['ended'] = [];
  /** A worker's requests to the editor, by the id the editor sees. */
  const asked = new Map<Id, { link: Link; id: Id }>();
  let askedCount = 0;
  let ownCount = 0;
  let initialize: RequestMessage | undefined;
  /** The small documents' worker, started when first needed (20 MB a worker: none while only large documents are open). */
  let sharedWorker: Link | undefined;
  const shared = (): Link => sharedWorker ??= spawn();

  function spawn(uri?: string, doc?: TextDocument): Link {
    const worker = new Worker(entry, { stdout: true, resourceLimits: { maxYoungGenerationSizeMb: SERVER_WORKER_YOUNG_GENERATION_MB } });
    // A worker's console must not reach the editor's channel (stdio is the protocol).
    worker.stdout.pipe(process.stderr);
    const link: Link = { worker, thread: worker.threadId, uri, version: doc?.version ?? 0, role: 'analysing', pending: new Map() };
    worker.on('message', (m: Message) => fromWorker(link, m));
    worker.on('error', (e) => logger.error(`a worker of the language server stopped: ${e.stack ?? e}`));
    worker.on('exit', () => { if (!link.ended) died(link); });
    if (initialize) {
      worker.postMessage({ ...initialize, id: `${OWN_ID}${++ownCount}` });
      worker.postMessage({ jsonrpc: '2.0', method: 'initialized', params: {} });
    }
    if (doc) worker.postMessage(didOpen(doc));
    if (uri) wholeAnalysisHeapGrowth(true);
    return link;
  }

  function post(link: Link, m: Message): void {
    if (Message.isRequest(m)) {
      if (link.ended) return void writer.write(failed(m.id, 'the document changed'));
      link.pending.set(m.id!, m);
    }
    if (!link.ended) link.worker.postMessage(m);
  }

  /** Ends a worker; what it was asked and has not answered goes to `heir`. */
  function end(link: Link, why: ServerThreads['ended'][number]['why'], heir?: Link): void {
    link.ended = true;
    void link.worker.terminate();
    heapGrowth();
    if (link.uri) {
      ended.push({ uri: link.uri, thread: link.thread, version: link.version, why });
      if (ended.length > ENDED_KEPT) ended.shift();
    }
    for (const m of link.pending.values()) {
      if (heir) post(heir, m);
      else writer.write(failed(m.id, 'the document changed'));
    }
    link.pending.clear();
  }

  /** A worker that ended by itself (out of memory, a crash): another one takes its documents and its requests. */
  function died(link: Link): void {
    logger.error(`a worker of the language server ended unexpectedly (thread ${link.thread})`);
    if (!link.uri) {
      link.ended = true;
      sharedWorker = spawn();
      for (const [uri, doc] of documents) if (!larges.has(uri)) post(sharedWorker, didOpen(doc.current()));
      for (const m of link.pending.values()) post(sharedWorker, m);
      return;
    }
    const large = larges.get(link.uri);
    if (!large) return;
    if (large.serving === link) large.serving = undefined;
    // A document that kills every worker is not analysed again and again: the serving one (if any) answers.
    if (large.newest === link) large.newest = ++large.deaths <= 2 ? spawn(link.uri, documents.get(link.uri)?.current()) : large.serving ?? link;
    end(link, 'died', large.newest.ended ? undefined : large.newest);
  }

  /** The editor's output channel for the server. */
  const logger = {
    error: (message: string) => void writer.write({ jsonrpc: '2.0', method: 'window/logMessage', params: { type: 1, message } } as NotificationMessage),
  };

  function linkFor(uri: string | undefined, method: string): Link {
    const large = uri === undefined ? undefined : larges.get(uri);
    if (!large) return shared();
    return (RECENT.has(method) && large.serving) || large.newest;
  }

  function status(): ServerThreads {
    return {
      documents: [...larges].map(([uri, l]) => ({
        uri, workers: [...new Set([l.serving, l.newest])].filter((w): w is Link => !!w && !w.ended).map((w) => ({ thread: w.thread, role: w.role, version: w.version })),
      })),
      ended,
    };
  }

  function fromEditor(m: Message): void {
    if (Message.isResponse(m)) {
      const to = asked.get(m.id!);
      asked.delete(m.id!);
      if (to) post(to.link, { ...m, id: to.id } as ResponseMessage);
      return;
    }
    const params = (m as RequestMessage).params as Record<string, any> | undefined;
    const uri: string | undefined = params?.textDocument?.uri ?? params?.uri;
    const large = uri === undefined ? undefined : larges.get(uri);
    if (Message.isRequest(m)) {
      if (m.method === 'initialize') initialize = m;
      if (m.method === 'shutdown') return void writer.write({ jsonrpc: '2.0', id: m.id, result: null } as ResponseMessage);
      if (m.method === SERVER_THREADS_REQUEST) return void writer.write({ jsonrpc: '2.0', id: m.id, result: status() } as ResponseMessage);
      if (large?.fromText && TEXT_ANSWERS.has(m.method)) return void writer.write(fromText(large.fromText, documents.get(uri!)!.current(), m));
      return post(linkFor(uri, m.method), m);
    }
    if (!Message.isNotification(m)) return;
    switch (m.method) {
      case 'exit':
        return process.exit(0);
      case '$/cancelRequest': {
        const id = params?.id;
        for (const link of [sharedWorker, ...[...larges.values()].flatMap((l) => [l.serving, l.newest])]) if (link?.pending.has(id)) post(link, m);
        return;
      }
      case 'textDocument/didOpen': {
        const { languageId, version, text } = params!.textDocument;
        const doc = TextDocument.create(uri!, languageId, version, text);
        documents.set(uri!, new EditorText(doc));
        if (text.length >= LARGE_DOCUMENT) larges.set(uri!, { newest: spawn(uri, doc), deaths: 0 });
        else post(shared(), m);
        return;
      }
      case 'textDocument/didChange': {
        const doc = documents.get(uri!);
        if (!doc) return;
        doc.update(params!.contentChanges, params!.textDocument.version);
        if (!large) return post(shared(), m);
        // Lines added or removed while a whole analysis runs: it is stale, another starts. Else the worker with
        // the last analysis patches it (lines added or removed too), or asks for a whole analysis elsewhere (analyseAnew).
        if (movesLines(params!.contentChanges) && (large.newest !== large.serving || large.serving.retired)) return analyseAnew(large, doc.current(), m);
        for (const link of new Set([large.serving, large.newest])) if (link) post(link, m);
        return;
      }
      case 'textDocument/didClose':
        documents.delete(uri!);
        if (!large) return post(shared(), m);
        larges.delete(uri!);
        for (const link of new Set([large.serving, large.newest])) if (link && !link.ended) end(link, 'closed');
        return;
      default:
        for (const link of [sharedWorker, ...[...larges.values()].flatMap((l) => [...new Set([l.serving, l.newest])])]) if (link) post(link, m);
    }
  }

  /**
   * A whole analysis of `doc` in a new worker; the serving one keeps answering from its last analysis meanwhile (`change`: told to it),
   * unless the document is too large for two analyses at once.
   */
  function analyseAnew(large: Large, doc: TextDocument, change?: NotificationMessage): void {
    const { serving } = large;
    const stale = large.newest === serving ? undefined : large.newest;
    const makeRoom = doc.getText().length >= KEEP_SERVING_BELOW;
    if (serving && !makeRoom) {
      if (!serving.retired) post(serving, { jsonrpc: '2.0', method: RETIRE_NOTIFICATION, params: { uri: doc.uri } satisfies RetireParams } as NotificationMessage);
      serving.retired = true;
      // Its text must stay the editor's: hover and completion read it.
      if (change) post(serving, change);
    }
    large.newest = spawn(doc.uri, doc);
    if (serving && makeRoom) {
      large.serving = undefined;
      large.fromText = {};
      end(serving, 'evicted', large.newest);
    }
    if (stale) end(stale, 'stale', large.newest);
  }

  /** A worker asks for a whole analysis of `uri` elsewhere: a large document's serving worker, or the shared one for a document grown large. */
  function analyseAnewFor(link: Link, uri: string): void {
    const doc = documents.get(uri)?.current();
    const large = larges.get(uri);
    if (!doc || (large && link !== large.newest)) return;
    if (large) return analyseAnew(large, doc);
    larges.set(uri, { newest: spawn(uri, doc), deaths: 0 });
    post(shared(), { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } } as NotificationMessage);
  }

  function fromWorker(link: Link, m: Message): void {
    if (link.ended) return;
    if (Message.isResponse(m)) {
      if (typeof m.id === 'string' && m.id.startsWith(OWN_ID)) return;
      link.pending.delete(m.id!);
      void writer.write(m);
    } else if (Message.isRequest(m)) {
      const id = ++askedCount;
      asked.set(id, { link, id: m.id! });
      void writer.write({ ...m, id } as RequestMessage);
    } else if (Message.isNotification(m)) {
      if (m.method === ANALYSE_ANEW_NOTIFICATION) return analyseAnewFor(link, (m.params as AnalyseAnewParams).uri);
      if (m.method === 'textDocument/publishDiagnostics') {
        const large = larges.get((m.params as { uri: string }).uri);
        // A retired worker's or a stale one's diagnostics are of a text that is gone.
        if (large && link !== large.newest) return;
        if (large && large.serving !== link) takeOver(large);
      }
      void writer.write(m);
    }
  }

  function takeOver(large: Large): void {
    const old = large.serving;
    large.serving = large.newest;
    large.newest.role = 'serving';
    large.deaths = 0;
    large.fromText = undefined;
    if (old) end(old, 'replaced', large.newest);
    heapGrowth();
  }

  /** The heaps grow faster while a large document is analysed whole (node/v8Flags.ts). */
  function heapGrowth(): void {
    wholeAnalysisHeapGrowth([...larges.values()].some((l) => l.newest.role === 'analysing' && !l.newest.ended));
  }

  /** Hover or completion from the document's text alone (its lines kept for the version asked about). */
  function fromText(state: { lines?: DocumentLines }, doc: TextDocument, m: RequestMessage): ResponseMessage {
    const text = doc.getText();
    try {
      const kind = documentKind(text, undefined, doc.languageId);
      if (state.lines?.text !== text) state.lines = new DocumentLines(text);
      const source = kind && { text, kind, lines: state.lines };
      const params = m.params as HoverParams & CompletionParams;
      const result = !source ? null : m.method === 'textDocument/hover' ? hoverAnswer(source, state.lines, params.position) : completionAnswer(source, state.lines, params.position);
      return { jsonrpc: '2.0', id: m.id, result };
    } catch (e) {
      logger.error(`${m.method} in ${doc.uri} failed: ${(e as Error).stack ?? e}`);
      return { jsonrpc: '2.0', id: m.id, result: null };
    }
  }

  function failed(id: Id | null, message: string): ResponseMessage {
    return { jsonrpc: '2.0', id, error: { code: CONTENT_MODIFIED, message } };
  }

  reader.listen(fromEditor);
  reader.onClose(() => process.exit(0));
}

/** Edits kept at most before they are applied to the text, though nothing asked for it. */
const PENDING_EDITS = 1000;

/**
 * A document's text as the editor has it, brought up to date when asked for: this thread
 * needs it only to start a worker and to answer from the text, and applying each keystroke
 * makes a new copy of the whole text (23 MB for a kube-proxy node's rules).
 */
class EditorText {
  private pending: TextDocumentContentChangeEvent[] = [];
  private version: number;

  constructor(private doc: TextDocument) {
    this.version = doc.version;
  }

  update(changes: TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) this.pending.push(change);
    this.version = version;
    if (this.pending.length > PENDING_EDITS) this.current();
  }

  current(): TextDocument {
    if (this.pending.length || this.doc.version !== this.version) this.doc = TextDocument.update(this.doc, this.pending, this.version);
    this.pending = [];
    return this.doc;
  }
}

function didOpen(doc: TextDocument): NotificationMessage {
  return { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: doc.uri, languageId: doc.languageId, version: doc.version, text: doc.getText() } } };
}

/** Whether an edit adds or removes lines (or replaces the whole text). */
function movesLines(changes: { range?: { start: { line: number }; end: { line: number } }; text: string }[]): boolean {
  return changes.some((c) => !c.range || lineCount(c.text) !== c.range.end.line - c.range.start.line + 1);
}

export function lineCount(text: string): number {
  let n = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}
