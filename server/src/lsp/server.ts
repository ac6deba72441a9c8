// The language server: wires LSP requests to the pure analysis. Kept thin on purpose.
import {
  createConnection, Diagnostic as LspDiagnostic, DiagnosticSeverity, DiagnosticTag, ProposedFeatures,
  TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisOptions, analyseSaveText, DEFAULT_OPTIONS } from '../analysis/analyse';
import type { Diagnostic } from '../diagnostics';

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
  documents.all().forEach(validate);
});

connection.onDidChangeConfiguration(async () => {
  await loadSettings();
  documents.all().forEach(validate);
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
    if (doc) validate(doc);
  }, 150));
});

documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

function validate(doc: TextDocument): void {
  if (!settings.diagnostics.enable) {
    connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] });
    return;
  }
  const options: AnalysisOptions = {
    externalChains: settings.externalChains,
    maxFileSize: settings.maxFileSize,
    fileName: decodeURIComponent(doc.uri.replace(/^[a-z]+:\/\//, '')),
  };
  const started = performance.now();
  const { diagnostics } = analyseSaveText(doc.getText(), options);
  const ms = performance.now() - started;
  // Only slow analyses are worth a line in the output.
  if (ms > 100) connection.console.info(`analysed ${doc.uri} (${doc.lineCount} lines) in ${ms.toFixed(0)} ms`);
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
