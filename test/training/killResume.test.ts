/**
 * A run killed with SIGKILL mid-epoch, before its first checkpoint, then resumed: the second attempt starts
 * again from step 0 and reports steps the first already reported. Each runner numbers its rows by attempt
 * and says where it starts, and every reader (the run store, the metrics panel's model) drops the first
 * attempt's superseded rows by the one rule in `trainingAttempts.ts`, so the curves never go back in steps.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { JobManager, type StartJobOptions, type TrainingJob } from '../../src/training/jobs';
import { RunStore } from '../../src/training/runStore';
import { currentRows } from '../../src/protocol/trainingAttempts';
import type { MetricRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { headerOf, seriesOf } from '../../webview/metrics/model';
import { buildBundles, tinyRun } from '../tfjs/bundles';
import { smallRun, tempRoot, torchPython } from './torchTestEnv';

const ROWS_SCHEMA = path.resolve(__dirname, '../../python/resnet_studio/training_rows.schema.json');

const trainSteps = (rows: readonly TrainingRow[], attempt?: number) =>
  rows.filter((r): r is MetricRow => r.type === 'metric' && r.split === 'train' && (attempt === undefined || r.attempt === attempt)).map((r) => r.step);

/** Resolves once the job has reported a train row at `step` or later. */
function untilStep(job: TrainingJob, step: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sub = job.onDidEmitRow((r) => {
      if (r.type === 'metric' && r.split === 'train' && r.step >= step) {
        sub.dispose();
        resolve();
      }
      if (r.type === 'end') reject(new Error(`the run ended (${r.status}: ${r.error}) before step ${step}`));
    });
  });
}

async function killBeforeCheckpointThenResume(store: RunStore, id: string, launch: Omit<StartJobOptions, 'store' | 'runId'>): Promise<void> {
  const manager = new JobManager();
  const first = await manager.start({ store, runId: id, pollIntervalMs: 20, ...launch });
  await untilStep(first, 3);
  process.kill(-first.pid, 'SIGKILL');
  const killed = await first.done;
  assert.equal(killed.status, 'failed');
  assert.equal(killed.signal, 'SIGKILL');
  assert.deepEqual(fs.readdirSync(store.paths(id).checkpoints), [], 'killed before its first checkpoint');
  const firstSteps = trainSteps(store.readRows(id), 1);
  const reached = Math.max(...firstSteps);
  assert.ok(reached >= 3, `the first attempt reported steps ${firstSteps.join(',')}`);
  assert.equal(store.getRun(id)!.status, 'failed');

  const second = await manager.start({ store, runId: id, pollIntervalMs: 20, resume: true, ...launch });
  await untilStep(second, reached + 1);
  const stopped = await second.stop();
  assert.equal(stopped.status, 'stopped', stopped.error ?? '');

  const raw = store.readRows(id);
  // Every line, the end row the launcher wrote for the killed process included, is a row the schema allows.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(ROWS_SCHEMA, 'utf8')) as object);
  for (const r of raw) assert.ok(validate(r), `${JSON.stringify(r)}: ${ajv.errorsText(validate.errors)}`);

  assert.deepEqual([...new Set(raw.map((r) => r.attempt))], [1, 2], 'two attempts, in order');
  assert.deepEqual(raw.filter((r) => r.type === 'end').map((r) => [r.attempt, r.type === 'end' && r.status]), [[1, 'failed'], [2, 'stopped']]);
  const starts = raw.filter((r) => r.type === 'start');
  assert.deepEqual(starts.map((r) => [r.attempt, r.type === 'start' && r.step]), [[1, 0], [2, 0]], 'no checkpoint: the resume starts over');
  const redone = trainSteps(raw, 2).filter((s) => firstSteps.includes(s));
  assert.ok(redone.length > 0, 'the file holds steps reported twice');
  assert.equal(store.readState(id)!.attempt, 2);

  const kept = store.readCurrentRows(id);
  assert.deepEqual(kept, currentRows(raw));
  assert.deepEqual(trainSteps(kept, 1), [], 'every step the first attempt reported was redone');
  const steps = trainSteps(kept).filter((_s, i, all) => i === 0 || all[i - 1] !== _s);
  assert.ok(steps.every((s, i) => i === 0 || s > steps[i - 1]!), `steps go forward: ${steps.join(',')}`);
  const xs = seriesOf(raw).trainLoss.map((p) => p.x);
  assert.ok(xs.every((x, i) => i === 0 || x > xs[i - 1]!), `the panel's curve goes forward: ${xs.join(',')}`);
  const header = headerOf(raw, Date.now() / 1000);
  assert.equal(header.ended, 'stopped');
  assert.equal(header.step, Math.max(...trainSteps(raw, 2)));
  manager.dispose();
}

test('TF.js: kill -9 before the first checkpoint, resume from step 0, readers drop the superseded rows', async () => {
  const worker = (await buildBundles()).worker;
  const store = new RunStore(tempRoot('kill-tfjs'));
  // 240 steps per epoch: the kill comes long before the epoch's checkpoint.
  const id = tinyRun(store, { epochs: 1, syntheticSize: 1000, batchSize: 4, valSplit: 0.04, logEvery: 1 });
  await killBeforeCheckpointThenResume(store, id, { workerPath: worker });
});

test('PyTorch: kill -9 before the first checkpoint, resume from step 0, readers drop the superseded rows', async (t: TestContext) => {
  const python = await torchPython(t);
  if (!python) return;
  const store = new RunStore(tempRoot('kill-torch'));
  const id = store.createRun(smallRun({ epochs: 1, syntheticSize: 2000, batchSize: 8, valSplit: 0.04, logEvery: 1 })).id;
  await killBeforeCheckpointThenResume(store, id, { python });
});
