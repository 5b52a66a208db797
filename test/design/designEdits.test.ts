/**
 * The design edits the graph makes (src/frontends/designEdits.ts), one table row per edit: the JSON text
 * before and after, with `comment` fields, odd spacing and one-line objects kept outside the edited node;
 * the analysis after the edit for the edits that change the network; and each refusal with its message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyDesignEdit, designContextOf, detectFormatting } from '../../src/frontends/designEdits';
import { analyzeDesign } from '../../src/frontends/resnetJson';
import { BUILTIN_BLOCKS } from '../../src/frontends/builtinBlocks';
import { formatDesign } from '../../src/codegen/toDesign';
import { type DesignEdit, type DesignEditKind, isDesignEdit } from '../../src/protocol/designEditProtocol';
import type { DesignFile, LayerDef } from '../../src/frontends/designTypes';

/** A small design written by hand: four-space indent, one-line layers, a multi-line stage, `comment` fields. */
const TINY = `{
    "name": "tiny",
    "description": "a small CIFAR-sized network",
    "input": [1, 3, 32, 32],
    "vars": { "num_classes": 10 },
    "layers": [
        { "type": "Conv2d", "name": "conv1", "out_channels": 16, "kernel_size": 3, "padding": 1, "bias": false, "comment": "stem" },
        { "type": "BatchNorm2d", "name": "bn1" },
        { "type": "ReLU", "name": "relu" },
        {
            "stage": "layer1",
            "comment": "keeps the stem's width",
            "block": "basic",
            "count": 2,
            "planes": 16
        },
        { "stage": "layer2",  "block": "basic", "count": 2, "planes": 32, "stride": 2 },
        { "type": "AdaptiveAvgPool2d", "name": "avgpool", "output_size": 1 },
        { "type": "Flatten", "name": "flatten" },
        { "type": "Linear", "name": "fc", "out_features": "num_classes" }
    ]
}
`;

const example = (name: string): string => readFileSync(`examples/${name}.resnet.json`, 'utf8');

function applied(text: string, edit: DesignEdit): { text: string; summary: string; edits: { offset: number; length: number; content: string }[] } {
  const r = applyDesignEdit(text, edit);
  if (!r.ok) assert.fail(`refused: ${r.error}`);
  return r;
}

/** The edits, applied to the old text, give the new text (the host applies them, not the returned text). */
function replay(text: string, edits: { offset: number; length: number; content: string }[]): string {
  return [...edits].sort((a, b) => b.offset - a.offset).reduce((t, e) => t.slice(0, e.offset) + e.content + t.slice(e.offset + e.length), text);
}

function analysis(text: string): { params: number | null; output: unknown; errors: string[] } {
  const a = analyzeDesign('t.resnet.json', text);
  const out = a.graph?.nodes.at(-1)?.outputShape ?? null;
  return { params: a.graph?.params ?? null, output: out, errors: a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message) };
}

interface Row {
  name: string;
  text: string;
  edit: DesignEdit;
  /** Exact text changes: each `[old, new]` replaces the one occurrence of `old` in the text before. */
  changes: [string, string][];
  summary?: RegExp;
  params?: number;
}

const TINY_PARAMS = analysis(TINY).params!;

