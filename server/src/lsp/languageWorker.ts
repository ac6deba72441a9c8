// A worker thread of the language server (lsp/router.ts hands it its documents): wires LSP
// requests to the pure analysis for the documents it has. Kept thin on purpose.
import {
  CodeAction, CodeActionKind, createConnection, Diagnostic as LspDiagnostic,
  DiagnosticSeverity, DiagnosticTag, DocumentHighlightKind, DocumentSymbol, FoldingRangeKind, InitializeResult, LSPErrorCodes,
  PortMessageReader, PortMessageWriter, ProposedFeatures, Range, ResponseError, SemanticTokens, SemanticTokensDelta, SymbolKind, TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { parentPort, threadId } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import { narrowShift } from '../analysis/reanalyse';
import { analyseDocument, analyseSaveDocument, analyseScriptDocument, DocumentAnalysis, DocumentKind, documentKind, DocumentOptions, reanalyseSaveDocument } from '../analysis/document';
import type { Diagnostic } from '../diagnostics';
import { cleanMessage, shorten } from '../display';
import { environmentLocale, setLocale, t } from '../l10n';
import type { Ruleset } from '../model/ruleset';
import { nftScript } from '../nft/script';
import { nodeBashParser } from '../node/bashWasm';
import { ParsedLines } from '../syntax/parsedLines';
import { forgetRecentCommands } from '../syntax/saveFile';
import { forgetSharedValues } from '../model/shape';
import { AnalysisCache, StaleAnalysis, Stop } from './analysisCache';
import { DocumentLines, LineEdit } from './documentLines';
import { EditLog } from './editLog';
import { LARGE_DOCUMENT, lineCount } from './router';
import { completionAnswer, hoverAnswer } from './textAnswers';
import { runInSlices } from './timeSlices';
import type { SourceText } from '../sourceText';
import type { ContextSource } from '../services/cursorContext';
import { quickFixes } from '../services/quickFixes';
import { chainIndex } from '../services/chainOccurrences';
import { definition, HighlightKind, highlights, prepareRename, references, rename } from '../services/navigation';
import { carryTokens, documentTokens, numbers, SEMANTIC_TOKEN_LEGEND, tokenEdits } from '../services/semanticTokens';
import { carryOver, documentSymbols, foldingRanges, OutlineSymbol } from '../services/symbols';
import { compareWithLive } from '../services/compareLive';
import { runPacketTests } from '../services/packetTests';
import { documentDiff, documentMatrix, ruleCount } from '../services/symbolic';
import { traceLenses, traceModel } from '../services/trace';
import { COMPARE_LIVE_REQUEST, CompareLiveAnswer, CompareLiveParams, NFT_SCRIPT_REQUEST, NftScriptAnswer, NftScriptParams, PACKET_TESTS_REQUEST, PacketTestsAnswer, PacketTestsParams, SEMANTIC_DIFF_REQUEST, SemanticDiffAnswer, SemanticDiffParams, MatrixView, SERVICE_MATRIX_REQUEST, ServiceMatrixAnswer, ServiceMatrixParams, TRACE_COMMAND, TRACE_MODEL_REQUEST, TraceModel, TraceModelParams, TracePacketArgs, RETIRE_NOTIFICATION, RetireParams, ANALYSE_ANEW_NOTIFICATION, AnalyseAnewParams } from '../protocol/requests';

interface Settings {
  diagnostics: { enable: boolean };
  externalChains: string[];
  maxFileSize: number;
}

const connection = createConnection(ProposedFeatures.all, new PortMessageReader(parentPort!), new PortMessageWriter(parentPort!));

/**
 * An open document as this worker keeps it: a version's lines, over its text kept in the pieces
 * the edits left (lsp/pieceText.ts). A string of the whole text per version (what the editor's
 * TextDocument makes) is 23 MB of garbage at each keystroke for a kube-proxy node's rules.
 */
class OpenDocument {
  constructor(readonly uri: string, readonly languageId: string, readonly version: number, readonly lines: DocumentLines) {}
}

// Each edit is told to the document's parsed lines (the next parse compares only the lines it touched)
// and to its edit log (a re-analysis reads only the lines edited since the last analysis).
const documents = new TextDocuments<OpenDocument>({
  create: (uri: string, languageId: string, version: number, content: string) => {
    editLogs.set(uri, new EditLog(version));
    return new OpenDocument(uri, languageId, version, new DocumentLines(content));
  },
  update: (doc: OpenDocument, changes: TextDocumentContentChangeEvent[], version: number) => {
    const lines = parsedLines.get(doc.uri);
    const log = editLogs.get(doc.uri);
    let text = doc.lines;
    for (const change of changes) {
      const range = 'range' in change ? { start: change.range.start.line, end: change.range.end.line, lines: lineCount(change.text) } : undefined;
      log?.record(version, range && wholeLines(change as LineEdit, range));
      // The new text's lines from the old ones: neither the text nor its 200k lines are read again.
      text = 'range' in change ? text.edited([change]) : new DocumentLines(change.text);
      if (!lines) continue;
      if (range) lines.edited(range.start, range.end, range.lines);
      else parsedLines.delete(doc.uri);
    }
    // A lone CR ends a line for the editor, not for iptables-restore: edits' line numbers are not the parser's.
    if (!text.sameLines) {
      parsedLines.delete(doc.uri);
      log?.record(version);
    }
    return new OpenDocument(doc.uri, doc.languageId, version, text);
  },
});

/**
 * An edit from the start of a line to the start of another, of whole lines (a line
 * inserted or deleted as VS Code sends it): those lines alone are replaced, not the
 * line the edit ends on. `range`: the lines it touches, as counted for any edit.
 */
function wholeLines(change: LineEdit, range: { start: number; end: number; lines: number }): { start: number; end: number; lines: number } {
  const { start, end } = change.range;
  const whole = start.character === 0 && end.character === 0 && (change.text === '' || change.text.endsWith('\n'));
  return whole ? { start: range.start, end: range.end - 1, lines: range.lines - 1 } : range;
}

let settings: Settings = {
  diagnostics: { enable: true },
  externalChains: [...DEFAULT_OPTIONS.externalChains],
  maxFileSize: DEFAULT_OPTIONS.maxFileSize,
};
const pending = new Map<string, NodeJS.Timeout>();

/** A document's analysis with the text (and its lines) and version it was made from (undefined for a document we stay out of). */
interface Analysed {
  lines: DocumentLines;
  version: number;
  analysis?: DocumentAnalysis;
}

const analyses = new AnalysisCache<Analysed>();
/** The analysis each document's diagnostics were last published from. */
const publishedFrom = new Map<string, DocumentAnalysis>();
/** Each open document's parsed lines, reused by its next analysis. */
const parsedLines = new Map<string, ParsedLines>();
/** Each open document's edits since its last analysis. */
const editLogs = new Map<string, EditLog>();

// Messages in the editor's display language (VS Code sends it); other editors may not
// say, and then the server's own LANG decides, as for the CLIs.
connection.onInitialize(({ locale }) => {
  setLocale(locale ?? environmentLocale(process.env));
  return INITIALIZE_RESULT;
});

const INITIALIZE_RESULT: InitializeResult = {
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    completionProvider: { triggerCharacters: [' ', '-', ',', '*', ':'] },
    hoverProvider: true,
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    definitionProvider: true,
    referencesProvider: true,
    documentHighlightProvider: true,
    renameProvider: { prepareProvider: true },
    documentSymbolProvider: true,
    foldingRangeProvider: true,
    semanticTokensProvider: { legend: { tokenTypes: [...SEMANTIC_TOKEN_LEGEND.tokenTypes], tokenModifiers: [...SEMANTIC_TOKEN_LEGEND.tokenModifiers] }, full: { delta: true } },
    codeLensProvider: { resolveProvider: false },
  },
  serverInfo: { name: 'iptables-language-server' },
};

