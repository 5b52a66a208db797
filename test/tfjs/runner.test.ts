/**
 * The TF.js runner as the extension and the CLI run it: a child process (the built worker) started by the
 * job manager, writing its run directory through the run store's contract.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { JobManager } from '../../src/training/jobs';
import type { CheckpointRow, EndRow, MetricRow, StatusRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { RunStore } from '../../src/training/runStore';
import { currentRows } from '../../src/protocol/trainingAttempts';
import { fileLoadHandler } from '../../src/training/tfjsCheckpoint';
import { trainableParamCount } from '../../src/training/tfjsModel';
import { buildBundles, tempDir, tinyRun } from './bundles';

let worker = '';
before(async () => {
  worker = (await buildBundles()).worker;
});

const metrics = (rows: readonly TrainingRow[], split?: 'train' | 'val') => rows.filter((r): r is MetricRow => r.type === 'metric' && (!split || r.split === split));
const ends = (rows: readonly TrainingRow[]) => rows.filter((r): r is EndRow => r.type === 'end');

test('trains examples/tiny-resnet on synthetic data to at least 80% validation accuracy', async () => {
  const store = new RunStore(tempDir('runs'));
  const id = tinyRun(store, { epochs: 3, syntheticSize: 640, logEvery: 5 });
  const manager = new JobManager();
  const t0 = performance.now();
  const job = await manager.start({ store, runId: id, workerPath: worker });
  assert.equal(manager.list().length, 1);
  const result = await job.done;
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(result.status, 'completed', result.error ?? '');
  assert.equal(result.exitCode, 0);

  const rows = store.readRows(id);
  assert.deepEqual(rows, job.rows, 'the stream the job reported is what metrics.jsonl holds');
  assert.deepEqual(rows[0], { type: 'start', attempt: 1, step: 0, time: rows[0]!.time }, 'the first row says where the attempt starts');
  const status = rows[1] as StatusRow;
  assert.equal(status.type, 'status');
  assert.equal(status.totalSteps, 45);
  assert.equal(status.params, 5164);
  assert.ok(rows.every((r) => r.attempt === 1));
  assert.match(status.backend ?? '', /tfjs/);
  assert.match(status.device ?? '', /cpu/);
  assert.equal(status.trainSize, 480);
  assert.equal(status.valSize, 160);
  const val = metrics(rows, 'val');
  assert.deepEqual(val.map((r) => r.epoch), [1, 2, 3]);
  const acc = val[val.length - 1]!.accuracy;
  assert.ok(acc >= 0.8, `validation accuracy ${acc}`);
  const steps = metrics(rows, 'train').map((r) => r.step);
  assert.ok(steps.every((s, i) => i === 0 || s >= steps[i - 1]!), 'steps never go back');
  assert.equal(steps[steps.length - 1], 45);
  assert.ok(metrics(rows, 'train').every((r) => r.lr !== undefined && r.lr > 0 && (r.imagesPerSecond ?? 0) > 0));
  const ckpts = rows.filter((r): r is CheckpointRow => r.type === 'checkpoint');
  assert.deepEqual(ckpts.map((c) => c.epoch), [1, 2, 3]);
  assert.deepEqual(ends(rows).map((e) => e.status), ['completed']);
  assert.equal(store.getRun(id)!.status, 'completed');
  assert.equal(store.readState(id)!.status, 'completed');

  // The last checkpoint is a TF.js layers model that tfjs itself loads, with the IR's parameter count.
  const ckptDir = path.join(store.paths(id).dir, ckpts[ckpts.length - 1]!.path);
  for (const f of ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'trainer.json']) assert.ok(fs.existsSync(path.join(ckptDir, f)), f);
  const { customLayers } = await import('../../src/training/tfjsLayers');
  customLayers(tf);
  const loaded = await tf.loadLayersModel(fileLoadHandler(ckptDir));
  assert.equal(trainableParamCount(loaded), 5164);
  console.log(`# tiny-resnet: val accuracy ${acc.toFixed(3)} after 3 epochs in ${seconds.toFixed(1)} s`);
  manager.dispose();
});

test('stop mid-epoch leaves a readable run ending "stopped"; resume continues the step count', async () => {
  const store = new RunStore(tempDir('runs'));
  const id = tinyRun(store, { epochs: 2, syntheticSize: 480, valSplit: 0.5, batchSize: 16, logEvery: 2 });
  const manager = new JobManager();
  const job = await manager.start({ store, runId: id, workerPath: worker });
  await new Promise<void>((resolve) => {
    const sub = job.onDidEmitRow((r) => {
      if (r.type === 'metric' && r.split === 'train') {
        sub.dispose();
        resolve();
      }
    });
  });
  const stopped = await job.stop();
  assert.equal(stopped.status, 'stopped', stopped.error ?? '');
  const first = store.readRows(id);
  assert.deepEqual(ends(first).map((e) => e.status), ['stopped']);
  assert.equal(store.getRun(id)!.status, 'stopped');
  const ck = first.filter((r): r is CheckpointRow => r.type === 'checkpoint');
  assert.equal(ck.length, 1, 'a checkpoint was written on stop');
  const stopStep = ck[0]!.step;
  assert.ok(stopStep >= 2 && stopStep < 15, `stopped mid-epoch at step ${stopStep} of 15`);
  assert.equal(metrics(first, 'val').length, 0, 'no epoch finished');

  const resumed = await manager.start({ store, runId: id, workerPath: worker, resume: true });
  const result = await resumed.done;
  assert.equal(result.status, 'completed', result.error ?? '');
  const again = resumed.rows;
  const begin = again[0]!;
  assert.ok(begin.type === 'start' && begin.attempt === 2 && begin.step === stopStep && begin.resumedFrom === ck[0]!.path, JSON.stringify(begin));
  assert.ok(again.every((r) => r.attempt === 2));
  const status = again.find((r): r is StatusRow => r.type === 'status')!;
  assert.match(status.message ?? '', new RegExp(`resumed from epoch-1-step-${stopStep} at step ${stopStep}`));
  const trainSteps = metrics(again, 'train').map((r) => r.step);
  assert.ok(trainSteps[0]! > stopStep, `first step after resume ${trainSteps[0]} > ${stopStep}`);
  assert.equal(trainSteps[trainSteps.length - 1], 30, 'two epochs of 15 steps in total, counted across both attempts');
  const all = store.readRows(id);
  assert.deepEqual(ends(all).map((e) => e.status), ['stopped', 'completed'], 'one end row per attempt');
  assert.equal(store.getRun(id)!.status, 'completed');
  assert.equal(store.readState(id)!.attempts, 2);
  const windows = metrics(all, 'train').filter((r) => r.scope !== 'epoch').map((r) => r.step);
  assert.ok(windows.every((s, i) => i === 0 || s > windows[i - 1]!), `no step is trained twice: ${windows.join(',')}`);
  assert.deepEqual(currentRows(all), all, 'a stop writes a checkpoint first, so the resume supersedes nothing');
  manager.dispose();
});

test('a bad data path fails fast with the reason in the end row', async () => {
  const store = new RunStore(tempDir('runs'));
  const id = tinyRun(store, { data: '/no/such/images' });
  const manager = new JobManager();
  const t0 = performance.now();
  const result = await (await manager.start({ store, runId: id, workerPath: worker })).done;
  const ms = performance.now() - t0;
  assert.equal(result.status, 'failed');
  assert.match(result.error ?? '', /data path does not exist: \/no\/such\/images/);
  const end = ends(store.readRows(id));
  assert.equal(end.length, 1);
  assert.match(end[0]!.error ?? '', /\/no\/such\/images/);
  assert.equal(store.getRun(id)!.status, 'failed');
  assert.ok(ms < 5000, `failed in ${ms.toFixed(0)} ms`);
});

test('a NaN or infinite loss stops the run with a clear error', async () => {
  const store = new RunStore(tempDir('runs'));
  const id = tinyRun(store, { lr: 1e30, momentum: 0, schedule: 'none', weightDecay: 0, syntheticSize: 320 });
  const manager = new JobManager();
  const result = await (await manager.start({ store, runId: id, workerPath: worker })).done;
  assert.equal(result.status, 'failed');
  assert.match(result.error ?? '', /loss became (NaN|infinite|-infinite) at epoch 1, step \d+.*Lower the learning rate/);
  assert.equal(ends(store.readRows(id)).length, 1);
});

test('a job is a disposable: dispose stops it, unless it was started detached', async () => {
  const store = new RunStore(tempDir('runs'));
  const a = tinyRun(store, { epochs: 3, syntheticSize: 480 });
  const b = tinyRun(store, { epochs: 3, syntheticSize: 480 });
  const manager = new JobManager();
  const owned = await manager.start({ store, runId: a, workerPath: worker });
  const detached = await manager.start({ store, runId: b, workerPath: worker, detached: true });
  assert.equal(manager.list().length, 2);
  assert.equal(detached.detached, true);
  manager.dispose();
  const ownedResult = await owned.done;
  assert.equal(ownedResult.status, 'stopped');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(store.getRun(b)!.status, 'running', 'the detached job kept training');
  // A later session finds it, follows it and stops it.
  const later = new JobManager();
  const attached = later.attach(store, b);
  assert.ok(attached);
  const result = await later.stop(store, b);
  assert.equal(result?.status, 'stopped');
  assert.equal(ends(store.readRows(b)).at(-1)?.status, 'stopped');
  later.dispose();
});