const ROWS: Row[] = [
  {
    name: 'setStage: count',
    text: TINY,
    edit: { kind: 'setStage', stage: 'layer2', key: 'count', value: 3 },
    changes: [['"count": 2, "planes": 32', '"count": 3, "planes": 32']],
    summary: /layer2: count 2 → 3/,
    // One more 32-wide basic block: two 3×3 convs (32·32·9 each) and two BatchNorms (64 each).
    params: TINY_PARAMS + 2 * 32 * 32 * 9 + 2 * 64,
  },
  {
    name: 'setStage: a new key goes into the multi-line stage, laid out like its neighbours',
    text: TINY,
    edit: { kind: 'setStage', stage: 'layer1', key: 'stride', value: 2 },
    changes: [['"planes": 16\n        }', '"planes": 16,\n            "stride": 2\n        }']],
  },
  {
    name: 'setStage: an override on a one-line stage stays on one line',
    text: TINY,
    edit: { kind: 'setStage', stage: 'layer2', key: 'stride', value: null },
    changes: [['"planes": 32, "stride": 2 }', '"planes": 32 }']],
  },
  {
    name: 'addBlock',
    text: TINY,
    edit: { kind: 'addBlock', stage: 'layer1' },
    changes: [['"count": 2,\n            "planes": 16', '"count": 3,\n            "planes": 16']],
    params: TINY_PARAMS + 2 * 16 * 16 * 9 + 2 * 32,
  },
  {
    name: 'removeBlock',
    text: TINY,
    edit: { kind: 'removeBlock', stage: 'layer2' },
    changes: [['"count": 2, "planes": 32', '"count": 1, "planes": 32']],
    params: TINY_PARAMS - 2 * 32 * 32 * 9 - 2 * 64,
  },
  {
    name: 'addBlock on a count written as an expression writes the number for this stage only',
    text: example('cifar-resnet20'),
    edit: { kind: 'addBlock', stage: 'layer3' },
    changes: [['"stage": "layer3",\n      "block": "cifar",\n      "count": "n"', '"stage": "layer3",\n      "block": "cifar",\n      "count": 4']],
    summary: /layer3: count n \(3\) → 4/,
  },
  {
    name: 'setLayer: a top-level attribute',
    text: TINY,
    edit: { kind: 'setLayer', layer: 'conv1', key: 'kernel_size', value: 5 },
    changes: [['"kernel_size": 3, "padding": 1, "bias": false, "comment": "stem"', '"kernel_size": 5, "padding": 1, "bias": false, "comment": "stem"']],
  },
  {
    name: 'setLayer: a list value on a one-line layer',
    text: TINY,
    edit: { kind: 'setLayer', layer: 'avgpool', key: 'output_size', value: [2, 2] },
    changes: [['"output_size": 1 }', '"output_size": [2, 2] }']],
  },
  {
    name: 'setLayer: null removes the attribute',
    text: TINY,
    edit: { kind: 'setLayer', layer: 'conv1', key: 'bias', value: null },
    changes: [['"padding": 1, "bias": false, "comment"', '"padding": 1, "comment"']],
    params: TINY_PARAMS + 16,
  },
  {
    name: 'removeStage',
    text: TINY,
    edit: { kind: 'removeStage', stage: 'layer2' },
    changes: [['        { "stage": "layer2",  "block": "basic", "count": 2, "planes": 32, "stride": 2 },\n', '']],
  },
  {
    name: 'addStage: same block, planes doubled, stride 2, two blocks, on its own line like its neighbours',
    text: TINY,
    edit: { kind: 'addStage', after: 'layer2' },
    changes: [['"stride": 2 },\n', '"stride": 2 },\n        { "stage": "layer3", "block": "basic", "count": 2, "planes": 64, "stride": 2 },\n']],
    summary: /added stage layer3 after layer2/,
  },
  {
    name: 'rename: a layer, where inputs follow',
    text: TINY,
    edit: { kind: 'rename', target: 'fc', name: 'classifier' },
    changes: [['"name": "fc"', '"name": "classifier"']],
  },
  {
    name: 'rename: a stage',
    text: TINY,
    edit: { kind: 'rename', target: 'layer2', name: 'stage2' },
    changes: [['{ "stage": "layer2",', '{ "stage": "stage2",']],
  },
  {
    name: 'rename: the model',
    text: TINY,
    edit: { kind: 'rename', target: null, name: 'Tiny ResNet' },
    changes: [['"name": "tiny"', '"name": "Tiny ResNet"']],
  },
  {
    name: 'setInput',
    text: TINY,
    edit: { kind: 'setInput', shape: [1, 3, 64, 64] },
    changes: [['"input": [1, 3, 32, 32]', '"input": [1, 3, 64, 64]']],
  },
  {
    name: 'setNumClasses through vars.num_classes',
    text: TINY,
    edit: { kind: 'setNumClasses', value: 100 },
    changes: [['"vars": { "num_classes": 10 }', '"vars": { "num_classes": 100 }']],
    // The head grows by 90 outputs of 32 weights and a bias each.
    params: TINY_PARAMS + 90 * 33,
  },
  {
    name: 'setNumClasses on the last Linear when there is no vars.num_classes',
    text: TINY.replace('"vars": { "num_classes": 10 },\n    ', '').replace('"out_features": "num_classes"', '"out_features": 10'),
    edit: { kind: 'setNumClasses', value: 7 },
    changes: [['"out_features": 10', '"out_features": 7']],
  },
  {
    name: 'removeLayer',
    text: TINY,
    edit: { kind: 'removeLayer', layer: 'relu' },
    changes: [['        { "type": "ReLU", "name": "relu" },\n', '']],
  },
  {
    name: 'duplicateLayer: the copy follows the original, with a new name',
    text: TINY,
    edit: { kind: 'duplicateLayer', layer: 'relu' },
    changes: [['{ "type": "ReLU", "name": "relu" },\n', '{ "type": "ReLU", "name": "relu" },\n        { "type": "ReLU", "name": "relu_1" },\n']],
  },
  {
    name: 'insert conv-bn-relu at the top level: out_channels from the analysed shape',
    text: TINY,
    edit: { kind: 'insert', after: 'relu', item: 'conv-bn-relu' },
    changes: [
      [
        '{ "type": "ReLU", "name": "relu" },\n',
        '{ "type": "ReLU", "name": "relu" },\n        { "type": "Conv2d", "name": "conv_1", "out_channels": 16, "kernel_size": 3, "padding": 1, "bias": false },\n        { "type": "BatchNorm2d", "name": "bn_1" },\n        { "type": "ReLU", "name": "relu_1" },\n',
      ],
    ],
    params: TINY_PARAMS + 16 * 16 * 9 + 32,
  },
  {
    name: 'insert dropout before the head: plain Dropout on features',
    text: TINY,
    edit: { kind: 'insert', after: 'flatten', item: 'dropout' },
    changes: [['{ "type": "Flatten", "name": "flatten" },\n', '{ "type": "Flatten", "name": "flatten" },\n        { "type": "Dropout", "name": "dropout", "p": 0.5 },\n']],
  },
  {
    name: 'insert dropout in the convolutional part: Dropout2d',
    text: TINY,
    edit: { kind: 'insert', after: 'layer1', item: 'dropout' },
    changes: [['        },\n        { "stage": "layer2"', '        },\n        { "type": "Dropout2d", "name": "dropout", "p": 0.5 },\n        { "stage": "layer2"']],
  },
  {
    name: 'insert maxpool first',
    text: TINY,
    edit: { kind: 'insert', after: null, item: 'maxpool' },
    changes: [['"layers": [\n        {', '"layers": [\n        { "type": "MaxPool2d", "name": "maxpool", "kernel_size": 2, "stride": 2 },\n        {']],
  },
  {
    name: 'insert avgpool: the name avgpool is taken',
    text: TINY,
    edit: { kind: 'insert', after: 'layer2', item: 'avgpool' },
    changes: [['"stride": 2 },\n', '"stride": 2 },\n        { "type": "AvgPool2d", "name": "avgpool_1", "kernel_size": 2, "stride": 2 },\n']],
  },
  {
    name: 'insert one catalogue op with its required attributes filled',
    text: TINY,
    edit: { kind: 'insert', after: 'relu', item: { op: 'Conv2d' } },
    changes: [['{ "type": "ReLU", "name": "relu" },\n', '{ "type": "ReLU", "name": "relu" },\n        { "type": "Conv2d", "name": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1 },\n']],
    params: TINY_PARAMS + 16 * 16 * 9 + 16,
  },
];

