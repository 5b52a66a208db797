/**
 * String formatting as Python does it: each case is run by our formatter and by the Python on this machine
 * (any python3; torch is not needed), and the two must agree, errors included. Then one model whose submodule
 * names come from `.format`, `%` and f-string specs, analysed end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { FormatError, type FormatHooks, formatMethod, formatValue, percentFormat, pyFloatStr } from '../../src/frontends/pytorch/strformat';
import { PyDict, PyFloat, PyTuple, type Value } from '../../src/frontends/pytorch/values';
import { describe } from './helpers';

/** A value in both languages: its Python source and our value. */
type V = [py: string, ours: Value];
const i = (n: number): V => [String(n), n];
const f = (x: number, py = String(x)): V => [py.includes('.') || py.includes('e') || py.includes('inf') ? py : `${py}.0`, new PyFloat(x)];
const s = (t: string): V => [JSON.stringify(t), t];
const tup = (...vs: V[]): V => [`(${vs.map((v) => v[0]).join(', ')}${vs.length === 1 ? ',' : ''})`, new PyTuple(vs.map((v) => v[1]))];
function dict(entries: [string, V][]): V {
  const d = new PyDict();
  for (const [k, v] of entries) d.set(k, v[1]);
  return [`{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${v[0]}`).join(', ')}}`, d];
}

const hooks: FormatHooks = {
  str: (v) => (v instanceof PyFloat ? pyFloatStr(v.v) : typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : v === null ? 'None' : String(v)),
  repr: (v) => (typeof v === 'string' ? `'${v}'` : hooks.str(v)),
  attr: () => null,
  item: (v, k) => (v instanceof PyTuple && typeof k === 'number' ? v.items[k]! : null),
};

interface Case {
  py: string;
  ours: () => string;
}
const cases: Case[] = [];
const fmt = (t: string, ...args: V[]): void => void cases.push({ py: `${JSON.stringify(t)}.format(${args.map((a) => a[0]).join(', ')})`, ours: () => formatMethod(t, args.map((a) => a[1]), new Map(), hooks) });
const fmtKw = (t: string, kw: [string, V][]): void =>
  void cases.push({ py: `${JSON.stringify(t)}.format(${kw.map(([k, v]) => `${k}=${v[0]}`).join(', ')})`, ours: () => formatMethod(t, [], new Map(kw.map(([k, v]) => [k, v[1]])), hooks) });
const pct = (t: string, arg: V): void => void cases.push({ py: `${JSON.stringify(t)} % ${arg[0]}`, ours: () => percentFormat(t, arg[1], hooks) });
const spec = (v: V, sp: string): void => void cases.push({ py: `format(${v[0]}, ${JSON.stringify(sp)})`, ours: () => formatValue(v[1], sp, hooks) });
const str = (v: V): void => void cases.push({ py: `str(${v[0]})`, ours: () => hooks.str(v[1]) });

fmt('layer{}', i(1));
fmt('layer{}.{}', i(2), i(0));
fmt('{1}-{0}-{1}', s('a'), s('b'));
fmt('{{literal}} {}', i(3));
fmt('{0[1]}', tup(i(4), i(5)));
fmt('{!r} {!s}', s('x'), s('y'));
fmt('{:>6}|{:<6}|{:^7}', s('ab'), s('cd'), s('ef'));
fmt('{:*^9}', s('mid'));
fmt('{:03d} {:+d} {: d} {:x} {:#x} {:X} {:o} {:b} {:,}', i(7), i(7), i(7), i(255), i(255), i(255), i(8), i(5), i(1234567));
fmt('{:.2f} {:.0f} {:e} {:.3e} {:g} {:.3g} {:%} {:.1%}', f(3.14159), f(2.5), f(12345.678), f(0.000123), f(1e-5, '1e-05'), f(1234567), f(0.25), f(0.125));
fmt('{} {} {} {}', f(0.1), f(1e-5, '1e-05'), f(1e16, '1e16'), f(123456789.0));
fmt('{:.3}', f(3.14159));
// Ties of exact binary values round to even, as Python does.
fmt('{:.2f} {:.0f} {:.0f} {:.1f} {:.1f} {:.0e} {:.1e} {:.2g} {:.3g} {:.2e} {:.1%}', f(0.125), f(0.5), f(1.5), f(0.05), f(0.25), f(2.5), f(0.25), f(0.125), f(9.9999), f(9.999), f(0.0625));
pct('%.1f %.2f %.0f', tup(f(0.25), f(1.005), f(2.5)));
fmt('{:{}}', s('w'), i(4));
fmt('{} {}', i(1));
fmt('{0} {}', i(1), i(2));
fmt('{:d}', s('text'));
fmt('}', i(1));
fmtKw('{name}_{idx:02d}', [['name', s('stage')], ['idx', i(3)]]);
fmtKw('{missing}', [['name', s('x')]]);
pct('layer%d', i(1));
pct('denseblock%d.denselayer%d', tup(i(1), i(2)));
pct('%s=%r %5.2f|%-5d|%05d %x %o %%', tup(s('k'), s('v'), f(3.14159), i(42), i(42), i(255), i(8)));
pct('%.3s %c %e %g %i', tup(s('abcdef'), i(65), f(12345.678), f(0.0001), f(3.9)));
pct('%(a)s-%(b)03d', dict([['a', s('x')], ['b', i(7)]]));
pct('%d %d', tup(i(1)));
pct('%d', tup(i(1), i(2)));
pct('%d', s('nope'));
spec(i(5), '>4');
spec(f(-0.5), '08.3f');
spec(s('x'), '');
spec(i(-42), '=+8');
for (const x of [0.1, 1.5, 2.0, 1e-4, 1e-5, 123.0, 1e15, 1e16, 1.7976931348623157e308, 5e-324, -3.25, 1 / 3]) str(f(x, pyRepr(x)));

/** How Python writes a float literal for `x` (a round-trip form it reads back exactly). */
function pyRepr(x: number): string {
  return x.toExponential().replace('e+', 'e');
}

function python(): string | undefined {
  for (const p of [process.env['RESNET_STUDIO_PYTHON'], '/usr/bin/python3.11', 'python3']) {
    if (p && spawnSync(p, ['-c', 'pass']).status === 0) return p;
  }
  return undefined;
}
const py = python();
const missing = 'no python3 to compare against';

test('str.format, % and format specs agree with Python, errors included', { skip: py === undefined && process.env['CI'] !== 'true' ? missing : false }, () => {
  if (!py) throw new Error(`${missing}; CI=true requires it`);
  const script = `import json, sys
