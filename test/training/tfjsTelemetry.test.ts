/**
 * Layer telemetry in the TF.js runner: at the sampled steps, a valid layer row per layer with weights, keyed
 * by the IR node's name, with gradient and weight norms and the update-to-weight ratio, whose update is the
 * optimiser's own (on the first SGD step, exactly the learning rate times the gradient); none when turned off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { analyzeText } from '../../src/frontends';
import { validateRow } from '../../src/protocol/trainingProtocol';
import { healthAlerts, layerRows } from '../../src/protocol/trainingHealth';
import { JobManager } from '../../src/training/jobs';
import { RunStore } from '../../src/training/runStore';
import { TINY_RESNET, buildBundles, tempDir, tinyRun } from '../tfjs/bundles';

test('TF.js runner: gradient, weight and update norms per layer at the sampled steps', async () => {
  const worker = (await buildBundles()).worker;
  const store = new RunStore(tempDir('tfjs-telemetry'));
  const run = async (telemetryEvery: number) => {
    const id = tinyRun(store, { telemetryEvery, augment: false });
    const manager = new JobManager();
    const result = await (await manager.start({ store, runId: id, workerPath: worker })).done;
    manager.dispose();
    assert.equal(result.status, 'completed', result.error ?? '');
    return store.readRows(id);
  };
  const withRows = await run(2);
  const layers = layerRows(withRows);
  for (const r of layers) assert.deepEqual(validateRow(r), [], JSON.stringify(r));
  // 192 training images, 6 steps of 32: sampled at 1, 2, 4 and 6.
  assert.deepEqual([...new Set(layers.map((r) => r.step))], [1, 2, 4, 6]);
  const graph = analyzeText(TINY_RESNET, fs.readFileSync(TINY_RESNET, 'utf8')).graph!;
  const withParams = graph.nodes.filter((n) => (n.params ?? 0) > 0).map((n) => n.name).sort();
  assert.deepEqual(layers.filter((r) => r.step === 1).map((r) => r.module).sort(), withParams, 'one row per layer with weights, by its IR name');
  for (const r of layers) assert.ok(r.gradNorm! > 0 && r.weightNorm! > 0 && r.updateRatio! > 0 && r.updateRatio! < 1, JSON.stringify(r));
  assert.deepEqual(healthAlerts(layers), []);

  // The first step of SGD with momentum moves each weight by lr times its gradient: ‖ΔW‖ = 0.05 ‖g‖.
  for (const r of layers.filter((x) => x.step === 1)) {
    const moved = r.updateRatio! * r.weightNorm!;
    assert.ok(Math.abs(moved - 0.05 * r.gradNorm!) <= 0.01 * 0.05 * r.gradNorm!, `${r.module}: ‖ΔW‖ ${moved}, 0.05‖g‖ ${0.05 * r.gradNorm!}`);
  }
  assert.deepEqual(layerRows(await run(0)), [], 'telemetryEvery 0 records none');
});
