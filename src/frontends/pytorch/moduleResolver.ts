/**
 * Where the modules a model file imports live, found as Python's import system finds them, and their parsed
 * text, kept between analyses until the file changes. It knows nothing of the interpreter: it answers "which
 * file is `pkg.blocks`" (search roots in order: the file's own package root, the workspace and extra paths,
 * then the interpreter's `sys.path`; regular packages first, namespace packages merged across roots) and
 * "what is that file's syntax tree". Files are read through an injectable `SourceReader`, so the editor can
 * pass unsaved documents first and the disk after them.
 *
 * Every parsed imported file gets its own offset range: its spans are shifted by a multiple of
 * `FILE_OFFSET_UNIT`, so one interpreter can run several files and still tell, from a span alone, which file
 * it lies in (the analysed file keeps offsets from 0).
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { type ParseCache, type ParsedModule, type Span, parsePython } from './ast';
import { LineIndex } from './lines';

/** How the resolver reads files; `version` changes whenever the text does (mtime and size; a document's version). */
export interface SourceReader {
  /** undefined when there is no regular file at `file`. */
  version(file: string): string | undefined;
  isDirectory(dir: string): boolean;
  read(file: string): string | undefined;
}

/** The disk, with the texts `overlay` knows (open editor documents) taking precedence. */
export function diskReader(overlay?: (file: string) => string | undefined): SourceReader {
  return {
    version(file) {
      const t = overlay?.(file);
      if (t !== undefined) return `text:${t.length}:${hashText(t)}`;
      try {
        const st = statSync(file, { throwIfNoEntry: false });
        return st?.isFile() ? `disk:${st.mtimeMs}:${st.size}` : undefined;
      } catch {
        return undefined;
      }
    },
    isDirectory(dir) {
      try {
        return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
      } catch {
        return false;
      }
    },
    read(file) {
      const t = overlay?.(file);
      if (t !== undefined) return t;
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

function hashText(t: string): number {
  let h = 2166136261;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
  return h >>> 0;
}

// ------------------------------------------------------------------ parsed modules, shared between analyses

/** Offsets of an imported file start at a multiple of this (larger than any source file). */
export const FILE_OFFSET_UNIT = 2 ** 32;

/** Whether a span lies in an imported file rather than the analysed one. */
export function isForeignSpan(s: Span): boolean {
  return s.from >= FILE_OFFSET_UNIT;
}

export interface ModuleSource {
  readonly file: string;
  readonly text: string;
  readonly version: string;
  /** What every offset of this file's tree is shifted by. */
  readonly base: number;
  readonly parsed: ParsedModule;
  lines: LineIndex | null;
}

/** How many parsed imported files are kept; the oldest go first. */
const MAX_KEPT = 400;

class ParsedModules {
  private readonly byFile = new Map<string, ModuleSource>();
  private readonly byBase = new Map<number, ModuleSource>();
  private nextBase = 1;

  /**
   * The tree of `file` as it is now, parsed (within `deadline`) only when it changed since the last time; a
   * fresh process takes it from `parseCache` (the CLI's disk cache) when that has this exact text.
   */
  get(file: string, reader: SourceReader, deadline = Infinity, parseCache?: ParseCache): ModuleSource | undefined {
    const version = reader.version(file);
    if (version === undefined) return undefined;
    const kept = this.byFile.get(file);
    if (kept && kept.version === version && kept.parsed.truncatedAt === null) {
      // Refresh its place in the eviction order.
      this.byFile.delete(file);
      this.byFile.set(file, kept);
      return kept;
    }
    const text = reader.read(file);
    if (text === undefined) return undefined;
    const base = this.nextBase++ * FILE_OFFSET_UNIT;
    const cached = parseCache?.get(text);
    // The cache's tree is copied: its spans are about to be shifted, and a cache may hand out one object twice.
    const parsed = cached ? structuredClone(cached) : parsePython(text, deadline);
    if (!cached) parseCache?.set(text, parsed);
    shiftSpans(parsed, base, new Set());
    const src: ModuleSource = { file, text, version, base, parsed, lines: null };
    if (kept) this.forget(kept);
    this.byFile.set(file, src);
    this.byBase.set(base, src);
    while (this.byFile.size > MAX_KEPT) this.forget(this.byFile.values().next().value!);
    return src;
  }

  /** The imported file a shifted offset lies in. */
  sourceAt(offset: number): ModuleSource | undefined {
    return this.byBase.get(Math.floor(offset / FILE_OFFSET_UNIT) * FILE_OFFSET_UNIT);
  }

  /** Drops the tree of `file` (every file when none is given): the host calls this when a file changes. */
  invalidate(file?: string): void {
    if (file === undefined) {
      this.byFile.clear();
      this.byBase.clear();
      return;
    }
    const kept = this.byFile.get(file);
    if (kept) this.forget(kept);
  }

  private forget(src: ModuleSource): void {
    this.byFile.delete(src.file);
    this.byBase.delete(src.base);
  }
}

export const parsedModules = new ParsedModules();

/** Drops cached imported files (one, or all); their next import reads them again. */
export function invalidateImportedModule(file?: string): void {
  parsedModules.invalidate(file);
}

/** Adds `base` to every span of a tree (each node once: the converter may share a node between parents). */
function shiftSpans(node: unknown, base: number, seen: Set<object>): void {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const x of node) shiftSpans(x, base, seen);
    return;
  }
  const o = node as Record<string, unknown>;
  if (typeof o['from'] === 'number' && typeof o['to'] === 'number') {
    o['from'] = (o['from'] as number) + base;
    o['to'] = (o['to'] as number) + base;
  }
  if (typeof o['truncatedAt'] === 'number') o['truncatedAt'] = (o['truncatedAt'] as number) + base;
  for (const k in o) {
    const v = o[k];
    if (v !== null && typeof v === 'object') shiftSpans(v, base, seen);
  }
}

// ------------------------------------------------------------------ finding modules

export interface SearchRoot {
  dir: string;
  /** From the interpreter's `sys.path`: someone else's code, whose module-level failures are ours to doubt. */
  installed: boolean;
}

/** A module found on disk. */
export interface LocatedModule {
  name: string;
  /** Its source file (`__init__.py` for a regular package); null for a namespace package. */
  file: string | null;
  /** Where its submodules live (`__path__`); empty for a plain module. */
  paths: string[];
  installed: boolean;
}

/** Python's own module names: never read from disk, whatever a search root holds (the catalogue models `torch`). */
export function isCatalogueOnly(name: string): boolean {
  return name === 'torch' || name.startsWith('torch.');
}

export class ModuleResolver {
  private installedRoots: SearchRoot[] | null = null;

  constructor(
    /** The file's package root, the workspace folders and the extra paths, in order. */
    readonly roots: readonly SearchRoot[],
    readonly reader: SourceReader,
    /** The interpreter's `sys.path`, asked for only when a name is not found in `roots`. */
    private readonly installed: () => string[] = () => [],
  ) {}

  /** A top-level name, or a dotted name found segment by segment from the roots (its parents not executed). */
  locate(name: string): LocatedModule | null {
    if (isCatalogueOnly(name)) return null;
    const parts = name.split('.');
    let cur = this.find(parts[0]!, parts[0]!, this.roots);
    if (!cur || cur.file === null) {
      this.installedRoots ??= this.installed().map((dir) => ({ dir, installed: true }));
      if (this.installedRoots.length) cur = this.find(parts[0]!, parts[0]!, [...this.roots, ...this.installedRoots]);
    }
    for (let i = 1; cur && i < parts.length; i++) cur = this.locateIn(cur, parts[i]!);
    return cur;
  }

  /** The submodule `child` of a located package. */
  locateIn(parent: LocatedModule, child: string): LocatedModule | null {
    if (!parent.paths.length) return null;
    return this.find(child, `${parent.name}.${child}`, parent.paths.map((dir) => ({ dir, installed: parent.installed })));
  }

  private find(segment: string, name: string, roots: readonly SearchRoot[]): LocatedModule | null {
    const portions: string[] = [];
    let installed = false;
    for (const r of roots) {
      const dir = path.join(r.dir, segment);
      const init = path.join(dir, '__init__.py');
      if (this.reader.version(init) !== undefined) return { name, file: init, paths: [dir], installed: r.installed };
      const file = `${dir}.py`;
      if (this.reader.version(file) !== undefined) return { name, file, paths: [], installed: r.installed };
      if (this.reader.isDirectory(dir)) {
        if (!portions.length) installed = r.installed;
        portions.push(dir);
      }
    }
    return portions.length ? { name, file: null, paths: portions, installed } : null;
  }
}

/**
 * The package a file belongs to, found by walking up while folders hold an `__init__.py`: the folder above
 * the top package (the first search root, as Python puts a script's folder first on `sys.path`) and the
 * file's dotted module name.
 */
export function packageOf(file: string, reader: SourceReader): { root: string; moduleName: string; isPackageInit: boolean } {
  const abs = path.resolve(file);
  const base = path.basename(abs).replace(/\.py$/, '');
  const isPackageInit = base === '__init__';
  const parts: string[] = isPackageInit ? [] : [base];
  let dir = path.dirname(abs);
  for (let i = 0; i < 64 && reader.version(path.join(dir, '__init__.py')) !== undefined; i++) {
    parts.unshift(path.basename(dir));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { root: dir, moduleName: parts.join('.') || base, isPackageInit };
}

// ------------------------------------------------------------------ the interpreter's sys.path

interface InterpreterPaths {
  paths: string[];
  /** Whether `torch` can be found there (looked up, not imported). */
  torch: boolean;
}

const probes = new Map<string, InterpreterPaths | null>();

// Kept to modules Python has loaded at startup anyway (os, sys) and json: importing sysconfig and importlib.util
// doubled the time a first analysis waits for the answer. The standard library is the folder of `os`.
const SYS_PATH_SCRIPT = [
  'import json, os, sys',
  'std = os.path.dirname(os.__file__)',
  "paths = [x for x in sys.path if x and x != std and not x.endswith(('.zip', 'lib-dynload'))]",
  "torch = any(os.path.isfile(os.path.join(x, 'torch', '__init__.py')) for x in paths)",
  "torch = torch or __import__('importlib.util').util.find_spec('torch') is not None",
  "print(json.dumps({'paths': paths, 'torch': torch}))",
].join('\n');

function probe(python: string): InterpreterPaths | null {
  if (probes.has(python)) return probes.get(python)!;
  let found: InterpreterPaths | null = null;
  try {
    // Required here: loading child_process costs a CLI run that never asks Python (most of them) ~9 ms.
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync(python, ['-c', SYS_PATH_SCRIPT], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const v = r.status === 0 ? (JSON.parse(r.stdout) as { paths?: unknown; torch?: unknown }) : null;
    if (v && Array.isArray(v.paths)) {
      found = { paths: v.paths.filter((x): x is string => typeof x === 'string').map((x) => path.resolve(x)), torch: v.torch === true };
    }
  } catch {
    found = null;
  }
  probes.set(python, found);
  return found;
}

/**
 * The folders an interpreter finds installed packages in: its `sys.path` without the standard library (whose
 * modules the catalogue models or the analysis leaves unknown). Asked once per interpreter, by running Python
 * itself, which looks up but imports nothing from those folders; [] when it cannot be run.
 */
export function interpreterSearchPath(python: string): string[] {
  return probe(python)?.paths ?? [];
}

/**
 * The interpreter an analysis asks when none is named, picked as training picks it: `RESNET_STUDIO_PYTHON` as
 * given, else the first of `python3` and `python` that has torch, else the first that runs.
 */
export function defaultPython(): string {
  const env = process.env['RESNET_STUDIO_PYTHON'];
  if (env) return env;
  const candidates = process.platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
  return candidates.find((p) => probe(p)?.torch) ?? candidates.find((p) => probe(p) !== null) ?? candidates[0]!;
}
