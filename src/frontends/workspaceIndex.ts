/**
 * The models of many files: for each model file, every model it defines (each `nn.Module` class, each
 * factory, each design or Keras topology) analysed through the front ends, with its totals, its error count
 * and the block classes it is built from, plus the file's diagnostics listed once. One function serves
 * `resnet-studio check`, the analysis worker's workspace index (the Models view) and the benchmark.
 *
 * Which models: a file's `# resnet-studio: model=...` comment picks one; otherwise every candidate is
 * analysed by name, those that need arguments symbolically, as the front end treats a bare tutorial block.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Shape } from '../core/dims';
import type { Analysis, Diagnostic, ModelCandidate, SourceRange } from '../core/ir';
import { type DiscoverOptions, discoverModelFiles } from '../core/workspaceFiles';
import { readDirective } from './directive';
import { analyzeText, formatFor } from './index';
import type { FrontEndOptions } from './options';
import type { ParseCache } from './pytorch/ast';
import { type SourceReader, diskReader } from './pytorch/moduleResolver';

/** A block class a model is built from, and how many times it occurs. */
export interface BlockUse {
  name: string;
  count: number;
}

/** One model of a file, as analysed on its own. */
export interface ModelEntry {
  name: string;
  kind: ModelCandidate['kind'];
  /** Where it is defined (class or def line, design name); null for a model named only by a directive. */
  source: SourceRange | null;
  /** True when required constructor or factory arguments were left symbolic. */
  symbolic: boolean;
  /** True when the file's `# resnet-studio:` comment chose it (with its arguments and input). */
  fromDirective: boolean;
  /** False when no graph could be built (see the diagnostics) or the file's time allowance ran out first. */
  built: boolean;
  /** False when the file's time allowance ran out before this model was analysed. */
  analysed: boolean;
  input: Shape | null;
  output: Shape | null;
  /** Every output's shape when the model returns several tensors. */
  outputs: Shape[] | null;
  params: number | null;
  macs: number | null;
  layers: number;
  shortcuts: number;
  errors: number;
  warnings: number;
  /** The first error's message, for a tooltip. */
  firstError: string | null;
  /** Block classes the model is built from: IR groups of kind block, and submodules of classes defined in this file. */
  blocks: BlockUse[];
  /** Models of the same file whose graphs use this one as a block. */
  usedBy: string[];
  ms: number;
}

/** A diagnostic of a file, listed once however many of its models raised it. */
export interface IndexedDiagnostic extends Diagnostic {
  /** The models whose analysis raised it. */
  models: string[];
}

export interface FileIndex {
  file: string;
  /** The front end that read it (`pytorch`, `resnet-json`, `keras-json`). */
  format: string;
  models: ModelEntry[];
  diagnostics: IndexedDiagnostic[];
  /** Other files its analyses read (imported modules): a change to any of them changes this index. */
  dependencies: string[];
  ms: number;
}

export interface IndexOptions {
  /**
   * What every analysis gets: an input shape override, the default input, search roots, the interpreter.
   * `model` and `args` are chosen per model and ignored here.
   */
  base?: FrontEndOptions;
  /** Parsed Python kept between runs (the CLI's disk cache); a file is parsed once per index either way. */
  parseCache?: ParseCache;
  /**
   * Stop analysing further models of a file after this long (the editor's index keeps each request short);
   * the rest are listed unanalysed. Default: no limit.
   */
  fileTimeLimitMs?: number;
  /** The analysis to run; tests pass a counting wrapper. Default: the front ends' `analyzeText`. */
  analyze?: (file: string, text: string, opts: FrontEndOptions & { parseCache?: ParseCache; reader?: SourceReader }) => Analysis;
  /** How the analyses read imported files; the disk by default. */
  reader?: SourceReader;
}

/**
 * The disk as one index sees it: each file's version, each folder test and each text looked up once. Every
 * analysis resolves its imports again (the package root above each file, each candidate module path), some
 * twenty thousand look-ups for torchvision's models folder, nearly all of them repeats.
 */
