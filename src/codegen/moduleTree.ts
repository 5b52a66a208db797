/**
 * The IR seen as a module hierarchy, for the writers: each group (block, stage, container) is a scope with
 * its direct members (layers and child scopes) in execution order, the values it takes from outside and the
 * one value it gives back. A scope's structure is summarised as a signature, so that blocks built the same
 * way share one generated class and one design block whatever their channel counts.
 */
import type { Attrs, IrGraph, IrGroup, IrNode, SourceRange } from '../core/ir';
import { OP_SPECS } from '../core/ops';
import { type Unsupported, isUnsupported } from '../core/opTypes';

/** Thrown when the IR holds something a writer cannot express; the message names the op and where it is. */
export class CodegenError extends Error {
  constructor(
    message: string,
    readonly source?: SourceRange,
  ) {
    super(message);
    this.name = 'CodegenError';
  }
}

/** `Conv2d layer1.0.conv1 (model.py:12)`: how a refused node is named in messages. */
export function describeNode(n: IrNode): string {
  const where = n.source ? ` at ${n.source.file.replace(/^.*[\\/]/, '')}:${n.source.line}` : '';
  return `${n.op} '${n.name}'${where}`;
}

export type Member = { kind: 'node'; node: IrNode; rel: string } | { kind: 'scope'; scope: Scope; rel: string };

export interface Scope {
  group: IrGroup | null;
  /** Module path ('' for the model itself). */
  path: string;
  members: Member[];
  /** Every node inside, nested scopes included, in execution order. */
  nodes: IrNode[];
  /** Values (node ids) used inside and produced outside, in the order of first use. */
  inputs: string[];
  /** The value the scope hands on (a node id). */
  output: string;
}

export interface ModuleTree {
  root: Scope;
  byId: Map<string, IrNode>;
  consumers: Map<string, string[]>;
  /** The node whose value the model returns. */
  output: IrNode;
}

/** A member's name relative to its scope: `layer1.0.conv1` in `layer1.0` is `conv1`. */
function relName(name: string, path: string): string {
  return path && name.startsWith(`${path}.`) ? name.slice(path.length + 1) : name;
}

export function buildTree(g: IrGraph): ModuleTree {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const consumers = new Map<string, string[]>(g.nodes.map((n) => [n.id, []]));
  for (const n of g.nodes) for (const i of n.inputs) consumers.get(i)?.push(n.id);
  const sinks = g.nodes.filter((n) => n.op !== 'input' && consumers.get(n.id)!.length === 0);
  const output = sinks[sinks.length - 1];
  if (!output) throw new CodegenError(`${g.name}: the model has no output to write`);
  if (g.outputs && g.outputs.length > 1) throw new CodegenError(`${g.name}: models that return several tensors are not written yet`);
  const entries = g.nodes.filter((n) => n.op === 'input');
  if (entries.length > 1) throw new CodegenError(`${g.name}: models that take several inputs (${entries.map((n) => n.name).join(', ')}) are not written yet`, entries[1]!.source);
  const groups = new Map(g.groups.map((x) => [x.id, x]));
  const chainOf = new Map<string, IrGroup[]>();
  const chain = (id: string | undefined): IrGroup[] => {
    if (!id) return [];
    let c = chainOf.get(id);
    if (!c) {
      const grp = groups.get(id)!;
      c = [...chain(grp.parent), grp];
      chainOf.set(id, c);
    }
    return c;
  };
  const make = (group: IrGroup | null, nodes: IrNode[], depth: number): Scope => {
    const path = group?.name ?? '';
    const members: Member[] = [];
    const children = new Map<string, IrNode[]>();
    for (const n of nodes) {
      const c = chain(n.group);
      const child = c[depth];
      if (!child) members.push({ kind: 'node', node: n, rel: relName(n.name, path) });
      else {
        let list = children.get(child.id);
        if (!list) {
          list = [];
          children.set(child.id, list);
          members.push({ kind: 'scope', scope: null as unknown as Scope, rel: relName(child.name, path) });
          (members[members.length - 1] as { scopeId?: string }).scopeId = child.id;
        }
        list.push(n);
      }
    }
    for (const m of members) {
      if (m.kind !== 'scope') continue;
      const id = (m as { scopeId?: string }).scopeId!;
      delete (m as { scopeId?: string }).scopeId;
      m.scope = make(groups.get(id)!, children.get(id)!, depth + 1);
    }
    const inside = new Set(nodes.map((n) => n.id));
    const inputs: string[] = [];
    for (const n of nodes) for (const i of n.inputs) if (!inside.has(i) && !inputs.includes(i)) inputs.push(i);
    const outs = nodes.filter((n) => n.id === output.id || consumers.get(n.id)!.some((c) => !inside.has(c)));
    if (group && outs.length !== 1) {
      throw new CodegenError(`${group.label} '${group.name}' hands ${outs.length === 0 ? 'no value' : `${outs.length} values`} to the rest of the model; the writers need exactly one`, group.source);
    }
    return { group, path, members, nodes, inputs, output: (outs[0] ?? output).id };
  };
  return { root: make(null, g.nodes, 0), byId, consumers, output };
}

