// Hovers, inlay hints, CodeLens titles and the outline, computed from real analyses of designs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { HOVER_MAX_ROWS, hoverMarkdown, lensTitle, macsText, paramsText } from '../../src/host/hoverText';
import { shapeHints } from '../../src/host/inlayHints';
import { buildOutline } from '../../src/host/outline';
import { containsPos, covers, lineResults, nodesAt, toZeroBased } from '../../src/host/ranges';
import { DESIGN } from './designText';

const FILE = '/w/t.resnet.json';
const analysis = analyzeText(FILE, DESIGN);
const graph = analysis.graph!;
/** 0-based line of the first line of DESIGN containing `needle`. */
const lineOf = (needle: string): number => DESIGN.split('\n').findIndex((l) => l.includes(needle));

test('the design used here analyses clean', () => {
  assert.deepEqual(analysis.diagnostics, []);
  assert.deepEqual(graph.output, [1, 10]);
});

test('IR ranges become 0-based editor ranges', () => {
  assert.deepEqual(toZeroBased({ line: 3, column: 5, endLine: 3, endColumn: 9 }), { start: { line: 2, character: 4 }, end: { line: 2, character: 8 } });
  assert.deepEqual(toZeroBased({ line: 3, column: 5, endLine: 2, endColumn: 1 }), { start: { line: 2, character: 4 }, end: { line: 2, character: 4 } });
  const r = toZeroBased({ line: 2, column: 3, endLine: 4, endColumn: 2 });
  assert.equal(containsPos(r, { line: 1, character: 2 }), true);
  assert.equal(containsPos(r, { line: 3, character: 0 }), true);
  assert.equal(containsPos(r, { line: 3, character: 1 }), false);
  assert.equal(containsPos(r, { line: 1, character: 1 }), false);
  const point = toZeroBased({ line: 1, column: 1, endLine: 1, endColumn: 1 });
  assert.equal(containsPos(point, { line: 0, character: 0 }), true);
  const src = { file: FILE, line: 5, column: 10, endLine: 5, endColumn: 11 };
  assert.equal(covers(src, { line: 4, character: 80 }, FILE), true, 'anywhere on the start line');
  assert.equal(covers(src, { line: 5, character: 0 }, FILE), false);
  assert.equal(covers(src, { line: 4, character: 80 }, '/other.resnet.json'), false);
});

test('nodes at a cursor: one layer, or every node of a stage', () => {
  const conv = nodesAt(graph, { line: lineOf('"conv1"'), character: 20 }, FILE);
  assert.deepEqual(conv.executed.map((n) => n.name), ['conv1']);
  const stage = nodesAt(graph, { line: lineOf('"layer1"'), character: 0 }, FILE);
  assert.equal(stage.executed.length, 14, 'two basic blocks of 7 nodes');
  assert.deepEqual(lineResults(stage.executed).map((n) => n.name), ['layer1.1.relu']);
  assert.deepEqual(nodesAt(graph, { line: 0, character: 0 }, FILE), { executed: [], defined: [] });
});

test('hover on one layer: shapes, params, MACs and module path', () => {
  const md = hoverMarkdown(nodesAt(graph, { line: lineOf('"conv1"'), character: 8 }, FILE))!;
  assert.match(md, /\*\*Conv2d\*\* `conv1`/);
  assert.match(md, /Input \[1, 3, 32, 32\] → output \[1, 16, 32, 32\]/);
  assert.match(md, /Params 432 · MACs 442,368 \(442 k\)/);
});

test('hover on a stage: totals and a bounded table of module paths', () => {
  const md = hoverMarkdown(nodesAt(graph, { line: lineOf('"layer1"'), character: 8 }, FILE))!;
  assert.match(md, /\*\*14 operations\*\* → \[1, 16, 32, 32\]/);
  assert.match(md, /Params 9,344 \(9\.34 k\) · MACs 9,437,184 \(9\.44 M\)/);
  assert.match(md, /\| `layer1\.0\.conv1` \| Conv2d \| \[1, 16, 32, 32\] \| \[1, 16, 32, 32\] \| 2,304 \| 2\.36 M \|/);
  assert.equal(md.split('\n').filter((l) => l.startsWith('| `')).length, HOVER_MAX_ROWS);
  assert.match(md, /… 2 more/);
  assert.equal(hoverMarkdown({ executed: [], defined: [] }), null);
});

