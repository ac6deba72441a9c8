// Shell arithmetic ($((...)), ((...)), for ((...))) over 64-bit-ish integers,
// evaluated from the expression's text. Unknown variables make the result unknown.
import { t } from '../l10n';

export interface ArithmeticScope {
  /** The variable's value as text, or undefined when unset; `null` when unknown. */
  get(name: string): string | undefined | null;
  set(name: string, value: number): void;
}

export class UnknownValue extends Error {}

const TOKEN = /(0[xX][0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\+\+|--|\*\*|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|[-+*/%<>=!~&|^?:(),])|(\S)/g;

/** How deep variables may refer to variables, and parentheses nest (bash's own bound). */
const MAX_RECURSION = 1024;

/** Evaluates an arithmetic expression (the text between `$((` and `))`). */
export function evaluateArithmetic(text: string, scope: ArithmeticScope, depth = 0): number {
  if (depth > MAX_RECURSION) throw new Error(t('expression recursion level exceeded'));
  const tokens: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    if (m[4]) throw new Error(t('cannot read `{0}` as arithmetic', text));
    tokens.push(m[0]);
  }
  let i = 0;
  let nesting = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];

  const value = (name: string): number => {
    const v = scope.get(name);
    if (v === null) throw new UnknownValue(name);
    if (v === undefined || v.trim() === '') return 0;
    if (/^\s*-?\d+\s*$/.test(v)) return Number(v);
    return evaluateArithmetic(v, scope, depth + 1);
  };

  const assignOps = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '|=', '^=']);
  // Binary operators from the loosest to the tightest binding.
  const LEVELS = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  const apply = (op: string, a: number, b: number): number => {
    switch (op) {
      case '||': return a || b ? 1 : 0;
      case '&&': return a && b ? 1 : 0;
      case '|': return a | b;
      case '^': return a ^ b;
      case '&': return a & b;
      case '==': return a === b ? 1 : 0;
      case '!=': return a !== b ? 1 : 0;
      case '<': return a < b ? 1 : 0;
      case '>': return a > b ? 1 : 0;
      case '<=': return a <= b ? 1 : 0;
      case '>=': return a >= b ? 1 : 0;
      case '<<': return a << b;
      case '>>': return a >> b;
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': if (b === 0) throw new Error(t('division by 0')); return Math.trunc(a / b);
      case '%': if (b === 0) throw new Error(t('division by 0')); return a % b;
      case '**': return a ** b;
      default: throw new Error(t('unknown operator {0}', op));
    }
  };

  const parseLevel = (level: number): number => {
    if (level === LEVELS.length) return parsePower();
    let left = parseLevel(level + 1);
    while (LEVELS[level].includes(peek())) {
      const op = next();
      left = apply(op, left, parseLevel(level + 1));
    }
    return left;
  };
  const parsePower = (): number => {
    const base = parseUnary();
    if (peek() === '**') { next(); return apply('**', base, parsePower()); }
    return base;
  };
  const parseUnary = (): number => {
    const tgt = peek();
    if (tgt === '-') { next(); return -parseUnary(); }
    if (tgt === '+') { next(); return parseUnary(); }
    if (tgt === '!') { next(); return parseUnary() ? 0 : 1; }
    if (tgt === '~') { next(); return ~parseUnary(); }
    if (tgt === '++' || tgt === '--') {
      next();
      const name = next();
      const v = value(name) + (tgt === '++' ? 1 : -1);
      scope.set(name, v);
      return v;
    }
    return parsePostfix();
  };
  const parsePostfix = (): number => {
    const tgt = next();
    if (tgt === undefined) throw new Error(t('unexpected end of arithmetic'));
    if (tgt === '(') {
      if (++nesting > MAX_RECURSION) throw new Error(t('expression recursion level exceeded'));
      const v = parseExpression();
      nesting--;
      if (next() !== ')') throw new Error('missing `)`');
      return v;
    }
    if (/^\d/.test(tgt)) return tgt.startsWith('0x') || tgt.startsWith('0X') ? parseInt(tgt, 16) : /^0\d/.test(tgt) ? parseInt(tgt, 8) : Number(tgt);
    if (/^[A-Za-z_]/.test(tgt)) {
      if (peek() === '++' || peek() === '--') {
        const op = next();
        const v = value(tgt);
        scope.set(tgt, v + (op === '++' ? 1 : -1));
        return v;
      }
      if (assignOps.has(peek())) {
        const op = next();
        const rhs = parseExpression();
        const v = op === '=' ? rhs : apply(op.slice(0, -1), value(tgt), rhs);
        scope.set(tgt, v);
        return v;
      }
      return value(tgt);
    }
    throw new Error(t('unexpected `{0}` in arithmetic', tgt));
  };
  const parseTernary = (): number => {
    const cond = parseLevel(0);
    if (peek() !== '?') return cond;
    next();
    const a = parseExpression();
    if (next() !== ':') throw new Error('missing `:`');
    const b = parseTernary();
    return cond ? a : b;
  };
  const parseExpression = (): number => {
    let v = parseTernary();
    while (peek() === ',') { next(); v = parseTernary(); }
    return v;
  };
  if (tokens.length === 0) return 0;
  const result = parseExpression();
  if (i < tokens.length) throw new Error(t('unexpected `{0}` in arithmetic', tokens[i]));
  return result;
}
