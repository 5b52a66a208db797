/**
 * Keras's LayerNormalization is nn.LayerNorm only where it normalises the axes PyTorch's does: the trailing
 * dimensions in the IR's (channels-first) order. These tests hold the reader to TensorFlow.js
 * (`tf.models.modelFromJSON`, scripts/kerasOracle.ts) for each axis choice and each affine switch, check the
 * Keras writer gives the same layer back, and that the choices PyTorch cannot express are refused by name.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeKeras } from '../../src/frontends/kerasJson';
import { writeKeras } from '../../src/codegen/kerasWriter';
import { writePyTorch } from '../../src/codegen/pytorchWriter';
import type { Analysis, IrGraph } from '../../src/core/ir';
import { oracleCases } from './oracleCases';

/**
 * Input -> LayerNormalization -> Flatten -> Dense(2), in Keras 2's TF.js spelling; with `flatFirst` the
 * image is flattened before the norm (the Keras writer takes image inputs only).
 */
function model(batchShape: (number | null)[], norm: Record<string, unknown>, flatFirst = false): string {
  const layer = (className: string, name: string, config: Record<string, unknown>, from: string | null) => ({
    class_name: className,
    name,
    config: { name, trainable: true, dtype: 'float32', ...config },
    inbound_nodes: from ? [[[from, 0, 0, {}]]] : [],
  });
  const layers = [
    layer('InputLayer', 'input', { batch_input_shape: batchShape, sparse: false, ragged: false }, null),
    layer('LayerNormalization', 'norm', { epsilon: 0.001, center: true, scale: true, ...norm }, flatFirst ? 'flatten' : 'input'),
    layer('Flatten', 'flatten', { data_format: 'channels_last' }, flatFirst ? 'input' : 'norm'),
    layer('Dense', 'fc', { units: 2, activation: 'linear', use_bias: true }, flatFirst ? 'norm' : 'flatten'),
  ];
  const topology = { class_name: 'Functional', config: { name: 'norm_model', layers, input_layers: [['input', 0, 0]], output_layers: [['fc', 0, 0]] } };
  return JSON.stringify({ format: 'layers-model', generatedBy: 'keras v2.15.0', modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: topology }, weightsManifest: [] });
}

interface Case {
  label: string;
  batchShape: (number | null)[];
  norm: Record<string, unknown>;
  flatFirst?: true;
  /** The IR's normalized_shape, or the reason the reader gives for refusing the layer. */
  want: { normalizedShape: number[]; params: number; weightOnly?: true } | { refused: RegExp };
}

// channels_last [N, 6, 5, 4]: Keras axis 1 is H (6), 2 is W (5), 3 is C (4); the IR holds [C, H, W].
const CASES: Case[] = [
  { label: 'every axis but the batch', batchShape: [null, 6, 5, 4], norm: { axis: [1, 2, 3] }, want: { normalizedShape: [4, 6, 5], params: 240 } },
  { label: 'the width alone', batchShape: [null, 6, 5, 4], norm: { axis: 2 }, want: { normalizedShape: [5], params: 10 } },
  { label: 'height and width', batchShape: [null, 6, 5, 4], norm: { axis: [-3, -2] }, want: { normalizedShape: [6, 5], params: 60 } },
  { label: 'the features of a flattened image', batchShape: [null, 6, 5, 4], flatFirst: true, norm: { axis: -1 }, want: { normalizedShape: [120], params: 240 } },
  { label: 'a scale without a shift', batchShape: [null, 6, 5, 4], norm: { axis: 2, center: false }, want: { normalizedShape: [5], params: 5, weightOnly: true } },
  { label: 'neither scale nor shift', batchShape: [null, 6, 5, 4], flatFirst: true, norm: { axis: -1, center: false, scale: false }, want: { normalizedShape: [120], params: 0 } },
  { label: "an image's channels (the default axis)", batchShape: [null, 6, 5, 4], norm: { axis: -1 }, want: { refused: /is not the trailing dimensions nn\.LayerNorm normalises/ } },
  { label: 'a shift without a scale', batchShape: [null, 6, 5, 4], flatFirst: true, norm: { axis: -1, scale: false }, want: { refused: /a shift learned without a scale has no nn\.LayerNorm/ } },
];

