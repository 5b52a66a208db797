import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, SETTING_KEYS, parseSettings, parseShapeText } from '../../src/host/settings';

const from = (values: Record<string, unknown>) => parseSettings((k) => values[k]);

test('unset settings give the defaults', () => {
  assert.deepEqual(from({}), DEFAULT_SETTINGS);
});

test('valid values are taken', () => {
  const s = from({
    [SETTING_KEYS.defaultInputShape]: [2, 1, 28, 28],
    [SETTING_KEYS.inlayHints]: false,
    [SETTING_KEYS.codeLens]: false,
    [SETTING_KEYS.layoutDirection]: 'RIGHT',
    [SETTING_KEYS.autoCollapseThreshold]: 0,
    [SETTING_KEYS.runsDirectory]: ' runs ',
    [SETTING_KEYS.pythonPath]: '/usr/bin/python3.11',
    [SETTING_KEYS.backend]: 'pytorch',
    [SETTING_KEYS.extraPaths]: [' vendor ', '', 3, 'lib/src'],
  });
  assert.deepEqual(s, {
    analysis: { defaultInputShape: [2, 1, 28, 28], extraPaths: ['vendor', 'lib/src'] },
    editor: { inlayHints: false, codeLens: false },
    graph: { layoutDirection: 'RIGHT', autoCollapseThreshold: 0 },
    training: { runsDirectory: 'runs', pythonPath: '/usr/bin/python3.11', backend: 'pytorch' },
  });
});

test('wrong types and out-of-range values fall back to defaults', () => {
  const s = from({
    [SETTING_KEYS.defaultInputShape]: [1, 3, -4, 4],
    [SETTING_KEYS.inlayHints]: 'no',
    [SETTING_KEYS.layoutDirection]: 'UP',
    [SETTING_KEYS.autoCollapseThreshold]: -1,
    [SETTING_KEYS.runsDirectory]: '',
    [SETTING_KEYS.backend]: 'jax',
  });
  assert.deepEqual(s.analysis.defaultInputShape, DEFAULT_SETTINGS.analysis.defaultInputShape);
  assert.equal(s.editor.inlayHints, true);
  assert.equal(s.graph.layoutDirection, 'DOWN');
  assert.equal(s.graph.autoCollapseThreshold, DEFAULT_SETTINGS.graph.autoCollapseThreshold);
  assert.equal(s.training.runsDirectory, DEFAULT_SETTINGS.training.runsDirectory);
  assert.equal(s.training.backend, DEFAULT_SETTINGS.training.backend);
  assert.deepEqual(from({ [SETTING_KEYS.defaultInputShape]: [1.5, 3] }).analysis.defaultInputShape, [1, 3, 224, 224]);
  assert.deepEqual(from({ [SETTING_KEYS.autoCollapseThreshold]: 12.7 }).graph.autoCollapseThreshold, 12);
});

test('the defaults are not shared between reads', () => {
  const a = from({});
  a.analysis.defaultInputShape.push(9);
  assert.deepEqual(from({}).analysis.defaultInputShape, [1, 3, 224, 224]);
});

test('shapes typed by the user', () => {
  for (const text of ['1,3,224,224', '(1, 3, 224, 224)', '[1 3 224 224]', '1x3x224x224', ' 1 , 3,224 ,224 ']) {
    assert.deepEqual(parseShapeText(text), [1, 3, 224, 224], text);
  }
  assert.deepEqual(parseShapeText('(8, 10)'), [8, 10]);
  for (const bad of ['', '()', '1', '1,3,0,4', '1,3,a,4', '1,3,2.5,4', '1,2,3,4,5,6,7']) {
    assert.equal(typeof parseShapeText(bad), 'string', bad);
  }
});
