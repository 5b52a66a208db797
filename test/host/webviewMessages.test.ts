import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageBytes, newNonce, parseWebviewMessage } from '../../src/host/webviewMessages';

test('nonces are fresh and CSP-safe', () => {
  const seen = new Set(Array.from({ length: 50 }, newNonce));
  assert.equal(seen.size, 50);
  for (const n of seen) assert.match(n, /^[A-Za-z0-9_-]{24}$/);
});

test('well-formed messages from the page are accepted', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  const source = { file: '/w/a.py', line: 3, column: 1, endLine: 3, endColumn: 9 };
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', nodeId: 'n4', source }), { type: 'reveal', nodeId: 'n4', source });
  assert.deepEqual(parseWebviewMessage({ type: 'exportedImage', format: 'svg', data: '<svg/>' }), { type: 'exportedImage', format: 'svg', data: '<svg/>' });
  assert.deepEqual(parseWebviewMessage({ type: 'error', message: 'boom' }), { type: 'error', message: 'boom' });
});

test('malformed messages are refused', () => {
  for (const m of [
    null,
    'ready',
    42,
    {},
    { type: 'unknown' },
    { type: 'reveal', nodeId: 'n1' },
    { type: 'reveal', nodeId: 'n1', source: { file: 'a', line: '3', column: 1, endLine: 3, endColumn: 2 } },
    { type: 'reveal', nodeId: 7, source: { file: 'a', line: 3, column: 1, endLine: 3, endColumn: 2 } },
    { type: 'exportedImage', format: 'gif', data: '' },
    { type: 'exportedImage', format: 'png', data: 5 },
  ]) {
    assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
  }
});

test('exported images decode to their bytes', () => {
  assert.equal(Buffer.from(imageBytes('svg', '<svg>é</svg>')).toString('utf8'), '<svg>é</svg>');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(Buffer.from(imageBytes('png', `data:image/png;base64,${png.toString('base64')}`)), png);
  assert.deepEqual(Buffer.from(imageBytes('png', png.toString('base64'))), png);
});
