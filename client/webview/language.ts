// The page's language, from the data attributes the extension writes (client/src/traceHtml.ts):
// the page's own words through @vscode/l10n and the extension's bundle, the engine's
// messages through the language core's catalogue. Read before anything is drawn.
import * as l10n from '@vscode/l10n';
import { setLocale } from '../../server/src/l10n';

export function applyPageLanguage(app: HTMLElement): void {
  l10n.config({ contents: JSON.parse(app.dataset.l10n || '{}') });
  setLocale(app.dataset.language);
}
