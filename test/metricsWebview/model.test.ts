/** The metrics panel's pure derivations: the merge rule, series, header, CSV and alignment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeBatch } from '../../src/protocol/metricsProtocol';
import type { TrainingRow } from '../../src/protocol/trainingProtocol';
import { align, bestValAccuracy, formatDuration, headerOf, seriesOf, toCsv } from '../../webview/metrics/model';

const m = (step: number, split: 'train' | 'val', loss: number, extra: object = {}): TrainingRow => ({ type: 'metric', split, epoch: 1, step, loss, accuracy: 1 - loss, time: 100 + step, ...extra });

test('mergeBatch keeps exactly the rows the holder lacks, and reports gaps', () => {
  const rows = [0, 1, 2, 3, 4].map((i) => m(i, 'train', i / 10));
  assert.deepEqual(mergeBatch(3, 0, rows), { append: rows.slice(3) });
  assert.deepEqual(mergeBatch(3, 3, rows.slice(3)), { append: rows.slice(3) });
  assert.deepEqual(mergeBatch(5, 2, rows.slice(2)), { append: [] });
  assert.deepEqual(mergeBatch(2, 4, rows.slice(4)), { gap: true });
});

test('series use window rows, or epoch rows when a run has no windows; NaN and null are skipped', () => {
  const withWindows = [m(2, 'train', 0.9, { scope: 'window', lr: 0.1, imagesPerSecond: 50 }), m(4, 'train', 0.5, { scope: 'epoch', lr: 0.05 }), m(4, 'val', 0.6), m(5, 'train', Number.NaN)];
  const s = seriesOf(withWindows);
  assert.deepEqual(s.trainLoss, [{ x: 2, y: 0.9 }]);
  assert.deepEqual(s.valLoss, [{ x: 4, y: 0.6 }]);
  assert.deepEqual(s.lr, [{ x: 2, y: 0.1 }]);
  assert.deepEqual(s.imagesPerSecond, [{ x: 2, y: 50 }]);
  const epochsOnly = seriesOf([m(3, 'train', 0.7, { scope: 'epoch', lr: 0.1 }), m(6, 'train', 0.4, { scope: 'epoch', lr: 0.01 })]);
  assert.deepEqual(epochsOnly.trainLoss.map((p) => p.x), [3, 6]);
  assert.deepEqual(epochsOnly.lr.map((p) => p.y), [0.1, 0.01]);
});

test('header: progress, counting-down ETA, the end and its error; a resume clears the old end', () => {
  const rows: TrainingRow[] = [
    { type: 'status', backend: 'tfjs', device: 'cpu', epochs: 2, stepsPerEpoch: 10, step: 0, time: 100 },
    m(5, 'train', 0.8),
    { type: 'status', step: 5, eta: 30, time: 110 },
  ];
  const h = headerOf(rows, 120);
  assert.equal(h.backend, 'tfjs');
  assert.equal(h.totalSteps, 20);
  assert.equal(h.progress, 0.25);
  assert.equal(h.eta, 20);
  assert.equal(h.ended, null);
  const failed = headerOf([...rows, { type: 'end', status: 'failed', error: 'boom' }], 120);
  assert.equal(failed.ended, 'failed');
  assert.equal(failed.error, 'boom');
  assert.equal(failed.eta, null);
  const resumed = headerOf([...rows, { type: 'end', status: 'stopped' }, { type: 'status', message: 'resumed from epoch-1-step-5 at step 5', time: 130 }], 130);
  assert.equal(resumed.ended, null);
  assert.equal(resumed.message, 'resumed from epoch-1-step-5 at step 5');
  assert.equal(headerOf([...rows, { type: 'end', status: 'completed' }], 0).progress, 1);
});

test('CSV: metric and end rows with their row index, quoted where needed', () => {
  const rows: TrainingRow[] = [{ type: 'status', backend: 'x' }, m(1, 'train', 0.5, { lr: 0.1 }), m(1, 'val', 0.4), { type: 'end', status: 'failed', error: 'bad "path", really' }];
  const csv = toCsv([{ info: { id: 'r1', model: 'Net, v2', backend: 'tfjs' }, rows }]).trim().split('\n');
  assert.equal(csv.length, 4);
  assert.equal(csv[1], 'r1,"Net, v2",tfjs,1,metric,train,window,1,1,0.5,0.5,0.1,,101,,');
  assert.equal(csv[2], 'r1,"Net, v2",tfjs,2,metric,val,,1,1,0.4,0.6,,,101,,');
  assert.equal(csv[3], 'r1,"Net, v2",tfjs,3,end,,,,,,,,,,failed,"bad ""path"", really"');
});

test('align joins series on the union of steps with nulls', () => {
  assert.deepEqual(align([[{ x: 1, y: 1 }, { x: 3, y: 3 }], [{ x: 2, y: 20 }]]), [[1, 2, 3], [1, null, 3], [null, 20, null]]);
  assert.deepEqual(align([]), [[]]);
});

test('best validation accuracy and durations', () => {
  assert.equal(bestValAccuracy([m(1, 'val', 0.5), m(2, 'val', 0.2), m(3, 'val', 0.3)]), 0.8);
  assert.equal(bestValAccuracy(undefined), null);
  assert.equal(formatDuration(59.6), '1m 00s');
  assert.equal(formatDuration(3725), '1h 02m');
  assert.equal(formatDuration(null), '');
});