/** Resolved once the client's settings are read: an analysis made before would use the defaults. */
let settingsRead!: () => void;
const settingsKnown = new Promise<void>((resolve) => { settingsRead = resolve; });

connection.onInitialized(async () => {
  connection.console.info(`iptables language server started (Node ${process.version}, pid ${process.pid})`);
  await loadSettings();
  settingsRead();
});

connection.onDidChangeConfiguration(async () => {
  await loadSettings();
  // Settings change the analysis (external chains, size limit): nothing cached still holds.
  analyses.clear();
  documents.all().forEach((d) => void validate(d));
});

async function loadSettings(): Promise<void> {
  try {
    const s = await connection.workspace.getConfiguration('iptables');
    settings = {
      diagnostics: { enable: s?.diagnostics?.enable ?? true },
      externalChains: Array.isArray(s?.externalChains) ? s.externalChains : settings.externalChains,
      maxFileSize: typeof s?.maxFileSize === 'number' ? s.maxFileSize * 1024 * 1024 : settings.maxFileSize,
    };
  } catch {
    // A client without workspace/configuration keeps the defaults.
  }
}

/** Keystrokes closer together than this make one analysis. */
const TYPING_PAUSE_MS = 100;

/** Documents just opened: analysed at once, not after a typing pause. */
const opened = new Set<string>();
documents.onDidOpen((e) => opened.add(e.document.uri));

