/**
 * Layer telemetry and the health alerts read from it: where the probes go (from the IR), what each alert rule
 * raises on rows made to trip it, and two real PyTorch runs: a healthy ResNet-8 raises no alert, and a residual
 * network with no BatchNorm, weights of standard deviation one and a learning rate fifty times too high raises
 * exploding gradients and then NaN.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText } from '../../src/frontends';
import { type LayerRow, validateRow } from '../../src/protocol/trainingProtocol';
import { healthAlerts, layerRows } from '../../src/protocol/trainingHealth';
import { alertSites, telemetryProbes } from '../../src/training/health';
import { PytorchJob } from '../../src/training/pytorchRunner';
import { RunStore } from '../../src/training/runStore';
import { FIXTURE_MODEL, smallRun, tempRoot, torchPython } from './torchTestEnv';

const BROKEN_MODEL = path.resolve(__dirname, '../fixtures/training/broken_resnet.py');

function probesOf(file: string, model: string) {
  const a = analyzeText(file, fs.readFileSync(file, 'utf8'), { model, input: [1, 3, 16, 16] });
  assert.ok(a.graph, `${file} analyses`);
  return { graph: a.graph, probes: telemetryProbes(a.graph) };
}

const row = (step: number, module: string, stats: Partial<LayerRow>): LayerRow => ({ type: 'layer', step, module, attempt: 1, time: 0, ...stats });

describe('telemetry probes from the IR', () => {
  test('ResNet-8: each add with its branch and shortcut producers, each functional ReLU with the module beside it', () => {
    const { probes } = probesOf(FIXTURE_MODEL, 'resnet8');
    assert.deepEqual(probes.telemetryBlocks, [
      'layers.0.add|layers.0.bn2|stem.2', // identity: the block's input is the stem's ReLU module output
      'layers.1.add|layers.1.bn2|layers.1.shortcut.1',
      'layers.2.add|layers.2.bn2|layers.2.shortcut.1',
    ]);
    assert.deepEqual(probes.telemetryRelus, [
      'layers.0.relu|layers.0.bn1',
      'layers.0.relu_1|>layers.0', // relu(out + shortcut) is the block's output
      'layers.1.relu|layers.1.bn1',
      'layers.1.relu_1|>layers.1',
      'layers.2.relu|layers.2.bn1',
      'layers.2.relu_1|>layers.2',
    ]);
  });

  test('an identity shortcut fed by a functional op takes the block module\'s input', () => {
    const { probes } = probesOf(BROKEN_MODEL, 'BrokenResNet');
    assert.deepEqual(probes.telemetryBlocks, ['layer1.add|layer1.conv2|<layer1', 'layer2.add|layer2.conv2|layer2.shortcut.0']);
    assert.ok(probes.telemetryRelus.includes('relu|stem'));
  });
});

describe('health alert rules', () => {
  test('an alert sits on the line that built its layer, or on the forward line of a functional op', () => {
    const { graph } = probesOf(FIXTURE_MODEL, 'resnet8');
    const alerts = healthAlerts([
      ...[1, 2, 3].map((s) => row(s, 'layers.1.conv1', { gradNorm: 1e-9 })),
      ...[1, 2, 3].map((s) => row(s, 'layers.2.relu', { deadFraction: 0.9 })),
      row(1, 'no.such.module', { nonFinite: ['gradNorm'] }),
    ]);
    const sites = alertSites(graph, alerts).map((s) => `${s.alert.module} ${path.basename(s.range.file)}:${s.range.line}`);
    // conv1 is built at `self.conv1 = nn.Conv2d(...)` (line 13); the functional ReLU is called at line 22.
    assert.deepEqual(sites, ['layers.1.conv1 cifar_resnet8.py:13', 'layers.2.relu cifar_resnet8.py:22']);
  });

  test('each rule fires on rows made to trip it, with the stretch and the value in the message', () => {
    const rows = [
      ...[100, 200, 300, 400, 500, 600].map((s) => row(s, 'layer3.4.conv2', { gradNorm: 3e-9, weightNorm: 1 })),
      ...[100, 200, 300].map((s) => row(s, 'layer1.0.relu', { zeroFraction: 0.9, deadFraction: 0.75 })),
      ...[100, 200, 300].map((s) => row(s, 'layer2.0.add', { branchRatio: 1e-5 })),
      row(100, 'fc', { gradNorm: 5e4, weightNorm: 2 }),
      row(100, 'layer2.0.shortcut.0', { gradNorm: 300, weightNorm: 2, updateRatio: 20 }),
      row(200, 'fc', { weightNorm: 2, nonFinite: ['gradNorm'] }),
    ];
    const alerts = healthAlerts(rows);
    const got = alerts.map((a) => `${a.kind} ${a.module} ${a.fromStep}-${a.toStep}`);
    assert.deepEqual(got, [
      'vanishing layer3.4.conv2 100-600',
      'dead-relu layer1.0.relu 100-300',
      'branch-collapse layer2.0.add 100-300',
      'nonfinite fc 200-200',
      'exploding fc 100-100',
      'exploding layer2.0.shortcut.0 100-100',
    ]);
    assert.equal(alerts.find((a) => a.module === 'fc' && a.kind === 'exploding')!.message, 'fc: gradient norm 5e4 at step 100 (exploding)');
    assert.equal(alerts.at(-1)!.message, 'layer2.0.shortcut.0: an update 20 times the weights at step 100 (exploding)');
    assert.equal(alerts[0]!.message, 'layer3.4.conv2: gradient norm 3e-9 for 500 steps (100–600) (vanishing)');
    assert.match(alerts[1]!.message, /75% of its units dead/);
  });

  test('slow conditions must hold for consecutive samples; healthy values raise nothing', () => {
    const rows = [
      row(10, 'a', { gradNorm: 1e-9 }),
      row(20, 'a', { gradNorm: 0.5 }),
      row(30, 'a', { gradNorm: 1e-9 }),
      row(40, 'a', { gradNorm: 1e-9 }),
      ...[10, 20, 30, 40].map((s) => row(s, 'r', { deadFraction: s === 20 ? 0.9 : 0.1 })),
      ...[10, 20, 30, 40].map((s) => row(s, 'b', { branchRatio: 0.4, gradNorm: 2, updateRatio: 0.01 })),
    ];
    assert.deepEqual(healthAlerts(rows), []);
    assert.deepEqual(healthAlerts(rows, { sustainedSamples: 2 }).map((a) => `${a.kind} ${a.module} ${a.fromStep}-${a.toStep}`), ['vanishing a 30-40']);
  });
});

describe('telemetry in the PyTorch runner', () => {
  test('a healthy ResNet-8: a valid layer row for every layer, ReLU and add at each sampled step, and no alert', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const { graph, probes } = probesOf(FIXTURE_MODEL, 'resnet8');
    const store = new RunStore(tempRoot('telemetry'));
    const run = store.createRun(smallRun({ epochs: 2, telemetryEvery: 6, ...probes }));
    const result = await (await PytorchJob.start({ store, runId: run.id, python })).done;
    assert.equal(result.status, 'completed', result.error ?? '');
    const rows = store.readRows(run.id);
    const layers = layerRows(rows);
    for (const r of layers) assert.deepEqual(validateRow(r), [], JSON.stringify(r));
    const steps = [...new Set(layers.map((r) => r.step))];
    assert.deepEqual(steps, [1, 6, 12, 18, 24, 30, 36], '18 steps per epoch, sampled at step 1 and every 6');
    const expected = new Set([
      ...graph.nodes.filter((n) => (n.params ?? 0) > 0).map((n) => n.name),
      ...graph.nodes.filter((n) => n.op === 'ReLU').map((n) => n.name),
      ...graph.skips.map((s) => graph.nodes.find((n) => n.id === s.to)!.name),
    ]);
    const at6 = layers.filter((r) => r.step === 6);
    assert.deepEqual(new Set(at6.map((r) => r.module)), expected, 'every parameterised layer, ReLU and add, by its IR name');
    const conv = at6.find((r) => r.module === 'layers.1.conv1')!;
    assert.ok(conv.gradNorm! > 0 && conv.weightNorm! > 0 && conv.updateRatio! > 0 && conv.updateRatio! < 0.5, JSON.stringify(conv));
    const bn = at6.find((r) => r.module === 'layers.1.bn1')!;
    assert.ok(Math.abs(bn.actStd! - 1) < 0.1, `BatchNorm output std ${bn.actStd}`);
    const relu = at6.find((r) => r.module === 'layers.0.relu')!;
    assert.ok(relu.zeroFraction! > 0.2 && relu.zeroFraction! < 0.8, JSON.stringify(relu));
    const add = at6.find((r) => r.module === 'layers.1.add')!;
    assert.ok(add.branchRatio! > 0.1 && add.branchRatio! < 10, JSON.stringify(add));
    assert.deepEqual(healthAlerts(layers), []);
  });

  test('data-parallel (two processes, gloo): rank 0 alone writes the layer rows, one per layer and sampled step', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const { probes } = probesOf(FIXTURE_MODEL, 'resnet8');
    const store = new RunStore(tempRoot('telemetry-ddp'));
    const run = store.createRun(smallRun({ epochs: 1, batchSize: 32, telemetryEvery: 5, ...probes }));
    const result = await (await PytorchJob.start({ store, runId: run.id, python, nproc: 2 })).done;
    assert.equal(result.status, 'completed', result.error ?? '');
    const layers = layerRows(store.readRows(run.id));
    const keys = layers.map((r) => `${r.step} ${r.module}`);
    assert.equal(new Set(keys).size, keys.length, 'no layer row twice');
    // 1200 images, 600 per process, 18 steps of 32: sampled at 1, 5, 10 and 15.
    assert.deepEqual([...new Set(layers.map((r) => r.step))], [1, 5, 10, 15]);
    assert.equal(layers.filter((r) => r.step === 5).length, layers.filter((r) => r.step === 1).length);
    assert.deepEqual(healthAlerts(layers), []);
  });

  test('no BatchNorm, bad init and a learning rate far too high: exploding gradients, then NaN', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const { probes } = probesOf(BROKEN_MODEL, 'BrokenResNet');
    const store = new RunStore(tempRoot('telemetry-broken'));
    const run = store.createRun(
      smallRun({ modelFile: BROKEN_MODEL, modelName: 'BrokenResNet', modelArgs: '', lr: 5, epochs: 1, maxSteps: 8, telemetryEvery: 1, ...probes }),
    );
    const result = await (await PytorchJob.start({ store, runId: run.id, python })).done;
    assert.equal(result.status, 'failed', 'the loss becomes NaN');
    const layers = layerRows(store.readRows(run.id));
    for (const r of layers) assert.deepEqual(validateRow(r), [], JSON.stringify(r));
    const alerts = healthAlerts(layers);
    const exploding = alerts.filter((a) => a.kind === 'exploding');
    assert.ok(exploding.some((a) => a.module === 'layer1.conv2' && a.fromStep === 1), alerts.map((a) => a.message).join('\n'));
    assert.ok(alerts.some((a) => a.kind === 'nonfinite'), 'NaN or Inf is reported');
    assert.ok(!alerts.some((a) => a.kind === 'vanishing'));
  });

  test('the CLI passes the probes from the IR and prints each alert once', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const repo = path.resolve(__dirname, '../..');
    if (!fs.existsSync(path.join(repo, 'dist', 'cli.js'))) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, stdio: 'inherit' });
    const out = tempRoot('telemetry-cli');
    const args = ['train', BROKEN_MODEL, '--model', 'BrokenResNet', '--data', 'synthetic', '--synthetic-size', '600', '--epochs', '1', '--batch-size', '64', '--lr', '5', '--telemetry-every', '7'];
    const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'resnet-studio.js'), ...args, '--input', '1,3,16,16', '--device', 'cpu', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, RESNET_STUDIO_PYTHON: python },
      timeout: 120_000,
    });
    assert.equal(r.status, 1, r.stderr);
    const alerts = r.stdout.split('\n').filter((l) => l.startsWith('alert: '));
    assert.ok(alerts.some((l) => /^alert: layer1\.conv2: gradient norm \S+ at step 1 \(exploding\)$/.test(l)), r.stdout);
    assert.equal(new Set(alerts).size, alerts.length, 'each alert once');
    const [dir] = fs.readdirSync(out);
    const config = JSON.parse(fs.readFileSync(path.join(out, dir!, 'config.json'), 'utf8')) as { telemetryBlocks?: string[]; telemetryEvery?: number };
    assert.deepEqual(config.telemetryBlocks, ['layer1.add|layer1.conv2|<layer1', 'layer2.add|layer2.conv2|layer2.shortcut.0']);
    assert.equal(config.telemetryEvery, 7, '--telemetry-every reaches the run config');
  });
});
