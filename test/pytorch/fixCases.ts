/** Quick-fix cases shared by fixes.test.ts (re-analysis) and oracle.test.ts (real PyTorch). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../src/core/ir';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { applyEdits, describe } from './helpers';

export interface FixCase {
  file: string;
  model: string;
  input: number[];
  /** Constructor arguments, for a block analysed on its own. */
  args?: string;
  /** Which of the diagnostic's fixes (default: the first). */
  choice?: number;
  /** Which diagnostic carries the fix. */
  pick: (d: Diagnostic) => boolean;
  title: RegExp;
  output: number[];
}

export const fixCases: FixCase[] = [
  {
    file: 'test/fixtures/pytorch/broken_fc.py',
    model: 'resnet26',
    input: [1, 3, 64, 64],
    pick: (d) => d.code === 'shape/in-features',
    title: /in_features to 2048/,
    output: [1, 1000],
  },
  {
    file: 'test/fixtures/pytorch/broken_sequential.py',
    model: 'TinyVGG',
    input: [1, 3, 64, 64],
    pick: (d) => d.code === 'shape/channels',
    title: /in_channels to 32/,
    output: [1, 10],
  },
  {
    file: 'test/fixtures/pytorch/broken_sequential.py',
    model: 'tiny_vgg_features',
    input: [1, 3, 64, 64],
    pick: (d) => d.code === 'shape/channels',
    title: /in_channels to 16/,
    output: [1, 32, 64, 64],
  },
  {
    file: 'test/fixtures/pytorch/broken_shortcut_stride.py',
    model: 'SmallResNet',
    input: [1, 3, 32, 32],
    pick: (d) => d.code === 'shape/residual-add',
    title: /stride/,
    output: [1, 10],
  },
  {
    file: 'test/fixtures/pytorch/broken_missing_downsample.py',
    model: 'Net',
    input: [1, 3, 64, 64],
    pick: (d) => d.code === 'shape/residual-add',
    title: /projection shortcut as identity_downsample/,
    output: [1, 10],
  },
  {
    // The tutorial block on its own, with widths that differ: it builds its own projection.
    file: 'test/fixtures/pytorch/broken_missing_downsample.py',
    model: 'ResNetBlock',
    args: '64, 64, stride=2',
    input: [1, 64, 56, 56],
    pick: (d) => d.code === 'shape/residual-add',
    title: /projection shortcut as identity_downsample/,
    output: [1, 256, 28, 28],
  },
  {
    // torchvision's BasicBlock built without a downsample: its convs come from conv3x3(inplanes, planes, stride).
    file: 'test/fixtures/pytorch/torchvision_style.py',
    model: 'BasicBlock',
    args: '64, 128, 2',
    input: [1, 64, 56, 56],
    pick: (d) => d.code === 'shape/residual-add',
    title: /projection shortcut as downsample/,
    output: [1, 128, 28, 28],
  },
  {
    // A CIFAR block whose option names neither shortcut: the projection, or option A as the second choice.
    file: 'test/fixtures/pytorch/cifar_style.py',
    model: 'BasicBlock',
    args: "16, 32, 2, 'C'",
    input: [1, 16, 32, 32],
    pick: (d) => d.code === 'shape/residual-add',
    title: /projection shortcut/,
    output: [1, 32, 16, 16],
  },
  {
    file: 'test/fixtures/pytorch/cifar_style.py',
    model: 'BasicBlock',
    args: "16, 32, 2, 'C'",
    input: [1, 16, 32, 32],
    choice: 1,
    pick: (d) => d.code === 'shape/residual-add',
    title: /option A/,
    output: [1, 32, 16, 16],
  },
  {
    file: 'test/fixtures/pytorch/broken_missing_downsample.py',
    model: 'Net',
    input: [1, 3, 64, 64],
    pick: (d) => d.code === 'pytorch/unused-argument',
    title: /identity_downsample/,
    output: [1, 10],
  },
  {
    file: 'test/fixtures/pytorch/no_shortcut.py',
    model: 'Net',
    input: [1, 3, 32, 32],
    pick: (d) => d.code === 'shape/residual-add',
    title: /projection shortcut/,
    output: [1, 10],
  },
];

/** The fixed text of a case, and the diagnostic it fixed. */
export function applyFix(c: FixCase): { text: string; fixed: Diagnostic } {
  const text = readFileSync(c.file, 'utf8');
  const a = analyzePytorch(c.file, text, { model: c.model, input: c.input, ...(c.args ? { args: c.args } : {}) });
  const d = a.diagnostics.find(c.pick);
  assert.ok(d, `no diagnostic to fix in ${describe(a.diagnostics)}`);
  const fix = d.fixes?.[c.choice ?? 0];
  assert.ok(fix, `no fix offered for ${d.message}`);
  assert.match(fix.title, c.title);
  for (const e of fix.edits) assert.equal(e.range.file, c.file);
  return { text: applyEdits(text, fix.edits), fixed: d };
}