documents.onDidChangeContent((change) => {
  const uri = change.document.uri;
  // What is being analysed is out of date now: stop it at once, not after the pause.
  analyses.stopOthers(uri, change.document.version);
  clearTimeout(pending.get(uri));
  pending.set(uri, setTimeout(() => {
    pending.delete(uri);
    void settingsKnown.then(() => {
      const doc = documents.get(uri);
      if (doc) void validate(doc);
    });
  }, opened.delete(uri) ? 0 : TYPING_PAUSE_MS));
});

documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  analyses.delete(e.document.uri);
  parsedLines.delete(e.document.uri);
  editLogs.delete(e.document.uri);
  publishedFrom.delete(e.document.uri);
  sentTokens.delete(e.document.uri);
  retired.delete(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  if (documents.all().every((d) => d.uri === e.document.uri)) {
    forgetSharedValues();
    forgetRecentCommands();
  }
});

// Another worker analyses the document whole now (lsp/router.ts): this one answers from its last analysis until it ends.
const retired = new Set<string>();
connection.onNotification(RETIRE_NOTIFICATION, ({ uri }: RetireParams) => retire(uri));

function retire(uri: string): void {
  retired.add(uri);
  analyses.stopOthers(uri, -1);
}

/** The analysis options for a document of this uri, as the settings say. */
function baseOptions(uri: string): DocumentOptions {
  return { externalChains: settings.externalChains, maxFileSize: settings.maxFileSize, fileName: decodeURIComponent(uri.replace(/^[a-z]+:\/\//, '')) };
}

/**
 * An open document's options: its parsed lines are kept for the next analysis. Not for a large
 * document: it is analysed whole once by each of its workers (lsp/router.ts), and a patch reads
 * only the edited lines (keeping them costs its first analysis a copy of every line, and 40 MB).
 */
function optionsFor(doc: OpenDocument, text: SourceText): DocumentOptions {
  let reuse = parsedLines.get(doc.uri);
  if (!reuse && text.length < LARGE_DOCUMENT) parsedLines.set(doc.uri, reuse = new ParsedLines(true));
  return { ...baseOptions(doc.uri), reuse };
}

/**
 * The analysis of the document as it is now: the cached one when the version
 * matches, else a new one. A save file is analysed in time slices, so requests
 * are answered meanwhile; it stops (StaleAnalysis) when a newer version comes.
 */
function currentAnalysis(doc: OpenDocument): Promise<Analysed> {
  if (retired.has(doc.uri)) {
    const latest = analyses.latest(doc.uri);
    return latest ? Promise.resolve(latest) : Promise.reject(new StaleAnalysis(doc.version));
  }
  const { version, lines } = doc;
  return analyses.get(doc.uri, version, async (stop) => {
    const analysed = await analyse(doc, lines, version, stop);
    // Published before the requests that waited for it are answered (the outline of 200k lines takes seconds).
    publish(doc.uri, analysed);
    return analysed;
  });
}

/** A save file patched from its last analysis when the edit allows, else analysed whole, in time slices; a script evaluated. */
async function analyse(doc: OpenDocument, lines: DocumentLines, version: number, stop: Stop): Promise<Analysed> {
  await settingsKnown;
  const kind = documentKind(lines, undefined, doc.languageId);
  const base = analyses.latest(doc.uri);
  const options = optionsFor(doc, lines);
  // Rules edited in place: the last analysis is patched.
  if (kind === 'save' && base?.analysis) {
    const log = editLogs.get(doc.uri);
    // No analysis starts from an older one than the last finished.
    log?.forget(base.version);
    // Only rules edited in place, or else the stretch of lines that replaced others (narrowed to what differs).
    const shift = log?.shift(base.version, version);
    const edited = log?.since(base.version, version) ?? (shift && narrowShift(shift, base.lines, lines));
    try {
      const patched = await runInSlices(reanalyseSaveDocument(base.analysis, lines, options, edited), stop, version);
      if (patched) {
        // The outline, folds and tokens of 160k rules take seconds: what the edit cannot have changed is kept.
        carryOver(base.analysis, patched);
        carryTokens(base.analysis, patched);
        return { lines, version, analysis: patched };
      }
    } catch (e) {
      if (e instanceof StaleAnalysis) throw e;
      connection.console.error(`re-analysis of ${doc.uri} after an edit failed, so it is analysed whole: ${(e as Error).stack ?? e}`);
    }
  }
  // A large document is analysed whole again in a new worker (lsp/router.ts): this one answers from its last analysis until then.
  if (base && lines.length >= LARGE_DOCUMENT) {
    retire(doc.uri);
    void connection.sendNotification(ANALYSE_ANEW_NOTIFICATION, { uri: doc.uri } satisfies AnalyseAnewParams);
    return base;
  }
  const text = lines.toString();
  if (kind !== 'save') return { lines, version, analysis: kind && await runInSlices(analyseScriptDocument(text, options, await nodeBashParser()), stop, version) };
  return { lines, version, analysis: await runInSlices(analyseSaveDocument(text, options), stop, version) };
}

/**
 * For answers that may be one edit behind (completion; hover and the outline
 * of a large document): the last finished analysis, without waiting for the
 * one under way. The first analysis of a document is waited for.
 */
function recentAnalysis(doc: OpenDocument, wait = false): Promise<Analysed> {
  const latest = wait ? undefined : analyses.latest(doc.uri);
  return latest ? Promise.resolve(latest) : currentAnalysis(doc);
}

async function validate(doc: OpenDocument): Promise<void> {
  const kind = documentKind(doc.lines, undefined, doc.languageId);
  if (!settings.diagnostics.enable || !kind) {
    publishedFrom.delete(doc.uri);
    connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] });
    return;
  }
  const started = performance.now();
  let analysed: Analysed;
  try {
    analysed = await currentAnalysis(doc);
  } catch (e) {
    // A newer version stopped it: that one is published instead.
    if (e instanceof StaleAnalysis) return;
    connection.console.error(`analysis of ${doc.uri} failed: ${(e as Error).stack ?? e}`);
    // The last diagnostics may no longer hold: one that says what happened replaces them.
    publishedFrom.delete(doc.uri);
    if (documents.get(doc.uri)?.version === doc.version) connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [failure(e, doc.lines)] });
    return;
  }
  const ms = performance.now() - started;
  // Only slow analyses are worth a line in the output.
  if (ms > 100) connection.console.info(`analysed ${doc.uri} (${doc.lines.count} lines) in ${ms.toFixed(0)} ms`);
  publish(doc.uri, analysed);
}

