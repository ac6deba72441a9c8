// A script is parsed and run a piece of text at a time (shell/bashParser.ts,
// ScriptPieces), so the tree of a long generated script is never whole in
// memory. Where a piece is cut must change nothing a user sees: every script
// here is analysed with pieces cut after every line and in one piece, and the
// diagnostics and the rulesets built must be the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseScript } from '../../server/src/analysis/script';
import { rulesetText } from '../../server/src/model/saveText';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { HOSTILE_SCRIPTS } from '../support/hostile';
import { REPO, SHARED } from '../support/shared';
import { shellCases } from '../support/shellCases';

/** Scripts whose statements run over several lines, or share one, in every way a cut could split. */
const BOUNDARIES: Record<string, string> = {
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

function scripts(): { name: string; text: string }[] {
  const cases = [...shellCases(path.join(SHARED, 'shell-cases')), ...shellCases(path.join(__dirname, 'cases'))];
  return [
    ...Object.entries(BOUNDARIES).map(([name, text]) => ({ name, text })),
    ...cases.map((c) => ({ name: c.name, text: readFileSync(path.join(c.dir, 'script.sh'), 'utf8') })),
    { name: 'examples/host-firewall.sh', text: readFileSync(path.join(REPO, 'examples', 'host-firewall.sh'), 'utf8') },
    ...HOSTILE_SCRIPTS.map((h) => ({ name: h.name, text: `#!/bin/bash\niptables -A INPUT -j ACCEPT\n${h.script}\niptables -A INPUT -j NOWHERE\n` })),
  ];
}

test('cut after every line or read in one piece, a script gets the same diagnostics and builds the same rules', async () => {
  const parser = await nodeBashParser();
  const seen = (text: string, pieceLength: number) => {
    const a = analyseScript(text, parser, { ...DEFAULT_OPTIONS, pieceLength });
    return {
      diagnostics: a.diagnostics.map((d) => `${d.span.line + 1}:${d.span.start + 1}-${d.span.end + 1} ${d.severity} ${d.code}: ${d.message}`),
      rules: `${rulesetText(a.rulesets.ipv4)}\n${rulesetText(a.rulesets.ipv6)}`,
    };
  };
  const all = scripts();
  let errors = 0;
  for (const { name, text } of all) {
    const whole = seen(text, text.length + 1);
    errors += whole.diagnostics.filter((d) => / error /.test(d)).length;
    assert.deepEqual(seen(text, 1), whole, name);
  }
  // The scripts are not trivially alike: they find errors, and at the places the cuts fall on.
  assert.ok(all.length > 40 && errors > 20, `${all.length} scripts, ${errors} errors`);
});

test('the boundary scripts: what a cut could break is found at its line', async () => {
  const parser = await nodeBashParser();
  const lines = (name: string, code: string) =>
    analyseScript(BOUNDARIES[name], parser, { ...DEFAULT_OPTIONS, pieceLength: 1 }).diagnostics.filter((d) => d.code === code).map((d) => d.span.line + 1);
  // The NOWHERE inside the single-quoted string is text, not a command.
  assert.deepEqual(lines('a single-quoted string over lines', 'undefined-jump'), []);
  assert.deepEqual(lines('a single-quoted string over lines', 'invalid-value'), [5]);
  assert.deepEqual(lines('a heredoc', 'undefined-jump'), [4]);
  assert.deepEqual(lines('a function defined early, called late', 'invalid-value'), [3]);
  assert.deepEqual(lines('exit, then commands that never run', 'not-reached'), [6, 7, 8]);
  assert.deepEqual(lines('set -e and a failing command', 'not-reached'), [4]);
});
