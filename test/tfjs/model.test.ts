/**
 * IR -> tf.LayersModel: learnable parameter counts equal the IR's (data-driven over designs that exercise
 * every mapping the runner has), outputs have the IR's shape, the layout handling keeps PyTorch's semantics
 * for the ops that care, and what cannot be built is refused naming the node.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../src/core/graph';
import type { IrGraph } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import { cifarResNet, imagenetResNet } from '../../src/frontends/templates';
import { TfjsModelError, buildTfjsModel } from '../../src/training/tfjsModel';
import { sliceIndices } from '../../src/training/tfjsLayers';

const root = path.resolve(__dirname, '../..');

function graphOf(file: string, text: string, input?: number[]): IrGraph {
  const a = analyzeText(file, text, input ? { input } : {});
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `${file} analyses clean`);
  assert.ok(a.graph);
  return a.graph;
}

const design = (d: object) => JSON.stringify({ $schema: '../schemas/resnet.schema.json', ...d });

/** One row per model: where it comes from and what it exercises. */
const CASES: { name: string; graph: () => IrGraph }[] = [
  { name: 'examples/tiny-resnet (5,164 params)', graph: () => graphOf('examples/tiny-resnet.resnet.json', readFileSync(path.join(root, 'examples/tiny-resnet.resnet.json'), 'utf8')) },
  { name: 'CIFAR ResNet-20 (option-A shortcuts: slice + channel pad)', graph: () => graphOf('c20.resnet.json', JSON.stringify(cifarResNet(20))) },
  { name: 'ResNeXt-style bottleneck (grouped conv, projection shortcut) at 32x32', graph: () => graphOf('rx.resnet.json', design({
    name: 'small resnext', input: [1, 3, 32, 32], vars: { num_classes: 5 },
    layers: [
      { type: 'Conv2d', name: 'conv1', out_channels: 16, kernel_size: 7, stride: 2, padding: 3, bias: false },
      { type: 'BatchNorm2d', name: 'bn1' },
      { type: 'ReLU', name: 'relu' },
      { type: 'MaxPool2d', name: 'maxpool', kernel_size: 3, stride: 2, padding: 1 },
      { stage: 'layer1', block: 'bottleneck', count: 2, planes: 8, stride: 1, groups: 4, base_width: 16 },
      { stage: 'layer2', block: 'bottleneck', count: 1, planes: 16, stride: 2, groups: 4, base_width: 16 },
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [1, 1] },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Dropout', name: 'drop', p: 0.2 },
      { type: 'Linear', name: 'fc', out_features: 'num_classes' },
    ],
  })) },
  { name: 'ops mix: depthwise conv, dilation, avg pool, activations, concat, mean, linear with bias', graph: () => graphOf('mix.resnet.json', design({
    name: 'mix', input: [2, 3, 12, 12],
    layers: [
      { type: 'Conv2d', name: 'stem', out_channels: 6, kernel_size: 3, padding: 1 },
      { type: 'LeakyReLU', name: 'lrelu', negative_slope: 0.1 },
      { type: 'Conv2d', name: 'dw', id: 'dw', out_channels: 6, kernel_size: 3, padding: 1, groups: 6 },
      { type: 'GELU', name: 'gelu' },
      { type: 'Conv2d', name: 'dil', id: 'dil', inputs: ['lrelu'], out_channels: 4, kernel_size: 3, padding: 2, dilation: 2 },
      { type: 'Hardswish', name: 'hs' },
      { type: 'concat', name: 'cat', inputs: ['gelu', 'hs'], dim: 1 },
      { type: 'AvgPool2d', name: 'pool', kernel_size: 2 },
      { type: 'SiLU', name: 'silu' },
      { type: 'ReLU6', name: 'r6' },
      { type: 'mean', name: 'gap', dim: [2, 3] },
      { type: 'Linear', name: 'fc1', out_features: 7 },
      { type: 'Tanh', name: 'tanh' },
      { type: 'Linear', name: 'fc2', out_features: 3, bias: false },
    ],
  })) },
  { name: 'pooling variants (ceil_mode, adaptive to 2x2, adaptive max), spatial pad, reshape, softmax', graph: () => graphOf('pool.resnet.json', design({
    name: 'pools', input: [1, 3, 15, 15],
    layers: [
      { type: 'Conv2d', name: 'c1', out_channels: 4, kernel_size: 3, padding: 1 },
      { type: 'MaxPool2d', name: 'mp', kernel_size: 2, stride: 2, ceil_mode: true },
      { type: 'pad', name: 'pad', pad: [1, 1, 1, 1], value: 0, mode: 'constant' },
      { type: 'AdaptiveAvgPool2d', name: 'aap', output_size: [2, 2] },
      { type: 'Conv2d', name: 'c2', out_channels: 6, kernel_size: 1 },
      { type: 'AdaptiveMaxPool2d', name: 'amp', output_size: 1 },
      { type: 'reshape', name: 'view', shape: [1, 6] },
      { type: 'Linear', name: 'fc', out_features: 3 },
      { type: 'Softmax', name: 'softmax', dim: 1 },
    ],
  })) },
  ...['functional-residual', 'sequential'].map((k) => ({
    name: `Keras fixture ${k}.model.json`,
    graph: () => graphOf(`test/fixtures/keras/${k}.model.json`, readFileSync(path.join(root, `test/fixtures/keras/${k}.model.json`), 'utf8')),
  })),
  { name: 'flatten of a 3x3 map (C·H·W order) and a BatchNorm without affine', graph: () => graphOf('flat.resnet.json', design({
    name: 'flat', input: [1, 2, 6, 6],
    layers: [
      { type: 'Conv2d', name: 'c', out_channels: 4, kernel_size: 3, stride: 2, padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn', affine: false },
      { type: 'Sigmoid', name: 'sig' },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc', out_features: 3 },
    ],
  })) },
];

