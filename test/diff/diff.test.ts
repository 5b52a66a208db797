// The architecture diff on pairs of designs: each case edits a bundled design the way a user would, and the
// expected statuses, attribute changes and deltas are worked out from the two analyses independently of the
// diff (the analysis's own totals and per-group sums), so the diff is checked against the numbers the CLI's
// `analyze` prints for each file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ModelDiff, type NodeDiff, diffGraphs, hasDifferences, mergeOrder } from '../../src/core/diff';
import { unionGraph, unionId } from '../../src/core/diffGraph';
import type { IrGraph } from '../../src/core/ir';
import { groupTotals } from '../../src/core/report';
import { analyzeText } from '../../src/frontends';
import { GraphModel } from '../../webview/graph/model';

const ROOT = join(import.meta.dirname, '..', '..');
type Design = { name: string; input: number[]; vars?: Record<string, unknown>; layers: Record<string, unknown>[] };

function load(rel: string): Design {
  return JSON.parse(readFileSync(join(ROOT, rel), 'utf8')) as Design;
}

function graphOf(design: Design | string, file = 'model.resnet.json'): IrGraph {
  const text = typeof design === 'string' ? design : JSON.stringify(design);
  const a = analyzeText(file, text);
  assert.ok(a.graph, `${file} builds: ${JSON.stringify(a.diagnostics)}`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), [], `${file} analyses without errors`);
  return a.graph;
}

function stage(d: Design, name: string): Record<string, unknown> {
  const s = d.layers.find((l) => l['stage'] === name);
  assert.ok(s, `stage ${name}`);
  return s;
}

/** The sum over a top-level group from the analysis's own per-group totals. */
function groupParams(g: IrGraph, name: string): number {
  const grp = g.groups.find((x) => x.name === name);
  return grp ? groupTotals(g).get(grp.id)!.params! : 0;
}

function groupMacs(g: IrGraph, name: string): number {
  const grp = g.groups.find((x) => x.name === name);
  return grp ? groupTotals(g).get(grp.id)!.macs! : 0;
}

const byStatus = (d: ModelDiff, s: NodeDiff['status']) => d.nodes.filter((n) => n.status === s && n.op !== 'input').map((n) => n.key);

/** Checks every stage row and the total against the two analyses. */
function assertDeltas(d: ModelDiff, a: IrGraph, b: IrGraph): void {
  assert.deepEqual(d.total.params, { before: a.params, after: b.params, delta: b.params! - a.params! });
  assert.deepEqual(d.total.macs, { before: a.macs, after: b.macs, delta: b.macs! - a.macs! });
  let params = 0;
  let macs = 0;
  for (const s of d.stages) {
    params += s.params.delta!;
    macs += s.macs.delta!;
    if (a.groups.some((g) => g.name === s.name) || b.groups.some((g) => g.name === s.name)) {
      assert.equal(s.params.before, groupParams(a, s.name), `${s.name} params before`);
      assert.equal(s.params.after, groupParams(b, s.name), `${s.name} params after`);
      assert.equal(s.macs.delta, groupMacs(b, s.name) - groupMacs(a, s.name), `${s.name} MACs delta`);
    }
  }
  assert.equal(params, d.total.params.delta, 'the stage deltas add up to the total');
  assert.equal(macs, d.total.macs.delta, 'the stage MACs deltas add up to the total');
}

