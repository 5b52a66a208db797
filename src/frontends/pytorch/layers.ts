/**
 * The layers of `torch.nn` that the layer catalogue models (`nn.Conv2d`, `nn.BatchNorm2d`, ...): their
 * constructor signatures and the construction-time checks PyTorch makes, the attributes and parameters a
 * built layer exposes (`conv.stride`, `bn.weight.shape`), and what calling one adds to the graph.
 */
import { type Shape, numel } from '../../core/dims';
import type { OpMeta, Tensor } from '../../core/graph';
import type { AttrValue, Attrs, SourceRange } from '../../core/ir';
import { type OpName, TORCH_MODULES, opSpec, withDefaults } from '../../core/ops';
import { type GraphContext, unknownAttr } from './graphContext';
import type { Runtime } from './runtime';
import { BuiltinClass, type CallArgs, ModuleObj, Opaque, PyFloat, PyTuple, TensorVal, type Value } from './values';

/** A learnable tensor registered with `nn.Parameter`; in `forward` it reads as its tensor. */
export class ParamValue extends Opaque {
  constructor(
    readonly numel: number | null,
    readonly tensor: TensorVal | null,
  ) {
    super('Parameter');
  }
}

/** The tensor behind a parameter value, when its shape is known. */
export function paramTensor(v: Value): TensorVal | null {
  return v instanceof ParamValue ? v.tensor : null;
}

export class Layers {
  private readonly layerClasses = new Map<string, BuiltinClass>();
  private readonly layerChecks = new Map<string, { params: number | null; error: string | null }>();
  private readonly layerParams = new WeakMap<ModuleObj, Map<string, ParamValue>>();

  constructor(
    private readonly rt: Runtime,
    private readonly g: GraphContext,
    private readonly moduleClass: BuiltinClass,
  ) {}

  /** The class `nn.<type>`, one per name. */
  layerClass(type: string): BuiltinClass {
    let c = this.layerClasses.get(type);
    if (!c) {
      c = new BuiltinClass(type, `torch.nn.${type}`, 'layer', this.moduleClass);
      this.layerClasses.set(type, c);
    }
    return c;
  }

  /** `nn.<type>(...)`: binds the arguments as PyTorch does and checks what needs no input. */
  initLayer(type: string, m: ModuleObj, args: CallArgs): void {
    const I = this.rt;
    const known = TORCH_MODULES.get(type);
    const sig = known && !known.module.anyArgs ? known.module : undefined;
    const op: OpName | null = known?.op ?? null;
    const attrs: Attrs = { ...known?.module.attrs };
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
    } else if (!known?.module.anyArgs) {
      for (const [k, v] of args.kw) bound.set(k, v);
    }
    for (const [k, v] of bound) attrs[k] = this.g.toAttr(v);
    m.initialized = true;
    if (known?.module.anyArgs) {
      m.layer = { type, op, attrs: {}, params: 0 };
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
    // An argument given an unknown (`bias=hasattr(cfg, 'bias')`, `stride=1 + cond`) is tried several ways.
    const unknown = [...bound].filter(([k, v]) => k in spec.defaults && unknownAttr(v)).map(([k]) => k);
    const ways = attrWays(kept, unknown, spec.defaults);
    const checks = ways.map((way) => {
      // Models repeat the same layer configuration many times; its input-free check and count are cached.
      const key = `${op}|${JSON.stringify(way)}`;
      let checked = this.layerChecks.get(key);
      if (!checked) {
        const r = spec.infer(withDefaults(op, way), [null]);
        checked = { params: r.params, error: r.issues.find((i) => i.severity === 'error')?.message ?? null };
        this.layerChecks.set(key, checked);
      }
      return { ...checked, refused: known?.module.check?.(withDefaults(op, way)) ?? null };
    });
    // Errors that need no input (groups that do not divide the channels) are raised by PyTorch's constructor,
    // here only when every way raises them; a way that raises builds no layer, so the count is the others'.
    const built = checks.filter((c) => c.error === null && c.refused === null);
    if (built.length === 0) I.raise('ValueError', checks[0]!.error ?? checks[0]!.refused!);
    const params = agreed(built.map((c) => c.params));
    if (params === null && checks[0]!.params !== null) {
      I.info(I.site, `nn.${type} is given ${unknown.map((f) => `'${f}'`).join(' and ')} the analysis does not know; its parameter count is unknown`);
    }
    m.layer = { type, op, attrs: kept, params, ...(unknown.length ? { unknownAttrs: unknown } : {}) };
  }

