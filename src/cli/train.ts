/**
 * `resnet-studio train`: creates a run directory, trains in a child process (the TF.js worker or the
 * PyTorch runner) and prints its progress. Exit codes: 0 only when the run completed; 1 when it failed or was
 * stopped; 2 for usage or I/O errors (nothing was trained). A SLURM run is submitted as a batch job and
 * followed the same way; a node other than 0 of a multi-node run joins the run node 0 created.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../core/usageError';
import { analyzeText } from '../frontends';
import type { Backend, TrainingRow } from '../protocol/trainingProtocol';
import { healthAlerts, layerRows } from '../protocol/trainingHealth';
import { type TelemetryProbes, telemetryProbes } from '../training/health';
import { JobManager, type TrainingJob } from '../training/jobs';
import { PythonEnvError, describePythonSource, resolveTorchPython } from '../training/pythonEnv';
import { type ModelChoice, type Resolved, analysisOptions, resolveFromAnalysis } from '../training/resolveModel';
import { type RunConfigInput, RunStore } from '../training/runStore';
import { RESUME_FLAGS, SLURM_FLAGS, type TrainInput } from './trainFlags';
import { type CliIo, flagName } from './flags';

/** Input shape and model name: flags first, then what the file says, then the defaults. */
export function resolveModel(file: string, text: string, choice: ModelChoice, backend: Backend): Resolved & { probes?: TelemetryProbes } {
  const analysis = analyzeText(file, text, analysisOptions(choice));
  const resolved = resolveFromAnalysis(analysis, file, text, choice, backend);
  // Where the runner measures each residual add and functional ReLU (layer telemetry), from the same IR.
  const graph = analysis.graph?.name === resolved.modelName ? analysis.graph : analyzeText(file, text, analysisOptions({ ...choice, model: resolved.modelName })).graph;
  return graph ? { ...resolved, probes: telemetryProbes(graph) } : resolved;
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
    case 'layer':
      return undefined; // telemetry is read for its alerts (see train())
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
  checkLaunchFlags(flags, given);
  if (flags.resume === undefined && flags.nodeRank !== undefined && flags.nodeRank > 0) return joinRun(flags, io);
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
  if ((flags.launcher === 'slurm' || flags.nnodes > 1) && backend !== 'pytorch') throw new UsageError(`${flags.launcher === 'slurm' ? '--launcher slurm' : '--nnodes above 1'} needs --backend pytorch`);
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
    telemetryEvery: flags.telemetryEvery,
    ...(flags.lrSteps ? { lrSteps: flags.lrSteps } : {}),
    ...(flags.maxSteps !== undefined ? { maxSteps: flags.maxSteps } : {}),
    ...(flags.tfjsBackend !== undefined ? { tfjsBackend: flags.tfjsBackend } : {}),
    launcher: flags.launcher,
    nnodes: flags.nnodes,
    ...(flags.rdzvEndpoint !== undefined ? { rdzvEndpoint: flags.rdzvEndpoint } : {}),
    ...(flags.rdzvId !== undefined ? { rdzvId: flags.rdzvId } : {}),
    // Every node, and every later resume, launches as many processes: the run keeps the number.
    ...(flags.nproc !== undefined && (flags.launcher === 'slurm' || flags.nnodes > 1) ? { nprocPerNode: flags.nproc } : {}),
    ...(flags.partition !== undefined ? { partition: flags.partition } : {}),
    ...(flags.nodes !== undefined ? { nodes: flags.nodes } : {}),
    ...(flags.gpusPerNode !== undefined ? { gpusPerNode: flags.gpusPerNode } : {}),
    ...(flags.time !== undefined ? { time: flags.time } : {}),
    ...(flags.sbatchArg.length ? { sbatchArgs: flags.sbatchArg } : {}),
    ...(backend === 'pytorch' && resolved.probes ? resolved.probes : {}),
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

/** Launch flags that contradict each other are usage errors before anything is made. */
function checkLaunchFlags(flags: TrainInput['flags'], given: ReadonlySet<string>): void {
  if (flags.launcher !== 'slurm') {
    const slurmOnly = SLURM_FLAGS.find((k) => given.has(k));
    if (slurmOnly) throw new UsageError(`--${flagName(slurmOnly)} is for SLURM runs: add --launcher slurm`);
  } else if (flags.nnodes > 1 || flags.nodeRank !== undefined || flags.rdzvEndpoint !== undefined) {
    throw new UsageError('on SLURM the allocation sets the nodes and the rendezvous: use --nodes, not --nnodes, --node-rank or --rdzv-endpoint');
  }
  if (flags.nodeRank !== undefined && flags.nodeRank >= flags.nnodes && flags.resume === undefined) {
    throw new UsageError(`--node-rank must be below --nnodes (${flags.nnodes}), got ${flags.nodeRank}`);
  }
  if (flags.nnodes > 1 && flags.rdzvEndpoint === undefined) throw new UsageError('--nnodes above 1 needs --rdzv-endpoint HOST:PORT, reachable from every node');
  if (flags.rdzvEndpoint !== undefined && !/^[^\s:]+:\d+$/.test(flags.rdzvEndpoint) && !/^\[[^\]]+\]:\d+$/.test(flags.rdzvEndpoint)) {
    throw new UsageError(`--rdzv-endpoint must be HOST:PORT, got '${flags.rdzvEndpoint}'`);
  }
  if (flags.nodeRank !== undefined && flags.nodeRank > 0 && flags.runId === undefined && flags.resume === undefined) {
    throw new UsageError('a node other than 0 joins the run node 0 creates: give the same --run-id (and --out)');
  }
}

