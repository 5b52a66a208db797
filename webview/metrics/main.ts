/**
 * Entry of the metrics panel (`dist/webview/metrics.js`). Says `ready` first, takes the host's `init` as the
 * whole truth, then appends streamed `rows` by their index in `metrics.jsonl` (never twice, never with a hole:
 * a batch past its count makes it ask for what is missing). Draws loss, accuracy, learning rate and images
 * per second with uPlot: the focused run, and earlier runs of the same model when the user chose the overlay
 * (never runs of another model); persists only which runs are shown and focused, and the overlay choice.
 */
import uPlot from 'uplot';
import {
  type FromMetricsWebview,
  type MetricsWebviewState,
  type RunInfo,
  type ToMetricsWebview,
  type TrainingRow,
  type BackendInfo,
  isMetricsWebviewState,
  isSameModel,
  mergeBatch,
  overlayCandidates,
  shownForFocus,
} from '../../src/protocol/metricsProtocol';
import { type MessageHandlers, MessageHandler, trustedMessage } from '../../src/protocol/messages';
import { getVsCodeApi } from '../shared/vscodeApi';
import { type Point, activityOf, align, bestValAccuracy, formatDuration, headerOf, seriesOf, toCsv } from './model';
import { LAYER_STATS, type LayerStat, STAT_LABELS, type SortKey, formatStat, layerView, sortLines, sparklinePath } from './layers';

const vscode = getVsCodeApi<MetricsWebviewState, FromMetricsWebview>();
const post = (m: FromMetricsWebview): void => vscode.postMessage(m);

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`metrics page is missing #${id}`);
  return el as T;
};

const persisted: unknown = vscode.getState();
const saved = isMetricsWebviewState(persisted) ? persisted : undefined;
let runs: RunInfo[] = [];
const rows = new Map<string, TrainingRow[]>();
let shown: string[] = saved?.shown ?? [];
let focus: string | null = saved?.focus ?? null;
/** The user chose to draw earlier runs of the focused run's model with it; off at first. */
let overlay = saved?.overlay ?? false;
let backend: BackendInfo = { nativePackages: [], installing: false };
/** Rows asked for after a gap, per run, so one gap makes one request. */
const pending = new Map<string, number>();

/** Test hooks: row counts per run and how many times the page has drawn. */
const probe = { renderCount: 0, busy: false, layers: 0, alerts: [] as string[], counts: () => Object.fromEntries([...rows].map(([k, v]) => [k, v.length])) };
(window as unknown as { resnetStudioMetrics: typeof probe }).resnetStudioMetrics = probe;

function persist(): void {
  vscode.setState({ shown, focus, overlay });
}

function runInfo(id: string): RunInfo | undefined {
  return runs.find((r) => r.id === id);
}

function append(runId: string, from: number, batch: readonly TrainingRow[]): void {
  const have = rows.get(runId)?.length ?? 0;
  const merged = mergeBatch(have, from, batch);
  if ('gap' in merged) {
    if (pending.get(runId) !== have) {
      pending.set(runId, have);
      post({ type: 'requestRows', runId, from: have });
    }
    return;
  }
  pending.delete(runId);
  if (!merged.append.length) return;
  rows.set(runId, [...(rows.get(runId) ?? []), ...merged.append]);
  schedule();
}

const handlers: MessageHandlers<ToMetricsWebview> = {
  init(m) {
    runs = m.runs;
    rows.clear();
    pending.clear();
    for (const [id, rs] of Object.entries(m.rows)) rows.set(id, [...rs]);
    shown = m.shown.filter((id) => runInfo(id));
    focus = m.focus && runInfo(m.focus) ? m.focus : (shown[0] ?? null);
    backend = m.backend;
    overlay = m.overlay;
    persist();
    schedule(true);
  },
  rows(m) {
    if (!shown.includes(m.runId)) return;
    append(m.runId, m.from, m.rows);
  },
  runs(m) {
    runs = m.runs;
    shown = shown.filter((id) => runInfo(id));
    if (focus && !runInfo(focus)) focus = shown[0] ?? null;
    schedule(true);
  },
  backend(m) {
    backend = m.backend;
    schedule();
  },
  show(m) {
    for (const [id, rs] of Object.entries(m.rows)) {
      rows.delete(id);
      append(id, 0, rs);
    }
    shown = m.shown;
    focus = m.focus;
    persist();
    schedule(true);
  },
};

