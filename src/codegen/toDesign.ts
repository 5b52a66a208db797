/**
 * IR of any analysed model (a PyTorch file, a Keras/TF.js model.json, a design) -> a `*.resnet.json`
 * design, so an existing network can be taken into the designer. A stage whose blocks are exactly what a
 * built-in block (basic, bottleneck, cifar) builds is folded back into one `{ stage, block, count }` entry;
 * anything else is written layer by layer under its module paths, with `inputs` where it branches. Each fold
 * is checked by analysing it, so the design always has the source's parameters, MACs and output shape.
 */
import type { AttrValue, Attrs, IrGraph, IrNode } from '../core/ir';
import { OP_SPECS } from '../core/ops';
import type { DesignFile, LayerDef, StageDef } from '../frontends/designTypes';
import { BUILTIN_BLOCKS } from '../frontends/builtinBlocks';
import { analyzeDesign } from '../frontends/resnetJson';
import { CodegenError, type Scope, buildTree, channels, describeNode, strideOf } from './moduleTree';

/** Attributes that change neither shapes nor counts, left out when comparing a fold with the source. */
const IMMATERIAL = new Set(['inplace']);

export interface DesignResult {
  design: DesignFile;
  /** The design as text, one layer per line as the bundled examples are written. */
  text: string;
  /** Stages folded into built-in blocks, and stages written layer by layer. */
  folded: string[];
  flattened: string[];
}

/** Attributes that differ from the op's defaults and do not follow from the input's shape. */
function designAttrs(n: IrNode): Attrs {
  const spec = OP_SPECS[n.op];
  const out: Attrs = {};
  for (const [k, v] of Object.entries(n.attrs)) {
    if (spec.inferred?.[k]) continue;
    if (JSON.stringify(v) === JSON.stringify(spec.defaults[k] ?? null) && k in spec.defaults) continue;
    out[k] = v;
  }
  return out;
}

function same(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  const norm = (v: AttrValue | undefined): string => JSON.stringify(Array.isArray(v) && v.length === 2 && v[0] === v[1] ? v[0] : (v ?? null));
  return norm(a) === norm(b);
}

/** Whether `got` (a fold, analysed) builds the nodes `want` (the source's), by name, op, wiring and attributes. */
function sameNodes(want: IrNode[], got: IrNode[], entry: string, gotEntry: string): boolean {
  const real = got.filter((n) => n.op !== 'input');
  if (real.length !== want.length) return false;
  const wantName = new Map(want.map((n) => [n.id, n.name]));
  const gotName = new Map(real.map((n) => [n.id, n.name]));
  wantName.set(entry, '<in>');
  gotName.set(gotEntry, '<in>');
  return want.every((w, i) => {
    const g = real[i]!;
    if (w.name !== g.name || w.op !== g.op || (w.params ?? -1) !== (g.params ?? -1) || (w.macs ?? -1) !== (g.macs ?? -1)) return false;
    if (JSON.stringify(w.outputShape) !== JSON.stringify(g.outputShape)) return false;
    if (w.inputs.map((x) => wantName.get(x)).join() !== g.inputs.map((x) => gotName.get(x)).join()) return false;
    const keys = new Set([...Object.keys(w.attrs), ...Object.keys(g.attrs)]);
    return [...keys].every((k) => IMMATERIAL.has(k) || same(w.attrs[k], g.attrs[k]));
  });
}

