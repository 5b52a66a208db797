/**
 * The PyTorch front end: reads a `.py` file without running Python and returns the same `Analysis` as the
 * JSON front ends. It parses with our copy of the `@lezer/python` grammar (`grammar/`), runs the module body in the abstract interpreter, builds
 * the chosen model (a class or a factory, with the CLI's or the file's arguments, or symbolically), then runs
 * its `forward` on the input shape to build the graph. Parameters are counted the way `model.parameters()`
 * counts them, MACs the way the layer catalogue does, and every error sits on the line where PyTorch raises.
 */
import type { Shape } from '../../core/dims';
import { GraphBuilder, type Tensor } from '../../core/graph';
import type { Analysis, Diagnostic, IrGraph, ModelCandidate } from '../../core/ir';
import type { FrontEndOptions } from '../options';
import { type ClassDef, type FunctionDef, type ParseCache, parsePython } from './ast';
import { type Candidate, type Directive, defaultCandidate, findCandidates, readDirective } from './candidates';
import { computeFixes } from './fixes';
import { LazyImport } from './imports';
import { type Budget, DEFAULT_BUDGET, Interp } from './interp';
import { ModuleLoader } from './moduleLoader';
import { ModuleResolver, type SourceReader, defaultPython, diskReader, interpreterSearchPath, isForeignSpan, packageOf } from './moduleResolver';
import { unusedParams } from './syntax';
import {
  BudgetError,
  type CallArgs,
  ModuleObj,
  Opaque,
  PyClass,
  PyDict,
  PyError,
  PyFunction,
  PyInstance,
  PyList,
  PyTuple,
  TensorVal,
  type Value,
} from './values';

export interface PytorchOptions extends FrontEndOptions {
  /** Overrides the default analysis budget (tests use small ones). */
  budget?: Partial<Budget>;
  /** Parsed files kept between runs (the CLI's disk cache); the analysis is the same with or without it. */
  parseCache?: ParseCache;
  /** How imported files are read (the editor passes its open documents before the disk); the disk by default. */
  reader?: SourceReader;
  /** false reads the file alone: every import of a module outside the catalogue is unknown. */
  followImports?: boolean;
}

/** The resolver of one analysis: the file's package root, the caller's search roots, then the interpreter's `sys.path`. */
function resolverFor(file: string, opts: PytorchOptions): ModuleResolver {
  const reader = opts.reader ?? diskReader();
  const roots = [packageOf(file, reader).root, ...(opts.searchRoots ?? [])];
  return new ModuleResolver(
    [...new Set(roots)].map((dir) => ({ dir, installed: false })),
    reader,
    () => interpreterSearchPath(opts.python ?? defaultPython()),
  );
}

export function isPythonFile(file: string): boolean {
  return file.endsWith('.py');
}

const DEFAULT_HW = [224, 224];