for (const row of ROWS) {
  test(`edit ${row.name}`, () => {
    const r = applied(row.text, row.edit);
    let expected = row.text;
    for (const [from, to] of row.changes) {
      assert.equal(expected.split(from).length, 2, `'${from}' occurs once in the text before`);
      expected = expected.replace(from, to);
    }
    assert.equal(r.text, expected);
    assert.equal(replay(row.text, r.edits), expected);
    assert.equal(r.edits.length, 1, 'one replacement, so that undo takes the gesture back in one step');
    if (row.summary) assert.match(r.summary, row.summary);
    if (row.params !== undefined) assert.equal(analysis(r.text).params, row.params);
  });
}

test('the table covers every edit kind', () => {
  const kinds = new Set<DesignEditKind>(ROWS.map((r) => r.edit.kind));
  for (const k of ['setStage', 'setShortcut', 'addStage', 'removeStage', 'addBlock', 'removeBlock', 'setLayer', 'insert', 'removeLayer', 'duplicateLayer', 'rename', 'setInput', 'setNumClasses'] as const) {
    // setShortcut is covered by its own tests below (it copies a block, so its text is checked structurally).
    if (k === 'setShortcut') continue;
    assert.ok(kinds.has(k), k);
  }
});

/** The text outside the inserted `blocks` entry is the text before, byte for byte. */
function onlyInserted(before: string, after: string): string {
  let i = 0;
  while (before[i] === after[i]) i++;
  let j = 0;
  while (j < before.length - i && before.at(-1 - j) === after.at(-1 - j)) j++;
  assert.equal(before.length - i - j, 0, 'nothing of the old text was rewritten');
  return after.slice(i, after.length - j);
}

