/**
 * Builds the IR in execution order. Each `op()` call applies the catalogue rule immediately, so shapes,
 * params, MACs and shape diagnostics exist as soon as a node does: front ends that need a shape to decide
 * what happens next (`x.size(1)`, a branch on a width) read it straight back.
 */
import type { Shape } from './dims';
import type { Attrs, Diagnostic, IrEdge, IrGraph, IrGroup, IrNode, IrSkip, Severity, SourceRange } from './ir';
import { opSpec, withDefaults } from './ops';

/** A tensor value: the node that produced it and its shape. */
export interface Tensor {
  node: string;
  shape: Shape;
}

export interface OpMeta {
  /** Module path; a path used before marks the node as the same module called again. Omitted: a unique name from the op. */
  name?: string;
  source?: SourceRange;
  /** The module was already counted (same instance called again). */
  shared?: boolean;
  definedAt?: SourceRange;
}

export class GraphBuilder {
  readonly nodes: IrNode[] = [];
  readonly edges: IrEdge[] = [];
  readonly groups: IrGroup[] = [];
  readonly diagnostics: Diagnostic[] = [];
  private readonly byId = new Map<string, IrNode>();
  private readonly groupStack: string[] = [];
  private readonly usedNames = new Map<string, number>();
  private readonly moduleNames = new Set<string>();
  private inputShape: Shape = null;

  constructor(
    readonly name: string,
    readonly file: string,
  ) {}

  input(shape: Shape, name = 'input', source?: SourceRange): Tensor {
    this.inputShape ??= shape;
    return this.op('input', { shape }, [], { name, ...(source ? { source } : {}) });
  }

  /** Adds a node, applying the catalogue rule for `op`; unknown ops become `opaque` with an information diagnostic. */
  op(op: string, attrs: Attrs, inputs: readonly Tensor[], meta: OpMeta = {}): Tensor {
    let spec = opSpec(op);
    if (!spec) {
      this.diag('information', 'op/unknown', `unknown operation '${op}': its output shape is unknown`, meta.source);
      spec = opSpec('opaque')!;
      attrs = { reason: `unknown op ${op}` };
      op = 'opaque';
    }
    const full = withDefaults(op, attrs);
    const inputShapes = inputs.map((t) => t.shape);
    const r = spec.infer(full, inputShapes);
    const id = `n${this.nodes.length}`;
    const node: IrNode = {
      id,
      op,
      name: meta.name ?? this.freshName(op),
      attrs: full,
      inputs: inputs.map((t) => t.node),
      inputShapes,
      outputShape: r.shape,
      params: r.params,
      macs: r.macs,
    };
    const group = this.groupStack[this.groupStack.length - 1];
    if (group) node.group = group;
    if (meta.source) node.source = meta.source;
    if (meta.definedAt) node.definedAt = meta.definedAt;
    // A module path seen before is the same module called again (torchvision's `self.relu`): count it once.
    if (meta.shared || (meta.name !== undefined && this.moduleNames.has(meta.name))) node.shared = true;
    if (meta.name !== undefined) this.moduleNames.add(meta.name);
    this.nodes.push(node);
    this.byId.set(id, node);
    inputs.forEach((t, index) => {
      this.edges.push({ id: `e${this.edges.length}`, from: t.node, to: id, index, shape: t.shape });
    });
    for (const issue of r.issues) {
      this.diag(issue.severity, issue.code, node.name === op ? issue.message : `${node.name}: ${issue.message}`, meta.source, id, issue.fix);
    }
    return { node: id, shape: r.shape };
  }

  node(id: string): IrNode | undefined {
    return this.byId.get(id);
  }

  /** Opens a level of the module hierarchy; nodes added until `endGroup` belong to it. Kind is refined in `finish`. */
  beginGroup(name: string, label: string, source?: SourceRange): string {
    const id = `g${this.groups.length}`;
    const g: IrGroup = { id, name, kind: 'module', label };
    const parent = this.groupStack[this.groupStack.length - 1];
    if (parent) g.parent = parent;
    if (source) g.source = source;
    this.groups.push(g);
    this.groupStack.push(id);
    return id;
  }

  endGroup(): void {
    this.groupStack.pop();
  }

