/**
 * Front end for our `*.resnet.json` design format: validates against the JSON Schema, expands stages into
 * blocks and layers, and builds the IR. Structural problems (unknown references, cycles, bad expressions)
 * and shape problems are diagnostics at the JSON value that caused them.
 */
import { type JSONPath, modify } from 'jsonc-parser';
import type { Shape } from '../core/dims';
import { type ExprValue, ExprError, evalExpr } from '../core/expr';
import { GraphBuilder, type Tensor } from '../core/graph';
import { type Analysis, type AttrValue, type Attrs, DEFAULT_INPUT, type SourceRange } from '../core/ir';
import { JsonSource } from '../core/jsonSource';
import { OP_SPECS, isOpName, withInferred } from '../core/ops';
import { BUILTIN_BLOCKS } from './builtinBlocks';
import type { BlockDef, DesignFile, LayerDef, StageDef } from './designTypes';
import { validateDesign } from './designSchema';
import type { FrontEndOptions } from './options';

export { DEFAULT_INPUT } from '../core/ir';

/** String attribute values that are keywords, not expressions. */
const KEYWORDS = new Set(['same', 'valid', 'zeros', 'reflect', 'replicate', 'circular', 'none', 'tanh', 'constant']);
const LAYER_KEYS = new Set(['type', 'name', 'id', 'inputs', 'comment']);
const STAGE_KEYS = new Set(['stage', 'block', 'count', 'planes', 'stride', 'inputs', 'comment']);

type Vars = Record<string, ExprValue>;

interface Item {
  def: LayerDef | StageDef;
  path: JSONPath;
}

export function isDesignFile(file: string): boolean {
  return file.endsWith('.resnet.json');
}

export function analyzeDesign(file: string, text: string, opts: FrontEndOptions = {}): Analysis {
  const src = new JsonSource(file, text);
  if (src.parseErrors.length || src.value === undefined) {
    return { file, models: [], graph: null, diagnostics: src.parseErrors };
  }
  const schemaErrors = validateDesign(src);
  if (schemaErrors.length) return { file, models: [], graph: null, diagnostics: schemaErrors };
  const design = src.value as DesignFile;
  const name = design.name ?? file.replace(/^.*[\\/]/, '').replace(/\.resnet\.json$/, '');
  const b = new GraphBuilder(name, file);
  const inputShape = normaliseInput(opts.input ?? design.input ?? opts.defaultInput ?? [...DEFAULT_INPUT]);
  const ctx = new DesignContext(src, b, design);
  const x = b.input(inputShape, 'input', src.at(['input']));
  const out = ctx.sequence(
    design.layers.map((def, i) => ({ def, path: ['layers', i] })),
    x,
    { ...(design.vars ?? {}) },
    '',
  );
  const graph = b.finish(out);
  return { file, models: [name], candidates: [{ name, kind: 'design', source: src.at(['name']) }], graph, diagnostics: b.diagnostics };
}

function normaliseInput(shape: number[]): Shape {
  return shape.length === 3 ? [1, ...shape] : [...shape];
}

class DesignContext {
  constructor(
    private readonly src: JsonSource,
    private readonly b: GraphBuilder,
    private readonly design: DesignFile,
  ) {}

