// Redirections: heredocs, here-strings and files the script wrote as standard
// input, files as standard output. Files live in memory only: nothing is read
// from or written to the machine.
import { findNode, sourceText, SyntaxNode } from './bashParser';
import { runPipeline } from './control';
import type { RestoreInput } from './firewallHost';
import type { ShellInterpreter } from './interpreter';
import { concat, known, ShellString, Status, unknown } from './values';
import { t } from '../l10n';

export function redirected(sh: ShellInterpreter, node: SyntaxNode): Status {
  const body = node.childForFieldName('body') ?? node.namedChildren[0]!;
  const redirects = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c !== body);
  if (body.type === 'command' && body.text === 'exec') return openDescriptors(sh, redirects);
  // `cat <<EOF | iptables-restore`: the grammar puts what follows the pipe inside the heredoc's redirect.
  const piped = redirects.flatMap((r) => (r.type === 'heredoc_redirect' ? r.namedChildren.filter((c): c is SyntaxNode => c?.type === 'pipeline') : []));
  if (piped.length) {
    const stages = piped[0].namedChildren.filter((c): c is SyntaxNode => c !== null);
    return runPipeline(sh, [() => withRedirects(sh, redirects, () => sh.statement(body)), ...stages.map((stage) => () => sh.statement(stage))]);
  }
  return withRedirects(sh, redirects, () => sh.statement(body));
}

function redirectParts(r: SyntaxNode): { op: string; fd: string | undefined; target: SyntaxNode | undefined } {
  const op = r.children.find((c) => c !== null && /^[<>&|-]+$/.test(c.type))?.type ?? '>';
  const fd = r.children.find((c) => c?.type === 'file_descriptor')?.text;
  const target = r.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'file_descriptor').pop();
  return { op, fd, target };
}

/**
 * `exec 3>FILE` opens descriptor 3 on FILE (emptied; `>>` keeps it) for the
 * rest of the script, `exec 3>&-` closes it; `>&3` then writes to FILE.
 */
function openDescriptors(sh: ShellInterpreter, redirects: SyntaxNode[]): Status {
  for (const r of redirects) {
    if (r.type !== 'file_redirect') continue;
    const { op, fd, target } = redirectParts(r);
    const n = fd === undefined ? (op.startsWith('<') ? 0 : 1) : Number(fd);
    if (op === '>&-' || op === '<&-') {
      sh.state.fds.delete(n);
      continue;
    }
    // The script's own output and input are not followed into files.
    if (n < 3 || !target || !(op === '>' || op === '>>' || op === '>|')) continue;
    const path = sh.expander.single(target);
    if (path.unknown) {
      sh.state.fds.delete(n);
      continue;
    }
    if (op !== '>>' || !sh.files.has(path.text)) sh.files.set(path.text, { text: known('') });
    sh.state.fds.set(n, path.text);
  }
  return 0;
}

