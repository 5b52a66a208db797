/**
 * A layered layout for the shapes ResNets take once straight runs are folded (see `layoutChains` in
 * `view.ts`): groups nested in groups, each level a chain of boxes with at most the odd side branch (a
 * projection shortcut's downsample). Each group is laid out once on its own, bottom-up, and then placed as
 * one box in its parent, so the work is linear in the size of the drawing. ELK's hierarchy-aware layout of the
 * same graph costs about half a second on an expanded ResNet-152 (most of it cross-hierarchy bookkeeping that
 * a nearly-linear graph does not need); this costs a few milliseconds. Anything wider than two boxes side by
 * side, or not acyclic, is left to ELK (the function returns null). Pure geometry, tested without a browser.
 */

export interface NestedNode {
  id: string;
  /** Enclosing group, or '' at the top level. */
  parent: string;
  /** Box size for a leaf (a folded run); absent for a group, which is sized around its children. */
  size?: { w: number; h: number };
}

export interface NestedOptions {
  direction: 'DOWN' | 'RIGHT';
  /** Space between consecutive boxes along the flow. */
  gap: number;
  /** Space between boxes side by side. */
  spacing: number;
  /** Room inside a group around its children (its title row on top), in drawing coordinates. */
  padding(group: string): { top: number; left: number; bottom: number; right: number };
  /** The most boxes one layer of a level may hold before the graph is left to ELK. */
  maxWidth?: number;
}

interface Laid {
  /** Extent across the flow and along it. */
  across: number;
  along: number;
  /** Centres of the direct children, relative to this box's top-left corner, in (across, along). */
  children: Map<string, { u: number; v: number }>;
  /** Where the flow enters and leaves the box, across, from its left edge (a group's first and last boxes). */
  axisIn: number;
  axisOut: number;
}

/**
 * Centres of every leaf, or null when the graph is not of the simple layered shape this handles. Nodes must
 * come parents first (as the view model lists them); `edges` join leaves.
 */
