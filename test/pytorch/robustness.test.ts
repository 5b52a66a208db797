/**
 * The reader never crashes or hangs: modern syntax parses, syntax errors are diagnostics while the rest of
 * the file is still analysed, and hostile files stop on a budget with a diagnostic saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Analysis } from '../../src/core/ir';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { analyzeFile, describe, errorsOf } from './helpers';

test('Python 3.8-3.12 syntax parses and runs: annotations, decorators, f-strings, walrus, match, PEP 695, except*', () => {
  const a = analyzeFile('test/fixtures/pytorch/modern_syntax.py', { model: 'Net', input: [1, 3, 8, 8] });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], describe(a.diagnostics));
  assert.deepEqual(a.graph?.output, [1, 10]);
  assert.equal(a.graph?.params, 3 * 8 * 9 + 8 + 16 + 8 * 10 + 10);
});

test('a syntax error is a diagnostic on its line, and the rest of the file is still analysed', () => {
  const file = 'test/fixtures/pytorch/cifar_style.py';
  const lines = readFileSync(file, 'utf8').split('\n');
  // Break an unrelated helper (line 121 is `def count_parameters(net):`) and add a stray line in the middle.
  lines[120] = 'def count_parameters(net:';
  lines.splice(96, 0, 'oops = (1, 2');
  const a = analyzePytorch(file, lines.join('\n'), { model: 'resnet20', input: [1, 3, 32, 32] });
  const syntax = a.diagnostics.filter((d) => d.code === 'syntax/error');
  assert.ok(syntax.length >= 1, describe(a.diagnostics));
  assert.ok(syntax.some((d) => d.line === 97 || d.line === 98), describe(syntax));
  assert.deepEqual(a.graph?.output, [1, 10]);
  assert.equal(a.graph?.params, 269722);
  assert.equal(a.graph?.macs, 40551040);
});

test('a file that is only broken syntax gives diagnostics, not an exception', () => {
  for (const text of ['class (:\n', 'def f(\n', ')))\n', 'import\n', 'x = [1, 2\ny = 3\n', '\tif x:\n  pass\n', 'class A(nn.Module):\n  def __init__(self:\n', '"""unterminated']) {
    const a = analyzePytorch('broken.py', text);
    assert.ok(a.diagnostics.length > 0, text);
    assert.ok(!a.diagnostics.some((d) => d.code === 'pytorch/internal'), describe(a.diagnostics));
  }
});

interface Hostile {
  name: string;
  text: string;
  model?: string;
  /** Code of the diagnostic that must say why the analysis stopped. */
  code: string;
}

const MODEL = (body: string): string =>
  `import torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n${body}\n\n    def forward(self, x):\n        return x\n`;

const hostile: Hostile[] = [
  { name: 'while True at module level', text: 'while True:\n    pass\n', code: 'pytorch/budget' },
  { name: 'while True in __init__', text: MODEL('        i = 0\n        while True:\n            i += 1'), model: 'M', code: 'pytorch/budget' },
  { name: 'unbounded recursion', text: 'def f(n):\n    return f(n + 1)\n\nf(0)\n', code: 'pytorch/budget' },
  { name: 'a module that builds itself', text: MODEL('        self.again = M()'), model: 'M', code: 'pytorch/budget' },
  { name: 'forward that calls itself', text: 'import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return self(x)\n', model: 'M', code: 'pytorch/budget' },
  { name: 'a billion-element list', text: 'x = [0] * 10**9\n', code: 'pytorch/budget' },
  { name: 'range(10**12)', text: 'for i in range(10**12):\n    pass\n', code: 'pytorch/budget' },
  { name: 'a long loop', text: 'x = 0\nfor i in range(900000):\n    x += i\n', code: 'pytorch/budget' },
  { name: '400 nested ifs', text: `${Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}if True:`).join('\n')}\n${' '.repeat(400)}x = 1\n`, code: 'syntax/error|pytorch/unsupported|pytorch/no-model' },
  { name: '3000 nested calls', text: `x = ${'f('.repeat(3000)}${')'.repeat(3000)}\n`, code: 'syntax/error|pytorch/raise|pytorch/no-model' },
  {
    name: 'a 50k-line file',
    text: `${Array.from({ length: 50000 }, (_, i) => `v${i} = ${i} * 2 + len([1, 2, 3])`).join('\n')}\n${MODEL('        self.fc = nn.Linear(4, 4)')}`,
    model: 'M',
    code: 'pytorch/budget',
  },
];

for (const h of hostile) {
  test(`hostile: ${h.name} ends quickly with a diagnostic`, () => {
    const t0 = performance.now();
    let a: Analysis;
    assert.doesNotThrow(() => {
      a = analyzePytorch('hostile.py', h.text, h.model ? { model: h.model } : {});
    });
    const ms = performance.now() - t0;
    // The budget is 1.5 s of analysis; the margin is for a loaded machine.
    assert.ok(ms < 4000, `${h.name} took ${ms.toFixed(0)} ms`);
    const codes = new RegExp(`^(${h.code})$`);
    assert.ok(a!.diagnostics.some((d) => codes.test(d.code)), describe(a!.diagnostics));
    assert.ok(!a!.diagnostics.some((d) => d.code === 'pytorch/internal'), describe(a!.diagnostics));
  });
}

test('a budget diagnostic names the limit that stopped the analysis', () => {
  const a = analyzePytorch('loop.py', 'while True:\n    pass\n');
  const d = a.diagnostics.find((x) => x.code === 'pytorch/budget');
  assert.ok(d);
  assert.equal(d.severity, 'warning');
  assert.equal(d.line, 1);
  assert.match(d.message, /20000 iterations/);
  assert.deepEqual(errorsOf(a).filter((e) => e.code !== 'pytorch/no-model'), []);
});
