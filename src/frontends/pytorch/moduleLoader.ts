/**
 * Python's import statements over the user's own modules and installed packages: `import a.b`, `from .blocks
 * import X`, `from . import blocks`, `from ..layers import *` (honouring `__all__`) and `__init__.py`
 * re-exports. Found modules (`moduleResolver.ts`) run in the same interpreter as the analysed file, each in
 * its own module scope, so their classes, helpers and decorators are interpreted like the file's own code and
 * one budget covers the whole import graph. A module is registered before its body runs, so a cycle of
 * imports sees a partially initialised module, as in Python.
 *
 * Reading is lazy: a package's `__init__.py` runs when one of its attributes is first needed, and a name
 * bound by `from M import X` reads M when X is first used. `torch` and the other catalogue modules are never
 * read; a module found nowhere is the open namespace of unknowns it always was.
 */
import * as path from 'node:path';
import type { ParseCache, Span, Stmt } from './ast';
import { LazyImport } from './imports';
import type { Interp } from './interp';
import { type LocatedModule, type ModuleResolver, isCatalogueOnly, packageOf, parsedModules } from './moduleResolver';
import { Namespace, Opaque, PyList, PyTuple, Scope, type Value } from './values';

type ImportStmt = Extract<Stmt, { k: 'import' }>;
type FromStmt = Extract<Stmt, { k: 'from' }>;

interface PyModule {
  name: string;
  ns: Namespace;
  scope: Scope;
  located: LocatedModule;
  /** `new`: a package whose `__init__.py` has not run yet. */
  state: 'new' | 'running' | 'done';
  /** Every name it defines is known (no star import of an unknown module, nothing dynamic, read whole). */
  closed: boolean;
}

/** Packages nest no deeper than this; a longer import chain is a cycle the registry missed. */
const MAX_IMPORT_DEPTH = 64;

/** Stands for the folder of a file that is not in a package, so `from .blocks import X` still finds its neighbour. */
const SCRIPT_DIR_PACKAGE = '__script_dir__';

export class ModuleLoader {
  /** Every file read, the analysed one aside. */
  readonly files = new Set<string>();
  private readonly modules = new Map<string, PyModule>();
  private readonly byScope = new Map<Scope, PyModule>();
  private depth = 0;

  constructor(
    private readonly I: Interp,
    private readonly resolver: ModuleResolver,
    /** When the analysis must stop: imported files are parsed within it. */
    private readonly deadline: number,
    /** Parsed files kept between runs (the CLI's disk cache). */
    private readonly parseCache?: ParseCache,
  ) {
    const file = I.file;
    const pkg = packageOf(file, resolver.reader);
    const main: PyModule = {
      name: pkg.moduleName,
      ns: new Namespace(pkg.moduleName, I.globals.vars, true),
      scope: I.globals,
      located: { name: pkg.moduleName, file, paths: pkg.isPackageInit ? [path.dirname(path.resolve(file))] : [], installed: false },
      state: 'running',
      closed: false,
    };
    this.modules.set(main.name, main);
    this.byScope.set(I.globals, main);
    if (!pkg.moduleName.includes('.') && !pkg.isPackageInit) {
      this.register({ name: SCRIPT_DIR_PACKAGE, file: null, paths: [pkg.root], installed: false }).state = 'done';
    }
  }

  // ---------------------------------------------------------------- statements

  execImport(s: ImportStmt, scope: Scope): void {
    for (const n of s.names) {
      const name = n.path.join('.');
      const mod = this.importModule(name, s);
      if (n.alias) this.I.setVar(scope, n.alias, mod);
      else this.I.setVar(scope, n.path[0]!, n.path.length === 1 ? mod : this.importModule(n.path[0]!, s));
    }
  }

  execFrom(s: FromStmt, scope: Scope): void {
    const I = this.I;
    const name = this.absoluteName(s.module, s.level, scope);
    if (name === null) {
      // A relative import above the top package: Python fails it; the names stay unknown.
      const mod = I.lib.modules.importModule(s.module, s, s.level);
      if (s.star) I.markStarImport(scope);
      for (const n of s.names) I.setVar(scope, n.alias ?? n.path[n.path.length - 1]!, I.getAttr(mod, n.path[n.path.length - 1]!, s));
      return;
    }
    if (s.star) {
      this.starImport(name, s, scope);
      return;
    }
    const known = I.lib.modules.get(name);
    for (const n of s.names) {
      const member = n.path[n.path.length - 1]!;
      const v = known ? this.catalogueMember(known, name, member, s) : new LazyImport(`${name}.${member}`, () => this.importName(name, member, s));
      I.setVar(scope, n.alias ?? member, v);
    }
  }

