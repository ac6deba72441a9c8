// The symbolic engine in the editor: "Service Matrix" (who reaches a port, in the trace panel),
// "Compare with HEAD" (what the uncommitted edits change for the packets),
// and a notice when a saved edit changes what the ruleset lets through.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { commands, Disposable, l10n, TextDocument, window, workspace } from 'vscode';
import { COMPARE_HEAD_COMMAND, MATRIX_COMMAND, SEMANTIC_DIFF_REQUEST, SemanticDiffAnswer, SemanticDiffParams } from '../../server/src/protocol/requests';
import { type PanelHost, TracePanel } from './tracePanel';

/** The check after a save runs by itself only on rulesets this small: a larger one waits for the command. */
const NOTICE_MAX_RULES = 2000;

function rulesDocument(doc: TextDocument | undefined): doc is TextDocument {
  return doc !== undefined && (doc.languageId === 'iptables' || doc.languageId === 'shellscript');
}

/** The file's text in the last commit, or why there is none. */
function headText(file: string): Promise<string | { error: string }> {
  return new Promise((resolve) => {
    execFile('git', ['show', `HEAD:./${path.basename(file)}`], { cwd: path.dirname(file), maxBuffer: 256 * 1024 * 1024 }, (e, stdout, stderr) => {
      resolve(e ? { error: (stderr || e.message).trim() } : stdout);
    });
  });
}

async function showText(text: string): Promise<void> {
  const doc = await workspace.openTextDocument({ content: text, language: 'plaintext' });
  await window.showTextDocument(doc, { preview: true });
}

export class SymbolicCommands implements Disposable {
  private readonly disposables: Disposable[] = [];
  /** The text of each rules document as last saved (or opened): the base of the notice after a save. */
  private readonly saved = new Map<string, string>();

  constructor(private readonly panelHost: PanelHost) {
    for (const doc of workspace.textDocuments) if (rulesDocument(doc)) this.saved.set(doc.uri.toString(), doc.getText());
    this.disposables.push(
      commands.registerCommand(MATRIX_COMMAND, () => this.matrix()),
      commands.registerCommand(COMPARE_HEAD_COMMAND, () => this.compareWithHead()),
      workspace.onDidOpenTextDocument((doc) => {
        if (rulesDocument(doc)) this.saved.set(doc.uri.toString(), doc.getText());
      }),
      workspace.onDidCloseTextDocument((doc) => this.saved.delete(doc.uri.toString())),
      workspace.onDidSaveTextDocument((doc) => void this.afterSave(doc)),
    );
  }

  private async matrix(): Promise<void> {
    const doc = window.activeTextEditor?.document;
    if (!rulesDocument(doc)) {
      void window.showInformationMessage(l10n.t('Open an iptables rule file or firewall script first.'));
      return;
    }
    const service = await window.showInputBox({ prompt: l10n.t('Which service? A protocol and port (tcp:22, udp:53), icmp, or a protocol alone'), value: 'tcp:22' });
    if (!service) return;
    await TracePanel.showMatrix(this.panelHost, doc.uri, service);
  }

  private async compareWithHead(): Promise<void> {
    const doc = window.activeTextEditor?.document;
    if (!rulesDocument(doc) || doc.uri.scheme !== 'file') {
      void window.showInformationMessage(l10n.t('Open an iptables rule file or firewall script of a git repository first.'));
      return;
    }
    const base = await headText(doc.uri.fsPath);
    if (typeof base !== 'string') {
      void window.showErrorMessage(l10n.t('No committed version of this file: {0}', base.error));
      return;
    }
    const answer = await this.diff(doc, base, { a: 'HEAD', b: l10n.t('this version') });
    if (answer) await showText(answer.text);
  }

  private diff(doc: TextDocument, baseText: string, names: { a: string; b: string }, maxRules?: number): Promise<SemanticDiffAnswer> {
    return this.panelHost.client().then((c) => c.sendRequest<SemanticDiffAnswer>(SEMANTIC_DIFF_REQUEST, { uri: doc.uri.toString(), baseText, names, maxRules } satisfies SemanticDiffParams));
  }

  private async afterSave(doc: TextDocument): Promise<void> {
    if (!rulesDocument(doc)) return;
    const key = doc.uri.toString();
    const before = this.saved.get(key);
    const now = doc.getText();
    this.saved.set(key, now);
    if (before === undefined || before === now) return;
    const answer = await this.diff(doc, before, { a: l10n.t('before the edit'), b: l10n.t('after it') }, NOTICE_MAX_RULES);
    if (!answer || answer.changes === 0) return;
    const show = l10n.t('Show');
    const choice = await window.showInformationMessage(l10n.t('This edit changes what {0} lets through: {1} sets of packets meet another fate.', path.basename(doc.uri.path), answer.changes), show);
    if (choice === show) await showText(answer.text);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
