// "iptables: Convert to nftables": the active rule file or firewall script as an
// nft script, written by the language server, in a new editor beside it.
import * as path from 'node:path';
import { l10n, languages, Uri, ViewColumn, window, workspace } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { NFT_SCRIPT_REQUEST, NftScriptAnswer, NftScriptParams } from '../../server/src/protocol/requests';

/** The language of the new editor: an nftables extension's when one is installed. */
async function nftLanguage(): Promise<string> {
  return (await languages.getLanguages()).includes('nftables') ? 'nftables' : 'plaintext';
}

export async function convertToNft(client: () => Promise<LanguageClient>, target?: Uri): Promise<void> {
  const doc = target ? await workspace.openTextDocument(target) : window.activeTextEditor?.document;
  if (!doc || (doc.languageId !== 'iptables' && doc.languageId !== 'shellscript')) {
    void window.showInformationMessage(l10n.t('Open an iptables rules file, or a shell script that runs iptables, to convert it to nftables.'));
    return;
  }
  const name = path.posix.basename(doc.uri.path);
  const params: NftScriptParams = { uri: doc.uri.toString() };
  const answer = await (await client()).sendRequest<NftScriptAnswer | null>(NFT_SCRIPT_REQUEST, params);
  if (!answer || answer.translated + answer.untranslated === 0) {
    void window.showInformationMessage(l10n.t('{0} adds no iptables rules: there is nothing to convert.', name));
    return;
  }
  const script = await workspace.openTextDocument({ language: await nftLanguage(), content: answer.text });
  await window.showTextDocument(script, { viewColumn: ViewColumn.Beside, preview: false });
  if (answer.untranslated) {
    void window.showWarningMessage(l10n.t('{0} of the {1} rules of {2} have no nftables equivalent: they are comments in the script, saying why.', answer.untranslated, answer.translated + answer.untranslated, name));
  }
}
