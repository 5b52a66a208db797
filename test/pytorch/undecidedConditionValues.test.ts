/**
 * Conditions the analysis cannot decide (`WIDTH > 32`, `hasattr(cfg, 'x')`, `isinstance(x, T)` on unread
 * values), used as values rather than as branches: as a dimension, a layer switch, an operand of arithmetic
 * or comparison, or an item of `filter`. What one decides is unknown (never its guessed truth, never an
 * error PyTorch raises only for that guess); what it does not decide stays exact. The fixtures manifest's
 * rows for test/fixtures/pytorch/unknown_condition_values.py hold the cases PyTorch's totals judge whole;
 * these are the ones whose shapes are only partly known, and the operators one by one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Analysis } from '../../src/core/ir';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { analyzeFile, describe, errorsOf } from './helpers';

const HEAD = 'import torch\nimport torch.nn as nn\nfrom private_cfg import WIDTH\n\n';

/** The snippet's `private_cfg` is never readable, so WIDTH and every condition on it stay undecided. */
function run(body: string, input: number[] = [1, 3, 8, 8]): Analysis {
  return analyzePytorch('snippet.py', HEAD + body, { model: 'M', input, followImports: false });
}

function noErrors(a: Analysis): void {
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
}

const FIXTURE = 'test/fixtures/pytorch/unknown_condition_values.py';

test('x.view(1 + cond, -1): the rows are unknown, the features and the parameters exact, and no false error', () => {
  // PyTorch (WIDTH = 64): output [2, 10], 4618 parameters. Read as False the view was [1, 900] and the
  // Linear(450) a shape error PyTorch never raises.
  const a = analyzeFile(FIXTURE, { model: 'ViewByFlag', input: [1, 3, 32, 32], followImports: false });
  noErrors(a);
  assert.deepEqual(a.graph?.output, [null, 10]);
  assert.equal(a.graph?.params, 4618);
});

test('an undecided condition as a dimension is an unknown dim, with no error', () => {
  const a = run(`class M(nn.Module):
    def forward(self, x):
        y = torch.zeros(WIDTH > 32, 3)
        return x.view(hasattr(WIDTH, "real"), -1), y
`);
  noErrors(a);
  assert.deepEqual(a.graph?.outputs, [
    [null, null],
    [null, 3],
  ]);
});

test('a pooling switch the analysis does not know leaves the sizes it decides unknown, and the rest exact', () => {
  // ceil_mode decides 3 or 4 rows on an 8x8 input (floor((8-3)/2)+1 or ceil((8-3)/2)+1).
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=WIDTH > 32)
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(self.pool(x))
`);
  noErrors(a);
  assert.deepEqual(a.graph?.output, [1, 4, null, null]);
  assert.equal(a.graph?.params, 16);
  assert.equal(a.graph?.macs, null);
  const pool = a.graph!.nodes.find((n) => n.name === 'pool')!;
  assert.equal(pool.attrs['ceil_mode'], null, 'the node shows the switch as unknown, not as the guess');
});

test('a norm whose affine switch is unknown: its weight may be None, so reading it is unknown', () => {
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3, affine=isinstance(WIDTH, str))
        self.conv = nn.Conv2d(3, 4, 1, bias=False)
        self.head = nn.Conv2d(4, self.bn.weight.shape[0], 1)

    def forward(self, x):
        return self.head(self.conv(self.bn(x)))
`);
  noErrors(a);
  // With affine read as true, the head had 3 channels; PyTorch, affine being False, fails on None.shape.
  assert.deepEqual(a.graph?.output, [1, null, 8, 8]);
  assert.equal(a.graph?.params, null);
});

