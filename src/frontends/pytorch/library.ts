/**
 * The libraries a model file imports, as the interpreter sees them: `torch`, `torch.nn` (modules, containers,
 * the layer catalogue's layers), `torch.nn.functional`, tensors in `forward`, and the standard-library pieces
 * model code leans on (`functools.partial`, `collections.OrderedDict`, `typing`, `math`, `copy`). Module
 * construction follows PyTorch (`named_modules()` paths, registration order, construction-time errors);
 * every call in `forward` becomes a node of the graph through the layer catalogue's rules.
 */
import { type Dim, type Shape } from '../../core/dims';
import { GraphBuilder, type Tensor } from '../../core/graph';
import type { AttrValue, Attrs, Diagnostic, SourceRange } from '../../core/ir';
import { OPS, broadcast, opSpec, withDefaults } from '../../core/ops';
import type { Span } from './ast';
import type { Interp } from './interp';
import { formatMethod } from './strformat';
import { methodOf, optionalModuleParamOf } from './syntax';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  type CallArgs,
  CondVal,
  ModuleObj,
  Namespace,
  Opaque,
  Partial,
  PyClass,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  PyInstance,
  PyList,
  PySet,
  PySlice,
  PyTuple,
  Sym,
  TensorVal,
  type Value,
  isInt,
  isNumeric,
  numOf,
  typeName,
  roundHalfEven,
} from './values';

/** Positional parameter names of PyTorch layer constructors; the first `required` have no default. */
interface LayerSig {
  params: string[];
  required: number;
}

