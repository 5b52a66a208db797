/**
 * Python's class machinery as model code uses it: `class` statements (C3 method resolution order, bases the
 * analysis does not know, `@dataclass` and its generated `__init__`), making instances (modules are
 * registered where they are made), `__init__` along the MRO, attributes seen through an instance, and `super()`.
 */
import type { ClassDef, Expr, Span, Stmt } from './ast';
import type { Library } from './library';
import type { Runtime } from './runtime';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  type CallArgs,
  type ClassLike,
  ModuleObj,
  Opaque,
  PyClass,
  PyDict,
  PyError,
  PyFunction,
  PyInstance,
  PyTuple,
  Scope,
  type SuperObj,
  Sym,
  type Value,
} from './values';

/** What the class machinery needs from the interpreter beyond the library's `Runtime`. */
export interface ClassHost extends Runtime {
  readonly globals: Scope;
  eval(e: Expr, scope: Scope): Value;
  execBlock(body: readonly Stmt[], scope: Scope): unknown;
}

export class Classes {
  /** User classes instantiated during the analysis. */
  readonly instantiated = new Set<PyClass>();
  /** Fields of the dataclasses made so far, for subclasses that are dataclasses too. */
  private readonly dataclassFields = new WeakMap<PyClass, { name: string; required: boolean; owner: PyClass }[]>();
  /** Built-in functions stored on classes that bind `self` like methods (a dataclass `__init__`). */
  private readonly methodBuiltins = new WeakSet<Builtin>();

  constructor(
    private readonly I: ClassHost,
    private readonly lib: Library,
  ) {}

  /** A `class` statement: bases, MRO, body, and the `__init__` a `@dataclass` generates. */
  define(d: ClassDef, scope: Scope): Value {
    const bases: ClassLike[] = [];
    let opaqueBase = false;
    for (const b of d.bases) {
      const v = this.I.eval(b, scope);
      if (v instanceof PyClass || v instanceof BuiltinClass) bases.push(v);
      else opaqueBase = true;
    }
    if (bases.length === 0) bases.push(this.lib.python.objectClass);
    const cls = new PyClass(d.name, bases, new Map(), d);
    cls.mro = c3(cls, bases);
    if (opaqueBase) cls.dict.set('__opaque_base__', true);
    const metaArg = d.keywords.find((k) => k.name === 'metaclass');
    const meta = metaArg ? this.I.eval(metaArg.e, scope) : null;
    cls.metaclass = meta instanceof PyClass ? meta : bases.map((b) => (b instanceof PyClass ? b.metaclass : null)).find((m) => m) ?? null;
    const body = new Scope(scope, 'class');
    body.vars.set('__qualname__', d.name);
    this.I.execBlock(d.body, body);
    for (const [k, v] of body.vars) {
      if (v instanceof PyFunction) v.ownerClass = cls;
      cls.dict.set(k, v);
    }
    if (!cls.dict.has('__init__') && d.decorators.some((dec) => this.isDataclass(dec.e, scope))) cls.dict.set('__init__', this.dataclassInit(d, cls));
    if (cls.mro.includes(this.lib.stdlib.enumBase)) this.makeEnumMembers(cls);
    return cls;
  }

  /**
   * What Python's enum machinery does at the end of a class statement: each plain class attribute becomes a
   * member, an instance of the class with `name` and `value` (after the class's own `__init__`, given the value,
   * as torchvision's `WeightsEnum` sets `_value_`). Left as their raw values, `isinstance(w, WeightsEnum)`
   * was false for a real member and `verify` raised a TypeError PyTorch never raises. Enums mixed with `int`
   * or `str` keep their raw values, which compare and compute as those types do.
   */
  private makeEnumMembers(cls: PyClass): void {
    const auto = this.lib.stdlib.autoClass;
    const mixed = cls.mro.some((c) => c instanceof BuiltinClass && (c.qualname === 'enum.IntEnum' || c.qualname === 'int' || c.qualname === 'str' || c.qualname === 'float'));
    const members: PyInstance[] = [];
    let last = 0;
    for (const [name, raw] of [...cls.dict]) {
      if (name.startsWith('_') && name.endsWith('_')) continue;
      if (raw instanceof PyFunction || raw instanceof Builtin || raw instanceof PyClass || raw instanceof BuiltinClass) continue;
      let v: Value = raw instanceof PyInstance && raw.cls === auto ? last + 1 : raw;
      if (typeof v === 'number') last = v;
      if (mixed) {
        cls.dict.set(name, v);
        continue;
      }
      // A second name for an equal value is an alias of the first member.
      const alias = members.find((m) => !(v instanceof Opaque) && this.I.equals(m.attrs.get('_value_') ?? null, v) === true);
      if (alias) {
        cls.dict.set(name, alias);
        continue;
      }
      const m = new PyInstance(cls);
      m.attrs.set('_name_', name);
      m.attrs.set('_value_', v);
      const init = cls.lookup('__init__');
      if (init instanceof PyFunction) {
        try {
          this.I.invoke(init, { pos: [m, ...(v instanceof PyTuple ? v.items : [v])], kw: [] });
        } catch (e) {
          if (!(e instanceof PyError)) throw e;
          v = new Opaque(`${cls.name}.${name}.value`);
          m.attrs.set('_value_', v);
        }
      }
      m.attrs.set('name', name);
      m.attrs.set('value', m.attrs.get('_value_') ?? v);
      cls.dict.set(name, m);
      members.push(m);
    }
    if (!mixed) cls.enumMembers = members;
  }

