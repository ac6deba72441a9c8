// "iptables: Convert to nftables" asks the server for the document as an nft
// script: over a real connection to the built server, for a rule file and for
// a firewall script that builds IPv4 and IPv6 rules.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NFT_SCRIPT_REQUEST, NftScriptAnswer } from '../../server/src/protocol/requests';
import { LspClient } from '../support/lspClient';

const client = new LspClient();
before(() => client.start());
after(() => client.stop());

test('iptables/nftScript answers with the rule file as an nft script, as the editor has it now', async () => {
  const uri = 'file:///tmp/lsp-nft/web%20server.rules';
  await client.open(uri, '*filter\n:INPUT DROP [0:0]\n# ssh from the office\n-A INPUT -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT\n-A INPUT -m recent --set\nCOMMIT\n');
  const answer = await client.connection.sendRequest<NftScriptAnswer>(NFT_SCRIPT_REQUEST, { uri });
  assert.deepEqual([answer.translated, answer.untranslated], [1, 1]);
  assert.match(answer.text, /^#!\/usr\/sbin\/nft -f\n# web server\.rules in nftables, converted by iptables for VS Code\.\n/);
  assert.match(answer.text, /\tchain INPUT \{\n\t\ttype filter hook input priority filter; policy drop;\n\t\t# ssh from the office\n\t\tip saddr 192\.0\.2\.0\/24 tcp dport 22 counter accept\n\t\t# no nft equivalent: -A INPUT -m recent --set\n/);
  await client.change(uri, { range: { start: { line: 4, character: 0 }, end: { line: 4, character: 24 } }, text: '-A INPUT -i lo -j ACCEPT' });
  const edited = await client.connection.sendRequest<NftScriptAnswer>(NFT_SCRIPT_REQUEST, { uri });
  assert.deepEqual([edited.translated, edited.untranslated], [2, 0]);
  assert.match(edited.text, /\t\tiifname "lo" counter accept\n/);
});

test('a script: one table per family it adds rules to; a script without iptables gets null', async () => {
  const uri = 'file:///tmp/lsp-nft/firewall.sh';
  await client.open(uri, '#!/bin/sh\nfor ipt in iptables ip6tables; do\n  $ipt -A INPUT -p tcp --dport 443 -j ACCEPT\ndone\n', 'shellscript');
  const answer = await client.connection.sendRequest<NftScriptAnswer>(NFT_SCRIPT_REQUEST, { uri });
  assert.deepEqual([...answer.text.matchAll(/^table (ip6?) filter \{$/gm)].map((m) => m[1]), ['ip', 'ip6']);
  assert.equal(answer.translated, 2);
  const plain = 'file:///tmp/lsp-nft/backup.sh';
  await client.open(plain, '#!/bin/bash\ntar czf /backup/home.tgz /home\n', 'shellscript');
  assert.equal(await client.connection.sendRequest(NFT_SCRIPT_REQUEST, { uri: plain }), null);
});
