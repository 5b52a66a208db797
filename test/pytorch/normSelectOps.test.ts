/**
 * The reader's side of three catalogue ops that real ResNet variants call: `F.layer_norm` (as the LayerNorm
 * op, with the weight and bias it is given), `nn.LocalResponseNorm` / `F.local_response_norm`, and
 * `torch.index_select` / `Tensor.index_select`. The numbers of a whole model are checked against PyTorch by
 * the manifest rows of norm_select_blocks.py; these cases pin what a row cannot: the errors PyTorch raises,
 * an argument the analysis does not know giving unknown numbers (never a guess, never an error), and the
 * writers refusing, by name, what their target cannot express.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Analysis, IrNode } from '../../src/core/ir';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { writeKeras } from '../../src/codegen/kerasWriter';
import { writePyTorch } from '../../src/codegen/pytorchWriter';
import { describe, errorsOf } from './helpers';

const HEAD = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfrom elsewhere import settings\n\n';

/** A model whose forward is `body` (indented lines using `x`), with `init` lines in its constructor. */
function run(body: string, init = 'pass', input = [2, 8, 4, 4]): Analysis {
  const src = `${HEAD}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        ${init.split('\n').join('\n        ')}\n\n    def forward(self, x):\n        ${body.split('\n').join('\n        ')}\n`;
  return analyzePytorch('snippet.py', src, { model: 'M', input });
}

const node = (a: Analysis, op: string): IrNode => {
  const n = a.graph?.nodes.find((m) => m.op === op);
  assert.ok(n, `no ${op} node`);
  return n;
};

const raised = (a: Analysis): string => {
  const e = errorsOf(a);
  assert.equal(e.length, 1, describe(a.diagnostics));
  return e[0]!.message;
};

test('F.layer_norm is the LayerNorm op; its node counts the weight and bias it is given, the model counts where they are registered', () => {
  const init = 'self.weight = nn.Parameter(torch.ones(4, 4))\nself.bias = nn.Parameter(torch.zeros(4, 4))';
  const both = run('return F.layer_norm(x, (4, 4), self.weight, self.bias, 1e-6)', init);
  assert.deepEqual(errorsOf(both), [], describe(both.diagnostics));
  assert.deepEqual(both.graph?.output, [2, 8, 4, 4]);
  assert.equal(node(both, 'LayerNorm').params, 32);
  assert.equal(node(both, 'LayerNorm').attrs['eps'], 1e-6);
  assert.equal(both.graph?.params, 32);

  const weightOnly = run('return F.layer_norm(x, x.shape[-2:], self.weight)', init);
  assert.equal(node(weightOnly, 'LayerNorm').params, 16);
  // The model still registers both parameters, used or not.
  assert.equal(weightOnly.graph?.params, 32);

  const none = run('return F.layer_norm(x, [8, 4, 4])');
  assert.equal(node(none, 'LayerNorm').params, 0);
  assert.deepEqual(none.graph?.output, [2, 8, 4, 4]);

  // A bias alone, which no LayerNorm module has, is the plain norm and then the bias's add.
  const biasOnly = run('return F.layer_norm(x, (4, 4), None, self.bias)', init);
  assert.deepEqual(biasOnly.graph?.nodes.filter((n) => n.op !== 'input').map((n) => [n.op, n.params]), [['LayerNorm', 0], ['add', 0]]);
  assert.deepEqual(biasOnly.graph?.output, [2, 8, 4, 4]);
});

test('F.layer_norm raises what PyTorch raises: a weight or bias of another shape, an int normalized_shape, an input that does not end in it', () => {
  const init = 'self.weight = nn.Parameter(torch.ones(4))\nself.bias = nn.Parameter(torch.zeros(4, 4))';
  assert.equal(
    raised(run('return F.layer_norm(x, (4, 4), self.weight, self.bias)', init)),
    'RuntimeError: Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and normalized_shape = [4, 4]',
  );
  assert.equal(
    raised(run('return F.layer_norm(x, (4, 4), None, self.weight)', init)),
    'RuntimeError: Expected bias to be of same shape as normalized_shape, but got bias of shape [4] and normalized_shape = [4, 4]',
  );
  assert.match(raised(run('return F.layer_norm(x, 4)')), /TypeError: layer_norm\(\): argument 'normalized_shape' \(position 2\) must be tuple of ints, not int/);
  assert.match(raised(run('return F.layer_norm(x, (8, 4))')), /Given normalized_shape=\[8, 4\], expected input with shape \[\*, 8, 4\], but got input of size\[2, 8, 4, 4\]/);
  assert.match(raised(run('return F.layer_norm(x, [])')), /Expected normalized_shape to be at least 1-dimensional/);
});

