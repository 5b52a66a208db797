/**
 * The metrics panel in real Chromium: the built bundle, the host's exact HTML and CSP, a recording stand-in
 * for `acquireVsCodeApi`. It rebuilds from rows, streams more without duplicates or gaps, overlays runs,
 * exports CSV, shows a failure's reason, and comes back the same when reopened. Screenshots go to
 * test-artifacts/metrics/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { RunFeed, toRunInfo } from '../../src/host/training/runFeed';
import type { InitMessage, RunInfo } from '../../src/protocol/metricsProtocol';
import { JobManager } from '../../src/training/jobs';
import type { TrainingRow } from '../../src/protocol/trainingProtocol';
import { RunStore } from '../../src/training/runStore';
import { buildBundles, tempDir, tinyRun } from '../tfjs/bundles';
import { ARTIFACTS, MetricsPage, type PageServer, launch, skipReason, startMetricsServer } from './metricsPage';

const skip = skipReason();
if (skip) console.log(`# skipping the metrics webview tests: ${skip}`);

const T0 = 1_800_000_000;

/** Rows a run of `epochs` x `spe` steps writes, logging every `every` steps, up to step `until`. */
function rowsOf(epochs: number, spe: number, every: number, until = epochs * spe, opts: { seed?: number; end?: 'completed' | 'failed' | 'stopped'; error?: string } = {}): TrainingRow[] {
  const k = opts.seed ?? 1;
  const out: TrainingRow[] = [
    { type: 'status', backend: 'tfjs (pure JavaScript CPU)', device: 'cpu (pure JavaScript, one thread)', epochs, stepsPerEpoch: spe, step: 0, epoch: 1, trainSize: 480, valSize: 160, message: 'training on synthetic (4 classes)', time: T0 },
  ];
  for (let step = 1; step <= until; step++) {
    const epoch = Math.ceil(step / spe);
    const loss = 1.4 * Math.exp(-step / (12 * k)) + 0.05;
    if (step % every === 0 && step % spe !== 0) out.push({ type: 'metric', split: 'train', epoch, step, loss, accuracy: 1 - loss / 1.5, lr: 0.05 * (1 + Math.cos((Math.PI * step) / (epochs * spe))) / 2, imagesPerSecond: 100 + 10 * Math.sin(step), time: T0 + step, scope: 'window' });
    if (step % spe === 0) {
      out.push({ type: 'metric', split: 'train', epoch, step, loss, accuracy: 1 - loss / 1.5, lr: 0.01, imagesPerSecond: 101, time: T0 + step, scope: 'epoch' });
      out.push({ type: 'metric', split: 'val', epoch, step, loss: loss * 1.1, accuracy: 1 - (loss * 1.1) / 1.5, time: T0 + step });
      out.push({ type: 'checkpoint', epoch, step, path: `checkpoints/epoch-${epoch}-step-${step}`, time: T0 + step });
      out.push({ type: 'status', backend: 'tfjs (pure JavaScript CPU)', device: 'cpu (pure JavaScript, one thread)', epochs, stepsPerEpoch: spe, step, epoch, eta: (epochs * spe - step) * 0.5, time: T0 + step });
    }
  }
  if (opts.end) out.push({ type: 'end', status: opts.end, error: opts.error ?? null, time: T0 + until + 1 });
  return out;
}

function info(id: string, status: RunInfo['status'], extra: Partial<RunInfo> = {}): RunInfo {
  return { id, model: 'Tiny ResNet', modelFile: '/w/tiny.resnet.json', backend: 'tfjs', status, createdAt: '2026-11-26T20:00:00.000Z', epochs: 4, batchSize: 32, lr: 0.05, optimizer: 'sgd', data: 'synthetic', inputShape: [1, 3, 16, 16], resumable: true, stoppable: status === 'running', ...extra };
}

