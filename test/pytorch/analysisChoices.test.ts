/**
 * What the analysis chooses for itself (the input it guesses, the tensor it passes to forward) and the Python it
 * must read as Python does (a generator argument, `functools.wraps`, `inspect.signature`, a file read only in
 * part): found in torchvision's own `models/` folder, where each turned into a false error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePython } from '../../src/frontends/pytorch/ast';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { describe, errorsOf } from './helpers';

const analyse = (src: string, model: string, input?: number[]) => analyzePytorch('/virtual/model.py', src, { model, followImports: false, ...(input ? { input } : {}) });

test('the guessed input does not come from a layer after one the catalogue lacks', () => {
  // MViT: Conv3d first (not in the catalogue), then Linear(96): [1, 96] was guessed, and PyTorch raises on it.
  const src = `import torch.nn as nn
class Video(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv3d(3, 96, (3, 7, 7), (2, 4, 4), (1, 3, 3))
        self.head = nn.Linear(96, 10)
    def forward(self, x):
        if x.dim() == 2:
            raise ValueError("expected a video batch")
        return self.head(self.patch(x).mean((2, 3, 4)))
`;
  const a = analyse(src, 'Video');
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
});

test('forward annotated with a non-tensor input: what it raises on the tensor it was given is not an error', () => {
  const src = `import torch.nn as nn
class ImageList:
    def __init__(self, tensors, image_sizes):
        self.tensors = tensors
        self.image_sizes = image_sizes
class Anchors(nn.Module):
    def forward(self, image_list: ImageList):
        return [image_list.tensors for _ in range(len(image_list.image_sizes))]
class Plain(nn.Module):
    def forward(self, x: "torch.Tensor"):
        if x.dim() == 4:
            raise ValueError("no images")
        return x
`;
  const a = analyse(src, 'Anchors');
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  assert.ok(a.diagnostics.some((d) => d.code === 'pytorch/input-type' && d.message.includes('ImageList')), describe(a.diagnostics));
  // Annotated as a tensor, the input is what forward takes: its error stays an error.
  assert.equal(errorsOf(analyse(src, 'Plain')).length, 1);
});

test('a generator argument whose target is a tuple, with a condition, is one argument', () => {
  const p = parsePython('k = next(i for i, p in enumerate(ps) if p.kind == 3)\n', Infinity, Infinity);
  assert.deepEqual(p.errors, []);
  const call = (p.body[0] as { value: { k: string; args: { e: { k: string; kind?: string } }[] } }).value;
  assert.equal(call.args.length, 1);
  assert.equal(call.args[0]!.e.k, 'comp');
});

test('functools.wraps names the wrapper after the wrapped function, and inspect.signature follows it', () => {
  const src = `import functools, inspect
import torch.nn as nn
REGISTRY = {}
def register(fn):
    if fn.__name__ in REGISTRY:
        raise ValueError("twice: " + fn.__name__)
    REGISTRY[fn.__name__] = fn
    return fn
def legacy(builder):
    @functools.wraps(builder)
    def inner(*args, **kwargs):
        return builder(*args, **kwargs)
    return inner
def kwonly_start(fn):
    params = inspect.signature(fn).parameters
    return next(i for i, p in enumerate(params.values()) if p.kind == p.KEYWORD_ONLY)
@register
@legacy
def small(*, width=8, num_classes=10):
    return nn.Sequential(nn.Flatten(), nn.Linear(12, width), nn.Linear(width, num_classes))
@register
@legacy
def large(*, width=16, num_classes=10):
    return nn.Sequential(nn.Flatten(), nn.Linear(12, width * kwonly_start(large) + width), nn.Linear(width, num_classes))
`;
  const a = analyse(src, 'large', [1, 12]);
  assert.deepEqual(errorsOf(a), [], describe(a.diagnostics));
  // kwonly_start(large) is 0 (width is the first, keyword-only parameter), so the first Linear is 12 -> 16.
  assert.equal(a.graph?.params, 12 * 16 + 16 + 16 * 10 + 10);
});

test('a file read only in part reports no syntax error past the point where reading stopped', () => {
  const body = Array.from({ length: 4000 }, (_, i) => `x${i} = [${i}, ${i + 1}, (${i} * 2)]`).join('\n');
  // A deadline already past stops the parser at its first look at the clock.
  const p = parsePython(`${body}\ny = (1,\n`, performance.now() - 1, performance.now() - 1);
  assert.notEqual(p.truncatedAt, null);
  for (const e of p.errors) assert.ok(e.from < p.truncatedAt!, `an error at ${e.from}, past ${p.truncatedAt}`);
});

test('range() without arguments raises the TypeError Python raises, not an internal error', () => {
  const src = `import torch.nn as nn
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        for i in range():
            pass
    def forward(self, x):
        return self.fc(x)
`;
  const a = analyse(src, 'M', [1, 4]);
  assert.ok(a.diagnostics.some((d) => d.code === 'pytorch/raise' && d.message.startsWith('TypeError: range expected at least 1 argument')), describe(a.diagnostics));
  assert.ok(!a.diagnostics.some((d) => d.code === 'pytorch/internal'), describe(a.diagnostics));
});
