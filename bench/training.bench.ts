/**
 * Training throughput, side by side on this machine: the TF.js runner (the real worker process, once per
 * TF.js backend present) against the PyTorch runner on the same tiny ResNet (examples/tiny-resnet, 5,164
 * parameters, 16x16 synthetic images, 4 classes) and the same batch size, as images per second and their
 * ratio. Then the PyTorch runner's own overhead benchmark (`scripts/benchPytorch.mjs`: the runner against a
 * bare PyTorch loop), when that script is present. Last, what layer telemetry costs at its default sampling
 * (`bench/telemetry_cost.py`: ResNet-20 on 32x32 inputs, the runner's hooks, against the 0.97x target).
 * Benchmarks report; they never fail the build.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobManager, workerScriptPath } from '../src/training/jobs';
import type { MetricRow, StatusRow, TrainingRow } from '../src/training/protocol';
import { resolveTorchPython } from '../src/training/pythonEnv';
import { type RunConfigInput, RunStore } from '../src/training/runStore';
import { findNativePackages, type TfjsBackendPreference } from '../src/training/tfjsNative';
import { analyzeText } from '../src/frontends';
import { RUN_CONFIG_DEFAULTS } from '../src/protocol/trainingProtocol';
import { telemetryProbes } from '../src/training/health';

const ROOT = path.resolve(__dirname, '..');
const BATCH = 64;
const STEPS = 40;
const LOG_EVERY = 10;

/** The same network as examples/tiny-resnet.resnet.json, written as a PyTorch module for the PyTorch runner. */
const TINY_RESNET_PY = `import torch.nn as nn


class Block(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TinyResNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.layer1 = Block(8, 8, 1)
        self.layer2 = Block(8, 16, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(self.avgpool(x).flatten(1))
`;

interface Measured {
  imagesPerSecond: number;
  backend: string;
  device: string;
  error?: string;
}

/** Median of the train-window rates after the first window (which includes warm-up). */
function steadyRate(rows: readonly TrainingRow[]): number {
  const rates = rows
    .filter((r): r is MetricRow => r.type === 'metric' && r.split === 'train' && r.scope !== 'epoch' && typeof r.imagesPerSecond === 'number')
    .map((r) => r.imagesPerSecond!)
    .slice(1)
    .sort((a, b) => a - b);
  return rates.length ? rates[Math.floor(rates.length / 2)]! : NaN;
}

async function measure(config: Partial<RunConfigInput> & Record<string, unknown>, start: { python?: string; tfjsBackend?: TfjsBackendPreference; workerPath?: string }): Promise<Measured> {
  const store = new RunStore(fs.mkdtempSync(path.join(os.tmpdir(), 'rs-bench-')));
  const id = store.createRun({
    modelFile: path.join(ROOT, 'examples/tiny-resnet.resnet.json'),
    modelName: 'Tiny ResNet',
    inputShape: [1, 3, 16, 16],
    data: 'synthetic',
    syntheticSize: BATCH * (STEPS + 4),
    valSplit: 0.05,
    epochs: 1,
    batchSize: BATCH,
    lr: 0.05,
    maxSteps: STEPS,
    logEvery: LOG_EVERY,
    augment: true,
    device: 'cpu',
    ...config,
  } as RunConfigInput).id;
  const manager = new JobManager();
  const job = await manager.start({ store, runId: id, ...start });
  const result = await job.done;
  manager.dispose();
  const rows = store.readRows(id);
  const status = rows.find((r): r is StatusRow => r.type === 'status');
  fs.rmSync(store.root, { recursive: true, force: true });
  return {
    imagesPerSecond: steadyRate(rows),
    backend: status?.backend ?? '?',
    device: status?.device ?? '?',
    ...(result.status !== 'completed' ? { error: `${result.status}: ${result.error ?? ''}` } : {}),
  };
}

