/**
 * Imports across files: relative and absolute imports of the user's own modules, `__all__`, a cycle of
 * imports, lazy reading, errors inside an imported module reported at the call that leads there, an unknown
 * decorator, search roots and the injectable reader. Each case writes a small package to a temporary folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { diskReader } from '../../src/frontends/pytorch/moduleResolver';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rs-imports-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const BLOCK = `import torch.nn as nn

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
`;

const errors = (a: ReturnType<typeof analyzePytorch>) => a.diagnostics.filter((d) => d.severity === 'error');

test('a relative import from a sibling module reads it, and only the modules a used name needs', () => {
  const root = project({
    'pkg/__init__.py': '',
    'pkg/blocks.py': BLOCK,
    'pkg/unused.py': 'raise RuntimeError("never read")\n',
    'pkg/net.py': `import torch.nn as nn
from .blocks import Block
from .unused import Nothing

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = Block(4)

    def forward(self, x):
        return self.b(x)
`,
  });
  const file = join(root, 'pkg/net.py');
  const a = analyzePytorch(file, readText(file), { model: 'Net', input: [1, 4, 8, 8] });
  assert.deepEqual(errors(a), []);
  assert.equal(a.graph?.params, 4 * 4 * 9 + 4);
  assert.deepEqual(a.dependencies, [join(root, 'pkg/blocks.py')]);
});

test('__all__ limits a star import; a cycle of imports sees the partially initialised module', () => {
  const root = project({
    'pkg/__init__.py': '',
    'pkg/a.py': `import torch.nn as nn
from . import b
WIDTH = 6
__all__ = ['make']

def make():
    return nn.Conv2d(3, b.width(), 1)

def hidden():
    return 1
`,
    'pkg/b.py': `from . import a

def width():
    return a.WIDTH
`,
    'pkg/net.py': `from .a import *

def model():
    return make()

def bad():
    return hidden()
`,
  });
  const file = join(root, 'pkg/net.py');
  const a = analyzePytorch(file, readText(file), { model: 'model', input: [1, 3, 4, 4] });
  assert.deepEqual(errors(a), []);
  assert.equal(a.graph?.params, 3 * 6 + 6);
  const b = analyzePytorch(file, readText(file), { model: 'bad', input: [1, 3, 4, 4] });
  assert.ok(errors(b).some((d) => /NameError: name 'hidden' is not defined/.test(d.message)), JSON.stringify(b.diagnostics));
});

test('an error inside an imported module is reported at the call that leads there, pointing into that module', () => {
  const root = project({
    'helpers.py': `import torch.nn as nn

def head(c, n):
    if n <= 0:
        raise ValueError("n must be positive")
    return nn.Linear(c, n)
`,
    'model.py': `import torch.nn as nn
from helpers import head

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = head(8, 0)

    def forward(self, x):
        return self.fc(x)
`,
  });
  const file = join(root, 'model.py');
  const a = analyzePytorch(file, readText(file), { model: 'Net', input: [1, 8] });
  const e = errors(a);
  assert.equal(e.length, 1, JSON.stringify(a.diagnostics));
  assert.equal(e[0]!.line, 7);
  assert.equal(e[0]!.file, file);
  assert.match(e[0]!.message, /ValueError: n must be positive/);
  assert.deepEqual(e[0]!.related?.map((r) => [r.file, r.line]), [[join(root, 'helpers.py'), 5]]);
});

test('a decorator in a sibling module runs; an unknown decorator lets the function take any keyword', () => {
  const root = project({
    'deco.py': `def legacy(f):
    def wrapper(*args, **kwargs):
        kwargs.pop("pretrained", None)
        return f(*args, **kwargs)
    return wrapper
`,
    'model.py': `import torch.nn as nn
from deco import legacy
from somewhere_private import register

@legacy
def known(num_classes=10):
    return nn.Linear(4, num_classes)

@register
def unknown(num_classes=10):
    return nn.Linear(4, num_classes)
`,
  });
  const file = join(root, 'model.py');
  const a = analyzePytorch(file, readText(file), { model: 'known', args: 'pretrained=True, num_classes=3', input: [1, 4] });
  assert.deepEqual(errors(a), []);
  assert.equal(a.graph?.params, 15);
  const b = analyzePytorch(file, readText(file), { model: 'unknown', args: 'pretrained=True', input: [1, 4] });
  assert.deepEqual(errors(b), [], JSON.stringify(b.diagnostics));
  assert.equal(b.graph?.params ?? null, null);
});

test('search roots and the reader: an extra root resolves an absolute import; an unsaved text wins over the disk', () => {
  const lib = project({ 'mylib/__init__.py': '', 'mylib/blocks.py': BLOCK });
  const app = project({
    'app.py': `import torch.nn as nn
from mylib.blocks import Block

def model():
    return nn.Sequential(Block(2))
`,
  });
  const file = join(app, 'app.py');
  const without = analyzePytorch(file, readText(file), { model: 'model', input: [1, 2, 4, 4], python: '/nonexistent/python' });
  assert.equal(without.graph?.params ?? null, null);
  const withRoot = analyzePytorch(file, readText(file), { model: 'model', input: [1, 2, 4, 4], searchRoots: [lib], python: '/nonexistent/python' });
  assert.equal(withRoot.graph?.params, 2 * 2 * 9 + 2);
  const edited = BLOCK.replace('nn.Conv2d(c, c, 3, padding=1)', 'nn.Conv2d(c, c, 1)');
  const blocks = join(lib, 'mylib/blocks.py');
  const open = analyzePytorch(file, readText(file), {
    model: 'model',
    input: [1, 2, 4, 4],
    searchRoots: [lib],
    python: '/nonexistent/python',
    reader: diskReader((f) => (f === blocks ? edited : undefined)),
  });
  assert.equal(open.graph?.params, 2 * 2 + 2);
});

function readText(file: string): string {
  return diskReader().read(file)!;
}