for (const c of CASES) {
  test(`parameter count equals the IR's: ${c.name}`, () => {
    const g = c.graph();
    const built = buildTfjsModel(tf, g, { seed: 1 });
    assert.equal(built.trainableParams, g.params, 'trainable parameters');
    const [n, ch, h, w] = g.input as number[];
    assert.deepEqual(built.inputShape, [h, w, ch]);
    const y = built.model.predict(tf.randomNormal([n!, h!, w!, ch!])) as tf.Tensor;
    assert.deepEqual(y.shape, g.output, 'output shape');
    assert.ok(y.dataSync().every(Number.isFinite));
    tf.dispose(y);
    built.model.dispose();
  });
}

test('tiny-resnet has exactly 5,164 parameters in TF.js too', () => {
  const g = graphOf('examples/tiny-resnet.resnet.json', readFileSync(path.join(root, 'examples/tiny-resnet.resnet.json'), 'utf8'));
  assert.equal(buildTfjsModel(tf, g).trainableParams, 5164);
});

test('ImageNet ResNet-18 builds with the IR parameter count (11,689,512)', () => {
  const g = graphOf('r18.resnet.json', JSON.stringify(imagenetResNet({ depth: 18, inputSize: 64 })));
  const built = buildTfjsModel(tf, g);
  assert.equal(built.trainableParams, 11_689_512);
  assert.equal(built.trainableParams, g.params);
  built.model.dispose();
});

