/**
 * The abstract interpreter: evaluates the parsed module the way CPython would, on the path it takes, with
 * concrete values where they are known and symbolic or opaque ones where they are not. This file holds
 * statements, expressions and calls; Python's operators (`operators.ts`), builtins (`builtins.ts`), class
 * machinery (`classes.ts`) and attribute, item and iteration access (`access.ts`) are beside it, and PyTorch
 * itself is the library (`library.ts`), which sees the interpreter only as a `Runtime`. Everything is bounded (steps, loop
 * iterations, call depth, wall time) and nothing it meets is fatal: what it does not understand becomes an
 * information diagnostic and an opaque value.
 */
import { numel } from '../../core/dims';
import type { Diagnostic, Severity, SourceRange } from '../../core/ir';
import type { CallExpr, CompExpr, Expr, FunctionDef, Param, Pattern, Span, Stmt } from './ast';
import { LineIndex } from './lines';
import { SymTable } from './symbolic';
import type { Runtime } from './runtime';
import type { ParamUse } from './syntax';
import { paramTensor } from './layers';
import { LazyImport } from './imports';
import type { ModuleLoader } from './moduleLoader';
import { FILE_OFFSET_UNIT, isForeignSpan, parsedModules } from './moduleResolver';
import { ValueAccess } from './access';
import { forgetLoopEffects, itemsUnknown, namesOnly } from './skippedLoops';
import { installBuiltins } from './builtins';
import { Classes } from './classes';
import { Library } from './library';
import { Operators } from './operators';
import { FormatError, type FormatHooks, formatValue, pyFloatStr } from './strformat';
import {
  BoundMethod,
  Builtin,
  BudgetError,
  BuiltinClass,
  type CallArgs,
  CondVal,
  ModuleObj,
  Namespace,
  Opaque,
  Partial as PyPartial,
  PyClass,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  PyInstance,
  PyList,
  PyObj,
  PySet,
  PySlice,
  PyTuple,
  Scope,
  Sym,
  TensorVal,
  type Value,
  typeName,
} from './values';

export interface Budget {
  /** Statements and calls, all together. */
  maxSteps: number;
  /** Iterations of any one loop. */
  maxLoopIterations: number;
  /** Nested Python calls. */
  maxCallDepth: number;
  /** Wall time for the whole analysis, in milliseconds. */
  timeLimitMs: number;
  /** Largest list `range()` or `*` may build. */
  maxCollection: number;
}

export const DEFAULT_BUDGET: Budget = {
  maxSteps: 1_000_000,
  maxLoopIterations: 20_000,
  maxCallDepth: 60,
  timeLimitMs: 1500,
  maxCollection: 1_000_000,
};

type Completion = undefined | { k: 'return'; v: Value } | 'break' | 'continue';

interface Frame {
  fn: PyFunction;
  first: Value | undefined;
  scope: Scope;
}

export class Interp implements Runtime {
  readonly diags: Diagnostic[] = [];
  readonly syms = new SymTable();
  readonly lines: LineIndex;
  readonly globals = new Scope(null, 'module');
  readonly builtins: Map<string, Value>;
  readonly lib: Library;
  readonly ops: Operators;
  readonly classes: Classes;
  readonly access: ValueAccess;
  /** The innermost call (or add) being evaluated in the user's code: where nodes execute and errors point. */
  site: Span | null = null;
  /** Set while evaluating text that is not the file (`--args`): its offsets must not become locations. */
  foreign = false;
  scope: Scope = this.globals;
  private steps = 0;
  private depth = 0;
  private readonly deadline: number;
  private readonly frames: Frame[] = [];
  private readonly seenDiag = new Set<string>();
  /** Module scopes that star-imported a module whose names are not all known. */
  private readonly starImportScopes = new Set<Scope>();
  /** Imports of other files; null when the file is read alone. */
  loader: ModuleLoader | null = null;
  /**
   * The innermost call (or import) in the analysed file itself: code of an imported file reports its problems
   * here, pointing at where they arose.
   */
  userSite: Span | null = null;
  /** The call in the analysed file that led to each exception raised in an imported file. */
  private readonly errorSites = new WeakMap<PyError, Span>();
  /** Offset bases of the imported files that come from the interpreter's installed packages. */
  readonly installedBases = new Set<number>();
  /** Functions wrapped by a decorator the analysis does not know: the wrapper may take any arguments. */
  private readonly looselyWrapped = new WeakSet<PyFunction>();
  /** The first condition on an unknown value read as false while building the model, and in forward. */
  guessedBuild: Span | null = null;
  guessedForward: Span | null = null;
  /**
   * The model's arguments the analysis made symbols of (none when it was given arguments). While they are in
   * play a raise may come only from not knowing them (`isinstance(cfg, list)`, `alpha <= 0`, `**kwargs`), so
   * it is information: PyTorch may not raise for real arguments.
   */
  symbolicArgs: readonly string[] = [];
  /** Equalities assumed while taking branches on undecidable conditions (union-find over rendered dims). */
  private readonly uf = new Map<string, string>();
  /** Module instances made by each constructor call site (a fix that edits the call changes all of them). */
  readonly instancesBySite = new Map<CallExpr, number>();
  /** Unused-argument warnings, for the quick fixes that wire the argument in. */
  readonly unusedArgs: { cls: PyClass; use: ParamUse; diag: Diagnostic }[] = [];

  constructor(
    readonly file: string,
    readonly text: string,
    readonly budget: Budget = DEFAULT_BUDGET,
    /** When the whole analysis must stop (parsing shares it); defaults to the budget from now. */
    deadline?: number,
    now: () => number = () => performance.now(),
  ) {
    this.now = now;
    this.deadline = deadline ?? now() + budget.timeLimitMs;
    this.lines = new LineIndex(file, text);
    this.lib = new Library(this);
    this.ops = new Operators(this, this.lib.operators);
    this.classes = new Classes(this, this.lib);
    this.access = new ValueAccess(this, this.lib, this.classes);
    this.builtins = installBuiltins(this, this.lib, this.ops);
  }

  private readonly now: () => number;

  // ---------------------------------------------------------------- diagnostics

  /** A span as a range in the analysed file: one in an imported file becomes the call that leads there. */
  range(s: Span): SourceRange {
    if (isForeignSpan(s)) return this.lines.range(this.userSite ?? { from: 0, to: 0 });
    return this.lines.range(s);
  }

  /** Where a span of an imported file lies in that file. */
  private foreignRange(s: Span): SourceRange | null {
    const src = parsedModules.sourceAt(s.from);
    if (!src) return null;
    src.lines ??= new LineIndex(src.file, src.text);
    return src.lines.range({ from: s.from - src.base, to: s.to - src.base });
  }

