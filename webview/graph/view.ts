/**
 * The residual graph on a cytoscape canvas, laid out by ELK (layered, hierarchy-aware). It keeps cytoscape in
 * step with `GraphModel.view(collapsed)` by diffing element ids, so expanding one stage adds only that
 * stage's elements and the rest keep their identity (selection, classes).
 */
import cytoscape from 'cytoscape';
import type { HeatMode, IrGraph, LayoutDirection, SkipKind, SourceRange } from '../../src/protocol/graphProtocol';
import { type DiffMarks, diffClass, diffTooltip, statusOf } from './diff';
import { drawDirectly } from './directFrame';
import { firstPart, visibleRegion } from './firstPaint';
import { GraphModel, type ViewGraph, type ViewNode, groupViewId } from './model';
import { loadElk } from './elkLoader';
import { shareLabelMetrics } from './labelMetrics';
import { nestedLayout } from './nestedLayout';
import { type Box, WEIGHTS, boxExit, controlPoints, nearSegment, routeBow } from './skipRouting';
import { COMPOUND_PAD, LINE_HEIGHT, NODE_PAD_X, NODE_PAD_Y, buildStylesheet, labelFont, nodeFontSize } from './style';
import { type Theme, luminance, mix, readTheme } from './theme';

export interface GraphViewHost {
  /** The user clicked a node that has a source location. */
  onReveal(nodeId: string, source: SourceRange): void;
  /** Collapsed groups or heat changed (to persist). */
  onStateChange(): void;
  onHover(text: string | null, x: number, y: number): void;
  /** A render's first frame is on screen. */
  onPainted?(): void;
}

export interface RenderTiming {
  /** When the elements were built (ms since navigation start). */
  start: number;
  /** Elements added to cytoscape (before the layout). */
  synced: number;
  layoutDone: number;
  /** When the first frame showing the result had been painted. */
  painted: number;
  /** When everything was drawn (later than `painted` when the part in sight was drawn first). */
  complete: number;
  elements: number;
}

/** A render drawn in two steps: the view ids of its first part (`firstPaint.ts`). */
interface Parts {
  nodes: ReadonlySet<string>;
  edges: ReadonlySet<string>;
}

/** What a group's minimum width keeps, beside twice its title, for the entering edge and its shape label. */
const ENTRY_LABEL_ROOM = 64;

/** Fewer new nodes than this are drawn in one step: splitting costs a frame. */
const FIRST_PART_MIN = 250;

/** Worked out for a whole view: the boxes it adds to the drawing, and `apply` to give it to what is drawn now. */
interface Placed<T> {
  boxes: T;
  apply(): void;
}

/** Sets a group title's sideways shift; only a change restyles the group (see `sync`). */
function setTitleDx(g: cytoscape.CollectionReturnValue, dx: number): void {
  if (g.empty()) return;
  if (dx) {
    if (g.data('titleDx') !== dx) g.data('titleDx', dx);
  } else if (g.data('titleDx') !== undefined) g.removeData('titleDx');
}

const centre = (b: Box | undefined): { x: number; y: number } | undefined => (b ? { x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2 } : undefined);

/** Grows a heat range to include `v` (zero stays outside: it means "no cost"). */
function widen(range: { min: number; max: number }, v: number): void {
  if (v > 0) {
    range.min = Math.min(range.min, v);
    range.max = Math.max(range.max, v);
  }
}

const nextFrame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => r()));
/**
 * When the next frame has been painted: a task posted from its animation-frame callback runs once the frame's
 * style, layout, paint and commit (done in the same task as the callbacks) are over.
 */
const nextPaint = (onFrame?: () => void): Promise<number> =>
  new Promise((r) =>
    requestAnimationFrame(() => {
      onFrame?.();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r(performance.now());
      };
      ch.port2.postMessage(null);
    }),
  );

/**
 * Makes cytoscape's drawing-order sort cost one key per element rather than one ancestor walk per comparison.
 * cytoscape re-sorts every element after any add or remove (each edit), and its comparator builds a collection
 * of each compared node's ancestors every time: on ResNet-50 that sort was a third of an edit's redraw. The
 * order is the same: the comparator is lexicographic over four values of each element (compound depth, node
 * over edge, z-index, insertion order), computed here once each. Left alone if the renderer is not as expected.
 */
