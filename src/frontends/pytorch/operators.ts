/**
 * Python's operators on the interpreter's values: arithmetic on numbers and on symbolic sizes, sequence
 * concatenation and repetition, `%` formatting, comparisons and `==` (undecidable ones become assumptions),
 * `is`, `in`, and the `and`/`or` of undecided conditions. Operators with a tensor operand go to the tensor
 * operators of the library.
 */
import type { Span } from './ast';
import type { Runtime } from './runtime';
import { percentFormat } from './strformat';
import type { TensorOperators } from './tensorOperators';
import {
  BuiltinClass,
  CondVal,
  ModuleObj,
  Opaque,
  PyClass,
  PyDict,
  PyError,
  PyFloat,
  PyList,
  PySet,
  PyTuple,
  Sym,
  TensorVal,
  type Value,
  isInt,
  isNumeric,
  numOf,
  typeName,
} from './values';

export class Operators {
  constructor(
    private readonly rt: Runtime,
    private readonly tensors: TensorOperators,
  ) {}

  and(l: Value, r: Value): Value {
    if (l instanceof CondVal) {
      if (r instanceof CondVal) return new CondVal(l.assumed && r.assumed, eqsOf([l, r], l.assumed && r.assumed, false), `${l.text} and ${r.text}`);
      // Read as false, an unknown right side makes the whole a guess, whatever the left side rests on.
      if (r instanceof Opaque) return new CondVal(false, [], `${l.text} and ${r.what}`);
      return new CondVal(this.rt.truthyQuiet(r), l.eqs, l.text);
    }
    return r;
  }

  or(l: CondVal, r: Value): Value {
    if (r instanceof CondVal) return new CondVal(l.assumed || r.assumed, eqsOf([l, r], l.assumed || r.assumed, true), `${l.text} or ${r.text}`);
    if (r instanceof Opaque) return new CondVal(false, [], `${l.text} or ${r.what}`);
    return new CondVal(this.rt.truthyQuiet(r), l.eqs, l.text);
  }

  compare(op: string, a: Value, b: Value, at: Span): Value {
    switch (op) {
      case 'is':
        return this.identical(a, b, at);
      case 'is not': {
        const r = this.identical(a, b, at);
        return r instanceof CondVal ? new CondVal(!r.assumed, r.eqs, r.text) : !r;
      }
      case 'in':
      case 'not in': {
        const r = this.contains(b, a, at);
        if (op === 'in') return r;
        return r instanceof CondVal ? new CondVal(!r.assumed, r.eqs, r.text) : !r;
      }
      case '==':
      case '!=': {
        // tensor == None is plain False in PyTorch; with a number or tensor it compares elementwise.
        if ((a instanceof TensorVal || b instanceof TensorVal) && a !== null && b !== null) return this.tensors.tensorCompare(op, a, b, at);
        const r = this.equals(a, b);
        if (op === '==') return r;
        return r instanceof CondVal ? new CondVal(!r.assumed, r.eqs, `${r.text.replace(' == ', ' != ')}`) : !r;
      }
      default:
        return this.order(op, a, b, at);
    }
  }

  private identical(a: Value, b: Value, _at: Span): Value {
    if (a === b) return true;
    // `cond is True`: the condition is one of the two bools, which one is undecided.
    if (a instanceof CondVal || b instanceof CondVal) return this.eachWay(a, b, `${this.text(a)} is ${this.text(b)}`, (x, y) => this.identical(x, y, _at));
    if (a === null || b === null) {
      const other = a === null ? b : a;
      // Unknown objects are things, never None: `weights is not None` with opaque weights is true.
      if (other instanceof Opaque) return false;
      return false;
    }
    if (typeof a !== 'object' && typeof b !== 'object') return a === b;
    if (a instanceof PyFloat && b instanceof PyFloat) return a.v === b.v;
    return false;
  }

