/**
 * Shared by the training tests that need PyTorch: names the interpreter through RESNET_STUDIO_PYTHON (as CI
 * does), resolves it the way the product does, and makes a missing torch a failure under CI=true (a skip,
 * with the reason, elsewhere).
 */
import type { TestContext } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON_ENV_VAR, resolveTorchPython } from '../../src/training/pythonEnv';
import type { RunConfigInput } from '../../src/training/runStore';

export const FIXTURE_MODEL = path.resolve(__dirname, '../fixtures/training/cifar_resnet8.py');

/**
 * Where this repository's test machines keep PyTorch. Only tests fall back to it, when RESNET_STUDIO_PYTHON
 * is unset; the product never looks there. Set for this process, so the CLI and the runners a test starts
 * find the same interpreter.
 */
export const TEST_MACHINE_PYTHON = '/usr/bin/python3.11';
if (!process.env[PYTHON_ENV_VAR] && fs.existsSync(TEST_MACHINE_PYTHON)) process.env[PYTHON_ENV_VAR] = TEST_MACHINE_PYTHON;

let cached: Promise<string | Error> | undefined;

/** The torch interpreter, or null after marking the test skipped. */
export async function torchPython(t: TestContext): Promise<string | null> {
  cached ??= resolveTorchPython().then((p) => p.python, (e: Error) => e);
  const found = await cached;
  if (typeof found === 'string') return found;
  if (process.env['CI'] === 'true') throw new Error(`CI=true and PyTorch is unavailable: ${found.message}`);
  t.skip(`PyTorch is unavailable: ${found.message}`);
  return null;
}

const roots: string[] = [];
process.on('exit', () => {
  if (process.env['KEEP_TEST_RUNS']) return;
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A fresh runs root, removed when the test process exits (kept with KEEP_TEST_RUNS=1, for a post-mortem). */
export function tempRoot(name: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `rs-${name}-`));
  roots.push(root);
  return root;
}

/** ResNet-8 (width 8) on 16x16 synthetic images: seconds per epoch on one CPU thread (one thread because OpenMP teams degrade badly on a shared, busy machine). */
export function smallRun(overrides: Partial<RunConfigInput> = {}): RunConfigInput {
  return {
    modelFile: FIXTURE_MODEL,
    modelName: 'resnet8',
    modelArgs: 'num_classes=10, width=8',
    inputShape: [1, 3, 16, 16],
    data: 'synthetic',
    syntheticSize: 1500,
    epochs: 5,
    batchSize: 64,
    lr: 0.1,
    schedule: 'cosine',
    valSplit: 0.2,
    device: 'cpu',
    threads: 1,
    logEvery: 5,
    ...overrides,
  };
}
