/**
 * Runtime values of the abstract interpreter. Python ints, bools, strings and None are plain JS values;
 * everything else is an object of one of the classes below. Values the interpreter cannot know are either
 * symbolic integers (`Sym`), undecided conditions (`CondVal`) or `Opaque`, which absorbs every operation.
 */
import type { Tensor } from '../../core/graph';
import type { Attrs, SourceRange } from '../../core/ir';
import type { OpName } from '../../core/ops';
import type { CallExpr, ClassDef, FunctionDef, LambdaExpr, Span } from './ast';
import type { Runtime } from './runtime';
import { Sym } from './symbolic';

export { Sym };

export type Value = number | boolean | string | null | PyFloat | Sym | PyObj;

export abstract class PyObj {
  abstract typeName(): string;
}

export class PyFloat extends PyObj {
  constructor(readonly v: number) {
    super();
  }
  typeName(): string {
    return 'float';
  }
}

export class PyList extends PyObj {
  constructor(public items: Value[]) {
    super();
  }
  typeName(): string {
    return 'list';
  }
}

export class PyTuple extends PyObj {
  constructor(readonly items: Value[]) {
    super();
  }
  typeName(): string {
    return 'tuple';
  }
}

export class PySet extends PyObj {
  constructor(readonly items: Value[]) {
    super();
  }
  typeName(): string {
    return 'set';
  }
}

let nextObjectId = 1;
const objectIds = new WeakMap<object, number>();
function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(o, id);
  }
  return id;
}

/** Dictionary key: Python's hash equality for the value kinds that occur as keys. */
export function keyOf(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return `n:${v ? 1 : 0}`;
  if (typeof v === 'number') return `n:${v}`;
  if (typeof v === 'string') return `s:${v}`;
  if (v instanceof PyFloat) return `n:${v.v}`;
  if (v instanceof PyTuple) return `t:(${v.items.map(keyOf).join(',')})`;
  return `o:${idOf(v)}`;
}

export class PyDict extends PyObj {
  readonly map = new Map<string, [Value, Value]>();
  typeName(): string {
    return 'dict';
  }
  get(k: Value): Value | undefined {
    return this.map.get(keyOf(k))?.[1];
  }
  set(k: Value, v: Value): void {
    const key = keyOf(k);
    const old = this.map.get(key);
    if (old) old[1] = v;
    else this.map.set(key, [k, v]);
  }
  delete(k: Value): boolean {
    return this.map.delete(keyOf(k));
  }
  keys(): Value[] {
    return [...this.map.values()].map((e) => e[0]);
  }
  values(): Value[] {
    return [...this.map.values()].map((e) => e[1]);
  }
  entries(): [Value, Value][] {
    return [...this.map.values()];
  }
}

/**
 * A dict looked up by a key the analysis does not fully know: an undecided condition finds what both its
 * truths find ('missing' when neither is a key), an unknown or symbolic key finds 'unknown'; undefined for a
 * known key, which the caller looks up itself.
 */
export function lookupUndecided(d: PyDict, k: Value): { found: Value } | 'missing' | 'unknown' | undefined {
  if (k instanceof Opaque || k instanceof Sym) {
    // The very object is a key: that is its entry, whatever it is.
    const v = d.get(k);
    return v !== undefined ? { found: v } : 'unknown';
  }
  if (!(k instanceof CondVal)) return undefined;
  const [t, f] = [d.get(true), d.get(false)];
  if (t === undefined && f === undefined) return 'missing';
  return t !== undefined && t === f ? { found: t } : 'unknown';
}

export class PySlice extends PyObj {
  constructor(
    readonly lo: Value,
    readonly hi: Value,
    readonly step: Value,
  ) {
    super();
  }
  typeName(): string {
    return 'slice';
  }
}

/** `items[lo:hi:step]` as Python slices a sequence: bounds clamped, negative steps walk backwards. */
export function sliceList<T>(items: T[], s: PySlice, rt: Pick<Runtime, 'raise'>, at: Span): T[] {
  const num = (v: Value): number | null => (v === null ? null : isInt(v) ? numOf(v) : null);
  const step = num(s.step) ?? 1;
  if (step === 0) rt.raise('ValueError', 'slice step cannot be zero', at);
  const n = items.length;
  const norm = (v: number | null, dflt: number, lo: number, hi: number): number => {
    if (v === null) return dflt;
    const x = v < 0 ? v + n : v;
    return Math.min(Math.max(x, lo), hi);
  };
  const out: T[] = [];
  if (step > 0) {
    const start = norm(num(s.lo), 0, 0, n);
    const stop = norm(num(s.hi), n, 0, n);
    for (let i = start; i < stop; i += step) out.push(items[i]!);
  } else {
    const start = norm(num(s.lo), n - 1, -1, n - 1);
    const stop = norm(num(s.hi), -1, -1, n - 1);
    for (let i = start; i > stop; i += step) out.push(items[i]!);
  }
  return out;
}