  diag(severity: Severity, code: string, message: string, at: Span | SourceRange | null, extra: Partial<Diagnostic> = {}): Diagnostic | null {
    const r: SourceRange = at === null ? this.lines.range({ from: 0, to: 0 }) : 'line' in at ? at : this.range(at);
    const there = at !== null && !('line' in at) && isForeignSpan(at) ? this.foreignRange(at) : null;
    if (there) {
      message = `${message} (in ${there.file.replace(/^.*[\\/]/, '')}, line ${there.line})`;
      extra = { ...extra, related: [...(extra.related ?? []), { ...there, message: 'raised here' }] };
    }
    const key = `${severity}|${code}|${r.line}|${message}`;
    if (this.seenDiag.has(key)) return null;
    this.seenDiag.add(key);
    const d: Diagnostic = { severity, file: r.file, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn, code, message, ...extra };
    this.diags.push(d);
    return d;
  }

  /** Something skipped: an information diagnostic, once per line and message. */
  info(at: Span | SourceRange | null, message: string, code = 'pytorch/unsupported'): void {
    if (this.diags.length > 500) return;
    this.diag('information', code, message, at ?? this.site);
  }

  raise(pyType: string, message: string, at: Span | null = this.site): never {
    throw new PyError(pyType, message, at);
  }

  src(s: Span): string {
    if (isForeignSpan(s)) {
      const src = parsedModules.sourceAt(s.from);
      return src ? src.text.slice(s.from - src.base, s.to - src.base) : '';
    }
    return this.text.slice(s.from, s.to);
  }

  /** One-line source text of a node, shortened for messages. */
  snippet(s: Span): string {
    const t = this.src(s).replace(/\s+/g, ' ').trim();
    return t.length > 60 ? `${t.slice(0, 57)}...` : t;
  }

  // ---------------------------------------------------------------- budgets

  tick(): void {
    this.steps++;
    if (this.steps > this.budget.maxSteps) throw new BudgetError(`the analysis stopped after ${this.budget.maxSteps} steps`);
    if ((this.steps & 255) === 0 && this.now() > this.deadline) {
      throw new BudgetError(`the analysis stopped after its time budget of ${this.budget.timeLimitMs} ms`);
    }
  }

  checkTime(): void {
    if (this.now() > this.deadline) throw new BudgetError(`the analysis stopped after its time budget of ${this.budget.timeLimitMs} ms`);
  }

  // ---------------------------------------------------------------- assumptions

  private find(a: string): string {
    let r = a;
    for (let i = 0; i < 64; i++) {
      const p = this.uf.get(r);
      if (p === undefined || p === r) break;
      r = p;
    }
    return r;
  }

  assume(a: string | number, b: string | number): void {
    const ra = this.find(String(a));
    const rb = this.find(String(b));
    if (ra === rb) return;
    // Keep a number as the representative so a symbol assumed equal to a number resolves to it.
    if (/^-?\d+$/.test(ra)) this.uf.set(rb, ra);
    else this.uf.set(ra, rb);
  }

  assumedEqual(a: string | number, b: string | number): boolean {
    return this.find(String(a)) === this.find(String(b));
  }

  // ---------------------------------------------------------------- module

  execModule(body: Stmt[]): void {
    this.globals.vars.set('__name__', this.file.replace(/^.*[\\/]/, '').replace(/\.py$/, ''));
    this.globals.vars.set('__file__', this.file);
    for (const s of body) {
      try {
        this.exec(s, this.globals);
      } catch (e) {
        if (e instanceof PyError) this.reportPyError(e);
        else throw e;
      }
    }
  }

  /**
   * Runs an imported module's body in its own scope. A Python exception at its top level is reported (on the
   * import that led there); in an installed package, which imports fine in real Python, it says only that the
   * analysis could not follow it. Returns whether the body ran without one.
   */
  runModuleBody(body: readonly Stmt[], scope: Scope, installed: boolean): boolean {
    const prev = { scope: this.scope, site: this.site, foreign: this.foreign };
    this.scope = scope;
    this.foreign = false;
    let ok = true;
    try {
      for (const s of body) {
        try {
          this.exec(s, scope);
        } catch (e) {
          if (!(e instanceof PyError)) throw e;
          ok = false;
          if (installed) this.diag('information', 'pytorch/import', `the analysis could not follow an installed module here (${e.pyType}: ${e.pyMessage}); what it defines after this is unknown`, e.at ?? s);
          else this.reportPyError(e);
        }
      }
    } finally {
      this.scope = prev.scope;
      this.site = prev.site;
      this.foreign = prev.foreign;
    }
    return ok;
  }

  private isInstalledCode(s: Span): boolean {
    return isForeignSpan(s) && this.installedBases.has(Math.floor(s.from / FILE_OFFSET_UNIT) * FILE_OFFSET_UNIT);
  }

  /** Records that a module star-imported names the analysis cannot list. */
  markStarImport(scope: Scope): void {
    this.starImportScopes.add(moduleScopeOf(scope));
  }

  hasStarImport(scope: Scope): boolean {
    return this.starImportScopes.has(moduleScopeOf(scope));
  }

  reportPyError(e: PyError): Diagnostic | null {
    const from = this.errorSites.get(e);
    if (from && this.userSite !== from) {
      const prev = this.userSite;
      this.userSite = from;
      try {
        return this.reportPyError(e);
      } finally {
        this.userSite = prev;
      }
    }
    const at = e.at ?? this.site;
    if (e.assumedAt) {
      // Only an assumption about an unknown led here: PyTorch may take the other way and never raise.
      const why = `reached by assuming '${this.snippet(e.assumedAt)}' is false, which the analysis cannot know`;
      return this.diag('information', 'pytorch/assumption', `${e.pyType}: ${e.pyMessage} (${why}); what follows is unknown`, at);
    }
    if (this.symbolicArgs.length) {
      const why = `raised while ${this.symbolicArgs.join(', ')} ${this.symbolicArgs.length > 1 ? 'are' : 'is'} symbolic; PyTorch may not raise for real arguments`;
      return this.diag('information', 'pytorch/unknown-raise', `${e.pyType}: ${e.pyMessage} (${why}); what follows is unknown`, at);
    }
    return this.diag('error', 'pytorch/raise', `${e.pyType}: ${e.pyMessage}`, at);
  }

  // ---------------------------------------------------------------- statements

  /** The branches of an `if` from the `from`-th on. */
  private execIf(s: Extract<Stmt, { k: 'if' }>, from: number, scope: Scope): Completion {
    for (let i = from; i < s.branches.length; i++) {
      const br = s.branches[i]!;
      if (br.test === null) return this.execBlock(br.body, scope);
      const v = this.eval(br.test, scope);
      // An argument check whose outcome is unknown (`if not isinstance(cfg, Known): raise ...`) is read as
      // passing: taking the raise would report an error PyTorch may never raise.
      if (br.body[0]?.k === 'raise' && isUndecided(v)) {
        this.info(br.test, `'${this.snippet(br.test)}' depends on values the analysis does not know; assuming the check passes`, 'pytorch/assumption');
        continue;
      }
      if (v instanceof Opaque && !this.truthy(v, br.test)) {
        // The rest runs only because an unknown was read as false: what it raises, PyTorch may never raise.
        const test = br.test;
        try {
          return this.execIf(s, i + 1, scope);
        } catch (e) {
          if (e instanceof PyError) e.assumedAt ??= test;
          throw e;
        }
      }
      if (this.truthy(v, br.test)) return this.execBlock(br.body, scope);
    }
    return s.orelse ? this.execBlock(s.orelse, scope) : undefined;
  }

