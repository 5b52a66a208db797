/**
 * Tensors in `forward`: their attributes and methods (`x.shape`, `x.size(1)`, `x.view(...)`, `x.flatten(1)`,
 * `x.chunk(2, 1)`, ...), each the node its `torch` function adds where one exists; `len(x)`; and indexing
 * with slices and `...`.
 */
import { numel } from '../../core/dims';
import type { AttrValue } from '../../core/ir';
import { TORCH_FUNCTIONS } from '../../core/ops';
import type { Span } from './ast';
import type { GraphContext } from './graphContext';
import { fn, type ModuleRegistry } from './imports';
import type { PythonTypes } from './pythonTypes';
import type { Runtime } from './runtime';
import type { TensorOperators } from './tensorOperators';
import type { TorchFunctions } from './torchFunctions';
import { Builtin, type CallArgs, Opaque, PyList, PySlice, PyTuple, TensorVal, type Value, isInt, numOf } from './values';

export class TensorMethods {
  constructor(
    private readonly rt: Runtime,
    private readonly g: GraphContext,
    private readonly modules: ModuleRegistry,
    private readonly py: PythonTypes,
    private readonly torch: TorchFunctions,
    private readonly ops: TensorOperators,
  ) {}

  tensorLen(t: TensorVal): Value {
    const s = t.t.shape;
    if (!s || s.length === 0) return new Opaque('len');
    return this.g.dimValue(s[0]!);
  }

  tensorAttr(t: TensorVal, name: string, at: Span): Value {
    const I = this.rt;
    const s = t.t.shape;
    const f = (impl: (a: CallArgs) => Value): Builtin => fn(name, impl);
    const sizeTuple = (): Value => (s ? new PyTuple(s.map((d) => this.g.dimValue(d))) : new Opaque('size'));
    const catalogued = TORCH_FUNCTIONS.get(`Tensor.${name}`);
    if (catalogued) return f((a) => this.g.catalogueCall(catalogued.op, catalogued.fn, a, t));
    switch (name) {
      case 'shape':
        return sizeTuple();
      case 'size':
        return f((a) => {
          const [dim] = this.g.bind(a, ['dim'], 'size');
          if (dim === undefined) return sizeTuple();
          if (!s) return new Opaque('size');
          const i = I.index(dim, s.length, at);
          return i === null ? new Opaque('size') : this.g.dimValue(s[i]!);
        });
      case 'ndim':
        return s ? s.length : new Opaque('ndim');
      case 'dim':
      case 'ndimension':
        return f(() => (s ? s.length : new Opaque('ndim')));
      case 'numel':
        return f(() => (s ? numel(s) : null) ?? new Opaque('numel'));
      case 'view':
      case 'reshape':
        return f((a) => {
          const dims = a.pos.length === 1 && (a.pos[0] instanceof PyTuple || a.pos[0] instanceof PyList) ? (a.pos[0] as PyTuple).items : a.pos;
          return this.g.fop('reshape', { shape: dims.map((d) => this.g.toDim(d)) }, [this.g.localize(t)], name);
        });
      case 'mm':
      case 'matmul':
      case 'bmm':
        return f((a) => this.ops.matmulFn(t, a.pos[0], name));
      case 'max':
      case 'min':
      case 'amax':
      case 'amin':
        return f((a) => this.torch.reduceFn(name, t, a));
      case 'sigmoid_':
        return f(() => this.g.fop('Sigmoid', {}, [this.g.localize(t)], 'sigmoid'));
      case 'add':
      case 'add_':
        return f((a) => this.ops.tensorBinop('+', t, a.pos[0] ?? null, I.site!, name === 'add_'));
      case 'chunk':
      case 'index_select':
      case 'unsqueeze_':
      case 'squeeze_':
      case 'transpose':
      case 'transpose_':
        // x.chunk(...) is torch.chunk(x, ...): the same function, with the tensor first.
        return f((a) => this.call(`torch.${name.replace(/_$/, '')}`, { pos: [t, ...a.pos], kw: a.kw }));
      case 'split':
        return f((a) => {
          const [size, dim] = this.g.bind(a, ['split_size', 'dim'], 'split');
          return this.torch.splitFn(t, size ?? null, dim ?? 0, 'split');
        });
      case 'mul':
      case 'mul_':
        return f((a) => this.ops.tensorBinop('*', t, a.pos[0] ?? null, I.site!, name === 'mul_'));
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
      case 'log_softmax':
      case 'exp_':
        return f(() => this.g.fop('pointwise', { fn: name }, [this.g.localize(t)], name));
      case 'permute':
        return f((a) => {
          const dims = a.pos.length === 1 && (a.pos[0] instanceof PyTuple || a.pos[0] instanceof PyList) ? (a.pos[0] as PyTuple).items : a.pos;
          const unknown = this.g.unknownArg('permute', [['dims', new PyTuple(dims)]]);
          if (unknown) return unknown;
          return this.g.fop('permute', { dims: dims.map((d) => this.g.toAttr(d)) }, [this.g.localize(t)], 'permute');
        });
      case 't':
        return f(() => this.g.fop('permute', { dims: [0, -1], swap: true }, [this.g.localize(t)], 't'));
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
          return this.g.fop('opaque', { reason: `Tensor.${name}` }, ts.map((x) => this.g.localize(x)), name);
        });
    }
  }

  tensorIndex(t: TensorVal, idx: Value, at: Span): Value {
    const I = this.rt;
    const items = idx instanceof PyTuple ? idx.items : [idx];
    const rank = t.t.shape?.length ?? null;
    const slices: AttrValue[] = [];
    const ell = items.findIndex((x) => x === this.py.ellipsis);
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
      return this.g.fop('opaque', { reason: 'tensor indexing' }, [this.g.localize(t)], 'getitem');
    }
    return this.g.fop('slice', { slices }, [this.g.localize(t)], 'slice');
  }

  /** Calls a function of the `torch` namespace (`torch.chunk`), as a tensor method does with its tensor first. */
  private call(path: `torch.${string}`, args: CallArgs): Value {
    const f = this.modules.get('torch')?.members.get(path.slice('torch.'.length));
    return this.rt.call(f ?? null, args);
  }
}
