// npm run bench: completion and hover latency on the 8.5k-rule corpus file,
// p50/p95 over many positions (target: under 20 ms each). First in-process
// (the pure core, as the server calls it), then over a real connection to the
// built server, which adds the JSON-RPC round trip.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompletionRequest, HoverRequest } from 'vscode-languageserver-protocol/node';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument } from '../../server/src/analysis/document';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { completions } from '../../server/src/services/completion';
import type { Position } from '../../server/src/diagnostics';
import { hover } from '../../server/src/services/hover';
import { LspClient } from '../support/lspClient';
import { CORPUS, REPO } from '../support/shared';

function percentiles(times: number[]): string {
  const s = [...times].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${s[s.length - 1].toFixed(2)} ms (${s.length} positions)`;
}

/** Every 40th rule line: the cursor after `-j `, after `-d `, at the end, and on each word (for hover). */
function positions(lines: string[]): { complete: Position[]; hover: Position[] } {
  const complete: Position[] = [];
  const hoverAt: Position[] = [];
  for (let line = 0; line < lines.length; line += 40) {
    const text = lines[line];
    for (const key of [' -j ', ' -d ', ' --']) {
      const at = text.indexOf(key);
      if (at >= 0) complete.push({ line, character: at + key.length });
    }
    complete.push({ line, character: text.length });
    for (const m of text.matchAll(/\S+/g)) hoverAt.push({ line, character: m.index! + 1 });
  }
  return { complete, hover: hoverAt };
}

async function main(): Promise<void> {
  const file = path.join(CORPUS, 'save', 'gfw-list-ss-redir.rules');
  if (!existsSync(file)) {
    console.log(`(skipping the editor benchmark: ${file} is not present)`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const analysis = await analyseDocument(text, 'save', DEFAULT_OPTIONS, nodeBashParser);
  const source = { text, kind: 'save' as const, analysis };
  const at = positions(lines);

  console.log(`gfw-list-ss-redir.rules (${lines.length} lines), in-process:`);
  const time = (f: (p: Position) => unknown, list: Position[]) => list.map((p) => {
    const start = performance.now();
    f(p);
    return performance.now() - start;
  });
  for (let i = 0; i < 3; i++) time((p) => completions(source, p), at.complete);
  console.log(`  completion: ${percentiles(time((p) => completions(source, p), at.complete))}`);
  for (let i = 0; i < 3; i++) time((p) => hover(source, p), at.hover);
  console.log(`  hover:      ${percentiles(time((p) => hover(source, p), at.hover))}`);

  // The first address completion after each new analysis ranks the document's addresses once.
  const firsts: number[] = [];
  for (let i = 0; i < 9; i++) {
    const fresh = { ...source, analysis: await analyseDocument(text, 'save', DEFAULT_OPTIONS, nodeBashParser) };
    const start = performance.now();
    completions(fresh, { line: 8, character: 15 });
    firsts.push(performance.now() - start);
  }
  console.log(`  first address completion after a new analysis: ${percentiles(firsts).replace('positions', 'analyses')}`);

  // While typing: a new half-typed line, the analysis one edit old.
  const typed = lines.map((l, i) => (i === 4000 ? `${l}\n-A SS_REDIR -d 1` : l)).join('\n');
  const stale = { text: typed, kind: 'save' as const, analysis };
  const typing = Array.from({ length: 200 }, () => ({ line: 4001, character: 16 }));
  console.log(`  completion on a line typed after the analysis (-d 1, 100 of ~8.4k addresses): ${percentiles(time((p) => completions(stale, p), typing))}`);

  const server = path.join(REPO, 'server', 'out', 'server.js');
  if (!existsSync(server)) {
    console.log(`(no server round trip: ${server} is not built; run npm run build)`);
    return;
  }
  const client = await new LspClient().start();
  try {
    const uri = 'file:///bench/gfw-list-ss-redir.rules';
    await client.open(uri, text);
    await client.diagnostics(uri, 1);
    const request = async (type: 'completion' | 'hover', list: Position[]) => {
      const times: number[] = [];
      for (const position of list) {
        const start = performance.now();
        if (type === 'completion') await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
        else await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
        times.push(performance.now() - start);
      }
      return times;
    };
    await request('completion', at.complete.slice(0, 50));
    await request('hover', at.hover.slice(0, 50));
    console.log('over the connection to the built server (request to answer):');
    console.log(`  completion: ${percentiles(await request('completion', at.complete))}`);
    console.log(`  hover:      ${percentiles(await request('hover', at.hover))}`);
  } finally {
    client.stop();
  }
}

void main();
