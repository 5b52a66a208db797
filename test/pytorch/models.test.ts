/**
 * Choosing what to analyse: candidates (classes and factories, with ranges for CodeLens), the default
 * model, the `# resnet-studio:` comment, `--args`, and the CLI's JSON on a `.py` file. Also torchvision's
 * own installed resnet.py, read as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { analyzeCommand } from '../../src/cli/main';
import type { Report } from '../../src/core/report';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { readDirective } from '../../src/frontends/pytorch/candidates';
import { analyzeFile, describe, errorsOf } from './helpers';

test('candidates: nn.Module classes and factories returning one, not layer helpers or other classes', () => {
  const a = analyzeFile('test/fixtures/pytorch/torchvision_style.py', { model: 'resnet18' });
  assert.deepEqual(a.models, [
    'BasicBlock', 'Bottleneck', 'ResNet', '_resnet', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'wide_resnet50_2', 'resnet50_gn',
  ]);
  const byName = new Map(a.candidates!.map((c) => [c.name, c]));
  assert.equal(byName.get('ResNet')?.kind, 'class');
  assert.equal(byName.get('ResNet')?.source.line, 239);
  // A decorated factory's range starts at `def`, below its decorator.
  assert.equal(byName.get('resnet50')?.kind, 'factory');
  assert.equal(byName.get('resnet50')?.source.line, 394);
  assert.equal(byName.get('resnet50')?.source.column, 1);
  const seq = analyzeFile('test/fixtures/pytorch/broken_sequential.py');
  assert.deepEqual(seq.models, ['TinyVGG', 'tiny_vgg_features']);
});

test('default model: the comment, else __all__, else the last candidate nothing else uses', () => {
  assert.equal(analyzeFile('test/fixtures/pytorch/preact_style.py').graph?.name, 'PreActResNet18');
  assert.equal(analyzeFile('test/fixtures/pytorch/cifar_style.py').graph?.name, 'resnet20');
  assert.equal(analyzeFile('test/fixtures/pytorch/tutorial_style.py').graph?.name, 'ResNet152');
  const plain = analyzePytorch('p.py', 'import torch.nn as nn\n\nclass A(nn.Module):\n    def forward(self, x):\n        return x\n\nclass B(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = A()\n\n    def forward(self, x):\n        return self.a(x)\n');
  assert.equal(plain.graph?.name, 'B');
});

test('the comment: model, input and args; problems are warnings on its line', () => {
  const d = readDirective('x = 1\n  # resnet-studio: model=Net input=(2, 3, 32, 32) args=(16, widths=(1, 2), name="a b")\n');
  assert.deepEqual({ model: d?.model, input: d?.input, args: d?.args }, { model: 'Net', input: [2, 3, 32, 32], args: '16, widths=(1, 2), name="a b"' });
  const text = '# resnet-studio: model=M input=(1, 3, 8, 8) args=(4)\nimport torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n        self.conv = nn.Conv2d(3, c, 1)\n\n    def forward(self, x):\n        return self.conv(x)\n';
  assert.deepEqual(analyzePytorch('m.py', text).graph?.output, [1, 4, 8, 8]);
  const bad = analyzePytorch('m.py', '# resnet-studio: input=(1, x) colour=red\n');
  assert.deepEqual(bad.diagnostics.filter((x) => x.code === 'pytorch/directive').map((x) => [x.line, x.severity]), [[1, 'warning'], [1, 'warning']]);
});

test('--args are Python call arguments evaluated in the file', () => {
  const a = analyzeFile('test/fixtures/pytorch/torchvision_style.py', { model: 'ResNet', args: 'Bottleneck, [1, 1, 1, 1], num_classes=3, width_per_group=32 * 2', input: [1, 3, 64, 64] });
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.deepEqual(a.graph?.output, [1, 3]);
  const bad = analyzeFile('test/fixtures/pytorch/torchvision_style.py', { model: 'ResNet', args: 'Bottleneck, [1, 1' });
  assert.ok(bad.diagnostics.some((d) => d.code === 'pytorch/args' && d.severity === 'error'));
  const unknown = analyzeFile('test/fixtures/pytorch/torchvision_style.py', { model: 'NoSuch' });
  assert.ok(unknown.diagnostics.some((d) => d.code === 'pytorch/no-model' && d.message.includes('resnet50')));
});

test('the CLI reads .py files with the same JSON fields', () => {
  let out = '';
  const code = analyzeCommand(['test/fixtures/pytorch/cifar_style.py', '--model', 'resnet56', '--input', '1,3,32,32', '--json'], (s) => (out += s));
  assert.equal(code, 0);
  const r = JSON.parse(out) as Report;
  assert.equal(r.model, 'resnet56');
  assert.deepEqual(r.output, [1, 10]);
  assert.equal(r.params, 853018);
  assert.equal(r.macs, 125485696);
  assert.ok(r.models.includes('resnet110'));
  assert.equal(r.graph.skipEdges.length, 27);
  assert.ok(r.graph.groups.some((g) => g.name === 'layer2' && g.kind === 'stage'));
  assert.ok(r.graph.groups.some((g) => g.name === 'layer2.0' && g.kind === 'block' && g.label === 'BasicBlock'));
  let broken = '';
  assert.equal(analyzeCommand(['test/fixtures/pytorch/broken_fc.py', '--json'], (s) => (broken += s)), 1);
  const b = JSON.parse(broken) as Report;
  assert.ok(b.diagnostics.some((d) => d.severity === 'error' && d.line === 68));
});

const TORCHVISION = '/usr/lib/python3/dist-packages/torchvision/models/resnet.py';
const tvMissing = !existsSync(TORCHVISION);
const tvSkip = tvMissing && process.env['CI'] !== 'true' ? `${TORCHVISION} is not installed (python3-torchvision)` : false;

test("torchvision's installed resnet.py, as shipped", { skip: tvSkip }, () => {
  assert.ok(!tvMissing, `${TORCHVISION} is missing; CI installs python3-torchvision`);
  // The same architectures as the model-zoo fixture rows, so the same PyTorch numbers.
  const expected: Record<string, [number, number]> = {
    resnet18: [11689512, 1814073344],
    resnet50: [25557032, 4089184256],
    resnet152: [60192808, 11513626624],
    resnext50_32x4d: [25028904, 4230479872],
    wide_resnet50_2: [68883240, 11398021120],
  };
  for (const [model, [params, macs]] of Object.entries(expected)) {
    const a = analyzeFile(TORCHVISION, { model, input: [1, 3, 224, 224] });
    assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], `${model}: ${describe(a.diagnostics)}`);
    assert.deepEqual(a.graph?.output, [1, 1000], model);
    assert.equal(a.graph?.params, params, model);
    assert.equal(a.graph?.macs, macs, model);
  }
  const def = analyzeFile(TORCHVISION);
  assert.equal(def.graph?.name, 'resnet18');
  assert.ok(def.models.includes('wide_resnet101_2') && def.models.includes('ResNet'));
});
