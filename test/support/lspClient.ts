// A JSON-RPC client for the built language server, as VS Code talks to it:
// the server is spawned from server/out, documents are opened and edited, and
// requests go over the real connection.
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import {
  createProtocolConnection, DidChangeConfigurationNotification, DidChangeTextDocumentNotification, DidCloseTextDocumentNotification, DidOpenTextDocumentNotification, InitializeRequest,
  InitializedNotification, ProtocolConnection, PublishDiagnosticsNotification, PublishDiagnosticsParams,
  ServerCapabilities, StreamMessageReader, StreamMessageWriter, TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { SERVER_V8_FLAGS } from '../../server/src/node/v8Flags';
import { REPO } from './shared';

export class LspClient {
  private server!: ChildProcess;
  connection!: ProtocolConnection;
  private readonly published = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: (() => void)[] = [];
  private readonly versions = new Map<string, number>();
  /** What the server announced it can do. */
  capabilities!: ServerCapabilities;

  private settings: Record<string, unknown> = {};
  private stopped = false;

  /** The server's process id (to read its memory). */
  get pid(): number | undefined {
    return this.server.pid;
  }

  /**
   * Starts the server; `settings` is what it reads as the `iptables` configuration.
   * `command`: another way to run it (an installed `iptables-language-server`); by default as VS Code starts it, with its V8 flags;
   * `locale`: the display language the editor tells it; `env`: the server's environment.
   */
  async start(
    settings: Record<string, unknown> = {},
    { command = [process.execPath, ...SERVER_V8_FLAGS, path.join(REPO, 'server', 'out', 'server.js')], locale, env }: { command?: string[]; locale?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<this> {
    this.server = spawn(command[0], [...command.slice(1), '--stdio'], { stdio: 'pipe', env });
    this.connection = createProtocolConnection(new StreamMessageReader(this.server.stdout!), new StreamMessageWriter(this.server.stdin!));
    // A server that dies would leave a request waiting forever: its end rejects what is pending, with its last words.
    let stderr = '';
    this.server.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    this.server.on('exit', (code, signal) => {
      if (this.stopped) return;
      console.error(`the language server exited (${signal ?? code}) before the test stopped it:\n${stderr}`);
      this.connection.dispose();
    });
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.set(p.uri, [...(this.published.get(p.uri) ?? []), p]);
      this.waiters.splice(0).forEach((w) => w());
    });
    this.settings = settings;
    this.connection.onRequest('workspace/configuration', () => [this.settings]);
    this.connection.listen();
    const init = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: null, locale,
      capabilities: {
        workspace: { configuration: true },
        textDocument: { completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown'] } }, hover: { contentFormat: ['markdown'] } },
      },
    });
    this.capabilities = init.capabilities;
    await this.connection.sendNotification(InitializedNotification.type, {});
    return this;
  }

  /** Changes the `iptables` configuration and tells the server, as VS Code does. */
  async configure(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }

  stop(): void {
    this.stopped = true;
    this.connection.dispose();
    this.server.kill();
  }

  async open(uri: string, text: string, languageId = 'iptables'): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  }

  async change(uri: string, ...contentChanges: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
    return version;
  }

  /** Every diagnostics notification for `uri` so far. */
  publishedFor(uri: string): PublishDiagnosticsParams[] {
    return this.published.get(uri) ?? [];
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    this.published.delete(uri);
    this.versions.delete(uri);
  }

  /** The `count`-th diagnostics published for `uri` (1-based), waiting up to 10 s. */
  async diagnostics(uri: string, count = 1): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + 10_000;
    while ((this.published.get(uri)?.length ?? 0) < count) {
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 200); });
    }
    return this.published.get(uri)![count - 1];
  }

  /** The diagnostics published for `version` of `uri`, waiting up to `timeout` ms. */
  async diagnosticsOf(uri: string, version: number, timeout = 10_000): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.published.get(uri)?.find((p) => p.version === version);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no diagnostics for version ${version} of ${uri}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 200); });
    }
  }
}
