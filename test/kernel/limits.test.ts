// Limits of the real tools that the analysis reports, each tried live with the
// real iptables in a network namespace of the test's own: nf_tables follows at
// most 15 nested jumps (iptables-nft refuses the rule that puts a chain 16 below
// a built-in chain, the legacy backend loads any depth; in a script, the command
// that does it), and iptables-restore
// reads words of at most 1,023 bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseScript } from '../../server/src/analysis/script';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { inNamespace, iptablesMissing, Namespace } from '../support/iptables';

const missing = iptablesMissing();

/** INPUT jumps (or goes) to c1, each chain to the next down to c`depth`; `reached`: INPUT's rule is there. */
function chainOf(depth: number, options: { goto?: boolean; reached?: boolean } = {}): string {
  const verb = options.goto ? '-g' : '-j';
  const lines = ['*filter', ':INPUT ACCEPT [0:0]'];
  for (let i = 1; i <= depth; i++) lines.push(`:c${i} - [0:0]`);
  if (options.reached !== false) lines.push(`-A INPUT ${verb} c1`);
  for (let i = 1; i < depth; i++) lines.push(`-A c${i} ${verb} c${i + 1}`);
  lines.push(`-A c${depth} -p tcp --dport 80 -j ACCEPT`, 'COMMIT', '');
  return lines.join('\n');
}

/** 1-based lines of the warnings of one code, with their messages. */
function findings(text: string, code: string): { line: number; message: string }[] {
  return analyseSaveText(text, DEFAULT_OPTIONS).diagnostics.filter((d) => d.code === code).map((d) => ({ line: d.span.line + 1, message: d.message }));
}

test('a chain 16 jumps below INPUT: iptables-nft refuses the rule that reaches it, the legacy backend loads it, and the analysis warns on that rule', { skip: missing }, () => {
  const ns = new Namespace('ipt-hostile-depth');
  try {
    const cases = [
      { name: '15 chains deep', text: chainOf(15), warned: [] as number[] },
      { name: '16 chains deep', text: chainOf(16), warned: [34] },
      { name: '16 chains deep by gotos', text: chainOf(16, { goto: true }), warned: [34] },
      { name: '40 chains deep', text: chainOf(40), warned: [58] },
      { name: '17 chains deep that no built-in chain reaches', text: chainOf(17, { reached: false }), warned: [] },
    ];
    for (const c of cases) {
      const nft = inNamespace(ns.name, ['iptables-nft-restore'], c.text);
      const legacy = ns.restore(c.text, 'ipv4', false);
      assert.equal(legacy.loads, true, `${c.name}: iptables-legacy-restore: ${legacy.message}`);
      const kernelLine = /line (\d+): RULE_APPEND failed \(Too many links\)/.exec(nft.stderr);
      // What the real tool says first is what we warn about, nothing more.
      assert.deepEqual(kernelLine ? [Number(kernelLine[1])] : [], c.warned, `${c.name}: iptables-nft-restore said ${JSON.stringify(nft.stderr)}`);
      assert.equal(nft.status === 0, c.warned.length === 0, c.name);
      const ours = findings(c.text, 'jump-depth');
      assert.deepEqual(ours.map((f) => f.line), c.warned, c.name);
      for (const f of ours) {
        assert.equal(f.message, 'this jump puts chain c16 16 jumps below INPUT: iptables-nft refuses the rule ("Too many links"), as nf_tables follows at most 15; the legacy backend loads it');
      }
    }
  } finally {
    ns.delete();
  }
});

test('a script that makes a chain 16 jumps below INPUT one command at a time: iptables-nft refuses that command, and the analysis warns on it', { skip: missing }, async () => {
  const ns = new Namespace('ipt-hostile-depth-script');
  const chains = (n: number) => Array.from({ length: n }, (_, i) => `-N c${i + 1}`);
  const down = (n: number, verb = '-j') => Array.from({ length: n - 1 }, (_, i) => `-A c${i + 1} ${verb} c${i + 2}`);
  const cases = [
    { name: 'from the top down, 16 deep', commands: [...chains(16), '-A INPUT -j c1', ...down(16)], deep: 'c16' },
    { name: 'from the top down by gotos, 17 deep', commands: [...chains(17), '-A INPUT -g c1', ...down(17, '-g')], deep: 'c16' },
    { name: 'from the bottom up, 17 deep, INPUT last', commands: [...chains(17), ...down(17).reverse(), '-A INPUT -j c1'], deep: 'c16' },
    { name: 'a chain 15 below INPUT', commands: [...chains(15), '-A INPUT -j c1', ...down(15)], deep: undefined },
    { name: '17 deep, reached from no built-in chain', commands: [...chains(17), ...down(17)], deep: undefined },
  ];
  try {
    for (const c of cases) {
      for (const reset of [['-F'], ['-X']]) inNamespace(ns.name, ['iptables-nft', ...reset]);
      // 1-based lines of the script below: line 1 is its #! line.
      const refused = c.commands.flatMap((command, i) => {
        const r = inNamespace(ns.name, ['iptables-nft', ...command.split(' ')]);
        return /Too many links/.test(r.stderr) ? [i + 2] : [];
      });
      const script = `#!/bin/sh\n${c.commands.map((command) => `iptables ${command}`).join('\n')}\n`;
      const ours = analyseScript(script, await nodeBashParser(), DEFAULT_OPTIONS).diagnostics.filter((d) => d.code === 'jump-depth');
      assert.deepEqual(ours.map((d) => d.span.line + 1), refused, c.name);
      assert.equal(refused.length, c.deep ? 1 : 0, `${c.name}: iptables-nft refused ${JSON.stringify(refused)}`);
      for (const d of ours) assert.equal(d.message, `this jump puts chain ${c.deep} 16 jumps below INPUT: iptables-nft refuses the rule ("Too many links"), as nf_tables follows at most 15; the legacy backend loads it`, c.name);
    }
  } finally {
    ns.delete();
  }
});

test('a word of 1,024 bytes or more: iptables-restore refuses the line ("Parameter too long!"), and so does the analysis; 1,023 bytes pass', { skip: missing }, () => {
  const ns = new Namespace('ipt-hostile-word');
  try {
    const fileWith = (word: string) => `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment ${word} -j ACCEPT\nCOMMIT\n`;
    const cases = [
      { word: 'a'.repeat(1023), tooLong: false },
      { word: 'a'.repeat(1024), tooLong: true },
      // 342 characters of three bytes each: bytes count, not characters.
      { word: '中'.repeat(342), tooLong: true },
    ];
    for (const c of cases) {
      const text = fileWith(c.word);
      const verdict = ns.restore(text, 'ipv4', false);
      assert.equal(verdict.loads, !c.tooLong, `iptables-legacy-restore said ${verdict.message}`);
      assert.equal(/Parameter too long/.test(verdict.message ?? ''), c.tooLong, `iptables-legacy-restore said ${verdict.message}`);
      const ours = findings(text, 'invalid-value').filter((f) => /Parameter too long/.test(f.message));
      const bytes = new TextEncoder().encode(c.word).length;
      assert.deepEqual(ours, c.tooLong ? [{ line: 3, message: `this word is ${bytes.toLocaleString('en-US')} bytes long: iptables-restore reads words of at most 1,023 bytes and refuses the line ("Parameter too long!")` }] : []);
    }
  } finally {
    ns.delete();
  }
});
