/**
 * The modules a model file can import, by dotted name, as the library modules register them (`torch`,
 * `torch.nn`, `math`, ...), and how an import statement finds one: unknown and relative modules are open
 * namespaces whose members are opaque. Also the two small factories every library module builds its members with.
 */
import type { Span } from './ast';
import { Builtin, type CallArgs, Namespace, Opaque, type Value } from './values';

/** A built-in function. */
export function fn(name: string, f: (a: CallArgs) => Value): Builtin {
  return new Builtin(name, f);
}

/** A decorator that leaves what it decorates as written, with or without arguments (`@lru_cache`, `@lru_cache(8)`). */
export function passThrough(name: string): Builtin {
  return fn(name, (a) => (a.pos.length === 1 && !a.kw.length ? a.pos[0]! : fn(name, (b) => b.pos[0] ?? null)));
}

export class ModuleRegistry {
  private readonly modules = new Map<string, Namespace>();

  constructor(private readonly file: string) {}

  /** Registers the module `name` with its members; `fallback` answers members not listed. */
  ns(name: string, members: Record<string, Value>, open = true, fallback: ((n: string) => Value | undefined) | null = null): Namespace {
    const n = new Namespace(name, new Map(Object.entries(members)), open, fallback);
    this.modules.set(name, n);
    return n;
  }

  /** Registers `n` under another name too (`typing_extensions` is `typing`). */
  alias(name: string, n: Namespace): void {
    this.modules.set(name, n);
  }

  get(name: string): Namespace | undefined {
    return this.modules.get(name);
  }

  /** Resolves an import. Unknown and relative modules are open namespaces whose members are opaque. */
  importModule(path: string[], _at: Span, level?: number): Namespace;
  importModule(path: string[], _at: Span, level: number, onlyKnown: true): Namespace | undefined;
  importModule(path: string[], _at: Span, level = 0, onlyKnown = false): Namespace | undefined {
    let name = path.join('.');
    if (level > 0) {
      // Relative imports resolve against the file's own package when it lives inside a known library.
      const dirs = this.file.split(/[\\/]/).slice(0, -1);
      const pkgDirs = dirs.slice(0, dirs.length - (level - 1));
      const root = pkgDirs.lastIndexOf('torchvision');
      name = root >= 0 ? [...pkgDirs.slice(root), ...path].join('.') : `.${name}`;
    }
    const known = this.modules.get(name);
    if (known) return known;
    if (onlyKnown) return undefined;
    const n = new Namespace(name, new Map(), true);
    this.modules.set(name, n);
    return n;
  }
}

/**
 * A name bound by `from M import X` whose module is read only when the name is first used (reading is lazy:
 * model files import far more than the model needs). Until then it is an unknown like any other, so code
 * that never looks at it never sees a wrong value; name lookups and attribute reads force it.
 */
export class LazyImport extends Opaque {
  private value: Value | undefined;
  private forcing = false;

  constructor(
    what: string,
    private readonly resolve: () => Value,
  ) {
    super(what);
  }

  force(): Value {
    if (this.value !== undefined) return this.value;
    // A cycle of re-exports (`a` takes X from `b`, which takes it from `a`): Python fails the same way.
    if (this.forcing) return new Opaque(this.what);
    this.forcing = true;
    try {
      let v = this.resolve();
      while (v instanceof LazyImport) v = v.force();
      this.value = v;
      return v;
    } finally {
      this.forcing = false;
    }
  }
}