  /** `Cls(value)` for an enum: the member with that value. */
  enumLookup(cls: PyClass, v: Value): Value {
    const members = cls.enumMembers ?? [];
    if (v instanceof PyInstance && members.includes(v)) return v;
    for (const m of members) if (this.I.equals(m.attrs.get('_value_') ?? null, v) === true) return m;
    if (v instanceof Opaque || v instanceof Sym || members.some((m) => m.attrs.get('_value_') instanceof Opaque)) return new Opaque(`${cls.name}(...)`);
    return this.I.raise('ValueError', `${this.I.repr(v)} is not a valid ${cls.name}`);
  }

  private isDataclass(e: Expr, scope: Scope): boolean {
    const callee = e.k === 'call' ? e.fn : e;
    if (callee.k !== 'name' && callee.k !== 'attr') return false;
    try {
      return this.I.eval(callee, scope) === this.lib.stdlib.dataclassDecorator;
    } catch (err) {
      if (err instanceof PyError) return false;
      throw err;
    }
  }

  /**
   * The `__init__` `@dataclass` generates: the annotated fields of the dataclass bases, then this class's, in
   * order; class values as defaults, and `field(default=..., default_factory=...)` as Python reads it.
   */
  private dataclassInit(d: ClassDef, cls: PyClass): Builtin {
    const own: { name: string; required: boolean; owner: PyClass }[] = [];
    for (const s of d.body) {
      if ((s.k === 'assign' && s.annotated && s.targets.length === 1 && s.targets[0]!.k === 'name') || (s.k === 'annotate' && s.target.k === 'name')) {
        const t = s.k === 'assign' ? s.targets[0]! : s.target;
        if (t.k === 'name') own.push({ name: t.id, required: s.k === 'annotate', owner: cls });
      }
    }
    // As Python orders them: base fields first (from the most basic class), a redefined field keeps its place.
    const fields: typeof own = [];
    const put = (f: (typeof own)[number]): void => {
      const at = fields.findIndex((x) => x.name === f.name);
      if (at >= 0) fields[at] = f;
      else fields.push(f);
    };
    for (const base of cls.mro.slice(1).reverse()) for (const f of (base instanceof PyClass ? this.dataclassFields.get(base) : undefined) ?? []) put(f);
    own.forEach(put);
    this.dataclassFields.set(cls, fields);
    // What `dataclasses.fields` reads.
    const declared = new PyDict();
    for (const f of fields) {
      const field = new PyInstance(this.lib.stdlib.fieldClass);
      field.attrs.set('name', f.name);
      declared.set(f.name, field);
    }
    cls.dict.set('__dataclass_fields__', declared);
    const init = new Builtin('__init__', (a) => {
      const self = a.pos[0];
      if (!(self instanceof PyInstance)) return null;
      const given = new Map<string, Value>();
      a.pos.slice(1).forEach((v, i) => {
        const f = fields[i];
        if (!f) this.I.raise('TypeError', `${cls.name}.__init__() takes ${fields.length + 1} positional arguments but ${a.pos.length} were given`);
        given.set(f.name, v);
      });
      for (const [k, v] of a.kw) {
        if (!fields.some((f) => f.name === k)) this.I.raise('TypeError', `${cls.name}.__init__() got an unexpected keyword argument '${k}'`);
        given.set(k, v);
      }
      for (const f of fields) {
        // A field given None is given: `??` would read it as missing.
        let v = given.has(f.name) ? given.get(f.name) : f.required ? undefined : f.owner.dict.get(f.name);
        if (v instanceof PyInstance && v.cls === this.lib.stdlib.fieldClass) {
          const factory = v.attrs.get('default_factory');
          v = v.attrs.get('default') ?? (factory !== undefined ? this.I.call(factory, { pos: [], kw: [] }) : undefined);
        }
        if (v === undefined) this.I.raise('TypeError', `${cls.name}.__init__() missing 1 required positional argument: '${f.name}'`);
        self.attrs.set(f.name, v);
      }
      return null;
    });
    this.methodBuiltins.add(init);
    return init;
  }

