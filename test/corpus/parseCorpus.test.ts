// Every real-world rule file is read without an exception, and a file
// iptables-save wrote is understood completely (its rules are all in the model).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { corpusMissing, corpusSaveFiles } from '../support/shared';

test('every corpus file is analysed without an exception', { skip: corpusMissing() }, () => {
  const files = corpusSaveFiles();
  assert.ok(files.length > 100, `expected the corpus, found ${files.length} files`);
  for (const f of files) {
    const text = readFileSync(f.path, 'utf8');
    assert.doesNotThrow(() => analyseSaveText(text, { ...DEFAULT_OPTIONS, fileName: f.name }), f.name);
  }
});

test('the large gfw-list dump loads all its 8,453 rules into one chain-linked model', { skip: corpusMissing() }, () => {
  const f = corpusSaveFiles().find((x) => x.name === 'save/gfw-list-ss-redir.rules')!;
  const { ruleset } = analyseSaveText(readFileSync(f.path, 'utf8'), DEFAULT_OPTIONS);
  const nat = ruleset!.tables.get('nat')!;
  const total = [...nat.chains.values()].reduce((n, c) => n + c.rules.length, 0);
  assert.equal(total, 8453);
  assert.deepEqual([...nat.chains.get('SS_REDIR')!.hooks], ['OUTPUT']);
});
