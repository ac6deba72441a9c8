// The extension host side: starts the language server, keeps it alive, and
// registers the packet-trace panel (opened by a command, revived after a restart).
import * as path from 'node:path';
import { commands, ExtensionContext, l10n, LogOutputChannel, Uri, window, workspace } from 'vscode';
import {
  CloseAction, CloseHandlerResult, ErrorAction, ErrorHandler, ErrorHandlerResult, LanguageClient, LanguageClientOptions,
  Message, ServerOptions, TransportKind,
} from 'vscode-languageclient/node';
import { largeFileNotice, rulesFileTest } from './largeFiles';
import { CONVERT_TO_NFT_COMMAND, TRACE_COMMAND, TracePacketArgs } from '../../server/src/protocol/requests';
import { TRACE_VIEW_TYPE, WebviewState } from '../../server/src/protocol/webview';
import { SERVER_V8_FLAGS } from '../../server/src/node/v8Flags';
import { convertToNft } from './convertToNft';
import { COMPARE_LIVE_COMMAND, COMPARE_SCHEME, compareWithLive, LiveDocuments, OPEN_LIVE_COMMAND, openLiveRuleset } from './live';
import { PacketTests } from './packetTests';
import { SymbolicCommands } from './symbolic';
import { TracePanel, updateTraceableContext } from './tracePanel';

let client: LanguageClient | undefined;

/** More crashes than this within the window and we stop restarting. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 3 * 60_000;

export async function activate(context: ExtensionContext): Promise<void> {
  const output = window.createOutputChannel('iptables', { log: true });
  const module = context.asAbsolutePath(path.join('server', 'out', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_V8_FLAGS] } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_V8_FLAGS, '--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    // Shell scripts too: the server only reports on their iptables command lines.
    documentSelector: [{ language: 'iptables' }, { language: 'shellscript' }],
    synchronize: { configurationSection: 'iptables' },
    outputChannel: output,
    // The two sides of a comparison are text to read: their diagnostics would only repeat the file's.
    middleware: { handleDiagnostics: (uri, diagnostics, next) => next(uri, uri.scheme === COMPARE_SCHEME ? [] : diagnostics) },
    errorHandler: new RestartOnceHandler(output),
    // Errors are reported once by RestartOnceHandler, not as a popup per failure.
    revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
  };
  client = new LanguageClient('iptables', 'iptables language server', serverOptions, clientOptions);
  context.subscriptions.push(
    output,
    commands.registerCommand('iptables.restartServer', async () => {
      output.info('Restarting the language server (command).');
      await client?.restart();
    }),
  );
  const started = client.start();
  const isRules = rulesFileTest(context);
  const live = new LiveDocuments();
  const panelHost = { context, client: async () => (await started, client!), isRules, live };
  const updateTraceable = () => updateTraceableContext(isRules);
  context.subscriptions.push(
    live,
    commands.registerCommand(OPEN_LIVE_COMMAND, () => openLiveRuleset(live)),
    commands.registerCommand(COMPARE_LIVE_COMMAND, (uri?: Uri) => compareWithLive(live, panelHost.client, uri instanceof Uri ? uri : undefined)),
    new PacketTests(panelHost.client),
    new SymbolicCommands(panelHost),
    commands.registerCommand(TRACE_COMMAND, (args?: TracePacketArgs | Uri) => TracePanel.show(panelHost, args)),
    commands.registerCommand(CONVERT_TO_NFT_COMMAND, (uri?: Uri) => convertToNft(panelHost.client, uri instanceof Uri ? uri : undefined)),
    window.registerWebviewPanelSerializer(TRACE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: WebviewState | undefined) => TracePanel.revive(panel, panelHost, state),
    }),
    window.onDidChangeActiveTextEditor(updateTraceable),
    window.tabGroups.onDidChangeTabs(updateTraceable),
    workspace.onDidChangeTextDocument((e) => {
      if (e.document === window.activeTextEditor?.document && e.document.languageId === 'shellscript') updateTraceable();
    }),
    largeFileNotice(context),
  );
  updateTraceable();
  try {
    await started;
  } catch (e) {
    output.error(`The language server could not start: ${(e as Error).message}`);
    void window.showErrorMessage(l10n.t('iptables: the language server could not start ({0}). See the "iptables" output for details.', (e as Error).message));
  }
}

/**
 * Restarts a crashed server and says so once; gives up with one error message
 * when it keeps crashing, instead of a loop of restarts and popups.
 */
class RestartOnceHandler implements ErrorHandler {
  private crashes: number[] = [];
  private told = false;

  constructor(private readonly output: LogOutputChannel) {}

  error(error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult {
    this.output.error(`Connection error: ${error.message}`);
    return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
    this.crashes.push(now);
    if (this.crashes.length > MAX_RESTARTS) {
      const message = l10n.t('The iptables language server stopped {0} times in a few minutes and will not be restarted. See the "iptables" output; run "iptables: Restart Language Server" to try again.', this.crashes.length);
      this.output.error(message);
      void window.showErrorMessage(message);
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.output.warn('The language server stopped unexpectedly; restarting it.');
    if (!this.told) {
      this.told = true;
      void window.showWarningMessage(l10n.t('The iptables language server stopped unexpectedly and was restarted.'));
    }
    return { action: CloseAction.Restart, handled: true };
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
