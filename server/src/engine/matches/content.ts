// Matches on the packet's bytes: string search, u32 tests and classic BPF
// programs, run over the packet as the kernel holds it (from the IP header).
import { parseCNumber } from '../../knowledge/addresses';
import type { MatchUse } from '../../syntax/command';
import { bytesOf, EvalContext, Tri } from '../context';
import { CompiledMatch, criterion, first, num, option, whole } from './common';
import { t } from '../../l10n';

/** `--hex-string` text: plain characters and `|hex bytes|` blocks. */
function patternBytes(text: string, hex: boolean): Uint8Array {
  if (!hex) return new TextEncoder().encode(text);
  const out: number[] = [];
  text.split('|').forEach((part, i) => {
    if (i % 2 === 1) for (const h of part.replace(/\s+/g, '').match(/../g) ?? []) out.push(parseInt(h, 16));
    else for (const b of new TextEncoder().encode(part)) out.push(b);
  });
  return Uint8Array.from(out);
}

function lower(b: number): number {
  return b >= 65 && b <= 90 ? b + 32 : b;
}

/** skb_find_text: the pattern must lie wholly between --from and --to. */
function find(hay: Uint8Array, pattern: Uint8Array, from: number, to: number, icase: boolean): boolean {
  const end = Math.min(to, hay.length);
  outer: for (let i = from; i + pattern.length <= end; i++) {
    for (let k = 0; k < pattern.length; k++) {
      const a = hay[i + k];
      const b = pattern[k];
      if (a !== b && !(icase && lower(a) === lower(b))) continue outer;
    }
    return true;
  }
  return false;
}

function string(use: MatchUse): CompiledMatch {
  const o = option(use, 'string') ?? option(use, 'hex-string')!;
  const pattern = patternBytes(first(o), o.spec.name === 'hex-string');
  const fromOpt = option(use, 'from');
  const toOpt = option(use, 'to');
  const from = fromOpt ? num(fromOpt) : 0;
  const to = toOpt ? num(toOpt) : 65535;
  const icase = option(use, 'icase') !== undefined;
  return { criteria: [criterion(o, (ctx) => find(bytesOf(ctx.pkt), pattern, from, to, icase))] };
}

// ---- u32 -----------------------------------------------------------------------------

interface U32Test {
  start: number;
  ops: { op: '&' | '<<' | '>>' | '@'; n: number }[];
  values: { min: number; max: number }[];
}

function parseU32(text: string): U32Test[] | undefined {
  const tests: U32Test[] = [];
  for (const part of text.split('&&')) {
    const [loc, vals] = part.split('=');
    if (vals === undefined) return undefined;
    const tokens = loc.replace(/\s+/g, '').match(/(&|<<|>>|@)?[^&<>@]+/g);
    if (!tokens) return undefined;
    const numberOf = (tgt: string) => {
      const v = parseCNumber(tgt);
      return v === undefined ? NaN : Number(v);
    };
    const start = numberOf(tokens[0]);
    const ops = tokens.slice(1).map((tgt) => {
      const op = (/^(&|<<|>>|@)/.exec(tgt)?.[1] ?? '@') as U32Test['ops'][number]['op'];
      return { op, n: numberOf(tgt.slice(op.length)) };
    });
    const values = vals.replace(/\s+/g, '').split(',').map((v) => {
      const [a, b] = v.split(':');
      return { min: numberOf(a), max: numberOf(b ?? a) };
    });
    if ([start, ...ops.map((o) => o.n), ...values.flatMap((v) => [v.min, v.max])].some(Number.isNaN)) return undefined;
    tests.push({ start, ops, values });
  }
  return tests;
}

