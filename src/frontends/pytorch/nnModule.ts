/**
 * `torch.nn.Module` and its containers as PyTorch builds them: construction (`__init__`, `super().__init__()`),
 * registration of submodules in order (`named_modules()` paths, `add_module`, `apply`), the containers
 * (`Sequential`, `ModuleList`, `ModuleDict`: indexing, slicing, `append`, iteration), attribute reads and
 * writes with PyTorch's errors, and calling a module: its `forward` as a group of the graph.
 */
import { isForeignSpan } from './moduleResolver';
import { numel } from '../../core/dims';
import type { GraphContext } from './graphContext';
import { fn, type ModuleRegistry } from './imports';
import { type Layers, ParamValue } from './layers';
import type { Runtime } from './runtime';
import type { Span } from './ast';
import { TORCH_MODULES } from '../../core/ops';
import {
  BoundMethod,
  Builtin,
  BuiltinClass,
  type CallArgs,
  ModuleObj,
  Namespace,
  Opaque,
  PyClass,
  PyDict,
  PyError,
  PyFunction,
  PyInstance,
  PyList,
  PySlice,
  PyTuple,
  Sym,
  TensorVal,
  type Value,
  isInt,
  numOf,
  sliceList,
  typeName,
} from './values';

export class NnModules {
  readonly sequentialClass: BuiltinClass;
  readonly moduleListClass: BuiltinClass;
  readonly moduleDictClass: BuiltinClass;
  /** `named_modules()` of the built model; dropped whenever a module is registered anywhere. */
  private walkCache: { root: ModuleObj; list: [string, ModuleObj][] } | null = null;
  /** Unknown objects kept on modules: if one is called on a tensor it is an unknown submodule. */
  private readonly opaqueOnModules = new WeakSet<Opaque>();
  /** Set when an unknown submodule ran: PyTorch counts parameters the analysis cannot see. */
  unknownSubmodule: string | null = null;
  /**
   * Set when the result of an unknown call was stored on a module while building it (`self.stem = Stem(...)` with
   * `Stem` unresolved): PyTorch counts its parameters whether or not forward calls it.
   */
  unknownAttribute: string | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly g: GraphContext,
    private readonly modules: ModuleRegistry,
    private readonly layers: Layers,
    readonly moduleClass: BuiltinClass,
  ) {
    this.sequentialClass = new BuiltinClass('Sequential', 'torch.nn.Sequential', 'sequential', moduleClass);
    this.moduleListClass = new BuiltinClass('ModuleList', 'torch.nn.ModuleList', 'modulelist', moduleClass);
    this.moduleDictClass = new BuiltinClass('ModuleDict', 'torch.nn.ModuleDict', 'moduledict', moduleClass);
  }

  /** The `torch.nn` module: Module, the containers, Parameter, and every layer class the catalogue names. */
  installNn(): Namespace {
    const nn = this.modules.ns(
      'torch.nn',
      {
        Module: this.moduleClass,
        Sequential: this.sequentialClass,
        ModuleList: this.moduleListClass,
        ModuleDict: this.moduleDictClass,
        Parameter: fn('Parameter', (a) => {
          const t = a.pos[0];
          return t instanceof TensorVal ? new ParamValue(t.t.shape ? numel(t.t.shape) : null, t) : new ParamValue(null, null);
        }),
        utils: new Namespace('torch.nn.utils', new Map(), true),
      },
      true,
      (name) => (/^[A-Z]/.test(name) ? this.layers.layerClass(name) : undefined),
    );
    for (const name of TORCH_MODULES.keys()) nn.members.set(name, this.layers.layerClass(name));
    return nn;
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
    const site = this.rt.site;
    if (site) {
      // A module made inside an imported file was made, as far as this file can say, by the call that led there.
      const here = isForeignSpan(site) ? this.rt.userSite : site;
      if (here) m.definedAt = this.rt.range(here);
      if ('k' in site && (site as { k: string }).k === 'call') {
        const call = site as unknown as ModuleObj['ctorCall'] & object;
        m.ctorCall = call;
        this.rt.instancesBySite.set(call, (this.rt.instancesBySite.get(call) ?? 0) + 1);
      }
    }
    m.ctorScope = this.rt.scope;
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
          for (const [k, v] of first.entries()) this.register(obj, this.rt.str(k), v);
        } else args.pos.forEach((v, i) => this.register(obj, String(i), v));
        return;
      }
      case 'modulelist': {
        obj.initialized = true;
        obj.container = 'modulelist';
        const src = args.pos[0] ?? args.kw.find(([k]) => k === 'modules')?.[1];
        if (src !== undefined && src !== null) this.rt.iterate(src, this.rt.site!).forEach((v, i) => this.register(obj, String(i), v));
        return;
      }
      case 'moduledict': {
        obj.initialized = true;
        obj.container = 'moduledict';
        const src = args.pos[0] ?? args.kw.find(([k]) => k === 'modules')?.[1];
        if (src instanceof PyDict) for (const [k, v] of src.entries()) this.register(obj, this.rt.str(k), v);
        else if (src !== undefined && src !== null) {
          for (const pair of this.rt.iterate(src, this.rt.site!)) {
            if (pair instanceof PyTuple || pair instanceof PyList) this.register(obj, this.rt.str(pair.items[0] ?? null), pair.items[1] ?? null);
          }
        }
        return;
      }
      case 'layer':
        this.layers.initLayer(c.name, obj, args);
        return;
      default:
        return;
    }
  }

  private register(m: ModuleObj, name: string, v: Value): void {
    this.walkCache = null;
    m.modules.set(name, this.entry(name, v));
  }

  /** What a container holds for `v`: the module itself, or a stand-in keeping the place of an unknown one. */
  private entry(name: string, v: Value): ModuleObj {
    if (v instanceof ModuleObj) return v;
    const what = v instanceof Opaque ? v.what : v instanceof PyInstance && hasOpaqueBase(v.cls) ? v.cls.name : null;
    if (what === null) return this.rt.raise('TypeError', `${typeName(v)} is not a Module subclass`);
    // Most likely a module from another package: it keeps its place, and what it does is unknown.
    this.rt.info(this.rt.site, `${this.rt.site ? this.rt.snippet(this.rt.site) : 'a container'}: entry '${name}' (${what}) is not a module the analysis knows; its shapes and parameters are unknown`);
    return this.unknownModule(what);
  }

  /** Modules were registered on `m` that the analysis cannot name or count. */
  markUnknownMembers(m: ModuleObj, why: string): void {
    this.walkCache = null;
    if (!m.unknownMembers) this.rt.info(this.rt.site, `${why}: what is registered on this ${m.cls.name} is unknown, and so are its parameters`);
    m.unknownMembers = true;
  }

  /** A member of a module holding unknown members, read where the analysis has none: unknown, maybe a module. */
  private unknownMember(m: ModuleObj, what: string): Opaque {
    const v = new Opaque(`${m.cls.name}.${what}`);
    this.opaqueOnModules.add(v);
    return v;
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

  builtinMethodOfClass(c: BuiltinClass, name: string): Value {
    if (name === '__init__') {
      return fn('__init__', (a) => {
        const self = a.pos[0];
        if (self instanceof PyInstance) this.builtinInit(c, self, { pos: a.pos.slice(1), kw: a.kw });
        return null;
      });
    }
    return fn(name, (a) => {
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
    return this.rt.raise('AttributeError', `type object '${c.name}' has no attribute '${name}'`, at);
  }

  // ================================================================ module attributes

  moduleAttr(m: ModuleObj, name: string, at: Span): Value {
    const own = m.attrs.get(name);
    // A parameter used in forward (`x * self.scale`) is a tensor of its shape.
    if (own instanceof ParamValue && own.tensor && this.g.phase === 'forward') return own.tensor;
    if (own !== undefined) return own;
    if (m.cls instanceof PyClass) {
      const c = m.cls.lookup(name);
      if (c !== undefined) {
        if (c instanceof PyFunction) {
          if (c.kind === 'function') return new BoundMethod(m, c);
          if (c.kind === 'classmethod') return new BoundMethod(m.cls, c);
          if (c.kind === 'staticmethod') return c.withKind('function');
          if (c.kind === 'property') return this.rt.invoke(c, { pos: [m], kw: [] });
        }
        return c;
      }
    }
    if (m.modules.has(name)) return m.modules.get(name)!;
    if (m.unknownMembers) {
      try {
        return this.moduleAttrOfBuiltin(m, name, at);
      } catch (e) {
        if (e instanceof PyError && e.pyType === 'AttributeError') return this.unknownMember(m, name);
        throw e;
      }
    }
    return this.moduleAttrOfBuiltin(m, name, at);
  }

  private moduleAttrOfBuiltin(m: ModuleObj, name: string, at: Span): Value {
    if (m.layer) {
      const a = this.layers.layerAttr(m, name);
      if (a !== undefined) return a;
    }
    if (name === 'training') return this.g.phase !== 'forward';
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

  /** nn.Module's own methods (and the containers'), bound to `m`. */
  builtinModuleMethod(m: ModuleObj, name: string, at: Span, from: BuiltinClass | null): Value {
    const I = this.rt;
    if (name !== 'modules' && name !== 'named_modules' && name !== 'children' && name !== 'named_children') this.structureChanged();
    const self = (): Value => m;
    const f = (impl: (a: CallArgs) => Value): Builtin => fn(name, impl);
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
          const k = a.pos[0] ?? a.kw.find(([n]) => n === 'name')?.[1] ?? null;
          const v = a.pos[1] ?? a.kw.find(([n]) => n === 'module')?.[1] ?? null;
          if (typeof k !== 'string') {
            if (k instanceof Opaque || k instanceof Sym) this.markUnknownMembers(m, `${name} under a name the analysis does not know`);
            else I.raise('TypeError', `module name should be a string. Got ${typeName(k)}`, at);
            return null;
          }
          if (v === null) {
            this.walkCache = null;
            m.modules.set(k, null);
          } else this.register(m, k, v);
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
      case '_modules': {
        // Read by containers written on nn.Module (`for m in self._modules.values()`): the registered entries, in order.
        const d = new PyDict();
        for (const [k, v] of m.modules) d.set(k, v);
        return d;
      }
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
            const src = a.pos[0] ?? null;
            if (src instanceof Opaque || src instanceof Sym) {
              this.markUnknownMembers(m, 'extended with an unknown iterable');
              return m;
            }
            for (const v of I.iterate(src, I.site!)) this.register(m, String(m.modules.size), v);
            return m;
          });
        case 'insert':
          return f((a) => {
            const items = [...m.modules.values()];
            const where = a.pos[0] ?? null;
            const v = this.entry(String(items.length), a.pos[1] ?? null);
            if (!isInt(where)) {
              this.markUnknownMembers(m, 'insert at a position the analysis does not know');
              return null;
            }
            const i = numOf(where);
            this.walkCache = null;
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
            const src = a.pos[0] ?? null;
            if (src instanceof PyDict) for (const [k, v] of src.entries()) this.register(m, I.str(k), v);
            else if (src instanceof ModuleObj && src.container === 'moduledict') for (const [k, v] of src.modules) this.register(m, k, v);
            else if (src instanceof Opaque || src instanceof Sym) this.markUnknownMembers(m, 'updated from an unknown mapping');
            else {
              for (const pair of I.iterate(src, I.site!)) {
                if (pair instanceof PyTuple || pair instanceof PyList) this.register(m, I.str(pair.items[0] ?? null), pair.items[1] ?? null);
                else this.markUnknownMembers(m, 'updated with an entry the analysis does not know');
              }
            }
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
      if (!m.initialized) this.rt.raise('AttributeError', 'cannot assign module before Module.__init__() call', at);
      m.attrs.delete(name);
      m.modules.set(name, v);
      return;
    }
    if (m.modules.has(name)) {
      if (v === null) {
        m.modules.set(name, null);
        return;
      }
      this.rt.raise('TypeError', `cannot assign '${typeName(v)}' as child module '${name}' (torch.nn.Module or None expected)`, at);
    }
    if (v instanceof Opaque) {
      this.opaqueOnModules.add(v);
      // An unknown call's result kept on a module being built is most likely a module: PyTorch counts it.
      if (this.g.phase === 'build' && v.what.endsWith('(...)')) this.unknownAttribute ??= `${name} (${v.what})`;
    }
    m.attrs.set(name, v);
  }

  moduleItem(m: ModuleObj, idx: Value, at: Span): Value {
    const I = this.rt;
    if (m.container === 'moduledict') {
      const k = I.str(idx);
      const v = m.modules.get(k);
      if (v === undefined) return m.unknownMembers ? this.unknownMember(m, `[${k}]`) : I.raise('KeyError', `'${k}'`, at);
      return v;
    }
    // Where unknown entries may sit before the one asked for, no entry is known by its position.
    if ((m.container === 'sequential' || m.container === 'modulelist') && m.unknownMembers) return this.unknownMember(m, '[...]');
    if (m.container === 'sequential' || m.container === 'modulelist') {
      const entries = [...m.modules.entries()].filter((e): e is [string, ModuleObj] => e[1] !== null);
      if (idx instanceof PySlice) {
        const picked = sliceList(entries, idx, I, at);
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
    const I = this.rt;
    const entry = this.entry(I.str(idx), v);
    if (idx instanceof Opaque || idx instanceof Sym) {
      this.markUnknownMembers(m, 'an entry set under a key the analysis does not know');
      return;
    }
    if (m.container === 'moduledict') {
      m.modules.set(I.str(idx), entry);
      return;
    }
    const keys = [...m.modules.keys()];
    const i = I.index(idx, keys.length, at);
    if (i !== null) m.modules.set(keys[i]!, entry);
  }

  deleteItem(m: ModuleObj, idx: Value, at: Span): void {
    this.walkCache = null;
    const keys = [...m.modules.keys()];
    if (m.container === 'moduledict') m.modules.delete(this.rt.str(idx));
    else {
      const i = this.rt.index(idx, keys.length, at);
      if (i !== null) m.modules.delete(keys[i]!);
    }
  }

  iterateModule(m: ModuleObj, at: Span): Value[] {
    // Its entries are not all known: iterating it is iterating an unknown value.
    if (m.container !== 'none' && m.unknownMembers) return this.rt.iterate(this.unknownMember(m, 'entries'), at);
    if (m.container === 'moduledict') return [...m.modules.keys()];
    if (m.container === 'sequential' || m.container === 'modulelist') return [...m.modules.values()].filter((v): v is ModuleObj => v !== null);
    return this.rt.raise('TypeError', `'${m.cls.name}' object is not iterable`, at);
  }

  moduleLength(m: ModuleObj): number | null {
    return m.container === 'none' || m.unknownMembers ? null : m.modules.size;
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
    for (const [p, m] of list) this.g.fixPath(m, p);
    // The model is built: its module tree is read several times more (counts, reports) and changes rarely.
    this.walkCache = { root, list };
  }

  /** Parameters as `model.parameters()` counts them: every registered module once, used or not. */
  parameterCount(root: ModuleObj): number | null {
    let total = 0;
    for (const [, m] of this.walkModules(root)) {
      if (m.unknownMembers) return null;
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

  callModule(m: ModuleObj, args: CallArgs): Value {
    this.rt.tick();
    this.g.called.add(m);
    const forward = m.cls instanceof PyClass ? m.cls.lookup('forward') : undefined;
    if (forward instanceof PyFunction) {
      const path = this.g.pathOf(m);
      if (path) this.g.b.beginGroup(path, m.cls.name, m.definedAt ?? undefined);
      this.g.pathStack.push(path);
      this.g.moduleStack.push(m);
      const first = args.pos[0];
      this.g.inputStack.push(first instanceof TensorVal ? this.g.localize(first) : null);
      try {
        return this.rt.invoke(forward, { pos: [m, ...args.pos], kw: args.kw });
      } finally {
        this.g.inputStack.pop();
        this.g.moduleStack.pop();
        this.g.pathStack.pop();
        if (path) this.g.b.endGroup();
      }
    }
    return this.builtinForward(m, args, null);
  }

  /** The forward of built-in modules: a layer's catalogue op, or a Sequential running its children. */
  private builtinForward(m: ModuleObj, args: CallArgs, _from: BuiltinClass | null): Value {
    const I = this.rt;
    this.g.called.add(m);
    if (m.layer) return this.layers.layerForward(m, args);
    if (m.container === 'sequential' && m.unknownMembers) {
      const v = this.unknownMember(m, 'forward');
      return this.opaqueCall(v, args);
    }
    if (m.container === 'sequential') {
      if (args.pos.length !== 1) I.raise('TypeError', `forward() takes 2 positional arguments but ${args.pos.length + 1} were given`);
      let x: Value = args.pos[0] ?? null;
      if (m.modules.size === 0) return x;
      const path = this.g.pathOf(m);
      if (path) this.g.b.beginGroup(path, m.cls.name, m.definedAt ?? undefined);
      this.g.pathStack.push(path);
      try {
        for (const c of m.modules.values()) if (c) x = this.callModule(c, { pos: [x], kw: [] });
      } finally {
        this.g.pathStack.pop();
        if (path) this.g.b.endGroup();
      }
      return x;
    }
    return I.raise('NotImplementedError', `Module [${m.cls.name}] is missing the required "forward" function`);
  }

  /** A call to something unknown: with tensor arguments it is an opaque node, so the graph stays connected. */
  opaqueCall(fn: Opaque, args: CallArgs): Value {
    const tensors = [...args.pos, ...args.kw.map(([, v]) => v)].filter((v): v is TensorVal => v instanceof TensorVal);
    if (tensors.length === 0) return new Opaque(`${fn.what}(...)`);
    this.rt.info(this.rt.site, `${fn.what} is not modelled; its output shape is unknown`);
    if (this.opaqueOnModules.has(fn)) this.unknownSubmodule ??= fn.what;
    return this.g.fop('opaque', { reason: fn.what }, tensors.map((t) => this.g.localize(t)), fn.what.split('.').pop() ?? 'call');
  }
}

/** Whether a class builds on a base the analysis does not know (imported from another package). */
function hasOpaqueBase(cls: PyClass | BuiltinClass): boolean {
  return cls.mro.some((c) => c instanceof PyClass && c.dict.get('__opaque_base__') === true);
}
