// test, [ ] and [[ ]]: comparisons of strings and numbers, patterns, and
// the file tests that only files the script wrote itself can answer.
import type { SyntaxNode } from './bashParser';
import type { ShellInterpreter } from './interpreter';
import { globPattern, regexPattern } from './patterns';
import { known, ShellString, Status, undecidable } from './values';
import { t } from '../l10n';

export function testCommand(sh: ShellInterpreter, node: SyntaxNode): Status {
  const text = node.text.trim();
  if (text.startsWith('[[')) {
    if (sh.options.posix) {
      // dash has no [[: "[[: not found", status 127.
      sh.notes.push({ span: sh.spanOf(node), message: t('`[[` is bash: dash (/bin/sh) answers "[[: not found"') });
      return 127;
    }
    return doubleBracket(sh, text.slice(2, -2));
  }
  const inner = node.namedChildren.filter((c): c is SyntaxNode => c !== null);
  return inner.length ? testExpression(sh, inner[0], false) : 1;
}

/**
 * `[[ ... ]]`, read from its text (tree-sitter's grouping of && and =~ is not
 * bash's): || binds looser than &&, then !, then the comparisons.
 */
function doubleBracket(sh: ShellInterpreter, text: string): Status {
  const tokens = [...text.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|\$\{[^}]*\}|\$\([^)]*\)|&&|\|\||[()!]|[^\s()&|!"']+(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s()&|])*/g)].map((m) => m[0]);
  let i = 0;
  const or = (): Status => {
    let a = and();
    while (tokens[i] === '||') { i++; const b = and(); a = a === 0 || b === 0 ? 0 : a === undefined || b === undefined ? undefined : 1; }
    return a;
  };
  const and = (): Status => {
    let a = not();
    while (tokens[i] === '&&') { i++; const b = not(); a = a === 1 || b === 1 ? 1 : a === undefined || b === undefined ? undefined : 0; }
    return a;
  };
  const not = (): Status => {
    if (tokens[i] === '!') { i++; return invert(not()); }
    if (tokens[i] === '(') { i++; const v = or(); i++; return v; }
    const left = tokens[i++] ?? '';
    const op = tokens[i];
    if (op && /^(==?|!=|=~|<|>|-(eq|ne|lt|le|gt|ge|nt|ot|ef))$/.test(op)) {
      i++;
      const right = tokens[i++] ?? '';
      const r = op === '=~' ? known(right.replace(/^(['"])(.*)\1$/, '$2')) : sh.expandFragment(right);
      // An unquoted right side of == is a pattern; a quoted one is literal text.
      return compareStrings(sh, sh.expandFragment(left), op, r, op !== '=~' && !/^["']/.test(right));
    }
    if (/^-[a-zA-Z]$/.test(left) && op !== undefined && op !== '&&' && op !== '||' && op !== ')') {
      i++;
      return unaryTest(sh, left, sh.expandFragment(op));
    }
    const v = sh.expandFragment(left);
    return undecidable(v) ? undefined : v.text !== '' ? 0 : 1;
  };
  return or();
}

/** [ ] / [[ ]] expressions from the tree (binary/unary/parenthesized/negated). */
function testExpression(sh: ShellInterpreter, node: SyntaxNode, double: boolean): Status {
  switch (node.type) {
    case 'binary_expression': {
      const [left, right] = [node.childForFieldName('left') ?? node.namedChildren[0], node.childForFieldName('right') ?? node.namedChildren[node.namedChildren.length - 1]];
      const opNode = node.childForFieldName('operator') ?? node.children.find((c) => c && !c.isNamed);
      const op = opNode?.text ?? '';
      if (op === '&&' || op === '-a' || op === '||' || op === '-o') {
        const a = testExpression(sh, left!, double);
        if ((op === '&&' || op === '-a') && a === 1) return 1;
        if ((op === '||' || op === '-o') && a === 0) return 0;
        const b = testExpression(sh, right!, double);
        if (a === undefined || b === undefined) return undefined;
        return op === '&&' || op === '-a' ? (a === 0 && b === 0 ? 0 : 1) : (a === 0 || b === 0 ? 0 : 1);
      }
      const l = sh.expander.single(left!);
      const r = op === '=~' ? known(right!.text) : sh.expander.single(right!);
      if (op === '==' && sh.options.posix && !double) return dashDoubleEquals(sh, opNode ?? right!);
      return compareStrings(sh, l, op, r, false);
    }
    case 'unary_expression': {
      const op = node.children[0]?.text ?? '';
      const operand = node.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'test_operator').pop();
      if (op === '!') return invert(testExpression(sh, operand!, double));
      const v = operand ? sh.expander.single(operand) : known('');
      return unaryTest(sh, op, v);
    }
    case 'parenthesized_expression':
      return testExpression(sh, node.namedChildren[0]!, double);
    case 'negated_command':
      return invert(testExpression(sh, node.namedChildren[0]!, double));
    default: {
      // [ "$x" ]: a single word is true when not empty.
      const v = sh.expander.single(node);
      return undecidable(v) ? undefined : v.text !== '' ? 0 : 1;
    }
  }
}

/** dash's [ does not know ==: it prints "unexpected operator" and the test fails (status 2). */
function dashDoubleEquals(sh: ShellInterpreter, node: SyntaxNode): Status {
  sh.notes.push({ span: sh.spanOf(node), message: t('`==` is not POSIX: dash (/bin/sh) fails this test with "unexpected operator"; use `=`') });
  return 2;
}

/** A comparison of test / [ / [[; `pattern`: the right side of == and != is a glob ([[ only). */
function compareStrings(sh: ShellInterpreter, l: ShellString, op: string, r: ShellString, pattern: boolean): Status {
  if (undecidable(l) || undecidable(r)) return undefined;
  switch (op) {
    case '=':
    case '==':
      return (pattern ? globPattern(r.text).matchesAll(l.text, sh.budget) : l.text === r.text) ? 0 : 1;
    case '!=':
      return (pattern ? !globPattern(r.text).matchesAll(l.text, sh.budget) : l.text !== r.text) ? 0 : 1;
    case '=~': {
      // An expression regcomp refuses makes [[ answer 2.
      const re = regexPattern(r.text, { extended: true });
      return re === undefined ? 2 : re.occursIn(l.text, sh.budget) ? 0 : 1;
    }
    case '<': return l.text < r.text ? 0 : 1;
    case '>': return l.text > r.text ? 0 : 1;
    case '-eq': case '-ne': case '-lt': case '-le': case '-gt': case '-ge': {
      const a = Number(l.text.trim());
      const b = Number(r.text.trim());
      if (!Number.isInteger(a) || !Number.isInteger(b)) return 2;
      const result = { '-eq': a === b, '-ne': a !== b, '-lt': a < b, '-le': a <= b, '-gt': a > b, '-ge': a >= b }[op];
      return result ? 0 : 1;
    }
    default:
      return undefined;
  }
}

function unaryTest(sh: ShellInterpreter, op: string, v: ShellString): Status {
  switch (op) {
    case '-n': return undecidable(v) ? undefined : v.text !== '' ? 0 : 1;
    case '-z': return undecidable(v) ? undefined : v.text === '' ? 0 : 1;
    case '-v': return v.unknown ? undefined : sh.variable(v.text) ? 0 : 1;
    case '-d':
      // /sys/class/net/IF exists when the machine has that interface.
      if (!v.unknown && sh.options.machine && v.text.startsWith('/sys/class/net/')) {
        return sh.options.machine.interfaces.some((i) => i.name === v.text.slice('/sys/class/net/'.length)) ? 0 : 1;
      }
      return undefined;
    case '-f':
    case '-e':
    case '-s':
    case '-r':
      // Only files the script wrote itself are known.
      if (!v.unknown && sh.files.has(v.text)) return op === '-s' ? (sh.files.get(v.text)!.text.text !== '' ? 0 : 1) : 0;
      return undefined;
    default:
      return undefined;
  }
}

export function testWords(sh: ShellInterpreter, list: string[], node: SyntaxNode): Status {
  if (list.length === 0) return 1;
  if (list[0] === '!') return invert(testWords(sh, list.slice(1), node));
  if (list.length === 1) return list[0] !== '' ? 0 : 1;
  if (list.length === 2) return unaryTest(sh, list[0], known(list[1]));
  if (list.length === 3) {
    if (list[1] === '==' && sh.options.posix) {
      return dashDoubleEquals(sh, node);
    }
    return compareStrings(sh, known(list[0]), list[1], known(list[2]), false);
  }
  const and = list.indexOf('-a');
  const or = list.indexOf('-o');
  const split = or > 0 ? or : and;
  if (split > 0) {
    const a = testWords(sh, list.slice(0, split), node);
    const b = testWords(sh, list.slice(split + 1), node);
    if (a === undefined || b === undefined) return undefined;
    return split === or ? (a === 0 || b === 0 ? 0 : 1) : (a === 0 && b === 0 ? 0 : 1);
  }
  return undefined;
}

function invert(s: Status): Status {
  return s === undefined ? undefined : s === 0 ? 1 : 0;
}