  execBlock(body: readonly Stmt[], scope: Scope): Completion {
    for (const s of body) {
      const c = this.exec(s, scope);
      if (c !== undefined) return c;
    }
    return undefined;
  }

  exec(s: Stmt, scope: Scope): Completion {
    this.tick();
    switch (s.k) {
      case 'expr':
        this.eval(s.e, scope);
        return undefined;
      case 'assign': {
        const v = this.eval(s.value, scope);
        for (const t of s.targets) this.assign(t, v, scope);
        return undefined;
      }
      case 'annotate':
        return undefined;
      case 'aug': {
        const cur = this.eval(s.target, scope);
        const rhs = this.eval(s.value, scope);
        const prev = this.site;
        this.site = s;
        try {
          const v = this.binop(s.op, cur, rhs, s, true);
          this.assign(s.target, v, scope);
        } finally {
          this.site = prev;
        }
        return undefined;
      }
      case 'if':
        return this.execIf(s, 0, scope);
      case 'for': {
        const iterable = this.eval(s.iter, scope);
        const items = this.iterate(iterable, s.iter);
        if (itemsUnknown(iterable)) forgetLoopEffects(this, s, scope);
        let n = 0;
        for (const it of items) {
          if (++n > this.budget.maxLoopIterations) throw new BudgetError(`a loop ran more than ${this.budget.maxLoopIterations} iterations`);
          this.assign(s.target, it, scope);
          const c = this.execBlock(s.body, scope);
          if (c === 'break') return undefined;
          if (c !== undefined && c !== 'continue') return c;
        }
        return s.orelse ? this.execBlock(s.orelse, scope) : undefined;
      }
      case 'while': {
        let n = 0;
        while (this.truthy(this.eval(s.test, scope), s.test)) {
          if (++n > this.budget.maxLoopIterations) {
            throw new BudgetError(`the loop at line ${this.lines.position(s.from).line} ran more than ${this.budget.maxLoopIterations} iterations`);
          }
          const c = this.execBlock(s.body, scope);
          if (c === 'break') return undefined;
          if (c !== undefined && c !== 'continue') return c;
        }
        return s.orelse ? this.execBlock(s.orelse, scope) : undefined;
      }
      case 'return':
        return { k: 'return', v: s.value ? this.eval(s.value, scope) : null };
      case 'pass':
        return undefined;
      case 'break':
        return 'break';
      case 'continue':
        return 'continue';
      case 'raise': {
        if (!s.exc) this.raise('RuntimeError', 'No active exception to reraise', s);
        const exc = this.eval(s.exc, scope);
        const [type, msg] = this.describeException(exc);
        throw new PyError(type, msg, s);
      }
      case 'assert': {
        const v = this.eval(s.test, scope);
        if (isUndecided(v)) {
          this.info(s.test, `'${this.snippet(s.test)}' depends on values the analysis does not know; assuming the assertion holds`, 'pytorch/assumption');
          return undefined;
        }
        const ok = this.truthy(v, s.test);
        if (!ok) {
          const msg = s.msg ? this.str(this.eval(s.msg, scope)) : '';
          throw new PyError('AssertionError', msg || this.snippet(s.test), s);
        }
        return undefined;
      }
      case 'import':
        if (this.loader) {
          this.importing(s, () => this.loader!.execImport(s, scope));
          return undefined;
        }
        for (const n of s.names) {
          if (n.alias) this.setVar(scope, n.alias, this.lib.modules.importModule(n.path, s));
          else this.setVar(scope, n.path[0]!, this.lib.modules.importModule([n.path[0]!], s));
        }
        return undefined;
      case 'from': {
        if (this.loader) {
          this.importing(s, () => this.loader!.execFrom(s, scope));
          return undefined;
        }
        const mod = this.lib.modules.importModule(s.module, s, s.level);
        if (s.star) {
          if (mod instanceof Namespace) for (const [k, v] of mod.members) this.setVar(scope, k, v);
          this.markStarImport(scope);
          return undefined;
        }
        for (const n of s.names) {
          const name = n.path[n.path.length - 1]!;
          let v: Value;
          if (mod instanceof Namespace && !mod.members.has(name)) {
            const sub = this.lib.modules.importModule([...s.module, name], s, s.level, true);
            v = sub ?? this.getAttr(mod, name, s);
          } else v = this.getAttr(mod, name, s);
          this.setVar(scope, n.alias ?? name, v);
        }
        return undefined;
      }
      case 'global':
        scope.globalNames ??= new Set();
        for (const n of s.names) scope.globalNames.add(n);
        return undefined;
      case 'nonlocal':
        scope.nonlocalNames ??= new Set();
        for (const n of s.names) scope.nonlocalNames.add(n);
        return undefined;
      case 'del':
        for (const t of s.targets) this.delete(t, scope);
        return undefined;
      case 'try':
        return this.execTry(s, scope);
      case 'with': {
        for (const it of s.items) {
          const v = this.eval(it.e, scope);
          if (it.name) this.assign(it.name, v instanceof Opaque ? v : new Opaque('context'), scope);
        }
        return this.execBlock(s.body, scope);
      }
      case 'match':
        return this.execMatch(s.subject, s.cases, scope);
      case 'def':
        this.setVar(scope, s.name, this.defineFunction(s, scope));
        return undefined;
      case 'class':
        this.setVar(scope, s.name, this.classes.define(s, scope));
        return undefined;
      case 'bad':
        this.info(s, `skipped a statement the analysis does not model (${s.what})`);
        return undefined;
    }
  }

  /** Runs an import with the statement as the place in the analysed file that problems in other files point from. */
  private importing(s: Stmt, run: () => void): void {
    const prev = this.userSite;
    if (!isForeignSpan(s)) this.userSite = s;
    try {
      run();
    } finally {
      this.userSite = prev;
    }
  }

  private execTry(s: Extract<Stmt, { k: 'try' }>, scope: Scope): Completion {
    let c: Completion;
    try {
      c = this.execBlock(s.body, scope);
    } catch (e) {
      if (!(e instanceof PyError)) throw e;
      const h = s.handlers.find((h) => this.handlerMatches(h.type, e, scope));
      if (!h) {
        if (s.final) this.execBlock(s.final, scope);
        throw e;
      }
      if (h.name) this.setVar(scope, h.name, new Opaque(`${e.pyType} instance`));
      c = this.execBlock(h.body, scope);
      if (s.final) {
        const f = this.execBlock(s.final, scope);
        if (f !== undefined) return f;
      }
      return c;
    }
    if (c === undefined && s.orelse) c = this.execBlock(s.orelse, scope);
    if (s.final) {
      const f = this.execBlock(s.final, scope);
      if (f !== undefined) return f;
    }
    return c;
  }

