/**
 * The graph webview in real Chromium: the built bundle, the host's exact HTML and CSP, a recording stand-in
 * for `acquireVsCodeApi`, and graphs from the real front ends. Screenshots land in test-artifacts/webview/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';
import { cifarResNet } from '../../src/frontends/templates';
import type { Analysis, IrGraph } from '../../src/core/ir';
import type { GraphViewSettings, SetGraphMessage } from '../../src/protocol/graphProtocol';
import { ARTIFACTS, GraphPage, graphPages, REPO_ROOT, THEME_VARS, webviewSkipReason } from './graphPage';

const skip = webviewSkipReason();
if (skip) console.log(`# skipping the graph webview tests: ${skip}`);

function analyse(file: string): Analysis {
  return analyzeText(file, readFileSync(join(REPO_ROOT, file), 'utf8'));
}

function setGraph(a: { file: string; graph: IrGraph | null; diagnostics?: Analysis['diagnostics'] }, settings: Partial<GraphViewSettings> = {}, version = 1): SetGraphMessage {
  return {
    type: 'setGraph',
    version,
    file: a.file,
    graph: a.graph,
    diagnostics: a.diagnostics ?? [],
    settings: { layoutDirection: 'DOWN', autoCollapseThreshold: 300, ...settings },
  };
}

/** What the IR says should be drawn, derived from its skips and nodes (not from the webview's model). */
function expected(g: IrGraph) {
  const ident = g.skips.filter((s) => s.kind === 'identity');
  const proj = g.skips.filter((s) => s.kind === 'projection');
  return {
    layers: g.nodes.filter((n) => n.op !== 'input').length,
    identitySkips: ident.length,
    projectionSkips: proj.length,
    identityEdges: ident.reduce((n, s) => n + s.via.length + 1, 0),
    projectionEdges: proj.reduce((n, s) => n + s.via.length + 1, 0),
    skipEdges: g.edges.filter((e) => e.skip).length,
  };
}

/** Layer nodes outside every group plus those inside the named groups. */
function layersOutsideOrIn(g: IrGraph, groupNames: string[]): number {
  const byId = new Map(g.groups.map((x) => [x.id, x]));
  const top = (gid: string | undefined): string | undefined => {
    let cur = gid ? byId.get(gid) : undefined;
    while (cur?.parent) cur = byId.get(cur.parent);
    return cur?.name;
  };
  return g.nodes.filter((n) => n.op !== 'input' && (!n.group || groupNames.includes(top(n.group)!))).length;
}

async function assertClean(p: GraphPage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(p.consoleErrors, [], 'no console errors or warnings');
}

