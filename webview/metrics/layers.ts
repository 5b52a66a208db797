/**
 * The metrics panel's per-layer view, as data: one line per telemetry key (a layer, a ReLU or a residual add)
 * with each statistic's latest value and its history for a sparkline, sortable by any statistic, and the run's
 * health alerts. Pure (no DOM), so the Node tests check it; `main.ts` draws it.
 */
import { currentRows } from '../../src/protocol/trainingAttempts';
import type { LayerRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { type HealthAlert, healthAlerts, layerRows } from '../../src/protocol/trainingHealth';

export const LAYER_STATS = ['gradNorm', 'weightNorm', 'updateRatio', 'actMean', 'actStd', 'zeroFraction', 'deadFraction', 'branchRatio'] as const;
export type LayerStat = (typeof LAYER_STATS)[number];

export const STAT_LABELS: Record<LayerStat, string> = {
  gradNorm: '‖grad‖',
  weightNorm: '‖W‖',
  updateRatio: '‖ΔW‖/‖W‖',
  actMean: 'act mean',
  actStd: 'act std',
  zeroFraction: 'zeros',
  deadFraction: 'dead',
  branchRatio: '‖F(x)‖/‖x‖',
};

export interface LayerLine {
  module: string;
  /** Order of first appearance (the runner's order: layers in module order, then ReLUs, then adds). */
  order: number;
  latest: Partial<Record<LayerStat, number>>;
  /** Per statistic, [step, value] in step order; a non-finite value is NaN. */
  history: Partial<Record<LayerStat, [number, number][]>>;
  alerts: HealthAlert[];
}

export interface LayerView {
  lines: LayerLine[];
  alerts: HealthAlert[];
  /** The newest sampled step, or null when the run has no telemetry. */
  step: number | null;
}

/** The per-layer view of a run's rows (its current attempts only). */
export function layerView(rows: readonly TrainingRow[]): LayerView {
  const layers = layerRows(currentRows(rows));
  const byModule = new Map<string, LayerLine>();
  let step: number | null = null;
  for (const r of layers) {
    let line = byModule.get(r.module);
    if (!line) {
      line = { module: r.module, order: byModule.size, latest: {}, history: {}, alerts: [] };
      byModule.set(r.module, line);
    }
    step = step === null ? r.step : Math.max(step, r.step);
    for (const stat of LAYER_STATS) {
      const v = valueOf(r, stat);
      if (v === undefined) continue;
      line.latest[stat] = v;
      (line.history[stat] ??= []).push([r.step, v]);
    }
  }
  const alerts = healthAlerts(layers);
  for (const a of alerts) byModule.get(a.module)?.alerts.push(a);
  return { lines: [...byModule.values()], alerts, step };
}

function valueOf(r: LayerRow, stat: LayerStat): number | undefined {
  const v = r[stat];
  if (typeof v === 'number') return v;
  return r.nonFinite?.includes(stat) ? NaN : undefined;
}

export type SortKey = 'module' | 'order' | LayerStat;

/**
 * Lines sorted by a key. Lines without the statistic go last whichever the direction, and NaN (a non-finite
 * value) sorts above every number, so a broken layer comes first when sorting from the top.
 */
export function sortLines(lines: readonly LayerLine[], key: SortKey, descending: boolean): LayerLine[] {
  const sign = descending ? -1 : 1;
  return [...lines].sort((a, b) => {
    if (key === 'module') return sign * a.module.localeCompare(b.module) || a.order - b.order;
    if (key === 'order') return sign * (a.order - b.order);
    const x = a.latest[key];
    const y = b.latest[key];
    if (x === undefined || y === undefined) return x === y ? a.order - b.order : x === undefined ? 1 : -1;
    const rank = (v: number) => (Number.isNaN(v) ? Infinity : v);
    return sign * (rank(x) - rank(y)) || a.order - b.order;
  });
}

/**
 * An SVG path for a sparkline of `points` in a `width` x `height` box; log-scaled when every value is
 * positive and they span more than two decades (norms do). Non-finite values break the line.
 */
export function sparklinePath(points: readonly [number, number][], width: number, height: number): string {
  const finite = points.filter(([, v]) => Number.isFinite(v));
  if (!finite.length) return '';
  const useLog = finite.every(([, v]) => v > 0) && Math.max(...finite.map(([, v]) => v)) / Math.min(...finite.map(([, v]) => v)) > 100;
  const f = (v: number) => (useLog ? Math.log10(v) : v);
  const xs = points.map(([s]) => s);
  const ys = finite.map(([, v]) => f(v));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const px = (s: number) => (x1 === x0 ? width / 2 : ((s - x0) / (x1 - x0)) * width);
  const py = (v: number) => (y1 === y0 ? height / 2 : height - ((f(v) - y0) / (y1 - y0)) * height);
  let d = '';
  let pen = false;
  for (const [s, v] of points) {
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(s).toFixed(1)} ${py(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** A statistic for a table cell: three significant digits, exponents for the very small and large. */
export function formatStat(v: number | undefined, stat: LayerStat): string {
  if (v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN/Inf';
  if (stat === 'zeroFraction' || stat === 'deadFraction') return `${(v * 100).toFixed(0)}%`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(1) : String(+v.toPrecision(3));
}
