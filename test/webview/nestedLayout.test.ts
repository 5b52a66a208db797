/** The direct layout of nested chains that spares ELK on ResNet-shaped graphs. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type NestedNode, type NestedOptions, nestedLayout } from '../../webview/graph/nestedLayout';

const PAD = { top: 30, left: 12, bottom: 12, right: 12 };
const opts = (direction: 'DOWN' | 'RIGHT' = 'DOWN'): NestedOptions => ({ direction, gap: 26, spacing: 30, padding: () => PAD });

/** A stem box, then a stage of `blocks` blocks; the first block has a side branch (a downsample) joining its tail. */
function resnetLike(blocks: number): { nodes: NestedNode[]; edges: { source: string; target: string }[] } {
  const nodes: NestedNode[] = [{ id: 'stem', parent: '', size: { w: 120, h: 200 } }, { id: 'stage', parent: '' }];
  const edges: { source: string; target: string }[] = [];
  let prev = 'stem';
  for (let b = 0; b < blocks; b++) {
    nodes.push({ id: `b${b}`, parent: 'stage' }, { id: `b${b}.main`, parent: `b${b}`, size: { w: 140, h: 400 } });
    edges.push({ source: prev, target: `b${b}.main` });
    if (b === 0) {
      nodes.push({ id: 'b0.ds', parent: 'b0' }, { id: 'b0.ds.conv', parent: 'b0.ds', size: { w: 160, h: 90 } });
      edges.push({ source: prev, target: 'b0.ds.conv' });
    }
    nodes.push({ id: `b${b}.tail`, parent: `b${b}`, size: { w: 60, h: 80 } });
    edges.push({ source: `b${b}.main`, target: `b${b}.tail` });
    if (b === 0) edges.push({ source: 'b0.ds.conv', target: 'b0.tail' });
    prev = `b${b}.tail`;
  }
  return { nodes, edges };
}

function boxes(nodes: NestedNode[], at: Map<string, { x: number; y: number }>): Map<string, { x1: number; y1: number; x2: number; y2: number }> {
  const out = new Map<string, { x1: number; y1: number; x2: number; y2: number }>();
  for (const n of nodes) {
    if (!n.size) continue;
    const p = at.get(n.id)!;
    out.set(n.id, { x1: p.x - n.size.w / 2, y1: p.y - n.size.h / 2, x2: p.x + n.size.w / 2, y2: p.y + n.size.h / 2 });
  }
  return out;
}

describe('nestedLayout', () => {
  test('a stage of blocks: the main path runs straight down, nothing overlaps, the side branch sits beside it', () => {
    const g = resnetLike(4);
    const at = nestedLayout(g.nodes, g.edges, opts())!;
    assert.ok(at);
    const b = boxes(g.nodes, at);
    assert.equal(at.size, b.size);
    const main = ['stem', 'b0.main', 'b0.tail', 'b1.main', 'b1.tail', 'b2.main', 'b3.tail'];
    for (const id of main) assert.equal(at.get(id)!.x, at.get('stem')!.x, `${id} on the main axis`);
    for (let i = 1; i < main.length; i++) assert.ok(b.get(main[i - 1]!)!.y2 < b.get(main[i]!)!.y1, `${main[i]} below ${main[i - 1]}`);
    const all = [...b.entries()];
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++) {
        const [p, q] = [all[i]![1], all[j]![1]];
        assert.ok(p.x2 <= q.x1 || q.x2 <= p.x1 || p.y2 <= q.y1 || q.y2 <= p.y1, `${all[i]![0]} and ${all[j]![0]} overlap`);
      }
    // The downsample is beside the main box, ending where the main box ends (next to the join), clear of it
    // by the spacing and the branch group's padding.
    const ds = b.get('b0.ds.conv')!;
    const m = b.get('b0.main')!;
    assert.ok(ds.x1 >= m.x2 + 30 + PAD.left, 'side branch to the right of the main path, outside its group padding');
    assert.equal(ds.y2 + PAD.bottom, m.y2, 'the branch group ends level with the main box');
    // Nested groups leave their padding: the stage's first block starts a title row and two paddings below the stem.
    assert.equal(m.y1 - b.get('stem')!.y2, 26 + 2 * PAD.top);
  });

  test('RIGHT flows along x', () => {
    const g = resnetLike(2);
    const at = nestedLayout(g.nodes, g.edges, opts('RIGHT'))!;
    const b = boxes(g.nodes, at);
    assert.equal(at.get('b1.main')!.y, at.get('stem')!.y);
    assert.ok(b.get('stem')!.x2 < b.get('b0.main')!.x1 && b.get('b0.tail')!.x2 < b.get('b1.main')!.x1);
  });

  test('leaves to ELK what it does not handle: three branches side by side, or a cycle', () => {
    const fan: NestedNode[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, parent: '', size: { w: 50, h: 50 } }));
    const fanEdges = ['b', 'c', 'd'].flatMap((m) => [{ source: 'a', target: m }, { source: m, target: 'e' }]);
    assert.equal(nestedLayout(fan, fanEdges, opts()), null);
    assert.ok(nestedLayout(fan, fanEdges, { ...opts(), maxWidth: 3 }));
    const cycle = [{ source: 'a', target: 'b' }, { source: 'b', target: 'a' }];
    assert.equal(nestedLayout(fan.slice(0, 2), cycle, opts()), null);
  });
});
