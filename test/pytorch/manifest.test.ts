/**
 * Every row of test/fixtures/pytorch/manifest.json (numbers measured by running real PyTorch) through the
 * static reader: output shape, parameters and MACs must be equal, a failing row must have an error
 * diagnostic on the line where PyTorch raised, and a good row must have no error at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OPS } from '../../src/core/ops';
import { analyzeText } from '../../src/frontends';

interface Row {
  file: string;
  model: string;
  args: string | null;
  input: number[];
  expect: { output: number[] | number[][] | null; params: number | null; macs: number | null; errorLine: number | null };
}

const rows = JSON.parse(readFileSync('test/fixtures/pytorch/manifest.json', 'utf8')) as Row[];

/** Layers a row needs that the catalogue does not have yet: such a row cannot match and is reported as a gap. */
function missingLayers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const catalogue = new Set(Object.values(OPS).map((s) => s.torch));
  return ['GroupNorm', 'LayerNorm'].filter((l) => text.includes(`nn.${l}`) && !catalogue.has(`nn.${l}`));
}

for (const row of rows) {
  const name = `${row.file.replace(/^.*\//, '')} ${row.model}(${row.args ?? ''}) @ ${row.input.join('x')}`;
  const gap = row.model.endsWith('_gn') ? missingLayers(row.file) : [];
  test(name, gap.length ? { todo: `needs ${gap.map((g) => `nn.${g}`).join(', ')} in the layer catalogue (src/core/ops.ts)` } : {}, () => {
    const a = analyzeText(row.file, readFileSync(row.file, 'utf8'), { model: row.model, input: row.input, ...(row.args !== null ? { args: row.args } : {}) });
    const ex = row.expect;
    const errors = a.diagnostics.filter((d) => d.severity === 'error');
    assert.ok(!a.diagnostics.some((d) => d.code === 'pytorch/internal' || d.code === 'pytorch/budget'), JSON.stringify(a.diagnostics));
    if (ex.errorLine === null) {
      assert.deepEqual(errors, [], 'a row PyTorch runs has no error diagnostics');
      // PyTorch's output structure: a shape, or a list of shapes for a model returning several tensors.
      assert.deepEqual(a.graph?.outputs ?? a.graph?.output, ex.output, 'output shape');
      assert.equal(a.graph?.macs, ex.macs, 'MACs');
    } else {
      assert.ok(
        errors.some((d) => d.line === ex.errorLine),
        `expected an error at line ${ex.errorLine}, got ${JSON.stringify(errors.map((d) => `${d.line}: ${d.message}`))}`,
      );
    }
    if (ex.params !== null) assert.equal(a.graph?.params, ex.params, 'params');
    else assert.equal(a.graph, null, 'construction failed in PyTorch, so there is no graph');
  });
}

test('the file comment picks the model and input when nothing is given', () => {
  for (const file of ['preact_style.py', 'sequential_ordereddict.py', 'broken_fc.py', 'tutorial_style.py', 'cifar_style.py', 'torchvision_style.py']) {
    const path = `test/fixtures/pytorch/${file}`;
    const a = analyzeText(path, readFileSync(path, 'utf8'));
    const graph = a.graph;
    assert.ok(graph, file);
    // The default case is one of the rows written for the comment (args null, the comment's input).
    const match = rows.find((r) => r.file === path && r.args === null && r.model === graph.name && JSON.stringify(r.input) === JSON.stringify(graph.input));
    assert.ok(match, `${file}: default ${graph.name} @ ${JSON.stringify(graph.input)} is not a comment row`);
    if (match.expect.output) assert.deepEqual(graph.outputs ?? graph.output, match.expect.output);
  }
});
