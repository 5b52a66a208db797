/**
 * The job machinery (process groups, stop escalation, synthesised end rows, detaching and attaching), driven
 * by a stand-in trainer so that it runs without torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PytorchJob, type LogLine } from '../../src/training/pytorchRunner';
import { RunStore, isProcessAlive, type RunConfigInput } from '../../src/training/runStore';
import type { TrainingRow } from '../../src/protocol/trainingProtocol';
import { tempRoot } from './torchTestEnv';

const FAKE = path.resolve(__dirname, '../fixtures/training/fakeTrainer.js');
const MODEL = path.resolve(__dirname, '../fixtures/training/cifar_resnet8.py');

function fakeRun(fake: Record<string, unknown>): { store: RunStore; id: string } {
  const store = new RunStore(tempRoot('job'));
  const input: RunConfigInput = { modelFile: MODEL, modelName: 'resnet8' };
  const id = store.createRun(input).id;
  // The stand-in's script is not part of the run config contract (createRun refuses unknown keys): add it afterwards.
  const file = store.paths(id).config;
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), fake }, null, 2));
  return { store, id };
}

const start = (store: RunStore, runId: string, extra: Partial<Parameters<typeof PytorchJob.start>[0]> = {}) =>
  PytorchJob.start({ store, runId, python: process.execPath, scriptPath: FAKE, pollIntervalMs: 20, ...extra });

test('rows and log lines are reported in order; a split line waits until it is whole', async () => {
  const { store, id } = fakeRun({ heartbeat: true, rows: [{ type: 'status', backend: 'fake' }] });
  const rows: TrainingRow[] = [];
  const logs: LogLine[] = [];
  const job = await start(store, id, { onLog: (l) => logs.push(l) });
  job.onDidEmitRow((r) => {
    rows.push(r);
    if (r.type === 'metric' && r.step === 4) void job.stop();
  });
  const result = await job.done;
  assert.equal(result.status, 'stopped');
  assert.equal(result.exitCode, 0);
  assert.deepEqual(rows, job.rows);
  const steps = rows.filter((r) => r.type === 'metric').map((r) => (r as { step: number }).step);
  assert.deepEqual(steps.slice(0, 4), [1, 2, 2.5, 3]);
  assert.equal(rows[0]!.type, 'status');
  assert.equal(rows.at(-1)!.type, 'end');
  assert.ok(logs.some((l) => l.stream === 'stderr' && l.line === 'fake trainer starting'));
  assert.equal(store.readState(id)?.status, 'stopped');
});

test('a process that dies without an end row gets one, with its last stderr lines as the error', async () => {
  const { store, id } = fakeRun({ crash: true, rows: [{ type: 'status', backend: 'fake' }] });
  const job = await start(store, id);
  const result = await job.done;
  assert.equal(result.status, 'failed');
  assert.equal(result.exitCode, 3);
  assert.match(result.error ?? '', /exited with code 3 without reporting an end row/);
  assert.match(result.error ?? '', /RuntimeError: out of memory/);
  // The stand-in wrote its status row to stdout only; the synthesised end row goes to metrics.jsonl as well.
  assert.deepEqual(job.rows.map((r) => r.type), ['status', 'end']);
  assert.deepEqual(store.readRows(id), [job.rows[1]]);
  assert.equal(store.getRun(id)?.status, 'failed');
  assert.equal(store.readState(id)?.exitCode, 3);
});

test('stop escalates to SIGKILL for a process that ignores SIGTERM, and reaches its whole process group', async () => {
  const { store, id } = fakeRun({ heartbeat: true, ignoreTerm: true, grandchild: true });
  const job = await start(store, id, { stopTimeoutMs: 300 });
  await new Promise<void>((resolve) => job.onDidEmitRow((r) => r.type === 'metric' && resolve()));
  const grandchild = Number(fs.readFileSync(path.join(store.paths(id).dir, 'grandchild.pid'), 'utf8'));
  assert.ok(isProcessAlive(grandchild));
  const t0 = Date.now();
  const result = await job.stop();
  assert.ok(Date.now() - t0 >= 250, 'waited for the grace period');
  assert.equal(result.status, 'stopped');
  assert.equal(result.signal, 'SIGKILL');
  assert.match(result.error ?? '', /did not stop within 0.3 s/);
  const until = Date.now() + 2000;
  while (isProcessAlive(grandchild) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(isProcessAlive(grandchild), false, 'the grandchild was in the group and got the signal');
  assert.deepEqual(store.readRows(id).filter((r) => r.type === 'end').length, 1);
});

test('a detached job can be left running, attached to later and stopped from there', async (t) => {
  const { store, id } = fakeRun({ heartbeat: true });
  const first = await start(store, id, { detached: true });
  t.after(() => {
    try {
      process.kill(-first.pid, 'SIGKILL'); // only matters if an assertion failed before the stop
    } catch {
      // already gone
    }
  });
  await new Promise<void>((resolve) => first.onDidEmitRow(() => resolve()));
  first.detach();
  assert.equal(store.getRun(id)?.status, 'running');
  const attached = PytorchJob.attach(store, id, { pollIntervalMs: 20 });
  assert.ok(attached);
  assert.equal(attached.pid, first.pid);
  const later: TrainingRow[] = [];
  attached.onDidEmitRow((r) => later.push(r));
  await new Promise<void>((resolve) => attached.onDidEmitRow((r) => r.type === 'metric' && resolve()));
  const result = await attached.stop();
  assert.equal(result.status, 'stopped');
  assert.equal(later.at(-1)?.type, 'end');
  assert.equal(store.getRun(id)?.status, 'stopped');
  assert.equal(PytorchJob.attach(store, id), undefined, 'nothing to attach to once it has ended');
  const all = store.readRows(id);
  assert.equal(all.length, 0, 'the stand-in writes rows to stdout only; metrics.jsonl is the trainer\'s to fill');
});

test('start refuses a run that is already running, and reports an interpreter that cannot start', async () => {
  const { store, id } = fakeRun({ heartbeat: true });
  const job = await start(store, id);
  await assert.rejects(start(store, id), /already running/);
  await job.stop();
  await assert.rejects(start(store, id, { python: '/nonexistent/python' }), /cannot start \/nonexistent\/python/);
  const { store: s2, id: id2 } = fakeRun({});
  fs.rmSync(s2.paths(id2).config);
  await assert.rejects(start(s2, id2), /no config.json/);
});
