import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PytorchJob } from '../../src/training/pytorchRunner';
import { RunStore } from '../../src/training/runStore';
import { currentRows } from '../../src/protocol/trainingAttempts';
import type { CheckpointRow, MetricRow, StatusRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { smallRun, tempRoot, torchPython } from './torchTestEnv';

const metrics = (rows: readonly TrainingRow[], split: 'train' | 'val') =>
  rows.filter((r): r is MetricRow => r.type === 'metric' && r.split === split);
const ends = (rows: readonly TrainingRow[]) => rows.filter((r) => r.type === 'end');

function assertStrictlyIncreasing(steps: number[], what: string): void {
  for (let i = 1; i < steps.length; i++) {
    assert.ok(steps[i]! > steps[i - 1]!, `${what}: step ${steps[i]} after ${steps[i - 1]} (${steps.join(',')})`);
  }
}

describe('PyTorch runner', () => {
  test('trains ResNet-8 on synthetic data to >= 80% validation accuracy and leaves a complete run', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('train'));
    const run = store.createRun(smallRun());
    const seen: TrainingRow[] = [];
    const job = await PytorchJob.start({ store, runId: run.id, python, onRow: (r) => seen.push(r) });
    assert.equal(store.getRun(run.id)?.status, 'running');
    const result = await job.done;
    assert.equal(result.status, 'completed', result.error ?? '');
    assert.equal(result.exitCode, 0);

    const rows = store.readRows(run.id);
    assert.deepEqual(seen, rows, 'the rows reported live are the rows stored');
    assert.equal(ends(rows).length, 1);
    assert.deepEqual(rows.at(-1), { ...rows.at(-1), type: 'end', status: 'completed' });
    const status = rows.find((r): r is StatusRow => r.type === 'status')!;
    assert.equal(status.backend, 'pytorch');
    assert.match(status.device ?? '', /^cpu \(1 thread\)/);
    assert.equal(status.trainSize, 1200);
    assert.equal(status.valSize, 300);
    assert.equal(status.stepsPerEpoch, 18);
    const val = metrics(rows, 'val');
    assert.equal(val.length, 5, 'one validation row per epoch');
    assert.ok(val.at(-1)!.accuracy >= 0.8, `final validation accuracy ${val.at(-1)!.accuracy}`);
    assert.ok(val[0]!.accuracy < val.at(-1)!.accuracy, 'accuracy improves');
    const train = metrics(rows, 'train');
    assertStrictlyIncreasing(train.map((r) => r.step), 'train rows');
    assert.equal(train.at(-1)!.step, 90);
    assert.ok(train.every((r) => r.imagesPerSecond! > 0 && typeof r.lr === 'number'));

    const p = store.paths(run.id);
    for (const f of [p.config, p.state, p.metrics, p.stdout, p.stderr, p.modelSnapshot]) assert.ok(fs.existsSync(f), f);
    assert.match(fs.readFileSync(p.stderr, 'utf8'), /run completed/);
    const ckpts = rows.filter((r): r is CheckpointRow => r.type === 'checkpoint');
    assert.equal(ckpts.length, 5);
    assert.ok(fs.existsSync(path.join(p.dir, ckpts.at(-1)!.path)));
    assert.equal(fs.readdirSync(p.checkpoints).filter((n) => n.endsWith('.pt')).length, 3, 'keeps the newest three');
    assert.deepEqual(fs.readdirSync(p.checkpoints).filter((n) => n.includes('.tmp')), []);
    const state = store.readState(run.id)!;
    assert.equal(state.status, 'completed');
    assert.equal(state.attempts, 1);
    assert.ok(state.endedAt);
  });

  describe('stop and resume', () => {
    const store = new RunStore(tempRoot('stop'));
    let runId = '';
    let stoppedAt = 0;

    test('stopping mid-epoch leaves a readable run whose end row is stopped', async (t) => {
      const python = await torchPython(t);
      if (!python) return;
      // 150 steps in the epoch: long enough that the stop lands inside it.
      runId = store.createRun(smallRun({ epochs: 1, logEvery: 2, syntheticSize: 6000, batchSize: 32 })).id;
      let job!: PytorchJob;
      let stopping: Promise<unknown> | undefined;
      job = await PytorchJob.start({
        store, runId, python, pollIntervalMs: 20,
        onRow: (r) => {
          if (r.type === 'metric' && r.split === 'train' && !stopping) stopping = job.stop();
        },
      });
      const result = await job.done;
      assert.ok(stopping, 'a train row arrived before the end');
      assert.equal(result.status, 'stopped', result.error ?? '');
      assert.equal(result.error, null);
      const rows = store.readRows(runId);
      assert.equal(ends(rows).length, 1);
      assert.equal(rows.at(-1)!.type, 'end');
      assert.equal((rows.at(-1) as { status: string }).status, 'stopped');
      const ckpt = rows.filter((r): r is CheckpointRow => r.type === 'checkpoint');
      assert.equal(ckpt.length, 1, 'the stop wrote a checkpoint');
      stoppedAt = ckpt[0]!.step;
      assert.ok(stoppedAt > 0 && stoppedAt < 150, `stopped within the first epoch, at step ${stoppedAt}`);
      assert.equal(metrics(rows, 'val').length, 0);
      assert.equal(store.getRun(runId)?.status, 'stopped');
    });

    test('resume continues the step count from the checkpoint', async (t) => {
      const python = await torchPython(t);
      if (!python) return;
      assert.ok(runId && stoppedAt, 'needs the stopped run');
      const job = await PytorchJob.start({ store, runId, python, resume: true });
      const result = await job.done;
      assert.equal(result.status, 'completed', result.error ?? '');
      const fresh = job.rows;
      const begin = fresh[0]!;
      assert.ok(begin.type === 'start' && begin.step === stoppedAt && begin.resumedFrom === `checkpoints/epoch-0001-step-${String(stoppedAt).padStart(8, '0')}.pt`, JSON.stringify(begin));
      assert.ok(fresh.every((r) => r.attempt === 2), 'the second start numbers its rows 2');
      const start = fresh.find((r): r is StatusRow => r.type === 'status')!;
      assert.equal(start.step, stoppedAt);
      assert.match(start.message ?? '', new RegExp(`resumed from checkpoints/.* at step ${stoppedAt}`));
      const train = metrics(fresh, 'train');
      assert.ok(train[0]!.step > stoppedAt);
      assert.equal(train.at(-1)!.step, 150, 'one epoch of 150 steps in all');
      const all = store.readRows(runId);
      assertStrictlyIncreasing(metrics(all, 'train').map((r) => r.step), 'train rows across both attempts');
      assert.deepEqual(ends(all).map((r) => (r as { status: string }).status), ['stopped', 'completed']);
      assert.equal(metrics(all, 'val').length, 1);
      assert.equal(store.readState(runId)?.attempts, 2);
      assert.deepEqual(currentRows(all), all, 'a stop writes its checkpoint first: the resume supersedes nothing');
      assert.equal(store.getRun(runId)?.status, 'completed');
    });

    test('starting over (not resuming) on a run with checkpoints is refused', async (t) => {
      const python = await torchPython(t);
      if (!python) return;
      assert.ok(runId);
      const result = await (await PytorchJob.start({ store, runId, python })).done;
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', /already has checkpoints; resume it or start a new run/);
      assert.deepEqual(ends(store.readRows(runId)).map((r) => (r as { status: string }).status), ['stopped', 'completed', 'failed']);
      assert.equal(store.readRows(runId).at(-1)!.attempt, 3, 'a refused start is an attempt too');
    });
  });

  test('a bad data path fails fast with the reason in the end row', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('baddata'));
    const missing = path.join(store.root, 'no-such-dataset');
    const run = store.createRun(smallRun({ data: missing }));
    const t0 = Date.now();
    const job = await PytorchJob.start({ store, runId: run.id, python });
    const result = await job.done;
    const elapsed = Date.now() - t0;
    assert.equal(result.status, 'failed');
    assert.equal(result.exitCode, 1);
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    const rows = store.readRows(run.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.type, 'end');
    assert.match((rows[0] as { error: string }).error, /data path does not exist/);
    assert.ok((rows[0] as { error: string }).error.includes(missing));
  });

  test('a non-finite loss fails the run with a clear error', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('nan'));
    const run = store.createRun(smallRun({ modelName: 'Exploding', modelArgs: 'depth=8, width=8', epochs: 1 }));
    const result = await (await PytorchJob.start({ store, runId: run.id, python })).done;
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /loss became (NaN|infinite) at step \d+/);
    assert.equal(ends(store.readRows(run.id)).length, 1);
  });

  test('a two-process DDP run on the CPU writes one coherent metric stream', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('ddp'));
    const run = store.createRun(smallRun({ syntheticSize: 800, batchSize: 32, epochs: 2, threads: 1, logEvery: 3 }));
    const job = await PytorchJob.start({ store, runId: run.id, python, nproc: 2 });
    const result = await job.done;
    assert.equal(result.status, 'completed', `${result.error}\n${fs.readFileSync(store.paths(run.id).stderr, 'utf8').slice(-3000)}`);
    const rows = store.readRows(run.id);
    assert.deepEqual(job.rows, rows);
    const status = rows.filter((r): r is StatusRow => r.type === 'status');
    assert.equal(status[0]!.worldSize, 2);
    assert.match(status[0]!.device ?? '', /x2 processes/);
    // 640 training images shared by two ranks in batches of 32: 10 steps per epoch.
    assert.equal(status[0]!.stepsPerEpoch, 10);
    assert.equal(status.filter((s) => s.message).length, 1, 'one start row, not one per rank');
    const train = metrics(rows, 'train');
    assertStrictlyIncreasing(train.map((r) => r.step), 'train rows');
    assert.equal(train.at(-1)!.step, 20);
    assert.equal(metrics(rows, 'val').length, 2);
    assert.equal(rows.filter((r) => r.type === 'checkpoint').length, 2);
    assert.equal(ends(rows).length, 1);
    assert.equal(rows.at(-1)!.type, 'end');
    // Window accuracy is averaged over both ranks' images: a multiple of 1/(2 * 32 * steps).
    for (const r of train) assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
  });

  test('stopping a two-process DDP run stops every rank at the same step, with one end row', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('ddpstop'));
    const run = store.createRun(smallRun({ syntheticSize: 8000, batchSize: 32, epochs: 1, threads: 1, logEvery: 2 }));
    let job!: PytorchJob;
    let stopping: Promise<unknown> | undefined;
    job = await PytorchJob.start({
      store, runId: run.id, python, nproc: 2, pollIntervalMs: 20, stopTimeoutMs: 30_000,
      onRow: (r) => {
        if (r.type === 'metric' && !stopping) stopping = job.stop();
      },
    });
    const result = await job.done;
    assert.ok(stopping);
    assert.equal(result.status, 'stopped', `${result.error}\n${fs.readFileSync(store.paths(run.id).stderr, 'utf8').slice(-3000)}`);
    assert.equal(result.error, null, 'stopped by its own end row, not killed');
    const rows = store.readRows(run.id);
    assert.equal(ends(rows).length, 1);
    assert.equal(rows.at(-1)!.type, 'end');
    const ckpt = rows.filter((r): r is CheckpointRow => r.type === 'checkpoint');
    assert.equal(ckpt.length, 1);
    assert.ok(ckpt[0]!.step < 100, `stopped mid-epoch at step ${ckpt[0]!.step} of 100`);
  });

  test('reads CIFAR-10 binary batches, validating on the test batch', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('data'));
    const cifar = path.join(store.root, 'cifar');
    fs.mkdirSync(cifar);
    const record = (i: number) => {
      const b = Buffer.alloc(3073);
      b[0] = i % 10;
      for (let k = 1; k < b.length; k++) b[k] = (i * 31 + k * 7) & 255;
      return b;
    };
    fs.writeFileSync(path.join(cifar, 'data_batch_1.bin'), Buffer.concat(Array.from({ length: 96 }, (_, i) => record(i))));
    fs.writeFileSync(path.join(cifar, 'data_batch_2.bin'), Buffer.concat(Array.from({ length: 64 }, (_, i) => record(i + 96))));
    fs.writeFileSync(path.join(cifar, 'test_batch.bin'), Buffer.concat(Array.from({ length: 40 }, (_, i) => record(i + 500))));
    const cifarRun = store.createRun(smallRun({ data: cifar, batchSize: 32, epochs: 1, inputShape: [1, 3, 32, 32] }));
    const r1 = await (await PytorchJob.start({ store, runId: cifarRun.id, python })).done;
    assert.equal(r1.status, 'completed', r1.error ?? '');
    const s1 = store.readRows(cifarRun.id).find((r): r is StatusRow => r.type === 'status')!;
    assert.deepEqual([s1.trainSize, s1.valSize, s1.stepsPerEpoch], [160, 40, 5]);
  });

  test('reads PNG image folders, in memory or decoded per batch', async (t) => {
    const python = await torchPython(t);
    if (!python) return;
    const store = new RunStore(tempRoot('folder'));

    const folder = path.join(store.root, 'images');
    for (const [k, cls] of ['cat', 'dog', 'eel'].entries()) {
      fs.mkdirSync(path.join(folder, cls), { recursive: true });
      for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(folder, cls, `${i}.png`), png(20, 12, k * 80 + i));
    }
    // The built-in decoder (used when Pillow is absent) must undo the Sub filter exactly.
    const decoded = execFileSync(python, ['-c',
      'import sys; sys.path.insert(0, sys.argv[1]); from resnet_studio.images import decode_png; ' +
      'h, w, c, d = decode_png(sys.argv[2]); print(h, w, c, list(d[:6]), list(d[-3:]))',
      path.resolve(__dirname, '../../python'), path.join(folder, 'dog', '3.png')],
      { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const px = (x: number, y: number, c: number) => (83 * 13 + x * 9 + y * 5 + c * 70) & 255;
    assert.equal(decoded.trim(), `12 20 3 [${[px(0, 0, 0), px(0, 0, 1), px(0, 0, 2), px(1, 0, 0), px(1, 0, 1), px(1, 0, 2)].join(', ')}] [${[px(19, 11, 0), px(19, 11, 1), px(19, 11, 2)].join(', ')}]`);
    // A model with more outputs (10) than the data has classes (3) is allowed.
    const folderRun = store.createRun(smallRun({ data: folder, batchSize: 8, epochs: 1, valSplit: 0.25 }));
    const r2 = await (await PytorchJob.start({ store, runId: folderRun.id, python })).done;
    assert.equal(r2.status, 'completed', r2.error ?? '');
    const s2 = store.readRows(folderRun.id).find((r): r is StatusRow => r.type === 'status')!;
    assert.deepEqual([s2.trainSize, s2.valSize], [27, 9]);

    // Too large to preload (limit 0): decoded per batch by a loader process instead.
    const streamed = store.createRun(smallRun({ data: folder, batchSize: 8, epochs: 1, valSplit: 0.25, modelArgs: 'num_classes=3, width=8', preloadLimit: 0, workers: 1 }));
    const rs = await (await PytorchJob.start({ store, runId: streamed.id, python })).done;
    assert.equal(rs.status, 'completed', rs.error ?? '');
    const streamedRows = store.readRows(streamed.id);
    assert.deepEqual(
      [streamedRows.find((r): r is StatusRow => r.type === 'status')!.trainSize, metrics(streamedRows, 'val').length],
      [27, 1],
    );

    const twoClass = store.createRun(smallRun({ data: folder, modelArgs: 'num_classes=2, width=8' }));
    const r4 = await (await PytorchJob.start({ store, runId: twoClass.id, python })).done;
    assert.equal(r4.status, 'failed');
    assert.match(r4.error ?? '', /3 classes but the model returns only 2/);
  });
});

/** An RGB PNG with filter type 1 (Sub) on every row, which the runner's own decoder must undo. */
function png(width: number, height: number, seed: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 1;
    let prev = [0, 0, 0];
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = (seed * 13 + x * 9 + y * 5 + c * 70) & 255;
        raw[row + 1 + x * 3 + c] = (v - prev[c]!) & 255;
        prev[c] = v;
      }
      prev = prev.slice();
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
