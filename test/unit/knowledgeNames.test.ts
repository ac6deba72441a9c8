// Where the knowledge base names options (which exclude or require each other,
// the order iptables-save prints them, what an option is stored as...), every
// name is one of the extension's own options (or, for a match it needs beside
// it, of that match's): checked by the compiler (a
// misspelt name in the data makes MisnamedInData that name, and the line
// below a type error naming it) and again here on the data as loaded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MATCHES, TARGETS, type ExtensionSpec, type MisnamedInData } from '../../server/src/knowledge';

const namesInDataAreOptions: [MisnamedInData] extends [never] ? true : MisnamedInData = true;

/** Every option name an extension's data refers to. */
function referredNames(ext: ExtensionSpec): string[] {
  const names = [...ext.needsOneOf ?? [], ...ext.saveOrder ?? [], ext.saveElements, ext.starts?.unless];
  for (const o of ext.options) {
    names.push(...o.excludes ?? [], ...o.requires ?? [], ...o.requiresOneOf ?? [], ...o.after ?? [], o.below, o.renamedTo, o.onlyWith?.option);
    names.push(o.save?.negatedAs, ...o.save?.defaultWith ?? [], ...o.save?.defaultWithout ?? [], ...(o.save?.storedAs ?? []).map((s) => s.option));
  }
  return names.filter((n): n is string => n !== undefined);
}

test('the options the knowledge base refers to are options of the same extension, or of the match it needs', () => {
  assert.equal(namesInDataAreOptions, true);
  const wrong: string[] = [];
  let checked = 0;
  for (const ext of [...MATCHES, ...TARGETS]) {
    const own = new Set<string>(ext.options.map((o) => o.name));
    for (const name of referredNames(ext)) {
      checked++;
      if (!own.has(name)) wrong.push(`${ext.kind} ${ext.name}: --${name}`);
    }
  }
  for (const ext of TARGETS.filter((e) => e.needsMatch)) {
    const match = MATCHES.find((m) => m.name === ext.needsMatch!.name);
    for (const name of ext.needsMatch!.options) {
      checked++;
      if (!match?.options.some((o) => o.name === name)) wrong.push(`target ${ext.name} needs -m ${ext.needsMatch!.name} --${name}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked > 100, `${checked} names referred to`);
});
