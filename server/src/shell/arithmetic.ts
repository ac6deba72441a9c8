// Shell arithmetic ($((...)), ((...)), for ((...))) over 64-bit-ish integers,
// evaluated from the expression's text. Unknown variables make the result unknown.

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
  if (depth > MAX_RECURSION) throw new Error('expression recursion level exceeded');
  const tokens: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    if (m[4]) throw new Error(`cannot read \`${text}\` as arithmetic`);
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
      case '/': if (b === 0) throw new Error('division by 0'); return Math.trunc(a / b);
      case '%': if (b === 0) throw new Error('division by 0'); return a % b;
      case '**': return a ** b;
      default: throw new Error(`unknown operator ${op}`);
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
    const t = peek();
    if (t === '-') { next(); return -parseUnary(); }
    if (t === '+') { next(); return parseUnary(); }
    if (t === '!') { next(); return parseUnary() ? 0 : 1; }
    if (t === '~') { next(); return ~parseUnary(); }
    if (t === '++' || t === '--') {
      next();
      const name = next();
      const v = value(name) + (t === '++' ? 1 : -1);
      scope.set(name, v);
      return v;
    }
    return parsePostfix();
  };
  const parsePostfix = (): number => {
    const t = next();
    if (t === undefined) throw new Error('unexpected end of arithmetic');
    if (t === '(') {
      if (++nesting > MAX_RECURSION) throw new Error('expression recursion level exceeded');
      const v = parseExpression();
      nesting--;
      if (next() !== ')') throw new Error('missing `)`');
      return v;
    }
    if (/^\d/.test(t)) return t.startsWith('0x') || t.startsWith('0X') ? parseInt(t, 16) : /^0\d/.test(t) ? parseInt(t, 8) : Number(t);
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '++' || peek() === '--') {
        const op = next();
        const v = value(t);
        scope.set(t, v + (op === '++' ? 1 : -1));
        return v;
      }
      if (assignOps.has(peek())) {
        const op = next();
        const rhs = parseExpression();
        const v = op === '=' ? rhs : apply(op.slice(0, -1), value(t), rhs);
        scope.set(t, v);
        return v;
      }
      return value(t);
    }
    throw new Error(`unexpected \`${t}\` in arithmetic`);
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
  if (i < tokens.length) throw new Error(`unexpected \`${tokens[i]}\` in arithmetic`);
  return result;
}
