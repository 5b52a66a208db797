/**
 * Diff mode of the graph webview in real Chromium: `setDiff` with two analysed versions of a design draws
 * their union with added, removed and changed layers and blocks marked, says what changed in the tooltip as
 * `old → new`, fills the side panel's per-stage table, keeps red for errors, reads in light and dark themes,
 * and `setGraph` leaves it. Screenshots land in test-artifacts/webview/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffGraphs } from '../../src/core/diff';
import { unionGraph, unionId } from '../../src/core/diffGraph';
import type { IrGraph } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import type { SetDiffMessage, SetGraphMessage } from '../../src/protocol/graphProtocol';
import { ARTIFACTS, graphPages, REPO_ROOT, type ThemeKind, webviewSkipReason } from './graphPage';

const skip = webviewSkipReason();
if (skip) console.log(`# skipping the diff webview tests: ${skip}`);

const SETTINGS = { layoutDirection: 'DOWN', autoCollapseThreshold: 300 } as const;

type Design = { layers: Record<string, unknown>[] };

function design(rel: string, edit?: (d: Design) => void): IrGraph {
  const d = JSON.parse(readFileSync(join(REPO_ROOT, rel), 'utf8')) as Design;
  edit?.(d);
  const a = analyzeText(join(REPO_ROOT, rel), JSON.stringify(d));
  assert.ok(a.graph);
  return a.graph;
}

const stage = (d: Design, name: string) => d.layers.find((l) => l['stage'] === name)!;

/** ResNet-18 with one block fewer in layer2, one more in layer3 and a narrower layer4. */
function comparison() {
  const a = design('examples/resnet18.resnet.json');
  const b = design('examples/resnet18.resnet.json', (d) => {
    stage(d, 'layer2')['count'] = 1;
    stage(d, 'layer3')['count'] = 3;
    stage(d, 'layer4')['planes'] = 256;
  });
  const diff = diffGraphs(a, b);
  const msg: SetDiffMessage = { type: 'setDiff', version: 1, file: b.file, labels: { before: 'HEAD', after: 'working tree' }, graph: unionGraph(a, b, diff), diff, diagnostics: [], settings: { ...SETTINGS } };
  return { a, b, diff, msg };
}

interface CyProbe {
  resnetStudioGraph: {
    view: {
      cy: {
        $(s: string): { map<T>(f: (e: { id(): string; data(k: string): unknown; style(k: string): string }) => T): T[] };
        getElementById(id: string): { emit(e: string): void; style(k: string): string; selected(): boolean };
      };
      theme: Record<string, string>;
    };
  };
}