/** How long a node other than 0 waits for node 0 to create the run it joins. */
const JOIN_WAIT_MS = 120_000;

/** A node other than 0 of a multi-node run: the run is node 0's, found by its id in the shared runs folder. */
async function joinRun(flags: TrainInput['flags'], io: CliIo): Promise<{ store: RunStore; runId: string; resume: boolean; python: string | undefined }> {
  const store = new RunStore(path.resolve(flags.out));
  const runId = flags.runId!;
  const config = store.paths(runId).config;
  const until = Date.now() + JOIN_WAIT_MS;
  while (!store.readConfig(runId) || !store.readState(runId)) {
    if (Date.now() > until) throw new UsageError(`no run ${runId} under ${store.root} after ${JOIN_WAIT_MS / 1000} s: start node 0 first, with the same --run-id and --out`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const nnodes = store.readConfig(runId)?.nnodes ?? 1;
  if (flags.nodeRank! >= nnodes) throw new UsageError(`run ${runId} has ${nnodes} node(s); --node-rank ${flags.nodeRank} is not one of them`);
  if (!flags.json) io.out(`joining run ${runId} as node ${flags.nodeRank} of ${nnodes} (${config})`);
  return { store, runId, resume: false, python: await pythonFor('pytorch', flags, io) };
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
      ...(flags.nodeRank !== undefined ? { nodeRank: flags.nodeRank } : {}),
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const message = e instanceof PythonEnvError ? e.message : `cannot start training: ${(e as Error).message}`;
    process.stderr.write(`resnet-studio train: ${message}\n`);
    return 2;
  }
  if (flags.detach) {
    job.dispose();
    io.out(
      job.slurmJobId !== undefined
        ? `submitted as SLURM job ${job.slurmJobId} (scancel ${job.slurmJobId} stops it); follow ${store.paths(runId).metrics}`
        : `training in the background (pid ${job.pid}); follow ${store.paths(runId).metrics}`,
    );
    return 0;
  }
  if (job.slurmJobId !== undefined && !flags.json) io.out(`submitted as SLURM job ${job.slurmJobId}; following it until it ends (Ctrl-C cancels it)`);
  job.onDidChangeSlurmState((s) => {
    if (!flags.json) io.out(`slurm: job ${s.jobId} ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
  });
  // Health alerts, each printed once, checked when a sampled step's layer rows are complete (the next row
  // that is not one of them) rather than on every row.
  const telemetry: TrainingRow[] = [];
  const alerted = new Set<string>();
  let pendingTelemetry = false;
  const printAlerts = () => {
    pendingTelemetry = false;
    for (const a of healthAlerts(layerRows(telemetry))) {
      const key = `${a.kind} ${a.module}`;
      if (alerted.has(key)) continue;
      alerted.add(key);
      io.out(`alert: ${a.message}`);
    }
  };
  job.onDidEmitRow((row: TrainingRow) => {
    if (row.type === 'layer') {
      telemetry.push(row);
      pendingTelemetry = true;
    } else if (pendingTelemetry && !flags.json) printAlerts();
    if (flags.json) io.out(JSON.stringify(row));
    else {
      const line = formatRow(row);
      if (line) io.out(line);
    }
  });
  // Ctrl-C stops the run cleanly (a checkpoint and an end row), as the panel's Stop does.
  const onInt = () => {
    process.stderr.write(job.slurmJobId !== undefined ? `\ncancelling SLURM job ${job.slurmJobId} (the run stops after its current step)...\n` : '\nstopping after the current step (Ctrl-C again to kill)...\n');
    process.removeListener('SIGINT', onInt);
    process.once('SIGINT', () => process.exit(130));
    void job.stop();
  };
  process.on('SIGINT', onInt);
  const result = await job.done;
  process.removeListener('SIGINT', onInt);
  manager.dispose();
  if (result.status === 'failed' && !flags.json) io.out(`the runner's log: ${store.paths(runId).stderr}`);
  // A node other than 0 has no end row of its own to print: say how its share ended.
  if (flags.nodeRank !== undefined && flags.nodeRank > 0 && !flags.json) io.out(`node ${flags.nodeRank}: ${result.status}${result.error ? `: ${result.error}` : ''}`);
  return result.status === 'completed' ? 0 : 1;
}
