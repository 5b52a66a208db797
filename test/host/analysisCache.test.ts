import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { Analysis } from '../../src/core/ir';
import { AnalysisCache, Debouncer, VersionGate } from '../../src/host/analysisCache';

const analysis = (file: string): Analysis => ({ file, models: [], graph: null, diagnostics: [] });

test('the cache answers only for the version and options it was given', () => {
  const c = new AnalysisCache();
  const a = analysis('v1');
  c.set('u', 1, 'k', a);
  assert.equal(c.get('u', 1, 'k'), a);
  assert.equal(c.get('u', 2, 'k'), undefined);
  assert.equal(c.get('u', 1, 'other'), undefined);
  assert.equal(c.get('v', 1, 'k'), undefined);
});

test('a newer version replaces all results of older ones; an older one never replaces a newer', () => {
  const c = new AnalysisCache();
  c.set('u', 1, 'a', analysis('1a'));
  c.set('u', 1, 'b', analysis('1b'));
  c.set('u', 2, 'a', analysis('2a'));
  assert.equal(c.get('u', 1, 'b'), undefined);
  assert.equal(c.get('u', 2, 'a')?.file, '2a');
  c.set('u', 1, 'a', analysis('late'));
  assert.equal(c.get('u', 2, 'a')?.file, '2a');
  assert.equal(c.get('u', 1, 'a'), undefined);
  assert.deepEqual(c.latest('u', 'a')?.version, 2);
  c.delete('u');
  assert.equal(c.latest('u', 'a'), undefined);
});

test('per-document results are bounded', () => {
  const c = new AnalysisCache(3);
  for (let i = 0; i < 5; i++) c.set('u', 1, `k${i}`, analysis(String(i)));
  assert.equal(c.get('u', 1, 'k0'), undefined);
  assert.equal(c.get('u', 1, 'k1'), undefined);
  assert.equal(c.get('u', 1, 'k4')?.file, '4');
});

test('the debouncer runs only the last request per key, after the delay', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const d = new Debouncer();
    const runs: string[] = [];
    d.schedule('a', 100, () => runs.push('a1'));
    mock.timers.tick(50);
    d.schedule('a', 100, () => runs.push('a2'));
    d.schedule('b', 10, () => runs.push('b'));
    mock.timers.tick(60);
    assert.deepEqual(runs, ['b']);
    assert.equal(d.pending('a'), true);
    mock.timers.tick(40);
    assert.deepEqual(runs, ['b', 'a2']);
    assert.equal(d.pending('a'), false);
    d.schedule('c', 10, () => runs.push('c'));
    d.cancel('c');
    d.schedule('d', 10, () => runs.push('d'));
    d.dispose();
    mock.timers.tick(100);
    assert.deepEqual(runs, ['b', 'a2']);
  } finally {
    mock.timers.reset();
  }
});

test('the version gate drops results that a newer request overtook', () => {
  const g = new VersionGate();
  assert.equal(g.request('u', 3), true);
  assert.equal(g.isCurrent('u', 3), true);
  assert.equal(g.request('u', 4), true);
  assert.equal(g.isCurrent('u', 3), false, 'version 3 finished after 4 was requested: stale');
  assert.equal(g.request('u', 2), false);
  assert.equal(g.request('u', 4), true, 'the same version again is still current');
  assert.equal(g.isCurrent('v', 4), false);
  g.forget('u');
  assert.equal(g.isCurrent('u', 4), false);
});
