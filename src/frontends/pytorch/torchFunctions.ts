/**
 * The functions of `torch` and `torch.nn.functional` that model code calls in `forward` (`torch.cat`,
 * `torch.flatten`, `F.relu`, `F.adaptive_avg_pool2d`, `torch.chunk`, ...), each a node of the layer catalogue,
 * with PyTorch's argument names and errors; the tensor constructors (`torch.zeros`, `torch.Tensor(...)`); and
 * the rest of the `torch` package a model file touches on import (`torch.nn.init`, `torch.utils.checkpoint`,
 * `torch.jit`).
 */
import type { AttrValue, Attrs } from '../../core/ir';
import { TORCH_FUNCTIONS } from '../../core/ops';
import { type GraphContext, unknownAttr } from './graphContext';
import { fn, passThrough, type ModuleRegistry } from './imports';
import type { NnModules } from './nnModule';
import type { PythonTypes } from './pythonTypes';
import type { Runtime } from './runtime';
import { itemsUnknown } from './skippedLoops';
import type { TensorOperators } from './tensorOperators';
import { ParamValue } from './layers';
import { Builtin, BuiltinClass, type CallArgs, Namespace, Opaque, PyFloat, PyList, PyTuple, Sym, TensorVal, type Value, isInt, numOf, typeName } from './values';

export class TorchFunctions {
  constructor(
    private readonly rt: Runtime,
    private readonly g: GraphContext,
    private readonly modules: ModuleRegistry,
    private readonly py: PythonTypes,
    private readonly nn: NnModules,
    private readonly ops: TensorOperators,
  ) {
    this.install();
  }

