// Catalogue rules checked against values PyTorch 1.13 gives for the same layers (computed once with
// torch and written here as literals, each with the call that produced it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPS, windowOut } from '../src/core/ops';
import type { Attrs } from '../src/core/ir';
import type { Shape } from '../src/core/dims';

const run = (op: string, attrs: Attrs, ...inputs: Shape[]) => OPS[op]!.infer({ ...OPS[op]!.defaults, ...attrs }, inputs);

test('Conv2d: stride, padding, dilation, groups, bias', () => {
  // nn.Conv2d(3, 64, 7, 2, 3, bias=False)(zeros(1,3,224,224)) -> [1,64,112,112], 9408 params
  let r = run('Conv2d', { in_channels: 3, out_channels: 64, kernel_size: 7, stride: 2, padding: 3, bias: false }, [1, 3, 224, 224]);
  assert.deepEqual(r.shape, [1, 64, 112, 112]);
  assert.equal(r.params, 9408);
  assert.equal(r.macs, 9408 * 112 * 112);
  // nn.Conv2d(32, 64, 3, stride=2, padding=2, dilation=2, groups=4)(zeros(2,32,33,17)) -> [2,64,17,9]; params 4672
  r = run('Conv2d', { in_channels: 32, out_channels: 64, kernel_size: 3, stride: 2, padding: 2, dilation: 2, groups: 4 }, [2, 32, 33, 17]);
  assert.deepEqual(r.shape, [2, 64, 17, 9]);
  assert.equal(r.params, 64 * 8 * 9 + 64);
  assert.equal(r.macs, 64 * 8 * 9 * 17 * 9);
  // padding='same' keeps the size: nn.Conv2d(8, 8, (3, 5), padding='same')(zeros(1,8,10,11)) -> [1,8,10,11]
  r = run('Conv2d', { in_channels: 8, out_channels: 8, kernel_size: [3, 5], padding: 'same' }, [1, 8, 10, 11]);
  assert.deepEqual(r.shape, [1, 8, 10, 11]);
  assert.equal(r.issues.length, 0);
});

test('Conv2d: wrong in_channels, groups not dividing, too-small input', () => {
  let r = run('Conv2d', { in_channels: 64, out_channels: 64, kernel_size: 3, padding: 1 }, [1, 256, 56, 56]);
  assert.equal(r.issues[0]?.code, 'shape/channels');
  assert.deepEqual(r.issues[0]?.fix, { attr: 'in_channels', value: 256 });
  assert.deepEqual(r.shape, [1, 64, 56, 56], 'inference continues after the error');
  r = run('Conv2d', { in_channels: 30, out_channels: 64, kernel_size: 3, groups: 4 }, [1, 30, 8, 8]);
  assert.ok(r.issues.some((i) => i.code === 'attr/groups'));
  r = run('Conv2d', { in_channels: 3, out_channels: 8, kernel_size: 5 }, [1, 3, 4, 4]);
  assert.ok(r.issues.some((i) => i.code === 'shape/non-positive'));
});

test('ConvTranspose2d: output size, params and MACs as torch 1.13 gives them', () => {
  // [2, C, 5, 6] inputs; expected values printed by torch for the same modules.
  const cases: [Record<string, unknown>, number[], number, number][] = [
    [{ in_channels: 8, out_channels: 4, kernel_size: 3 }, [2, 4, 7, 8], 292, 8640],
    [{ in_channels: 8, out_channels: 4, kernel_size: 4, stride: 2, padding: 1 }, [2, 4, 10, 12], 516, 15360],
    [{ in_channels: 6, out_channels: 4, kernel_size: 3, stride: 2, padding: 1, output_padding: 1, groups: 2 }, [2, 4, 10, 12], 112, 3240],
    [{ in_channels: 8, out_channels: 2, kernel_size: [3, 5], stride: [2, 1], dilation: [1, 2], bias: false }, [2, 2, 11, 14], 240, 7200],
  ];
  for (const [attrs, shape, params, macs] of cases) {
    const r = run('ConvTranspose2d', attrs as never, [2, attrs['in_channels'] as number, 5, 6]);
    assert.deepEqual([r.shape, r.params, r.macs, r.issues], [shape, params, macs, []], JSON.stringify(attrs));
  }
  const bad = run('ConvTranspose2d', { in_channels: 8, out_channels: 4, kernel_size: 3, stride: 2, output_padding: 2 } as never, [1, 8, 5, 5]);
  assert.equal(bad.issues[0]?.code, 'attr/output_padding');
});

