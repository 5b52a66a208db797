/**
 * The Python and PyTorch semantics the reader relies on, one small model each: module registration and
 * `named_modules()` paths, parameter counting as `model.parameters()` does it, argument binding, classes,
 * containers, functional calls in `forward`, and errors raised where Python raises them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Analysis } from '../../src/core/ir';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { describe, errorsOf } from './helpers';

const HEAD = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfrom collections import OrderedDict\nfrom functools import partial\n\n';

function run(body: string, model: string, input: number[], args?: string): Analysis {
  return analyzePytorch('snippet.py', HEAD + body, { model, input, ...(args ? { args } : {}) });
}

const names = (a: Analysis): string[] => a.graph!.nodes.filter((n) => n.op !== 'input').map((n) => n.name);
/** 1-based line in the snippet body (after the common header). */
const L = (n: number): number => n + HEAD.split('\n').length - 1;

function clean(a: Analysis): void {
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], describe(a.diagnostics));
}

test('named_modules paths: nested Sequential, OrderedDict, ModuleList, ModuleDict, add_module, setattr', () => {
  const a = run(
    `class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(OrderedDict([("conv", nn.Conv2d(3, 8, 3)), ("act", nn.ReLU())]))
        self.blocks = nn.ModuleList()
        for i in range(2):
            self.blocks.append(nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8)))
        self.heads = nn.ModuleDict({"a": nn.Identity()})
        self.add_module("pool", nn.AdaptiveAvgPool2d(1))
        setattr(self, f"fc{1}", nn.Linear(8, 2))

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = self.heads["a"](x)
        return self.fc1(torch.flatten(self.pool(x), 1))
`,
    'M',
    [1, 3, 10, 10],
  );
  clean(a);
  assert.deepEqual(names(a), ['stem.conv', 'stem.act', 'blocks.0.0', 'blocks.0.1', 'blocks.1.0', 'blocks.1.1', 'heads.a', 'pool', 'flatten', 'fc1']);
  assert.deepEqual(a.graph?.output, [1, 2]);
  const groups = a.graph!.groups.map((g) => `${g.name}:${g.label}`);
  assert.deepEqual(groups, ['stem:Sequential', 'blocks.0:Sequential', 'blocks.1:Sequential']);
});

test('parameters count every registered module once; unregistered ones are not parameters', () => {
  const a = run(
    `class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1, bias=False)
        self.same = self.conv
        self.unused = nn.Linear(10, 10)
        self.plain = [nn.Conv2d(4, 4, 1, bias=False)]

    def forward(self, x):
        x = self.conv(x)
        x = self.same(x.view(1, 3, 4, 4)[:, :, :, :])
        return self.plain[0](self.conv(torch.zeros(1, 3, 4, 4)))
`,
    'M',
    [1, 3, 4, 4],
  );
  assert.deepEqual(errorsOf(a).map((d) => d.line), [L(11)], describe(a.diagnostics));
  // conv (12) once although registered twice and called three times, unused Linear (110); the list's conv is not registered.
  assert.equal(a.graph?.params, 12 + 110);
  assert.ok(a.diagnostics.some((d) => d.code === 'pytorch/unused-module' && d.message.startsWith('unused (Linear)')), describe(a.diagnostics));
  const convs = a.graph!.nodes.filter((n) => n.name === 'conv');
  assert.equal(convs.length, 3);
  assert.deepEqual(convs.map((n) => n.shared ?? false), [false, true, true]);
});

test('a shared module counts its parameters once and its MACs per call', () => {
  const a = run(
    `class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(self.conv(x))
`,
    'M',
    [1, 4, 5, 5],
  );
  clean(a);
  assert.equal(a.graph?.params, 144);
  assert.equal(a.graph?.macs, 2 * 144 * 25);
});

test('classes: local bases, super(Cls, self), class attributes, classmethod, staticmethod, property', () => {
  const a = run(
    `class Base(nn.Module):
    expansion: int = 2

    def __init__(self, c):
        super(Base, self).__init__()
        self.c = c

    @classmethod
    def make(cls, c):
        return cls(c)

    @staticmethod
    def width(c):
        return c * Base.expansion

    @property
    def out(self):
        return self.width(self.c)


class Child(Base):
    expansion = 3

    def __init__(self, c, *args, extra=1, **kw):
        super().__init__(c)
        self.conv = nn.Conv2d(c, self.out * self.expansion + extra + len(args) + len(kw), 1)

    def forward(self, x):
        return self.conv(x)


def child():
    return Child.make(4)
`,
    'child',
    [1, 4, 2, 2],
  );
  clean(a);
  // out = 4 * Base.expansion = 8; 8 * 3 + 1 = 25 channels.
  assert.deepEqual(a.graph?.output, [1, 25, 2, 2]);
});