  /** The names `from M import *` binds: `__all__` when M sets it, else its public names. */
  private starImport(name: string, s: FromStmt, scope: Scope): void {
    const I = this.I;
    const ns = this.importModule(name, s);
    const m = this.modules.get(name);
    if (m) this.initialise(m);
    if (!m || !m.closed) I.markStarImport(scope);
    const all = ns.members.get('__all__');
    const names =
      all instanceof PyList || all instanceof PyTuple
        ? all.items.filter((x): x is string => typeof x === 'string')
        : [...ns.members.keys()].filter((k) => !k.startsWith('_'));
    for (const k of names) {
      const v = ns.members.has(k) ? ns.members.get(k) : m ? this.submodule(m, k, s) : undefined;
      if (v !== undefined) I.setVar(scope, k, v);
    }
  }

  /** What `from M import X` binds for a catalogue module M (the catalogue's members, or a submodule of it). */
  private catalogueMember(mod: Namespace, name: string, member: string, at: Span): Value {
    if (mod.members.has(member)) return this.I.getAttr(mod, member, at);
    const sub = this.I.lib.modules.get(`${name}.${member}`);
    if (sub) return sub;
    return new LazyImport(`${name}.${member}`, () => this.importName(name, member, at));
  }

  /** `from M import X` when X is first used: M's attribute X, else its submodule X. */
  private importName(name: string, member: string, at: Span): Value {
    const I = this.I;
    const ns = this.importModule(name, at);
    const m = this.modules.get(name);
    if (!m) {
      const v = ns.members.has(member) ? ns.members.get(member) : ns.fallback?.(member);
      if (v !== undefined) return v;
      return this.findModule(`${name}.${member}`, at) ?? I.getAttr(ns, member, at);
    }
    this.initialise(m);
    const v = m.scope.vars.get(member) ?? this.submodule(m, member, at);
    if (v !== undefined) return v;
    if (m.closed && m.state === 'done') {
      I.diag('error', 'pytorch/raise', `ImportError: cannot import name '${member}' from '${name}' (${m.located.file ?? 'a namespace package'})`, at);
    } else I.info(at, `${name}.${member} is not found in what the analysis could read of ${name}; its value is unknown`);
    return new Opaque(`${name}.${member}`);
  }

  // ---------------------------------------------------------------- modules

  /** `import name`: the module, its parents imported first; a module found nowhere is an open namespace. */
  importModule(name: string, at: Span): Namespace {
    return this.findModule(name, at) ?? this.I.lib.modules.importModule(name.split('.'), at);
  }

  private findModule(name: string, at: Span): Namespace | undefined {
    const known = this.I.lib.modules.get(name);
    if (known) return known;
    if (isCatalogueOnly(name)) return undefined;
    const loaded = this.modules.get(name);
    if (loaded) return loaded.ns;
    const dot = name.lastIndexOf('.');
    let located: LocatedModule | null;
    if (dot < 0) located = this.resolver.locate(name);
    else {
      const parentName = name.slice(0, dot);
      const parentNs = this.findModule(parentName, at);
      if (!parentNs) return undefined;
      const parent = this.modules.get(parentName);
      located = parent ? this.resolver.locateIn(parent.located, name.slice(dot + 1)) : this.resolver.locate(name);
    }
    if (!located) return undefined;
    const m = this.register(located);
    if (dot >= 0) {
      const parentNs = this.I.lib.modules.get(name.slice(0, dot)) ?? this.modules.get(name.slice(0, dot))?.ns;
      parentNs?.members.set(name.slice(dot + 1), m.ns);
    }
    // A package's `__init__.py` waits until one of its attributes is needed; a plain module runs now.
    if (!located.paths.length) this.initialise(m);
    return m.ns;
  }

  private register(located: LocatedModule): PyModule {
    const scope = new Scope(null, 'module');
    const m: PyModule = {
      name: located.name,
      scope,
      located,
      state: 'new',
      closed: false,
      ns: new Namespace(located.name, scope.vars, true, (member) => {
        if (m.state !== 'new') return undefined;
        this.initialise(m);
        return scope.vars.get(member);
      }),
    };
    this.modules.set(located.name, m);
    this.byScope.set(scope, m);
    return m;
  }

