// The trace panel's extension side: the webview beside the editor, following
// the active iptables document; the model from the server to the webview at
// every change (debounced); the webview's clicks back to the editor, and the
// decorations of the rules the packet hit. The engine itself runs in the webview.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  commands, Disposable, env, ExtensionContext, OverviewRulerLane, Range, Selection, TextDocument, TextEditorDecorationType, TextEditorRevealType,
  l10n, ThemeColor, Uri, ViewColumn, WebviewPanel, window, workspace,
} from 'vscode';
import { type LanguageClient, LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { SERVICE_MATRIX_REQUEST, ServiceMatrixAnswer, ServiceMatrixParams, TRACE_MODEL_REQUEST, TraceModel, TraceModelParams, TracePacketArgs } from '../../server/src/protocol/requests';
import { EditorRange, FromWebview, parseFromWebview, SavedSample, ToWebview, TRACE_VIEW_TYPE, WebviewState } from '../../server/src/protocol/webview';
import { callsIptables } from '../../server/src/shell/detect';
import { activeUnsynced, sizeOf, SYNC_LIMIT } from './largeFiles';
import { documentName, type LiveDocuments, readThisMachine } from './live';
import { sampleFileName, samplesDirectory, traceHtml } from './traceHtml';

/** Edits settle this long before the panel traces again. */
const DEBOUNCE_MS = 250;

/** Classes per family the panel's matrix shows: a table of more is no longer read (the command line has them all). */
const MATRIX_CLASSES_SHOWN = 300;

/** Models kept for documents the panel followed (an 8k-rule file's is about 1.5 MB). */
const MODELS_KEPT = 4;

/** Documents the panel can follow: rule files, and shell scripts that run iptables. */
function isTraceable(doc: TextDocument): boolean {
  return doc.languageId === 'iptables' || (doc.languageId === 'shellscript' && callsIptables(doc.getText()));
}

/** Sets `iptables.traceable` for the editor title button. */
export function updateTraceableContext(isRules: (uri: Uri) => boolean): void {
  const doc = window.activeTextEditor?.document;
  void commands.executeCommand('setContext', 'iptables.traceable', (doc !== undefined && isTraceable(doc)) || activeUnsynced(isRules) !== undefined);
}

export interface PanelHost {
  context: ExtensionContext;
  /** The language client, once it runs. */
  client(): Promise<LanguageClient>;
  /** Whether a file's name makes it a rules file. */
  isRules(uri: Uri): boolean;
  /** Live rulesets, with the host of the machine each was read from. */
  live: LiveDocuments;
}

export class TracePanel {
  private static current: TracePanel | undefined;

  private followed: Uri | undefined;
  private ready = false;
  private queue: ToWebview[] = [];
  /** The last model (or why there is none), sent again when the webview reloads after being hidden. */
  private lastModel: ToWebview | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Answers to model requests can cross: only the latest is sent. */
  private request = 0;
  private readonly hit: TextEditorDecorationType;
  private readonly decider: TextEditorDecorationType;
  private decorated: { uri: string; hits: EditorRange[]; decider: EditorRange[] } | undefined;
  private readonly disposables: Disposable[] = [];
  /** The last few documents' models as sent: coming back to an unchanged file does not ask the server again. */
  private readonly models = new Map<string, { version: number; bytes: Uint8Array }>();

  /** "iptables: Trace Packet": opens the panel beside the editor (or shows it) on the document. */
  static async show(host: PanelHost, args?: TracePacketArgs | Uri): Promise<void> {
    const uri = args instanceof Uri ? args : args?.uri ? Uri.parse(args.uri) : activeTraceable(host);
    if (!TracePanel.current) {
      const panel = window.createWebviewPanel(TRACE_VIEW_TYPE, l10n.t('Packet Trace'), { viewColumn: ViewColumn.Beside, preserveFocus: true }, webviewOptions(host.context));
      TracePanel.current = new TracePanel(panel, host, uri);
    } else {
      TracePanel.current.panel.reveal(undefined, true);
      // The preset below applies to this document's packet: its model goes first.
      if (uri) await TracePanel.current.follow(uri);
    }
    if (!uri && !TracePanel.current.followed) TracePanel.current.post({ type: 'noModel', message: l10n.t('Open an iptables rules file, or a shell script that runs iptables, to trace a packet through it.') });
    if (args && !(args instanceof Uri) && args.chain) TracePanel.current.post({ type: 'preset', chain: args.chain });
  }

  /** "iptables: Service Matrix": the panel on the document, showing who reaches the service. */
  static async showMatrix(host: PanelHost, uri: Uri, service: string): Promise<void> {
    await TracePanel.show(host, uri);
    await TracePanel.current?.matrix(uri, service);
  }

  /** The serializer's way back after a restart, with the state the webview saved. */
  static revive(panel: WebviewPanel, host: PanelHost, state: WebviewState | undefined): void {
    panel.webview.options = webviewOptions(host.context);
    TracePanel.current?.panel.dispose();
    TracePanel.current = new TracePanel(panel, host, activeTraceable(host) ?? (state?.uri ? Uri.parse(state.uri) : undefined));
  }

  private constructor(private readonly panel: WebviewPanel, private readonly host: PanelHost, uri: Uri | undefined) {
    const media = (name: string) => host.context.asAbsolutePath(path.join('client', 'out', 'media', name));
    this.hit = window.createTextEditorDecorationType({
      gutterIconPath: media('trace-hit.svg'), gutterIconSize: 'contain',
      overviewRulerColor: new ThemeColor('iptables.traceHit'), overviewRulerLane: OverviewRulerLane.Left,
    });
    this.decider = window.createTextEditorDecorationType({
      gutterIconPath: media('trace-decider.svg'), gutterIconSize: 'contain', isWholeLine: true,
      backgroundColor: new ThemeColor('iptables.traceDeciderBackground'),
      overviewRulerColor: new ThemeColor('iptables.traceDecider'), overviewRulerLane: OverviewRulerLane.Full,
    });
    this.followed = uri;
    this.setHtml();
    this.disposables.push(
      this.hit, this.decider,
      panel.onDidDispose(() => this.dispose()),
      // Hidden, the webview is gone (no retained context): messages wait for its next `ready`.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      // The page is untrusted input: only messages of the protocol's shapes get through.
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const m = parseFromWebview(raw);
        if (m) this.receive(m);
      }),
      window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isTraceable(editor.document) && editor.document.uri.toString() !== this.followed?.toString()) void this.follow(editor.document.uri);
      }),
      // A file too large for the editor to give us has a tab but no editor.
      window.tabGroups.onDidChangeTabs(() => {
        const large = activeUnsynced(host.isRules);
        if (large && large.toString() !== this.followed?.toString()) void this.follow(large);
      }),
      window.onDidChangeVisibleTextEditors(() => this.applyDecorations()),
      // A file closed and read again starts at version 1; settings change what the server sees.
      workspace.onDidCloseTextDocument((doc) => this.models.delete(doc.uri.toString())),
      workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('iptables')) this.models.clear();
      }),
      workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() !== this.followed?.toString() || e.contentChanges.length === 0) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
      }),
    );
    this.setTitle();
    void this.refresh();
  }

  private setHtml(): void {
    const webview = this.panel.webview;
    const out = (...p: string[]) => webview.asWebviewUri(Uri.joinPath(this.host.context.extensionUri, 'client', 'out', ...p)).toString();
    webview.html = traceHtml({
      cspSource: webview.cspSource, nonce: randomBytes(16).toString('base64'),
      script: out('webview.js'), style: out('webview.css'), codicons: out('codicons', 'codicon.css'),
      language: env.language, bundle: l10n.bundle, title: l10n.t('Packet trace'),
    });
  }

  private setTitle(): void {
    this.panel.title = this.followed ? l10n.t('Packet Trace: {0}', path.posix.basename(this.followed.path)) : l10n.t('Packet Trace');
  }

  private follow(uri: Uri): Promise<void> {
    this.clearDecorations();
    this.followed = uri;
    this.setTitle();
    return this.refresh();
  }

  private post(m: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  private receive(m: FromWebview): void {
    if (m.type === 'ready') {
      // Also after the webview was hidden and shown again: it reloads and needs the model anew.
      this.ready = true;
      const queued = this.queue.splice(0);
      if (this.lastModel && !queued.includes(this.lastModel)) queued.unshift(this.lastModel);
      for (const q of queued) void this.panel.webview.postMessage(q);
      return;
    }
    if (m.type === 'readMachine') {
      void readThisMachine().then((machine) => this.post({ type: 'machineHost', machine }));
      return;
    }
    // A message names the document the panel follows, or it is stale or forged: dropped.
    if (!this.followed || Uri.parse(m.uri).toString() !== this.followed.toString()) return;
    switch (m.type) {
      case 'reveal':
        void this.reveal(this.followed, m.ranges);
        return;
      case 'decorate':
        this.decorated = { uri: m.uri, hits: m.hits, decider: m.decider };
        this.applyDecorations();
        return;
      case 'saveSample':
        void this.saveSample(this.followed, m.name, m.scenario);
        return;
      case 'matrix':
        void this.matrix(this.followed, m.service);
        return;
    }
  }

  /** Asks the server for the document's matrix and shows it in the page (the first classes of a large one). */
  private async matrix(uri: Uri, service: string): Promise<void> {
    let answer: ServiceMatrixAnswer;
    try {
      const client = await this.host.client();
      answer = await client.sendRequest<ServiceMatrixAnswer>(SERVICE_MATRIX_REQUEST, { uri: uri.toString(), service, maxClasses: MATRIX_CLASSES_SHOWN } satisfies ServiceMatrixParams);
    } catch (e) {
      answer = { error: (e as Error).message };
    }
    if (uri.toString() !== this.followed?.toString()) return;
    if (answer && 'matrices' in answer) this.post({ type: 'matrix', uri: uri.toString(), service, matrices: answer.matrices });
    else this.post({ type: 'matrix', uri: uri.toString(), service, error: answer?.error ?? l10n.t('This document has no iptables rules.') });
  }

  /**
   * Asks the server for the followed document's model and sends it. Started as
   * soon as the panel opens: the request runs while the webview is loading.
   */
  private async refresh(): Promise<void> {
    const uri = this.followed;
    if (!uri) return;
    const ticket = ++this.request;
    const message = await this.modelMessage(uri);
    if (ticket !== this.request) return;
    this.lastModel = message;
    this.post(message);
  }

  private async modelMessage(uri: Uri): Promise<ToWebview> {
    try {
      const key = uri.toString();
      const open = workspace.textDocuments.find((d) => d.uri.toString() === key);
      const size = open ? undefined : await sizeOf(uri);
      const doc = size !== undefined && size > SYNC_LIMIT ? undefined : open ?? await workspace.openTextDocument(uri);
      const client = await this.host.client();
      // The workspace's samples are read while the server answers.
      const samples = listSamples(uri);
      const cached = this.models.get(key);
      // Too large for the editor to give us: the server reads it from disk, as of its last change there.
      const version = doc?.version ?? (await workspace.fs.stat(uri)).mtime;
      const found = cached?.version === version ? cached : doc ? await requestModel(client, doc) : await diskModel(client, uri, version);
      if (!found) return { type: 'noModel', message: l10n.t('{0} does not run iptables: there is nothing to trace.', documentName(uri)) };
      this.remember(key, found);
      return {
        type: 'model', model: found.bytes, fileName: documentName(uri), samples: await samples, canSave: workspace.getWorkspaceFolder(uri) !== undefined,
        machine: this.host.live.machineOf(uri),
      };
    } catch (e) {
      return { type: 'noModel', message: l10n.t('The rules could not be read: {0}', (e as Error).message) };
    }
  }

  private remember(uri: string, model: { version: number; bytes: Uint8Array }): void {
    this.models.delete(uri);
    this.models.set(uri, model);
    // Maps iterate in insertion order: the first is the least recently traced.
    if (this.models.size > MODELS_KEPT) this.models.delete(this.models.keys().next().value!);
  }

  private async reveal(uri: Uri, ranges: EditorRange[]): Promise<void> {
    const shown = window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    let editor;
    try {
      // The focus stays in the panel: the keyboard can go on down the steps.
      editor = await window.showTextDocument(shown?.document.uri ?? uri, { viewColumn: shown?.viewColumn ?? ViewColumn.One, preserveFocus: true });
    } catch {
      // A file over 50 MB: the editor shows it, but gives extensions no way into it.
      this.post({ type: 'status', message: l10n.t('The editor cannot go to line {0} of this file: it is too large for extensions.', ranges[0].line + 1), error: true });
      return;
    }
    // Anchored at the end, the cursor at the start: the editor scrolls to where the rule begins.
    editor.selections = ranges.map((r) => new Selection(r.line, r.end, r.line, r.start));
    editor.revealRange(new Range(ranges[0].line, ranges[0].start, ranges[0].line, ranges[0].end), TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private applyDecorations(): void {
    const d = this.decorated;
    for (const editor of window.visibleTextEditors) {
      const mine = d !== undefined && editor.document.uri.toString() === d.uri;
      const deciderLines = new Set(d?.decider.map((r) => r.line));
      const toRange = (r: EditorRange) => new Range(r.line, r.start, r.line, r.end);
      editor.setDecorations(this.hit, mine ? d.hits.filter((r) => !deciderLines.has(r.line)).map(toRange) : []);
      editor.setDecorations(this.decider, mine ? d.decider.map(toRange) : []);
    }
  }

  private clearDecorations(): void {
    this.decorated = undefined;
    this.applyDecorations();
  }

  private async saveSample(doc: Uri, name: string, scenario: Record<string, unknown>): Promise<void> {
    const dir = samplesDir(doc);
    if (!dir) {
      this.post({ type: 'status', message: l10n.t('Samples are saved in a workspace folder: open the folder of this file.'), error: true });
      return;
    }
    const file = Uri.joinPath(dir, sampleFileName(name));
    try {
      await workspace.fs.createDirectory(dir);
      await workspace.fs.writeFile(file, new TextEncoder().encode(JSON.stringify(scenario, null, 2) + '\n'));
      this.post({ type: 'status', message: l10n.t('Saved {0}', workspace.asRelativePath(file)) });
      this.post({ type: 'samples', uri: doc.toString(), samples: await listSamples(doc) });
    } catch (e) {
      this.post({ type: 'status', message: l10n.t('Could not save the sample: {0}', (e as Error).message), error: true });
    }
  }

  private dispose(): void {
    clearTimeout(this.timer);
    this.clearDecorations();
    if (TracePanel.current === this) TracePanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The server's model of the document, as the bytes the webview reads, and the version it is of. */
async function requestModel(client: LanguageClient, doc: TextDocument): Promise<{ version: number; bytes: Uint8Array } | undefined> {
  const params = { uri: doc.uri.toString() };
  let modified: unknown;
  const ask = async () => {
    try {
      return await client.sendRequest<TraceModel | null>(TRACE_MODEL_REQUEST, params);
    } catch (e) {
      // The analysis the request waited for was stopped (the document changed, or was closed and read again): ask again.
      if (!(e instanceof ResponseError && e.code === LSPErrorCodes.ContentModified)) throw e;
      modified = e;
      return undefined;
    }
  };
  let model = await ask();
  // A document just opened may reach the server a moment after the request.
  for (let i = 0; (model === undefined || (!model && isTraceable(doc))) && i < 10; i++) {
    await new Promise((r) => setTimeout(r, 200));
    model = await ask();
  }
  if (model === undefined) throw modified;
  return model ? { version: model.version, bytes: new TextEncoder().encode(JSON.stringify(model)) } : undefined;
}

async function diskModel(client: LanguageClient, uri: Uri, version: number): Promise<{ version: number; bytes: Uint8Array } | undefined> {
  const model = await client.sendRequest<TraceModel | null>(TRACE_MODEL_REQUEST, { uri: uri.toString(), fromDisk: true } satisfies TraceModelParams);
  return model ? { version, bytes: new TextEncoder().encode(JSON.stringify(model)) } : undefined;
}

function activeTraceable(host: PanelHost): Uri | undefined {
  const doc = window.activeTextEditor?.document;
  return doc && isTraceable(doc) ? doc.uri : activeUnsynced(host.isRules);
}

function webviewOptions(context: ExtensionContext) {
  return { enableScripts: true, localResourceRoots: [Uri.joinPath(context.extensionUri, 'client', 'out')] };
}

function samplesDir(doc: Uri): Uri | undefined {
  const folder = workspace.getWorkspaceFolder(doc);
  const dir = folder && samplesDirectory(folder.uri.path, doc.path);
  return dir ? folder.uri.with({ path: dir }) : undefined;
}

/** The samples saved for a document; unreadable files are left out. */
async function listSamples(doc: Uri): Promise<SavedSample[]> {
  const dir = samplesDir(doc);
  if (!dir) return [];
  let entries: [string, number][];
  try {
    entries = await workspace.fs.readDirectory(dir);
  } catch {
    return [];
  }
  const samples: SavedSample[] = [];
  for (const [name] of entries.filter(([n, type]) => n.endsWith('.json') && type === 1).sort()) {
    const file = Uri.joinPath(dir, name);
    try {
      const scenario = JSON.parse(new TextDecoder().decode(await workspace.fs.readFile(file)));
      if (typeof scenario === 'object' && scenario !== null && !Array.isArray(scenario)) samples.push({ name: name.replace(/\.json$/, ''), path: workspace.asRelativePath(file), scenario });
    } catch {
      // Not JSON: someone's unfinished file. The panel lists the others.
    }
  }
  return samples;
}