test('einsum: output shapes as torch 1.13 gives them, and its size mismatch error', () => {
  const cases: [string, number[][], number[]][] = [
    ['ij,jk->ik', [[2, 3], [3, 4]], [2, 4]],
    ['bhkn,bvn->bhkv', [[2, 4, 3, 5], [2, 6, 5]], [2, 4, 3, 6]],
    ['ii->i', [[3, 3]], [3]],
    ['ij,ij', [[2, 3], [2, 3]], []],
    ['bij,bjk', [[2, 3, 4], [2, 4, 5]], [3, 5]],
  ];
  for (const [equation, ins, out] of cases) assert.deepEqual(run('einsum', { equation }, ...ins).shape, out, equation);
  const bad = run('einsum', { equation: 'ij,jk->ik' }, [2, 3], [4, 4]);
  assert.equal(bad.shape, null);
  assert.equal(bad.issues[0]?.code, 'shape/einsum');
});

test('pools: ceil_mode, padding limits, adaptive', () => {
  // nn.MaxPool2d(3, 2, ceil_mode=True)(zeros(1,1,8,8)) -> 4x4 (floor gives 3x3)
  assert.deepEqual(run('MaxPool2d', { kernel_size: 3, stride: 2, ceil_mode: true }, [1, 1, 8, 8]).shape, [1, 1, 4, 4]);
  assert.deepEqual(run('MaxPool2d', { kernel_size: 3, stride: 2 }, [1, 1, 8, 8]).shape, [1, 1, 3, 3]);
  // The last window must start inside the input: MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5 -> 3, not 4.
  assert.equal(windowOut(5, 2, 2, 1, 1, true), 3);
  // nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)(zeros(1,1,97,97)) -> 49
  assert.deepEqual(run('AvgPool2d', { kernel_size: 3, stride: 2, padding: 1, ceil_mode: true }, [1, 1, 97, 97]).shape, [1, 1, 49, 49]);
  assert.ok(run('MaxPool2d', { kernel_size: 2, padding: 2 }, [1, 1, 8, 8]).issues.some((i) => i.code === 'attr/padding'));
  assert.deepEqual(run('AdaptiveAvgPool2d', { output_size: [1, null] }, [1, 5, 7, 9]).shape, [1, 5, 1, 9]);
});

test('BatchNorm2d counts 2*C learnable parameters and checks num_features', () => {
  assert.equal(run('BatchNorm2d', { num_features: 64 }, [1, 64, 8, 8]).params, 128);
  assert.equal(run('BatchNorm2d', { num_features: 64, affine: false }, [1, 64, 8, 8]).params, 0);
  assert.equal(run('BatchNorm2d', { num_features: 32 }, [1, 64, 8, 8]).issues[0]?.code, 'shape/channels');
});

test('Linear: params, MACs over leading dims, in_features mismatch', () => {
  let r = run('Linear', { in_features: 2048, out_features: 1000 }, [1, 2048]);
  assert.equal(r.params, 2049000);
  assert.equal(r.macs, 2048000);
  r = run('Linear', { in_features: 16, out_features: 4 }, [2, 5, 16]);
  assert.deepEqual(r.shape, [2, 5, 4]);
  assert.equal(r.macs, 16 * 4 * 5);
  r = run('Linear', { in_features: 512, out_features: 1000 }, [1, 2048]);
  assert.equal(r.issues[0]?.code, 'shape/in-features');
  assert.deepEqual(r.issues[0]?.fix, { attr: 'in_features', value: 2048 });
});