test('editing a built-in block layer copies the block into `blocks` first, and every stage using it changes', () => {
  const before = example('resnet50');
  const r = applied(before, { kind: 'setLayer', layer: 'layer2.0.conv2', key: 'kernel_size', value: 5 });
  const design = JSON.parse(r.text) as DesignFile;
  const expected = structuredClone(BUILTIN_BLOCKS['bottleneck']!);
  (expected.main[3] as LayerDef)['kernel_size'] = 5;
  assert.deepEqual(design.blocks, { bottleneck: expected });
  assert.deepEqual(Object.keys(design), ['name', 'input', 'vars', 'blocks', 'layers'], 'blocks go before layers');
  onlyInserted(before, r.text);
  assert.match(r.summary, /layer2\.0\.conv2: kernel_size 3 → 5 \(block 'bottleneck', used by layer1, layer2, layer3, layer4\)/);
  // A 5×5 kernel with padding 1 shrinks the main path by 2: the residual add then fails in every block, and
  // the edit is still made (the graph shows what it caused).
  const a = analysis(r.text);
  assert.ok(a.errors.some((m) => /add|broadcast|shape/i.test(m)), a.errors.join('\n'));
  // Padding 2 keeps the spatial size with a 5×5 kernel, so setting it makes the network whole again.
  const r2 = applied(r.text, { kind: 'setLayer', layer: 'layer3.1.conv2', key: 'padding', value: 2 });
  assert.equal(JSON.parse(r2.text).blocks.bottleneck.main[3].padding, 2);
  const whole = analysis(r2.text);
  assert.deepEqual(whole.errors, []);
  assert.deepEqual(whole.output, [1, 1000]);
  // Each conv2 is width × width/groups × k×k: going from 3×3 to 5×5 adds width² × 16 for every block.
  const blocks: [number, number][] = [[64, 3], [128, 4], [256, 6], [512, 3]];
  const extra = blocks.reduce((s, [w, n]) => s + n * w * w * 16, 0);
  assert.equal(whole.params, analysis(before).params! + extra);
});

test('a module used twice in a block (torchvision reuses `relu`) is edited at every use', () => {
  const r = applied(example('resnet18'), { kind: 'setLayer', layer: 'layer1.0.relu', key: 'inplace', value: true });
  const basic = (JSON.parse(r.text) as DesignFile).blocks!['basic']!;
  assert.deepEqual([...basic.main, ...basic.post!].filter((l) => l.name === 'relu').map((l) => l['inplace']), [true, true]);
  assert.match(r.summary, /2 uses of the module 'relu'/);
});