function snapshotReader(under: SourceReader): SourceReader {
  const versions = new Map<string, string | undefined>();
  const dirs = new Map<string, boolean>();
  const texts = new Map<string, string | undefined>();
  return {
    version(file) {
      if (!versions.has(file)) versions.set(file, under.version(file));
      return versions.get(file);
    },
    isDirectory(dir) {
      let v = dirs.get(dir);
      if (v === undefined) dirs.set(dir, (v = under.isDirectory(dir)));
      return v;
    },
    read(file) {
      if (!texts.has(file)) texts.set(file, under.read(file));
      return texts.get(file);
    },
  };
}

function memoryCache(under: ParseCache | undefined): ParseCache {
  const mem = new Map<string, ReturnType<ParseCache['get']>>();
  return {
    get(text) {
      const hit = mem.get(text) ?? under?.get(text);
      if (hit) mem.set(text, hit);
      return hit;
    },
    set(text, parsed) {
      mem.set(text, parsed);
      under?.set(text, parsed);
    },
  };
}

function diagKey(d: Diagnostic): string {
  return `${d.severity}\u0000${d.file}\u0000${d.line}:${d.column}-${d.endLine}:${d.endColumn}\u0000${d.code}\u0000${d.message}`;
}

/**
 * Indexes one file's text: null when it is not a model file (no front end reads it, or a Python module that
 * defines no model and names none in a `# resnet-studio:` comment).
 */
export function indexFile(file: string, text: string, opts: IndexOptions = {}): FileIndex | null {
  const t0 = performance.now();
  const format = formatFor(file, text);
  if (!format) return null;
  const analyze = opts.analyze ?? analyzeText;
  const { model: _m, args: _a, ...base } = opts.base ?? {};
  const parseCache = memoryCache(opts.parseCache);
  const run = (model: string | undefined): [Analysis, number] => {
    const s = performance.now();
    const a = analyze(file, text, { ...base, ...(model !== undefined ? { model } : {}), parseCache, ...(opts.reader ? { reader: opts.reader } : {}) });
    return [a, performance.now() - s];
  };

  const directive = format.id === 'pytorch' ? readDirective(text) : null;
  const [first, firstMs] = run(undefined);
  const candidates = first.candidates ?? first.models.map((name): ModelCandidate => ({ name, kind: 'class', source: { file, line: 1, column: 1, endLine: 1, endColumn: 1 } }));
  if (format.id === 'pytorch' && candidates.length === 0 && !directive) return null;

  const results = new Map<string, { analysis: Analysis; ms: number } | null>();
  const firstName = first.graph?.name;
  let targets: { name: string; kind: ModelCandidate['kind']; source: SourceRange | null; fromDirective: boolean }[];
  if (format.id !== 'pytorch') {
    targets = [{ name: candidates[0]?.name ?? first.graph?.name ?? file, kind: 'design', source: candidates[0]?.source ?? null, fromDirective: false }];
    results.set(targets[0]!.name, { analysis: first, ms: firstMs });
  } else if (directive?.model) {
    // The comment names the file's model: check what the author asked for, and only that.
    const c = candidates.find((x) => x.name === directive.model);
    targets = [{ name: directive.model, kind: c?.kind ?? 'factory', source: c?.source ?? null, fromDirective: true }];
    results.set(directive.model, { analysis: first, ms: firstMs });
  } else {
    targets = candidates.map((c) => ({ name: c.name, kind: c.kind, source: c.source, fromDirective: directive !== null && c.name === firstName }));
    // The bare analysis built the file's default model: the same analysis as asking for it by name.
    if (firstName !== undefined && candidates.some((c) => c.name === firstName)) results.set(firstName, { analysis: first, ms: firstMs });
    else if (candidates.length === 0) {
      targets = [{ name: firstName ?? '(file)', kind: 'factory', source: null, fromDirective: directive !== null }];
      results.set(targets[0]!.name, { analysis: first, ms: firstMs });
    }
  }
  const limit = opts.fileTimeLimitMs ?? Infinity;
  for (const t of targets) {
    if (results.has(t.name)) continue;
    if (performance.now() - t0 > limit) {
      results.set(t.name, null);
      continue;
    }
    const [analysis, ms] = run(t.name);
    results.set(t.name, { analysis, ms });
  }

  const classNames = new Set(candidates.filter((c) => c.kind === 'class').map((c) => c.name));
  const byKey = new Map<string, IndexedDiagnostic>();
  const dependencies = new Set<string>();
  const models: ModelEntry[] = targets.map((t) => {
    const r = results.get(t.name) ?? null;
    const a = r?.analysis;
    const g = a?.graph ?? null;
    if (a) {
      for (const dep of a.dependencies ?? []) dependencies.add(dep);
      for (const d of a.diagnostics) {
        const k = diagKey(d);
        const seen = byKey.get(k);
        if (seen) {
          if (!seen.models.includes(t.name)) seen.models.push(t.name);
        } else byKey.set(k, { ...d, models: [t.name] });
      }
    }
    const errors = a?.diagnostics.filter((d) => d.severity === 'error') ?? [];
    const blocks = new Map<string, number>();
    for (const grp of g?.groups ?? []) {
      if (grp.label === t.name) continue;
      if (grp.kind === 'block' || (grp.kind === 'module' && classNames.has(grp.label))) blocks.set(grp.label, (blocks.get(grp.label) ?? 0) + 1);
    }
    return {
      name: t.name,
      kind: t.kind,
      source: t.source,
      symbolic: a?.diagnostics.some((d) => d.code === 'pytorch/symbolic') ?? false,
      fromDirective: t.fromDirective,
      built: g !== null,
      analysed: a !== undefined,
      input: g?.input ?? null,
      output: g?.output ?? null,
      outputs: g?.outputs ?? null,
      params: g?.params ?? null,
      macs: g?.macs ?? null,
      layers: g ? g.nodes.filter((n) => n.op !== 'input').length : 0,
      shortcuts: g?.skips.length ?? 0,
      errors: errors.length,
      warnings: a?.diagnostics.filter((d) => d.severity === 'warning').length ?? 0,
      firstError: errors[0]?.message ?? null,
      blocks: [...blocks].map(([name, count]) => ({ name, count })),
      usedBy: [],
      ms: r?.ms ?? 0,
    };
  });
  for (const m of models) for (const b of m.blocks) models.find((x) => x.name === b.name && x !== m)?.usedBy.push(m.name);
  const diagnostics = [...byKey.values()].sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  return { file, format: format.id, models, diagnostics, dependencies: [...dependencies].sort(), ms: performance.now() - t0 };
}