async function main(): Promise<void> {
  console.log(`tiny ResNet (5,164 params), 16x16 synthetic, batch ${BATCH}, ${STEPS} steps, median of ${LOG_EVERY}-step windows after the first; ${os.cpus().length} CPU cores`);
  const worker = workerScriptPath(ROOT);
  if (!worker) {
    console.log('the TF.js worker is not built (npm run build); skipping');
    return;
  }
  let torch: Measured | undefined;
  let python: string | undefined;
  try {
    python = (await resolveTorchPython()).python;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-bench-py-'));
    const file = path.join(dir, 'tiny_resnet.py');
    fs.writeFileSync(file, TINY_RESNET_PY);
    torch = await measure({ backend: 'pytorch', modelFile: file, modelName: 'TinyResNet', modelArgs: 'num_classes=4' }, { python });
    if (torch.error) console.log(`PyTorch runner: ${torch.error}`);
    else console.log(`PyTorch runner: ${torch.imagesPerSecond.toFixed(0)} img/s (${torch.device})`);
  } catch (e) {
    console.log(`PyTorch runner: not measured (${(e as Error).message.split('\n')[0]})`);
  }

  const backends: TfjsBackendPreference[] = ['cpu', ...findNativePackages().map((f) => (f.package === '@tensorflow/tfjs-node-gpu' ? 'tfjs-node-gpu' : 'tfjs-node') as TfjsBackendPreference)];
  for (const b of backends) {
    const m = await measure({ backend: 'tfjs', tfjsBackend: b }, { tfjsBackend: b, workerPath: worker });
    if (m.error) {
      console.log(`TF.js runner [${b}]: ${m.error}`);
      continue;
    }
    const ratio = torch && !torch.error ? ` = ${(m.imagesPerSecond / torch.imagesPerSecond).toFixed(3)}x the PyTorch runner` : '';
    console.log(`TF.js runner [${m.backend}]: ${m.imagesPerSecond.toFixed(0)} img/s${ratio}`);
  }
  if (backends.length === 1) console.log('(no native TF.js backend installed: @tensorflow/tfjs-node / -gpu not found)');

  const overhead = path.join(ROOT, 'scripts', 'benchPytorch.mjs');
  if (fs.existsSync(overhead)) {
    console.log('\nPyTorch runner overhead (scripts/benchPytorch.mjs):');
    const r = spawnSync(process.execPath, [overhead], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...(python ? { RESNET_STUDIO_PYTHON: python } : {}) } });
    if (r.status !== 0) console.log(`(scripts/benchPytorch.mjs exited with ${r.status})`);
  } else {
    console.log('\nPyTorch runner overhead: scripts/benchPytorch.mjs is not in this checkout');
  }
  if (python) telemetryCost(python);
}

/** Layer telemetry's cost at the default sampling: throughput with it over throughput without, ResNet-20 on 32x32, CPU. */
function telemetryCost(python: string): void {
  const modelFile = path.join(ROOT, 'test/fixtures/training/cifar_resnet8.py');
  const input = [1, 3, 32, 32];
  const graph = analyzeText(modelFile, fs.readFileSync(modelFile, 'utf8'), { model: 'CifarResNet', args: 'depth=20', input }).graph;
  if (!graph) {
    console.log('layer telemetry: ResNet-20 did not analyse; not measured');
    return;
  }
  const every = RUN_CONFIG_DEFAULTS.telemetryEvery;
  const settings = { modelFile, modelName: 'CifarResNet', modelKwargs: { depth: 20 }, inputShape: input, batch: 64, pairs: 8, every, threads: 1, probes: telemetryProbes(graph) };
  const r = spawnSync(python, [path.join(ROOT, 'bench', 'telemetry_cost.py'), JSON.stringify(settings)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`layer telemetry: not measured (${r.stderr.trim().split('\n').at(-1)})`);
    return;
  }
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { plainStep: number; sampledStep: number; rowsPerSample: number; ratio: number };
  console.log(
    `\nlayer telemetry (ResNet-20, ${graph.params?.toLocaleString('en-US')} params, 32x32, batch 64, CPU 1 thread): a step ${(m.plainStep * 1000).toFixed(0)} ms, ` +
      `a sampled step ${(m.sampledStep * 1000).toFixed(0)} ms (${m.rowsPerSample} layer rows); sampling every ${every} steps keeps ` +
      `${m.ratio.toFixed(3)}x the throughput without telemetry (target >= 0.97x)`,
  );
}

main().catch((e: unknown) => {
  console.log(`training bench failed: ${(e as Error).stack ?? String(e)}`);
});