  /** A layer's own attribute (`conv.stride`, `bn.weight`), or undefined when it has none by that name. */
  layerAttr(m: ModuleObj, name: string): Value | undefined {
    const layer = m.layer!;
    if (name === 'weight' || name === 'bias') return this.layerParam(m, name);
    // Given a value the analysis does not know, it is unknown, not the None its null stands for.
    if (layer.unknownAttrs?.includes(name)) return new Opaque(`${layer.type}.${name}`);
    let a = layer.attrs[name];
    const spec = layer.op ? opSpec(layer.op) : undefined;
    // Attributes left at their defaults still exist on the module (`m.groups`, `bn.eps`, `pool.stride`).
    if (a === undefined && spec && name in spec.defaults) {
      a = spec.defaults[name]!;
      if (name === 'stride' && a === null && /Pool/.test(layer.type)) a = layer.attrs['kernel_size'] ?? null; // PyTorch: stride defaults to kernel_size
    }
    const conv = /^Conv(Transpose)?([123])d$/.exec(layer.type);
    if (conv && ['kernel_size', 'stride', 'padding', 'dilation', 'output_padding'].includes(name)) {
      // Convolutions store these as tuples, one entry per spatial dimension (`m.kernel_size[0]`).
      a ??= name === 'stride' || name === 'dilation' ? 1 : name === 'kernel_size' ? null : 0;
      if (typeof a === 'number') a = Array.from({ length: Number(conv[2]) }, () => a as number);
    }
    return a === undefined ? undefined : this.fromAttr(a);
  }

