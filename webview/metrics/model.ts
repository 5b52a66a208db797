/**
 * What the metrics panel derives from rows: chart series, the focus run's header (progress, ETA, backend,
 * device, error) and CSV. Pure, so it is unit-tested in Node; `main.ts` only draws it. The panel holds every
 * row of `metrics.jsonl` (its batches are numbered by file position); what it derives leaves out the rows a
 * later attempt redid, by the one rule in `trainingAttempts.ts`.
 */
import type { MetricRow, RunInfo, TrainingRow } from '../../src/protocol/metricsProtocol';
import { currentRows, supersededMask } from '../../src/protocol/trainingAttempts';

export interface Point {
  x: number;
  y: number;
}

export interface RunSeries {
  trainLoss: Point[];
  valLoss: Point[];
  trainAcc: Point[];
  valAcc: Point[];
  lr: Point[];
  imagesPerSecond: Point[];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Series by optimiser step. Train curves use the per-window rows; a run whose epochs are shorter than its
 * logging interval has only per-epoch rows, and those are used instead.
 */
export function seriesOf(rows: readonly TrainingRow[]): RunSeries {
  const metric = currentRows(rows).filter((r): r is MetricRow => r.type === 'metric');
  const train = metric.filter((r) => r.split === 'train');
  const windows = train.filter((r) => r.scope !== 'epoch');
  const trainCurve = windows.length ? windows : train;
  const val = metric.filter((r) => r.split === 'val');
  const pts = (rs: MetricRow[], f: (r: MetricRow) => unknown): Point[] =>
    rs.flatMap((r) => {
      const y = f(r);
      return finite(y) && finite(r.step) ? [{ x: r.step, y }] : [];
    });
  return {
    trainLoss: pts(trainCurve, (r) => r.loss),
    valLoss: pts(val, (r) => r.loss),
    trainAcc: pts(trainCurve, (r) => r.accuracy),
    valAcc: pts(val, (r) => r.accuracy),
    lr: pts(trainCurve, (r) => r.lr),
    imagesPerSecond: pts(trainCurve, (r) => r.imagesPerSecond),
  };
}

export interface HeaderInfo {
  backend: string;
  device: string;
  /** Why that backend and device, as the runner says (TF.js). */
  deviceReason: string;
  /** The library that trains, with its version: `@tensorflow/tfjs 4.22.0`, `torch 1.13.1`. */
  runtime: string;
  /** A metric row has come: until then the run has no step to show, and `activity` says what it does. */
  measured: boolean;
  epoch: number | null;
  epochs: number | null;
  step: number;
  totalSteps: number | null;
  /** 0..1, or null when the total is not known yet. */
  progress: number | null;
  /** Seconds left now (the last reported ETA less the time since), or null. */
  eta: number | null;
  lastLoss: number | null;
  lastValAccuracy: number | null;
  ended: 'completed' | 'failed' | 'stopped' | null;
  error: string | null;
  message: string | null;
}

/** The focus run's header from its rows; `now` in seconds since the epoch. */
export function headerOf(rows: readonly TrainingRow[], now: number): HeaderInfo {
  let backend = '';
  let device = '';
  let deviceReason = '';
  let runtime = '';
  let measured = false;
  let epochs: number | null = null;
  let spe: number | null = null;
  let total: number | null = null;
  let epoch: number | null = null;
  let step = 0;
  let eta: number | null = null;
  let etaAt: number | null = null;
  let lastLoss: number | null = null;
  let lastVal: number | null = null;
  let ended: HeaderInfo['ended'] = null;
  let error: string | null = null;
  let message: string | null = null;
  for (const r of currentRows(rows)) {
    // Any row after an end row belongs to a new attempt (a resume): the run is going again.
    if (r.type !== 'end') {
      ended = null;
      error = null;
    }
    if (r.type === 'status') {
      if (r.backend) backend = r.backend;
      if (r.device) device = r.device;
      if (r.deviceReason) deviceReason = r.deviceReason;
      if (r.runtime) runtime = r.runtimeVersion ? `${r.runtime} ${r.runtimeVersion}` : r.runtime;
      if (finite(r.epochs)) epochs = r.epochs;
      if (finite(r.stepsPerEpoch)) spe = r.stepsPerEpoch;
      if (finite(r.totalSteps)) total = r.totalSteps;
      if (finite(r.epoch)) epoch = r.epoch;
      if (finite(r.step)) step = Math.max(step, r.step);
      if (r.message) message = r.message;
      if (finite(r.eta)) {
        eta = r.eta;
        etaAt = finite(r.time) ? r.time : null;
      }
    } else if (r.type === 'metric') {
      measured = true;
      step = Math.max(step, r.step);
      epoch = r.epoch;
      if (r.split === 'train' && finite(r.loss)) lastLoss = r.loss;
      if (r.split === 'val' && finite(r.accuracy)) lastVal = r.accuracy;
    } else if (r.type === 'end') {
      ended = r.status;
      error = r.error ?? null;
    }
  }
  if (total === null && epochs !== null && spe !== null) total = epochs * spe;
  const progress = ended === 'completed' ? 1 : total ? Math.min(1, step / total) : null;
  let etaNow: number | null = null;
  if (!ended && eta !== null) etaNow = Math.max(0, eta - (etaAt !== null ? Math.max(0, now - etaAt) : 0));
  return { backend, device, deviceReason, runtime, measured, epoch, epochs, step, totalSteps: total, progress, eta: etaNow, lastLoss, lastValAccuracy: lastVal, ended, error, message };
}

/**
 * What a running run is doing when its step alone says nothing (no metric row yet): the runner's last
 * message ("measuring first batch…", or the first batch's estimate), or that it is starting. Null once it
 * has metrics or has ended, so "step 0" never stands alone.
 */
export function activityOf(h: Pick<HeaderInfo, 'measured' | 'ended' | 'message'>, running: boolean): string | null {
  if (!running || h.ended || h.measured) return null;
  return h.message ?? 'starting: loading the model and the data…';
}

export function bestValAccuracy(rows: readonly TrainingRow[] | undefined): number | null {
  let best: number | null = null;
  for (const r of currentRows(rows ?? [])) if (r.type === 'metric' && r.split === 'val' && finite(r.accuracy)) best = best === null ? r.accuracy : Math.max(best, r.accuracy);
  return best;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

const CSV_COLUMNS = ['run', 'model', 'backend', 'row', 'type', 'split', 'scope', 'epoch', 'step', 'loss', 'accuracy', 'lr', 'imagesPerSecond', 'time', 'status', 'error'] as const;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Metric and end rows of the given runs that still count, one line each, with the run and the row's index in metrics.jsonl. */
export function toCsv(runs: readonly { info: Pick<RunInfo, 'id' | 'model' | 'backend'>; rows: readonly TrainingRow[] }[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const { info, rows } of runs) {
    const superseded = supersededMask(rows);
    rows.forEach((r, i) => {
      if (superseded[i] || (r.type !== 'metric' && r.type !== 'end')) return;
      const common = { run: info.id, model: info.model, backend: info.backend, row: i, type: r.type, time: r.time };
      const rec: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>> =
        r.type === 'metric'
          ? {
              ...common,
              split: r.split,
              scope: r.split === 'train' ? (r.scope ?? 'window') : undefined,
              epoch: r.epoch,
              step: r.step,
              loss: r.loss,
              accuracy: r.accuracy,
              lr: r.lr,
              imagesPerSecond: r.imagesPerSecond,
            }
          : { ...common, status: r.status, error: r.error };
      lines.push(CSV_COLUMNS.map((c) => csvCell(rec[c])).join(','));
    });
  }
  return lines.join('\n') + '\n';
}

/**
 * Joins per-run point lists into uPlot's aligned form: one sorted x array and a y array per series, with
 * null where a series has no point at that x (drawn as a continuous line with gaps spanned).
 */
export function align(series: readonly Point[][]): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) y[index.get(p.x)!] = p.y;
    return y;
  });
  return [xs, ...ys];
}