test('hover on a definition line lists the instances', () => {
  const conv = graph.nodes.filter((n) => n.op === 'Conv2d');
  const md = hoverMarkdown({ executed: [], defined: conv })!;
  assert.match(md, new RegExp(`\\*\\*Conv2d\\*\\*, ${conv.length} instances`));
});

test('inlay hints: the shape each line produces', () => {
  const hints = new Map(shapeHints(graph, FILE).map((h) => [h.line, h.label]));
  assert.equal(hints.get(lineOf('"conv1"')), '[1, 16, 32, 32]');
  assert.equal(hints.get(lineOf('"layer1"')), '[1, 16, 32, 32]');
  assert.equal(hints.get(lineOf('"layer2"')), '[1, 32, 16, 16]');
  assert.equal(hints.get(lineOf('"flatten"')), '[1, 32]');
  assert.equal(hints.get(lineOf('"fc"')), '[1, 10]');
  assert.equal(hints.has(lineOf('"input"')), false, 'the input is not a computed line');
  assert.deepEqual(shapeHints(graph, '/elsewhere.resnet.json'), []);
});

test('inlay hints of a line run several times show the range of shapes and the count', () => {
  // Put every block's residual add on one line, as `out += identity` in a forward run once per block.
  const moved = { ...graph, nodes: graph.nodes.map((n) => (n.op === 'add' ? { ...n, source: { ...n.source!, line: 99, endLine: 99 } } : n)) };
  const h = shapeHints(moved, FILE).find((x) => x.line === 98)!;
  assert.equal(h.label, '[1, 16, 32, 32] … [1, 32, 16, 16] ×3');
  assert.match(h.tooltip, /`layer1\.0\.add`: \[1, 16, 32, 32\]\n- `layer1\.1\.add`: \[1, 16, 32, 32\]\n- `layer2\.0\.add`: \[1, 32, 16, 16\]/);
});

test('CodeLens titles', () => {
  const r50 = analyzeText('examples/resnet50.resnet.json', readFileSync('examples/resnet50.resnet.json', 'utf8'));
  assert.equal(lensTitle('x', r50.graph, r50.diagnostics), 'ResNet-50 · 25.6 M params · 4.09 GMACs');
  const bad = analyzeText('test/fixtures/json/shape-errors.resnet.json', readFileSync('test/fixtures/json/shape-errors.resnet.json', 'utf8'));
  assert.match(lensTitle('x', bad.graph, bad.diagnostics), / · 3 errors$/);
  assert.equal(lensTitle('Block', null, [bad.diagnostics[0]!]), 'Block · not analysable · 1 error');
  assert.equal(paramsText(512), '512 params');
  assert.equal(macsText(512), '512 MACs');
  assert.equal(macsText(null), '? MACs');
});

test('outline: stages hold blocks, leaves carry shapes and costs and point at their source', () => {
  const roots = buildOutline(graph);
  assert.deepEqual(roots.map((r) => r.label), ['conv1', 'bn1', 'relu', 'layer1', 'layer2', 'avgpool', 'flatten', 'fc']);
  const layer1 = roots[3]!;
  assert.equal(layer1.kind, 'stage');
  assert.deepEqual(layer1.children.map((c) => [c.label, c.kind]), [['0', 'block'], ['1', 'block']]);
  assert.equal(layer1.nodeIds.length, 14);
  assert.equal(layer1.description, 'Sequential · [1, 16, 32, 32] · 9.34 k params · 9.44 MMACs');
  const fc = roots[7]!;
  assert.equal(fc.description, 'Linear · [1, 10] · 330 params · 320 MACs');
  assert.equal(fc.source?.line, lineOf('"fc"') + 1);
  const downsample = roots[4]!.children[0]!.children.find((c) => c.label === 'downsample');
  assert.equal(downsample?.children.length, 2, 'the projection shortcut is a container of conv + BN');
});

test('outline: errors surface on the containers above them', () => {
  const text = DESIGN.replace('"planes": 32, "stride": 2 }', '"planes": 32, "stride": 2 },\n    { "type": "BatchNorm2d", "name": "bad", "num_features": 7 }');
  const a = analyzeText(FILE, text);
  const roots = buildOutline(a.graph!);
  const bad = roots.find((r) => r.label === 'bad')!;
  assert.match(bad.error ?? '', /num_features=7/);
  assert.equal(roots.find((r) => r.label === 'fc')!.error, undefined);
});