/** Publishes an analysis's diagnostics once, while the document is still at the version analysed (a script's evaluation may be overtaken). */
function publish(uri: string, { analysis, lines, version }: Analysed): void {
  if (!settings.diagnostics.enable || !analysis || documents.get(uri)?.version !== version) return;
  // A document opened while the settings load is validated twice: one publication is enough.
  if (publishedFrom.get(uri) === analysis) return;
  publishedFrom.set(uri, analysis);
  connection.sendDiagnostics({ uri, version, diagnostics: analysis.diagnostics.map((d) => toLsp(d, uri, lines)) });
}

/** The diagnostic of an analysis that failed (a bug): on the first line, with the error's own words. */
function failure(e: unknown, lines: DocumentLines): LspDiagnostic {
  const what = cleanMessage(e instanceof Error ? e.message : String(e));
  return {
    range: lines.range({ line: 0, start: 0, end: 0 }), severity: DiagnosticSeverity.Error, code: 'analysis-failed', source: 'iptables',
    message: t('the analysis of this file stopped on an internal error ({0}); the problems shown before are gone, and nothing is checked until it is fixed: please report it', shorten(what, 200)),
  };
}

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function toLsp(d: Diagnostic, uri: string, lines: DocumentLines): LspDiagnostic {
  const out: LspDiagnostic = {
    range: lines.range(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'iptables',
    message: d.message,
  };
  if (d.related) out.relatedInformation = d.related.map((r) => ({ location: { uri, range: lines.range(r.span) }, message: r.message }));
  if (d.tag) out.tags = [d.tag === 'unnecessary' ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated];
  return out;
}

// Quick fixes for the editor's diagnostics, found again in the analysis by code and range.
connection.onCodeAction(async ({ textDocument, context }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc || (context.only && !context.only.some((k) => k === CodeActionKind.QuickFix || k === CodeActionKind.Empty))) return [];
  try {
    const { analysis, lines } = await currentAnalysis(doc);
    if (!analysis) return [];
    const text = lines.toString();
    const actions: CodeAction[] = [];
    for (const shown of context.diagnostics) {
      const core = analysis.diagnostics.find((d) => d.code === shown.code && d.message === shown.message && sameRange(lines.range(d.span), shown.range));
      if (!core) continue;
      for (const fix of quickFixes(core, analysis, text)) {
        actions.push({
          title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [shown], isPreferred: fix.preferred,
          edit: { changes: { [doc.uri]: fix.edits.map((e) => ({ range: lines.editorRange(e.range), newText: e.newText })) } },
        });
      }
    }
    return actions;
  } catch (e) {
    if (e instanceof StaleAnalysis) throw contentModified();
    connection.console.error(`quick fixes for ${doc.uri} failed: ${(e as Error).stack ?? e}`);
    return [];
  }
});

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** The answer for a request whose document changed while it waited: the editor asks again. */
function contentModified(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.ContentModified, 'the document changed');
}

