// Go to definition, references, highlights and rename of chains, on save
// files and on scripts, with the places and edits a user would see.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/analyse';
import { analyseDocument, documentKind } from '../../server/src/analysis/document';
import type { Span } from '../../server/src/diagnostics';
import { nodeBashParser } from '../../server/src/node/bashWasm';
import { chainIndex } from '../../server/src/services/chainOccurrences';
import { definition, highlights, prepareRename, references, rename, TextEdit } from '../../server/src/services/navigation';

async function indexOf(text: string) {
  const analysis = await analyseDocument(text, documentKind(text)!, DEFAULT_OPTIONS, nodeBashParser);
  return chainIndex(analysis, text);
}

/** `line:start-end`, 0-based as in LSP, for short expectations. */
const at = (s: Span) => `${s.line}:${s.start}-${s.end}`;
const pos = (line: number, character: number) => ({ line, character });

function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  for (const e of [...edits].sort((a, b) => b.span.line - a.span.line || b.span.start - a.span.start)) {
    const l = lines[e.span.line];
    lines[e.span.line] = l.slice(0, e.span.start) + e.newText + l.slice(e.span.end);
  }
  return lines.join('\n');
}

const SAVE = [
  '*filter',
  ':INPUT DROP [0:0]',
  ':web - [0:0]',
  ':ssh - [0:0]',
  '-A INPUT -p tcp --dport 80 -j web',
  '-A INPUT -p tcp --dport 22 -j ssh',
  '-A ssh -g web',
  '-A web -j ACCEPT',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':web - [0:0]',
  '-A PREROUTING -p tcp --dport 8080 -j web',
  '-A web -j DNAT --to-destination 10.0.0.2',
  'COMMIT',
  '',
].join('\n');

test('rename in a save file changes `:web`, `-A web`, `-j web` and `-g web` of that table, and nothing else', async () => {
  const index = await indexOf(SAVE);
  assert.deepEqual(prepareRename(index, pos(4, 31)), { span: { line: 4, start: 30, end: 33 }, name: 'web' });
  const edits = rename(index, pos(4, 31), 'www');
  assert.ok(Array.isArray(edits));
  assert.deepEqual(edits.map((e) => `${at(e.span)} ${e.newText}`), ['2:1-4 www', '4:30-33 www', '6:10-13 www', '7:3-6 www']);
  assert.equal(applyEdits(SAVE, edits), SAVE.replace(':web', ':www').replace('-j web', '-j www').replace('-g web', '-g www').replace('-A web', '-A www'));
});

test('references in *nat do not include the chain of the same name in *filter', async () => {
  const index = await indexOf(SAVE);
  assert.deepEqual(references(index, pos(12, 38), true).map(at), ['11:1-4', '12:37-40', '13:3-6']);
  assert.deepEqual(references(index, pos(12, 38), false).map(at), ['12:37-40', '13:3-6']);
  assert.deepEqual(references(index, pos(2, 2), true).map(at), ['2:1-4', '4:30-33', '6:10-13', '7:3-6']);
});

test('go to definition leads from any use to the declaration in the same table', async () => {
  const index = await indexOf(SAVE);
  assert.deepEqual(definition(index, pos(6, 11)).map(at), ['2:1-4']);
  assert.deepEqual(definition(index, pos(13, 4)).map(at), ['11:1-4']);
  assert.deepEqual(definition(index, pos(6, 4)).map(at), ['3:1-4']);
  // The end of a word counts, as the cursor sits there after typing it.
  assert.deepEqual(definition(index, pos(5, 33)).map(at), ['3:1-4']);
  assert.deepEqual(definition(index, pos(4, 18)), []);
});

test('highlights mark the declaration as a write and the uses as reads', async () => {
  const index = await indexOf(SAVE);
  assert.deepEqual(highlights(index, pos(7, 3)).map((h) => `${at(h.span)} ${h.kind}`), ['2:1-4 write', '4:30-33 read', '6:10-13 read', '7:3-6 read']);
});

