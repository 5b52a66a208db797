/**
 * `resnet-studio train`: creates a run directory, trains in a child process (the TF.js worker or the
 * PyTorch runner) and prints its progress. Exit codes: 0 only when the run completed; 1 when it failed or was
 * stopped; 2 for usage or I/O errors (nothing was trained).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText } from '../frontends';
import { DEFAULT_INPUT } from '../core/ir';
import { JobManager, type TrainingJob } from '../training/jobs';
import { type Backend, RUN_CONFIG_DEFAULTS as DEFAULT_HYPERPARAMETERS, type TrainingRow } from '../protocol/trainingProtocol';
import { DEFAULT_RUNS_DIR, type RunConfigInput, RunStore } from '../training/runStore';
import { parsePreference } from '../training/tfjsNative';
import { type ModelFlags, type Resolved, analysisOptions, resolveFromAnalysis } from '../training/resolveModel';
import { UsageError, parseArgs } from './main';

export const TRAIN_USAGE = `usage:
  resnet-studio train FILE --data synthetic|DIR [--model NAME] [--args ARGS] [--input N,C,H,W]
                      [--epochs N] [--batch-size N] [--lr X] [--backend tfjs|pytorch] [--nproc N] [--out DIR]
                      [--optimizer sgd|adam] [--momentum X] [--weight-decay X] [--schedule none|step|cosine]
                      [--val-split X] [--seed N] [--no-augment] [--synthetic-size N] [--max-steps N]
                      [--log-every N] [--device auto|cuda|mps|cpu] [--tfjs-backend auto|tfjs-node-gpu|tfjs-node|cpu]
                      [--python PATH] [--run-id ID] [--detach] [--json]
  resnet-studio train --resume RUN_DIR [--detach] [--json]

The input size comes from --input, else the file's "# resnet-studio: input=(...)" comment or the design's
own input, else ${JSON.stringify(DEFAULT_INPUT)}. --out is the runs directory (default ${DEFAULT_RUNS_DIR} under the current
folder); the run is written to OUT/<run-id>/. DIR is an ImageFolder (class subfolders) or CIFAR-10 binary
batches; the TF.js backend reads PNG and binary PPM/PGM images (JPEG folders need --backend pytorch).
Exit codes: 0 completed, 1 failed or stopped, 2 usage or I/O error.`;

const BOOLEANS = new Set(['no-augment', 'json', 'detach', 'help']);

function str(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function posInt(flags: Map<string, string | true>, name: string): number | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

function nonNegNumber(flags: Map<string, string | true>, name: string, opts: { positive?: boolean; below?: number } = {}): number | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (opts.positive && n === 0) || (opts.below !== undefined && n >= opts.below)) {
    throw new UsageError(`--${name} must be a ${opts.positive ? 'positive' : 'non-negative'} number${opts.below !== undefined ? ` below ${opts.below}` : ''}, got '${v}'`);
  }
  return n;
}

function oneOf<T extends string>(flags: Map<string, string | true>, name: string, allowed: readonly T[]): T | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** Input shape and model name: flags first, then what the file says, then the defaults. */
export function resolveModel(file: string, text: string, flags: ModelFlags, backend: Backend): Resolved {
  return resolveFromAnalysis(analyzeText(file, text, analysisOptions(flags)), file, text, flags, backend);
}

function fmt(n: number | undefined | null, digits = 4): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One human line per row (or none for rows not worth a line). */
export function formatRow(row: TrainingRow): string | undefined {
  switch (row.type) {
    case 'status': {
      const parts: string[] = [];
      if (row.message) parts.push(row.message);
      if (row.backend) parts.push(`backend ${row.backend}`);
      if (row.device) parts.push(`device ${row.device}`);
      if (row.trainSize !== undefined) parts.push(`${row.trainSize} train / ${row.valSize ?? 0} val images`);
      if (row.stepsPerEpoch !== undefined && row.message) parts.push(`${row.stepsPerEpoch} steps per epoch`);
      if (row.eta !== undefined && row.eta !== null) parts.push(`epoch ${row.epoch ?? '?'}/${row.epochs ?? '?'} step ${row.step ?? '?'} ETA ${duration(row.eta)}`);
      return parts.length ? `status: ${parts.join(' | ')}` : undefined;
    }
    case 'metric':
      if (row.split === 'val') return `epoch ${row.epoch} step ${row.step}  val   loss ${fmt(row.loss)}  accuracy ${fmt(row.accuracy, 3)}`;
      return (
        `epoch ${row.epoch} step ${row.step}  train loss ${fmt(row.loss)}  accuracy ${fmt(row.accuracy, 3)}` +
        `  lr ${row.lr !== undefined ? row.lr.toPrecision(3) : '-'}  ${row.imagesPerSecond ? `${row.imagesPerSecond.toFixed(1)} img/s` : ''}` +
        (row.scope === 'epoch' ? '  (epoch)' : '')
      ).trimEnd();
    case 'checkpoint':
      return `checkpoint ${row.path}`;
    case 'end':
      return `run ${row.status}${row.error ? `: ${row.error}` : ''}`;
    case 'start':
      return undefined; // the status row after it says the same in words
  }
}