function word(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** u32_match_it: read a word, apply &, <<, >> and @ (jump by the value read), compare with the ranges. */
function runU32(tests: U32Test[], b: Uint8Array): boolean {
  for (const tgt of tests) {
    let at = 0;
    if (b.length < 4 || tgt.start > b.length - 4) return false;
    let val = word(b, tgt.start);
    for (const { op, n } of tgt.ops) {
      if (op === '&') val = (val & n) >>> 0;
      else if (op === '<<') val = (val << n) >>> 0;
      else if (op === '>>') val = val >>> n;
      else {
        at += val;
        if (at + 4 > b.length || n > b.length - at - 4) return false;
        val = word(b, at + n);
      }
    }
    if (!tgt.values.some((v) => v.min <= val && val <= v.max)) return false;
  }
  return true;
}

function u32(use: MatchUse): CompiledMatch {
  const o = option(use, 'u32')!;
  const tests = parseU32(first(o));
  if (!tests) return { criteria: [criterion(o, () => ({ reason: t('this u32 expression could not be read') }))] };
  return { criteria: [criterion(o, (ctx) => runU32(tests, bytesOf(ctx.pkt)))] };
}

// ---- classic BPF -------------------------------------------------------------------------

type Insn = [code: number, jt: number, jf: number, k: number];

function parseBpf(text: string): Insn[] | undefined {
  const parts = text.trim().replace(/,$/, '').split(',');
  const count = Number(parts[0]);
  const insns = parts.slice(1).map((p) => p.trim().split(/\s+/).map(Number) as Insn);
  return insns.length === count && insns.every((i) => i.length === 4 && i.every(Number.isFinite)) ? insns : undefined;
}

/** A classic BPF program over the packet, as xt_bpf runs it (loads are relative to the IP header). */
function runBpf(prog: Insn[], b: Uint8Array): Tri {
  let A = 0;
  let X = 0;
  const M = new Array<number>(16).fill(0);
  const load = (at: number, size: number): number | undefined => {
    if (at < 0 || at + size > b.length) return undefined;
    return size === 4 ? word(b, at) : size === 2 ? (b[at] << 8) | b[at + 1] : b[at];
  };
  for (let pc = 0; pc < prog.length; pc++) {
    const [code, jt, jf, k] = prog[pc];
    const cls = code & 7;
    const size = [4, 2, 1][(code >> 3) & 3] ?? 4;
    const mode = code & 0xe0;
    const src = code & 8 ? X : k >>> 0;
    if (cls === 0 || cls === 1) {
      let v: number | undefined;
      if (mode === 0x00) v = k >>> 0;
      else if (mode === 0x20) v = k < 0 || k >= 0x7ffff000 ? undefined : load(k, size);
      else if (mode === 0x40) v = load(X + k, size);
      else if (mode === 0x60) v = M[k & 15];
      else if (mode === 0x80) v = b.length;
      else if (mode === 0xa0) v = ((load(k, 1) ?? 0) & 0xf) * 4;
      if (k >= 0x7ffff000 && mode === 0x20) return { reason: t('this BPF program reads ancillary data (SKF_AD_*), which is not modelled') };
      if (v === undefined) return false;
      if (cls === 0) A = v >>> 0;
      else X = v >>> 0;
    } else if (cls === 2) M[k & 15] = A;
    else if (cls === 3) M[k & 15] = X;
    else if (cls === 4) {
      const op = code & 0xf0;
      if ((op === 0x30 || op === 0x90) && src === 0) return false;
      const ops: Record<number, () => number> = {
        0x00: () => A + src, 0x10: () => A - src, 0x20: () => Math.imul(A, src), 0x30: () => Math.floor(A / src),
        0x40: () => A | src, 0x50: () => A & src, 0x60: () => (src >= 32 ? 0 : A << src), 0x70: () => (src >= 32 ? 0 : A >>> src),
        0x80: () => -A, 0x90: () => A % src, 0xa0: () => A ^ src,
      };
      A = (ops[op]?.() ?? A) >>> 0;
    } else if (cls === 5) {
      const op = code & 0xf0;
      if (op === 0x00) pc += k;
      else {
        const cond = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : (A & src) !== 0;
        pc += cond ? jt : jf;
      }
    } else if (cls === 6) {
      const rval = code & 0x18;
      return (rval === 0x10 ? A : rval === 0x08 ? X : k >>> 0) !== 0;
    } else if (cls === 7) {
      if (code & 0x80) A = X;
      else X = A;
    }
  }
  return false;
}

function bpf(use: MatchUse): CompiledMatch {
  const o = option(use, 'bytecode');
  if (!o) return { criteria: [whole(use, () => ({ reason: t('a pinned eBPF program runs code outside the ruleset') }))] };
  const prog = parseBpf(first(o));
  if (!prog) return { criteria: [criterion(o, () => ({ reason: t('this BPF byte code could not be read') }))] };
  return { criteria: [criterion(o, (ctx: EvalContext) => runBpf(prog, bytesOf(ctx.pkt)))] };
}

export const CONTENT_EVALUATORS = { string, u32, bpf };
