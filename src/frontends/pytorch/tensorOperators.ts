/**
 * Python's operators on tensors: `a + b` (the residual add, whose shape condition is stated in the user's
 * names and recorded for the quick fixes), `a * b`, `a - b`, `a / b`, `a @ b` (with `torch.matmul/mm/bmm`),
 * tensor-scalar arithmetic, and comparisons, which give boolean tensors.
 */
import { type OpName, broadcast } from '../../core/ops';
import type { GraphContext } from './graphContext';
import type { Span } from './ast';
import type { Runtime } from './runtime';
import { methodOf, optionalModuleParamOf } from './syntax';
import { CondVal, type ModuleObj, PyClass, Sym, TensorVal, type Value, isNumeric } from './values';

export class TensorOperators {
  constructor(
    private readonly rt: Runtime,
    private readonly g: GraphContext,
  ) {}

  /** `torch.matmul`, `mm` (2-D only) and `bmm` (3-D only), and `a @ b`. */
  matmulFn(x: Value | undefined, y: Value | undefined, kind: string): Value {
    const I = this.rt;
    const a = this.g.asTensor(x, kind);
    const b = this.g.asTensor(y, kind);
    const rank = kind === 'mm' ? 2 : kind === 'bmm' ? 3 : null;
    if (rank !== null) {
      for (const t of [a, b]) {
        if (t.shape && t.shape.length !== rank) return I.raise('RuntimeError', `${rank === 2 ? 'self' : 'batch1'} must be a ${rank}D tensor`);
      }
    }
    return this.g.fop('matmul', {}, [a, b], kind);
  }

  tensorBinop(op: string, a: Value, b: Value, at: Span, inplace: boolean): Value {
    const I = this.rt;
    const ta = a instanceof TensorVal ? a : null;
    const tb = b instanceof TensorVal ? b : null;
    if (op === '+' && ta && tb) return this.residualAdd(ta, tb, at, inplace);
    if (op === '@' && ta && tb) return this.matmulFn(ta, tb, 'matmul');
    const elementwise: Record<string, OpName> = { '*': 'mul', '-': 'sub', '/': 'div' };
    if (ta && tb && elementwise[op]) {
      const name = elementwise[op]!;
      return new TensorVal(this.g.b.op(name, {}, [this.g.localize(ta), this.g.localize(tb)], { name: this.g.opName(name), source: I.range(at) }), this.g.b);
    }
    const scalar = (v: Value): boolean => isNumeric(v) || v instanceof Sym || v instanceof CondVal;
    if ((ta && scalar(b)) || (tb && scalar(a))) {
      if (['+', '-', '*', '/', '**', '//'].includes(op)) return (ta ?? tb)!;
    }
    I.info(at, `'${op}' on tensors is not in the layer catalogue; the result's shape is unknown`);
    const ins = [ta, tb].filter((x): x is TensorVal => x !== null).map((x) => this.g.localize(x));
    return this.g.fop('opaque', { reason: `tensor ${op}` }, ins, 'op');
  }

  /** `a < b`, `a == b`, ... with a tensor operand: a boolean tensor of the broadcast shape. */
  tensorCompare(op: string, a: Value, b: Value, at: Span): Value {
    const scalar = (v: Value): boolean => isNumeric(v) || v instanceof Sym || v instanceof CondVal;
    const ins = [a, b].filter((v): v is TensorVal => v instanceof TensorVal).map((t) => this.g.localize(t));
    if ([a, b].some((v) => !(v instanceof TensorVal) && !scalar(v))) {
      this.rt.info(at, `comparing a tensor with ${this.rt.repr(a instanceof TensorVal ? b : a)} is not modelled; the result's shape is unknown`);
      return this.g.fop('opaque', { reason: `tensor ${op}` }, ins, 'compare');
    }
    return new TensorVal(this.g.b.op(ins.length === 2 ? 'compare' : 'compare_scalar', { op }, ins, { name: this.g.opName('compare'), source: this.rt.range(at) }), this.g.b);
  }

  /** `x + y`, `x += y`, `torch.add(x, y)`: the residual add, with its condition stated in the user's names. */
  private residualAdd(xv: TensorVal, yv: TensorVal, at: Span, _inplace: boolean): Value {
    const I = this.rt;
    const x = this.g.localize(xv);
    const y = this.g.localize(yv);
    let other = y;
    if (x.shape && y.shape && x.shape.length === y.shape.length) {
      // Dims assumed equal on the path taken are the same dim.
      const s = y.shape.map((d, i) => {
        const m = x.shape![i]!;
        return d !== null && m !== null && d !== m && I.assumedEqual(d, m) ? m : d;
      });
      other = { node: y.node, shape: s };
    }
    const before = this.g.b.diagnostics.length;
    const out = this.g.b.op('add', {}, [x, other], { name: this.g.opName('add'), source: I.range(at) });
    const module = this.g.moduleStack[this.g.moduleStack.length - 1] ?? null;
    for (const d of this.g.b.diagnostics.slice(before)) {
      if (d.code === 'shape/residual-add-condition' && x.shape && other.shape) {
        const cond = broadcast(x.shape, other.shape).condition ?? d.message.replace(/^residual add requires /, '');
        const param = module ? optionalModuleParam(module) : null;
        d.message = `${I.snippet(at)} requires ${cond}; ${param ? `pass ${param} otherwise` : 'add a projection shortcut otherwise'}`;
      }
      if (d.code === 'shape/residual-add' || d.code === 'shape/residual-add-condition') {
        this.g.addEvents.push({ at, module, blockInput: this.g.inputStack[this.g.inputStack.length - 1] ?? null, main: x, other, diag: d });
      }
    }
    return new TensorVal(out, this.g.b);
  }
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