  /**
   * A built-in layer's `weight` or `bias`, shaped as PyTorch shapes it (Conv2d [out, in/groups, kh, kw],
   * ConvTranspose2d [in, out/groups, kh, kw], Linear [out, in], norms [C]), so init code can read
   * `m.weight.shape` and forward code can use it as a tensor. The same object on every read.
   */
  private layerParam(m: ModuleObj, name: 'weight' | 'bias'): Value {
    const layer = m.layer!;
    const a = layer.attrs;
    // Whether the layer has it at all is unknown (`bias=hasattr(cfg, 'bias')`).
    const switches = /Norm/.test(layer.type) ? ['affine', 'elementwise_affine'] : name === 'bias' ? ['bias'] : [];
    if (layer.unknownAttrs?.some((f) => switches.includes(f))) return new Opaque(`${layer.type}.${name}`);
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
        const t = this.g.newTensor({ pos: shape as number[], kw: [] }) as TensorVal;
        p = new ParamValue(numel(shape as number[]), t);
      } else p = new ParamValue(null, null);
      cache.set(name, p);
    }
    return this.g.phase === 'forward' && p.tensor ? p.tensor : p;
  }

  private fromAttr(a: AttrValue): Value {
    if (typeof a === 'number' && !Number.isInteger(a)) return new PyFloat(a);
    if (a === null || typeof a === 'number' || typeof a === 'boolean') return a;
    if (typeof a === 'string') return a;
    if (Array.isArray(a)) return new PyTuple(a.map((x) => this.fromAttr(x)));
    return new Opaque('attribute');
  }

  /** A layer's forward: its catalogue op on the input, or an opaque node for a layer outside the catalogue. */
  layerForward(m: ModuleObj, args: CallArgs): Value {
    const I = this.rt;
    const layer = m.layer!;
    const x = this.g.asTensor(args.pos[0], `${layer.type}`);
    const meta = { name: this.g.pathOf(m), source: this.g.siteRange(m.definedAt), ...(m.definedAt ? { definedAt: m.definedAt } : {}) };
    if (meta.source === undefined) delete (meta as { source?: SourceRange }).source;
    if (!layer.op) {
      if (layer.unknown) I.info(I.site ?? m.definedAt, `${layer.unknown} is a module the analysis does not know; the shapes after it are unknown`, 'pytorch/unknown-layer');
      else I.info(I.site ?? m.definedAt, `nn.${layer.type} is not in the layer catalogue; the shapes after it are unknown`, 'pytorch/unknown-layer');
      return new TensorVal(this.g.b.op('opaque', { reason: layer.unknown ?? `nn.${layer.type}` }, [x], meta), this.g.b);
    }
    const input = this.unifyWithAttr(x, layer);
    const before = this.g.b.diagnostics.length;
    const t = layer.unknownAttrs ? this.runEveryWay(layer, input, meta) : this.g.b.op(layer.op, layer.attrs, [input], meta);
    for (const d of this.g.b.diagnostics.slice(before)) if (d.fix?.attr) this.g.layerEvents.push({ module: m, diag: d });
    return new TensorVal(t, this.g.b);
  }

  /**
   * A layer given arguments the analysis does not know, run every way {@link attrWays} tries: the node keeps
   * what the ways that run agree on (shape dims, MACs) and shows those arguments as unknown. An error is
   * reported only when every way has one; otherwise the node is built the first way that runs.
   */
  private runEveryWay(layer: NonNullable<ModuleObj['layer']>, input: Tensor, meta: OpMeta): Tensor {
    const op = layer.op!;
    const spec = opSpec(op)!;
    const ways = attrWays(layer.attrs, layer.unknownAttrs!, spec.defaults);
    const results = ways.map((w) => spec.infer(withDefaults(op, w), [input.shape]));
    const runs = results.filter((r) => !r.issues.some((i) => i.severity === 'error'));
    const t = this.g.b.op(op, ways[runs.length ? results.indexOf(runs[0]!) : 0]!, [input], meta);
    if (runs.length === 0) return t;
    const node = this.g.b.node(t.node)!;
    for (const k of layer.unknownAttrs!) node.attrs[k] = layer.attrs[k] ?? null;
    node.params = agreed(runs.map((r) => r.params));
    node.macs = agreed(runs.map((r) => r.macs));
    node.outputShape = agreedShape(runs.map((r) => r.shape));
    if (node.macs === null || JSON.stringify(node.outputShape) !== JSON.stringify(runs[0]!.shape)) {
      this.rt.info(this.rt.site, `nn.${layer.type} is given ${layer.unknownAttrs!.map((f) => `'${f}'`).join(' and ')} the analysis does not know; the sizes it decides are unknown`);
    }
    return { node: t.node, shape: node.outputShape };
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
    if (!this.rt.assumedEqual(d, attr)) return x;
    const shape = [...s];
    shape[axis] = attr;
    return { node: x.node, shape };
  }
}

/**
 * The ways a layer's unknown arguments are tried, as they are (null, which the rules read as None or the
 * default) first. A switch (`bias`) is tried on and off; any other argument also as 2, 3 and 7, put in place
 * of each unknown item (`kernel_size=(1, k)` keeps its 1). Values the rules read differently give results
 * that differ, so a number that all ways agree on does not depend on the argument.
 */
function attrWays(attrs: Attrs, unknown: readonly string[], defaults: Attrs): Attrs[] {
  let out: Attrs[] = [attrs];
  for (const k of unknown) {
    // Past a few unknown arguments, fewer values each keep the ways few (the analysis runs on every edit).
    const fills = out.length > 16 ? [2] : [2, 3, 7];
    const values: AttrValue[] = typeof defaults[k] === 'boolean' ? [true, false] : [attrs[k] ?? null, ...fills.map((n) => fillUnknown(attrs[k] ?? null, n))];
    out = out.flatMap((w) => values.map((v) => ({ ...w, [k]: v })));
  }
  return out;
}

function fillUnknown(a: AttrValue, n: number): AttrValue {
  if (a === null) return n;
  return Array.isArray(a) ? a.map((x) => fillUnknown(x, n)) : a;
}

/** The value every result has, or null when they differ. */
function agreed<T>(xs: readonly T[]): T | null {
  return xs.length > 0 && xs.every((x) => x === xs[0]) ? xs[0]! : null;
}

/** The shape several runs agree on: a dim they differ on is unknown, and so is a rank they differ on. */
function agreedShape(shapes: Shape[]): Shape {
  const first = shapes[0] ?? null;
  if (first === null || shapes.some((s) => s === null || s.length !== first.length)) return null;
  return first.map((d, i) => (shapes.every((s) => s![i] === d) ? d : null));
}