// Completion and hover read the text as it is now with the last analysis, even
// one edit old (chains rarely change while typing): they never wait long for a new one.
connection.onCompletion(({ textDocument: { uri }, position }) => withRecent(uri, 'completion', false, (source, lines) => completionAnswer(source, lines, position)));

connection.onHover(({ textDocument: { uri }, position }) => withRecent(uri, 'hover', true, (source, lines) => hoverAnswer(source, lines, position)));

/**
 * How long completion and hover wait for an analysis under way. A small text is
 * analysed within it (so hover after typing sees what was typed), but a hostile
 * one (400 × 400 addresses, chains 7,000 deep) takes seconds even when small:
 * they then answer from the last finished analysis, or from the text alone.
 */
const ANSWER_WITHIN_MS = 250;

/** Answers from the document's text as it is now with a recent analysis; `small`: a small document's current one, if done in time. */
async function withRecent<T>(uri: string, feature: string, small: boolean, answer: (source: ContextSource, lines: DocumentLines) => T): Promise<T | null> {
  const doc = documents.get(uri);
  if (!doc) return null;
  const { lines } = doc;
  const under = small && lines.length < LARGE_DOCUMENT ? currentAnalysis(doc) : analyses.latest(doc.uri) ? undefined : currentAnalysis(doc);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ANSWER_WITHIN_MS); });
  // Its failure is reported by the validation that waits for it too.
  under?.catch(() => undefined);
  try {
    const a = (under && await Promise.race([under, late])) ?? analyses.latest(doc.uri);
    const kind = a ? a.analysis?.kind : documentKind(lines, undefined, doc.languageId);
    return kind ? answer({ text: lines, kind, analysis: a?.analysis, lines }, lines) : null;
  } catch (e) {
    if (e instanceof StaleAnalysis) throw contentModified();
    connection.console.error(`${feature} in ${uri} failed: ${(e as Error).stack ?? e}`);
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Answers a request from the analysis of the document as it is now, the text it was made from and its lines. */
function fromAnalysis<T>(uri: string, feature: string, answer: (analysis: DocumentAnalysis, text: SourceText, lines: DocumentLines) => T): Promise<T | null> {
  const doc = documents.get(uri);
  if (!doc) return Promise.resolve(null);
  return answerFrom(currentAnalysis(doc), uri, feature, (a) => answer(a.analysis!, a.lines, a.lines));
}

async function answerFrom<T>(analysed: Promise<Analysed>, uri: string, feature: string, answer: (a: Analysed) => T): Promise<T | null> {
  try {
    const a = await analysed;
    return a.analysis ? answer(a) : null;
  } catch (e) {
    if (e instanceof StaleAnalysis) throw contentModified();
    connection.console.error(`${feature} in ${uri} failed: ${(e as Error).stack ?? e}`);
    return null;
  }
}

connection.onDefinition(({ textDocument: { uri }, position }) => fromAnalysis(uri, 'definition', (a, text, lines) =>
  definition(chainIndex(a, text), lines.fromEditor(position)).map((span) => ({ uri, range: lines.range(span) }))));

connection.onReferences(({ textDocument: { uri }, position, context }) => fromAnalysis(uri, 'references', (a, text, lines) =>
  references(chainIndex(a, text), lines.fromEditor(position), context.includeDeclaration).map((span) => ({ uri, range: lines.range(span) }))));

const HIGHLIGHT: Record<HighlightKind, DocumentHighlightKind> = {
  read: DocumentHighlightKind.Read,
  write: DocumentHighlightKind.Write,
  text: DocumentHighlightKind.Text,
};

connection.onDocumentHighlight(({ textDocument: { uri }, position }) => fromAnalysis(uri, 'highlight', (a, text, lines) =>
  highlights(chainIndex(a, text), lines.fromEditor(position)).map((h) => ({ range: lines.range(h.span), kind: HIGHLIGHT[h.kind] }))));

// A refused rename is an error response: the editor shows its message.
connection.onPrepareRename(({ textDocument: { uri }, position }) => fromAnalysis(uri, 'rename', (a, text, lines) => {
  const found = prepareRename(chainIndex(a, text), lines.fromEditor(position));
  if (!found) return null;
  if ('refused' in found) return new ResponseError(LSPErrorCodes.RequestFailed, found.refused);
  return { range: lines.range(found.span), placeholder: found.name };
}));

connection.onRenameRequest(({ textDocument: { uri }, position, newName }) => fromAnalysis(uri, 'rename', (a, text, lines) => {
  const edits = rename(chainIndex(a, text), lines.fromEditor(position), newName);
  if (!edits) return null;
  if ('refused' in edits) return new ResponseError(LSPErrorCodes.RequestFailed, edits.refused);
  return { changes: { [uri]: edits.map((e) => ({ range: lines.range(e.span), newText: e.newText })) } };
}));

const SYMBOL_KIND: Record<OutlineSymbol['kind'], SymbolKind> = {
  family: SymbolKind.Namespace,
  table: SymbolKind.Struct,
  chain: SymbolKind.Function,
};

function toDocumentSymbol(s: OutlineSymbol, lines: DocumentLines): DocumentSymbol {
  return {
    name: s.name, detail: s.detail, kind: SYMBOL_KIND[s.kind], range: lines.editorRange(s.range), selectionRange: lines.range(s.selection),
    children: s.children.map((c) => toDocumentSymbol(c, lines)),
  };
}

// A large document's outline may be one edit behind while a new analysis runs: the last finished one's, with its text.
connection.onDocumentSymbol(({ textDocument: { uri } }) => {
  const doc = documents.get(uri);
  if (!doc) return null;
  const analysed = recentAnalysis(doc, doc.lines.length < LARGE_DOCUMENT);
  return answerFrom(analysed, uri, 'outline', (a) => documentSymbols(a.analysis!, a.lines).map((s) => toDocumentSymbol(s, a.lines)));
});

connection.onFoldingRanges(({ textDocument: { uri } }) => fromAnalysis(uri, 'folding', (a, _text, lines) =>
  foldingRanges(a)?.map((f) => {
    const range = { startLine: lines.editorLine(f.startLine), endLine: lines.editorEndLine(f.endLine) };
    return f.kind ? { ...range, kind: FoldingRangeKind.Comment } : range;
  }) ?? null));

// After an edit the editor asks for the tokens as edits of the last ones it got (LSP's delta): for a
// kube-proxy node's rules that is a few numbers, not 2M of them copied to the main thread and written out.
connection.languages.semanticTokens.on(({ textDocument: { uri } }) => tokensAnswer(uri));
connection.languages.semanticTokens.onDelta(({ textDocument: { uri }, previousResultId }) => tokensAnswer(uri, previousResultId));

/** The semantic tokens last answered for each document, which the next delta request starts from. */
const sentTokens = new Map<string, { resultId: string; data: Int32Array }>();
let tokenAnswers = 0;

function tokensAnswer(uri: string): Promise<SemanticTokens>;
function tokensAnswer(uri: string, previousResultId: string): Promise<SemanticTokens | SemanticTokensDelta>;
async function tokensAnswer(uri: string, previousResultId?: string): Promise<SemanticTokens | SemanticTokensDelta> {
  const data = await fromAnalysis(uri, 'semantic tokens', (a, text, lines) => lines.semanticTokens(documentTokens(a, text)));
  if (!data) return { data: [] };
  const last = sentTokens.get(uri);
  // Unique among the server's workers: a document's next worker does not have this one's tokens.
  const resultId = `${threadId}.${++tokenAnswers}`;
  sentTokens.set(uri, { resultId, data });
  return last && last.resultId === previousResultId ? { resultId, edits: tokenEdits(last.data, data) } : { resultId, data: numbers(data) };
}

// The trace panel: the rulesets of a document for the engine in the webview, and lenses that open it.
// A document over iptables.maxFileSize is not checked on every edit, but traced when asked: from
// the editor's text, or read from disk when the editor has none (over VS Code's 50 MB).
connection.onRequest(TRACE_MODEL_REQUEST, async ({ uri, fromDisk }: TraceModelParams): Promise<TraceModel | null> => {
  const doc = fromDisk ? undefined : documents.get(uri);
  try {
    if (!doc) return fromDisk ? await diskTraceModel(uri) : null;
    const { analysis, lines } = await wholeAnalysis(doc);
    return analysis ? inEditorLines(traceModel(analysis, uri, doc.version), lines) : null;
  } catch (e) {
    if (e instanceof StaleAnalysis) throw contentModified();
    connection.console.error(`trace model of ${uri} failed: ${(e as Error).stack ?? e}`);
    return null;
  }
});

async function diskTraceModel(uri: string): Promise<TraceModel | null> {
  if (!uri.startsWith('file:')) return null;
  const file = fileURLToPath(uri);
  const bytes = await readFile(file);
  if (bytes.subarray(0, 65536).includes(0)) return null;
  const text = new TextDecoder('utf-8').decode(bytes);
  const kind = documentKind(text, file);
  const analysis = kind && await analyseWhole(text, kind, baseOptions(uri), 0);
  return analysis ? inEditorLines(traceModel(analysis, uri, 0), new DocumentLines(text)) : null;
}

/**
 * The model's places (rules, policies, errors) on the editor's lines, where the panel reveals them.
 * (A chain sent as its lines has none split by a lone \r: snapshotOf sends those as words.)
 */
function inEditorLines(model: TraceModel, lines: DocumentLines): TraceModel {
  for (const ruleset of model.rulesets) {
    for (const chain of ruleset.tables.flatMap((t) => t.chains)) {
      if (chain.policyAt) chain.policyAt = chain.policyAt.map((s) => lines.editorSpan(s));
      for (const rule of chain.rules ?? []) rule.at = rule.at.map((s) => lines.editorSpan(s));
    }
  }
  model.errors = model.errors.map((e) => ({ ...e, ...lines.editorSpan(e) }));
  return model;
}

/** An open document's analysis, made whatever its size when it is over iptables.maxFileSize. */
async function wholeAnalysis(doc: OpenDocument): Promise<Analysed> {
  const current = await currentAnalysis(doc);
  if (current.analysis?.diagnostics[0]?.code !== 'file-too-large') return current;
  const kind = documentKind(current.lines, undefined, doc.languageId);
  return { ...current, analysis: kind && await analyseWhole(current.lines.toString(), kind, baseOptions(doc.uri), doc.version) };
}

/** An analysis whatever the size, in time slices: asked for once, not on every edit. */
function analyseWhole(text: string, kind: DocumentKind, options: DocumentOptions, version: number): Promise<DocumentAnalysis> {
  const whole = { ...options, maxFileSize: Infinity };
  if (kind === 'save') return runInSlices(analyseSaveDocument(text, whole), { stopped: false }, version);
  return analyseDocument(text, kind, whole, nodeBashParser);
}

// "Convert to nftables": the document's rulesets (both families of a script) as one nft script.
connection.onRequest(NFT_SCRIPT_REQUEST, ({ uri }: NftScriptParams): Promise<NftScriptAnswer | null> => fromAnalysis(uri, 'nft script', (a, text) => {
  const rulesets = [a.rulesets.ipv4, a.rulesets.ipv6].filter((r): r is Ruleset => !!r?.tables.size);
  return nftScript(rulesets, { source: decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1)), text: text.toString() });
}));

