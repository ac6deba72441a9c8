// Where packet tests live: the folder the trace panel saves samples in, a
// test's name, and the rule file or script it belongs to. Paths only (no
// engine), for the extension's Testing view and the command line.

/** Where the trace panel saves a document's samples, below the workspace folder. */
export const SAMPLES_DIR = '.vscode/iptables-trace';

/** The test's name: its file name without `.json`. */
export function testName(testPath: string): string {
  return (testPath.replace(/\\/g, '/').split('/').pop() ?? testPath).replace(/\.json$/i, '');
}

function normalise(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..' && parts.length && parts[parts.length - 1] !== '..') parts.pop();
    else if (p !== '..' || !absolute) parts.push(p);
  }
  return (absolute ? '/' : '') + parts.join('/');
}

/**
 * The rule file or script a test runs against: its `rules` field (relative to
 * the test's folder), else the document the folder it is saved in is named
 * after (`.vscode/iptables-trace/<the document's path>/<name>.json`).
 * Undefined when neither says.
 */
export function rulesPathOf(testPath: string, json: unknown): string | undefined {
  const path = testPath.replace(/\\/g, '/');
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const rules = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>).rules : undefined;
  if (typeof rules === 'string' && rules !== '') return normalise(rules.startsWith('/') ? rules : dir + rules);
  const at = path.lastIndexOf(`/${SAMPLES_DIR}/`);
  const start = at >= 0 ? at + SAMPLES_DIR.length + 2 : path.startsWith(`${SAMPLES_DIR}/`) ? SAMPLES_DIR.length + 1 : -1;
  if (start < 0 || dir.length <= start) return undefined;
  return path.slice(0, Math.max(at + 1, 0)) + path.slice(start, dir.length - 1);
}
