import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { fileDeclaresInput, isModelAnalysis, isModelFileName, looksLikeKerasText, optionsKey, resolveOptions } from '../../src/host/analysisOptions';

const DEFAULT = [1, 3, 224, 224];

test('a file declares its input by comment (PyTorch) or property (design)', () => {
  assert.equal(fileDeclaresInput('m.py', '# resnet-studio: model=Net input=(1, 3, 64, 64)\nimport torch\n'), true);
  assert.equal(fileDeclaresInput('m.py', 'import torch\n#resnet-studio: input = (1, 3, 32, 32)\n'), true);
  assert.equal(fileDeclaresInput('m.py', '# resnet-studio: model=Net\n'), false);
  assert.equal(fileDeclaresInput('m.py', 'x = "input=(1,2)"\n'), false);
  assert.equal(fileDeclaresInput('a.resnet.json', '{ "input": [1, 3, 32, 32], "layers": [] }'), true);
  assert.equal(fileDeclaresInput('a.resnet.json', '{ "layers": [{ "type": "add", "inputs": ["a", "b"] }] }'), false);
  assert.equal(fileDeclaresInput('model.json', '{}'), true);
});

test('precedence: per-model choice, then the file, then the setting', () => {
  const py = 'import torch\n';
  assert.deepEqual(resolveOptions('m.py', py, undefined, DEFAULT), { input: DEFAULT });
  assert.deepEqual(resolveOptions('m.py', '# resnet-studio: input=(1, 3, 32, 32)\n', undefined, DEFAULT), {});
  assert.deepEqual(resolveOptions('m.py', '# resnet-studio: input=(1, 3, 32, 32)\n', { input: [2, 3, 8, 8] }, DEFAULT), { input: [2, 3, 8, 8] });
  assert.deepEqual(resolveOptions('m.py', py, { model: 'resnet50', args: '  num_classes=10 ' }, DEFAULT), {
    model: 'resnet50',
    args: 'num_classes=10',
    input: DEFAULT,
  });
  assert.deepEqual(resolveOptions('m.py', py, { model: 'Net', args: '   ' }, [1, 1, 28, 28]), { model: 'Net', input: [1, 1, 28, 28] });
  assert.deepEqual(resolveOptions('d.resnet.json', '{"input":[1,3,32,32]}', undefined, DEFAULT), {});
  assert.deepEqual(resolveOptions('d.resnet.json', '{"layers":[]}', undefined, [1, 3, 64, 64]), { input: [1, 3, 64, 64] });
});

test('the returned input is a copy', () => {
  const choice = { input: [1, 3, 8, 8] };
  const o = resolveOptions('m.py', '', choice, DEFAULT);
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
