// Which rule file a packet test belongs to: the folder the panel saved it in,
// or its `rules` field; nothing when neither says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rulesPathOf, testName } from '../../server/src/services/testFiles';

test('a test saved by the panel belongs to the document its folder is named after', () => {
  assert.equal(rulesPathOf('/ws/.vscode/iptables-trace/examples/rules.v4/web.json', {}), '/ws/examples/rules.v4');
  assert.equal(rulesPathOf('/ws/.vscode/iptables-trace/fw.sh/nested/ssh.json', {}), '/ws/fw.sh/nested');
  assert.equal(rulesPathOf('.vscode/iptables-trace/rules.v4/web.json', undefined), 'rules.v4');
  assert.equal(rulesPathOf('C:\\ws\\.vscode\\iptables-trace\\rules.v4\\web.json', {}), 'C:/ws/rules.v4');
  assert.equal(testName('/ws/.vscode/iptables-trace/rules.v4/web-from-outside.json'), 'web-from-outside');
});

test('a "rules" field wins, relative to the test\'s folder; a test elsewhere without one belongs to nothing', () => {
  assert.equal(rulesPathOf('/ws/.vscode/iptables-trace/rules.v4/web.json', { rules: '../../../other.rules' }), '/ws/other.rules');
  assert.equal(rulesPathOf('/ws/checks/web.json', { rules: './fw/../rules.v4' }), '/ws/checks/rules.v4');
  assert.equal(rulesPathOf('/ws/checks/web.json', { rules: '/etc/iptables/rules.v4' }), '/etc/iptables/rules.v4');
  assert.equal(rulesPathOf('/ws/checks/web.json', {}), undefined);
  assert.equal(rulesPathOf('/ws/.vscode/iptables-trace/web.json', {}), undefined);
  assert.equal(rulesPathOf('/ws/checks/web.json', { rules: 42 }), undefined);
});
