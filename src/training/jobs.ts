/**
 * The job manager: starts, stops, lists and follows training jobs, each a child process working on one run
 * of a {@link RunStore}. Pure Node (no `vscode`), so the extension host, the CLI and tests share it.
 *
 * Both runners honour one process contract (rows on stdout and appended to `metrics.jsonl`, logs on stderr,
 * SIGTERM = stop after the step in flight, exactly one `end` row per attempt), so one launcher serves both:
 * the PyTorch runner's {@link PytorchJob}, which follows the run's log files and writes the `end` row for a
 * process that died without one. For TF.js the "interpreter" is Node itself (Electron's binary inside VS Code,
 * told to act as Node) and the "script" the bundled worker.
 *
 * A run whose config says `launcher: 'slurm'` is a batch job instead ({@link SlurmJob}): the same surface,
 * with the job id in place of a pid, and `scancel` for Stop.
 *
 * A job is a disposable: `dispose()` stops it, unless it was started detached, in which case it only stops
 * being followed and keeps training (a later session can {@link JobManager.attach} to it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, TrainingRow } from '../protocol/trainingProtocol';
import { Emitter, type Event } from './emitter';
import { type JobResult, type LogLine, PytorchJob } from './pytorchRunner';
import { resolveTorchPython } from './pythonEnv';
import type { RunStore, RunSummary } from './runStore';
import { SlurmJob, type SlurmStateChange } from './slurm';
import { TFJS_BACKEND_ENV, TFJS_STORAGE_ENV, type TfjsBackendPreference } from './tfjsNative';

export type { JobResult, LogLine } from './pytorchRunner';

export const WORKER_BUNDLE = 'trainingWorker.js';

export interface TrainingJob {
  readonly runId: string;
  readonly store: RunStore;
  readonly backend: Backend;
  readonly detached: boolean;
  /** The process on this machine; 0 for a SLURM job (see {@link slurmJobId}). */
  readonly pid: number;
  /** The SLURM job, when the run's launcher is SLURM. */
  readonly slurmJobId: string | undefined;
  /** A SLURM job's state changed (queued, running, ...); never fires for a local job. */
  readonly onDidChangeSlurmState: Event<SlurmStateChange>;
  /** Rows of this attempt so far, in order. */
  readonly rows: readonly TrainingRow[];
  readonly onDidEmitRow: Event<TrainingRow>;
  readonly onDidLog: Event<LogLine>;
  readonly onDidExit: Event<JobResult>;
  /** Settles once the process is gone and its `end` row is in metrics.jsonl. */
  readonly done: Promise<JobResult>;
  readonly running: boolean;
  /** SIGTERM (stop after the current step, with a checkpoint), then SIGKILL if it lingers. */
  stop(): Promise<JobResult>;
  /** Stops the job, or for a detached job stops following it and leaves it training. */
  dispose(): void;
}

export interface StartJobOptions {
  store: RunStore;
  runId: string;
  /** Continue from the newest checkpoint; the step count carries on. */
  resume?: boolean;
  /** Keep training when the owner (the window, the CLI) goes away. */
  detached?: boolean;
  env?: Record<string, string>;
  /** SIGTERM, then SIGKILL after this long (default 20 s). */
  stopTimeoutMs?: number;
  pollIntervalMs?: number;
  /** TF.js: the worker bundle (default: found by {@link workerScriptPath}). */
  workerPath?: string;
  /** TF.js: the Node executable (default: this process's, run as Node when it is Electron). */
  nodePath?: string;
  /** TF.js: the extension's storage folder, searched first for native backends. */
  tfjsStorageDir?: string;
  tfjsBackend?: TfjsBackendPreference;
  /** PyTorch: the interpreter (default: the first that imports torch, see `resolveTorchPython`). */
  python?: string;
  /** PyTorch: an explicit interpreter setting to try first when `python` is not given. */
  pythonSetting?: string;
  /** PyTorch: processes on this node (torchrun/DDP when more than one). */
  nproc?: number;
  /** PyTorch, multi-node: this node's rank (the run's config holds the node count and the rendezvous). */
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  scriptPath?: string;
  /** SLURM: the environment of sbatch, squeue and scancel (`SLURM_CONF` picks the cluster). */
  slurmEnv?: NodeJS.ProcessEnv;
  /** SLURM: how often squeue is asked (default 1 s). */
  slurmQueryIntervalMs?: number;
}