  private install(): void {
    const I = this.rt;
    const nn = this.nn.installNn();
    const F = this.installFunctional();
    const init = this.modules.ns('torch.nn.init', {}, true, () => fn('init', (a) => a.pos[0] ?? null));
    nn.members.set('init', init);
    nn.members.set('functional', F);
    // The legacy constructor: `torch.Tensor(4, 5)` is an uninitialised 4x5 tensor, `torch.Tensor([[1, 2]])` holds data.
    const legacyTensor = (a: CallArgs): Value => {
      if (a.pos.length > 0 && a.pos.every((v) => isInt(v) || v instanceof Sym)) return this.g.newTensor(a);
      const data = a.pos.length === 1 ? a.pos[0]! : undefined;
      if (data instanceof PyList || data instanceof PyTuple) {
        const shape: number[] = [];
        for (let v: Value = data; v instanceof PyList || v instanceof PyTuple; v = v.items[0] ?? null) shape.push(v.items.length);
        return this.g.newTensor({ pos: shape, kw: [] });
      }
      if (a.pos.length === 0) return this.g.newTensor({ pos: [0], kw: [] });
      return new Opaque('Tensor(...)');
    };
    const tensorClass = new BuiltinClass('Tensor', 'torch.Tensor', 'opaque', this.py.objectClass, { isInstance: (v) => v instanceof TensorVal, construct: legacyTensor });
    const torch = this.modules.ns('torch', {
      nn,
      Tensor: tensorClass,
      FloatTensor: new BuiltinClass('FloatTensor', 'torch.FloatTensor', 'opaque', tensorClass, { isInstance: (v) => v instanceof TensorVal, construct: legacyTensor }),
      ...this.catalogue('torch.'),
      cat: fn('cat', (a) => this.catFn(a)),
      concat: fn('concat', (a) => this.catFn(a)),
      chunk: fn('chunk', (a) => {
        const [x, chunks, dim] = this.g.bind(a, ['input', 'chunks', 'dim'], 'chunk');
        return this.splitFn(x ?? null, chunks ?? null, dim ?? 0, 'chunk');
      }),
      split: fn('split', (a) => {
        const [x, size, dim] = this.g.bind(a, ['tensor', 'split_size_or_sections', 'dim'], 'split');
        return this.splitFn(x ?? null, size ?? null, dim ?? 0, 'split');
      }),
      add: fn('add', (a) => this.addFn(a)),
      ...Object.fromEntries((['max', 'min', 'amax', 'amin'] as const).map((k) => [k, fn(k, (a) => this.reduceFn(k, a.pos[0] ?? null, { pos: a.pos.slice(1), kw: a.kw }))])),
      matmul: fn('matmul', (a) => this.ops.matmulFn(a.pos[0], a.pos[1], 'matmul')),
      mm: fn('mm', (a) => this.ops.matmulFn(a.pos[0], a.pos[1], 'mm')),
      bmm: fn('bmm', (a) => this.ops.matmulFn(a.pos[0], a.pos[1], 'bmm')),
      // torch.log_softmax is F's.
      log_softmax: F.members.get('log_softmax')!,
      index_select: fn('index_select', (a) => this.indexSelectFn(a)),
      arange: fn('arange', (a) => this.arangeFn(a)),
      einsum: fn('einsum', (a) => {
        const [eq, ...rest] = a.pos;
        const operands = rest.length === 1 && (rest[0] instanceof PyList || rest[0] instanceof PyTuple) ? (rest[0] as PyList).items : rest;
        return this.g.fop('einsum', { equation: typeof eq === 'string' ? eq : '' }, operands.map((t) => this.g.asTensor(t, 'einsum')), 'einsum');
      }),
      where: fn('where', (a) => {
        const ts = a.pos.slice(0, 3).filter((v): v is TensorVal => v instanceof TensorVal).map((v) => this.g.localize(v));
        return this.g.fop('where', {}, ts, 'where');
      }),
      transpose: fn('transpose', (a) => {
        const [x, d0, d1] = this.g.bind(a, ['input', 'dim0', 'dim1'], 'transpose');
        const unknown = this.g.unknownArg('transpose', [['dim0', d0], ['dim1', d1]]);
        if (unknown) return unknown;
        return this.g.fop('permute', { dims: [this.g.toAttr(d0 ?? 0), this.g.toAttr(d1 ?? 1)], swap: true }, [this.g.asTensor(x, 'transpose')], 'transpose');
      }),
      permute: fn('permute', (a) => {
        const [x, dims] = this.g.bind(a, ['input', 'dims'], 'permute');
        const unknown = this.g.unknownArg('permute', [['dims', dims]]);
        if (unknown) return unknown;
        return this.g.fop('permute', { dims: this.rt.iterate(dims ?? null, this.rt.site!).map((d) => this.g.toAttr(d)) }, [this.g.asTensor(x, 'permute')], 'permute');
      }),
      clamp: this.pointwiseFn('clamp'),
      abs: this.pointwiseFn('abs'),
      exp: this.pointwiseFn('exp'),
      zeros_like: fn('zeros_like', (a) => this.g.likeTensor(a.pos[0])),
      ones_like: fn('ones_like', (a) => this.g.likeTensor(a.pos[0])),
      empty_like: fn('empty_like', (a) => this.g.likeTensor(a.pos[0])),
      rand_like: fn('rand_like', (a) => this.g.likeTensor(a.pos[0])),
      randn_like: fn('randn_like', (a) => this.g.likeTensor(a.pos[0])),
      full_like: fn('full_like', (a) => this.g.likeTensor(a.pos[0])),
      maximum: fn('maximum', (a) => this.g.fop('maximum', {}, [this.g.asTensor(a.pos[0], 'maximum'), this.g.asTensor(a.pos[1], 'maximum')], 'maximum')),
      minimum: fn('minimum', (a) => this.g.fop('minimum', {}, [this.g.asTensor(a.pos[0], 'minimum'), this.g.asTensor(a.pos[1], 'minimum')], 'minimum')),
      zeros: fn('zeros', (a) => this.g.newTensor(a)),
      ones: fn('ones', (a) => this.g.newTensor(a)),
      randn: fn('randn', (a) => this.g.newTensor(a)),
      rand: fn('rand', (a) => this.g.newTensor(a)),
      empty: fn('empty', (a) => this.g.newTensor(a)),
      no_grad: fn('no_grad', () => new Opaque('no_grad')),
      Size: fn('Size', (a) => new PyTuple(a.pos.length ? I.iterate(a.pos[0]!, I.site!) : [])),
      is_tensor: fn('is_tensor', (a) => a.pos[0] instanceof TensorVal),
      __version__: '1.13.0',
    });
    torch.members.set('functional', F);
    this.modules.alias('torch.nn.modules', nn);
    this.modules.ns('torch.utils', {});
    this.modules.ns('torch.utils.checkpoint', {
      checkpoint: fn('checkpoint', (a) => I.call(a.pos[0] ?? null, { pos: a.pos.slice(1), kw: a.kw.filter(([k]) => k !== 'use_reentrant' && k !== 'preserve_rng_state') })),
    });
    // TorchScript: a ScriptModule is a Module, and the decorators and `script()` leave the code as written.
    torch.members.set(
      'jit',
      this.modules.ns('torch.jit', {
        ScriptModule: this.nn.moduleClass,
        script_method: passThrough('script_method'),
        script: passThrough('script'),
        ignore: passThrough('ignore'),
        unused: passThrough('unused'),
        export: passThrough('export'),
        is_scripting: fn('is_scripting', () => false),
        is_tracing: fn('is_tracing', () => false),
      }),
    );
  }

