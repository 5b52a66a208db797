/**
 * Which models a file defines, read from its syntax alone: every top-level `nn.Module` subclass and every
 * top-level function that returns one (directly, through a local variable, or through another such
 * function), plus the `# resnet-studio:` comment that names the file's default model, input and arguments.
 */
import type { ClassDef, Expr, FunctionDef, Stmt } from './ast';
import { forEachStmtExpr, methodOf } from './syntax';

export { type Directive, readDirective } from '../directive';

export interface Candidate {
  name: string;
  kind: 'class' | 'factory';
  def: ClassDef | FunctionDef;
  /** Positional parameters without defaults (beyond `self`): what a bare call would be missing. */
  required: string[];
}

/** Containers count as models; single layers returned by helpers such as `conv3x3` do not. */
const CONTAINERS = new Set(['torch.nn.Sequential', 'torch.nn.ModuleList', 'torch.nn.ModuleDict']);

function aliases(body: readonly Stmt[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of body) {
    if (s.k === 'import') for (const n of s.names) m.set(n.alias ?? n.path[0]!, n.alias ? n.path.join('.') : n.path[0]!);
    if (s.k === 'from' && s.level === 0) for (const n of s.names) m.set(n.alias ?? n.path[n.path.length - 1]!, [...s.module, ...n.path].join('.'));
  }
  return m;
}

function dotted(e: Expr, al: Map<string, string>): string | null {
  if (e.k === 'name') return al.get(e.id) ?? e.id;
  if (e.k === 'attr') {
    const o = dotted(e.obj, al);
    return o === null ? null : `${o}.${e.name}`;
  }
  if (e.k === 'sub') return dotted(e.obj, al);
  return null;
}

function requiredParams(params: FunctionDef['params'], skipSelf: boolean): string[] {
  return (skipSelf ? params.slice(1) : params).filter((p) => !p.star && !p.default).map((p) => p.name);
}

export function findCandidates(body: readonly Stmt[]): Candidate[] {
  const al = aliases(body);
  const classes = body.filter((s): s is ClassDef => s.k === 'class');
  const funcs = body.filter((s): s is FunctionDef => s.k === 'def');
  const moduleClasses = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of classes) {
      if (moduleClasses.has(c.name)) continue;
      if (c.bases.some((b) => {
        const d = dotted(b, al);
        return d !== null && (/^torch\.nn\.[A-Z]\w*$/.test(d) || moduleClasses.has(d));
      })) {
        moduleClasses.add(c.name);
        changed = true;
      }
    }
  }
  const factories = new Set<string>();
  const makesModule = (e: Expr | null, locals: Map<string, Expr>, depth = 0): boolean => {
    if (!e || depth > 4) return false;
    if (e.k === 'name' && locals.has(e.id)) return makesModule(locals.get(e.id)!, locals, depth + 1);
    if (e.k !== 'call') return false;
    const d = dotted(e.fn, al);
    return d !== null && (moduleClasses.has(d) || factories.has(d) || CONTAINERS.has(d));
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of funcs) {
      if (factories.has(f.name)) continue;
      const locals = new Map<string, Expr>();
      const returns: (Expr | null)[] = [];
      forEachStmtExpr(f.body, () => undefined, false, (s) => {
        if (s.k === 'assign') for (const t of s.targets) if (t.k === 'name') locals.set(t.id, s.value);
        if (s.k === 'return') returns.push(s.value);
      });
      if (returns.some((r) => makesModule(r, locals))) {
        factories.add(f.name);
        changed = true;
      }
    }
  }
  const out: Candidate[] = [];
  for (const s of body) {
    if (s.k === 'class' && moduleClasses.has(s.name)) {
      out.push({ name: s.name, kind: 'class', def: s, required: requiredParams(initOf(s, classes)?.params ?? [], true) });
    } else if (s.k === 'def' && factories.has(s.name)) {
      out.push({ name: s.name, kind: 'factory', def: s, required: requiredParams(s.params, false) });
    }
  }
  return out;
}

/** The `__init__` a class runs: its own, or the nearest local base's. */
function initOf(c: ClassDef, classes: readonly ClassDef[], depth = 0): FunctionDef | undefined {
  const own = methodOf(c, '__init__');
  if (own || depth > 10) return own;
  for (const b of c.bases) {
    if (b.k !== 'name') continue;
    const base = classes.find((x) => x.name === b.id);
    const init = base ? initOf(base, classes, depth + 1) : undefined;
    if (init) return init;
  }
  return undefined;
}

/** The documented default when no model is named: the file's `__all__` order, else the last unreferenced candidate. */
export function defaultCandidate(body: readonly Stmt[], cands: readonly Candidate[]): Candidate | null {
  const callable = cands.filter((c) => c.required.length === 0);
  for (const s of body) {
    if (s.k !== 'assign' || !s.targets.some((t) => t.k === 'name' && t.id === '__all__')) continue;
    if (s.value.k !== 'list' && s.value.k !== 'tuple') continue;
    for (const e of s.value.elts) {
      if (e.k !== 'str') continue;
      const hit = callable.find((c) => c.name === e.v);
      if (hit) return hit;
    }
  }
  const referenced = new Set<string>();
  for (const c of cands) {
    forEachStmtExpr(
      c.def.body,
      (e) => {
        if (e.k === 'name' && e.id !== c.name) referenced.add(e.id);
      },
      true,
    );
  }
  const pool = callable.length ? callable : cands;
  const top = pool.filter((c) => !referenced.has(c.name));
  return top[top.length - 1] ?? pool[pool.length - 1] ?? null;
}

