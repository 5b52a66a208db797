/**
 * The graph view's model: which IR nodes and groups are on screen for a given set of collapsed groups, and
 * how IR edges map onto what is visible. Pure (no DOM, no cytoscape) so the Node tests exercise it directly.
 *
 * Collapsing is the performance lever for large networks: a collapsed group is one summary node, and nothing
 * inside it is turned into a drawable element or handed to the layout. A CIFAR ResNet-1202 with its three
 * stages collapsed is a dozen elements, not 3,600 nodes.
 */
import { type IrGraph, type IrGroup, type IrNode, type IrSkip, type Shape, type SkipKind, type SourceRange, groupTotals } from '../../src/protocol/graphProtocol';
import { arrow, channels, costText, opDetail, shortShape, spatial } from './format';

export interface GroupInfo {
  group: IrGroup;
  /** Ancestor group ids from the outermost down to this group itself. */
  chain: string[];
  childGroups: string[];
  /** Layer nodes directly in this group (not in a child group). */
  directNodes: string[];
  /** Layer nodes anywhere inside. */
  layerCount: number;
  params: number | null;
  macs: number | null;
  inShape: Shape;
  outShape: Shape;
  /** First error message of any node inside. */
  error?: string;
  errorCount: number;
}

export type ViewNodeKind = 'layer' | 'group';

/** One drawable node: a layer, an expanded group (a compound parent) or a collapsed group (a summary box). */
export interface ViewNode {
  id: string;
  kind: ViewNodeKind;
  /** The IR node or group id. */
  irId: string;
  parent?: string;
  collapsed: boolean;
  groupKind?: IrGroup['kind'];
  /** Multi-line text drawn in (or, for expanded groups, above) the box. */
  label: string;
  name: string;
  params: number | null;
  macs: number | null;
  error?: string;
  /** Set on nodes that lie on a residual shortcut (projection conv/BN, option-A subsample and pad). */
  via?: SkipKind;
  source?: SourceRange;
}

export interface ViewEdge {
  id: string;
  source: string;
  target: string;
  /** Shape of the tensor carried (the first merged IR edge's). */
  label: string;
  /** Present when every IR edge merged into this one lies on a shortcut. */
  skip?: SkipKind;
  skipId?: string;
  /** The whole of a plain identity shortcut (no nodes on it): the view routes it itself, outside the layout. */
  direct?: boolean;
  /** How many IR edges this view edge stands for (edges merge when their ends collapse into the same boxes). */
  count: number;
}

export interface ViewGraph {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Layer nodes drawn individually. */
  layerNodes: number;
}

export const layerViewId = (irId: string): string => `n/${irId}`;
export const groupViewId = (irId: string): string => `g/${irId}`;

export class GraphModel {
  readonly nodes = new Map<string, IrNode>();
  readonly groups = new Map<string, GroupInfo>();
  /** Outermost groups, in first-appearance order. */
  readonly rootGroups: string[] = [];
  /** Layer nodes outside every group. */
  readonly rootNodes: string[] = [];
  /** IR edge id -> the shortcut it lies on. */
  readonly edgeSkip = new Map<string, IrSkip>();
  /** IR node id -> the shortcut whose branch it is on. */
  readonly nodeSkip = new Map<string, IrSkip>();
  readonly groupByName = new Map<string, string>();
  /** Number of layer nodes (every IR node but the graph inputs). */
  readonly layerCount: number;