const read = (file: string): Analysis => analyzeKeras(file, readFileSync(file, 'utf8'));

const graphOf = (file: string): IrGraph => {
  const a = read(file);
  assert.deepEqual(a.diagnostics, [], file);
  assert.ok(a.graph, file);
  return a.graph;
};

const norm = (g: IrGraph) => g.nodes.find((n) => n.op === 'LayerNorm');

describe('LayerNormalization read as nn.LayerNorm', () => {
  const { files, rewritten, oracle, ask } = oracleCases('rs-layernorm-', CASES.map((c) => model(c.batchShape, c.norm, c.flatFirst)));

  before(async () => {
    const exact = CASES.map((c, i) => ('refused' in c.want ? null : i)).filter((i): i is number => i !== null);
    for (const i of exact) writeFileSync(rewritten[i]!, JSON.stringify(writeKeras(graphOf(files[i]!))));
    await ask([...files, ...exact.map((i) => rewritten[i]!)]);
  });

  CASES.forEach((c, i) => {
    const want = c.want;
    if ('refused' in want) {
      it(`${c.label}: refused by name, its numbers and everything after it unknown`, () => {
        assert.equal(oracle.get(files[i]!)?.error, null, 'TF.js builds it');
        const a = read(files[i]!);
        assert.ok(
          a.diagnostics.some((d) => /LayerNormalization/.test(d.message) && want.refused.test(d.message)),
          JSON.stringify(a.diagnostics.map((d) => d.message)),
        );
        assert.equal(a.graph?.params ?? null, null);
        assert.equal(norm(a.graph!), undefined);
      });
      return;
    }
    it(`${c.label}: TF.js's parameters and output`, () => {
      const o = oracle.get(files[i]!)!;
      assert.equal(o.error, null);
      const g = graphOf(files[i]!);
      assert.equal(g.params, o.params);
      assert.deepEqual([g.output], o.outputs);
      const n = norm(g)!;
      assert.deepEqual(n.attrs['normalized_shape'], want.normalizedShape);
      assert.equal(n.attrs['eps'], 0.001);
      assert.equal(n.params, want.params);
      assert.deepEqual(n.outputShape, n.inputShapes[0]);
    });

    it(`${c.label}: written back as Keras, the same layer and TF.js's numbers`, () => {
      const before = graphOf(files[i]!);
      const after = graphOf(rewritten[i]!);
      const o = oracle.get(rewritten[i]!)!;
      assert.equal(o.error, null);
      assert.equal(o.params, before.params);
      assert.deepEqual([after.params, after.output], [before.params, before.output]);
      assert.deepEqual(norm(after)!.attrs, norm(before)!.attrs);
    });

    it(`${c.label}: ${want.weightOnly ? "refused by the PyTorch writer (1.13's nn.LayerNorm learns both or neither)" : 'written as nn.LayerNorm'}`, () => {
      const g = graphOf(files[i]!);
      if (want.weightOnly) {
        assert.throws(() => writePyTorch(g), /cannot write LayerNorm 'norm'.* as nn\.LayerNorm: it has no argument for bias=False/);
        return;
      }
      const shape = `(${want.normalizedShape.join(', ')}${want.normalizedShape.length === 1 ? ',' : ''})`;
      assert.match(writePyTorch(g).code, new RegExp(`nn\\.LayerNorm\\(${shape.replace(/[()]/g, '\\$&')}, eps=0\\.001${want.params === 0 ? ', elementwise_affine=False' : ''}\\)`));
    });
  });
});
