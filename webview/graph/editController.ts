/**
 * Design editing in the graph page, switched on by a `setGraph` that carries a design: it turns right-clicks
 * (or the context-menu key) on stages, blocks, layers and the background into the context menu's entries,
 * taps into the properties side bar's selection, and every gesture into one `editDesign` message against the
 * version the page shows. The host's `editResult` is shown on a status line of its own, for a few seconds.
 * The page never changes the design itself: the next `setGraph` brings the edited document.
 */
import type cytoscape from 'cytoscape';
import type { DesignContext, DesignEdit, ShortcutType } from '../../src/protocol/designEditProtocol';
import type { EditResultMessage, FromGraphWebview, IrNode, SetGraphMessage } from '../../src/protocol/graphProtocol';
import { EditMenu, type MenuItem, SEPARATOR } from './editMenu';
import { type EditTarget, blockDef, findLayer, findStage, shortcutType, stageOfPath } from './editTargets';
import { opEntries, paletteEntries } from './palette';
import { type IrFacts, PropertiesPanel } from './properties';
import type { GraphView } from './view';

export interface EditControllerOptions {
  /** The graph's canvas container (right-clicks and the context-menu key). */
  container: HTMLElement;
  /** Where the properties side bar goes, beside the graph. */
  panelParent: HTMLElement;
  /** The model's status line; the edit status line goes right after it. */
  statusLine: HTMLElement;
  post(m: FromGraphWebview): void;
}

const SHOW_OK_MS = 4000;
const SHOW_ERROR_MS = 10000;

