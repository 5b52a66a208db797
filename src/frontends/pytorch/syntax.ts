/**
 * Static facts read from the AST without running it: traversal, the names a class's `__init__` stores on
 * `self`, which attributes its other methods read or call, and which functions return modules (model
 * candidates). They drive the unused-argument warning, the "pass X otherwise" hint and model discovery.
 */
import type { ClassDef, Expr, FunctionDef, Param, Stmt } from './ast';

export function forEachExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.k) {
    case 'attr':
      forEachExpr(e.obj, visit);
      return;
    case 'sub':
      forEachExpr(e.obj, visit);
      e.items.forEach((x) => forEachExpr(x, visit));
      return;
    case 'slice':
      for (const x of [e.lo, e.hi, e.step]) if (x) forEachExpr(x, visit);
      return;
    case 'call':
      forEachExpr(e.fn, visit);
      e.args.forEach((a) => forEachExpr(a.e, visit));
      return;
    case 'bin':
    case 'and':
    case 'or':
      forEachExpr(e.l, visit);
      forEachExpr(e.r, visit);
      return;
    case 'cmp':
      e.items.forEach((x) => forEachExpr(x, visit));
      return;
    case 'not':
    case 'unary':
    case 'star':
    case 'walrus':
      forEachExpr(e.e, visit);
      return;
    case 'ifexp':
      forEachExpr(e.test, visit);
      forEachExpr(e.body, visit);
      forEachExpr(e.orelse, visit);
      return;
    case 'lambda':
      forEachExpr(e.body, visit);
      e.params.forEach((p) => p.default && forEachExpr(p.default, visit));
      return;
    case 'list':
    case 'tuple':
    case 'set':
      e.elts.forEach((x) => forEachExpr(x, visit));
      return;
    case 'dict':
      e.entries.forEach((en) => {
        if (en.key) forEachExpr(en.key, visit);
        forEachExpr(en.value, visit);
      });
      return;
    case 'comp':
      forEachExpr(e.elt, visit);
      if (e.value) forEachExpr(e.value, visit);
      e.gens.forEach((g) => {
        forEachExpr(g.target, visit);
        forEachExpr(g.iter, visit);
        g.ifs.forEach((x) => forEachExpr(x, visit));
      });
      return;
    default:
      return;
  }
}

/** Every expression of every statement (not descending into nested defs/classes unless `nested`). */
export function forEachStmtExpr(body: readonly Stmt[], visit: (e: Expr, s: Stmt) => void, nested = false, onStmt?: (s: Stmt) => void): void {
  for (const s of body) {
    onStmt?.(s);
    const ex = (e: Expr | null | undefined): void => {
      if (e) forEachExpr(e, (x) => visit(x, s));
    };
    switch (s.k) {
      case 'expr':
        ex(s.e);
        break;
      case 'assign':
        s.targets.forEach(ex);
        ex(s.value);
        break;
      case 'annotate':
        ex(s.target);
        break;
      case 'aug':
        ex(s.target);
        ex(s.value);
        break;
      case 'if':
        s.branches.forEach((b) => {
          ex(b.test);
          forEachStmtExpr(b.body, visit, nested, onStmt);
        });
        if (s.orelse) forEachStmtExpr(s.orelse, visit, nested, onStmt);
        break;
      case 'for':
        ex(s.target);
        ex(s.iter);
        forEachStmtExpr(s.body, visit, nested, onStmt);
        if (s.orelse) forEachStmtExpr(s.orelse, visit, nested, onStmt);
        break;
      case 'while':
        ex(s.test);
        forEachStmtExpr(s.body, visit, nested, onStmt);
        if (s.orelse) forEachStmtExpr(s.orelse, visit, nested, onStmt);
        break;
      case 'return':
        ex(s.value);
        break;
      case 'raise':
        ex(s.exc);
        break;
      case 'assert':
        ex(s.test);
        ex(s.msg);
        break;
      case 'del':
        s.targets.forEach(ex);
        break;
      case 'try':
        forEachStmtExpr(s.body, visit, nested, onStmt);
        s.handlers.forEach((h) => {
          ex(h.type);
          forEachStmtExpr(h.body, visit, nested, onStmt);
        });
        if (s.orelse) forEachStmtExpr(s.orelse, visit, nested, onStmt);
        if (s.final) forEachStmtExpr(s.final, visit, nested, onStmt);
        break;
      case 'with':
        s.items.forEach((i) => {
          ex(i.e);
          ex(i.name);
        });
        forEachStmtExpr(s.body, visit, nested, onStmt);
        break;
      case 'match':
        ex(s.subject);
        s.cases.forEach((c) => {
          ex(c.guard);
          forEachStmtExpr(c.body, visit, nested, onStmt);
        });
        break;
      case 'def':
        s.params.forEach((p) => ex(p.default));
        if (nested) forEachStmtExpr(s.body, visit, nested, onStmt);
        break;
      case 'class':
        s.bases.forEach(ex);
        if (nested) forEachStmtExpr(s.body, visit, nested, onStmt);
        break;
      default:
        break;
    }
  }
}

