// The shell's state that a subshell or an undecidable branch copies and puts
// back: variables (global, and local to each function call), positional
// parameters, function definitions and the options `set` changes.
import type { SyntaxNode } from './bashParser';
import { Field, ShellString, unknown, VariableValue } from './values';

export interface Frame {
  locals: Map<string, VariableValue>;
  positional: Field[];
}

export interface Snapshot {
  globals: Map<string, VariableValue>;
  frames: Frame[];
  functions: Map<string, SyntaxNode>;
  errexit: boolean;
  pipefail: boolean;
  topPositional: Field[];
}

export class ShellState {
  globals = new Map<string, VariableValue>();
  frames: Frame[] = [];
  functions = new Map<string, SyntaxNode>();
  topPositional: Field[] = [];
  errexit = false;
  pipefail = false;

  variable(name: string): VariableValue | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const v = this.frames[i].locals.get(name);
      if (v) return v;
    }
    return this.globals.get(name);
  }

  setVariable(name: string, value: VariableValue, local = false): void {
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
    const copyVars = (m: Map<string, VariableValue>) => new Map([...m].map(([k, v]) => [k, copyValue(v)]));
    return {
      globals: copyVars(this.globals),
      frames: this.frames.map((f) => ({ locals: copyVars(f.locals), positional: [...f.positional] })),
      functions: new Map(this.functions),
      errexit: this.errexit,
      pipefail: this.pipefail,
      topPositional: [...this.topPositional],
    };
  }

  restore(s: Snapshot): void {
    this.globals = s.globals;
    this.frames = s.frames;
    this.functions = s.functions;
    this.errexit = s.errexit;
    this.pipefail = s.pipefail;
    this.topPositional = s.topPositional;
  }
}

function copyValue(v: VariableValue): VariableValue {
  if (v.kind === 'indexed') return { kind: 'indexed', items: [...v.items] };
  if (v.kind === 'assoc') return { kind: 'assoc', items: new Map(v.items) };
  return v;
}

export function cloneSnapshot(s: Snapshot): Snapshot {
  const copyVars = (m: Map<string, VariableValue>) => new Map([...m].map(([k, v]) => [k, copyValue(v)]));
  return {
    ...s,
    globals: copyVars(s.globals),
    frames: s.frames.map((f) => ({ locals: copyVars(f.locals), positional: [...f.positional] })),
    functions: new Map(s.functions),
    topPositional: [...s.topPositional],
  };
}

/** After undecidable branches: a variable that differs between them becomes unknown. */
export function mergeSnapshots(states: Snapshot[], reason: string): Snapshot {
  if (states.length === 1) return states[0];
  const mergeVars = (maps: Map<string, VariableValue>[]): Map<string, VariableValue> => {
    const names = new Set(maps.flatMap((m) => [...m.keys()]));
    const out = new Map<string, VariableValue>();
    for (const name of names) {
      const values = maps.map((m) => m.get(name));
      const texts = values.map((v) => (v?.kind === 'scalar' ? (v.value.unknown ? undefined : v.value.text) : v === undefined ? '' : undefined));
      const first = values[0];
      if (values.every((v) => sameValue(v, first, false))) {
        // The same value written in two places is no longer one literal to edit.
        if (first) out.set(name, values.every((v) => sameValue(v, first, true)) ? first : withoutSources(first));
      } else if (texts.every((t) => t !== undefined)) {
        out.set(name, { kind: 'scalar', value: unknown(`$${name}, which depends on ${reason}`, [...new Set(texts as string[])]) });
      } else {
        out.set(name, { kind: 'scalar', value: unknown(`$${name}, which depends on ${reason}`) });
      }
    }
    return out;
  };
  const base = states[0];
  return {
    ...base,
    globals: mergeVars(states.map((s) => s.globals)),
    frames: base.frames.map((f, i) => ({ locals: mergeVars(states.map((s) => s.frames[i]?.locals ?? new Map())), positional: f.positional })),
  };
}

function sameValue(a: VariableValue | undefined, b: VariableValue | undefined, withSources: boolean): boolean {
  const replacer = withSources ? undefined : (key: string, x: unknown) => (key === 'source' ? undefined : x);
  const json = (v: VariableValue | undefined) => JSON.stringify(serialise(v), replacer);
  return json(a) === json(b);
}

function withoutSources(v: VariableValue): VariableValue {
  const strip = (s: ShellString): ShellString => (s.source ? { ...s, source: undefined } : s);
  if (v.kind === 'scalar') return { ...v, value: strip(v.value) };
  if (v.kind === 'indexed') return { kind: 'indexed', items: v.items.map((s) => s && strip(s)) };
  return { kind: 'assoc', items: new Map([...v.items].map(([k, s]) => [k, strip(s)])) };
}

function serialise(v: VariableValue | undefined): unknown {
  if (!v) return null;
  if (v.kind === 'assoc') return [...v.items.entries()];
  if (v.kind === 'indexed') return v.items;
  return v.value;
}
