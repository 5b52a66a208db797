/** What a large drawing puts on the canvas first (`webview/graph/firstPaint.ts`), on a synthetic view. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firstPart, visibleRegion } from '../../webview/graph/firstPaint';
import type { ViewGraph, ViewNode } from '../../webview/graph/model';
import type { Box } from '../../webview/graph/skipRouting';

const node = (id: string, parent?: string, kind: ViewNode['kind'] = 'layer'): ViewNode => {
  const n: ViewNode = { id, kind, irId: id, collapsed: false, label: id, name: id, params: null, macs: null };
  if (parent) n.parent = parent;
  return n;
};

/**
 * A stage of `blocks` blocks stacked downwards, each three 100 px tall layers wide `width(b)`, centred on x = 0,
 * with a chain of edges through them and a shortcut around each block. Boxes as the view computes them.
 */
function stage(blocks: number, width: (b: number) => number): { view: ViewGraph; boxes: Map<string, Box>; titles: Map<string, Box> } {
  const nodes: ViewNode[] = [node('stage', undefined, 'group')];
  const edges: ViewGraph['edges'] = [];
  const boxes = new Map<string, Box>();
  const titles = new Map<string, Box>();
  let y = 0;
  let prev: string | undefined;
  for (let b = 0; b < blocks; b++) {
    const g = `b${b}`;
    nodes.push(node(g, 'stage', 'group'));
    const w = width(b);
    const top = y;
    for (let l = 0; l < 3; l++) {
      const id = `${g}.l${l}`;
      nodes.push(node(id, g));
      boxes.set(id, { x1: -w / 2, y1: y, x2: w / 2, y2: y + 100 });
      if (prev) edges.push({ id: `${prev}->${id}`, source: prev, target: id, label: '', count: 1 });
      prev = id;
      y += 130;
    }
    edges.push({ id: `skip ${g}`, source: `${g}.l0`, target: `${g}.l2`, label: '', count: 1, skip: 'identity' });
    boxes.set(g, { x1: -w / 2 - 10, y1: top - 10, x2: w / 2 + 10, y2: y - 20 });
    titles.set(g, { x1: -20, y1: top - 30, x2: 20, y2: top - 10 });
    y += 40;
  }
  boxes.set('stage', { x1: Math.min(...[...boxes.values()].map((b) => b.x1)) - 10, y1: -40, x2: Math.max(...[...boxes.values()].map((b) => b.x2)) + 10, y2: y });
  return { view: { nodes, edges, layerNodes: blocks * 3 }, boxes, titles };
}

describe('first part of a large drawing', () => {
  test('the boxes in the region, the far ends of their edges (one step), and the groups around them', () => {
    const { view, boxes, titles } = stage(20, () => 200);
    const part = firstPart(view, boxes, titles, { x1: -600, y1: -50, x2: 600, y2: 250 });
    assert.ok(part);
    // Blocks alike further on: one of them stands for the stage's width.
    assert.ok(part.nodes.filter((n) => n.kind === 'group').length <= 3);
    const ids = new Set(part.nodes.map((n) => n.id));
    // b0.l0 and b0.l1 meet the region; b0.l2 is the far end of both the main edge and the shortcut.
    for (const id of ['stage', 'b0', 'b0.l0', 'b0.l1', 'b0.l2']) assert.ok(ids.has(id), id);
    // Not beyond one step: b1.l1 follows b1.l0, which follows b0.l2, only a far end.
    assert.ok(!ids.has('b1.l1'));
    // Edges only between what is there.
    for (const e of part.edges) assert.ok(ids.has(e.source) && ids.has(e.target), e.id);
    assert.deepEqual(part.edges.map((e) => e.id).sort(), ['b0.l0->b0.l1', 'b0.l1->b0.l2', 'skip b0'].sort());
  });

  test("a group's widest contents further on come first too, so its box is as wide as it will be", () => {
    // Block 15 is wider than the rest: the stage's box in sight is as wide as it.
    const { view, boxes, titles } = stage(20, (b) => (b === 15 ? 320 : 200));
    const part = firstPart(view, boxes, titles, { x1: -600, y1: -50, x2: 600, y2: 250 })!;
    const ids = new Set(part.nodes.map((n) => n.id));
    assert.ok(ids.has('b15'), 'the widest block');
    // Its layers are drawn alike (as wide as one another): one of them sizes it.
    assert.equal([0, 1, 2].filter((l) => ids.has(`b15.l${l}`)).length, 1);
    // The other blocks further on are as wide as those in sight, and alike: one of them at most.
    assert.ok([...ids].filter((id) => /^b\d+$/.test(id) && id !== 'b0' && id !== 'b15').length <= 1);
  });

  test('a title wider than its block counts as the block being that wide', () => {
    const { view, boxes, titles } = stage(20, () => 200);
    titles.set('b12', { x1: -300, y1: 0, x2: 300, y2: 20 });
    const part = firstPart(view, boxes, titles, { x1: -600, y1: -50, x2: 600, y2: 250 })!;
    assert.ok(part.nodes.some((n) => n.id === 'b12'));
  });

  test('nothing to split when the region holds most of the drawing', () => {
    const { view, boxes, titles } = stage(3, () => 200);
    assert.equal(firstPart(view, boxes, titles, { x1: -600, y1: -50, x2: 600, y2: 1000 }), null);
  });

  test('the region a view shows, widened by a share of itself', () => {
    assert.deepEqual(visibleRegion(800, 600, 2, { x: -100, y: 40 }, 0), { x1: 50, y1: -20, x2: 450, y2: 280 });
    assert.deepEqual(visibleRegion(800, 600, 1, { x: 0, y: 0 }, 0.5), { x1: -400, y1: -300, x2: 1200, y2: 900 });
  });
});
