/**
 * Convert to Design, the Keras/TF.js writer and the summary export. A converted design must analyse to the
 * source's parameters, MACs and output shape, with torchvision-style stages folded back into built-in blocks;
 * a written model.json must be read back by our Keras reader and built by TF.js (`tf.models.modelFromJSON`,
 * scripts/kerasOracle.ts) with the same parameter count and (channels-first) output shape.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'jsonc-parser';
import { analyzeText } from '../../src/frontends';
import { toDesign } from '../../src/codegen/toDesign';
import { writeKeras } from '../../src/codegen/kerasWriter';
import { CodegenError } from '../../src/codegen/moduleTree';
import { summaryCsv, summaryMarkdown } from '../../src/codegen/summary';
import { GraphBuilder } from '../../src/core/graph';
import { runOracle, type OracleResult } from '../../scripts/kerasOracle';
import { SLOW_MACHINE, exampleModels, templateModels } from './models';

const models = [...exampleModels(), ...templateModels()];

const sources: { label: string; file: string; model?: string; folds: number; custom?: true }[] = [
  { label: 'torchvision resnet50', file: 'test/fixtures/pytorch/torchvision_style.py', model: 'resnet50', folds: 4 },
  { label: 'torchvision resnet18', file: 'test/fixtures/pytorch/torchvision_style.py', model: 'resnet18', folds: 4 },
  { label: 'torchvision resnext50_32x4d', file: 'test/fixtures/pytorch/torchvision_style.py', model: 'resnext50_32x4d', folds: 4 },
  { label: 'torchvision wide_resnet50_2', file: 'test/fixtures/pytorch/torchvision_style.py', model: 'wide_resnet50_2', folds: 4 },
  // Custom blocks: option A written with a LambdaLayer, and squeeze-and-excitation inside the block.
  { label: 'CIFAR LambdaLayer file', file: 'test/fixtures/pytorch/cifar_style.py', folds: 3, custom: true },
  { label: 'squeeze-and-excitation file', file: 'test/fixtures/pytorch/se_style.py', folds: 3, custom: true },
  // Pre-activation blocks fork after their first BatchNorm-ReLU, so only the first stage folds.
  { label: 'pre-activation file', file: 'test/fixtures/pytorch/preact_style.py', folds: 1, custom: true },
  { label: 'Res2Net file (split and concatenate inside the block)', file: 'test/fixtures/pytorch/res2net_style.py', folds: 0 },
  { label: 'Keras functional residual', file: 'test/fixtures/keras/functional-residual.model.json', folds: 0 },
  { label: 'Keras nested functional', file: 'test/fixtures/keras/nested-functional-base.keras2.model.json', folds: 0 },
];

describe('Convert to Design keeps params, MACs and output', () => {
  for (const m of models) {
    it(m.label, () => {
      const d = toDesign(m.graph);
      const a = analyzeText('converted.resnet.json', d.text);
      assert.deepEqual(a.diagnostics.filter((x) => x.severity === 'error'), []);
      assert.deepEqual([a.graph?.params, a.graph?.macs, a.graph?.output], [m.graph.params, m.graph.macs, m.graph.output]);
      assert.deepEqual(d.flattened, [], 'every stage folds back into a built-in block');
      assert.equal(JSON.stringify(parse(d.text)), JSON.stringify(d.design), 'jsonc-parser reads the text');
      assert.ok(!('$schema' in d.design));
    });
  }
  for (const s of sources) {
    it(s.label, () => {
      const src = analyzeText(s.file, readFileSync(s.file, 'utf8'), { ...SLOW_MACHINE, ...(s.model ? { model: s.model } : {}) });
      assert.ok(src.graph);
      const d = toDesign(src.graph);
      const a = analyzeText('converted.resnet.json', d.text);
      assert.deepEqual(a.diagnostics.filter((x) => x.severity === 'error'), []);
      assert.deepEqual([a.graph?.params, a.graph?.macs, a.graph?.output], [src.graph.params, src.graph.macs, src.graph.output]);
      assert.equal(d.folded.length, s.folds);
      assert.equal(d.design.blocks !== undefined, s.custom === true, 'custom blocks only where no built-in block fits');
    });
  }
});

describe('Keras / TF.js model.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resnet-studio-keras-'));
  // Refused: the CIFAR models (a slice) and the ResNeXt ones for TF.js (groups); both are checked below.
  const writable = models.filter((m) => !m.graph.nodes.some((n) => n.op === 'slice' || (n.op === 'Conv2d' && n.attrs['groups'] !== 1)));
  const files = writable.map((m, i) => {
    const file = join(dir, `model_${i}.json`);
    writeFileSync(file, JSON.stringify(writeKeras(m.graph, 'tfjs')));
    return file;
  });
  it('writes every model it does not refuse', () => assert.equal(writable.length, models.length - 10));
  let tfjs: OracleResult[] = [];
  before(async () => {
    tfjs = await runOracle(files, 120_000);
  });
  for (const [i, m] of writable.entries()) {
    it(`${m.label}: our reader and TF.js agree with the source`, () => {
      const back = analyzeText(files[i]!, readFileSync(files[i]!, 'utf8'));
      assert.deepEqual(back.diagnostics.filter((x) => x.severity === 'error'), []);
      assert.deepEqual([back.graph?.params, back.graph?.macs, back.graph?.output], [m.graph.params, m.graph.macs, m.graph.output]);
      const r = tfjs[i]!;
      assert.equal(r.error, null);
      assert.deepEqual([r.params, r.outputs], [m.graph.params, [m.graph.output]]);
    });
  }
  // Models read from Keras and PyTorch files, written back for TF.js.
  const sourcesForTfjs = [
    ['test/fixtures/keras/functional-residual.model.json'],
    ['test/fixtures/keras/squeeze-excite.keras2.model.json'],
    ['test/fixtures/keras/separable.keras2.model.json'],
    ['test/fixtures/keras/depthwise.keras2.model.json'],
    ['test/fixtures/keras/nested-functional-base.keras2.model.json'],
    ['test/fixtures/pytorch/torchvision_style.py', 'resnet18'],
  ] as const;
  const fromSources = sourcesForTfjs.map(([file, model], i) => {
    const src = analyzeText(file, readFileSync(file, 'utf8'), { ...SLOW_MACHINE, ...(model ? { model } : {}) }).graph!;
    const out = join(dir, `source_${i}.json`);
    writeFileSync(out, JSON.stringify(writeKeras(src, 'tfjs')));
    return { label: file.replace(/^.*\//, ''), src, out };
  });
  let tfjsSources: OracleResult[] = [];
  before(async () => {
    tfjsSources = await runOracle(fromSources.map((s) => s.out), 120_000);
  });
  for (const [i, s] of fromSources.entries()) {
    it(`${s.label} written for TF.js: TF.js and our reader agree with the source`, () => {
      const back = analyzeText(s.out, readFileSync(s.out, 'utf8'));
      assert.deepEqual([back.graph?.params, back.graph?.macs, back.graph?.output], [s.src.params, s.src.macs, s.src.output]);
      assert.equal(tfjsSources[i]!.error, null);
      assert.deepEqual([tfjsSources[i]!.params, tfjsSources[i]!.outputs], [s.src.params, [s.src.output]]);
    });
  }
  it('a convolution with one group per channel is written as DepthwiseConv2D', () => {
    const text = readFileSync(fromSources[3]!.out, 'utf8');
    assert.match(text, /"class_name":"DepthwiseConv2D"/);
  });

  it('an nn.Identity is written as a linear activation, not refused', () => {
    const b = new GraphBuilder('Head', 'head.py');
    const x = b.input([1, 3, 8, 8]);
    const c = b.op('Conv2d', { in_channels: 3, out_channels: 4, kernel_size: 3 }, [x], { name: 'conv' });
    const g = b.finish(b.op('Identity', {}, [c], { name: 'fc' }));
    const k = writeKeras(g, 'tfjs');
    assert.deepEqual(k.modelTopology.config.layers.map((l) => l.class_name), ['InputLayer', 'Conv2D', 'Activation']);
    const back = analyzeText('head.model.json', JSON.stringify(k));
    assert.deepEqual([back.graph?.params, back.graph?.output], [112, [1, 4, 6, 6]]);
  });

  it('the option-A shortcut (a slice) is refused, naming the op and its line', () => {
    const cifar = models.find((m) => m.label === 'examples/cifar-resnet20.resnet.json')!;
    assert.throws(() => writeKeras(cifar.graph), (e: unknown) => e instanceof CodegenError && /cannot write slice 'layer2\.0\.shortcut' at cifar-resnet20\.resnet\.json:\d+ as Keras/.test(e.message));
  });
  it('grouped convolutions are refused for TF.js, which would build them ungrouped', () => {
    const resnext = models.find((m) => m.label === 'examples/resnext50_32x4d.resnet.json')!;
    assert.throws(() => writeKeras(resnext.graph, 'tfjs'), /TF\.js's Conv2D has no groups/);
    assert.doesNotThrow(() => writeKeras(resnext.graph, 'keras'));
  });
});

describe('summary export', () => {
  const r18 = models.find((m) => m.label === 'examples/resnet18.resnet.json')!.graph;
  it('Markdown: one row per group and layer, totals underneath', () => {
    const md = summaryMarkdown(r18);
    assert.match(md, /^\| conv1 \(Conv2d\) \| \[1, 64, 112, 112\] \| 9,408 \| 118,013,952 \|$/m);
    assert.match(md, /^\| layer1 \(Sequential\) \|/m);
    assert.match(md, /Total params: 11,689,512\. Total MACs: 1,814,073,344\./);
    assert.match(md, /Residual shortcuts: 8 \(5 identity, 3 projection\)\./);
    const cifar = analyzeText('c.resnet.json', readFileSync('examples/cifar-resnet20.resnet.json', 'utf8')).graph!;
    assert.match(summaryMarkdown(cifar), /Residual shortcuts: 9 \(7 identity, 0 projection, 2 pad\)\./);
  });
  it('CSV: layer rows sum to the total', () => {
    const rows = summaryCsv(r18).trim().split('\n').slice(1).map((l) => l.split(','));
    const layers = rows.filter((r) => r[3] === 'layer');
    assert.equal(layers.reduce((s, r) => s + Number(r[5]), 0), 11689512);
    assert.equal(layers.reduce((s, r) => s + Number(r[6]), 0), 1814073344);
    assert.deepEqual(rows[rows.length - 1]!.slice(0, 4), ['total', 'ResNet-18', '0', 'model']);
  });
});
