/** The graph view's pure parts: what is drawn for a collapsed set, shortcut bending, and the page HTML. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyzeText } from '../../src/frontends';
import { cifarResNet } from '../../src/frontends/templates';
import type { IrGraph } from '../../src/core/ir';
import { graphHtml } from '../../src/host/graphHtml';
import { strictCsp } from '../../src/host/webviewCsp';
import { GraphModel, groupViewId, layerViewId } from '../../webview/graph/model';
import { type Box, boxExit, bowHits, controlPoints, nearSegment, routeBow, WEIGHTS } from '../../webview/graph/skipRouting';
import { shortShape } from '../../webview/graph/format';

const ROOT = join(__dirname, '..', '..');
const graph = (file: string): IrGraph => analyzeText(file, readFileSync(join(ROOT, file), 'utf8')).graph!;

describe('GraphModel', () => {
  const r50 = new GraphModel(graph('examples/resnet50.resnet.json'));

  test('everything expanded: one drawn node per IR node and group, one edge per IR edge', () => {
    const v = r50.view(new Set());
    assert.equal(r50.layerCount, 175);
    assert.equal(v.layerNodes, 175);
    assert.equal(v.nodes.filter((n) => n.kind === 'layer').length, r50.graph.nodes.length);
    assert.equal(v.nodes.filter((n) => n.kind === 'group').length, r50.graph.groups.length);
    assert.equal(v.edges.length, r50.graph.edges.length);
    assert.equal(v.edges.filter((e) => e.skip === 'identity').length, 12);
    assert.equal(v.edges.filter((e) => e.skip === 'projection').length, 12);
    assert.equal(new Set(v.edges.filter((e) => e.skip === 'projection').map((e) => e.skipId)).size, 4);
    assert.equal(v.nodes.filter((n) => n.via === 'projection').length, 8);
  });

  test('collapsed stages: summary labels, merged edges, nothing inside drawn', () => {
    const collapsed = r50.defaultCollapsed(100);
    assert.deepEqual([...collapsed].map((id) => r50.groups.get(id)!.group.name).sort(), ['layer1', 'layer2', 'layer3', 'layer4']);
    assert.equal(r50.groupSummary(r50.groupByName.get('layer1')!), 'layer1 · 3× Bottleneck · 64→256 · 56²');
    assert.equal(r50.groupSummary(r50.groupByName.get('layer3')!), 'layer3 · 6× Bottleneck · 512→1024 · 28²→14²');
    const v = r50.view(collapsed);
    assert.equal(v.nodes.length, 8 + 4);
    assert.equal(v.layerNodes, 7);
    assert.ok(v.edges.every((e) => !e.skip), 'every shortcut lies inside a collapsed stage');
    const into = v.edges.find((e) => e.target === groupViewId(r50.groupByName.get('layer1')!))!;
    assert.equal(into.count, 2, 'the main input and the projection shortcut merge into one edge');
    assert.equal(into.label, '64×56²');
  });

  test('the default policy leaves small models expanded and collapses stages of large ones', () => {
    assert.equal(r50.defaultCollapsed(300).size, 0);
    const m = new GraphModel(analyzeText('c.resnet.json', JSON.stringify(cifarResNet(1202))).graph!);
    const collapsed = m.defaultCollapsed(300);
    assert.equal(collapsed.size, 3);
    const v = m.view(collapsed);
    assert.ok(v.nodes.length < 15, `${v.nodes.length} nodes drawn`);
    // Expanding a 200-block stage shows its blocks as boxes, not its 1,400 layers.
    const layer1 = m.groupByName.get('layer1')!;
    const next = m.expand(layer1, collapsed, 300);
    const v2 = m.view(next);
    assert.equal(v2.nodes.filter((n) => n.collapsed && n.groupKind === 'block').length, 200);
    assert.equal(v2.layerNodes, v.layerNodes);
    assert.equal(m.visibleLayerCount(next), v2.layerNodes);
  });

  test('reveal expands exactly the ancestors of a hidden node', () => {
    const collapsed = r50.defaultCollapsed(40);
    const target = r50.graph.nodes.find((n) => n.name === 'layer3.2.conv2')!;
    assert.equal(r50.repOf(target.id, collapsed), groupViewId(r50.groupByName.get('layer3')!));
    const next = r50.reveal([target.id], collapsed, 40);
    assert.equal(r50.repOf(target.id, next), layerViewId(target.id));
    assert.ok(next.has(r50.groupByName.get('layer3.0')!), 'the other blocks of a big stage come in collapsed');
    assert.ok(next.has(r50.groupByName.get('layer2')!));
  });

  test('search finds nodes and groups by name', () => {
    const m = new GraphModel(graph('examples/resnet18.resnet.json'));
    assert.equal(m.search('downsample').length, 9);
    assert.equal(m.search('  LAYER4.1.CONV2 ').length, 1);
    assert.deepEqual(m.search(''), []);
  });

  test('errors propagate to the groups that hide them', () => {
    const m = new GraphModel(graph('test/fixtures/json/custom-block-mismatch.resnet.json'));
    const bad = m.graph.nodes.find((n) => n.error)!;
    const stage = m.chainOf(bad)[0]!;
    const v = m.view(new Set([stage]));
    const box = v.nodes.find((n) => n.id === groupViewId(stage))!;
    assert.ok(box.error?.includes(bad.error!));
    assert.match(box.label, /1 error/);
  });

  test('any collapsed set gives a consistent drawing', () => {
    const m = new GraphModel(graph('examples/resnet34.resnet.json'));
    const groupIds = [...m.groups.keys()];
    fc.assert(
      fc.property(fc.subarray(groupIds), (chosen) => {
        const collapsed = new Set(chosen);
        const v = m.view(collapsed);
        const drawn = new Set(v.nodes.map((n) => n.id));
        assert.equal(drawn.size, v.nodes.length, 'ids are unique');
        for (const n of v.nodes) if (n.parent) assert.ok(drawn.has(n.parent), 'parents are drawn');
        for (const e of v.edges) {
          assert.ok(drawn.has(e.source) && drawn.has(e.target));
          assert.notEqual(e.source, e.target);
        }
        assert.equal(v.edges.reduce((s, e) => s + e.count, 0), m.graph.edges.filter((e) => m.repOf(e.from, collapsed) !== m.repOf(e.to, collapsed)).length);
        assert.equal(v.layerNodes, m.visibleLayerCount(collapsed));
        for (const n of m.graph.nodes) assert.ok(drawn.has(m.repOf(n.id, collapsed)), 'every IR node is drawn or inside a drawn box');
      }),
      { numRuns: 60 },
    );
  });

  test('shapes drop the batch dimension', () => {
    assert.equal(shortShape([1, 256, 56, 56]), '256×56²');
    assert.equal(shortShape([1, 64, 32, 16]), '64×32×16');
    assert.equal(shortShape([1, 1000]), '1000');
    assert.equal(shortShape([1, 'c', null, null]), 'c×?×?');
    assert.equal(shortShape(null), '?');
  });
});

describe('skip routing', () => {
  const column: Box[] = Array.from({ length: 8 }, (_, i) => ({ x1: -80, x2: 80, y1: 60 + i * 70, y2: 100 + i * 70 }));
  const src: Box = { x1: -60, x2: 60, y1: -20, y2: 20 };
  const dst: Box = { x1: -30, x2: 30, y1: 640, y2: 670 };

  test('a shortcut over a chain of nodes bows clear of all of them', () => {
    const s = boxExit({ x: 0, y: 0 }, src, { x: 0, y: 655 });
    const t = boxExit({ x: 0, y: 655 }, dst, { x: 0, y: 0 });
    assert.deepEqual(s, { x: 0, y: 20 });
    assert.deepEqual(t, { x: 0, y: 640 });
    assert.ok(bowHits(s, t, { distance: 0, weights: WEIGHTS }, column, 10), 'a straight line would run through them');
    const bow = routeBow(s, t, column, { pad: 10, minimum: 26, ends: [src, dst] });
    assert.ok(Math.abs(bow.distance) > 90);
    assert.ok(!bowHits(s, t, bow, column, 10));
    for (const c of controlPoints(s, t, bow)) for (const b of [src, dst]) assert.ok(!(c.x > b.x1 && c.x < b.x2 && c.y > b.y1 && c.y < b.y2));
  });

  test('with nothing in the way a shortcut keeps its minimum curve, on the preferred side', () => {
    const bow = routeBow({ x: 0, y: 0 }, { x: 0, y: 300 }, [], { minimum: 26 });
    assert.equal(bow.distance, 26);
  });

  test('a short hop with nothing in the way stays straight', () => {
    assert.equal(routeBow({ x: 0, y: 0 }, { x: 0, y: 26 }, [], { minimum: 26, straightBelow: 60 }).distance, 0);
    assert.notEqual(routeBow({ x: 0, y: 0 }, { x: 0, y: 100 }, [], { minimum: 26, straightBelow: 60 }).distance, 0);
  });

  test('it takes the other side when that is clearly shorter', () => {
    const wall: Box[] = [{ x1: -400, x2: 20, y1: 100, y2: 200 }];
    // For a downward edge the preferred (positive) side is towards negative x, where the wall extends far.
    const bow = routeBow({ x: 0, y: 0 }, { x: 0, y: 300 }, wall, { minimum: 26, pad: 5 });
    assert.ok(bow.distance < 0);
    assert.ok(!bowHits({ x: 0, y: 0 }, { x: 0, y: 300 }, bow, wall, 5));
  });

  test('narrowing the obstacles to those near the shortcut first routes it the same', () => {
    const s = { x: 0, y: 20 };
    const t = { x: 0, y: 640 };
    // The column in the way, plus boxes far below and far to the side that no bow reaches.
    const far: Box[] = [{ x1: -30, x2: 30, y1: 2000, y2: 2040 }, { x1: 5000, x2: 5100, y1: 300, y2: 340 }];
    const all = [...column, ...far];
    const near = nearSegment(s, t, all);
    assert.deepEqual(near, column);
    assert.deepEqual(routeBow(s, t, near, { pad: 10, minimum: 26, ends: [src, dst] }), routeBow(s, t, all, { pad: 10, minimum: 26, ends: [src, dst] }));
  });
});

describe('graphHtml', () => {
  const opts = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: 'abcdefghijklmnopqrstuv12', scriptUri: 'https://x/graph.js', styleUri: 'https://x/graph.css', codiconsUri: 'https://x/codicon.css' };

  test('the page carries the strict CSP and nothing inline', () => {
    const html = graphHtml(opts);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${opts.nonce}'; style-src ${opts.cspSource}; img-src ${opts.cspSource} data:; font-src ${opts.cspSource}`);
    assert.equal(csp, strictCsp(opts.cspSource, opts.nonce));
    assert.ok(!/unsafe-/.test(html));
    assert.ok(!/\sstyle=/.test(html), 'no inline style attributes');
    assert.ok(!/<style/.test(html), 'no inline style elements');
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, new RegExp(`<script nonce="${opts.nonce}" src="https://x/graph.js"></script>`));
    assert.match(html, /<link id="__________cytoscape_stylesheet" rel="stylesheet" href="https:\/\/x\/graph.css">/);
    assert.match(html, /<link id="vscode-codicon-stylesheet" rel="stylesheet" href="https:\/\/x\/codicon.css">/);
  });

  test('without codicons the toolbar uses text, and attribute values are escaped', () => {
    const { codiconsUri: _, ...plain } = opts;
    const html = graphHtml({ ...plain, scriptUri: 'https://x/a"b.js' });
    assert.ok(!html.includes('vscode-codicon-stylesheet'));
    assert.match(html, /id="fit" label="Fit to window" title="Fit to window">Fit</);
    assert.ok(html.includes('src="https://x/a&quot;b.js"'));
  });

  test('a weak nonce or a malformed source is refused', () => {
    assert.throws(() => graphHtml({ ...opts, nonce: 'short' }));
    assert.throws(() => graphHtml({ ...opts, nonce: "abc'def ghijklmnopqrstu" }));
    assert.throws(() => graphHtml({ ...opts, cspSource: "x; script-src 'unsafe-inline'" }));
  });
});