export function analyzePytorch(file: string, text: string, opts: PytorchOptions = {}): Analysis {
  const diagnostics: Diagnostic[] = [];
  const budget = { ...DEFAULT_BUDGET, ...opts.budget };
  const start = performance.now();
  // Reading the file may use part of the time budget; a file too big for it is read up to where time ran out.
  let parsed = opts.parseCache?.get(text);
  if (!parsed) {
    parsed = parsePython(text, start + budget.timeLimitMs * 0.5, start + budget.timeLimitMs * 0.75);
    opts.parseCache?.set(text, parsed);
  }
  const interp = new Interp(file, text, budget, start + budget.timeLimitMs);
  const loader = opts.followImports === false ? null : new ModuleLoader(interp, resolverFor(file, opts), start + budget.timeLimitMs, opts.parseCache);
  interp.loader = loader;
  if (parsed.truncatedAt !== null) {
    const line = interp.lines.position(parsed.truncatedAt).line;
    diagnostics.push({
      severity: 'warning',
      ...interp.range({ from: parsed.truncatedAt, to: parsed.truncatedAt }),
      code: 'pytorch/budget',
      message:
        line > 1
          ? `this file is too large to read within the analysis time budget (${budget.timeLimitMs} ms); only lines 1-${line - 1} of ${interp.lines.lineCount} were analysed`
          : `this file could not be read within the analysis time budget (${budget.timeLimitMs} ms)`,
    });
  }
  for (const e of parsed.errors.slice(0, 50)) diagnostics.push({ severity: 'error', ...interp.range(e), code: 'syntax/error', message: e.message });
  const cands = findCandidates(parsed.body);
  const directive = readDirective(text);
  const analysis: Analysis = {
    file,
    models: cands.map((c) => c.name),
    candidates: cands.map((c): ModelCandidate => ({ name: c.name, kind: c.kind, source: interp.range((c.def as ClassDef | FunctionDef).head) })),
    graph: null,
    diagnostics,
  };
  if (directive) for (const p of directive.problems) diagnostics.push({ severity: 'warning', ...interp.range(directive.span), code: 'pytorch/directive', message: `# resnet-studio: ${p}` });

  let graph: IrGraph | null = null;
  let builder: GraphBuilder | null = null;
  try {
    interp.execModule(parsed.body);
    loader?.finishMain();
    const run = new ModelRun(interp, cands, directive, opts, parsed.body);
    graph = run.run();
    builder = run.builder;
    lintClasses(interp);
    if (graph) computeFixes(interp, graph, run.builder!);
  } catch (e) {
    if (e instanceof BudgetError || e instanceof RangeError) {
      const why = e instanceof BudgetError ? e.message : 'the code nests too deeply to follow';
      interp.diag('warning', 'pytorch/budget', `${why}; the analysis is incomplete`, interp.site);
    } else if (e instanceof PyError) {
      interp.reportPyError(e);
    } else {
      interp.diag('information', 'pytorch/internal', `internal error while analysing this file: ${(e as Error).message ?? String(e)}`, null);
    }
  }
  const shapeDiags = [...(builder?.diagnostics ?? []), ...interp.lib.graph.buildDiagnostics];
  if (symbolicShapeErrors(interp.symbolicArgs, shapeDiags) && graph) {
    graph.macs = null;
    graph.output = null;
    delete graph.outputs;
  }
  diagnostics.push(...interp.diags, ...shapeDiags);
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  analysis.graph = graph;
  if (loader?.files.size) analysis.dependencies = [...loader.files];
  return analysis;
}

/**
 * A shape error between sizes that involve a symbolic argument (`[1, 1, embed_size]` against the guessed
 * input) depends on what the argument turns out to be: it becomes information. Returns whether any did.
 */
function symbolicShapeErrors(names: readonly string[], ds: Diagnostic[]): boolean {
  if (!names.length) return false;
  const mentions = new RegExp(`\\b(?:${names.map((n) => n.replace(/\W/g, '')).join('|')})\\b`);
  let any = false;
  ds.forEach((d, i) => {
    if (d.severity !== 'error' || !d.code.startsWith('shape/') || !mentions.test(d.message)) return;
    ds[i] = { ...d, severity: 'information', message: `${d.message} (depends on the symbolic ${names.join(', ')}; PyTorch may not raise for real arguments); what follows is unknown` };
    any = true;
  });
  return any;
}

/** Choosing, building and running one model. */
class ModelRun {
  builder: GraphBuilder | null = null;

  constructor(
    private readonly I: Interp,
    private readonly cands: readonly Candidate[],
    private readonly directive: Directive | null,
    private readonly opts: PytorchOptions,
    private readonly body: Parameters<typeof defaultCandidate>[0],
  ) {}