export class EditController {
  private ctx: DesignContext | null = null;
  private version = 0;
  private target: EditTarget = { kind: 'model' };
  readonly menu = new EditMenu();
  readonly properties: PropertiesPanel;
  readonly statusEl: HTMLElement;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly view: GraphView,
    private readonly o: EditControllerOptions,
  ) {
    this.properties = new PropertiesPanel(o.panelParent, {
      edit: (e) => this.edit(e),
      renamed: (t, name) => {
        if (t.kind === 'stage') this.target = { kind: 'stage', stage: name };
        else if (t.kind === 'layer') this.target = { ...t, layer: `${t.layer.slice(0, t.layer.lastIndexOf('.') + 1)}${name}` };
      },
    });
    this.statusEl = document.createElement('div');
    this.statusEl.id = 'edit-status';
    this.statusEl.setAttribute('role', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');
    this.statusEl.hidden = true;
    o.statusLine.after(this.statusEl);

    const cy = view.cy;
    cy.on('cxttap', (e) => {
      if (!this.ctx) return;
      const node = e.target === cy ? null : (e.target as cytoscape.SingularElementArgument);
      if (node && !node.isNode()) return;
      const oe = e.originalEvent as MouseEvent | undefined;
      const r = o.container.getBoundingClientRect();
      const x = oe?.clientX ?? r.left + e.renderedPosition.x;
      const y = oe?.clientY ?? r.top + e.renderedPosition.y;
      this.openMenu(node as cytoscape.NodeSingular | null, x, y);
    });
    cy.on('tap', (e) => {
      if (!this.ctx) return;
      // cytoscape keeps the focus from its canvas; the graph takes it, so the context-menu key works next.
      o.container.focus({ preventScroll: true });
      if (e.target === cy) this.select({ kind: 'model' });
      else if ((e.target as cytoscape.SingularElementArgument).isNode()) this.select(this.targetOf(e.target as cytoscape.NodeSingular));
    });
    o.container.addEventListener('contextmenu', (e) => {
      if (this.ctx) e.preventDefault();
    });
    o.container.addEventListener('keydown', (e) => {
      if (!this.ctx || !(e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey))) return;
      e.preventDefault();
      const sel = cy.$('node:selected').first() as cytoscape.NodeSingular;
      const r = o.container.getBoundingClientRect();
      if (sel.nonempty()) {
        const p = sel.renderedPosition();
        this.openMenu(sel, r.left + p.x, r.top + p.y);
      } else this.openMenu(null, r.left + 24, r.top + 24);
    });
  }

  /** The design (or its absence) of each new graph; a `setDiff` passes null, since a comparison is read-only. */
  update(msg: SetGraphMessage | null): void {
    this.ctx = msg?.design ?? null;
    if (msg) this.version = msg.version;
    if (!this.ctx) {
      this.menu.close(false);
      this.properties.hide();
      this.o.container.removeAttribute('tabindex');
      return;
    }
    // The canvas takes focus so that the context-menu key reaches it.
    this.o.container.tabIndex = 0;
    this.target = this.stillThere(this.target);
    this.properties.show(this.ctx, this.target, this.facts(this.target));
  }

  /** Shows what became of the last edit. */
  showResult(m: EditResultMessage): void {
    clearTimeout(this.statusTimer);
    this.statusEl.textContent = m.message;
    this.statusEl.classList.toggle('has-error', !m.ok);
    this.statusEl.hidden = false;
    this.statusTimer = setTimeout(() => {
      this.statusEl.hidden = true;
    }, m.ok ? SHOW_OK_MS : SHOW_ERROR_MS);
  }

  get selection(): EditTarget {
    return this.target;
  }

  private edit(edit: DesignEdit): void {
    this.o.post({ type: 'editDesign', version: this.version, edit });
  }

  private select(t: EditTarget, focus?: string): void {
    this.target = t;
    if (!this.ctx) return;
    this.properties.show(this.ctx, t, this.facts(t));
    if (focus) this.properties.focusField(focus);
  }

  /** After an edit: the same stage or layer when it still exists, else the model. */
  private stillThere(t: EditTarget): EditTarget {
    const design = this.ctx!.design;
    if (t.kind === 'stage') return findStage(design, t.stage) ? t : { kind: 'model' };
    if (t.kind === 'layer') return this.irNode(t.layer) || findLayer(this.ctx!, t.layer) ? t : { kind: 'model' };
    return t;
  }

  private irNode(name: string): IrNode | undefined {
    const model = this.view.model;
    if (!model) return undefined;
    for (const n of model.nodes.values()) if (n.name === name) return n;
    return undefined;
  }

  private facts(t: EditTarget): IrFacts {
    if (t.kind !== 'layer') return {};
    const n = this.irNode(t.layer);
    return n ? { op: n.op, attrs: n.attrs, outputShape: n.outputShape } : {};
  }

  /** What a drawn node stands for in the design. */
  private targetOf(node: cytoscape.NodeSingular): EditTarget {
    const model = this.view.model;
    const design = this.ctx?.design;
    if (!model || !design) return { kind: 'model' };
    const irId = node.data('irId') as string;
    if (node.data('kind') === 'layer') {
      const n = model.nodes.get(irId);
      if (!n || n.op === 'input') return { kind: 'model' };
      const same = [...model.nodes.values()].filter((m) => m.name === n.name);
      return same.length > 1 ? { kind: 'layer', layer: n.name, op: n.op, use: same.indexOf(n) } : { kind: 'layer', layer: n.name, op: n.op };
    }
    const g = model.groups.get(irId)?.group;
    if (!g) return { kind: 'model' };
    if (g.kind === 'stage' && findStage(design, g.name)) return { kind: 'stage', stage: g.name };
    const inStage = stageOfPath(design, g.name);
    if (!inStage) return { kind: 'model' };
    return inStage.block === undefined ? { kind: 'stage', stage: inStage.stage.stage } : { kind: 'stage', stage: inStage.stage.stage, block: inStage.block };
  }

  private openMenu(node: cytoscape.NodeSingular | null, x: number, y: number): void {
    const t = node ? this.targetOf(node) : ({ kind: 'model' } as EditTarget);
    if (node) {
      this.view.cy.$(':selected').unselect();
      node.select();
    }
    this.select(t);
    // The node's hover text would otherwise stay on top of the menu.
    const tooltip = document.getElementById('tooltip');
    if (tooltip) tooltip.hidden = true;
    const { items, label } = this.menuFor(t);
    this.menu.open(items, x, y, label);
  }

  /** The context menu's entries for a target. */
  menuFor(t: EditTarget): { items: MenuItem[]; label: string } {
    const ctx = this.ctx!;
    const run = (edit: DesignEdit) => () => this.edit(edit);
    const props = (focus?: string): (() => void) => () => this.select(t, focus ?? 'name');
    if (t.kind === 'stage') {
      const stage = findStage(ctx.design, t.stage)!;
      const one = typeof stage.count === 'number' && stage.count <= 1;
      const removeBlock: MenuItem = {
        label: 'Remove block',
        ...(one ? { disabled: true, detail: 'a stage has at least one block: remove the stage instead' } : {}),
        run: run({ kind: 'removeBlock', stage: t.stage }),
      };
      if (t.block !== undefined) {
        return {
          label: `Block ${t.block} of ${t.stage}`,
          items: [{ label: 'Duplicate block', detail: `one more block in ${t.stage}`, run: run({ kind: 'addBlock', stage: t.stage }) }, removeBlock, SEPARATOR, { label: 'Properties', run: props('count') }],
        };
      }
      const current = shortcutType(blockDef(ctx, stage.block));
      const shortcut = (s: ShortcutType, label: string): MenuItem => ({ label, checked: current === s, run: run({ kind: 'setShortcut', stage: t.stage, shortcut: s }) });
      return {
        label: `Stage ${t.stage}`,
        items: [
          { label: 'Add block', run: run({ kind: 'addBlock', stage: t.stage }) },
          removeBlock,
          SEPARATOR,
          { label: 'Add stage after', run: run({ kind: 'addStage', after: t.stage }) },
          { label: 'Remove stage', run: run({ kind: 'removeStage', stage: t.stage }) },
          { label: 'Insert after', submenu: this.insertItems(t.stage) },
          SEPARATOR,
          {
            label: 'Shortcut type',
            submenu: [
              shortcut('A', 'A: parameter-free subsample and pad'),
              shortcut('B', 'B: projection when the shape changes'),
              shortcut('C', 'C: projection always'),
            ],
          },
          SEPARATOR,
          { label: 'Properties', run: props('count') },
        ],
      };
    }
    if (t.kind === 'layer') {
      const found = findLayer(ctx, t.layer);
      const off = found ? {} : { disabled: true, detail: 'the file does not spell this layer out: edit its stage' };
      // A module called at several places: the gesture was on one of those places.
      const use = t.use === undefined ? {} : { use: t.use };
      const items: MenuItem[] = [
        { label: 'Properties', run: props('name') },
        SEPARATOR,
        { label: 'Insert after', ...off, submenu: this.insertItems(t.layer, t.use) },
      ];
      if (ctx.ops.length) items.push({ label: 'Insert layer after', ...off, submenu: this.opItems(t.layer, t.use) });
      items.push(
        { label: 'Duplicate', ...off, run: run({ kind: 'duplicateLayer', layer: t.layer, ...use }) },
        { label: 'Remove', ...off, run: run({ kind: 'removeLayer', layer: t.layer, ...use }) },
        { label: 'Rename…', ...off, run: props('name') },
      );
      return { label: `Layer ${t.layer}`, items };
    }
    const items: MenuItem[] = [{ label: 'Insert at start', submenu: this.insertItems(null) }];
    if (ctx.ops.length) items.push({ label: 'Insert layer at start', submenu: this.opItems(null) });
    items.push(SEPARATOR, { label: 'Rename model…', run: props('name') }, { label: 'Input shape…', run: props('input') }, { label: 'Classes…', run: props('classes') });
    return { label: ctx.design.name ?? 'Model', items };
  }

  private insertItems(after: string | null, use?: number): MenuItem[] {
    return paletteEntries(after, use).map((p) => ({ label: p.label, ...(p.detail ? { detail: p.detail } : {}), run: () => this.edit(p.edit) }));
  }

  private opItems(after: string | null, use?: number): MenuItem[] {
    return opEntries(after, this.ctx?.ops ?? [], use).map((p) => ({ label: p.label, run: () => this.edit(p.edit) }));
  }
}
