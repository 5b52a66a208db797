/**
 * The pure parts of training feedback and of the Train flow's input step: the reason texts (interpreter,
 * device, TF.js backend), the first-batch estimate and the slow-run warning, which runs the metrics panel
 * draws together, what the panel and the status bar say before the first step, and the input a run trains
 * at given its data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inputForData, parseResize, resizeItems, shapeText } from '../../src/host/training/inputStep';
import { JobProgress } from '../../src/host/training/progress';
import { pytorchTwinConfig } from '../../src/host/training/runnerSwitch';
import { type RunInfo, overlayCandidates, shownForFocus } from '../../src/protocol/metricsProtocol';
import { type TrainingRow, validateRunConfig } from '../../src/protocol/trainingProtocol';
import {
  SLOW_RUN_SECONDS,
  estimateFromStep,
  firstBatchMessage,
  paceMessage,
  pythonReason,
  roughDuration,
  slowRunWarning,
  tfjsBackendReason,
  torchDeviceReason,
} from '../../src/training/runnerReason';
import { activityOf, headerOf } from '../../webview/metrics/model';

test('the interpreter reason names its source, and what was passed over', () => {
  assert.equal(pythonReason('env'), 'from the environment variable RESNET_STUDIO_PYTHON');
  assert.equal(pythonReason('setting'), 'set in resnetStudio.training.pythonPath');
  assert.equal(pythonReason('pythonExtension'), "the Python extension's selected interpreter");
  assert.match(pythonReason('path'), /^found on PATH \(neither resnetStudio\.training\.pythonPath nor RESNET_STUDIO_PYTHON nor the Python extension/);
  assert.equal(pythonReason('path', [{ python: '/opt/py', reason: 'no torch module' }]).endsWith('; passed over /opt/py (no torch module)'), true);
});

test('the device reason follows the config and what torch offers', () => {
  assert.equal(torchDeviceReason('auto', { cuda: true, cudaDevices: 2, mps: false }), 'cuda: this torch sees 2 CUDA devices (auto takes CUDA first)');
  assert.match(torchDeviceReason('auto', { cuda: false, cudaDevices: 0, mps: true }), /^mps: /);
  assert.match(torchDeviceReason('auto', { cuda: false, cudaDevices: 0, mps: false }), /^cpu: this torch sees no CUDA or MPS device/);
  assert.equal(torchDeviceReason('cpu', { cuda: true, cudaDevices: 1, mps: false }), 'cpu: the run config asks for it');
});

test('the TF.js backend reason says why pure JavaScript, or which native package and why', () => {
  assert.match(tfjsBackendReason('auto', 'default', { package: '@tensorflow/tfjs', skipped: [] }), /^pure JavaScript: no native TF\.js package \(tfjs-node, tfjs-node-gpu\) is installed/);
  assert.match(
    tfjsBackendReason('auto', 'default', { package: '@tensorflow/tfjs', skipped: [{ package: '@tensorflow/tfjs-node-gpu', reason: 'libcudart.so.11 missing' }] }),
    /^pure JavaScript: tfjs-node-gpu could not be loaded \(libcudart\.so\.11 missing\)/,
  );
  assert.equal(tfjsBackendReason('auto', 'default', { package: '@tensorflow/tfjs-node', skipped: [] }), 'tfjs-node: the fastest TF.js installed');
  assert.equal(tfjsBackendReason('cpu', 'env', { package: '@tensorflow/tfjs', skipped: [] }), 'tfjs: the environment variable RESNET_STUDIO_TFJS_BACKEND asks for cpu');
  assert.equal(tfjsBackendReason('tfjs-node', 'config', { package: '@tensorflow/tfjs-node', skipped: [] }), "tfjs-node: the run config's tfjsBackend asks for tfjs-node");
});

test('the first batch gives the estimate: remaining steps at its pace plus the validation passes', () => {
  // 10 epochs of 100 steps after step 1, 20 validation batches per epoch at a third of a step each.
  const eta = estimateFromStep({ stepSeconds: 0.6, step: 1, totalSteps: 1000, stepsPerEpoch: 100, valBatches: 20 });
  assert.ok(Math.abs(eta - (999 * 0.6 + (10 * 20 * 0.6) / 3)) < 1e-9, String(eta));
  assert.equal(estimateFromStep({ stepSeconds: 2, step: 50, totalSteps: 50, stepsPerEpoch: 10, valBatches: 5 }), 0, 'nothing left');
  assert.equal(firstBatchMessage(0.6, 1000, eta), 'first batch took 0.60 s: 1000 steps, about 11 min in all');
  assert.equal(roughDuration(45), '45 s');
  assert.equal(roughDuration(7500), '2 h 05 min');
});

test('only a pure-JavaScript run past about ten minutes, at its measured pace, is warned about', () => {
  const tfjs = '@tensorflow/tfjs';
  assert.equal(slowRunWarning({ runtime: tfjs, eta: SLOW_RUN_SECONDS - 1, step: 2, model: 'm' }), null);
  assert.equal(slowRunWarning({ runtime: '@tensorflow/tfjs-node', eta: 50_000, step: 2, model: 'm' }), null, 'native TF.js is as fast as it gets');
  assert.equal(slowRunWarning({ runtime: 'torch', eta: 50_000, step: 2, model: 'm' }), null);
  assert.equal(slowRunWarning({ runtime: tfjs, eta: null, step: 2, model: 'm' }), null, 'no estimate yet');
  assert.equal(slowRunWarning({ runtime: tfjs, eta: 50_000, step: 1, model: 'm' }), null, 'the first batch also pays the start-up: wait for the pace');
  assert.match(slowRunWarning({ runtime: tfjs, eta: 3600, step: 2, model: 'ResNet' }) ?? '', /^Training ResNet with pure-JavaScript TF\.js will take about 60 min \(measured on its first batches\)/);
  assert.equal(paceMessage(0.05, 1000, 50), '0.05 s a batch: 1000 steps, about 50 s in all');
});

function run(id: string, model: string, modelFile: string): RunInfo {
  return { id, model, modelFile, backend: 'tfjs', status: 'completed', createdAt: '', epochs: 1, batchSize: 8, lr: 0.1, optimizer: 'sgd', data: 'synthetic', inputShape: [1, 3, 32, 32], resumable: false, stoppable: false };
}

test('the panel draws the current run alone unless asked, and never another model with it', () => {
  const runs = [run('c', 'ResNet', '/a.py'), run('b', 'ResNet', '/a.py'), run('x', 'ResNet', '/other.py'), run('y', 'Wide', '/a.py'), run('a', 'ResNet', '/a.py')];
  assert.deepEqual(overlayCandidates(runs, 'c').map((r) => r.id), ['b', 'a'], 'same class in the same file');
  assert.deepEqual(overlayCandidates(runs, 'y'), []);
  assert.deepEqual(shownForFocus(runs, 'c', false, ['b', 'y']), ['c'], 'no overlay: the focused run only');
  assert.deepEqual(shownForFocus(runs, 'c', true, []), ['c', 'b', 'a'], 'overlay on: every run of the model');
  assert.deepEqual(shownForFocus(runs, 'c', true, ['a', 'x', 'y']), ['c', 'a'], 'overlay keeps the chosen runs of the model, drops the others');
  assert.deepEqual(shownForFocus(runs, 'gone', true, ['a']), []);
});

test('before its first metric the panel and the status bar say what the run is doing, never a bare step 0', () => {
  const rows: TrainingRow[] = [{ type: 'status', backend: 'tfjs (pure JavaScript CPU)', device: 'cpu', deviceReason: 'pure JavaScript: why', runtime: '@tensorflow/tfjs', runtimeVersion: '4.22.0', step: 0, epochs: 2, stepsPerEpoch: 10, message: 'training on synthetic', time: 1 }];
  assert.equal(activityOf(headerOf([], 1), true), 'starting: loading the model and the data…');
  rows.push({ type: 'status', step: 0, message: 'measuring first batch…', time: 2 });
  let h = headerOf(rows, 2);
  assert.equal(h.deviceReason, 'pure JavaScript: why');
  assert.equal(h.runtime, '@tensorflow/tfjs 4.22.0');
  assert.equal(activityOf(h, true), 'measuring first batch…');
  assert.equal(activityOf(h, false), null, 'not running: nothing to say');
  rows.push({ type: 'status', step: 1, eta: 12, message: firstBatchMessage(0.5, 20, 12), time: 3 });
  h = headerOf(rows, 3);
  assert.equal(h.eta, 12, 'the ETA is there after one batch');
  assert.match(activityOf(h, true) ?? '', /^first batch took 0\.50 s: 20 steps/);
  rows.push({ type: 'metric', split: 'train', epoch: 1, step: 5, loss: 1, accuracy: 0.5, time: 4 });
  assert.equal(activityOf(headerOf(rows, 4), true), null);

  const p = new JobProgress('Tiny');
  p.update(rows[0]!, 1000);
  p.update(rows[1]!, 1000);
  assert.equal(p.summary(1000), 'step 0/20 · measuring first batch…');
  assert.equal(p.runtime, '@tensorflow/tfjs');
  p.update(rows[3]!, 2000);
  assert.doesNotMatch(p.summary(2000), /measuring/);
});

test('the input a run trains at follows its data', () => {
  const analysed: [number, number, number, number] = [1, 3, 32, 32];
  const why = "the analysis's guess (CIFAR-style stem)";
  assert.deepEqual(inputForData('synthetic', analysed, why), { input: [1, 3, 32, 32], from: why });
  assert.deepEqual(inputForData('cifar', [1, 3, 224, 224], 'the default'), { input: [1, 3, 32, 32], from: 'the data set: CIFAR-10 binary batches are 3×32×32' });
  assert.deepEqual(inputForData('folder', [1, 1, 28, 28], 'x', [64, 48]), { input: [1, 1, 64, 48], from: 'the image folder, resized to 64×48' });
  assert.throws(() => inputForData('folder', analysed, why));
  assert.deepEqual(parseResize('96'), [96, 96]);
  assert.deepEqual(parseResize(' 96x128 '), [96, 128]);
  assert.match(String(parseResize('4')), /from 8 to 1024/);
  assert.match(String(parseResize('big')), /a size in pixels/);
  const items = resizeItems(analysed, [64, 64]);
  assert.deepEqual(items.map((i) => i.label), ['224×224', '160×160', '128×128', '64×64', '32×32', 'Custom…']);
  assert.equal(items[3]!.description, "the images' own size");
  assert.equal(items[4]!.description, 'the size the model is analysed at');
  assert.equal(shapeText([1, 3, 32, 32]), '3×32×32');
});

test("a TF.js run's PyTorch twin trains the same model, input, data and hyperparameters", () => {
  const tfjs = validateRunConfig(
    {
      backend: 'tfjs',
      modelFile: '/w/net.py',
      modelName: 'Net',
      inputShape: [1, 3, 64, 64],
      inputFrom: 'the image folder, resized to 64×64',
      data: '/w/images',
      epochs: 7,
      batchSize: 16,
      lr: 0.05,
      optimizer: 'adam',
      logEvery: 5,
      tfjsBackend: 'cpu',
      resume: true,
      modelSnapshot: 'model.py',
      createdAt: '2026-01-01T00:00:00Z',
    },
    '/w/runs/a',
  );
  const twin = pytorchTwinConfig(tfjs, { telemetryBlocks: ['add|b|<s'], telemetryRelus: ['relu|x'] });
  assert.equal(twin.backend, 'pytorch');
  for (const key of ['modelFile', 'modelName', 'inputShape', 'inputFrom', 'data', 'epochs', 'batchSize', 'lr', 'optimizer', 'logEvery', 'seed', 'schedule'] as const) {
    assert.deepEqual(twin[key], tfjs[key], key);
  }
  for (const key of ['runDir', 'tfjsBackend', 'resume', 'modelSnapshot', 'createdAt']) assert.equal(key in twin, false, `${key} belongs to the TF.js run`);
  assert.deepEqual(twin.telemetryBlocks, ['add|b|<s']);
  assert.doesNotThrow(() => validateRunConfig(twin, '/w/runs/b'), 'a valid run config');
});
