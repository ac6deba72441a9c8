// Assignments and the commands that declare or remove variables: `a=b`,
// `a+=b`, arrays and their elements, declare/local/export/readonly, unset.
import type { SyntaxNode } from './bashParser';
import { TooMuchWork } from './budget';
import type { ShellInterpreter } from './interpreter';
import { concat, known, ShellString, Status, VariableValue } from './values';
import { t } from '../l10n';

/** How far past an array's end an index may write (the array is a list, so the gap is filled). */
const MAX_ARRAY_GAP = 100_000;

export function assignment(sh: ShellInterpreter, node: SyntaxNode, local: boolean, into?: Map<string, VariableValue>): void {
  const nameNode = node.childForFieldName('name') ?? node.namedChildren[0];
  const valueNode = node.childForFieldName('value') ?? node.namedChildren[1];
  if (!nameNode) return;
  const append = node.children.some((c) => c?.type === '+=');
  let name = nameNode.text;
  let index: string | undefined;
  const sub = /^([A-Za-z_]\w*)\[(.*)\]$/.exec(name);
  if (sub) [, name, index] = sub;
  const set = (v: VariableValue) => (into ? into.set(name, v) : sh.state.setVariable(name, v, local));
  // The variable found is the one an assignment changes, unless it goes to a new local or a temporary.
  const inPlace = !into && !local;
  if (valueNode?.type === 'array') {
    const existing = sh.variable(name);
    if (existing?.kind === 'assoc' || /\[.*\]=/.test(valueNode.text)) {
      const items = existing?.kind === 'assoc' && append ? new Map(existing.items) : new Map<string, ShellString>();
      for (const m of valueNode.text.slice(1, -1).matchAll(/\[([^\]]*)\]=("[^"]*"|'[^']*'|\S*)/g)) {
        items.set(sh.expandFragment(m[1]).text, sh.expandFragment(m[2]));
      }
      set(existing?.kind === 'assoc' || !/^\(\s*\[\d+\]/.test(valueNode.text) ? { kind: 'assoc', items } : { kind: 'indexed', items: [...items.values()] });
      return;
    }
    const fields = sh.expander.fields(valueNode.namedChildren.filter((c): c is SyntaxNode => c !== null));
    const items = fields.map((f): ShellString => (f.unknown ? { text: f.text, unknown: f.unknown } : known(f.text)));
    sh.budget.stored(items.reduce((n, i) => n + i.text.length, 0));
    if (append && existing?.kind === 'indexed') {
      // Appended in place (the live state owns its arrays): a loop that appends stays linear.
      const target = inPlace ? existing.items : existing.items.slice();
      for (const i of items) target.push(i);
      if (!inPlace) set({ kind: 'indexed', items: target });
      return;
    }
    set({ kind: 'indexed', items });
    return;
  }
  let value = valueNode ? sh.expander.single(valueNode) : known('');
  const existing = sh.variable(name);
  if (index !== undefined) {
    sh.budget.stored(value.text.length);
    if (existing?.kind === 'assoc') {
      const items = inPlace ? existing.items : new Map(existing.items);
      items.set(sh.expandFragment(index).text, value);
      if (!inPlace) set({ kind: 'assoc', items });
    } else {
      const items = existing?.kind === 'indexed' ? (inPlace ? existing.items : existing.items.slice()) : existing?.kind === 'scalar' ? [existing.value] : [];
      const given = Number(sh.arithmetic(index).text);
      const i = given < 0 ? items.length + given : given;
      // An unknown index, or one before the start, changes no element we can name.
      if (!Number.isInteger(i) || i < 0) return;
      // The array is a list: an index far past its end would make a huge one.
      if (i > items.length + MAX_ARRAY_GAP) throw new TooMuchWork(t('an array index of {0}, far past the end of the array', i));
      items[i] = value;
      if (!(inPlace && existing?.kind === 'indexed')) set({ kind: 'indexed', items });
    }
    return;
  }
  if (append && existing?.kind === 'scalar') value = concat([existing.value, value], sh.budget);
  if (append && existing?.kind === 'indexed') {
    sh.budget.stored(value.text.length);
    if (inPlace) existing.items.push(value);
    else set({ kind: 'indexed', items: [...existing.items, value] });
    return;
  }
  set({ kind: 'scalar', value });
}

export function declaration(sh: ShellInterpreter, node: SyntaxNode): Status {
  const keyword = node.children[0]?.text ?? 'declare';
  const flags = node.namedChildren.filter((c) => c?.type === 'word' && c.text.startsWith('-')).map((c) => c!.text).join('');
  // declare in a function is local unless -g, like local itself.
  const local = keyword === 'local' || (keyword !== 'export' && keyword !== 'readonly' && sh.state.frames.length > 0 && !flags.includes('g'));
  const empty = (): VariableValue => (flags.includes('A') ? { kind: 'assoc', items: new Map() } : flags.includes('a') ? { kind: 'indexed', items: [] } : { kind: 'scalar', value: known('') });
  for (const c of node.namedChildren) {
    if (!c || (c.type === 'word' && c.text.startsWith('-'))) continue;
    if (c.type === 'variable_assignment') {
      const name = (c.childForFieldName('name') ?? c.namedChildren[0])?.text ?? '';
      if (flags.includes('A') && !sh.variable(name)) sh.state.setVariable(name, empty(), local);
      assignment(sh, c, local);
    } else if (local || !sh.variable(c.text)) {
      sh.state.setVariable(c.text, empty(), local);
    }
  }
  return 0;
}

export function unset(sh: ShellInterpreter, node: SyntaxNode): Status {
  const words = node.namedChildren.filter((c): c is SyntaxNode => c !== null).map((c) => c.text);
  const functions = words.includes('-f');
  for (const w of words.filter((x) => !x.startsWith('-'))) {
    if (functions) sh.state.functions.delete(w);
    else {
      for (const f of sh.state.frames) f.locals.delete(w);
      sh.state.globals.delete(w);
    }
  }
  return 0;
}
