/**
 * IR of any analysed model (a PyTorch file, a Keras/TF.js model.json, a design) -> a `*.resnet.json`
 * design, so an existing network can be taken into the designer. A stage whose blocks are exactly what a
 * built-in block (basic, bottleneck, cifar) builds is folded back into one `{ stage, block, count }` entry;
 * anything else is written layer by layer under its module paths, with `inputs` where it branches. Each fold
 * is checked by analysing it, so the design always has the source's parameters, MACs and output shape.
 */
import type { AttrValue, Attrs, IrGraph, IrNode } from '../core/ir';
import { OP_SPECS } from '../core/ops';
import type { BlockDef, DesignFile, LayerDef, StageDef } from '../frontends/designTypes';
import { BUILTIN_BLOCKS } from '../frontends/builtinBlocks';
import { analyzeDesign } from '../frontends/resnetJson';
import { CHANNEL_ATTRS, CodegenError, type Scope, buildTree, channels, describeNode, strideOf } from './moduleTree';

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

function isModuleOp(n: IrNode): boolean {
  const w = OP_SPECS[n.op].pytorch;
  return 'kind' in w && w.kind === 'module';
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
  const wantById = new Map(want.map((n) => [n.id, n]));
  const gotById = new Map(real.map((n) => [n.id, n]));
  wantName.set(entry, '<in>');
  gotName.set(gotEntry, '<in>');
  return want.every((w, i) => {
    const g = real[i]!;
    const named = w.name === g.name || !isModuleOp(w);
    if (!named || w.op !== g.op || (w.params ?? -1) !== (g.params ?? -1) || (w.macs ?? -1) !== (g.macs ?? -1)) return false;
    if (JSON.stringify(w.outputShape) !== JSON.stringify(g.outputShape)) return false;
    // Functional ops get derived names, and an add's operands may come in either order.
    const refs = (ins: string[], names: Map<string, string>, byNode: Map<string, IrNode>) => ins.map((x) => (byNode.get(x) && !isModuleOp(byNode.get(x)!) ? `~${byNode.get(x)!.op}` : names.get(x))).sort().join();
    if (refs(w.inputs, wantName, wantById) !== refs(g.inputs, gotName, gotById)) return false;
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

interface BlockVars {
  inplanes: number;
  planes: number;
  stride: number;
}

/** A value of every block of a stage as one design expression over the block's variables, or a literal. */
function blockValue(attr: string, values: AttrValue[], vars: BlockVars[]): AttrValue | undefined {
  const holds = (f: (v: BlockVars) => number) => values.every((x, i) => same(x, f(vars[i]!)));
  if (attr === 'stride' && vars.some((v) => v.stride !== 1) && holds((v) => v.stride)) return 'stride';
  if (CHANNEL_ATTRS.has(attr)) {
    const cands: [string, (v: BlockVars) => number][] = [
      ['planes', (v) => v.planes],
      ['inplanes', (v) => v.inplanes],
      ...[2, 4, 8, 16].flatMap((k): [string, (v: BlockVars) => number][] => [
        [`planes * ${k}`, (v) => v.planes * k],
        [`planes // ${k}`, (v) => Math.floor(v.planes / k)],
      ]),
    ];
    for (const [code, f] of cands) if (holds(f)) return code;
  }
  const first = JSON.stringify(values[0]);
  return values.every((v) => JSON.stringify(v) === first) ? values[0] : undefined;
}

/**
 * A stage of residual blocks that no built-in block builds, as a custom block: main layers up to the add,
 * the shortcut's layers (used when the stride or width changes, if only some blocks have them), and the
 * layers after the add; channels and strides written through `planes`, `inplanes` and `stride`.
 */
function customStage(scope: Scope, rel: string, g: IrGraph, byId: Map<string, IrNode>, blocks: Record<string, BlockDef>): StageDef | null {
  const members = scope.members.map((m) => (m.kind === 'scope' && m.scope.group?.kind === 'block' ? m.scope : null));
  if (!members.length || members.some((b) => !b) || scope.inputs.length !== 1) return null;
  const parts = (members as Scope[]).map((b) => {
    const skip = g.skips.find((k) => k.group === b.group!.id);
    if (!skip) return null;
    const via = new Set(skip.via);
    const at = b.nodes.findIndex((n) => n.id === skip.to);
    const prefix = `${b.path}.`;
    const rel = (n: IrNode) => (n.name.startsWith(prefix) ? n.name.slice(prefix.length) : null);
    const main = b.nodes.slice(0, at).filter((n) => !via.has(n.id));
    const short = b.nodes.filter((n) => via.has(n.id));
    const post = b.nodes.slice(at + 1);
    if ([...main, ...short, ...post].some((n) => rel(n) === null) || skip.from !== b.inputs[0]) return null;
    const vars: BlockVars = { inplanes: channels(byId.get(b.inputs[0]!)) ?? 0, planes: channels(byId.get(b.output)) ?? 0, stride: strideOf(b, byId) };
    return { b, main, short, post, add: byId.get(skip.to)!, vars, rel: (n: IrNode) => rel(n)! };
  });
  if (parts.some((p) => !p)) return null;
  const ps = parts as NonNullable<(typeof parts)[number]>[];
  const shape = (ns: IrNode[], p: (typeof ps)[number]) => ns.map((n) => `${p.rel(n)}:${n.op}`).join();
  const withShort = ps.filter((p) => p.short.length);
  if (ps.some((p) => shape(p.main, p) !== shape(ps[0]!.main, ps[0]!) || shape(p.post, p) !== shape(ps[0]!.post, ps[0]!))) return null;
  if (withShort.some((p) => shape(p.short, p) !== shape(withShort[0]!.short, withShort[0]!))) return null;
  const layersOf = (pick: (p: (typeof ps)[number]) => IrNode[], among: (typeof ps)[number][], entry: (p: (typeof ps)[number]) => string): LayerDef[] | null => {
    const rep = among[0]!;
    const ids = new Map<string, string>();
    const used = new Set<string>();
    const out: LayerDef[] = [];
    let prev: string | null = null;
    for (const [i, n] of pick(rep).entries()) {
      const name = rep.rel(n);
      const def: LayerDef = { type: n.op, name };
      let id = name;
      for (let k = 2; used.has(id); k++) id = `${name}#${k}`;
      if (id !== name) def.id = id;
      used.add(id);
      const refs = n.inputs.map((x) => (x === entry(rep) ? 'input' : (ids.get(x) ?? null)));
      if (refs.some((r) => r === null) && !(i === 0 && n.inputs.length === 1)) return null;
      const implicit = n.inputs.length === 1 && (prev === null ? refs[0] === 'input' || i === 0 : n.inputs[0] === prev);
      if (!implicit) def.inputs = refs as string[];
      const spec = OP_SPECS[n.op];
      const keys = Object.keys(n.attrs).filter((k) => !spec.inferred?.[k]);
      for (const k of keys) {
        const values = among.map((p) => pick(p)[i]!.attrs[k] ?? null);
        const v = blockValue(k, values, among.map((p) => p.vars));
        if (v === undefined) return null;
        if (k in spec.defaults && JSON.stringify(v) === JSON.stringify(spec.defaults[k] ?? null)) continue;
        def[k] = v;
      }
      ids.set(n.id, id);
      out.push(def);
      prev = n.id;
    }
    return out;
  };
  const main = layersOf((p) => p.main, ps, (p) => p.b.inputs[0]!);
  const post = layersOf((p) => p.post, ps, (p) => p.add.id);
  if (!main || !post) return null;
  const def: BlockDef = { label: ps[0]!.b.group!.label, expansion: 1, main, post };
  if (withShort.length) {
    const sc = layersOf((p) => p.short, withShort, (p) => p.b.inputs[0]!);
    if (!sc) return null;
    const rule = ps.every((p) => (p.short.length > 0) === (p.vars.stride !== 1 || p.vars.inplanes !== p.vars.planes));
    if (withShort.length !== ps.length && !rule) return null;
    def.shortcut = withShort.length === ps.length ? { layers: sc } : { when: 'stride != 1 or inplanes != planes', layers: sc };
  } else def.shortcut = 'identity';
  const text = JSON.stringify(def);
  let key = Object.keys(blocks).find((k) => JSON.stringify(blocks[k]) === text);
  if (!key) {
    const base = def.label!.replace(/[^A-Za-z0-9]+/g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    key = base;
    for (let k = 2; key in blocks || key in BUILTIN_BLOCKS; k++) key = `${base}_${k}`;
    blocks[key] = def;
  }
  const first = ps[0]!.vars;
  const stage: StageDef = { stage: rel, block: key, count: ps.length, planes: first.planes, ...(first.stride !== 1 ? { stride: first.stride } : {}) };
  const probe: DesignFile = { input: byId.get(scope.inputs[0]!)!.outputShape as number[], blocks: { [key]: def }, layers: [stage] };
  const a = analyzeDesign(`${rel}.resnet.json`, JSON.stringify(probe));
  const ok = a.graph && !a.diagnostics.some((d) => d.severity === 'error') && sameNodes(scope.nodes, a.graph.nodes, scope.inputs[0]!, a.graph.nodes[0]!.id);
  if (!ok && blocks[key] === def) delete blocks[key];
  return ok ? stage : null;
}

/** Converts the analysed model to a design; throws {@link CodegenError} naming any node a design cannot hold. */
export function toDesign(g: IrGraph): DesignResult {
  const bad = g.nodes.filter((n) => n.op === 'opaque');
  if (bad.length) throw new CodegenError(bad.map((n) => `cannot write ${describeNode(n)} in a design: the analysis could not interpret it`).join('\n'), bad[0]!.source);
  // A design spells an op with its catalogue attributes only; one the catalogue keeps beside them for another
  // format (a Keras PReLU's slope per position) would be dropped when the design is read.
  const beyond = g.nodes.flatMap((n) => {
    const extra = Object.keys(n.attrs).filter((k) => n.op !== 'input' && !(k in OP_SPECS[n.op].defaults));
    return extra.length ? [{ n, extra }] : [];
  });
  if (beyond.length) {
    throw new CodegenError(beyond.map(({ n, extra }) => `cannot write ${describeNode(n)} in a design: a design's ${n.op} has no ${extra.join(', ')}`).join('\n'), beyond[0]!.n.source);
  }
  if (!g.input || g.input.some((d) => typeof d !== 'number')) throw new CodegenError(`${g.name}: a design needs a known input shape, got ${JSON.stringify(g.input)}`);
  const tree = buildTree(g);
  const layers: (LayerDef | StageDef)[] = [];
  const idOf = new Map<string, string>();
  const usedIds = new Set<string>();
  const folded: string[] = [];
  const blocks: Record<string, BlockDef> = {};
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
    const stage = foldStage(m.scope, m.rel, g, tree.byId) ?? customStage(m.scope, m.rel, g, tree.byId, blocks);
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
  const design: DesignFile = { name: g.name, input: g.input as number[], ...(Object.keys(blocks).length ? { blocks } : {}), layers };
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
    if (k === 'blocks' && v && typeof v === 'object') {
      const blocks = Object.entries(v as Record<string, Record<string, unknown>>);
      lines.push(`  "blocks": {`);
      blocks.forEach(([name, def], b) => {
        lines.push(`    ${JSON.stringify(name)}: {`);
        const fields = Object.entries(def);
        fields.forEach(([f, x], j) => {
          const c = j < fields.length - 1 ? ',' : '';
          const list = Array.isArray(x) ? x : x && typeof x === 'object' && Array.isArray((x as { layers?: unknown }).layers) ? null : undefined;
          if (Array.isArray(list)) {
            lines.push(`      ${JSON.stringify(f)}: [`);
            list.forEach((l, i) => lines.push(`        ${inline(l)}${i < list.length - 1 ? ',' : ''}`));
            lines.push(`      ]${c}`);
          } else if (list === null) {
            const sc = x as { when?: string; layers: unknown[] };
            lines.push(`      ${JSON.stringify(f)}: {`);
            if (sc.when !== undefined) lines.push(`        "when": ${JSON.stringify(sc.when)},`);
            lines.push(`        "layers": [`);
            sc.layers.forEach((l, i) => lines.push(`          ${inline(l)}${i < sc.layers.length - 1 ? ',' : ''}`));
            lines.push(`        ]`, `      }${c}`);
          } else lines.push(`      ${JSON.stringify(f)}: ${inline(x)}${c}`);
        });
        lines.push(`    }${b < blocks.length - 1 ? ',' : ''}`);
      });
      lines.push(`  }${comma}`);
    } else if (k === 'layers' && Array.isArray(v)) {
      lines.push(`  "layers": [`);
      v.forEach((l, j) => lines.push(`    ${inline(l)}${j < v.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(k)}: ${inline(v)}${comma}`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
