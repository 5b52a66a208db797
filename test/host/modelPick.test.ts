// The model quick pick's rows and the graph's title, from a file's index.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { indexFile } from '../../src/frontends/workspaceIndex';
import { graphTitle, modelPickRows } from '../../src/host/modelPick';

test('each model of the file with its params, MACs and input → output, the shown one marked', () => {
  const file = 'test/fixtures/pytorch/torchvision_style.py';
  const index = indexFile(file, readFileSync(file, 'utf8'), { base: { defaultInput: [1, 3, 224, 224] } })!;
  const rows = modelPickRows(index, 'resnet18');
  assert.deepEqual(rows.map((r) => r.label).slice(0, 6), ['BasicBlock', 'Bottleneck', 'ResNet', '_resnet', 'resnet18', 'resnet34']);
  const r50 = rows.find((r) => r.model === 'resnet50')!;
  assert.equal(r50.description, '25.6 M params · 4.09 GMACs · 3×224² → 1×1000');
  assert.match(rows.find((r) => r.model === 'resnet18')!.description, /^\(shown\) /);
  assert.match(rows.find((r) => r.model === 'BasicBlock')!.detail, /class with symbolic arguments · line \d+/);
});

test('the title names the model only when the file has several', () => {
  assert.equal(graphTitle('resnet.py', 'resnet50', true), 'Graph: resnet.py · resnet50');
  assert.equal(graphTitle('net.resnet.json', 'ResNet-18', false), 'Graph: net.resnet.json');
});
