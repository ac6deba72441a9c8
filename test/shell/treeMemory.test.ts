// A script's syntax trees live in the bash parser's WebAssembly memory, which
// no garbage collector frees: the language server evaluates a script at every
// keystroke, so a tree that is not deleted is memory the server never gets back.
// Nor may anything kept for the services hold an evaluation after it is dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { evaluateScript } from '../../server/src/shell/evaluateScript';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// The WebAssembly memory is counted in the process's `external` memory; its heap and
// resident size move with the garbage collector and the machine's load.
test('evaluating a script again and again does not grow the parser\'s memory (its trees are deleted)', async () => {
  const parser = await nodeBashParser();
  // 2,000 commands with a substitution each: ~4 MB of parser memory per evaluation when kept.
  const script = '#!/bin/sh\n' + Array.from({ length: 2000 }, (_, i) => `iptables -A INPUT -p tcp --dport ${i} -j ACCEPT # $(echo x${i})`).join('\n') + '\n';
  const run = () => evaluateScript(script, parser, DEFAULT_OPTIONS);
  for (let i = 0; i < 10; i++) run();
  gc();
  const before = process.memoryUsage().external;
  let rules = 0;
  for (let i = 0; i < 40; i++) rules = run().rulesets.ipv4.tables.get('filter')!.chains.get('INPUT')!.rules.length;
  gc();
  const grown = (process.memoryUsage().external - before) / 2 ** 20;
  assert.equal(rules, 2000);
  assert.ok(grown < 8, `the parser's memory grew by ${grown.toFixed(0)} MB over 40 evaluations`);
});

test('the commands a script\'s plain lines are read again into for the services go with its evaluation', async () => {
  const parser = await nodeBashParser();
  const script = '#!/bin/bash\n' + Array.from({ length: 12 }, (_, i) => `iptables -A INPUT -p tcp --dport ${1000 + i} -j ACCEPT`).join('\n') + '\n';
  let first: ReturnType<typeof evaluateScript> | undefined = evaluateScript(script, parser, DEFAULT_OPTIONS);
  // Hover and the trace ask a call for its command: a plain line's is read again from the script and kept.
  // (Twelve lines make a run long enough to be read as plain lines: a call kept whole holds its command as a field.)
  assert.ok(!Object.hasOwn(first.calls[3], 'command'), 'the fourth command is kept by its line');
  const asked = first.calls[3].command;
  assert.equal(asked.words.find((w) => w.text === '1003')?.line, 4);
  assert.equal(first.calls[3].command, asked);
  const dropped = new WeakRef(first.calls[3]);
  // The document closed: its evaluation dropped (no other script asked for a command since).
  first = undefined;
  // A weak reference keeps its target until the task that made it ends.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  assert.equal(dropped.deref(), undefined, 'a call of the dropped evaluation is still held');
});
