// Hover and completion as LSP answers: made by a worker from its analysis, or by the
// router from the text alone while a large document's only worker analyses it whole.
import { CompletionItem, CompletionItemKind, CompletionItemTag, CompletionList, Hover, InsertTextFormat, MarkupKind, Position } from 'vscode-languageserver/node';
import { CompletionEntry, CompletionKind, completions } from '../services/completion';
import type { ContextSource } from '../services/cursorContext';
import { hover } from '../services/hover';
import type { DocumentLines } from './documentLines';

export function hoverAnswer(source: ContextSource, lines: DocumentLines, position: Position): Hover | null {
  const found = hover(source, lines.fromEditor(position));
  return found ? { contents: { kind: MarkupKind.Markdown, value: found.contents }, range: lines.range(found.range) } : null;
}

export function completionAnswer(source: ContextSource, lines: DocumentLines, position: Position): CompletionList {
  const list = completions(source, lines.fromEditor(position));
  return { isIncomplete: list.incomplete, items: list.items.map((e) => toCompletionItem(e, lines)) };
}

const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
  table: CompletionItemKind.Struct,
  chain: CompletionItemKind.Function,
  target: CompletionItemKind.EnumMember,
  module: CompletionItemKind.Module,
  option: CompletionItemKind.Property,
  command: CompletionItemKind.Method,
  value: CompletionItemKind.Value,
  keyword: CompletionItemKind.Keyword,
  snippet: CompletionItemKind.Snippet,
};

function toCompletionItem(e: CompletionEntry, lines: DocumentLines): CompletionItem {
  const item: CompletionItem = {
    label: e.label,
    kind: COMPLETION_KIND[e.kind],
    detail: e.detail,
    sortText: e.sortText,
    documentation: { kind: MarkupKind.Markdown, value: e.documentation },
    textEdit: { range: lines.range(e.range), newText: e.insert ?? e.label },
    insertTextFormat: e.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
  };
  if (e.deprecated) item.tags = [CompletionItemTag.Deprecated];
  return item;
}