describe('metrics panel in Chromium', { skip }, () => {
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

  const LIVE = '20261126-200000-Tiny-ResNet-aaaaaa';
  const DONE = '20261126-190000-Tiny-ResNet-bbbbbb';
  const FAILED = '20261126-180000-Tiny-ResNet-cccccc';
  const OTHER = '20261126-170000-Wide-ResNet-eeeeee';
  const all = rowsOf(4, 15, 1, 60, { end: 'completed' });
  const partial = all.slice(0, 20);

  function init(shown: string[], focus: string, rows: Record<string, TrainingRow[]>): InitMessage {
    return {
      type: 'init',
      runs: [
        info(LIVE, 'running'),
        info(DONE, 'completed', { lr: 0.1 }),
        info(FAILED, 'failed', { data: '/no/such/images', error: 'data path does not exist: /no/such/images', resumable: false }),
        info(OTHER, 'completed', { model: 'Wide ResNet', modelFile: '/w/wide.py' }),
      ],
      shown,
      focus,
      rows,
      backend: { nativePackages: [], installing: false },
      overlay: false,
    };
  }

  test('says ready first, rebuilds from rows, then streams more without duplicates or gaps', async () => {
    const p = await MetricsPage.open(browser, server);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }], 'ready is the first message');
    await p.send(init([LIVE], LIVE, { [LIVE]: partial }));
    assert.deepEqual(await p.counts(), { [LIVE]: 20 });
    assert.equal(await p.page.locator('.uplot').count(), 4, 'four charts');
    assert.match(await p.text('#backend'), /tfjs \(pure JavaScript CPU\)/);
    assert.match(await p.text('#device'), /cpu/);
    assert.match(await p.text('#progress-text'), /step \d+\/60/);
    assert.match(await p.text('#eta'), /^ETA \d/);
    assert.equal(await p.page.locator('#stop').isDisabled(), false, 'Stop is live for a running run of this window');
    assert.equal(await p.page.locator('#install-native').isVisible(), true, 'pure JS: the panel offers the native backend');

    // An overlapping batch (the last 5 rows again plus 10 new): only the new ones are kept.
    await p.send({ type: 'rows', runId: LIVE, from: 15, rows: all.slice(15, 30) });
    assert.deepEqual(await p.counts(), { [LIVE]: 30 });
    // A batch past the end: nothing is appended and the page asks for what it lacks.
    await p.send({ type: 'rows', runId: LIVE, from: 35, rows: all.slice(35, 40) }, false);
    assert.deepEqual(await p.counts(), { [LIVE]: 30 });
    const asked = (await p.posted()).filter((m) => m.type === 'requestRows');
    assert.deepEqual(asked, [{ type: 'requestRows', runId: LIVE, from: 30 }]);
    await p.send({ type: 'rows', runId: LIVE, from: 30, rows: all.slice(30) });
    assert.deepEqual(await p.counts(), { [LIVE]: all.length });
    // The same rows again change nothing.
    await p.send({ type: 'rows', runId: LIVE, from: 0, rows: all }, false);
    assert.deepEqual(await p.counts(), { [LIVE]: all.length });
    const legend = await p.page.locator('#chart-loss .u-legend').innerText();
    assert.match(legend, /train/);
    assert.match(legend, /val/);
    assert.match(await p.text('#run-status'), /completed/);
    assert.match(await p.text('#progress-text'), /step 60\/60/);
    assert.equal(await p.page.locator('#progress').getAttribute('aria-valuenow'), '100');
    assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(p.consoleErrors, []);
    await p.page.close();
  });

  test('says what trains and why, and what a run does before its first step', async () => {
    const p = await MetricsPage.open(browser, server);
    const m = init([LIVE], LIVE, { [LIVE]: [] });
    m.runs[0] = info(LIVE, 'running', { interpreter: '/usr/bin/python3 (Python 3.11.2, torch 1.13.1)', interpreterReason: 'from the environment variable RESNET_STUDIO_PYTHON', deviceReason: 'cpu: this torch sees no CUDA or MPS device' });
    await p.send(m);
    assert.equal(await p.text('#interpreter'), 'interpreter: /usr/bin/python3 (Python 3.11.2, torch 1.13.1) — from the environment variable RESNET_STUDIO_PYTHON');
    assert.equal(await p.text('#device-reason'), 'device: cpu: this torch sees no CUDA or MPS device');
    assert.equal(await p.text('#activity'), 'starting: loading the model and the data…', 'no rows yet: never a bare step 0');
    await p.send({ type: 'rows', runId: LIVE, from: 0, rows: [{ type: 'status', step: 0, epochs: 4, stepsPerEpoch: 15, message: 'measuring first batch…', time: T0 }] });
    assert.equal(await p.text('#activity'), 'measuring first batch…');
    await p.send({ type: 'rows', runId: LIVE, from: 1, rows: [{ type: 'status', step: 1, eta: 90, message: 'first batch took 1.50 s: 60 steps, about 90 s in all', time: T0 + 2 }] });
    assert.match(await p.text('#eta'), /^ETA \d/);
    assert.match(await p.text('#activity'), /^first batch took 1\.50 s/);
    await p.page.screenshot({ path: join(ARTIFACTS, 'metrics-first-batch.png'), fullPage: true });
    await p.send({ type: 'rows', runId: LIVE, from: 2, rows: all.filter((r) => r.type === 'metric').slice(0, 1) });
    assert.equal(await p.text('#activity'), '', 'metrics tell the rest');
    assert.deepEqual(p.consoleErrors, []);
    await p.page.close();
  });

  test('overlays runs of the same model only, and only when asked', async () => {
    const p = await MetricsPage.open(browser, server);
    await p.send(init([LIVE], LIVE, { [LIVE]: partial }));
    assert.equal(await p.page.locator('#overlay').isChecked(), false, 'the panel opens on the current run only');
    assert.match(await p.text('#overlay-label'), /Overlay earlier runs of Tiny ResNet \(2\)/);
    assert.equal(await p.page.locator(`tr[data-run-id="${OTHER}"] input[type=checkbox]`).count(), 0, 'another model cannot be ticked');
    await p.page.locator('#overlay').check();
    const select = (await p.posted()).filter((m) => m.type === 'select').at(-1);
    assert.deepEqual(select, { type: 'select', shown: [LIVE, DONE, FAILED], focus: LIVE, have: { [LIVE]: 20, [DONE]: 0, [FAILED]: 0 }, overlay: true });
    await p.page.locator('#overlay').uncheck();
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'select').at(-1), { type: 'select', shown: [LIVE], focus: LIVE, have: { [LIVE]: 20 }, overlay: false });
    // Focusing the other model's run draws it alone, and its model has no earlier runs to offer.
    await p.page.locator(`tr[data-run-id="${OTHER}"] button.link`).click();
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'select').at(-1), { type: 'select', shown: [OTHER], focus: OTHER, have: { [OTHER]: 0 }, overlay: false });
    assert.equal(await p.page.locator('#overlay-control').isVisible(), false);
    await p.page.close();
  });

  test('overlays runs, exports CSV, stops, and shows why a run failed', async () => {
    const p = await MetricsPage.open(browser, server);
    await p.send(init([LIVE], LIVE, { [LIVE]: partial }));
    // Tick the finished run: the page asks for its rows, the host sends them, both are drawn.
    await p.page.locator(`tr[data-run-id="${DONE}"] input[type=checkbox]`).check();
    const select = (await p.posted()).filter((m) => m.type === 'select').at(-1);
    assert.deepEqual(select, { type: 'select', shown: [LIVE, DONE], focus: LIVE, have: { [LIVE]: 20, [DONE]: 0 }, overlay: true });
    const done = rowsOf(4, 15, 5, 60, { seed: 2, end: 'completed' });
    await p.send({ type: 'rows', runId: DONE, from: 0, rows: done });
    assert.deepEqual(await p.counts(), { [LIVE]: 20, [DONE]: done.length });
    // The charts are rebuilt on the next frame after the rows arrive; wait for the overlay before reading it.
    const bothNames = [LIVE.slice(0, 15), DONE.slice(0, 15)];
    await p.page
      .waitForFunction((names) => names.every((n) => document.querySelector('#chart-accuracy .u-legend')?.textContent?.includes(n)), bothNames, { timeout: 5000 })
      .catch(() => undefined);
    const legend = await p.page.locator('#chart-accuracy .u-legend').innerText();
    assert.ok(bothNames.every((n) => legend.includes(n)), `both runs in the legend: ${legend}`);
    assert.match(await p.page.locator(`tr[data-run-id="${DONE}"] td.num`).nth(1).innerText(), /\d+\.\d%/);
    await p.page.screenshot({ path: join(ARTIFACTS, 'metrics-overlay.png'), fullPage: true });

    await p.page.locator('#export-csv').click();
    const csv = (await p.posted()).filter((m) => m.type === 'saveCsv').at(-1);
    assert.ok(csv && csv.type === 'saveCsv');
    const lines = csv.csv.trim().split('\n');
    assert.equal(lines[0], 'run,model,backend,row,type,split,scope,epoch,step,loss,accuracy,lr,imagesPerSecond,time,status,error');
    const expected = [...partial, ...done].filter((r) => r.type === 'metric' || r.type === 'end').length;
    assert.equal(lines.length - 1, expected);
    assert.equal(lines.filter((l) => l.startsWith(DONE)).length, done.filter((r) => r.type === 'metric' || r.type === 'end').length);

    await p.page.locator('#stop').click();
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'stop'), [{ type: 'stop', runId: LIVE }]);

    // Focus the failed run: its reason is on screen, Stop is off, and there is nothing to resume.
    await p.page.locator(`tr[data-run-id="${FAILED}"] button.link`).click();
    await p.send({ type: 'rows', runId: FAILED, from: 0, rows: [{ type: 'end', status: 'failed', error: 'data path does not exist: /no/such/images', time: T0 }] });
    assert.match(await p.text('#error'), /Failed: data path does not exist: \/no\/such\/images/);
    assert.equal(await p.page.locator('#stop').isDisabled(), true);
    assert.equal(await p.page.locator('#resume').isVisible(), false);
    assert.deepEqual(await p.state(), { shown: [FAILED, LIVE, DONE], focus: FAILED, overlay: true });
    await p.page.screenshot({ path: join(ARTIFACTS, 'metrics-failed.png'), fullPage: true });
    assert.deepEqual(await p.cspViolations(), []);
    assert.deepEqual(p.consoleErrors, []);
    await p.page.close();
  });

  test('reopened with its saved state, it rebuilds the same picture and keeps streaming', async () => {
    const first = await MetricsPage.open(browser, server);
    const done = rowsOf(4, 15, 1, 60, { seed: 2, end: 'completed' });
    await first.send(init([LIVE, DONE], LIVE, { [LIVE]: all.slice(0, 40), [DONE]: done }));
    const state = await first.state();
    const counts = await first.counts();
    await first.page.close();

    const p = await MetricsPage.open(browser, server, state ?? null);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    // The host reads metrics.jsonl again (it holds what the first page had and more), then streams on.
    await p.send(init(state!.shown, state!.focus!, { [LIVE]: all.slice(0, 45), [DONE]: done }));
    assert.deepEqual(await p.counts(), { ...counts, [LIVE]: 45 });
    await p.send({ type: 'rows', runId: LIVE, from: 40, rows: all.slice(40) });
    assert.deepEqual(await p.counts(), { [LIVE]: all.length, [DONE]: done.length });
    await p.page.screenshot({ path: join(ARTIFACTS, 'metrics-panel.png'), fullPage: true });
    assert.deepEqual(await p.cspViolations(), []);
    assert.deepEqual(p.consoleErrors, []);
    await p.page.close();
  });

  test('a real TF.js run, fed from its metrics.jsonl while it trains, reaches the page row for row', async () => {
    const { worker } = await buildBundles();
    const store = new RunStore(tempDir('panel-runs'));
    const id = tinyRun(store, { epochs: 2, syntheticSize: 320, batchSize: 16, logEvery: 1 });
    const manager = new JobManager();
    const job = await manager.start({ store, runId: id, workerPath: worker });
    const p = await MetricsPage.open(browser, server);
    // Open the panel mid-run: init carries what the file holds now, the feed streams the rest.
    await new Promise<void>((resolve) => {
      const sub = job.onDidEmitRow((r) => {
        if (r.type === 'metric') {
          sub.dispose();
          resolve();
        }
      });
    });
    const feed = new RunFeed(store);
    const snapshot = feed.snapshot(id);
    await p.send({ type: 'init', runs: store.listRuns().map((r) => toRunInfo(store, r, true)), shown: [id], focus: id, rows: { [id]: snapshot }, backend: { nativePackages: [], installing: false }, overlay: false });
    let done = false;
    void job.done.then(() => (done = true));
    let batches = 0;
    while (!done) {
      for (const m of feed.poll()) {
        batches++;
        await p.send(m, false);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    for (const m of feed.poll()) await p.send(m, false);
    const before = await p.renderCount();
    await p.send({ type: 'runs', runs: store.listRuns().map((r) => toRunInfo(store, r, false)) });
    assert.ok((await p.renderCount()) > before);
    const all = store.readRows(id);
    assert.ok(batches > 1, `streamed in ${batches} batches`);
    assert.deepEqual(await p.counts(), { [id]: all.length }, 'every row of metrics.jsonl, once');
    assert.equal((await p.posted()).filter((m) => m.type === 'requestRows').length, 0, 'no gaps');
    assert.match(await p.text('#run-status'), /completed/);
    assert.match(await p.text('#backend'), /tfjs \(pure JavaScript CPU\)/);
    assert.match(await p.text('#progress-text'), /step 30\/30/);
    await p.page.screenshot({ path: join(ARTIFACTS, 'metrics-live-run.png'), fullPage: true });
    assert.deepEqual(await p.cspViolations(), []);
    assert.deepEqual(p.consoleErrors, []);
    await p.page.close();
    manager.dispose();
  });
});