  /**
   * Runs a list of layers/stages. Each item takes its `inputs` by id, or the previous item's output; the
   * items are ordered topologically first so forward references work and cycles are reported.
   */
  sequence(items: Item[], entry: Tensor, vars: Vars, prefix: string): Tensor | null {
    const ids = new Map<string, number>();
    items.forEach((it, i) => {
      const id = itemId(it.def);
      if (id !== undefined) ids.set(id, i);
    });
    const deps: number[][] = items.map((it, i) => {
      const refs = it.def.inputs as string[] | undefined;
      if (!refs) return i > 0 ? [i - 1] : [];
      return refs.flatMap((r, k) => {
        if (r === 'input') return [];
        const j = ids.get(r);
        if (j === undefined) {
          this.b.diag('error', 'design/unknown-ref', `unknown layer reference '${r}' (no layer or stage has this id)`, this.src.at([...it.path, 'inputs', k]));
          return [];
        }
        return [j];
      });
    });
    const order = topoOrder(deps);
    if (order.cycle.length) {
      const names = order.cycle.map((i) => itemId(items[i]!.def) ?? `#${i}`);
      this.b.diag('error', 'design/cycle', `cycle between layers: ${[...names, names[0]].join(' -> ')}`, this.src.at(items[order.cycle[0]!]!.path));
    }
    const outputs = new Map<number, Tensor | null>();
    for (const i of order.order) {
      const it = items[i]!;
      const refs = it.def.inputs as string[] | undefined;
      const inputs: (Tensor | null)[] = refs
        ? refs.map((r) => (r === 'input' ? entry : ids.has(r) ? (outputs.get(ids.get(r)!) ?? null) : null))
        : [i > 0 ? (outputs.get(i - 1) ?? null) : entry];
      outputs.set(i, inputs.some((t) => t === null) ? null : this.item(it, inputs as Tensor[], vars, prefix));
    }
    return items.length ? (outputs.get(items.length - 1) ?? null) : entry;
  }

  private item(it: Item, inputs: Tensor[], vars: Vars, prefix: string): Tensor | null {
    if ('stage' in it.def) return this.stage(it.def as StageDef, it.path, inputs[0]!, vars, prefix);
    return this.layer(it.def as LayerDef, it.path, inputs, vars, prefix);
  }

  private layer(def: LayerDef, path: JSONPath, inputs: Tensor[], vars: Vars, prefix: string): Tensor | null {
    const at = this.src.at(path);
    const op = def.type;
    if (!isOpName(op)) {
      this.b.diag('error', 'design/unknown-type', `unknown layer type '${def.type}'`, this.src.at([...path, 'type']));
      return null;
    }
    const spec = OP_SPECS[op];
    const attrs: Attrs = {};
    for (const [k, v] of Object.entries(def)) {
      if (LAYER_KEYS.has(k)) continue;
      if (!(k in spec.defaults)) {
        this.b.diag('warning', 'design/unknown-attr', `unknown attribute '${k}' for ${def.type} (known: ${Object.keys(spec.defaults).join(', ')})`, this.src.at([...path, k]));
        continue;
      }
      const r = this.value(v, vars, [...path, k]);
      if (r !== undefined) attrs[k] = r;
    }
    if (spec.arity >= 0 && inputs.length !== spec.arity) {
      this.b.diag('error', 'design/arity', `${def.type} takes ${spec.arity} input(s), got ${inputs.length}`, at);
    }
    const name = def.name !== undefined ? prefix + def.name : this.b.freshName(prefix + def.type.toLowerCase());
    const before = this.b.diagnostics.length;
    const out = this.b.op(op, withInferred(op, attrs, inputs[0]?.shape), inputs, { name, source: at });
    // An error about one attribute (`num_features`, `in_features`) is shown on that attribute's value, where
    // its fix applies, not on the layer's opening brace.
    for (const d of this.b.diagnostics.slice(before)) {
      const attr = d.fix?.attr;
      if (typeof attr !== 'string' || !Object.prototype.hasOwnProperty.call(def, attr)) continue;
      const r = this.src.at([...path, attr]);
      Object.assign(d, { line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn });
    }
    // A top-level layer is written once, so setting its attribute is a safe edit; a layer inside a block is
    // shared by every instance of the block and is left to the user.
    if (prefix === '' && path[0] === 'layers') this.attrFixes(path, before);
    return out;
  }

