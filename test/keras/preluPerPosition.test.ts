/**
 * A Keras PReLU whose slopes are not all shared over the spatial axes learns one per position, which
 * PyTorch's PReLU (one slope, or one per channel) cannot say. The catalogue keeps its weight's shape as
 * `slope_shape`; these tests hold it to TensorFlow.js (`tf.models.modelFromJSON`, scripts/kerasOracle.ts) for
 * every way of sharing the axes, channels-last and channels-first, and check that the Keras writer gives the
 * same layer back while the PyTorch and design writers refuse it with the layer's line.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeKeras } from '../../src/frontends/kerasJson';
import { writeKeras } from '../../src/codegen/kerasWriter';
import { writePyTorch } from '../../src/codegen/pytorchWriter';
import { toDesign } from '../../src/codegen/toDesign';
import { CodegenError } from '../../src/codegen/moduleTree';
import { OP_SPECS } from '../../src/core/ops';
import type { IrGraph } from '../../src/core/ir';
import { oracleCases } from './oracleCases';

/** Input -> PReLU -> Flatten -> Dense(2), in Keras 2's TF.js spelling; `first` makes the model channels-first. */
function model(batchShape: (number | null)[], sharedAxes: number[] | null, first = false): string {
  const layer = (className: string, name: string, config: Record<string, unknown>, from: string | null) => ({
    class_name: className,
    name,
    config: { name, trainable: true, dtype: 'float32', ...config },
    inbound_nodes: from ? [[[from, 0, 0, {}]]] : [],
  });
  const layers = [
    layer('InputLayer', 'input', { batch_input_shape: batchShape, sparse: false, ragged: false }, null),
    layer('PReLU', 'prelu', sharedAxes === null ? {} : { shared_axes: sharedAxes }, 'input'),
    layer('Flatten', 'flatten', { data_format: first ? 'channels_first' : 'channels_last' }, 'prelu'),
    layer('Dense', 'fc', { units: 2, activation: 'linear', use_bias: true }, 'flatten'),
  ];
  const topology = { class_name: 'Functional', config: { name: 'prelu_model', layers, input_layers: [['input', 0, 0]], output_layers: [['fc', 0, 0]] } };
  return JSON.stringify({ format: 'layers-model', generatedBy: 'keras v2.15.0', modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: topology }, weightsManifest: [] });
}

interface Case {
  label: string;
  batchShape: (number | null)[];
  sharedAxes: number[] | null;
  first?: true;
  /** The IR's `slope_shape` (channels first, batch left out), or null where PyTorch's PReLU says it. */
  slopes: number[] | null;
  numParameters: number;
}

// channels_last [N, 6, 5, 4]: Keras axis 1 is H (6), 2 is W (5), 3 is C (4); the IR holds [C, H, W].
const CASES: Case[] = [
  { label: 'no shared axes: a slope per (H, W, C)', batchShape: [null, 6, 5, 4], sharedAxes: null, slopes: [4, 6, 5], numParameters: 120 },
  { label: 'shared over H', batchShape: [null, 6, 5, 4], sharedAxes: [1], slopes: [4, 1, 5], numParameters: 20 },
  { label: 'shared over W', batchShape: [null, 6, 5, 4], sharedAxes: [2], slopes: [4, 6, 1], numParameters: 24 },
  { label: 'shared over C', batchShape: [null, 6, 5, 4], sharedAxes: [3], slopes: [1, 6, 5], numParameters: 30 },
  { label: 'shared over H and C', batchShape: [null, 6, 5, 4], sharedAxes: [1, 3], slopes: [1, 1, 5], numParameters: 5 },
  { label: 'shared over W and C', batchShape: [null, 6, 5, 4], sharedAxes: [2, 3], slopes: [1, 6, 1], numParameters: 6 },
  { label: 'shared over H and W: one per channel, as PyTorch', batchShape: [null, 6, 5, 4], sharedAxes: [1, 2], slopes: null, numParameters: 4 },
  { label: 'shared over all: one slope, as PyTorch', batchShape: [null, 6, 5, 4], sharedAxes: [1, 2, 3], slopes: null, numParameters: 1 },
  { label: 'a 1x1 image with no shared axes is one slope per channel', batchShape: [null, 1, 1, 8], sharedAxes: null, slopes: null, numParameters: 8 },
  // channels_first [N, 4, 6, 5]: Keras's axes are the IR's.
  { label: 'channels first, shared over H', batchShape: [null, 4, 6, 5], sharedAxes: [2], first: true, slopes: [4, 1, 5], numParameters: 20 },
  { label: 'channels first, no shared axes', batchShape: [null, 4, 6, 5], sharedAxes: null, first: true, slopes: [4, 6, 5], numParameters: 120 },
];

const graphOf = (file: string): IrGraph => {
  const a = analyzeKeras(file, readFileSync(file, 'utf8'));
  assert.deepEqual(a.diagnostics, [], file);
  assert.ok(a.graph, file);
  return a.graph;
};