export function nestedLayout(nodes: readonly NestedNode[], edges: readonly { source: string; target: string }[], opts: NestedOptions): Map<string, { x: number; y: number }> | null {
  const down = opts.direction !== 'RIGHT';
  const maxWidth = opts.maxWidth ?? 2;
  const parentOf = new Map<string, string>();
  const order = new Map<string, number>();
  const kids = new Map<string, string[]>([['', []]]);
  nodes.forEach((n, i) => {
    parentOf.set(n.id, n.parent);
    order.set(n.id, i);
    if (!n.size) kids.set(n.id, []);
  });
  for (const n of nodes) {
    const list = kids.get(n.parent);
    if (!list) return null;
    list.push(n.id);
  }
  const sizeOf = new Map(nodes.filter((n) => n.size).map((n) => [n.id, n.size!]));

  // Each edge belongs to the level of its ends' lowest common group, between the children of that group
  // that contain them.
  const levelEdges = new Map<string, [string, string][]>();
  const chainUp = (id: string): string[] => {
    const out = [id];
    for (let p = parentOf.get(id); p !== undefined && p !== ''; p = parentOf.get(p)) out.push(p);
    out.push('');
    return out;
  };
  for (const e of edges) {
    if (!parentOf.has(e.source) || !parentOf.has(e.target)) return null;
    const up = chainUp(e.source);
    const index = new Map(up.map((g, i) => [g, i]));
    let prev = e.target;
    let at: string | undefined = e.target;
    while (at !== undefined && !index.has(at)) {
      prev = at;
      at = at === '' ? undefined : parentOf.get(at);
    }
    if (at === undefined) return null;
    const i = index.get(at)!;
    if (i === 0) continue; // the target contains the source: not a layering edge
    const a = up[i - 1]!;
    if (a === prev || prev === at) continue;
    const list = levelEdges.get(at);
    if (list) list.push([a, prev]);
    else levelEdges.set(at, [[a, prev]]);
  }

  const laid = new Map<string, Laid>();
  const extent = (id: string): { across: number; along: number; axisIn: number; axisOut: number } => {
    const s = sizeOf.get(id);
    if (s) {
      const across = down ? s.w : s.h;
      return { across, along: down ? s.h : s.w, axisIn: across / 2, axisOut: across / 2 };
    }
    return laid.get(id)!;
  };

  // Groups bottom-up: children come after their parents in `nodes`.
  const groups = ['', ...nodes.filter((n) => !n.size).map((n) => n.id)];
  for (let gi = groups.length - 1; gi >= 0; gi--) {
    const g = groups[gi]!;
    const members = kids.get(g)!;
    const preds = new Map<string, string[]>(members.map((m) => [m, []]));
    const succs = new Map<string, string[]>(members.map((m) => [m, []]));
    for (const [a, b] of levelEdges.get(g) ?? []) {
      succs.get(a)!.push(b);
      preds.get(b)!.push(a);
    }
    // Longest-path layers, in a topological order (Kahn's algorithm keeps the model's order among ties).
    const indegree = new Map(members.map((m) => [m, preds.get(m)!.length]));
    const layer = new Map<string, number>();
    const ready = members.filter((m) => indegree.get(m) === 0);
    let done = 0;
    while (ready.length) {
      const m = ready.shift()!;
      done++;
      const l = Math.max(0, ...preds.get(m)!.map((p) => layer.get(p)! + 1));
      layer.set(m, l);
      for (const s of succs.get(m)!) {
        indegree.set(s, indegree.get(s)! - 1);
        if (indegree.get(s) === 0) ready.push(s);
      }
    }
    if (done !== members.length) return null;
    const layers: string[][] = [];
    for (const m of members) (layers[layer.get(m)!] ??= []).push(m);
    const children = new Map<string, { u: number; v: number }>();
    let v = 0;
    let uMin = Infinity;
    let uMax = -Infinity;
    for (const row of layers) {
      if (!row) continue;
      if (row.length > maxWidth) return null;
      row.sort((a, b) => order.get(a)! - order.get(b)!);
      const thick = Math.max(...row.map((m) => extent(m).along));
      let right = -Infinity;
      for (const m of row) {
        const { across, along, axisIn } = extent(m);
        // Its entry under its first predecessor's exit (the main path comes first in the model), so that the
        // main path runs straight through nested groups; else on the axis.
        const first = preds.get(m)!.sort((a, b) => order.get(a)! - order.get(b)!)[0];
        let want = across / 2 - axisIn;
        if (first) {
          const f = extent(first);
          want += children.get(first)!.u - f.across / 2 + f.axisOut;
        }
        const u = Math.max(want, right + opts.spacing + across / 2);
        right = u + across / 2;
        // Aligned to the end of the layer: a short side branch sits next to where it joins.
        children.set(m, { u, v: v + thick - along / 2 });
        uMin = Math.min(uMin, u - across / 2);
        uMax = Math.max(uMax, u + across / 2);
      }
      v += thick + opts.gap;
    }
    const contentAlong = Math.max(0, v - opts.gap);
    if (!Number.isFinite(uMin)) uMin = uMax = 0;
    const p = g ? opts.padding(g) : { top: 0, left: 0, bottom: 0, right: 0 };
    const pad = down ? { u0: p.left, u1: p.right, v0: p.top, v1: p.bottom } : { u0: p.top, u1: p.bottom, v0: p.left, v1: p.right };
    for (const c of children.values()) {
      c.u += pad.u0 - uMin;
      c.v += pad.v0;
    }
    const axis = (row: string[] | undefined, end: 'axisIn' | 'axisOut'): number => {
      const m = row?.[0];
      if (m === undefined) return (uMax - uMin) / 2 + pad.u0;
      const e = extent(m);
      return children.get(m)!.u - e.across / 2 + e[end];
    };
    const rows = layers.filter((r) => r);
    laid.set(g, { across: uMax - uMin + pad.u0 + pad.u1, along: contentAlong + pad.v0 + pad.v1, children, axisIn: axis(rows[0], 'axisIn'), axisOut: axis(rows[rows.length - 1], 'axisOut') });
  }

  // Top-down: absolute centres.
  const out = new Map<string, { x: number; y: number }>();
  const place = (g: string, u0: number, v0: number): void => {
    for (const [id, c] of laid.get(g)!.children) {
      const u = u0 + c.u;
      const v = v0 + c.v;
      if (sizeOf.has(id)) out.set(id, down ? { x: u, y: v } : { x: v, y: u });
      else {
        const e = laid.get(id)!;
        place(id, u - e.across / 2, v - e.along / 2);
      }
    }
  };
  place('', 0, 0);
  return out;
}