  /** `Cls(...)` for a class defined in the file. */
  instantiate(cls: PyClass, args: CallArgs): Value {
    if (cls.enumMembers) return this.enumLookup(cls, args.pos[0] ?? args.kw[0]?.[1] ?? null);
    const base = cls.builtinBase();
    let obj: PyInstance;
    if (base && base.kind === 'exception') {
      const inst = new PyInstance(cls);
      inst.attrs.set('args', new PyTuple(args.pos));
      obj = inst;
    } else if (cls.mro.some((c) => c instanceof BuiltinClass && c.kind !== 'object' && c.kind !== 'opaque' && c.kind !== 'type' && c.kind !== 'exception')) {
      const m = new ModuleObj(cls);
      this.lib.nn.noteConstruction(m);
      this.instantiated.add(cls);
      obj = m;
    } else obj = new PyInstance(cls);
    if (cls.dict.get('__opaque_base__') === true && !cls.lookup('__init__')) {
      return obj;
    }
    this.initInstance(obj, cls.mro, 0, args);
    return obj;
  }

  /** Runs the first `__init__` found in `mro[start..]` on `obj`. */
  initInstance(obj: PyInstance, mro: readonly ClassLike[], start: number, args: CallArgs): void {
    for (let i = start; i < mro.length; i++) {
      const c = mro[i]!;
      if (c instanceof PyClass) {
        const init = c.dict.get('__init__');
        if (init instanceof PyFunction) {
          this.I.invoke(init, { pos: [obj, ...args.pos], kw: args.kw });
          return;
        }
        if (init instanceof Builtin) {
          init.fn({ pos: [obj, ...args.pos], kw: args.kw });
          return;
        }
        if (c.dict.get('__opaque_base__') === true) return;
      } else {
        this.lib.nn.builtinInit(c, obj, args);
        return;
      }
    }
  }

  /** A class attribute seen through an instance: functions bind, class/static methods and properties follow their kind. */
  bindAttr(c: Value, self: Value, cls: PyClass): Value {
    if (c instanceof Builtin && this.methodBuiltins.has(c)) return new Builtin(c.name, (a) => c.fn({ pos: [self, ...a.pos], kw: a.kw }));
    if (c instanceof PyFunction) {
      if (c.kind === 'function') return new BoundMethod(self, c);
      if (c.kind === 'classmethod') return new BoundMethod(cls, c);
      if (c.kind === 'staticmethod') return c.withKind('function');
      if (c.kind === 'property') return this.I.invoke(c, { pos: [self], kw: [] });
    }
    return c;
  }

  superAttr(s: SuperObj, name: string, at: Span): Value {
    const self = s.self;
    const mro = self instanceof PyInstance && self.cls instanceof PyClass ? self.cls.mro : self instanceof PyClass ? self.mro : [];
    const start = mro.indexOf(s.cls) + 1;
    for (let i = start; i < mro.length; i++) {
      const c = mro[i]!;
      if (c instanceof PyClass) {
        if (c.dict.has(name)) return this.bindAttr(c.dict.get(name)!, self, self instanceof PyInstance && self.cls instanceof PyClass ? self.cls : c);
        if (c.dict.get('__opaque_base__') === true) return name === '__init__' ? new Builtin('__init__', () => null) : new Opaque(`super().${name}`);
      } else {
        if (name === '__init__') {
          return new Builtin('__init__', (args) => {
            if (self instanceof PyInstance) this.lib.nn.builtinInit(c, self, args);
            return null;
          });
        }
        if (self instanceof ModuleObj) return this.lib.nn.builtinModuleMethod(self, name, at, c);
        return new Opaque(`super().${name}`);
      }
    }
    return this.I.raise('AttributeError', `'super' object has no attribute '${name}'`, at);
  }
}

/** C3 linearisation; on an inconsistent hierarchy, a depth-first order without repeats. */
function c3(cls: PyClass, bases: ClassLike[]): ClassLike[] {
  const seqs = [...bases.map((b) => b.mro.slice()), bases.slice()];
  const out: ClassLike[] = [cls];
  for (let guard = 0; guard < 1000; guard++) {
    const nonEmpty = seqs.filter((s) => s.length);
    if (!nonEmpty.length) return out;
    const head = nonEmpty.map((s) => s[0]!).find((h) => !nonEmpty.some((s) => s.indexOf(h) > 0));
    if (!head) break;
    out.push(head);
    for (const s of nonEmpty) if (s[0] === head) s.shift();
  }
  const dfs: ClassLike[] = [cls];
  for (const b of bases) for (const m of b.mro) if (!dfs.includes(m)) dfs.push(m);
  return dfs;
}