test('arithmetic on a condition that every truth gives alike stays exact', () => {
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8 + 0 * (WIDTH > 32), 1)
        if (WIDTH > 32) >= 0:
            self.extra = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        return self.extra(self.conv(x))
`);
  noErrors(a);
  assert.deepEqual(a.graph?.output, [1, 8, 8, 8]);
  assert.equal(a.graph?.params, 32 + 72);
  assert.ok(!a.diagnostics.some((d) => d.code === 'pytorch/assumption'), describe(a.diagnostics));
});

test('an error only one truth of a condition raises is not reported', () => {
  // 1 / cond is a ZeroDivisionError for False only; the guessed False used to report it.
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        scale = 1 / (WIDTH > 32)
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(x)
`);
  noErrors(a);
  assert.deepEqual(a.graph?.output, [1, 4, 8, 8]);
  assert.equal(a.graph?.params, 16);
});

test('an error every truth of a condition raises is still reported where Python raises it', () => {
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.name = "conv" + hasattr(WIDTH, "real")
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(x)
`);
  assert.deepEqual(
    errorsOf(a).map((d) => [d.line, d.message.split(':')[0]]),
    [[8, 'TypeError']],
    describe(a.diagnostics),
  );
});

test('`cond is True` is as undecided as the condition: the branch it picks is reported as a guess', () => {
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        if (WIDTH > 32) is True:
            self.extra = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.conv(x)
`);
  noErrors(a);
  assert.ok(a.diagnostics.some((d) => d.code === 'pytorch/assumption' && d.line === 9), describe(a.diagnostics));
  assert.equal(a.graph?.params, null);
});

test('what filter keeps and in which order sorted puts undecided items are unknown', () => {
  for (const expr of ['len(list(filter(None, [WIDTH > 32, True])))', 'sorted([WIDTH > 32, 0.5])[0] * 2']) {
    const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, int(4 * ${expr}), 1)

    def forward(self, x):
        return self.conv(x)
`);
    noErrors(a);
    assert.equal(a.graph?.params, null, expr);
    assert.deepEqual(a.graph?.output, [1, null, 8, 8], expr);
  }
});

test('any() settles on a true item and stays undecided on undecided ones', () => {
  const settled = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        if any([WIDTH > 32, True]):
            self.extra = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.extra(self.conv(x))
`);
  noErrors(settled);
  assert.equal(settled.graph?.params, 16 + 20);
  const open = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        if all([WIDTH > 32, True]):
            self.extra = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.conv(x)
`);
  noErrors(open);
  assert.equal(open.graph?.params, null);
});

test('a layer argument computed from a condition: the sizes and counts it decides are unknown, with no false error', () => {
  // Each was a number guessed from the condition's assumed truth, or (as None) a false error. PyTorch (WIDTH =
  // 64) gives [1, 6, 6, 6] with 60 parameters, [1, 6, 10, 10] with 168, [1, 3, 3, 3], [1, 3, 16, 16], [1, 192],
  // and [1, 3, 8, 8] with 3: the known numbers here are its numbers.
  const cases: [layer: string, output: (number | null)[] | null, params: number | null][] = [
    ['nn.Conv2d(3, 6, 3, groups=1 + 2 * (WIDTH > 32))', [1, 6, 6, 6], null],
    ['nn.Conv2d(3, 6, 3, padding=1 + (WIDTH > 32))', [1, 6, null, null], 168],
    ['nn.MaxPool2d(3, stride=1 + (WIDTH > 32))', [1, 3, null, null], 0],
    ['nn.Upsample(scale_factor=1 + (WIDTH > 32))', [1, 3, null, null], 0],
    ['nn.Flatten(2 - (WIDTH > 32))', null, 0],
    ['nn.PReLU(1 + 2 * (WIDTH > 32))', [1, 3, 8, 8], null],
  ];
  for (const [layer, output, params] of cases) {
    const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = ${layer}

    def forward(self, x):
        return self.layer(x)
`);
    noErrors(a);
    assert.deepEqual(a.graph?.output, output, layer);
    assert.equal(a.graph?.params, params, layer);
  }
});

