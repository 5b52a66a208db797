/**
 * The graph a run of the model builds, and the helpers every modelled PyTorch call uses to add to it: binding
 * a builtin's arguments (`bind`), turning a value into a node input (`asTensor`, `localize`) or an attribute
 * (`toAttr`, `toDim`), and adding a node named after the module it runs in (`fop`). It also keeps what the
 * quick fixes read after the run: module paths, the modules that ran, and the failed adds and layer checks.
 */
import { type Dim, type Shape } from '../../core/dims';
import { GraphBuilder, type Tensor } from '../../core/graph';
import type { AttrValue, Attrs, Diagnostic, SourceRange } from '../../core/ir';
import { OP_SPECS, type OpName } from '../../core/ops';
import type { TorchFunction } from '../../core/opTypes';
import type { Span } from './ast';
import type { Runtime } from './runtime';
import { type CallArgs, CondVal, type ModuleObj, Opaque, PyFloat, PyList, PyTuple, Sym, TensorVal, type Value, isInt, numOf, typeName } from './values';

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

export class GraphContext {
  /** The graph being built: a scratch one while modules are constructed, the real one in `forward`. */
  b: GraphBuilder;
  phase: 'build' | 'forward' = 'build';
  readonly paths = new Map<ModuleObj, string>();
  private readonly registeredPaths = new Set<string>();
  readonly pathStack: string[] = [];
  readonly moduleStack: ModuleObj[] = [];
  readonly inputStack: (Tensor | null)[] = [];
  /** Modules whose forward (or layer op) ran, to report registered modules that never did. */
  readonly called = new Set<ModuleObj>();
  readonly addEvents: AddEvent[] = [];
  readonly layerEvents: LayerEvent[] = [];
  /** Diagnostics of tensor code run while modules were being built (`self.features(torch.zeros(...))`). */
  readonly buildDiagnostics: Diagnostic[] = [];
  private readonly localized = new WeakMap<TensorVal, Tensor>();

  constructor(private readonly rt: Runtime) {
    this.b = new GraphBuilder('build', rt.file);
  }

  // ---------------------------------------------------------------- names

  /** Gives `m` its `named_modules()` path, which later fresh names must not take. */
  fixPath(m: ModuleObj, path: string): void {
    this.paths.set(m, path);
    if (path) this.registeredPaths.add(path);
  }

