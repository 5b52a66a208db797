/**
 * A block analysed with symbolic arguments may raise only because the analysis does not know the
 * arguments (an isinstance check, a comparison, unknown **kwargs, an empty list built from an unknown
 * count): such a raise is information and the totals after it unknown, never an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeFile, describe, errorsOf } from './helpers';

const FILE = 'test/fixtures/pytorch/symbolic_argument_checks.py';

for (const model of ['ChecksSetting', 'ChecksAlpha', 'PassesKwargs', 'ConcatsHeads', 'UnpacksShape', 'ChoosesVersion', 'PrependsToken']) {
  test(`${model} with symbolic arguments: no error, and no certain totals`, () => {
    const a = analyzeFile(FILE, { model });
    assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
    assert.ok(a.diagnostics.some((d) => d.code === 'pytorch/symbolic'), describe(a.diagnostics));
    const g = a.graph;
    if (g) assert.equal(g.params === null || g.macs === null || g.output === null, true, 'a run cut short by an unknown has no certain totals');
  });
}

test('a raise caused by symbolic arguments says what is unknown', () => {
  const a = analyzeFile(FILE, { model: 'ChecksAlpha' });
  const info = a.diagnostics.find((d) => d.code === 'pytorch/unknown-raise');
  assert.ok(info, describe(a.diagnostics));
  assert.equal(info.severity, 'information');
  assert.match(info.message, /ValueError: alpha should be greater than 0.0/);
});

test('with real arguments the same checks are errors where PyTorch raises', () => {
  const a = analyzeFile(FILE, { model: 'ChecksAlpha', args: '-1.0' });
  const err = errorsOf(a);
  assert.equal(err.length, 1, describe(a.diagnostics));
  assert.match(err[0]!.message, /ValueError: alpha should be greater than 0.0 instead of -1.0/);
  const b = analyzeFile(FILE, { model: 'ChoosesVersion', args: '"c"' });
  assert.match(errorsOf(b)[0]?.message ?? '', /Unsupported version c/, describe(b.diagnostics));
});

test('a mismatch between known widths stays an error in a symbolic analysis', () => {
  const a = analyzeFile(FILE, { model: 'KnownMistake' });
  assert.ok(errorsOf(a).some((d) => d.code.startsWith('shape/')), describe(a.diagnostics));
});

test('a module without forward is built but not called: its parameters count, nothing is an error', () => {
  const a = analyzeFile(FILE, { model: 'NoForward' });
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.ok(a.diagnostics.some((d) => d.code === 'pytorch/no-forward' && d.severity === 'information'), describe(a.diagnostics));
  assert.equal(a.graph?.params, 224);
  assert.equal(a.graph?.output, null);
  assert.equal(a.graph?.macs, null);
});

for (const model of ['NormOverChannels', 'TakesSizes']) {
  test(`${model}: what the analysis had to make up (base constructor arguments, forward's extra arguments) raises no error`, () => {
    const a = analyzeFile(FILE, { model });
    assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  });
}

test('given arguments, a base constructor that misses one is an error, as in PyTorch', () => {
  const a = analyzeFile(FILE, { model: 'NormOverChannels', args: 'elementwise_affine=False' });
  assert.match(errorsOf(a)[0]?.message ?? '', /missing 1 required positional argument: 'normalized_shape'/, describe(a.diagnostics));
});