/** Variables of one scope. Class bodies get their own scope, which functions defined inside do not see. */
export class Scope {
  readonly vars = new Map<string, Value>();
  globalNames: Set<string> | null = null;
  nonlocalNames: Set<string> | null = null;
  constructor(
    readonly parent: Scope | null,
    readonly kind: 'module' | 'function' | 'class',
  ) {}
}

export type FunctionKind = 'function' | 'classmethod' | 'staticmethod' | 'property';

export class PyFunction extends PyObj {
  ownerClass: PyClass | null = null;
  /** Attributes set on the function (`__wrapped__` and `__name__` by `functools.wraps`, registries' tags). */
  readonly attrs = new Map<string, Value>();
  constructor(
    readonly name: string,
    readonly def: FunctionDef | LambdaExpr,
    readonly closure: Scope,
    /** Evaluated default values, aligned with `def.params` (undefined: no default). */
    readonly defaults: (Value | undefined)[],
    readonly kind: FunctionKind = 'function',
  ) {
    super();
  }
  typeName(): string {
    return 'function';
  }
  withKind(kind: FunctionKind): PyFunction {
    const f = new PyFunction(this.name, this.def, this.closure, this.defaults, kind);
    f.ownerClass = this.ownerClass;
    for (const [k, v] of this.attrs) f.attrs.set(k, v);
    return f;
  }
}

export interface CallArgs {
  pos: Value[];
  kw: [string, Value][];
}

/** A function implemented by the interpreter (`len`, `nn.init.kaiming_normal_`, `F.relu`). */
export class Builtin extends PyObj {
  constructor(
    readonly name: string,
    readonly fn: (args: CallArgs) => Value,
  ) {
    super();
  }
  typeName(): string {
    return 'builtin_function_or_method';
  }
}

export class BoundMethod extends PyObj {
  constructor(
    readonly self: Value,
    readonly fn: PyFunction,
  ) {
    super();
  }
  typeName(): string {
    return 'method';
  }
}

/** What instances of a built-in class are and how they are made. */
export type BuiltinKind = 'object' | 'module' | 'sequential' | 'modulelist' | 'moduledict' | 'layer' | 'exception' | 'type' | 'opaque';

export class BuiltinClass extends PyObj {
  mro: ClassLike[] = [];
  constructor(
    readonly name: string,
    readonly qualname: string,
    readonly kind: BuiltinKind,
    readonly base: BuiltinClass | null,
    /** Called for `Cls(...)` (types, exceptions) or for `__init__` on a module being built. */
    readonly impl: {
      construct?: (args: CallArgs) => Value;
      init?: (self: ModuleObj, args: CallArgs) => void;
      isInstance?: (v: Value) => boolean;
      /** Class attributes (`WeightsEnum.verify`). */
      attrs?: Record<string, Value>;
    } = {},
  ) {
    super();
    this.mro = base ? [this, ...base.mro] : [this];
  }
  typeName(): string {
    return 'type';
  }
}

export type ClassLike = PyClass | BuiltinClass;

export class PyClass extends PyObj {
  mro: ClassLike[] = [];
  /** A Python enum's members, in definition order (`for w in Weights`, `Weights['V1']`, `Weights(value)`). */
  enumMembers: PyInstance[] | null = null;
  /** The class given as `metaclass=`, whose methods the class itself has (`StrEnumMeta.from_str`). */
  metaclass: PyClass | null = null;
  constructor(
    readonly name: string,
    readonly bases: ClassLike[],
    readonly dict: Map<string, Value>,
    readonly def: ClassDef | null,
  ) {
    super();
  }
  typeName(): string {
    return 'type';
  }
  lookup(name: string): Value | undefined {
    for (const c of this.mro) if (c instanceof PyClass && c.dict.has(name)) return c.dict.get(name);
    return undefined;
  }
  /** The built-in class this one ultimately extends, if any (nn.Module, nn.Sequential, nn.Conv2d, Exception). */
  builtinBase(): BuiltinClass | null {
    for (const c of this.mro) if (c instanceof BuiltinClass && c.kind !== 'object') return c;
    return null;
  }
}

export class PyInstance extends PyObj {
  readonly attrs = new Map<string, Value>();
  constructor(readonly cls: PyClass | BuiltinClass) {
    super();
  }
  typeName(): string {
    return this.cls.name;
  }
}

