/**
 * How the graph page starts, in Chromium: a ResNet's first paint never loads ELK (a separate bundle, for the
 * graphs the nested-chain layout cannot place), a graph that needs it loads it under the page's CSP, and the
 * page opens ready to read: fitted, no label clipped at the edge, the legend never over a node (an icon in a
 * narrow view).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';
import type { IrGraph } from '../../src/core/ir';
import type { SetGraphMessage } from '../../src/protocol/graphProtocol';
import { ARTIFACTS, GraphPage, graphPages, REPO_ROOT, webviewSkipReason } from './graphPage';

const skip = webviewSkipReason();

const msg = (file: string, graph: IrGraph, threshold = 300): SetGraphMessage => ({
  type: 'setGraph',
  version: 1,
  file,
  graph,
  diagnostics: [],
  settings: { layoutDirection: 'DOWN', autoCollapseThreshold: threshold },
});

/** Three parallel branches concatenated: wider than the nested-chain layout places, so ELK lays it out. */
const THREE_BRANCHES = `import torch
import torch.nn as nn

class Inception(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(8, 4, 1)
        self.b = nn.Conv2d(8, 4, 3, padding=1)
        self.c = nn.Conv2d(8, 4, 5, padding=2)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x), self.c(x)], 1)
# resnet-studio: input=1,8,16,16
`;

/** Boxes of the drawn nodes' labels in page pixels, from cytoscape's own label bounds. */
async function labelBoxes(p: GraphPage): Promise<{ id: string; x1: number; y1: number; x2: number; y2: number }[]> {
  return p.page.evaluate(() => {
    const v = (window as unknown as { resnetStudioGraph: { view: { cy: { container(): HTMLElement; nodes(): { map<T>(f: (n: { id(): string; isParent(): boolean; renderedBoundingBox(o: object): { x1: number; y1: number; x2: number; y2: number } }) => T): T[] } } } } }).resnetStudioGraph.view;
    const r = v.cy.container().getBoundingClientRect();
    return v.cy.nodes().map((n) => {
      const b = n.renderedBoundingBox({ includeLabels: true, includeOverlays: false, includeNodes: !n.isParent() });
      return { id: n.id(), x1: r.left + b.x1, y1: r.top + b.y1, x2: r.left + b.x2, y2: r.top + b.y2 };
    });
  });
}

