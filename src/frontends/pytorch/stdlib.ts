/**
 * The standard-library modules model code imports, as far as building a model needs them: `functools`
 * (`partial`, `reduce`), `typing` and `collections.abc` (for `isinstance` checks), `collections`, `enum`,
 * `math`, `numpy` on scalars, `copy`, `abc`, `dataclasses` and `warnings`; and the parts of torchvision's own
 * helpers (`_api`, `_utils`) that its model factories call before they build anything.
 */
import { fn, passThrough, type ModuleRegistry } from './imports';
import type { PythonTypes } from './pythonTypes';
import type { Runtime } from './runtime';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  type CallArgs,
  ModuleObj,
  Opaque,
  Partial,
  PyClass,
  PyDict,
  PyFloat,
  PyFunction,
  PyInstance,
  PyList,
  PySet,
  PyTuple,
  Sym,
  type Value,
  isInt,
  isNumeric,
  numOf,
  roundHalfEven,
} from './values';

export class Stdlib {
  readonly fieldClass = new BuiltinClass('Field', 'dataclasses.Field', 'object', null);
  /** `@dataclass`: the interpreter gives such classes the `__init__` it would generate. */
  readonly dataclassDecorator = new Builtin('dataclass', (a) => a.pos[0] ?? new Builtin('dataclass', (b) => b.pos[0] ?? null));
  readonly enumBase: BuiltinClass;
  readonly enumMeta: BuiltinClass;
  /** What `enum.auto()` gives: the class statement replaces it with the next number. */
  readonly autoClass = new BuiltinClass('auto', 'enum.auto', 'object', null);

  constructor(
    private readonly rt: Runtime,
    private readonly modules: ModuleRegistry,
    private readonly py: PythonTypes,
  ) {
    this.enumBase = new BuiltinClass('Enum', 'enum.Enum', 'object', py.objectClass);
    this.enumMeta = new BuiltinClass('EnumMeta', 'enum.EnumMeta', 'type', py.objectClass);
    this.install();
  }