  private handlerMatches(type: Expr | null, e: PyError, scope: Scope): boolean {
    if (!type) return true;
    const t = this.eval(type, scope);
    const names = (t instanceof PyTuple ? t.items : [t]).map((x) => (x instanceof BuiltinClass || x instanceof PyClass ? x : null));
    return names.some((c) => {
      if (!c) return true;
      if (c.name === 'Exception' || c.name === 'BaseException') return true;
      return c.name === e.pyType || exceptionParents(e.pyType).includes(c.name);
    });
  }

  private execMatch(subjectE: Expr, cases: Extract<Stmt, { k: 'match' }>['cases'], scope: Scope): Completion {
    const subject = this.eval(subjectE, scope);
    for (const c of cases) {
      if (c.patterns.some((p) => this.matchPattern(p, subject, scope)) && (!c.guard || this.truthy(this.eval(c.guard, scope), c.guard))) {
        return this.execBlock(c.body, scope);
      }
    }
    return undefined;
  }

  private matchPattern(p: Pattern, v: Value, scope: Scope): boolean {
    switch (p.k) {
      case 'wild':
        return true;
      case 'capture':
        this.setVar(scope, p.name, v);
        return true;
      case 'value':
        return this.truthy(this.ops.compare('==', v, this.eval(p.e, scope), p.e), p.e);
      case 'or':
        return p.alts.some((a) => this.matchPattern(a, v, scope));
      case 'as':
        if (!this.matchPattern(p.p, v, scope)) return false;
        this.setVar(scope, p.name, v);
        return true;
      case 'other':
        this.info(p, `a ${p.what} the analysis does not model was treated as not matching`);
        return false;
    }
  }

  describeException(exc: Value): [string, string] {
    if (exc instanceof BuiltinClass || exc instanceof PyClass) return [exc.name, ''];
    if (exc instanceof PyInstance) {
      const args = exc.attrs.get('args');
      const msg = args instanceof PyTuple && args.items.length ? this.str(args.items[0]!) : '';
      return [exc.cls.name, msg];
    }
    return ['Exception', this.str(exc)];
  }

  // ---------------------------------------------------------------- definitions

  private defineFunction(d: FunctionDef, scope: Scope): Value {
    const closure = scope.kind === 'class' ? (scope.parent ?? this.globals) : scope;
    const defaults = d.params.map((p) => (p.default ? this.eval(p.default, scope) : undefined));
    let fn: Value = new PyFunction(d.name, d, closure, defaults);
    // The library's decorators pass through, except the three that change how a method binds; those written
    // in Python (here or in an imported module) run; an unknown one leaves the function as written but free to
    // take any arguments, as its wrapper may.
    for (let i = d.decorators.length - 1; i >= 0; i--) {
      const e = d.decorators[i]!.e;
      if (e.k !== 'name' && e.k !== 'attr' && e.k !== 'call') continue;
      if (e.k === 'attr' && (e.name === 'setter' || e.name === 'deleter')) return scope.vars.get(e.obj.k === 'name' ? e.obj.id : '') ?? fn;
      let dec: Value;
      try {
        dec = this.eval(e, scope);
      } catch (err) {
        if (!(err instanceof PyError)) throw err;
        if (fn instanceof PyFunction) this.looselyWrapped.add(fn);
        continue;
      }
      if (dec instanceof Builtin) {
        if (fn instanceof PyFunction && (dec.name === 'classmethod' || dec.name === 'staticmethod' || dec.name === 'property')) {
          fn = fn.withKind(dec.name);
          continue;
        }
        // A modelled decorator (`functools.wraps(builder)`, `lru_cache`) does what it does; one whose result is
        // not a function leaves the function as written.
        try {
          const r = dec.fn({ pos: [fn], kw: [] });
          if (r instanceof PyFunction || r instanceof BoundMethod || r instanceof PyPartial || r instanceof Builtin || r instanceof PyClass) fn = r;
        } catch (err) {
          if (!(err instanceof PyError)) throw err;
        }
        continue;
      }
      if (dec instanceof PyFunction || dec instanceof BoundMethod || dec instanceof PyPartial || (dec instanceof PyInstance && dec.cls instanceof PyClass && dec.cls.lookup('__call__'))) {
        const undecorated: Value = fn;
        try {
          fn = this.call(dec, { pos: [fn], kw: [] });
        } catch (err) {
          if (!(err instanceof PyError)) throw err;
          this.info(e, `applying the decorator ${this.snippet(e)} failed in the analysis (${err.pyType}: ${err.pyMessage}); the function is read as written`);
          fn = undecorated;
          if (fn instanceof PyFunction) this.looselyWrapped.add(fn);
        }
        continue;
      }
      if (fn instanceof PyFunction) this.looselyWrapped.add(fn);
    }
    return fn;
  }

  // ---------------------------------------------------------------- variables

  setVar(scope: Scope, name: string, v: Value): void {
    if (scope.globalNames?.has(name)) moduleScopeOf(scope).vars.set(name, v);
    else if (scope.nonlocalNames?.has(name)) {
      for (let s = scope.parent; s; s = s.parent) {
        if (s.kind === 'function' && s.vars.has(name)) {
          s.vars.set(name, v);
          return;
        }
      }
      scope.vars.set(name, v);
    } else scope.vars.set(name, v);
  }

