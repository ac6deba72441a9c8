// The language server: wires LSP requests to the pure analysis. Kept thin on purpose.
import {
  createConnection, Diagnostic as LspDiagnostic, DiagnosticSeverity, DiagnosticTag, ProposedFeatures,
  TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import { analyseDocument, documentKind, DocumentOptions } from '../analysis/document';
import type { Diagnostic } from '../diagnostics';
import { nodeBashParser } from '../node/bashWasm';

interface Settings {
  diagnostics: { enable: boolean };
  externalChains: string[];
  maxFileSize: number;
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: Settings = {
  diagnostics: { enable: true },
  externalChains: [...DEFAULT_OPTIONS.externalChains],
  maxFileSize: DEFAULT_OPTIONS.maxFileSize,
};
const pending = new Map<string, NodeJS.Timeout>();

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'iptables-language-server' },
}));

connection.onInitialized(async () => {
  connection.console.info(`iptables language server started (Node ${process.version}, pid ${process.pid})`);
  await loadSettings();
  documents.all().forEach((d) => void validate(d));
});

connection.onDidChangeConfiguration(async () => {
  await loadSettings();
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

documents.onDidChangeContent((change) => {
  const uri = change.document.uri;
  clearTimeout(pending.get(uri));
  pending.set(uri, setTimeout(() => {
    pending.delete(uri);
    const doc = documents.get(uri);
    if (doc) void validate(doc);
  }, 150));
});

documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

async function validate(doc: TextDocument): Promise<void> {
  const text = doc.getText();
  const kind = documentKind(text, undefined, doc.languageId);
  if (!settings.diagnostics.enable || !kind) {
    connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] });
    return;
  }
  const options: DocumentOptions = {
    externalChains: settings.externalChains,
    maxFileSize: settings.maxFileSize,
    fileName: decodeURIComponent(doc.uri.replace(/^[a-z]+:\/\//, '')),
  };
  const started = performance.now();
  let diagnostics: Diagnostic[];
  try {
    ({ diagnostics } = await analyseDocument(text, kind, options, nodeBashParser));
  } catch (e) {
    connection.console.error(`analysis of ${doc.uri} failed: ${(e as Error).stack ?? e}`);
    return;
  }
  const ms = performance.now() - started;
  // Only slow analyses are worth a line in the output.
  if (ms > 100) connection.console.info(`analysed ${doc.uri} (${doc.lineCount} lines) in ${ms.toFixed(0)} ms`);
  // A newer version may have arrived while a script was being evaluated.
  if (documents.get(doc.uri)?.version !== doc.version) return;
  connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: diagnostics.map(toLsp) });
}

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function toLsp(d: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: { start: { line: d.span.line, character: d.span.start }, end: { line: d.span.line, character: d.span.end } },
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'iptables',
    message: d.message,
  };
  if (d.tag) out.tags = [d.tag === 'unnecessary' ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated];
  return out;
}

documents.listen(connection);
connection.listen();
