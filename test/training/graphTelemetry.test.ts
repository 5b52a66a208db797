/**
 * The graph's telemetry overlay as data (webview/graph/telemetry.ts): the slider's steps, each layer's value at
 * a step (live and replayed alike), heat levels on the params/MACs scale, and skip widths from the
 * branch-to-skip ratio.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerRow, TrainingRow } from '../../src/protocol/trainingProtocol';
import { heatLevels, indexTelemetry, skipWidth, valuesAt } from '../../webview/graph/telemetry';

const layer = (attempt: number, step: number, module: string, stats: Partial<LayerRow>): LayerRow => ({ type: 'layer', attempt, time: 0, step, module, ...stats });

const rows: TrainingRow[] = [
  { type: 'start', attempt: 1, time: 0, step: 0 },
  layer(1, 1, 'conv1', { gradNorm: 1 }),
  layer(1, 1, 'relu', { zeroFraction: 0.5 }),
  layer(1, 50, 'conv1', { gradNorm: 2 }),
  layer(1, 100, 'conv1', { gradNorm: 99 }), // superseded by the resume from step 50
  { type: 'start', attempt: 2, time: 0, step: 50 },
  layer(2, 100, 'conv1', { nonFinite: ['gradNorm'] }),
  layer(2, 100, 'fc', { gradNorm: 0.001 }),
];

test('steps and values at a step: the newest sample at or before it, current attempts only', () => {
  const index = indexTelemetry(rows);
  assert.deepEqual(index.steps, [1, 50, 100]);
  assert.deepEqual([...valuesAt(index, 'gradNorm', 1)], [['conv1', 1]]);
  assert.deepEqual([...valuesAt(index, 'gradNorm', 75)], [['conv1', 2]]);
  const at100 = valuesAt(index, 'gradNorm', 100);
  assert.ok(Number.isNaN(at100.get('conv1')!));
  assert.equal(at100.get('fc'), 0.001);
  assert.deepEqual([...valuesAt(index, 'zeroFraction', 100)], [['relu', 0.5]], 'a ReLU keeps its last value');
  assert.deepEqual([...valuesAt(index, 'gradNorm', 0)], []);
});

test('heat levels: log scale of magnitudes from 0.15 to 1, zero cold, NaN hottest', () => {
  const h = heatLevels(new Map([['a', 0.001], ['b', 1], ['c', -0.031622776601683794], ['z', 0], ['n', NaN]]));
  assert.equal(h.get('a'), 0.15);
  assert.equal(h.get('b'), 1);
  assert.ok(Math.abs(h.get('c')! - 0.575) < 1e-9);
  assert.equal(h.get('z'), 0);
  assert.equal(h.get('n'), 1);
  assert.deepEqual([...heatLevels(new Map([['only', 5]]))], [['only', 1]]);
});

test('skip widths follow the branch-to-skip ratio: thicker as the branch fades, thinner as it dominates', () => {
  assert.equal(skipWidth(undefined), 2.5);
  assert.equal(skipWidth(1), 2.5);
  assert.equal(skipWidth(1e-3), 8);
  assert.equal(skipWidth(0), 8);
  assert.equal(skipWidth(10), 1);
  assert.ok(skipWidth(0.1) > skipWidth(0.5) && skipWidth(0.5) > skipWidth(2));
});
