// Decodes LSP semantic tokens (5 relative numbers each) into readable lines:
// `line:start text type.modifier...`.
import type { SemanticTokensLegend } from 'vscode-languageserver-protocol';

export function decodeTokens(data: readonly number[], text: string, legend: SemanticTokensLegend): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let line = 0;
  let start = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [dLine, dStart, length, type, modifiers] = data.slice(i, i + 5);
    line += dLine;
    start = dLine ? dStart : start + dStart;
    const names = legend.tokenModifiers.filter((_, bit) => modifiers & (1 << bit));
    out.push(`${line}:${start} ${lines[line].slice(start, start + length)} ${[legend.tokenTypes[type], ...names].join('.')}`);
  }
  return out;
}
