/**
 * One drawable graph for a comparison: the second version of the model, with the layers, groups, edges and
 * shortcuts that only the first had put back where they stood. The graph view draws it like any model and
 * colours each element by its {@link NodeDiff}/{@link GroupDiff} status. Pure: the webview and tests use it.
 */
import type { GroupDiff, ModelDiff, NodeDiff } from './diff';
import type { IrEdge, IrGraph, IrGroup, IrNode, IrSkip } from './ir';

/** Ids of the first version's elements in the union graph; prefixed, as both graphs number from `n0`, `g0`. */
const REMOVED_PREFIX = 'was:';

/** The id of a layer or group of either version in the union graph. */
export function unionId(d: Pick<NodeDiff | GroupDiff, 'before' | 'after'>): string {
  return d.after ?? `${REMOVED_PREFIX}${d.before!}`;
}

/** The union graph of a comparison (see the file comment); ids of the second version are kept as they are. */
export function unionGraph(before: IrGraph, after: IrGraph, diff: ModelDiff): IrGraph {
  const nodeMap = new Map<string, string>();
  for (const d of diff.nodes) if (d.before !== undefined) nodeMap.set(d.before, unionId(d));
  const groupMap = new Map<string, string>();
  for (const d of diff.groups) if (d.before !== undefined) groupMap.set(d.before, unionId(d));
  const removedNodes = new Set(diff.nodes.filter((d) => d.status === 'removed').map((d) => d.before!));
  const aNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const bNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const aGroups = new Map(before.groups.map((g) => [g.id, g]));
  const bGroups = new Map(after.groups.map((g) => [g.id, g]));

  const nodes: IrNode[] = [];
  for (const d of diff.nodes) {
    if (d.after !== undefined) {
      nodes.push(bNodes.get(d.after)!);
      continue;
    }
    const a = aNodes.get(d.before!)!;
    // Its source and error belong to the old text, which no editor shows: the node is drawn, not linked.
    const { source: _s, definedAt: _d, error: _e, ...rest } = a;
    const n: IrNode = { ...rest, id: unionId(d), inputs: a.inputs.map((i) => nodeMap.get(i) ?? i) };
    const g = a.group ? groupMap.get(a.group) : undefined;
    if (g) n.group = g;
    else delete n.group;
    nodes.push(n);
  }

  const groups: IrGroup[] = [];
  for (const d of diff.groups) {
    if (d.after !== undefined) {
      groups.push(bGroups.get(d.after)!);
      continue;
    }
    const { source: _s, ...rest } = aGroups.get(d.before!)!;
    const g: IrGroup = { ...rest, id: unionId(d) };
    const parent = rest.parent ? groupMap.get(rest.parent) : undefined;
    if (parent) g.parent = parent;
    else delete g.parent;
    groups.push(g);
  }

  // The first version's edges and shortcuts that touch a removed layer; the rest are the second version's own.
  const edges: IrEdge[] = [...after.edges];
  for (const e of before.edges) {
    if (!removedNodes.has(e.from) && !removedNodes.has(e.to)) continue;
    edges.push({ ...e, id: `${REMOVED_PREFIX}${e.id}`, from: nodeMap.get(e.from) ?? e.from, to: nodeMap.get(e.to) ?? e.to });
  }
  const skips: IrSkip[] = [...after.skips];
  for (const s of before.skips) {
    if (![s.from, s.to, ...s.via].some((id) => removedNodes.has(id))) continue;
    const k: IrSkip = { ...s, id: `${REMOVED_PREFIX}${s.id}`, from: nodeMap.get(s.from) ?? s.from, to: nodeMap.get(s.to) ?? s.to, via: s.via.map((v) => nodeMap.get(v) ?? v) };
    const g = s.group ? groupMap.get(s.group) : undefined;
    if (g) k.group = g;
    else delete k.group;
    skips.push(k);
  }

  return { ...after, nodes, edges, groups, skips };
}