const channel = new MessageHandler<FromMetricsWebview, ToMetricsWebview>({
  post,
  check: trustedMessage,
  replies: {},
  handlers,
  onProblem: (message) => post({ type: 'error', message }),
});
window.addEventListener('message', (e: MessageEvent<unknown>) => channel.receive(e.data));

// ---- drawing ------------------------------------------------------------------------------------------

let frame = 0;
let structural = false;
function schedule(rebuild = false): void {
  structural ||= rebuild;
  if (frame) return;
  probe.busy = true;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const rebuildNow = structural;
    structural = false;
    try {
      render(rebuildNow);
    } finally {
      probe.renderCount++;
      probe.busy = false;
    }
  });
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function palette(): string[] {
  return [
    cssVar('--vscode-charts-blue', '#3794ff'),
    cssVar('--vscode-charts-orange', '#d18616'),
    cssVar('--vscode-charts-green', '#89d185'),
    cssVar('--vscode-charts-purple', '#b180d7'),
    cssVar('--vscode-charts-red', '#f14c4c'),
    cssVar('--vscode-charts-yellow', '#cca700'),
  ];
}

interface ChartSpec {
  id: string;
  /** Per run, the series to draw with their label suffix and whether dashed (validation). */
  pick: (s: ReturnType<typeof seriesOf>) => { name: string; points: Point[]; dashed: boolean }[];
  log?: boolean;
  percent?: boolean;
}

const CHARTS: ChartSpec[] = [
  { id: 'chart-loss', pick: (s) => [{ name: 'train', points: s.trainLoss, dashed: false }, { name: 'val', points: s.valLoss, dashed: true }] },
  { id: 'chart-accuracy', percent: true, pick: (s) => [{ name: 'train', points: s.trainAcc, dashed: false }, { name: 'val', points: s.valAcc, dashed: true }] },
  { id: 'chart-lr', pick: (s) => [{ name: 'lr', points: s.lr, dashed: false }] },
  { id: 'chart-ips', pick: (s) => [{ name: 'img/s', points: s.imagesPerSecond, dashed: false }] },
];

const plots = new Map<string, { plot: uPlot; key: string }>();

function label(id: string): string {
  const info = runInfo(id);
  return info ? `${info.model} · ${id.slice(0, 15)}` : id;
}

function drawCharts(rebuild: boolean): void {
  const colours = palette();
  const fg = cssVar('--vscode-foreground', '#cccccc');
  const grid = cssVar('--vscode-editorWidget-border', '#454545');
  const ids = shown.filter((id) => rows.has(id));
  for (const spec of CHARTS) {
    const el = $(spec.id);
    const per = ids.map((id, k) => ({ id, colour: colours[k % colours.length]!, parts: spec.pick(seriesOf(rows.get(id)!)) }));
    // A run with nothing to draw yet (just started, or failed before its first step) gets no legend entry.
    // One run: train and validation in two colours. Several: a colour per run, validation dashed.
    const single = ids.length === 1;
    const flat = per.flatMap((p) =>
      p.parts
        .filter((part) => part.points.length > 0)
        .map((part) => ({ ...part, id: p.id, colour: single && part.dashed ? colours[1]! : p.colour })),
    );
    const data = align(flat.map((f) => f.points)) as uPlot.AlignedData;
    const key = flat.map((f) => `${f.id}/${f.name}`).join('|');
    const width = Math.max(240, el.clientWidth || 400);
    const existing = plots.get(spec.id);
    if (existing && existing.key === key && !rebuild) {
      existing.plot.setData(data);
      if (Math.abs(existing.plot.width - width) > 2) existing.plot.setSize({ width, height: 200 });
      continue;
    }
    existing?.plot.destroy();
    const opts: uPlot.Options = {
      width,
      height: 200,
      legend: { show: flat.length > 0 },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, label: 'step', labelSize: 18 },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: 56,
          ...(spec.percent ? { values: (_u: uPlot, vals: number[]) => vals.map((v) => `${Math.round(v * 100)}%`) } : {}),
        },
      ],
      series: [
        { label: 'step' },
        ...flat.map((f) => ({
          label: ids.length > 1 ? `${label(f.id)} ${f.name}` : f.name,
          stroke: f.colour,
          width: 1.5,
          spanGaps: true,
          points: { show: f.points.length < 3 || f.dashed, size: 4 },
          ...(f.dashed ? { dash: [5, 4] } : {}),
        })),
      ],
    };
    el.replaceChildren();
    plots.set(spec.id, { plot: new uPlot(opts, data, el), key });
  }
}

