/**
 * Layer telemetry on the graph, as data: the sampled steps of a run (the step slider's stops), each layer's
 * value of one statistic at a chosen step (the newest sample at or before it, so a live run and a replay read
 * the same way), the heat level of each value on the params/MACs heat's scale (a logarithm between the
 * smallest and largest non-zero value drawn, at least a tint for anything non-zero), and a skip edge's width
 * from its add's branch-to-skip ratio. Pure (no DOM, no cytoscape): the graph view applies it.
 */
import { currentRows } from '../../src/protocol/trainingAttempts';
import type { LayerRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { layerRows } from '../../src/protocol/trainingHealth';

export const TELEMETRY_METRICS = ['gradNorm', 'weightNorm', 'updateRatio', 'actMean', 'actStd', 'zeroFraction', 'deadFraction', 'branchRatio'] as const;
export type TelemetryMetric = (typeof TELEMETRY_METRICS)[number];

/** A run's telemetry indexed for the overlay: rows per module in step order, and every sampled step. */
export interface TelemetryIndex {
  steps: number[];
  byModule: Map<string, LayerRow[]>;
}

export function indexTelemetry(rows: readonly TrainingRow[]): TelemetryIndex {
  const byModule = new Map<string, LayerRow[]>();
  const steps = new Set<number>();
  for (const r of layerRows(currentRows(rows))) {
    steps.add(r.step);
    const list = byModule.get(r.module);
    if (list) list.push(r);
    else byModule.set(r.module, [r]);
  }
  for (const list of byModule.values()) list.sort((a, b) => a.step - b.step);
  return { steps: [...steps].sort((a, b) => a - b), byModule };
}

/** The value of `metric` per module at `step`: its newest sample at or before it; NaN when that was not finite. */
export function valuesAt(index: TelemetryIndex, metric: TelemetryMetric, step: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [module, list] of index.byModule) {
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.step <= step) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // The newest sample that carries the statistic (a ReLU row has no gradient norm, and so on).
    for (let i = found; i >= 0; i--) {
      const r = list[i]!;
      const v = r[metric];
      if (typeof v === 'number') {
        out.set(module, v);
        break;
      }
      if (r.nonFinite?.includes(metric)) {
        out.set(module, NaN);
        break;
      }
    }
  }
  return out;
}

/**
 * Heat levels in [0, 1] for values drawn together, on the params/MACs heat's scale: 0 for zero, 0.15 to 1 along
 * the logarithm of the magnitude between the smallest and largest non-zero one, 1 for NaN or Inf (the worst
 * there is). Magnitudes, so a negative activation mean heats like a positive one.
 */
export function heatLevels(values: ReadonlyMap<string, number>): Map<string, number> {
  let min = Infinity;
  let max = 0;
  for (const v of values.values()) {
    const a = Math.abs(v);
    if (Number.isFinite(a) && a > 0) {
      min = Math.min(min, a);
      max = Math.max(max, a);
    }
  }
  const out = new Map<string, number>();
  for (const [k, v] of values) {
    const a = Math.abs(v);
    if (!Number.isFinite(a)) out.set(k, 1);
    else if (a === 0 || max === 0) out.set(k, 0);
    else out.set(k, max > min ? 0.15 + (0.85 * (Math.log(a) - Math.log(min))) / (Math.log(max) - Math.log(min)) : 1);
  }
  return out;
}

/** Skip edge widths, in pixels, between these bounds. */
export const SKIP_WIDTH = { min: 1, base: 2.5, max: 8 } as const;

/**
 * A skip edge's width from ‖F(x)‖/‖x‖ at its add: the shortcut carries more of the sum when the branch is
 * weak, so the edge thickens as the ratio falls, by the decades below 1, and thins as the branch dominates.
 * Without a ratio it keeps the base width.
 */
export function skipWidth(branchRatio: number | undefined): number {
  if (branchRatio === undefined || !Number.isFinite(branchRatio)) return SKIP_WIDTH.base;
  if (branchRatio <= 0) return SKIP_WIDTH.max;
  const decades = -Math.log10(branchRatio); // 0 at a ratio of 1, 3 at 1e-3
  const w = decades >= 0 ? SKIP_WIDTH.base + ((SKIP_WIDTH.max - SKIP_WIDTH.base) * Math.min(decades, 3)) / 3 : SKIP_WIDTH.base - ((SKIP_WIDTH.base - SKIP_WIDTH.min) * Math.min(-decades, 1)) / 1;
  return Math.round(w * 10) / 10;
}