/** A built-in layer's configuration: the catalogue op (null when the catalogue lacks it) and its attributes. */
export interface LayerInfo {
  /** PyTorch class name, `Conv2d`. */
  type: string;
  op: OpName | null;
  attrs: Attrs;
  /** Learnable parameters, null when they depend on unknown values. */
  params: number | null;
  /**
   * Arguments given a value the analysis does not know (`bias=hasattr(cfg, 'bias')`, `stride=1 + cond`),
   * kept as null in `attrs`: what they decide is unknown, what every value of them gives alike stays exact.
   */
  unknownAttrs?: string[];
  /** Set for a stand-in for a module the analysis does not know (from another package): what it was. */
  unknown?: string;
}

/** An `nn.Module` instance: built-in layer, container, or user class. */
export class ModuleObj extends PyInstance {
  readonly modules = new Map<string, ModuleObj | null>();
  layer: LayerInfo | null = null;
  /** Behaviour inherited from built-in containers. */
  container: 'none' | 'sequential' | 'modulelist' | 'moduledict' = 'none';
  initialized = false;
  /**
   * Modules may have been registered on it that the analysis cannot name or count (by a skipped loop, under an
   * unknown name, from an unknown iterable): a missing attribute or entry is then unknown, not an error, and so
   * are the totals of any model holding it.
   */
  unknownMembers = false;
  /** The constructor call that made it, innermost in the user's code. */
  definedAt: SourceRange | null = null;
  ctorCall: CallExpr | null = null;
  /** Variables visible at the constructor call, for quick fixes that name an existing variable. */
  ctorScope: Scope | null = null;
  readonly serial: number;
  constructor(cls: PyClass | BuiltinClass) {
    super(cls);
    this.serial = nextObjectId++;
  }
  override typeName(): string {
    return this.cls.name;
  }
}

/** A tensor flowing through `forward`: a node of the graph being built. */
export class TensorVal extends PyObj {
  constructor(
    readonly t: Tensor,
    /** The graph builder that holds `t.node`: tensors made while building modules live in a scratch graph. */
    readonly owner: object,
  ) {
    super();
  }
  typeName(): string {
    return 'Tensor';
  }
}

/** A Python module namespace (`torch`, `torch.nn`, `typing`). */
export class Namespace extends PyObj {
  constructor(
    readonly name: string,
    readonly members: Map<string, Value>,
    /** For unknown members: opaque (third-party modules) or an information diagnostic. */
    readonly open = true,
    /** Makes members on demand (`nn.GroupNorm` and other layers outside the catalogue). */
    readonly fallback: ((name: string) => Value | undefined) | null = null,
  ) {
    super();
  }
  typeName(): string {
    return 'module';
  }
}

/** Something the interpreter does not model. Operations on it give more opaque values. */
export class Opaque extends PyObj {
  constructor(readonly what: string) {
    super();
  }
  typeName(): string {
    return 'object';
  }
}

export class Partial extends PyObj {
  constructor(
    readonly fn: Value,
    readonly args: CallArgs,
  ) {
    super();
  }
  typeName(): string {
    return 'functools.partial';
  }
}

export class SuperObj extends PyObj {
  constructor(
    readonly cls: ClassLike,
    readonly self: Value,
  ) {
    super();
  }
  typeName(): string {
    return 'super';
  }
}

/** A condition that depends on unknown values. It behaves as `assumed`, and records the equalities it assumed. */
export class CondVal extends PyObj {
  constructor(
    readonly assumed: boolean,
    /** Pairs of rendered dims assumed equal. */
    readonly eqs: [string | number, string | number][],
    readonly text: string,
  ) {
    super();
  }
  typeName(): string {
    return 'bool';
  }
}

/** A Python exception raised on the path the interpreter took. */
export class PyError extends Error {
  constructor(
    readonly pyType: string,
    readonly pyMessage: string,
    /** Where it was raised in the user's code. */
    readonly at: Span | null,
  ) {
    super(`${pyType}: ${pyMessage}`);
  }
  /** The unknown condition read as false on the way to it: PyTorch, knowing it, may never get here. */
  assumedAt: Span | null = null;
}

/** A budget (steps, loop iterations, call depth, time) ran out. */
export class BudgetError extends Error {}

export function isInt(v: Value): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

export function isNumeric(v: Value): v is number | boolean | PyFloat {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}

export function numOf(v: number | boolean | PyFloat): number {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : v.v;
}

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (v instanceof Sym) return v.float ? 'float' : 'int';
  return v.typeName();
}

export function isModuleClass(c: Value): boolean {
  if (!(c instanceof PyClass) && !(c instanceof BuiltinClass)) return false;
  return c.mro.some((m) => m instanceof BuiltinClass && (m.kind === 'module' || m.kind === 'sequential' || m.kind === 'modulelist' || m.kind === 'moduledict' || m.kind === 'layer'));
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
