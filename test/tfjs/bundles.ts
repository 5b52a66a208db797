/**
 * Builds the TF.js worker and the CLI for the tests that run them as child processes, into a private
 * folder (the worker sits beside the CLI, where it is found in a real install), so tests neither need a
 * prior `npm run build` nor race one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { RunStore, type RunConfigInput } from '../../src/training/runStore';

const root = path.resolve(__dirname, '../..');
export const TINY_RESNET = path.join(root, 'examples/tiny-resnet.resnet.json');

let built: Promise<{ dir: string; worker: string; cli: string }> | undefined;

export function buildBundles(): Promise<{ dir: string; worker: string; cli: string }> {
  built ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-bundles-'));
    const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node18', mainFields: ['module', 'main'], logLevel: 'error' as const };
    await Promise.all([
      build({ ...common, entryPoints: [path.join(root, 'src/training/worker.ts')], outfile: path.join(dir, 'trainingWorker.js'), external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] }),
      build({ ...common, entryPoints: [path.join(root, 'src/cli/main.ts')], outfile: path.join(dir, 'cli.js') }),
    ]);
    return { dir, worker: path.join(dir, 'trainingWorker.js'), cli: path.join(dir, 'cli.js') };
  })();
  return built;
}

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rs-${name}-`));
}

/** A tiny-resnet run on synthetic data, small enough for seconds of pure-JS training per epoch. */
export function tinyRun(store: RunStore, overrides: Partial<RunConfigInput> & Record<string, unknown> = {}): string {
  const input: RunConfigInput & Record<string, unknown> = {
    backend: 'tfjs',
    modelFile: TINY_RESNET,
    modelName: 'Tiny ResNet',
    inputShape: [1, 3, 16, 16],
    data: 'synthetic',
    epochs: 1,
    batchSize: 32,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    optimizer: 'sgd',
    schedule: 'cosine',
    valSplit: 0.25,
    syntheticSize: 256,
    logEvery: 2,
    tfjsBackend: 'cpu',
    ...overrides,
  };
  return store.createRun(input).id;
}