  private installFunctional(): Namespace {
    return this.modules.ns('torch.nn.functional', {
      ...this.catalogue('F.'),
      log_softmax: this.pointwiseFn('log_softmax'),
      layer_norm: fn('layer_norm', (a) => this.layerNormFn(a)),
      // F.conv2d with a weight of known shape is the Conv2d op (weight [out, in/groups, kh, kw]), as in
      // weight-standardised convolutions that subclass nn.Conv2d and call it from forward.
      conv2d: fn('conv2d', (a) => {
        const [x, w, bias, stride, padding, dilation, groups] = this.g.bind(a, ['input', 'weight', 'bias', 'stride', 'padding', 'dilation', 'groups'], 'conv2d');
        const ws = w instanceof TensorVal ? w.t.shape : null;
        const g = groups === undefined ? 1 : isInt(groups) ? numOf(groups) : null;
        if (!ws || ws.length !== 4 || !ws.every((d) => typeof d === 'number') || g === null) {
          this.rt.info(this.rt.site, 'F.conv2d with a weight of unknown shape is not modelled; its output shape is unknown');
          return this.g.fop('opaque', { reason: 'F.conv2d' }, [this.g.asTensor(x, 'conv2d')], 'conv2d');
        }
        const unknown = this.g.unknownArg('conv2d', [['stride', stride], ['padding', padding], ['dilation', dilation]]);
        if (unknown) return unknown;
        const attrs: Attrs = { in_channels: (ws[1] as number) * g, out_channels: ws[0]!, kernel_size: [ws[2]!, ws[3]!], groups: g, bias: bias !== undefined && bias !== null };
        if (stride !== undefined) attrs['stride'] = this.g.toAttr(stride);
        if (padding !== undefined) attrs['padding'] = this.g.toAttr(padding);
        if (dilation !== undefined) attrs['dilation'] = this.g.toAttr(dilation);
        return this.g.fop('Conv2d', attrs, [this.g.asTensor(x, 'conv2d')], 'conv2d');
      }),
    });
  }

  /** Every functional spelling the catalogue gives under `prefix` (`F.relu`, `torch.flatten`), by its name. */
  private catalogue(prefix: 'F.' | 'torch.'): Record<string, Builtin> {
    const out: Record<string, Builtin> = {};
    for (const [name, { op, fn: spec }] of TORCH_FUNCTIONS) {
      if (name.startsWith(prefix)) out[name.slice(prefix.length)] = fn(name.slice(prefix.length), (a) => this.g.catalogueCall(op, spec, a));
    }
    return out;
  }