// Compare with Live: the document's ruleset (whatever its size) beside what the extension read on the machine.
connection.onRequest(COMPARE_LIVE_REQUEST, async ({ uri, live, names }: CompareLiveParams): Promise<CompareLiveAnswer> => {
  const doc = documents.get(uri);
  return doc ? answerFrom(wholeAnalysis(doc), uri, 'compare with live', (a) => compareWithLive(a.analysis!, live, names)) : null;
});

// The Testing view: packet tests against the document as the editor has it (open here or not).
connection.onRequest(PACKET_TESTS_REQUEST, async (p: PacketTestsParams): Promise<PacketTestsAnswer> => {
  const open = documents.get(p.uri);
  try {
    let analysis: DocumentAnalysis | undefined;
    if (open?.version === p.version) analysis = (await currentAnalysis(open)).analysis;
    else {
      const options = baseOptions(p.uri);
      const kind = documentKind(p.text, options.fileName);
      analysis = kind && await analyseDocument(p.text, kind, options, nodeBashParser);
    }
    if (!analysis) return null;
    return { results: runPacketTests(analysis, p.tests).map(({ test, ...r }) => ({ ...r, id: test.id })) };
  } catch (e) {
    if (e instanceof StaleAnalysis) throw contentModified();
    connection.console.error(`packet tests of ${p.uri} failed: ${(e as Error).stack ?? e}`);
    return null;
  }
});