test('setShortcut C on ResNet-18: a projection on every block, with torchvision state_dict names and parameter count', () => {
  const before = example('resnet18');
  const r = applied(before, { kind: 'setShortcut', stage: 'layer1', shortcut: 'C' });
  const design = JSON.parse(r.text) as DesignFile;
  assert.deepEqual(design.blocks!['basic']!.shortcut, {
    layers: [
      { type: 'Conv2d', name: 'downsample.0', out_channels: 'planes * expansion', kernel_size: 1, stride: 'stride', bias: false },
      { type: 'BatchNorm2d', name: 'downsample.1' },
    ],
  });
  onlyInserted(before, r.text);
  const a = analyzeDesign('r.resnet.json', r.text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  // Counted in PyTorch 1.13 on torchvision's BasicBlock ResNet-18 layout with `downsample = Sequential(Conv2d(1×1,
  // bias=False), BatchNorm2d)` on all eight blocks: 12,043,816 parameters (11,689,512 with torchvision's option B).
  assert.equal(a.graph!.params, 12_043_816);
  assert.deepEqual(a.graph!.nodes.at(-1)!.outputShape, [1, 1000]);
  const names = a.graph!.nodes.map((n) => n.name);
  for (const n of ['layer1.0.downsample.0', 'layer1.0.downsample.1', 'layer4.1.downsample.0']) assert.ok(names.includes(n), n);
  // Back to B is 'projection'; the block copy stays (the file now says what its blocks are).
  const b = applied(r.text, { kind: 'setShortcut', stage: 'layer3', shortcut: 'B' });
  assert.equal((JSON.parse(b.text) as DesignFile).blocks!['basic']!.shortcut, 'projection');
  assert.equal(analysis(b.text).params, 11_689_512);
  // And the C shortcut's layers are ordinary layers now: editable by their module path.
  const k = applied(r.text, { kind: 'setLayer', layer: 'layer2.0.downsample.0', key: 'kernel_size', value: 3 });
  const sc = (JSON.parse(k.text) as DesignFile).blocks!['basic']!.shortcut as { layers: LayerDef[] };
  assert.equal(sc.layers[0]!['kernel_size'], 3);
});

test('setShortcut A on a bottleneck design: the parameter-free shortcut drops every projection', () => {
  const before = example('resnet50');
  const r = applied(before, { kind: 'setShortcut', stage: 'layer2', shortcut: 'A' });
  assert.equal((JSON.parse(r.text) as DesignFile).blocks!['bottleneck']!.shortcut, 'A');
  const a = analysis(r.text);
  assert.deepEqual(a.errors, []);
  // ResNet-50's four projections: 64→256, 256→512, 512→1024, 1024→2048 (1×1 conv + BN each).
  const projections = [[64, 256], [256, 512], [512, 1024], [1024, 2048]].reduce((s, [i, o]) => s + i! * o! + 2 * o!, 0);
  assert.equal(a.params, analysis(before).params! - projections);
});

test('insert squeeze-and-excitation at the top level: pool, reduce by 16 (at least 8), gate, and the product with its input', () => {
  const before = example('resnet18');
  const r = applied(before, { kind: 'insert', after: 'layer2', item: 'squeeze-excitation' });
  const design = JSON.parse(r.text) as DesignFile;
  const i = design.layers.findIndex((l) => (l as { stage?: string }).stage === 'layer2');
  assert.deepEqual(design.layers.slice(i + 1, i + 7), [
    { type: 'AdaptiveAvgPool2d', name: 'se_pool', output_size: 1 },
    { type: 'Conv2d', name: 'se_reduce', out_channels: 8, kernel_size: 1 },
    { type: 'ReLU', name: 'se_relu' },
    { type: 'Conv2d', name: 'se_expand', out_channels: 128, kernel_size: 1 },
    { type: 'Sigmoid', name: 'se_gate' },
    { type: 'mul', name: 'se_scale', inputs: ['layer2', 'se_gate'] },
  ]);
  const a = analysis(r.text);
  assert.deepEqual(a.errors, []);
  // 128→8 and 8→128 1×1 convs with biases.
  assert.equal(a.params, 11_689_512 + (128 * 8 + 8) + (8 * 128 + 128));
  assert.deepEqual(a.output, [1, 1000]);
});

test('insert squeeze-and-excitation inside a block: channels as expressions over the block variables', () => {
  const r = applied(example('resnet50'), { kind: 'insert', after: 'layer1.0.bn3', item: 'squeeze-excitation' });
  const main = (JSON.parse(r.text) as DesignFile).blocks!['bottleneck']!.main;
  assert.deepEqual(main.slice(8), [
    { type: 'AdaptiveAvgPool2d', name: 'se_pool', output_size: 1 },
    { type: 'Conv2d', name: 'se_reduce', out_channels: 'max(floor((planes * expansion) / 16), 8)', kernel_size: 1 },
    { type: 'ReLU', name: 'se_relu' },
    { type: 'Conv2d', name: 'se_expand', out_channels: 'planes * expansion', kernel_size: 1 },
    { type: 'Sigmoid', name: 'se_gate' },
    { type: 'mul', name: 'se_scale', inputs: ['bn3', 'se_gate'] },
  ]);
  const a = analysis(r.text);
  assert.deepEqual(a.errors, []);
  // SE-ResNet-50 (Hu et al.) has 28,088,024 parameters with r = 16: 25,557,032 plus the gates' 2,530,992.
  assert.equal(a.params, 28_088_024);
});

test('`use` picks one use of a module a block calls several times: insert after, duplicate or remove just that one', () => {
  const before = example('resnet50');
  const main = (text: string): string[] => (JSON.parse(text) as DesignFile).blocks!['bottleneck']!.main.map((l) => String(l.name));
  const builtin = BUILTIN_BLOCKS['bottleneck']!.main.map((l) => String(l.name));
  assert.deepEqual(builtin, ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'relu', 'conv3', 'bn3']);
  // The second relu (after bn2) is use 1; use 2 is the one after the add, in `post`.
  const ins = applied(before, { kind: 'insert', after: 'layer2.1.relu', use: 1, item: 'dropout' });
  assert.deepEqual(main(ins.text), ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'relu', 'dropout', 'conv3', 'bn3']);
  const dup = applied(before, { kind: 'duplicateLayer', layer: 'layer2.1.relu', use: 0 });
  assert.deepEqual(main(dup.text), ['conv1', 'bn1', 'relu', 'relu_1', 'conv2', 'bn2', 'relu', 'conv3', 'bn3']);
  const rm = applied(before, { kind: 'removeLayer', layer: 'layer2.1.relu', use: 2 });
  assert.deepEqual(main(rm.text), builtin);
  assert.deepEqual((JSON.parse(rm.text) as DesignFile).blocks!['bottleneck']!.post, []);
  // Without `use`, removing the module removes every use of it.
  const all = applied(before, { kind: 'removeLayer', layer: 'layer2.1.relu' });
  assert.deepEqual(main(all.text), ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3']);
  assert.match(all.summary, /all 3 uses of the module 'relu'/);
  assert.equal(analysis(all.text).params, analysis(before).params, 'ReLU has no parameters');
});

test('insert after a block residual add goes to the start of its post layers', () => {
  const r = applied(example('resnet18'), { kind: 'insert', after: 'layer1.0.add', item: 'dropout' });
  assert.deepEqual((JSON.parse(r.text) as DesignFile).blocks!['basic']!.post, [
    { type: 'Dropout2d', name: 'dropout', p: 0.5 },
    { type: 'ReLU', name: 'relu' },
  ]);
});