  run(): IrGraph | null {
    const I = this.I;
    const { opts, directive } = this;
    const name = opts.model ?? directive?.model ?? defaultCandidate(this.body, this.cands)?.name ?? null;
    if (!name) {
      I.diag('information', 'pytorch/no-model', 'no nn.Module class or factory returning one was found in this file', null);
      return null;
    }
    let target = I.globals.vars.get(name);
    if (target instanceof LazyImport) target = I.forceImport(I.globals, name, target, { from: 0, to: 0 });
    if (target === undefined) {
      I.diag('error', 'pytorch/no-model', `no model named '${name}' in this file (candidates: ${this.cands.map((c) => c.name).join(', ') || 'none'})`, directive && !opts.model ? directive.span : null);
      return null;
    }
    const directiveApplies = directive !== null && (directive.model === null ? !opts.model || opts.model === defaultCandidate(this.body, this.cands)?.name : directive.model === name);
    const argsText = opts.args ?? (directiveApplies ? directive?.args ?? null : null);
    const args = argsText !== null ? this.parseArgs(argsText) : this.symbolicArgs(target);
    if (!args) return null;

    I.site = null;
    // Only guesses made while building this model bear on its numbers (not those of module-level code).
    I.guessedBuild = null;
    I.guessedForward = null;
    let root: Value;
    try {
      root = I.call(target, args);
    } catch (e) {
      const inherited = argsText === null && target instanceof PyClass && !target.mro.some((c) => c instanceof PyClass && c.dict.has('__init__'));
      if (e instanceof PyError && inherited && e.pyType === 'TypeError' && /^\w+\.__init__\(\) missing \d+ required/.test(e.pyMessage)) {
        // The class takes a torch.nn layer's constructor arguments, which a bare analysis does not have.
        I.diag('information', 'pytorch/symbolic', `${name} takes the arguments of its base ${e.pyMessage.replace(/\.__init__.*$/, '')} (${e.pyMessage.replace(/^.*?: /, '')}); pass arguments to analyse it`, this.cands.find((c) => c.name === name)?.def.head ?? null);
        return null;
      }
      if (e instanceof PyError) {
        I.reportPyError(e);
        return null;
      }
      throw e;
    }
    if (root instanceof Opaque || (root instanceof PyInstance && root.cls.mro.some((c) => c instanceof PyClass && c.dict.get('__opaque_base__') === true))) {
      return this.unknownModel(name, root, directiveApplies ? directive!.input : null);
    }
    if (!(root instanceof ModuleObj)) {
      I.diag('error', 'pytorch/not-a-module', `${name}(...) returned ${I.repr(root)}, not an nn.Module`, this.cands.find((c) => c.name === name)?.def.head ?? null);
      return null;
    }
    const lib = I.lib;
    lib.graph.buildDiagnostics.push(...lib.graph.b.diagnostics.filter((d) => d.severity === 'error'));
    lib.nn.assignPaths(root);

    const input = this.inputShape(root, directiveApplies ? directive!.input : null);
    const b = new GraphBuilder(name, I.file);
    this.builder = b;
    lib.graph.b = b;
    lib.graph.phase = 'forward';
    const forward = root.cls instanceof PyClass ? root.cls.lookup('forward') : undefined;
    const inputSource = forward instanceof PyFunction && forward.def.params[1] ? I.range(forward.def.params[1]) : undefined;
    const x = b.input(input, 'input', inputSource);
    const guess = this.inputGuess;
    let outs: Tensor[] = [];
    /** forward raised only on a path an assumption about an unknown chose: what it ran is not the model's. */
    let assumedFailure = false;
    try {
      const extra = this.extraForwardArgs(forward);
      const result = lib.nn.callModule(root, { pos: [new TensorVal(x, b), ...extra], kw: [] });
      outs = this.outputTensors(result);
    } catch (e) {
      if (e instanceof PyError && e.pyType === 'NotImplementedError' && e.pyMessage === `Module [${root.cls.name}] is missing the required "forward" function`) {
        // Calling the model is the analysis's choice: a helper module its owner never calls needs no forward.
        I.diag('information', 'pytorch/no-forward', `${root.cls.name} defines no forward, so it was built but not called: its output and MACs are unknown`, this.cands.find((c) => c.name === name)?.def.head ?? null);
        assumedFailure = true;
      } else if (e instanceof PyError && notTensorInput(forward) !== null && !e.assumedAt) {
        // forward takes something else (`image_list: ImageList`); the tensor it was given is the analysis's
        // choice, so what it raised on it says nothing about the model.
        const p = (forward as PyFunction).def.params[1]!;
        I.diag('information', 'pytorch/input-type', `${e.pyType}: ${e.pyMessage} (forward's '${p.name}' is annotated ${p.annotation}, not a tensor, and was given one; its output and MACs are unknown)`, e.at ?? I.site);
        assumedFailure = true;
      } else if (e instanceof PyError) {
        I.reportPyError(e);
        assumedFailure = e.assumedAt !== null || I.symbolicArgs.length > 0;
      } else if (e instanceof BudgetError || e instanceof RangeError) {
        const why = e instanceof BudgetError ? e.message : 'the code nests too deeply to follow';
        I.diag('warning', 'pytorch/budget', `${why}; the analysis is incomplete`, I.site);
      } else throw e;
    }
    const graph = b.finish(outs[0] ?? null, outs.slice(1));
    if (guess) graph.inputGuess = guess;
    if (assumedFailure) {
      graph.macs = null;
      graph.output = null;
      delete graph.outputs;
    }
    // Totals follow `model.parameters()`: modules registered but never called still count.
    graph.params = lib.nn.parameterCount(root);
    if (lib.nn.unknownSubmodule !== null && graph.params !== null) {
      I.info(null, `${lib.nn.unknownSubmodule} acts as a submodule the analysis does not know, so the parameter count is unknown`);
      graph.params = null;
    }
    if (lib.nn.unknownAttribute !== null && graph.params !== null) {
      I.info(null, `${lib.nn.unknownAttribute} is kept on the model and may be a module the analysis does not know, so the parameter count is unknown`);
      graph.params = null;
    }
    // A skipped loop may have built or run part of the model: totals counted without it would look exact.
    if (I.access.skippedBuildLoop && graph.params !== null) {
      I.info(I.access.skippedBuildLoop, 'the model was built without this loop, so its parameter count is unknown');
      graph.params = null;
    }
    // A branch taken by reading an unknown as false may have built or run something else than the model.
    if (I.guessedBuild && graph.params !== null) {
      I.info(I.guessedBuild, 'the model was built along a branch chosen by guessing this unknown condition, so its parameter count is unknown');
      graph.params = null;
    }
    if ((I.guessedBuild || I.guessedForward) && (graph.macs !== null || graph.output !== null)) {
      I.info(I.guessedForward ?? I.guessedBuild, 'forward ran along a branch chosen by guessing an unknown condition, so the output shape and MAC count are unknown');
      graph.macs = null;
      graph.output = null;
      delete graph.outputs;
    }
    if ((I.access.skippedBuildLoop || I.access.skippedForwardLoop) && (graph.macs !== null || graph.output !== null)) {
      I.info(I.access.skippedForwardLoop ?? I.access.skippedBuildLoop, 'a loop over an unknown value was skipped, so the output shape and MAC count are unknown');
      graph.macs = null;
      graph.output = null;
      delete graph.outputs;
    }
    this.reportUnused(root);
    return graph;
  }