  /** Quick fixes for `{ attr, value }` hints of the diagnostics from `from` on: set (or add) the attribute. */
  private attrFixes(path: JSONPath, from: number): void {
    for (const d of this.b.diagnostics.slice(from)) {
      const attr = d.fix?.attr;
      const value = d.fix?.value;
      if (typeof attr !== 'string' || typeof value !== 'number' || d.severity !== 'error') continue;
      const edits = modify(this.src.text, [...path, attr], value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } });
      if (!edits.length) continue;
      d.fixes = [{ title: `Set ${attr} to ${value}`, edits: edits.map((e) => ({ range: this.span(e.offset, e.length), newText: e.content })) }];
    }
  }

  /** The exact range of `length` characters at `offset` (empty for an insertion). */
  private span(offset: number, length: number): SourceRange {
    const s = this.src.range(offset, 1);
    const e = this.src.range(offset + length, 1);
    return { file: s.file, line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
  }

  private stage(def: StageDef, path: JSONPath, x: Tensor, vars: Vars, prefix: string): Tensor | null {
    const block = this.design.blocks?.[def.block] ?? BUILTIN_BLOCKS[def.block];
    const at = this.src.at(path);
    if (!block) {
      const known = [...Object.keys(BUILTIN_BLOCKS), ...Object.keys(this.design.blocks ?? {})];
      this.b.diag('error', 'design/unknown-block', `unknown block '${def.block}' (known: ${known.join(', ')})`, this.src.at([...path, 'block']));
      return null;
    }
    const count = this.num(def.count, vars, [...path, 'count']);
    const planes = this.num(def.planes, vars, [...path, 'planes']);
    const stride = def.stride === undefined ? 1 : this.num(def.stride, vars, [...path, 'stride']);
    if (count === null || planes === null || stride === null) return null;
    const overrides: Vars = {};
    for (const [k, v] of Object.entries(def)) {
      if (STAGE_KEYS.has(k)) continue;
      const r = this.num(v as number | string, vars, [...path, k]);
      if (r !== null) overrides[k] = r;
    }
    const blockPath = this.design.blocks?.[def.block] ? ['blocks', def.block] : path;
    this.b.beginGroup(prefix + def.stage, 'Sequential', at);
    let cur: Tensor | null = x;
    for (let i = 0; i < count && cur; i++) {
      cur = this.block(block, blockPath, cur, { ...vars, planes, stride: i === 0 ? stride : 1, ...overrides }, `${prefix}${def.stage}.${i}`, at);
    }
    this.b.endGroup();
    return cur;
  }

  private block(block: BlockDef, path: JSONPath, x: Tensor, outer: Vars, name: string, stageAt: SourceRange): Tensor | null {
    const inplanes = x.shape && x.shape.length >= 3 ? x.shape[x.shape.length - 3]! : null;
    const vars: Vars = { ...outer };
    if (typeof inplanes === 'number') vars['inplanes'] = inplanes;
    for (const [k, v] of Object.entries(block.params ?? {})) if (!(k in outer)) vars[k] = this.num(v, vars, [...path, 'params', k]) ?? 0;
    vars['expansion'] = this.num(block.expansion ?? 1, vars, [...path, 'expansion']) ?? 1;
    for (const [k, v] of Object.entries(block.let ?? {})) {
      const r = this.num(v, vars, [...path, 'let', k]);
      if (r !== null) vars[k] = r;
    }
    const isBuiltin = !this.design.blocks || path[0] !== 'blocks';
    const sub = (key: string, i: number): JSONPath => (isBuiltin ? path : [...path, key, i]);
    this.b.beginGroup(name, block.label ?? 'Block', stageAt);
    const main = this.sequence(block.main.map((def, i) => ({ def, path: sub('main', i) })), x, vars, `${name}.`);
    const shortcut = this.shortcut(block, path, x, vars, name, isBuiltin ? stageAt : this.src.at([...path, 'shortcut']));
    let out: Tensor | null = main;
    if (main && shortcut) out = this.b.op('add', {}, [main, shortcut], { name: `${name}.add`, source: isBuiltin ? stageAt : this.src.at([...path, 'shortcut']) });
    if (out && block.post?.length) out = this.sequence(block.post.map((def, i) => ({ def, path: sub('post', i) })), out, vars, `${name}.`);
    this.b.endGroup();
    return out;
  }

  private shortcut(block: BlockDef, path: JSONPath, x: Tensor, vars: Vars, name: string, at: SourceRange): Tensor | null {
    const sc = block.shortcut ?? 'projection';
    if (sc === 'identity') return x;
    const outC = (vars['planes'] as number) * (vars['expansion'] as number);
    const stride = vars['stride'] as number;
    const needed = stride !== 1 || vars['inplanes'] !== outC;
    if (sc === 'projection') {
      if (!needed) return x;
      this.b.beginGroup(`${name}.downsample`, 'Sequential', at);
      const c = this.b.op('Conv2d', { in_channels: vars['inplanes'] ?? null, out_channels: outC, kernel_size: 1, stride, bias: false }, [x], { name: `${name}.downsample.0`, source: at });
      const n = this.b.op('BatchNorm2d', { num_features: outC }, [c], { name: `${name}.downsample.1`, source: at });
      this.b.endGroup();
      return n;
    }
    if (sc === 'A') {
      if (!needed) return x;
      const diff = outC - ((vars['inplanes'] as number | undefined) ?? outC);
      const s = this.b.op('slice', { slices: [[null, null, null], [null, null, null], [null, null, stride], [null, null, stride]] }, [x], { name: `${name}.shortcut`, source: at });
      return this.b.op('pad', { pad: [0, 0, 0, 0, Math.floor(diff / 2), diff - Math.floor(diff / 2)] }, [s], { name: `${name}.shortcut.pad`, source: at });
    }
    if (sc.when !== undefined) {
      const cond = this.expr(sc.when, vars, [...path, 'shortcut', 'when']);
      if (cond === null || !cond) return x;
    }
    return this.sequence(sc.layers.map((def, i) => ({ def, path: [...path, 'shortcut', 'layers', i] })), x, vars, `${name}.`);
  }

  private value(v: unknown, vars: Vars, path: JSONPath): AttrValue | undefined {
    if (typeof v === 'string') {
      if (KEYWORDS.has(v)) return v;
      const r = this.expr(v, vars, path);
      return r === null ? undefined : r;
    }
    if (Array.isArray(v)) {
      const out: AttrValue[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = this.value(v[i], vars, [...path, i]);
        if (r === undefined) return undefined;
        out.push(r);
      }
      return out;
    }
    return v as AttrValue;
  }

  private num(v: number | string, vars: Vars, path: JSONPath): number | null {
    if (typeof v === 'number') return v;
    const r = this.expr(String(v), vars, path);
    return r === null ? null : Number(r);
  }

  private expr(src: string, vars: Vars, path: JSONPath): ExprValue | null {
    try {
      return evalExpr(src, vars);
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      this.b.diag('error', 'design/expression', e.message, this.src.at(path));
      return null;
    }
  }
}

function itemId(def: LayerDef | StageDef): string | undefined {
  if ('stage' in def && typeof def.stage === 'string') return def.stage;
  return (def as LayerDef).id ?? (def as LayerDef).name;
}

/** Kahn's algorithm; items on a cycle are left out of `order` and listed in `cycle`. */
function topoOrder(deps: number[][]): { order: number[]; cycle: number[] } {
  const n = deps.length;
  const indeg = deps.map((d) => d.length);
  const users: number[][] = deps.map(() => []);
  deps.forEach((d, i) => d.forEach((j) => users[j]!.push(i)));
  const ready: number[] = [];
  for (let i = n - 1; i >= 0; i--) if (indeg[i] === 0) ready.push(i);
  const order: number[] = [];
  while (ready.length) {
    ready.sort((a, b) => b - a);
    const i = ready.pop()!;
    order.push(i);
    for (const u of users[i]!) if (--indeg[u]! === 0) ready.push(u);
  }
  const cycle = indeg.map((d, i) => (d > 0 ? i : -1)).filter((i) => i >= 0);
  return { order, cycle };
}
