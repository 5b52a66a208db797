/**
 * Python's built-in types as the interpreter sees them: the classes (`int`, `str`, `list`, `dict`, `type`, the
 * exception hierarchy) that the builtins scope holds, and the methods of their values (`str.format`,
 * `list.append`, `dict.items`, ...). A real method the analysis does not model is unknown, not a typo.
 */
import type { Span } from './ast';
import { fn } from './imports';
import type { Runtime } from './runtime';
import { itemsUnknown } from './skippedLoops';
import { formatMethod } from './strformat';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  type CallArgs,
  CondVal,
  Opaque,
  Partial,
  PyClass,
  PyDict,
  PyFloat,
  PyInstance,
  PyList,
  PySet,
  PyTuple,
  Sym,
  type Value,
  isInt,
  isNumeric,
  lookupUndecided,
  numOf,
  typeName,
} from './values';

export class PythonTypes {
  readonly objectClass = new BuiltinClass('object', 'object', 'object', null);
  readonly exceptionClasses = new Map<string, BuiltinClass>();
  readonly pythonTypes = new Map<string, BuiltinClass>();
  readonly ellipsis = new Opaque('Ellipsis');

  constructor(private readonly rt: Runtime) {
    this.installPythonTypes();
  }

  private installPythonTypes(): void {
    const I = this.rt;
    const type = (name: string, construct: (a: CallArgs) => Value, isInstance: (v: Value) => boolean): void => {
      this.pythonTypes.set(name, new BuiltinClass(name, name, 'type', this.objectClass, { construct, isInstance }));
    };
    type(
      'int',
      (a) => {
        const v = a.pos[0] ?? 0;
        if (isNumeric(v)) return Math.trunc(numOf(v));
        if (v instanceof Sym) return I.syms.toInt(v);
        // A condition on unknowns is neither 0 nor 1 to the analysis: an unknown int, not its guess.
        if (v instanceof CondVal) return new Opaque('int');
        if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return parseInt(v, 10);
        if (v instanceof Opaque) return new Opaque('int');
        return I.raise('ValueError', `invalid literal for int(): ${I.repr(v)}`);
      },
      (v) => typeof v === 'number' || typeof v === 'boolean' || (v instanceof Sym && !v.float),
    );
    type(
      'float',
      (a) => {
        const v = a.pos[0] ?? 0;
        if (isNumeric(v)) return new PyFloat(numOf(v));
        if (v instanceof Sym) return I.syms.lift(v, true);
        if (typeof v === 'string' && Number.isFinite(Number(v))) return new PyFloat(Number(v));
        if (typeof v === 'string' && /^\s*[-+]?inf(inity)?\s*$/i.test(v)) return new PyFloat(v.includes('-') ? -Infinity : Infinity);
        return new Opaque('float');
      },
      (v) => v instanceof PyFloat || (v instanceof Sym && v.float),
    );
    type('str', (a) => (a.pos.length ? I.str(a.pos[0]!) : ''), (v) => typeof v === 'string');
    // bool() of an undecided condition is that condition, still undecided.
    type('bool', (a) => (a.pos.length ? (a.pos[0] instanceof CondVal ? a.pos[0] : a.pos[0] instanceof Opaque ? new CondVal(false, [], 'bool(...)') : I.truthyQuiet(a.pos[0]!)) : false), (v) => typeof v === 'boolean');
    // Made from items the analysis cannot list, a sequence is unknown rather than empty.
    const unknownItems = (a: CallArgs): boolean => a.pos.length > 0 && itemsUnknown(a.pos[0]!);
    type('list', (a) => (unknownItems(a) ? new Opaque('list(...)') : new PyList(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])), (v) => v instanceof PyList);
    type('tuple', (a) => (unknownItems(a) ? new Opaque('tuple(...)') : new PyTuple(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])), (v) => v instanceof PyTuple);
    type('set', (a) => (unknownItems(a) ? new Opaque('set(...)') : new PySet(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])), (v) => v instanceof PySet);
    type('frozenset', (a) => (unknownItems(a) ? new Opaque('frozenset(...)') : new PySet(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])), (v) => v instanceof PySet);
    type('dict', (a) => this.makeDict(a), (v) => v instanceof PyDict);
    type('object', () => new PyInstance(this.objectClass), () => true);
    type(
      'type',
      (a) => {
        const v = a.pos[0] ?? null;
        if (v instanceof PyInstance) return v.cls;
        const t = this.pythonTypes.get(typeName(v));
        return t ?? new Opaque('type');
      },
      (v) => v instanceof PyClass || v instanceof BuiltinClass,
    );
    const exc = (name: string, parent: BuiltinClass | null): BuiltinClass => {
      const c: BuiltinClass = new BuiltinClass(name, name, 'exception', parent ?? this.objectClass, {
        construct: (a): Value => {
          const inst: PyInstance = new PyInstance(c);
          inst.attrs.set('args', new PyTuple(a.pos));
          return inst;
        },
      });
      this.exceptionClasses.set(name, c);
      return c;
    };
    const base = exc('BaseException', null);
    const e = exc('Exception', base);
    for (const n of ['ValueError', 'TypeError', 'AttributeError', 'NameError', 'AssertionError', 'ImportError', 'StopIteration', 'KeyboardInterrupt', 'OSError', 'ArithmeticError', 'LookupError', 'UserWarning', 'Warning', 'DeprecationWarning']) {
      exc(n, e);
    }
    for (const n of ['FutureWarning', 'RuntimeWarning', 'ResourceWarning', 'PendingDeprecationWarning', 'SyntaxWarning', 'ImportWarning', 'EnvironmentError', 'IOError', 'FileNotFoundError', 'FileExistsError', 'PermissionError', 'TimeoutError', 'ConnectionError', 'OverflowError', 'FloatingPointError', 'EOFError', 'MemoryError', 'ReferenceError', 'SystemError', 'SystemExit', 'UnboundLocalError', 'UnicodeError', 'UnicodeDecodeError', 'UnicodeEncodeError', 'SyntaxError', 'IndentationError', 'BufferError', 'ExceptionGroup', 'StopAsyncIteration']) {
      exc(n, e);
    }
    exc('RuntimeError', e);
    exc('NotImplementedError', this.exceptionClasses.get('RuntimeError')!);
    exc('RecursionError', this.exceptionClasses.get('RuntimeError')!);
    exc('KeyError', this.exceptionClasses.get('LookupError')!);
    exc('IndexError', this.exceptionClasses.get('LookupError')!);
    exc('ZeroDivisionError', this.exceptionClasses.get('ArithmeticError')!);
    exc('ModuleNotFoundError', this.exceptionClasses.get('ImportError')!);
  }

  /** `dict(...)` / `OrderedDict(...)`; from pairs the analysis cannot list, unknown rather than a known empty dict. */
  makeDict(a: CallArgs): PyDict | Opaque {
    const d = new PyDict();
    const src = a.pos[0];
    if (src !== undefined && !(src instanceof PyDict) && itemsUnknown(src)) return new Opaque('dict(...)');
    if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
    else if (src !== undefined && src !== null) {
      for (const pair of this.rt.iterate(src, this.rt.site!)) {
        const kv = pair instanceof PyTuple || pair instanceof PyList ? pair.items : [];
        if (kv.length === 2) d.set(kv[0]!, kv[1]!);
        else this.rt.raise('ValueError', 'dictionary update sequence element has the wrong length');
      }
    }
    for (const [k, v] of a.kw) d.set(k, v);
    return d;
  }

  /** The methods of a value of a built-in type (`s.format(...)`, `xs.append(x)`), bound to it. */
  valueMethod(obj: Value, name: string, at: Span): Value {
    const I = this.rt;
    const f = (impl: (a: CallArgs) => Value): Builtin => fn(name, impl);
    if (typeof obj === 'string') {
      switch (name) {
        case 'format':
          return f((a) => I.formatting(() => formatMethod(obj, a.pos, new Map(a.kw), I.formatHooks(at)), at));
        case 'replace':
          return f((a) => obj.split(I.str(a.pos[0] ?? '')).join(I.str(a.pos[1] ?? '')));
        case 'startswith':
          return f((a) => obj.startsWith(I.str(a.pos[0] ?? '')));
        case 'endswith':
          return f((a) => obj.endsWith(I.str(a.pos[0] ?? '')));
        case 'lower':
          return f(() => obj.toLowerCase());
        case 'upper':
          return f(() => obj.toUpperCase());
        case 'strip':
          return f(() => obj.trim());
        case 'split':
          return f((a) => new PyList(a.pos[0] === undefined || a.pos[0] === null ? obj.trim().split(/\s+/) : obj.split(I.str(a.pos[0]))));
        case 'join':
          return f((a) => I.iterate(a.pos[0] ?? null, at).map((x) => I.str(x)).join(obj));
      }
      return new Opaque(`str.${name}`);
    }
    if (obj instanceof PyList) {
      switch (name) {
        case 'append':
          return f((a) => {
            obj.items.push(a.pos[0] ?? null);
            I.checkSize(obj.items.length);
            return null;
          });
        case 'extend':
          return f((a) => {
            const src = a.pos[0] ?? null;
            // Items the analysis cannot list keep one unknown place, so what is built from the list is not complete.
            if (itemsUnknown(src)) obj.items.push(new Opaque('extended items'));
            else obj.items.push(...I.iterate(src, at));
            I.checkSize(obj.items.length);
            return null;
          });
        case 'insert':
          return f((a) => {
            const i = isInt(a.pos[0] ?? null) ? numOf(a.pos[0] as number) : obj.items.length;
            obj.items.splice(i < 0 ? Math.max(0, i + obj.items.length) : i, 0, a.pos[1] ?? null);
            return null;
          });
        case 'pop':
          return f((a) => {
            if (!obj.items.length) return I.raise('IndexError', 'pop from empty list');
            const i = isInt(a.pos[0] ?? null) ? numOf(a.pos[0] as number) : -1;
            const idx = i < 0 ? i + obj.items.length : i;
            return obj.items.splice(idx, 1)[0] ?? null;
          });
        case 'copy':
          return f(() => new PyList(obj.items.slice()));
        case 'reverse':
          return f(() => {
            obj.items.reverse();
            return null;
          });
        case 'clear':
          return f(() => {
            obj.items = [];
            return null;
          });
        case 'index':
          return f((a) => {
            const i = obj.items.findIndex((x) => I.equals(x, a.pos[0] ?? null) === true);
            return i >= 0 ? i : I.raise('ValueError', 'value is not in list');
          });
        case 'count':
          return f((a) => obj.items.filter((x) => I.equals(x, a.pos[0] ?? null) === true).length);
        case 'remove':
          return f((a) => {
            const i = obj.items.findIndex((x) => I.equals(x, a.pos[0] ?? null) === true);
            if (i < 0) I.raise('ValueError', 'list.remove(x): x not in list');
            obj.items.splice(i, 1);
            return null;
          });
        case 'sort':
          return f(() => null);
      }
    }
    if (obj instanceof PyTuple) {
      if (name === 'index') return f((a) => obj.items.findIndex((x) => I.equals(x, a.pos[0] ?? null) === true));
      if (name === 'count') return f((a) => obj.items.filter((x) => I.equals(x, a.pos[0] ?? null) === true).length);
    }
    if (obj instanceof PyDict) {
      switch (name) {
        case 'keys':
          return f(() => new PyList(obj.keys()));
        case 'values':
          return f(() => new PyList(obj.values()));
        case 'items':
          return f(() => new PyList(obj.entries().map(([k, v]) => new PyTuple([k, v]))));
        case 'get':
          return f((a) => {
            const either = lookupUndecided(obj, a.pos[0] ?? null);
            if (either === 'unknown') return new Opaque('dict item');
            if (typeof either === 'object') return either.found;
            // A key whose value is None is present: `??` would give the default.
            const v = either === 'missing' ? undefined : obj.get(a.pos[0] ?? null);
            return v !== undefined ? v : a.pos[1] ?? null;
          });
        case 'pop':
          return f((a) => {
            const v = obj.get(a.pos[0] ?? null);
            if (v === undefined) return a.pos[1] !== undefined ? a.pos[1] : I.raise('KeyError', I.repr(a.pos[0] ?? null));
            obj.delete(a.pos[0] ?? null);
            return v;
          });
        case 'setdefault':
          return f((a) => {
            const v = obj.get(a.pos[0] ?? null);
            if (v !== undefined) return v;
            obj.set(a.pos[0] ?? null, a.pos[1] ?? null);
            return a.pos[1] ?? null;
          });
        case 'update':
          return f((a) => {
            const src = a.pos[0];
            if (src instanceof PyDict) for (const [k, v] of src.entries()) obj.set(k, v);
            for (const [k, v] of a.kw) obj.set(k, v);
            return null;
          });
        case 'copy':
          return f(() => {
            const d = new PyDict();
            for (const [k, v] of obj.entries()) d.set(k, v);
            return d;
          });
        case 'clear':
          return f(() => {
            obj.map.clear();
            return null;
          });
      }
    }
    if (obj instanceof PyFloat && name === 'is_integer') return f(() => Number.isInteger(obj.v));
    if (obj instanceof Sym || obj instanceof CondVal || obj instanceof Builtin || obj instanceof BoundMethod || obj instanceof Partial) return new Opaque(`${typeName(obj)}.${name}`);
    // A real method of a built-in type that the analysis does not model: unknown, not an error.
    if (PYTHON_METHODS[typeName(obj)]?.has(name)) {
      return f(() => {
        I.info(at, `${typeName(obj)}.${name}() is not modelled; its result is unknown`);
        return new Opaque(`${typeName(obj)}.${name}()`);
      });
    }
    return I.raise('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`, at);
  }
}

const words = (s: string): Set<string> => new Set(s.split(/\s+/));
/** The methods Python's built-in types have (3.8-3.12), so a method the analysis lacks is not mistaken for a typo. */
const PYTHON_METHODS: Record<string, Set<string>> = {
  str: words(`capitalize casefold center count encode endswith expandtabs find format format_map index isalnum isalpha
    isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle isupper join ljust lower lstrip
    maketrans partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines
    startswith strip swapcase title translate upper zfill`),
  list: words('append clear copy count extend index insert pop remove reverse sort'),
  tuple: words('count index'),
  dict: words('clear copy fromkeys get items keys pop popitem setdefault update values'),
  set: words(`add clear copy difference difference_update discard intersection intersection_update isdisjoint issubset
    issuperset pop remove symmetric_difference symmetric_difference_update union update`),
  int: words('as_integer_ratio bit_count bit_length conjugate from_bytes to_bytes'),
  float: words('as_integer_ratio conjugate fromhex hex is_integer'),
};
