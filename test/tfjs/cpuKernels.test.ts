/**
 * The cpu-backend fast paths must compute what the kernels they replace computed. References are taken
 * with the original kernels first (each test file runs in its own process), then the fast paths are
 * installed and every case is recomputed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { installFastCpuKernels } from '../../src/training/tfjsCpuKernels';

const r = (s: number[], seed: number) => tf.randomNormal(s, 0, 1, 'float32', seed);
const convGrad = (x: number[], k: number[], stride: number | [number, number], pad: 'same' | 'valid' | number) => () =>
  tf.grad((w: tf.Tensor) => tf.conv2d(r(x, 11) as tf.Tensor4D, w as tf.Tensor4D, stride, pad).square().sum())(r(k, 12));

const CASES: [string, () => tf.Tensor][] = [
  ['Multiply [1,1,1,C] x [N,H,W,C]', () => tf.mul(r([1, 1, 1, 5], 1), r([3, 4, 4, 5], 2))],
  ['Sub [N,H,W,C] - [1,1,1,C]', () => tf.sub(r([3, 4, 4, 5], 2), r([1, 1, 1, 5], 1))],
  ['RealDiv by a middle broadcast (not a suffix: original path)', () => tf.div(r([3, 4, 4, 5], 2), tf.add(3, r([1, 4, 1, 5], 1)))],
  ['Add a [1,1,1,1] scalar-like', () => tf.add(r([3, 4, 4, 5], 2), r([1, 1, 1, 1], 1))],
  ['Add same shapes', () => tf.add(r([3, 4, 4, 5], 2), r([3, 4, 4, 5], 3))],
  ['Multiply int32 broadcast', () => tf.mul(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor2d([[5, 6]], [1, 2], 'int32'))],
  ['Maximum with broadcast', () => tf.maximum(r([2, 3, 4], 4), r([1, 1, 4], 5))],
  ['Sum over leading axes', () => tf.sum(r([3, 4, 4, 5], 3), [0, 1, 2])],
  ['Sum over leading axes, keepDims', () => tf.sum(r([3, 4, 4, 5], 3), [0, 1, 2], true)],
  ['Sum over middle axes (original path)', () => tf.sum(r([3, 4, 4, 5], 3), [1, 2])],
  ['Sum over everything', () => tf.sum(r([3, 4, 5], 3))],
  ['Mean over leading axes', () => tf.mean(r([3, 4, 4, 5], 3), [0, 1])],
  ['Mean with negative axes', () => tf.mean(r([3, 4, 5], 3), [-3, -2])],
  ['Slice 4-D window', () => tf.slice(r([3, 6, 6, 5], 4), [1, 1, 2, 1], [2, 4, 3, 3])],
  ['Slice 2-D', () => tf.slice(r([6, 7], 4), [1, 2], [3, 4])],
  ['Slice with -1 size', () => tf.slice(r([4, 5, 6], 4), [1, 0, 2], [-1, 3, -1])],
  ['Tile [1,1,2,C]', () => tf.tile(r([1, 1, 2, 5], 5), [3, 4, 2, 2])],
  ['Tile int32 2-D', () => tf.tile(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), [2, 3])],
  ['Tile 1-D', () => tf.tile(tf.tensor1d([1, 2, 3]), [3])],
  ['Conv2DBackpropFilter stride 1 same', convGrad([2, 9, 9, 3], [3, 3, 3, 4], 1, 'same')],
  ['Conv2DBackpropFilter stride 2 same (odd size)', convGrad([2, 9, 9, 3], [3, 3, 3, 4], 2, 'same')],
  ['Conv2DBackpropFilter stride 2 valid', convGrad([2, 10, 10, 3], [3, 3, 3, 4], 2, 'valid')],
  ['Conv2DBackpropFilter explicit pad 1, stride 2', convGrad([2, 8, 8, 3], [3, 3, 3, 4], 2, 1)],
  ['Conv2DBackpropFilter 1x1 stride 2', convGrad([2, 8, 8, 3], [1, 1, 3, 4], 2, 'valid')],
  ['Conv2DBackpropFilter non-square 5x3 kernel, stride [1, 2]', convGrad([2, 9, 8, 2], [5, 3, 2, 3], [1, 2], 'same')],
];

test('fast cpu kernels match the originals', async () => {
  await tf.setBackend('cpu');
  const reference = CASES.map(([, f]) => {
    const t = f();
    return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
  });
  assert.equal(installFastCpuKernels(tf), true);
  assert.equal(installFastCpuKernels(tf), true, 'installing twice is harmless');
  CASES.forEach(([name, f], i) => {
    const t = f();
    const ref = reference[i]!;
    assert.deepEqual(t.shape, ref.shape, `${name}: shape`);
    assert.equal(t.dtype, ref.dtype, `${name}: dtype`);
    const got = t.dataSync();
    const scale = Math.max(1, ...ref.values.map(Math.abs));
    ref.values.forEach((v, j) => {
      assert.ok(Math.abs(got[j]! - v) <= 1e-5 * scale, `${name}: element ${j} is ${got[j]}, was ${v}`);
    });
  });
});

test('a training step allocates no tensors that outlive it', async () => {
  await tf.setBackend('cpu');
  installFastCpuKernels(tf);
  const w = tf.variable(r([3, 3, 3, 4], 7));
  const x = r([4, 8, 8, 3], 8);
  const opt = tf.train.sgd(0.01);
  const step = () => opt.minimize(() => tf.conv2d(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 2, 1).mul(r([1, 1, 1, 4], 9)).mean() as tf.Scalar);
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
});
