/**
 * Layer telemetry in the TF.js runner, as far as its API allows: at a sampled step the optimiser's minimize()
 * is split into computeGradients() and applyGradients() (what minimize does inside), which gives each layer's
 * gradient norm, weight norm and update-to-weight ratio, keyed by the IR node the layer was built from. The
 * activation statistics, ReLU zero fractions and branch-to-skip ratios need every layer's output and are
 * recorded by the PyTorch runner only.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { IrGraph } from '../core/ir';
import type { RowDraft } from '../protocol/trainingProtocol';

type TF = typeof tfTypes;

/** The name `tfjsModel.ts` gives a layer built from an IR node: the node's name made a valid layer name. */
const sanitised = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '') || 'layer';

const short = (v: number): number => Number(v.toPrecision(4));

export class TfjsTelemetry {
  /** Per IR node name, the indices into the variable list of its weights. */
  private readonly layers: { module: string; vars: number[] }[] = [];

  constructor(
    private readonly tf: TF,
    readonly every: number,
    graph: IrGraph,
    weights: readonly { originalName?: string; name: string }[],
  ) {
    const bySanitised = new Map(graph.nodes.map((n) => [sanitised(n.name), n.name]));
    const byLayer = new Map<string, number[]>();
    weights.forEach((w, i) => {
      const layer = (w.originalName ?? w.name).split('/')[0]!;
      const list = byLayer.get(layer);
      if (list) list.push(i);
      else byLayer.set(layer, [i]);
    });
    for (const [layer, vars] of byLayer) this.layers.push({ module: bySanitised.get(layer) ?? layer, vars });
  }

  /** Whether the step about to be taken (counted from 1) is sampled. */
  wants(step: number): boolean {
    return this.every > 0 && (step === 1 || step % this.every === 0);
  }

  /**
   * One optimiser step with telemetry: minimize() in its two halves, the norms measured around them. Returns the
   * cost (a scalar the caller disposes) and the rows for `step`.
   */
  async step(optimizer: tfTypes.Optimizer, f: () => tfTypes.Scalar, vars: tfTypes.Variable[], step: number): Promise<{ cost: tfTypes.Scalar; rows: RowDraft[] }> {
    const tf = this.tf;
    const { value, grads } = optimizer.computeGradients(f, vars);
    const before = vars.map((v) => tf.clone(v));
    const sq = (t: tfTypes.Tensor) => tf.sum(tf.square(t));
    const stats = tf.tidy(() =>
      tf.stack(
        this.layers.flatMap((l) => [
          tf.sqrt(tf.addN(l.vars.map((i) => sq(grads[vars[i]!.name] ?? tf.zeros([]))))),
          tf.sqrt(tf.addN(l.vars.map((i) => sq(vars[i]!)))),
        ]),
      ),
    );
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    const upd = tf.tidy(() => tf.stack(this.layers.map((l) => tf.sqrt(tf.addN(l.vars.map((i) => sq(tf.sub(vars[i]!, before[i]!))))))));
    tf.dispose(before);
    const [s, u] = [await stats.data(), await upd.data()];
    tf.dispose([stats, upd]);
    const rows: RowDraft[] = this.layers.map((l, k) => {
      const g = s[2 * k]!;
      const w = s[2 * k + 1]!;
      const ratio = w > 0 ? u[k]! / w : u[k] === 0 ? 0 : Infinity;
      const values = { gradNorm: g, weightNorm: w, updateRatio: ratio };
      const bad = Object.entries(values).filter(([, v]) => !Number.isFinite(v)).map(([k2]) => k2);
      const row: RowDraft = { type: 'layer', step, module: l.module };
      for (const [key, v] of Object.entries(values)) if (Number.isFinite(v)) (row as Record<string, unknown>)[key] = short(v);
      if (bad.length) (row as { nonFinite?: string[] }).nonFinite = bad;
      return row;
    });
    return { cost: value, rows };
  }
}