function drawHeader(): void {
  const info = focus ? runInfo(focus) : undefined;
  const rs = focus ? (rows.get(focus) ?? []) : [];
  const h = headerOf(rs, Date.now() / 1000);
  $('title').textContent = info ? `${info.model} — ${info.id}` : 'No run selected';
  const badge = $('run-status');
  const status = info ? (h.ended ?? info.status) : null;
  badge.hidden = !status;
  badge.textContent = status ?? '';
  badge.className = `badge ${status ?? ''}`;
  $('backend').textContent = h.backend ? `backend: ${h.backend}` : info ? `backend: ${info.backend}` : '';
  $('device').textContent = h.device ? `device: ${h.device}` : '';
  const input = info?.inputShape.length === 4 ? `${info.inputShape[1]}×${info.inputShape[2]}×${info.inputShape[3]}` : '';
  $('data').textContent = info ? `data: ${info.data}${input ? ` · input ${input}` : ''}` : '';
  $('data').title = info?.inputFrom ? `Input shape from ${info.inputFrom}` : 'Data';
  const interp = $('interpreter');
  interp.textContent = info?.interpreter ? `interpreter: ${info.interpreter}${h.runtime && info.backend === 'tfjs' ? ` · ${h.runtime}` : ''} — ${info.interpreterReason ?? ''}` : '';
  const deviceWhy = h.deviceReason || info?.deviceReason || '';
  $('device-reason').textContent = deviceWhy ? `device: ${deviceWhy}` : '';
  $('activity').textContent = activityOf(h, status === 'running') ?? '';
  const pct = h.progress === null ? 0 : Math.round(h.progress * 1000) / 10;
  const bar = $('progress-bar');
  bar.style.width = `${pct}%`;
  const progress = $('progress');
  progress.setAttribute('aria-valuenow', String(pct));
  progress.classList.toggle('failed', status === 'failed');
  $('progress-text').textContent = info
    ? `epoch ${h.epoch ?? '–'}/${h.epochs ?? info.epochs} · step ${h.step}${h.totalSteps ? `/${h.totalSteps}` : ''}${h.lastLoss !== null ? ` · loss ${h.lastLoss.toFixed(4)}` : ''}${h.lastValAccuracy !== null ? ` · val acc ${(h.lastValAccuracy * 100).toFixed(1)}%` : ''}`
    : '';
  $('eta').textContent = status === 'running' && h.eta !== null ? `ETA ${formatDuration(h.eta)}` : '';
  const err = $('error');
  const error = h.error ?? (info?.status === 'failed' ? info.error : null) ?? null;
  err.hidden = !error;
  err.textContent = error ? `Failed: ${error}` : '';
  const stop = $<HTMLButtonElement>('stop');
  stop.disabled = !(info && status === 'running' && info.stoppable);
  $('resume').hidden = !(info && info.resumable && (status === 'interrupted' || status === 'stopped' || status === 'failed'));
  const install = $<HTMLButtonElement>('install-native');
  install.hidden = !(info?.backend === 'tfjs' && backend.nativePackages.length === 0);
  install.disabled = backend.installing;
  install.textContent = backend.installing ? 'Installing the native TF.js backend…' : 'Install native TF.js backend';
}