  /** Python `==`; undecidable symbolic equalities become a `CondVal` assumed true. */
  equals(a: Value, b: Value): Value {
    // `cond == True` is as undecided as `cond`.
    if (a instanceof CondVal || b instanceof CondVal) return this.eachWay(a, b, `${this.text(a)} == ${this.text(b)}`, (x, y) => this.equals(x, y));
    if (isNumeric(a) && isNumeric(b)) return numOf(a) === numOf(b);
    // Two different objects of which one is unknown: equality is unknown too.
    if ((a instanceof Opaque || b instanceof Opaque) && a !== b) return new CondVal(false, [], 'unknown == value');
    if (a instanceof Sym || b instanceof Sym) {
      if ((a instanceof Sym || isNumeric(a)) && (b instanceof Sym || isNumeric(b))) {
        const diff = this.rt.syms.add(symOf(a, this.rt), symOf(b, this.rt), -1);
        if (typeof diff === 'number') return diff === 0;
        const ra = this.rt.dimText(a);
        const rb = this.rt.dimText(b);
        if (this.rt.assumedEqual(ra, rb)) return true;
        return new CondVal(true, [[ra, rb]], `${ra} == ${rb}`);
      }
      return false;
    }
    if (typeof a === 'string' || typeof b === 'string') return a === b;
    if (a === null || b === null) return a === b;
    if ((a instanceof PyList && b instanceof PyList) || (a instanceof PyTuple && b instanceof PyTuple)) {
      if (a.items.length !== b.items.length) return false;
      let cond: Value = true;
      for (let i = 0; i < a.items.length; i++) {
        const r = this.equals(a.items[i]!, b.items[i]!);
        if (r === false) return false;
        cond = this.and(cond, r);
      }
      return cond;
    }
    if (a instanceof PyDict && b instanceof PyDict) {
      if (a.map.size !== b.map.size) return false;
      for (const [k, v] of a.entries()) {
        const o = b.get(k);
        if (o === undefined || this.equals(v, o) !== true) return false;
      }
      return true;
    }
    if (a instanceof Opaque || b instanceof Opaque) return new CondVal(false, [], 'unknown');
    return a === b;
  }