test('rename inside a block renames every use and the references that used the old name', () => {
  const text = JSON.stringify(
    {
      blocks: { b: { main: [{ type: 'Conv2d', name: 'a', out_channels: 'planes', kernel_size: 1 }, { type: 'ReLU', name: 'r', inputs: ['a'] }], shortcut: 'identity' } },
      layers: [{ type: 'Conv2d', name: 'stem', out_channels: 8, kernel_size: 1 }, { stage: 's', block: 'b', count: 1, planes: 8 }, { type: 'Flatten', name: 'f', inputs: ['s'] }],
    },
    null,
    2,
  );
  const r = applied(text, { kind: 'rename', target: 's.0.a', name: 'conv' });
  assert.deepEqual((JSON.parse(r.text) as DesignFile).blocks!['b']!.main.map((l) => [l.name, l.inputs]), [
    ['conv', undefined],
    ['r', ['conv']],
  ]);
  const s = applied(text, { kind: 'rename', target: 's', name: 'stage1' });
  assert.deepEqual((JSON.parse(s.text) as DesignFile).layers[2]!.inputs, ['stage1']);
  const rm = applied(text, { kind: 'removeLayer', layer: 's.0.a' });
  assert.deepEqual((JSON.parse(rm.text) as DesignFile).blocks!['b']!.main, [{ type: 'ReLU', name: 'r', inputs: ['input'] }]);
});

test('setStage on a block parameter: ResNeXt-style groups and width on a bottleneck stage', () => {
  const before = example('resnet50');
  const r = applied(before, { kind: 'setStage', stage: 'layer3', key: 'groups', value: 32 });
  assert.equal((JSON.parse(r.text) as DesignFile).layers.find((l) => (l as { stage?: string }).stage === 'layer3')!['groups'], 32);
  const w = applied(r.text, { kind: 'setStage', stage: 'layer3', key: 'base_width', value: 4 });
  const a = analysis(w.text);
  assert.deepEqual(a.errors, []);
  // layer3 of ResNeXt-50 32×4d: width = floor(256 · 4 / 64) · 32 = 512 in each of its six blocks, against 256 in ResNet-50.
  const layer3 = (wid: number, groups: number): number => 6 * (wid * 9 * (wid / groups) + 2 * wid) + 5 * (1024 * wid + wid * 1024 + 2 * wid) + (512 * wid + wid * 1024 + 2 * wid);
  assert.equal(a.params! - analysis(before).params!, layer3(512, 32) - layer3(256, 1));
});

test('removing a stage that a later layer names in its inputs: the reference moves to what fed the stage', () => {
  const text = JSON.stringify({ layers: [{ type: 'Conv2d', name: 'stem', out_channels: 8, kernel_size: 1 }, { stage: 's', block: 'basic', count: 1, planes: 8 }, { type: 'Flatten', name: 'f', inputs: ['s'] }] }, null, 2);
  const r = applied(text, { kind: 'removeStage', stage: 's' });
  assert.deepEqual((JSON.parse(r.text) as DesignFile).layers.map((l) => l.inputs), [undefined, ['stem']]);
});

test('JSON comments (which jsonc-parser reads) are kept around the edited node', () => {
  const text = `{
  // The stem is CIFAR-sized.
  "name": "c",
  "layers": [
    { "type": "Conv2d", "name": "conv1", "out_channels": 16, "kernel_size": 3 }, // no padding yet
    /* stages */
    { "stage": "layer1", "block": "basic", "count": 2, "planes": 16 }
  ]
}`;
  const r = applied(text, { kind: 'setLayer', layer: 'conv1', key: 'padding', value: 1 });
  assert.equal(r.text, text.replace('"kernel_size": 3 }', '"kernel_size": 3, "padding": 1 }'));
  const s = applied(text, { kind: 'addStage', after: 'layer1' });
  assert.equal(s.text, text.replace('"planes": 16 }\n', '"planes": 16 },\n    { "stage": "layer2", "block": "basic", "count": 2, "planes": 32, "stride": 2 }\n'));
  const d = applied(text, { kind: 'duplicateLayer', layer: 'conv1' });
  assert.ok(d.text.includes('// no padding yet\n    { "type": "Conv2d", "name": "conv1_1", "out_channels": 16, "kernel_size": 3 },\n    /* stages */'), d.text);
  const last = text.replace('"planes": 16 }\n', '"planes": 16 } // the only stage\n');
  const e = applied(last, { kind: 'insert', after: 'layer1', item: 'maxpool' });
  assert.equal(e.text, last.replace('"planes": 16 } // the only stage\n', '"planes": 16 }, // the only stage\n    { "type": "MaxPool2d", "name": "maxpool", "kernel_size": 2, "stride": 2 }\n'));
});

