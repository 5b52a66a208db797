/**
 * What a large drawing puts on the canvas first. Before its first frame cytoscape styles every element it
 * holds, measures it and computes every edge's geometry, so a first view of a thousand elements waits for all
 * of them although a few dozen are in sight. The view draws this part first and adds the rest after that frame.
 *
 * The part must look, in sight, as the whole will: every drawn box that meets the region, the far end of every
 * edge that leaves one of them (so the edge is drawn whole), and every group around those. A group's box is
 * cytoscape's union of its children's boxes, so a group whose contents come later could be narrower than it
 * will be: the children that may be its widest on either side (from the layout's boxes and the titles, which
 * approximate cytoscape's to a pixel or two) come first too, one of each alike, and theirs in turn. Its bottom
 * needs nothing: what is drawn of it already reaches past the region. Pure: plain maps in, plain lists out.
 */
import type { ViewEdge, ViewGraph, ViewNode } from './model';
import type { Box } from './skipRouting';

export interface FirstPart {
  nodes: ViewNode[];
  edges: ViewEdge[];
}

const meets = (a: Box, b: Box): boolean => a.x1 <= b.x2 && b.x1 <= a.x2 && a.y1 <= b.y2 && b.y1 <= a.y2;

/** How far a child's estimated side may fall short of the widest and still be taken as possibly the widest. */
const TOLERANCE = 8;

/**
 * The part of `view` to draw first for `region` (model coordinates), or null when it would hold most of the
 * drawing anyway. `boxes` holds every node's box (groups as `groupBoxes` computes them), `titles` each
 * expanded group's title box.
 */
export function firstPart(view: ViewGraph, boxes: ReadonlyMap<string, Box>, titles: ReadonlyMap<string, Box>, region: Box): FirstPart | null {
  const children = new Map<string, string[]>();
  const parent = new Map<string, string>();
  for (const n of view.nodes) {
    if (!n.parent) continue;
    parent.set(n.id, n.parent);
    (children.get(n.parent) ?? children.set(n.parent, []).get(n.parent)!).push(n.id);
  }
  const leaves = view.nodes.filter((n) => !children.has(n.id));
  const shown = new Set<string>();
  for (const n of leaves) {
    const b = boxes.get(n.id);
    if (b && meets(b, region)) shown.add(n.id);
  }
  // One step only: an edge's far end, not what lies beyond it.
  const inRegion = new Set(shown);
  for (const e of view.edges) {
    if (inRegion.has(e.source)) shown.add(e.target);
    else if (inRegion.has(e.target)) shown.add(e.source);
  }
  const groups = new Set<string>();
  const todo: string[] = [];
  const addGroup = (g: string): void => {
    for (let p: string | undefined = g; p && !groups.has(p); p = parent.get(p)) {
      groups.add(p);
      todo.push(p);
    }
  };
  for (const id of shown) if (parent.has(id)) addGroup(parent.get(id)!);
  // A child's extent across, with its title when it is a group (cytoscape counts labels in a group's box).
  const across = (id: string): { x1: number; x2: number } | undefined => {
    const b = boxes.get(id);
    if (!b) return undefined;
    const t = titles.get(id);
    return t ? { x1: Math.min(b.x1, t.x1), x2: Math.max(b.x2, t.x2) } : { x1: b.x1, x2: b.x2 };
  };
  while (todo.length) {
    const g = todo.pop()!;
    const kids = (children.get(g) ?? []).map((id) => ({ id, x: across(id) })).filter((k): k is { id: string; x: { x1: number; x2: number } } => !!k.x);
    if (!kids.length) continue;
    const left = Math.min(...kids.map((k) => k.x.x1));
    const right = Math.max(...kids.map((k) => k.x.x2));
    // Children drawn alike (a stage's repeated blocks) have equal estimates and equal boxes: one of them does.
    const alike = new Set<string>();
    for (const k of kids) {
      if (k.x.x1 > left + TOLERANCE && k.x.x2 < right - TOLERANCE) continue;
      const key = `${Math.round(k.x.x1 * 2)} ${Math.round(k.x.x2 * 2)}`;
      if (alike.has(key)) continue;
      alike.add(key);
      if (children.has(k.id)) addGroup(k.id);
      else shown.add(k.id);
    }
  }
  if (shown.size > leaves.length / 2) return null;
  const nodes = view.nodes.filter((n) => shown.has(n.id) || groups.has(n.id));
  const edges = view.edges.filter((e) => shown.has(e.source) && shown.has(e.target));
  return { nodes, edges };
}

/** The region a view of `width`×`height` pixels shows at `zoom` and `pan`, widened by `margin` of itself on each side. */
export function visibleRegion(width: number, height: number, zoom: number, pan: { x: number; y: number }, margin: number): Box {
  const w = width / zoom;
  const h = height / zoom;
  const x1 = -pan.x / zoom;
  const y1 = -pan.y / zoom;
  return { x1: x1 - margin * w, y1: y1 - margin * h, x2: x1 + w + margin * w, y2: y1 + h + margin * h };
}
