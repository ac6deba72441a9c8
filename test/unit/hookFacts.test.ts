// The facts about hooks that the parser, the checks, both engines and the nft
// translation share (knowledge/tables.ts), checked against what the kernel does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findTarget, HOOKS, INPUT_INTERFACE_HOOKS, isEntryHook, natRewrite, OUTPUT_INTERFACE_HOOKS, TABLES, TARGETS } from '../../server/src/knowledge';
import { analyseSaveText, DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';

test('NAT rewrites the destination where packets enter and the source where they leave', () => {
  const at = (target: string, hook: (typeof HOOKS)[number]) => natRewrite(findTarget(target, 'ipv4'), hook);
  assert.equal(at('DNAT', 'PREROUTING'), 'dst');
  assert.equal(at('REDIRECT', 'OUTPUT'), 'dst');
  assert.equal(at('SNAT', 'POSTROUTING'), 'src');
  assert.equal(at('MASQUERADE', 'POSTROUTING'), 'src');
  assert.equal(at('NETMAP', 'PREROUTING'), 'dst');
  assert.equal(at('NETMAP', 'POSTROUTING'), 'src');
  assert.equal(at('MARK', 'PREROUTING'), undefined);
  assert.deepEqual(HOOKS.filter(isEntryHook), ['PREROUTING', 'OUTPUT']);
});

test('every target of the nat table says which address it rewrites, at each hook it is allowed in', () => {
  const nat = TABLES.find((t) => t.name === 'nat')!;
  const natTargets = TARGETS.filter((spec) => spec.tables?.length === 1 && spec.tables[0] === 'nat');
  assert.ok(natTargets.length >= 5, `${natTargets.length} nat targets`);
  for (const spec of natTargets) {
    for (const hook of spec.hooks ?? nat.chains) assert.ok(natRewrite(spec, hook), `${spec.name} (${spec.family ?? 'both'}) at ${hook}`);
  }
});

test('-i and -o are refused in the hooks where a packet has no such interface', () => {
  assert.deepEqual(INPUT_INTERFACE_HOOKS, ['PREROUTING', 'INPUT', 'FORWARD']);
  assert.deepEqual(OUTPUT_INTERFACE_HOOKS, ['FORWARD', 'OUTPUT', 'POSTROUTING']);
  const findings = (rule: string) => analyseSaveText(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`, DEFAULT_OPTIONS)
    .diagnostics.filter((d) => d.code === 'interface-direction').map((d) => d.message);
  assert.equal(findings('-A INPUT -o eth0 -j ACCEPT').length, 1);
  assert.equal(findings('-A OUTPUT -i eth0 -j ACCEPT').length, 1);
  assert.deepEqual(findings('-A FORWARD -i eth0 -o eth1 -j ACCEPT'), []);
});