  lookup(name: string, scope: Scope, at: Span): Value {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v instanceof LazyImport) return this.forceImport(s, name, v, at);
      if (v !== undefined) return v;
    }
    const b = this.builtins.get(name);
    if (b !== undefined) return b;
    if (this.hasStarImport(scope)) {
      this.info(at, `'${name}' may come from a star import; its value is unknown`);
      return new Opaque(name);
    }
    return this.raise('NameError', `name '${name}' is not defined`, at);
  }

  /** Reads the module behind a name bound by `from M import X`, at its first use. */
  forceImport(s: Scope, name: string, v: LazyImport, at: Span): Value {
    const prev = this.userSite;
    if (!isForeignSpan(at)) this.userSite = at;
    try {
      const x = v.force();
      if (s.vars.get(name) === v) s.vars.set(name, x);
      return x;
    } finally {
      this.userSite = prev;
    }
  }

  assign(t: Expr, v: Value, scope: Scope): void {
    switch (t.k) {
      case 'name':
        this.setVar(scope, t.id, v);
        return;
      case 'attr':
        this.setAttr(this.eval(t.obj, scope), t.name, v, t);
        return;
      case 'sub': {
        const obj = this.eval(t.obj, scope);
        const idx = this.subscriptIndex(t, scope);
        this.setItem(obj, idx, v, t);
        return;
      }
      case 'tuple':
      case 'list': {
        if (v instanceof TensorVal) {
          this.info(t, `unpacking a tensor (${this.snippet(t)}) is not modelled; the names get unknown values`);
          t.elts.forEach((e) => this.assign(e.k === 'star' ? e.e : e, new Opaque('unpacked value'), scope));
          return;
        }
        const items = this.iterate(v, t);
        const starAt = t.elts.findIndex((e) => e.k === 'star');
        if (starAt < 0) {
          if (items.length !== t.elts.length) {
            // Values whose items the analysis cannot list (an unknown object, or a tensor, whose rows are not
            // modelled) unpack into unknowns rather than failing.
            if (v instanceof Opaque || v instanceof Sym) {
              t.elts.forEach((e) => this.assign(e.k === 'star' ? e.e : e, new Opaque('unpacked value'), scope));
              return;
            }
            this.raise('ValueError', items.length > t.elts.length ? `too many values to unpack (expected ${t.elts.length})` : `not enough values to unpack (expected ${t.elts.length}, got ${items.length})`, t);
          }
          t.elts.forEach((e, i) => this.assign(e, items[i]!, scope));
          return;
        }
        const after = t.elts.length - starAt - 1;
        if (items.length < t.elts.length - 1) this.raise('ValueError', 'not enough values to unpack', t);
        t.elts.slice(0, starAt).forEach((e, i) => this.assign(e, items[i]!, scope));
        this.assign((t.elts[starAt] as Extract<Expr, { k: 'star' }>).e, new PyList(items.slice(starAt, items.length - after)), scope);
        t.elts.slice(starAt + 1).forEach((e, i) => this.assign(e, items[items.length - after + i]!, scope));
        return;
      }
      case 'star':
        this.assign(t.e, v, scope);
        return;
      default:
        this.info(t, `cannot assign to ${this.snippet(t)}`);
    }
  }

  private delete(t: Expr, scope: Scope): void {
    if (t.k === 'name') {
      scope.vars.delete(t.id);
      return;
    }
    if (t.k === 'sub') {
      const obj = this.eval(t.obj, scope);
      const idx = this.subscriptIndex(t, scope);
      if (obj instanceof PyDict) obj.delete(idx);
      else if (obj instanceof PyList && typeof idx === 'number') obj.items.splice(idx < 0 ? idx + obj.items.length : idx, 1);
      else if (obj instanceof ModuleObj) this.lib.nn.deleteItem(obj, idx, t);
      return;
    }
    if (t.k === 'attr') {
      const obj = this.eval(t.obj, scope);
      if (obj instanceof ModuleObj) {
        obj.modules.delete(t.name);
        this.lib.nn.structureChanged();
      }
      if (obj instanceof PyInstance) obj.attrs.delete(t.name);
      return;
    }
    if (t.k === 'tuple' || t.k === 'list') for (const e of t.elts) this.delete(e, scope);
  }

  // ---------------------------------------------------------------- expressions

  eval(e: Expr, scope: Scope): Value {
    switch (e.k) {
      case 'name':
        return this.lookup(e.id, scope, e);
      case 'num':
        return e.float ? new PyFloat(e.v) : e.v;
      case 'str':
        return e.fstring ? this.fstring(e, scope) : e.v;
      case 'const':
        return e.v === 'ellipsis' ? this.lib.python.ellipsis : e.v;
      case 'attr':
        return this.getAttr(this.eval(e.obj, scope), e.name, e);
      case 'sub': {
        const obj = this.eval(e.obj, scope);
        return this.getItem(obj, this.subscriptIndex(e, scope), e);
      }
      case 'slice':
        return new PySlice(e.lo ? this.eval(e.lo, scope) : null, e.hi ? this.eval(e.hi, scope) : null, e.step ? this.eval(e.step, scope) : null);
      case 'call':
        return this.evalCall(e, scope);
      case 'bin': {
        const l = this.eval(e.l, scope);
        const r = this.eval(e.r, scope);
        const prev = this.site;
        if (!this.foreign) this.site = e;
        try {
          return this.binop(e.op, l, r, e, false);
        } finally {
          this.site = prev;
        }
      }
      case 'cmp': {
        let left = this.eval(e.items[0]!, scope);
        let result: Value = true;
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.items[i + 1]!, scope);
          const r = this.ops.compare(e.ops[i]!, left, right, e);
          if (i === 0) result = r;
          else result = this.ops.and(result, r);
          if (result === false) return false;
          left = right;
        }
        return result;
      }
      case 'and': {
        const l = this.eval(e.l, scope);
        if (!this.truthyQuiet(l)) return l;
        return this.ops.and(l, this.eval(e.r, scope));
      }
      case 'or': {
        const l = this.eval(e.l, scope);
        if (l instanceof CondVal) {
          if (l.assumed) return l;
          const r = this.eval(e.r, scope);
          return this.ops.or(l, r);
        }
        if (this.truthyQuiet(l)) return l;
        return this.eval(e.r, scope);
      }
      case 'not': {
        const v = this.eval(e.e, scope);
        if (v instanceof CondVal) return new CondVal(!v.assumed, v.eqs, `not ${v.text}`);
        // `not unknown` stays unknown, so that a later test can still choose how to read it.
        if (v instanceof Opaque) return new CondVal(true, [], `not ${v.what}`);
        return !this.truthy(v, e);
      }
      case 'unary':
        return this.ops.unary(e.op, this.eval(e.e, scope), e);
      case 'ifexp':
        return this.truthy(this.eval(e.test, scope), e.test) ? this.eval(e.body, scope) : this.eval(e.orelse, scope);
      case 'lambda':
        return new PyFunction('<lambda>', e, scope.kind === 'class' ? (scope.parent ?? this.globals) : scope, e.params.map((p) => (p.default ? this.eval(p.default, scope) : undefined)));
      case 'list':
        return new PyList(this.evalElts(e.elts, scope));
      case 'tuple':
        return new PyTuple(this.evalElts(e.elts, scope));
      case 'set':
        return new PySet(dedupe(this.evalElts(e.elts, scope)));
      case 'dict': {
        const d = new PyDict();
        for (const en of e.entries) {
          if (en.key === null) {
            const src = this.eval(en.value, scope);
            if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
            else if (!(src instanceof Opaque)) this.raise('TypeError', `'${typeName(src)}' object is not a mapping`, en.value);
          } else d.set(this.eval(en.key, scope), this.eval(en.value, scope));
        }
        return d;
      }
      case 'comp':
        return this.comprehension(e, scope);
      case 'star':
        this.info(e, 'a starred expression is only understood inside calls, lists and assignments');
        return new Opaque('starred');
      case 'walrus': {
        const v = this.eval(e.e, scope);
        this.setVar(scope.kind === 'class' ? scope : scope, e.name, v);
        return v;
      }
      case 'bad':
        return new Opaque(e.what);
    }
  }

  private evalElts(elts: readonly Expr[], scope: Scope): Value[] {
    const out: Value[] = [];
    for (const x of elts) {
      if (x.k === 'star') {
        const v = this.eval(x.e, scope);
        // Items the analysis cannot list keep one unknown place: a container built from them is not complete.
        if (itemsUnknown(v)) out.push(new Opaque(`*${this.snippet(x.e)}`));
        else out.push(...this.iterate(v, x));
      } else out.push(this.eval(x, scope));
    }
    this.checkSize(out.length);
    return out;
  }

  private fstring(e: Extract<Expr, { k: 'str' }>, scope: Scope): Value {
    if (!e.parts) return e.v;
    let out = '';
    for (const p of e.parts) {
      if (typeof p === 'string') out += p;
      else {
        const v = this.eval(p.e, scope);
        const shown: Value = p.conv === 'r' || (p.selfDoc && !p.conv && !p.spec) ? this.repr(v) : p.conv === 's' ? this.str(v) : v;
        out += (p.selfDoc ?? '') + this.formatting(() => formatValue(shown, p.spec ?? '', this.formatHooks(p.e)), p.e);
      }
    }
    return out;
  }

  private comprehension(e: CompExpr, scope: Scope): Value {
    const inner = new Scope(scope.kind === 'class' ? (scope.parent ?? this.globals) : scope, 'function');
    // The first iterable is evaluated in the enclosing scope, as Python does.
    const out: Value[] = [];
    const d = e.kind === 'dict' ? new PyDict() : null;
    let n = 0;
    const loop = (i: number): void => {
      const g = e.gens[i]!;
      const iterScope = i === 0 ? scope : inner;
      const iterable = this.eval(g.iter, iterScope);
      if (itemsUnknown(iterable)) skipped = true;
      for (const item of this.iterate(iterable, g.iter)) {
        if (++n > this.budget.maxLoopIterations) throw new BudgetError(`a comprehension ran more than ${this.budget.maxLoopIterations} iterations`);
        this.tick();
        this.assign(g.target, item, inner);
        if (!g.ifs.every((c) => this.truthy(this.eval(c, inner), c))) continue;
        if (i + 1 < e.gens.length) loop(i + 1);
        else if (d) d.set(this.eval(e.elt, inner), this.eval(e.value!, inner));
        else out.push(this.eval(e.elt, inner));
      }
    };
    let skipped = false;
    if (e.gens.length) loop(0);
    // Over items the analysis cannot list, what it builds is unknown, not empty.
    if (skipped) return new Opaque('comprehension');
    if (d) return d;
    if (e.kind === 'set') return new PySet(dedupe(out));
    return e.kind === 'gen' ? new PyTuple(out) : new PyList(out);
  }

  subscriptIndex(e: Extract<Expr, { k: 'sub' }>, scope: Scope): Value {
    if (e.items.length === 1 && !e.tuple) return this.eval(e.items[0]!, scope);
    return new PyTuple(this.evalElts(e.items, scope));
  }

  // ---------------------------------------------------------------- calls

  private evalCall(e: CallExpr, scope: Scope): Value {
    const fn = this.eval(e.fn, scope);
    // An unknown function's result is unknown whatever its arguments; outside forward (where tensor arguments
    // keep the graph connected) they need not be computed. Model zoos pass large metadata literals this way.
    if (fn instanceof Opaque && this.lib.graph.phase === 'build') return new Opaque(`${fn.what}(...)`);
    const pos: Value[] = [];
    const kw: [string, Value][] = [];
    /** An argument list the analysis cannot spell out (`*pairs`, `**cfg` of unknown values). */
    let unknownArgs: Span | null = null;
    for (const a of e.args) {
      if (a.star === 1) {
        const v = this.eval(a.e, scope);
        if (itemsUnknown(v)) unknownArgs ??= a.e;
        else pos.push(...this.iterate(v, a.e));
      } else if (a.star === 2) {
        const d = this.eval(a.e, scope);
        if (d instanceof PyDict) for (const [k, v] of d.entries()) kw.push([this.str(k), v]);
        else if (d instanceof Opaque || d instanceof Sym) unknownArgs ??= a.e;
        else this.raise('TypeError', `argument after ** must be a mapping, not ${typeName(d)}`, a);
      } else if (a.name !== null) kw.push([a.name, this.eval(a.e, scope)]);
      else pos.push(this.eval(a.e, scope));
    }
    if (unknownArgs) return this.callWithUnknownArgs(e, fn, { pos, kw }, unknownArgs, scope);
    const prevSite = this.site;
    const prevScope = this.scope;
    const prevUserSite = this.userSite;
    if (!this.foreign) this.site = e;
    if (!this.foreign && !isForeignSpan(e)) this.userSite = e;
    this.scope = scope;
    try {
      return this.call(fn, { pos, kw });
    } catch (err) {
      // An exception from an imported file is reported where the analysed file's innermost call led to it.
      if (err instanceof PyError && err.at && isForeignSpan(err.at) && !isForeignSpan(e) && !this.errorSites.has(err)) this.errorSites.set(err, e);
      throw err;
    } finally {
      this.site = prevSite;
      this.scope = prevScope;
      this.userSite = prevUserSite;
    }
  }

  /**
   * A call whose arguments are not all known: calling with the known ones only would build or run something
   * else than PyTorch does, so the result is unknown. A module method called so may register anything on it.
   */
  private callWithUnknownArgs(e: CallExpr, fn: Value, args: CallArgs, unknownArgs: Span, scope: Scope): Value {
    const what = this.snippet(e.fn);
    this.info(unknownArgs, `${what}(...) is called with arguments the analysis does not know (${this.snippet(unknownArgs)}); its result is unknown`);
    const receiver = e.fn.k === 'attr' && namesOnly(e.fn.obj) ? this.eval(e.fn.obj, scope) : null;
    if (this.lib.graph.phase === 'build') {
      if (receiver instanceof ModuleObj) this.lib.nn.markUnknownMembers(receiver, `${what}(...) with unknown arguments`);
      return new Opaque(`${what}(...)`);
    }
    // In forward the tensors it was given (the receiver of a tensor method included) still flow into its result.
    const prevSite = this.site;
    if (!this.foreign) this.site = e;
    try {
      const pos = receiver instanceof TensorVal || fn instanceof ModuleObj ? [receiver ?? fn, ...args.pos] : args.pos;
      return this.lib.nn.opaqueCall(new Opaque(what), { pos: pos.filter((v) => v instanceof TensorVal), kw: args.kw });
    } finally {
      this.site = prevSite;
    }
  }

  call(fn: Value, args: CallArgs): Value {
    this.tick();
    if (fn instanceof PyFunction) return this.invoke(fn, args);
    if (fn instanceof BoundMethod) return this.invoke(fn.fn, { pos: [fn.self, ...args.pos], kw: args.kw });
    if (fn instanceof Builtin) return fn.fn(args);
    if (fn instanceof PyClass) return this.classes.instantiate(fn, args);
    if (fn instanceof BuiltinClass) return this.lib.nn.constructBuiltin(fn, args);
    if (fn instanceof PyPartial) return this.call(fn.fn, { pos: [...fn.args.pos, ...args.pos], kw: mergeKw(fn.args.kw, args.kw) });
    if (fn instanceof ModuleObj) return this.lib.nn.callModule(fn, args);
    if (fn instanceof Opaque) return this.lib.nn.opaqueCall(fn, args);
    if (fn instanceof PyInstance) {
      const callFn = fn.cls instanceof PyClass ? fn.cls.lookup('__call__') : undefined;
      if (callFn instanceof PyFunction) return this.invoke(callFn, { pos: [fn, ...args.pos], kw: args.kw });
      // An instance of a class built on an unknown base (`class Stem(ConvNormAct)` with `ConvNormAct` imported
      // from elsewhere) is usually a module: calling it gives an unknown result, not an error.
      if (fn.cls.mro.some((m) => m instanceof PyClass && m.dict.get('__opaque_base__') === true)) return this.lib.nn.opaqueCall(new Opaque(`${fn.cls.name}(...)`), args);
    }
    if (fn instanceof CondVal) return this.raise('TypeError', `'bool' object is not callable`);
    if (fn instanceof Sym) {
      // A symbolic constructor argument may stand for a class or a function (`block`): its result is unknown.
      this.info(this.site, `calling ${this.dimText(fn)}, whose value is unknown; the result is unknown`);
      return new Opaque(`${this.dimText(fn)}(...)`);
    }
    return this.raise('TypeError', `'${typeName(fn)}' object is not callable`);
  }

  /** The function currently running (for `super()` and messages). */
  currentFrame(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  invoke(fn: PyFunction, args: CallArgs): Value {
    if (this.depth >= this.budget.maxCallDepth) {
      throw new BudgetError(`calls nested deeper than ${this.budget.maxCallDepth} levels (in ${fn.name}); unbounded recursion?`);
    }
    const scope = new Scope(fn.closure, 'function');
    if (this.looselyWrapped.has(fn)) {
      try {
        this.bind(fn, scope, args);
      } catch (e) {
        if (!(e instanceof PyError) || e.pyType !== 'TypeError') throw e;
        this.info(this.site, `${fn.name} is wrapped by a decorator the analysis does not know, which may accept these arguments (${e.pyMessage}); the result is unknown`);
        return new Opaque(`${fn.name}(...)`);
      }
    } else this.bind(fn, scope, args);
    const def = fn.def;
    this.depth++;
    const frame: Frame = { fn, first: args.pos[0], scope };
    this.frames.push(frame);
    const prevScope = this.scope;
    const prevForeign = this.foreign;
    this.scope = scope;
    this.foreign = false;
    try {
      if (def.k === 'lambda') return this.eval(def.body, scope);
      const c = this.execBlock(def.body, scope);
      return c !== undefined && typeof c === 'object' ? c.v : null;
    } catch (e) {
      // An installed package runs in real Python: a lookup failing inside it is the analysis's gap, not the user's error.
      if (e instanceof PyError && MODELLING_ERRORS.has(e.pyType) && this.isInstalledCode(def)) {
        this.diag('information', 'pytorch/import', `the analysis could not follow ${fn.name} in an installed package (${e.pyType}: ${e.pyMessage}); its result is unknown`, e.at ?? def);
        return new Opaque(`${fn.name}(...)`);
      }
      throw e;
    } finally {
      this.depth--;
      this.frames.pop();
      this.scope = prevScope;
      this.foreign = prevForeign;
    }
  }

  /** Python's argument binding: positional, defaults, keyword-only, `*args`, `**kwargs`. */
  private bind(fn: PyFunction, scope: Scope, args: CallArgs): void {
    const params: readonly Param[] = fn.def.params;
    const sig = signatureOf(fn.def);
    const fname = fn.name;
    const vals: (Value | undefined)[] = new Array(params.length);
    const npos = sig.positional.length;
    for (let j = 0; j < args.pos.length && j < npos; j++) vals[sig.positional[j]!] = args.pos[j]!;
    if (args.pos.length > npos && sig.varargs < 0) {
      this.raise('TypeError', `${fname}() takes ${npos} positional argument${npos === 1 ? '' : 's'} but ${args.pos.length} were given`);
    }
    let kwExtra: PyDict | null = null;
    for (const [k, v] of args.kw) {
      const i = sig.byName.get(k);
      if (i !== undefined) {
        if (vals[i] !== undefined) this.raise('TypeError', `${fname}() got multiple values for argument '${k}'`);
        vals[i] = v;
      } else if (sig.varkw >= 0) (kwExtra ??= new PyDict()).set(k, v);
      else this.raise('TypeError', `${fname}() got an unexpected keyword argument '${k}'`);
    }
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      if (p.star) continue;
      let v = vals[i];
      if (v === undefined) {
        v = fn.defaults[i];
        if (v === undefined) this.raise('TypeError', `${fname}() missing required argument: '${p.name}'`);
      }
      scope.vars.set(p.name, v);
    }
    if (sig.varargs >= 0) scope.vars.set(params[sig.varargs]!.name, new PyTuple(args.pos.slice(npos)));
    if (sig.varkw >= 0) scope.vars.set(params[sig.varkw]!.name, kwExtra ?? new PyDict());
  }

  // ---------------------------------------------------------------- attributes, items, iteration (access.ts)

  getAttr(obj: Value, name: string, at: Span): Value {
    return this.access.getAttr(obj, name, at);
  }

  setAttr(obj: Value, name: string, v: Value, at: Span): void {
    this.access.setAttr(obj, name, v, at);
  }

  getItem(obj: Value, idx: Value, at: Span): Value {
    return this.access.getItem(obj, idx, at);
  }

  setItem(obj: Value, idx: Value, v: Value, at: Span): void {
    this.access.setItem(obj, idx, v, at);
  }

  index(idx: Value, len: number, at: Span): number | null {
    return this.access.index(idx, len, at);
  }

  iterate(v: Value, at: Span): Value[] {
    return this.access.iterate(v, at);
  }

  // ---------------------------------------------------------------- collections

  checkSize(n: number): void {
    if (n > this.budget.maxCollection) throw new BudgetError(`a collection grew past ${this.budget.maxCollection} items`);
  }

  // ---------------------------------------------------------------- truth and comparisons

  /** Truth of a value; an undecided condition takes its assumed branch, records the assumption and says so. */
  truthy(v: Value, at: Span): boolean {
    if (v instanceof CondVal) {
      for (const [a, b] of v.eqs) this.assume(a, b);
      const eqs = v.eqs.map(([a, b]) => `${a} == ${b}`).join(' and ');
      this.diag('information', 'pytorch/assumption', `'${this.snippet(at)}' depends on unknown values; assuming it is ${v.assumed ? 'true' : 'false'}${eqs ? ` (${eqs})` : ''}`, at);
      // With no equality to state as a condition of the result (`width > 32`, `isinstance(x, Unread)`), the
      // branch is a guess: what was built or run after it may not be the model's.
      if (!v.eqs.length) {
        if (this.lib.graph.phase === 'build') this.guessedBuild ??= at;
        else this.guessedForward ??= at;
      }
      return v.assumed;
    }
    const tensor = v instanceof TensorVal ? v : paramTensor(v);
    if (tensor?.t.shape && (numel(tensor.t.shape) ?? 0) > 1) {
      return this.raise('RuntimeError', 'Boolean value of Tensor with more than one value is ambiguous', at);
    }
    if (v instanceof Opaque) {
      this.info(at, `'${this.snippet(at)}' depends on a value the analysis does not know; assuming it is false`, 'pytorch/assumption');
      // The way taken is a guess: what was built or run after it may not be the model's.
      if (this.lib.graph.phase === 'build') this.guessedBuild ??= at;
      else this.guessedForward ??= at;
      return false;
    }
    return this.truthyQuiet(v);
  }

  truthyQuiet(v: Value): boolean {
    if (v === null) return false;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return v.length > 0;
    if (v instanceof PyFloat) return v.v !== 0;
    if (v instanceof PyList || v instanceof PyTuple || v instanceof PySet) return v.items.length > 0;
    if (v instanceof PyDict) return v.map.size > 0;
    if (v instanceof CondVal) return v.assumed;
    if (v instanceof Opaque) return false;
    if (v instanceof ModuleObj) return this.lib.nn.moduleLength(v) !== 0;
    return true;
  }

  /** Python `==`; an undecidable equality is a `CondVal` assumed true. */
  equals(a: Value, b: Value): Value {
    return this.ops.equals(a, b);
  }

  binop(op: string, a: Value, b: Value, at: Span, inplace: boolean): Value {
    return this.ops.binop(op, a, b, at, inplace);
  }

  dimText(v: Value): string | number {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof PyFloat) return v.v;
    if (v instanceof Sym) {
      const n = this.syms.norm(v);
      return typeof n === 'number' ? n : this.syms.render(n);
    }
    return this.str(v);
  }

  // ---------------------------------------------------------------- text

  /** How `str.format`, `%` and f-strings print and read values, with errors raised at `at`. */
  formatHooks(at: Span): FormatHooks {
    return {
      str: (v) => this.str(v),
      repr: (v) => this.repr(v),
      attr: (v, name) => this.getAttr(v, name, at),
      item: (v, key) => this.getItem(v, key, at),
    };
  }

  /** Runs a formatting call, turning its error into the Python exception it names. */
  formatting(run: () => string, at: Span): string {
    try {
      return run();
    } catch (e) {
      if (e instanceof FormatError) return this.raise(e.pyType, e.message, at);
      throw e;
    }
  }

  str(v: Value): string {
    if (v === null) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string') return v;
    if (v instanceof PyFloat) return pyFloatStr(v.v);
    if (v instanceof Sym) return String(this.dimText(v));
    return this.repr(v);
  }

  repr(v: Value): string {
    if (typeof v === 'string') return `'${v}'`;
    if (v instanceof PyList) return `[${v.items.map((x) => this.repr(x)).join(', ')}]`;
    if (v instanceof PyTuple) return v.items.length === 1 ? `(${this.repr(v.items[0]!)},)` : `(${v.items.map((x) => this.repr(x)).join(', ')})`;
    if (v instanceof PyDict) return `{${v.entries().map(([k, x]) => `${this.repr(k)}: ${this.repr(x)}`).join(', ')}}`;
    if (v instanceof PyClass || v instanceof BuiltinClass) return `<class '${v.name}'>`;
    if (v instanceof ModuleObj) return `${v.cls.name}()`;
    if (v instanceof PyInstance) return `<${v.cls.name} object>`;
    if (v instanceof PyFunction) return `<function ${v.name}>`;
    if (v instanceof Opaque) return `<${v.what}>`;
    if (v instanceof TensorVal) return 'tensor(...)';
    if (v instanceof CondVal) return v.text;
    if (v instanceof PyObj) return `<${v.typeName()}>`;
    return this.str(v);
  }
}

