// Documents with a cursor in them for editor-feature tests: `‸` marks where
// the cursor is; the document is analysed as the server would analyse it.
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument, DocumentKind } from '../../server/src/analysis/document';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import type { Position } from '../../server/src/diagnostics';
import type { ContextSource } from '../../server/src/services/cursorContext';

const CURSOR = '‸';

/** The text without the marker, and where the marker was. */
function splitCursor(marked: string): { text: string; position: Position } {
  const offset = marked.indexOf(CURSOR);
  if (offset < 0) throw new Error('no cursor marker in the text');
  const before = marked.slice(0, offset).split('\n');
  return { text: marked.replace(CURSOR, ''), position: { line: before.length - 1, character: before[before.length - 1].length } };
}

/** The marked document analysed (a save file, or a script when `kind` says so), and the cursor. */
export async function atCursor(marked: string, kind: DocumentKind = 'save'): Promise<{ source: ContextSource; position: Position }> {
  const { text, position } = splitCursor(marked);
  const analysis = await analyseDocument(text, kind, DEFAULT_OPTIONS, nodeBashParser);
  return { source: { text, kind, analysis }, position };
}
