/**
 * What a change did to a network: two analysed versions of a model, matched by module path (`layer3.0.conv1`),
 * as added, removed and changed layers and groups, each attribute change as old → new, the output shape on
 * both sides, and the params and MACs delta of every stage and of the whole model. Pure and serialisable:
 * the CLI prints it (`resnet-studio diff`), and the extension posts it to the graph page.
 */
import type { Shape } from './dims';
import type { AttrValue, GroupKind, IrGraph, IrGroup, IrNode } from './ir';
import type { OpName } from './ops';

/**
 * How one layer, group or stage differs. `changed`: its definition differs (op, attributes, block type);
 * `reshaped`: the same definition, but the tensor through it (its shape, hence its MACs) differs, as when an
 * earlier layer widens; `same`: nothing differs.
 */
export type DiffStatus = 'added' | 'removed' | 'changed' | 'reshaped' | 'same';

/** One changed field (`op`, an attribute name, or a group's `label`); a side without the field has no value. */
export interface FieldChange {
  field: string;
  before?: AttrValue;
  after?: AttrValue;
}

/** A count on both sides; an absent side counts 0, unknown is null, and so is a delta involving an unknown. */
export interface CountDelta {
  before: number | null;
  after: number | null;
  delta: number | null;
}

/** A shape on both sides; a side where the thing does not exist has none. */
export interface ShapePair {
  before?: Shape;
  after?: Shape;
}

/** One layer of either version. */
export interface NodeDiff {
  /** The module path, with `#2`, `#3`, ... for a module's second and later calls (a shared `relu`). */
  key: string;
  name: string;
  /** The op after the change, or before it for a removed layer. */
  op: OpName;
  status: DiffStatus;
  /** The node's id in the first (older) graph, absent for an added layer. */
  before?: string;
  /** The node's id in the second graph, absent for a removed layer. */
  after?: string;
  /** The op and attribute changes, old → new (empty unless `changed`). */
  changes: FieldChange[];
  output: ShapePair;
  params: CountDelta;
  macs: CountDelta;
  /** The {@link StageDiff} row the layer counts towards. */
  stage: string;
  /** The key of the innermost group holding it (in the second version, or the first for a removed layer). */
  group?: string;
}

/** One level of the module hierarchy (a block, a stage, a container) of either version. */
export interface GroupDiff {
  key: string;
  name: string;
  kind: GroupKind;
  /** The class or container type after the change (before it, for a removed group). */
  label: string;
  /** `changed` when its own type changed or anything inside was added, removed or changed. */
  status: DiffStatus;
  before?: string;
  after?: string;
  /** The key of the group holding it. */
  parent?: string;
  /** Changes of the group itself: its type (`label`) and kind. */
  changes: FieldChange[];
  params: CountDelta;
  macs: CountDelta;
  /** Layers inside by status. */
  counts: StatusCounts;
}

export type StatusCounts = Record<DiffStatus, number>;

/**
 * A row of the per-stage table: a top-level group of kind stage, or, outside every stage, a top-level module
 * (`conv1`, `fc`) or top-level container.
 */
export interface StageDiff {
  name: string;
  status: DiffStatus;
  /** What the row is on each side: `3× BasicBlock` for a stage, the op or container type otherwise. */
  what: { before?: string; after?: string };
  params: CountDelta;
  macs: CountDelta;
  output: ShapePair;
}

/** The facts of one version. */
export interface DiffSide {
  name: string;
  file: string;
  input: Shape;
  output: Shape;
  /** Every output, for a model returning several tensors. */
  outputs?: Shape[];
  params: number | null;
  macs: number | null;
}

export interface ModelDiff {
  before: DiffSide;
  after: DiffSide;
  inputChanged: boolean;
  /** The model's interface changed: its output shape (or the shape of any of its outputs). */
  outputChanged: boolean;
  /** Every layer of both versions, in the order of the second, with removed ones where they stood. */
  nodes: NodeDiff[];
  groups: GroupDiff[];
  stages: StageDiff[];
  total: { params: CountDelta; macs: CountDelta };
  /** Layers by status. */
  counts: StatusCounts;
}