test('a design written one layer to a line (as Convert to Design writes it) keeps that layout through every kind of edit', () => {
  let text = formatDesign(JSON.parse(example('resnet50')) as DesignFile);
  const edits: DesignEdit[] = [
    { kind: 'setShortcut', stage: 'layer1', shortcut: 'C' },
    { kind: 'insert', after: 'layer1.0.bn3', item: 'squeeze-excitation' },
    { kind: 'setLayer', layer: 'layer1.0.conv2', key: 'kernel_size', value: [3, 3] },
    { kind: 'duplicateLayer', layer: 'layer2.0.downsample.1' },
    { kind: 'removeLayer', layer: 'layer2.0.downsample.1_1' },
    { kind: 'insert', after: 'maxpool', item: 'conv-bn-relu' },
    { kind: 'addStage', after: 'layer4' },
    { kind: 'setStage', stage: 'layer5', key: 'groups', value: 2 },
    { kind: 'rename', target: 'layer5', name: 'extra' },
    { kind: 'removeLayer', layer: 'relu_1' },
    { kind: 'setInput', shape: [1, 3, 160, 160] },
    { kind: 'setNumClasses', value: 10 },
  ];
  for (const e of edits) {
    text = applied(text, e).text;
    assert.equal(text, formatDesign(JSON.parse(text) as DesignFile), JSON.stringify(e));
  }
  assert.deepEqual(analysis(text).errors, []);
});

test('tabs and CRLF line endings are kept in new text', () => {
  const text = JSON.stringify(JSON.parse(TINY.replace(/\n\s*/g, ' ')), null, '\t').replace(/\n/g, '\r\n');
  assert.deepEqual(detectFormatting(text), { insertSpaces: false, tabSize: 4, eol: '\r\n' });
  const r = applied(text, { kind: 'setStage', stage: 'layer1', key: 'stride', value: 1 });
  assert.ok(r.text.includes('"planes": 16,\r\n\t\t\t"stride": 1\r\n\t\t}'), r.text);
  assert.ok(!/[^\r]\n/.test(r.text));
});

interface Refusal {
  name: string;
  edit: DesignEdit;
  error: RegExp;
  text?: string;
}

