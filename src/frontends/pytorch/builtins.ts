/**
 * Python's builtins scope: `len`, `range`, `enumerate`, `zip`, `min`/`max`, `isinstance`, `getattr`/`hasattr`,
 * `super`, `sorted`, ... as model code uses them, with CPython's errors; the built-in types and exception
 * classes come from the library; the rest of the builtins exist (no NameError) and are unknown.
 */
import type { Span } from './ast';
import type { Library } from './library';
import type { Operators } from './operators';
import type { Runtime } from './runtime';
import { itemsUnknown } from './skippedLoops';
import { formatValue } from './strformat';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  type CallArgs,
  type ClassLike,
  CondVal,
  ModuleObj,
  Opaque,
  Partial as PyPartial,
  PyClass,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  PyInstance,
  PyList,
  PySet,
  PyTuple,
  type Scope,
  SuperObj,
  Sym,
  TensorVal,
  type Value,
  isInt,
  isNumeric,
  numOf,
  roundHalfEven,
  typeName,
} from './values';

/** What the builtins need from the interpreter beyond the library's `Runtime`. */
export interface BuiltinsHost extends Runtime {
  readonly globals: Scope;
  getAttr(obj: Value, name: string, at: Span): Value;
  /** The Python function running now and its first argument, for `super()` without arguments. */
  currentFrame(): { fn: PyFunction; first: Value | undefined } | undefined;
}

