// Problems for a file with several models: the union over every model, each diagnostic once, and the shown
// model's own symbolic findings left to its concrete analysis.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { indexFile } from '../../src/frontends/workspaceIndex';
import { fileDiagnostics } from '../../src/host/fileDiagnostics';

const FILE = join(import.meta.dirname, '../e2e/workspace/editor/three_broken.py');
const TEXT = readFileSync(FILE, 'utf8');
const same = (f: string): boolean => f === FILE;

test('every model of the file contributes its error, whichever model is shown', () => {
  const index = indexFile(FILE, TEXT)!;
  for (const shown of ['WideHead', 'BadBlock', 'tiny']) {
    const main = analyzeText(FILE, TEXT, { model: shown });
    const merged = fileDiagnostics(main.diagnostics, shown, index.diagnostics, same);
    const errors = merged.filter((d) => d.severity === 'error');
    assert.deepEqual(errors.map((d) => d.line), [15, 25, 31], `shown ${shown}`);
    assert.equal(new Set(merged.map((d) => `${d.line}:${d.column}:${d.code}:${d.message}`)).size, merged.length, 'each diagnostic once');
    assert.ok(merged.every((d) => !('models' in d)));
  }
});

test('the shown model with chosen arguments is judged by its concrete analysis only', () => {
  const block = readFileSync(join(import.meta.dirname, '../fixtures/pytorch/broken_missing_downsample.py'), 'utf8').replace(/^# resnet-studio:.*$/m, '');
  const file = '/tmp/block.py';
  const index = indexFile(file, block)!;
  const main = analyzeText(file, block, { model: 'ResNetBlock', args: '256, 64' });
  const merged = fileDiagnostics(main.diagnostics, 'ResNetBlock', index.diagnostics, (f) => f === file);
  const indexedOnlyForBlock = index.diagnostics.filter((d) => d.models.every((m) => m === 'ResNetBlock'));
  assert.ok(indexedOnlyForBlock.length > 0, 'the index reads the block symbolically');
  for (const d of indexedOnlyForBlock) if (!main.diagnostics.some((m) => m.message === d.message)) assert.ok(!merged.some((m) => m.message === d.message), d.message);
  // Net's error (it stacks the broken block) is still listed.
  assert.ok(merged.some((d) => index.diagnostics.find((x) => x.message === d.message)?.models.includes('Net')));
});

test('diagnostics of other files are left out', () => {
  const d = { severity: 'error' as const, file: '/elsewhere.py', line: 1, column: 1, endLine: 1, endColumn: 2, code: 'x', message: 'm' };
  assert.deepEqual(fileDiagnostics([d], undefined, [{ ...d, models: ['A'] }], same), []);
});