/** Every status, in the order tables and legends list them. */
export const DIFF_STATUSES: readonly DiffStatus[] = ['added', 'removed', 'changed', 'reshaped', 'same'];

export const emptyCounts = (): StatusCounts => ({ added: 0, removed: 0, changed: 0, reshaped: 0, same: 0 });

/** JSON with object keys sorted, so attribute values compare by content. */
function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

export const sameValue = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

function delta(before: number | null, after: number | null): CountDelta {
  return { before, after, delta: before === null || after === null ? null : after - before };
}

const add = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

/**
 * Keys that name each item once: its name, then `name#2`, `name#3` for repeats (a module called twice is two
 * nodes with one path; the k-th call on one side matches the k-th on the other).
 */
function keyed<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  const seen = new Map<string, number>();
  const out = new Map<string, T>();
  for (const it of items) {
    const n = (seen.get(it.name) ?? 0) + 1;
    seen.set(it.name, n);
    out.set(n === 1 ? it.name : `${it.name}#${n}`, it);
  }
  return out;
}

/**
 * The keys of both sequences in one order: the second's, with keys only the first has placed where they stood
 * there, before the keys that replaced them (as a unified diff lists removed lines before added ones). A
 * removed layer is drawn and listed where it used to be.
 */
export function mergeOrder(first: readonly string[], second: readonly string[]): string[] {
  const inSecond = new Set(second);
  const pos = new Map(first.map((k, i) => [k, i]));
  const out: string[] = [];
  let i = 0;
  for (const k of second) {
    const j = pos.get(k);
    if (j !== undefined && j >= i) {
      for (; i < j; i++) if (!inSecond.has(first[i]!)) out.push(first[i]!);
      i = j + 1;
    } else if (j === undefined) {
      for (; i < first.length && !inSecond.has(first[i]!); i++) out.push(first[i]!);
    }
    out.push(k);
  }
  for (; i < first.length; i++) if (!inSecond.has(first[i]!)) out.push(first[i]!);
  return out;
}

/** Op and attribute changes of a layer present on both sides. */
function nodeChanges(a: IrNode, b: IrNode): FieldChange[] {
  const out: FieldChange[] = [];
  if (a.op !== b.op) out.push({ field: 'op', before: a.op, after: b.op });
  const names = mergeOrder(Object.keys(a.attrs), Object.keys(b.attrs));
  for (const k of names) {
    const x = a.attrs[k];
    const y = b.attrs[k];
    if (sameValue(x, y)) continue;
    const c: FieldChange = { field: k };
    if (x !== undefined) c.before = x;
    if (y !== undefined) c.after = y;
    out.push(c);
  }
  return out;
}

const countedParams = (n: IrNode): number | null => (n.shared ? 0 : n.params);

/** The group chain of a node, outermost first. */
function chainOf(groups: ReadonlyMap<string, IrGroup>, id: string | undefined): IrGroup[] {
  const out: IrGroup[] = [];
  const seen = new Set<string>();
  for (let g = id ? groups.get(id) : undefined; g && !seen.has(g.id); g = g.parent ? groups.get(g.parent) : undefined) {
    seen.add(g.id);
    out.unshift(g);
  }
  return out;
}

/** The per-stage row a node counts towards: its outermost stage, else its outermost group, else itself. */
function stageOf(groups: ReadonlyMap<string, IrGroup>, n: IrNode): IrGroup | IrNode {
  const chain = chainOf(groups, n.group);
  return chain.find((g) => g.kind === 'stage') ?? chain[0] ?? n;
}

/** `3× BasicBlock` for a group holding blocks; its type otherwise. */
function describeGroup(g: IrGraph, grp: IrGroup): string {
  const counts = new Map<string, number>();
  for (const c of g.groups) if (c.parent === grp.id && c.kind === 'block') counts.set(c.label, (counts.get(c.label) ?? 0) + 1);
  return counts.size ? [...counts].map(([label, k]) => `${k}× ${label}`).join(' + ') : grp.label;
}

interface StageAcc {
  name: string;
  what?: string;
  params: number | null;
  macs: number | null;
  output: Shape;
}

