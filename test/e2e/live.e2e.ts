// The live machine in a real VS Code (code-server), the machine being a network
// namespace of the test's own (the live command setting is `ip netns exec NS
// iptables-save`): "iptables: Open Live Ruleset" shows the namespace's rules,
// read-only, with their diagnostics and the other backend's warning; the trace
// panel on it uses the namespace's interfaces, and so does a file's with the
// host "This machine"; "iptables: Compare with Live"
// opens the diff editor with the summary. Screenshots for the README. The
// host's own firewall is checked to be as it was.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { hostFirewall, inNamespace, iptablesMissing, Namespace } from '../support/iptables';
import { REPO } from '../support/shared';
import { browserMissing, openFile, runCommand, screenshot } from './support/browser';
import { traceFrame } from './support/trace';
import { withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

/** What the repository says the machine runs. The LOG rule comes after an ACCEPT that takes all its packets. */
const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i wan0 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -i wan0 -s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j LOG --log-prefix "ssh: "
-A FORWARD -i lan0 -o wan0 -j ACCEPT
COMMIT
`;

function run(ns: string, args: string[], input?: string): void {
  const r = inNamespace(ns, args, input);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

/** A router in the namespace: wan0 to the outside (default route), lan0 inside. */
function makeRouter(ns: string): void {
  run(ns, ['ip', 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'lan0']);
  run(ns, ['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'wan0']);
  run(ns, ['ip', 'addr', 'add', '10.9.0.1/24', 'dev', 'lan0']);
  for (const dev of ['lo', 'wan0', 'lan0']) run(ns, ['ip', 'link', 'set', dev, 'up']);
  run(ns, ['ip', 'route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'wan0']);
}

/** A line of the active editor (or of a diff editor's side). */
function line(page: Page, text: string, within = '.editor-instance') {
  return page.locator(`${within} .view-line`, { hasText: text }).first();
}

test('the live machine: Open Live Ruleset on a namespace, the trace on its interfaces, Compare with Live in the diff editor', { skip: browserMissing() ?? iptablesMissing(), timeout: 10 * 60_000 }, async () => {
  const before = hostFirewall();
  const ns = new Namespace('live-e2e');
  try {
    makeRouter(ns.name);
    // The file loaded, then the machine drifts: a rule inserted, a policy changed, a new chain.
    run(ns.name, ['iptables-restore'], RULES);
    run(ns.name, ['iptables', '-I', 'INPUT', '3', '-i', 'wan0', '-p', 'tcp', '--dport', '8080', '-j', 'ACCEPT']);
    run(ns.name, ['iptables', '-P', 'FORWARD', 'ACCEPT']);
    run(ns.name, ['iptables', '-N', 'audit']);
    run(ns.name, ['ip6tables', '-A', 'INPUT', '-p', 'ipv6-icmp', '-j', 'ACCEPT']);
    // And a rule in the backend not in use (this iptables is nf_tables): iptables-save alone does not show it.
    run(ns.name, ['iptables-legacy', '-A', 'OUTPUT', '-j', 'ACCEPT']);

    const workspace = prepareWorkspace();
    writeFileSync(path.join(workspace, 'live.rules'), RULES);
    const settings = { 'editor.minimap.enabled': false, 'iptables.live.command': `ip netns exec ${ns.name} iptables-save` };
    await withWorkbench({ workspace, extensionDevelopmentPath: REPO, settings, failure: 'live-failure' }, async (page) => {
      await openFile(page, 'live.rules', 'log-prefix');
      // The extension is running (its lenses are shown): a palette opened earlier lacks its commands.
      await page.locator('.codelens-decoration', { hasText: 'Trace a packet through' }).first().waitFor({ timeout: 60_000 });

      // Open Live Ruleset: the namespace's rules, read-only, titled with the machine and the time.
      await runCommand(page, 'iptables: Open Live Ruleset');
      await line(page, '--dport 8080').waitFor({ timeout: 60_000 });
      const tab = page.locator('.tabs-container .tab.active');
      assert.match((await tab.innerText()).trim(), /^\S+ iptables \d\d:\d\d:\d\d\.rules/);
      await line(page, 'The live iptables ruleset of').waitFor();
      await line(page, '(nf_tables)').waitFor();
      // The other backend's rule, in the header and as a warning.
      await line(page, 'iptables-legacy').waitFor();
      await page.locator('.notifications-toasts', { hasText: 'iptables-legacy' }).first().waitFor({ timeout: 20_000 });
      // Every feature of a rule file: here, the dead LOG rule's diagnostic.
      await page.locator('.editor-instance .squiggly-warning').first().waitFor({ timeout: 30_000 });
      await runCommand(page, 'View: Focus Problems');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'this rule never matches: rule 4 of INPUT' }).first();
      await problem.waitFor({ timeout: 20_000 });
      // The namespace's IPv6 rules in a document of their own, behind the IPv4 one.
      const tab6 = page.locator('.tabs-container .tab', { hasText: / ip6tables \d\d:\d\d:\d\d\.rules/ });
      await tab6.waitFor();
      await tab6.click();
      await line(page, '-A INPUT -p ipv6-icmp -j ACCEPT').waitFor({ timeout: 30_000 });
      await line(page, 'The live ip6tables ruleset of').waitFor();
      await page.locator('.tabs-container .tab', { hasText: / iptables \d\d:\d\d:\d\d\.rules/ }).click();
      // Read-only: typing changes nothing.
      await line(page, '--dport 8080').click();
      await page.keyboard.type('XYZ');
      assert.equal(await line(page, 'XYZ').count(), 0);

      // The trace panel on it: the namespace's interfaces and addresses, SSH in on wan0 accepted.
      await runCommand(page, 'iptables: Trace Packet');
      const panel = traceFrame(page);
      await panel.locator('#verdict .verdict-text').waitFor({ timeout: 60_000 });
      assert.deepEqual((await panel.locator('#result').getAttribute('data-interfaces'))?.split(' ').sort(), ['lan0', 'lo', 'wan0']);
      assert.match(await panel.locator('#host-summary').innerText(), new RegExp(`^this machine \\(.+ \\(ip netns exec ${ns.name} iptables-save\\)\\): lo, `));
      assert.equal(await panel.locator('#f-inInterface').inputValue(), 'wan0');
      assert.equal(await panel.locator('#f-destination').inputValue(), '192.0.2.2');
      await panel.locator('#doc-name', { hasText: /^\S+ iptables \d\d:\d\d:\d\d\.rules$/ }).waitFor();
      await panel.locator('#f-destinationPort').fill('25');
      await panel.locator('#verdict .verdict-text', { hasText: /^Dropped/ }).waitFor({ timeout: 30_000 });
      // The rule only the machine has lets 8080 in.
      await panel.locator('#f-destinationPort').fill('8080');
      await panel.locator('#verdict .verdict-text', { hasText: /^Delivered/ }).waitFor({ timeout: 30_000 });
      await runCommand(page, 'View: Toggle Panel Visibility');
      await page.mouse.move(900, 900);
      await page.waitForTimeout(500);
      copyFileSync(await screenshot(page, 'live-ruleset'), path.join(REPO, 'images', 'screenshot-live-ruleset.png'));
      await page.locator('.tabs-container .tab', { hasText: 'Packet Trace' }).locator('.codicon-close').click();

      // On the file, the host is the example router until "This machine" is chosen: then the namespace's.
      await page.locator('.tabs-container .tab', { hasText: 'live.rules' }).first().click();
      await runCommand(page, 'iptables: Trace Packet');
      await panel.locator('#doc-name', { hasText: 'live.rules' }).waitFor({ timeout: 60_000 });
      assert.equal(await panel.locator('#host-summary').innerText(), 'the example router');
      await panel.locator('#host summary').click();
      await panel.locator('input[name="hostKind"][value="machine"]').check();
      await panel.locator('#host-summary', { hasText: /^this machine / }).waitFor({ timeout: 30_000 });
      await panel.locator('#w-machine', { hasText: `ip netns exec ${ns.name} iptables-save` }).waitFor();
      assert.deepEqual((await panel.locator('#result').getAttribute('data-interfaces'))?.split(' ').sort(), ['lan0', 'lo', 'wan0']);
      assert.equal(await panel.locator('#f-inInterface').inputValue(), 'wan0');
      // The file has no 8080 rule: what the machine accepts, the file drops.
      await panel.locator('#f-destinationPort').fill('8080');
      await panel.locator('#verdict .verdict-text', { hasText: /^Dropped/ }).waitFor({ timeout: 30_000 });
      await page.locator('.tabs-container .tab', { hasText: 'Packet Trace' }).locator('.codicon-close').click();

      // Compare with Live on the file: VS Code's diff editor, the summary on top of both sides.
      await page.locator('.tabs-container .tab', { hasText: 'live.rules' }).first().click();
      await runCommand(page, 'iptables: Compare with Live');
      const diff = page.locator('.monaco-diff-editor').first();
      await diff.waitFor({ timeout: 60_000 });
      await line(page, '3 chains differ:', '.monaco-diff-editor .editor.modified').waitFor({ timeout: 30_000 });
      for (const summary of ['filter/INPUT: 1 rule added', 'filter/FORWARD: policy DROP -> ACCEPT', 'filter/audit: chain only in live']) {
        await line(page, summary, '.monaco-diff-editor .editor.original').waitFor();
      }
      await line(page, '--dport 8080', '.monaco-diff-editor .editor.modified').waitFor();
      assert.equal(await line(page, '--dport 8080', '.monaco-diff-editor .editor.original').count(), 0);
      await page.locator('.notifications-toasts', { hasText: 'differ in 3 chains' }).first().waitFor({ timeout: 20_000 });
      assert.match((await page.locator('.tabs-container .tab.active').innerText()).trim(), /^live\.rules ↔ live /);
      await page.mouse.move(900, 900);
      await page.waitForTimeout(500);
      copyFileSync(await screenshot(page, 'compare-with-live'), path.join(REPO, 'images', 'screenshot-compare-with-live.png'));
    });
  } finally {
    ns.delete();
    assert.equal(hostFirewall(), before, 'the host\'s own firewall changed');
  }
});
