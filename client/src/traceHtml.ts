// The trace panel's page: a strict content security policy (nothing inline, one
// script with a nonce, resources only from the extension), the stylesheets and
// the bundled script. The language and the page's translations ride on data
// attributes, read before anything is drawn. Free of the vscode API, so a test reads it as it is.
import { SAMPLES_DIR } from '../../server/src/services/testFiles';

export interface TracePageParts {
  /** The webview's own source for the CSP (webview.cspSource). */
  cspSource: string;
  nonce: string;
  script: string;
  style: string;
  codicons: string;
  /** VS Code's display language (vscode.env.language): the page's and the engine's messages. */
  language: string;
  /** The extension's l10n bundle for that language (vscode.l10n.bundle), for the page's own words. */
  bundle: Record<string, string> | undefined;
  title: string;
}

/** Text safe inside a double-quoted attribute or an element. */
function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function traceHtml(p: TracePageParts): string {
  const csp = [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    `font-src ${p.cspSource}`,
    `style-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(p.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${p.codicons}">
<link rel="stylesheet" href="${p.style}">
<title>${escapeAttribute(p.title)}</title>
</head>
<body>
<main id="app" data-language="${escapeAttribute(p.language)}" data-l10n="${escapeAttribute(JSON.stringify(p.bundle ?? {}))}"></main>
<script nonce="${p.nonce}" src="${p.script}"></script>
</body>
</html>`;
}

/** The folder of a document's samples: one per document, named by its path in the workspace. */
export function samplesFolder(relativeDocumentPath: string): string {
  return `${SAMPLES_DIR}/${relativeDocumentPath.replace(/\\/g, '/')}`;
}

/** A file name for a sample name: letters, digits, `.`, `_` and `-` kept, the rest made `-`. */
export function sampleFileName(name: string): string {
  const slug = name.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80);
  return `${slug || 'sample'}.json`;
}