  constructor(readonly graph: IrGraph) {
    for (const n of graph.nodes) this.nodes.set(n.id, n);
    const totals = groupTotals(graph);
    for (const g of graph.groups) {
      const t = totals.get(g.id);
      this.groups.set(g.id, {
        group: g,
        chain: [],
        childGroups: [],
        directNodes: [],
        layerCount: 0,
        params: t?.params ?? null,
        macs: t?.macs ?? null,
        inShape: null,
        outShape: t?.output ?? null,
        errorCount: 0,
      });
      this.groupByName.set(g.name, g.id);
    }
    for (const g of graph.groups) {
      const info = this.groups.get(g.id)!;
      const parent = g.parent ? this.groups.get(g.parent) : undefined;
      if (parent) parent.childGroups.push(g.id);
      else this.rootGroups.push(g.id);
      const chain: string[] = [];
      for (let cur: IrGroup | undefined = g; cur; cur = cur.parent ? this.groups.get(cur.parent)?.group : undefined) {
        if (chain.includes(cur.id)) break;
        chain.unshift(cur.id);
      }
      info.chain = chain;
    }
    let layers = 0;
    for (const n of graph.nodes) {
      if (n.op !== 'input') layers++;
      const info = n.group ? this.groups.get(n.group) : undefined;
      if (!info) {
        this.rootNodes.push(n.id);
        continue;
      }
      info.directNodes.push(n.id);
      for (const gid of info.chain) {
        const g = this.groups.get(gid)!;
        g.layerCount++;
        if (n.error) {
          g.errorCount++;
          g.error ??= `${n.name}: ${n.error}`;
        }
      }
    }
    this.layerCount = layers;
    // A group's input is the first tensor that enters it from outside.
    for (const e of graph.edges) {
      const to = this.nodes.get(e.to);
      const from = this.nodes.get(e.from);
      if (!to) continue;
      const inner = new Set(this.chainOf(from));
      for (const gid of this.chainOf(to)) {
        if (inner.has(gid)) continue;
        const g = this.groups.get(gid)!;
        if (g.inShape === null) g.inShape = e.shape;
      }
    }
    const edgeByEnds = new Map<string, string>();
    for (const e of graph.edges) edgeByEnds.set(`${e.from}>${e.to}`, e.id);
    for (const s of graph.skips) {
      const path = [s.from, ...s.via, s.to];
      for (let i = 0; i + 1 < path.length; i++) {
        const id = edgeByEnds.get(`${path[i]}>${path[i + 1]}`);
        if (id) this.edgeSkip.set(id, s);
      }
      for (const v of s.via) this.nodeSkip.set(v, s);
    }
  }

  /** Group ids holding an IR node, outermost first. */
  chainOf(n: IrNode | undefined): string[] {
    return n?.group ? this.groups.get(n.group)?.chain ?? [] : [];
  }

  /** The view id an IR node is drawn as: itself, or its outermost collapsed group. */
  repOf(nodeId: string, collapsed: ReadonlySet<string>): string {
    for (const gid of this.chainOf(this.nodes.get(nodeId))) if (collapsed.has(gid)) return groupViewId(gid);
    return layerViewId(nodeId);
  }

  /** Layer nodes that would be drawn individually with these groups collapsed. */
  visibleLayerCount(collapsed: ReadonlySet<string>): number {
    let count = 0;
    const walk = (gid: string): void => {
      if (collapsed.has(gid)) return;
      const g = this.groups.get(gid)!;
      count += g.directNodes.reduce((s, id) => s + (this.nodes.get(id)!.op === 'input' ? 0 : 1), 0);
      g.childGroups.forEach(walk);
    };
    count += this.rootNodes.reduce((s, id) => s + (this.nodes.get(id)!.op === 'input' ? 0 : 1), 0);
    this.rootGroups.forEach(walk);
    return count;
  }

  /**
   * The initial collapse policy: everything expanded while the model has at most `threshold` layer nodes;
   * otherwise stages collapse, and if that is still too many, the blocks left visible collapse too.
   */
  defaultCollapsed(threshold: number): Set<string> {
    const collapsed = new Set<string>();
    if (this.layerCount <= threshold) return collapsed;
    for (const [id, g] of this.groups) if (g.group.kind === 'stage') collapsed.add(id);
    if (this.visibleLayerCount(collapsed) > threshold) {
      for (const [id, g] of this.groups) {
        if (g.group.kind === 'block' && !g.chain.slice(0, -1).some((a) => collapsed.has(a))) collapsed.add(id);
      }
    }
    return collapsed;
  }

  /**
   * Expands one group. When what it holds exceeds `threshold` layer nodes, its child groups start collapsed,
   * so expanding a 200-block stage shows 200 block boxes rather than 1,400 layers.
   */
  expand(gid: string, collapsed: ReadonlySet<string>, threshold: number): Set<string> {
    const next = new Set(collapsed);
    next.delete(gid);
    const g = this.groups.get(gid);
    if (g && g.layerCount > threshold) for (const c of g.childGroups) next.add(c);
    return next;
  }