const REFUSALS: Refusal[] = [
  { name: 'unknown stage', edit: { kind: 'addBlock', stage: 'layer9' }, error: /unknown stage 'layer9' \(stages: layer1, layer2\)/ },
  { name: 'unknown layer', edit: { kind: 'setLayer', layer: 'conv9', key: 'kernel_size', value: 1 }, error: /unknown layer 'conv9'/ },
  { name: 'unknown layer in a block', edit: { kind: 'setLayer', layer: 'layer1.0.conv9', key: 'kernel_size', value: 1 }, error: /unknown layer 'layer1\.0\.conv9'/ },
  { name: 'a block index past the count', edit: { kind: 'setLayer', layer: 'layer1.2.conv1', key: 'kernel_size', value: 1 }, error: /layer1 has 2 block/ },
  { name: 'removing the last block of a stage', edit: { kind: 'removeBlock', stage: 'layer1' }, error: /layer1 has one block; remove the stage instead/, text: TINY.replace('"count": 2,\n', '"count": 1,\n') },
  { name: 'renaming to a name in use', edit: { kind: 'rename', target: 'bn1', name: 'relu' }, error: /cannot rename bn1 to 'relu': the name is already used/ },
  { name: 'renaming a stage to a layer name', edit: { kind: 'rename', target: 'layer1', name: 'fc' }, error: /already used/ },
  { name: 'a non-positive count', edit: { kind: 'setStage', stage: 'layer1', key: 'count', value: 0 }, error: /layer1: count must be a positive whole number, got 0/ },
  { name: 'negative planes', edit: { kind: 'setStage', stage: 'layer1', key: 'planes', value: -4 }, error: /layer1: planes must be a positive/ },
  { name: 'non-positive classes', edit: { kind: 'setNumClasses', value: 0 }, error: /positive whole number/ },
  { name: 'an input of the wrong rank', edit: { kind: 'setInput', shape: [32, 32] }, error: /C×H×W or N×C×H×W/ },
  { name: 'the residual add', edit: { kind: 'setLayer', layer: 'layer1.0.add', key: 'x', value: 1 }, error: /layer1\.0\.add is the residual add .* no JSON of its own/ },
  {
    name: 'a projection shortcut layer',
    edit: { kind: 'setLayer', layer: 'layer2.0.downsample.0', key: 'kernel_size', value: 3 },
    error: /layer2\.0\.downsample\.0 is made by the 'projection' shortcut .* set layer2's shortcut to C/,
  },
  { name: 'an option-A shortcut', edit: { kind: 'removeLayer', layer: 'layer2.0.shortcut' }, error: /option-A shortcut .* set layer2's shortcut to C/, text: example('cifar-resnet20') },
  { name: 'an attribute the op does not have', edit: { kind: 'setLayer', layer: 'bn1', key: 'kernel_size', value: 3 }, error: /bn1: BatchNorm2d has no attribute 'kernel_size'/ },
  { name: 'a layer type that is not in the catalogue', edit: { kind: 'setLayer', layer: 'relu', key: 'type', value: 'Swish' }, error: /'Swish' is not a layer type/ },
  { name: 'an unknown block for a stage', edit: { kind: 'setStage', stage: 'layer1', key: 'block', value: 'fancy' }, error: /unknown block 'fancy'/ },
  { name: 'a parameter the stage block does not take', edit: { kind: 'setStage', stage: 'layer1', key: 'groups', value: 32 }, error: /layer1: block 'basic' has no parameter 'groups' \(it takes none/ },
  { name: 'a stage where a layer is meant', edit: { kind: 'duplicateLayer', layer: 'layer1' }, error: /'layer1' is a stage/ },
  { name: 'a whole block', edit: { kind: 'removeLayer', layer: 'layer1.0' }, error: /'layer1\.0' is a whole block/ },
  { name: 'inserting after a module used twice', edit: { kind: 'insert', after: 'layer1.0.relu', item: 'dropout' }, error: /layer1\.0\.relu names 2 layers \(one module used 2 times in block 'basic'\); say which use to insert after/ },
  { name: 'a use a module does not have', edit: { kind: 'removeLayer', layer: 'layer1.0.relu', use: 2 }, error: /layer1\.0\.relu has 2 use\(s\); there is no use 2/ },
  { name: 'a convolution after Flatten', edit: { kind: 'insert', after: 'flatten', item: 'conv-bn-relu' }, error: /cannot insert conv-bn-relu after flatten: conv-bn-relu takes an image \(N×C×H×W\), and the tensor here has 2 dimensions/ },
  { name: 'a channel gate after the head', edit: { kind: 'insert', after: 'fc', item: 'squeeze-excitation' }, error: /squeeze-excitation takes an image/ },
  { name: 'inserting a two-input op', edit: { kind: 'insert', after: 'relu', item: { op: 'add' } }, error: /add takes several inputs/ },
  { name: 'a bad name', edit: { kind: 'rename', target: 'fc', name: 'my head' }, error: /not a usable name/ },
  { name: 'a text that does not parse', edit: { kind: 'addBlock', stage: 'layer1' }, error: /does not parse .* fix the JSON first/, text: '{ "layers": [ }' },
  { name: 'a value the schema rejects', edit: { kind: 'setLayer', layer: 'conv1', key: 'comment', value: 3 }, error: /would not be a valid design \(.*comment/ },
];

for (const row of REFUSALS) {
  test(`refuses ${row.name}`, () => {
    const r = applyDesignEdit(row.text ?? TINY, row.edit);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, row.error);
  });
}

test('an edit that breaks the shapes is still made', () => {
  // A 40×40 kernel does not fit a 32×32 input padded by 1.
  const r = applied(TINY, { kind: 'setLayer', layer: 'conv1', key: 'kernel_size', value: 40 });
  assert.ok(r.text.includes('"kernel_size": 40'));
  assert.ok(analysis(r.text).errors.length > 0);
});

test('designContextOf: the parsed design with the built-in blocks and catalogue ops, or null', () => {
  const c = designContextOf(TINY)!;
  assert.equal(c.design.name, 'tiny');
  assert.deepEqual(c.builtinBlocks, ['basic', 'bottleneck', 'cifar']);
  assert.ok(c.ops.includes('Conv2d') && c.ops.includes('mul') && !c.ops.includes('opaque'));
  assert.deepEqual(c.builtinBlockDefs, BUILTIN_BLOCKS);
  assert.equal(c.opDefaults!['Conv2d']!['stride'], 1);
  assert.equal(c.opDefaults!['Conv2d']!['out_channels'], null, 'null: required or inferred');
  assert.deepEqual(Object.keys(c.opDefaults!), c.ops);
  assert.equal(designContextOf('{ "layers": [ '), null);
  assert.equal(designContextOf('{ "name": "no layers" }'), null);
  assert.equal(designContextOf('[1, 2]'), null);
});

test('the edit guard takes `use` as an optional index on insert, removeLayer and duplicateLayer', () => {
  assert.ok(isDesignEdit({ kind: 'insert', after: 'layer1.0.relu', item: 'dropout', use: 1 }));
  assert.ok(isDesignEdit({ kind: 'removeLayer', layer: 'layer1.0.relu' }));
  assert.ok(!isDesignEdit({ kind: 'removeLayer', layer: 'layer1.0.relu', use: -1 }));
  assert.ok(!isDesignEdit({ kind: 'duplicateLayer', layer: 'layer1.0.relu', use: '1' }));
});
