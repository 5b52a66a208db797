/**
 * The graph page's telemetry overlay in real Chromium (the built bundle, the host's HTML and CSP): hidden
 * until layer rows arrive; then layers take heat from the chosen statistic at the newest step, live rows move
 * the step along, the slider replays an earlier step, skip edges widen as a branch's ratio falls, and
 * "No telemetry" removes it all. Screenshot in test-artifacts/webview/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';
import type { LayerRow } from '../../src/protocol/trainingProtocol';
import { ARTIFACTS, graphPages, REPO_ROOT, webviewSkipReason } from '../webview/graphPage';

const skip = webviewSkipReason();
const FILE = 'test/fixtures/training/cifar_resnet8.py';

type Probe = { step: number | null; heat: Record<string, number>; skipWidths: Record<string, number> };
const layer = (step: number, module: string, stats: Partial<LayerRow>): LayerRow => ({ type: 'layer', attempt: 1, time: step, step, module, ...stats });

describe('graph telemetry overlay in Chromium', { skip, timeout: 120_000 }, () => {
  const pages = graphPages();

  test('heat per layer at a step, live and replayed, and skip widths from the branch ratio', async () => {
    const a = analyzeText(FILE, readFileSync(join(REPO_ROOT, FILE), 'utf8'), { model: 'resnet8', input: [1, 3, 32, 32] });
    const p = await pages.open();
    await p.send({ type: 'setGraph', version: 1, file: FILE, graph: a.graph, diagnostics: [], settings: { layoutDirection: 'DOWN', autoCollapseThreshold: 1000 } });
    const probe = () => p.page.evaluate(() => (window as unknown as { resnetStudioTelemetry: { probe(): Probe } }).resnetStudioTelemetry.probe());
    assert.equal(await p.page.locator('#telemetry-bar').isVisible(), false);

    const first = [1, 50].flatMap((s) => [
      layer(s, 'stem.0', { gradNorm: 0.01 }),
      layer(s, 'layers.1.conv1', { gradNorm: s === 1 ? 1 : 0.1 }),
      layer(s, 'fc', { gradNorm: 0.1 }),
      layer(s, 'layers.0.add', { branchRatio: s === 1 ? 1 : 1e-3 }),
    ]);
    await p.send({ type: 'setTelemetry', runId: 'r1', rows: first, append: false });
    assert.equal(await p.page.locator('#telemetry-bar').isVisible(), true);
    let got = await probe();
    assert.equal(got.step, 50);
    assert.deepEqual(got.heat, { 'stem.0': 0.15, 'layers.1.conv1': 1, fc: 1 });
    assert.deepEqual(Object.values(got.skipWidths), [8], 'the identity shortcut of layers.0 at its widest');

    // Live: a newer step moves the overlay along while the slider sits at the end.
    await p.send({ type: 'setTelemetry', runId: 'r1', rows: [layer(100, 'stem.0', { nonFinite: ['gradNorm'] })], append: true });
    got = await probe();
    assert.equal(got.step, 100);
    assert.equal(got.heat['stem.0'], 1, 'NaN is the hottest');
    assert.match(await p.page.locator('#telemetry-label').innerText(), /step 100 \(newest\)/);

    // Replay: the slider back to the first step.
    await p.page.locator('#telemetry-step').fill('0');
    got = await probe();
    assert.equal(got.step, 1);
    assert.deepEqual(got.heat, { 'stem.0': 0.15, 'layers.1.conv1': 1, fc: 0.575 });
    assert.deepEqual(Object.values(got.skipWidths), [2.5]);
    await p.page.screenshot({ path: join(ARTIFACTS, 'telemetry-overlay.png') });

    await p.page.locator('#telemetry-metric').selectOption('none');
    got = await probe();
    assert.deepEqual(got.heat, {});
    assert.deepEqual(got.skipWidths, {});
    assert.deepEqual(await p.cspViolations(), []);
    assert.deepEqual(p.consoleErrors, []);
  });
});
