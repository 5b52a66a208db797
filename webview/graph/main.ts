/**
 * Entry of the graph webview (`dist/webview/graph.js`). Wires the toolbar in `graphHtml.ts` to the view,
 * speaks the typed protocol, says `ready` first and persists collapsed groups and heat with `setState`.
 * `setDiff` switches to diff mode (the union of two versions, coloured, with the side panel); `setGraph` leaves it.
 * The host's `requestExport` is answered under its id; the toolbar's own export buttons send `saveImage`.
 */
import {
  type FromGraphWebview,
  type GraphWebviewState,
  type HeatMode,
  type ImageFormat,
  type SetDiffMessage,
  type SetGraphMessage,
  type SkipKind,
  type ToGraphWebview,
  fmtCompact,
  isGraphWebviewState,
  unionId,
} from '../../src/protocol/graphProtocol';
import { MessageHandler, trustedMessage } from '../../src/protocol/messages';
import { loadControls } from './chunkLoader';
import { getVsCodeApi } from '../shared/vscodeApi';
import { diffMarks, signedCompact } from './diff';
import { DiffPanel } from './diffPanel';
import { EditController } from './editController';
import { GraphModel } from './model';
import { toSvg } from './svgExport';
import { TelemetryOverlay } from './telemetryOverlay';
import { GraphView } from './view';

const vscode = getVsCodeApi<GraphWebviewState, FromGraphWebview>();
const post = (m: FromGraphWebview): void => vscode.postMessage(m);
// Said before the view is built, so that the host's answer travels while this script still runs: no message is
// handled before the script has finished (its listener, added below, is in place by then).
post({ type: 'ready' });

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`graph page is missing #${id}`);
  return el as T;
};

const container = $('graph');
const tooltip = $('tooltip');
const status = $('status');
const empty = $('empty');
const searchCount = $('search-count');

const persisted: unknown = vscode.getState();
const saved = isGraphWebviewState(persisted) ? persisted : undefined;
let file: string | null = null;
let version = -Infinity;

const view = new GraphView(container, {
  onPainted: () => controlsLater(),
  onReveal: (nodeId, source) => post({ type: 'reveal', nodeId, source }),
  onStateChange: () => persist(),
  onHover: (text, x, y) => {
    if (!text) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = text;
    tooltip.classList.toggle('has-error', /(^|\n)(error:|\d+ errors?, first:)/.test(text));
    tooltip.hidden = false;
    const r = container.getBoundingClientRect();
    const left = Math.min(r.left + x + 14, window.innerWidth - tooltip.offsetWidth - 8);
    const top = Math.min(r.top + y + 14, window.innerHeight - tooltip.offsetHeight - 8);
    tooltip.style.left = `${Math.max(4, left)}px`;
    tooltip.style.top = `${Math.max(4, top)}px`;
  },
});
if (saved?.heat) view.heat = saved.heat;
const telemetry = new TelemetryOverlay(view, $('toolbar'));
(window as unknown as { resnetStudioTelemetry: TelemetryOverlay }).resnetStudioTelemetry = telemetry;
const diffPanel = new DiffPanel($('diff-panel'), { onPick: (ids) => void view.highlight(ids).catch(report) });
// Design editing (context menu, properties side bar), live while a `setGraph` carries a design.
const editing = new EditController(view, { container, panelParent: $('main'), statusLine: status, post });
// The side panel (and the view's own size) can change the canvas's size without a window resize.
new ResizeObserver(() => view.cy.resize()).observe(container);

function persist(): void {
  const model = view.model;
  const collapsed = model ? [...view.collapsed].map((id) => model.groups.get(id)?.group.name).filter((n): n is string => !!n) : (saved?.collapsed ?? []);
  vscode.setState({ file, collapsed, heat: view.heat });
}

/** The input the model is analysed with, as the CodeLens shows it (`@ 3×32²`), marked when it is a guess. */
function inputPart(g: NonNullable<SetGraphMessage['graph']>): string {
  const dims = (g.input ?? []).slice(1).map((d) => d ?? '?');
  const [c, h, w] = dims;
  const text = dims.length === 3 && h === w ? `${c}×${h}²` : dims.join('×');
  return `@ ${text}${g.inputGuess ? ' (guess)' : ''}`;
}

