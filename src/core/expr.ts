/**
 * Arithmetic expressions used inside `*.resnet.json` block definitions (`"out_channels": "planes * expansion"`,
 * `"when": "stride != 1 or inplanes != planes * expansion"`). Python-like operators so that they read like the
 * PyTorch code they stand for. Nothing is ever evaluated with `eval`.
 */
export type ExprValue = number | boolean;

export class ExprError extends Error {}

type Tok = { k: 'num'; v: number } | { k: 'id'; v: string } | { k: 'op'; v: string };

const OPS = ['//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '(', ')', ',', '<', '>'];

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const numMatch = /^\d+(\.\d+)?/.exec(src.slice(i));
    if (numMatch) {
      out.push({ k: 'num', v: Number(numMatch[0]) });
      i += numMatch[0].length;
      continue;
    }
    const idMatch = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (idMatch) {
      out.push({ k: 'id', v: idMatch[0] });
      i += idMatch[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character '${c}' in expression '${src}'`);
    out.push({ k: 'op', v: op });
    i += op.length;
  }
  return out;
}

const FUNCS: Record<string, (...a: number[]) => number> = {
  floor: Math.floor,
  ceil: Math.ceil,
  int: Math.trunc,
  min: Math.min,
  max: Math.max,
};

const BINARY: [string[], (a: number, b: number, op: string) => ExprValue][] = [
  [['==', '!=', '<', '<=', '>', '>='], (a, b, op) => ({ '==': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b })[op]!],
  [['+', '-'], (a, b, op) => (op === '+' ? a + b : a - b)],
  [['*', '/', '//', '%'], (a, b, op) => {
    if ((op === '/' || op === '//' || op === '%') && b === 0) throw new ExprError('division by zero');
    return op === '*' ? a * b : op === '/' ? a / b : op === '//' ? Math.floor(a / b) : ((a % b) + b) % b;
  }],
];

type Compiled = (vars: Readonly<Record<string, ExprValue>>) => ExprValue;
const cache = new Map<string, Compiled>();

/** Evaluates `src` with the given variables. Throws ExprError with a readable message. */
export function evalExpr(src: string, vars: Readonly<Record<string, ExprValue>>): ExprValue {
  let f = cache.get(src);
  if (!f) {
    f = compile(src);
    cache.set(src, f);
  }
  return f(vars);
}

const asNum = (v: ExprValue): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** Parses once into a closure; designs repeat the same few expressions for every block. */
function compile(src: string): Compiled {
  const toks = lex(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isWord = (w: string) => peek()?.k === 'id' && peek()!.v === w;
  const isOp = (v: string) => peek()?.k === 'op' && peek()!.v === v;
  const expect = (v: string) => {
    const t = toks[pos++];
    if (!t || t.k !== 'op' || t.v !== v) throw new ExprError(`expected '${v}' in expression '${src}'`);
  };

  const or = (): Compiled => {
    let l = and();
    while (isWord('or')) {
      pos++;
      const [a, b] = [l, and()];
      l = (v) => Boolean(a(v)) || Boolean(b(v));
    }
    return l;
  };
  const and = (): Compiled => {
    let l = not();
    while (isWord('and')) {
      pos++;
      const [a, b] = [l, not()];
      l = (v) => Boolean(a(v)) && Boolean(b(v));
    }
    return l;
  };
  const not = (): Compiled => {
    if (isWord('not')) {
      pos++;
      const a = not();
      return (v) => !a(v);
    }
    return binary(0);
  };
  const binary = (level: number): Compiled => {
    if (level === BINARY.length) return unary();
    const [ops, fn] = BINARY[level]!;
    let l = binary(level + 1);
    for (let t = peek(); t && t.k === 'op' && ops.includes(t.v); t = peek()) {
      pos++;
      const [a, b, op] = [l, binary(level + 1), t.v];
      l = (v) => fn(asNum(a(v)), asNum(b(v)), op);
    }
    return l;
  };
  const unary = (): Compiled => {
    const t = peek();
    if (t?.k === 'op' && (t.v === '-' || t.v === '+')) {
      pos++;
      const a = unary();
      return t.v === '-' ? (v) => -asNum(a(v)) : (v) => asNum(a(v));
    }
    return atom();
  };
  const atom = (): Compiled => {
    const t = toks[pos++];
    if (!t) throw new ExprError(`unexpected end of expression '${src}'`);
    if (t.k === 'num') return () => t.v;
    if (t.k === 'op' && t.v === '(') {
      const e = or();
      expect(')');
      return e;
    }
    if (t.k === 'id') {
      if (t.v === 'True' || t.v === 'true') return () => true;
      if (t.v === 'False' || t.v === 'false') return () => false;
      const f = FUNCS[t.v];
      if (f && isOp('(')) {
        pos++;
        const args: Compiled[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            pos++;
            args.push(or());
          }
        }
        expect(')');
        return (v) => f(...args.map((a) => asNum(a(v))));
      }
      const name = t.v;
      return (vars) => {
        if (!Object.prototype.hasOwnProperty.call(vars, name)) {
          throw new ExprError(`unknown name '${name}' in expression '${src}' (known: ${Object.keys(vars).join(', ')})`);
        }
        return vars[name]!;
      };
    }
    throw new ExprError(`unexpected '${t.v}' in expression '${src}'`);
  };
  const e = or();
  if (pos !== toks.length) throw new ExprError(`unexpected '${String(toks[pos]!.v)}' in expression '${src}'`);
  return e;
}
