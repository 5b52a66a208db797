// What the host accepts from its webviews: the field-by-field checkers of both protocols, requests paired with
// their answers by id, the one nonce generator, and the decoding of exported images.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newNonce } from '../../src/host/webviewCsp';
import { imageBytes } from '../../src/host/webviewMessages';
import { type FromGraphWebview, GRAPH_REPLIES, type ToGraphWebview, checkFromGraphWebview, isGraphWebviewState } from '../../src/protocol/graphProtocol';
import { isString, messageChecker, oneOf } from '../../src/protocol/guards';
import { MessageHandler } from '../../src/protocol/messages';
import { checkFromMetricsWebview, isMetricsWebviewState } from '../../src/protocol/metricsProtocol';

test('nonces are fresh and CSP-safe', () => {
  const seen = new Set(Array.from({ length: 50 }, () => newNonce()));
  assert.equal(seen.size, 50);
  for (const n of seen) assert.match(n, /^[A-Za-z0-9_-]{24}$/);
});

const source = { file: '/w/a.py', line: 3, column: 1, endLine: 3, endColumn: 9 };

test('graph page: well-formed messages are accepted as they are', () => {
  for (const m of [
    { type: 'ready' },
    { type: 'reveal', nodeId: 'n4', source },
    { type: 'exportedImage', inReplyTo: 3, format: 'svg', data: '<svg/>' },
    { type: 'saveImage', format: 'png', data: 'data:image/png;base64,AAAA' },
    { type: 'requestFailed', inReplyTo: 0, message: 'no graph' },
    { type: 'error', message: 'boom' },
  ]) {
    assert.deepEqual(checkFromGraphWebview(m), { ok: true, message: m });
  }
});

test('graph page: malformed messages are refused, naming what is wrong', () => {
  const refused: [unknown, RegExp][] = [
    [null, /object/],
    ['ready', /object/],
    [42, /object/],
    [[{ type: 'ready' }], /object/],
    [{}, /unknown message type undefined/],
    [{ type: 'unknown' }, /unknown message type "unknown"/],
    [{ type: 'setGraph' }, /unknown message type "setGraph"/],
    [{ type: 'toString' }, /unknown message type/],
    [{ type: 'reveal', nodeId: 'n1' }, /'reveal' .*'source'/],
    [{ type: 'reveal', nodeId: 'n1', source: { ...source, line: '3' } }, /'source'/],
    [{ type: 'reveal', nodeId: 7, source }, /'nodeId'/],
    [{ type: 'exportedImage', inReplyTo: 1, format: 'gif', data: '' }, /'format'/],
    [{ type: 'exportedImage', inReplyTo: 1, format: 'png', data: 5 }, /'data'/],
    [{ type: 'exportedImage', format: 'svg', data: '<svg/>' }, /'inReplyTo'/],
    [{ type: 'exportedImage', inReplyTo: -1, format: 'svg', data: '<svg/>' }, /'inReplyTo'/],
    [{ type: 'exportedImage', inReplyTo: 1.5, format: 'svg', data: '<svg/>' }, /'inReplyTo'/],
    [{ type: 'saveImage', format: 'svg' }, /'data'/],
    [{ type: 'error', message: { text: 'x' } }, /'message'/],
  ];
  for (const [m, why] of refused) {
    const r = checkFromGraphWebview(m);
    assert.equal(r.ok, false, JSON.stringify(m));
    if (!r.ok) assert.match(r.error, why, JSON.stringify(m));
  }
});

test('metrics page: well-formed messages are accepted, malformed ones refused', () => {
  for (const m of [
    { type: 'ready' },
    { type: 'select', shown: ['a', 'b'], focus: 'a', have: { a: 3, b: 0 }, overlay: true },
    { type: 'select', shown: [], focus: null, have: {}, overlay: false },
    { type: 'requestRows', runId: 'a', from: 12 },
    { type: 'stop', runId: 'a' },
    { type: 'resume', runId: 'a' },
    { type: 'saveCsv', fileName: 'a.csv', csv: 'step\n1\n' },
    { type: 'installBackend' },
    { type: 'error', message: 'boom' },
  ]) {
    assert.deepEqual(checkFromMetricsWebview(m), { ok: true, message: m });
  }
  for (const m of [
    { type: 'select', shown: 'a', focus: null, have: {} },
    { type: 'select', shown: ['a'], focus: 3, have: {} },
    { type: 'select', shown: ['a'], focus: null, have: { a: -1 } },
    { type: 'select', shown: ['a'], focus: null, have: [] },
    { type: 'select', shown: ['a'], focus: null },
    { type: 'requestRows', runId: 'a', from: '12' },
    { type: 'requestRows', runId: 'a', from: 1.5 },
    { type: 'stop' },
    { type: 'saveCsv', fileName: 'a.csv' },
    { type: 'rows', runId: 'a', from: 0, rows: [] },
  ]) {
    assert.equal(checkFromMetricsWebview(m).ok, false, JSON.stringify(m));
  }
});

test('a checker must cover every message and field with a guard no wider than the field (checked by tsc)', () => {
  type Msg = { type: 'a'; format: 'svg' | 'png' } | { type: 'b'; note?: string };
  const good = messageChecker<Msg>({ a: { format: oneOf('svg', 'png') }, b: { note: (v): v is string | undefined => v === undefined || isString(v) } });
  assert.equal(good({ type: 'b' }).ok, true);
  // @ts-expect-error -- message 'b' has no checker
  messageChecker<Msg>({ a: { format: oneOf('svg', 'png') } });
  // @ts-expect-error -- field 'format' has no guard
  messageChecker<Msg>({ a: {}, b: { note: isString } });
  // @ts-expect-error -- a guard admitting any string is wider than 'svg' | 'png'
  messageChecker<Msg>({ a: { format: isString }, b: { note: isString } });
});

