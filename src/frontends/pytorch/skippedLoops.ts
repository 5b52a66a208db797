/**
 * What a loop would have changed when the analysis skipped it because its iterable was unknown. After it, the
 * names the loop assigns, the lists and dicts it fills and the attributes it sets hold unknown values, and the
 * modules it registers things on have unknown members. Left as they were before the loop, they read as a known
 * empty list or a stale width: exact-looking numbers and false errors (`self.layer1` missing, an unpacking that
 * fails) where PyTorch, whatever the loop ran over, gives something else.
 */
import type { Expr, Stmt } from './ast';
import type { Library } from './library';
import type { Runtime } from './runtime';
import { ModuleObj, Opaque, PyDict, PyError, PyInstance, PyList, PySet, type Scope, Sym, TensorVal, type Value } from './values';

export interface LoopHost extends Runtime {
  readonly lib: Library;
  eval(e: Expr, scope: Scope): Value;
  assign(t: Expr, v: Value, scope: Scope): void;
}

/** Methods of Python's list, dict and set that change them in place. */
const MUTATORS = new Set(['append', 'extend', 'insert', 'update', 'add', 'setdefault', 'pop', 'popitem', 'remove', 'discard', 'clear', 'sort', 'reverse']);

/** Calls that register modules on their first argument (`setattr(self, name, block)`). */
const SETTERS = new Set(['setattr', 'delattr']);

interface Effects {
  /** Targets that get a new value: names, `obj.attr`, `obj[key]`. */
  targets: Expr[];
  /** Receivers of method calls: `layers` in `layers.append(b)`, `self` in `self.add_module(n, b)`. */
  receivers: { obj: Expr; method: string }[];
  /** First arguments of `setattr` / `delattr`. */
  setters: Expr[];
}

function collect(stmts: readonly Stmt[], out: Effects): void {
  for (const s of stmts) {
    switch (s.k) {
      case 'expr':
        exprs(s.e, out);
        break;
      case 'assign':
        out.targets.push(...s.targets);
        exprs(s.value, out);
        break;
      case 'aug':
        out.targets.push(s.target);
        exprs(s.value, out);
        break;
      case 'if':
        for (const b of s.branches) {
          if (b.test) exprs(b.test, out);
          collect(b.body, out);
        }
        if (s.orelse) collect(s.orelse, out);
        break;
      case 'for':
        out.targets.push(s.target);
        exprs(s.iter, out);
        collect(s.body, out);
        if (s.orelse) collect(s.orelse, out);
        break;
      case 'while':
        exprs(s.test, out);
        collect(s.body, out);
        if (s.orelse) collect(s.orelse, out);
        break;
      case 'try':
        collect(s.body, out);
        for (const h of s.handlers) collect(h.body, out);
        if (s.orelse) collect(s.orelse, out);
        if (s.final) collect(s.final, out);
        break;
      case 'with':
        for (const it of s.items) {
          exprs(it.e, out);
          if (it.name) out.targets.push(it.name);
        }
        collect(s.body, out);
        break;
      case 'return':
        if (s.value) exprs(s.value, out);
        break;
      default:
        break;
    }
  }
}

/** Calls anywhere inside an expression (not inside lambdas, which do not run here). */
function exprs(e: Expr, out: Effects): void {
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const y of x) visit(y);
      return;
    }
    const node = x as { k?: string };
    if (node.k === 'lambda') return;
    if (node.k === 'call') {
      const c = x as Extract<Expr, { k: 'call' }>;
      if (c.fn.k === 'attr') out.receivers.push({ obj: c.fn.obj, method: c.fn.name });
      if (c.fn.k === 'name' && SETTERS.has(c.fn.id) && c.args[0] && c.args[0].star === 0) out.setters.push(c.args[0].e);
    }
    for (const [key, v] of Object.entries(node)) if (key !== 'k' && key !== 'from' && key !== 'to') visit(v);
  };
  visit(e);
}