test('the same seed gives the same initial weights', () => {
  const g = graphOf('c8.resnet.json', JSON.stringify(cifarResNet(8)));
  const a = buildTfjsModel(tf, g, { seed: 3 }).model.getWeights().map((t) => Array.from(t.dataSync()));
  const b = buildTfjsModel(tf, g, { seed: 3 }).model.getWeights().map((t) => Array.from(t.dataSync()));
  const c = buildTfjsModel(tf, g, { seed: 4 }).model.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('option-A shortcut: subsample by 2 and zero-pad channels, exactly as x[:, :, ::2, ::2] and F.pad', () => {
  const b = new GraphBuilder('optA', 'optA');
  const x = b.input([1, 2, 4, 4]);
  const s = b.op('slice', { slices: [[null, null, null], [null, null, null], [null, null, 2], [null, null, 2]] }, [x]);
  const p = b.op('pad', { pad: [0, 0, 0, 0, 1, 1], value: 0, mode: 'constant' }, [s]);
  const f = b.op('Flatten', {}, [p]);
  const g = b.finish(f);
  const built = buildTfjsModel(tf, g);
  // NCHW input 0..31, given to the model as NHWC.
  const nchw = tf.range(0, 32).reshape([1, 2, 4, 4]);
  const out = Array.from((built.model.predict(nchw.transpose([0, 2, 3, 1])) as tf.Tensor).dataSync());
  // PyTorch: channels [0, c0, c1, 0], each the 2x2 subsample; flattened C, H, W.
  const c0 = [0, 2, 8, 10];
  const c1 = c0.map((v) => v + 16);
  assert.deepEqual(out, [0, 0, 0, 0, ...c0, ...c1, 0, 0, 0, 0]);
});

test('Flatten keeps C·H·W order (the permute back to NCHW happens)', () => {
  const b = new GraphBuilder('flat', 'flat');
  const x = b.input([1, 3, 2, 2]);
  const g = b.finish(b.op('Flatten', {}, [x]));
  const built = buildTfjsModel(tf, g);
  const nchw = tf.range(0, 12).reshape([1, 3, 2, 2]);
  const out = Array.from((built.model.predict(nchw.transpose([0, 2, 3, 1])) as tf.Tensor).dataSync());
  assert.deepEqual(out, Array.from({ length: 12 }, (_v, i) => i));
});

test('MaxPool2d padding never wins (PyTorch pads with -inf), even for negative inputs', () => {
  const b = new GraphBuilder('mp', 'mp');
  const x = b.input([1, 1, 2, 2]);
  const g = b.finish(b.op('Flatten', {}, [b.op('MaxPool2d', { kernel_size: 3, stride: 2, padding: 1 }, [x])]));
  const built = buildTfjsModel(tf, g);
  const out = (built.model.predict(tf.tensor4d([-5, -4, -3, -2], [1, 2, 2, 1])) as tf.Tensor).dataSync();
  assert.deepEqual(Array.from(out), [-2]);
});

test('slice indices follow Python slicing', () => {
  assert.deepEqual(sliceIndices(5, null, null, 2), [0, 2, 4]);
  assert.deepEqual(sliceIndices(5, 1, -1, 1), [1, 2, 3]);
  assert.deepEqual(sliceIndices(5, -2, null, 1), [3, 4]);
  assert.deepEqual(sliceIndices(4, 10, null, 1), []);
});

test('a model the analyser could not interpret is refused, naming the node', () => {
  const b = new GraphBuilder('bad', 'bad.py');
  const x = b.input([1, 3, 8, 8]);
  const c = b.op('Conv2d', { in_channels: 3, out_channels: 4, kernel_size: 3 }, [x], { name: 'conv' });
  const o = b.op('opaque', { reason: 'call to my_custom_op' }, [c], { name: 'custom' });
  const g = b.finish(b.op('Flatten', {}, [o]));
  assert.throws(() => buildTfjsModel(tf, g), (e: unknown) => e instanceof TfjsModelError && /custom/.test(e.message) && /my_custom_op/.test(e.message) && /PyTorch runner/.test(e.message));
});

test('unknown sizes are refused with what to pass', () => {
  const b = new GraphBuilder('sym', 'sym.py');
  const x = b.input([1, 3, 8, 8]);
  const c = b.op('Conv2d', { in_channels: 3, out_channels: 'width', kernel_size: 3 }, [x], { name: 'conv' });
  const g = b.finish(b.op('Flatten', {}, [c]));
  assert.throws(() => buildTfjsModel(tf, g), /conv .*not fully known.*--input and --args/);
});

test('a non-classifier output is refused', () => {
  const b = new GraphBuilder('img', 'img');
  const x = b.input([1, 3, 8, 8]);
  const g = b.finish(b.op('Conv2d', { in_channels: 3, out_channels: 4, kernel_size: 3 }, [x]));
  assert.throws(() => buildTfjsModel(tf, g), /classifier's output is \[N, classes\]/);
});

test('a shared module (the same conv called twice) is one set of weights', () => {
  const b = new GraphBuilder('shared', 'shared');
  const x = b.input([1, 4, 6, 6]);
  const c1 = b.op('Conv2d', { in_channels: 4, out_channels: 4, kernel_size: 3, padding: 1 }, [x], { name: 'conv' });
  const c2 = b.op('Conv2d', { in_channels: 4, out_channels: 4, kernel_size: 3, padding: 1 }, [c1], { name: 'conv' });
  const g = b.finish(b.op('Flatten', {}, [b.op('AdaptiveAvgPool2d', { output_size: 1 }, [c2])]));
  assert.equal(g.params, 4 * 4 * 9 + 4);
  assert.equal(buildTfjsModel(tf, g).trainableParams, g.params);
});