  order(op: string, a: Value, b: Value, at: Span): Value {
    // `y < 0` on tensors is an elementwise comparison giving a boolean tensor (for masks and torch.where).
    if (a instanceof TensorVal || b instanceof TensorVal) return this.tensors.tensorCompare(op, a, b, at);
    if (a instanceof CondVal || b instanceof CondVal) return this.eachWay(a, b, `${this.text(a)} ${op} ${this.text(b)}`, (x, y) => this.order(op, x, y, at));
    if (isNumeric(a) && isNumeric(b)) {
      const x = numOf(a);
      const y = numOf(b);
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : op === '>=' ? x >= y : this.rt.raise('SyntaxError', `unknown operator ${op}`, at);
    }
    if (typeof a === 'string' && typeof b === 'string') return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    if ((a instanceof Sym || isNumeric(a)) && (b instanceof Sym || isNumeric(b))) {
      const diff = this.rt.syms.add(symOf(a, this.rt), symOf(b, this.rt), -1);
      if (typeof diff === 'number') return op === '<' ? diff < 0 : op === '<=' ? diff <= 0 : op === '>' ? diff > 0 : diff >= 0;
      // Sizes are positive: `planes > 0`-style checks hold; otherwise the equal case decides.
      const ra = this.rt.dimText(a);
      const rb = this.rt.dimText(b);
      const eqCase = op === '<=' || op === '>=';
      if (this.rt.assumedEqual(ra, rb)) return eqCase;
      return new CondVal(eqCase, eqCase ? [[ra, rb]] : [], `${ra} ${op} ${rb}`);
    }
    if ((a instanceof PyTuple && b instanceof PyTuple) || (a instanceof PyList && b instanceof PyList)) {
      const n = Math.min(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const e = this.equals(a.items[i]!, b.items[i]!);
        if (e !== true) return this.order(op, a.items[i]!, b.items[i]!, at);
      }
      return this.order(op, a.items.length, b.items.length, at);
    }
    if (a instanceof Opaque || b instanceof Opaque) return new CondVal(false, [], 'unknown');
    return this.rt.raise('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`, at);
  }

  private contains(container: Value, item: Value, at: Span): Value {
    if (container instanceof PyList || container instanceof PyTuple || container instanceof PySet) {
      let unknown: CondVal | null = null;
      for (const x of container.items) {
        const r = this.equals(x, item);
        if (r === true) return true;
        if (r instanceof CondVal) unknown = r;
      }
      return unknown ? new CondVal(false, [], unknown.text) : false;
    }
    if (container instanceof PyDict) {
      // An undecided key is in the dict when both truths are; an unknown one may or may not be.
      if (item instanceof CondVal) return this.eachWay(item, container, `${item.text} in dict`, (k) => container.get(k) !== undefined);
      if ((item instanceof Opaque || item instanceof Sym) && container.get(item) === undefined) return new CondVal(false, [], `${this.text(item)} in dict`);
      return container.get(item) !== undefined;
    }
    if (typeof container === 'string' && typeof item === 'string') return container.includes(item);
    if (container instanceof ModuleObj) return typeof item === 'string' && container.modules.has(item);
    if (container instanceof Opaque || item instanceof Opaque) return new CondVal(false, [], 'unknown');
    return this.rt.raise('TypeError', `argument of type '${typeName(container)}' is not iterable`, at);
  }

  /**
   * An operator with an undecided condition for an operand, worked out for each truth it may have, the
   * assumed one first. Every way giving the same number, bool or None (`cond * 0`), or raising, settles it.
   * Ways giving bools that differ are a condition again, assumed as the assumed truths give it and resting
   * on their equalities, which a branch on it reports. Anything else is unknown: the guessed number, the
   * list repeated the guessed number of times, or the guessed way's error is not the model's.
   */
  private eachWay(a: Value, b: Value, text: string, run: (x: Value, y: Value) => Value): Value {
    const ways = (v: Value): Value[] => (v instanceof CondVal ? [v.assumed, !v.assumed] : [v]);
    const results: Value[] = [];
    let raised: unknown = null;
    for (const x of ways(a)) {
      for (const y of ways(b)) {
        try {
          results.push(run(x, y));
        } catch (e) {
          if (!(e instanceof PyError)) throw e;
          raised ??= e;
        }
      }
    }
    if (raised !== null) {
      if (results.length === 0) throw raised;
      return new Opaque(text);
    }
    const first = results[0]!;
    const plain = (v: Value): boolean => v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';
    if (plain(first) && results.every((r) => r === first)) return first;
    if (results.every((r) => typeof r === 'boolean' || r instanceof CondVal) && typeof first === 'boolean') {
      return new CondVal(first, joinedEqs([a, b].filter((v): v is CondVal => v instanceof CondVal)), text);
    }
    return new Opaque(text);
  }

  /** An operand as a condition's text shows it. */
  private text(v: Value): string {
    if (v instanceof CondVal) return v.text;
    return v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v instanceof Sym ? this.rt.repr(v) : typeName(v);
  }

  // ---------------------------------------------------------------- arithmetic

  binop(op: string, a: Value, b: Value, at: Span, inplace: boolean): Value {
    if (a instanceof TensorVal || b instanceof TensorVal) return this.tensors.tensorBinop(op, a, b, at, inplace);
    // An undecided condition is 0 or 1 in arithmetic (`16 * (1 + cond)`): the result is certain only when both give it.
    if (a instanceof CondVal || b instanceof CondVal) return this.eachWay(a, b, `${this.text(a)} ${op} ${this.text(b)}`, (x, y) => this.binop(op, x, y, at, false));
    if (isNumeric(a) && isNumeric(b)) return this.numeric(op, a, b, at);
    if ((a instanceof Sym || isNumeric(a)) && (b instanceof Sym || isNumeric(b))) return this.symbolic(op, a, b, at);
    if (a instanceof Opaque || b instanceof Opaque) return new Opaque('arithmetic on an unknown value');
    if (op === '+') {
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (a instanceof PyList && b instanceof PyList) {
        if (inplace) {
          a.items.push(...b.items);
          return a;
        }
        return new PyList([...a.items, ...b.items]);
      }
      if (a instanceof PyList && inplace && (b instanceof PyTuple || b instanceof PyList)) {
        a.items.push(...b.items);
        return a;
      }
      if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
    }
    if (op === '*') {
      const [seq, n] = isInt(b) ? [a, numOf(b)] : isInt(a) ? [b, numOf(a)] : [null, 0];
      if (seq !== null) {
        const count = Math.max(0, n);
        if (typeof seq === 'string') {
          this.rt.checkSize(seq.length * count);
          return seq.repeat(count);
        }
        if (seq instanceof PyList || seq instanceof PyTuple) {
          this.rt.checkSize(seq.items.length * count);
          const out: Value[] = [];
          for (let i = 0; i < count; i++) out.push(...seq.items);
          return seq instanceof PyList ? new PyList(out) : new PyTuple(out);
        }
      }
      if ((seq instanceof Sym || a instanceof Sym || b instanceof Sym) && (a instanceof PyList || b instanceof PyList)) {
        return new Opaque('list repeated an unknown number of times');
      }
    }
    if (op === '%' && typeof a === 'string') return this.rt.formatting(() => percentFormat(a, b, this.rt.formatHooks(at)), at);
    if (op === '|' && a instanceof PyDict && b instanceof PyDict) {
      const d = new PyDict();
      for (const [k, v] of a.entries()) d.set(k, v);
      for (const [k, v] of b.entries()) d.set(k, v);
      return d;
    }
    if ((op === '|' || op === '&') && (a instanceof PyClass || a instanceof BuiltinClass || a === null)) return new Opaque('type union');
    return this.rt.raise('TypeError', `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`, at);
  }

  private numeric(op: string, a: number | boolean | PyFloat, b: number | boolean | PyFloat, at: Span): Value {
    const float = a instanceof PyFloat || b instanceof PyFloat;
    const x = numOf(a);
    const y = numOf(b);
    const mk = (v: number, f = float): Value => (f ? new PyFloat(v) : v);
    switch (op) {
      case '+':
        return mk(x + y);
      case '-':
        return mk(x - y);
      case '*':
        return mk(x * y);
      case '/':
        if (y === 0) this.rt.raise('ZeroDivisionError', 'division by zero', at);
        return new PyFloat(x / y);
      case '//':
        if (y === 0) this.rt.raise('ZeroDivisionError', 'integer division or modulo by zero', at);
        return mk(Math.floor(x / y));
      case '%':
        if (y === 0) this.rt.raise('ZeroDivisionError', 'integer division or modulo by zero', at);
        return mk(x - y * Math.floor(x / y));
      case '**':
        return mk(x ** y, float || y < 0);
      case '<<':
        return x * 2 ** y;
      case '>>':
        return Math.floor(x / 2 ** y);
      case '&':
        return x & y;
      case '|':
        return x | y;
      case '^':
        return x ^ y;
      case '@':
        return this.rt.raise('TypeError', "unsupported operand type(s) for @: 'int' and 'int'", at);
      default:
        return this.rt.raise('SyntaxError', `unknown operator ${op}`, at);
    }
  }

  private symbolic(op: string, a: Value, b: Value, _at: Span): Value {
    const A = symOf(a, this.rt);
    const B = symOf(b, this.rt);
    const float = (a instanceof PyFloat || (a instanceof Sym && a.float)) || (b instanceof PyFloat || (b instanceof Sym && b.float));
    const wrap = (v: Sym | number): Value => (typeof v === 'number' ? (float && op !== '//' ? new PyFloat(v) : v) : v);
    switch (op) {
      case '+':
        return wrap(this.rt.syms.add(A, B));
      case '-':
        return wrap(this.rt.syms.add(A, B, -1));
      case '*':
        return wrap(this.rt.syms.mul(A, B));
      case '//':
        return wrap(this.rt.syms.div(A, typeof b === 'number' ? b : B, true));
      case '/':
        return wrap(this.rt.syms.div(this.rt.syms.lift(A, true), isNumeric(b) ? numOf(b) : B, false));
      case '**':
        if (typeof b === 'number' && b >= 0 && b <= 4) {
          let r: Sym | number = 1;
          for (let i = 0; i < b; i++) r = this.rt.syms.mul(r, A);
          return wrap(r);
        }
        return this.rt.syms.compound(`${this.rt.dimText(a)} ** ${this.rt.dimText(b)}`);
      default:
        return this.rt.syms.compound(`${this.rt.dimText(a)} ${op} ${this.rt.dimText(b)}`);
    }
  }

  unary(op: string, v: Value, at: Span): Value {
    if (v instanceof CondVal) return this.eachWay(v, 0, `${op}${v.text}`, (x) => this.unary(op, x, at));
    if (op === '-') {
      if (isNumeric(v)) return v instanceof PyFloat ? new PyFloat(-v.v) : -numOf(v);
      if (v instanceof Sym) return this.rt.syms.mul(v, -1);
      if (v instanceof TensorVal) return v;
    }
    if (op === '+') {
      if (isNumeric(v) || v instanceof Sym || v instanceof TensorVal) return isInt(v) ? numOf(v) : v;
    }
    if (op === '~' && isInt(v)) return ~numOf(v);
    if (v instanceof Opaque) return v;
    return this.rt.raise('TypeError', `bad operand type for unary ${op}: '${typeName(v)}'`, at);
  }
}

/** A number or symbol as a symbolic term; anything else is an opaque term named by its text. */
export function symOf(v: Value, rt: Runtime): Sym | number {
  if (v instanceof Sym) return v;
  if (isNumeric(v)) return numOf(v);
  return rt.syms.compound(rt.str(v));
}

/**
 * The equalities a condition made of several rests on. A part with none is a guess (`hasattr` of an unread
 * value), and so is a whole that depends on it: branching on it must say so, not state the other parts'
 * equalities as its only assumption.
 */
function joinedEqs(parts: readonly CondVal[]): [string | number, string | number][] {
  return parts.some((c) => c.eqs.length === 0) ? [] : parts.flatMap((c) => c.eqs);
}

/**
 * What `and` (`settles` false) or `or` (`settles` true) of conditions rests on: every part's equalities when
 * none is a guess; with a guess among them, only a part that settles the whole without it keeps it from
 * being a guess.
 */
function eqsOf(parts: readonly CondVal[], value: boolean, settles: boolean): [string | number, string | number][] {
  if (parts.every((c) => c.eqs.length > 0)) return parts.flatMap((c) => c.eqs);
  if (value !== settles) return [];
  return parts.find((c) => c.assumed === settles && c.eqs.length > 0)?.eqs ?? [];
}