  /** Expands every collapsed ancestor of the given IR nodes (or groups), outermost first. */
  reveal(irIds: readonly string[], collapsed: ReadonlySet<string>, threshold: number): Set<string> {
    let next = new Set(collapsed);
    for (const id of irIds) {
      const node = this.nodes.get(id);
      const chain = node ? this.chainOf(node) : (this.groups.get(id)?.chain.slice(0, -1) ?? []);
      for (const gid of chain) if (next.has(gid)) next = this.expand(gid, next, threshold);
    }
    return next;
  }

  /**
   * One instance of what the editor cursor points at. A line of a block's `forward` runs once per block (16
   * times in a ResNet-50), so the host sends every instance; the graph shows the one the user clicked when it
   * is among them, else one already drawn (nothing to expand), else the first, together with the other ids in
   * the same group that come from other sites (the rest of its line), and leaves the other blocks as they are.
   */
  oneInstance(irIds: readonly string[], preferred: string | null, collapsed: ReadonlySet<string>): string[] {
    const known = irIds.filter((id) => this.nodes.has(id) || this.groups.has(id));
    if (known.length <= 1) return known;
    const container = (id: string): string => this.nodes.get(id)?.group ?? this.groups.get(id)?.group.parent ?? '';
    const drawnAsItself = (id: string): boolean => this.viewIdOf(id, collapsed) === (this.nodes.has(id) ? layerViewId(id) : groupViewId(id));
    const anchor = (preferred !== null && known.includes(preferred) ? preferred : undefined) ?? known.find(drawnAsItself) ?? known[0]!;
    const home = container(anchor);
    // One id per source site: blocks built by one line of a loop are siblings, and only the anchor is meant.
    const site = (id: string): string => {
      const n = this.nodes.get(id);
      return JSON.stringify(n ? (n.source ?? n.definedAt ?? id) : (this.groups.get(id)?.group.source ?? id));
    };
    const sites = new Set([site(anchor)]);
    const out = [anchor];
    for (const id of known) {
      if (id === anchor || container(id) !== home || sites.has(site(id))) continue;
      sites.add(site(id));
      out.push(id);
    }
    return out;
  }

  /** The view id an IR node or group id is currently drawn as (undefined for unknown ids). */
  viewIdOf(irId: string, collapsed: ReadonlySet<string>): string | undefined {
    if (this.nodes.has(irId)) return this.repOf(irId, collapsed);
    const g = this.groups.get(irId);
    if (!g) return undefined;
    for (const gid of g.chain) if (collapsed.has(gid)) return groupViewId(gid);
    return groupViewId(irId);
  }

  /** `layer3 · 6× Bottleneck · 512→1024 · 28²→14²`: what a collapsed group stands for. */
  groupSummary(gid: string): string {
    const g = this.groups.get(gid)!;
    const parts = [g.group.name];
    const counts = new Map<string, number>();
    for (const c of g.childGroups) {
      const cg = this.groups.get(c)!.group;
      if (cg.kind === 'block') counts.set(cg.label, (counts.get(cg.label) ?? 0) + 1);
    }
    if (counts.size) parts.push([...counts].map(([label, n]) => `${n}× ${label}`).join(' + '));
    else parts.push(g.group.label);
    const ch = (s: Shape) => (channels(s) === undefined ? undefined : String(channels(s) ?? '?'));
    const c = arrow(ch(g.inShape), ch(g.outShape));
    if (c) parts.push(c);
    const sp = arrow(spatial(g.inShape), spatial(g.outShape));
    if (sp) parts.push(sp);
    return parts.join(' · ');
  }

  /** Label for a group drawn expanded (its box title). */
  groupTitle(gid: string): string {
    const g = this.groups.get(gid)!;
    const blocks = g.childGroups.filter((c) => this.groups.get(c)!.group.kind === 'block').length;
    if (blocks) return `${g.group.name} · ${blocks}× ${this.groups.get(g.childGroups[0]!)!.group.label}`;
    // A container inside a block (a projection's Sequential) is named relative to the block, like its layers.
    const parent = g.group.parent ? this.groups.get(g.group.parent)?.group : undefined;
    const name = g.group.kind === 'module' && parent && g.group.name.startsWith(`${parent.name}.`) ? g.group.name.slice(parent.name.length + 1) : g.group.name;
    return `${name} · ${g.group.label}`;
  }