/** The builtins scope, name by name. */
export function installBuiltins(I: BuiltinsHost, lib: Library, ops: Operators): Map<string, Value> {
  const B = new Map<string, Value>();
  const def = (name: string, fn: (args: CallArgs) => Value): void => {
    B.set(name, new Builtin(name, fn));
  };
  const arg = (a: CallArgs, i: number, name?: string): Value | undefined => {
    if (a.pos.length > i) return a.pos[i];
    if (name) return a.kw.find(([k]) => k === name)?.[1];
    return undefined;
  };
  for (const [name, cls] of lib.python.pythonTypes) B.set(name, cls);
  for (const [name, cls] of lib.python.exceptionClasses) B.set(name, cls);
  def('len', (a) => {
    const v = a.pos[0] ?? null;
    if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items.length;
    if (v instanceof PyDict) return v.map.size;
    if (v instanceof PyClass && v.enumMembers) return v.enumMembers.length;
    if (typeof v === 'string') return v.length;
    if (v instanceof ModuleObj) return lib.nn.moduleLength(v) ?? new Opaque('len');
    if (v instanceof TensorVal) return lib.tensors.tensorLen(v);
    if (v instanceof Opaque || v instanceof Sym) return new Opaque('len');
    return I.raise('TypeError', `object of type '${typeName(v)}' has no len()`);
  });
  def('range', (a) => {
    const nums = a.pos;
    // An unknown bound gives unknown items: a loop over them is skipped (and says so), never run zero times.
    // An undecided condition as a bound (`range(cond)`) is 0 or 1, so unknown too.
    if (nums.some((x) => x instanceof Sym || x instanceof Opaque || x instanceof CondVal)) return new Opaque('range(...)');
    if (nums.length === 0 || nums.length > 3) return I.raise('TypeError', `range expected ${nums.length ? 'at most 3 arguments' : 'at least 1 argument'}, got ${nums.length}`);
    if (!nums.every(isInt)) return I.raise('TypeError', `'${typeName(nums.find((x) => !isInt(x)) ?? null)}' object cannot be interpreted as an integer`);
    const [start, stop, step] = nums.length === 1 ? [0, numOf(nums[0] as number), 1] : [numOf(nums[0] as number), numOf(nums[1] as number), nums[2] === undefined ? 1 : numOf(nums[2] as number)];
    if (step === 0) return I.raise('ValueError', 'range() arg 3 must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    I.checkSize(count);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(start + i * step);
    return new PyList(out);
  });
  /** What a builtin makes from items the analysis cannot list: unknown, never an empty sequence. */
  const unknownFrom = (name: string, ...its: (Value | undefined)[]): Opaque | null => (its.some((v) => v !== undefined && itemsUnknown(v)) ? new Opaque(`${name}(...)`) : null);
  def('enumerate', (a) => {
    const unknown = unknownFrom('enumerate', a.pos[0]);
    if (unknown) return unknown;
    const start = arg(a, 1, 'start');
    const s = isInt(start ?? 0) ? numOf((start ?? 0) as number) : 0;
    return new PyList(I.iterate(a.pos[0] ?? null, I.site!).map((v, i) => new PyTuple([i + s, v])));
  });
  def('zip', (a) => {
    const unknown = unknownFrom('zip', ...a.pos);
    if (unknown) return unknown;
    const lists = a.pos.map((v) => I.iterate(v, I.site!));
    const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(new PyTuple(lists.map((l) => l[i]!)));
    return new PyList(out);
  });
  const minmax = (isMax: boolean) => (a: CallArgs): Value => {
    const unknown = a.pos.length === 1 ? unknownFrom(isMax ? 'max' : 'min', a.pos[0]) : null;
    if (unknown) return unknown;
    const items = a.pos.length === 1 ? I.iterate(a.pos[0]!, I.site!) : a.pos;
    if (items.length === 0) {
      const d = arg(a, 99, 'default');
      if (d !== undefined) return d;
      return I.raise('ValueError', `${isMax ? 'max' : 'min'}() arg is an empty sequence`);
    }
    let best: Value = items[0] ?? null;
    for (const x of items.slice(1)) {
      const c = ops.order(isMax ? '>' : '<', x, best, I.site!);
      if (c instanceof CondVal) return new Opaque(isMax ? 'max' : 'min');
      if (c === true) best = x;
    }
    return best;
  };
  def('min', minmax(false));
  def('max', minmax(true));
  def('sum', (a) => {
    const unknown = unknownFrom('sum', a.pos[0]);
    if (unknown) return unknown;
    let acc: Value = arg(a, 1, 'start') ?? 0;
    for (const x of I.iterate(a.pos[0] ?? null, I.site!)) acc = I.binop('+', acc, x, I.site!, false);
    return acc;
  });
  def('abs', (a) => {
    const v = a.pos[0] ?? null;
    if (isNumeric(v)) return v instanceof PyFloat ? new PyFloat(Math.abs(v.v)) : Math.abs(numOf(v));
    return new Opaque('abs');
  });
  def('round', (a) => {
    const v = a.pos[0] ?? null;
    const nd = a.pos[1];
    if (isNumeric(v)) {
      if (nd === undefined || nd === null) return roundHalfEven(numOf(v));
      const f = 10 ** numOf(nd as number);
      return new PyFloat(roundHalfEven(numOf(v) * f) / f);
    }
    return v instanceof Sym ? v : new Opaque('round');
  });
  def('divmod', (a) => new PyTuple([I.binop('//', a.pos[0] ?? null, a.pos[1] ?? null, I.site!, false), I.binop('%', a.pos[0] ?? null, a.pos[1] ?? null, I.site!, false)]));
  def('pow', (a) => I.binop('**', a.pos[0] ?? null, a.pos[1] ?? null, I.site!, false));
  def('isinstance', (a) => isInstance(a.pos[0] ?? null, a.pos[1] ?? null));
  def('issubclass', (a) => {
    const c = a.pos[0];
    const t = a.pos[1] ?? null;
    const targets = t instanceof PyTuple ? t.items : [t];
    if (c instanceof PyClass || c instanceof BuiltinClass) return targets.some((x) => c.mro.includes(x as ClassLike));
    return false;
  });
  def('hasattr', (a) => {
    const [obj, name] = a.pos;
    // A name the analysis does not know may be any attribute: the answer is unknown, not False.
    if (typeof name !== 'string') return name instanceof Opaque || name instanceof Sym || name instanceof CondVal ? new Opaque('hasattr(...)') : I.raise('TypeError', 'attribute name must be string');
    if (obj instanceof Opaque) return new CondVal(false, [], `hasattr(..., '${name}')`);
    try {
      I.getAttr(obj ?? null, name, I.site!);
      return true;
    } catch (e) {
      if (e instanceof PyError && e.pyType === 'AttributeError') return false;
      throw e;
    }
  });
  def('getattr', (a) => {
    const [obj, name, dflt] = a.pos;
    if (typeof name !== 'string') return new Opaque('getattr');
    try {
      return I.getAttr(obj ?? null, name, I.site!);
    } catch (e) {
      if (e instanceof PyError && e.pyType === 'AttributeError' && dflt !== undefined) return dflt;
      throw e;
    }
  });
  def('setattr', (a) => {
    const [obj, name, v] = a.pos;
    if (typeof name === 'string') I.setAttr(obj ?? null, name, v ?? null, I.site!);
    else if (obj instanceof ModuleObj && lib.graph.phase === 'build') lib.nn.markUnknownMembers(obj, 'setattr with a name the analysis does not know');
    else I.info(I.site, 'setattr with a computed name the analysis cannot know');
    return null;
  });
  def('delattr', (a) => {
    const [obj, name] = a.pos;
    if (obj instanceof ModuleObj && typeof name === 'string') {
      obj.modules.delete(name);
      lib.nn.structureChanged();
    }
    if (obj instanceof PyInstance && typeof name === 'string') obj.attrs.delete(name);
    return null;
  });
  def('callable', (a) => {
    const v = a.pos[0] ?? null;
    return v instanceof PyFunction || v instanceof Builtin || v instanceof BoundMethod || v instanceof PyClass || v instanceof BuiltinClass || v instanceof PyPartial || v instanceof ModuleObj;
  });
  def('print', () => null);
  def('repr', (a) => I.repr(a.pos[0] ?? null));
  def('id', () => new Opaque('id'));
  def('hash', () => new Opaque('hash'));
  def('sorted', (a) => {
    const unknown = unknownFrom('sorted', a.pos[0]);
    if (unknown) return unknown;
    const items = I.iterate(a.pos[0] ?? null, I.site!);
    if (a.kw.some(([k]) => k === 'key')) return new PyList(items);
    const rev = a.kw.find(([k]) => k === 'reverse')?.[1] === true;
    let undecided = false;
    const out = items.slice().sort((x, y) => {
      const lt = ops.order('<', x, y, I.site!);
      if (lt === true) return -1;
      const gt = ops.order('>', x, y, I.site!);
      if (lt instanceof CondVal || gt instanceof CondVal) undecided = true;
      return gt === true ? 1 : 0;
    });
    // An order the analysis cannot decide is unknown, not the one its guesses give.
    if (undecided) return new Opaque('sorted(...)');
    return new PyList(rev ? out.reverse() : out);
  });
  def('reversed', (a) => unknownFrom('reversed', a.pos[0]) ?? new PyList(I.iterate(a.pos[0] ?? null, I.site!).reverse()));
  /**
   * `any` and `all`: an item that settles the answer settles it; otherwise items the analysis cannot decide
   * leave it undecided (a condition a branch on it reports), never their guessed truth.
   */
  const anyAll = (isAny: boolean) => (a: CallArgs): Value => {
    const unknown = unknownFrom(isAny ? 'any' : 'all', a.pos[0]);
    if (unknown) return unknown;
    let open: CondVal | null = null;
    for (const x of I.iterate(a.pos[0] ?? null, I.site!)) {
      const c = x instanceof Opaque ? new CondVal(false, [], x.what) : x;
      if (c instanceof CondVal) open = open === null ? c : isAny ? (ops.or(open, c) as CondVal) : (ops.and(open, c) as CondVal);
      else if (I.truthyQuiet(c) === isAny) return isAny;
    }
    return open ?? !isAny;
  };
  def('any', anyAll(true));
  def('all', anyAll(false));
  def('map', (a) => {
    const [fn, ...its] = a.pos;
    const unknown = unknownFrom('map', ...its);
    if (unknown) return unknown;
    const lists = its.map((v) => I.iterate(v, I.site!));
    const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(I.call(fn ?? null, { pos: lists.map((l) => l[i]!), kw: [] }));
    return new PyList(out);
  });
  def('filter', (a) => {
    const [fn, it] = a.pos;
    const unknown = unknownFrom('filter', it);
    if (unknown) return unknown;
    const kept = I.iterate(it ?? null, I.site!).map((x) => [x, fn === null || fn === undefined ? x : I.call(fn, { pos: [x], kw: [] })] as const);
    // Which items an undecided test keeps is unknown.
    if (kept.some(([, t]) => t instanceof CondVal || t instanceof Opaque)) return new Opaque('filter(...)');
    return new PyList(kept.filter(([, t]) => I.truthyQuiet(t)).map(([x]) => x));
  });
  def('iter', (a) => unknownFrom('iter', a.pos[0]) ?? new PyList(I.iterate(a.pos[0] ?? null, I.site!)));
  def('next', (a) => {
    const it = a.pos[0];
    // A generator expression is read as the tuple of what it yields: `next` takes them in turn.
    if ((it instanceof PyList || it instanceof PyTuple) && it.items.length) return (it.items as Value[]).shift()!;
    if (a.pos[1] !== undefined) return a.pos[1];
    return it instanceof PyList || it instanceof PyTuple ? I.raise('StopIteration', '') : new Opaque('next');
  });
  def('super', (a) => {
    if (a.pos.length >= 2) {
      const cls = a.pos[0];
      if (cls instanceof PyClass || cls instanceof BuiltinClass) return new SuperObj(cls, a.pos[1] ?? null);
      return new Opaque('super');
    }
    const f = I.currentFrame();
    if (!f || !f.fn.ownerClass || f.first === undefined) return I.raise('RuntimeError', 'super(): no arguments');
    return new SuperObj(f.fn.ownerClass, f.first);
  });
  def('vars', () => new Opaque('vars'));
  def('globals', () => {
    const d = new PyDict();
    for (const [k, v] of I.globals.vars) d.set(k, v);
    return d;
  });
  def('locals', () => new Opaque('locals'));
  def('open', () => new Opaque('file'));
  def('format', (a) => I.formatting(() => formatValue(a.pos[0] ?? null, a.pos[1] === undefined ? '' : I.str(a.pos[1]), I.formatHooks(I.site!)), I.site!));
  def('ord', (a) => (typeof a.pos[0] === 'string' ? a.pos[0].charCodeAt(0) : new Opaque('ord')));
  def('chr', (a) => (typeof a.pos[0] === 'number' ? String.fromCharCode(a.pos[0]) : new Opaque('chr')));
  def('classmethod', (a) => a.pos[0] ?? null);
  def('staticmethod', (a) => a.pos[0] ?? null);
  def('property', (a) => a.pos[0] ?? null);
  // The rest of Python's builtins exist (no NameError) but are not modelled.
  for (const name of ['dir', 'slice', 'bytes', 'bytearray', 'complex', 'bin', 'hex', 'oct', 'ascii', 'eval', 'exec', 'compile', '__import__', 'input', 'exit', 'quit', 'memoryview', 'help', 'breakpoint', 'aiter', 'anext']) {
    if (!B.has(name)) def(name, () => new Opaque(`${name}(...)`));
  }
  for (const name of ['__doc__', '__spec__', '__package__', '__loader__', '__builtins__', '__annotations__']) B.set(name, new Opaque(name));
  B.set('NotImplemented', new Opaque('NotImplemented'));
  B.set('Ellipsis', lib.python.ellipsis);
  B.set('__debug__', true);
  return B;
}

/** `isinstance(v, t)`; against a class the analysis does not know, or for an unknown value, the answer is unknown. */
export function isInstance(v: Value, t: Value): Value {
  const targets = t instanceof PyTuple ? t.items : [t];
  for (const c of targets) {
    if (c instanceof BuiltinClass) {
      if (c.impl.isInstance) {
        if (c.impl.isInstance(v)) return true;
        continue;
      }
      if (v instanceof PyInstance && v.cls.mro.includes(c)) return true;
    } else if (c instanceof PyClass) {
      if (v instanceof PyInstance && v.cls.mro.includes(c)) return true;
    } else if (c instanceof Opaque) {
      // A class the analysis does not know: the answer is unknown, whatever the value.
      return new CondVal(false, [], 'isinstance');
    }
  }
  if (v instanceof Opaque) return new CondVal(false, [], 'isinstance');
  return false;
}