/** The overlay control: offered only when the focused run's model has other runs. */
function drawOverlayControl(): void {
  const others = overlayCandidates(runs, focus);
  const control = $('overlay-control');
  control.hidden = others.length === 0;
  const box = $<HTMLInputElement>('overlay');
  box.checked = overlay && shown.length > 1;
  const model = focus ? runInfo(focus)?.model : undefined;
  $('overlay-label').textContent = `Overlay earlier runs of ${model ?? 'this model'} (${others.length})`;
}

function drawRunList(): void {
  const body = $('runs');
  const focused = focus ? runInfo(focus) : undefined;
  $('no-runs').hidden = runs.length > 0;
  const trs = runs.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset['runId'] = r.id;
    if (r.id === focus) tr.classList.add('focus');
    const cell = (text: string, cls?: string) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      return td;
    };
    const tick = document.createElement('td');
    // Only runs of the focused run's model can be drawn with it: curves of different models mislead.
    if (focused && isSameModel(r, focused)) {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = shown.includes(r.id);
      box.disabled = r.id === focused.id;
      box.setAttribute('aria-label', `Overlay ${r.model} ${r.id}`);
      box.addEventListener('change', () => setShown(r.id, box.checked));
      tick.append(box);
    } else {
      tick.title = 'Another model: focus it to see its runs';
    }
    const name = document.createElement('td');
    const link = document.createElement('button');
    link.type = 'button';
    link.className = 'link';
    link.textContent = `${r.model} · ${r.id}`;
    link.title = `${r.inputShape.join('×')} · batch ${r.batchSize} · lr ${r.lr} · ${r.optimizer} · ${r.data}`;
    link.addEventListener('click', () => setFocus(r.id));
    name.append(link);
    const best = bestValAccuracy(rows.get(r.id));
    const when = new Date(r.createdAt);
    tr.append(
      tick,
      name,
      cell(r.status, `status ${r.status}`),
      cell(r.backend),
      cell(String(r.epochs), 'num'),
      cell(best === null ? '–' : `${(best * 100).toFixed(1)}%`, 'num'),
      cell(Number.isNaN(when.getTime()) ? r.createdAt : when.toLocaleString()),
    );
    return tr;
  });
  body.replaceChildren(...trs);
}

// ---- the focused run's layers: health alerts and a sortable table with sparklines ---------------------

let layerSort: { key: SortKey; descending: boolean } = { key: 'order', descending: false };
const SVG = 'http://www.w3.org/2000/svg';

function sparkline(points: [number, number][] | undefined): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', '60');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('spark');
  const d = points && points.length > 1 ? sparklinePath(points, 60, 14) : '';
  if (d) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    path.setAttribute('transform', 'translate(0 1)');
    svg.append(path);
  }
  return svg;
}

