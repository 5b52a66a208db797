/** Label measurements shared between elements: measured once per font, text and metrics mode, never mixed up. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type cytoscape from 'cytoscape';
import { shareLabelMetrics } from '../../webview/graph/labelMetrics';

interface Dims {
  width: number;
  height: number;
  labelActualAscent: number;
  labelActualDescent: number;
}

/** An element as the renderer reads it: only its resolved text properties. */
function ele(style: Partial<Record<'font-style' | 'font-weight' | 'font-size' | 'font-family' | 'text-metrics', string | number>> = {}): unknown {
  const s = { 'font-style': 'normal', 'font-weight': 'normal', 'font-size': 13, 'font-family': 'sans-serif', 'text-metrics': 'font', ...style };
  return { pstyle: (name: keyof typeof s) => ({ strValue: String(s[name]), pfValue: s[name] }) };
}

/** A stand-in renderer whose measurement depends on the text and the font, and counts its calls. */
function fakeCy(): { cy: cytoscape.Core; calls: string[]; measure: (e: unknown, text: string) => Dims } {
  const calls: string[] = [];
  const renderer = {
    calculateLabelDimensions(e: { pstyle(n: string): { strValue: string; pfValue: number } }, text: string): Dims {
      calls.push(text);
      const size = Number(e.pstyle('font-size').pfValue);
      const bold = e.pstyle('font-weight').strValue === 'bold' ? 1 : 0;
      return { width: text.length * size + bold, height: size, labelActualAscent: 0, labelActualDescent: 0 };
    },
  };
  const cy = { renderer: () => renderer } as unknown as cytoscape.Core;
  return { cy, calls, measure: (e, text) => (renderer.calculateLabelDimensions as (e: unknown, t: string) => Dims).call(renderer, e, text) };
}

describe('shared label metrics', () => {
  test('a label repeated on many elements is measured once', () => {
    const { cy, calls, measure } = fakeCy();
    shareLabelMetrics(cy);
    for (let i = 0; i < 50; i++) assert.deepEqual(measure(ele(), 'conv 3×3'), { width: 8 * 13, height: 13, labelActualAscent: 0, labelActualDescent: 0 });
    assert.deepEqual(calls, ['conv 3×3']);
  });

  test('another text, size, weight, family or metrics mode is measured anew', () => {
    const { cy, calls, measure } = fakeCy();
    shareLabelMetrics(cy);
    measure(ele(), 'relu');
    assert.equal(measure(ele(), 'bn').width, 2 * 13);
    assert.equal(measure(ele({ 'font-size': 11 }), 'relu').width, 4 * 11);
    assert.equal(measure(ele({ 'font-weight': 'bold' }), 'relu').width, 4 * 13 + 1);
    measure(ele({ 'font-family': 'monospace' }), 'relu');
    measure(ele({ 'text-metrics': 'glyph' }), 'relu');
    assert.equal(calls.length, 6);
    measure(ele({ 'font-weight': 'bold' }), 'relu');
    assert.equal(calls.length, 6);
  });

  test('a caller changing a result does not change what later elements get', () => {
    const { cy, measure } = fakeCy();
    shareLabelMetrics(cy);
    const first = measure(ele(), 'add');
    first.width = 999;
    assert.equal(measure(ele(), 'add').width, 3 * 13);
    const second = measure(ele(), 'add');
    second.height = -1;
    assert.equal(measure(ele(), 'add').height, 13);
  });

  test('a renderer without the measurement is left alone', () => {
    const renderer = {};
    shareLabelMetrics({ renderer: () => renderer } as unknown as cytoscape.Core);
    assert.deepEqual(renderer, {});
    shareLabelMetrics({} as unknown as cytoscape.Core);
  });
});