out = []
for src in json.load(sys.stdin):
    try:
        out.append(["ok", eval(src)])
    except Exception as e:
        out.append([type(e).__name__, str(e)])
print(json.dumps(out))`;
  const r = spawnSync(py, ['-c', script], { input: JSON.stringify(cases.map((c) => c.py)), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as [string, string][];
  const mismatches: string[] = [];
  cases.forEach((c, k) => {
    let got: [string, string];
    try {
      got = ['ok', c.ours()];
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      got = [e.pyType, e.message];
    }
    const want = expected[k]!;
    // Error messages may differ in wording between Python versions; the exception type must match.
    const same = want[0] === 'ok' ? got[0] === 'ok' && got[1] === want[1] : got[0] === want[0];
    if (!same) mismatches.push(`${c.py}: Python ${JSON.stringify(want)}, ours ${JSON.stringify(got)}`);
  });
  assert.deepEqual(mismatches, []);
  assert.ok(cases.length > 40);
});

test('submodule names built with .format, % and f-string specs are the names PyTorch registers', () => {
  const src = `import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        for i in range(2):
            self.add_module('layer{}'.format(i + 1), nn.Conv2d(3 if i == 0 else 4, 4, 1))
            setattr(self, 'bn%d' % (i + 1), nn.BatchNorm2d(4))
        self.add_module(f'head{2:02d}', nn.Conv2d(4, 2, 1))

    def forward(self, x):
        for i in range(2):
            x = getattr(self, 'bn%d' % (i + 1))(getattr(self, 'layer{}'.format(i + 1))(x))
        return getattr(self, f'head{2:02d}')(x)
`;
  const a = analyzePytorch('names.py', src, { model: 'Net', input: [1, 3, 8, 8] });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], describe(a.diagnostics));
  assert.deepEqual(
    a.graph!.nodes.filter((n) => n.op !== 'input').map((n) => n.name),
    ['layer1', 'bn1', 'layer2', 'bn2', 'head02'],
  );
  assert.equal(a.graph!.params, 3 * 4 + 4 + 8 + (4 * 4 + 4) + 8 + (4 * 2 + 2));
  assert.deepEqual(a.graph!.output, [1, 2, 8, 8]);
});

test('formatting a symbolic width prints it, never a false TypeError', () => {
  const src = `import torch.nn as nn

class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.add_module('conv{:d}x{:03d}'.format(channels, channels), nn.Conv2d(channels, channels, 1))
        self.add_module('bn%d' % channels, nn.BatchNorm2d(channels))

    def forward(self, x):
        return x
`;
  const a = analyzePytorch('sym.py', src, { model: 'Block' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), [], describe(a.diagnostics));
});