  private parseArgs(text: string): CallArgs | null {
    const I = this.I;
    const p = parsePython(`__args__(${text})\n`);
    const stmt = p.body[0];
    if (p.errors.length || !stmt || stmt.k !== 'expr' || stmt.e.k !== 'call') {
      I.diag('error', 'pytorch/args', `model arguments are not valid Python call arguments: ${text}`, this.directive?.span ?? null);
      return null;
    }
    I.foreign = true;
    try {
      const pos: Value[] = [];
      const kw: [string, Value][] = [];
      const evalIn = (e: Parameters<Interp['eval']>[0]): Value => I.eval(e, I.globals);
      for (const a of stmt.e.args) {
        if (a.star === 1) pos.push(...I.iterate(evalIn(a.e), a.e));
        else if (a.star === 2) {
          const d = evalIn(a.e);
          if (d instanceof PyDict) for (const [k, v] of d.entries()) kw.push([I.str(k), v]);
        } else if (a.name) kw.push([a.name, evalIn(a.e)]);
        else pos.push(evalIn(a.e));
      }
      return { pos, kw };
    } catch (e) {
      if (!(e instanceof PyError)) throw e;
      I.diag('error', 'pytorch/args', `model arguments '${text}': ${e.pyType}: ${e.pyMessage}`, this.directive?.span ?? null);
      return null;
    } finally {
      I.foreign = false;
    }
  }

  /** Without arguments, required parameters become symbols named after themselves. */
  private symbolicArgs(target: Value): CallArgs {
    const I = this.I;
    const cand = this.cands.find((c) => I.globals.vars.get(c.name) === target);
    const kw: [string, Value][] = [];
    for (const p of cand?.required ?? []) kw.push([p, I.syms.atom(p)]);
    I.symbolicArgs = kw.map(([k]) => k);
    if (kw.length) {
      I.diag('information', 'pytorch/symbolic', `${cand!.name} is analysed with symbolic ${kw.map(([k]) => k).join(', ')}; pass arguments for concrete shapes`, cand!.def.head);
    }
    return { pos: [], kw };
  }

