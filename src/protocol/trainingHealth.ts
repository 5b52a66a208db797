/**
 * What the `layer` rows of the training contract say is wrong with a run: exploding or vanishing gradients,
 * dead ReLUs, collapsed residual branches, NaN or Inf. The rules are part of the contract, so the CLI, the host
 * and the metrics and graph pages read the same alerts from the same rows.
 */
import type { LayerRow } from './trainingProtocol';

export type AlertKind = 'exploding' | 'vanishing' | 'dead-relu' | 'branch-collapse' | 'nonfinite';

export interface HealthAlert {
  kind: AlertKind;
  /** The IR node name (module path) the rows were keyed by. */
  module: string;
  /** The first and last sampled steps of the (longest) stretch the condition held. */
  fromStep: number;
  toStep: number;
  /** The statistic that tripped the rule, at `toStep`. */
  value: number | null;
  message: string;
}

export interface HealthThresholds {
  /** A gradient norm above this, or an update bigger than this fraction of the weights, explodes. */
  explodingGradNorm: number;
  explodingUpdateRatio: number;
  /** A gradient norm below this vanishes. */
  vanishingGradNorm: number;
  /** More than this fraction of a ReLU's units zero on a whole batch. */
  deadFraction: number;
  /** ‖F(x)‖ / ‖x‖ below this: the residual branch contributes nothing. */
  collapsedBranchRatio: number;
  /** Consecutive samples a slow condition (vanishing, dead, collapsed) must hold; exploding and NaN need one. */
  sustainedSamples: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  explodingGradNorm: 1e3,
  explodingUpdateRatio: 1,
  vanishingGradNorm: 1e-7,
  deadFraction: 0.5,
  collapsedBranchRatio: 1e-3,
  sustainedSamples: 3,
};

const fmt = (v: number): string =>
  v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4) ? v.toExponential(1).replace(/\.0e/, 'e').replace('e+', 'e') : String(+v.toPrecision(3));
const span = (a: number, b: number): string => (a === b ? `at step ${a}` : `for ${b - a} steps (${a}–${b})`);

interface Rule {
  kind: AlertKind;
  sustained: boolean;
  /** The tripping value, or undefined when the row does not trip the rule (or does not carry its statistic). */
  test(row: LayerRow, t: HealthThresholds): number | null | undefined;
  say(module: string, value: number | null, from: number, to: number, last: LayerRow): string;
}

const RULES: readonly Rule[] = [
  {
    kind: 'nonfinite',
    sustained: false,
    test: (r) => (r.nonFinite?.length ? null : undefined),
    say: (m, _v, a) => `${m}: NaN or Inf ${span(a, a)}`,
  },
  {
    kind: 'exploding',
    sustained: false,
    test: (r, t) =>
      r.gradNorm !== undefined && r.gradNorm > t.explodingGradNorm
        ? r.gradNorm
        : r.updateRatio !== undefined && r.updateRatio > t.explodingUpdateRatio
          ? r.updateRatio
          : undefined,
    say: (m, v, a, b, r) =>
      r.gradNorm !== undefined && v === r.gradNorm
        ? `${m}: gradient norm ${fmt(v)} ${span(a, b)} (exploding)`
        : `${m}: an update ${fmt(v ?? NaN)} times the weights ${span(a, b)} (exploding)`,
  },
  {
    kind: 'vanishing',
    sustained: true,
    test: (r, t) => (r.gradNorm !== undefined && r.gradNorm < t.vanishingGradNorm ? r.gradNorm : undefined),
    say: (m, v, a, b) => `${m}: gradient norm ${fmt(v ?? NaN)} ${span(a, b)} (vanishing)`,
  },
  {
    kind: 'dead-relu',
    sustained: true,
    test: (r, t) => (r.deadFraction !== undefined && r.deadFraction > t.deadFraction ? r.deadFraction : undefined),
    say: (m, v, a, b) => `${m}: ${Math.round((v ?? 0) * 100)}% of its units dead ${span(a, b)}`,
  },
  {
    kind: 'branch-collapse',
    sustained: true,
    test: (r, t) => (r.branchRatio !== undefined && r.branchRatio < t.collapsedBranchRatio ? r.branchRatio : undefined),
    say: (m, v, a, b) => `${m}: residual branch ratio ‖F(x)‖/‖x‖ ${fmt(v ?? NaN)} ${span(a, b)} (collapsed)`,
  },
];

/**
 * The alerts a run's layer rows raise, one per module and kind (the longest stretch, or the first for a
 * condition that needs one sample), in row order. Rows must be one attempt's current rows, in step order.
 */
export function healthAlerts(rows: readonly LayerRow[], thresholds: Partial<HealthThresholds> = {}): HealthAlert[] {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const byModule = new Map<string, LayerRow[]>();
  for (const r of rows) {
    const list = byModule.get(r.module);
    if (list) list.push(r);
    else byModule.set(r.module, [r]);
  }
  const alerts: HealthAlert[] = [];
  for (const [module, list] of byModule) {
    for (const rule of RULES) {
      type Stretch = { from: number; to: number; n: number; value: number | null; last: LayerRow };
      let best: Stretch | undefined;
      let run: Stretch | undefined;
      for (const r of list) {
        const v = rule.test(r, t);
        if (v === undefined) {
          run = undefined;
          continue;
        }
        run = run ? { ...run, to: r.step, n: run.n + 1, value: v, last: r } : { from: r.step, to: r.step, n: 1, value: v, last: r };
        const need = rule.sustained ? Math.min(t.sustainedSamples, list.length) : 1;
        if (run.n >= need && (!best || run.n > best.n)) best = { ...run };
        if (!rule.sustained && best) break;
      }
      if (best) alerts.push({ kind: rule.kind, module, fromStep: best.from, toStep: best.to, value: best.value, message: rule.say(module, best.value, best.from, best.to, best.last) });
    }
  }
  return alerts;
}

/** Layer rows only, from any rows. */
export const layerRows = (rows: readonly { type: string }[]): LayerRow[] => rows.filter((r): r is LayerRow => r.type === 'layer');
