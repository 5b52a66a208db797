/**
 * The metrics panel's Layers section in real Chromium (the built bundle, the host's HTML and CSP): hidden for
 * a run without telemetry; for one with it, a row per layer with sparklines, columns that sort, and the health
 * alerts listed. Screenshot in test-artifacts/metrics/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { RunInfo } from '../../src/protocol/metricsProtocol';
import type { TrainingRow } from '../../src/protocol/trainingProtocol';
import { ARTIFACTS, MetricsPage, type PageServer, launch, skipReason, startMetricsServer } from './metricsPage';

const skip = skipReason();
const RUN = '20261206-150000-ResNet-8-dddddd';
const info: RunInfo = { id: RUN, model: 'resnet8', modelFile: '/w/resnet8.py', backend: 'pytorch', status: 'running', createdAt: '2026-12-06T15:00:00.000Z', epochs: 2, batchSize: 64, lr: 0.1, optimizer: 'sgd', data: 'synthetic', inputShape: [1, 3, 16, 16], resumable: false, stoppable: true };

function rowsWithTelemetry(): TrainingRow[] {
  const out: TrainingRow[] = [{ type: 'start', step: 0, attempt: 1, time: 1 }];
  for (const step of [1, 10, 20, 30]) {
    out.push({ type: 'metric', split: 'train', epoch: 1, step, loss: 2 / step, accuracy: 0.1 * Math.log(step + 1), lr: 0.1, attempt: 1, time: step, scope: 'window' });
    out.push({ type: 'layer', step, module: 'stem.0', gradNorm: 0.4 + step / 100, weightNorm: 1.6, updateRatio: 0.02, actMean: 0.01, actStd: 0.6, attempt: 1, time: step });
    out.push({ type: 'layer', step, module: 'layers.0.conv1', gradNorm: 2000 * step, weightNorm: 1.7, updateRatio: 0.03, actMean: 0.02, actStd: 0.4, attempt: 1, time: step });
    out.push({ type: 'layer', step, module: 'layers.0.relu', zeroFraction: 0.9, deadFraction: 0.7, attempt: 1, time: step });
    out.push({ type: 'layer', step, module: 'layers.0.add', branchRatio: 1.2, attempt: 1, time: step });
  }
  return out;
}

describe('metrics panel: layers', { skip }, () => {
  let browser: Browser;
  let server: PageServer;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch();
    server = await startMetricsServer();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a row per layer with sparklines, sortable columns, and the alerts', async () => {
    const p = await MetricsPage.open(browser, server);
    const rows = rowsWithTelemetry();
    await p.send({ type: 'init', runs: [info], shown: [RUN], focus: RUN, rows: { [RUN]: rows.slice(0, 2) }, backend: { nativePackages: [], installing: false }, overlay: false });
    assert.equal(await p.page.locator('#layers').isVisible(), false, 'no telemetry, no Layers section');
    await p.send({ type: 'rows', runId: RUN, from: 2, rows: rows.slice(2) });
    assert.equal(await p.page.locator('#layers').isVisible(), true);
    assert.match(await p.text('#layers-step'), /step 30/);
    const modules = () => p.page.locator('#layer-body tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['module']));
    assert.deepEqual(await modules(), ['stem.0', 'layers.0.conv1', 'layers.0.relu', 'layers.0.add']);
    assert.equal(await p.page.locator('#layer-body tr[data-module="stem.0"] svg.spark path').count(), 5, 'a sparkline per statistic');
    const heads = await p.page.locator('#layer-head button').allInnerTexts();
    assert.deepEqual(heads, ['Layer', '‖grad‖', '‖W‖', '‖ΔW‖/‖W‖', 'act mean', 'act std', 'zeros', 'dead', '‖F(x)‖/‖x‖']);
    await p.page.locator('#layer-head button[data-sort="gradNorm"]').click();
    assert.deepEqual((await modules()).slice(0, 2), ['layers.0.conv1', 'stem.0'], 'largest gradient first');
    await p.page.locator('#layer-head button[data-sort="gradNorm"]').click();
    assert.deepEqual((await modules()).slice(0, 2), ['stem.0', 'layers.0.conv1'], 'then smallest first');
    const alerts = await p.page.locator('#alerts li').allInnerTexts();
    assert.ok(alerts.includes('layers.0.conv1: gradient norm 2000 at step 1 (exploding)'), alerts.join('\n'));
    assert.ok(alerts.some((a) => /^layers\.0\.relu: 70% of its units dead for 29 steps/.test(a)), alerts.join('\n'));
    assert.equal(await p.page.locator('#layer-body tr.alerting').count(), 2);
    await p.page.locator('#layers').screenshot({ path: join(ARTIFACTS, 'layers.png') });
    assert.deepEqual(p.consoleErrors, []);
    assert.deepEqual(await p.cspViolations(), []);
  });
});