function stageRows(g: IrGraph): Map<string, StageAcc> {
  const groups = new Map(g.groups.map((x) => [x.id, x]));
  const rows = new Map<string, StageAcc>();
  for (const n of g.nodes) {
    if (n.op === 'input') continue;
    const owner = stageOf(groups, n);
    const isGroup = 'kind' in owner;
    let row = rows.get(owner.name);
    if (!row) {
      row = { name: owner.name, what: isGroup ? describeGroup(g, owner) : n.op, params: 0, macs: 0, output: null };
      rows.set(owner.name, row);
    }
    row.params = add(row.params, countedParams(n));
    row.macs = add(row.macs, n.macs);
    row.output = n.outputShape;
  }
  return rows;
}

function side(g: IrGraph): DiffSide {
  const s: DiffSide = { name: g.name, file: g.file, input: g.input, output: g.output, params: g.params, macs: g.macs };
  if (g.outputs) s.outputs = g.outputs;
  return s;
}

/** Compares two versions of a model: `before` is the older one (HEAD, or the file compared with). */
export function diffGraphs(before: IrGraph, after: IrGraph): ModelDiff {
  const aNodes = keyed(before.nodes);
  const bNodes = keyed(after.nodes);
  const aGroups = keyed(before.groups);
  const bGroups = keyed(after.groups);
  const aGroupKey = new Map([...aGroups].map(([k, g]) => [g.id, k]));
  const bGroupKey = new Map([...bGroups].map(([k, g]) => [g.id, k]));
  const aGroupById = new Map(before.groups.map((g) => [g.id, g]));
  const bGroupById = new Map(after.groups.map((g) => [g.id, g]));

  const nodes: NodeDiff[] = [];
  for (const key of mergeOrder([...aNodes.keys()], [...bNodes.keys()])) {
    const a = aNodes.get(key);
    const b = bNodes.get(key);
    const n = (b ?? a)!;
    const changes = a && b ? nodeChanges(a, b) : [];
    const reshaped = a && b && !changes.length && (!sameValue(a.outputShape, b.outputShape) || !sameValue(a.inputShapes, b.inputShapes) || a.macs !== b.macs || countedParams(a) !== countedParams(b));
    const status: DiffStatus = !a ? 'added' : !b ? 'removed' : changes.length ? 'changed' : reshaped ? 'reshaped' : 'same';
    const output: ShapePair = {};
    if (a) output.before = a.outputShape;
    if (b) output.after = b.outputShape;
    const stage = b ? stageOf(bGroupById, b).name : stageOf(aGroupById, a!).name;
    const d: NodeDiff = {
      key,
      name: n.name,
      op: n.op,
      status,
      changes,
      output,
      params: delta(a ? countedParams(a) : 0, b ? countedParams(b) : 0),
      macs: delta(a ? a.macs : 0, b ? b.macs : 0),
      stage,
    };
    if (a) d.before = a.id;
    if (b) d.after = b.id;
    const group = b ? (b.group && bGroupKey.get(b.group)) : a!.group && aGroupKey.get(a!.group);
    if (group) d.group = group;
    nodes.push(d);
  }

  // Each layer's status counts towards every group holding it, on the side(s) where it is.
  const inside = new Map<string, StatusCounts>();
  const tally = (groupKey: string, st: DiffStatus) => {
    let c = inside.get(groupKey);
    if (!c) inside.set(groupKey, (c = emptyCounts()));
    c[st]++;
  };
  const aNodeById = new Map(before.nodes.map((n) => [n.id, n]));
  const bNodeById = new Map(after.nodes.map((n) => [n.id, n]));
  for (const d of nodes) {
    const keys = new Set<string>();
    if (d.before !== undefined) for (const g of chainOf(aGroupById, aNodeById.get(d.before)?.group)) keys.add(aGroupKey.get(g.id)!);
    if (d.after !== undefined) for (const g of chainOf(bGroupById, bNodeById.get(d.after)?.group)) keys.add(bGroupKey.get(g.id)!);
    for (const k of keys) tally(k, d.status);
  }

  const totalsOf = (g: IrGraph, keys: ReadonlyMap<string, string>) => {
    const byId = new Map(g.groups.map((x) => [x.id, x]));
    const t = new Map<string, { params: number | null; macs: number | null }>();
    for (const n of g.nodes) {
      for (const grp of chainOf(byId, n.group)) {
        const k = keys.get(grp.id)!;
        const cur = t.get(k) ?? { params: 0, macs: 0 };
        t.set(k, { params: add(cur.params, countedParams(n)), macs: add(cur.macs, n.macs) });
      }
    }
    return t;
  };
  const aTotals = totalsOf(before, aGroupKey);
  const bTotals = totalsOf(after, bGroupKey);

  const groups: GroupDiff[] = [];
  for (const key of mergeOrder([...aGroups.keys()], [...bGroups.keys()])) {
    const a = aGroups.get(key);
    const b = bGroups.get(key);
    const g = (b ?? a)!;
    const changes: FieldChange[] = [];
    if (a && b && a.label !== b.label) changes.push({ field: 'label', before: a.label, after: b.label });
    if (a && b && a.kind !== b.kind) changes.push({ field: 'kind', before: a.kind, after: b.kind });
    const counts = inside.get(key) ?? emptyCounts();
    const status: DiffStatus = !a
      ? 'added'
      : !b
        ? 'removed'
        : changes.length || counts.added || counts.removed || counts.changed
          ? 'changed'
          : counts.reshaped
            ? 'reshaped'
            : 'same';
    const at = a ? (aTotals.get(key) ?? { params: 0, macs: 0 }) : { params: 0, macs: 0 };
    const bt = b ? (bTotals.get(key) ?? { params: 0, macs: 0 }) : { params: 0, macs: 0 };
    const d: GroupDiff = { key, name: g.name, kind: g.kind, label: g.label, status, changes, params: delta(at.params, bt.params), macs: delta(at.macs, bt.macs), counts };
    if (a) d.before = a.id;
    if (b) d.after = b.id;
    const parent = b ? (b.parent && bGroupKey.get(b.parent)) : a!.parent && aGroupKey.get(a!.parent);
    if (parent) d.parent = parent;
    groups.push(d);
  }

  const aRows = stageRows(before);
  const bRows = stageRows(after);
  const stages: StageDiff[] = [];
  for (const name of mergeOrder([...aRows.keys()], [...bRows.keys()])) {
    const a = aRows.get(name);
    const b = bRows.get(name);
    const within = nodes.filter((n) => n.stage === name && n.op !== 'input');
    const st = (s: DiffStatus) => within.some((n) => n.status === s);
    const status: DiffStatus = !a ? 'added' : !b ? 'removed' : st('added') || st('removed') || st('changed') || a.what !== b.what ? 'changed' : st('reshaped') ? 'reshaped' : 'same';
    const what: StageDiff['what'] = {};
    if (a?.what !== undefined) what.before = a.what;
    if (b?.what !== undefined) what.after = b.what;
    const output: ShapePair = {};
    if (a) output.before = a.output;
    if (b) output.after = b.output;
    stages.push({ name, status, what, params: delta(a ? a.params : 0, b ? b.params : 0), macs: delta(a ? a.macs : 0, b ? b.macs : 0), output });
  }

  const counts = emptyCounts();
  for (const d of nodes) if (d.op !== 'input') counts[d.status]++;
  return {
    before: side(before),
    after: side(after),
    inputChanged: !sameValue(before.input, after.input),
    outputChanged: !sameValue(before.output, after.output) || !sameValue(before.outputs ?? null, after.outputs ?? null),
    nodes,
    groups,
    stages,
    total: { params: delta(before.params, after.params), macs: delta(before.macs, after.macs) },
    counts,
  };
}

/** `out_channels 512 → 256`: one change as the CLI, the tooltips and the side panel all write it. */
export function changeText(c: FieldChange): string {
  const text = (v: AttrValue | undefined): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));
  return `${c.field} ${text(c.before)} → ${text(c.after)}`;
}

/** True when the two versions differ in anything the diff reports. */
export function hasDifferences(d: ModelDiff): boolean {
  return d.inputChanged || d.outputChanged || d.nodes.some((n) => n.status !== 'same') || d.groups.some((g) => g.status !== 'same');
}