describe('diff of two designs', () => {
  test('a design against itself: nothing differs, every delta is 0', () => {
    const g = graphOf(load('examples/resnet50.resnet.json'));
    const d = diffGraphs(g, graphOf(load('examples/resnet50.resnet.json')));
    assert.equal(hasDifferences(d), false);
    assert.equal(d.outputChanged, false);
    assert.deepEqual(d.counts, { added: 0, removed: 0, changed: 0, reshaped: 0, same: g.nodes.length - 1 });
    assert.ok(d.stages.every((s) => s.status === 'same' && s.params.delta === 0 && s.macs.delta === 0));
    // A module called twice (the block's relu) is matched call by call.
    assert.ok(d.nodes.some((n) => n.key === 'layer1.0.relu#3'));
    assert.equal(d.stages.map((s) => s.name).join(' '), 'conv1 bn1 relu maxpool layer1 layer2 layer3 layer4 avgpool flatten fc');
  });

  test('one more block in a stage: the block is added, the stage changes, the rest stays the same', () => {
    const before = load('examples/resnet18.resnet.json');
    const after = load('examples/resnet18.resnet.json');
    stage(after, 'layer3')['count'] = 3;
    const a = graphOf(before);
    const b = graphOf(after);
    const d = diffGraphs(a, b);
    const block = b.nodes.filter((n) => n.name.startsWith('layer3.2.')).map((n) => n.name);
    assert.equal(block.length, 7, 'a BasicBlock is 7 nodes (relu twice)');
    assert.deepEqual(byStatus(d, 'added'), ['layer3.2.conv1', 'layer3.2.bn1', 'layer3.2.relu', 'layer3.2.conv2', 'layer3.2.bn2', 'layer3.2.add', 'layer3.2.relu#2']);
    assert.deepEqual(byStatus(d, 'removed'), []);
    assert.deepEqual(byStatus(d, 'changed'), []);
    assert.deepEqual(byStatus(d, 'reshaped'), []);
    const g = d.groups.find((x) => x.name === 'layer3.2')!;
    assert.equal(g.status, 'added');
    assert.equal(g.params.delta, groupParams(b, 'layer3.2'));
    assert.equal(d.groups.find((x) => x.name === 'layer3')!.status, 'changed');
    assert.equal(d.groups.find((x) => x.name === 'layer2')!.status, 'same');
    const row = d.stages.find((s) => s.name === 'layer3')!;
    assert.equal(row.status, 'changed');
    assert.deepEqual(row.what, { before: '2× BasicBlock', after: '3× BasicBlock' });
    assert.equal(row.params.delta, groupParams(b, 'layer3.2'));
    assert.deepEqual(d.stages.filter((s) => s.status !== 'same').map((s) => s.name), ['layer3']);
    assert.equal(d.outputChanged, false);
    assertDeltas(d, a, b);
  });

  test('a narrower last stage: widths change old → new, downstream layers are reshaped, fc takes fewer features', () => {
    const before = load('examples/resnet18.resnet.json');
    const after = load('examples/resnet18.resnet.json');
    stage(after, 'layer4')['planes'] = 256;
    const a = graphOf(before);
    const b = graphOf(after);
    const d = diffGraphs(a, b);
    const node = (key: string) => d.nodes.find((n) => n.key === key)!;
    assert.deepEqual(node('layer4.0.conv1').changes, [{ field: 'out_channels', before: 512, after: 256 }]);
    assert.deepEqual(node('layer4.0.conv2').changes, [
      { field: 'in_channels', before: 512, after: 256 },
      { field: 'out_channels', before: 512, after: 256 },
    ]);
    assert.deepEqual(node('layer4.0.downsample.0').changes, [{ field: 'out_channels', before: 512, after: 256 }]);
    assert.deepEqual(node('fc').changes, [{ field: 'in_features', before: 512, after: 256 }]);
    assert.equal(node('avgpool').status, 'reshaped', 'the pool is the same layer with a narrower tensor');
    assert.deepEqual(node('avgpool').output, { before: [1, 512, 1, 1], after: [1, 256, 1, 1] });
    assert.equal(node('layer3.1.conv2').status, 'same');
    assert.equal(node('fc').params.delta, 256 * 1000 - 512 * 1000);
    assert.deepEqual(byStatus(d, 'added'), []);
    assert.equal(d.outputChanged, false, 'the classifier still gives 1000 classes');
    assertDeltas(d, a, b);
  });

  test('fewer classes: the output shape changed', () => {
    const before = load('examples/cifar-resnet20.resnet.json');
    const after = load('examples/cifar-resnet20.resnet.json');
    after.vars!['num_classes'] = 100;
    const d = diffGraphs(graphOf(before), graphOf(after));
    assert.equal(d.outputChanged, true);
    assert.deepEqual([d.before.output, d.after.output], [[1, 10], [1, 100]]);
    assert.deepEqual(byStatus(d, 'changed'), ['linear']);
    assert.deepEqual(d.nodes.find((n) => n.key === 'linear')!.changes, [{ field: 'out_features', before: 10, after: 100 }]);
    assert.equal(d.total.params.delta, 90 * 64 + 90);
  });

  test('basic blocks swapped for bottlenecks: the block type change is on the group, new layers are added', () => {
    const before = load('examples/resnet18.resnet.json');
    const after = load('examples/resnet18.resnet.json');
    for (const s of after.layers) if (s['stage']) s['block'] = 'bottleneck';
    const a = graphOf(before);
    const b = graphOf(after);
    const d = diffGraphs(a, b);
    const block = d.groups.find((g) => g.name === 'layer1.0')!;
    assert.equal(block.status, 'changed');
    assert.deepEqual(block.changes, [{ field: 'label', before: 'BasicBlock', after: 'Bottleneck' }]);
    assert.ok(byStatus(d, 'added').includes('layer1.0.conv3'), 'a bottleneck has a third conv');
    assert.equal(d.stages.find((s) => s.name === 'layer1')!.what.after, '2× Bottleneck');
    // ResNet-18 made of bottlenecks ends in 2048 channels; the fc follows.
    assert.deepEqual(d.nodes.find((n) => n.key === 'fc')!.changes, [{ field: 'in_features', before: 512, after: 2048 }]);
    assertDeltas(d, a, b);
  });

  test('a stage removed: its blocks are removed and the next stage takes the narrower input', () => {
    const before = load('examples/resnet18.resnet.json');
    const after = load('examples/resnet18.resnet.json');
    after.layers = after.layers.filter((l) => l['stage'] !== 'layer2');
    const a = graphOf(before);
    const b = graphOf(after);
    const d = diffGraphs(a, b);
    const row = d.stages.find((s) => s.name === 'layer2')!;
    assert.equal(row.status, 'removed');
    assert.equal(row.params.delta, -groupParams(a, 'layer2'));
    assert.deepEqual(row.what, { before: '2× BasicBlock' });
    assert.equal(d.groups.find((g) => g.name === 'layer2')!.status, 'removed');
    assert.equal(byStatus(d, 'removed').length, a.nodes.filter((n) => n.name.startsWith('layer2.')).length);
    assert.deepEqual(d.nodes.find((n) => n.key === 'layer3.0.conv1')!.changes, [{ field: 'in_channels', before: 128, after: 64 }]);
    // Removed rows keep their place: layer2's row is between layer1's and layer3's.
    assert.deepEqual(d.stages.map((s) => s.name).slice(4, 7), ['layer1', 'layer2', 'layer3']);
    assertDeltas(d, a, b);
  });

  test('a larger input: no layer changes its definition, every layer is reshaped, params stay, MACs grow', () => {
    const before = load('examples/cifar-resnet20.resnet.json');
    const after = load('examples/cifar-resnet20.resnet.json');
    after.input = [1, 3, 64, 64];
    const a = graphOf(before);
    const b = graphOf(after);
    const d = diffGraphs(a, b);
    assert.equal(d.inputChanged, true);
    assert.equal(d.outputChanged, false);
    assert.deepEqual(byStatus(d, 'changed'), []);
    assert.equal(d.nodes.find((n) => n.op === 'input')!.status, 'changed', 'the input node itself carries the new shape');
    assert.equal(d.total.params.delta, 0);
    assert.equal(d.total.macs.delta, (a.macs! - 640) * 3, 'four times the pixels, the same fc');
    assert.equal(d.nodes.find((n) => n.key === 'linear')!.status, 'same');
    assertDeltas(d, a, b);
  });

  test('the result is plain data: JSON round-trips it exactly', () => {
    const after = load('examples/resnet18.resnet.json');
    stage(after, 'layer2')['count'] = 1;
    stage(after, 'layer4')['planes'] = 384;
    const d = diffGraphs(graphOf(load('examples/resnet18.resnet.json')), graphOf(after));
    assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
  });
});

