/**
 * What the Keras reader builds besides the totals TF.js judges (test/keras/oracle.test.ts): nested models
 * as groups with their own names, which call of a shared layer a reference means, the input a Sequential
 * without InputLayer gets, and diagnostics that point at the layer's JSON object, since most exports are a
 * single line; and the trainable / frozen split of a transfer-learning model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeKeras } from '../../src/frontends/kerasJson';
import { formatTable, frozenParams } from '../../src/core/report';
import { hoverMarkdown } from '../../src/host/hoverText';

const read = (file: string) => analyzeKeras(file, readFileSync(file, 'utf8'));

test('a nested model is a group named after it, holding its layers under its name', () => {
  const g = read('test/fixtures/keras/nested-functional-call.keras2.model.json').graph!;
  const group = g.groups.find((x) => x.name === 'tiny_resnet');
  assert.ok(group, JSON.stringify(g.groups));
  assert.equal(group.label, 'Functional');
  const inner = g.nodes.filter((n) => n.group === group.id);
  assert.deepEqual(
    inner.map((n) => n.name),
    ['tiny_resnet/conv1', 'tiny_resnet/bn1', 'tiny_resnet/relu1', 'tiny_resnet/conv2', 'tiny_resnet/bn2', 'tiny_resnet/add', 'tiny_resnet/out_relu'],
  );
  // The base's residual add is found inside the group, so the group is a block.
  assert.equal(group.kind, 'block');
  // The nested model's InputLayer is the caller's tensor, not a second graph input.
  assert.equal(g.nodes.filter((n) => n.op === 'input').length, 1);
});

test('Teachable Machine: two nested Sequentials are two groups', () => {
  const g = read('test/fixtures/keras/nested-sequential.keras2.model.json').graph!;
  assert.deepEqual(
    g.groups.map((x) => [x.name, x.label]),
    [
      ['sequential_1', 'Sequential'],
      ['sequential_2', 'Sequential'],
    ],
  );
});

for (const file of ['test/fixtures/keras/shared-layers.keras2.model.json', 'test/fixtures/keras/shared-layers.keras3.json']) test(`a reference names a call: the second call of a shared layer is its own tensor, counted once (${file.split('.')[1]})`, () => {
  // Keras 2 numbers a nested model's calls from 1 (node 0 is its construction), Keras 3 from 0.
  const g = read(file).graph!;
  const calls = g.nodes.filter((n) => n.name === 'shared_conv');
  assert.deepEqual(
    calls.map((n) => [n.outputShape, n.shared ?? false]),
    [
      [[1, 4, 8, 8], false],
      [[1, 4, 10, 10], true],
    ],
  );
  // The nested tower is called twice: its second call is shared too, and reads the second conv call.
  const towers = g.nodes.filter((n) => n.name === 'tower/tower_conv');
  assert.deepEqual(
    towers.map((n) => n.inputShapes[0]),
    [
      [1, 4, 8, 8],
      [1, 4, 10, 10],
    ],
  );
  assert.equal(towers[1]!.shared, true);
});

test('a Sequential without InputLayer gets an input of its own, and its first layer is counted', () => {
  const g = read('test/fixtures/keras/sequential-no-input.keras2.model.json').graph!;
  const input = g.nodes.find((n) => n.op === 'input')!;
  assert.equal(input.name, 'conv2d_input');
  const conv = g.nodes.find((n) => n.name === 'conv2d')!;
  assert.equal(conv.shared, undefined);
  assert.equal(conv.params, 3 * 3 * 1 * 8 + 8);
});

test('channels_first: the input is already channels-first', () => {
  const g = read('test/fixtures/keras/channels-first.keras2.model.json').graph!;
  assert.deepEqual(g.input, [1, 1, 19, 19]);
});

test('on a one-line export, an error spans the layer object it is about', () => {
  const file = 'test/fixtures/keras/dangling-ref.keras2.model.json';
  const text = readFileSync(file, 'utf8');
  assert.equal(text.trimEnd().split('\n').length, 1);
  const a = analyzeKeras(file, text);
  const d = a.diagnostics.find((x) => x.code === 'keras/unknown-ref')!;
  assert.match(d.message, /layer 'add' takes input from unknown layer 'relu_1'/);
  const start = text.indexOf('{"class_name": "Add"');
  assert.ok(start > 0);
  // The object's closing brace: the first `}` that balances the opening one.
  let depth = 0;
  let end = start;
  for (; end < text.length; end++) {
    if (text[end] === '{') depth++;
    else if (text[end] === '}' && --depth === 0) break;
  }
  assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [1, start + 1, 1, end + 2]);
  assert.equal(a.graph?.output ?? null, null);
});

test('every layer node carries its layer object as its source, so a hover anywhere in it finds the layer', () => {
  const file = 'test/fixtures/keras/batchnorm-after-dense-oneline.keras2.model.json';
  const text = readFileSync(file, 'utf8');
  const g = analyzeKeras(file, text).graph!;
  const dense = g.nodes.find((n) => n.name === 'dense')!;
  const at = text.indexOf('{"class_name": "Dense", "config": {"name": "dense"');
  assert.equal(dense.source!.column, at + 1);
  assert.ok(dense.source!.endColumn > text.indexOf('"units": 64', at) + 1);
});

test('frozen layers: still counted, marked on their nodes, split out in the table and the hover', () => {
  const file = 'test/fixtures/keras/nested-functional-base.keras2.model.json';
  const a = read(file);
  const g = a.graph!;
  // The base was frozen as a whole (its config says trainable: false); the head was not.
  assert.ok(g.nodes.filter((n) => n.name.startsWith('tiny_resnet/')).every((n) => n.frozen));
  assert.ok(!g.nodes.find((n) => n.name === 'dense')!.frozen);
  const frozen = frozenParams(g)!;
  assert.ok(frozen > 0 && frozen < g.params!);
  const fmt = (n: number) => n.toLocaleString('en-US');
  assert.match(formatTable(a), new RegExp(`Trainable params: ${fmt(g.params! - frozen)} .*Frozen params: ${fmt(frozen)} `));
  const conv = g.nodes.find((n) => n.name === 'tiny_resnet/conv1')!;
  assert.match(hoverMarkdown({ executed: [conv], defined: [] })!, /Params [\d,]+ \(frozen\)/);
  const both = hoverMarkdown({ executed: [conv, g.nodes.find((n) => n.name === 'dense')!], defined: [] })!;
  assert.match(both, /\(trainable [\d,]+, frozen [\d,]+\)/);
});

test('a layer we cannot read makes what follows unknown, never a false error (a broadcast with it included)', () => {
  for (const file of ['test/fixtures/keras/unknown-upstream.keras2.model.json', 'test/fixtures/keras/unknown-upstream.keras3.json']) {
    // The fixtures' PReLU is read now (test/keras/preluPerPosition.test.ts): a custom layer stands in for it.
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('"class_name":"PReLU"'), file);
    const a = analyzeKeras(file, text.replace('"class_name":"PReLU"', '"class_name":"CustomGate"'));
    assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], file);
    assert.deepEqual(a.diagnostics.map((d) => d.code), ['keras/unsupported'], file);
    assert.equal(a.graph!.output, null);
    // The per-channel Rescaling before it is read.
    assert.deepEqual(a.graph!.nodes.find((n) => n.name === 'rescaling')!.attrs['scale'], [2.0897, 2.1129, 2.1082]);
  }
});