test('values: partial, aliases, comprehensions, zip, enumerate, min/max, isinstance, dict unpacking', () => {
  const a = run(
    `norm = partial(nn.BatchNorm2d, eps=1e-3)
act = nn.ReLU

def widths(base, n):
    return [base * 2 ** i for i in range(n) if i >= 0]

class M(nn.Module):
    def __init__(self, **cfg):
        super().__init__()
        ws = widths(**{"base": 4, "n": 3})
        pairs = list(zip([3] + ws[:-1], ws))
        layers = []
        for i, (cin, cout) in enumerate(pairs):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), norm(cout), act(inplace=True)]
        self.body = nn.Sequential(*layers)
        assert isinstance(self.body, nn.Sequential) and not isinstance(ws, tuple)
        self.fc = nn.Linear(max(ws), min(10, cfg.get("classes", 7)))

    def forward(self, x):
        return self.fc(self.body(x).mean([2, 3]))
`,
    'M',
    [2, 3, 8, 8],
  );
  clean(a);
  assert.deepEqual(a.graph?.output, [2, 7]);
  const bn = a.graph!.nodes.find((n) => n.op === 'BatchNorm2d');
  assert.equal(bn?.attrs['eps'], 0.001);
});

test('forward: view, reshape, size, shape, strided slices, F.pad, torch.cat, torch.add, flatten', () => {
  const a = run(
    `class M(nn.Module):
    def forward(self, x):
        n, c, h, w = x.size()
        y = x[:, :, ::2, 1::2]
        y = F.pad(y, (0, 0, 0, 0, c // 2, c // 2))
        z = torch.cat([y, y], dim=1)
        z = torch.add(z, z)
        z = F.max_pool2d(z, 2)
        z = z.view(z.size(0), -1)
        return z.reshape(x.shape[0], -1, 1).flatten(1)
`,
    'M',
    [2, 4, 8, 6],
  );
  clean(a);
  // slice -> [2, 4, 4, 3]; pad channels -> 8; cat -> 16; pool 2 -> [2, 16, 2, 1]; view -> [2, 32]
  assert.deepEqual(a.graph?.output, [2, 32]);
  assert.deepEqual(a.graph!.nodes.find((n) => n.op === 'slice')?.outputShape, [2, 4, 4, 3]);
});

test('errors are raised where Python raises: missing argument, raise, assert, bad attribute, bad groups', () => {
  const missing = run('class M(nn.Module):\n    def __init__(self, a):\n        super().__init__()\n\n\ndef make():\n    return M()\n', 'make', [1, 3, 4, 4]);
  assert.deepEqual(errorsOf(missing).map((d) => [d.line, d.message]), [[L(7), "TypeError: __init__() missing required argument: 'a'"]]);
  const raised = run('class M(nn.Module):\n    def __init__(self, k=3):\n        super().__init__()\n        if k % 2 == 1:\n            raise ValueError(f"odd kernel {k}")\n', 'M', [1, 3, 4, 4]);
  assert.deepEqual(errorsOf(raised).map((d) => [d.line, d.message]), [[L(5), 'ValueError: odd kernel 3']]);
  assert.equal(raised.graph, null);
  const asserted = run('class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        assert 1 > 2, "no"\n', 'M', [1, 3, 4, 4]);
  assert.deepEqual(errorsOf(asserted).map((d) => [d.line, d.message]), [[L(4), 'AssertionError: no']]);
  const attr = run('class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n\n    def forward(self, x):\n        return self.conv(x)\n', 'M', [1, 3, 4, 4]);
  assert.deepEqual(errorsOf(attr).map((d) => [d.line, d.message]), [[L(6), "AttributeError: 'M' object has no attribute 'conv'"]]);
  const groups = run('class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(\n            6, 8, 3, groups=4)\n', 'M', [1, 6, 4, 4]);
  assert.deepEqual(errorsOf(groups).map((d) => d.line), [L(4)]);
  const early = run('class M(nn.Module):\n    def __init__(self):\n        self.conv = nn.Conv2d(3, 3, 1)\n        super().__init__()\n', 'M', [1, 3, 4, 4]);
  assert.deepEqual(errorsOf(early).map((d) => [d.line, d.message]), [[L(3), 'AttributeError: cannot assign module before Module.__init__() call']]);
});

test('weight-init loops and apply() are no-ops on shapes', () => {
  const a = run(
    `def init(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight, mode="fan_out")
        if m.bias is not None:
            nn.init.zeros_(m.bias)

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.bn = nn.BatchNorm2d(4)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
        self.apply(init)

    def forward(self, x):
        return self.bn(self.conv(x))
`,
    'M',
    [1, 3, 4, 4],
  );
  clean(a);
  assert.equal(a.graph?.params, 16 + 8);
});

