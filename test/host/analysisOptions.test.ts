import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { isModelAnalysis, isModelFileName, looksLikeKerasText, optionsKey, resolveOptions } from '../../src/host/analysisOptions';

const DEFAULT = [1, 3, 224, 224];

test('precedence: per-model choice, then the file (or what the front end infers), then the setting', () => {
  assert.deepEqual(resolveOptions(undefined, DEFAULT), { defaultInput: DEFAULT });
  assert.deepEqual(resolveOptions({ input: [2, 3, 8, 8] }, DEFAULT), { input: [2, 3, 8, 8] });
  assert.deepEqual(resolveOptions({ model: 'resnet50', args: '  num_classes=10 ' }, DEFAULT), { model: 'resnet50', args: 'num_classes=10', defaultInput: DEFAULT });
  assert.deepEqual(resolveOptions({ model: 'Net', args: '   ' }, [1, 1, 28, 28]), { model: 'Net', defaultInput: [1, 1, 28, 28] });
  const inputOf = (file: string, text: string, opts = resolveOptions(undefined, [1, 3, 64, 64])) => analyzeText(file, text, opts).graph?.input;
  // A design's own input and a PyTorch comment beat the setting; without them the setting applies.
  const design = (input?: number[]) => JSON.stringify({ ...(input ? { input } : {}), layers: [{ type: 'Conv2d', out_channels: 4, kernel_size: 3 }] });
  assert.deepEqual(inputOf('d.resnet.json', design([1, 3, 32, 32])), [1, 3, 32, 32]);
  assert.deepEqual(inputOf('d.resnet.json', design()), [1, 3, 64, 64]);
  const net = 'import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 8, 3)\n    def forward(self, x):\n        return self.c(x)\n';
  assert.deepEqual(inputOf('m.py', net), [1, 3, 64, 64]);
  assert.deepEqual(inputOf('m.py', `# resnet-studio: input=(1, 3, 32, 32)\n${net}`), [1, 3, 32, 32]);
  // A block analysed alone keeps its own channel parameter as the input's channels.
  const block = 'import torch.nn as nn\nclass B(nn.Module):\n    def __init__(self, in_channels):\n        super().__init__()\n        self.c = nn.Conv2d(in_channels, 8, 3)\n    def forward(self, x):\n        return self.c(x)\n';
  assert.deepEqual(inputOf('b.py', block), [1, 'in_channels', 64, 64]);
  assert.deepEqual(inputOf('m.py', net, resolveOptions({ input: [2, 3, 16, 16] }, DEFAULT)), [2, 3, 16, 16]);
});

test('the returned input is a copy', () => {
  const choice = { input: [1, 3, 8, 8] };
  const o = resolveOptions(choice, DEFAULT);
  o.input!.push(1);
  assert.deepEqual(choice.input, [1, 3, 8, 8]);
});

test('options keys tell option sets apart', () => {
  assert.equal(optionsKey({}), optionsKey({}));
  assert.notEqual(optionsKey({ model: 'a' }), optionsKey({ model: 'b' }));
  assert.notEqual(optionsKey({ input: [1, 3, 8, 8] }), optionsKey({ input: [1, 3, 8, 9] }));
  assert.notEqual(optionsKey({ args: '1' }), optionsKey({}));
});

test('model file kinds', () => {
  assert.equal(isModelFileName('/w/net.py'), 'python');
  assert.equal(isModelFileName('/w/r.resnet.json'), 'design');
  assert.equal(isModelFileName('/w/model.json'), 'maybe-keras');
  assert.equal(isModelFileName('/w/readme.md'), null);
  assert.equal(looksLikeKerasText('{"modelTopology": {"class_name": "Sequential", "config": {"layers": []}}}'), true);
  assert.equal(looksLikeKerasText('{"compilerOptions": {"strict": true}}'), false);
});

test('a Python file without a model is not reported on; broken designs still are', () => {
  const script = analyzeText('/w/tool.py', 'import os\nprint(os.getcwd())\n');
  assert.equal(isModelAnalysis('/w/tool.py', script), false);
  const model = analyzeText('/w/net.py', 'import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n    def forward(self, x):\n        return self.fc(x)\n');
  assert.equal(isModelAnalysis('/w/net.py', model), true);
  const broken = analyzeText('/w/b.resnet.json', '{ "layers": [ }');
  assert.equal(broken.graph, null);
  assert.equal(isModelAnalysis('/w/b.resnet.json', broken), true);
});
