// Files VS Code keeps from extensions (over 50 MB): the language server never
// sees them, so the extension says so, once per file, and offers the packet
// trace, for which the server reads the file from disk.
import * as path from 'node:path';
import { commands, Disposable, ExtensionContext, l10n, TabInputText, Uri, window, workspace } from 'vscode';
import { TRACE_COMMAND } from '../../server/src/protocol/requests';

/** VS Code gives extensions no file larger than this. */
export const SYNC_LIMIT = 50 * 1024 * 1024;

interface LanguageContribution {
  id: string;
  extensions?: string[];
  filenames?: string[];
  filenamePatterns?: string[];
}

/** Whether a file's name makes it a rules file, by the iptables language's names in the manifest. */
export function rulesFileTest(context: ExtensionContext): (uri: Uri) => boolean {
  const languages: LanguageContribution[] = context.extension.packageJSON.contributes.languages;
  const language = languages.find((l) => l.id === 'iptables')!;
  // The patterns are all `**/some/path`: a file whose path ends so.
  const endings = (language.filenamePatterns ?? []).map((p) => p.replace(/^\*\*/, ''));
  return (uri) => {
    const name = path.posix.basename(uri.path);
    return (language.filenames ?? []).includes(name) || (language.extensions ?? []).some((e) => name.endsWith(e)) || endings.some((e) => uri.path.endsWith(e));
  };
}

/** The rules file of the active tab when the editor has no text of it (too large to give to extensions). */
export function activeUnsynced(isRules: (uri: Uri) => boolean): Uri | undefined {
  const input = window.tabGroups.activeTabGroup.activeTab?.input;
  if (!(input instanceof TabInputText) || !isRules(input.uri)) return undefined;
  const key = input.uri.toString();
  return workspace.textDocuments.some((d) => d.uri.toString() === key) ? undefined : input.uri;
}

/** The file's size on disk, undefined when it cannot be read. */
export async function sizeOf(uri: Uri): Promise<number | undefined> {
  try {
    return (await workspace.fs.stat(uri)).size;
  } catch {
    return undefined;
  }
}

/** Says once per file that a rules file is too large to be checked in the editor. */
export function largeFileNotice(context: ExtensionContext): Disposable {
  const isRules = rulesFileTest(context);
  const told = new Set<string>();
  const check = async () => {
    const uri = activeUnsynced(isRules);
    if (!uri || told.has(uri.toString())) return;
    const size = await sizeOf(uri);
    if (size === undefined || size <= SYNC_LIMIT || told.has(uri.toString())) return;
    told.add(uri.toString());
    const trace = l10n.t('Trace a Packet');
    const answer = await window.showInformationMessage(
      l10n.t('{0} is {1} MB: VS Code gives extensions no file over 50 MB, so it is not checked in the editor (iptables-lint checks it in a terminal). The packet trace reads it from disk.',
        path.posix.basename(uri.path), (size / 1048576).toFixed(0)),
      trace,
    );
    if (answer === trace) await commands.executeCommand(TRACE_COMMAND, uri);
  };
  void check();
  return window.tabGroups.onDidChangeTabs(() => void check());
}