  /**
   * `F.layer_norm(x, normalized_shape, weight, bias, eps)`: the LayerNorm op, affine when given a weight,
   * with PyTorch's checks of the weight's and bias's shapes. Which tensors it is given decides the node's
   * parameter count (see the catalogue); the model's total counts them where they are registered. A bias
   * without a weight, which no LayerNorm module has, is the unaffine norm followed by the bias's add.
   */
  private layerNormFn(a: CallArgs): Value {
    const I = this.rt;
    const [x, shapeV, w, b, eps] = this.g.bind(a, ['input', 'normalized_shape', 'weight', 'bias', 'eps'], 'layer_norm');
    const missing = x === undefined ? 'input' : shapeV === undefined ? 'normalized_shape' : null;
    if (missing) return I.raise('TypeError', `layer_norm() missing required argument: '${missing}'`);
    const unknown = this.g.unknownArg('layer_norm', [['normalized_shape', shapeV]]);
    if (unknown) return unknown;
    if (!(shapeV instanceof PyTuple || shapeV instanceof PyList)) {
      return I.raise('TypeError', `layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not ${typeName(shapeV ?? null)}`);
    }
    const ns = shapeV.items.map((d) => this.g.toDim(d));
    const given = (v: Value | undefined): boolean | null => (v === undefined || v === null ? false : v instanceof TensorVal || v instanceof ParamValue ? true : unknownAttr(v) ? null : true);
    for (const [name, v] of [['weight', w], ['bias', b]] as const) {
      const s = v instanceof TensorVal ? v.t.shape : null;
      if (ns.length === 0 || !s || ![...s, ...ns].every((d) => typeof d === 'number')) continue;
      if (s.length !== ns.length || s.some((d, i) => d !== ns[i])) {
        return I.raise('RuntimeError', `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape [${s.join(', ')}] and normalized_shape = [${ns.join(', ')}]`);
      }
    }
    const [hasW, hasB] = [given(w), given(b)];
    const attrs: Attrs = { normalized_shape: ns, elementwise_affine: hasW === null || hasB === null ? null : hasW };
    if (hasW === true && hasB === false) attrs['bias'] = false;
    if (eps !== undefined && !unknownAttr(eps)) attrs['eps'] = this.g.toAttr(eps);
    const out = this.g.fop('LayerNorm', attrs, [this.g.asTensor(x, 'layer_norm')], 'layer_norm');
    return hasW === false && hasB === true ? this.g.fop('add', {}, [out.t, this.g.asTensor(b, 'layer_norm')], 'layer_norm_bias') : out;
  }

  /**
   * `torch.index_select(x, dim, index)`: the index is a tensor, whose length (not its values) the analysis
   * knows, so it is the node's second input.
   */
  private indexSelectFn(a: CallArgs): Value {
    const [x, dim, index] = this.g.bind(a, ['input', 'dim', 'index', 'out'], 'index_select');
    const missing = x === undefined ? 'input' : dim === undefined ? 'dim' : index === undefined ? 'index' : null;
    if (missing) return this.rt.raise('TypeError', `index_select() missing required argument: '${missing}'`);
    const unknown = this.g.unknownArg('index_select', [['dim', dim]]);
    if (unknown) return unknown;
    return this.g.fop('index_select', { dim: this.g.toAttr(dim ?? null) }, [this.g.asTensor(x, 'index_select'), this.g.asTensor(index, 'index_select')], 'index_select');
  }

  /**
   * `torch.arange(end)` / `(start, end, step)`: a 1-D tensor of ceil((end - start) / step) entries (an index
   * for `index_select`); its length is unknown unless the bounds are known numbers.
   */
  private arangeFn(a: CallArgs): Value {
    const [p0, p1, p2] = this.g.bind(a, ['start', 'end', 'step', 'out', 'dtype', 'layout', 'device', 'requires_grad'], 'arange');
    if (p0 === undefined && p1 === undefined) return this.rt.raise('TypeError', "arange() missing required argument: 'end'");
    const n = (v: Value | undefined, dflt: number): number | null => (v === undefined ? dflt : isInt(v) ? numOf(v) : v instanceof PyFloat ? v.v : null);
    const [endV, start, step] = p1 === undefined ? [p0, 0, n(p2, 1)] : [p1, n(p0, 0), n(p2, 1)];
    // `torch.arange(planes)` with `planes` a symbol is `planes` long.
    if (endV instanceof Sym && start === 0 && step === 1) return this.g.newTensor({ pos: [endV], kw: [] });
    const end = n(endV, 0);
    let len: number | null = null;
    if (start !== null && end !== null && step !== null) {
      if (step === 0) return this.rt.raise('RuntimeError', 'step must be nonzero');
      len = Math.ceil((end - start) / step);
      if (len < 0) return this.rt.raise('RuntimeError', 'upper bound and larger bound inconsistent with step sign');
    }
    return this.g.newTensor({ pos: [len === null ? new Opaque('arange length') : len], kw: [] });
  }

