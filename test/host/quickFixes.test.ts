// Quick fixes end to end on the pure side: the front end's edits, matched to editor diagnostics, applied
// to the text, must leave a file that analyses clean.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Diagnostic } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import { type EditorDiagnostic, applyEdits, findCoreDiagnostic, quickFixesFor } from '../../src/host/quickFixes';
import { toZeroBased } from '../../src/host/ranges';

const FILE = 'test/fixtures/json/shape-errors.resnet.json';
const TEXT = readFileSync(FILE, 'utf8');

const asEditor = (d: Diagnostic): EditorDiagnostic => ({ code: d.code, message: d.message, range: toZeroBased(d) });
const errors = (text: string) => analyzeText(FILE, text).diagnostics.filter((d) => d.severity === 'error');

test('applyEdits replaces and inserts at 0-based positions', () => {
  const t = 'ab\ncdef\ng';
  assert.equal(applyEdits(t, [{ range: { start: { line: 1, character: 1 }, end: { line: 1, character: 3 } }, newText: 'XY' }]), 'ab\ncXYf\ng');
  assert.equal(applyEdits(t, [{ range: { start: { line: 0, character: 2 }, end: { line: 0, character: 2 } }, newText: '!' }]), 'ab!\ncdef\ng');
  assert.equal(
    applyEdits(t, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, newText: 'A' },
      { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 1 } }, newText: 'G' },
    ]),
    'Ab\ncdef\nG',
  );
});

test('each attribute fix repairs its own diagnostic and no other', () => {
  const before = errors(TEXT);
  assert.equal(before.length, 3);
  for (const d of before) {
    const fixes = quickFixesFor(before, [asEditor(d)]);
    assert.equal(fixes.length, 1, `one fix for ${d.message}`);
    const f = fixes[0]!;
    assert.equal(f.diagnostic, d);
    assert.equal(f.preferred, true);
    const after = errors(applyEdits(TEXT, f.edits));
    assert.equal(after.length, 2, `${f.title} leaves the two other errors`);
    assert.ok(!after.some((a) => a.line === d.line), `${f.title} removes the error on line ${d.line}`);
  }
});

test('applying every fix leaves the file clean', () => {
  const before = errors(TEXT);
  const fixes = quickFixesFor(before, before.map(asEditor));
  assert.deepEqual(fixes.map((f) => f.title), ['Set in_channels to 3', 'Set num_features to 16', 'Set in_features to 16']);
  const fixed = applyEdits(TEXT, fixes.flatMap((f) => f.edits));
  assert.deepEqual(analyzeText(FILE, fixed).diagnostics, []);
  assert.match(fixed, /"in_features": 16,/);
});

test('a fix is offered only for the exact diagnostic it belongs to', () => {
  const [d] = errors(TEXT);
  const moved = { ...asEditor(d!), range: toZeroBased({ ...d!, line: d!.line + 1, endLine: d!.endLine + 1 }) };
  assert.equal(findCoreDiagnostic([d!], moved), undefined);
  assert.equal(findCoreDiagnostic([d!], { ...asEditor(d!), message: 'other' }), undefined);
  assert.deepEqual(quickFixesFor([d!], [moved]), []);
  assert.deepEqual(quickFixesFor([d!], [asEditor(d!), asEditor(d!)]).length, 1, 'the same diagnostic twice gives its fix once');
});

test('layers inside a block definition get no attribute fix (the edit would change every instance)', () => {
  const text = readFileSync('test/fixtures/json/custom-block-mismatch.resnet.json', 'utf8');
  const a = analyzeText('x.resnet.json', text);
  assert.ok(a.diagnostics.length > 0);
  assert.ok(a.diagnostics.every((d) => !d.fixes), JSON.stringify(a.diagnostics));
});