const CONV = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode', 'device', 'dtype'];
const NORM = ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats', 'device', 'dtype'];
export const LAYER_SIGS: Record<string, LayerSig> = {
  Conv1d: { params: CONV, required: 3 },
  Conv2d: { params: CONV, required: 3 },
  Conv3d: { params: CONV, required: 3 },
  ConvTranspose2d: { params: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode', 'device', 'dtype'], required: 3 },
  BatchNorm1d: { params: NORM, required: 1 },
  BatchNorm2d: { params: NORM, required: 1 },
  BatchNorm3d: { params: NORM, required: 1 },
  InstanceNorm2d: { params: NORM, required: 1 },
  GroupNorm: { params: ['num_groups', 'num_channels', 'eps', 'affine', 'device', 'dtype'], required: 2 },
  LayerNorm: { params: ['normalized_shape', 'eps', 'elementwise_affine', 'device', 'dtype'], required: 1 },
  ReLU: { params: ['inplace'], required: 0 },
  ReLU6: { params: ['inplace'], required: 0 },
  LeakyReLU: { params: ['negative_slope', 'inplace'], required: 0 },
  GELU: { params: ['approximate'], required: 0 },
  SiLU: { params: ['inplace'], required: 0 },
  Mish: { params: ['inplace'], required: 0 },
  ELU: { params: ['alpha', 'inplace'], required: 0 },
  PReLU: { params: ['num_parameters', 'init', 'device', 'dtype'], required: 0 },
  Sigmoid: { params: [], required: 0 },
  Tanh: { params: [], required: 0 },
  Hardswish: { params: ['inplace'], required: 0 },
  Hardsigmoid: { params: ['inplace'], required: 0 },
  Softmax: { params: ['dim'], required: 0 },
  MaxPool2d: { params: ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'], required: 1 },
  AvgPool2d: { params: ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'], required: 1 },
  AdaptiveAvgPool2d: { params: ['output_size'], required: 1 },
  AdaptiveMaxPool2d: { params: ['output_size', 'return_indices'], required: 1 },
  Linear: { params: ['in_features', 'out_features', 'bias', 'device', 'dtype'], required: 2 },
  Flatten: { params: ['start_dim', 'end_dim'], required: 0 },
  Unflatten: { params: ['dim', 'unflattened_size'], required: 2 },
  Dropout: { params: ['p', 'inplace'], required: 0 },
  Dropout2d: { params: ['p', 'inplace'], required: 0 },
  Upsample: { params: ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor'], required: 0 },
  ZeroPad2d: { params: ['padding'], required: 1 },
  ConstantPad2d: { params: ['padding', 'value'], required: 2 },
  Softplus: { params: ['beta', 'threshold'], required: 0 },
};

/** The catalogue op whose PyTorch spelling is `nn.<type>`, if the catalogue has one. */
function catalogueOp(type: string): string | null {
  for (const [k, spec] of Object.entries(OPS)) if (spec.torch === `nn.${type}`) return k;
  return null;
}

/** A learnable tensor registered with `nn.Parameter`; in `forward` it reads as its tensor. */
class ParamValue extends Opaque {
  constructor(
    readonly numel: number | null,
    readonly tensor: TensorVal | null,
  ) {
    super('Parameter');
  }
}

/** Where a residual add or a layer check went wrong, for the quick fixes computed after the run. */
export interface AddEvent {
  at: Span;
  module: ModuleObj | null;
  /** The tensor the module's forward was called with. */
  blockInput: Tensor | null;
  main: Tensor;
  other: Tensor;
  diag: Diagnostic;
}

export interface LayerEvent {
  module: ModuleObj;
  diag: Diagnostic;
}

export class Library {
  readonly objectClass: BuiltinClass;
  readonly moduleClass: BuiltinClass;
  readonly sequentialClass: BuiltinClass;
  readonly moduleListClass: BuiltinClass;
  readonly moduleDictClass: BuiltinClass;
  readonly exceptionClasses = new Map<string, BuiltinClass>();
  readonly pythonTypes = new Map<string, BuiltinClass>();
  readonly ellipsis = new Opaque('Ellipsis');
  readonly fieldClass = new BuiltinClass('Field', 'dataclasses.Field', 'object', null);
  /** `@dataclass`: the interpreter gives such classes the `__init__` it would generate. */
  readonly dataclassDecorator = new Builtin('dataclass', (a) => a.pos[0] ?? new Builtin('dataclass', (b) => b.pos[0] ?? null));
  private readonly layerClasses = new Map<string, BuiltinClass>();
  private readonly modules = new Map<string, Namespace>();
  private readonly catalogueCache = new Map<string, string | null>();
  private readonly layerChecks = new Map<string, { params: number | null; error: string | null }>();

  /** The graph being built: a scratch one while modules are constructed, the real one in `forward`. */
  b: GraphBuilder;
  phase: 'build' | 'forward' = 'build';
  readonly paths = new Map<ModuleObj, string>();
  private readonly registeredPaths = new Set<string>();
  private readonly pathStack: string[] = [];
  readonly moduleStack: ModuleObj[] = [];
  private readonly inputStack: (Tensor | null)[] = [];
  /** `named_modules()` of the built model; dropped whenever a module is registered anywhere. */
  private walkCache: { root: ModuleObj; list: [string, ModuleObj][] } | null = null;
  /** Modules whose forward (or layer op) ran, to report registered modules that never did. */
  readonly called = new Set<ModuleObj>();
  readonly addEvents: AddEvent[] = [];
  readonly layerEvents: LayerEvent[] = [];
  /** Unknown objects kept on modules: if one is called on a tensor it is an unknown submodule. */
  private readonly opaqueOnModules = new WeakSet<Opaque>();
  /** Set when an unknown submodule ran: PyTorch counts parameters the analysis cannot see. */
  unknownSubmodule: string | null = null;
  /** Diagnostics of tensor code run while modules were being built (`self.features(torch.zeros(...))`). */
  readonly buildDiagnostics: Diagnostic[] = [];

  constructor(private readonly interp: Interp) {
    this.b = new GraphBuilder('build', interp.file);
    this.objectClass = new BuiltinClass('object', 'object', 'object', null);
    this.moduleClass = new BuiltinClass('Module', 'torch.nn.Module', 'module', this.objectClass);
    this.sequentialClass = new BuiltinClass('Sequential', 'torch.nn.Sequential', 'sequential', this.moduleClass);
    this.moduleListClass = new BuiltinClass('ModuleList', 'torch.nn.ModuleList', 'modulelist', this.moduleClass);
    this.moduleDictClass = new BuiltinClass('ModuleDict', 'torch.nn.ModuleDict', 'moduledict', this.moduleClass);
    this.installPythonTypes();
    this.installModules();
  }

  // ================================================================ Python types and exceptions

  private installPythonTypes(): void {
    const I = this.interp;
    const type = (name: string, construct: (a: CallArgs) => Value, isInstance: (v: Value) => boolean): void => {
      this.pythonTypes.set(name, new BuiltinClass(name, name, 'type', this.objectClass, { construct, isInstance }));
    };
    type(
      'int',
      (a) => {
        const v = a.pos[0] ?? 0;
        if (isNumeric(v)) return Math.trunc(numOf(v));
        if (v instanceof Sym) return I.syms.toInt(v);
        if (v instanceof CondVal) return v.assumed ? 1 : 0;
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
    type('bool', (a) => (a.pos.length ? I.truthyQuiet(a.pos[0]!) : false), (v) => typeof v === 'boolean');
    type('list', (a) => new PyList(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : []), (v) => v instanceof PyList);
    type('tuple', (a) => new PyTuple(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : []), (v) => v instanceof PyTuple);
    type('set', (a) => new PySet(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : []), (v) => v instanceof PySet);
    type('frozenset', (a) => new PySet(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : []), (v) => v instanceof PySet);
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

  private makeDict(a: CallArgs): PyDict {
    const d = new PyDict();
    const src = a.pos[0];
    if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
    else if (src !== undefined && src !== null) {
      for (const pair of this.interp.iterate(src, this.interp.site!)) {
        const kv = pair instanceof PyTuple || pair instanceof PyList ? pair.items : [];
        if (kv.length === 2) d.set(kv[0]!, kv[1]!);
        else this.interp.raise('ValueError', 'dictionary update sequence element has the wrong length');
      }
    }
    for (const [k, v] of a.kw) d.set(k, v);
    return d;
  }

  // ================================================================ modules (imports)

  private ns(name: string, members: Record<string, Value>, open = true, fallback: ((n: string) => Value | undefined) | null = null): Namespace {
    const n = new Namespace(name, new Map(Object.entries(members)), open, fallback);
    this.modules.set(name, n);
    return n;
  }

  private fn(name: string, f: (a: CallArgs) => Value): Builtin {
    return new Builtin(name, f);
  }

  /** Resolves an import. Unknown and relative modules are open namespaces whose members are opaque. */
  importModule(path: string[], _at: Span, level?: number): Namespace;
  importModule(path: string[], _at: Span, level: number, onlyKnown: true): Namespace | undefined;
  importModule(path: string[], _at: Span, level = 0, onlyKnown = false): Namespace | undefined {
    let name = path.join('.');
    if (level > 0) {
      // Relative imports resolve against the file's own package when it lives inside a known library.
      const dirs = this.interp.file.split(/[\\/]/).slice(0, -1);
      const pkgDirs = dirs.slice(0, dirs.length - (level - 1));
      const root = pkgDirs.lastIndexOf('torchvision');
      name = root >= 0 ? [...pkgDirs.slice(root), ...path].join('.') : `.${name}`;
    }
    const known = this.modules.get(name);
    if (known) return known;
    if (onlyKnown) return undefined;
    const n = new Namespace(name, new Map(), true);
    this.modules.set(name, n);
    return n;
  }

  private installModules(): void {
    const I = this.interp;
    const nn = this.installNn();
    const F = this.installFunctional();
    const init = this.ns('torch.nn.init', {}, true, () => this.fn('init', (a) => a.pos[0] ?? null));
    nn.members.set('init', init);
    nn.members.set('functional', F);
    // The legacy constructor: `torch.Tensor(4, 5)` is an uninitialised 4x5 tensor, `torch.Tensor([[1, 2]])` holds data.
    const legacyTensor = (a: CallArgs): Value => {
      if (a.pos.length > 0 && a.pos.every((v) => isInt(v) || v instanceof Sym)) return this.newTensor(a);
      const data = a.pos.length === 1 ? a.pos[0]! : undefined;
      if (data instanceof PyList || data instanceof PyTuple) {
        const shape: number[] = [];
        for (let v: Value = data; v instanceof PyList || v instanceof PyTuple; v = v.items[0] ?? null) shape.push(v.items.length);
        return this.newTensor({ pos: shape, kw: [] });
      }
      if (a.pos.length === 0) return this.newTensor({ pos: [0], kw: [] });
      return new Opaque('Tensor(...)');
    };
    const tensorClass = new BuiltinClass('Tensor', 'torch.Tensor', 'opaque', this.objectClass, { isInstance: (v) => v instanceof TensorVal, construct: legacyTensor });
    const torch = this.ns('torch', {
      nn,
      Tensor: tensorClass,
      FloatTensor: new BuiltinClass('FloatTensor', 'torch.FloatTensor', 'opaque', tensorClass, { isInstance: (v) => v instanceof TensorVal, construct: legacyTensor }),
      flatten: this.fn('flatten', (a) => this.flattenFn(a, 0)),
      cat: this.fn('cat', (a) => this.catFn(a)),
      concat: this.fn('concat', (a) => this.catFn(a)),
      chunk: this.fn('chunk', (a) => {
        const [x, chunks, dim] = this.bind(a, ['input', 'chunks', 'dim'], 'chunk');
        return this.splitFn(x ?? null, chunks ?? null, dim ?? 0, 'chunk');
      }),
      split: this.fn('split', (a) => {
        const [x, size, dim] = this.bind(a, ['tensor', 'split_size_or_sections', 'dim'], 'split');
        return this.splitFn(x ?? null, size ?? null, dim ?? 0, 'split');
      }),
      add: this.fn('add', (a) => this.addFn(a)),
      relu: this.fn('relu', (a) => this.activationFn('ReLU', 'relu', a)),
      relu_: this.fn('relu_', (a) => this.activationFn('ReLU', 'relu', a)),
      sigmoid: this.fn('sigmoid', (a) => this.activationFn('Sigmoid', 'sigmoid', a)),
      tanh: this.fn('tanh', (a) => this.activationFn('Tanh', 'tanh', a)),
      mean: this.fn('mean', (a) => this.meanFn(a.pos[0] ?? null, { pos: a.pos.slice(1), kw: a.kw })),
      ...Object.fromEntries((['sum', 'max', 'min', 'amax', 'amin'] as const).map((k) => [k, this.fn(k, (a) => this.reduceFn(k, a.pos[0] ?? null, { pos: a.pos.slice(1), kw: a.kw }))])),
      matmul: this.fn('matmul', (a) => this.matmulFn(a.pos[0], a.pos[1], 'matmul')),
      mm: this.fn('mm', (a) => this.matmulFn(a.pos[0], a.pos[1], 'mm')),
      bmm: this.fn('bmm', (a) => this.matmulFn(a.pos[0], a.pos[1], 'bmm')),
      // torch.softmax / log_softmax are F's.
      softmax: F.members.get('softmax')!,
      log_softmax: F.members.get('log_softmax')!,
      einsum: this.fn('einsum', (a) => {
        const [eq, ...rest] = a.pos;
        const operands = rest.length === 1 && (rest[0] instanceof PyList || rest[0] instanceof PyTuple) ? (rest[0] as PyList).items : rest;
        return this.fop('einsum', { equation: typeof eq === 'string' ? eq : '' }, operands.map((t) => this.asTensor(t, 'einsum')), 'einsum');
      }),
      where: this.fn('where', (a) => {
        const ts = a.pos.slice(0, 3).filter((v): v is TensorVal => v instanceof TensorVal).map((v) => this.localize(v));
        return this.fop('where', {}, ts, 'where');
      }),
      unsqueeze: this.fn('unsqueeze', (a) => {
        const [x, dim] = this.bind(a, ['input', 'dim'], 'unsqueeze');
        return this.fop('unsqueeze', { dim: this.toAttr(dim ?? 0) }, [this.asTensor(x, 'unsqueeze')], 'unsqueeze');
      }),
      squeeze: this.fn('squeeze', (a) => {
        const [x, dim] = this.bind(a, ['input', 'dim'], 'squeeze');
        return this.fop('squeeze', { dim: dim === undefined ? null : this.toAttr(dim) }, [this.asTensor(x, 'squeeze')], 'squeeze');
      }),
      transpose: this.fn('transpose', (a) => {
        const [x, d0, d1] = this.bind(a, ['input', 'dim0', 'dim1'], 'transpose');
        return this.fop('permute', { dims: [this.toAttr(d0 ?? 0), this.toAttr(d1 ?? 1)], swap: true }, [this.asTensor(x, 'transpose')], 'transpose');
      }),
      permute: this.fn('permute', (a) => {
        const [x, dims] = this.bind(a, ['input', 'dims'], 'permute');
        return this.fop('permute', { dims: this.interp.iterate(dims ?? null, this.interp.site!).map((d) => this.toAttr(d)) }, [this.asTensor(x, 'permute')], 'permute');
      }),
      clamp: this.pointwiseFn('clamp'),
      abs: this.pointwiseFn('abs'),
      exp: this.pointwiseFn('exp'),
      zeros_like: this.fn('zeros_like', (a) => this.likeTensor(a.pos[0])),
      ones_like: this.fn('ones_like', (a) => this.likeTensor(a.pos[0])),
      empty_like: this.fn('empty_like', (a) => this.likeTensor(a.pos[0])),
      rand_like: this.fn('rand_like', (a) => this.likeTensor(a.pos[0])),
      randn_like: this.fn('randn_like', (a) => this.likeTensor(a.pos[0])),
      full_like: this.fn('full_like', (a) => this.likeTensor(a.pos[0])),
      maximum: this.fn('maximum', (a) => this.fop('maximum', {}, [this.asTensor(a.pos[0], 'maximum'), this.asTensor(a.pos[1], 'maximum')], 'maximum')),
      minimum: this.fn('minimum', (a) => this.fop('minimum', {}, [this.asTensor(a.pos[0], 'minimum'), this.asTensor(a.pos[1], 'minimum')], 'minimum')),
      zeros: this.fn('zeros', (a) => this.newTensor(a)),
      ones: this.fn('ones', (a) => this.newTensor(a)),
      randn: this.fn('randn', (a) => this.newTensor(a)),
      rand: this.fn('rand', (a) => this.newTensor(a)),
      empty: this.fn('empty', (a) => this.newTensor(a)),
      no_grad: this.fn('no_grad', () => new Opaque('no_grad')),
      Size: this.fn('Size', (a) => new PyTuple(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])),
      is_tensor: this.fn('is_tensor', (a) => a.pos[0] instanceof TensorVal),
      __version__: '1.13.0',
    });
    torch.members.set('functional', F);
    this.modules.set('torch.nn.modules', nn);
    this.ns('torch.utils', {});
    this.ns('torch.utils.checkpoint', {
      checkpoint: this.fn('checkpoint', (a) => I.call(a.pos[0] ?? null, { pos: a.pos.slice(1), kw: a.kw.filter(([k]) => k !== 'use_reentrant' && k !== 'preserve_rng_state') })),
    });
    const passThrough = (name: string): Builtin => this.fn(name, (a) => (a.pos.length === 1 && !a.kw.length ? a.pos[0]! : this.fn(name, (b) => b.pos[0] ?? null)));
    // TorchScript: a ScriptModule is a Module, and the decorators and `script()` leave the code as written.
    torch.members.set(
      'jit',
      this.ns('torch.jit', {
        ScriptModule: this.moduleClass,
        script_method: passThrough('script_method'),
        script: passThrough('script'),
        ignore: passThrough('ignore'),
        unused: passThrough('unused'),
        export: passThrough('export'),
        is_scripting: this.fn('is_scripting', () => false),
        is_tracing: this.fn('is_tracing', () => false),
      }),
    );
    this.ns('functools', {
      partial: this.fn('partial', (a) => (a.pos.length ? new Partial(a.pos[0]!, { pos: a.pos.slice(1), kw: a.kw }) : I.raise('TypeError', 'partial expected at least 1 argument'))),
      wraps: this.fn('wraps', () => this.fn('wrapper', (b) => b.pos[0] ?? null)),
      lru_cache: passThrough('lru_cache'),
      cache: passThrough('cache'),
      reduce: this.fn('reduce', (a) => {
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
    const abcs = Object.fromEntries(Object.entries(abcTests).map(([n, t]) => [n, new BuiltinClass(n, `collections.abc.${n}`, 'type', this.objectClass, { isInstance: t })]));
    const typing = this.ns('typing', {
      ...abcs,
      cast: this.fn('cast', (a) => a.pos[1] ?? null),
      TYPE_CHECKING: false,
      overload: passThrough('overload'),
      final: passThrough('final'),
    });
    this.modules.set('typing_extensions', typing);
    const ordered = new BuiltinClass('OrderedDict', 'collections.OrderedDict', 'type', this.objectClass, { construct: (a) => this.makeDict(a), isInstance: (v) => v instanceof PyDict });
    this.ns('collections', {
      OrderedDict: ordered,
      defaultdict: this.fn('defaultdict', () => new PyDict()),
      deque: this.fn('deque', (a) => new PyList(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])),
      namedtuple: this.fn('namedtuple', () => new Opaque('namedtuple')),
    });
    this.ns('collections.abc', abcs);
    const enumBase = new BuiltinClass('Enum', 'enum.Enum', 'object', this.objectClass);
    this.ns('enum', { Enum: enumBase, IntEnum: enumBase, auto: this.fn('auto', () => new Opaque('auto')) });
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
    this.ns('math', {
      ceil: this.fn('ceil', num(Math.ceil, true)),
      floor: this.fn('floor', num(Math.floor, true)),
      sqrt: this.fn('sqrt', num(Math.sqrt)),
      log: this.fn('log', num(Math.log)),
      log2: this.fn('log2', num(Math.log2)),
      exp: this.fn('exp', num(Math.exp)),
      pi: new PyFloat(Math.PI),
      e: new PyFloat(Math.E),
      inf: new PyFloat(Infinity),
      gcd: this.fn('gcd', (a) => {
        let [x, y] = a.pos.map((v) => (isInt(v ?? null) ? Math.abs(numOf(v as number)) : NaN));
        if (x === undefined || y === undefined || Number.isNaN(x) || Number.isNaN(y)) return new Opaque('gcd');
        while (y) [x, y] = [y, x % y];
        return x;
      }),
      prod: this.fn('prod', fold('*', 1)),
      isclose: this.fn('isclose', (a) => (isNumeric(a.pos[0] ?? null) && isNumeric(a.pos[1] ?? null) ? Math.abs(numOf(a.pos[0] as number) - numOf(a.pos[1] as number)) < 1e-9 : new Opaque('isclose'))),
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
    this.ns('numpy', {
      pi: new PyFloat(Math.PI),
      e: new PyFloat(Math.E),
      inf: new PyFloat(Infinity),
      sqrt: this.fn('sqrt', num(Math.sqrt)),
      log: this.fn('log', num(Math.log)),
      log2: this.fn('log2', num(Math.log2)),
      exp: this.fn('exp', num(Math.exp)),
      ceil: this.fn('ceil', num(Math.ceil)),
      floor: this.fn('floor', num(Math.floor)),
      round: this.fn('round', npRound),
      around: this.fn('around', npRound),
      abs: this.fn('abs', (a) => {
        const v = a.pos[0] ?? null;
        return v instanceof PyFloat ? new PyFloat(Math.abs(v.v)) : isNumeric(v) ? Math.abs(numOf(v)) : new Opaque('numpy.abs');
      }),
      prod: this.fn('prod', fold('*', 1)),
      sum: this.fn('sum', fold('+', 0)),
      maximum: this.fn('maximum', pick(Math.max)),
      minimum: this.fn('minimum', pick(Math.min)),
      int_: this.fn('int_', toInt),
      int32: this.fn('int32', toInt),
      int64: this.fn('int64', toInt),
      float32: this.fn('float32', toFloat),
      float64: this.fn('float64', toFloat),
      float_: this.fn('float_', toFloat),
    });
    this.ns('copy', {
      copy: this.fn('copy', (a) => a.pos[0] ?? null),
      deepcopy: this.fn('deepcopy', (a) => this.deepCopy(a.pos[0] ?? null, new Map())),
    });
    this.ns('abc', { ABC: this.objectClass, abstractmethod: passThrough('abstractmethod') });
    this.ns('dataclasses', {
      dataclass: this.dataclassDecorator,
      // A field's options, read by the generated __init__ (default, default_factory).
      field: this.fn('field', (a) => {
        const f = new PyInstance(this.fieldClass);
        for (const [k, v] of a.kw) f.attrs.set(k, v);
        return f;
      }),
    });
    this.ns('warnings', { warn: this.fn('warn', () => null) });
    this.ns('torchvision', {});
    this.ns('torchvision.models', {});
    // torchvision's weights plumbing: `verify(None)` is None, so factories called without weights build plain models.
    const weightsEnum = new BuiltinClass('WeightsEnum', 'torchvision.models._api.WeightsEnum', 'opaque', this.objectClass, {
      attrs: { verify: this.fn('verify', (a) => (a.pos[0] === null || a.pos[0] === undefined ? null : new Opaque('weights'))) },
    });
    this.ns('torchvision.models._api', {
      WeightsEnum: weightsEnum,
      Weights: this.fn('Weights', () => new Opaque('Weights')),
      register_model: this.fn('register_model', () => this.fn('wrapper', (b) => b.pos[0] ?? null)),
    });
    this.ns('torchvision.models._utils', {
      _ovewrite_named_param: this.fn('_ovewrite_named_param', (a) => {
        const [kwargs, param, value] = a.pos;
        if (!(kwargs instanceof PyDict) || typeof param !== 'string') return null;
        const cur = kwargs.get(param);
        if (cur !== undefined) {
          if (I.equals(cur, value ?? null) !== true) I.raise('ValueError', `The parameter '${param}' expected value ${I.str(value ?? null)} but got ${I.str(cur)} instead.`);
        } else kwargs.set(param, value ?? null);
        return null;
      }),
      handle_legacy_interface: this.fn('handle_legacy_interface', () => this.fn('wrapper', (b) => b.pos[0] ?? null)),
      _log_api_usage_once: this.fn('_log_api_usage_once', () => null),
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

  // ================================================================ torch.nn

  private installNn(): Namespace {
    const nn = this.ns(
      'torch.nn',
      {
        Module: this.moduleClass,
        Sequential: this.sequentialClass,
        ModuleList: this.moduleListClass,
        ModuleDict: this.moduleDictClass,
        Parameter: this.fn('Parameter', (a) => {
          const t = a.pos[0];
          return t instanceof TensorVal ? new ParamValue(t.t.shape ? numelOf(t.t.shape) : null, t) : new ParamValue(null, null);
        }),
        utils: new Namespace('torch.nn.utils', new Map(), true),
      },
      true,
      (name) => (/^[A-Z]/.test(name) ? this.layerClass(name) : undefined),
    );
    for (const name of Object.keys(LAYER_SIGS)) nn.members.set(name, this.layerClass(name));
    for (const spec of Object.values(OPS)) {
      const m = /^nn\.(\w+)$/.exec(spec.torch);
      if (m) nn.members.set(m[1]!, this.layerClass(m[1]!));
    }
    return nn;
  }

  private layerClass(type: string): BuiltinClass {
    let c = this.layerClasses.get(type);
    if (!c) {
      c = new BuiltinClass(type, `torch.nn.${type}`, 'layer', this.moduleClass);
      this.layerClasses.set(type, c);
    }
    return c;
  }

  private opFor(type: string): string | null {
    if (!this.catalogueCache.has(type)) this.catalogueCache.set(type, catalogueOp(type));
    return this.catalogueCache.get(type)!;
  }

  /** `SomeBuiltinClass(...)`. */
  constructBuiltin(cls: BuiltinClass, args: CallArgs): Value {
    if (cls.impl.construct) return cls.impl.construct(args);
    if (cls.kind === 'module' || cls.kind === 'sequential' || cls.kind === 'modulelist' || cls.kind === 'moduledict' || cls.kind === 'layer') {
      const m = new ModuleObj(cls);
      this.noteConstruction(m);
      this.builtinInit(cls, m, args);
      return m;
    }
    if (cls.kind === 'object') return new PyInstance(cls);
    return new Opaque(cls.name);
  }

  /** Records where a module is made: the innermost constructor call in the user's code. */
  noteConstruction(m: ModuleObj): void {
    const site = this.interp.site;
    if (site) {
      m.definedAt = this.interp.range(site);
      if ('k' in site && (site as { k: string }).k === 'call') {
        const call = site as unknown as ModuleObj['ctorCall'] & object;
        m.ctorCall = call;
        this.interp.instancesBySite.set(call, (this.interp.instancesBySite.get(call) ?? 0) + 1);
      }
    }
    m.ctorScope = this.interp.scope;
  }

  /** `__init__` of a built-in class, run on `obj` (directly or through `super().__init__(...)`). */
  builtinInit(c: BuiltinClass, obj: PyInstance, args: CallArgs): void {
    if (!(obj instanceof ModuleObj)) {
      if (c.kind === 'exception') obj.attrs.set('args', new PyTuple(args.pos));
      return;
    }
    switch (c.kind) {
      case 'module':
        obj.initialized = true;
        return;
      case 'sequential': {
        obj.initialized = true;
        obj.container = 'sequential';
        const first = args.pos[0];
        if (args.pos.length === 1 && first instanceof PyDict) {
          for (const [k, v] of first.entries()) this.register(obj, this.interp.str(k), v);
        } else args.pos.forEach((v, i) => this.register(obj, String(i), v));
        return;
      }
      case 'modulelist': {
        obj.initialized = true;
        obj.container = 'modulelist';
        const src = args.pos[0] ?? args.kw.find(([k]) => k === 'modules')?.[1];
        if (src !== undefined && src !== null) this.interp.iterate(src, this.interp.site!).forEach((v, i) => this.register(obj, String(i), v));
        return;
      }
      case 'moduledict': {
        obj.initialized = true;
        obj.container = 'moduledict';
        const src = args.pos[0] ?? args.kw.find(([k]) => k === 'modules')?.[1];
        if (src instanceof PyDict) for (const [k, v] of src.entries()) this.register(obj, this.interp.str(k), v);
        else if (src !== undefined && src !== null) {
          for (const pair of this.interp.iterate(src, this.interp.site!)) {
            if (pair instanceof PyTuple || pair instanceof PyList) this.register(obj, this.interp.str(pair.items[0] ?? null), pair.items[1] ?? null);
          }
        }
        return;
      }
      case 'layer':
        this.initLayer(c.name, obj, args);
        return;
      default:
        return;
    }
  }

  private register(m: ModuleObj, name: string, v: Value): void {
    this.walkCache = null;
    if (v instanceof ModuleObj) {
      m.modules.set(name, v);
      return;
    }
    const what = v instanceof Opaque ? v.what : v instanceof PyInstance && hasOpaqueBase(v.cls) ? v.cls.name : null;
    if (what === null) return this.interp.raise('TypeError', `${typeName(v)} is not a Module subclass`);
    // Most likely a module from another package: it keeps its place, and what it does is unknown.
    this.interp.info(this.interp.site, `${this.interp.site ? this.interp.snippet(this.interp.site) : 'a container'}: entry '${name}' (${what}) is not a module the analysis knows; its shapes and parameters are unknown`);
    m.modules.set(name, this.unknownModule(what));
  }

  /** A stand-in module for something the analysis cannot see into: unknown output shape and parameters. */
  private unknownModule(what: string): ModuleObj {
    const name = /^[A-Za-z_][\w.]*/.exec(what)?.[0].split('.').pop() ?? 'Unknown';
    const m = new ModuleObj(new BuiltinClass(name, what, 'layer', this.moduleClass));
    m.initialized = true;
    m.layer = { type: name, op: null, attrs: {}, params: null, unknown: what };
    this.noteConstruction(m);
    return m;
  }

  private initLayer(type: string, m: ModuleObj, args: CallArgs): void {
    const I = this.interp;
    const sig = LAYER_SIGS[type];
    const op = this.opFor(type);
    const attrs: Attrs = {};
    const bound = new Map<string, Value>();
    if (sig) {
      if (args.pos.length > sig.params.length) I.raise('TypeError', `${type}.__init__() takes at most ${sig.params.length} positional arguments but ${args.pos.length} were given`);
      args.pos.forEach((v, i) => bound.set(sig.params[i]!, v));
      for (const [k, v] of args.kw) {
        if (!sig.params.includes(k)) I.raise('TypeError', `${type}.__init__() got an unexpected keyword argument '${k}'`);
        if (bound.has(k)) I.raise('TypeError', `${type}.__init__() got multiple values for argument '${k}'`);
        bound.set(k, v);
      }
      const missing = sig.params.slice(0, sig.required).filter((p) => !bound.has(p));
      if (missing.length) I.raise('TypeError', `${type}.__init__() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${missing.map((p) => `'${p}'`).join(' and ')}`);
    } else if (type !== 'Identity') {
      for (const [k, v] of args.kw) bound.set(k, v);
    }
    for (const [k, v] of bound) attrs[k] = this.toAttr(v);
    m.initialized = true;
    if (type === 'Identity') {
      m.layer = { type, op: 'Identity', attrs: {}, params: 0 };
      return;
    }
    if (!op) {
      I.info(I.site, `nn.${type} is not in the layer catalogue: its output shape and parameters are unknown`, 'pytorch/unknown-layer');
      m.layer = { type, op: null, attrs, params: null };
      return;
    }
    const spec = opSpec(op)!;
    const kept: Attrs = {};
    for (const k of Object.keys(attrs)) if (k in spec.defaults) kept[k] = attrs[k]!;
    // Models repeat the same layer configuration many times; its input-free check and count are cached.
    const key = `${op}|${JSON.stringify(kept)}`;
    let checked = this.layerChecks.get(key);
    if (!checked) {
      const r = spec.infer(withDefaults(op, kept), [null]);
      checked = { params: r.params, error: r.issues.find((i) => i.severity === 'error')?.message ?? null };
      this.layerChecks.set(key, checked);
    }
    // Errors that need no input (groups that do not divide the channels) are raised by PyTorch's constructor.
    if (checked.error !== null) I.raise('ValueError', checked.error);
    m.layer = { type, op, attrs: kept, params: checked.params };
  }

  /** A Python value as an IR attribute; symbols become their rendered expression. */
  toAttr(v: Value): AttrValue {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v instanceof PyFloat) return v.v;
    if (v instanceof Sym) return this.interp.dimText(v);
    if (v instanceof CondVal) return v.assumed;
    if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => this.toAttr(x));
    return null;
  }

  builtinMethodOfClass(c: BuiltinClass, name: string): Value {
    if (name === '__init__') {
      return this.fn('__init__', (a) => {
        const self = a.pos[0];
        if (self instanceof PyInstance) this.builtinInit(c, self, { pos: a.pos.slice(1), kw: a.kw });
        return null;
      });
    }
    return this.fn(name, (a) => {
      const self = a.pos[0];
      if (self instanceof ModuleObj) return this.builtinForward(self, { pos: a.pos.slice(1), kw: a.kw }, c);
      return new Opaque(name);
    });
  }

  classAttr(c: BuiltinClass, name: string, at: Span): Value {
    if (name === '__name__') return c.name;
    const own = c.impl.attrs?.[name];
    if (own !== undefined) return own;
    if (name === '__init__' || name === 'forward') return this.builtinMethodOfClass(c, name);
    if (c.kind === 'opaque' || c.kind === 'object') return new Opaque(`${c.name}.${name}`);
    return this.interp.raise('AttributeError', `type object '${c.name}' has no attribute '${name}'`, at);
  }

  // ================================================================ module attributes

  moduleAttr(m: ModuleObj, name: string, at: Span): Value {
    const own = m.attrs.get(name);
    // A parameter used in forward (`x * self.scale`) is a tensor of its shape.
    if (own instanceof ParamValue && own.tensor && this.phase === 'forward') return own.tensor;
    if (own !== undefined) return own;
    if (m.cls instanceof PyClass) {
      const c = m.cls.lookup(name);
      if (c !== undefined) {
        if (c instanceof PyFunction) {
          if (c.kind === 'function') return new BoundMethod(m, c);
          if (c.kind === 'classmethod') return new BoundMethod(m.cls, c);
          if (c.kind === 'staticmethod') return c.withKind('function');
          if (c.kind === 'property') return this.interp.invoke(c, { pos: [m], kw: [] });
        }
        return c;
      }
    }
    if (m.modules.has(name)) return m.modules.get(name)!;
    if (m.layer) {
      if (name === 'weight' || name === 'bias') return this.layerParam(m, name);
      let a = m.layer.attrs[name];
      const spec = m.layer.op ? opSpec(m.layer.op) : undefined;
      // Attributes left at their defaults still exist on the module (`m.groups`, `bn.eps`, `pool.stride`).
      if (a === undefined && spec && name in spec.defaults) {
        a = spec.defaults[name]!;
        if (name === 'stride' && a === null && /Pool/.test(m.layer.type)) a = m.layer.attrs['kernel_size'] ?? null; // PyTorch: stride defaults to kernel_size
      }
      const conv = /^Conv(Transpose)?([123])d$/.exec(m.layer.type);
      if (conv && ['kernel_size', 'stride', 'padding', 'dilation', 'output_padding'].includes(name)) {
        // Convolutions store these as tuples, one entry per spatial dimension (`m.kernel_size[0]`).
        a ??= name === 'stride' || name === 'dilation' ? 1 : name === 'kernel_size' ? null : 0;
        if (typeof a === 'number') a = Array.from({ length: Number(conv[2]) }, () => a as number);
      }
      if (a !== undefined) return this.fromAttr(a);
    }
    if (name === 'training') return this.phase !== 'forward';
    if (name === '__class__') return m.cls;
    if (m.layer && !m.layer.op) {
      // A layer outside the catalogue: its own attributes are unknown, not missing.
      try {
        return this.builtinModuleMethod(m, name, at, null);
      } catch (e) {
        if (e instanceof PyError && e.pyType === 'AttributeError') return new Opaque(`${m.layer.type}.${name}`);
        throw e;
      }
    }
    return this.builtinModuleMethod(m, name, at, null);
  }

  private readonly layerParams = new WeakMap<ModuleObj, Map<string, ParamValue>>();

  /** The tensor behind a parameter value, when its shape is known. */
  paramTensor(v: Value): TensorVal | null {
    return v instanceof ParamValue ? v.tensor : null;
  }

  /**
   * A built-in layer's `weight` or `bias`, shaped as PyTorch shapes it (Conv2d [out, in/groups, kh, kw],
   * ConvTranspose2d [in, out/groups, kh, kw], Linear [out, in], norms [C]), so init code can read
   * `m.weight.shape` and forward code can use it as a tensor. The same object on every read.
   */
  private layerParam(m: ModuleObj, name: 'weight' | 'bias'): Value {
    const layer = m.layer!;
    const a = layer.attrs;
    const affine = a['affine'] ?? a['elementwise_affine'];
    if (name === 'bias' && a['bias'] === false) return null;
    if (/Norm/.test(layer.type) && (affine === false || (affine === undefined && layer.type.startsWith('InstanceNorm')))) return null;
    let cache = this.layerParams.get(m);
    if (!cache) this.layerParams.set(m, (cache = new Map()));
    let p = cache.get(name);
    if (!p) {
      const int = (v: AttrValue | undefined): number | null => (typeof v === 'number' ? v : null);
      const k = Array.isArray(a['kernel_size']) ? (a['kernel_size'] as AttrValue[]).map(int) : [int(a['kernel_size']), int(a['kernel_size'])];
      const g = int(a['groups'] ?? 1);
      const div = (x: number | null): number | null => (x !== null && g ? Math.floor(x / g) : null);
      const [cin, cout] = [int(a['in_channels']), int(a['out_channels'])];
      let shape: (number | null)[] | null = null;
      if (layer.type === 'Conv2d') shape = name === 'weight' ? [cout, div(cin), k[0] ?? null, k[1] ?? null] : [cout];
      else if (layer.type === 'ConvTranspose2d') shape = name === 'weight' ? [cin, div(cout), k[0] ?? null, k[1] ?? null] : [cout];
      else if (layer.type === 'Linear') shape = name === 'weight' ? [int(a['out_features']), int(a['in_features'])] : [int(a['out_features'])];
      else if (/^(BatchNorm|InstanceNorm)/.test(layer.type)) shape = [int(a['num_features'])];
      else if (layer.type === 'GroupNorm') shape = [int(a['num_channels'])];
      else if (layer.type === 'PReLU') shape = [int(a['num_parameters'] ?? 1)];
      if (shape && shape.every((d) => d !== null)) {
        const t = this.newTensor({ pos: shape as number[], kw: [] }) as TensorVal;
        p = new ParamValue(numelOf(shape as number[]), t);
      } else p = new ParamValue(null, null);
      cache.set(name, p);
    }
    return this.phase === 'forward' && p.tensor ? p.tensor : p;
  }

  private fromAttr(a: AttrValue): Value {
    if (typeof a === 'number' && !Number.isInteger(a)) return new PyFloat(a);
    if (a === null || typeof a === 'number' || typeof a === 'boolean') return a;
    if (typeof a === 'string') return a;
    if (Array.isArray(a)) return new PyTuple(a.map((x) => this.fromAttr(x)));
    return new Opaque('attribute');
  }

  /** nn.Module's own methods (and the containers'), bound to `m`. */
  builtinModuleMethod(m: ModuleObj, name: string, at: Span, from: BuiltinClass | null): Value {
    const I = this.interp;
    if (name !== 'modules' && name !== 'named_modules' && name !== 'children' && name !== 'named_children') this.structureChanged();
    const self = (): Value => m;
    const f = (fn: (a: CallArgs) => Value): Builtin => this.fn(name, fn);
    switch (name) {
      case '__init__':
        return f((a) => {
          this.builtinInit(from ?? (m.cls instanceof BuiltinClass ? m.cls : m.cls.builtinBase() ?? this.moduleClass), m, a);
          return null;
        });
      case 'forward':
        return f((a) => this.builtinForward(m, a, from));
      case 'modules':
        return f(() => new PyList(this.walkModules(m).map(([, x]) => x)));
      case 'named_modules':
        return f(() => new PyList(this.walkModules(m).map(([p, x]) => new PyTuple([p, x]))));
      case 'children':
        return f(() => new PyList(this.children(m).map(([, x]) => x)));
      case 'named_children':
        return f(() => new PyList(this.children(m).map(([k, x]) => new PyTuple([k, x]))));
      case 'parameters':
      case 'named_parameters':
      case 'buffers':
      case 'named_buffers':
      case 'state_dict':
      case 'load_state_dict':
        return f(() => new Opaque(name));
      case 'apply':
        return f((a) => {
          const fn = a.pos[0] ?? null;
          const order: ModuleObj[] = [];
          const seen = new Set<ModuleObj>();
          const post = (x: ModuleObj): void => {
            if (seen.has(x)) return;
            seen.add(x);
            for (const c of x.modules.values()) if (c) post(c);
            order.push(x);
          };
          post(m);
          for (const x of order) I.call(fn, { pos: [x], kw: [] });
          return m;
        });
      case 'add_module':
      case 'register_module':
        return f((a) => {
          const [k, v] = a.pos;
          if (v instanceof ModuleObj || v === null) m.modules.set(I.str(k ?? null), v ?? null);
          return null;
        });
      case 'register_buffer':
      case 'register_parameter':
        return f((a) => {
          const k = a.pos[0] ?? a.kw.find(([n]) => n === 'name')?.[1];
          const v = a.pos[1] ?? a.kw.find(([n]) => n === 'tensor' || n === 'param')?.[1] ?? null;
          // Buffers are read back in forward (`self.mean`) but are not parameters; registered parameters are.
          if (typeof k === 'string') m.attrs.set(k, name === 'register_parameter' && !(v instanceof ParamValue) && v !== null ? new ParamValue(null, null) : v);
          return null;
        });
      case 'eval':
      case 'train':
      case 'to':
      case 'cuda':
      case 'cpu':
      case 'float':
      case 'double':
      case 'half':
      case 'requires_grad_':
      case 'type':
      case 'share_memory':
        return f(self);
      case 'zero_grad':
        return f(() => null);
      case '__setattr__':
        return f((a) => {
          I.setAttr(m, I.str(a.pos[0] ?? ''), a.pos[1] ?? null, at);
          return null;
        });
      case '__getattr__':
      case '__getattribute__':
        return f((a) => this.moduleAttr(m, I.str(a.pos[0] ?? ''), at));
      case 'register_forward_hook':
      case 'register_forward_pre_hook':
      case 'register_backward_hook':
      case 'register_full_backward_hook':
      case 'register_full_backward_pre_hook':
        // Hooks run outside the shapes the analysis follows: registering one changes nothing here.
        return f(() => new Opaque('hook handle'));
      case 'extra_repr':
        return f(() => '');
      case 'get_submodule':
        return f((a) => {
          let cur: Value = m;
          for (const part of I.str(a.pos[0] ?? '').split('.').filter(Boolean)) cur = cur instanceof ModuleObj ? this.moduleAttr(cur, part, at) : I.raise('AttributeError', part, at);
          return cur;
        });
    }
    if (m.container === 'sequential' || m.container === 'modulelist') {
      switch (name) {
        case 'append':
          return f((a) => {
            this.register(m, String(m.modules.size), a.pos[0] ?? null);
            return m;
          });
        case 'extend':
          return f((a) => {
            for (const v of I.iterate(a.pos[0] ?? null, I.site!)) this.register(m, String(m.modules.size), v);
            return m;
          });
        case 'insert':
          return f((a) => {
            const items = [...m.modules.values()];
            const i = isInt(a.pos[0] ?? null) ? numOf(a.pos[0] as number) : items.length;
            const v = a.pos[1] ?? null;
            if (!(v instanceof ModuleObj)) return I.raise('TypeError', `${typeName(v)} is not a Module subclass`);
            items.splice(i < 0 ? i + items.length : i, 0, v);
            m.modules.clear();
            items.forEach((x, j) => m.modules.set(String(j), x));
            return null;
          });
        case 'pop':
          return f((a) => {
            const items = [...m.modules.entries()];
            const i = isInt(a.pos[0] ?? null) ? numOf(a.pos[0] as number) : items.length - 1;
            const idx = i < 0 ? i + items.length : i;
            const hit = items[idx];
            if (!hit) return I.raise('IndexError', 'pop index out of range');
            m.modules.delete(hit[0]);
            return hit[1];
          });
        case '__len__':
          return f(() => m.modules.size);
      }
    }
    if (m.container === 'moduledict') {
      switch (name) {
        case 'keys':
          return f(() => new PyList([...m.modules.keys()]));
        case 'values':
          return f(() => new PyList([...m.modules.values()]));
        case 'items':
          return f(() => new PyList([...m.modules.entries()].map(([k, v]) => new PyTuple([k, v]))));
        case 'update':
          return f((a) => {
            const src = a.pos[0];
            if (src instanceof PyDict) for (const [k, v] of src.entries()) this.register(m, I.str(k), v);
            return null;
          });
        case 'pop':
          return f((a) => {
            const k = I.str(a.pos[0] ?? null);
            const v = m.modules.get(k);
            m.modules.delete(k);
            return v ?? null;
          });
      }
    }
    return I.raise('AttributeError', `'${m.cls.name}' object has no attribute '${name}'`, at);
  }

  setModuleAttr(m: ModuleObj, name: string, v: Value, at: Span): void {
    if (v instanceof ModuleObj || m.modules.has(name)) this.walkCache = null;
    if (v instanceof ModuleObj) {
      if (!m.initialized) this.interp.raise('AttributeError', 'cannot assign module before Module.__init__() call', at);
      m.attrs.delete(name);
      m.modules.set(name, v);
      return;
    }
    if (m.modules.has(name)) {
      if (v === null) {
        m.modules.set(name, null);
        return;
      }
      this.interp.raise('TypeError', `cannot assign '${typeName(v)}' as child module '${name}' (torch.nn.Module or None expected)`, at);
    }
    if (v instanceof Opaque) this.opaqueOnModules.add(v);
    m.attrs.set(name, v);
  }

  moduleItem(m: ModuleObj, idx: Value, at: Span): Value {
    const I = this.interp;
    if (m.container === 'moduledict') {
      const k = I.str(idx);
      const v = m.modules.get(k);
      if (v === undefined) return I.raise('KeyError', `'${k}'`, at);
      return v;
    }
    if (m.container === 'sequential' || m.container === 'modulelist') {
      const entries = [...m.modules.entries()].filter((e): e is [string, ModuleObj] => e[1] !== null);
      if (idx instanceof PySlice) {
        const picked = sliceEntries(entries, idx, I);
        const out = new ModuleObj(m.container === 'sequential' ? this.sequentialClass : this.moduleListClass);
        out.initialized = true;
        out.container = m.container;
        out.definedAt = m.definedAt;
        picked.forEach(([k, v], i) => out.modules.set(m.container === 'sequential' ? k : String(i), v));
        return out;
      }
      const i = I.index(idx, entries.length, at);
      if (i === null) return new Opaque('module');
      return entries[i]![1];
    }
    return I.raise('TypeError', `'${m.cls.name}' object is not subscriptable`, at);
  }

  setModuleItem(m: ModuleObj, idx: Value, v: Value, at: Span): void {
    this.walkCache = null;
    const I = this.interp;
    if (!(v instanceof ModuleObj)) return I.raise('TypeError', `${typeName(v)} is not a Module subclass`, at);
    if (m.container === 'moduledict') {
      m.modules.set(I.str(idx), v);
      return;
    }
    const keys = [...m.modules.keys()];
    const i = I.index(idx, keys.length, at);
    if (i !== null) m.modules.set(keys[i]!, v);
  }

  deleteItem(m: ModuleObj, idx: Value, at: Span): void {
    this.walkCache = null;
    const keys = [...m.modules.keys()];
    if (m.container === 'moduledict') m.modules.delete(this.interp.str(idx));
    else {
      const i = this.interp.index(idx, keys.length, at);
      if (i !== null) m.modules.delete(keys[i]!);
    }
  }

  iterateModule(m: ModuleObj, at: Span): Value[] {
    if (m.container === 'moduledict') return [...m.modules.keys()];
    if (m.container === 'sequential' || m.container === 'modulelist') return [...m.modules.values()].filter((v): v is ModuleObj => v !== null);
    return this.interp.raise('TypeError', `'${m.cls.name}' object is not iterable`, at);
  }

  moduleLength(m: ModuleObj): number | null {
    return m.container === 'none' ? null : m.modules.size;
  }

  private children(m: ModuleObj): [string, ModuleObj][] {
    const seen = new Set<ModuleObj>();
    const out: [string, ModuleObj][] = [];
    for (const [k, v] of m.modules) {
      if (v && !seen.has(v)) {
        seen.add(v);
        out.push([k, v]);
      }
    }
    return out;
  }

  /** `named_modules()`: depth first, each instance once, under the first path that reaches it. */
  walkModules(root: ModuleObj): [string, ModuleObj][] {
    if (this.walkCache?.root === root) return this.walkCache.list;
    const out: [string, ModuleObj][] = [];
    const seen = new Set<ModuleObj>();
    const walk = (m: ModuleObj, prefix: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([prefix, m]);
      for (const [k, c] of m.modules) if (c) walk(c, prefix ? `${prefix}.${k}` : k);
    };
    walk(root, '');
    return out;
  }

  /** Drops what is cached about the module tree (something may have been registered or removed). */
  structureChanged(): void {
    this.walkCache = null;
  }

  /** Fixes the `named_modules()` path of every module reachable from the model; call before `forward`. */
  assignPaths(root: ModuleObj): void {
    const list = this.walkModules(root);
    for (const [p, m] of list) {
      this.paths.set(m, p);
      if (p) this.registeredPaths.add(p);
    }
    // The model is built: its module tree is read several times more (counts, reports) and changes rarely.
    this.walkCache = { root, list };
  }

  private pathOf(m: ModuleObj): string {
    let p = this.paths.get(m);
    if (p === undefined) {
      // Not registered on the model (made in forward, or kept in a plain list): a fresh name, reused on later calls.
      const top = this.pathStack[this.pathStack.length - 1];
      p = this.freshName(`${top ? `${top}.` : ''}${m.cls.name.toLowerCase()}`);
      this.paths.set(m, p);
    }
    return p;
  }

  private freshName(base: string): string {
    for (;;) {
      const n = this.b.freshName(base);
      if (!this.registeredPaths.has(n)) return n;
    }
  }

  private opName(base: string): string {
    const top = this.pathStack[this.pathStack.length - 1];
    const prefix = top ? `${top}.` : '';
    return this.freshName(prefix + base);
  }

  /** Parameters as `model.parameters()` counts them: every registered module once, used or not. */
  parameterCount(root: ModuleObj): number | null {
    let total = 0;
    for (const [, m] of this.walkModules(root)) {
      if (m.layer) {
        if (m.layer.params === null) return null;
        total += m.layer.params;
      }
      for (const v of m.attrs.values()) {
        if (v instanceof ParamValue) {
          if (v.numel === null) return null;
          total += v.numel;
        }
      }
    }
    return total;
  }

  // ================================================================ calling modules

  private siteRange(fallback: SourceRange | null): SourceRange | undefined {
    const s = this.interp.site;
    return s ? this.interp.range(s) : fallback ?? undefined;
  }

  callModule(m: ModuleObj, args: CallArgs): Value {
    this.interp.tick();
    this.called.add(m);
    const forward = m.cls instanceof PyClass ? m.cls.lookup('forward') : undefined;
    if (forward instanceof PyFunction) {
      const path = this.pathOf(m);
      if (path) this.b.beginGroup(path, m.cls.name, m.definedAt ?? undefined);
      this.pathStack.push(path);
      this.moduleStack.push(m);
      const first = args.pos[0];
      this.inputStack.push(first instanceof TensorVal ? this.localize(first) : null);
      try {
        return this.interp.invoke(forward, { pos: [m, ...args.pos], kw: args.kw });
      } finally {
        this.inputStack.pop();
        this.moduleStack.pop();
        this.pathStack.pop();
        if (path) this.b.endGroup();
      }
    }
    return this.builtinForward(m, args, null);
  }

  /** The forward of built-in modules: a layer's catalogue op, or a Sequential running its children. */
  private builtinForward(m: ModuleObj, args: CallArgs, _from: BuiltinClass | null): Value {
    const I = this.interp;
    this.called.add(m);
    if (m.layer) return this.layerForward(m, args);
    if (m.container === 'sequential') {
      if (args.pos.length !== 1) I.raise('TypeError', `forward() takes 2 positional arguments but ${args.pos.length + 1} were given`);
      let x: Value = args.pos[0] ?? null;
      if (m.modules.size === 0) return x;
      const path = this.pathOf(m);
      if (path) this.b.beginGroup(path, m.cls.name, m.definedAt ?? undefined);
      this.pathStack.push(path);
      try {
        for (const c of m.modules.values()) if (c) x = this.callModule(c, { pos: [x], kw: [] });
      } finally {
        this.pathStack.pop();
        if (path) this.b.endGroup();
      }
      return x;
    }
    return I.raise('NotImplementedError', `Module [${m.cls.name}] is missing the required "forward" function`);
  }

  private layerForward(m: ModuleObj, args: CallArgs): Value {
    const I = this.interp;
    const layer = m.layer!;
    const x = this.asTensor(args.pos[0], `${layer.type}`);
    const meta = { name: this.pathOf(m), source: this.siteRange(m.definedAt), ...(m.definedAt ? { definedAt: m.definedAt } : {}) };
    if (meta.source === undefined) delete (meta as { source?: SourceRange }).source;
    if (!layer.op) {
      if (layer.unknown) I.info(I.site ?? m.definedAt, `${layer.unknown} is a module the analysis does not know; the shapes after it are unknown`, 'pytorch/unknown-layer');
      else I.info(I.site ?? m.definedAt, `nn.${layer.type} is not in the layer catalogue; the shapes after it are unknown`, 'pytorch/unknown-layer');
      return new TensorVal(this.b.op('opaque', { reason: layer.unknown ?? `nn.${layer.type}` }, [x], meta), this.b);
    }
    const input = this.unifyWithAttr(x, layer);
    const before = this.b.diagnostics.length;
    const t = this.b.op(layer.op, layer.attrs, [input], meta);
    for (const d of this.b.diagnostics.slice(before)) if (d.fix?.attr) this.layerEvents.push({ module: m, diag: d });
    return new TensorVal(t, this.b);
  }

  /** Input dims assumed equal to the layer's expected width are shown as that width. */
  private unifyWithAttr(x: Tensor, layer: NonNullable<ModuleObj['layer']>): Tensor {
    const s = x.shape;
    if (!s) return x;
    const attr = layer.attrs['in_channels'] ?? layer.attrs['num_features'] ?? layer.attrs['in_features'];
    if (attr === undefined || attr === null || typeof attr === 'boolean' || Array.isArray(attr) || typeof attr === 'object') return x;
    const axis = layer.attrs['in_features'] !== undefined ? s.length - 1 : s.length - 3;
    const d = s[axis];
    if (axis < 0 || d === undefined || d === null || d === attr) return x;
    if (!this.interp.assumedEqual(d, attr)) return x;
    const shape = [...s];
    shape[axis] = attr;
    return { node: x.node, shape };
  }

  private readonly localized = new WeakMap<TensorVal, Tensor>();

  /**
   * The tensor as a node of the graph being built. One made while modules were built (a buffer, a probe
   * input) enters the forward graph as a constant input node, once.
   */
  localize(v: TensorVal): Tensor {
    if (v.owner === this.b) return v.t;
    let t = this.localized.get(v);
    if (!t) {
      t = this.b.input(v.t.shape, this.opName('constant'));
      this.localized.set(v, t);
    }
    return t;
  }

  private asTensor(v: Value | undefined, what: string): Tensor {
    if (v instanceof TensorVal) return this.localize(v);
    if (v instanceof Opaque || v === undefined) {
      this.interp.info(this.interp.site, `${what}: its input is not a tensor the analysis knows; shapes after it are unknown`);
      return this.b.op('opaque', { reason: 'unknown input' }, [], { name: this.opName('unknown'), ...(this.interp.site ? { source: this.interp.range(this.interp.site) } : {}) });
    }
    return this.interp.raise('TypeError', `${what}: expected a Tensor, got ${typeName(v)}`);
  }

  /** A call to something unknown: with tensor arguments it is an opaque node, so the graph stays connected. */
  opaqueCall(fn: Opaque, args: CallArgs): Value {
    const tensors = [...args.pos, ...args.kw.map(([, v]) => v)].filter((v): v is TensorVal => v instanceof TensorVal);
    if (tensors.length === 0) return new Opaque(`${fn.what}(...)`);
    this.interp.info(this.interp.site, `${fn.what} is not modelled; its output shape is unknown`);
    if (this.opaqueOnModules.has(fn)) this.unknownSubmodule ??= fn.what;
    return this.fop('opaque', { reason: fn.what }, tensors.map((t) => this.localize(t)), fn.what.split('.').pop() ?? 'call');
  }

  /** A functional graph node, named after the op inside the current module. */
  private fop(op: string, attrs: Attrs, inputs: Tensor[], base: string): TensorVal {
    const site = this.interp.site;
    return new TensorVal(this.b.op(op, attrs, inputs, { name: this.opName(base), ...(site ? { source: this.interp.range(site) } : {}) }), this.b);
  }

  // ================================================================ torch.nn.functional and torch.*

  /** Binds builtin-call arguments to names; extra or unknown ones are a TypeError, as in PyTorch. */
  private bind(a: CallArgs, names: string[], fname: string): (Value | undefined)[] {
    const I = this.interp;
    if (a.pos.length > names.length) I.raise('TypeError', `${fname}() takes at most ${names.length} arguments (${a.pos.length} given)`);
    const out: (Value | undefined)[] = names.map((_n, i) => a.pos[i]);
    for (const [k, v] of a.kw) {
      const i = names.indexOf(k);
      if (i < 0) I.raise('TypeError', `${fname}() got an unexpected keyword argument '${k}'`);
      out[i] = v;
    }
    return out;
  }

  private installFunctional(): Namespace {
    const act = (op: string, base: string, extra: string[] = []): Builtin =>
      this.fn(base, (a) => {
        const [x, ...rest] = this.bind(a, ['input', ...extra], base);
        const attrs: Attrs = {};
        extra.forEach((k, i) => {
          if (rest[i] !== undefined && k !== 'inplace') attrs[k] = this.toAttr(rest[i]!);
        });
        return this.fop(op, attrs, [this.asTensor(x, base)], base);
      });
    const pool = (op: string, base: string, names: string[]): Builtin =>
      this.fn(base, (a) => {
        const [x, ...rest] = this.bind(a, ['input', ...names], base);
        const attrs: Attrs = {};
        names.forEach((k, i) => {
          if (rest[i] !== undefined && k in (opSpec(op)?.defaults ?? {})) attrs[k] = this.toAttr(rest[i]!);
        });
        if (rest[0] === undefined) this.interp.raise('TypeError', `${base}() missing required argument: '${names[0]}'`);
        return this.fop(op, attrs, [this.asTensor(x, base)], base);
      });
    return this.ns('torch.nn.functional', {
      relu: act('ReLU', 'relu', ['inplace']),
      relu_: act('ReLU', 'relu_'),
      relu6: act('ReLU6', 'relu6', ['inplace']),
      leaky_relu: act('LeakyReLU', 'leaky_relu', ['negative_slope', 'inplace']),
      gelu: act('GELU', 'gelu', ['approximate']),
      silu: act('SiLU', 'silu', ['inplace']),
      sigmoid: act('Sigmoid', 'sigmoid'),
      tanh: act('Tanh', 'tanh'),
      hardswish: act('Hardswish', 'hardswish', ['inplace']),
      softmax: act('Softmax', 'softmax', ['dim', '_stacklevel', 'dtype']),
      dropout: this.fn('dropout', (a) => {
        const [x, p] = this.bind(a, ['input', 'p', 'training', 'inplace'], 'dropout');
        return this.fop('Dropout', p === undefined ? {} : { p: this.toAttr(p) }, [this.asTensor(x, 'dropout')], 'dropout');
      }),
      pad: this.fn('pad', (a) => {
        const [x, pad, mode, value] = this.bind(a, ['input', 'pad', 'mode', 'value'], 'pad');
        const attrs: Attrs = { pad: this.toAttr(pad ?? new PyTuple([])) };
        if (mode !== undefined) attrs['mode'] = this.toAttr(mode);
        if (value !== undefined && value !== null) attrs['value'] = this.toAttr(value);
        return this.fop('pad', attrs, [this.asTensor(x, 'pad')], 'pad');
      }),
      log_softmax: this.pointwiseFn('log_softmax'),
      // F.conv2d with a weight of known shape is the Conv2d op (weight [out, in/groups, kh, kw]), as in
      // weight-standardised convolutions that subclass nn.Conv2d and call it from forward.
      conv2d: this.fn('conv2d', (a) => {
        const [x, w, bias, stride, padding, dilation, groups] = this.bind(a, ['input', 'weight', 'bias', 'stride', 'padding', 'dilation', 'groups'], 'conv2d');
        const ws = w instanceof TensorVal ? w.t.shape : null;
        const g = groups === undefined ? 1 : isInt(groups) ? numOf(groups) : null;
        if (!ws || ws.length !== 4 || !ws.every((d) => typeof d === 'number') || g === null) {
          this.interp.info(this.interp.site, 'F.conv2d with a weight of unknown shape is not modelled; its output shape is unknown');
          return this.fop('opaque', { reason: 'F.conv2d' }, [this.asTensor(x, 'conv2d')], 'conv2d');
        }
        const attrs: Attrs = { in_channels: (ws[1] as number) * g, out_channels: ws[0]!, kernel_size: [ws[2]!, ws[3]!], groups: g, bias: bias !== undefined && bias !== null };
        if (stride !== undefined) attrs['stride'] = this.toAttr(stride);
        if (padding !== undefined) attrs['padding'] = this.toAttr(padding);
        if (dilation !== undefined) attrs['dilation'] = this.toAttr(dilation);
        return this.fop('Conv2d', attrs, [this.asTensor(x, 'conv2d')], 'conv2d');
      }),
      normalize: this.fn('normalize', (a) => {
        const [x, p, dim] = this.bind(a, ['input', 'p', 'dim', 'eps', 'out'], 'normalize');
        const attrs: Attrs = {};
        if (p !== undefined) attrs['p'] = this.toAttr(p);
        if (dim !== undefined) attrs['dim'] = this.toAttr(dim);
        return this.fop('normalize', attrs, [this.asTensor(x, 'normalize')], 'normalize');
      }),
      adaptive_avg_pool2d: pool('AdaptiveAvgPool2d', 'adaptive_avg_pool2d', ['output_size']),
      adaptive_max_pool2d: pool('AdaptiveMaxPool2d', 'adaptive_max_pool2d', ['output_size', 'return_indices']),
      avg_pool2d: pool('AvgPool2d', 'avg_pool2d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']),
      max_pool2d: pool('MaxPool2d', 'max_pool2d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
    });
  }

  private activationFn(op: string, base: string, a: CallArgs): Value {
    const x = a.pos[0] ?? a.kw.find(([k]) => k === 'input')?.[1];
    return this.fop(op, {}, [this.asTensor(x, base)], base);
  }

  private flattenFn(a: CallArgs, defaultStart: number): Value {
    const [x, start, end] = this.bind(a, ['input', 'start_dim', 'end_dim'], 'flatten');
    return this.fop('Flatten', { start_dim: this.toAttr(start ?? defaultStart), end_dim: this.toAttr(end ?? -1) }, [this.asTensor(x, 'flatten')], 'flatten');
  }

  private catFn(a: CallArgs): Value {
    const [ts, dim] = this.bind(a, ['tensors', 'dim', 'out'], 'cat');
    const items = this.interp.iterate(ts ?? null, this.interp.site!);
    if (items.length === 0) this.interp.raise('RuntimeError', 'torch.cat(): expected a non-empty list of Tensors');
    return this.fop('concat', { dim: this.toAttr(dim ?? 0) }, items.map((t) => this.asTensor(t, 'cat')), 'cat');
  }

  /**
   * `torch.chunk(x, chunks, dim)` and `torch.split(x, size_or_sections, dim)`: a tuple of slices along `dim`,
   * sized as PyTorch sizes them (chunks of ceil(n / chunks); equal splits with a shorter last one; or the given
   * sections, which must add up to n). Each piece is a `slice` node.
   */
  private splitFn(x: Value, arg: Value, dimV: Value, kind: 'chunk' | 'split'): Value {
    const I = this.interp;
    const t = this.asTensor(x, kind);
    const shape = t.shape;
    const rank = shape?.length ?? null;
    const dim0 = isInt(dimV) ? numOf(dimV) : null;
    const dim = dim0 !== null && rank !== null ? (dim0 < 0 ? dim0 + rank : dim0) : null;
    const size = dim !== null && shape ? shape[dim] : undefined;
    if (dim === null || rank === null || dim < 0 || dim >= rank || typeof size !== 'number') {
      if (dim !== null && rank !== null && (dim < 0 || dim >= rank)) {
        return I.raise('IndexError', `Dimension out of range (expected to be in range of [${-rank}, ${rank - 1}], but got ${dim0})`);
      }
      I.info(I.site, `torch.${kind} of a dimension whose size is unknown is not modelled; its pieces are unknown`);
      return new Opaque(`${kind} pieces`);
    }
    let sizes: number[];
    if (kind === 'chunk') {
      if (!isInt(arg) || numOf(arg) <= 0) return I.raise('RuntimeError', `chunk expects \`chunks\` to be greater than 0, got: ${I.repr(arg)}`);
      const step = Math.ceil(size / numOf(arg));
      sizes = [];
      for (let at = 0; at < size || (size === 0 && sizes.length === 0); at += step || 1) {
        sizes.push(Math.min(step, size - at));
        I.checkSize(sizes.length);
      }
    } else if (isInt(arg)) {
      const step = numOf(arg);
      if (step <= 0 && size > 0) return I.raise('RuntimeError', `split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`);
      sizes = [];
      for (let at = 0; at < size; at += step) {
        sizes.push(Math.min(step, size - at));
        I.checkSize(sizes.length);
      }
      if (sizes.length === 0) sizes.push(0);
    } else if (arg instanceof PyList || arg instanceof PyTuple) {
      if (!arg.items.every(isInt)) {
        I.info(I.site, `torch.split with unknown sections is not modelled; its pieces are unknown`);
        return new Opaque('split pieces');
      }
      sizes = arg.items.map((v) => numOf(v as number));
      const total = sizes.reduce((p, q) => p + q, 0);
      if (total !== size) {
        return I.raise('RuntimeError', `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${dim}), but got split_sizes=[${sizes.join(', ')}]`);
      }
    } else {
      I.info(I.site, `torch.split with ${I.repr(arg)} is not modelled; its pieces are unknown`);
      return new Opaque('split pieces');
    }
    const pieces: Value[] = [];
    let at = 0;
    I.checkSize(sizes.length);
    for (const n of sizes) {
      const slices: AttrValue[] = Array.from({ length: dim }, () => [null, null, null]);
      slices.push([at, at + n, null]);
      pieces.push(this.fop('slice', { slices }, [t], kind));
      at += n;
    }
    return new PyTuple(pieces);
  }

  private addFn(a: CallArgs): Value {
    const [x, y] = this.bind(a, ['input', 'other', 'alpha', 'out'], 'add');
    return this.tensorBinop('+', x ?? null, y ?? null, this.interp.site!, false);
  }

  private meanFn(x: Value, a: CallArgs): Value {
    const [dim, keepdim] = this.bind(a, ['dim', 'keepdim', 'dtype'], 'mean');
    const d = dim === undefined || dim === null ? null : this.toAttr(dim);
    return this.fop('mean', { dim: d, keepdim: keepdim === undefined ? false : this.interp.truthyQuiet(keepdim) }, [this.asTensor(x, 'mean')], 'mean');
  }

  /**
   * `torch.sum/max/min/amax/amin(x, dim, keepdim)`. With a dimension, `max` and `min` return (values,
   * indices), which have the same shape; `torch.max(a, b)` of two tensors is the elementwise maximum.
   */
  private reduceFn(kind: 'sum' | 'max' | 'min' | 'amax' | 'amin', x: Value, a: CallArgs): Value {
    const [dim, keepdim] = this.bind(a, ['dim', 'keepdim', 'dtype'], kind);
    if ((kind === 'max' || kind === 'min') && dim instanceof TensorVal) {
      const op = kind === 'max' ? 'maximum' : 'minimum';
      return this.fop(op, {}, [this.asTensor(x, kind), this.localize(dim)], op);
    }
    const op = kind === 'amax' ? 'max' : kind === 'amin' ? 'min' : kind;
    const d = dim === undefined || dim === null ? null : this.toAttr(dim);
    const values = this.fop(op, { dim: d, keepdim: keepdim === undefined ? false : this.interp.truthyQuiet(keepdim) }, [this.asTensor(x, kind)], kind);
    return (kind === 'max' || kind === 'min') && d !== null ? new PyTuple([values, values]) : values;
  }

  /** `torch.matmul`, `mm` (2-D only) and `bmm` (3-D only), and `a @ b`. */
  private matmulFn(x: Value | undefined, y: Value | undefined, kind: string): Value {
    const I = this.interp;
    const a = this.asTensor(x, kind);
    const b = this.asTensor(y, kind);
    const rank = kind === 'mm' ? 2 : kind === 'bmm' ? 3 : null;
    if (rank !== null) {
      for (const t of [a, b]) {
        if (t.shape && t.shape.length !== rank) return I.raise('RuntimeError', `${rank === 2 ? 'self' : 'batch1'} must be a ${rank}D tensor`);
      }
    }
    return this.fop('matmul', {}, [a, b], kind);
  }

  /** Calls a function of the `torch` namespace (`torch.chunk`), as a tensor method does with its tensor first. */
  private call(path: `torch.${string}`, args: CallArgs): Value {
    const fn = this.modules.get('torch')?.members.get(path.slice('torch.'.length));
    return this.interp.call(fn ?? null, args);
  }

  /** `torch.<fn>(x, ...)` for a shape-keeping elementwise function: a `pointwise` node. */
  private pointwiseFn(fn: string): Builtin {
    return this.fn(fn, (a) => this.fop('pointwise', { fn }, [this.asTensor(a.pos[0], fn)], fn));
  }

  /** `torch.zeros_like(x)` and friends: a fresh tensor of `x`'s shape. */
  private likeTensor(x: Value | undefined): Value {
    const t = this.asTensor(x, 'like');
    return new TensorVal(this.b.input(t.shape, this.opName('tensor'), this.interp.site ? this.interp.range(this.interp.site) : undefined), this.b);
  }

  /** `torch.zeros(1, 3, 224, 224)` and friends: a fresh input-like tensor. */
  private newTensor(a: CallArgs): Value {
    const dims = a.pos.length === 1 && (a.pos[0] instanceof PyTuple || a.pos[0] instanceof PyList) ? (a.pos[0] as PyTuple).items : a.pos;
    const shape: Shape = dims.map((d) => this.toDim(d));
    return new TensorVal(this.b.input(shape, this.opName('tensor'), this.interp.site ? this.interp.range(this.interp.site) : undefined), this.b);
  }

  toDim(v: Value): Dim {
    if (isInt(v)) return numOf(v);
    if (v instanceof PyFloat && Number.isInteger(v.v)) return v.v;
    if (v instanceof Sym) return this.interp.dimText(v);
    if (v instanceof CondVal) return v.assumed ? 1 : 0;
    return null;
  }

  private dimValue(d: Dim): Value {
    if (typeof d === 'number') return d;
    if (typeof d === 'string') return this.interp.syms.fromDim(d);
    return new Opaque('size');
  }

  // ================================================================ tensors

  tensorLen(t: TensorVal): Value {
    const s = t.t.shape;
    if (!s || s.length === 0) return new Opaque('len');
    return this.dimValue(s[0]!);
  }

  tensorAttr(t: TensorVal, name: string, at: Span): Value {
    const I = this.interp;
    const s = t.t.shape;
    const f = (fn: (a: CallArgs) => Value): Builtin => this.fn(name, fn);
    const sizeTuple = (): Value => (s ? new PyTuple(s.map((d) => this.dimValue(d))) : new Opaque('size'));
    switch (name) {
      case 'shape':
        return sizeTuple();
      case 'size':
        return f((a) => {
          const [dim] = this.bind(a, ['dim'], 'size');
          if (dim === undefined) return sizeTuple();
          if (!s) return new Opaque('size');
          const i = I.index(dim, s.length, at);
          return i === null ? new Opaque('size') : this.dimValue(s[i]!);
        });
      case 'ndim':
        return s ? s.length : new Opaque('ndim');
      case 'dim':
      case 'ndimension':
        return f(() => (s ? s.length : new Opaque('ndim')));
      case 'numel':
        return f(() => (s && s.every((d) => typeof d === 'number') ? (s as number[]).reduce((p, d) => p * d, 1) : new Opaque('numel')));
      case 'view':
      case 'reshape':
        return f((a) => {
          const dims = a.pos.length === 1 && (a.pos[0] instanceof PyTuple || a.pos[0] instanceof PyList) ? (a.pos[0] as PyTuple).items : a.pos;
          return this.fop('reshape', { shape: dims.map((d) => this.toDim(d)) }, [this.localize(t)], name);
        });
      case 'flatten':
        return f((a) => this.flattenFn({ pos: [t, ...a.pos], kw: a.kw }, 0));
      case 'mean':
        return f((a) => this.meanFn(t, a));
      case 'mm':
      case 'matmul':
      case 'bmm':
        return f((a) => this.matmulFn(t, a.pos[0], name));
      case 'sum':
      case 'max':
      case 'min':
      case 'amax':
      case 'amin':
        return f((a) => this.reduceFn(name, t, a));
      case 'relu':
      case 'relu_':
        return f(() => this.fop('ReLU', {}, [this.localize(t)], 'relu'));
      case 'sigmoid':
      case 'sigmoid_':
        return f(() => this.fop('Sigmoid', {}, [this.localize(t)], 'sigmoid'));
      case 'tanh':
        return f(() => this.fop('Tanh', {}, [this.localize(t)], 'tanh'));
      case 'add':
      case 'add_':
        return f((a) => this.tensorBinop('+', t, a.pos[0] ?? null, I.site!, name === 'add_'));
      case 'chunk':
      case 'unsqueeze':
      case 'unsqueeze_':
      case 'squeeze':
      case 'squeeze_':
      case 'transpose':
      case 'transpose_':
        // x.chunk(...) is torch.chunk(x, ...): the same function, with the tensor first.
        return f((a) => this.call(`torch.${name.replace(/_$/, '')}`, { pos: [t, ...a.pos], kw: a.kw }));
      case 'split':
        return f((a) => {
          const [size, dim] = this.bind(a, ['split_size', 'dim'], 'split');
          return this.splitFn(t, size ?? null, dim ?? 0, 'split');
        });
      case 'mul':
      case 'mul_':
        return f((a) => this.tensorBinop('*', t, a.pos[0] ?? null, I.site!, name === 'mul_'));
      case 'clamp':
      case 'clamp_':
      case 'clamp_min':
      case 'clamp_max':
      case 'clip':
      case 'abs':
      case 'exp':
      case 'log':
      case 'sqrt':
      case 'rsqrt':
      case 'pow':
      case 'neg':
      case 'sign':
      case 'floor':
      case 'ceil':
      case 'round':
      case 'masked_fill':
      case 'masked_fill_':
      case 'fill_':
      case 'zero_':
      case 'softmax':
      case 'log_softmax':
      case 'exp_':
        return f(() => this.fop('pointwise', { fn: name }, [this.localize(t)], name));
      case 'permute':
        return f((a) => {
          const dims = a.pos.length === 1 && (a.pos[0] instanceof PyTuple || a.pos[0] instanceof PyList) ? (a.pos[0] as PyTuple).items : a.pos;
          return this.fop('permute', { dims: dims.map((d) => this.toAttr(d)) }, [this.localize(t)], 'permute');
        });
      case 't':
        return f(() => this.fop('permute', { dims: [0, -1], swap: true }, [this.localize(t)], 't'));
      case 'data':
        return t;
      case 'normal_':
      case 'uniform_':
      case 'kaiming_normal_':
      case 'copy_':
        // In-place initialisation: same tensor, same shape.
        return f(() => t);
      case 'clone':
      case 'contiguous':
      case 'detach':
      case 'float':
      case 'double':
      case 'half':
      case 'to':
      case 'cuda':
      case 'cpu':
      case 'requires_grad_':
      case 'type_as':
        return f(() => t);
      case 'dtype':
      case 'device':
      case 'is_cuda':
      case 'requires_grad':
        return new Opaque(`Tensor.${name}`);
      default:
        return f((a) => {
          I.info(I.site, `Tensor.${name}() is not modelled; its output shape is unknown`);
          const ts = [t, ...a.pos.filter((v): v is TensorVal => v instanceof TensorVal)];
          return this.fop('opaque', { reason: `Tensor.${name}` }, ts.map((x) => this.localize(x)), name);
        });
    }
  }

  tensorIndex(t: TensorVal, idx: Value, at: Span): Value {
    const I = this.interp;
    const items = idx instanceof PyTuple ? idx.items : [idx];
    const rank = t.t.shape?.length ?? null;
    const slices: AttrValue[] = [];
    const ell = items.findIndex((x) => x === this.ellipsis);
    const num = (v: Value): number | null | 'bad' => (v === null ? null : isInt(v) ? numOf(v) : 'bad');
    let ok = true;
    items.forEach((x, i) => {
      if (i === ell) {
        if (rank === null) {
          ok = false;
          return;
        }
        for (let k = 0; k < rank - (items.length - 1); k++) slices.push([null, null, null]);
        return;
      }
      if (x instanceof PySlice) {
        const parts = [num(x.lo), num(x.hi), num(x.step)];
        if (parts.includes('bad')) ok = false;
        else slices.push(parts as AttrValue[]);
      } else ok = false;
    });
    if (!ok) {
      I.info(at, `this tensor indexing (${I.snippet(at)}) is not modelled; its output shape is unknown`);
      return this.fop('opaque', { reason: 'tensor indexing' }, [this.localize(t)], 'getitem');
    }
    return this.fop('slice', { slices }, [this.localize(t)], 'slice');
  }

  tensorBinop(op: string, a: Value, b: Value, at: Span, inplace: boolean): Value {
    const I = this.interp;
    const ta = a instanceof TensorVal ? a : null;
    const tb = b instanceof TensorVal ? b : null;
    if (op === '+' && ta && tb) return this.residualAdd(ta, tb, at, inplace);
    if (op === '@' && ta && tb) return this.matmulFn(ta, tb, 'matmul');
    const elementwise: Record<string, string> = { '*': 'mul', '-': 'sub', '/': 'div' };
    if (ta && tb && elementwise[op]) {
      const name = elementwise[op]!;
      return new TensorVal(this.b.op(name, {}, [this.localize(ta), this.localize(tb)], { name: this.opName(name), source: I.range(at) }), this.b);
    }
    const scalar = (v: Value): boolean => isNumeric(v) || v instanceof Sym || v instanceof CondVal;
    if ((ta && scalar(b)) || (tb && scalar(a))) {
      if (['+', '-', '*', '/', '**', '//'].includes(op)) return (ta ?? tb)!;
    }
    I.info(at, `'${op}' on tensors is not in the layer catalogue; the result's shape is unknown`);
    const ins = [ta, tb].filter((x): x is TensorVal => x !== null).map((x) => this.localize(x));
    return this.fop('opaque', { reason: `tensor ${op}` }, ins, 'op');
  }

  /** `a < b`, `a == b`, ... with a tensor operand: a boolean tensor of the broadcast shape. */
  tensorCompare(op: string, a: Value, b: Value, at: Span): Value {
    const scalar = (v: Value): boolean => isNumeric(v) || v instanceof Sym || v instanceof CondVal;
    const ins = [a, b].filter((v): v is TensorVal => v instanceof TensorVal).map((t) => this.localize(t));
    if ([a, b].some((v) => !(v instanceof TensorVal) && !scalar(v))) {
      this.interp.info(at, `comparing a tensor with ${this.interp.repr(a instanceof TensorVal ? b : a)} is not modelled; the result's shape is unknown`);
      return this.fop('opaque', { reason: `tensor ${op}` }, ins, 'compare');
    }
    return new TensorVal(this.b.op(ins.length === 2 ? 'compare' : 'compare_scalar', { op }, ins, { name: this.opName('compare'), source: this.interp.range(at) }), this.b);
  }

  /** `x + y`, `x += y`, `torch.add(x, y)`: the residual add, with its condition stated in the user's names. */
  private residualAdd(xv: TensorVal, yv: TensorVal, at: Span, _inplace: boolean): Value {
    const I = this.interp;
    const x = this.localize(xv);
    const y = this.localize(yv);
    let other = y;
    if (x.shape && y.shape && x.shape.length === y.shape.length) {
      // Dims assumed equal on the path taken are the same dim.
      const s = y.shape.map((d, i) => {
        const m = x.shape![i]!;
        return d !== null && m !== null && d !== m && I.assumedEqual(d, m) ? m : d;
      });
      other = { node: y.node, shape: s };
    }
    const before = this.b.diagnostics.length;
    const out = this.b.op('add', {}, [x, other], { name: this.opName('add'), source: I.range(at) });
    const module = this.moduleStack[this.moduleStack.length - 1] ?? null;
    for (const d of this.b.diagnostics.slice(before)) {
      if (d.code === 'shape/residual-add-condition' && x.shape && other.shape) {
        const cond = broadcast(x.shape, other.shape).condition ?? d.message.replace(/^residual add requires /, '');
        const param = module ? optionalModuleParam(module) : null;
        d.message = `${I.snippet(at)} requires ${cond}; ${param ? `pass ${param} otherwise` : 'add a projection shortcut otherwise'}`;
      }
      if (d.code === 'shape/residual-add' || d.code === 'shape/residual-add-condition') {
        this.addEvents.push({ at, module, blockInput: this.inputStack[this.inputStack.length - 1] ?? null, main: x, other, diag: d });
      }
    }
    return new TensorVal(out, this.b);
  }

  // ================================================================ other values' methods

  valueMethod(obj: Value, name: string, at: Span): Value {
    const I = this.interp;
    const f = (fn: (a: CallArgs) => Value): Builtin => this.fn(name, fn);
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
            obj.items.push(...I.iterate(a.pos[0] ?? null, at));
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
          return f((a) => obj.get(a.pos[0] ?? null) ?? a.pos[1] ?? null);
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

// ------------------------------------------------------------------ helpers

function numelOf(shape: Dim[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

function sliceEntries<T>(items: T[], s: PySlice, I: Interp): T[] {
  const step = isInt(s.step ?? null) ? numOf(s.step as number) : 1;
  const n = items.length;
  const norm = (v: Value, d: number): number => {
    if (v === null || !isInt(v)) return d;
    const x = numOf(v);
    return Math.min(Math.max(x < 0 ? x + n : x, 0), n);
  };
  if (step !== 1) I.info(I.site, 'a stepped slice of a module container is read without its step');
  return items.slice(norm(s.lo, 0), norm(s.hi, n));
}

const paramCache = new WeakMap<object, string | null>();

/** The optional module argument a user passes to make this module's residual add valid, if it has one. */
export function optionalModuleParam(m: ModuleObj): string | null {
  const cls = m.cls;
  if (!(cls instanceof PyClass)) return null;
  const hit = paramCache.get(cls);
  if (hit !== undefined) return hit;
  let found: string | null = null;
  for (const c of cls.mro) {
    if (c instanceof PyClass && c.def && methodOf(c.def, '__init__')) {
      found = optionalModuleParamOf(c.def)?.param.name ?? null;
      break;
    }
  }
  paramCache.set(cls, found);
  return found;
}

export { PyError };

/** Whether a class builds on a base the analysis does not know (imported from another package). */
function hasOpaqueBase(cls: PyClass | BuiltinClass): boolean {
  return cls.mro.some((c) => c instanceof PyClass && c.dict.get('__opaque_base__') === true);
}
