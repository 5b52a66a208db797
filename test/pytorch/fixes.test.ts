/**
 * Quick fixes are concrete edits; each one, applied to the file, must leave it analysing without errors
 * (and without the diagnostic it fixed). Real PyTorch accepting the fixed files is checked in
 * oracle.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { applyFix, fixCases } from './fixCases';
import { applyEdits, describe, errorsOf } from './helpers';

for (const c of fixCases) {
  test(`fix for ${c.file.replace(/^.*\//, '')} ${c.model} (${c.title.source}) leaves it clean`, () => {
    const { text, fixed } = applyFix(c);
    const after = analyzePytorch(c.file, text, { model: c.model, input: c.input, ...(c.args ? { args: c.args } : {}) });
    assert.deepEqual(errorsOf(after), [], `${describe(after.diagnostics)}\n${text}`);
    assert.ok(!after.diagnostics.some((d) => d.code === fixed.code && d.severity !== 'information'), describe(after.diagnostics));
    assert.deepEqual(after.graph?.output, c.output);
  });
}

test('a fix is not offered where the edited code would change other instances wrongly', () => {
  // conv3x3 builds every 3x3 conv of the model; changing its in_planes for one would break the rest.
  const file = 'helper.py';
  const text = `import torch.nn as nn

def conv3x3(a, b):
    return nn.Conv2d(a, b, 3, padding=1)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = conv3x3(3, 8)
        self.c2 = conv3x3(16, 8)

    def forward(self, x):
        return self.c2(self.c1(x))
`;
  const a = analyzePytorch(file, text, { model: 'Net', input: [1, 3, 8, 8] });
  const d = errorsOf(a).find((x) => x.code === 'shape/channels');
  assert.ok(d, describe(a.diagnostics));
  assert.equal(d.line, 13);
  assert.equal(d.fixes, undefined);
});

test('symbolic block: wiring the unused downsample removes the unused-argument warning', () => {
  const file = 'test/fixtures/pytorch/broken_missing_downsample.py';
  const text = readFileSync(file, 'utf8');
  const a = analyzePytorch(file, text, { model: 'ResNetBlock' });
  const unused = a.diagnostics.find((d) => d.code === 'pytorch/unused-argument');
  assert.ok(unused?.fixes?.[0], describe(a.diagnostics));
  const fixed = applyEdits(text, unused.fixes[0].edits);
  const b = analyzePytorch(file, fixed, { model: 'ResNetBlock' });
  assert.ok(!b.diagnostics.some((d) => d.code === 'pytorch/unused-argument'), describe(b.diagnostics));
  assert.deepEqual(errorsOf(b), []);
  // The condition still holds without a downsample, and the message still says how to satisfy it.
  assert.ok(b.diagnostics.some((d) => d.message === 'x += identity requires intermediate_channels * 4 == in_channels; pass identity_downsample otherwise'));
});

test('tutorial block: the projection fix leaves it clean symbolically too, and the unused argument is wired', () => {
  const file = 'test/fixtures/pytorch/broken_missing_downsample.py';
  const text = readFileSync(file, 'utf8');
  const a = analyzePytorch(file, text, { model: 'ResNetBlock' });
  const cond = a.diagnostics.find((d) => d.code === 'shape/residual-add-condition');
  assert.match(cond?.fixes?.[0]?.title ?? '', /projection shortcut as identity_downsample/, describe(a.diagnostics));
  const fixed = applyEdits(text, cond!.fixes![0]!.edits);
  const b = analyzePytorch(file, fixed, { model: 'ResNetBlock' });
  assert.deepEqual(b.diagnostics.filter((d) => d.severity !== 'information'), [], describe(b.diagnostics));
  const c = analyzePytorch(file, fixed, { model: 'ResNetBlock', args: '256, 64' });
  assert.deepEqual(c.diagnostics.filter((d) => d.severity !== 'information'), [], describe(c.diagnostics));
});