// ------------------------------------------------------------------ helpers

/** A truth value the analysis cannot decide and that carries no assumption about the model's widths. */
/** Exceptions that, raised inside an installed package, say more about what the analysis models than about the model. */
const MODELLING_ERRORS = new Set(['AttributeError', 'NameError', 'ImportError', 'ModuleNotFoundError', 'KeyError', 'IndexError', 'TypeError']);

function moduleScopeOf(scope: Scope): Scope {
  let s = scope;
  while (s.parent) s = s.parent;
  return s;
}

function isUndecided(v: Value): boolean {
  return v instanceof Opaque || (v instanceof CondVal && v.eqs.length === 0);
}

interface Signature {
  /** Indices of the parameters that take positional arguments. */
  positional: number[];
  byName: Map<string, number>;
  varargs: number;
  varkw: number;
}

const signatures = new WeakMap<object, Signature>();

/** A function's parameter layout, worked out once per definition. */
function signatureOf(def: FunctionDef | Extract<Expr, { k: 'lambda' }>): Signature {
  let sig = signatures.get(def);
  if (sig) return sig;
  sig = { positional: [], byName: new Map(), varargs: -1, varkw: -1 };
  let seenStar = false;
  def.params.forEach((p, i) => {
    if (p.star === 1) {
      seenStar = true;
      if (p.name) sig!.varargs = i;
    } else if (p.star === 2) sig!.varkw = i;
    else {
      if (!seenStar) sig!.positional.push(i);
      sig!.byName.set(p.name, i);
    }
  });
  signatures.set(def, sig);
  return sig;
}