  /**
   * A model made by code the analysis cannot read (`return build_model_with_cfg(ResNet, ...)` unresolved, or a
   * class on an unresolved base): one unknown node, nothing certain about it, and no error.
   */
  private unknownModel(name: string, root: Opaque | PyInstance, fromDirective: number[] | null): IrGraph {
    const what = root instanceof Opaque ? root.what : `${root.cls.name}(...)`;
    const cand = this.cands.find((c) => c.name === name);
    this.I.info(cand?.def.head ?? null, `${name}(...) returns ${what}, which the analysis cannot read: its structure, shapes and parameters are unknown`);
    const given = this.opts.input ?? fromDirective ?? this.directive?.input ?? this.opts.defaultInput ?? null;
    const input = given ? (given.length === 3 ? [1, ...given] : [...given]) : [1, 3, ...DEFAULT_HW];
    const b = new GraphBuilder(name, this.I.file);
    this.builder = b;
    const source = cand ? this.I.range(cand.def.head) : undefined;
    const x = b.input(input, 'input', source);
    const out = b.op('opaque', { reason: what }, [x], { name: what.replace(/\(.*$/, '').split('.').pop() || 'model', ...(source ? { source } : {}) });
    const graph = b.finish(out);
    graph.params = null;
    return graph;
  }

  /** Why the last {@link inputShape} guessed the input's size, if it did. */
  private inputGuess: string | undefined;

  /** The input: the CLI's, else the file's comment, else shaped for the model's first layer (batch and size from the comment or the caller's default). */
  private inputShape(root: ModuleObj, fromDirective: number[] | null): Shape {
    const I = this.I;
    const given = this.opts.input ?? fromDirective;
    if (given) return given.length === 3 ? [1, ...given] : [...given];
    const fileShape = this.directive?.input ?? this.opts.defaultInput ?? null;
    const n = fileShape?.[0] ?? 1;
    let hw = fileShape && fileShape.length === 4 ? fileShape.slice(2) : DEFAULT_HW;
    this.inputGuess = undefined;
    if (!this.directive?.input && (hw[0] === DEFAULT_HW[0] && hw[1] === DEFAULT_HW[1])) {
      const why = cifarGuess(I.lib.nn.walkModules(root).map(([, m]) => m.layer), [root.cls.name, I.file]);
      if (why) {
        hw = [32, 32];
        this.inputGuess = why;
      }
    }
    for (const [, m] of I.lib.nn.walkModules(root)) {
      const l = m.layer;
      // A layer the catalogue lacks (`nn.Conv3d`) may be the first: a later layer's width is then no guide to
      // the input (MViT's first known layer is a Linear(96), and [1, 96] was not its input).
      if (l && !l.op) break;
      if (!l) continue;
      if (l.attrs['in_features'] !== undefined) return [n, dimAttr(l.attrs['in_features'])];
      const c = l.attrs['in_channels'] ?? l.attrs['num_features'];
      if (c !== undefined) return [n, dimAttr(c), ...hw];
    }
    return [n, fileShape?.[1] ?? 3, ...hw];
  }

  private extraForwardArgs(forward: Value | undefined): Value[] {
    if (!(forward instanceof PyFunction)) return [];
    const extra: Value[] = [];
    for (const p of forward.def.params.slice(2)) {
      if (p.star || p.default) break;
      extra.push(new Opaque(p.name));
      this.I.info(p, `forward's argument '${p.name}' is unknown to the analysis`);
    }
    return extra;
  }

  /** The tensors `forward` returned: one, or those of a tuple, list or dict (as PyTorch's output structure). */
  private outputTensors(v: Value): Tensor[] {
    if (v instanceof TensorVal) return [v.t];
    const items = v instanceof PyTuple || v instanceof PyList ? v.items : v instanceof PyDict ? v.values() : [];
    const tensors = items.filter((x): x is TensorVal => x instanceof TensorVal).map((t) => t.t);
    if (tensors.length && tensors.length < items.length) this.I.info(null, `forward returns ${this.I.repr(v)}; the graph's outputs are its tensors`);
    if (tensors.length) return tensors;
    this.I.info(null, `forward returned ${this.I.repr(v)}, not a tensor the analysis knows`);
    return [];
  }

  /** Registered modules whose subtree never ran: PyTorch counts their parameters, the graph has no node for them. */
  private reportUnused(root: ModuleObj): void {
    const I = this.I;
    const lib = I.lib;
    const ran = new Map<ModuleObj, boolean>();
    const subtreeRan = (m: ModuleObj): boolean => {
      const hit = ran.get(m);
      if (hit !== undefined) return hit;
      ran.set(m, lib.graph.called.has(m));
      let r = lib.graph.called.has(m);
      for (const c of m.modules.values()) if (c && subtreeRan(c)) r = true;
      ran.set(m, r);
      return r;
    };
    if (!subtreeRan(root)) return;
    let reported = 0;
    const all = lib.nn.walkModules(root);
    const byPath = new Map(all);
    for (const [path, m] of all) {
      if (!path || subtreeRan(m)) continue;
      const parent = byPath.get(path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '');
      if (parent && !subtreeRan(parent)) continue;
      const params = lib.nn.parameterCount(m);
      if (params === 0) continue;
      if (++reported > 20) break;
      I.diag('information', 'pytorch/unused-module', `${path} (${m.cls.name}) is registered but never called in forward; PyTorch still counts its ${params ?? 'unknown'} parameters`, m.definedAt ?? null);
    }
  }
}

function dimAttr(v: unknown): number | string | null {
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}

/** Warnings about the user's classes that the run itself cannot see. */
function lintClasses(I: Interp): void {
  const classes = [...I.classes.instantiated];
  for (const cls of classes) {
    // Classes of imported files are linted where they are written.
    if (!cls.def || isForeignSpan(cls.def)) continue;
    const subclasses = classes.filter((c) => c !== cls && c.mro.includes(cls)).map((c) => c.def!).filter(Boolean);
    for (const u of unusedParams(cls.def, subclasses)) {
      if (u.param.name.startsWith('_')) continue;
      const stored = u.storedAs[0];
      const msg = stored
        ? `${u.param.name} is accepted but never used: nothing reads self.${stored} after __init__`
        : `${u.param.name} is accepted but never used`;
      const d = I.diag('warning', 'pytorch/unused-argument', msg, u.param);
      if (d) I.unusedArgs.push({ cls, use: u, diag: d });
    }
  }
}

/**
 * Why a model looks like a CIFAR network (32x32 inputs) rather than an ImageNet one, or null: a name that says
 * so, or a 3x3 stride-1 first conv with no max-pool anywhere (an ImageNet stem is a 7x7/2 conv and a pool).
 */
export function cifarGuess(layers: readonly ({ type: string; attrs: Record<string, unknown> } | null | undefined)[], names: readonly string[]): string | null {
  const named = names.find((n) => /cifar/i.test(n.split('/').pop() ?? n));
  if (named) return `the name ${named.split('/').pop()} says CIFAR`;
  const present = layers.filter((l): l is { type: string; attrs: Record<string, unknown> } => !!l);
  const first = present.find((l) => l.type === 'Conv2d');
  if (!first || present.some((l) => /MaxPool/.test(l.type))) return null;
  const one = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
  if (one(first.attrs['kernel_size']) === 3 && (one(first.attrs['stride']) ?? 1) === 1) return 'a 3×3 stride-1 stem with no max-pool, as CIFAR ResNets have';
  return null;
}

/**
 * The annotation of forward's input when it names something other than a tensor (`ImageList`, `Dict[str, Tensor]`
 * is a tensor container and counts as other): the analysis calls forward with one tensor all the same.
 */
function notTensorInput(forward: unknown): string | null {
  if (!(forward instanceof PyFunction)) return null;
  const ann = forward.def.params[1]?.annotation?.trim();
  if (!ann) return null;
  const plain = ann.replace(/^["']|["']$/g, '').replace(/^(typing\.)?Optional\[(.*)\]$/, '$2');
  return /^((torch\.)?Tensor|Any|(typing\.)?Any|object)$/.test(plain) ? null : ann;
}