// The symbolic engine: who reaches a port, and what another version of the document would change.
connection.onRequest(SERVICE_MATRIX_REQUEST, async ({ uri, service, maxClasses }: ServiceMatrixParams): Promise<ServiceMatrixAnswer> =>
  fromAnalysis(uri, 'service matrix', (a) => {
    const m = documentMatrix(a, service, maxClasses);
    return 'error' in m ? m : { text: m.text, matrices: m.json as unknown as MatrixView[] };
  }));

connection.onRequest(SEMANTIC_DIFF_REQUEST, async (p: SemanticDiffParams): Promise<SemanticDiffAnswer> => {
  const open = documents.get(p.uri);
  if (!open) return null;
  try {
    const { analysis } = await currentAnalysis(open);
    if (!analysis || (p.maxRules !== undefined && ruleCount(analysis) > p.maxRules)) return null;
    const options = baseOptions(p.uri);
    const kind = documentKind(p.baseText, options.fileName) ?? analysis.kind;
    const base = await analyseDocument(p.baseText, kind, options, nodeBashParser);
    if (p.maxRules !== undefined && ruleCount(base) > p.maxRules) return null;
    return documentDiff(base, analysis, p.names);
  } catch (e) {
    if (e instanceof StaleAnalysis) throw contentModified();
    connection.console.error(`semantic diff of ${p.uri} failed: ${(e as Error).stack ?? e}`);
    return null;
  }
});

connection.onCodeLens(({ textDocument: { uri } }) => fromAnalysis(uri, 'code lens', (a, _text, lines) => traceLenses(a).map((l) => ({
  range: lines.range(l.span),
  command: { title: t('$(debug-start) Trace a packet through {0}', l.chain), command: TRACE_COMMAND, arguments: [{ uri, chain: l.chain } satisfies TracePacketArgs] },
}))));

documents.listen(connection);
connection.listen();