function dedupe(items: Value[]): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const it of items) {
    const k = typeof it === 'object' && it !== null && !(it instanceof PyFloat) && !(it instanceof PyTuple) ? `o${out.length}` : JSON.stringify(String(it));
    if (!seen.has(k)) {
      seen.add(k);
      out.push(it);
    }
  }
  return out;
}

export function mergeKw(a: [string, Value][], b: [string, Value][]): [string, Value][] {
  const m = new Map(a);
  for (const [k, v] of b) m.set(k, v);
  return [...m];
}

const EXCEPTION_PARENTS: Record<string, string[]> = {
  ValueError: ['Exception'],
  TypeError: ['Exception'],
  KeyError: ['LookupError', 'Exception'],
  IndexError: ['LookupError', 'Exception'],
  AttributeError: ['Exception'],
  NameError: ['Exception'],
  NotImplementedError: ['RuntimeError', 'Exception'],
  RuntimeError: ['Exception'],
  AssertionError: ['Exception'],
  ZeroDivisionError: ['ArithmeticError', 'Exception'],
  ImportError: ['Exception'],
  ModuleNotFoundError: ['ImportError', 'Exception'],
  StopIteration: ['Exception'],
};

function exceptionParents(name: string): string[] {
  return EXCEPTION_PARENTS[name] ?? ['Exception'];
}