describe('diff across front ends', () => {
  test('torchvision-style PyTorch ResNet-50 and the ResNet-50 design match by module path, layer by layer', () => {
    const py = analyzeText(join(ROOT, 'test/fixtures/pytorch/torchvision_style.py'), readFileSync(join(ROOT, 'test/fixtures/pytorch/torchvision_style.py'), 'utf8'), {
      model: 'resnet50',
      // The interpreter's time budget is for the editor; on a loaded test machine this file needs more.
      budget: { timeLimitMs: 60_000 },
    });
    assert.ok(py.graph);
    const design = graphOf(load('examples/resnet50.resnet.json'));
    const d = diffGraphs(py.graph, design);
    assert.deepEqual([d.counts.added, d.counts.removed, d.counts.reshaped], [0, 0, 0]);
    // torchvision builds its ReLUs with inplace=True; that is the only difference.
    const changed = d.nodes.filter((n) => n.status === 'changed');
    assert.ok(changed.length > 0);
    for (const n of changed) assert.deepEqual(n.changes, [{ field: 'inplace', before: true, after: false }], n.key);
    assert.equal(d.total.params.delta, 0);
    assert.equal(d.total.macs.delta, 0);
  });
});

describe('diff of Keras model.json versions', () => {
  test('a wider kernel in one conv and more classes: changed layers old → new, the output shape changed', () => {
    const rel = 'test/fixtures/keras/functional-residual.model.json';
    const text = readFileSync(join(ROOT, rel), 'utf8');
    const edited = text
      .split('\n')
      .map((l) => (l.includes('"name": "conv2"') ? l.replace('"kernel_size": [3, 3]', '"kernel_size": [5, 5]') : l.includes('"units": 10') ? l.replace('"units": 10', '"units": 100') : l))
      .join('\n');
    assert.notEqual(edited, text);
    const a = analyzeText(join(ROOT, rel), text).graph!;
    const b = analyzeText(join(ROOT, rel), edited).graph!;
    const d = diffGraphs(a, b);
    const node = (key: string) => d.nodes.find((n) => n.key === key)!;
    // Keras's `padding: "same"` is read as the padding that keeps the size, whatever the kernel: only the kernel changed.
    assert.deepEqual(node('conv2').changes, [{ field: 'kernel_size', before: [3, 3], after: [5, 5] }]);
    assert.equal(node('conv2').params.delta, 16 * 16 * (25 - 9));
    assert.deepEqual(node('fc').changes, [{ field: 'out_features', before: 10, after: 100 }]);
    assert.equal(node('fc/softmax').status, 'reshaped');
    assert.equal(node('conv1').status, 'same');
    assert.equal(d.outputChanged, true);
    assertDeltas(d, a, b);
  });
});

