// The live machine in VS Code: "iptables: Open Live Ruleset" opens the rulesets
// the kernel holds as read-only documents (every feature of a rule file works
// on them), and "iptables: Compare with Live" puts a rule file's or a script's
// ruleset beside the machine's in the diff editor. The machine is the one the
// extension host runs on (the remote one under Remote-SSH or in a dev
// container), reached through the `iptables.live.command` setting. Everything
// run there is read-only (server/src/machine/liveCommand.ts lists it).
import * as path from 'node:path';
import {
  commands, Disposable, EventEmitter, l10n, languages, ProgressLocation, TextDocument, TextDocumentContentProvider, Uri, window, workspace,
} from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { parseLiveCommand, showCommand, type LiveCommand } from '../../server/src/machine/liveCommand';
import { heldTables } from '../../server/src/machine/backend';
import { COMPARE_LIVE_REQUEST, type CompareLiveAnswer, type CompareLiveParams } from '../../server/src/protocol/requests';
import { type MachineHostMessage } from '../../server/src/protocol/webview';
import { type AskForRoot, LiveError, type LiveRuleset, machineName, readLiveRuleset, readMachineHost } from '../../server/src/node/liveMachine';

/** Live rulesets: read-only documents with all the features of a rule file. */
export const LIVE_SCHEME = 'iptables-live';
/** The two sides of a comparison: text to read, without diagnostics. */
export const COMPARE_SCHEME = 'iptables-compare';

export const OPEN_LIVE_COMMAND = 'iptables.openLiveRuleset';
export const COMPARE_LIVE_COMMAND = 'iptables.compareWithLive';

/** Documents kept for their tabs (a large ruleset is a few MB): the oldest go first. */
const KEPT = 16;

const DEFAULT_COMMAND = 'iptables-save';

/**
 * The texts behind the live and comparison documents, and for a live ruleset
 * its machine's host for the trace panel, as read at the same moment.
 */
export class LiveDocuments implements TextDocumentContentProvider, Disposable {
  private readonly kept = new Map<string, { text: string; machine?: MachineHostMessage }>();
  private readonly changed = new EventEmitter<Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registrations: Disposable[];

  constructor() {
    this.registrations = [LIVE_SCHEME, COMPARE_SCHEME].map((s) => workspace.registerTextDocumentContentProvider(s, this));
  }

  provideTextDocumentContent(uri: Uri): string {
    return this.kept.get(uri.toString())?.text ?? `# ${l10n.t('This reading is no longer kept: run "iptables: Open Live Ruleset" again.')}\n`;
  }