test('lambdas stored on modules run in forward with their closures (CIFAR option A)', () => {
  const a = run(
    `class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)

class M(nn.Module):
    def __init__(self, planes=8):
        super().__init__()
        self.short = Lambda(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), "constant", 0))
        self.conv = nn.Conv2d(4, planes, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(planes)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x))) + self.short(x)
`,
    'M',
    [1, 4, 8, 8],
  );
  clean(a);
  assert.deepEqual(a.graph?.output, [1, 8, 4, 4]);
  const skip = a.graph!.skips[0];
  assert.equal(skip?.kind, 'pad');
  assert.deepEqual(skip?.via.map((id) => a.graph!.nodes.find((n) => n.id === id)?.op), ['slice', 'pad']);
});

test('unknown libraries and layers outside the catalogue are opaque, with information, never errors', () => {
  const a = run(
    `import timm
from .utils import helper

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = timm.create_model("resnet50")
        self.norm = nn.Conv3d(8, 8, 1)
        self.conv = nn.Conv2d(3, 8, 1)

    def forward(self, x):
        x = helper(self.conv(x))
        return self.norm(x)
`,
    'M',
    [1, 3, 4, 4],
  );
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.ok(a.diagnostics.some((d) => d.severity === 'information' && d.message.includes('Conv3d')), describe(a.diagnostics));
  assert.equal(a.graph?.output, null);
});

test('a user variation: dataclass config, setattr stages, getattr and named_children in forward, apply(init)', () => {
  // Numbers from real PyTorch (scripts/torchOracle.py); oracle.test.ts re-checks this file layer by layer.
  const a = analyzePytorch('test/fixtures/pytorch/user_variation.py', readFileSync('test/fixtures/pytorch/user_variation.py', 'utf8'), { model: 'Net', input: [1, 3, 32, 32] });
  clean(a);
  assert.deepEqual(a.graph?.output, [1, 10]);
  assert.equal(a.graph?.params, 175258);
  assert.equal(a.graph?.macs, 26657408);
  assert.equal(a.graph?.skips.filter((s) => s.kind === 'projection').length, 2);
});

test('an unknown object used as a submodule makes the parameter count unknown, not wrong', () => {
  const a = run(
    `import torchvision

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet50()
        self.scale = torch.tensor(2.0)
        self.fc = nn.Linear(1000, 10)

    def forward(self, x):
        return self.fc(self.backbone(x) * self.scale)
`,
    'M',
    [1, 3, 64, 64],
  );
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.equal(a.graph?.params, null);
  assert.ok(a.diagnostics.some((d) => d.message.includes('torchvision.models.resnet50')), describe(a.diagnostics));
});

test('buffers registered in __init__ are readable in forward and are not parameters', () => {
  const a = run(
    `class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, 3, 1, 1))
        self.register_parameter("gain", nn.Parameter(torch.ones(3)))
        self.conv = nn.Conv2d(3, 3, 1, bias=False)

    def forward(self, x):
        x = x + self.mean
        return self.conv(x) * 2
`,
    'M',
    [1, 3, 4, 4],
  );
  clean(a);
  assert.equal(a.graph?.params, 9 + 3);
  assert.deepEqual(a.graph?.output, [1, 3, 4, 4]);
  // The buffer was made while building: it enters the graph as a node of its own, not a dangling edge.
  const ids = new Set(a.graph!.nodes.map((n) => n.id));
  for (const e of a.graph!.edges) assert.ok(ids.has(e.from) && ids.has(e.to), JSON.stringify(e));
  assert.equal(a.graph!.nodes.filter((n) => n.op === 'input').length, 2);
});

test('what the analysis cannot see is unknown, not an error: outside modules, unmodelled methods, unknown checks', () => {
  const a = run(
    `from private_vision.ops.misc import Conv2dNormActivation
from somewhere import Config


class Stem(Conv2dNormActivation):
    pass


class M(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if not isinstance(cfg, Config):
            raise TypeError("cfg must be a Config")
        assert cfg.width == cfg.height
        self.stem = Stem(3, 8)
        self.body = nn.Sequential(Conv2dNormActivation(8, 8), nn.Conv2d(8, 8, 1))
        names = {"a", "b"}
        self.ok = names.issubset({"a", "b", "c"})

    def forward(self, x):
        return self.body(self.stem(x))
`,
    'M',
    [1, 3, 8, 8],
    'Config()',
  );
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  // The outside modules keep their places; their shapes and parameters are unknown, so the totals are too.
  assert.equal(a.graph?.params, null);
  assert.equal(a.graph?.output, null);
  const info = a.diagnostics.map((d) => d.message).join('\n');
  assert.match(info, /entry '0' \(.*Conv2dNormActivation.*\) is not a module the analysis knows/);
  assert.match(info, /set\.issubset\(\) is not modelled/);
  assert.match(info, /assuming the check passes/);
  assert.match(info, /assuming the assertion holds/);
});