test('rename refuses built-in chains, targets, names iptables rejects and names the table already has', async () => {
  const index = await indexOf(SAVE);
  assert.deepEqual(prepareRename(index, pos(1, 3)), { refused: 'INPUT is a built-in chain of the filter table: it cannot be renamed' });
  assert.deepEqual(prepareRename(index, pos(4, 4)), { refused: 'INPUT is a built-in chain of the filter table: it cannot be renamed' });
  assert.deepEqual(prepareRename(index, pos(7, 12)), { refused: 'ACCEPT is a target, not a chain: only user-defined chains can be renamed' });
  assert.deepEqual(prepareRename(index, pos(13, 11)), { refused: 'DNAT is a target, not a chain: only user-defined chains can be renamed' });
  assert.equal(prepareRename(index, pos(4, 17)), undefined);
  assert.deepEqual(rename(index, pos(2, 1), 'my web'), { refused: 'chain name `my web` contains white space' });
  assert.deepEqual(rename(index, pos(2, 1), 'a-chain-name-of-29-characters'), { refused: 'chain name `a-chain-name-of-29-characters` is 29 characters long; iptables allows at most 28' });
  assert.deepEqual(rename(index, pos(2, 1), 'ssh'), { refused: 'the filter table already has a chain `ssh`' });
  assert.deepEqual(rename(index, pos(2, 1), 'OUTPUT'), { refused: 'the filter table already has a chain `OUTPUT`' });
  assert.deepEqual(rename(index, pos(2, 1), 'LOG'), { refused: '`LOG` is the name of a target; a chain cannot be called that' });
  assert.deepEqual(rename(index, pos(2, 1), '-web'), { refused: 'a chain name cannot start with `-`' });
  assert.deepEqual(rename(index, pos(2, 1), 'we"b'), { refused: '`we"b` would need quoting or escaping here; choose a name of letters, digits and - _ . : @ % + , = /' });
  // 28 characters is allowed, and `ssh` is free in *nat.
  assert.ok(Array.isArray(rename(index, pos(2, 1), 'a-chain-name-of-28-character')));
  assert.deepEqual((rename(index, pos(11, 2), 'ssh') as TextEdit[]).map((e) => at(e.span)), ['11:1-4', '12:37-40', '13:3-6']);
});

test('-N, -E, -F, -X and a quoted name are renamed too; -E starts the new name', async () => {
  const text = '*filter\n-N old\n-A INPUT -j "old"\n-F old\n-E old new\n-A new -j ACCEPT\n-X other\nCOMMIT\n';
  const index = await indexOf(text);
  assert.deepEqual((rename(index, pos(1, 4), 'mid') as TextEdit[]).map((e) => at(e.span)), ['1:3-6', '2:13-16', '3:3-6', '4:3-6']);
  assert.deepEqual(definition(index, pos(5, 4)).map(at), ['4:7-10']);
  assert.deepEqual(highlights(index, pos(2, 14)).map((h) => `${at(h.span)} ${h.kind}`), ['1:3-6 write', '2:13-16 read', '3:3-6 read', '4:3-6 write']);
});

test('a script rename through a variable edits the assignment once, not the $CHAIN uses', async () => {
  const script = [
    '#!/bin/bash',
    'CHAIN=web',
    'iptables -N $CHAIN',
    'iptables -A INPUT -p tcp --dport 80 -j "$CHAIN"',
    'iptables -A web -j ACCEPT',
    '',
  ].join('\n');
  const index = await indexOf(script);
  assert.deepEqual(prepareRename(index, pos(2, 14)), { span: { line: 2, start: 12, end: 18 }, name: 'web' });
  const edits = rename(index, pos(3, 42), 'www') as TextEdit[];
  assert.equal(applyEdits(script, edits), script.replace('CHAIN=web', 'CHAIN=www').replace('-A web', '-A www'));
  // The assignment is shown with the uses, and renaming from it works the same.
  assert.deepEqual(references(index, pos(1, 7), true).map(at), ['1:6-9', '2:12-18', '3:39-47', '4:12-15']);
  assert.deepEqual(rename(index, pos(1, 7), 'www'), edits);
  // The chain is created with the name written in the assignment.
  assert.deepEqual(definition(index, pos(3, 42)).map(at), ['1:6-9']);
});

test('a script rename refuses names built from parts and names the script cannot know', async () => {
  const built = await indexOf('#!/bin/bash\nPREFIX=fw\niptables -N ${PREFIX}-in\niptables -A INPUT -j ${PREFIX}-in\n');
  assert.deepEqual(prepareRename(built, pos(3, 25)), { refused: 'the chain name on line 3 is written as `${PREFIX}-in`, not spelled out in one piece, so renaming cannot edit it safely; rename it by hand' });
  // Still a chain for navigation.
  assert.deepEqual(definition(built, pos(3, 25)).map(at), ['2:12-24']);
  const unknown = await indexOf('#!/bin/bash\nCHAIN=$(cat /etc/fw/chain)\niptables -N "$CHAIN"\n');
  assert.deepEqual(prepareRename(unknown, pos(2, 14)), { refused: 'this chain name comes from $(cat /etc/fw/chain), which only the running script knows: it cannot be renamed here' });
  const needsQuotes = await indexOf('#!/bin/bash\niptables -N web\n');
  assert.deepEqual(rename(needsQuotes, pos(1, 13), 'a;b'), { refused: '`a;b` would need quoting or escaping here; choose a name of letters, digits and - _ . : @ % + , = /' });
});

