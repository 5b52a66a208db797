// Training as a new user meets it, in a real workbench (code-server + Chromium, see workbench.ts): the Train
// flow takes its input shape from the data (the analysis's guess for synthetic data, 32×32 for CIFAR-10
// binaries, a resize choice for an image folder) and shows it before starting; the metrics panel opens on the
// current run only, offers the overlay for runs of the same model only, and says which interpreter and device
// train and why; a pure-JavaScript TF.js run gives its step count and ETA after one batch, says what it does
// before its first step, and past ten minutes offers the PyTorch runner. Screenshots go to
// test-artifacts/e2e/. `npm run package` builds dist/resnet-studio.vsix first.
// E2E_STEPS=3a,7 runs only the steps whose names start with those (to iterate on one of them).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { Locator } from 'playwright-core';
import type { RunConfig, TrainingRow } from '../../src/protocol/trainingProtocol';
import { RunStore } from '../../src/training/runStore';
import { REPO_ROOT, Workbench, copyWorkspace, e2eSkip } from './workbench';

// E2E_VSIX installs another build (an older one, to see the test fail where the feature is missing).
const VSIX = process.env['E2E_VSIX'] ?? join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const PYTHON = process.env['RESNET_STUDIO_PYTHON'] ?? '/usr/bin/python3.11';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ONLY = process.env['E2E_STEPS']?.split(',').map((s) => s.trim());

/** A CIFAR-style network (3×3 stride-1 stem, no max-pool) with no input comment: the analysis guesses 32×32. */
const TINY_CIFAR = `"""A residual network small enough to train in seconds on the CPU, laid out as CIFAR ResNets are."""
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


class TinyCifarNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.block = Block(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.block(x)
        return self.fc(self.pool(x).flatten(1))
`;

/** Two trainable networks (and the block they share): the analysis shows the last, WiderCifarNet, unless one is picked. */
const TWO_NETS = `${TINY_CIFAR}

class WiderCifarNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.block = Block(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.block(x)
        return self.fc(self.pool(x).flatten(1))
`;

/** Deterministic bytes, so the data sets are the same on every run. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

/** CIFAR-10 binary batches: one label byte and 3×32×32 planar pixels per record. */
function writeCifar(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const records = (n: number, seed: number) => {
    const raw = bytes(n * 3073, seed);
    for (let i = 0; i < n; i++) raw[i * 3073] = i % 10;
    return raw;
  };
  writeFileSync(join(dir, 'data_batch_1.bin'), records(160, 1));
  writeFileSync(join(dir, 'test_batch.bin'), records(40, 2));
}

/** An image folder of binary PPMs (which both runners read), 40×40, two classes. */
function writeImageFolder(dir: string): void {
  for (const [k, cls] of ['cat', 'dog'].entries()) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < 16; i++) writeFileSync(join(dir, cls, `${i}.ppm`), Buffer.concat([Buffer.from('P6\n40 40\n255\n'), bytes(40 * 40 * 3, 100 * k + i + 1)]));
  }
}

/** Earlier runs as another window or the CLI leaves them: one of the same model, one of another model. */
function writeEarlierRuns(folder: string): { same: string; other: string } {
  const store = new RunStore(join(folder, '.resnet-studio', 'runs'));
  const rows = (loss: number): TrainingRow[] => [
    { type: 'start', step: 0, attempt: 1, time: 1_800_000_000 },
    { type: 'metric', split: 'train', epoch: 1, step: 10, loss, accuracy: 0.2, attempt: 1, time: 1_800_000_010, scope: 'epoch' },
    { type: 'metric', split: 'val', epoch: 1, step: 10, loss: loss * 1.1, accuracy: 0.18, attempt: 1, time: 1_800_000_011 },
    { type: 'end', status: 'completed', error: null, attempt: 1, time: 1_800_000_012 },
  ];
  const make = (modelFile: string, modelName: string, id: string, loss: number) => {
    store.createRun({ backend: 'tfjs', modelFile, modelName, inputShape: [1, 3, 32, 32], data: 'synthetic', epochs: 1 }, { id, now: new Date('2026-01-01T10:00:00Z') });
    writeFileSync(store.paths(id).metrics, rows(loss).map((r) => JSON.stringify(r)).join('\n') + '\n');
    store.writeState(id, { status: 'completed', attempts: 1, attempt: 1, endedAt: '2026-01-01T10:01:00Z' });
  };
  make(join(folder, 'training', 'tiny_cifar.py'), 'TinyCifarNet', '20260101-100000-TinyCifarNet-earlier', 2.1);
  make(join(folder, 'training', 'tiny.resnet.json'), 'Tiny ResNet', '20260101-100000-Tiny-ResNet-other', 1.4);
  return { same: '20260101-100000-TinyCifarNet-earlier', other: '20260101-100000-Tiny-ResNet-other' };
}

