// The shell's state that a subshell or an undecidable branch copies and puts
// back: variables (global, and local to each function call), positional
// parameters, function definitions, the options `set` changes, and the files
// the script wrote (in memory) with its open file descriptors. A subshell
// keeps the files it wrote; an undecided branch does not.
import type { Span } from '../diagnostics';
import type { Budget, Meter } from './budget';
import type { SyntaxNode } from './bashParser';
import { Field, MAX_ALTERNATIVES, possibleTexts, ShellString, unknown, VariableValue } from './values';
import { t } from '../l10n';

/** A file the script wrote, kept in memory; where its lines came from, when it was one heredoc. */
export interface VirtualFile {
  text: ShellString;
  origin?: (line: number) => { line: number; column: number } | undefined;
}

export interface Frame {
  locals: Map<string, VariableValue>;
  positional: Field[];
  /** What the call's words assumed of variables whose empty value made a word vanish (see Expander.vanished). */
  vanished?: string[];
}

export interface Snapshot {
  globals: Map<string, VariableValue>;
  frames: Frame[];
  functions: Map<string, SyntaxNode>;
  errexit: boolean;
  pipefail: boolean;
  topPositional: Field[];
  unreadSources: string[];
  files: Map<string, VirtualFile>;
  /** Descriptors opened with `exec 3>FILE`: the file each writes to. */
  fds: Map<number, string>;
}

/** Copying one variable or array item costs about as much as scanning this many characters. */
const ENTRY_COST = 16;

export class ShellState {
  globals = new Map<string, VariableValue>();
  frames: Frame[] = [];
  functions = new Map<string, SyntaxNode>();
  topPositional: Field[] = [scriptArguments()];
  errexit = false;
  pipefail = false;
  /** Files sourced that the evaluator cannot read (the machine's): they may set any variable. */
  unreadSources: string[] = [];
  files = new Map<string, VirtualFile>();
  fds = new Map<number, string>();

  constructor(private readonly budget: Budget) {}

  variable(name: string): VariableValue | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const v = this.frames[i].locals.get(name);
      if (v) return v;
    }
    return this.globals.get(name);
  }

  setVariable(name: string, value: VariableValue, local = false): void {
    this.budget.stored(value.kind === 'scalar' ? value.value.text.length : 0);
    if (local && this.frames.length) {
      this.frames[this.frames.length - 1].locals.set(name, value);
      return;
    }
    for (let i = this.frames.length - 1; i >= 0; i--) {
      if (this.frames[i].locals.has(name)) {
        this.frames[i].locals.set(name, value);
        return;
      }
    }
    this.globals.set(name, value);
  }

  positional(): Field[] {
    return this.frames.length ? this.frames[this.frames.length - 1].positional : this.topPositional;
  }

  setPositional(fields: Field[]): void {
    if (this.frames.length) this.frames[this.frames.length - 1].positional = fields;
    else this.topPositional = fields;
  }

  snapshot(): Snapshot {
    return cloneSnapshot(this, this.budget);
  }

  /** The state itself, without a copy: for a state about to be replaced. */
  current(): Snapshot {
    return {
      globals: this.globals, frames: this.frames, functions: this.functions, errexit: this.errexit, pipefail: this.pipefail,
      topPositional: this.topPositional, unreadSources: this.unreadSources, files: this.files, fds: this.fds,
    };
  }

  restore(s: Snapshot): void {
    this.globals = s.globals;
    this.frames = s.frames;
    this.functions = s.functions;
    this.errexit = s.errexit;
    this.pipefail = s.pipefail;
    this.topPositional = s.topPositional;
    this.unreadSources = s.unreadSources;
    this.files = s.files;
    this.fds = s.fds;
  }
}

/**
 * The arguments the script is run with (`start`, `stop`, an interface): only
 * the machine knows them, so `case "$1"` keeps every way open.
 */
function scriptArguments(): Field {
  return { ...unknown(t('the arguments the script is run with')), span: { line: 0, start: 0, end: 0 }, splits: true, rest: true };
}