test('an argument the analysis does not know gives unknown numbers, not a guess or an error', () => {
  const unknownShape = run('return F.layer_norm(x, settings.shape)');
  assert.deepEqual(errorsOf(unknownShape), [], describe(unknownShape.diagnostics));
  assert.equal(unknownShape.graph?.output, null);

  // A weight that may be None leaves the node's count unknown; the shape is known either way.
  const maybeWeight = run('return F.layer_norm(x, (4, 4), settings.weight)');
  assert.deepEqual(errorsOf(maybeWeight), [], describe(maybeWeight.diagnostics));
  assert.deepEqual(maybeWeight.graph?.output, [2, 8, 4, 4]);
  assert.equal(node(maybeWeight, 'LayerNorm').params, null);

  const lrn = run('return F.local_response_norm(x, settings.size)');
  assert.deepEqual(errorsOf(lrn), [], describe(lrn.diagnostics));
  assert.equal(lrn.graph?.output, null);

  const dim = run('return x.index_select(settings.dim, torch.zeros(3, dtype=torch.long))');
  assert.deepEqual(errorsOf(dim), [], describe(dim.diagnostics));
  assert.equal(dim.graph?.output, null);

  // An index the analysis cannot see: the selected dimension's size is unknown, the others are kept.
  const index = run('return torch.index_select(x, 1, settings.index)');
  assert.deepEqual(errorsOf(index), [], describe(index.diagnostics));
  assert.deepEqual(index.graph?.output, [2, null, 4, 4]);

  const arange = run('return x.index_select(3, torch.arange(0, settings.width, 2))');
  assert.deepEqual(errorsOf(arange), [], describe(arange.diagnostics));
  assert.deepEqual(arange.graph?.output, [2, 8, 4, null]);
});

test('index_select takes the index length, and raises where PyTorch does', () => {
  const a = run('i = torch.arange(1, 8, 3)\nreturn torch.index_select(x, -3, i)');
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.deepEqual(a.graph?.output, [2, 3, 4, 4]);
  assert.deepEqual(run('return x.index_select(0, torch.zeros(5, dtype=torch.long))').graph?.output, [5, 8, 4, 4]);
  assert.match(raised(run('return x.index_select(4, torch.zeros(2, dtype=torch.long))')), /Dimension out of range \(expected to be in range of \[-4, 3\], but got 4\)/);
  assert.match(raised(run('return x.index_select(1, torch.zeros(2, 2, dtype=torch.long))')), /index_select\(\): Index is supposed to be a vector/);
  assert.match(raised(run('return x.index_select(1)')), /TypeError: index_select\(\) missing required argument: 'index'/);
});

test('LocalResponseNorm: the module and the function keep the shape, with no parameters or MACs, and need a 3-D input', () => {
  const a = run('return F.local_response_norm(self.lrn(x), 3, k=2.0)', 'self.lrn = nn.LocalResponseNorm(5, alpha=1e-3)');
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.deepEqual(a.graph?.output, [2, 8, 4, 4]);
  assert.deepEqual(a.graph?.nodes.filter((n) => n.op === 'LocalResponseNorm').map((n) => [n.params, n.macs]), [[0, 0], [0, 0]]);
  assert.equal(a.graph?.params, 0);
  assert.match(raised(run('return self.lrn(x)', 'self.lrn = nn.LocalResponseNorm(2)', [2, 8])), /Expected 3D or higher dimensionality input \(got 2 dimensions\)/);
  assert.match(raised(run('return F.local_response_norm(x)')), /TypeError: local_response_norm\(\) missing required argument: 'size'/);
});

test('writers: PyTorch writes LocalResponseNorm and a functional layer norm as modules; Keras refuses the first by name; nn.LayerNorm of 1.13 cannot learn a weight alone', () => {
  const a = run(
    'y = F.layer_norm(self.lrn(self.conv(x)), (8, 4, 4))\nreturn y + x',
    'self.conv = nn.Conv2d(8, 8, 3, padding=1)\nself.lrn = nn.LocalResponseNorm(3, beta=0.5)',
  );
  const code = writePyTorch(a.graph!).code;
  assert.match(code, /nn\.LocalResponseNorm\(3, beta=0\.5\)/);
  assert.match(code, /nn\.LayerNorm\(\(8, 4, 4\), elementwise_affine=False\)/);
  // Keras has LayerNormalization over the same axes, but no local response normalisation.
  assert.throws(() => writeKeras(a.graph!), (e: Error) => /cannot write LocalResponseNorm 'lrn'/.test(e.message) && !/LayerNorm '/.test(e.message));

  const weightOnly = run('return F.layer_norm(x, (4,), self.weight)', 'self.weight = nn.Parameter(torch.ones(4))');
  assert.throws(() => writePyTorch(weightOnly.graph!), /cannot write LayerNorm 'layer_norm'.* as nn\.LayerNorm: it has no argument for bias=False/);

  const select = run('return x.index_select(1, torch.zeros(2, dtype=torch.long))');
  assert.throws(() => writeKeras(select.graph!), /cannot write index_select 'index_select'.*Keras has no index_select layer/);
});
