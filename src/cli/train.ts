/**
 * `resnet-studio train`: creates a run directory, trains in a child process (the TF.js worker or the
 * PyTorch runner) and prints its progress. Exit codes: 0 only when the run completed; 1 when it failed or was
 * stopped; 2 for usage or I/O errors (nothing was trained).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../core/usageError';
import { analyzeText } from '../frontends';
import type { Backend, TrainingRow } from '../protocol/trainingProtocol';
import { JobManager, type TrainingJob } from '../training/jobs';
import { PythonEnvError, describePythonSource, resolveTorchPython } from '../training/pythonEnv';
import { type ModelChoice, type Resolved, analysisOptions, resolveFromAnalysis } from '../training/resolveModel';
import { type RunConfigInput, RunStore } from '../training/runStore';
import { RESUME_FLAGS, type TrainInput } from './commands';
import { type CliIo, flagName } from './flags';

/** Input shape and model name: flags first, then what the file says, then the defaults. */
export function resolveModel(file: string, text: string, choice: ModelChoice, backend: Backend): Resolved {
  return resolveFromAnalysis(analyzeText(file, text, analysisOptions(choice)), file, text, choice, backend);
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

/**
 * The interpreter of a PyTorch run: `--python` as given, else the first that imports torch (reported with
 * where it came from). Throws `PythonEnvError` when there is none.
 */
async function pythonFor(backend: Backend, flags: TrainInput['flags'], io: CliIo): Promise<string | undefined> {
  if (backend !== 'pytorch' || flags.python !== undefined) return flags.python;
  const found = await resolveTorchPython();
  if (!flags.json) io.out(`python: ${found.python} (${describePythonSource(found.source)}), torch ${found.torchVersion}`);
  return found.python;
}

/**
 * The run directory of `--resume`, or a new run made from the flags, and its interpreter; the interpreter
 * is found first, so a machine without PyTorch is told so without leaving a run behind.
 */
async function prepareRun({ args: [file], flags, given }: TrainInput, io: CliIo): Promise<{ store: RunStore; runId: string; resume: boolean; python: string | undefined }> {
  if (flags.resume !== undefined) {
    const fixed = [...given].filter((k) => !RESUME_FLAGS.includes(k));
    if (file !== undefined || fixed.length) {
      throw new UsageError(`${file !== undefined ? `a FILE` : `--${flagName(fixed[0]!)}`} cannot be used with --resume: a resumed run keeps the settings it was created with`);
    }
    const dir = path.resolve(flags.resume);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`${flags.resume} is not a run directory (no config.json)`);
    const store = new RunStore(path.dirname(dir));
    const runId = path.basename(dir);
    const backend = store.readConfig(runId)?.backend;
    return { store, runId, resume: true, python: backend ? await pythonFor(backend, flags, io) : undefined };
  }
  if (file === undefined) throw new UsageError('missing FILE (or --resume RUN_DIR)');
  if (flags.data === undefined) throw new UsageError('missing --data synthetic|DIR');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const backend = flags.backend ?? (file.endsWith('.py') ? 'pytorch' : 'tfjs');
  if (flags.nproc !== undefined && flags.nproc > 1 && backend !== 'pytorch') throw new UsageError('--nproc above 1 needs --backend pytorch (torch.distributed)');
  const choice: ModelChoice = {
    ...(flags.input ? { input: flags.input, inputLabel: '--input' } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.args ? { args: flags.args } : {}),
  };
  const resolved = resolveModel(file, text, choice, backend);
  const python = await pythonFor(backend, flags, io);
  const config: RunConfigInput = {
    backend,
    modelFile: path.resolve(file),
    modelName: resolved.modelName,
    modelArgs: flags.args ?? '',
    inputShape: resolved.input,
    data: flags.data === 'synthetic' ? 'synthetic' : path.resolve(flags.data),
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    lr: flags.lr,
    optimizer: flags.optimizer,
    momentum: flags.momentum,
    weightDecay: flags.weightDecay,
    schedule: flags.schedule,
    valSplit: flags.valSplit,
    seed: flags.seed,
    augment: !flags.noAugment,
    device: flags.device,
    lrGamma: flags.lrGamma,
    syntheticSize: flags.syntheticSize,
    logEvery: flags.logEvery,
    ...(flags.lrSteps ? { lrSteps: flags.lrSteps } : {}),
    ...(flags.maxSteps !== undefined ? { maxSteps: flags.maxSteps } : {}),
    ...(flags.tfjsBackend !== undefined ? { tfjsBackend: flags.tfjsBackend } : {}),
  };
  // A bad data path still makes a run: the runner fails within milliseconds and records the reason in the
  // end row, where the run list and the panel show it.
  const store = new RunStore(path.resolve(flags.out));
  let runId: string;
  try {
    runId = store.createRun(config, flags.runId !== undefined ? { id: flags.runId } : {}).id;
  } catch (e) {
    throw new UsageError(`cannot create the run directory under ${store.root}: ${(e as Error).message}`);
  }
  if (!flags.json) {
    io.out(`run ${runId}: ${resolved.modelName} from ${file}, input [${resolved.input.join(', ')}] (from ${resolved.inputFrom}), ${backend} backend`);
    io.out(`run directory: ${store.paths(runId).dir}`);
  }
  return { store, runId, resume: false, python };
}

export async function train(input: TrainInput, io: CliIo): Promise<number> {
  const { flags } = input;
  const manager = new JobManager();
  let job: TrainingJob;
  let store: RunStore;
  let runId: string;
  try {
    let python: string | undefined;
    let resume: boolean;
    ({ store, runId, resume, python } = await prepareRun(input, io));
    const config = store.readConfig(runId);
    job = await manager.start({
      store,
      runId,
      resume,
      detached: flags.detach,
      ...(python !== undefined ? { python } : {}),
      ...(config?.backend === 'pytorch' && flags.nproc !== undefined ? { nproc: flags.nproc } : {}),
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const message = e instanceof PythonEnvError ? e.message : `cannot start training: ${(e as Error).message}`;
    process.stderr.write(`resnet-studio train: ${message}\n`);
    return 2;
  }
  if (flags.detach) {
    job.dispose();
    io.out(`training in the background (pid ${job.pid}); follow ${store.paths(runId).metrics}`);
    return 0;
  }
  job.onDidEmitRow((row: TrainingRow) => {
    if (flags.json) io.out(JSON.stringify(row));
    else {
      const line = formatRow(row);
      if (line) io.out(line);
    }
  });
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
  if (result.status === 'failed' && !flags.json) io.out(`the runner's log: ${store.paths(runId).stderr}`);
  return result.status === 'completed' ? 0 : 1;
}