/** A copy that shares no array or map with `s` (strings are shared: they never change). */
export function cloneSnapshot(s: Snapshot, meter: Meter): Snapshot {
  let entries = s.functions.size + s.topPositional.length;
  const copyValue = (v: VariableValue): VariableValue => {
    entries++;
    if (v.kind === 'indexed') { entries += v.items.length; return { kind: 'indexed', items: v.items.slice() }; }
    if (v.kind === 'assoc') { entries += v.items.size; return { kind: 'assoc', items: new Map(v.items) }; }
    return v;
  };
  const copyVars = (m: Map<string, VariableValue>) => {
    const out = new Map<string, VariableValue>();
    for (const [k, v] of m) out.set(k, copyValue(v));
    return out;
  };
  const copy: Snapshot = {
    globals: copyVars(s.globals),
    frames: s.frames.map((f) => {
      entries += f.positional.length;
      return { locals: copyVars(f.locals), positional: f.positional.slice(), vanished: f.vanished };
    }),
    functions: new Map(s.functions),
    errexit: s.errexit,
    pipefail: s.pipefail,
    topPositional: s.topPositional.slice(),
    unreadSources: s.unreadSources.slice(),
    files: new Map(s.files),
    fds: new Map(s.fds),
  };
  entries += s.files.size;
  meter.scan(entries * ENTRY_COST);
  return copy;
}

/** After undecidable branches: a variable that differs between them becomes unknown. */
export function mergeSnapshots(states: Snapshot[], reason: string, meter: Meter): Snapshot {
  if (states.length === 1) return states[0];
  // A variable a branch leaves unset is empty, unless a file the script sourced but cannot be read may set it.
  const unreadSource = states.map((s) => s.unreadSources[s.unreadSources.length - 1]).find((f) => f !== undefined);
  const mergeVars = (maps: Map<string, VariableValue>[], global: boolean): Map<string, VariableValue> => {
    const names = new Set(maps.flatMap((m) => [...m.keys()]));
    const out = new Map<string, VariableValue>();
    for (const name of names) {
      const values = maps.map((m) => m.get(name));
      // A way that left the value one of a few (a probed path) keeps those few; one that left it unset, empty,
      // where a file the evaluator cannot read may set it (the value then assumes it does not, as `$X` would).
      const texts = values.map((v) => (v?.kind === 'scalar' ? possibleTexts(v.value) : v === undefined ? [''] : undefined));
      const setBy = (global && values.includes(undefined) ? unreadSource : undefined) ?? values.map((v) => (v?.kind === 'scalar' ? v.value.maybeSetBy : undefined)).find((f) => f);
      const first = values[0];
      if (values.every((v) => sameValue(v, first, false, meter))) {
        // The same value written in two places is no longer one literal to edit.
        if (first) out.set(name, values.every((v) => sameValue(v, first, true, meter)) ? first : withoutSources(first));
      } else {
        const value = unknown(t('${0}, which depends on {1}', name, reason), eachOf(texts));
        out.set(name, { kind: 'scalar', value: setBy && value.alternatives ? { ...value, maybeSetBy: setBy } : value });
      }
    }
    return out;
  };
  const base = states[0];
  return {
    ...base,
    globals: mergeVars(states.map((s) => s.globals), true),
    frames: base.frames.map((f, i) => ({ locals: mergeVars(states.map((s) => s.frames[i]?.locals ?? new Map()), false), positional: f.positional, vanished: f.vanished })),
    unreadSources: [...new Set(states.flatMap((s) => s.unreadSources))],
    files: mergeFiles(states.map((s) => s.files), reason),
    fds: new Map([...base.fds].filter(([n, path]) => states.every((s) => s.fds.get(n) === path))),
  };
}