test('residual add: equal shapes, broadcasting, and mismatch messages', () => {
  assert.deepEqual(run('add', {}, [1, 64, 56, 56], [1, 64, 56, 56]).shape, [1, 64, 56, 56]);
  assert.deepEqual(run('add', {}, [1, 64, 56, 56], [1, 64, 1, 1]).shape, [1, 64, 56, 56]);
  const r = run('add', {}, [1, 64, 56, 56], [1, 256, 56, 56]);
  assert.equal(r.issues[0]?.message, 'residual add: main path [1, 64, 56, 56] vs shortcut [1, 256, 56, 56] (channels differ)');
  assert.match(run('add', {}, [1, 64, 28, 28], [1, 64, 56, 56]).issues[0]!.message, /spatial size differs/);
  const sym = run('add', {}, [1, 'intermediate_channels * 4', 8, 8], [1, 'in_channels', 8, 8]);
  assert.equal(sym.issues[0]?.severity, 'warning');
  assert.match(sym.issues[0]!.message, /intermediate_channels \* 4 == in_channels/);
});

test('tensor ops: concat, channel pad, strided slice, view, flatten, mean', () => {
  assert.deepEqual(run('concat', { dim: 1 }, [1, 8, 4, 4], [1, 24, 4, 4]).shape, [1, 32, 4, 4]);
  assert.equal(run('concat', { dim: 1 }, [1, 8, 4, 4], [1, 8, 2, 4]).issues[0]?.code, 'shape/concat');
  // F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 8, 8)) on [1,16,32,32] -> [1,32,16,16]
  const sl = run('slice', { slices: [[null, null, null], [null, null, null], [null, null, 2], [null, null, 2]] }, [1, 16, 32, 32]);
  assert.deepEqual(sl.shape, [1, 16, 16, 16]);
  assert.deepEqual(run('pad', { pad: [0, 0, 0, 0, 8, 8] }, sl.shape).shape, [1, 32, 16, 16]);
  assert.deepEqual(run('slice', { slices: [[null, null, null], [1, -1, 3]] }, [1, 10]).shape, [1, 3]);
  assert.deepEqual(run('reshape', { shape: [1, -1] }, [1, 64, 2, 2]).shape, [1, 256]);
  assert.equal(run('reshape', { shape: [3, -1] }, [1, 64, 2, 2]).issues[0]?.code, 'shape/reshape');
  assert.deepEqual(run('Flatten', { start_dim: 1 }, [2, 3, 4, 5]).shape, [2, 60]);
  assert.deepEqual(run('mean', { dim: [2, 3], keepdim: true }, [2, 3, 4, 5]).shape, [2, 3, 1, 1]);
  assert.deepEqual(run('mean', { dim: [-1, -2] }, [2, 3, 4, 5]).shape, [2, 3]);
  // A dimension outside [-rank, rank - 1] is PyTorch's IndexError, not a shape with a hole (torch 1.13 wording).
  assert.deepEqual(run('concat', { dim: -4 }, [1, 8, 4, 4], [1, 8, 4, 4]).shape, [2, 8, 4, 4]);
  const cat = run('concat', { dim: 4 }, [1, 8, 4, 4], [1, 8, 4, 4]);
  assert.equal(cat.shape, null);
  assert.equal(cat.issues[0]?.message, 'cat: Dimension out of range (expected to be in range of [-4, 3], but got 4)');
  assert.equal(run('concat', { dim: 10 ** 9 }, [1, 8], [1, 8]).issues[0]?.code, 'shape/dim');
  assert.equal(run('mean', { dim: [-5] }, [2, 3, 4, 5]).issues[0]?.message, 'mean: Dimension out of range (expected to be in range of [-4, 3], but got -5)');
});

test('every catalogue op has a rule that tolerates unknown input shapes', () => {
  for (const [name, spec] of Object.entries(OPS)) {
    const inputs: Shape[] = spec.arity === 0 ? [] : spec.arity < 0 ? [null, null] : [null];
    assert.doesNotThrow(() => spec.infer({ ...spec.defaults }, inputs), name);
  }
});