describe('graph webview in Chromium', { skip, timeout: 180_000 }, () => {
  const pages = graphPages();

  test('ResNet-50: says ready first, draws every layer and shortcut, no CSP violations', async () => {
    const p = await pages.open();
    try {
      assert.deepEqual(await p.posted(), [{ type: 'ready' }], 'ready is the first and only message before the host answers');
      const a = analyse('examples/resnet50.resnet.json');
      await p.send(setGraph(a, { autoCollapseThreshold: 1000 }));
      const s = await p.stats();
      const e = expected(a.graph!);
      assert.equal(s.layers, e.layers);
      assert.equal(s.groups, a.graph!.groups.length);
      assert.equal(s.collapsed, 0);
      assert.equal(s.identitySkips, 12);
      assert.equal(s.projectionSkips, 4);
      assert.equal(s.identitySkips, e.identitySkips);
      assert.equal(s.projectionSkips, e.projectionSkips);
      assert.equal(s.identityEdges, e.identityEdges);
      assert.equal(s.projectionEdges, e.projectionEdges);
      assert.equal(s.identityEdges + s.projectionEdges, e.skipEdges);
      // Projection conv/BN nodes are marked as part of their shortcut.
      assert.equal((await p.classesOf('node.via-projection')).length, 8);
      assert.match(await p.page.textContent('#status') ?? '', /ResNet-50 · @ 3×224² · 25\.6 M params · 4\.09 G MACs · 175 layers · 12 identity \+ 4 projection shortcuts/);
      await p.page.screenshot({ path: join(ARTIFACTS, 'resnet50-dark.png') });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('CIFAR ResNet-20: option-A shortcuts are pad shortcuts through their slice and pad nodes', async () => {
    const p = await pages.open({ theme: 'light' });
    try {
      const a = analyse('examples/cifar-resnet20.resnet.json');
      await p.send(setGraph(a));
      const s = await p.stats();
      const e = expected(a.graph!);
      assert.equal(s.layers, e.layers);
      assert.equal(s.identitySkips, 7);
      assert.equal(s.projectionSkips, 0);
      assert.equal(s.padSkips, 2);
      assert.equal(s.identityEdges, e.identityEdges);
      assert.equal(s.identityEdges, s.identitySkips, 'plain identities: one edge each');
      assert.equal(s.padEdges, 6, 'the two option-A shortcuts pass through slice and pad');
      assert.equal((await p.classesOf('node.via-pad')).length, 4);
      assert.equal((await p.classesOf('node.via-identity')).length, 0);
      assert.match((await p.page.textContent('#status')) ?? '', /7 identity \+ 0 projection \+ 2 pad shortcuts/);
      assert.equal(await p.page.isVisible('#pad-key'), true, 'the legend names the pad kind when the model has one');
      await p.page.screenshot({ path: join(ARTIFACTS, 'cifar-resnet20-light.png') });

      // VS Code switches theme by rewriting the root's variables and the body class; the canvas follows.
      const fill = () => p.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { first(): { style(k: string): string } } } } } }).resnetStudioGraph.view.cy.$('node.layer[op = "Conv2d"]').first().style('background-color'));
      assert.equal(await fill(), 'rgb(248,248,248)');
      await p.page.evaluate((vars) => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
        document.body.classList.replace('vscode-light', 'vscode-dark');
      }, THEME_VARS.dark);
      await p.page.waitForFunction(() => (window as unknown as { resnetStudioGraph: { view: { theme: { kind: string } } } }).resnetStudioGraph.view.theme.kind === 'dark');
      assert.equal(await fill(), 'rgb(32,32,32)');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('stages start collapsed above the threshold; double-click expands, the toolbar collapses again', async () => {
    const p = await pages.open();
    try {
      const a = analyse('examples/resnet50.resnet.json');
      const g = a.graph!;
      await p.send(setGraph(a, { autoCollapseThreshold: 100 }));
      let s = await p.stats();
      assert.equal(s.collapsed, 4);
      assert.equal(s.layers, layersOutsideOrIn(g, []));
      const layer3 = g.groups.find((x) => x.name === 'layer3')!;
      const label = await p.page.evaluate((id) => (window as unknown as { resnetStudioGraph: { view: { cy: { getElementById(i: string): { data(k: string): string } } } } }).resnetStudioGraph.view.cy.getElementById(id).data('label'), `g/${layer3.id}`);
      assert.equal(label.split('\n')[0], 'layer3 · 6× Bottleneck · 512→1024 · 28²→14²');
      await p.page.screenshot({ path: join(ARTIFACTS, 'resnet50-collapsed.png') });

      const layer2 = g.groups.find((x) => x.name === 'layer2')!;
      const pt = await p.nodePoint(`g/${layer2.id}`);
      assert.ok(pt);
      const before = await p.renderCount();
      await p.page.mouse.dblclick(pt.x, pt.y);
      await p.waitForRender(before);
      s = await p.stats();
      assert.equal(s.collapsed, 3);
      assert.equal(s.layers, layersOutsideOrIn(g, ['layer2']));
      assert.equal(s.projectionSkips, 1, 'layer2 brings its one projection shortcut');
      assert.equal(s.identitySkips, 3);
      assert.deepEqual((await p.state())?.collapsed.sort(), ['layer1', 'layer3', 'layer4']);

      const again = await p.renderCount();
      await p.page.click('#collapse-all');
      await p.waitForRender(again);
      s = await p.stats();
      assert.equal(s.collapsed, 4);
      assert.equal(s.layers, layersOutsideOrIn(g, []));
      assert.deepEqual((await p.state())?.collapsed.sort(), ['layer1', 'layer2', 'layer3', 'layer4']);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('clicking a node posts reveal with its source range', async () => {
    const p = await pages.open();
    try {
      const a = analyse('examples/resnet50.resnet.json');
      await p.send(setGraph(a, { autoCollapseThreshold: 100 }));
      const conv1 = a.graph!.nodes.find((n) => n.name === 'conv1')!;
      await p.bringIntoView(`n/${conv1.id}`);
      const pt = await p.nodePoint(`n/${conv1.id}`);
      assert.ok(pt);
      await p.page.mouse.click(pt.x, pt.y);
      await p.page.waitForFunction(() => (window as unknown as { __rec: { posted: { type: string }[] } }).__rec.posted.some((m) => m.type === 'reveal'));
      const reveal = (await p.posted()).find((m) => m.type === 'reveal');
      assert.deepEqual(reveal, { type: 'reveal', nodeId: conv1.id, source: conv1.source });
      assert.equal(conv1.source?.line, 13);

      const layer4 = a.graph!.groups.find((x) => x.name === 'layer4')!;
      await p.bringIntoView(`g/${layer4.id}`);
      const gp = await p.nodePoint(`g/${layer4.id}`);
      assert.ok(gp);
      await p.page.mouse.click(gp.x, gp.y);
      await p.page.waitForFunction(() => (window as unknown as { __rec: { posted: { type: string }[] } }).__rec.posted.filter((m) => m.type === 'reveal').length === 2);
      const second = (await p.posted()).filter((m) => m.type === 'reveal')[1];
      assert.deepEqual(second, { type: 'reveal', nodeId: layer4.id, source: layer4.source });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('nodes with errors are red and show the message on hover', async () => {
    const p = await pages.open();
    try {
      const a = analyse('test/fixtures/json/custom-block-mismatch.resnet.json');
      const bad = a.graph!.nodes.filter((n) => n.error);
      assert.ok(bad.length >= 1, 'the fixture has an erroneous node');
      await p.send(setGraph(a));
      const errorIds = (await p.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { map(f: (e: { id(): string }) => string): string[] } } } } }).resnetStudioGraph.view.cy.$('node.error').map((e) => e.id()))).sort();
      assert.deepEqual(errorIds, bad.map((n) => `n/${n.id}`).sort());
      await p.bringIntoView(`n/${bad[0]!.id}`);
      const pt = await p.nodePoint(`n/${bad[0]!.id}`);
      assert.ok(pt);
      await p.page.mouse.move(pt.x, pt.y);
      await p.page.waitForSelector('#tooltip:not([hidden])');
      const tip = (await p.page.textContent('#tooltip')) ?? '';
      assert.ok(tip.includes(bad[0]!.error!), `tooltip shows the error: ${tip}`);
      assert.ok(await p.page.$eval('#tooltip', (el) => el.classList.contains('has-error')));
      assert.match((await p.page.textContent('#status')) ?? '', /1 error/);
      await p.page.screenshot({ path: join(ARTIFACTS, 'errors-hover.png') });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('highlight from the host expands the collapsed stage and block, then selects and centres the node', async () => {
    const p = await pages.open();
    try {
      const a = analyse('examples/resnet50.resnet.json');
      await p.send(setGraph(a, { autoCollapseThreshold: 40 }));
      const target = a.graph!.nodes.find((n) => n.name === 'layer3.2.conv2')!;
      assert.equal(await p.nodePoint(`n/${target.id}`), null, 'hidden inside collapsed layer3');
      await p.send({ type: 'highlight', nodeIds: [target.id] });
      const pt = await p.nodePoint(`n/${target.id}`);
      assert.ok(pt, 'drawn after the highlight');
      const selected = await p.classesOf(':selected');
      assert.equal(selected.length, 1);
      const box = await p.page.$eval('#graph', (el) => el.getBoundingClientRect().toJSON() as { left: number; top: number; width: number; height: number });
      assert.ok(pt.x > box.left && pt.x < box.left + box.width && pt.y > box.top && pt.y < box.top + box.height, 'centred in view');
      const state = await p.state();
      assert.ok(!state?.collapsed.includes('layer3') && !state?.collapsed.includes('layer3.2'));
      // layer3 holds more than 40 layers, so its other blocks came in collapsed.
      assert.ok(state?.collapsed.includes('layer3.0'));
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('search, heat and export: SVG and PNG go to the host', async () => {
    const p = await pages.open();
    try {
      const a = analyse('examples/resnet18.resnet.json');
      await p.send(setGraph(a));
      await p.page.locator('#search input').fill('downsample');
      await p.page.waitForFunction(() => document.getElementById('search-count')?.textContent === '9 matches');
      assert.equal((await p.classesOf('.match')).length, 9, 'three downsample modules and their six layers');
      await p.page.locator('#search input').press('Enter');
      await p.page.waitForFunction(() => document.getElementById('search-count')?.textContent === '1 of 9');
      const first = a.graph!.nodes.find((n) => n.name.includes('downsample'))!;
      assert.deepEqual(await p.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { map(f: (e: { id(): string }) => string): string[] } } } } }).resnetStudioGraph.view.cy.$(':selected').map((e) => e.id())), [`n/${first.id}`]);

      await p.send({ type: 'setHeat', mode: 'macs' });
      // The page handles messages asynchronously: wait until the overlay is on every layer before reading it.
      await p.page.waitForFunction(() =>
        (window as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { every(f: (e: { data(k: string): unknown }) => boolean): boolean } } } } }).resnetStudioGraph.view.cy
          .$('node.layer')
          .every((e) => typeof e.data('heat') === 'number'),
      );
      const heats = await p.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { map(f: (e: { data(k: string): number }) => number): number[] } } } } }).resnetStudioGraph.view.cy.$('node.layer').map((e) => e.data('heat')));
      assert.ok(heats.every((h) => h >= 0 && h <= 1));
      assert.equal(Math.max(...heats), 1);
      assert.equal((await p.state())?.heat, 'macs');
      await p.page.screenshot({ path: join(ARTIFACTS, 'resnet18-heat-macs.png') });

      // Two quick requests: each answer names the request it answers, so neither can be taken for the other.
      await p.send({ type: 'requestExport', requestId: 7, format: 'svg' }, false);
      await p.send({ type: 'requestExport', requestId: 8, format: 'png' }, false);
      await p.page.waitForFunction(() => (window as unknown as { __rec: { posted: { type: string }[] } }).__rec.posted.filter((m) => m.type === 'exportedImage').length === 2);
      const answers = (await p.posted()).filter((m) => m.type === 'exportedImage');
      assert.deepEqual(answers.map((m) => [m.inReplyTo, m.format]), [[7, 'svg'], [8, 'png']]);
      const svg = answers[0]!;
      assert.match(svg.data, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      const e = expected(a.graph!);
      const rects = svg.data.match(/<rect /g)?.length ?? 0;
      assert.equal(rects, e.layers + 1 + a.graph!.groups.length + 1, 'one box per node and group, plus the background');
      const edgePaths = svg.data.match(/<path d="[^"]+" fill="none"[^>]*>/g) ?? [];
      assert.equal(edgePaths.length, a.graph!.edges.length, 'every edge is drawn (all groups expanded, so none merge)');
      assert.equal(edgePaths.filter((x) => x.includes('stroke-dasharray')).length, e.identityEdges, 'identity shortcuts are the dashed edges');

      // The toolbar's own export is not an answer to anything: it asks the host to save the image.
      await p.page.click('#export-png');
      await p.page.waitForFunction(() => (window as unknown as { __rec: { posted: { type: string; format?: string }[] } }).__rec.posted.some((m) => m.type === 'saveImage' && m.format === 'png'));
      const png = (await p.posted()).find((m) => m.type === 'saveImage' && m.format === 'png');
      assert.ok(png && png.type === 'saveImage');
      assert.match(png.data, /^data:image\/png;base64,/);
      const bytes = Buffer.from(png.data.slice(png.data.indexOf(',') + 1), 'base64');
      assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
      assert.ok(bytes.length > 20_000, `a real picture (${bytes.length} bytes)`);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('collapsed groups and heat survive a reload (setState)', async () => {
    const a = analyse('examples/resnet50.resnet.json');
    const p = await pages.open({ state: { file: a.file, collapsed: ['layer1', 'layer4'], heat: 'params' } });
    try {
      await p.send(setGraph(a, { autoCollapseThreshold: 1000 }));
      const s = await p.stats();
      assert.equal(s.collapsed, 2);
      assert.equal(s.layers, layersOutsideOrIn(a.graph!, ['layer2', 'layer3']));
      assert.equal(await p.page.$eval('#heat', (el) => (el as HTMLElement & { value: string }).value), 'params');
      assert.deepEqual(await p.state(), { file: a.file, collapsed: ['layer1', 'layer4'], heat: 'params' });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('an older version of the same file is ignored; a file without a graph says why', async () => {
    const p = await pages.open();
    try {
      const r18 = analyse('examples/resnet18.resnet.json');
      const r34 = analyse('examples/resnet34.resnet.json');
      await p.send(setGraph({ ...r18, file: 'model.resnet.json' }, {}, 5));
      await p.send(setGraph({ ...r34, file: 'model.resnet.json' }, {}, 4), false);
      await p.send(setGraph({ ...r18, file: 'model.resnet.json' }, {}, 6));
      assert.equal((await p.stats()).layers, expected(r18.graph!).layers, 'version 4 arrived late and was dropped');
      const broken = analyse('test/fixtures/json/cycle.resnet.json');
      await p.send(setGraph({ file: broken.file, graph: null, diagnostics: broken.diagnostics }), false);
      await p.page.waitForSelector('#empty:not([hidden])');
      assert.match((await p.page.textContent('#empty')) ?? '', /^No graph: .*a -> b -> c -> a/);
      assert.equal((await p.stats()).layers, 0);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('CIFAR ResNet-1202 opens with its stages collapsed; only the visible elements exist', async () => {
    const p = await pages.open({ theme: 'high-contrast' });
    try {
      const file = 'cifar-resnet1202.resnet.json';
      const a = analyzeText(file, JSON.stringify(cifarResNet(1202)));
      const g = a.graph!;
      assert.ok(g.nodes.length > 3600);
      await p.send(setGraph(a));
      const s = await p.stats();
      assert.equal(s.collapsed, 3);
      assert.equal(s.layers, layersOutsideOrIn(g, []));
      const total = await p.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { cy: { elements(): { length: number } } } } }).resnetStudioGraph.view.cy.elements().length);
      assert.ok(total < 30, `${total} elements`);
      await p.page.screenshot({ path: join(ARTIFACTS, 'cifar-resnet1202-collapsed-hc.png') });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});

