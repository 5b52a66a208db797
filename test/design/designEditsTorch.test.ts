/**
 * Designs changed by graph edits, checked against real PyTorch: each edited design is written as PyTorch
 * code, run by scripts/torchOracle.py, and must have the analysis's parameters, MACs and output shape, with
 * the module paths the edit promised (`layer1.0.downsample.0` for shortcut C, as torchvision names it).
 * Skipped where PyTorch is not installed (never under CI=true).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyDesignEdit } from '../../src/frontends/designEdits';
import { analyzeDesign } from '../../src/frontends/resnetJson';
import { writePyTorch } from '../../src/codegen/pytorchWriter';
import type { DesignEdit } from '../../src/protocol/designEditProtocol';

const python = process.env['RESNET_STUDIO_PYTHON'] ?? '/usr/bin/python3.11';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
const noTorch = hasTorch || process.env['CI'] === 'true' ? false : `${python} cannot import torch (set RESNET_STUDIO_PYTHON)`;

interface Case {
  label: string;
  example: string;
  edits: DesignEdit[];
  /** Module paths PyTorch must have after the edit. */
  modules: string[];
}

const CASES: Case[] = [
  {
    label: 'ResNet-18 with shortcut C (a projection on every block)',
    example: 'resnet18',
    edits: [{ kind: 'setShortcut', stage: 'layer1', shortcut: 'C' }],
    modules: ['layer1.0.downsample.0', 'layer1.1.downsample.1', 'layer4.1.downsample.0'],
  },
  {
    label: 'SE-ResNet-50: squeeze-and-excitation inside the bottleneck',
    example: 'resnet50',
    edits: [{ kind: 'insert', after: 'layer1.0.bn3', item: 'squeeze-excitation' }],
    modules: ['layer1.0.se_reduce', 'layer4.2.se_expand'],
  },
  {
    label: 'CIFAR ResNet-20 with shortcut B, a wider stem, a conv-bn-relu and dropout before the head',
    example: 'cifar-resnet20',
    edits: [
      { kind: 'setShortcut', stage: 'layer2', shortcut: 'B' },
      { kind: 'setLayer', layer: 'conv1', key: 'out_channels', value: 32 },
      { kind: 'insert', after: 'relu', item: 'conv-bn-relu' },
      { kind: 'insert', after: 'flatten', item: 'dropout' },
      { kind: 'addBlock', stage: 'layer3' },
      { kind: 'setNumClasses', value: 100 },
    ],
    modules: ['layer1.0.downsample.0', 'conv_1', 'bn_1', 'relu_1', 'dropout', 'layer3.3.conv2'],
  },
  {
    label: 'ResNet-34 with a fifth stage and a 5×5 conv2 in every block',
    example: 'resnet34',
    edits: [
      { kind: 'addStage', after: 'layer4' },
      { kind: 'setLayer', layer: 'layer1.0.conv2', key: 'kernel_size', value: 5 },
      { kind: 'setLayer', layer: 'layer1.0.conv2', key: 'padding', value: 2 },
      // 448 keeps every stride-2 input even (layer5 sees 14×14).
      { kind: 'setInput', shape: [1, 3, 448, 448] },
    ],
    modules: ['layer5.1.conv2'],
  },
];

const dir = mkdtempSync(join(tmpdir(), 'resnet-studio-edits-'));
const built = CASES.map((c, i) => {
  let text = readFileSync(`examples/${c.example}.resnet.json`, 'utf8');
  for (const e of c.edits) {
    const r = applyDesignEdit(text, e);
    if (!r.ok) throw new Error(`${c.label}: ${r.error}`);
    text = r.text;
  }
  const a = analyzeDesign(`${c.example}.resnet.json`, text);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (!a.graph || errors.length) throw new Error(`${c.label}: ${errors[0]?.message ?? 'no graph'}`);
  const w = writePyTorch(a.graph, { sourceFile: `${c.example}.resnet.json` });
  const file = join(dir, `edited_${i}.py`);
  writeFileSync(file, w.code);
  return { graph: a.graph, file, factory: w.factory };
});

describe('edited designs run in PyTorch with the analysed counts and the promised module names', { skip: noTorch }, () => {
  let results: { params: number | null; macs: number | null; output: unknown; error: unknown; layers: { name: string }[] }[] = [];
  before(async () => {
    const cases = join(dir, 'cases.json');
    writeFileSync(cases, JSON.stringify(built.map((b) => ({ file: b.file, model: b.factory, input: b.graph.input }))));
    const { stdout } = await promisify(execFile)(python, ['scripts/torchOracle.py', '--batch', cases], { maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
    results = JSON.parse(stdout) as typeof results;
  });
  for (const [i, c] of CASES.entries()) {
    it(c.label, () => {
      const r = results[i]!;
      const g = built[i]!.graph;
      assert.equal(r.error, null);
      assert.deepEqual({ params: r.params, macs: r.macs, output: r.output }, { params: g.params, macs: g.macs, output: g.output });
      const names = new Set(r.layers.map((l) => l.name));
      for (const m of c.modules) assert.ok(names.has(m), `PyTorch has no module ${m}`);
    });
  }
});