/**
 * The TF.js worker bundle. From a bundle in `dist/` it sits beside it; from sources (tests) it is
 * `dist/trainingWorker.js` in a folder above. Undefined when not built.
 */
export function workerScriptPath(extensionRoot?: string): string | undefined {
  const candidates: string[] = [];
  if (extensionRoot) candidates.push(path.join(extensionRoot, 'dist', WORKER_BUNDLE));
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  candidates.push(path.join(here, WORKER_BUNDLE));
  for (let dir = here, i = 0; i < 6; i++) {
    candidates.push(path.join(dir, 'dist', WORKER_BUNDLE));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  candidates.push(path.join(process.cwd(), 'dist', WORKER_BUNDLE));
  return candidates.find((c) => fs.existsSync(c));
}


const NEVER: Event<SlurmStateChange> = () => ({ dispose: () => undefined });

class Job implements TrainingJob {
  constructor(
    private readonly inner: PytorchJob | SlurmJob,
    readonly backend: Backend,
    readonly detached: boolean,
  ) {}
  get slurmJobId() {
    return this.inner instanceof SlurmJob ? this.inner.jobId : undefined;
  }
  get onDidChangeSlurmState() {
    return this.inner instanceof SlurmJob ? this.inner.onDidChangeState : NEVER;
  }
  get runId() {
    return this.inner.runId;
  }
  get store() {
    return this.inner.store;
  }
  get pid() {
    return this.inner.pid;
  }
  get rows() {
    return this.inner.rows;
  }
  get onDidEmitRow() {
    return this.inner.onDidEmitRow;
  }
  get onDidLog() {
    return this.inner.onDidLog;
  }
  get onDidExit() {
    return this.inner.onDidExit;
  }
  get done() {
    return this.inner.done;
  }
  get running() {
    return this.inner.running;
  }
  stop(): Promise<JobResult> {
    return this.inner.stop();
  }
  dispose(): void {
    if (this.detached) this.inner.detach();
    else this.inner.dispose();
  }
}

export interface JobInfo {
  runId: string;
  backend: Backend;
  pid: number;
  slurmJobId: string | undefined;
  detached: boolean;
  running: boolean;
}

export class JobManager {
  private readonly jobs = new Map<string, TrainingJob>();
  private readonly changed = new Emitter<void>();
  /** Fires when a job starts or ends. */
  readonly onDidChangeJobs: Event<void> = this.changed.event;

  /** Starts (or resumes) a run; the backend is the one in its config.json. */
  async start(o: StartJobOptions): Promise<TrainingJob> {
    const key = this.key(o.store, o.runId);
    if (this.jobs.get(key)?.running) throw new Error(`run ${o.runId} is already running`);
    const config = o.store.readConfig(o.runId);
    if (!config) throw new Error(`run ${o.runId} has no readable config.json`);
    const backend: Backend = config.backend ?? 'pytorch';
    const common = {
      store: o.store,
      runId: o.runId,
      ...(o.resume ? { resume: true } : {}),
      ...(o.detached ? { detached: true } : {}),
      ...(o.stopTimeoutMs !== undefined ? { stopTimeoutMs: o.stopTimeoutMs } : {}),
      ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}),
    };
    let inner: PytorchJob | SlurmJob;
    if (config.launcher === 'slurm') {
      if (backend !== 'pytorch') throw new Error('the SLURM launcher trains PyTorch runs only');
      const python = o.python ?? (await resolveTorchPython({ explicit: o.pythonSetting })).python;
      inner = await SlurmJob.start({
        ...common,
        python,
        ...(o.scriptPath ? { scriptPath: o.scriptPath } : {}),
        ...(o.slurmEnv ? { env: o.slurmEnv } : {}),
        ...(o.slurmQueryIntervalMs !== undefined ? { queryIntervalMs: o.slurmQueryIntervalMs } : {}),
      });
    } else if (backend === 'tfjs') {
      const worker = o.workerPath ?? workerScriptPath();
      if (!worker) throw new Error(`the TF.js training worker (dist/${WORKER_BUNDLE}) is not built; run \`npm run build\``);
      const env: Record<string, string> = { ELECTRON_RUN_AS_NODE: '1', ...o.env };
      if (o.tfjsStorageDir) env[TFJS_STORAGE_ENV] = o.tfjsStorageDir;
      if (o.tfjsBackend && o.tfjsBackend !== 'auto') env[TFJS_BACKEND_ENV] = o.tfjsBackend;
      inner = await PytorchJob.start({ ...common, python: o.nodePath ?? process.execPath, scriptPath: worker, env });
    } else {
      const python = o.python ?? (await resolveTorchPython({ explicit: o.pythonSetting })).python;
      inner = await PytorchJob.start({
        ...common,
        python,
        ...(o.env ? { env: o.env } : {}),
        ...(o.scriptPath ? { scriptPath: o.scriptPath } : {}),
        ...(o.nproc !== undefined ? { nproc: o.nproc } : config.nprocPerNode !== undefined ? { nproc: config.nprocPerNode } : {}),
        nnodes: config.nnodes,
        ...(config.rdzvEndpoint !== undefined ? { rdzvEndpoint: config.rdzvEndpoint } : {}),
        ...(config.rdzvId !== undefined ? { rdzvId: config.rdzvId } : {}),
        ...(o.nodeRank !== undefined ? { nodeRank: o.nodeRank } : {}),
        ...(o.masterAddr !== undefined ? { masterAddr: o.masterAddr } : {}),
        ...(o.masterPort !== undefined ? { masterPort: o.masterPort } : {}),
      });
    }
    return this.track(key, new Job(inner, backend, o.detached === true));
  }

  /** Follows a run that is running without a job here (started detached by an earlier session). */
  attach(store: RunStore, runId: string, options: { stopTimeoutMs?: number; pollIntervalMs?: number; slurmEnv?: NodeJS.ProcessEnv } = {}): TrainingJob | undefined {
    const key = this.key(store, runId);
    const existing = this.jobs.get(key);
    if (existing?.running) return existing;
    const { slurmEnv, ...local } = options;
    const inner =
      store.readState(runId)?.launcher === 'slurm'
        ? SlurmJob.attach(store, runId, { ...(slurmEnv ? { env: slurmEnv } : {}), ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}) })
        : PytorchJob.attach(store, runId, local);
    if (!inner) return undefined;
    const backend = store.readConfig(runId)?.backend ?? 'pytorch';
    return this.track(key, new Job(inner, backend, true));
  }

  get(store: RunStore, runId: string): TrainingJob | undefined {
    return this.jobs.get(this.key(store, runId));
  }

  /** Jobs this manager started or attached to and that are still running. */
  list(): JobInfo[] {
    return [...this.jobs.values()].filter((j) => j.running).map((j) => ({ runId: j.runId, backend: j.backend, pid: j.pid, slurmJobId: j.slurmJobId, detached: j.detached, running: j.running }));
  }

  jobsRunning(): TrainingJob[] {
    return [...this.jobs.values()].filter((j) => j.running);
  }

  /** Stops a run: this manager's job, or (for a run started elsewhere) the recorded process. */
  async stop(store: RunStore, runId: string, options: Parameters<JobManager['attach']>[2] = {}): Promise<JobResult | undefined> {
    const job = this.jobs.get(this.key(store, runId)) ?? this.attach(store, runId, options);
    return job?.running ? job.stop() : undefined;
  }

  /** Runs in the store, newest first, with `interrupted` for those whose process is gone without an end row. */
  listRuns(store: RunStore): RunSummary[] {
    return store.listRuns();
  }

  /** Stops every job that was not started detached; detached ones keep running. */
  dispose(): void {
    for (const job of this.jobs.values()) job.dispose();
    this.jobs.clear();
  }

  private track(key: string, job: TrainingJob): TrainingJob {
    this.jobs.set(key, job);
    this.changed.fire();
    void job.done.then(() => {
      if (this.jobs.get(key) === job) this.jobs.delete(key);
      this.changed.fire();
    });
    return job;
  }

  private key(store: RunStore, runId: string): string {
    return `${path.resolve(store.root)}\u0000${runId}`;
  }
}