/** Reads an expression that names something (`self.layers`, `cfg`) without running any call. */
function readPlain(I: LoopHost, e: Expr, scope: Scope): Value | undefined {
  if (e.k !== 'name' && !(e.k === 'attr' && isPlain(e.obj))) return undefined;
  try {
    return I.eval(e, scope);
  } catch (err) {
    if (err instanceof PyError) return undefined;
    throw err;
  }
}

const isPlain = (e: Expr): boolean => e.k === 'name' || (e.k === 'attr' && isPlain(e.obj));

/** After a loop over an unknown value was skipped: what it may have changed becomes unknown. */
export function forgetLoopEffects(I: LoopHost, loop: Extract<Stmt, { k: 'for' }>, scope: Scope): void {
  const fx: Effects = { targets: [loop.target], receivers: [], setters: [] };
  collect(loop.body, fx);
  if (loop.orelse) collect(loop.orelse, fx);
  const building = I.lib.graph.phase === 'build';
  const unknown = (what: string): Opaque => new Opaque(`${what} after a skipped loop`);
  const forgetValue = (e: Expr): void => {
    // A list or dict the loop filled: replaced, where it is named, by an unknown value.
    if (!isPlain(e)) return;
    if (e.k === 'attr') {
      const owner = readPlain(I, e.obj, scope);
      if (owner instanceof ModuleObj) {
        if (owner.modules.has(e.name)) {
          if (building) {
            I.lib.nn.markUnknownMembers(owner, `a loop over an unknown value changes '${e.name}'`);
            // `self.layers += [...]` fills the container itself: a known empty ModuleList would run as no layers.
            const child = owner.modules.get(e.name);
            if (child && child.container !== 'none') I.lib.nn.markUnknownMembers(child, `a loop over an unknown value changes '${e.name}'`);
          }
          return;
        }
        owner.attrs.set(e.name, unknown(e.name));
        return;
      }
      if (owner instanceof PyInstance) owner.attrs.set(e.name, unknown(e.name));
      return;
    }
    I.assign(e, unknown(e.k === 'name' ? e.id : 'value'), scope);
  };
  const forgetTarget = (t: Expr): void => {
    switch (t.k) {
      case 'name':
        I.assign(t, unknown(t.id), scope);
        return;
      case 'tuple':
      case 'list':
        for (const x of t.elts) forgetTarget(x);
        return;
      case 'star':
        forgetTarget(t.e);
        return;
      case 'attr':
        forgetValue(t);
        return;
      case 'sub': {
        const obj = readPlain(I, t.obj, scope);
        if (obj instanceof ModuleObj) {
          if (building) I.lib.nn.markUnknownMembers(obj, 'a loop over an unknown value sets its entries');
        } else if (obj instanceof PyList || obj instanceof PyDict) forgetValue(t.obj);
        return;
      }
      default:
        return;
    }
  };
  for (const t of fx.targets) forgetTarget(t);
  for (const { obj, method } of fx.receivers) {
    const v = readPlain(I, obj, scope);
    // Any method of a module being built may register submodules or set widths (`self._make_layer(...)`).
    if (v instanceof ModuleObj) {
      if (building) I.lib.nn.markUnknownMembers(v, `a loop over an unknown value calls '${method}'`);
    } else if ((v instanceof PyList || v instanceof PyDict || v instanceof PySet) && MUTATORS.has(method)) forgetValue(obj);
  }
  for (const e of fx.setters) {
    const v = readPlain(I, e, scope);
    if (v instanceof ModuleObj && building) I.lib.nn.markUnknownMembers(v, 'a loop over an unknown value sets its attributes');
  }
}

/** Whether iterating over `v` skips the loop: its items are unknown to the analysis. */
export function itemsUnknown(v: Value): boolean {
  return v instanceof Opaque || v instanceof Sym || v instanceof TensorVal || (v instanceof ModuleObj && v.container !== 'none' && v.unknownMembers);
}

/** Whether `e` only names something (`self.layers`), so reading it again runs no code of the user's. */
export const namesOnly = (e: Expr): boolean => isPlain(e);