  private layerLabel(n: IrNode): string {
    // Named relative to the block or stage around it (`downsample.0`, not `0` inside `layer3.0.downsample`).
    const chain = this.chainOf(n).map((id) => this.groups.get(id)!.group);
    const owner = [...chain].reverse().find((g) => g.kind !== 'module') ?? chain[chain.length - 1];
    const gname = owner?.name;
    const short = gname && n.name.startsWith(`${gname}.`) ? n.name.slice(gname.length + 1) : n.name;
    const head = short === n.op || n.op === 'input' ? short : `${short} · ${n.op}`;
    const lines = [head];
    const detail = n.op === 'input' ? shortShape(n.outputShape) : opDetail(n);
    if (detail) lines.push(detail);
    const cost = costText(n.shared ? 0 : n.params, n.macs);
    if (cost) lines.push(n.shared ? `${cost} (shared)` : cost);
    return lines.join('\n');
  }

  /** Everything drawn for this collapsed set; groups inside a collapsed group are never visited. */
  view(collapsed: ReadonlySet<string>): ViewGraph {
    const nodes: ViewNode[] = [];
    let layerNodes = 0;
    const addLayer = (id: string, parent: string | undefined) => {
      const n = this.nodes.get(id)!;
      const skip = this.nodeSkip.get(id);
      const v: ViewNode = {
        id: layerViewId(id),
        kind: 'layer',
        irId: id,
        collapsed: false,
        label: this.layerLabel(n),
        name: n.name,
        params: n.shared ? 0 : n.params,
        macs: n.macs,
      };
      if (parent) v.parent = parent;
      if (n.error) v.error = n.error;
      if (skip) v.via = skip.kind;
      const src = n.source ?? n.definedAt;
      if (src) v.source = src;
      nodes.push(v);
      if (n.op !== 'input') layerNodes++;
    };
    const addGroup = (gid: string, parent: string | undefined) => {
      const g = this.groups.get(gid)!;
      const isCollapsed = collapsed.has(gid);
      const cost = costText(g.params, g.macs);
      const v: ViewNode = {
        id: groupViewId(gid),
        kind: 'group',
        irId: gid,
        collapsed: isCollapsed,
        groupKind: g.group.kind,
        label: isCollapsed ? [this.groupSummary(gid), cost, g.errorCount ? `${g.errorCount} error${g.errorCount > 1 ? 's' : ''}` : ''].filter(Boolean).join('\n') : this.groupTitle(gid),
        name: g.group.name,
        params: g.params,
        macs: g.macs,
      };
      if (parent) v.parent = parent;
      if (isCollapsed && g.error) v.error = g.error;
      if (g.group.source) v.source = g.group.source;
      nodes.push(v);
      if (isCollapsed) return;
      for (const id of g.directNodes) addLayer(id, v.id);
      for (const c of g.childGroups) addGroup(c, v.id);
    };
    for (const id of this.rootNodes) addLayer(id, undefined);
    for (const gid of this.rootGroups) addGroup(gid, undefined);

    const edges = new Map<string, ViewEdge>();
    for (const e of this.graph.edges) {
      const a = this.repOf(e.from, collapsed);
      const b = this.repOf(e.to, collapsed);
      if (a === b) continue;
      const id = `${a}>${b}`;
      const skip = e.skip ? this.edgeSkip.get(e.id) : undefined;
      const prev = edges.get(id);
      if (prev) {
        prev.count++;
        if (!skip) {
          delete prev.skip;
          delete prev.skipId;
          delete prev.direct;
        }
        continue;
      }
      const v: ViewEdge = { id, source: a, target: b, label: shortShape(e.shape), count: 1 };
      if (e.skip) {
        v.skip = skip?.kind ?? 'identity';
        if (skip) v.skipId = skip.id;
        if (skip && skip.via.length === 0) v.direct = true;
      }
      edges.set(id, v);
    }
    return { nodes, edges: [...edges.values()], layerNodes };
  }

  /** IR node and group ids whose name contains `query` (case-insensitive), nodes first, in graph order. */
  search(query: string): string[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const out: string[] = [];
    for (const n of this.graph.nodes) if (n.name.toLowerCase().includes(q)) out.push(n.id);
    for (const g of this.graph.groups) if (g.name.toLowerCase().includes(q)) out.push(g.id);
    return out;
  }
}