/** Relative luminance and WCAG contrast of two `rgb(r,g,b)` colours as cytoscape reports them. */
function contrast(x: string, y: string): number {
  const lum = (c: string) => {
    const [r, g, b] = (c.match(/\d+/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [a, b] = [lum(x), lum(y)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

describe('graph webview: diff mode', { skip, timeout: 180_000 }, () => {
  const pages = graphPages();

  test('setDiff marks added, removed and changed layers and blocks, and fills the per-stage table', async () => {
    const { a, b, diff, msg } = comparison();
    const p = await pages.open();
    try {
      await p.send(msg, true);
      const layerIds = async (cls: string) => (await p.page.evaluate((sel) => (window as unknown as CyProbe).resnetStudioGraph.view.cy.$(sel).map((e) => String(e.data('irId'))), `node.layer.${cls}`)).sort();
      const expectIds = (status: string) => diff.nodes.filter((n) => n.status === status).map(unionId).sort();
      assert.deepEqual(await layerIds('diff-added'), expectIds('added'));
      assert.deepEqual(await layerIds('diff-removed'), expectIds('removed'));
      assert.deepEqual(await layerIds('diff-changed'), expectIds('changed'));
      assert.deepEqual(await layerIds('diff-reshaped'), expectIds('reshaped'));
      assert.equal((await layerIds('diff-added')).length, 7, 'one BasicBlock added');
      assert.equal((await layerIds('diff-removed')).length, 7, 'one BasicBlock removed');
      const groupClass = async (name: string) => {
        const id = diff.groups.find((g) => g.name === name)!;
        return p.page.evaluate((vid) => (window as unknown as CyProbe).resnetStudioGraph.view.cy.$(`[id = "${vid}"]`).map((e) => e.data('irId') as string).length, `g/${unionId(id)}`).then(async (n) => {
          assert.equal(n, 1, `${name} is drawn`);
          return (await p.classesOf(`[id = "g/${unionId(id)}"]`))[0]!;
        });
      };
      assert.ok((await groupClass('layer3.2')).includes('diff-added'));
      assert.ok((await groupClass('layer2.1')).includes('diff-removed'));
      assert.ok((await groupClass('layer4')).includes('diff-changed'));
      assert.ok(!(await groupClass('layer1')).some((c) => c.startsWith('diff-')), 'an unchanged stage keeps the ordinary look');
      // Removed layers link nowhere: their source is in a text no editor shows.
      const removed = diff.nodes.find((n) => n.status === 'removed')!;
      assert.equal(msg.graph.nodes.find((n) => n.id === unionId(removed))!.source, undefined);

      // Connections into and inside the removed block are drawn as the removed block's.
      const removedEdges = await p.page.evaluate(() => (window as unknown as CyProbe).resnetStudioGraph.view.cy.$('edge.main.diff-removed').map((e) => e.style('line-style')));
      assert.ok(removedEdges.length >= 7, `edges of the removed block: ${removedEdges.length}`);
      assert.ok(removedEdges.every((s) => s === 'dashed'));

      // The tooltip says what changed, old → new.
      const conv = diff.nodes.find((n) => n.key === 'layer4.0.conv2')!;
      await p.bringIntoView(`n/${unionId(conv)}`);
      await p.page.evaluate((id) => (window as unknown as CyProbe).resnetStudioGraph.view.cy.getElementById(id).emit('mouseover'), `n/${unionId(conv)}`);
      const tip = (await p.page.textContent('#tooltip')) ?? '';
      assert.match(tip, /changed from HEAD to working tree:/);
      assert.match(tip, /in_channels 512 → 256/);
      assert.match(tip, /out_channels 512 → 256/);
      assert.doesNotMatch(tip, /error/);
      assert.equal(await p.page.evaluate(() => document.getElementById('tooltip')!.classList.contains('has-error')), false);

      // The side panel: one row per stage with its status and deltas, and the totals.
      assert.equal(await p.page.isVisible('#diff-panel'), true);
      const rows = await p.page.$$eval('#diff-panel .stage-row', (trs) => trs.map((tr) => ({ stage: (tr as HTMLElement).dataset['stage'], cls: tr.className, cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })));
      assert.deepEqual(rows.map((r) => r.stage), diff.stages.map((s) => s.name));
      const row = (name: string) => rows.find((r) => r.stage === name)!;
      assert.match(row('layer3').cls, /status-changed/);
      assert.match(row('layer3').cells[0]!, /layer3\s*2× → 3× BasicBlock/);
      assert.equal(row('layer3').cells[1], '+1.18 M');
      assert.match(row('layer1').cls, /status-same/);
      assert.equal(row('layer1').cells[1], '±0');
      assert.match(row('avgpool').cls, /status-reshaped/);
      const total = await p.page.textContent('#diff-panel tfoot');
      assert.ok(total?.includes(`−${((a.params! - b.params!) / 1e6).toPrecision(3)} M`), total ?? '');
      assert.match((await p.page.textContent('#diff-panel .diff-facts')) ?? '', /Output\[1, 1000\] \(unchanged\)/);
      assert.match((await p.page.textContent('#diff-panel .diff-legend')) ?? '', /added 7.*removed 7.*changed 11.*reshaped 8/);
      assert.match((await p.page.textContent('#diff-panel .diff-changes')) ?? '', /fc.*in_features 512 → 256/);
      assert.match((await p.page.textContent('#status')) ?? '', /ResNet-18 · HEAD → working tree · 7 added, 7 removed, 11 changed layers · params −5\.34 M/);

      // A row is a link into the graph.
      await p.page.click('#diff-panel .stage-row[data-stage="layer3"]');
      const layer3 = diff.groups.find((g) => g.name === 'layer3')!;
      await p.page.waitForFunction((id) => (window as unknown as CyProbe).resnetStudioGraph.view.cy.getElementById(id).selected(), `g/${unionId(layer3)}`);
      await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await p.page.screenshot({ path: join(ARTIFACTS, 'diff-layer3-picked.png') });
      assert.deepEqual(await p.cspViolations(), []);
      assert.deepEqual(p.consoleErrors, []);
      assert.deepEqual((await p.posted()).map((m) => m.type), ['ready'], 'diff mode posts nothing by itself');

      // setGraph leaves diff mode.
      const plain: SetGraphMessage = { type: 'setGraph', version: 2, file: b.file, graph: b, diagnostics: [], settings: { ...SETTINGS } };
      await p.send(plain);
      assert.equal(await p.page.isVisible('#diff-panel'), false);
      assert.deepEqual(await p.classesOf('.diff-added, .diff-removed, .diff-changed, .diff-reshaped'), []);
      assert.equal((await p.stats()).layers, b.nodes.length - 1);
      assert.match((await p.page.textContent('#status')) ?? '', /^ResNet-18 · (.* · )?6\.35 M params/);
    } finally {
      await p.close();
    }
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as ThemeKind[]) {
    test(`${theme} theme: the diff colours differ from each other and from the error red, and text stays readable`, async () => {
      const { msg, diff } = comparison();
      const unchanged = diff.nodes.find((n) => n.key === 'layer1.0.conv1' && n.status === 'same')!;
      const p = await pages.open({ theme });
      try {
        await p.send(msg, true);
        // One call per selector: a helper function declared inside `evaluate` would not survive the TypeScript transform.
        const style = (sel: string) =>
          p.page.evaluate((q) => (window as unknown as CyProbe).resnetStudioGraph.view.cy.$(q).map((e) => ({ border: e.style('border-color'), fill: e.style('background-color'), text: e.style('color') }))[0]!, sel);
        const look = {
          added: await style('node.layer.diff-added'),
          removed: await style('node.layer.diff-removed'),
          changed: await style('node.layer.diff-changed'),
          plain: await style(`[id = "n/${unionId(unchanged)}"]`),
          error: await p.page.evaluate(() => (window as unknown as CyProbe).resnetStudioGraph.view.theme['error']!),
        };
        const borders = [look.added.border, look.removed.border, look.changed.border];
        assert.equal(new Set(borders).size, 3, `three distinct colours: ${borders.join(' ')}`);
        const hex = (c: string) => `#${(c.match(/\d+/g) ?? []).slice(0, 3).map((x) => Number(x).toString(16).padStart(2, '0')).join('')}`;
        for (const b of borders) assert.notEqual(hex(b), look.error, 'red is for errors');
        for (const k of ['added', 'removed', 'changed'] as const) {
          assert.ok(contrast(look[k].text, look[k].fill) >= 4.5, `${k}: text ${look[k].text} on ${look[k].fill}`);
          assert.ok(contrast(look[k].border, look.plain.fill) >= 1.8, `${k}: border ${look[k].border} stands out from ${look.plain.fill}`);
        }
        const swatches = await p.page.$$eval('#diff-panel .diff-legend .diff-swatch', (s) => s.map((e) => getComputedStyle(e).borderTopColor));
        assert.equal(new Set(swatches.slice(0, 3)).size, 3, 'the legend shows the three colours');
        await p.page.screenshot({ path: join(ARTIFACTS, `diff-${theme}.png`) });
        assert.deepEqual(p.consoleErrors, []);
      } finally {
        await p.close();
      }
    });
  }

  test('a larger model: stages holding a change start expanded, unchanged ones collapsed', async () => {
    const a = design('examples/resnet50.resnet.json');
    const b = design('examples/resnet50.resnet.json', (d) => (stage(d, 'layer3')['count'] = 5));
    const diff = diffGraphs(a, b);
    const msg: SetDiffMessage = { type: 'setDiff', version: 1, file: b.file, labels: { before: 'a.resnet.json', after: 'b.resnet.json' }, graph: unionGraph(a, b, diff), diff, diagnostics: [], settings: { layoutDirection: 'DOWN', autoCollapseThreshold: 100 } };
    const p = await pages.open();
    try {
      await p.send(msg, true);
      const collapsed = (await p.page.evaluate(() => (window as unknown as CyProbe).resnetStudioGraph.view.cy.$('node.collapsed').map((e) => String(e.data('name'))))).sort();
      assert.deepEqual(collapsed, ['layer1', 'layer2', 'layer4']);
      assert.ok((await p.classesOf(`[id = "g/${unionId(diff.groups.find((g) => g.name === 'layer3.5')!)}"]`))[0]!.includes('diff-removed'));
      assert.match((await p.page.textContent('#diff-panel h2')) ?? '', /a\.resnet\.json → b\.resnet\.json/);
      assert.deepEqual(p.consoleErrors, []);
    } finally {
      await p.close();
    }
  });
});