test('in a script, a loop over tables makes one word name a chain in each; references keep tables apart', async () => {
  const script = [
    '#!/bin/bash',
    'for t in filter nat; do iptables -t $t -N web; done',
    'iptables -t nat -A PREROUTING -j web',
    'iptables -A INPUT -j web',
    '',
  ].join('\n');
  const index = await indexOf(script);
  assert.deepEqual(references(index, pos(2, 34), true).map(at), ['1:42-45', '2:33-36']);
  assert.deepEqual(references(index, pos(3, 22), false).map(at), ['3:21-24']);
  // From the loop's word, both chains: renaming it renames both.
  assert.deepEqual((rename(index, pos(1, 43), 'www') as TextEdit[]).map((e) => at(e.span)), ['1:42-45', '2:33-36', '3:21-24']);
});

test('a wrapper function for iptables and ip6tables: the rename edits each caller, for both families', async () => {
  const script = '#!/bin/bash\nboth() { iptables "$@"; ip6tables "$@"; }\nboth -N web\nboth -A INPUT -j web\n';
  const index = await indexOf(script);
  const edits = rename(index, pos(2, 9), 'www') as TextEdit[];
  assert.equal(applyEdits(script, edits), script.replace('-N web', '-N www').replace('-j web', '-j www'));
  // The chain is created where the caller names it, not in the wrapper.
  assert.deepEqual(definition(index, pos(3, 18)).map(at), ['2:8-11']);
});

test('one variable naming a chain for iptables and ip6tables is renamed once, for both', async () => {
  const script = '#!/bin/bash\nC=web\niptables -N $C\nip6tables -N $C\nip6tables -A INPUT -j web\n';
  const index = await indexOf(script);
  assert.equal(applyEdits(script, rename(index, pos(2, 13), 'www') as TextEdit[]), script.replace('C=web', 'C=www').replace('-j web', '-j www'));
});

test('chains in an iptables-restore heredoc are the script\'s chains too', async () => {
  const script = "#!/bin/bash\niptables-restore <<'EOF'\n*filter\n:web - [0:0]\n-A INPUT -j web\nCOMMIT\nEOF\niptables -A FORWARD -j web\n";
  const index = await indexOf(script);
  assert.deepEqual(references(index, pos(7, 24), true).map(at), ['3:1-4', '4:12-15', '7:23-26']);
  assert.deepEqual(definition(index, pos(7, 24)).map(at), ['3:1-4']);
});

test('half-typed lines answer nothing but the built-in chain they name, and documents without chains nothing at all', async () => {
  const builtin = { refused: 'INPUT is a built-in chain of the filter table: it cannot be renamed' };
  for (const text of ['*filter\n-A\n-j\n:\nCOMMIT', '*filter\n-A INPUT -j\n', '', '\0\0binary']) {
    const index = await indexOf(text);
    for (let line = 0; line < 3; line++) {
      for (let character = 0; character < 12; character++) {
        const p = pos(line, character);
        const where = `${JSON.stringify(text)} at ${line}:${character}`;
        // The one chain named anywhere: INPUT of `-A INPUT -j`, found but never declared or renamed.
        const onInput = text.startsWith('*filter\n-A INPUT') && line === 1 && character >= 3 && character <= 8;
        assert.deepEqual(definition(index, p), [], where);
        assert.deepEqual(references(index, p, true).map(at), onInput ? ['1:3-8'] : [], where);
        assert.deepEqual(highlights(index, p).map((h) => `${at(h.span)} ${h.kind}`), onInput ? ['1:3-8 read'] : [], where);
        assert.deepEqual(prepareRename(index, p), onInput ? builtin : undefined, where);
        assert.deepEqual(rename(index, p, 'x'), onInput ? builtin : undefined, where);
      }
    }
  }
});

test('a name from a `for` list is renamed in the list; one set in two undecidable branches, or run by eval, is refused', async () => {
  const loop = '#!/bin/bash\nfor c in web ssh; do iptables -N "$c"; done\niptables -A INPUT -j ssh\n';
  const index = await indexOf(loop);
  assert.equal(applyEdits(loop, rename(index, pos(2, 22), 'sshd') as TextEdit[]), loop.replace('web ssh', 'web sshd').replace('-j ssh', '-j sshd'));
  const branches = await indexOf('#!/bin/bash\nif [ -f /etc/fw/web ]; then C=web; else C=web; fi\niptables -N "$C"\n');
  assert.deepEqual(prepareRename(branches, pos(2, 14)), { refused: 'the chain name on line 3 is written as `"$C"`, not spelled out in one piece, so renaming cannot edit it safely; rename it by hand' });
  const evaluated = await indexOf('#!/bin/bash\neval "iptables -N web"\niptables -A INPUT -j web\n');
  assert.deepEqual(prepareRename(evaluated, pos(2, 22)), { refused: 'the chain name on line 2 is written as `eval "iptables -N web"`, not spelled out in one piece, so renaming cannot edit it safely; rename it by hand' });
});
