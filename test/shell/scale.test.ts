// Generated firewall scripts of tens of thousands of iptables commands (a
// Docker host's published ports, kube-proxy's rules written as commands) are
// followed to their end: the steps a script may take grow with its text. What
// a script asks for beyond its length is still stopped where it is asked for.
// (Time and memory at 2k-160k commands: test/bench/scale.bench.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseScript, analyseScriptSteps } from '../../server/src/analysis/script';
import { evaluateScriptSteps } from '../../server/src/shell/evaluateScript';
import type { Steps } from '../../server/src/steps';
import { nodeBashParser } from '../../server/src/node/bashWasm';

/** `count` plain commands, one published port each, as a generator writes them. */
function generated(count: number): string[] {
  const lines = ['#!/bin/sh', 'iptables -N DOCKER', 'iptables -A FORWARD -o docker0 -j DOCKER'];
  for (let i = 0; i < count; i++) {
    lines.push(`iptables -A DOCKER -d 172.17.${(i >> 8) & 255}.${i & 255}/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport ${10000 + i} -j ACCEPT`);
  }
  return lines;
}

const summary = (d: { span: { line: number; start: number }; code: string }) => `${d.span.line + 1}:${d.span.start + 1} ${d.code}`;

test('a mistake on the last line of a 20,000-command script is found on that line', async () => {
  const lines = [...generated(20_000), 'iptables -A DOCKER -p tcp --dport 99999 -j ACCEPT'];
  const r = analyseScript(lines.join('\n') + '\n', await nodeBashParser(), DEFAULT_OPTIONS);
  assert.deepEqual(r.diagnostics.map(summary), [`${lines.length}:35 invalid-value`]);
  assert.equal(r.calls.length, 20_003);
  // The refused command adds no rule.
  assert.equal(r.rulesets.ipv4.tables.get('filter')?.chains.get('DOCKER')?.rules.length, 20_000);
});

test('a loop that never ends after 3,000 commands is stopped at the loop, with every rule before it built', async () => {
  // 300 KB: its budget is 2 steps a character, and the loop runs some 23,000 rounds of iptables before it is stopped.
  const lines = [...generated(3000), 'while :; do', '  iptables -A INPUT -j ACCEPT', 'done', 'iptables -A INPUT -j NOWHERE'];
  const text = lines.join('\n') + '\n';
  const r = analyseScript(text, await nodeBashParser(), DEFAULT_OPTIONS);
  const loop = lines.indexOf('while :; do') + 1;
  // The budget is 2 steps per character of this script; nothing after the loop is judged.
  const steps = (2 * text.length).toLocaleString('en');
  assert.deepEqual(r.diagnostics.map((d) => `${d.span.line + 1 === loop || d.span.line + 1 === loop + 1 ? 'loop' : d.span.line + 1} ${d.code}: ${d.message}`),
    [`loop not-evaluated: not evaluated further: too much work here (more than ${steps} steps); the commands after this point are not checked`]);
  assert.equal(r.rulesets.ipv4.tables.get('filter')?.chains.get('DOCKER')?.rules.length, 3000);
  assert.ok(text.length > 250_000 && (r.rulesets.ipv4.tables.get('filter')?.chains.get('INPUT')?.rules.length ?? 0) > 20_000, 'the budget grew with the script');
});

test('a small script keeps the budget of 100,000 steps: a loop without end stops there as before', async () => {
  const r = analyseScript('#!/bin/sh\nwhile :; do :; done\niptables -A INPUT -j NOWHERE\n', await nodeBashParser(), DEFAULT_OPTIONS);
  assert.deepEqual(r.diagnostics.map((d) => `${d.span.line + 1} ${d.message}`), ['2 not evaluated further: too much work here (more than 100,000 steps); the commands after this point are not checked']);
});

test('the review of a long script\'s rules for ones that never match pauses every few thousand rules, as a rule file\'s does', async () => {
  // kube-proxy's shape: thousands of chains of a few rules each, the last rule of each shadowed by the one before.
  const lines = ['#!/bin/sh'];
  for (let i = 0; i < 5000; i++) lines.push(`iptables -N SVC${i}`, `iptables -A SVC${i} -p tcp -j ACCEPT`, `iptables -A SVC${i} -p tcp --dport ${i + 1} -j ACCEPT`);
  const text = lines.join('\n') + '\n';
  const parser = await nodeBashParser();
  const pauses = (steps: Steps<unknown>) => {
    let n = 0;
    while (!steps.next().done) n++;
    return n;
  };
  const evaluating = pauses(evaluateScriptSteps(text, parser, DEFAULT_OPTIONS));
  const analysing = pauses(analyseScriptSteps(text, parser, DEFAULT_OPTIONS));
  // 10,000 rules reviewed 4,096 at a time: the review pauses twice, beside the evaluation's own pauses.
  assert.equal(analysing - evaluating, 2);
  assert.equal(analyseScript(text, parser, DEFAULT_OPTIONS).diagnostics.filter((d) => d.code === 'shadowed-rule').length, 5000);
});
