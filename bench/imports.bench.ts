// Imports across files, two targets:
// 1. in-process analysis of a file that imports five sibling modules: <= 30 ms warm (median), the imported
//    files' trees kept between analyses as the editor keeps them;
// 2. the first analysis of a file that imports a block from the installed torchvision: <= 300 ms, measured in
//    a fresh process (the parser's first use, asking the interpreter for its sys.path once, reading and running
//    torchvision's resnet.py and what it needs). The product runs the front end bundled (the CLI's and the
//    analysis worker's esbuild bundles), so this times the front end bundled the same way, not through tsx;
//    it prints the process's CPU time beside the wall time, which on this shared machine follows its load.
// The first needs nothing installed; the second is skipped without torchvision under the interpreter.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzePytorch } from '../src/frontends/pytorch';
import { bundleOf, medianMs, report } from './util';

console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);

const SIBLINGS: Record<string, string> = {
  'layers.py': `import torch.nn as nn

def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)

def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride, bias=False)
`,
  'norms.py': `import torch.nn as nn

def norm(c):
    return nn.BatchNorm2d(c)

def act():
    return nn.ReLU(inplace=True)
`,
  'blocks.py': `import torch.nn as nn
from .layers import conv1x1, conv3x3
from .norms import act, norm

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1, self.bn1, self.relu = conv3x3(cin, cout, stride), norm(cout), act()
        self.conv2, self.bn2 = conv3x3(cout, cout), norm(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(conv1x1(cin, cout, stride), norm(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + idt)
`,
  'stem.py': `import torch.nn as nn
from .layers import conv3x3
from .norms import act, norm

def stem(c):
    return nn.Sequential(conv3x3(3, c), norm(c), act())
`,
  'head.py': `import torch.nn as nn

class Head(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, n)

    def forward(self, x):
        return self.fc(self.pool(x).flatten(1))
`,
};

const NET = `import torch.nn as nn
from .blocks import BasicBlock
from .head import Head
from .layers import conv3x3
from .norms import norm
from .stem import stem

class ResNet20(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = stem(16)
        layers, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(3):
                layers.append(BasicBlock(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.head = Head(cin, num_classes)

    def forward(self, x):
        return self.head(self.layers(self.stem(x)))
`;

const root = mkdtempSync(join(tmpdir(), 'rs-imports-bench-'));
mkdirSync(join(root, 'pkg'));
writeFileSync(join(root, 'pkg/__init__.py'), '');
for (const [name, text] of Object.entries(SIBLINGS)) writeFileSync(join(root, 'pkg', name), text);
const net = join(root, 'pkg/net.py');
writeFileSync(net, NET);
const opts = { model: 'ResNet20', input: [1, 3, 32, 32] };
const first = analyzePytorch(net, NET, opts);
if (first.graph?.params !== 272474 || first.dependencies?.length !== 5) {
  throw new Error(`unexpected analysis: params ${first.graph?.params}, ${first.dependencies?.length} files read`);
}
report('a file importing five sibling modules, in-process, warm (median of 100)', medianMs(() => analyzePytorch(net, NET, opts), 100, 20), 30);

// The first analysis, in a process of its own, of a model taking Bottleneck from the installed torchvision.
const fixture = 'test/fixtures/pytorch/torchvision_block/model.py';
const python = process.env['RESNET_STUDIO_PYTHON'] ?? '/usr/bin/python3.11';
const bundle = bundleOf('src/frontends/pytorch/index.ts');
const probe = `
const { analyzePytorch } = require(${JSON.stringify(bundle)});
const text = require('node:fs').readFileSync(${JSON.stringify(fixture)}, 'utf8');
const c0 = process.cpuUsage();
const t = performance.now();
const a = analyzePytorch(${JSON.stringify(fixture)}, text, { model: 'TinyBottleneckNet', input: [1, 3, 32, 32], python: ${JSON.stringify(python)} });
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ ms: performance.now() - t, cpuMs: (c.user + c.system) / 1000, params: a.graph && a.graph.params, read: a.dependencies || [] }));
`;
const runs: number[] = [];
const cpuRuns: number[] = [];
let last: { ms: number; cpuMs: number; params: number | null; read: string[] } | null = null;
for (let i = 0; i < 5; i++) {
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  last = JSON.parse(r.stdout.trim().split('\n').pop()!) as typeof last;
  runs.push(last!.ms);
  cpuRuns.push(last!.cpuMs);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (last?.params !== 1330506) {
  console.log(`skipped: torchvision is not readable through ${python} (params ${last?.params}); ${readFileSync(fixture, 'utf8').length} chars analysed`);
} else {
  console.log(`files read: ${last.read.join(', ')}`);
  report('first analysis of a file importing from the installed torchvision, fresh process, bundled (median of 5, wall)', median(runs), 300);
  console.log(`  CPU time of this process in that analysis (median of 5; the Python asked for sys.path not included): ${median(cpuRuns).toFixed(0)} ms`);
}