  private catFn(a: CallArgs): Value {
    const [ts, dim] = this.g.bind(a, ['tensors', 'dim', 'out'], 'cat');
    // A list the analysis cannot list (filled by a skipped loop) is not an empty one: the result is unknown.
    if (itemsUnknown(ts ?? null)) {
      this.rt.info(this.rt.site, 'torch.cat of tensors the analysis cannot list; its output shape is unknown');
      return new Opaque('torch.cat(...)');
    }
    const items = this.rt.iterate(ts ?? null, this.rt.site!);
    if (items.length === 0) this.rt.raise('RuntimeError', 'torch.cat(): expected a non-empty list of Tensors');
    const unknown = this.g.unknownArg('cat', [['dim', dim]]);
    if (unknown) return unknown;
    return this.g.fop('concat', { dim: this.g.toAttr(dim ?? 0) }, items.map((t) => this.g.asTensor(t, 'cat')), 'cat');
  }

  /**
   * `torch.chunk(x, chunks, dim)` and `torch.split(x, size_or_sections, dim)`: a tuple of slices along `dim`,
   * sized as PyTorch sizes them (chunks of ceil(n / chunks); equal splits with a shorter last one; or the given
   * sections, which must add up to n). Each piece is a `slice` node.
   */
  splitFn(x: Value, arg: Value, dimV: Value, kind: 'chunk' | 'split'): Value {
    const I = this.rt;
    const t = this.g.asTensor(x, kind);
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
      // A count the analysis does not know (`1 + cond`) is not an invalid one.
      if (unknownAttr(arg) || arg instanceof Sym) {
        I.info(I.site, 'torch.chunk into a number of pieces the analysis does not know; its pieces are unknown');
        return new Opaque('chunk pieces');
      }
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
      pieces.push(this.g.fop('slice', { slices }, [t], kind));
      at += n;
    }
    return new PyTuple(pieces);
  }

  private addFn(a: CallArgs): Value {
    const [x, y] = this.g.bind(a, ['input', 'other', 'alpha', 'out'], 'add');
    return this.ops.tensorBinop('+', x ?? null, y ?? null, this.rt.site!, false);
  }

  /**
   * `torch.max/min/amax/amin(x, dim, keepdim)`. With a dimension, `max` and `min` return (values,
   * indices), which have the same shape; `torch.max(a, b)` of two tensors is the elementwise maximum.
   */
  reduceFn(kind: 'max' | 'min' | 'amax' | 'amin', x: Value, a: CallArgs): Value {
    const [dim, keepdim] = this.g.bind(a, ['dim', 'keepdim', 'dtype'], kind);
    if ((kind === 'max' || kind === 'min') && dim instanceof TensorVal) {
      const op = kind === 'max' ? 'maximum' : 'minimum';
      return this.g.fop(op, {}, [this.g.asTensor(x, kind), this.g.localize(dim)], op);
    }
    // Whether it reduces, along which dim and keeping it: an unknown here leaves the output unknown.
    const unknown = this.g.unknownArg(kind, [['dim', dim], ['keepdim', keepdim]]);
    if (unknown) return unknown;
    const op = kind === 'amax' ? 'max' : kind === 'amin' ? 'min' : kind;
    const d = dim === undefined || dim === null ? null : this.g.toAttr(dim);
    const values = this.g.fop(op, { dim: d, keepdim: keepdim === undefined ? false : this.rt.truthyQuiet(keepdim) }, [this.g.asTensor(x, kind)], kind);
    return (kind === 'max' || kind === 'min') && d !== null ? new PyTuple([values, values]) : values;
  }

  /** `torch.<fn>(x, ...)` for a shape-keeping elementwise function: a `pointwise` node. */
  private pointwiseFn(name: string): Builtin {
    return fn(name, (a) => this.g.fop('pointwise', { fn: name }, [this.g.asTensor(a.pos[0], name)], name));
  }
}