test('a real typo on a built-in value is still an AttributeError, where Python raises it', () => {
  const a = run(
    `class M(nn.Module):
    def __init__(self):
        super().__init__()
        widths = [8, 16]
        widths.add(32)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
`,
    'M',
    [1, 4],
  );
  const errs = errorsOf(a);
  assert.equal(errs.length, 1, describe(a.diagnostics));
  assert.equal(errs[0]!.line, L(5));
  assert.match(errs[0]!.message, /AttributeError: 'list' object has no attribute 'add'/);
});

test('dataclass configs: generated __init__ through super(), field defaults and factories, inherited fields', () => {
  const a = run(
    `from dataclasses import dataclass, field
from typing import List


@dataclass
class StageCfg:
    width: int
    depth: int
    stride: int = 1
    tags: List[str] = field(default_factory=list)
    groups: int = field(default=1)


class ScaledCfg(StageCfg):
    def __init__(self, width, depth, mult=1.0):
        super().__init__(int(width * mult), depth)


@dataclass
class DeepCfg(StageCfg):
    extra: int = 2


class M(nn.Module):
    def __init__(self):
        super().__init__()
        c = ScaledCfg(8, 2, mult=2.0)
        d = StageCfg(4, 3, stride=2)
        e = DeepCfg(6, 1, extra=5)
        self.conv = nn.Conv2d(3, c.width, 3, stride=d.stride, groups=c.groups + len(c.tags))
        self.fc = nn.Linear(c.width * d.stride * 2, e.extra + e.width)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))
`,
    'M',
    [1, 3, 5, 5],
  );
  clean(a);
  // Checked in PyTorch: conv 3->16 (3x3, stride 2) on 5x5 gives 2x2, so fc is Linear(64, 11).
  assert.deepEqual(a.graph?.output, [1, 11]);
  assert.equal(a.graph?.params, 3 * 16 * 9 + 16 + 64 * 11 + 11);
});

test('a model built through a loop the analysis had to skip reports unknown totals, not smaller exact ones', () => {
  const a = run(
    `from somewhere import stage_widths


class M(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(3, 8, 3, padding=1)]
        cin = 8
        for w in stage_widths(4):
            layers.append(nn.Conv2d(cin, w, 3, padding=1))
            cin = w
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)
`,
    'M',
    [1, 3, 8, 8],
  );
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.equal(a.graph?.params, null);
  assert.equal(a.graph?.macs, null);
  assert.equal(a.graph?.output, null);
  assert.ok(a.diagnostics.some((d) => d.line === L(9) && /loop was skipped/.test(d.message)), describe(a.diagnostics));
});

test('stepped slices of Sequential and ModuleList keep every step-th module, as PyTorch does', () => {
  // PyTorch 1.13: output [1, 4, 12, 12], 4364 parameters; body[::2] keeps the keys '0' and '2'.
  const a = run(
    `class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 16, 3), nn.Conv2d(8, 32, 3))
        self.heads = nn.ModuleList([nn.Conv2d(16, 4, 1), nn.Conv2d(32, 16, 1)])
        self.skip = nn.ModuleList([nn.ReLU(), nn.Conv2d(4, 4, 1), nn.ReLU(), nn.Conv2d(4, 4, 1)])

    def forward(self, x):
        x = self.body[::2](x)
        for h in self.heads[::-1]:
            x = h(x)
        for m in self.skip[1::2]:
            x = m(x)
        return x
`,
    'Net',
    [1, 3, 16, 16],
  );
  clean(a);
  // The module the step skips never runs, as PyTorch would say.
  assert.deepEqual(a.diagnostics.map((d) => [d.line, d.code]), [[L(4), 'pytorch/unused-module']], describe(a.diagnostics));
  assert.deepEqual(a.graph?.output, [1, 4, 12, 12]);
  assert.equal(a.graph!.params, 4364);
  assert.deepEqual(names(a), ['body.0', 'body.2', 'heads.1', 'heads.0', 'skip.1', 'skip.3']);
  const zero = run(
    `class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.ReLU())

    def forward(self, x):
        return self.body[::0](x)
`,
    'Net',
    [1, 3, 8, 8],
  );
  assert.deepEqual(errorsOf(zero).map((d) => [d.line, d.message]), [[L(7), 'ValueError: slice step cannot be zero']]);
});