  add(uri: Uri, text: string, machine?: MachineHostMessage): void {
    this.kept.delete(uri.toString());
    this.kept.set(uri.toString(), { text, machine });
    if (this.kept.size > KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.changed.fire(uri);
  }

  /** The host of the machine a live ruleset was read from. */
  machineOf(uri: Uri): MachineHostMessage | undefined {
    return this.kept.get(uri.toString())?.machine;
  }

  dispose(): void {
    for (const r of this.registrations) r.dispose();
    this.changed.dispose();
  }
}

/** The live command of the settings, or undefined after saying why it cannot run. */
function liveCommand(): { cmd: LiveCommand; setting: string } | undefined {
  const setting = workspace.getConfiguration('iptables').get<string>('live.command')?.trim() || DEFAULT_COMMAND;
  const cmd = parseLiveCommand(setting);
  if ('error' in cmd) {
    void window.showErrorMessage(l10n.t('The iptables.live.command setting cannot be run: {0}', cmd.error));
    return undefined;
  }
  return { cmd, setting };
}

/**
 * When sudo wants a password: the user picks the password (typed into a
 * password box, handed to `sudo -S` for this reading, kept nowhere) or pkexec.
 */
const askForRoot: AskForRoot = async (refusal) => {
  const password = l10n.t('Type the sudo password');
  const pkexec = l10n.t('Use pkexec');
  const choice = await window.showWarningMessage(
    l10n.t('Reading the rules needs root, and sudo wants a password.'),
    { modal: true, detail: l10n.t('{0}\n\nThe password goes to sudo for this reading only and is not kept anywhere.', refusal) },
    password, pkexec,
  );
  if (choice === pkexec) return { privilege: 'pkexec' };
  if (choice !== password) return undefined;
  const typed = await window.showInputBox({ password: true, ignoreFocusOut: true, prompt: l10n.t('The sudo password, to read the rules as root') });
  return typed === undefined ? undefined : { privilege: 'sudo-password', password: typed };
};

/** Reads the machine's rulesets with a progress notification; undefined after showing why it failed. */
async function readLive(cmd: LiveCommand): Promise<LiveRuleset | undefined> {
  try {
    return await window.withProgress(
      { location: ProgressLocation.Notification, title: l10n.t('Reading the live ruleset with {0}', showCommand(cmd.argv)) },
      () => readLiveRuleset(cmd, { ask: askForRoot }),
    );
  } catch (e) {
    if (!(e instanceof LiveError)) throw e;
    void window.showErrorMessage(l10n.t('The live ruleset could not be read: {0}', e.message));
    return undefined;
  }
}

/** `2026-12-06 04:21:07`, local time. */
function localTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** What the panel shows for the machine: its name, and the command when it is not the plain local one. */
function machineLabel(name: string | undefined, setting: string): string {
  const who = name ?? l10n.t('the machine');
  return setting === DEFAULT_COMMAND ? who : `${who} (${setting})`;
}

/** The trace's host of the machine the setting reaches, or why not. */
export async function readThisMachine(): Promise<MachineHostMessage> {
  const live = liveCommand();
  if (!live) return { error: l10n.t('the iptables.live.command setting cannot be run'), label: '' };
  const [name, found] = await Promise.all([
    machineName(live.cmd).catch(() => undefined),
    readMachineHost(live.cmd).catch((e: Error) => ({ error: e.message })),
  ]);
  const label = machineLabel(name, live.setting);
  return 'error' in found ? { error: found.error, label } : { host: found.host, notes: found.notes, label };
}

function shown(live: LiveRuleset): { name: string; time: string } {
  return { name: live.host ?? showCommand([DEFAULT_COMMAND]), time: localTime(live.time) };
}

/** "iptables: Open Live Ruleset": the machine's IPv4 ruleset, and its IPv6 one when it holds any table. */
export async function openLiveRuleset(store: LiveDocuments): Promise<void> {
  const found = liveCommand();
  if (!found) return;
  const live = await readLive(found.cmd);
  if (!live) return;
  const machine = await readThisMachine();
  const { name, time } = shown(live);
  for (const w of live.warnings) void window.showWarningMessage(l10n.t('iptables on {0}: {1}', name, w));
  // IPv6 gets its own document when it holds anything (a rule, a chain, a policy): opened first, so IPv4's is in front.
  const families = (['ipv6', 'ipv4'] as const).filter((f) => f === 'ipv4' || heldTables(live.ipv6 ?? '').length > 0);
  for (const family of families) {
    const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
    const uri = Uri.from({ scheme: LIVE_SCHEME, path: `/${name}/${name} ${tool} ${time.slice(11)}.rules`, query: time });
    const header = [
      `# ${l10n.t('The live {0} ruleset of {1}, read at {2} with {3}{4}. Read-only: this is what the kernel holds.', tool, name, time, live.command, live.backend ? ` (${live.backend})` : '')}`,
      ...live.warnings.map((w) => `# ${l10n.t('Warning: {0}', w)}`),
      ...(family === 'ipv4' && live.ipv6 !== undefined && families.length === 1 ? [`# ${l10n.t('ip6tables-save shows no IPv6 rules, chains or policies.')}`] : []),
    ];
    store.add(uri, `${header.join('\n')}\n${live[family] ?? ''}`, machine);
    const doc = await workspace.openTextDocument(uri);
    await window.showTextDocument(doc.languageId === 'iptables' ? doc : await languages.setTextDocumentLanguage(doc, 'iptables'), { preview: false });
  }
}

/** A document's name for messages and panels: a workspace file's relative path, else its name (a live ruleset's title). */
export function documentName(uri: Uri): string {
  return uri.scheme === 'file' ? workspace.asRelativePath(uri) : path.posix.basename(uri.path);
}

/** Rule files and firewall scripts can be compared. */
function comparable(doc: TextDocument | undefined): doc is TextDocument {
  return doc !== undefined && (doc.languageId === 'iptables' || doc.languageId === 'shellscript') && doc.uri.scheme !== COMPARE_SCHEME;
}

/** "iptables: Compare with Live": the document's ruleset (left) and the machine's (right), with a summary above. */
export async function compareWithLive(store: LiveDocuments, client: () => Promise<LanguageClient>, target?: Uri): Promise<void> {
  const doc = target ? await workspace.openTextDocument(target) : window.activeTextEditor?.document;
  if (!comparable(doc)) {
    void window.showInformationMessage(l10n.t('Open a rule file or a firewall script to compare it with the live ruleset.'));
    return;
  }
  const found = liveCommand();
  if (!found) return;
  const live = await readLive(found.cmd);
  if (!live) return;
  const { name, time } = shown(live);
  const file = documentName(doc.uri);
  const liveName = l10n.t('live ({0}, {1})', name, time);
  const params: CompareLiveParams = { uri: doc.uri.toString(), live: { ipv4: live.ipv4, ipv6: live.ipv6 }, names: { file, live: liveName } };
  const answer = await (await client()).sendRequest<CompareLiveAnswer>(COMPARE_LIVE_REQUEST, params);
  if (!answer) {
    void window.showInformationMessage(l10n.t('{0} does not run iptables: there is nothing to compare.', file));
    return;
  }
  for (const w of live.warnings) void window.showWarningMessage(l10n.t('iptables on {0}: {1}', name, w));
  const base = path.posix.basename(doc.uri.path);
  const left = Uri.from({ scheme: COMPARE_SCHEME, path: `/${base} (ruleset).rules`, query: `${doc.uri.toString()} ${time}` });
  const right = Uri.from({ scheme: COMPARE_SCHEME, path: `/${name} ${time.slice(11)} (live).rules`, query: `${doc.uri.toString()} ${time}` });
  store.add(left, answer.left);
  store.add(right, answer.right);
  await commands.executeCommand('vscode.diff', left, right, l10n.t('{0} ↔ live {1} {2}', base, name, time.slice(11)), { preview: false });
  void window.showInformationMessage(answer.chains.length
    ? l10n.t('{0} and the live ruleset of {1} differ in {2} chains: {3}', file, name, answer.chains.length, answer.summary.slice(0, 3).join('; ') + (answer.chains.length > 3 ? '…' : ''))
    : l10n.t('{0} and the live ruleset of {1} are the same ruleset.', file, name));
}
