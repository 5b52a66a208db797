// The catalogue's rules, table-driven: every op has cases in test/fixtures/ops/cases.json whose expected
// shape, learnable parameters, MACs or exception were written by real PyTorch (scripts/refreshOpCases.mjs),
// and a last test re-asks PyTorch so the table cannot drift from it. A few message texts follow, where the
// wording users see matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OP_NAMES, OP_SPECS, type OpName, isOpName, windowOut } from '../src/core/ops';
import type { Attrs } from '../src/core/ir';
import type { Shape } from '../src/core/dims';
import { torchPython } from './training/torchTestEnv';

interface Expected {
  shape: number[] | null;
  params: number | null;
  macs: number | null;
  raises: string | null;
}

interface OpCase {
  op: string;
  attrs: Attrs;
  inputs: number[][];
  module?: string;
  expr?: string;
  torch?: null;
  why?: string;
  expected: Expected;
}

const CASES_PATH = 'test/fixtures/ops/cases.json';
const cases = (JSON.parse(readFileSync(CASES_PATH, 'utf8')) as { cases: OpCase[] }).cases;

const run = (op: OpName, attrs: Attrs, ...inputs: Shape[]) => OP_SPECS[op].infer({ ...OP_SPECS[op].defaults, ...attrs }, inputs);

test('every catalogue op has a case, and every case names a catalogue op', () => {
  const covered = new Set(cases.map((c) => c.op));
  assert.deepEqual(OP_NAMES.filter((op) => !covered.has(op)), [], 'ops without a case');
  assert.deepEqual(cases.filter((c) => !isOpName(c.op)).map((c) => c.op), [], 'cases for unknown ops');
  for (const c of cases) {
    assert.ok(c.expected, `${c.op} ${c.module ?? c.expr}: no expected values (run scripts/refreshOpCases.mjs)`);
    if (c.torch === null) assert.ok(c.why, `${c.op}: a case without PyTorch says why`);
  }
});

for (const c of cases) {
  const what = `${c.op}: ${c.module ?? c.expr ?? c.why} on ${c.inputs.map((s) => `[${s.join(', ')}]`).join(', ')}`;
  test(what, () => {
    assert.ok(isOpName(c.op));
    const r = run(c.op, c.attrs, ...c.inputs);
    const errors = r.issues.filter((i) => i.severity === 'error');
    const e = c.expected;
    if (e.raises !== null) {
      assert.ok(errors.length > 0, `PyTorch raises ${e.raises}; the rule reports no error (shape ${JSON.stringify(r.shape)})`);
    } else {
      assert.deepEqual(errors, [], 'PyTorch runs; the rule reports an error');
      assert.deepEqual(r.shape, e.shape, 'output shape');
      assert.equal(r.macs, e.macs, 'MACs');
    }
    // A module's parameters exist whatever its input; PyTorch counted them before calling it.
    if (e.params !== null) assert.equal(r.params, e.params, 'learnable parameters');
  });
}

test('every op tolerates unknown input shapes', () => {
  for (const op of OP_NAMES) {
    const spec = OP_SPECS[op];
    const inputs: Shape[] = spec.arity === 0 ? [] : spec.arity < 0 ? [null, null] : Array.from({ length: spec.arity }, () => null);
    assert.doesNotThrow(() => spec.infer({ ...spec.defaults }, inputs), op);
  }
});

test('an operand of unknown shape makes a broadcast result unknown, and known operands that cannot be added are still an error', () => {
  assert.equal(run('add', {}, [1, 64, 8, 8], null).shape, null);
  assert.equal(run('mul', {}, [2, 16, 1, 1], null).shape, null);
  assert.equal(run('maximum', {}, null, [3, 5]).shape, null);
  const r = run('add', {}, [1, 64, 8, 8], null, [1, 32, 8, 8]);
  assert.equal(r.shape, null);
  assert.equal(r.issues[0]?.code, 'shape/residual-add');
});

test('messages users read: residual add, symbolic conditions, dimension range, channel fixes', () => {
  const r = run('add', {}, [1, 64, 56, 56], [1, 256, 56, 56]);
  assert.equal(r.issues[0]?.message, 'residual add: main path [1, 64, 56, 56] vs shortcut [1, 256, 56, 56] (channels differ)');
  assert.match(run('add', {}, [1, 64, 28, 28], [1, 64, 56, 56]).issues[0]!.message, /spatial size differs/);
  const sym = run('add', {}, [1, 'intermediate_channels * 4', 8, 8], [1, 'in_channels', 8, 8]);
  assert.equal(sym.issues[0]?.severity, 'warning');
  assert.match(sym.issues[0]!.message, /intermediate_channels \* 4 == in_channels/);
  assert.equal(run('concat', { dim: 4 }, [1, 8, 4, 4], [1, 8, 4, 4]).issues[0]?.message, 'cat: Dimension out of range (expected to be in range of [-4, 3], but got 4)');
  assert.equal(run('concat', { dim: 10 ** 9 }, [1, 8], [1, 8]).issues[0]?.code, 'shape/dim');
  assert.deepEqual(run('Conv2d', { in_channels: 64, out_channels: 64, kernel_size: 3, padding: 1 }, [1, 256, 56, 56]).issues[0]?.fix, { attr: 'in_channels', value: 256 });
  assert.deepEqual(run('Linear', { in_features: 512, out_features: 1000 }, [1, 2048]).issues[0]?.fix, { attr: 'in_features', value: 2048 });
  assert.equal(
    run('expand', { sizes: [2, 7] }, [2, 3]).issues[0]?.message,
    'The expanded size of the tensor (7) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 7].  Tensor sizes: [2, 3]',
  );
  // The last window must start inside the input: MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5 -> 3, not 4.
  assert.equal(windowOut(5, 2, 2, 1, 1, true), 3);
});

test('the expected values are what PyTorch gives today', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const r = spawnSync(process.execPath, ['scripts/refreshOpCases.mjs', '--check'], { encoding: 'utf8', env: { ...process.env, RESNET_STUDIO_PYTHON: python } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
