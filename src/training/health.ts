/**
 * Training health from layer telemetry, for the host, the CLI and the metrics panel alike: where the runner must
 * look ({@link telemetryProbes}: the residual adds and the functional ReLUs, from the IR), and what the `layer`
 * rows it writes say is wrong ({@link healthAlerts}: exploding or vanishing gradients, dead ReLUs, collapsed
 * residual branches, NaN or Inf). Pure: no `vscode`, no Node APIs, so the webview imports it too.
 */
import type { IrGraph, IrNode, SourceRange } from '../core/ir';
import type { LayerRow } from '../protocol/trainingProtocol';

// ---------------------------------------------------------------------------------------------------------
// Probes: what the runner hooks

export interface TelemetryProbes {
  /** `add|branch|skip` module paths; a skip written `<path` is that module's input (an identity shortcut). */
  telemetryBlocks: string[];
  /** `relu|module` (the module's output is the ReLU's input) or `relu|>module` (its output is the ReLU's). */
  telemetryRelus: string[];
}

/** A module node: the front end knows where it was constructed; functional ops have no such place. */
const isModule = (n: IrNode | undefined): n is IrNode => n !== undefined && n.definedAt !== undefined;
const isRelu = (n: IrNode): boolean => n.op === 'ReLU';

/**
 * The run config's `telemetryBlocks` and `telemetryRelus` for a model's IR. Adds whose operands no module
 * produces, and functional ReLUs that no module borders, are left out: the runner can only hook modules.
 */
export function telemetryProbes(graph: IrGraph): TelemetryProbes {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const groupName = new Map(graph.groups.map((g) => [g.id, g.name]));
  const blocks: string[] = [];
  for (const s of graph.skips) {
    const add = byId.get(s.to);
    if (!add) continue;
    const skipProducer = s.via.length ? s.via[s.via.length - 1]! : s.from;
    const branch = byId.get(add.inputs.find((i) => i !== skipProducer) ?? '');
    if (!isModule(branch)) continue;
    const last = byId.get(skipProducer);
    let skip: string | undefined;
    if (isModule(last)) skip = last.name;
    else {
      // The shortcut's value is the block's input (exactly for an identity, nearly for a parameter-free one).
      const from = byId.get(s.from);
      const block = s.group !== undefined ? groupName.get(s.group) : undefined;
      if (isModule(from) && s.via.length === 0) skip = from.name;
      else if (block) skip = `<${block}`;
    }
    if (skip) blocks.push(`${add.name}|${branch.name}|${skip}`);
  }
  const parentOf = new Map(graph.groups.map((g) => [g.id, g.parent]));
  const within = (group: string | undefined, outer: string): boolean => {
    for (let g = group; g !== undefined; g = parentOf.get(g)) if (g === outer) return true;
    return false;
  };
  const relus: string[] = [];
  for (const n of graph.nodes) {
    if (!isRelu(n) || n.definedAt !== undefined) continue;
    const input = byId.get(n.inputs[0] ?? '');
    if (isModule(input)) {
      relus.push(`${n.name}|${input.name}`);
      continue;
    }
    // The last op of a module's forward: that module's output is the ReLU's.
    const g = n.group;
    const name = g !== undefined ? groupName.get(g) : undefined;
    if (g === undefined || !name) continue;
    const usedInside = graph.nodes.some((m) => m.inputs.includes(n.id) && within(m.group, g));
    if (!usedInside) relus.push(`${n.name}|>${name}`);
  }
  return { telemetryBlocks: blocks, telemetryRelus: relus };
}

// ---------------------------------------------------------------------------------------------------------
// Alerts

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

/**
 * Where each alert belongs in the source: the line that built the layer (the IR node's `definedAt`), else the
 * line that calls it (a functional ReLU, an add). Alerts whose key the IR does not know are left out.
 */
export function alertSites(graph: IrGraph, alerts: readonly HealthAlert[]): { alert: HealthAlert; range: SourceRange }[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  return alerts.flatMap((alert) => {
    const node = byName.get(alert.module);
    const range = node?.definedAt ?? node?.source;
    return range ? [{ alert, range }] : [];
  });
}