function runsDir(folder: string): string {
  return join(folder, '.resnet-studio', 'runs');
}

/** Run folders, oldest first. */
function runIds(folder: string): string[] {
  const dir = runsDir(folder);
  return existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort() : [];
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** The run the last Train started: the run folder that was not there before. */
async function newRun(folder: string, before: readonly string[]): Promise<string> {
  return waitFor('a new run folder', () => runIds(folder).find((id) => !before.includes(id) && existsSync(join(runsDir(folder), id, 'config.json'))));
}

function config(folder: string, id: string): RunConfig {
  return JSON.parse(readFileSync(join(runsDir(folder), id, 'config.json'), 'utf8')) as RunConfig;
}

function rowsOf(folder: string, id: string): TrainingRow[] {
  const file = join(runsDir(folder), id, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as TrainingRow);
}

function quickRow(wb: Workbench, label: string | RegExp): Locator {
  return wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: label }).first();
}

async function pick(wb: Workbench, label: string | RegExp): Promise<void> {
  const row = quickRow(wb, label);
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

async function quickTitle(wb: Workbench, text: string | RegExp): Promise<string> {
  const title = wb.page.locator('.quick-input-widget .quick-input-title');
  return waitFor(`a quick input titled ${String(text)}`, async () => {
    const t = (await title.textContent().catch(() => '')) ?? '';
    return (typeof text === 'string' ? t.includes(text) : text.test(t)) ? t : undefined;
  }, 30_000);
}

/** Answers the open-folder dialog (the workbench's own, a quick input) with `dir`. */
async function chooseFolder(wb: Workbench, dir: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  await quickTitle(wb, 'Data folder');
  // The simple file dialog fills in its starting folder a moment after it opens; on a busy machine that can land
  // after our text and be joined to it, so type until the box holds exactly the folder wanted.
  const want = dir.endsWith('/') ? dir : `${dir}/`;
  for (let i = 0; i < 5; i++) {
    await input.fill(want);
    await sleep(500);
    if ((await input.inputValue()) === want) break;
  }
  const ok = wb.page.locator('.quick-input-widget .quick-input-action a, .quick-input-widget .monaco-button', { hasText: /Train on this folder|OK/ }).first();
  if (await ok.isVisible().catch(() => false)) await ok.click();
  else await wb.page.keyboard.press('Enter');
}

/** Types the hyperparameters into the last step and starts the run. */
async function startWith(wb: Workbench, hyper: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  await sleep(300);
  await input.fill(hyper);
  await wb.page.keyboard.press('Enter');
}

/**
 * Runs "Train Model…" on the open file up to the data step, with the runner named. A file of several models
 * asks which one first (once: the answer is remembered), and `model` is picked.
 */
async function trainUpToData(wb: Workbench, runner: 'TF.js' | 'PyTorch', model = 'TinyCifarNet'): Promise<void> {
  await wb.runCommand('ResNet Studio: Train Model…');
  if (/which model of/.test(await quickTitle(wb, /which model of|: runner/))) {
    await pick(wb, new RegExp(`^${model}`));
    await quickTitle(wb, ': runner');
  }
  await pick(wb, new RegExp(`^${runner.replace('.', '\\.')}`));
  if (runner === 'PyTorch') await pick(wb, 'This machine');
  await quickTitle(wb, ': data');
}

/** The metrics page's own record: row counts per drawn run. */
async function drawnRuns(wb: Workbench): Promise<string[]> {
  const body = await wb.findInWebviews('#runs');
  const counts = await body.evaluate(() => (window as unknown as { resnetStudioMetrics: { counts(): Record<string, number> } }).resnetStudioMetrics.counts());
  return Object.keys(counts).sort();
}

async function webviewText(wb: Workbench, selector: string): Promise<string> {
  return ((await (await wb.findInWebviews(selector)).textContent()) ?? '').trim();
}

async function waitWebviewText(wb: Workbench, selector: string, re: RegExp, timeoutMs = 60_000): Promise<string> {
  let seen = '';
  return waitFor(`${selector} to match ${String(re)} (it showed "${seen}")`, async () => {
    seen = await webviewText(wb, selector).catch(() => '');
    return re.test(seen) ? seen : undefined;
  }, timeoutMs);
}

/** Every log file the workbench wrote under its scratch folder, joined (the output channels among them). */
function logsText(wb: Workbench): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.log')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(wb.tempDir, 'user-data', 'logs'));
  return out.join('\n');
}

