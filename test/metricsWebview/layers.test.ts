/**
 * The metrics panel's per-layer view as data: one line per telemetry key with its latest values and history,
 * only the current attempts' rows, sorting by any statistic (NaN first from the top, missing values last), the
 * alerts attached to their layers, and the sparkline path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { formatStat, layerView, sortLines, sparklinePath } from '../../webview/metrics/layers';

const layer = (attempt: number, step: number, module: string, stats: Partial<LayerRow>): LayerRow => ({ type: 'layer', attempt, time: 0, step, module, ...stats });
const start = (attempt: number, step: number): TrainingRow => ({ type: 'start', attempt, time: 0, step });

const rows: TrainingRow[] = [
  start(1, 0),
  layer(1, 1, 'conv1', { gradNorm: 0.5, weightNorm: 2 }),
  layer(1, 1, 'relu', { zeroFraction: 0.5, deadFraction: 0 }),
  layer(1, 50, 'conv1', { gradNorm: 0.4, weightNorm: 2.1 }),
  layer(1, 50, 'relu', { zeroFraction: 0.6, deadFraction: 0.1 }),
  layer(1, 100, 'conv1', { gradNorm: 99, weightNorm: 9 }), // superseded: the resume below starts at step 50
  start(2, 50),
  layer(2, 100, 'conv1', { gradNorm: 0.3, weightNorm: 2.2 }),
  layer(2, 100, 'fc', { weightNorm: 1, nonFinite: ['gradNorm', 'updateRatio'] }),
  layer(2, 100, 'relu', { zeroFraction: 0.7, deadFraction: 0.2 }),
];

test('one line per key, latest values and history from the current attempts only, alerts on their layer', () => {
  const v = layerView(rows);
  assert.equal(v.step, 100);
  assert.deepEqual(v.lines.map((l) => l.module), ['conv1', 'relu', 'fc']);
  const conv = v.lines[0]!;
  assert.deepEqual(conv.latest, { gradNorm: 0.3, weightNorm: 2.2 });
  assert.deepEqual(conv.history.gradNorm, [[1, 0.5], [50, 0.4], [100, 0.3]]);
  const fc = v.lines[2]!;
  assert.ok(Number.isNaN(fc.latest.gradNorm!) && Number.isNaN(fc.latest.updateRatio!));
  assert.deepEqual(v.alerts.map((a) => `${a.kind} ${a.module}`), ['nonfinite fc']);
  assert.deepEqual(fc.alerts.map((a) => a.kind), ['nonfinite']);
  assert.deepEqual(layerView([start(1, 0)]), { lines: [], alerts: [], step: null });
});

test('sorting by any statistic: NaN first from the top, layers without it last either way', () => {
  const { lines } = layerView(rows);
  const names = (key: Parameters<typeof sortLines>[1], desc: boolean) => sortLines(lines, key, desc).map((l) => l.module);
  assert.deepEqual(names('gradNorm', true), ['fc', 'conv1', 'relu']);
  assert.deepEqual(names('gradNorm', false), ['conv1', 'fc', 'relu']);
  assert.deepEqual(names('weightNorm', true), ['conv1', 'fc', 'relu']);
  assert.deepEqual(names('zeroFraction', false), ['relu', 'conv1', 'fc']);
  assert.deepEqual(names('module', false), ['conv1', 'fc', 'relu']);
  assert.deepEqual(names('module', true), ['relu', 'fc', 'conv1']);
  assert.deepEqual(names('order', false), ['conv1', 'relu', 'fc']);
});

test('sparkline: scaled into its box, log scale over wide ranges, broken at non-finite values', () => {
  assert.equal(sparklinePath([[0, 1], [10, 3]], 60, 14), 'M0.0 14.0L60.0 0.0');
  assert.equal(sparklinePath([[0, 1], [5, 10], [10, 1000]], 60, 14), 'M0.0 14.0L30.0 9.3L60.0 0.0');
  assert.equal(sparklinePath([[0, 1], [5, NaN], [10, 2]], 10, 10), 'M0.0 10.0M10.0 0.0');
  assert.equal(sparklinePath([[0, NaN]], 10, 10), '');
  assert.equal(formatStat(3e-9, 'gradNorm'), '3.0e-9');
  assert.equal(formatStat(0.256, 'deadFraction'), '26%');
  assert.equal(formatStat(NaN, 'gradNorm'), 'NaN/Inf');
});