export function methodsOf(c: ClassDef): FunctionDef[] {
  return c.body.filter((s): s is FunctionDef => s.k === 'def');
}

export function methodOf(c: ClassDef, name: string): FunctionDef | undefined {
  return methodsOf(c).find((m) => m.name === name);
}

const isSelfAttr = (e: Expr, self: string): e is Extract<Expr, { k: 'attr' }> => e.k === 'attr' && e.obj.k === 'name' && e.obj.id === self;

/** How one `__init__` parameter is used. */
export interface ParamUse {
  param: Param;
  /** `self.<attr> = param` stores. */
  storedAs: string[];
  /** Used in `__init__` other than by such a store. */
  usedInInit: boolean;
}

export interface ClassFacts {
  init: FunctionDef | null;
  params: ParamUse[];
  /** `self.X` read (not assigned) in methods other than `__init__`. */
  readOutsideInit: Set<string>;
  /** `self.X(...)` calls anywhere in the class. */
  called: Set<string>;
}

export function classFacts(c: ClassDef): ClassFacts {
  const init = methodOf(c, '__init__') ?? null;
  const readOutsideInit = new Set<string>();
  const called = new Set<string>();
  for (const m of methodsOf(c)) {
    const self = m.params[0]?.name ?? 'self';
    const assigned = new Set<Expr>();
    forEachStmtExpr(
      m.body,
      (e) => {
        if (e.k === 'call' && isSelfAttr(e.fn, self)) called.add(e.fn.name);
        if (m !== init && isSelfAttr(e, self) && !assigned.has(e)) readOutsideInit.add(e.name);
        // `getattr(self, "x")` and `hasattr(self, "x")` read by name.
        if (m !== init && e.k === 'call' && e.fn.k === 'name' && (e.fn.id === 'getattr' || e.fn.id === 'hasattr') && e.args[1]?.e.k === 'str') readOutsideInit.add(e.args[1].e.v);
      },
      true,
      (s) => {
        if (s.k === 'assign') for (const t of s.targets) assigned.add(t);
      },
    );
  }
  const params: ParamUse[] = [];
  if (init) {
    const self = init.params[0]?.name ?? 'self';
    for (const p of init.params.slice(1)) {
      if (!p.name) continue;
      params.push({ param: p, storedAs: [], usedInInit: false });
    }
    const byName = new Map(params.map((u) => [u.param.name, u]));
    const storeValues = new Set<Expr>();
    forEachStmtExpr(
      init.body,
      (e, s) => {
        if (e.k !== 'name') return;
        const u = byName.get(e.id);
        if (!u) return;
        if (storeValues.has(e) && s.k === 'assign') {
          for (const t of s.targets) if (isSelfAttr(t, self)) u.storedAs.push(t.name);
          return;
        }
        u.usedInInit = true;
      },
      true,
      (s) => {
        if (s.k === 'assign' && s.value.k === 'name' && s.targets.every((t) => isSelfAttr(t, self))) storeValues.add(s.value);
      },
    );
    // Reading the stored attribute later in __init__ is a use too.
    const stored = new Set(params.flatMap((u) => u.storedAs));
    const assignedTargets = new Set<Expr>();
    forEachStmtExpr(
      init.body,
      (e) => {
        if (isSelfAttr(e, self) && stored.has(e.name) && !assignedTargets.has(e)) {
          for (const u of params) if (u.storedAs.includes(e.name)) u.usedInInit = true;
        }
      },
      true,
      (s) => {
        if (s.k === 'assign') for (const t of s.targets) assignedTargets.add(t);
      },
    );
  }
  return { init, params, readOutsideInit, called };
}

/**
 * Parameters a class accepts but never uses: not read in `__init__` except to be stored on `self`, and the
 * stored attribute read by no other method of this class or of `subclasses`.
 */
export function unusedParams(c: ClassDef, subclasses: readonly ClassDef[] = []): ParamUse[] {
  const f = classFacts(c);
  if (!f.init || f.init.params.some((p) => p.star)) return [];
  const reads = new Set(f.readOutsideInit);
  for (const s of subclasses) for (const r of classFacts(s).readOutsideInit) reads.add(r);
  return f.params.filter((u) => !u.usedInInit && !u.storedAs.some((a) => reads.has(a)));
}

/** The optional module-valued parameter a user passes to make a residual add valid (`identity_downsample`). */
export function optionalModuleParamOf(c: ClassDef, subclasses: readonly ClassDef[] = []): ParamUse | null {
  const f = classFacts(c);
  const reads = new Set(f.readOutsideInit);
  for (const s of subclasses) for (const r of classFacts(s).readOutsideInit) reads.add(r);
  for (const u of f.params) {
    const d = u.param.default;
    if (!d || d.k !== 'const' || d.v !== null || u.param.star) continue;
    if (u.storedAs.some((a) => f.called.has(a) || !reads.has(a))) return u;
  }
  return null;
}
