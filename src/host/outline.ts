/**
 * The model outline: the module hierarchy (stages, blocks, containers) with layers as leaves, each with its
 * output shape and costs. Pure: the tree view provider only wraps these items.
 */
import { formatShape } from '../core/dims';
import { groupPath } from '../core/groups';
import type { IrGraph, SourceRange } from '../core/ir';
import { fmtCompact, groupTotals } from '../core/report';
import { macsText } from './hoverText';

export interface OutlineItem {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  kind: 'stage' | 'block' | 'module' | 'layer';
  /** Where clicking takes the user: a layer's construction if known, else where it runs. */
  source?: SourceRange;
  /** IR node ids this entry stands for, for highlighting in the graph. */
  nodeIds: string[];
  children: OutlineItem[];
  error?: string;
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf('.');
  return i >= 0 ? path.slice(i + 1) : path;
}

function costs(params: number | null, macs: number | null): string {
  return `${fmtCompact(params)} params · ${macsText(macs)}`;
}

export function buildOutline(graph: IrGraph): OutlineItem[] {
  const roots: OutlineItem[] = [];
  const items = new Map<string, OutlineItem>();
  const totals = groupTotals(graph);
  for (const n of graph.nodes) {
    if (n.op === 'input') continue;
    let siblings = roots;
    for (const g of groupPath(graph.groups, n.group)) {
      let item = items.get(g.id);
      if (!item) {
        const t = totals.get(g.id)!;
        item = {
          id: g.id,
          label: lastSegment(g.name),
          description: `${g.label} · ${formatShape(t.output)} · ${costs(t.params, t.macs)}`,
          tooltip: `${g.name} (${g.label}, ${g.kind})`,
          kind: g.kind,
          nodeIds: [],
          children: [],
        };
        if (g.source) item.source = g.source;
        items.set(g.id, item);
        siblings.push(item);
      }
      item.nodeIds.push(n.id);
      siblings = item.children;
    }
    const leaf: OutlineItem = {
      id: n.id,
      label: lastSegment(n.name),
      description: `${n.op} · ${formatShape(n.outputShape)} · ${n.shared ? 'shared' : costs(n.params, n.macs)}`,
      tooltip: `${n.name} (${n.op})`,
      kind: 'layer',
      nodeIds: [n.id],
      children: [],
    };
    const src = n.definedAt ?? n.source;
    if (src) leaf.source = src;
    if (n.error) leaf.error = n.error;
    siblings.push(leaf);
  }
  markErrors(roots);
  return roots;
}

/** A container shows an error when any entry under it has one, so problems are visible collapsed. */
function markErrors(items: OutlineItem[]): string | undefined {
  let first: string | undefined;
  for (const it of items) {
    const below = markErrors(it.children);
    if (!it.error && below) it.error = below;
    first ??= it.error;
  }
  return first;
}
