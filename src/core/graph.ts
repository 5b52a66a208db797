/**
 * Builds the IR in execution order. Each `op()` call applies the catalogue rule immediately, so shapes,
 * params, MACs and shape diagnostics exist as soon as a node does: front ends that need a shape to decide
 * what happens next (`x.size(1)`, a branch on a width) read it straight back.
 */
import type { Shape } from './dims';
import type { Attrs, Diagnostic, IrEdge, IrGraph, IrGroup, IrNode, IrSkip, Severity, SkipKind, SourceRange } from './ir';
import { OP_SPECS, type OpName, withDefaults } from './ops';

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

  /** Adds a node, applying the catalogue rule for `op`. */
  op(op: OpName, attrs: Attrs, inputs: readonly Tensor[], meta: OpMeta = {}): Tensor {
    const spec = OP_SPECS[op];
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

  finish(output: Tensor | null, more: readonly Tensor[] = []): IrGraph {
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
      ...(output && more.length ? { outputs: [output.shape, ...more.map((t) => t.shape)] } : {}),
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
 * between fork and add is the shortcut. It is a projection when any node on it has learnable parameters, a pad
 * when it has none but still changes the tensor's shape (option A), and an identity otherwise.
 */
export function findSkips(nodes: readonly IrNode[], byId: ReadonlyMap<string, IrNode>): IrSkip[] {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const skips: IrSkip[] = [];
  for (const add of nodes) {
    if (add.op !== 'add' || add.inputs.length !== 2) continue;
    const found = forkOf(add.inputs[0]!, add.inputs[1]!, index, byId);
    if (!found) continue;
    const { fork, branchA, branchB } = found;
    const via = branchB.length <= branchA.length ? branchB : branchA;
    const kind = skipKind(fork, via, byId);
    const skip: IrSkip = { id: `s${skips.length}`, from: fork, to: add.id, kind, via };
    if (add.group) skip.group = add.group;
    skips.push(skip);
  }
  return skips;
}

function skipKind(fork: string, via: readonly string[], byId: ReadonlyMap<string, IrNode>): SkipKind {
  if (via.some((id) => (byId.get(id)?.params ?? 0) > 0)) return 'projection';
  if (!via.length) return 'identity';
  const before = byId.get(fork)?.outputShape;
  const after = byId.get(via[via.length - 1]!)?.outputShape;
  const reshapes = via.some((id) => byId.get(id)?.op === 'pad') || JSON.stringify(before) !== JSON.stringify(after);
  return reshapes ? 'pad' : 'identity';
}

/**
 * Nearest common ancestor of `a` and `b`, walking backwards in decreasing execution index: the first node
 * reached from both sides is the fork, and the nodes reached from one side only are that side's branch.
 * Costs the size of the two branches, not of the whole graph.
 */
function forkOf(
  a: string,
  b: string,
  index: ReadonlyMap<string, number>,
  byId: ReadonlyMap<string, IrNode>,
): { fork: string; branchA: string[]; branchB: string[] } | null {
  const mask = new Map<string, number>([[a, 1]]);
  mask.set(b, (mask.get(b) ?? 0) | 2);
  const heap = new MaxHeap<string>((id) => index.get(id)!);
  heap.push(a);
  if (b !== a) heap.push(b);
  const branchA: string[] = [];
  const branchB: string[] = [];
  while (heap.size) {
    const id = heap.pop()!;
    const m = mask.get(id)!;
    if (m === 3) return { fork: id, branchA: branchA.reverse(), branchB: branchB.reverse() };
    (m === 1 ? branchA : branchB).push(id);
    for (const p of byId.get(id)?.inputs ?? []) {
      const old = mask.get(p);
      if (old === undefined) heap.push(p);
      mask.set(p, (old ?? 0) | m);
    }
  }
  return null;
}

class MaxHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly key: (t: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(t: T): void {
    const it = this.items;
    it.push(t);
    for (let i = it.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (this.key(it[p]!) >= this.key(it[i]!)) break;
      [it[p], it[i]] = [it[i]!, it[p]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const it = this.items;
    const top = it[0];
    const last = it.pop();
    if (it.length && last !== undefined) {
      it[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < it.length && this.key(it[l]!) > this.key(it[m]!)) m = l;
        if (r < it.length && this.key(it[r]!) > this.key(it[m]!)) m = r;
        if (m === i) break;
        [it[m], it[i]] = [it[i]!, it[m]!];
        i = m;
      }
    }
    return top;
  }
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
