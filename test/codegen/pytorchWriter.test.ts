/**
 * The PyTorch writer, judged three ways on every bundled example and template: our own analysis of the
 * generated file gives back the same parameters, MACs, output shape and weight names; real PyTorch builds it
 * and runs a forward pass with the same parameters, MACs and output shape (scripts/torchOracle.py); and
 * `black` leaves it unchanged. The last two are skipped with a message where torch or black is missing.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { analyzeText } from '../../src/frontends';
import { writePyTorch } from '../../src/codegen/pytorchWriter';
import { CodegenError } from '../../src/codegen/moduleTree';
import { GraphBuilder } from '../../src/core/graph';
import { type CodegenModel, SLOW_MACHINE, exampleModels, fixtureModels, templateModels, weightNames } from './models';

const designs: CodegenModel[] = [...exampleModels(), ...templateModels()];
/** PyTorch and Keras sources: written from their IR, checked the same way (only the helper is not expected). */
const others = fixtureModels();
const models: CodegenModel[] = [...designs, ...others];
const dir = mkdtempSync(join(tmpdir(), 'resnet-studio-pytorch-'));
const written = models.map((m, i) => {
  const w = writePyTorch(m.graph, { sourceFile: m.file });
  const file = join(dir, `model_${i}.py`);
  writeFileSync(file, w.code);
  return { ...w, file };
});

const python = process.env['RESNET_STUDIO_PYTHON'] ?? '/usr/bin/python3.11';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
const noTorch = hasTorch || process.env['CI'] === 'true' ? false : `${python} cannot import torch (set RESNET_STUDIO_PYTHON)`;
const hasBlack = spawnSync('black', ['--version'], { stdio: 'ignore' }).status === 0;

describe('generated PyTorch analyses to the same network', () => {
  for (const [i, m] of models.entries()) {
    it(m.label, () => {
      const w = written[i]!;
      const a = analyzeText(w.file, w.code, SLOW_MACHINE);
      assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), []);
      assert.ok(a.graph, 'the generated file builds a model');
      assert.equal(a.graph.params, m.graph.params);
      assert.equal(a.graph.macs, m.graph.macs);
      assert.deepEqual(a.graph.output, m.graph.output);
      // Keras layer names (`block/conv`) are not Python names; every other source keeps its module paths.
      if (!m.file.includes('/keras/')) assert.deepEqual(weightNames(a.graph), weightNames(m.graph), 'state_dict names follow the design');
      if (designs.includes(m)) assert.match(w.code, /def _make_layer\(/, 'stages are built by a helper, not spelled out');
      if (designs.includes(m)) {
        assert.match(w.code, /class \w+\(nn\.Module\):\n    expansion = /, 'blocks are classes');
        const blocks = new Set(m.graph.groups.filter((g) => g.kind === 'block').map((g) => g.label));
        assert.equal(w.code.match(/\n    expansion = /g)?.length, blocks.size, 'one class per block structure');
      }
    });
  }
});

describe('generated PyTorch runs in PyTorch', { skip: noTorch }, () => {
  let results: { params: number | null; macs: number | null; output: unknown; error: unknown }[] = [];
  before(async () => {
    const cases = join(dir, 'cases.json');
    writeFileSync(cases, JSON.stringify(models.map((m, i) => ({ file: written[i]!.file, model: written[i]!.factory, input: m.graph.input }))));
    const { stdout } = await promisify(execFile)(python, ['scripts/torchOracle.py', '--batch', cases], { maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
    results = JSON.parse(stdout) as typeof results;
  });
  for (const [i, m] of models.entries()) {
    it(m.label, () => {
      const r = results[i]!;
      assert.equal(r.error, null);
      assert.deepEqual({ params: r.params, macs: r.macs, output: r.output }, { params: m.graph.params, macs: m.graph.macs, output: m.graph.output });
    });
  }
});

describe('generated PyTorch is formatted as black formats it', { skip: hasBlack || process.env['CI'] === 'true' ? false : 'black is not installed' }, () => {
  it('black --check leaves every file unchanged', () => {
    const r = spawnSync('black', ['--check', '--quiet', '-l', '88', ...written.map((w) => w.file)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('what cannot be written is refused', () => {
  for (const [file, pattern] of [
    ['test/fixtures/pytorch/tensor_ops_style.py', /cannot write compare_scalar 'blocks\.0\.compare' at tensor_ops_style\.py:\d+ as PyTorch/],
    ['test/fixtures/keras/preprocessing.keras2.model.json', /cannot write pointwise 'normalization' at preprocessing\.keras2\.model\.json:\d+ as PyTorch/],
    ['test/fixtures/keras/batchnorm-no-scale.keras2.model.json', /as nn\.BatchNorm2d: it has no argument for scale=False/],
    ['test/fixtures/keras/shared-layers.keras2.model.json', /several inputs \(left, right\)/],
    ['test/fixtures/keras/nested-functional-base.keras2.model.json', /Conv2d 'tiny_resnet\/conv1' at .*:\d+ as PyTorch: Keras pads this strided 'same' convolution unevenly/],
  ] as const) {
    it(file.replace(/^.*\//, ''), () => {
      const a = analyzeText(file, readFileSync(file, 'utf8'), SLOW_MACHINE);
      assert.ok(a.graph);
      assert.throws(() => writePyTorch(a.graph!), (e: unknown) => e instanceof CodegenError && pattern.test(e.message));
    });
  }

  it('names the op and its line', () => {
    const b = new GraphBuilder('Odd', 'odd.py');
    const x = b.input([1, 3, 8, 8]);
    const y = b.op('opaque', { reason: 'x.numpy()' }, [x], { name: 'thing', source: { file: '/tmp/odd.py', line: 12, column: 5, endLine: 12, endColumn: 9 } });
    const g = b.finish(y);
    assert.throws(() => writePyTorch(g), (e: unknown) => e instanceof CodegenError && /opaque 'thing' at odd\.py:12/.test(e.message));
  });
});