  /** A package's submodule, imported on demand (`from . import blocks`). */
  private submodule(m: PyModule, member: string, at: Span): Value | undefined {
    if (!m.located.paths.length) return undefined;
    const name = `${m.name}.${member}`;
    if (!this.modules.has(name) && !this.resolver.locateIn(m.located, member)) return undefined;
    return this.findModule(name, at);
  }

  /** Runs a module's body once: the first time it is imported, or (a package) when its attributes are needed. */
  private initialise(m: PyModule): void {
    if (m.state !== 'new') return;
    m.state = 'running';
    const I = this.I;
    const scope = m.scope;
    const isPackage = m.located.paths.length > 0;
    scope.vars.set('__name__', m.name);
    scope.vars.set('__package__', isPackage ? m.name : m.name.slice(0, Math.max(0, m.name.lastIndexOf('.'))));
    if (isPackage) scope.vars.set('__path__', new PyList([...m.located.paths]));
    const file = m.located.file;
    if (file === null) {
      // A namespace package: nothing to run, and its attributes are its submodules.
      m.state = 'done';
      return;
    }
    scope.vars.set('__file__', file);
    if (++this.depth > MAX_IMPORT_DEPTH) {
      this.depth--;
      m.state = 'done';
      I.info(null, `imports nest deeper than ${MAX_IMPORT_DEPTH} modules at ${m.name}; it is left unknown`, 'pytorch/import');
      return;
    }
    try {
      I.checkTime();
      const src = parsedModules.get(file, this.resolver.reader, this.deadline, this.parseCache);
      if (!src) {
        I.info(null, `${m.name} (${file}) could not be read; its names are unknown`, 'pytorch/import');
        return;
      }
      this.files.add(file);
      if (m.located.installed) I.installedBases.add(src.base);
      const complete = src.parsed.truncatedAt === null && src.parsed.errors.length === 0;
      if (!complete) {
        I.info(null, `${m.name} (${file}) could not be read whole within the analysis budget or has syntax errors; what it defines past that point is unknown`, 'pytorch/import');
      }
      const ok = I.runModuleBody(src.parsed.body, scope, m.located.installed);
      // Names made at run time (`globals()[...]`, a module `__getattr__`) are not listed: such a module is open.
      m.closed = ok && complete && !I.hasStarImport(scope) && !makesNamesAtRunTime(src.text);
    } finally {
      this.depth--;
      m.state = 'done';
    }
  }

  /** The absolute name of a module named in `from ... import`, against the package of the module running it. */
  private absoluteName(path: string[], level: number, scope: Scope): string | null {
    if (level === 0) return path.join('.');
    let root = scope;
    while (root.parent) root = root.parent;
    const m = this.byScope.get(root);
    if (!m) return null;
    const isPackage = m.located.paths.length > 0 && m.located.file !== null && /__init__\.py$/.test(m.located.file);
    let pkg = isPackage ? m.name : m.name.includes('.') ? m.name.slice(0, m.name.lastIndexOf('.')) : m.scope === this.I.globals ? SCRIPT_DIR_PACKAGE : '';
    if (!pkg) return null;
    const parts = pkg.split('.');
    if (level - 1 >= parts.length || (pkg === SCRIPT_DIR_PACKAGE && level > 1)) return null;
    pkg = parts.slice(0, parts.length - (level - 1)).join('.');
    return path.length ? `${pkg}.${path.join('.')}` : pkg;
  }

  /** Marks the analysed file's own module done, so a cycle back into it after this sees it whole. */
  finishMain(): void {
    const main = this.byScope.get(this.I.globals);
    if (main) main.state = 'done';
  }
}

/** Whether a module's text makes names at run time; the same texts come back in every analysis of an index. */
const runTimeNames = new Map<string, boolean>();
function makesNamesAtRunTime(text: string): boolean {
  let v = runTimeNames.get(text);
  if (v === undefined) {
    v = /\bglobals\(\)|\b__getattr__\b|\bsys\.modules\b|\bsetattr\(/.test(text);
    if (runTimeNames.size >= 256) runTimeNames.delete(runTimeNames.keys().next().value!);
    runTimeNames.set(text, v);
  }
  return v;
}
