/**
 * Which models a file defines, read from its syntax alone: every top-level `nn.Module` subclass and every
 * top-level function that returns one (directly, through a local variable, or through another such
 * function), plus the `# resnet-studio:` comment that names the file's default model, input and arguments.
 */
import type { ClassDef, Expr, FunctionDef, Span, Stmt } from './ast';
import { forEachStmtExpr, methodOf } from './syntax';

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

export interface Directive {
  model: string | null;
  input: number[] | null;
  /** Python call-argument text, without the surrounding parentheses. */
  args: string | null;
  span: Span;
  problems: string[];
}

const MARK = 'resnet-studio:';

/** Reads the first `# resnet-studio: [model=NAME] [input=(N, C, H, W)] [args=(...)]` comment. */
export function readDirective(text: string): Directive | null {
  let from = 0;
  while (from < text.length) {
    const nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(from, end);
    const hash = line.indexOf('#');
    if (hash >= 0 && line.slice(0, hash).trim() === '') {
      const body = line.slice(hash + 1).trim();
      if (body.startsWith(MARK)) return parseDirective(body.slice(MARK.length), { from: from + hash, to: end });
    }
    from = end + 1;
  }
  return null;
}

function parseDirective(rest: string, span: Span): Directive {
  const d: Directive = { model: null, input: null, args: null, span, problems: [] };
  let i = 0;
  const n = rest.length;
  while (i < n) {
    while (i < n && /\s/.test(rest[i]!)) i++;
    if (i >= n) break;
    const eq = rest.indexOf('=', i);
    if (eq < 0) {
      d.problems.push(`expected key=value, got '${rest.slice(i).trim()}'`);
      break;
    }
    const key = rest.slice(i, eq).trim();
    let j = eq + 1;
    let value: string;
    if (rest[j] === '(') {
      let depth = 0;
      let k = j;
      let quote: string | null = null;
      for (; k < n; k++) {
        const ch = rest[k]!;
        if (quote) {
          if (ch === quote) quote = null;
        } else if (ch === '"' || ch === "'") quote = ch;
        else if (ch === '(') depth++;
        else if (ch === ')' && --depth === 0) break;
      }
      if (depth !== 0 || k >= n) {
        d.problems.push(`unbalanced parentheses in ${key}=`);
        break;
      }
      value = rest.slice(j + 1, k);
      j = k + 1;
    } else {
      let k = j;
      while (k < n && !/\s/.test(rest[k]!)) k++;
      value = rest.slice(j, k);
      j = k;
    }
    i = j;
    if (key === 'model') d.model = value;
    else if (key === 'args') d.args = value;
    else if (key === 'input') {
      const dims = value.split(',').map((x) => x.trim()).filter((x) => x.length);
      const nums = dims.map(Number);
      if (nums.length < 2 || nums.length > 4 || nums.some((x) => !Number.isInteger(x) || x <= 0)) d.problems.push(`input=(${value}) is not a shape of positive integers`);
      else d.input = nums;
    } else d.problems.push(`unknown key '${key}'`);
  }
  return d;
}