  diag(severity: Severity, code: string, message: string, source?: SourceRange, node?: string, fix?: Diagnostic['fix']): Diagnostic {
    const at = source ?? { file: this.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
    const d: Diagnostic = {
      severity,
      file: at.file,
      line: at.line,
      column: at.column,
      endLine: at.endLine,
      endColumn: at.endColumn,
      code,
      message,
    };
    if (node) {
      d.node = node;
      if (severity === 'error') {
        const n = this.byId.get(node);
        if (n && !n.error) n.error = message;
      }
    }
    if (fix) d.fix = fix;
    this.diagnostics.push(d);
    return d;
  }

  finish(output: Tensor | null): IrGraph {
    const skips = findSkips(this.nodes, this.byId);
    markSkipEdges(this.edges, skips);
    classifyGroups(this.groups, skips);
    let params: number | null = 0;
    let macs: number | null = 0;
    for (const n of this.nodes) {
      if (!n.shared) params = params === null || n.params === null ? null : params + n.params;
      macs = macs === null || n.macs === null ? null : macs + n.macs;
    }
    return {
      name: this.name,
      file: this.file,
      input: this.inputShape,
      output: output ? output.shape : null,
      nodes: this.nodes,
      edges: this.edges,
      groups: this.groups,
      skips,
      params,
      macs,
    };
  }

  /** A name not used before, from `base` (`relu`, `relu_1`, ...), for anonymous layers and functional ops. */
  freshName(base: string): string {
    const n = this.usedNames.get(base) ?? 0;
    this.usedNames.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

/**
 * Finds residual shortcuts. For each `add` of two tensors, the fork is the nearest common ancestor of its
 * operands (nodes are in execution order, so "nearest" is the highest index); the branch with fewer nodes
 * between fork and add is the shortcut. It is a projection when any node on it has learnable parameters.
 */
export function findSkips(nodes: readonly IrNode[], byId: ReadonlyMap<string, IrNode>): IrSkip[] {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const skips: IrSkip[] = [];
  for (const add of nodes) {
    if (add.op !== 'add' || add.inputs.length !== 2) continue;
    const [a, b] = add.inputs as [string, string];
    const ancA = ancestors(a, byId);
    const ancB = ancestors(b, byId);
    let fork: string | null = null;
    let best = -1;
    for (const id of ancA) {
      const i = index.get(id)!;
      if (ancB.has(id) && i > best) {
        best = i;
        fork = id;
      }
    }
    if (fork === null) continue;
    const branch = (anc: Set<string>) =>
      [...anc].filter((id) => index.get(id)! > best).sort((x, y) => index.get(x)! - index.get(y)!);
    const brA = branch(ancA);
    const brB = branch(ancB);
    const via = brB.length <= brA.length ? brB : brA;
    const kind = via.some((id) => (byId.get(id)?.params ?? 0) > 0) ? 'projection' : 'identity';
    const skip: IrSkip = { id: `s${skips.length}`, from: fork, to: add.id, kind, via };
    if (add.group) skip.group = add.group;
    skips.push(skip);
  }
  return skips;
}

function ancestors(start: string, byId: ReadonlyMap<string, IrNode>): Set<string> {
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length) {
    const n = byId.get(stack.pop()!);
    if (!n) continue;
    for (const p of n.inputs) {
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return seen;
}

function markSkipEdges(edges: IrEdge[], skips: readonly IrSkip[]): void {
  const onSkip = new Set<string>();
  for (const s of skips) {
    const chain = [s.from, ...s.via, s.to];
    for (let i = 0; i + 1 < chain.length; i++) onSkip.add(`${chain[i]}>${chain[i + 1]}`);
  }
  for (const e of edges) if (onSkip.has(`${e.from}>${e.to}`)) e.skip = true;
}

/** A group holding a residual add is a block; a group holding blocks is a stage. */
function classifyGroups(groups: IrGroup[], skips: readonly IrSkip[]): void {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const addGroups = new Set(skips.map((s) => s.group).filter((g): g is string => !!g));
  for (const g of groups) if (addGroups.has(g.id)) g.kind = 'block';
  for (const g of groups) {
    if (g.kind === 'block' && g.parent) {
      const p = byId.get(g.parent)!;
      if (p.kind !== 'block') p.kind = 'stage';
    }
  }
}

/** Depth-first order of groups for display (parents before children). */
export function groupPath(groups: readonly IrGroup[], id: string | undefined): IrGroup[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const path: IrGroup[] = [];
  let cur = id ? byId.get(id) : undefined;
  while (cur) {
    path.unshift(cur);
    cur = cur.parent ? byId.get(cur.parent) : undefined;
  }
  return path;
}