test('persisted page states are checked before they are trusted', () => {
  assert.ok(isGraphWebviewState({ file: null, collapsed: ['layer1'], heat: 'macs' }));
  assert.ok(!isGraphWebviewState({ file: '/a', collapsed: 'layer1', heat: 'macs' }));
  assert.ok(!isGraphWebviewState({ file: '/a', collapsed: [], heat: 'flops' }));
  assert.ok(!isGraphWebviewState(undefined));
  assert.ok(isMetricsWebviewState({ shown: ['a'], focus: null }));
  assert.ok(!isMetricsWebviewState({ shown: [1], focus: null }));
});

/** A host end of the graph protocol whose page is played by the test. */
function hostEnd(timeoutMs = 5_000) {
  const sent: ToGraphWebview[] = [];
  const problems: string[] = [];
  const handled: FromGraphWebview[] = [];
  const end = new MessageHandler<ToGraphWebview, FromGraphWebview, typeof GRAPH_REPLIES>({
    post: (m) => sent.push(m),
    check: checkFromGraphWebview,
    replies: GRAPH_REPLIES,
    timeoutMs,
    handlers: { ready: (m) => handled.push(m), saveImage: (m) => handled.push(m), error: () => { throw new Error('handler bug'); } },
    onProblem: (p) => problems.push(p),
  });
  const requestIdOf = (i: number): number => {
    const m = sent[i];
    assert.ok(m && m.type === 'requestExport');
    return m.requestId;
  };
  return { end, sent, problems, handled, requestIdOf };
}

test('two quick export requests each get their own image, whatever order the answers come in', async () => {
  const { end, requestIdOf, problems } = hostEnd();
  const svg = end.request({ type: 'requestExport', format: 'svg' });
  const png = end.request({ type: 'requestExport', format: 'png' });
  const [a, b] = [requestIdOf(0), requestIdOf(1)];
  assert.notEqual(a, b);
  assert.equal(end.pendingCount, 2);
  end.receive({ type: 'exportedImage', inReplyTo: b, format: 'png', data: 'data:image/png;base64,AAAA' });
  end.receive({ type: 'exportedImage', inReplyTo: a, format: 'svg', data: '<svg/>' });
  assert.deepEqual(await svg, { type: 'exportedImage', inReplyTo: a, format: 'svg', data: '<svg/>' });
  assert.equal((await png).format, 'png');
  assert.equal(end.pendingCount, 0);
  assert.deepEqual(problems, []);
});

test('a failed request rejects with the page\'s reason; a wrong or stray answer is not taken for another', async () => {
  const { end, requestIdOf, problems } = hostEnd();
  const failed = end.request({ type: 'requestExport', format: 'png' });
  end.receive({ type: 'requestFailed', inReplyTo: requestIdOf(0), message: 'the graph is empty' });
  await assert.rejects(failed, /the graph is empty/);

  const next = end.request({ type: 'requestExport', format: 'svg' });
  end.receive({ type: 'exportedImage', inReplyTo: requestIdOf(0), format: 'svg', data: 'late' });
  assert.equal(end.pendingCount, 1, 'an answer to a settled request settles nothing else');
  assert.match(problems.join('\n'), /not pending/);
  end.receive({ type: 'exportedImage', format: 'svg', data: 'unsolicited' });
  assert.equal(end.pendingCount, 1, 'an answer without an id is refused');
  end.receive({ type: 'requestFailed', inReplyTo: requestIdOf(1) + 1000, message: 'x' });
  end.receive({ type: 'exportedImage', inReplyTo: requestIdOf(1), format: 'svg', data: '<svg/>' });
  assert.equal((await next).data, '<svg/>');
});

test('requests reject when the page goes away or never answers', async () => {
  const { end, problems } = hostEnd(50);
  const slow = end.request({ type: 'requestExport', format: 'svg' });
  await assert.rejects(slow, /no answer to 'requestExport' within 50 ms/);
  const reloaded = end.request({ type: 'requestExport', format: 'svg' });
  end.cancelPending('the graph page was reloaded');
  await assert.rejects(reloaded, /reloaded/);
  const closed = end.request({ type: 'requestExport', format: 'png' });
  end.dispose();
  await assert.rejects(closed, /closed/);
  assert.equal(end.pendingCount, 0);
  assert.deepEqual(problems, []);
});

test('refused messages never reach a handler; a throwing handler is reported, not thrown', () => {
  const { end, handled, problems } = hostEnd();
  end.receive({ type: 'ready' });
  end.receive({ type: 'saveImage', format: 'gif', data: '' });
  end.receive({ type: 'reveal', nodeId: 'n1' });
  assert.deepEqual(handled, [{ type: 'ready' }]);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /refused a message .*'format'.*"gif"/);
  assert.doesNotThrow(() => end.receive({ type: 'error', message: 'x' }));
  assert.match(problems[2]!, /handling 'error' failed: Error: handler bug/);
});

test('exported images decode to their bytes', () => {
  assert.equal(Buffer.from(imageBytes('svg', '<svg>é</svg>')).toString('utf8'), '<svg>é</svg>');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(Buffer.from(imageBytes('png', `data:image/png;base64,${png.toString('base64')}`)), png);
  assert.deepEqual(Buffer.from(imageBytes('png', png.toString('base64'))), png);
});
