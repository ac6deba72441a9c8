// The trace panel on the IPv6 example in a real VS Code (code-server): a
// packet from a link-local source that the router would forward is stopped by
// the IPv6 stack before FORWARD. The panel says so in the words iptables-trace
// prints, draws the stop after the routing decision, and a screenshot of it
// goes to the README.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/shared';
import { browserMissing, openFile, runCommand, screenshot } from './support/browser';
import { cliTrace, traceFrame } from './support/trace';
import { withWorkbench } from './support/vscode';
import { prepareWorkspace } from './support/workspace';

const BEYOND_SCOPE = 'not forwarded: beyond scope: a link-local source may not leave its link (eth1 to eth0) (answered with icmp6-beyond-scope)';

test('IPv6 in the trace panel: a link-local source is not forwarded, in the words of iptables-trace', { skip: browserMissing(), timeout: 5 * 60_000 }, async () => {
  const workspace = prepareWorkspace();
  await withWorkbench({ workspace, extensionDevelopmentPath: REPO, settings: { 'editor.minimap.enabled': false }, failure: 'trace-ipv6-failure' }, async (page) => {
    await openFile(page, 'ip6tables.rules', 'FORWARD');
    await page.locator('#status\\.editor\\.mode', { hasText: 'iptables' }).waitFor({ timeout: 30_000 });
    await runCommand(page, 'iptables: Trace Packet');
    const panel = traceFrame(page);
    await panel.locator('#verdict .verdict-text').waitFor({ timeout: 30_000 });

    // From the inside network towards the internet, but from the sender's link-local address.
    await panel.locator('button[data-preset="forwarded"]').click();
    await panel.locator('#f-protocol').fill('udp');
    await panel.locator('#f-source').fill('fe80::5');
    await panel.locator('#f-destinationPort').fill('53');
    await panel.locator('#verdict .verdict-text', { hasText: 'Not forwarded' }).waitFor({ timeout: 30_000 });
    const shown = (await panel.locator('#verdict .verdict-text').innerText()).trim();
    assert.equal(shown.toLowerCase(), BEYOND_SCOPE.toLowerCase());

    // iptables-trace on the same packet prints the same verdict and counts nothing.
    const scenario = path.join(workspace, 'beyond-scope.json');
    const destination = await panel.locator('#f-destination').inputValue();
    writeFileSync(scenario, JSON.stringify({ packet: { inInterface: 'eth1', protocol: 'udp', source: 'fe80::5', destination, sourcePort: 40000, destinationPort: 53 } }));
    const cli = cliTrace(path.join(workspace, 'ip6tables.rules'), scenario);
    assert.equal(cli.verdict, BEYOND_SCOPE);
    assert.deepEqual(cli.hits, []);

    // The picture: the way ends at the routing decision, FORWARD is not on it.
    assert.equal(await panel.locator('svg .node.dropped').count() + await panel.locator('svg .hook.dropped').count(), 1);
    assert.deepEqual(await panel.locator('svg .hook.on-path .hook-name').allTextContents(), ['PREROUTING']);

    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await panel.locator('#app').evaluate((app) => app.scrollIntoView());
    await page.waitForTimeout(500);
    copyFileSync(await screenshot(page, 'trace-ipv6-beyond-scope'), path.join(REPO, 'images', 'screenshot-trace-ipv6-beyond-scope.png'));
  });
});