test('what a layer argument does not decide stays exact, and an error every value raises is still raised', () => {
  const kept = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, (1, 2 + (WIDTH > 32)))

    def forward(self, x):
        return self.conv(x)
`);
  noErrors(kept);
  // The kernel's height (1) is known, its width is not.
  assert.deepEqual(kept.graph?.output, [1, 8, 8, null]);
  const raised = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=1 + (WIDTH > 32))

    def forward(self, x):
        return self.conv(x.flatten(1))
`);
  assert.deepEqual(
    errorsOf(raised).map((d) => d.line),
    [11],
    describe(raised.diagnostics),
  );
});

test('x.chunk(1 + cond, 1): the pieces are unknown, not a false error', () => {
  const a = run(`class M(nn.Module):
    def forward(self, x):
        return x.chunk(1 + (WIDTH > 32), 1)[0]
`);
  noErrors(a);
  assert.equal(a.graph?.output, null);
});

test('a branch on an equality and a guess together is a guess, not an assumption the equality states', () => {
  const analyse = (cond: string): Analysis =>
    analyzePytorch(
      'snippet.py',
      `${HEAD}class M(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        if ${cond}:
            self.extra = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.conv(x)
`,
      { model: 'M', input: [1, 3, 8, 8], followImports: false },
    );
  // Without arguments a and b are symbols: \`a == b\` is an equality the analysis may assume and say so.
  const assumed = analyse('a == b');
  noErrors(assumed);
  assert.equal(assumed.graph?.params, 16 + 20);
  assert.ok(!assumed.diagnostics.some((d) => d.message.includes('guessing')), describe(assumed.diagnostics));
  // \`hasattr\` of an unread value is a guess, and so is what depends on it.
  for (const cond of ['a == b and hasattr(WIDTH, "real")', 'a != b or hasattr(WIDTH, "real")', 'a == b and WIDTH', '(a == b) * 1 == hasattr(WIDTH, "real")']) {
    const a = analyse(cond);
    noErrors(a);
    assert.equal(a.graph?.params, null, cond);
    assert.ok(a.diagnostics.some((d) => d.message.includes('guessing')), `${cond}: ${describe(a.diagnostics)}`);
  }
  // An equality that settles the whole keeps it an assumption.
  const settled = analyse('a == b or hasattr(WIDTH, "real")');
  assert.equal(settled.graph?.params, 16 + 20, describe(settled.diagnostics));
});

test('a dict looked up by an undecided condition or an unknown key: what both truths find, else unknown', () => {
  const widths = (expr: string): Analysis =>
    run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, ${expr}, 1)

    def forward(self, x):
        return self.conv(x)
`);
  // Each was the guessed key's entry, the default, or a KeyError PyTorch may never raise.
  for (const expr of ['{True: 8, False: 4}[WIDTH > 32]', '{True: 8}.get(WIDTH > 32, 4)', '{"a": 8}.get(WIDTH, 4)', '8 if (WIDTH > 32) in {True: 1} else 4', '8 if WIDTH in {"a": 1} else 4']) {
    const a = widths(expr);
    noErrors(a);
    assert.equal(a.graph?.params, null, `${expr}: ${describe(a.diagnostics)}`);
  }
  // Both truths find the same entry, or neither is a key.
  const same = widths('{True: 8, False: 8}[WIDTH > 32]');
  noErrors(same);
  assert.equal(same.graph?.params, 32);
  const none = widths('{"a": 8}[WIDTH > 32]');
  assert.deepEqual(errorsOf(none).map((d) => d.message.split(':')[0]), ['KeyError'], describe(none.diagnostics));
});

test("reading back a layer argument the analysis does not know gives an unknown, not None", () => {
  const a = run(`class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(2, stride=1 + (WIDTH > 32))
        self.conv = nn.Conv2d(3, 4 * self.pool.stride, 1)

    def forward(self, x):
        return self.conv(self.pool(x))
`);
  // None * 4 was a TypeError PyTorch never raises (its stride is 2, the conv has 8 channels).
  noErrors(a);
  assert.deepEqual(a.graph?.output, [1, null, null, null]);
  assert.equal(a.graph?.params, null);
});