  private install(): void {
    const I = this.rt;
    this.modules.ns('functools', {
      partial: fn('partial', (a) => (a.pos.length ? new Partial(a.pos[0]!, { pos: a.pos.slice(1), kw: a.kw }) : I.raise('TypeError', 'partial expected at least 1 argument'))),
      // As update_wrapper does: the wrapper takes the wrapped function's name and keeps it as `__wrapped__`
      // (registries key models by `fn.__name__`; `inspect.signature` follows `__wrapped__`).
      wraps: fn('wraps', (a) =>
        fn('wrapper', (b) => {
          const wrapper = b.pos[0] ?? null;
          const wrapped = a.pos[0] ?? null;
          if (wrapper instanceof PyFunction && wrapped !== null) {
            const name = wrapped instanceof PyFunction ? wrapped.attrs.get('__name__') ?? wrapped.name : wrapped instanceof Builtin || wrapped instanceof PyClass ? wrapped.name : null;
            if (name !== null) {
              wrapper.attrs.set('__name__', name);
              wrapper.attrs.set('__qualname__', name);
            }
            wrapper.attrs.set('__wrapped__', wrapped);
          }
          return wrapper;
        }),
      ),
      lru_cache: passThrough('lru_cache'),
      cache: passThrough('cache'),
      reduce: fn('reduce', (a) => {
        const [f, it, init0] = a.pos;
        const items = I.iterate(it ?? null, I.site!);
        let acc = init0 !== undefined ? init0 : items.shift() ?? null;
        for (const x of items) acc = I.call(f ?? null, { pos: [acc, x], kw: [] });
        return acc;
      }),
    });
    // The abstract base classes model code checks arguments against (`isinstance(cfg, Sequence)`).
    const seq = (v: Value): boolean => v instanceof PyList || v instanceof PyTuple || typeof v === 'string';
    const sized = (v: Value): boolean => seq(v) || v instanceof PyDict || v instanceof PySet;
    const callable = (v: Value): boolean =>
      v instanceof PyFunction || v instanceof Builtin || v instanceof BoundMethod || v instanceof PyClass || v instanceof BuiltinClass || v instanceof Partial || v instanceof ModuleObj;
    const abcTests: Record<string, (v: Value) => boolean> = {
      Sequence: seq,
      MutableSequence: (v) => v instanceof PyList,
      Mapping: (v) => v instanceof PyDict,
      MutableMapping: (v) => v instanceof PyDict,
      Set: (v) => v instanceof PySet,
      MutableSet: (v) => v instanceof PySet,
      Iterable: sized,
      Collection: sized,
      Container: sized,
      Sized: sized,
      Callable: callable,
    };
    const abcs = Object.fromEntries(Object.entries(abcTests).map(([n, t]) => [n, new BuiltinClass(n, `collections.abc.${n}`, 'type', this.py.objectClass, { isInstance: t })]));
    const typing = this.modules.ns('typing', {
      ...abcs,
      cast: fn('cast', (a) => a.pos[1] ?? null),
      TYPE_CHECKING: false,
      overload: passThrough('overload'),
      final: passThrough('final'),
    });
    this.modules.alias('typing_extensions', typing);
    const ordered = new BuiltinClass('OrderedDict', 'collections.OrderedDict', 'type', this.py.objectClass, { construct: (a) => this.py.makeDict(a), isInstance: (v) => v instanceof PyDict });
    this.modules.ns('collections', {
      OrderedDict: ordered,
      defaultdict: fn('defaultdict', () => new PyDict()),
      deque: fn('deque', (a) => new PyList(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])),
      namedtuple: fn('namedtuple', () => new Opaque('namedtuple')),
    });
    this.modules.ns('collections.abc', abcs);
    // Enum classes get members (instances with .name and .value) from their class bodies: see Classes.define.
    const intEnum = new BuiltinClass('IntEnum', 'enum.IntEnum', 'object', this.enumBase);
    this.modules.ns('enum', {
      Enum: this.enumBase,
      IntEnum: intEnum,
      EnumMeta: this.enumMeta,
      EnumType: this.enumMeta,
      auto: fn('auto', () => new PyInstance(this.autoClass)),
    });
    const num = (f: (x: number) => number, int = false) => (a: CallArgs): Value => {
      const v = a.pos[0] ?? null;
      if (isNumeric(v)) return int ? f(numOf(v)) : new PyFloat(f(numOf(v)));
      if (v instanceof Sym && int) return v;
      return new Opaque('math');
    };
    // Python's math.prod and numpy's prod/sum: a left fold with the interpreter's arithmetic.
    const fold = (op: string, start: Value) => (a: CallArgs): Value => {
      let acc = start;
      for (const x of I.iterate(a.pos[0] ?? null, I.site!)) acc = I.binop(op, acc, x, I.site!, false);
      return acc;
    };
    this.modules.ns('math', {
      ceil: fn('ceil', num(Math.ceil, true)),
      floor: fn('floor', num(Math.floor, true)),
      sqrt: fn('sqrt', num(Math.sqrt)),
      log: fn('log', num(Math.log)),
      log2: fn('log2', num(Math.log2)),
      exp: fn('exp', num(Math.exp)),
      pi: new PyFloat(Math.PI),
      e: new PyFloat(Math.E),
      inf: new PyFloat(Infinity),
      gcd: fn('gcd', (a) => {
        let [x, y] = a.pos.map((v) => (isInt(v ?? null) ? Math.abs(numOf(v as number)) : NaN));
        if (x === undefined || y === undefined || Number.isNaN(x) || Number.isNaN(y)) return new Opaque('gcd');
        while (y) [x, y] = [y, x % y];
        return x;
      }),
      prod: fn('prod', fold('*', 1)),
      isclose: fn('isclose', (a) => (isNumeric(a.pos[0] ?? null) && isNumeric(a.pos[1] ?? null) ? Math.abs(numOf(a.pos[0] as number) - numOf(a.pos[1] as number)) < 1e-9 : new Opaque('isclose'))),
    });
    // numpy on scalars, as model code uses it for widths (`int(np.round(w * mult))`); results are floats
    // where numpy's are (np.ceil(2.3) is 3.0).
    const toFloat = (a: CallArgs): Value => (isNumeric(a.pos[0] ?? null) ? new PyFloat(numOf(a.pos[0] as number)) : new Opaque('numpy float'));
    const toInt = (a: CallArgs): Value => (isNumeric(a.pos[0] ?? null) ? Math.trunc(numOf(a.pos[0] as number)) : a.pos[0] instanceof Sym ? a.pos[0] : new Opaque('numpy int'));
    const pick = (f: (x: number, y: number) => number) => (a: CallArgs): Value => {
      const [x, y] = a.pos;
      if (!isNumeric(x ?? null) || !isNumeric(y ?? null)) return new Opaque('numpy');
      const r = f(numOf(x as number), numOf(y as number));
      return x instanceof PyFloat || y instanceof PyFloat ? new PyFloat(r) : r;
    };
    const npRound = (a: CallArgs): Value => {
      const v = a.pos[0] ?? null;
      const d = a.pos[1] ?? a.kw.find(([k]) => k === 'decimals')?.[1] ?? 0;
      if (!isNumeric(v) || !isInt(d)) return new Opaque('numpy.round');
      const f = 10 ** numOf(d);
      const r = roundHalfEven(numOf(v) * f) / f;
      return v instanceof PyFloat ? new PyFloat(r) : r;
    };
    this.modules.ns('numpy', {
      pi: new PyFloat(Math.PI),
      e: new PyFloat(Math.E),
      inf: new PyFloat(Infinity),
      sqrt: fn('sqrt', num(Math.sqrt)),
      log: fn('log', num(Math.log)),
      log2: fn('log2', num(Math.log2)),
      exp: fn('exp', num(Math.exp)),
      ceil: fn('ceil', num(Math.ceil)),
      floor: fn('floor', num(Math.floor)),
      round: fn('round', npRound),
      around: fn('around', npRound),
      abs: fn('abs', (a) => {
        const v = a.pos[0] ?? null;
        return v instanceof PyFloat ? new PyFloat(Math.abs(v.v)) : isNumeric(v) ? Math.abs(numOf(v)) : new Opaque('numpy.abs');
      }),
      prod: fn('prod', fold('*', 1)),
      sum: fn('sum', fold('+', 0)),
      maximum: fn('maximum', pick(Math.max)),
      minimum: fn('minimum', pick(Math.min)),
      int_: fn('int_', toInt),
      int32: fn('int32', toInt),
      int64: fn('int64', toInt),
      float32: fn('float32', toFloat),
      float64: fn('float64', toFloat),
      float_: fn('float_', toFloat),
    });
    this.modules.ns('copy', {
      copy: fn('copy', (a) => a.pos[0] ?? null),
      deepcopy: fn('deepcopy', (a) => this.deepCopy(a.pos[0] ?? null, new Map())),
    });
    this.modules.ns('abc', { ABC: this.py.objectClass, abstractmethod: passThrough('abstractmethod') });
    this.modules.ns('dataclasses', {
      dataclass: this.dataclassDecorator,
      // A field's options, read by the generated __init__ (default, default_factory).
      // The fields of a dataclass or of one of its instances, as Field objects with their names.
      fields: fn('fields', (a) => {
        const v = a.pos[0] ?? null;
        const cls = v instanceof PyClass ? v : v instanceof PyInstance && v.cls instanceof PyClass ? v.cls : null;
        const fs = cls?.lookup('__dataclass_fields__');
        return fs instanceof PyDict ? new PyTuple(fs.values()) : new Opaque('fields(...)');
      }),
      field: fn('field', (a) => {
        const f = new PyInstance(this.fieldClass);
        for (const [k, v] of a.kw) f.attrs.set(k, v);
        return f;
      }),
    });
    this.modules.ns('warnings', { warn: fn('warn', () => null) });
    // Helpers that take a layer factory or a module (`isfunction(norm)`): an unknown answer sent them down the wrong branch.
    // inspect.signature of a function the analysis read: its parameters with their kinds, as decorators that
    // remap arguments read them (torchvision's kwonly_to_pos_or_kw).
    const KINDS = { POSITIONAL_ONLY: 0, POSITIONAL_OR_KEYWORD: 1, VAR_POSITIONAL: 2, KEYWORD_ONLY: 3, VAR_KEYWORD: 4 };
    const emptyMark = new PyInstance(this.py.objectClass);
    const parameterClass = new BuiltinClass('Parameter', 'inspect.Parameter', 'object', this.py.objectClass, { attrs: { ...KINDS, empty: emptyMark } });
    const signatureClass = new BuiltinClass('Signature', 'inspect.Signature', 'object', this.py.objectClass);
    const signature = (f0: Value): Value => {
      let f = f0;
      let bound = false;
      for (let guard = 0; guard < 20; guard++) {
        if (f instanceof BoundMethod) {
          bound = true;
          f = f.fn;
          continue;
        }
        const inner = f instanceof PyFunction ? f.attrs.get('__wrapped__') : undefined;
        if (inner === undefined) break;
        f = inner;
      }
      if (!(f instanceof PyFunction) || f.def.k !== 'def') return new Opaque('signature(...)');
      const params = new PyDict();
      let kwOnly = false;
      f.def.params.forEach((p, i) => {
        if (bound && i === 0) return;
        if (p.star === 1 && p.name === '') {
          kwOnly = true;
          return;
        }
        const kind = p.star === 1 ? KINDS.VAR_POSITIONAL : p.star === 2 ? KINDS.VAR_KEYWORD : kwOnly ? KINDS.KEYWORD_ONLY : KINDS.POSITIONAL_OR_KEYWORD;
        if (p.star === 1) kwOnly = true;
        const par = new PyInstance(parameterClass);
        par.attrs.set('name', p.name);
        par.attrs.set('kind', kind);
        par.attrs.set('default', (f as PyFunction).defaults[i] ?? emptyMark);
        for (const [k, v] of Object.entries(KINDS)) par.attrs.set(k, v);
        par.attrs.set('empty', emptyMark);
        params.set(p.name, par);
      });
      const sig = new PyInstance(signatureClass);
      sig.attrs.set('parameters', params);
      return sig;
    };
    this.modules.ns('inspect', {
      signature: fn('signature', (a) => signature(a.pos[0] ?? null)),
      Parameter: parameterClass,
      Signature: signatureClass,
      isfunction: fn('isfunction', (a) => a.pos[0] instanceof PyFunction || (a.pos[0] instanceof Opaque ? new Opaque('isfunction(...)') : false)),
      isclass: fn('isclass', (a) => a.pos[0] instanceof PyClass || a.pos[0] instanceof BuiltinClass || (a.pos[0] instanceof Opaque ? new Opaque('isclass(...)') : false)),
      ismethod: fn('ismethod', (a) => a.pos[0] instanceof BoundMethod || (a.pos[0] instanceof Opaque ? new Opaque('ismethod(...)') : false)),
    });
    this.modules.ns('torchvision', {});
    this.modules.ns('torchvision.models', {});
    // Parts of torchvision that build no model: their files (image transforms, PIL and file I/O) are not read
    // when a model imports from them, and what it takes from them is unknown.
    for (const name of ['transforms', 'datasets', 'io']) this.modules.ns(`torchvision.${name}`, {});
    // The class-name lists of the pretrained weights' metadata: some 1,500 lines of strings that no model's
    // structure reads (only `weights.meta["categories"]`, with weights given), and the slowest file to parse.
    this.modules.ns('torchvision.models._meta', {});
    this.modules.ns('torchvision.utils', { _log_api_usage_once: fn('_log_api_usage_once', () => null) });
    // torchvision's weights plumbing: `verify(None)` is None, so factories called without weights build plain models.
    const weightsEnum = new BuiltinClass('WeightsEnum', 'torchvision.models._api.WeightsEnum', 'opaque', this.py.objectClass, {
      attrs: { verify: fn('verify', (a) => (a.pos[0] === null || a.pos[0] === undefined ? null : new Opaque('weights'))) },
    });
    this.modules.ns('torchvision.models._api', {
      WeightsEnum: weightsEnum,
      // Unknown, so its arguments (transforms, category lists from other modules) are never read.
      Weights: new Opaque('Weights'),
      register_model: fn('register_model', () => fn('wrapper', (b) => b.pos[0] ?? null)),
    });
    this.modules.ns('torchvision.models._utils', {
      _ovewrite_named_param: fn('_ovewrite_named_param', (a) => {
        const [kwargs, param, value] = a.pos;
        if (!(kwargs instanceof PyDict) || typeof param !== 'string') return null;
        const cur = kwargs.get(param);
        if (cur !== undefined) {
          if (I.equals(cur, value ?? null) !== true) I.raise('ValueError', `The parameter '${param}' expected value ${I.str(value ?? null)} but got ${I.str(cur)} instead.`);
        } else kwargs.set(param, value ?? null);
        return null;
      }),
      handle_legacy_interface: fn('handle_legacy_interface', () => fn('wrapper', (b) => b.pos[0] ?? null)),
      _log_api_usage_once: fn('_log_api_usage_once', () => null),
      // The channel rounding of the MobileNets and EfficientNets, as torchvision writes it; left unknown, every
      // width after it was unknown and so were the totals of models the analysis can count exactly.
      _make_divisible: fn('_make_divisible', (a) => {
        const [v, divisor, minValue] = [a.pos[0] ?? a.kw.find(([k]) => k === 'v')?.[1], a.pos[1] ?? a.kw.find(([k]) => k === 'divisor')?.[1], a.pos[2] ?? a.kw.find(([k]) => k === 'min_value')?.[1] ?? null];
        const num = (x: Value | undefined): number | null => (x instanceof PyFloat ? x.v : typeof x === 'number' ? x : null);
        const x = num(v);
        const d = num(divisor);
        const lo = minValue === null ? d : num(minValue);
        if (x === null || d === null || lo === null || d === 0) return new Opaque('_make_divisible(...)');
        let out = Math.max(lo, Math.floor(Math.trunc(x + d / 2) / d) * d);
        if (out < 0.9 * x) out += d;
        return out;
      }),
    });
  }

  private deepCopy(v: Value, memo: Map<object, Value>): Value {
    if (v instanceof ModuleObj) {
      const done = memo.get(v);
      if (done) return done;
      const m = new ModuleObj(v.cls);
      memo.set(v, m);
      m.layer = v.layer ? { ...v.layer, attrs: { ...v.layer.attrs } } : null;
      m.container = v.container;
      m.initialized = v.initialized;
      m.definedAt = v.definedAt;
      m.ctorCall = v.ctorCall;
      m.ctorScope = v.ctorScope;
      for (const [k, x] of v.attrs) m.attrs.set(k, this.deepCopy(x, memo));
      for (const [k, c] of v.modules) m.modules.set(k, c ? (this.deepCopy(c, memo) as ModuleObj) : null);
      return m;
    }
    if (v instanceof PyList) return new PyList(v.items.map((x) => this.deepCopy(x, memo)));
    if (v instanceof PyDict) {
      const d = new PyDict();
      for (const [k, x] of v.entries()) d.set(k, this.deepCopy(x, memo));
      return d;
    }
    return v;
  }
}