function updateStatus(msg: SetGraphMessage): void {
  const g = msg.graph;
  const errors = msg.diagnostics.filter((d) => d.severity === 'error').length;
  if (!g) {
    status.textContent = '';
    const first = msg.diagnostics[0];
    empty.textContent = first ? `No graph: ${first.message}` : 'No model to draw.';
    empty.hidden = false;
    return;
  }
  empty.hidden = true;
  const count = (k: SkipKind) => g.skips.filter((s) => s.kind === k).length;
  const pad = count('pad');
  $('pad-key').hidden = pad === 0;
  const parts = [
    g.name,
    inputPart(g),
    `${fmtCompact(g.params)} params`,
    `${fmtCompact(g.macs)} MACs`,
    `${view.model?.layerCount ?? 0} layers`,
    `${count('identity')} identity + ${count('projection')} projection${pad ? ` + ${pad} pad` : ''} shortcuts`,
  ];
  if (errors) parts.push(`${errors} error${errors > 1 ? 's' : ''}`);
  status.textContent = parts.join(' · ');
  status.classList.toggle('has-error', errors > 0);
}

async function onSetGraph(msg: SetGraphMessage): Promise<void> {
  if (msg.file === file && msg.version < version && !diffPanel.visible) return;
  if (diffPanel.visible) {
    diffPanel.hide();
    // Leaving diff mode: the union graph's elements are not this graph's.
    file = null;
  }
  const sameFile = msg.file === file;
  const names = sameFile && view.model ? [...view.collapsed].map((id) => view.model!.groups.get(id)?.group.name) : msg.file === saved?.file ? saved.collapsed : undefined;
  file = msg.file;
  version = msg.version;
  let collapsed: Set<string> | undefined;
  if (names && msg.graph) {
    const byName = new Map(msg.graph.groups.map((g) => [g.name, g.id]));
    collapsed = new Set(names.map((n) => (n ? byName.get(n) : undefined)).filter((id): id is string => !!id));
  }
  const opts: Parameters<GraphView['setGraph']>[1] = {
    direction: msg.settings.layoutDirection,
    threshold: msg.settings.autoCollapseThreshold,
    fit: !sameFile,
  };
  if (collapsed) opts.collapsed = collapsed;
  const render = view.setGraph(msg.graph, opts);
  editing.update(msg);
  updateStatus(msg);
  persist();
  await render;
  syncHeatControl();
  if (searchField.value) searchCount.textContent = countText(view.search(searchField.value));
}

/**
 * Diff mode: the union graph, with stages that hold a change expanded (however large the model) and the rest
 * collapsed as usual, and the side panel. A newer version of the same comparison keeps the user's collapsing.
 */
async function onSetDiff(msg: SetDiffMessage): Promise<void> {
  const same = diffPanel.visible && msg.file === file;
  if (same && msg.version < version) return;
  const names = same && view.model ? [...view.collapsed].map((id) => view.model!.groups.get(id)?.group.name) : undefined;
  file = msg.file;
  version = msg.version;
  const marks = diffMarks(msg.diff, msg.labels);
  diffPanel.show(marks);
  view.cy.resize();
  let collapsed: Set<string>;
  const model = new GraphModel(msg.graph);
  if (names) {
    const byName = new Map(msg.graph.groups.map((g) => [g.name, g.id]));
    collapsed = new Set(names.map((n) => (n ? byName.get(n) : undefined)).filter((id): id is string => !!id));
  } else {
    collapsed = model.defaultCollapsed(msg.settings.autoCollapseThreshold);
    for (const gid of [...collapsed]) {
      const st = marks.groups.get(gid)?.status;
      if (st === 'added' || st === 'removed' || st === 'changed') collapsed = model.expand(gid, collapsed, msg.settings.autoCollapseThreshold);
    }
  }
  const render = view.setGraph(msg.graph, { direction: msg.settings.layoutDirection, threshold: msg.settings.autoCollapseThreshold, fit: !same, collapsed, diff: marks });
  editing.update(null);
  empty.hidden = true;
  const c = msg.diff.counts;
  const errors = msg.diagnostics.filter((d) => d.severity === 'error').length;
  const parts = [
    msg.diff.after.name,
    `${msg.labels.before} → ${msg.labels.after}`,
    `${c.added} added, ${c.removed} removed, ${c.changed} changed layers`,
    `params ${signedCompact(msg.diff.total.params.delta)}`,
    `MACs ${signedCompact(msg.diff.total.macs.delta)}`,
  ];
  if (msg.diff.outputChanged) parts.push('output shape changed');
  if (errors) parts.push(`${errors} error${errors > 1 ? 's' : ''}`);
  status.textContent = parts.join(' · ');
  status.classList.toggle('has-error', errors > 0);
  persist();
  await render;
  if (!same) {
    // A first look goes to the first change, which on a deep model is rarely at the top.
    const first = msg.diff.nodes.find((n) => n.status === 'added' || n.status === 'removed' || n.status === 'changed');
    if (first) view.scrollTo(unionId(first));
  }
  syncHeatControl();
  if (searchField.value) searchCount.textContent = countText(view.search(searchField.value));
}

