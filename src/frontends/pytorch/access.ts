/**
 * What `obj.name`, `obj[key]` and `for x in obj` do for each kind of value: Python's own values here, modules,
 * tensors and built-in classes through the library, user classes and `super()` through the class machinery.
 * Iterating over something unknown skips the loop and remembers it, so totals built through it are not
 * reported as exact.
 */
import { LazyImport } from './imports';
import type { Span } from './ast';
import type { Classes } from './classes';
import { paramTensor } from './layers';
import type { Library } from './library';
import type { Runtime } from './runtime';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  CondVal,
  ModuleObj,
  Namespace,
  Opaque,
  PyClass,
  PyDict,
  PyFunction,
  PyInstance,
  PyList,
  PySet,
  PySlice,
  PyTuple,
  SuperObj,
  Sym,
  TensorVal,
  type Value,
  isInt,
  lookupUndecided,
  numOf,
  sliceList,
  typeName,
} from './values';

export class ValueAccess {
  /** The first loop skipped because its iterable was unknown, while building the model and in forward. */
  skippedBuildLoop: Span | null = null;
  skippedForwardLoop: Span | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly lib: Library,
    private readonly classes: Classes,
  ) {}

  getAttr(obj: Value, name: string, at: Span): Value {
    if (obj instanceof ModuleObj) return this.lib.nn.moduleAttr(obj, name, at);
    if (obj instanceof TensorVal) return this.lib.tensors.tensorAttr(obj, name, at);
    if (obj instanceof PyInstance) {
      const v = obj.attrs.get(name);
      if (v !== undefined) return v;
      if (obj.cls instanceof PyClass) {
        const c = obj.cls.lookup(name);
        if (c !== undefined) return this.classes.bindAttr(c, obj, obj.cls);
        if (name === '__class__') return obj.cls;
        if (obj.cls.dict.get('__opaque_base__') === true || obj.cls.mro.some((m) => m instanceof PyClass && m.dict.get('__opaque_base__') === true)) {
          return new Opaque(`${obj.cls.name}.${name}`);
        }
      }
      if (name === 'args' || name === '__class__') return name === 'args' ? new PyTuple([]) : obj.cls;
      // Python calls `__getattr__` for what normal lookup does not find (torchvision's `weights.meta`).
      const fallback = obj.cls instanceof PyClass ? obj.cls.lookup('__getattr__') : undefined;
      if (fallback instanceof PyFunction) return this.rt.call(new BoundMethod(obj, fallback), { pos: [name], kw: [] });
      return this.rt.raise('AttributeError', `'${obj.cls.name}' object has no attribute '${name}'`, at);
    }
    if (obj instanceof PyClass) {
      const c = obj.lookup(name);
      if (c !== undefined) {
        if (c instanceof PyFunction && c.kind === 'classmethod') return new BoundMethod(obj, c);
        if (c instanceof PyFunction && c.kind === 'staticmethod') return c.withKind('function');
        return c;
      }
      if (name === '__name__' || name === '__qualname__') return obj.name;
      if (name === '__members__' && obj.enumMembers) {
        const d = new PyDict();
        for (const [k, m] of obj.dict) if (m instanceof PyInstance && obj.enumMembers.includes(m)) d.set(k, m);
        return d;
      }
      // Methods of the metaclass are methods of the class (`StrEnumMeta.from_str` on a weights enum).
      const meta = obj.metaclass?.lookup(name);
      if (meta instanceof PyFunction) return meta.kind === 'staticmethod' ? meta.withKind('function') : new BoundMethod(obj, meta);
      if (meta !== undefined) return meta;
      if (name === '__init__' || name === 'forward') {
        for (const m of obj.mro) if (m instanceof BuiltinClass) return this.lib.nn.builtinMethodOfClass(m, name);
      }
      if (obj.mro.some((m) => m instanceof PyClass && m.dict.get('__opaque_base__') === true)) return new Opaque(`${obj.name}.${name}`);
      for (const m of obj.mro) if (m instanceof BuiltinClass && m.kind !== 'object') return this.lib.nn.classAttr(m, name, at);
      return this.rt.raise('AttributeError', `type object '${obj.name}' has no attribute '${name}'`, at);
    }
    if (obj instanceof Namespace) {
      const v = obj.members.has(name) ? obj.members.get(name) : obj.fallback?.(name);
      if (v instanceof LazyImport) {
        const x = v.force();
        if (obj.members.get(name) === v) obj.members.set(name, x);
        return x;
      }
      if (v !== undefined) return v;
      if (obj.open) return new Opaque(`${obj.name}.${name}`);
      this.rt.info(at, `${obj.name}.${name} is not modelled; its value is unknown`);
      return new Opaque(`${obj.name}.${name}`);
    }
    if (obj instanceof SuperObj) return this.classes.superAttr(obj, name, at);
    if (obj instanceof BuiltinClass) {
      if (name === '__name__') return obj.name;
      // `object.__getattribute__(x, name)`, as classes with a `__getattr__` write plain lookups.
      if (obj.qualname === 'object' && name === '__getattribute__') return new Builtin('__getattribute__', (a) => this.getAttr(a.pos[0] ?? null, typeof a.pos[1] === 'string' ? a.pos[1] : '', at));
      return this.lib.nn.classAttr(obj, name, at);
    }
    if (obj instanceof Opaque) {
      // A parameter of known shape answers as its tensor does (`m.weight.shape`, `m.weight.data.normal_()`).
      const t = paramTensor(obj);
      if (t) return this.getAttr(t, name, at);
      return new Opaque(`${obj.what}.${name}`);
    }
    if (obj instanceof PyFunction) {
      const own = obj.attrs.get(name);
      if (own !== undefined) return own;
      if (name === '__name__' || name === '__qualname__') return obj.name;
      return new Opaque(`${obj.name}.${name}`);
    }
    return this.lib.python.valueMethod(obj, name, at);
  }

  setAttr(obj: Value, name: string, v: Value, at: Span): void {
    if (obj instanceof ModuleObj) {
      this.lib.nn.setModuleAttr(obj, name, v, at);
      return;
    }
    if (obj instanceof PyInstance) {
      obj.attrs.set(name, v);
      return;
    }
    if (obj instanceof PyClass) {
      obj.dict.set(name, v);
      return;
    }
    if (obj instanceof Namespace) {
      obj.members.set(name, v);
      return;
    }
    if (obj instanceof PyFunction) {
      obj.attrs.set(name, v);
      return;
    }
    if (obj instanceof Opaque) return;
    this.rt.raise('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`, at);
  }

  getItem(obj: Value, idx: Value, at: Span): Value {
    // A slice with a bound the analysis does not know is not the whole sequence (`args[:start]`).
    if (idx instanceof PySlice && [idx.lo, idx.hi, idx.step].some((b) => b instanceof Opaque || b instanceof Sym || b instanceof CondVal) && (obj instanceof PyList || obj instanceof PyTuple || typeof obj === 'string')) {
      return new Opaque('slice');
    }
    if (obj instanceof PyList || obj instanceof PyTuple) {
      if (idx instanceof PySlice) {
        const items = sliceList(obj.items, idx, this.rt, at);
        return obj instanceof PyList ? new PyList(items) : new PyTuple(items);
      }
      const i = this.index(idx, obj.items.length, at);
      if (i === null) return new Opaque('item');
      return obj.items[i]!;
    }
    if (typeof obj === 'string') {
      if (idx instanceof PySlice) return sliceList([...obj], idx, this.rt, at).join('');
      const i = this.index(idx, obj.length, at);
      return i === null ? new Opaque('character') : obj[i]!;
    }
    if (obj instanceof PyDict) {
      const either = lookupUndecided(obj, idx);
      if (either === 'unknown') return new Opaque('dict item');
      if (typeof either === 'object') return either.found;
      const v = either === 'missing' ? undefined : obj.get(idx);
      if (v === undefined) return this.rt.raise('KeyError', this.rt.repr(idx), at);
      return v;
    }
    if (obj instanceof TensorVal) return this.lib.tensors.tensorIndex(obj, idx, at);
    if (obj instanceof ModuleObj) return this.lib.nn.moduleItem(obj, idx, at);
    if (obj instanceof Opaque || obj instanceof Sym) return new Opaque('item');
    if (obj instanceof PyClass && obj.enumMembers) {
      // By name, aliases included (`Weights['DEFAULT']`).
      const m = typeof idx === 'string' ? obj.lookup(idx) : undefined;
      if (m instanceof PyInstance && obj.enumMembers.includes(m)) return m;
      if (typeof idx === 'string') return this.rt.raise('KeyError', this.rt.repr(idx), at);
      return new Opaque(`${obj.name}[...]`);
    }
    // `tuple[int, int]` is a generic alias: calling it calls `tuple` (pytorchcv passes widths through one).
    if (obj instanceof BuiltinClass && obj.kind === 'type' && this.lib.python.pythonTypes.get(obj.name) === obj) return obj;
    if (obj instanceof PyClass || obj instanceof BuiltinClass || obj instanceof Namespace) return new Opaque(`${typeName(obj)}[...]`);
    return this.rt.raise('TypeError', `'${typeName(obj)}' object is not subscriptable`, at);
  }

  /** A concrete index into a sequence of `len` items, or null when the index is unknown. */
  index(idx: Value, len: number, at: Span): number | null {
    if (!isInt(idx)) {
      if (idx instanceof Sym || idx instanceof Opaque || idx instanceof CondVal) return null;
      return this.rt.raise('TypeError', `indices must be integers, not ${typeName(idx)}`, at);
    }
    let i = numOf(idx);
    if (i < 0) i += len;
    if (i < 0 || i >= len) return this.rt.raise('IndexError', 'index out of range', at);
    return i;
  }

  setItem(obj: Value, idx: Value, v: Value, at: Span): void {
    if (obj instanceof PyList) {
      const i = this.index(idx, obj.items.length, at);
      if (i !== null) obj.items[i] = v;
      return;
    }
    if (obj instanceof PyDict) {
      obj.set(idx, v);
      return;
    }
    if (obj instanceof ModuleObj) {
      this.lib.nn.setModuleItem(obj, idx, v, at);
      return;
    }
    if (obj instanceof Opaque || obj instanceof TensorVal) return;
    this.rt.raise('TypeError', `'${typeName(obj)}' object does not support item assignment`, at);
  }

  iterate(v: Value, at: Span): Value[] {
    if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items.slice();
    if (v instanceof PyDict) return v.keys();
    if (typeof v === 'string') return [...v];
    if (v instanceof ModuleObj) return this.lib.nn.iterateModule(v, at);
    if (v instanceof PyClass && v.enumMembers) return v.enumMembers.slice();
    if (v instanceof Opaque || v instanceof Sym) {
      this.rt.info(at, `cannot iterate over an unknown value (${this.rt.snippet(at)}); the loop was skipped`);
      // What the skipped loop (or zip, enumerate, list() over it) would have built or computed is missing.
      if (this.lib.graph.phase === 'build') this.skippedBuildLoop ??= at;
      else this.skippedForwardLoop ??= at;
      return [];
    }
    if (v instanceof TensorVal) {
      this.rt.info(at, 'iterating over a tensor is not modelled; the loop was skipped');
      if (this.lib.graph.phase === 'build') this.skippedBuildLoop ??= at;
      else this.skippedForwardLoop ??= at;
      return [];
    }
    return this.rt.raise('TypeError', `'${typeName(v)}' object is not iterable`, at);
  }
}
