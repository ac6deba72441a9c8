// npm run bench: the built language server over a real connection on the
// iptables-save of a Kubernetes node (kube-proxy, 5,000 services of 10
// endpoints: 160k rules, 24 MB). Targets (issue 11): first diagnostics within
// 3 s of opening; hover and completion p95 at most 50 ms, also while an analysis
// runs; a one-character edit to fresh diagnostics p95 at most 300 ms; server
// memory at most 800 MB. Figures only: nothing here passes or fails.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompletionRequest, DocumentSymbolRequest, FoldingRangeRequest, HoverRequest, SemanticTokensDeltaRequest, SemanticTokensRequest, Position, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol/node';
import { SERVER_V8_FLAGS } from '../../server/src/node/v8Flags';
import { LspClient } from '../support/lspClient';
import { REPO } from '../support/shared';
import { generateKubeProxy } from './kubeProxy';

const EDITS = 20;

function percentiles(times: number[], what = 'requests'): string {
  const s = [...times].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)].toFixed(1);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length} ${what})`;
}

/** A figure of the server's memory from /proc, in MB (VmRSS: resident now; VmHWM: the highest so far). */
function statusMb(pid: number | undefined, key: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return undefined;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

function memory(pid: number | undefined): string {
  const now = statusMb(pid, 'VmRSS');
  return now === undefined ? 'n/a' : `${now.toFixed(0)} MB resident, ${statusMb(pid, 'VmHWM')!.toFixed(0)} MB at the peak so far`;
}

/**
 * The server's highest resident memory in each phase of the bench: the kernel's
 * high-water mark read as each phase ends (it never misses a peak between two
 * samples), and the resident size sampled every 20 ms for when in the phase it was.
 */
class MemoryPhases {
  private readonly peaks: string[] = [];
  private highest = 0;
  private sampled = 0;
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number | undefined) {
    this.timer = setInterval(() => { this.sampled = Math.max(this.sampled, statusMb(pid, 'VmRSS') ?? 0); }, 20);
    this.timer.unref();
  }
  /** Ends a phase: its peak, from the high-water mark when it rose in this phase. */
  phase(name: string): void {
    const hwm = statusMb(this.pid, 'VmHWM') ?? 0;
    const peak = hwm > this.highest ? hwm : this.sampled;
    this.peaks.push(`${name} ${peak.toFixed(0)} MB${hwm > this.highest ? ' (the run\'s peak so far)' : ''}`);
    this.highest = Math.max(this.highest, hwm);
    this.sampled = 0;
  }
  report(): string {
    clearInterval(this.timer);
    return `server memory, peak per phase: ${this.peaks.join('; ')} (target 800 MB at all times)`;
  }
}

/** The Node flags a build of the server starts with: those its build wrote into its `#!` line (another build's may differ from this one's). */
function flagsOf(server: string): readonly string[] {
  const first = readFileSync(server, 'utf8').slice(0, 500).split('\n')[0];
  return first.startsWith('#!') ? first.split(' ').filter((w) => w.startsWith('--')) : SERVER_V8_FLAGS;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  // LSP_BENCH_SERVER: another build of the server to measure beside this one (an older commit's).
  const server = process.env.LSP_BENCH_SERVER ?? path.join(REPO, 'server', 'out', 'server.js');
  if (!existsSync(server)) {
    console.log(`(skipping: ${server} is not built; run npm run build)`);
    return;
  }
  const text = generateKubeProxy({ services: 5000, endpointsPerService: 10 });
  const lines = text.split('\n');
  const rules = lines.flatMap((l, i) => (l.startsWith('-A ') ? [i] : []));
  console.log(`kube-proxy dump: ${rules.length} rules, ${lines.length} lines, ${(text.length / 1048576).toFixed(1)} MB`);

  // Every 4000th rule: hover on each word, completion after `-j `, after `-m ` and at the end.
  const hoverAt: Position[] = [];
  const completeAt: Position[] = [];
  for (let k = 0; k < rules.length; k += 4000) {
    const line = rules[k];
    const l = lines[line];
    for (const m of l.matchAll(/\S+/g)) hoverAt.push({ line, character: m.index! + 1 });
    for (const key of [' -j ', ' -m ']) {
      const at = l.indexOf(key);
      if (at >= 0) completeAt.push({ line, character: at + key.length });
    }
    completeAt.push({ line, character: l.length });
  }

  // Started as the extension starts it: with its Node flags.
  const client = await new LspClient().start({}, { command: [process.execPath, ...flagsOf(server), server] });
  const uri = 'file:///bench/kube-proxy.rules';
  const phases = new MemoryPhases(client.pid);
  try {
    const opened = performance.now();
    await client.open(uri, text);
    const first = await client.diagnosticsOf(uri, 1, 120_000);
    console.log(`open to first diagnostics: ${(performance.now() - opened).toFixed(0)} ms (${first.diagnostics.length} diagnostics; target 3000 ms)`);
    console.log(`server memory after opening: ${memory(client.pid)}`);
    phases.phase('opening');

    const hover = (position: Position) => client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
    const complete = (position: Position) => client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    const timed = async (list: Position[], request: (p: Position) => Promise<unknown>) => {
      const times: number[] = [];
      for (const p of list) {
        const t0 = performance.now();
        await request(p);
        times.push(performance.now() - t0);
      }
      return times;
    };
    await timed(hoverAt.slice(0, 20), hover);
    await timed(completeAt.slice(0, 20), complete);
    console.log(`idle, hover:      ${percentiles(await timed(hoverAt, hover))}`);
    console.log(`idle, completion: ${percentiles(await timed(completeAt, complete))}`);
    const t0 = performance.now();
    const symbols = await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    console.log(`idle, document symbols: ${(performance.now() - t0).toFixed(0)} ms (${symbols?.length ?? 0} top-level)`);
    // VS Code asks for the tokens of a document it shows, then after each edit for edits of the last ones (delta).
    const k0 = performance.now();
    const full = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } });
    console.log(`idle, semantic tokens: ${(performance.now() - k0).toFixed(0)} ms (${full?.data.length ?? 0} numbers)`);
    let tokensId = full?.resultId ?? '';
    // As VS Code does: edits of the last tokens when the server offers them (an older build being measured may not).
    const provider = client.capabilities.semanticTokensProvider;
    const offersDelta = typeof provider?.full === 'object' && !!provider.full.delta;
    phases.phase('requests when idle (hover, completion, outline, tokens)');

    // One-character edits on rules spread over the file, one at a time: a digit
    // of an address or port changed, or a letter typed in a comment (when the
    // rule has no address). Hover and completion are asked all the while, until
    // the edit's diagnostics come.
    const fresh: number[] = [];
    const during: { hover: number[]; completion: number[] } = { hover: [], completion: [] };
    const timeEdit = async (edit: TextDocumentContentChangeEvent, times: number[]) => {
      const sent = performance.now();
      const version = await client.change(uri, edit);
      let arrived = false;
      const published = client.diagnosticsOf(uri, version, 60_000).then(() => {
        times.push(performance.now() - sent);
        arrived = true;
      });
      for (let i = 0; !arrived; i++) {
        const p = i % 2 ? completeAt[(version * 7 + i) % completeAt.length] : hoverAt[(version * 13 + i) % hoverAt.length];
        const r0 = performance.now();
        await (i % 2 ? complete(p) : hover(p));
        const ms = performance.now() - r0;
        if (!arrived) (i % 2 ? during.completion : during.hover).push(ms);
      }
      await published;
      await sleep(50);
    };
    for (let k = 0; k < EDITS; k++) {
      const line = rules[Math.floor(((k + 0.5) * rules.length) / EDITS)];
      const l = lines[line];
      const digit = /(?:-[sd] |--dport |--to-destination )\D*(\d)/.exec(l);
      const at = digit ? digit.index + digit[0].length - 1 : l.indexOf('"') + 1;
      await timeEdit({ range: { start: { line, character: at }, end: { line, character: at + 1 } }, text: digit ? String((Number(l[at]) + 1) % 10) : `x${l[at]}` }, fresh);
    }
    console.log(`one-character edit to fresh diagnostics: ${percentiles(fresh, 'edits')} (target p95 300 ms)`);
    phases.phase('one-character edits with requests');
    // What VS Code asks after each edit besides diagnostics: the outline, folding and semantic tokens of the new version.
    const outline: number[] = [];
    const folding: number[] = [];
    const tokens: number[] = [];
    for (let k = 0; k < 3; k++) {
      const line = rules[Math.floor(((k + 0.25) * rules.length) / 3)];
      const at = lines[line].indexOf('"') + 1;
      const version = await client.change(uri, { range: { start: { line, character: at }, end: { line, character: at } }, text: 'y' });
      await client.diagnosticsOf(uri, version, 60_000);
      const s0 = performance.now();
      await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
      outline.push(performance.now() - s0);
      const f0 = performance.now();
      await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
      folding.push(performance.now() - f0);
      const t0 = performance.now();
      const answer = offersDelta
        ? await client.connection.sendRequest(SemanticTokensDeltaRequest.type, { textDocument: { uri }, previousResultId: tokensId })
        : await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } });
      tokens.push(performance.now() - t0);
      tokensId = answer?.resultId ?? '';
    }
    console.log(`after an edit, document symbols: ${percentiles(outline, 'edits')}; folding: ${percentiles(folding, 'edits')}; semantic tokens${offersDelta ? ' (delta)' : ''}: ${percentiles(tokens, 'edits')}`);
    phases.phase('outline, folding and tokens after edits');
    // A rule added: the lines below move, and the whole text is analysed again.
    const added: number[] = [];
    for (let k = 0; k < 3; k++) {
      const line = rules[Math.floor(((k + 0.5) * rules.length) / 3)];
      await timeEdit({ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '-A KUBE-MARK-MASQ -j RETURN\n' }, added);
    }
    console.log(`a rule line added to fresh diagnostics: ${percentiles(added, 'edits')}`);
    phases.phase('rule lines added');
    // The same with no request meanwhile: the analysis alone (the requests above compete with it for the CPU).
    const alone: number[] = [];
    for (let k = 0; k < 2; k++) {
      const line = rules[Math.floor(((k + 0.5) * rules.length) / 2)];
      const sent = performance.now();
      const version = await client.change(uri, { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '-A KUBE-MARK-MASQ -j RETURN\n' });
      await client.diagnosticsOf(uri, version, 60_000);
      alone.push(performance.now() - sent);
    }
    console.log(`a rule line added to fresh diagnostics, no requests meanwhile: ${percentiles(alone, 'edits')}`);
    phases.phase('rule lines added, no requests');
    console.log(`while an analysis runs, hover:      ${percentiles(during.hover)}`);
    console.log(`while an analysis runs, completion: ${percentiles(during.completion)} (target p95 50 ms)`);
    console.log(`server memory after the edits: ${memory(client.pid)} (target 800 MB)`);
    // A replaced worker's heap goes back to the system as its thread ends, which takes a moment.
    await sleep(2000);
    console.log(`server memory 2 s later: ${memory(client.pid)}`);
    phases.phase('2 s after');
    console.log(phases.report());
  } finally {
    client.stop();
  }
}

void main();