function sortDrawOrderByKeys(cy: cytoscape.Core): void {
  type Ele = cytoscape.SingularElementArgument & { poolIndex(): number; interactive(): boolean; pstyle(name: string): { value: unknown } };
  type Sorted = Ele[] & { interactive?: Ele[] };
  type Renderer = { cachedZSortedEles?: Sorted | null; getCachedZSortedEles?: (force?: boolean) => Sorted; updateCachedGrabbedEles?: () => void };
  const r = (cy as unknown as { renderer?: () => Renderer | undefined }).renderer?.();
  const core = cy as unknown as { hasCompoundNodes?: () => boolean; mutableElements?: () => cytoscape.Collection };
  if (!r || typeof r.getCachedZSortedEles !== 'function' || typeof r.updateCachedGrabbedEles !== 'function') return;
  if (typeof core.hasCompoundNodes !== 'function' || typeof core.mutableElements !== 'function') return;
  const MAX = Number.MAX_SAFE_INTEGER;
  r.getCachedZSortedEles = function (this: Renderer, force?: boolean): Sorted {
    if (!force && this.cachedZSortedEles) return this.cachedZSortedEles;
    const eles = core.mutableElements!().toArray() as Ele[];
    const compound = core.hasCompoundNodes!();
    const nodeDepth = new Map<Ele, number>();
    // cytoscape's `zDepth`: a childless node is on top; a parent by its number of ancestors; an edge as its deeper end.
    const ancestors = (n: Ele): number => {
      let d = nodeDepth.get(n);
      if (d === undefined) {
        const p = (n as cytoscape.NodeSingular).parent() as unknown as cytoscape.Collection;
        d = p.nonempty() ? ancestors(p[0] as Ele) + 1 : 0;
        nodeDepth.set(n, d);
      }
      return d;
    };
    const zDepth = (e: Ele): number => {
      if (e.isNode()) return (e as cytoscape.NodeSingular).isParent() ? ancestors(e) : MAX - 1;
      const edge = e as cytoscape.EdgeSingular;
      return Math.max(zDepth(edge.source() as unknown as Ele), zDepth(edge.target() as unknown as Ele), 0);
    };
    const keys = new Map<Ele, [number, number, number, number]>();
    for (const e of eles) {
      const cd = e.pstyle('z-compound-depth').value as string;
      const depth = cd === 'auto' ? (compound ? zDepth(e) : 0) : cd === 'bottom' ? -1 : cd === 'top' ? MAX : 0;
      const nodeOverEdge = e.pstyle('z-index-compare').value === 'auto' ? (e.isNode() ? 1 : 0) : 0;
      keys.set(e, [depth, nodeOverEdge, Number(e.pstyle('z-index').value), e.poolIndex()]);
    }
    eles.sort((a, b) => {
      const ka = keys.get(a)!;
      const kb = keys.get(b)!;
      for (let i = 0; i < 4; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
      return 0;
    });
    const sorted = eles as Sorted;
    sorted.interactive = eles.filter((e) => e.interactive());
    this.cachedZSortedEles = sorted;
    this.updateCachedGrabbedEles!();
    return sorted;
  };
}

/** Data keys a node or an edge may lack; one that the new data lacks is removed from the drawn element. */
const NODE_OPTIONAL = ['src', 'error', 'w', 'h', 'fill', 'textColor', 'heat', 'minW', 'op'];
const EDGE_OPTIONAL = ['skip', 'skipId'];

/** Equal as element data: primitives by value, source ranges and other plain objects by content. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Sets only the keys whose value differs and removes the optional keys `next` lacks; 1 if anything changed. */
function updateData(ele: cytoscape.SingularElementArgument, next: Record<string, unknown>, optional: readonly string[]): number {
  const cur = ele.data() as Record<string, unknown>;
  const diff: Record<string, unknown> = {};
  let changed = 0;
  for (const [k, v] of Object.entries(next)) {
    if (!sameValue(cur[k], v)) {
      diff[k] = v;
      changed = 1;
    }
  }
  if (changed) ele.data(diff);
  const gone = optional.filter((k) => !(k in next) && cur[k] !== undefined);
  if (gone.length) {
    ele.removeData(gone.join(' '));
    changed = 1;
  }
  return changed;
}

/** Replaces the classes only when the set differs; 1 if it did. */
function updateClasses(ele: cytoscape.SingularElementArgument, classes: readonly string[]): number {
  const cur = ele.classes() as string[];
  if (cur.length === classes.length && classes.every((c) => ele.hasClass(c))) return 0;
  ele.classes([...classes]);
  return 1;
}


export class GraphView {
  readonly cy: cytoscape.Core;
  model: GraphModel | null = null;
  /** Set in diff mode: the model is the union of two versions, and every element is marked with its status. */
  diff: DiffMarks | null = null;
  collapsed = new Set<string>();
  heat: HeatMode = 'none';
  direction: LayoutDirection = 'DOWN';
  threshold = 300;
  theme: Theme;
  lastTiming: RenderTiming | null = null;
  /** Finished renders, and whether one is queued or running (the tests and the benchmark wait on these). */
  renderCount = 0;
  busy = false;
  private pending = 0;
  private measure: CanvasRenderingContext2D;
  private queue: Promise<void> = Promise.resolve();
  private matches: string[] = [];
  private matchIndex = -1;
  /** Called when a render drawn in two steps has painted its first (the tests compare it with the whole). */
  onFirstPartPainted: (() => void) | undefined;
  /** The IR id of the node last clicked: the instance the editor's cursor sync should prefer. */
  private lastClicked: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly host: GraphViewHost,
  ) {
    // Out of the page until there is something to draw: sized to the view and still empty, cytoscape's canvases
    // made the page's first frames (which come before the host's graph is handled) cost tens of milliseconds.
    container.style.display = 'none';
    this.theme = readTheme();
    this.measure = document.createElement('canvas').getContext('2d')!;
    this.cy = cytoscape({
      container,
      style: buildStylesheet(this.theme),
      minZoom: 0.02,
      maxZoom: 4,
      boxSelectionEnabled: false,
      autoungrabify: true,
      selectionType: 'single',
      textureOnViewport: false,
      pixelRatio: 'auto',
    });
    sortDrawOrderByKeys(this.cy);
    shareLabelMetrics(this.cy);
    this.cy.on('tap', 'node', (e) => {
      const n = e.target as cytoscape.NodeSingular;
      const src = n.data('src') as SourceRange | undefined;
      this.lastClicked = n.data('irId') as string;
      if (src) this.host.onReveal(this.lastClicked, src);
    });
    this.cy.on('dbltap', 'node.group', (e) => {
      void this.toggle((e.target as cytoscape.NodeSingular).data('irId') as string);
    });
    this.cy.on('mouseover', 'node', (e) => {
      const n = e.target as cytoscape.NodeSingular;
      const p = e.renderedPosition ?? n.renderedPosition();
      this.host.onHover(this.tooltipText(n), p.x, p.y);
    });
    this.cy.on('mouseout', 'node', () => this.host.onHover(null, 0, 0));
    this.cy.on('viewport', () => this.host.onHover(null, 0, 0));
  }

  /**
   * Replaces the model. `collapsed` is a set of group ids; undefined applies the default policy. `fit` means a
   * different document: the old drawing is dropped rather than diffed, and the new one is fitted to the view.
   */
  setGraph(graph: IrGraph | null, opts: { collapsed?: Set<string>; direction: LayoutDirection; threshold: number; fit: boolean; diff?: DiffMarks }): Promise<void> {
    this.model = graph ? new GraphModel(graph) : null;
    if (graph && this.container.style.display === 'none') {
      this.container.style.display = '';
      this.cy.resize();
    }
    this.diff = opts.diff ?? null;
    this.direction = opts.direction;
    this.threshold = opts.threshold;
    this.collapsed = this.model ? (opts.collapsed ?? this.model.defaultCollapsed(opts.threshold)) : new Set();
    this.matches = [];
    this.matchIndex = -1;
    if (opts.fit) this.lastClicked = null;
    if (!this.model || opts.fit) this.cy.elements().remove();
    return this.render({ fit: opts.fit });
  }

  /** Re-reads the theme (VS Code changed it) and restyles without a new layout. */
  refreshTheme(): void {
    this.theme = readTheme();
    this.cy.style(buildStylesheet(this.theme));
    if (this.model) this.cy.batch(() => this.applyFills());
  }

  setHeat(mode: HeatMode): void {
    this.heat = mode;
    this.cy.batch(() => this.applyFills());
    this.host.onStateChange();
  }

  isCollapsed(gid: string): boolean {
    return this.collapsed.has(gid);
  }

  toggle(gid: string): Promise<void> {
    if (!this.model?.groups.has(gid)) return Promise.resolve();
    this.collapsed = this.collapsed.has(gid) ? this.model.expand(gid, this.collapsed, this.threshold) : new Set([...this.collapsed, gid]);
    this.host.onStateChange();
    return this.render({ anchor: groupViewId(gid) });
  }

  collapseAll(): Promise<void> {
    if (!this.model) return Promise.resolve();
    const stages = [...this.model.groups.values()].filter((g) => g.group.kind === 'stage').map((g) => g.group.id);
    this.collapsed = new Set(stages.length ? stages : this.model.rootGroups);
    this.host.onStateChange();
    return this.render({ fit: true });
  }

  expandAll(): Promise<void> {
    if (!this.model) return Promise.resolve();
    this.collapsed = new Set();
    this.host.onStateChange();
    return this.render({ fit: true });
  }

  /**
   * The editor cursor moved: selects one instance of what it points at (see `GraphModel.oneInstance`),
   * expanding only the groups that hide that one.
   */
  highlightCursor(irIds: readonly string[]): Promise<void> {
    const model = this.model;
    if (!model) return Promise.resolve();
    return this.highlight(model.oneInstance(irIds, this.lastClicked, this.collapsed));
  }

  /** Selects and centres the given IR nodes, expanding whatever hides them. */
  async highlight(irIds: readonly string[]): Promise<void> {
    // After the render in progress, if any: a large drawing adds most of its elements after its first frame.
    await this.queue;
    const model = this.model;
    if (!model) return;
    const known = irIds.filter((id) => model.nodes.has(id) || model.groups.has(id));
    const next = model.reveal(known, this.collapsed, this.threshold);
    if (next.size !== this.collapsed.size || [...next].some((g) => !this.collapsed.has(g))) {
      this.collapsed = next;
      this.host.onStateChange();
      await this.render({});
    }
    const eles = this.cy.collection();
    for (const id of known) {
      const vid = model.viewIdOf(id, this.collapsed);
      if (vid) eles.merge(this.cy.getElementById(vid));
    }
    this.cy.$(':selected').unselect();
    if (eles.empty()) return;
    eles.select();
    this.ensureVisible(eles);
  }

  /** Search by name: marks every match and returns how many there are. */
  search(query: string): number {
    const model = this.model;
    this.cy.$('.match').removeClass('match');
    this.matches = model ? model.search(query) : [];
    this.matchIndex = -1;
    if (!model) return 0;
    const eles = this.cy.collection();
    for (const id of this.matches) {
      const vid = model.viewIdOf(id, this.collapsed);
      if (vid) eles.merge(this.cy.getElementById(vid));
    }
    eles.addClass('match');
    return this.matches.length;
  }

  /** Moves to the next search match, expanding its groups; returns its 1-based index. */
  async nextMatch(): Promise<number> {
    if (!this.matches.length) return 0;
    this.matchIndex = (this.matchIndex + 1) % this.matches.length;
    const id = this.matches[this.matchIndex]!;
    await this.highlight([id]);
    const model = this.model;
    if (model) {
      for (const m of this.matches) {
        const vid = model.viewIdOf(m, this.collapsed);
        if (vid) this.cy.getElementById(vid).addClass('match');
      }
    }
    return this.matchIndex + 1;
  }

  fit(): void {
    this.cy.fit(undefined, 24);
  }

  /**
   * The first view of a new model: the whole graph when that is legible, otherwise the top of it at a
   * readable zoom (a deep ResNet fitted whole is a hairline), to be scrolled like a document. Across the flow
   * it always fits, however narrow the view (the side bar): no label is cut by the view's sides or its top.
   */
  fitReadable(bounds?: Box): void {
    // From the layout's own box sizes when given: asking cytoscape for bounds measures every label first,
    // which costs more than the rest of a first paint on a large graph.
    const b = bounds ?? this.cy.nodes().boundingBox({ includeLabels: false, includeOverlays: false, includeUnderlays: false });
    this.setViewport(this.fitTransform(b));
  }

  private setViewport(v: { zoom: number; pan: { x: number; y: number } }): void {
    this.cy.zoom(v.zoom);
    this.cy.pan(v.pan);
  }

  /** The zoom and pan `fitReadable` gives a drawing of bounds `b`. */
  private fitTransform(b: Box): { zoom: number; pan: { x: number; y: number } } {
    const cy = this.cy;
    const bb = { x1: b.x1, y1: b.y1, w: b.x2 - b.x1, h: b.y2 - b.y1 };
    const pad = 24;
    const acrossFit = this.direction === 'RIGHT' ? (cy.height() - 2 * pad) / bb.h : (cy.width() - 2 * pad) / bb.w;
    const fitZoom = Math.min((cy.width() - 2 * pad) / bb.w, (cy.height() - 2 * pad) / bb.h, 1.5);
    const legible = 0.6;
    const z = fitZoom >= legible ? fitZoom : Math.min(1, acrossFit);
    if (z === fitZoom) return { zoom: z, pan: { x: (cy.width() - bb.w * z) / 2 - bb.x1 * z, y: (cy.height() - bb.h * z) / 2 - bb.y1 * z } };
    if (this.direction === 'RIGHT') return { zoom: z, pan: { x: pad - bb.x1 * z, y: (cy.height() - bb.h * z) / 2 - bb.y1 * z } };
    return { zoom: z, pan: { x: (cy.width() - bb.w * z) / 2 - bb.x1 * z, y: pad - bb.y1 * z } };
  }

  /** Pans (at the current zoom) so that an IR node or group is in view, without selecting it. */
  scrollTo(irId: string): void {
    const vid = this.model?.viewIdOf(irId, this.collapsed);
    const e = vid ? this.cy.getElementById(vid) : undefined;
    if (!e || e.empty()) return;
    const bb = e.renderedBoundingBox({});
    const w = this.cy.width();
    const h = this.cy.height();
    if (bb.x1 >= 0 && bb.y1 >= 0 && bb.x2 <= w && bb.y2 <= h) return;
    // Its start a quarter into the view along the flow, what led up to it still in sight; centred across it.
    if (this.direction === 'RIGHT') this.cy.panBy({ x: w / 4 - bb.x1, y: h / 2 - (bb.y1 + bb.y2) / 2 });
    else this.cy.panBy({ x: w / 2 - (bb.x1 + bb.x2) / 2, y: h / 4 - bb.y1 });
  }

  zoomBy(factor: number): void {
    const z = this.cy.zoom() * factor;
    this.cy.zoom({ level: z, renderedPosition: { x: this.cy.width() / 2, y: this.cy.height() / 2 } });
  }

  /** Counts the test suite and the status line report. */
  stats(): { layers: number; groups: number; collapsed: number; identityEdges: number; projectionEdges: number; padEdges: number; identitySkips: number; projectionSkips: number; padSkips: number } {
    const skipIds: Record<SkipKind, Set<string>> = { identity: new Set(), projection: new Set(), pad: new Set() };
    const edges: Record<SkipKind, number> = { identity: 0, projection: 0, pad: 0 };
    this.cy.edges('.skip').forEach((e) => {
      const kind = (e.data('skip') as SkipKind | undefined) ?? 'identity';
      edges[kind]++;
      const sid = e.data('skipId') as string | undefined;
      if (sid) skipIds[kind].add(sid);
    });
    return {
      layers: this.cy.nodes('.layer').filter((n) => n.data('op') !== 'input').length,
      groups: this.cy.nodes('.group').length,
      collapsed: this.cy.nodes('.collapsed').length,
      identityEdges: edges.identity,
      projectionEdges: edges.projection,
      padEdges: edges.pad,
      identitySkips: skipIds.identity.size,
      projectionSkips: skipIds.projection.size,
      padSkips: skipIds.pad.size,
    };
  }

  /** Serialises renders: each one lays out what is current when it starts. */
  render(opts: { fit?: boolean; anchor?: string }): Promise<void> {
    this.pending++;
    this.busy = true;
    const run = this.queue.then(() => this.renderNow(opts)).finally(() => {
      this.renderCount++;
      this.busy = --this.pending > 0;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async renderNow(opts: { fit?: boolean; anchor?: string }): Promise<void> {
    const model = this.model;
    if (!model) return;
    const start = performance.now();
    const anchor = opts.anchor ? this.cy.getElementById(opts.anchor) : undefined;
    const anchorBefore = anchor?.nonempty() ? { ...anchor.renderedPosition() } : undefined;
    const view = model.view(this.collapsed);
    const prepared = this.prepare(view);
    const synced = performance.now();
    // Laid out before anything reaches the canvas: no frame draws (or measures) unplaced elements.
    const minWidths = new Map<string, number>();
    if (this.direction === 'DOWN') for (const [id, p] of prepared.data) if (typeof p.data['minW'] === 'number') minWidths.set(id, p.data['minW']);
    const { positions, bounds } = await layoutChains(view, prepared.sizes, minWidths, this.direction, nodeFontSize(this.theme));
    if (this.model !== model) return;
    const layoutDone = performance.now();
    const boxes = groupBoxes(view, positions, prepared, nodeFontSize(this.theme));
    // Where the view will look once this render has placed it (the zoom and pan below).
    let planned: { zoom: number; pan: { x: number; y: number } } | undefined;
    if (opts.fit) planned = this.fitTransform(drawingBounds(bounds, boxes.values(), []));
    else if (anchorBefore && opts.anchor) {
      const p = positions.get(opts.anchor) ?? centre(boxes.get(opts.anchor));
      const z = this.cy.zoom();
      if (p) planned = { zoom: z, pan: { x: anchorBefore.x - p.x * z, y: anchorBefore.y - p.y * z } };
    }
    // Titles and shortcut bends are worked out for the whole view, and given to what is drawn.
    const titles = this.placeTitles(view, positions, boxes);
    const bows = this.routeSkips(titles.boxes, view, positions, boxes);
    const part = this.firstPartOf(view, boxes, titles.boxes, planned ?? { zoom: this.cy.zoom(), pan: this.cy.pan() });
    const place = (): void => {
      if (opts.fit) this.fitReadable(drawingBounds(bounds, boxes.values(), [...titles.boxes, ...bows.boxes]));
      else if (anchorBefore && opts.anchor) {
        const after = this.cy.getElementById(opts.anchor);
        if (after.nonempty()) {
          const p = after.renderedPosition();
          this.cy.panBy({ x: anchorBefore.x - p.x, y: anchorBefore.y - p.y });
        } else if (planned) this.setViewport(planned);
      }
    };
    let painted: Promise<number> | undefined;
    // A new view's first frame is drawn without cytoscape's texture caches (see `directFrame.ts`). cytoscape's
    // own animation-frame callback was asked for before this one, so it has drawn by the time this one runs.
    const direct = opts.fit || !!part;
    const paintNext = (): Promise<number> => {
      const p = nextPaint(direct ? drawDirectly(this.cy) : undefined);
      void p.then(() => this.host.onPainted?.());
      return p;
    };
    if (part) {
      // What is in sight first, painted, then the rest (see `firstPaint.ts`).
      this.cy.batch(() => this.sync(view, prepared, positions, part));
      titles.apply();
      bows.apply();
      this.styleAll();
      place();
      painted = paintNext();
      await painted;
      this.onFirstPartPainted?.();
      if (this.model !== model) return;
    }
    this.cy.batch(() => this.sync(view, prepared, positions));
    titles.apply();
    bows.apply();
    this.styleAll();
    if (!part) place();
    // The drawing is on screen once the next frame is painted; the render counts as done a frame later, when
    // cytoscape's follow-up redraw (its bounds settle in the first frame) is over too.
    painted ??= paintNext();
    await nextFrame();
    await nextFrame();
    this.lastTiming = { start, synced, layoutDone, painted: await painted, complete: performance.now(), elements: this.cy.elements().length };
  }

  /**
   * For a render that adds many elements, the part of it in (or near) sight when the view is at `at`; null
   * draws everything at once.
   */
  private firstPartOf(view: ViewGraph, boxes: ReadonlyMap<string, Box>, titles: readonly (Box & { group: string })[], at: { zoom: number; pan: { x: number; y: number } }): Parts | null {
    const cy = this.cy;
    if (!cy.width() || !cy.height()) return null;
    let adding = 0;
    for (const n of view.nodes) if (cy.getElementById(n.id).empty()) adding++;
    if (adding < FIRST_PART_MIN) return null;
    const part = firstPart(view, boxes, new Map(titles.map((t) => [t.group, t])), visibleRegion(cy.width(), cy.height(), at.zoom, at.pan, 0.5));
    return part && { nodes: new Set(part.nodes.map((n) => n.id)), edges: new Set(part.edges.map((e) => e.id)) };
  }

  /**
   * Applies the stylesheet to every element now, with cytoscape's per-property bookkeeping done once for all.
   * Left to itself, cytoscape styles each element lazily at the first paint and, for every property it sets,
   * re-dirties the element's ancestors, descendants and their edges: on a thousand nested elements that is
   * most of the first paint. The same invalidation is done here once, after the styling, on the union.
   */
  private styleAll(): void {
    type Internal = { checkTriggers?: (ele: cytoscape.SingularElementArgument) => void };
    type Ele = cytoscape.SingularElementArgument & { pstyle?: (name: string) => unknown };
    type Eles = cytoscape.Collection & { dirtyStyleCache?: () => void; dirtyCompoundBoundsCache?: () => void; dirtyBoundingBoxCache?: () => void };
    const style = this.cy.style() as unknown as Internal;
    const all = this.cy.elements() as Eles;
    const first = all[0] as Ele | undefined;
    if (!first?.pstyle || typeof style.checkTriggers !== 'function' || !all.dirtyStyleCache || !all.dirtyCompoundBoundsCache || !all.dirtyBoundingBoxCache) return;
    const touched: cytoscape.SingularElementArgument[] = [];
    const seen = new Set<string>();
    style.checkTriggers = (ele) => {
      if (!seen.has(ele.id())) {
        seen.add(ele.id());
        touched.push(ele);
      }
    };
    try {
      all.forEach((e) => {
        (e as Ele).pstyle!('label');
      });
    } finally {
      delete style.checkTriggers;
    }
    if (!touched.length) return;
    const eles = this.cy.collection() as Eles;
    for (const t of touched) eles.merge(t);
    eles.dirtyStyleCache!();
    eles.dirtyCompoundBoundsCache!();
    (eles.union((eles as unknown as cytoscape.NodeCollection).connectedEdges()) as Eles).dirtyBoundingBoxCache!();
    // A restyled element may have a new z-index (a class change): let the renderer re-sort.
    (this.cy as unknown as { notify?: (event: string, eles: cytoscape.Collection) => void }).notify?.('zorder', eles);
  }

  /** Element data and classes for `view`, and each drawn leaf's box size (what the layout needs). */
  private prepare(view: ViewGraph): { data: Map<string, { data: Record<string, unknown>; classes: string[] }>; sizes: Map<string, { w: number; h: number }> } {
    const data = new Map<string, { data: Record<string, unknown>; classes: string[] }>();
    const sizes = new Map<string, { w: number; h: number }>();
    const key = this.heat === 'none' ? null : this.heat;
    const range = { min: Infinity, max: 0 };
    if (key) for (const n of view.nodes) if (n.kind === 'layer' || n.collapsed) widen(range, n[key] ?? 0);
    for (const n of view.nodes) {
      const d = this.nodeData(n);
      if (n.kind === 'layer' || n.collapsed) Object.assign(d, this.fillOf(key ? (n[key] ?? 0) : 0, n.collapsed, range));
      if (typeof d['w'] === 'number') sizes.set(n.id, { w: d['w'], h: d['h'] as number });
      else if (n.kind === 'group') {
        // Wide enough for the title to sit on one side of the edge entering at the middle, clear of that edge's
        // shape label (about 50 px wide, centred on it; see `placeTitles`, which keeps the title 8 px in).
        this.measure.font = labelFont(this.theme, true);
        d['minW'] = Math.ceil(2 * this.measure.measureText(n.label).width + 2 * COMPOUND_PAD + ENTRY_LABEL_ROOM);
      }
      data.set(n.id, { data: d, classes: this.nodeClasses(n) });
    }
    return { data, sizes };
  }

  /**
   * Brings cytoscape in line with `view`, placing every leaf where the layout put it. Only what differs is
   * touched: every `data`, `classes` or `position` call on an element makes cytoscape restyle it (and its
   * compound relatives and their edges) and redraw it, so setting equal values on the unchanged majority of a
   * graph after an edit would cost as much as drawing it anew. Returns the elements added or restyled.
   */
  private sync(view: ViewGraph, prepared: ReturnType<GraphView['prepare']>, positions: ReadonlyMap<string, { x: number; y: number }>, part?: Parts): cytoscape.Collection {
    const cy = this.cy;
    const changed = cy.collection();
    const want = new Map(view.nodes.map((n) => [n.id, n]));
    const stale = cy.nodes().filter((n) => {
      const w = want.get(n.id());
      return !w || (w.parent ?? null) !== (n.data('parent') ?? null);
    });
    stale.remove();
    const add: cytoscape.ElementDefinition[] = [];
    for (const n of view.nodes) {
      if (part && !part.nodes.has(n.id)) continue;
      const { data, classes } = prepared.data.get(n.id)!;
      const pos = positions.get(n.id);
      const ele = cy.getElementById(n.id);
      if (ele.nonempty()) {
        const { id: _id, parent: _parent, ...rest } = data;
        if (updateData(ele, rest, NODE_OPTIONAL) | updateClasses(ele, classes)) changed.merge(ele);
        if (pos && !ele.isParent()) {
          const p = ele.position();
          if (p.x !== pos.x || p.y !== pos.y) ele.position(pos);
        }
      } else {
        const def: cytoscape.ElementDefinition = { group: 'nodes', data, classes };
        if (pos) def.position = { ...pos };
        add.push(def);
      }
    }
    const wantEdges = new Map(view.edges.map((e) => [e.id, e]));
    cy.edges().filter((e) => !wantEdges.has(e.id())).remove();
    const diffByView = this.diff ? new Map(view.nodes.map((n) => [n.id, statusOf(this.diff!, n.kind, n.irId)])) : undefined;
    for (const e of view.edges) {
      if (part && !part.edges.has(e.id)) continue;
      let classes = e.skip ? `skip skip-${e.skip}${e.direct ? ' direct' : ''}` : 'main';
      if (diffByView) {
        // A connection to a layer only one version has belongs to that version.
        const ends = [diffByView.get(e.source), diffByView.get(e.target)];
        const mark = ends.includes('removed') ? 'diff-removed' : ends.includes('added') ? 'diff-added' : undefined;
        if (mark) classes += ` ${mark}`;
      }
      const data: Record<string, unknown> = { id: e.id, source: e.source, target: e.target, label: e.label, count: e.count };
      if (e.skip) data['skip'] = e.skip;
      if (e.skipId) data['skipId'] = e.skipId;
      const ele = cy.getElementById(e.id);
      if (ele.nonempty()) {
        const { id: _id, source: _s, target: _t, ...rest } = data;
        if (updateData(ele, rest, EDGE_OPTIONAL) | updateClasses(ele, classes.split(' '))) changed.merge(ele);
      } else add.push({ group: 'edges', data, classes });
    }
    return add.length ? changed.union(cy.add(add)) : changed;
  }

  private nodeData(n: ViewNode): Record<string, unknown> {
    const irNode = n.kind === 'layer' ? this.model?.nodes.get(n.irId) : undefined;
    const d: Record<string, unknown> = {
      id: n.id,
      irId: n.irId,
      kind: n.kind,
      label: n.label,
      name: n.name,
      params: n.params,
      macs: n.macs,
    };
    if (irNode) d['op'] = irNode.op;
    if (n.parent) d['parent'] = n.parent;
    if (n.source) d['src'] = n.source;
    if (n.error) d['error'] = n.error;
    if (n.kind === 'layer' || n.collapsed) {
      const { w, h } = this.measureLabel(n.label, n.collapsed);
      d['w'] = w;
      d['h'] = h;
    }
    return d;
  }

  private nodeClasses(n: ViewNode): string[] {
    const c: string[] = [n.kind];
    if (n.kind === 'group') c.push(n.collapsed ? 'collapsed' : 'expanded', n.groupKind ?? 'module');
    if (n.via) c.push(`via-${n.via}`);
    if (n.error) c.push('error');
    const op = n.kind === 'layer' ? this.model?.nodes.get(n.irId)?.op : undefined;
    if (op === 'add') c.push('op-add');
    const mark = this.diff ? diffClass(statusOf(this.diff, n.kind, n.irId)) : undefined;
    if (mark) c.push(mark);
    return c;
  }

  /**
   * Box sizes by font and label: a deep ResNet repeats a handful of labels hundreds of times, and setting a
   * canvas font (it is parsed each time) costs more than measuring with it.
   */
  private labelSizes = new Map<string, { w: number; h: number }>();

  private measureLabel(label: string, bold: boolean): { w: number; h: number } {
    const font = labelFont(this.theme, bold);
    const key = `${font}\n${label}`;
    const known = this.labelSizes.get(key);
    if (known) return { ...known };
    this.measure.font = font;
    const lines = label.split('\n');
    let w = 0;
    for (const l of lines) w = Math.max(w, this.measure.measureText(l).width);
    const fs = nodeFontSize(this.theme);
    const size = { w: Math.ceil(w + 2 * NODE_PAD_X), h: Math.ceil(lines.length * fs * LINE_HEIGHT + 2 * NODE_PAD_Y) };
    if (this.labelSizes.size > 20_000) this.labelSizes.clear();
    this.labelSizes.set(key, size);
    return { ...size };
  }

  /** Node fills: the theme's, or a heat colour on a log scale of params or MACs among what is drawn. */
  private applyFills(): void {
    const drawn = this.cy.nodes().filter((n) => n.data('kind') === 'layer' || n.hasClass('collapsed'));
    const key = this.heat === 'none' ? null : this.heat;
    const range = { min: Infinity, max: 0 };
    if (key) drawn.forEach((n) => widen(range, Number(n.data(key)) || 0));
    drawn.forEach((n) => {
      const f = this.fillOf(key ? Number(n.data(key)) || 0 : 0, n.hasClass('collapsed'), range);
      if (f.heat === undefined) n.removeData('heat');
      n.data(f);
    });
  }

  private fillCache = new Map<string, { fill: string; textColor: string }>();

  /**
   * Fill and readable text colour for a drawn box. With heat on, `range` holds the smallest non-zero and the
   * largest value drawn; the colour follows the logarithm between them (costs span five orders of magnitude),
   * and anything non-zero gets at least a tint so that it reads differently from a free layer.
   */
  private fillOf(value: number, collapsed: boolean, range: { min: number; max: number }): { fill: string; textColor: string; heat?: number } {
    const t = this.theme;
    const { min, max } = range;
    const h = max > 0 ? (value > 0 ? (max > min ? 0.15 + (0.85 * (Math.log(value) - Math.log(min))) / (Math.log(max) - Math.log(min)) : 1) : 0) : undefined;
    const key = `${t.nodeFill}|${t.heat}|${t.foreground}|${t.background}|${collapsed}|${h === undefined ? '' : h.toFixed(3)}`;
    let f = this.fillCache.get(key);
    if (!f) {
      let fill = collapsed ? mix(t.nodeFill, t.foreground, 0.06) : t.nodeFill;
      if (h !== undefined) fill = mix(fill, t.heat, 0.85 * h);
      const lf = luminance(fill);
      const contrast = (c: string) => {
        const lc = luminance(c);
        return (Math.max(lf, lc) + 0.05) / (Math.min(lf, lc) + 0.05);
      };
      f = { fill, textColor: contrast(t.foreground) >= contrast(t.background) ? t.foreground : t.background };
      this.fillCache.set(key, f);
    }
    return h === undefined ? { ...f } : { ...f, heat: h };
  }

  /**
   * Moves each expanded group's title to the side of its box that the main path does not enter through, so
   * the incoming edge and its shape label do not run across the title.
   */
  private placeTitles(view: ViewGraph, positions: ReadonlyMap<string, { x: number; y: number }>, boxes: ReadonlyMap<string, Box>): Placed<(Box & { group: string })[]> {
    this.measure.font = labelFont(this.theme, true);
    const fs = nodeFontSize(this.theme);
    const titles: (Box & { group: string })[] = [];
    const shifts: [string, number][] = [];
    // Where the main path first enters each group, from the view graph (collection queries per group are
    // quadratic on deep models).
    const parent = new Map(view.nodes.map((n) => [n.id, n.parent]));
    const ancestors = (id: string): string[] => {
      const out: string[] = [];
      for (let p = parent.get(id); p; p = parent.get(p)) out.push(p);
      return out;
    };
    const entry = new Map<string, { x: number }>();
    for (const e of view.edges) {
      if (e.skip) continue;
      const from = new Set(ancestors(e.source));
      const a = positions.get(e.source);
      const b = positions.get(e.target);
      if (!a || !b) continue;
      for (const g of ancestors(e.target)) if (!from.has(g) && !entry.has(g)) entry.set(g, { x: (a.x + b.x) / 2 });
    }
    // Every expanded group of the view, drawn yet or not: the first view is fitted to them all.
    for (const n of view.nodes) {
      if (n.kind !== 'group' || n.collapsed) continue;
      const b = boxes.get(n.id);
      if (!b) continue;
      const bb = { x1: b.x1, y1: b.y1, x2: b.x2, w: b.x2 - b.x1 };
      const tw = this.measure.measureText(n.label).width;
      let dx = 0;
      const room = bb.w / 2 - tw / 2 - 8;
      const crossing = entry.get(n.id);
      if (this.direction === 'DOWN' && room > 4 && crossing) dx = crossing.x >= (bb.x1 + bb.x2) / 2 ? -room : room;
      shifts.push([n.id, dx]);
      const cx = (bb.x1 + bb.x2) / 2 + dx;
      titles.push({ group: n.id, x1: cx - tw / 2, x2: cx + tw / 2, y1: bb.y1 - fs * LINE_HEIGHT - 2, y2: bb.y1 });
    }
    return { boxes: titles, apply: () => this.cy.batch(() => shifts.forEach(([id, dx]) => setTitleDx(this.cy.getElementById(id), dx))) };
  }

  /** Bends every shortcut around the node boxes between its ends (see `skipRouting.ts`). */
  private routeSkips(titles: readonly (Box & { group: string })[], view: ViewGraph, positions: ReadonlyMap<string, { x: number; y: number }>, drawn: ReadonlyMap<string, Box>): Placed<Box[]> {
    const parent = new Map(view.nodes.map((n) => [n.id, n.parent]));
    const ownTitles = (id: string): string[] => {
      const out: string[] = [];
      for (let p = parent.get(id); p; p = parent.get(p)) out.push(`title of ${p}`);
      return out;
    };
    const boxes: (Box & { id: string })[] = titles.map((t) => ({ ...t, id: `title of ${t.group}` }));
    for (const n of view.nodes) {
      const b = drawn.get(n.id);
      if (b && (n.kind === 'layer' || n.collapsed)) boxes.push({ ...b, id: n.id });
    }
    const byId = new Map(boxes.map((b) => [b.id, b]));
    const bows = new Map<string, number>();
    const extents: Box[] = [];
    // Every shortcut of the view, drawn yet or not: the first view is fitted to all of their curves.
    for (const e of view.edges) {
      if (!e.skip) continue;
      const sb = byId.get(e.source);
      const tb = byId.get(e.target);
      const sc = positions.get(e.source);
      const tc = positions.get(e.target);
      if (!sb || !tb || !sc || !tc) continue;
      // cytoscape places control points between the points where the centre line leaves the two boxes.
      const from = boxExit(sc, sb, tc);
      const to = boxExit(tc, tb, sc);
      // Only the boxes near this shortcut (routeBow looks no further): copying every box of a deep model's
      // drawing for each of its shortcuts allocated a thousand-entry array per shortcut.
      const obstacles = nearSegment(from, to, boxes).filter((b) => b !== sb && b !== tb);
      const opts = { pad: 10, minimum: 26, ends: [sb, tb], straightBelow: 3 * layerGap(this.direction) };
      let d = routeBow(from, to, obstacles, opts).distance;
      // An edge into or out of a group must cross that group's border; when dodging the group's own title
      // as well costs a long detour, crossing the title row is the lesser evil.
      const own = new Set([...ownTitles(e.source), ...ownTitles(e.target)]);
      if (own.size && Math.abs(d) > 200) {
        const through = routeBow(from, to, obstacles.filter((b) => !own.has(b.id)), opts).distance;
        if (Math.abs(through) * 2 < Math.abs(d)) d = through;
      }
      bows.set(e.id, d);
      // The curve lies within its ends and control points: what the first view must keep in sight.
      const [c0, c1] = controlPoints(from, to, { distance: d, weights: WEIGHTS });
      extents.push({ x1: Math.min(c0.x, c1.x), y1: Math.min(c0.y, c1.y), x2: Math.max(c0.x, c1.x), y2: Math.max(c0.y, c1.y) });
    }
    return { boxes: extents, apply: () => this.applyBows(bows) };
  }

  /** Gives each drawn shortcut its bend (see `routeSkips`). */
  private applyBows(bows: ReadonlyMap<string, number>): void {
    const skips = this.cy.edges('.skip');
    this.cy.batch(() => {
      skips.forEach((e) => {
        const d = bows.get(e.id());
        if (d === undefined) return;
        // cytoscape measures the bend from whichever end of the pair it added first, which may be the target:
        // mirrored for those, known from `poolIndex` (cytoscape's own ordering) up front so that an unchanged
        // shortcut keeps its data and is not restyled; without it, the drawn control points tell, below.
        const src = e.source() as unknown as { poolIndex?: () => number };
        const tgt = e.target() as unknown as { poolIndex?: () => number };
        const flip = typeof src.poolIndex === 'function' && typeof tgt.poolIndex === 'function' && src.poolIndex() > tgt.poolIndex();
        const bow = flip ? -d : d;
        const old = e.data('bow') as number[] | undefined;
        if (old?.[0] !== bow || old[1] !== bow) e.data('bow', [bow, bow]);
      });
    });
    // Without `poolIndex`, which end came first shows in the drawn control points.
    const flips: cytoscape.EdgeSingular[] = [];
    skips.forEach((e) => {
      const d = bows.get(e.id()) ?? 0;
      if (d === 0) return;
      const src = e.source() as unknown as { poolIndex?: () => number };
      const tgt = e.target() as unknown as { poolIndex?: () => number };
      if (typeof src.poolIndex === 'function' && typeof tgt.poolIndex === 'function') return;
      const cp = e.controlPoints()?.[0];
      if (!cp) return;
      const sp = e.source().position();
      const tp = e.target().position();
      const side = (cp.x - sp.x) * -(tp.y - sp.y) + (cp.y - sp.y) * (tp.x - sp.x);
      if (side !== 0 && Math.sign(side) !== Math.sign(d)) flips.push(e);
    });
    this.cy.batch(() => flips.forEach((e) => e.data('bow', [-bows.get(e.id())!, -bows.get(e.id())!])));
  }

  private tooltipText(n: cytoscape.NodeSingular): string {
    const model = this.model;
    if (!model) return '';
    const lines: string[] = [];
    if (n.data('kind') === 'layer') {
      const ir = model.nodes.get(n.data('irId') as string);
      if (!ir) return '';
      lines.push(ir.name.toLowerCase() === ir.op.toLowerCase() ? ir.op : `${ir.name} (${ir.op})`);
      lines.push(`output ${JSON.stringify(ir.outputShape)}`);
      const skip = model.nodeSkip.get(ir.id);
      if (skip) lines.push(`on a ${skip.kind} shortcut`);
      lines.push(`params ${ir.params === null ? '?' : ir.params.toLocaleString('en-US')}${ir.shared ? ' (shared)' : ''} · MACs ${ir.macs === null ? '?' : ir.macs.toLocaleString('en-US')}`);
      if (ir.error) lines.push(`error: ${ir.error}`);
      if (this.diff) lines.push(...diffTooltip(this.diff, 'layer', ir.id));
    } else {
      const g = model.groups.get(n.data('irId') as string);
      if (!g) return '';
      lines.push(model.groupSummary(g.group.id));
      lines.push(`${g.layerCount} layers · params ${g.params === null ? '?' : g.params.toLocaleString('en-US')} · MACs ${g.macs === null ? '?' : g.macs.toLocaleString('en-US')}`);
      if (g.error) lines.push(`${g.errorCount} error${g.errorCount > 1 ? 's' : ''}, first: ${g.error}`);
      if (this.diff) lines.push(...diffTooltip(this.diff, 'group', g.group.id));
      lines.push(this.collapsed.has(g.group.id) ? 'double-click to expand' : 'double-click to collapse');
    }
    return lines.join('\n');
  }

  private ensureVisible(eles: cytoscape.CollectionReturnValue): void {
    const bb = eles.renderedBoundingBox({});
    const inView = bb.x1 >= 0 && bb.y1 >= 0 && bb.x2 <= this.cy.width() && bb.y2 <= this.cy.height();
    const tooSmall = this.cy.zoom() < 0.5;
    if (tooSmall) this.cy.zoom(0.9);
    if (tooSmall || !inView) this.cy.center(eles);
  }
}

/** The layout's extent widened to every drawn box, group title and shortcut curve (either may stand out of the boxes). */
function drawingBounds(layout: Box, boxes: Iterable<Box>, titles: readonly Box[]): Box {
  const b = { ...layout };
  for (const x of [...boxes, ...titles]) {
    b.x1 = Math.min(b.x1, x.x1);
    b.y1 = Math.min(b.y1, x.y1);
    b.x2 = Math.max(b.x2, x.x2);
    b.y2 = Math.max(b.y2, x.y2);
  }
  return b;
}

/** Space between consecutive layers along the flow: room for an edge's shape label. */
function layerGap(direction: LayoutDirection): number {
  return direction === 'RIGHT' ? 64 : 26;
}

/**
 * Lays out the drawn graph after folding every straight run of layers (conv → BN → ReLU → ...: each link the
 * only way out of one node and the only way into the next, inside the same group) into one box as tall as
 * the run. Folded, a ResNet is nested chains with the odd side branch, which `nestedLayout` places directly;
 * anything else goes to ELK, which would stack each run exactly so, one layer per node, and gets about a
 * fifth of the nodes this way. The runs are unfolded afterwards. Works from the view graph and plain maps: cytoscape collections are costly by the thousand.
 */
async function layoutChains(
  view: ViewGraph,
  sizes: ReadonlyMap<string, { w: number; h: number }>,
  minWidths: ReadonlyMap<string, number>,
  direction: LayoutDirection,
  fontSize: number,
): Promise<{ positions: Map<string, { x: number; y: number }>; bounds: Box }> {
  const gap = layerGap(direction);
  const down = direction !== 'RIGHT';
  const parentOf = new Map<string, string>();
  for (const n of view.nodes) parentOf.set(n.id, n.parent ?? '');
  const edges = view.edges.filter((e) => !e.direct);
  const ins = new Map<string, string[]>();
  const outs = new Map<string, string[]>();
  for (const e of edges) {
    if (!outs.get(e.source)?.push(e.target)) outs.set(e.source, [e.target]);
    if (!ins.get(e.target)?.push(e.source)) ins.set(e.target, [e.source]);
  }
  /** The next node of a run, if `id`'s only successor has `id` as its only predecessor, in the same group. */
  const next = (id: string): string | undefined => {
    const o = outs.get(id);
    if (o?.length !== 1) return undefined;
    const b = o[0]!;
    return sizes.has(b) && ins.get(b)?.length === 1 && parentOf.get(b) === parentOf.get(id) ? b : undefined;
  };
  const leaves = view.nodes.filter((n) => sizes.has(n.id));
  const continues = new Set<string>();
  for (const n of leaves) {
    const b = next(n.id);
    if (b) continues.add(b);
  }
  const chainOf = new Map<string, string>();
  const chains: { id: string; members: string[] }[] = [];
  for (const n of leaves) {
    if (continues.has(n.id)) continue;
    const members = [n.id];
    for (let b = next(n.id); b && !chainOf.has(b); b = next(b)) members.push(b);
    chains.push({ id: n.id, members });
    for (const m of members) chainOf.set(m, n.id);
  }
  // Side padding that makes each group at least its minimum width (room for its title): ELK keeps groups
  // apart by their laid-out size, so the room has to be padding it knows about.
  const padX = new Map<string, number>();
  const contentW = new Map<string, number>();
  for (let i = view.nodes.length - 1; i >= 0; i--) {
    const n = view.nodes[i]!;
    const own = sizes.has(n.id) ? sizes.get(n.id)!.w : (contentW.get(n.id) ?? 0) + 2 * (COMPOUND_PAD + 4) + 2 * (padX.get(n.id) ?? 0);
    if (!sizes.has(n.id)) {
      const extra = Math.max(0, ((minWidths.get(n.id) ?? 0) - (contentW.get(n.id) ?? 0) - 2 * COMPOUND_PAD) / 2);
      if (extra > 0) padX.set(n.id, Math.ceil(extra));
    }
    const width = sizes.has(n.id) ? own : (contentW.get(n.id) ?? 0) + 2 * (COMPOUND_PAD + 4) + 2 * (padX.get(n.id) ?? 0);
    if (n.parent) contentW.set(n.parent, Math.max(contentW.get(n.parent) ?? 0, width));
  }
  const along = (id: string) => (down ? sizes.get(id)!.h : sizes.get(id)!.w);
  const across = (id: string) => (down ? sizes.get(id)!.w : sizes.get(id)!.h);
  const elements: cytoscape.ElementDefinition[] = [];
  for (const n of view.nodes) {
    if (sizes.has(n.id)) continue;
    const data: Record<string, unknown> = { id: n.id };
    if (n.parent) data['parent'] = n.parent;
    const extra = padX.get(n.id);
    if (extra) data['padX'] = extra;
    elements.push({ group: 'nodes', data });
  }
  const chainData = new Map<string, { w: number; h: number }>();
  for (const c of chains) {
    const length = c.members.reduce((sum, m) => sum + along(m), 0) + gap * (c.members.length - 1);
    const width = Math.max(...c.members.map(across));
    const parent = parentOf.get(c.id);
    const data: Record<string, unknown> = { id: c.id, w: down ? width : length, h: down ? length : width };
    if (parent) data['parent'] = parent;
    chainData.set(c.id, { w: data['w'] as number, h: data['h'] as number });
    elements.push({ group: 'nodes', data });
  }
  const seen = new Set<string>();
  const foldedEdges: { source: string; target: string }[] = [];
  for (const e of edges) {
    const a = chainOf.get(e.source);
    const b = chainOf.get(e.target);
    if (!a || !b || a === b || seen.has(`${a}>${b}`)) continue;
    seen.add(`${a}>${b}`);
    foldedEdges.push({ source: a, target: b });
    elements.push({ group: 'edges', data: { id: `${a}>${b}`, source: a, target: b } });
  }
  // Nested chains with at most a side branch (every ResNet) are laid out directly, which also spares ELK's
  // one-off start-up (a few hundred milliseconds in a fresh page, whatever the graph's size); anything else
  // goes to ELK.
  const titleRow = Math.ceil(fontSize * LINE_HEIGHT + 6);
  const simple = nestedLayout(
    view.nodes.filter((n) => !sizes.has(n.id) || chainOf.get(n.id) === n.id).map((n) => {
      const d = chainData.get(n.id);
      return d ? { id: n.id, parent: n.parent ?? '', size: { w: d.w, h: d.h } } : { id: n.id, parent: n.parent ?? '' };
    }),
    foldedEdges,
    {
      direction: down ? 'DOWN' : 'RIGHT',
      gap,
      spacing: 30,
      padding: (g) => {
        const side = COMPOUND_PAD + 4 + (padX.get(g) ?? 0);
        return { top: COMPOUND_PAD + titleRow, left: side, bottom: COMPOUND_PAD + 4, right: side };
      },
    },
  );
  const centres = simple ?? (await layoutWithElk(elements, direction, fontSize));
  const pos = new Map<string, { x: number; y: number }>();
  for (const c of chains) {
    const d = chainData.get(c.id)!;
    const p = centres.get(c.id)!;
    let at = down ? p.y - d.h / 2 : p.x - d.w / 2;
    for (const m of c.members) {
      const size = along(m);
      pos.set(m, down ? { x: p.x, y: at + size / 2 } : { x: at + size / 2, y: p.y });
      at += size + gap;
    }
  }
  // The drawing's extent: leaf boxes, widened by the group borders around them.
  const box: Box = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
  for (const [id, p] of pos) {
    const sz = sizes.get(id)!;
    box.x1 = Math.min(box.x1, p.x - sz.w / 2);
    box.x2 = Math.max(box.x2, p.x + sz.w / 2);
    box.y1 = Math.min(box.y1, p.y - sz.h / 2);
    box.y2 = Math.max(box.y2, p.y + sz.h / 2);
  }
  const margin = view.nodes.some((n) => n.kind === 'group' && !n.collapsed) ? 2 * COMPOUND_PAD + 8 : 0;
  return { positions: pos, bounds: { x1: box.x1 - margin, y1: box.y1 - margin, x2: box.x2 + margin, y2: box.y2 + margin } };
}

/** Centres of the folded boxes as ELK lays them out. */
async function layoutWithElk(elements: cytoscape.ElementDefinition[], direction: LayoutDirection, fontSize: number): Promise<Map<string, { x: number; y: number }>> {
  await loadElk();
  const folded = cytoscape({ headless: true, styleEnabled: true, style: [{ selector: 'node[w]', style: { width: 'data(w)', height: 'data(h)' } }] });
  try {
    folded.add(elements);
    await runLayout(folded, direction, fontSize);
    const out = new Map<string, { x: number; y: number }>();
    folded.nodes('[w]').forEach((n) => {
      out.set(n.id(), { ...n.position() });
    });
    return out;
  } finally {
    folded.destroy();
  }
}

/**
 * The one ELK configuration: layered, top-to-bottom (or left-to-right), hierarchy-aware across compounds.
 * Cheaper-than-default choices where they do not show: cytoscape draws its own edges, so ELK's edge routes
 * are only spacing (polyline is the cheapest), and a ResNet is nearly a chain, so one crossing-minimisation
 * pass and simple in-layer placement lose nothing visible while saving about a third of the time.
 */
function runLayout(cy: cytoscape.Core, direction: LayoutDirection, fontSize: number): Promise<void> {
  const titleRow = Math.ceil(fontSize * LINE_HEIGHT + 6);
  return new Promise((resolve, reject) => {
    // cytoscape-elk drops ELK's rejections; without this a failed layout would leave the view waiting forever.
    const onFailure = (e: PromiseRejectionEvent) => {
      window.removeEventListener('unhandledrejection', onFailure);
      reject(e.reason instanceof Error ? e.reason : new Error(`ELK layout failed: ${String(e.reason)}`));
    };
    window.addEventListener('unhandledrejection', onFailure);
    // Plain identity shortcuts are left out: `routeSkips` draws them around the block afterwards, and to ELK
    // each is a long edge that costs a dummy node per layer it spans (about a fifth of the time on ResNet-152).
    const layout = cy.elements().not('edge.direct').layout({
      name: 'elk',
      fit: false,
      animate: false,
      nodeDimensionsIncludeLabels: false,
      nodeLayoutOptions: (n: cytoscape.NodeSingular) => {
        if (!n.isParent()) return {};
        const side = COMPOUND_PAD + 4 + (Number(n.data('padX')) || 0);
        return { 'elk.padding': `[top=${COMPOUND_PAD + titleRow},left=${side},bottom=${COMPOUND_PAD + 4},right=${side}]` };
      },
      elk: {
        algorithm: 'layered',
        'elk.direction': direction,
        'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
        // Room for the shape label on each edge: one text line across, a whole word along.
        'elk.layered.spacing.nodeNodeBetweenLayers': layerGap(direction),
        'elk.spacing.nodeNode': 30,
        'elk.spacing.edgeNode': 14,
        'elk.edgeRouting': 'POLYLINE',
        'elk.layered.thoroughness': 1,
        'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
        'elk.layered.nodePlacement.strategy': 'SIMPLE',
      },
      stop: () => {
        window.removeEventListener('unhandledrejection', onFailure);
        resolve();
      },
    } as cytoscape.LayoutOptions);
    layout.run();
  });
}

/**
 * Every drawn box as cytoscape will draw it, from the layout alone: leaves from their sizes, groups around
 * their children (child group titles included, as cytoscape sizes groups with their children's labels),
 * padded, and widened to their minimum width about the centre.
 */
function groupBoxes(
  view: ViewGraph,
  positions: ReadonlyMap<string, { x: number; y: number }>,
  prepared: { data: ReadonlyMap<string, { data: Record<string, unknown> }>; sizes: ReadonlyMap<string, { w: number; h: number }> },
  fontSize: number,
): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const children = new Map<string, string[]>();
  for (const n of view.nodes) if (n.parent) (children.get(n.parent) ?? children.set(n.parent, []).get(n.parent)!).push(n.id);
  const title = fontSize * LINE_HEIGHT + 2;
  for (let i = view.nodes.length - 1; i >= 0; i--) {
    const n = view.nodes[i]!;
    const size = prepared.sizes.get(n.id);
    const p = positions.get(n.id);
    if (size && p) {
      boxes.set(n.id, { x1: p.x - size.w / 2, y1: p.y - size.h / 2, x2: p.x + size.w / 2, y2: p.y + size.h / 2 });
      continue;
    }
    const kids = children.get(n.id) ?? [];
    const b: Box = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
    for (const k of kids) {
      const kb = boxes.get(k);
      if (!kb) continue;
      const top = children.has(k) ? kb.y1 - title : kb.y1;
      b.x1 = Math.min(b.x1, kb.x1);
      b.y1 = Math.min(b.y1, top);
      b.x2 = Math.max(b.x2, kb.x2);
      b.y2 = Math.max(b.y2, kb.y2);
    }
    if (!Number.isFinite(b.x1)) continue;
    b.x1 -= COMPOUND_PAD;
    b.y1 -= COMPOUND_PAD;
    b.x2 += COMPOUND_PAD;
    b.y2 += COMPOUND_PAD;
    const minW = Number(prepared.data.get(n.id)?.data['minW']) || 0;
    const grow = (minW - (b.x2 - b.x1)) / 2;
    if (grow > 0) {
      b.x1 -= grow;
      b.x2 += grow;
    }
    boxes.set(n.id, b);
  }
  return boxes;
}