/** SVG text, or a PNG as a base64 `data:` URL. */
function imageOf(format: ImageFormat): string {
  return format === 'svg'
    ? toSvg(view.cy, view.theme.background)
    : view.cy.png({ output: 'base64uri', full: true, scale: 2, bg: view.theme.background, maxWidth: 16000, maxHeight: 16000 });
}

function answerExport(format: ImageFormat, requestId: number): void {
  try {
    channel.send({ type: 'exportedImage', inReplyTo: requestId, format, data: imageOf(format) });
  } catch (e) {
    channel.send({ type: 'requestFailed', inReplyTo: requestId, message: e instanceof Error ? e.message : String(e) });
  }
}

const channel = new MessageHandler<FromGraphWebview, ToGraphWebview>({
  post,
  check: trustedMessage,
  replies: {},
  handlers: {
    setGraph: (m) => void onSetGraph(m).catch(report),
    setDiff: (m) => void onSetDiff(m).catch(report),
    highlight: (m) => void view.highlightCursor(m.nodeIds).catch(report),
    setHeat: (m) => {
      view.setHeat(m.mode);
      syncHeatControl();
    },
    requestExport: (m) => answerExport(m.format, m.requestId),
    setTelemetry: (m) => telemetry.update(m),
    editResult: (m) => editing.showResult(m),
  },
  onProblem: (text) => report(new Error(text)),
});

function report(e: unknown): void {
  post({ type: 'error', message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
}

// Toolbar.
interface ValueElement extends HTMLElement {
  value: string;
}
const searchField = $<ValueElement>('search');
const heatSelect = $<ValueElement>('heat');
const countText = (n: number): string => (searchField.value.trim() ? `${n} match${n === 1 ? '' : 'es'}` : '');
searchField.addEventListener('input', () => {
  searchCount.textContent = countText(view.search(searchField.value));
});
searchField.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  void view.nextMatch().then((i) => {
    const n = view.search(searchField.value);
    searchCount.textContent = n ? `${i} of ${n}` : countText(0);
  }, report);
});
const heatKey = $('heat-key');
const heatLabel = $('heat-label');
function syncHeatControl(): void {
  if (heatSelect.value !== view.heat) heatSelect.value = view.heat;
  // The heat scale's legend: shown only while heat is on, naming what it measures.
  heatKey.hidden = view.heat === 'none';
  heatLabel.textContent = `fewer → more ${view.heat === 'macs' ? 'MACs' : 'params'} (log scale)`;
}
heatSelect.addEventListener('change', () => {
  view.setHeat(heatSelect.value as HeatMode);
  syncHeatControl();
});
const click = (id: string, fn: () => unknown): void => $(id).addEventListener('click', () => void Promise.resolve(fn()).catch(report));
click('legend-toggle', () => {
  const open = $('legend').classList.toggle('open');
  $('legend-toggle').setAttribute('aria-expanded', String(open));
});
click('fit', () => view.fit());
click('zoom-in', () => view.zoomBy(1.25));
click('zoom-out', () => view.zoomBy(0.8));
click('collapse-all', () => view.collapseAll());
click('expand-all', () => view.expandAll());
click('export-svg', () => post({ type: 'saveImage', format: 'svg', data: imageOf('svg') }));
click('export-png', () => post({ type: 'saveImage', format: 'png', data: imageOf('png') }));

// VS Code swaps body classes and the root's CSS variables when the theme changes.
new MutationObserver(() => view.refreshTheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new MutationObserver(() => view.refreshTheme()).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

window.addEventListener('message', (e: MessageEvent<unknown>) => channel.receive(e.data));
window.addEventListener('error', (e) => report(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => report(e.reason));

/**
 * The toolbar's controls (vscode-elements) come once the first drawing is on screen, which needs none of them
 * (see `controlsChunk.ts`); without a graph to draw, a moment after start-up.
 */
let controlsAsked = false;
function controlsLater(): void {
  if (controlsAsked) return;
  controlsAsked = true;
  void loadControls().catch(report);
}
setTimeout(controlsLater, 1500);

/** Read-only handle for the webview tests and the benchmark (counts, positions, timings). */
(globalThis as { resnetStudioGraph?: unknown }).resnetStudioGraph = { view, editing };