function drawLayers(): void {
  const view = layerView(focus ? (rows.get(focus) ?? []) : []);
  const section = $('layers');
  section.hidden = view.lines.length === 0;
  probe.layers = view.lines.length;
  probe.alerts = view.alerts.map((a) => a.message);
  if (section.hidden) return;
  $('layers-step').textContent = view.step !== null ? `telemetry at step ${view.step}` : '';
  const list = $('alerts');
  list.hidden = view.alerts.length === 0;
  list.replaceChildren(
    ...view.alerts.map((a) => {
      const li = document.createElement('li');
      li.className = `alert ${a.kind}`;
      li.textContent = a.message;
      return li;
    }),
  );
  // Only the statistics this run reports get a column.
  const stats = LAYER_STATS.filter((s) => view.lines.some((l) => l.latest[s] !== undefined));
  const head = $('layer-head');
  const th = (key: SortKey, text: string) => {
    const cell = document.createElement('th');
    cell.scope = 'col';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.dataset['sort'] = key;
    const active = layerSort.key === key || (key === 'module' && layerSort.key === 'order');
    b.textContent = text + (active && layerSort.key !== 'order' ? (layerSort.descending ? ' ▼' : ' ▲') : '');
    cell.setAttribute('aria-sort', active && layerSort.key !== 'order' ? (layerSort.descending ? 'descending' : 'ascending') : 'none');
    b.addEventListener('click', () => {
      // Numbers sort largest first on the first click (the outliers are what one looks for).
      layerSort = layerSort.key === key ? { key, descending: !layerSort.descending } : { key, descending: key !== 'module' };
      drawLayers();
    });
    cell.append(b);
    return cell;
  };
  head.replaceChildren(th('module', 'Layer'), ...stats.map((s) => th(s, STAT_LABELS[s])));
  const body = $('layer-body');
  body.replaceChildren(
    ...sortLines(view.lines, layerSort.key, layerSort.descending).map((line) => {
      const tr = document.createElement('tr');
      tr.dataset['module'] = line.module;
      if (line.alerts.length) {
        tr.classList.add('alerting');
        tr.title = line.alerts.map((a) => a.message).join('\n');
      }
      const name = document.createElement('td');
      name.textContent = line.module;
      tr.append(name);
      for (const s of stats) {
        const td = document.createElement('td');
        td.className = 'num';
        const v = line.latest[s as LayerStat];
        if (v !== undefined) {
          const text = document.createElement('span');
          text.textContent = formatStat(v, s);
          td.append(sparkline(line.history[s]), text);
        }
        tr.append(td);
      }
      return tr;
    }),
  );
}

function render(rebuild: boolean): void {
  drawHeader();
  drawOverlayControl();
  drawRunList();
  drawCharts(rebuild);
  drawLayers();
}

function select(): void {
  persist();
  const have: Record<string, number> = {};
  for (const id of shown) have[id] = rows.get(id)?.length ?? 0;
  post({ type: 'select', shown, focus, have, overlay });
  schedule(true);
}

function setShown(id: string, on: boolean): void {
  shown = on ? [...shown.filter((x) => x !== id), id] : shown.filter((x) => x !== id);
  if (!on) rows.delete(id);
  if (on && !focus) focus = id;
  if (!on && focus === id) focus = shown[0] ?? null;
  // Ticking a run is choosing the overlay; unticking the last one leaves it.
  overlay = shown.length > 1;
  select();
}

function setFocus(id: string): void {
  const next = shownForFocus(runs, id, overlay, shown);
  for (const old of shown) if (!next.includes(old)) rows.delete(old);
  focus = id;
  shown = next.length ? next : [id];
  select();
}

$<HTMLInputElement>('overlay').addEventListener('change', (e) => {
  overlay = (e.target as HTMLInputElement).checked;
  if (!focus) return;
  const next = shownForFocus(runs, focus, overlay, []);
  for (const old of shown) if (!next.includes(old)) rows.delete(old);
  shown = next;
  select();
});

$('stop').addEventListener('click', () => {
  if (focus) post({ type: 'stop', runId: focus });
  $<HTMLButtonElement>('stop').disabled = true;
});
$('resume').addEventListener('click', () => {
  if (focus) post({ type: 'resume', runId: focus });
});
$('install-native').addEventListener('click', () => post({ type: 'installBackend' }));
$('export-csv').addEventListener('click', () => {
  const ids = shown.length ? shown : focus ? [focus] : [];
  const parts = ids.flatMap((id) => {
    const info = runInfo(id);
    return info ? [{ info, rows: rows.get(id) ?? [] }] : [];
  });
  const name = ids.length === 1 ? `${ids[0]}.csv` : 'training-runs.csv';
  post({ type: 'saveCsv', fileName: name, csv: toCsv(parts) });
});

let resizeFrame = 0;
new ResizeObserver(() => {
  if (resizeFrame) return;
  resizeFrame = requestAnimationFrame(() => {
    resizeFrame = 0;
    schedule();
  });
}).observe($('charts'));
// The ETA counts down between status rows.
setInterval(() => {
  if (focus && runInfo(focus)?.status === 'running') drawHeader();
}, 1000);

post({ type: 'ready' });
