/**
 * Blocks analysed without constructor arguments: widths are the user's own parameter names, the input's
 * channels are the block's channel parameter, conditional residual adds are warnings that state the
 * condition in those names, and an accepted-but-unused downsample is a warning at its parameter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { analyzeFile, describe, errorsOf } from './helpers';

const MISSING = 'test/fixtures/pytorch/broken_missing_downsample.py';

test('ResNetBlock alone: symbolic widths, input channels from in_channels, the add condition and the unused argument', () => {
  const a = analyzeFile(MISSING, { model: 'ResNetBlock' });
  const g = a.graph!;
  assert.equal(g.input?.[1], 'in_channels');
  // Under the add's condition both widths are the same; the catalogue's add keeps one of them.
  assert.ok(['intermediate_channels * 4', 'in_channels'].includes(String(g.output?.[1])), String(g.output));
  const conv3 = g.nodes.find((n) => n.name === 'conv3');
  assert.deepEqual(conv3?.outputShape, [1, 'intermediate_channels * 4', 64, 64]);
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  const add = a.diagnostics.find((d) => d.code === 'shape/residual-add-condition');
  assert.ok(add, describe(a.diagnostics));
  assert.equal(add.severity, 'warning');
  assert.equal(add.line, 30);
  assert.equal(add.message, 'x += identity requires intermediate_channels * 4 == in_channels; pass identity_downsample otherwise');
  const unused = a.diagnostics.find((d) => d.code === 'pytorch/unused-argument');
  assert.ok(unused, describe(a.diagnostics));
  assert.equal(unused.severity, 'warning');
  assert.equal(unused.line, 11);
  // The range is the parameter itself, `identity_downsample=None`.
  assert.equal(unused.column, 60);
  assert.equal(unused.endColumn, 60 + "identity_downsample=None".length);
  assert.match(unused.message, /^identity_downsample is accepted but never used/);
  // Widths are symbols, so the parameter count is not a number.
  assert.equal(g.params, null);
});

test('the tutorial block uses its downsample: only the condition, with the expansion arithmetic', () => {
  const a = analyzeFile('test/fixtures/pytorch/tutorial_style.py', { model: 'block' });
  assert.ok(!a.diagnostics.some((d) => d.code === 'pytorch/unused-argument'), describe(a.diagnostics));
  const add = a.diagnostics.find((d) => d.code === 'shape/residual-add-condition');
  assert.equal(add?.message, 'x += identity requires intermediate_channels * 4 == in_channels; pass identity_downsample otherwise');
  assert.equal(add?.line, 52);
});

test('torchvision-style blocks: the condition follows PyTorch arithmetic (expansion, base_width)', () => {
  const b = analyzeFile('test/fixtures/pytorch/torchvision_style.py', { model: 'Bottleneck' });
  assert.equal(b.diagnostics.find((d) => d.code === 'shape/residual-add-condition')?.message, 'out += identity requires planes * 4 == inplanes; pass downsample otherwise');
  const basic = analyzeFile('test/fixtures/pytorch/torchvision_style.py', { model: 'BasicBlock' });
  assert.equal(basic.diagnostics.find((d) => d.code === 'shape/residual-add-condition')?.message, 'out += identity requires planes == inplanes; pass downsample otherwise');
  assert.deepEqual(errorsOf(basic), []);
});

test('a branch on an unknown width takes the equal case and says so; the add is then valid', () => {
  const a = analyzeFile('test/fixtures/pytorch/cifar_style.py', { model: 'BasicBlock' });
  const assumption = a.diagnostics.find((d) => d.code === 'pytorch/assumption');
  assert.ok(assumption, describe(a.diagnostics));
  assert.equal(assumption.line, 42);
  assert.match(assumption.message, /in_planes == planes/);
  assert.ok(!a.diagnostics.some((d) => d.code.startsWith('shape/')), describe(a.diagnostics));
  assert.equal(a.graph?.output?.[1], 'planes');
});

test('an explicit input overrides the symbolic channels and turns the condition into a check', () => {
  const a = analyzeFile(MISSING, { model: 'ResNetBlock', input: [1, 64, 56, 56] });
  // in_channels stays a symbol: the conv expects `in_channels` and receives 64, which may or may not hold.
  assert.ok(a.diagnostics.some((d) => d.code === 'shape/channels-condition' && d.message.includes('in_channels')), describe(a.diagnostics));
});

test('with arguments the same block is concrete: the add fails where PyTorch fails', () => {
  const a = analyzeFile(MISSING, { model: 'ResNetBlock', args: '64, 64', input: [1, 64, 56, 56] });
  const err = errorsOf(a);
  assert.equal(err.length, 1, describe(a.diagnostics));
  assert.equal(err[0]!.line, 30);
  assert.match(err[0]!.message, /main path \[1, 256, 56, 56\] vs shortcut \[1, 64, 56, 56\] \(channels differ\)/);
});

test('symbolic arithmetic has one canonical form', () => {
  const text = `import torch.nn as nn

class B(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.a = nn.Conv2d(c, 4 * k, 1)
        self.b = nn.Conv2d(k * 2 + k * 2, (c + c) // 2, 1)

    def forward(self, x):
        return self.b(self.a(x)) + x
`;
  const a = analyzePytorch('b.py', text, { model: 'B' });
  // 4 * k and k * 2 + k * 2 are the same width, (c + c) // 2 is c: everything checks, nothing is assumed.
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], describe(a.diagnostics));
  assert.equal(a.graph?.output?.[1], 'c');
});