/** Whether two states hold the same variables, arguments, options and files. */
export function sameState(a: Snapshot, b: Snapshot, meter: Meter): boolean {
  const sameVars = (x: Map<string, VariableValue>, y: Map<string, VariableValue>) =>
    x.size === y.size && [...x].every(([name, v]) => sameValue(v, y.get(name), false, meter));
  return a.errexit === b.errexit && a.pipefail === b.pipefail && a.frames.length === b.frames.length
    && sameVars(a.globals, b.globals) && a.frames.every((f, i) => sameVars(f.locals, b.frames[i].locals))
    && a.topPositional.length === b.topPositional.length && a.files.size === b.files.size
    && [...a.files].every(([path, f]) => b.files.get(path) === f);
}

/** A file the branches left with different contents (or only some wrote) holds one of those contents. */
function mergeFiles(maps: Map<string, VirtualFile>[], reason: string): Map<string, VirtualFile> {
  const out = new Map<string, VirtualFile>();
  for (const path of new Set(maps.flatMap((m) => [...m.keys()]))) {
    const versions = maps.map((m) => m.get(path));
    const first = versions[0];
    if (first && versions.every((v) => v === first)) {
      out.set(path, first);
      continue;
    }
    out.set(path, { text: oneOfTexts(versions.map((v) => v?.text), t('the contents of {0}, which depend on {1}', path, reason)) });
  }
  return out;
}

/**
 * What ways that left different texts leave: one of their texts, when each
 * way's are few; where some ways left what only the machine knows (`[ -f F ]
 * && cat F >&3`), the others' texts, as what it is unless those ways ran.
 */
export function oneOfTexts(versions: (ShellString | undefined)[], why: string): ShellString {
  const texts = versions.map((v) => (v ? possibleTexts(v) : undefined));
  const all = eachOf(texts);
  if (all) return unknown(why, all);
  const some = eachOf(texts.filter((x) => x !== undefined));
  return some?.length ? { ...unknown(why, some), maybeSetBy: why } : unknown(why);
}

/** Every text the ways' values can have, when each way's are few. */
function eachOf(texts: (string[] | undefined)[]): string[] | undefined {
  if (texts.some((tgt) => tgt === undefined)) return undefined;
  const all = [...new Set(texts.flat() as string[])];
  return all.length <= MAX_ALTERNATIVES ? all : undefined;
}

/** Values are compared where they differ: one branch's unchanged strings are the very same objects. */
function sameValue(a: VariableValue | undefined, b: VariableValue | undefined, withSources: boolean, meter: Meter): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.kind === 'scalar') return b.kind === 'scalar' && sameString(a.value, b.value, withSources, meter);
  if (a.kind === 'indexed') {
    if (b.kind !== 'indexed' || a.items.length !== b.items.length) return false;
    return a.items.every((x, i) => sameString(x, b.items[i], withSources, meter));
  }
  if (b.kind !== 'assoc' || a.items.size !== b.items.size) return false;
  const keys = [...a.items.keys()];
  const otherKeys = [...b.items.keys()];
  return keys.every((k, i) => k === otherKeys[i] && sameString(a.items.get(k), b.items.get(k), withSources, meter));
}

function sameString(a: ShellString | undefined, b: ShellString | undefined, withSources: boolean, meter: Meter): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  meter.scan(Math.min(a.text.length, b.text.length));
  const sameList = (x?: string[], y?: string[]) => (x ?? []).join('\0') === (y ?? []).join('\0') && !!x === !!y;
  const sameSpan = (x?: Span, y?: Span) => x === y || (!!x && !!y && x.line === y.line && x.start === y.start && x.end === y.end);
  return a.text === b.text && a.unknown === b.unknown && a.maybeSetBy === b.maybeSetBy && sameList(a.alternatives, b.alternatives) && sameList(a.assumes, b.assumes) && (!withSources || sameSpan(a.source, b.source));
}

function withoutSources(v: VariableValue): VariableValue {
  const strip = (s: ShellString): ShellString => (s.source ? { ...s, source: undefined } : s);
  if (v.kind === 'scalar') return { ...v, value: strip(v.value) };
  if (v.kind === 'indexed') return { kind: 'indexed', items: v.items.map((s) => s && strip(s)) };
  return { kind: 'assoc', items: new Map([...v.items].map(([k, s]) => [k, strip(s)])) };
}