test('training feedback in a real workbench', { skip: e2eSkip(), timeout: 900_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const folder = copyWorkspace();
  mkdirSync(join(folder, 'training'), { recursive: true });
  writeFileSync(join(folder, 'training', 'tiny_cifar.py'), TINY_CIFAR);
  writeFileSync(join(folder, 'training', 'two_nets.py'), TWO_NETS);
  // The bundled tiny design (16×16 input), with CIFAR-10's ten classes.
  const design = JSON.parse(readFileSync(join(REPO_ROOT, 'examples/tiny-resnet.resnet.json'), 'utf8')) as { vars: Record<string, number> };
  design.vars['num_classes'] = 10;
  writeFileSync(join(folder, 'training', 'tiny.resnet.json'), JSON.stringify(design, null, 2));
  writeCifar(join(folder, 'data', 'cifar'));
  writeImageFolder(join(folder, 'data', 'images'));
  const earlier = writeEarlierRuns(folder);
  // The extension host inherits the environment: the PyTorch runner finds its Python through this variable.
  const hadPython = existsSync(PYTHON);
  if (hadPython) process.env['RESNET_STUDIO_PYTHON'] = PYTHON;
  const wb = await Workbench.start({ folder, vsix: [VSIX], settings: { 'resnetStudio.training.backend': 'tfjs' } });
  const step = async (name: string, fn: (st: TestContext) => Promise<void>): Promise<void> => {
    if (ONLY && !ONLY.some((n) => name.startsWith(n))) return;
    await t.test(name, async (st) => {
      try {
        await fn(st);
      } catch (err) {
        await wb.screenshot(`failure-training-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw err;
      }
    });
  };
  let synthetic = '';
  try {
    await step('3a: synthetic data trains at the analysis guess (32×32 for a CIFAR-style model), shown before starting', async () => {
      await wb.openFile('training/tiny_cifar.py');
      await trainUpToData(wb, 'TF.js');
      const offered = (await quickRow(wb, 'Synthetic').innerText()).replace(/\s+/g, ' ');
      assert.match(offered, /3×32×32 \(a guess\)/, `the synthetic choice shows the guessed input: ${offered}`);
      await wb.screenshot('training-3a-data-step');
      const before = runIds(folder);
      await pick(wb, 'Synthetic');
      const title = await quickTitle(wb, 'hyperparameters');
      assert.match(title, /at input 3×32×32 \(the analysis's guess/, `the last step shows the input: ${title}`);
      await wb.screenshot('training-3a-input-shown');
      await startWith(wb, 'epochs=1 batch=16 size=96 val=0.25');
      synthetic = await newRun(folder, before);
      const c = config(folder, synthetic);
      assert.deepEqual(c.inputShape, [1, 3, 32, 32]);
      assert.match(c.inputFrom ?? '', /guess/);
      await waitWebviewText(wb, '#run-status', /completed|failed/, 120_000);
      assert.equal(await webviewText(wb, '#run-status'), 'completed');
    });

    await step('3b: an image folder is resized to the size picked, and the run config says so', async () => {
      await wb.openFile('training/tiny_cifar.py');
      await trainUpToData(wb, 'TF.js');
      await pick(wb, 'Image folder…');
      await chooseFolder(wb, join(folder, 'data', 'images'));
      await quickTitle(wb, 'resize the images to');
      // The list reuses rows of earlier pickers, hidden: only the rows on screen are this step's.
      const sizes = await wb.page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row')
        .evaluateAll((rows) => rows.filter((r) => (r as HTMLElement).checkVisibility()).map((r) => r.querySelector('.label-name')?.textContent?.trim() ?? ''));
      assert.deepEqual(sizes, ['224×224', '160×160', '128×128', '64×64', '32×32', 'Custom…']);
      await wb.screenshot('training-3b-resize-step');
      await pick(wb, /^64×64/);
      const title = await quickTitle(wb, 'hyperparameters');
      assert.match(title, /at input 3×64×64 \(the image folder, resized to 64×64\)/, title);
      const before = runIds(folder);
      await startWith(wb, 'epochs=1 batch=8 val=0.25');
      const id = await newRun(folder, before);
      const c = config(folder, id);
      assert.deepEqual(c.inputShape, [1, 3, 64, 64]);
      assert.equal(c.data, join(folder, 'data', 'images'));
      await waitWebviewText(wb, '#run-status', /completed|failed/, 120_000);
      assert.equal(await webviewText(wb, '#run-status'), 'completed', await webviewText(wb, '#error'));
    });

    await step('3c: CIFAR-10 binaries train at 3×32×32 whatever the model was analysed at', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('training/tiny.resnet.json');
      await trainUpToData(wb, 'TF.js');
      await pick(wb, 'CIFAR-10 binary batches…');
      await chooseFolder(wb, join(folder, 'data', 'cifar'));
      const title = await quickTitle(wb, 'hyperparameters');
      assert.match(title, /at input 3×32×32 \(the data set: CIFAR-10 binary batches are 3×32×32\)/, title);
      await wb.screenshot('training-3c-cifar-input');
      const before = runIds(folder);
      await startWith(wb, 'epochs=1 batch=32');
      const id = await newRun(folder, before);
      assert.deepEqual(config(folder, id).inputShape, [1, 3, 32, 32], 'the design says 16×16; the data is 32×32');
      await waitWebviewText(wb, '#run-status', /completed|failed/, 120_000);
      assert.equal(await webviewText(wb, '#run-status'), 'completed', await webviewText(wb, '#error'));
    });

    await step('7a: the panel opens on the current run; the overlay is a choice, for runs of the same model only', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('training/tiny_cifar.py');
      await trainUpToData(wb, 'TF.js');
      await pick(wb, 'Synthetic');
      const before = runIds(folder);
      await startWith(wb, 'epochs=1 batch=16 size=96 val=0.25');
      const id = await newRun(folder, before);
      await waitWebviewText(wb, '#title', new RegExp(id));
      await waitWebviewText(wb, '#run-status', /completed|failed/, 120_000);
      assert.deepEqual(await drawnRuns(wb), [id], 'only the current run is drawn');
      const control = await wb.findInWebviews('#overlay-control');
      assert.equal(await control.isVisible(), true, 'the overlay is offered');
      const sameModel = runIds(folder).filter((r) => r !== id && config(folder, r).modelName === 'TinyCifarNet');
      assert.match(await webviewText(wb, '#overlay-label'), new RegExp(`Overlay earlier runs of TinyCifarNet \\(${sameModel.length}\\)`));
      const list = await wb.findInWebviews('#runs');
      assert.equal(await list.locator(`tr[data-run-id="${earlier.other}"]`).count(), 1, "the other model's run is listed");
      assert.equal(await list.locator(`tr[data-run-id="${earlier.other}"] input[type=checkbox]`).count(), 0, "another model's run cannot be ticked");
      await wb.screenshot('training-7a-current-run-only');
      await (await wb.findInWebviews('#overlay')).check();
      await waitFor('the overlay', async () => ((await drawnRuns(wb)).length === sameModel.length + 1 ? true : undefined), 20_000);
      const drawn = await drawnRuns(wb);
      assert.deepEqual(drawn, [id, ...sameModel].sort());
      assert.ok(drawn.includes(earlier.same) && !drawn.includes(earlier.other), JSON.stringify(drawn));
      await sleep(500);
      await wb.screenshot('training-7a-overlay-same-model');
      await (await wb.findInWebviews('#overlay')).uncheck();
      await waitFor('the overlay to go', async () => ((await drawnRuns(wb)).length === 1 ? true : undefined), 20_000);
    });

    await step('7b: a long pure-JavaScript run has an ETA after one batch, and is offered the PyTorch runner', async () => {
      await wb.openFile('training/tiny_cifar.py');
      await trainUpToData(wb, 'TF.js');
      await pick(wb, 'Synthetic');
      const before = runIds(folder);
      // About 100,000 steps: far past ten minutes in pure JavaScript.
      await startWith(wb, 'epochs=1000 batch=16 size=1600 val=0.1');
      const id = await newRun(folder, before);
      const toast = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'will take about' }).first();
      await toast.waitFor({ state: 'visible', timeout: 90_000 });
      const said = (await toast.innerText()).replace(/\s+/g, ' ');
      assert.match(said, /Training TinyCifarNet with pure-JavaScript TF\.js will take about \d+ (min|h)/, said);
      assert.match(said, /Use PyTorch runner/);
      assert.match(said, /Continue with TF\.js/);
      // The step count and ETA came with the first batch, before any logged window; "step 0" never stood alone.
      const rows = rowsOf(folder, id);
      const firstMetric = rows.findIndex((r) => r.type === 'metric');
      const measuring = rows.findIndex((r) => r.type === 'status' && r.message === 'measuring first batch…');
      const estimate = rows.findIndex((r) => r.type === 'status' && r.step === 1 && typeof r.eta === 'number' && /^first batch took/.test(r.message ?? ''));
      assert.ok(measuring >= 0 && estimate > measuring, `a "measuring first batch…" status, then the first batch's estimate: ${JSON.stringify(rows.slice(0, 6))}`);
      assert.ok(firstMetric === -1 || estimate < firstMetric, 'the estimate comes before the first metric row');
      assert.match(await waitWebviewText(wb, '#eta', /^ETA \d/), /ETA/);
      assert.match(await webviewText(wb, '#progress-text'), /step \d+\/\d{5,}/);
      assert.match(await webviewText(wb, '#interpreter'), /interpreter: .*\(Node [\d.]+\) · @tensorflow\/tfjs [\d.]+ — the TF\.js runner trains in a child process of VS Code's own Node/);
      assert.match(await webviewText(wb, '#device-reason'), /device: pure JavaScript: no native TF\.js package/);
      await wb.screenshot('training-7b-slow-run-offer');
      assert.ok(hadPython, `the PyTorch half needs ${PYTHON} with torch (set RESNET_STUDIO_PYTHON)`);
      const beforeSwitch = runIds(folder);
      await toast.getByRole('button', { name: 'Use PyTorch runner' }).click();
      const twin = await newRun(folder, beforeSwitch);
      const tc = config(folder, twin);
      assert.equal(tc.backend, 'pytorch');
      assert.deepEqual(tc.inputShape, [1, 3, 32, 32]);
      assert.equal(tc.epochs, 1000);
      await waitFor('the TF.js run to stop', () => (rowsOf(folder, id).some((r) => r.type === 'end' && r.status === 'stopped') ? true : undefined), 60_000);
      // The header names the interpreter, where it came from, and the device with its reason.
      await waitWebviewText(wb, '#title', new RegExp(twin));
      const interp = await waitWebviewText(wb, '#interpreter', /python/i, 60_000);
      assert.match(interp, new RegExp(`interpreter: ${PYTHON.replace(/[.]/g, '\\.')} \\(Python [\\d.]+, torch [\\d.]+.*\\) — from the environment variable RESNET_STUDIO_PYTHON`), interp);
      assert.match(await webviewText(wb, '#device-reason'), /device: (cpu|cuda|mps): /);
      await waitWebviewText(wb, '#progress-text', /step [1-9]/, 120_000);
      await wb.screenshot('training-7b-pytorch-header');
      const logs = logsText(wb);
      assert.match(logs, new RegExp(`training: run ${twin} runs ${PYTHON.replace(/[.]/g, '\\.')} .*from the environment variable RESNET_STUDIO_PYTHON; device (cpu|cuda|mps): `), 'the output channel says it too');
      assert.match(logs, new RegExp(`training: run ${id} trains with tfjs \\(pure JavaScript CPU\\) on .*\\(pure JavaScript: `));
      await (await wb.findInWebviews('#stop')).click();
      await waitWebviewText(wb, '#run-status', /stopped|completed|failed/, 90_000);
    });

    await step('8: a file of several models asks which one to train (the quick pick Show Graph asks); the pick is trained, remembered and named', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('training/two_nets.py');
      await wb.runCommand('ResNet Studio: Train Model…');
      await quickTitle(wb, 'Train: which model of two_nets.py?');
      // Each model with its facts, as Show Graph lists them: params · MACs · input → output.
      const row = (await quickRow(wb, /^TinyCifarNet/).innerText()).replace(/\s+/g, ' ');
      assert.match(row, /^TinyCifarNet\s*470 params · 406 kMACs · 3×32² → 1×10/, row);
      const wider = (await quickRow(wb, /^WiderCifarNet/).innerText()).replace(/\s+/g, ' ');
      assert.match(wider, /^WiderCifarNet\s*(\(shown\) )?1\.51 k params · 1\.40 MMACs · 3×32² → 1×10/, wider);
      await wb.screenshot('training-8-model-pick');
      // Not the model the file is analysed as by default (the last, WiderCifarNet).
      await pick(wb, /^TinyCifarNet/);
      assert.match(await quickTitle(wb, ': runner'), /Train two_nets\.py · TinyCifarNet: runner/);
      await pick(wb, /^TF\.js/);
      assert.match(await quickTitle(wb, ': data'), /Train TinyCifarNet: data/);
      await pick(wb, 'Synthetic');
      const before = runIds(folder);
      await startWith(wb, 'epochs=1 batch=16 size=32 val=0.25');
      const id = await newRun(folder, before);
      assert.equal(config(folder, id).modelName, 'TinyCifarNet');
      assert.equal(config(folder, id).modelFile, join(folder, 'training', 'two_nets.py'));
      await waitWebviewText(wb, '#run-status', /completed|failed/, 120_000);
      // Train again: the remembered pick is trained without asking, and the first step's title says so.
      await wb.openFile('training/two_nets.py');
      await wb.runCommand('ResNet Studio: Train Model…');
      const title = await quickTitle(wb, /: runner|which model of/);
      assert.match(title, /Train two_nets\.py · TinyCifarNet \(the model picked for this file\): runner/, title);
      await wb.screenshot('training-8-remembered-pick');
      await wb.page.keyboard.press('Escape');
    });
  } finally {
    await wb.stop();
  }
});
