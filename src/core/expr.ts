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

/** Evaluates `src` with the given variables. Throws ExprError with a readable message. */
export function evalExpr(src: string, vars: Readonly<Record<string, ExprValue>>): ExprValue {
  const toks = lex(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isWord = (w: string) => peek()?.k === 'id' && peek()!.v === w;
  const expect = (v: string) => {
    const t = toks[pos++];
    if (!t || t.k !== 'op' || t.v !== v) throw new ExprError(`expected '${v}' in expression '${src}'`);
  };
  const asNum = (v: ExprValue): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

  const or = (): ExprValue => {
    let l = and();
    while (isWord('or')) {
      pos++;
      const r = and();
      l = Boolean(l) || Boolean(r);
    }
    return l;
  };
  const and = (): ExprValue => {
    let l = not();
    while (isWord('and')) {
      pos++;
      const r = not();
      l = Boolean(l) && Boolean(r);
    }
    return l;
  };
  const not = (): ExprValue => {
    if (isWord('not')) {
      pos++;
      return !not();
    }
    return binary(0);
  };
  const binary = (level: number): ExprValue => {
    if (level === BINARY.length) return unary();
    const [ops, fn] = BINARY[level]!;
    let l = binary(level + 1);
    for (let t = peek(); t && t.k === 'op' && ops.includes(t.v); t = peek()) {
      pos++;
      l = fn(asNum(l), asNum(binary(level + 1)), t.v);
    }
    return l;
  };
  const unary = (): ExprValue => {
    const t = peek();
    if (t?.k === 'op' && (t.v === '-' || t.v === '+')) {
      pos++;
      const v = asNum(unary());
      return t.v === '-' ? -v : v;
    }
    return atom();
  };
  const atom = (): ExprValue => {
    const t = toks[pos++];
    if (!t) throw new ExprError(`unexpected end of expression '${src}'`);
    if (t.k === 'num') return t.v;
    if (t.k === 'op' && t.v === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t.k === 'id') {
      if (t.v === 'True' || t.v === 'true') return true;
      if (t.v === 'False' || t.v === 'false') return false;
      const f = FUNCS[t.v];
      if (f && peek()?.k === 'op' && peek()!.v === '(') {
        pos++;
        const args: number[] = [];
        if (!(peek()?.k === 'op' && peek()!.v === ')')) {
          args.push(asNum(or()));
          while (peek()?.k === 'op' && peek()!.v === ',') {
            pos++;
            args.push(asNum(or()));
          }
        }
        expect(')');
        return f(...args);
      }
      if (!Object.prototype.hasOwnProperty.call(vars, t.v)) {
        throw new ExprError(`unknown name '${t.v}' in expression '${src}' (known: ${Object.keys(vars).join(', ')})`);
      }
      return vars[t.v]!;
    }
    throw new ExprError(`unexpected '${t.v}' in expression '${src}'`);
  };
  const v = or();
  if (pos !== toks.length) throw new ExprError(`unexpected '${String(toks[pos]!.v)}' in expression '${src}'`);
  return v;
}