/** A module node's constructor arguments: its attributes, as the catalogue rewrites them for PyTorch. */
export function torchAttrs(n: IrNode): Attrs | Unsupported {
  const w = OP_SPECS[n.op].pytorch;
  return !isUnsupported(w) && w.kind === 'module' && w.attrs ? w.attrs(n.attrs, n.inputShapes) : n.attrs;
}

/** The nodes no PyTorch code can be written for, each with the catalogue's reason. */
export function unsupportedForPyTorch(g: IrGraph): { message: string; source?: SourceRange }[] {
  return g.nodes.flatMap((n) => {
    if (n.op === 'input') return [];
    const w = OP_SPECS[n.op].pytorch;
    // An expression may refuse some attributes only (`pointwise` writes a rescale, not a standardisation).
    const written = isUnsupported(w) ? w : w.kind === 'expr' ? w.expr(n.inputs.map(() => 'x'), n.attrs, n.inputShapes) : torchAttrs(n);
    return isUnsupported(written) ? [{ message: `cannot write ${describeNode(n)} as PyTorch: ${written.unsupported}`, ...(n.source ? { source: n.source } : {}) }] : [];
  });
}

/** Channel-like attributes whose values the writers express through a block's `inplanes` and `planes`. */
export const CHANNEL_ATTRS = new Set(['in_channels', 'out_channels', 'num_features', 'num_channels', 'in_features', 'out_features']);

/** The channel count of a value (dimension 1), if known. */
export function channels(n: IrNode | undefined): number | null {
  const s = n?.outputShape;
  const c = s && s.length >= 2 ? s[1] : null;
  return typeof c === 'number' ? c : null;
}

/**
 * How much a scope shrinks the image (a block's `stride`). An odd input does not divide: a stride-2 block
 * takes 25 rows to 13 and 1 row to 1. So the largest stride its own layers take, where that stride gives the
 * output height from the input height (rounded either way, as padded and unpadded layers round), is the
 * answer; failing that, the input height over the output height when whole; failing that, 1.
 */
export function strideOf(scope: Scope, byId: Map<string, IrNode>): number {
  const i = byId.get(scope.inputs[0] ?? '')?.outputShape;
  const o = byId.get(scope.output)?.outputShape;
  const hi = i && i.length === 4 ? i[2] : null;
  const ho = o && o.length === 4 ? o[2] : null;
  if (typeof hi !== 'number' || typeof ho !== 'number' || ho <= 0) return 1;
  const fits = (s: number) => Math.ceil(hi / s) === ho || Math.floor(hi / s) === ho;
  const layerStride = Math.max(1, ...scope.nodes.map((n) => heightStride(n.attrs['stride'])));
  if (layerStride > 1 && fits(layerStride)) return layerStride;
  return hi % ho === 0 ? hi / ho : 1;
}

/** A layer's stride along the height (`2`, `[2, 1]`), 1 when unknown. */
function heightStride(v: unknown): number {
  const h = Array.isArray(v) ? v[0] : v;
  return typeof h === 'number' && Number.isInteger(h) && h > 0 ? h : 1;
}