/** The built-in stage that builds exactly this scope's blocks, if one does. */
function foldStage(scope: Scope, rel: string, g: IrGraph, byId: Map<string, IrNode>): StageDef | null {
  const blocks = scope.members.map((m) => (m.kind === 'scope' ? m.scope : null));
  if (!blocks.length || blocks.some((b) => !b) || scope.inputs.length !== 1) return null;
  const first = blocks[0]!;
  const input = byId.get(scope.inputs[0]!);
  if (!input?.outputShape || input.outputShape.some((d) => typeof d !== 'number')) return null;
  const out = channels(byId.get(first.output));
  const stride = strideOf(first, byId);
  const convs = first.nodes.filter((n) => n.op === 'Conv2d');
  if (out === null) return null;
  for (const [block, def] of Object.entries(BUILTIN_BLOCKS)) {
    const expansion = typeof def.expansion === 'number' ? def.expansion : 1;
    if (out % expansion !== 0) continue;
    const planes = out / expansion;
    const stage: StageDef = { stage: rel, block, count: blocks.length, planes, ...(stride !== 1 ? { stride } : {}) };
    if (def.params) {
      const grouped = convs.find((c) => typeof c.attrs['groups'] === 'number' && c.attrs['groups'] !== 1);
      const groups = grouped ? Number(grouped.attrs['groups']) : 1;
      const width = Number(convs[0]?.attrs['out_channels'] ?? planes);
      const baseWidth = (width / groups / planes) * 64;
      if (groups !== 1) stage['groups'] = groups;
      if (baseWidth !== 64) stage['base_width'] = baseWidth;
    }
    const probe: DesignFile = { input: input.outputShape as number[], layers: [stage] };
    const a = analyzeDesign(`${rel}.resnet.json`, JSON.stringify(probe));
    if (!a.graph || a.diagnostics.some((d) => d.severity === 'error')) continue;
    if (sameNodes(scope.nodes, a.graph.nodes, scope.inputs[0]!, a.graph.nodes[0]!.id)) return stage;
  }
  void g;
  return null;
}

/** Converts the analysed model to a design; throws {@link CodegenError} naming any node a design cannot hold. */
export function toDesign(g: IrGraph): DesignResult {
  const bad = g.nodes.filter((n) => n.op === 'opaque');
  if (bad.length) throw new CodegenError(bad.map((n) => `cannot write ${describeNode(n)} in a design: the analysis could not interpret it`).join('\n'), bad[0]!.source);
  if (!g.input || g.input.some((d) => typeof d !== 'number')) throw new CodegenError(`${g.name}: a design needs a known input shape, got ${JSON.stringify(g.input)}`);
  const tree = buildTree(g);
  const layers: (LayerDef | StageDef)[] = [];
  const idOf = new Map<string, string>();
  const usedIds = new Set<string>();
  const folded: string[] = [];
  const flattened: string[] = [];
  let previous: string | null = null;
  const refOf = (id: string) => (tree.byId.get(id)?.op === 'input' ? 'input' : (idOf.get(id) ?? id));
  const wire = (def: LayerDef | StageDef, inputs: string[]) => {
    const implicit = inputs.length === 1 && (previous === null ? tree.byId.get(inputs[0]!)?.op === 'input' : inputs[0] === previous);
    if (!implicit) def.inputs = inputs.map(refOf);
  };
  const addLayer = (n: IrNode) => {
    if (n.op === 'input') return;
    const def: LayerDef = { type: n.op, name: n.name };
    let id = n.name;
    if (usedIds.has(id)) {
      for (let k = 2; usedIds.has(id); k++) id = `${n.name}#${k}`;
      def.id = id;
    }
    usedIds.add(id);
    wire(def, n.inputs);
    Object.assign(def, designAttrs(n));
    idOf.set(n.id, id);
    layers.push(def);
    previous = n.id;
  };
  for (const m of tree.root.members) {
    if (m.kind === 'node') {
      addLayer(m.node);
      continue;
    }
    const stage = foldStage(m.scope, m.rel, g, tree.byId);
    if (stage && !usedIds.has(stage.stage)) {
      wire(stage, m.scope.inputs);
      layers.push(stage);
      usedIds.add(stage.stage);
      idOf.set(m.scope.output, stage.stage);
      previous = m.scope.output;
      folded.push(m.rel);
    } else {
      flattened.push(m.rel);
      for (const n of m.scope.nodes) addLayer(n);
    }
  }
  const design: DesignFile = { name: g.name, input: g.input as number[], layers };
  return { design, text: formatDesign(design), folded, flattened };
}

/** JSON with one layer per line, as the bundled examples are written; `jsonc-parser` edits it like any JSON. */
export function formatDesign(d: DesignFile): string {
  const inline = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
    if (v && typeof v === 'object') {
      const e = Object.entries(v as Record<string, unknown>);
      return e.length ? `{ ${e.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }` : '{}';
    }
    return JSON.stringify(v);
  };
  const lines = ['{'];
  const entries = Object.entries(d).filter(([, v]) => v !== undefined);
  entries.forEach(([k, v], i) => {
    const comma = i < entries.length - 1 ? ',' : '';
    if (k === 'layers' && Array.isArray(v)) {
      lines.push(`  "layers": [`);
      v.forEach((l, j) => lines.push(`    ${inline(l)}${j < v.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(k)}: ${inline(v)}${comma}`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