describe('mergeOrder', () => {
  const cases: [string[], string[], string[]][] = [
    [['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']],
    [['a', 'b', 'c'], ['a', 'c'], ['a', 'b', 'c']],
    [['a', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']],
    [['x', 'a'], ['a', 'y'], ['x', 'a', 'y']],
    [['a', 'r1', 'r2', 'b'], ['a', 'n', 'b'], ['a', 'r1', 'r2', 'n', 'b']],
    [['a', 'r', 'b', 'c'], ['a', 'b', 'n', 'c'], ['a', 'r', 'b', 'n', 'c']],
    [['a', 'r', 'q', 'b'], ['n', 'a', 'b'], ['n', 'a', 'r', 'q', 'b']],
    [['b', 'a', 'z'], ['a', 'b'], ['a', 'b', 'z']],
    [[], ['a'], ['a']],
    [['a'], [], ['a']],
  ];
  for (const [first, second, want] of cases) {
    test(`${first.join(',') || '∅'} + ${second.join(',') || '∅'}`, () => {
      const got = mergeOrder(first, second);
      assert.deepEqual(got, want);
      assert.equal(new Set(got).size, got.length, 'each key once');
    });
  }
});

describe('union graph', () => {
  test('holds the second version plus what only the first had, with consistent ids, and the graph view reads it', () => {
    const before = load('examples/resnet18.resnet.json');
    const after = load('examples/resnet18.resnet.json');
    stage(after, 'layer2')['count'] = 1;
    stage(after, 'layer3')['count'] = 3;
    const a = graphOf(before);
    const b = graphOf(after);
    const d = diffGraphs(a, b);
    const u = unionGraph(a, b, d);
    assert.equal(u.nodes.length, d.nodes.length);
    assert.equal(u.groups.length, d.groups.length);
    const ids = new Set(u.nodes.map((n) => n.id));
    assert.equal(ids.size, u.nodes.length, 'node ids are unique');
    for (const n of d.nodes) assert.ok(ids.has(unionId(n)), n.key);
    for (const n of b.nodes) assert.ok(ids.has(n.id), `the second version keeps its ids (${n.name})`);
    for (const e of u.edges) assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.id} joins drawn nodes`);
    const gids = new Set(u.groups.map((g) => g.id));
    for (const g of u.groups) if (g.parent) assert.ok(gids.has(g.parent), `${g.name}'s parent exists`);
    for (const n of u.nodes) if (n.group) assert.ok(gids.has(n.group), `${n.name}'s group exists`);
    const removed = u.nodes.filter((n) => n.id.startsWith('was:'));
    assert.deepEqual(removed.map((n) => n.name), a.nodes.filter((n) => n.name.startsWith('layer2.1.')).map((n) => n.name));
    assert.ok(removed.every((n) => n.source === undefined), 'removed layers do not point into the current text');
    // The removed block hangs off the surviving block and feeds the next stage, as it did.
    const removedIds = new Set(removed.map((n) => n.id));
    assert.ok(u.edges.some((e) => removedIds.has(e.to) && !removedIds.has(e.from)));
    assert.ok(u.edges.some((e) => removedIds.has(e.from) && !removedIds.has(e.to)));
    assert.ok(u.skips.some((s) => s.id.startsWith('was:')), "the removed block's shortcut is drawn too");
    const model = new GraphModel(u);
    assert.equal(model.layerCount, u.nodes.length - 1);
    assert.ok(model.groups.get(removed[0]!.group!)!.group.name === 'layer2.1');
    assert.ok(model.view(new Set()).nodes.length > 0);
  });
});
