// PyTorch front end targets:
// 1. analysing ResNet-152 from a ~1000-line torchvision-style file in-process, with the front end bundled as
//    the product runs it: <= 20 ms (median);
// 2. the whole CLI process on that file, side by side with building and running the same model in PyTorch
//    to learn its shapes: at least 30x faster. Both sides run as they do the second time on an unchanged file:
//    Python imports torchvision from its bytecode cache (__pycache__), and the CLI reads its syntax tree and
//    compiled code from its own cache. The CLI with no caches at all (every run cold) is printed too.
// The file is torchvision's own resnet.py when python3-torchvision is installed, else our model-zoo fixture.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type * as PytorchFrontEnd from '../src/frontends/pytorch';
import { bundleOf, medianMs, report } from './util';

const TORCHVISION = '/usr/lib/python3/dist-packages/torchvision/models/resnet.py';
const FIXTURE = 'test/fixtures/pytorch/torchvision_style.py';
const file = existsSync(TORCHVISION) ? TORCHVISION : FIXTURE;
const text = readFileSync(file, 'utf8');
const model = 'resnet152';
console.log(`file: ${file} (${text.split('\n').length} lines), model ${model}`);
// Wall-clock numbers scale with machine load; print it so runs can be compared.
console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);

// Bundled as the CLI and the analysis worker run it (see `bundleOf`).
const { analyzePytorch } = createRequire(import.meta.url)(bundleOf('src/frontends/pytorch/index.ts')) as typeof PytorchFrontEnd;
const once = analyzePytorch(file, text, { model, input: [1, 3, 224, 224] });
if (once.graph?.params !== 60192808) throw new Error(`unexpected analysis: params ${once.graph?.params}`);
const ms = medianMs(() => analyzePytorch(file, text, { model, input: [1, 3, 224, 224] }), 100, 20);
report('ResNet-152 PyTorch source analysis, in-process (median of 100)', ms, 20);

function wallMs(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env });
  const elapsed = performance.now() - t;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return elapsed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const cliArgs = ['bin/resnet-studio.js', 'analyze', file, '--model', model, '--input', '1,3,224,224', '--json'];
const cold = { ...process.env, RESNET_STUDIO_NO_CACHE: '1' };
wallMs(process.execPath, cliArgs, cold);
const cliCold = median(Array.from({ length: 15 }, () => wallMs(process.execPath, cliArgs, cold)));
console.log(`CLI process with no caches (every run cold, median of 15): ${cliCold.toFixed(1)} ms`);
const warm = { ...process.env, RESNET_STUDIO_NO_CACHE: '', RESNET_STUDIO_CACHE_DIR: join(mkdtempSync(join(tmpdir(), 'rs-bench-')), 'cache') };
wallMs(process.execPath, cliArgs, warm); // the first run fills the caches
const cli = median(Array.from({ length: 15 }, () => wallMs(process.execPath, cliArgs, warm)));
report('CLI process: analyze ResNet-152 --json, unchanged file (median of 15, including Node start-up)', cli, 130);

const python = process.env['RESNET_STUDIO_PYTHON'] ?? '/usr/bin/python3.11';
const script =
  file === TORCHVISION
    ? `import torch, torchvision.models.resnet as r
m = r.${model}().eval()
with torch.no_grad():
    y = m(torch.zeros(1, 3, 224, 224))
print(list(y.shape), sum(p.numel() for p in m.parameters()))`
    : `import importlib.util, torch
spec = importlib.util.spec_from_file_location('fixture', '${file}')
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
m = mod.${model}().eval()
with torch.no_grad():
    y = m(torch.zeros(1, 3, 224, 224))
print(list(y.shape), sum(p.numel() for p in m.parameters()))`;
const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
if (probe.status !== 0) {
  console.log(`PyTorch side skipped: ${python} cannot import torch`);
} else {
  const torchMs = median(Array.from({ length: 3 }, () => wallMs(python, ['-c', script])));
  console.log(`PyTorch process: build and run ${model} on zeros to learn its shapes (median of 3): ${torchMs.toFixed(0)} ms`);
  const ratio = torchMs / cli;
  console.log(`CLI is ${ratio.toFixed(1)}x faster than running PyTorch (target >= 30x) ${ratio >= 30 ? 'MET' : 'MISSED'}`);
  console.log(`CLI with no caches is ${(torchMs / cliCold).toFixed(1)}x faster than running PyTorch`);
}
