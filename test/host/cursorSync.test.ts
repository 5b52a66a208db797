/**
 * The editor-to-graph cursor sync on torchvision's layout, where one `forward` line of a block runs once per
 * block: the host narrows the cursor to the innermost source range that holds it (and sends every instance of
 * it), and the page keeps one instance, the clicked one when it is among them, so that one click in a
 * collapsed graph expands one block, not every stage.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { highlightAt } from '../../src/host/ranges';
import { GraphModel, groupViewId } from '../../webview/graph/model';

const FILE = join(__dirname, '..', 'fixtures', 'pytorch', 'torchvision_style.py');
const TEXT = readFileSync(FILE, 'utf8');
// Generous: the shared test machine can be slow, and the point here is the graph, not the time it takes.
const graph = analyzeText(FILE, TEXT, { model: 'resnet50', budget: { timeLimitMs: 60_000 } }).graph!;
const lines = TEXT.split('\n');
/** 0-based line and column of the `nth` line whose trimmed text is `code`, at `at` within it. */
function pos(code: string, at: string, nth = 0): { line: number; character: number } {
  const found = lines.map((l, i) => [l, i] as const).filter(([l]) => l.trim() === code);
  const [l, i] = found[nth]!;
  return { line: i, character: l.indexOf(at) };
}
const names = (ids: readonly string[]) => ids.map((id) => graph.nodes.find((n) => n.id === id)?.name ?? graph.groups.find((g) => g.id === id)?.name);

test('the host sends every instance of the innermost range holding the cursor', () => {
  // Bottleneck.forward's `out = self.conv2(out)`: sixteen blocks, one conv2 each.
  const conv2 = highlightAt(graph, pos('out = self.conv2(out)', 'self.conv2', 1), FILE);
  assert.equal(conv2.length, 16);
  assert.ok(names(conv2).every((n) => /^layer\d\.\d+\.conv2$/.test(n!)), JSON.stringify(names(conv2)));
  // At the start of the line (before the expression) the line's nodes are meant, still one site.
  assert.deepEqual(highlightAt(graph, { line: pos('out = self.conv2(out)', 'out', 1).line, character: 0 }, FILE), conv2);
  // `self.relu(...)` inside a block's forward is one module called three times per block: only that line's.
  const relu = highlightAt(graph, pos('out = self.relu(out)', 'self.relu', 2), FILE);
  assert.equal(relu.length, 16);
});

test('the page keeps one instance: the one clicked, else one already drawn, and expands only its groups', () => {
  const model = new GraphModel(graph);
  const conv2 = highlightAt(graph, pos('out = self.conv2(out)', 'self.conv2', 1), FILE);
  const collapsed = model.defaultCollapsed(100);
  assert.deepEqual([...collapsed].map((id) => model.groups.get(id)!.group.name).sort(), ['layer1', 'layer2', 'layer3', 'layer4']);
  // The user clicked layer3.2's conv2: that one, and revealing it opens layer3 (and not the other stages).
  const clicked = graph.nodes.find((n) => n.name === 'layer3.2.conv2')!.id;
  const picked = model.oneInstance(conv2, clicked, collapsed);
  assert.deepEqual(names(picked), ['layer3.2.conv2']);
  const next = model.reveal(picked, collapsed, 100);
  assert.deepEqual([...next].filter((id) => model.groups.get(id)!.group.kind === 'stage').map((id) => model.groups.get(id)!.group.name).sort(), ['layer1', 'layer2', 'layer4']);
  // No click among them (the cursor was moved in the editor): one already drawn wins over the first.
  const layer2 = model.groupByName.get('layer2')!;
  const open2 = model.expand(layer2, collapsed, 1000);
  assert.deepEqual(names(model.oneInstance(conv2, null, open2)), ['layer2.0.conv2']);
  // Nothing drawn: the first instance, and only it.
  assert.deepEqual(names(model.oneInstance(conv2, null, collapsed)), ['layer1.0.conv2']);
  // A collapsed block clicked in the graph is kept as it is: its groups' ids are what its line builds.
  const block = model.groupByName.get('layer1.1')!;
  const blockLine = graph.groups.find((g) => g.id === block)!.source!;
  const sent = highlightAt(graph, { line: blockLine.line - 1, character: blockLine.column - 1 }, FILE);
  assert.ok(sent.includes(block) && sent.length > 1, JSON.stringify(names(sent)));
  const withBlocks = new Set([...collapsed].filter((id) => model.groups.get(id)!.group.name !== 'layer1')).add(block);
  const one = model.oneInstance(sent, block, withBlocks);
  assert.deepEqual(one, [block]);
  assert.equal(model.viewIdOf(block, model.reveal(one, withBlocks, 100)), groupViewId(block), 'the clicked block stays collapsed');
});