  pathOf(m: ModuleObj): string {
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

  /** A fresh node name for `base` inside the module running now. */
  opName(base: string): string {
    const top = this.pathStack[this.pathStack.length - 1];
    const prefix = top ? `${top}.` : '';
    return this.freshName(prefix + base);
  }

  /** The current call site's range, else `fallback`. */
  siteRange(fallback: SourceRange | null): SourceRange | undefined {
    const s = this.rt.site;
    return s ? this.rt.range(s) : fallback ?? undefined;
  }

  // ---------------------------------------------------------------- nodes

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

  /** `v` as a node input; an unknown value is an opaque node (and says so), anything else a TypeError. */
  asTensor(v: Value | undefined, what: string): Tensor {
    if (v instanceof TensorVal) return this.localize(v);
    if (v instanceof Opaque || v === undefined) {
      this.rt.info(this.rt.site, `${what}: its input is not a tensor the analysis knows; shapes after it are unknown`);
      return this.b.op('opaque', { reason: 'unknown input' }, [], { name: this.opName('unknown'), ...(this.rt.site ? { source: this.rt.range(this.rt.site) } : {}) });
    }
    return this.rt.raise('TypeError', `${what}: expected a Tensor, got ${typeName(v)}`);
  }

  /** A functional graph node, named after the op inside the current module. */
  fop(op: OpName, attrs: Attrs, inputs: Tensor[], base: string): TensorVal {
    const site = this.rt.site;
    return new TensorVal(this.b.op(op, attrs, inputs, { name: this.opName(base), ...(site ? { source: this.rt.range(site) } : {}) }), this.b);
  }

  /** `torch.zeros(1, 3, 224, 224)` and friends: a fresh input-like tensor. */
  newTensor(a: CallArgs): Value {
    const dims = a.pos.length === 1 && (a.pos[0] instanceof PyTuple || a.pos[0] instanceof PyList) ? (a.pos[0] as PyTuple).items : a.pos;
    const shape: Shape = dims.map((d) => this.toDim(d));
    return new TensorVal(this.b.input(shape, this.opName('tensor'), this.rt.site ? this.rt.range(this.rt.site) : undefined), this.b);
  }

  /** `torch.zeros_like(x)` and friends: a fresh tensor of `x`'s shape. */
  likeTensor(x: Value | undefined): Value {
    const t = this.asTensor(x, 'like');
    return new TensorVal(this.b.input(t.shape, this.opName('tensor'), this.rt.site ? this.rt.range(this.rt.site) : undefined), this.b);
  }

  // ---------------------------------------------------------------- arguments

  /** Binds builtin-call arguments to names; extra or unknown ones are a TypeError, as in PyTorch. */
  bind(a: CallArgs, names: string[], fname: string): (Value | undefined)[] {
    if (a.pos.length > names.length) this.rt.raise('TypeError', `${fname}() takes at most ${names.length} arguments (${a.pos.length} given)`);
    const out: (Value | undefined)[] = names.map((_n, i) => a.pos[i]);
    for (const [k, v] of a.kw) {
      const i = names.indexOf(k);
      if (i < 0) this.rt.raise('TypeError', `${fname}() got an unexpected keyword argument '${k}'`);
      out[i] = v;
    }
    return out;
  }

  /**
   * A call of one of the catalogue's functional spellings (`F.interpolate(x, scale_factor=2)`, `x.expand(...)`,
   * with `self` the tensor of a method): the arguments bind as Python binds them, with PyTorch's TypeErrors,
   * the leading ones are the node's tensors and the rest its attributes.
   */
  catalogueCall(op: OpName, spec: TorchFunction, a: CallArgs, self?: TensorVal): Value {
    const fname = spec.name.slice(spec.name.indexOf('.') + 1);
    const params = spec.params;
    const star = params.findIndex((p) => p.startsWith('*'));
    const fixed = star >= 0 ? params.slice(0, star) : params;
    const pos = self ? [self, ...a.pos] : a.pos;
    const given = self ? 1 : 0;
    if (star < 0 && pos.length > params.length) this.rt.raise('TypeError', `${fname}() takes at most ${params.length - given} arguments (${pos.length - given} given)`);
    const bound = new Map<string, Value>();
    pos.slice(0, fixed.length).forEach((v, i) => bound.set(fixed[i]!, v));
    if (star >= 0) {
      const rest = pos.slice(star);
      const one = rest.length === 1 ? rest[0] : undefined;
      bound.set(params[star]!.slice(1), one instanceof PyTuple || one instanceof PyList ? new PyList(one.items) : new PyList(rest));
    }
    for (const [k, v] of a.kw) {
      if (!fixed.includes(k) && params[star] !== `*${k}`) this.rt.raise('TypeError', `${fname}() got an unexpected keyword argument '${k}'`);
      if (bound.has(k) && params[star] !== `*${k}`) this.rt.raise('TypeError', `${fname}() got multiple values for argument '${k}'`);
      bound.set(k, v);
    }
    const tensors = spec.tensors ?? 1;
    const missing = params.slice(0, spec.required ?? tensors).find((p) => !bound.has(p.replace(/^\*/, '')));
    if (missing !== undefined) this.rt.raise('TypeError', `${fname}() missing required argument: '${missing}'`);
    const inputs = params.slice(0, tensors).map((p) => this.asTensor(bound.get(p), fname));
    const defaults = OP_SPECS[op].defaults;
    const attrs: Attrs = { ...spec.defaults };
    for (const p of params.slice(tensors)) {
      const name = p.replace(/^\*/, '');
      const attr = spec.rename?.[name] ?? name;
      const v = bound.get(name);
      // An argument the analysis does not know is not None (`size=d` with d unknown): the result is unknown.
      if (attr in defaults) {
        const unknown = this.unknownArg(fname, [[name, v]]);
        if (unknown) return unknown;
      }
      if (v !== undefined && attr in defaults) attrs[attr] = this.toAttr(v);
    }
    Object.assign(attrs, spec.attrs);
    const out = this.fop(op, attrs, inputs, fname.replace(/_$/, ''));
    return spec.returns === 'pair' ? new PyTuple([out, out]) : out;
  }

  /**
   * The result of a call given, for an argument that decides its output, a value the analysis does not know
   * (an unknown, an undecided condition, or a sequence holding one): unknown, and said once. Null otherwise.
   */
  unknownArg(fname: string, args: readonly [string, Value | undefined][]): Opaque | null {
    const name = args.find(([, v]) => v !== undefined && unknownAttr(v))?.[0];
    if (name === undefined) return null;
    this.rt.info(this.rt.site, `${fname}() is given '${name}' the analysis does not know; its output shape is unknown`);
    return new Opaque(`${fname}(...)`);
  }

  /**
   * A Python value as an IR attribute; symbols become their rendered expression. An undecided condition is
   * unknown, as an unknown value is: its assumed truth is a guess that only a branch reports.
   */
  toAttr(v: Value): AttrValue {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v instanceof PyFloat) return v.v;
    if (v instanceof Sym) return this.rt.dimText(v);
    if (v instanceof PyTuple || v instanceof PyList) return v.items.map((x) => this.toAttr(x));
    return null;
  }

  toDim(v: Value): Dim {
    if (isInt(v)) return numOf(v);
    if (v instanceof PyFloat && Number.isInteger(v.v)) return v.v;
    if (v instanceof Sym) return this.rt.dimText(v);
    // An undecided condition is 0 or 1: unknown, not the guessed one.
    return null;
  }

  /** A dim of a shape as a Python value: its number, its symbol, or unknown. */
  dimValue(d: Dim): Value {
    if (typeof d === 'number') return d;
    if (typeof d === 'string') return this.rt.syms.fromDim(d);
    return new Opaque('size');
  }
}

/**
 * A value that `toAttr` would turn into None: unknown, an undecided condition, or a sequence holding one.
 * Layers and functions given one have what it decides unknown.
 */
export function unknownAttr(v: Value): boolean {
  if (v instanceof Opaque || v instanceof CondVal) return true;
  if (v instanceof PyTuple || v instanceof PyList) return v.items.some(unknownAttr);
  return false;
}