const prelu = (g: IrGraph) => g.nodes.find((n) => n.op === 'PReLU')!;

describe('PReLU with a slope per position', () => {
  const { files, rewritten, oracle, ask } = oracleCases('rs-prelu-', CASES.map((c) => model(c.batchShape, c.sharedAxes, c.first)));

  before(async () => {
    files.forEach((f, i) => writeFileSync(rewritten[i]!, JSON.stringify(writeKeras(graphOf(f)))));
    await ask([...files, ...rewritten]);
  });

  CASES.forEach((c, i) => {
    it(`${c.label}: TF.js's parameters and output, its weight's shape in the IR`, () => {
      const o = oracle.get(files[i]!)!;
      assert.equal(o.error, null);
      const g = graphOf(files[i]!);
      assert.equal(g.params, o.params);
      assert.deepEqual([g.output], o.outputs);
      const n = prelu(g);
      assert.deepEqual(n.attrs['slope_shape'] ?? null, c.slopes);
      assert.equal(n.attrs['num_parameters'], c.numParameters);
      assert.equal(n.params, c.numParameters);
      assert.equal(n.macs, 0, 'an activation counts no MACs');
      assert.deepEqual(n.outputShape, n.inputShapes[0]);
    });

    it(`${c.label}: written back as Keras, the same layer and TF.js's numbers`, () => {
      const before = graphOf(files[i]!);
      const after = graphOf(rewritten[i]!);
      const o = oracle.get(rewritten[i]!)!;
      assert.equal(o.error, null);
      assert.deepEqual([after.params, after.output], [before.params, before.output]);
      assert.equal(o.params, before.params);
      assert.deepEqual(prelu(after).attrs, prelu(before).attrs);
      if (c.sharedAxes !== null && c.slopes !== null) {
        const written = JSON.parse(readFileSync(rewritten[i]!, 'utf8')).modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'PReLU');
        // The writer is channels-last: a channels-first model's axes move, a channels-last one's stay.
        if (!c.first) assert.deepEqual(written.config.shared_axes, c.sharedAxes);
      }
    });
  });
});

describe('the fixture with a slope per position ahead of a squeeze-and-excitation gate', () => {
  for (const file of ['test/fixtures/keras/unknown-upstream.keras2.model.json', 'test/fixtures/keras/unknown-upstream.keras3.json']) {
    const g = graphOf(file);

    it(`${file}: read exactly, the PReLU's 12 x 12 x 16 slopes counted`, () => {
      const n = prelu(g);
      assert.deepEqual(n.attrs['slope_shape'], [16, 12, 12]);
      assert.equal(n.params, 2304);
      assert.deepEqual(n.outputShape, [1, 16, 12, 12]);
      assert.equal(g.params, 6455);
      assert.deepEqual(g.output, [1, 3]);
    });

    it(`${file}: the PyTorch writer refuses it, naming the layer and its line`, () => {
      assert.throws(
        () => writePyTorch(g),
        (e: unknown) =>
          e instanceof CodegenError &&
          /PReLU 'prelu' at unknown-upstream\.keras[23](\.model)?\.json:\d+ as PyTorch: nn\.PReLU learns one slope or one per channel, not one per position/.test(e.message) &&
          e.message.includes(`:${prelu(g).source!.line} as PyTorch`),
      );
    });

    it(`${file}: a design cannot hold it either, and says so`, () => {
      assert.throws(() => toDesign(g), (e: unknown) => e instanceof CodegenError && /PReLU 'prelu' at .*:\d+ in a design: a design's PReLU has no slope_shape/.test(e.message));
    });
  }
});

describe('the rule', () => {
  const infer = (slopes: number[], input: number[]) => OP_SPECS.PReLU.infer({ num_parameters: 1, init: 0.25, slope_shape: slopes }, [input]);

  it('keeps the shape and counts the slopes', () => {
    assert.deepEqual(infer([16, 1, 12], [2, 16, 12, 12]), { shape: [2, 16, 12, 12], params: 192, macs: 0, issues: [] });
  });

  it('refuses an input its slopes do not fit, as Keras does when a layer built for one size is called on another', () => {
    for (const input of [
      [1, 16, 10, 10],
      [1, 16, 12],
    ]) {
      const r = infer([16, 12, 12], input);
      assert.equal(r.shape, null);
      assert.equal(r.params, 2304);
      assert.deepEqual(
        r.issues.map((x) => [x.severity, x.code]),
        [['error', 'shape/broadcast']],
      );
    }
  });

  it('leaves the PyTorch PReLU as it was', () => {
    assert.deepEqual(OP_SPECS.PReLU.infer({ num_parameters: 8, init: 0.25 }, [[2, 8, 3, 3]]), { shape: [2, 8, 3, 3], params: 8, macs: 0, issues: [] });
    assert.equal(OP_SPECS.PReLU.infer({ num_parameters: 4, init: 0.25 }, [[2, 8, 3, 3]]).shape, null);
  });
});
