// Shell scripts for tests that read one script two ways and compare what a
// user sees (pieces.test.ts, plainLines.test.ts): scripts whose statements run
// over several lines or share one, the shell cases (shared and own), the
// example, and every hostile script between two iptables commands.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HOSTILE_SCRIPTS } from './hostile';
import { REPO, SHARED } from './shared';
import { shellCases } from './shellCases';

/** Scripts whose statements run over several lines, or share one, in every way a cut could split. */
export const BOUNDARIES: Record<string, string> = {
  'a string over lines': '#!/bin/bash\nC="first\nsecond"\niptables -A INPUT -m comment --comment "$C" -j ACCEPT\niptables -A INPUT -j NOWHERE\n',
  'a single-quoted string over lines': "#!/bin/bash\necho 'a\niptables -A INPUT -j NOWHERE\nb'\niptables -A INPUT -p tcp --dport 99999 -j ACCEPT\n",
  'continued lines': '#!/bin/bash\niptables -A INPUT \\\n  -p tcp \\\n  --dport 22 \\\n  -j ACCEPT\niptables -A INPUT -j NOWHERE\n',
  'a heredoc': '#!/bin/bash\niptables-restore <<EOF\n*filter\n-A INPUT -j NOWHERE\nCOMMIT\nEOF\niptables -A INPUT -p tcp --dport 99999 -j ACCEPT\n',
  'a quoted heredoc and a command on its line': "#!/bin/bash\ncat > /tmp/r <<'EOF'; echo written\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\nEOF\niptables-restore /tmp/r\niptables -A INPUT -j NOWHERE\n",
  'statements sharing a line': '#!/bin/bash\niptables -N A; iptables -A A -j ACCEPT; iptables -A INPUT -j A\niptables -A INPUT -j B; iptables -N B\n',
  'an if over lines': '#!/bin/bash\nif [ -n "$X" ]; then\n  iptables -N X\nelse\n  iptables -A INPUT -j X\nfi\niptables -A INPUT -j NOWHERE\n',
  'a function defined early, called late': '#!/bin/bash\nallow() {\n  iptables -A INPUT -p tcp --dport "$1" -j ACCEPT\n}\n# comment\nallow 22\nallow 99999\nallow 80\n',
  'a function body on the next line': '#!/bin/bash\nf()\n{\n  iptables -A INPUT -j "$1"\n}\nf ACCEPT\nf NOWHERE\n',
  'a loop and a case': '#!/bin/bash\nfor p in 22 80 \\\n  443; do\n  iptables -A INPUT -p tcp --dport $p -j ACCEPT\ndone\ncase "$1" in\n  start)\n    iptables -A INPUT -j DROP ;;\n  stop) iptables -F ;;\nesac\n',
  'exit, then commands that never run': '#!/bin/bash\niptables -A INPUT -j ACCEPT\nif true; then\n  exit 0\nfi\niptables -A INPUT -j DROP\nf() { iptables -A INPUT -j REJECT; }\niptables -A INPUT -j NOWHERE\n',
  'set -e and a failing command': '#!/bin/bash\nset -e\niptables -A INPUT -j NOWHERE\niptables -A INPUT -j ACCEPT\n',
  'a syntax error in the middle': '#!/bin/bash\niptables -A INPUT -j ACCEPT\nif then fi ((\niptables -A INPUT -j NOWHERE\n',
  'an unterminated quote': '#!/bin/bash\niptables -A INPUT -j NOWHERE\necho "open\niptables -A INPUT -j DROP\n',
  'arrays over lines': '#!/bin/bash\nPORTS=(\n  22\n  80\n)\nfor p in "${PORTS[@]}"; do iptables -A INPUT -p tcp --dport "$p" -j ACCEPT; done\niptables -A INPUT -p tcp --dport "${PORTS[2]:-99999}" -j ACCEPT\n',
};

export function shellTestScripts(): { name: string; text: string }[] {
  const cases = [...shellCases(path.join(SHARED, 'shell-cases')), ...shellCases(path.join(REPO, 'test', 'shell', 'cases'))];
  return [
    ...Object.entries(BOUNDARIES).map(([name, text]) => ({ name, text })),
    ...cases.map((c) => ({ name: c.name, text: readFileSync(path.join(c.dir, 'script.sh'), 'utf8') })),
    { name: 'examples/host-firewall.sh', text: readFileSync(path.join(REPO, 'examples', 'host-firewall.sh'), 'utf8') },
    ...HOSTILE_SCRIPTS.map((h) => ({ name: h.name, text: `#!/bin/bash\niptables -A INPUT -j ACCEPT\n${h.script}\niptables -A INPUT -j NOWHERE\n` })),
  ];
}
