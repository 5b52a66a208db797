/**
 * The host side of the metrics panel, without VS Code: the feed numbers rows by their place in
 * metrics.jsonl (so the panel can drop duplicates and spot gaps), follows appends, waits out torn lines,
 * and survives a replaced file; plus the status-bar wording and the train prompt's validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hyperparametersFrom } from '../../src/host/training/hyperparameters';
import { JobProgress, parseHyperparameters, statusBarText } from '../../src/host/training/progress';
import { RunFeed, toRunInfo } from '../../src/host/training/runFeed';
import { mergeBatch } from '../../src/protocol/metricsProtocol';
import type { TrainingRow } from '../../src/protocol/trainingProtocol';
import { RunStore } from '../../src/training/runStore';

const row = (step: number): TrainingRow => ({ type: 'metric', split: 'train', epoch: 1, step, loss: 1 / step, accuracy: 0.5, time: step });

function freshRun(): { store: RunStore; id: string } {
  const store = new RunStore(fs.mkdtempSync(path.join(os.tmpdir(), 'rs-feed-')));
  const id = store.createRun({ backend: 'tfjs', modelFile: 'examples/tiny-resnet.resnet.json', modelName: 'Tiny ResNet', epochs: 3 }).id;
  return { store, id };
}

test('snapshot, then appended rows arrive once each, numbered by position', () => {
  const { store, id } = freshRun();
  store.appendRows(id, [row(1), row(2)]);
  const feed = new RunFeed(store);
  const panel: TrainingRow[] = [...feed.snapshot(id)];
  assert.equal(panel.length, 2);
  assert.deepEqual(feed.poll(), []);
  store.appendRows(id, [row(3)]);
  // A torn line (a writer mid-row) is not a row yet.
  fs.appendFileSync(store.paths(id).metrics, '{"type":"metric","split":"tr');
  const batches = feed.poll();
  assert.deepEqual(batches, [{ type: 'rows', runId: id, from: 2, rows: [row(3)] }]);
  fs.appendFileSync(store.paths(id).metrics, 'ain","epoch":1,"step":4,"loss":0.25,"accuracy":0.5,"time":4}\n');
  store.appendRows(id, [row(5)]);
  const more = feed.poll();
  assert.equal(more.length, 1);
  assert.equal(more[0]!.from, 3);
  assert.deepEqual(more[0]!.rows.map((r) => (r as { step: number }).step), [4, 5]);
  for (const b of [...batches, ...more]) {
    const m = mergeBatch(panel.length, b.from, b.rows);
    assert.ok('append' in m);
    panel.push(...m.append);
  }
  assert.deepEqual(panel, store.readRows(id), 'what the panel holds is exactly metrics.jsonl');
  // Asking again from an earlier index re-sends from there; merging it adds nothing.
  const again = feed.from(id, 1);
  assert.equal(again.from, 1);
  const merged = mergeBatch(panel.length, again.from, again.rows);
  assert.ok('append' in merged && merged.append.length === 0);
});

test('a replaced (shorter) file is read again from the start', () => {
  const { store, id } = freshRun();
  store.appendRows(id, [row(1), row(2), row(3)]);
  const feed = new RunFeed(store);
  feed.snapshot(id);
  fs.writeFileSync(store.paths(id).metrics, JSON.stringify(row(9)) + '\n');
  assert.deepEqual(feed.poll(), []);
  store.appendRows(id, [row(10)]);
  assert.deepEqual(feed.poll(), [{ type: 'rows', runId: id, from: 1, rows: [row(10)] }]);
  feed.keepOnly([]);
  assert.deepEqual(feed.following(), []);
});

test('run info: status, error from the end row, resumable when a checkpoint exists', () => {
  const { store, id } = freshRun();
  store.appendRows(id, [row(1), { type: 'end', status: 'failed', error: 'data path does not exist: /x' }]);
  const info = toRunInfo(store, store.getRun(id)!, false);
  assert.equal(info.status, 'failed');
  assert.equal(info.error, 'data path does not exist: /x');
  assert.equal(info.model, 'Tiny ResNet');
  assert.equal(info.backend, 'tfjs');
  assert.equal(info.resumable, false);
  fs.mkdirSync(path.join(store.paths(id).checkpoints, 'epoch-1-step-3'));
  assert.equal(toRunInfo(store, store.getRun(id)!, true).resumable, true);
});

test('status bar text: epoch, step, loss and a counting-down ETA', () => {
  const p = new JobProgress('Tiny ResNet');
  p.update({ type: 'status', backend: 'tfjs', epochs: 3, stepsPerEpoch: 15, step: 0 }, 0);
  p.update({ type: 'metric', split: 'train', epoch: 2, step: 20, loss: 0.41234, accuracy: 0.8, time: 1 }, 0);
  p.update({ type: 'status', step: 20, eta: 65 }, 1000);
  assert.equal(p.percent()! .toFixed(1), '44.4');
  assert.equal(statusBarText([p], 6000), '$(pulse) Tiny ResNet: epoch 2/3 · step 20/45 · loss 0.4123 · ETA 1m 00s');
  const q = new JobProgress('Other');
  assert.match(statusBarText([p, q], 6000), /\(\+1\)$/);
  assert.equal(statusBarText([]), '');
});

test('the hyperparameter prompt: defaults round-trip, bad values are named', () => {
  assert.deepEqual(parseHyperparameters('epochs=3, lr=0.1 x'), { values: { epochs: '3', lr: '0.1' }, errors: ["'x' is not key=value"] });
  const ok = hyperparametersFrom('epochs=3 batch=64 lr=0.05 optimizer=adam schedule=step wd=0 val=0.2 augment=false detach=true size=800', 'tfjs');
  assert.deepEqual(ok, { config: { epochs: 3, batchSize: 64, lr: 0.05, optimizer: 'adam', schedule: 'step', weightDecay: 0, valSplit: 0.2, augment: false, syntheticSize: 800 }, detach: true, nproc: 1 });
  assert.match(hyperparametersFrom('epochs=0', 'tfjs') as string, /epochs must be >= 1, got 0/);
  assert.match(hyperparametersFrom('lr=-1', 'tfjs') as string, /lr must be > 0, got -1/);
  assert.match(hyperparametersFrom('val=1', 'tfjs') as string, /val must be < 1, got 1/);
  assert.match(hyperparametersFrom('optimizer=rmsprop', 'tfjs') as string, /"sgd", "adam"/);
  assert.match(hyperparametersFrom('colour=red', 'tfjs') as string, /unknown setting 'colour'/);
  assert.match(hyperparametersFrom('nproc=2', 'tfjs') as string, /needs the PyTorch runner/);
  assert.deepEqual(hyperparametersFrom('nproc=2', 'pytorch'), { config: {}, detach: false, nproc: 2 });
});