describe('graph page start-up and first view', { skip, timeout: 180_000 }, () => {
  const pages = graphPages();

  test('a ResNet never loads ELK; a graph that needs it loads it under the CSP', async () => {
    const requested: string[] = [];
    const p = await pages.open();
    try {
      p.page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      const r50 = analyzeText('resnet50.resnet.json', readFileSync(join(REPO_ROOT, 'examples/resnet50.resnet.json'), 'utf8')).graph!;
      await p.send(msg('resnet50.resnet.json', r50, 100_000));
      assert.ok(!requested.includes('/graph-elk.js'), JSON.stringify(requested));
      const g = analyzeText('/w/inception.py', THREE_BRANCHES).graph!;
      assert.ok(g, 'the three-branch model analyses');
      await p.send(msg('/w/inception.py', g));
      assert.ok(requested.includes('/graph-elk.js'), `ELK was loaded for the three branches: ${JSON.stringify(requested)}`);
      assert.equal((await p.stats()).layers, g.nodes.length - 1);
      assert.deepEqual(await p.cspViolations(), []);
      assert.deepEqual(p.consoleErrors, []);
    } finally {
      await p.close();
    }
  });

  // A group's title sits beside the edge entering it at the middle, clear of that edge's shape label.
  for (const file of ['examples/cifar-resnet20.resnet.json', 'examples/tiny-resnet.resnet.json']) {
    test(`no group title lies under an edge's shape label (${file})`, async () => {
      const p = await pages.open();
      try {
        const g = analyzeText(file, readFileSync(join(REPO_ROOT, file), 'utf8')).graph!;
        await p.send(msg(file, g, 100_000));
        const hits = (await p.page.evaluate(`(() => {
  const cy = window.resnetStudioGraph.view.cy;
  const only = { includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false, includeUnderlays: false };
  const titles = cy.nodes('.expanded').map((n) => ({ id: n.id(), b: n.boundingBox(only) }));
  const labels = cy.edges().filter((e) => !!e.data('label')).map((e) => ({ id: e.id(), b: e.boundingBox(only) }));
  const out = [];
  for (const t of titles) for (const l of labels) {
    if (Math.min(t.b.x2, l.b.x2) - Math.max(t.b.x1, l.b.x1) >= 1 && Math.min(t.b.y2, l.b.y2) - Math.max(t.b.y1, l.b.y1) >= 1) out.push(t.id + ' under ' + l.id);
  }
  return { titles: titles.length, out };
})()`)) as { titles: number; out: string[] };
        assert.ok(hits.titles >= 3, `${hits.titles} group titles`);
        assert.deepEqual(hits.out, []);
      } finally {
        await p.close();
      }
    });
  }

  // The vscode-elements controls are a bundle of their own, loaded once the graph is on screen; until then the
  // stylesheet keeps their room, so nothing moves when they arrive.
  for (const width of [1200, 360]) {
    test(`the toolbar's controls load after the first paint, into the room kept for them (${width} px wide)`, async () => {
      const file = 'examples/resnet152.resnet.json';
      const g = analyzeText(file, readFileSync(join(REPO_ROOT, file), 'utf8')).graph!;
      const layout = `[...document.querySelectorAll('#toolbar > *, #graph')].map((e) => { const r = e.getBoundingClientRect(); return [e.id, r.x, r.y, r.width, r.height]; })`;
      const without = await pages.open({ width, height: 800 });
      let before: unknown;
      try {
        await without.page.route('**/graph-controls.js', (r) => r.abort());
        await without.send(msg(file, g));
        assert.equal(await without.page.evaluate(`!!customElements.get('vscode-toolbar-button')`), false);
        before = await without.page.evaluate(layout);
      } finally {
        await without.close();
      }
      const p = await pages.open({ width, height: 800 });
      try {
        await p.send(msg(file, g));
        await p.page.waitForFunction(() => !!customElements.get('vscode-toolbar-button') && !!customElements.get('vscode-single-select'));
        const asked = (await p.page.evaluate(`performance.getEntriesByType('resource').find((e) => e.name.endsWith('/graph-controls.js')).startTime`)) as number;
        const painted = (await p.page.evaluate(`window.resnetStudioGraph.view.lastTiming.painted`)) as number;
        assert.ok(asked >= painted, `asked for the controls at ${asked} ms, after the first paint at ${painted} ms`);
        // Upgraded and rendered.
        await p.page.waitForFunction(() => (document.querySelector('#heat')?.shadowRoot?.childElementCount ?? 0) > 0);
        assert.deepEqual(await p.page.evaluate(layout), before);
        await p.page.screenshot({ path: join(ARTIFACTS, `controls-${width}.png`) });
        assert.deepEqual(p.consoleErrors, []);
      } finally {
        await p.close();
      }
    });
  }

  // A large drawing puts what is in sight on the canvas first (firstPaint.ts): that frame must show exactly
  // what the whole shows there, or the view would jump when the rest arrives.
  for (const how of ['opened expanded', 'expand everything'] as const) {
    test(`a large graph drawn in two steps: the first shows what the whole shows in sight (ResNet-152, ${how})`, async () => {
      const p = await pages.open({ width: 1200, height: 800 });
      try {
        const file = 'examples/resnet152.resnet.json';
        const g = analyzeText(file, readFileSync(join(REPO_ROOT, file), 'utf8')).graph!;
        type Seen = { ids: Record<string, [number, number, number, number]>; zoom: number; pan: { x: number; y: number }; width: number; height: number; total: number };
        // Rendered boxes (nodes' bodies and labels, edges' curves) of every element, with the viewport; as page
        // source, so that nothing the test runner adds to its own functions reaches the page.
        const hook = `(() => {
  const view = window.resnetStudioGraph.view;
  window.__snap = () => {
    const cy = view.cy;
    const ids = {};
    cy.elements().forEach((e) => {
      const b = e.renderedBoundingBox({ includeOverlays: false, includeUnderlays: false });
      ids[e.id()] = [b.x1, b.y1, b.x2, b.y2];
    });
    return { ids, zoom: cy.zoom(), pan: { ...cy.pan() }, width: cy.width(), height: cy.height(), total: cy.elements().length };
  };
  view.onFirstPartPainted = () => { window.__first = window.__snap(); };
})()`;
        if (how === 'opened expanded') {
          await p.page.evaluate(hook);
          await p.send(msg(file, g, 100_000));
        } else {
          await p.send(msg(file, g));
          await p.page.evaluate(hook);
          const before = await p.renderCount();
          await p.page.click('#expand-all');
          await p.waitForRender(before);
        }
        const first = (await p.page.evaluate('window.__first')) as Seen | undefined;
        const whole = (await p.page.evaluate('window.__snap()')) as Seen;
        assert.ok(first, 'the first step was painted on its own');
        assert.ok(first.total < whole.total / 4, `the first step holds a small part: ${first.total} of ${whole.total} elements`);
        assert.deepEqual({ zoom: whole.zoom, pan: whole.pan }, { zoom: first.zoom, pan: first.pan }, 'the view did not move');
        const inSight = (b: [number, number, number, number]) => b[2] >= 0 && b[0] <= whole.width && b[3] >= 0 && b[1] <= whole.height;
        let checked = 0;
        for (const [id, b] of Object.entries(whole.ids)) {
          if (!inSight(b)) continue;
          const a = first.ids[id];
          assert.ok(a, `${id}, in sight, was in the first step`);
          // What of it is in sight (a stage's box goes on below the view, where its first drawing may end sooner).
          const clip = (x: [number, number, number, number]) => [Math.max(x[0], 0), Math.max(x[1], 0), Math.min(x[2], whole.width), Math.min(x[3], whole.height)];
          const [ca, cb] = [clip(a), clip(b)];
          for (let i = 0; i < 4; i++) assert.ok(Math.abs(ca[i]! - cb[i]!) < 0.5, `${id} was drawn at ${JSON.stringify(a)} first and at ${JSON.stringify(b)} after`);
          checked++;
        }
        assert.ok(checked >= 10, `${checked} elements in sight`);
        await p.page.screenshot({ path: join(ARTIFACTS, `two-step-${how.replace(/ /g, '-')}.png`) });
        assert.deepEqual(p.consoleErrors, []);
      } finally {
        await p.close();
      }
    });
  }

  test("a new view's first frame is drawn without cytoscape's texture caches, which are back for the frames after", async () => {
    const p = await pages.open();
    try {
      const file = 'examples/tiny-resnet.resnet.json';
      const g = analyzeText(file, readFileSync(join(REPO_ROOT, file), 'utf8')).graph!;
      // Polled in every animation frame from before the graph is posted: whether the caches were bypassed.
      await p.page.evaluate(`(() => {
  const r = window.resnetStudioGraph.view.cy.renderer();
  window.__bypassed = [];
  const poll = () => { window.__bypassed.push(Object.prototype.hasOwnProperty.call(r.data.eleTxrCache, 'getElement')); requestAnimationFrame(poll); };
  requestAnimationFrame(poll);
})()`);
      await p.send(msg(file, g, 100_000));
      const seen = (await p.page.evaluate('window.__bypassed')) as boolean[];
      assert.ok(seen.includes(true), 'bypassed for the first frame');
      assert.equal(seen.at(-1), false, 'restored after it');
      assert.equal(await p.page.evaluate(`Object.prototype.hasOwnProperty.call(window.resnetStudioGraph.view.cy.renderer().data.lblTxrCache, 'getElement')`), false);
    } finally {
      await p.close();
    }
  });

  test('a cursor highlight that arrives while a large drawing is being drawn selects its node', async () => {
    const p = await pages.open({ width: 1200, height: 800 });
    try {
      const file = 'examples/resnet152.resnet.json';
      const g = analyzeText(file, readFileSync(join(REPO_ROOT, file), 'utf8')).graph!;
      // The last layer, far below the first view: drawn only in the second step.
      const last = g.nodes.filter((n) => n.op === 'Linear').at(-1)!;
      // Both at once: the highlight is handled while the first step waits for its frame.
      const before = await p.renderCount();
      await p.page.evaluate(
        ([graph, highlight]) => {
          window.postMessage(JSON.parse(graph!), '*');
          window.postMessage(JSON.parse(highlight!), '*');
        },
        [JSON.stringify(msg(file, g, 100_000)), JSON.stringify({ type: 'highlight', nodeIds: [last.id] })],
      );
      await p.waitForRender(before);
      await p.page.waitForFunction((id) => {
        const cy = (window as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { map<T>(f: (e: { data(k: string): unknown }) => T): T[] } } } } }).resnetStudioGraph.view.cy;
        return cy.$(':selected').map((e) => e.data('irId')).includes(id);
      }, last.id, { timeout: 10_000 });
    } finally {
      await p.close();
    }
  });

  const sizes = [
    { width: 1200, height: 800, name: 'panel' },
    { width: 360, height: 700, name: 'side-bar' },
  ];
  const models = [
    // Stages collapsed by the default policy: small enough to be fitted whole.
    { file: 'examples/resnet152.resnet.json', fits: true },
    // Expanded and taller than the view: the top of it at a readable zoom, to be scrolled like a document.
    { file: 'examples/tiny-resnet.resnet.json', fits: false },
  ];
  for (const size of sizes) {
    for (const model of models) {
      const name = model.file.replace(/^.*\/|\.resnet\.json$/g, '');
      test(`opens ready to read: ${name} in a ${size.name} (${size.width}x${size.height}), no label clipped, the legend over no node`, async () => {
        const p = await pages.open({ width: size.width, height: size.height });
        try {
          const g = analyzeText(model.file, readFileSync(join(REPO_ROOT, model.file), 'utf8')).graph!;
          await p.send(msg(model.file, g));
          await p.page.screenshot({ path: join(ARTIFACTS, `first-view-${name}-${size.name}.png`) });
          const view = (await p.page.locator('#graph').boundingBox())!;
          const boxes = await labelBoxes(p);
          assert.ok(boxes.length > 5);
          const bottom = view.y + view.height + 0.5;
          for (const b of boxes) {
            const where = `${b.id} ${JSON.stringify(b)} in the view ${JSON.stringify(view)}`;
            // Never cut by the sides or the top; by the bottom only where the graph goes on below (scrolled).
            assert.ok(b.x1 >= view.x - 0.5 && b.x2 <= view.x + view.width + 0.5, `clipped at a side: ${where}`);
            assert.ok(b.y1 >= view.y - 0.5, `clipped at the top: ${where}`);
            if (model.fits) assert.ok(b.y2 <= bottom, `a fitted graph is whole: ${where}`);
          }
          if (!model.fits) assert.ok(boxes.some((b) => b.y2 > bottom), 'taller than the view, as this case means');
          const legend = (await p.page.locator('#legend').boundingBox())!;
          // What of a node the canvas shows (it clips at its own edges), overlapping the legend by a pixel or more.
          const over = (l: { x: number; y: number; width: number; height: number }, v: typeof view, drawn: typeof boxes) =>
            drawn.filter((b) => Math.min(b.x2, l.x + l.width) - Math.max(b.x1, l.x) >= 1 && Math.min(b.y2, l.y + l.height, v.y + v.height) - Math.max(b.y1, l.y, v.y) >= 1);
          assert.deepEqual(over(legend, view, boxes), [], `the legend ${JSON.stringify(legend)} lies over nodes`);
          if (size.width < 480) {
            // Narrow: the legend is one icon until asked; opened, it still covers no node.
            assert.ok(legend.height <= 30, `a narrow view's legend is an icon row, not ${legend.height}px`);
            assert.equal(await p.page.locator('#legend .key').first().isVisible(), false);
            await p.page.click('#legend-toggle');
            assert.equal(await p.page.locator('#legend .key').first().isVisible(), true);
            const open = (await p.page.locator('#legend').boundingBox())!;
            // The canvas gives the legend its room (it is never drawn over).
            await p.page.waitForTimeout(100);
            const shrunk = (await p.page.locator('#graph').boundingBox())!;
            assert.ok(shrunk.y + shrunk.height <= open.y + 0.5, `the canvas ${JSON.stringify(shrunk)} ends above the legend ${JSON.stringify(open)}`);
            assert.deepEqual(over(open, shrunk, await labelBoxes(p)), [], 'the open legend lies over no node');
            await p.page.screenshot({ path: join(ARTIFACTS, `first-view-${name}-${size.name}-legend.png`) });
          } else {
            assert.equal(await p.page.isVisible('#legend-toggle'), false, 'a wide view shows the legend itself');
          }
          assert.deepEqual(await p.cspViolations(), []);
        } finally {
          await p.close();
        }
      });
    }
  }
});