/** Runs `body` with its redirections: heredocs and files as input, files as output. */
export function withRedirects(sh: ShellInterpreter, redirects: SyntaxNode[], body: () => Status): Status {
  const savedIn = sh.stdin;
  const savedOut = sh.stdout;
  const savedErr = sh.stderrDiscarded;
  let outToNull = false;
  let outFile: { path: string; append: boolean; parts: ShellString[] } | undefined;
  let restoreOrigin: RestoreInput['origin'];
  for (const r of redirects) {
    if (r.type === 'file_redirect') {
      // `>&3`: the output goes to the file descriptor 3 was opened on.
      const { op, fd, target } = redirectParts(r);
      const path = op === '>&' && (fd === undefined || fd === '1') && target && /^\d+$/.test(target.text) ? sh.state.fds.get(Number(target.text)) : undefined;
      if (path !== undefined) {
        outFile = { path, append: true, parts: [] };
        sh.stdout = { parts: outFile.parts, length: 0 };
        continue;
      }
    }
    if (r.type === 'heredoc_redirect') {
      const doc = heredoc(sh, r);
      sh.stdin = { text: doc.text, at: 0 };
      restoreOrigin = doc.origin;
    } else if (r.type === 'herestring_redirect') {
      const word = r.namedChildren[0];
      sh.stdin = { text: word ? concat([sh.expander.single(word), known('\n')], sh.budget) : known('\n'), at: 0 };
    } else if (r.type === 'file_redirect') {
      const op = r.children.find((c) => c !== null && /^[<>&|]+$/.test(c.type))?.type ?? '>';
      const fd = r.children.find((c) => c?.type === 'file_descriptor')?.text;
      const target = r.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'file_descriptor').pop();
      if (!target) continue;
      const path = sh.expander.single(target);
      if (op === '<') {
        const f = path.unknown ? undefined : sh.files.get(path.text);
        sh.stdin = { text: f ? f.text : unknown(t('the contents of {0}', path.text)), at: 0 };
        restoreOrigin = f?.origin;
      } else if ((op === '>' || op === '>>' || op === '>|') && (fd === undefined || fd === '1') && !path.unknown && path.text !== '/dev/null') {
        outFile = { path: path.text, append: op === '>>', parts: [] };
        sh.stdout = { parts: outFile.parts, length: 0 };
      } else if ((op === '>' || op === '>>') && (fd === undefined || fd === '1')) {
        sh.stdout = undefined;
        outToNull = path.text === '/dev/null';
      } else if (op === '>&' && fd === undefined && path.text === '2') {
        sh.stdout = undefined;
      } else if ((op === '>' || op === '>>') && fd === '2' && path.text === '/dev/null') {
        sh.stderrDiscarded = true;
      } else if (op === '>&' && fd === '2' && path.text === '1') {
        // `>/dev/null 2>&1`: standard error follows standard output, thrown away when it is.
        if (outToNull) sh.stderrDiscarded = true;
      } else if ((op === '&>' || op === '&>>') && path.text === '/dev/null') {
        sh.stdout = undefined;
        sh.stderrDiscarded = true;
      }
    }
  }
  try {
    sh.pendingRestoreOrigin = restoreOrigin;
    return body();
  } finally {
    sh.pendingRestoreOrigin = undefined;
    sh.stdin = savedIn;
    sh.stdout = savedOut;
    sh.stderrDiscarded = savedErr;
    if (outFile) {
      const prev = outFile.append ? sh.files.get(outFile.path) : undefined;
      const text = concat([...(prev ? [prev.text] : []), ...outFile.parts], sh.budget);
      sh.files.set(outFile.path, { text, origin: outFile.append ? undefined : restoreOrigin });
    }
  }
}

/** A heredoc's text (expanded unless the delimiter is quoted), and where its lines are. */
function heredoc(sh: ShellInterpreter, node: SyntaxNode): { text: ShellString; origin: RestoreInput['origin'] } {
  const start = node.children.find((c) => c?.type === 'heredoc_start');
  const bodyNode = node.children.find((c) => c?.type === 'heredoc_body') ?? heredocBodyAfter(node);
  const quoted = !!start && /['"\\]/.test(start.text);
  const stripTabs = node.children.some((c) => c?.type === '<<-');
  if (!bodyNode) return { text: known(''), origin: undefined };
  let raw = sourceText(bodyNode);
  sh.budget.scan(raw.length);
  const firstLine = bodyNode.startPosition.row;
  const firstColumn = bodyNode.startPosition.column;
  const tabs: number[] = [];
  raw = raw.split('\n').map((l) => {
    const stripped = stripTabs ? l.replace(/^\t+/, '') : l;
    tabs.push(l.length - stripped.length);
    return stripped;
  }).join('\n');
  const origin = (line: number) => ({ line: firstLine + line, column: (line === 0 ? firstColumn : 0) + (tabs[line] ?? 0) });
  if (quoted) return { text: known(raw), origin };
  return { text: expandHeredoc(sh, raw), origin };
}

function heredocBodyAfter(node: SyntaxNode): SyntaxNode | undefined {
  return node.parent?.namedChildren.find((c) => c?.type === 'heredoc_body') ?? undefined;
}

/** Parameter, command and arithmetic expansion in an unquoted heredoc. */
function expandHeredoc(sh: ShellInterpreter, raw: string): ShellString {
  const tree = sh.reparse(`cat <<__HEREDOC__\n${raw}${raw.endsWith('\n') ? '' : '\n'}__HEREDOC__\n`);
  const body = findNode(tree.rootNode, 'heredoc_body');
  if (!body) return known(raw);
  const parts: ShellString[] = [];
  const written = sourceText(body);
  let at = body.startIndex;
  for (const c of body.namedChildren) {
    if (!c || c.type === 'heredoc_content') continue;
    parts.push(known(unescapeHeredoc(written.slice(at - body.startIndex, c.startIndex - body.startIndex))));
    parts.push(sh.expander.single(c));
    at = c.endIndex;
  }
  parts.push(known(unescapeHeredoc(written.slice(at - body.startIndex))));
  const text = concat(parts, sh.budget);
  return raw.endsWith('\n') ? text : { ...text, text: text.text.replace(/\n$/, '') };
}

function unescapeHeredoc(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\([$`\\])/g, '$1');
}