/** JSON files larger than this are data, not a topology; they are not read. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Reads a file for indexing; null for an unreadable file or an oversized JSON file. */
export function readModelText(file: string): string | null {
  try {
    if (file.endsWith('.json') && !file.endsWith('.resnet.json') && statSync(file).size > MAX_JSON_BYTES) return null;
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export interface WorkspaceIndex {
  files: FileIndex[];
  /** Files walked (model or not). */
  scanned: number;
  truncated: boolean;
  ms: number;
}

/** Discovers the model files under `roots` (see `workspaceFiles.ts`) and indexes each, in order. */
export function indexWorkspace(
  roots: readonly string[],
  opts: IndexOptions & DiscoverOptions & { onFile?: (done: number, total: number, file: string) => void } = {},
): WorkspaceIndex {
  const t0 = performance.now();
  const found = discoverModelFiles(roots, opts);
  const files: FileIndex[] = [];
  // One parse of each module for the whole index: the files of a model zoo import the same helpers
  // (`_utils.py`, `ops/misc.py`, `resnet.py`), which each file's own cache parsed again.
  const shared = { ...opts, parseCache: memoryCache(opts.parseCache), reader: snapshotReader(opts.reader ?? diskReader()) };
  found.files.forEach((f, i) => {
    opts.onFile?.(i, found.files.length, f);
    const text = readModelText(f);
    const idx = text === null ? null : indexFile(f, text, shared);
    if (idx) files.push(idx);
  });
  return { files, scanned: found.files.length, truncated: found.truncated, ms: performance.now() - t0 };
}