export async function trainCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { positional, flags } = parseArgs(argv, BOOLEANS);
  if (flags.has('help')) {
    out(TRAIN_USAGE);
    return 0;
  }
  const resumeDir = str(flags, 'resume');
  let store: RunStore;
  let runId: string;
  if (resumeDir) {
    const dir = path.resolve(resumeDir);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`${resumeDir} is not a run directory (no config.json)`);
    store = new RunStore(path.dirname(dir));
    runId = path.basename(dir);
  } else {
    const file = positional[0];
    if (!file) throw new UsageError('train needs a FILE (or --resume RUN_DIR)');
    const data = str(flags, 'data');
    if (!data) throw new UsageError('train needs --data synthetic|DIR');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const backend = oneOf(flags, 'backend', ['tfjs', 'pytorch'] as const) ?? (file.endsWith('.py') ? 'pytorch' : 'tfjs');
    const nproc = posInt(flags, 'nproc');
    if (nproc !== undefined && nproc > 1 && backend !== 'pytorch') throw new UsageError('--nproc > 1 needs --backend pytorch (torchrun/DDP)');
    const tfjsBackend = str(flags, 'tfjs-backend');
    if (tfjsBackend !== undefined) {
      try {
        parsePreference(tfjsBackend);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const resolved = resolveModel(file, text, { input: str(flags, 'input'), model: str(flags, 'model'), args: str(flags, 'args') }, backend);
    const lrSteps = str(flags, 'lr-steps');
    const config: RunConfigInput & Record<string, unknown> = {
      backend,
      modelFile: path.resolve(file),
      modelName: resolved.modelName,
      modelArgs: str(flags, 'args') ?? '',
      inputShape: resolved.input,
      data: data === 'synthetic' ? 'synthetic' : path.resolve(data),
      epochs: posInt(flags, 'epochs') ?? DEFAULT_HYPERPARAMETERS.epochs,
      batchSize: posInt(flags, 'batch-size') ?? DEFAULT_HYPERPARAMETERS.batchSize,
      lr: nonNegNumber(flags, 'lr', { positive: true }) ?? DEFAULT_HYPERPARAMETERS.lr,
      optimizer: oneOf(flags, 'optimizer', ['sgd', 'adam'] as const) ?? DEFAULT_HYPERPARAMETERS.optimizer,
      momentum: nonNegNumber(flags, 'momentum') ?? DEFAULT_HYPERPARAMETERS.momentum,
      weightDecay: nonNegNumber(flags, 'weight-decay') ?? DEFAULT_HYPERPARAMETERS.weightDecay,
      schedule: oneOf(flags, 'schedule', ['none', 'step', 'cosine'] as const) ?? DEFAULT_HYPERPARAMETERS.schedule,
      valSplit: nonNegNumber(flags, 'val-split', { below: 1 }) ?? DEFAULT_HYPERPARAMETERS.valSplit,
      seed: (() => {
        const s = str(flags, 'seed');
        if (s === undefined) return DEFAULT_HYPERPARAMETERS.seed;
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer, got '${s}'`);
        return n;
      })(),
      augment: !flags.has('no-augment'),
      device: oneOf(flags, 'device', ['auto', 'cuda', 'mps', 'cpu'] as const) ?? 'auto',
      ...(lrSteps ? { lrSteps: lrSteps.split(',').map((x) => Number(x)) } : {}),
      ...(posInt(flags, 'synthetic-size') !== undefined ? { syntheticSize: posInt(flags, 'synthetic-size') } : {}),
      ...(posInt(flags, 'max-steps') !== undefined ? { maxSteps: posInt(flags, 'max-steps') } : {}),
      ...(posInt(flags, 'log-every') !== undefined ? { logEvery: posInt(flags, 'log-every') } : {}),
      ...(tfjsBackend ? { tfjsBackend } : {}),
    };
    // A bad data path still makes a run: the runner fails within milliseconds and records the reason in the
    // end row, where the run list and the panel show it.
    store = new RunStore(path.resolve(str(flags, 'out') ?? DEFAULT_RUNS_DIR));
    const id = str(flags, 'run-id');
    try {
      runId = store.createRun(config as RunConfigInput, id ? { id } : {}).id;
    } catch (e) {
      throw new UsageError(`cannot create the run directory under ${store.root}: ${(e as Error).message}`);
    }
    if (!flags.has('json')) {
      out(`run ${runId}: ${resolved.modelName} from ${file}, input [${resolved.input.join(', ')}] (from ${resolved.inputFrom}), ${backend} backend`);
      out(`run directory: ${store.paths(runId).dir}`);
    }
  }

  const manager = new JobManager();
  const json = flags.has('json');
  const print = (row: TrainingRow) => {
    if (json) out(JSON.stringify(row));
    else {
      const line = formatRow(row);
      if (line) out(line);
    }
  };
  let job: TrainingJob;
  const config = store.readConfig(runId);
  try {
    const python = str(flags, 'python');
    const nproc = posInt(flags, 'nproc');
    job = await manager.start({
      store,
      runId,
      resume: Boolean(resumeDir),
      detached: flags.has('detach'),
      ...(python ? { python } : {}),
      ...(config?.backend === 'pytorch' && nproc ? { nproc } : {}),
    });
  } catch (e) {
    process.stderr.write(`resnet-studio: cannot start training: ${(e as Error).message}\n`);
    return 2;
  }
  if (flags.has('detach')) {
    job.dispose();
    out(`training in the background (pid ${job.pid}); follow ${store.paths(runId).metrics}`);
    return 0;
  }
  job.onDidEmitRow(print);
  // Ctrl-C stops the run cleanly (a checkpoint and an end row), as the panel's Stop does.
  const onInt = () => {
    process.stderr.write('\nstopping after the current step (Ctrl-C again to kill)...\n');
    process.removeListener('SIGINT', onInt);
    process.once('SIGINT', () => process.exit(130));
    void job.stop();
  };
  process.on('SIGINT', onInt);
  const result = await job.done;
  process.removeListener('SIGINT', onInt);
  manager.dispose();
  if (result.status === 'failed' && !json) out(`the runner's log: ${store.paths(runId).stderr}`);
  return result.status === 'completed' ? 0 : 1;
}
