// The trace panel's page: a strict content security policy (nothing inline, one
// script with a nonce, resources only from the extension), the stylesheets and
// the bundled script. The language and the page's translations ride on data
// attributes, read before anything is drawn. Free of the vscode API, so a test reads it as it is.
import * as path from 'node:path';
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
    // Nothing on the page may change where its links point or submit a form.
    "base-uri 'none'",
    "form-action 'none'",
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

/**
 * The directory of a document's samples: `<folder>/.vscode/iptables-trace/<the document's path
 * in the folder>`, resolved (`.`, `..`, backslashes as separators), then checked: undefined when
 * it is not inside the folder's samples directory (a document outside the folder, a path that
 * climbs out). Paths are POSIX, as in a Uri.
 */
export function samplesDirectory(folderPath: string, documentPath: string): string | undefined {
  const folder = path.posix.normalize(folderPath);
  const root = path.posix.join(folder, SAMPLES_DIR);
  const relative = path.posix.relative(folder, path.posix.normalize(documentPath));
  if (relative === '' || relative === '..' || relative.startsWith('../') || path.posix.isAbsolute(relative)) return undefined;
  const dir = path.posix.join(root, relative.replace(/\\/g, '/'));
  return dir.startsWith(`${root}/`) ? dir : undefined;
}

/** A file name for a sample name: letters, digits, `.`, `_` and `-` kept, the rest made `-`. */
export function sampleFileName(name: string): string {
  const slug = name.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80);
  return `${slug || 'sample'}.json`;
}
