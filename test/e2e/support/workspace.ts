// The workspace the editor tests open: the bundled examples plus files that
// exercise language detection, diagnostics and settings.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateKubeProxy } from '../../bench/kubeProxy';
import { REPO } from '../../support/shared';

export function prepareWorkspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'iptables-e2e-ws-'));
  cpSync(path.join(REPO, 'examples'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'firewall-dump'), '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n');
  mkdirSync(path.join(dir, 'etc', 'sysconfig'), { recursive: true });
  writeFileSync(path.join(dir, 'etc', 'sysconfig', 'iptables'), '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
  writeFileSync(path.join(dir, 'broken.rules'), '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n');
  writeFileSync(path.join(dir, 'external.rules'), '*filter\n:INPUT DROP [0:0]\n-A INPUT -j corp-audit\nCOMMIT\n');
  writeFileSync(path.join(dir, 'broken-firewall.sh'), '#!/bin/bash\nPORT=99999\nmissing_tool --frobnicate\niptables -A INPUT -p tcp --dport "$PORT" -j ACCEPT\n');
  writeFileSync(path.join(dir, 'plain.sh'), '#!/bin/bash\nfor f in *.log; do gzip "$f"; done\nundefined_command --with-args\n');
  return dir;
}

/** kube-proxy.rules: a Kubernetes node's iptables-save, 160,000 rules (24 MB), for the suite's scale test. */
export function addKubeProxyDump(dir: string): void {
  writeFileSync(path.join(dir, 'kube-proxy.rules'), generateKubeProxy({ services: 5000, endpointsPerService: 10 }));
}
