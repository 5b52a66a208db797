/**
 * The SLURM launcher: a run whose config says `launcher: 'slurm'` trains as a batch job. The job's script is
 * written into the run folder (`job.sbatch`: `srun` starts one `torchrun` per task, and the rendezvous is
 * taken from the allocation), submitted with `sbatch`, and its job id recorded in `state.json`. A
 * {@link SlurmJob} then follows it: the rows that global rank 0 appends to the shared `metrics.jsonl`, the
 * job's `stderr.log`, and the job's state through `squeue`, with `sacct` (where accounting exists),
 * `scontrol show job` or the job-completion log for how it ended. Stop is `scancel`.
 *
 * Pure Node (no `vscode`). Every SLURM command runs with the caller's environment, so `SLURM_CONF` and PATH
 * decide which cluster is asked.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attemptOf, parseTrainingRow, type EndRow, type EndStatus, type RunConfig, type TrainingRow } from '../protocol/trainingProtocol';
import { Emitter, type Event } from './emitter';
import type { JobResult, LogLine } from './pytorchRunner';
import { REDIRECT_BUG_ARGS, probePython, trainScriptPath } from './pythonEnv';
import { readCompleteLines, readLastRow, type RunStore, type SlurmRecord } from './runStore';

/** The batch script's name inside the run folder. */
export const SBATCH_SCRIPT = 'job.sbatch';
/** The longest wait between two `squeue` calls while the controller keeps failing. */
const MAX_QUERY_BACKOFF_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------
// Running SLURM's commands

export interface SlurmEnv {
  /** The environment of every SLURM command (default: this process's); `SLURM_CONF` picks the cluster. */
  env?: NodeJS.ProcessEnv;
  /** Per command (default 30 s: a busy controller answers slowly, but it answers). */
  timeoutMs?: number;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a SLURM client command; never rejects, except when the command is not installed. */
export function slurmCommand(command: string, args: readonly string[], o: SlurmEnv & { cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { env: o.env ?? process.env, timeout: o.timeoutMs ?? 30_000, cwd: o.cwd, windowsHide: true }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${command} not found: SLURM's client commands are not on PATH`));
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Why SLURM cannot be used from here, or undefined when `sinfo` answers. */
export async function slurmUnavailable(o: SlurmEnv = {}): Promise<string | undefined> {
  try {
    const r = await slurmCommand('sinfo', ['-h', '-o', '%P'], o);
    return r.code === 0 ? undefined : `sinfo failed: ${firstLine(r.stderr) || `exit code ${r.code}`}`;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Partitions

export interface Partition {
  name: string;
  /** The cluster's default partition (`sinfo` marks it with `*`). */
  isDefault: boolean;
  /** `up`, `down`, `drain` or `inactive`. */
  available: string;
  /** Nodes allocated, idle, other and in total (sinfo's %F). */
  nodes: { allocated: number; idle: number; other: number; total: number };
  /** Generic resources, e.g. `gpu:a100:8`; empty when none. */
  gres: string;
  /** The longest time a job may ask for, as sinfo writes it (`infinite`, `2-00:00:00`). */
  timeLimit: string;
}

/** The partitions `sinfo` lists, in its order. */
export async function listPartitions(o: SlurmEnv = {}): Promise<Partition[]> {
  const r = await slurmCommand('sinfo', ['-h', '-o', '%P|%a|%F|%G|%l'], o);
  if (r.code !== 0) throw new Error(`sinfo failed: ${firstLine(r.stderr) || `exit code ${r.code}`}`);
  return parsePartitions(r.stdout);
}

/** Parses `sinfo -h -o '%P|%a|%F|%G|%l'`; a partition listed on several lines (mixed node states) is merged. */
export function parsePartitions(text: string): Partition[] {
  const byName = new Map<string, Partition>();
  for (const line of text.split('\n')) {
    const [rawName, available = '', counts = '', gres = '', timeLimit = ''] = line.trim().split('|');
    if (!rawName) continue;
    const isDefault = rawName.endsWith('*');
    const name = isDefault ? rawName.slice(0, -1) : rawName;
    const [allocated = 0, idle = 0, other = 0, total = 0] = counts.split('/').map((n) => Number(n) || 0);
    const prev = byName.get(name);
    if (prev) {
      prev.nodes.allocated += allocated;
      prev.nodes.idle += idle;
      prev.nodes.other += other;
      prev.nodes.total += total;
      if (prev.gres === '(null)' || !prev.gres) prev.gres = gres === '(null)' ? '' : gres;
      continue;
    }
    byName.set(name, { name, isDefault, available, nodes: { allocated, idle, other, total }, gres: gres === '(null)' ? '' : gres, timeLimit });
  }
  return [...byName.values()];
}

// ---------------------------------------------------------------------------------------------------------
// Job states

/** What a job's SLURM state means for its run. */
export type SlurmPhase = 'queued' | 'running' | EndStatus;

/**
 * Every base state SLURM 20-24 reports (squeue's %T, sacct's State, scontrol's JobState). A run has no
 * queued status of its own: queued and running jobs are both a `running` run, with the SLURM state beside it.
 */
export const SLURM_STATES: Readonly<Record<string, SlurmPhase>> = {
  PENDING: 'queued',
  CONFIGURING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_HOLD: 'queued',
  REQUEUE_FED: 'queued',
  RESV_DEL_HOLD: 'queued',
  SUSPENDED: 'queued',
  STOPPED: 'queued',
  RUNNING: 'running',
  COMPLETING: 'running',
  STAGE_OUT: 'running',
  SIGNALING: 'running',
  RESIZING: 'running',
  UPDATE_DB: 'running',
  COMPLETED: 'completed',
  CANCELLED: 'stopped',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  BOOT_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  DEADLINE: 'failed',
  PREEMPTED: 'failed',
  REVOKED: 'failed',
  SPECIAL_EXIT: 'failed',
};

/** The phase of a state as any of SLURM's commands spells it (`CANCELLED by 0`, `CANCELLED+`, `cancelled`). */
export function slurmPhase(state: string): SlurmPhase | undefined {
  const base = state.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
  return SLURM_STATES[base];
}

const STATE_WORDS: Readonly<Record<string, string>> = {
  TIMEOUT: 'it reached its time limit',
  NODE_FAIL: 'a node of the allocation failed',
  BOOT_FAIL: 'a node failed to boot',
  OUT_OF_MEMORY: 'it ran out of memory',
  DEADLINE: 'it reached its deadline',
  PREEMPTED: 'it was preempted',
  CANCELLED: 'it was cancelled',
};

export interface SlurmJobInfo {
  /** The base state, upper case: `RUNNING`, `COMPLETED`, `CANCELLED`, ... */
  state: string;
  /** Why it is pending or how it ended (`Resources`, `NonZeroExitCode`), when SLURM says. */
  reason?: string;
  /** The batch script's exit code and the signal that ended it (`ExitCode=1:0`). */
  exitCode?: number;
  signal?: number;
  /** Which command answered. */
  source: 'squeue' | 'sacct' | 'scontrol' | 'jobcomp';
}

function baseState(s: string): string {
  return s.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
}

function exitParts(text: string | undefined): Pick<SlurmJobInfo, 'exitCode' | 'signal'> {
  const m = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) } : {};
}

function cleanReason(r: string | undefined): string | undefined {
  const t = r?.trim();
  return t && t !== 'None' && t !== '(null)' ? t : undefined;
}

/** The job as `squeue` sees it (every state, while the controller remembers the job); undefined once forgotten. */
export async function squeueJob(jobId: string, o: SlurmEnv = {}): Promise<SlurmJobInfo | undefined> {
  const r = await slurmCommand('squeue', ['-h', '-j', jobId, '-t', 'all', '-o', '%T|%r'], o);
  if (r.code !== 0) {
    if (/invalid job id/i.test(r.stderr)) return undefined;
    throw new Error(`squeue failed: ${firstLine(r.stderr) || `exit code ${r.code}`}`);
  }
  const [state, reason] = (r.stdout.trim().split('\n')[0] ?? '').split('|');
  if (!state) return undefined;
  return { state: baseState(state), ...(cleanReason(reason) ? { reason: cleanReason(reason)! } : {}), source: 'squeue' };
}

/**
 * How a job ended, with its exit code: from `sacct` where the cluster keeps accounting, else `scontrol show
 * job` (which knows a job for MinJobAge, 300 s by default, after its end), else the job-completion log when
 * the cluster writes one as text. Undefined when nothing remembers the job.
 */
export async function finalJobInfo(jobId: string, o: SlurmEnv = {}): Promise<SlurmJobInfo | undefined> {
  return (await sacctJob(jobId, o)) ?? (await scontrolJob(jobId, o)) ?? (await jobcompJob(jobId, o));
}

export async function sacctJob(jobId: string, o: SlurmEnv = {}): Promise<SlurmJobInfo | undefined> {
  let r: CommandResult;
  try {
    r = await slurmCommand('sacct', ['-n', '-X', '-P', '-j', jobId, '-o', 'State,ExitCode,Reason'], o);
  } catch {
    return undefined; // no sacct on this machine
  }
  // "Slurm accounting storage is disabled", or the database lags behind the controller: ask the next source.
  if (r.code !== 0) return undefined;
  const [state, exit, reason] = (r.stdout.trim().split('\n')[0] ?? '').split('|');
  if (!state) return undefined;
  const base = baseState(state);
  // While the job still runs, or before the database has its end, sacct's answer is not how it ended.
  const phase = SLURM_STATES[base];
  if (phase === 'queued' || phase === 'running') return undefined;
  return { state: base, ...exitParts(exit), ...(cleanReason(reason) ? { reason: cleanReason(reason)! } : {}), source: 'sacct' };
}

export async function scontrolJob(jobId: string, o: SlurmEnv = {}): Promise<SlurmJobInfo | undefined> {
  const r = await slurmCommand('scontrol', ['show', 'job', '-o', jobId], o);
  if (r.code !== 0) return undefined;
  const fields = keyValues(r.stdout);
  const state = fields.get('JobState');
  if (!state) return undefined;
  const reason = cleanReason(fields.get('Reason'));
  return { state: baseState(state), ...exitParts(fields.get('ExitCode')), ...(reason ? { reason } : {}), source: 'scontrol' };
}

export async function jobcompJob(jobId: string, o: SlurmEnv = {}): Promise<SlurmJobInfo | undefined> {
  const r = await slurmCommand('scontrol', ['show', 'config'], o);
  if (r.code !== 0) return undefined;
  const conf = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s*=\s*(.*)$/.exec(line.trim());
    if (m) conf.set(m[1]!, m[2]!.trim());
  }
  const file = conf.get('JobCompLoc');
  if (conf.get('JobCompType') !== 'jobcomp/filetxt' || !file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // One line per job; a requeued job has several, and the last is the latest.
  let found: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const f = keyValues(line);
    if (f.get('JobId') === jobId) found = f;
  }
  const state = found?.get('JobState');
  if (!found || !state) return undefined;
  return { state: baseState(state), ...exitParts(found.get('ExitCode')), source: 'jobcomp' };
}

/** `Key=Value Key=Value ...` as printed by `scontrol -o` and the job-completion log (values have no spaces). */
function keyValues(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of line.matchAll(/(?:^|\s)([A-Za-z][A-Za-z0-9_/:]*)=(\S*)/g)) if (!out.has(m[1]!)) out.set(m[1]!, m[2]!);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The batch script

/** POSIX shell quoting: a word that is safe stays bare, anything else is single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface SbatchScriptOptions {
  runId: string;
  config: RunConfig;
  /** The interpreter with torch; the same path must exist on the compute nodes (a shared environment). */
  python: string;
  /** The training script; it must be readable on the compute nodes. */
  scriptPath: string;
  /** The run's config.json, which the nodes read from the shared run folder. */
  configPath: string;
  resume: boolean;
  attempt: number;
  /** Pass torchrun the spelling of "no redirection" that torch 1.13 under Python 3.11 can read. */
  avoidRedirectBug: boolean;
}

/** Training processes per node: the config's, else one per GPU asked for, else one. */
export function processesPerNode(config: Pick<RunConfig, 'nprocPerNode' | 'gpusPerNode'>): number {
  return config.nprocPerNode ?? (config.gpusPerNode && config.gpusPerNode > 0 ? config.gpusPerNode : 1);
}

/**
 * The `sbatch` script: the allocation in `#SBATCH` lines, then one `torchrun` per task through `srun`. Every
 * task runs one torchrun agent that starts this node's processes; the agents meet at a c10d rendezvous on the
 * allocation's first node, under the job id, and number the nodes themselves. Output is appended to the run's
 * `stdout.log` and `stderr.log` (sbatch runs in the run folder), so the attempts of a run follow each other.
 */
export function sbatchScript(o: SbatchScriptOptions): string {
  const c = o.config;
  const nproc = processesPerNode(c);
  const header = [
    `--job-name=${`resnet-studio-${c.modelName}`.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60)}`,
    '--output=stdout.log',
    '--error=stderr.log',
    '--open-mode=append',
    `--nodes=${c.nodes ?? 1}`,
    '--ntasks-per-node=1',
    ...(c.partition ? [`--partition=${c.partition}`] : []),
    ...(c.gpusPerNode ? [`--gpus-per-node=${c.gpusPerNode}`] : []),
    ...(c.time ? [`--time=${c.time}`] : []),
  ];
  const torchrun = [
    shellQuote(o.python), '-m', 'torch.distributed.run',
    '--nnodes', '"$SLURM_NTASKS"',
    '--nproc_per_node', String(nproc),
    '--rdzv_backend', 'c10d',
    '--rdzv_endpoint', '"$head:$port"',
    '--rdzv_id', '"$SLURM_JOB_ID"',
    ...(o.avoidRedirectBug ? REDIRECT_BUG_ARGS : []),
    shellQuote(o.scriptPath), '--config', shellQuote(o.configPath), ...(o.resume ? ['--resume'] : []),
  ];
  return [
    '#!/bin/bash',
    `# ResNet Studio run ${o.runId}, attempt ${o.attempt}: ${c.modelName} on SLURM. Written by the SLURM launcher`,
    '# into the run folder and submitted from it; more sbatch options, if any, were given on the command line',
    '# (they are in state.json).',
    ...header.map((h) => `#SBATCH ${h}`),
    'set -eu',
    'export PYTHONUNBUFFERED=1',
    '# The allocation\'s first node hosts the rendezvous; its port follows from the job id, so two jobs that share',
    '# a first node do not meet at the same one.',
    'head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
    'port=$((20000 + SLURM_JOB_ID % 20000))',
    `echo "resnet-studio: SLURM job $SLURM_JOB_ID, $SLURM_NTASKS task(s) on $SLURM_JOB_NODELIST, rendezvous $head:$port" >&2`,
    `exec srun --kill-on-bad-exit=1 ${torchrun.join(' ')}`,
    '',
  ].join('\n');
}

/** The job id in `sbatch --parsable`'s answer (`123` or `123;cluster`). */
export function parseSbatchJobId(stdout: string): string | undefined {
  const m = /^(\d+)(?:;\S+)?\s*$/m.exec(stdout.trim());
  return m?.[1];
}

// ---------------------------------------------------------------------------------------------------------
// The job

export interface SlurmJobOptions extends SlurmEnv {
  store: RunStore;
  runId: string;
  /** An interpreter with torch, at the same path on the compute nodes. */
  python: string;
  resume?: boolean;
  /** Keep the job when this process exits. Otherwise it is cancelled when this process exits. */
  detached?: boolean;
  /** Default: found by `trainScriptPath()`. */
  scriptPath?: string;
  /** How often the run's files are read (default 200 ms). */
  pollIntervalMs?: number;
  /** How often SLURM is asked about the job (default 1 s; a large cluster's admins may prefer more). */
  queryIntervalMs?: number;
  /** After the job ends, how long to wait for rank 0's end row to reach this machine (default 10 s: shared file systems lag). */
  endRowGraceMs?: number;
  /** How long the controller may stay silent before the log says so once more plainly (default 10 min). */
  controllerQuietMs?: number;
  onRow?: (row: TrainingRow) => void;
  onLog?: (line: LogLine) => void;
  onExit?: (result: JobResult) => void;
}

export interface SlurmStateChange {
  jobId: string;
  state: string;
  phase: SlurmPhase | undefined;
  reason?: string | undefined;
}

/** Follows one SLURM job of a run; the same surface as `PytorchJob`, with the job id in place of a pid. */
export class SlurmJob {
  private readonly rowEmitter = new Emitter<TrainingRow>();
  private readonly logEmitter = new Emitter<LogLine>();
  private readonly exitEmitter = new Emitter<JobResult>();
  private readonly stateEmitter = new Emitter<SlurmStateChange>();
  readonly onDidEmitRow: Event<TrainingRow> = this.rowEmitter.event;
  readonly onDidLog: Event<LogLine> = this.logEmitter.event;
  readonly onDidExit: Event<JobResult> = this.exitEmitter.event;
  /** The job's SLURM state changed (PENDING, RUNNING, ...). */
  readonly onDidChangeState: Event<SlurmStateChange> = this.stateEmitter.event;
  readonly done: Promise<JobResult>;
  readonly rows: TrainingRow[] = [];
  /** SLURM has no pid for us; kept for the shape every job has. */
  readonly pid = 0;
  state: string | undefined;

  private resolveDone!: (r: JobResult) => void;
  private finished = false;
  private following = true;
  private stopRequested = false;
  private endRow: EndRow | undefined;
  private readonly stderrTail: string[] = [];
  private fileTimer: NodeJS.Timeout | undefined;
  private queryTimer: NodeJS.Timeout | undefined;
  private querying = false;
  /** While the controller does not answer: when it first failed, how many times in a row, and the last error logged. */
  private failing: { since: number; count: number; lastLogged: string; warnedLong: boolean } | undefined;
  private nextQueryAt = 0;
  private endedAt: number | undefined;
  private metricsOffset: number;
  private stderrOffset: number;
  private readonly exitHook = () => this.cancelSync();

  private constructor(
    readonly store: RunStore,
    readonly runId: string,
    readonly jobId: string,
    private readonly o: {
      attempt: number;
      detached: boolean;
      env: SlurmEnv;
      pollIntervalMs: number;
      queryIntervalMs: number;
      endRowGraceMs: number;
      controllerQuietMs: number;
    },
    offsets: { metrics: number; stderr: number },
    state: string | undefined,
  ) {
    this.metricsOffset = offsets.metrics;
    this.stderrOffset = offsets.stderr;
    this.state = state;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.fileTimer = setInterval(() => this.pump(), o.pollIntervalMs);
    this.queryTimer = setInterval(() => void this.query(), o.queryIntervalMs);
    if (!o.detached) process.once('exit', this.exitHook);
  }

  /** Writes the batch script, submits it and follows the job; resolves once SLURM has taken it. */
  static async start(o: SlurmJobOptions): Promise<SlurmJob> {
    const p = o.store.paths(o.runId);
    const config = o.store.readConfig(o.runId);
    if (!config) throw new Error(`run ${o.runId} has no readable config.json`);
    if (config.backend !== 'pytorch') throw new Error('the SLURM launcher trains PyTorch runs only');
    const run = o.store.getRun(o.runId);
    if (run?.status === 'running') throw new Error(`run ${o.runId} is already running${run.state.slurm ? ` (SLURM job ${run.state.slurm.jobId})` : ''}`);
    const attempt = o.store.nextAttempt(o.runId);
    const { redirectBug } = await probePython(o.python);
    const scriptText = sbatchScript({
      runId: o.runId,
      config,
      python: o.python,
      scriptPath: path.resolve(o.scriptPath ?? trainScriptPath()),
      configPath: p.config,
      resume: o.resume === true,
      attempt,
      avoidRedirectBug: redirectBug,
    });
    const script = path.join(p.dir, SBATCH_SCRIPT);
    fs.writeFileSync(script, scriptText, { mode: 0o755 });
    const offsets = { metrics: fileSize(p.metrics), stderr: fileSize(p.stderr) };
    const sbatchArgs = config.sbatchArgs ?? [];
    const env: SlurmEnv = { ...(o.env ? { env: o.env } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) };
    const r = await slurmCommand('sbatch', ['--parsable', ...sbatchArgs, SBATCH_SCRIPT], { ...env, cwd: p.dir });
    const jobId = r.code === 0 ? parseSbatchJobId(r.stdout) : undefined;
    if (!jobId) throw new Error(`sbatch refused the job: ${r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`}`);
    const previous = o.store.readState(o.runId);
    const slurm: SlurmRecord = { jobId, state: 'PENDING', script: SBATCH_SCRIPT, sbatchArgs, submittedAt: new Date().toISOString() };
    o.store.writeState(o.runId, {
      status: 'running',
      launcher: 'slurm',
      slurm,
      pid: null,
      pidStart: null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      exitCode: null,
      signal: null,
      error: null,
      attempts: (previous?.attempts ?? 0) + 1,
      attempt,
    });
    const job = new SlurmJob(o.store, o.runId, jobId, SlurmJob.settings(o, attempt, o.detached === true), offsets, 'PENDING');
    job.wire(o);
    return job;
  }

  /** Follows a job that an earlier session submitted and that state.json still records as running. */
  static attach(store: RunStore, runId: string, options: Omit<SlurmJobOptions, 'store' | 'runId' | 'python' | 'resume' | 'scriptPath' | 'detached'> = {}): SlurmJob | undefined {
    const run = store.getRun(runId);
    const jobId = run?.state.slurm?.jobId;
    if (!run || !jobId || run.status !== 'running') return undefined;
    const p = store.paths(runId);
    const attempt = run.state.attempt ?? (run.lastRow ? attemptOf(run.lastRow) : 1);
    const job = new SlurmJob(store, runId, jobId, SlurmJob.settings(options, attempt, true), { metrics: fileSize(p.metrics), stderr: fileSize(p.stderr) }, run.state.slurm?.state);
    job.wire(options);
    return job;
  }

  private static settings(o: SlurmEnv & Pick<SlurmJobOptions, 'pollIntervalMs' | 'queryIntervalMs' | 'endRowGraceMs' | 'controllerQuietMs'>, attempt: number, detached: boolean) {
    return {
      attempt,
      detached,
      env: { ...(o.env ? { env: o.env } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) },
      pollIntervalMs: o.pollIntervalMs ?? 200,
      queryIntervalMs: o.queryIntervalMs ?? 1000,
      endRowGraceMs: o.endRowGraceMs ?? 10_000,
      controllerQuietMs: o.controllerQuietMs ?? 10 * 60_000,
    };
  }

  private wire(o: Pick<SlurmJobOptions, 'onRow' | 'onLog' | 'onExit'>): void {
    if (o.onRow) this.onDidEmitRow(o.onRow);
    if (o.onLog) this.onDidLog(o.onLog);
    if (o.onExit) this.onDidExit(o.onExit);
    void this.query();
  }

  get running(): boolean {
    return !this.finished;
  }

  /** `scancel`: SLURM sends SIGTERM (the runner stops after its step, with a checkpoint), then SIGKILL after KillWait. */
  stop(): Promise<JobResult> {
    if (!this.finished && !this.stopRequested) {
      this.stopRequested = true;
      void slurmCommand('scancel', [this.jobId], this.o.env).then(
        (r) => {
          if (r.code !== 0) this.logEmitter.fire({ stream: 'stderr', line: `scancel ${this.jobId} failed: ${r.stderr.trim()}` });
        },
        (e: Error) => this.logEmitter.fire({ stream: 'stderr', line: e.message }),
      );
    }
    return this.done;
  }

  /** Stops following and leaves the job to SLURM; it can be attached to again later. */
  detach(): void {
    this.following = false;
    this.clearTimers();
    process.removeListener('exit', this.exitHook);
  }

  dispose(): void {
    if (this.following) void this.stop();
  }

  /** This process is exiting with a job it owns: cancel it (synchronously, since nothing else runs now). */
  private cancelSync(): void {
    if (this.finished) return;
    try {
      execFileSync('scancel', [this.jobId], { env: this.o.env.env ?? process.env, timeout: 10_000, stdio: 'ignore' });
    } catch {
      // The controller is unreachable; the job ends at its time limit.
    }
  }

  private pump(): void {
    const p = this.store.paths(this.runId);
    const rows = readCompleteLines(p.metrics, this.metricsOffset, splitLines);
    this.metricsOffset = rows.offset;
    for (const line of rows.rows) {
      const row = parseTrainingRow(line);
      if (row) this.emitRow(row);
    }
    const err = readCompleteLines(p.stderr, this.stderrOffset, splitLines);
    this.stderrOffset = err.offset;
    for (const line of err.rows) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
      this.logEmitter.fire({ stream: 'stderr', line });
    }
  }

  private emitRow(row: TrainingRow): void {
    if (this.endRow) return;
    if (row.type === 'end') this.endRow = row;
    this.rows.push(row);
    this.rowEmitter.fire(row);
  }

  private async query(): Promise<void> {
    if (this.finished || this.querying) return;
    this.querying = true;
    try {
      let info: SlurmJobInfo | undefined;
      if (Date.now() < this.nextQueryAt) return;
      try {
        info = await squeueJob(this.jobId, this.o.env);
      } catch (e) {
        // A controller that does not answer is no reason to give the run up (the job runs on without us), but
        // asking it every second and logging each failure would flood the log: back off, and log changes only.
        this.controllerFailed((e as Error).message);
        return;
      }
      if (this.failing) {
        this.logEmitter.fire({ stream: 'stderr', line: `SLURM answered again after ${Math.round((Date.now() - this.failing.since) / 1000)} s` });
        this.failing = undefined;
        this.nextQueryAt = 0;
      }
      if (this.finished) return;
      const phase = info ? slurmPhase(info.state) : undefined;
      if (info && info.state !== this.state) {
        this.state = info.state;
        this.store.writeState(this.runId, { slurm: { ...this.record(), state: info.state, ...(info.reason ? { reason: info.reason } : {}) } });
        this.stateEmitter.fire({ jobId: this.jobId, state: info.state, phase, reason: info.reason });
      }
      if (info && (phase === 'queued' || phase === 'running')) return;
      // Ended (or forgotten): how it ended, with its exit code, from the best source there is.
      const final = (await finalJobInfo(this.jobId, this.o.env)) ?? info;
      this.pump();
      // Rank 0 wrote its end row before the job ended, but a shared file system may show it here later.
      this.endedAt ??= Date.now();
      if (!this.endRow && !this.endRowOnDisk() && Date.now() - this.endedAt < this.o.endRowGraceMs && final && slurmPhase(final.state) !== 'stopped') return;
      this.finish(final);
    } finally {
      this.querying = false;
    }
  }

  private controllerFailed(message: string): void {
    const now = Date.now();
    const f = (this.failing ??= { since: now, count: 0, lastLogged: '', warnedLong: false });
    f.count++;
    if (message !== f.lastLogged) {
      this.logEmitter.fire({ stream: 'stderr', line: message });
      f.lastLogged = message;
    }
    if (!f.warnedLong && now - f.since >= this.o.controllerQuietMs) {
      f.warnedLong = true;
      this.logEmitter.fire({
        stream: 'stderr',
        line: `SLURM has not answered for ${Math.round((now - f.since) / 60_000)} min; still asking every ${Math.round(MAX_QUERY_BACKOFF_MS / 1000)} s. Job ${this.jobId} keeps running or ends without us; scancel ${this.jobId} stops it.`,
      });
    }
    this.nextQueryAt = now + Math.min(this.o.queryIntervalMs * 2 ** f.count, MAX_QUERY_BACKOFF_MS);
  }

  /** The run's last row, when it is this attempt's end row. */
  private endRowOnDisk(): EndRow | undefined {
    const last = readLastRow(this.store.paths(this.runId).metrics);
    return last?.type === 'end' && attemptOf(last) === this.o.attempt ? last : undefined;
  }

  private record(): SlurmRecord {
    return this.store.readState(this.runId)?.slurm ?? { jobId: this.jobId };
  }

  private finish(info: SlurmJobInfo | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    process.removeListener('exit', this.exitHook);
    this.pump();
    let end = this.endRow;
    if (!end) {
      // Attached after the job had ended: rank 0's end row is already in the file, before where this job began reading.
      end = this.endRowOnDisk();
      if (end) this.emitRow(end);
    }
    if (!end) {
      const state = info?.state ?? 'UNKNOWN';
      const phase = info ? slurmPhase(info.state) : undefined;
      const stopped = this.stopRequested || phase === 'stopped';
      const how = [
        `SLURM job ${this.jobId} ended ${state}`,
        STATE_WORDS[state] ? ` (${STATE_WORDS[state]})` : '',
        info?.exitCode !== undefined ? `, exit code ${info.exitCode}${info.signal ? `, signal ${info.signal}` : ''}` : '',
        info?.reason ? `, reason ${info.reason}` : '',
      ].join('');
      const detail = this.lastOutput();
      end = {
        type: 'end',
        attempt: this.o.attempt,
        status: stopped ? 'stopped' : 'failed',
        error: stopped ? null : `${how} without the runner reporting an end row${detail ? `; last output:\n${detail}` : ''}`,
        time: Date.now() / 1000,
      };
      try {
        this.store.appendRows(this.runId, [end]);
      } catch (e) {
        console.error('cannot record the end of the run:', e);
      }
      this.emitRow(end);
    }
    const result: JobResult = { status: end.status, error: end.error ?? null, exitCode: info?.exitCode ?? null, signal: null };
    try {
      this.store.writeState(this.runId, {
        status: result.status,
        endedAt: new Date().toISOString(),
        exitCode: result.exitCode,
        signal: info?.signal ? String(info.signal) : null,
        error: result.error,
        slurm: { ...this.record(), ...(info ? { state: info.state } : {}), ...(info?.reason ? { reason: info.reason } : {}) },
      });
    } catch (e) {
      console.error('cannot record the end of the run:', e);
    }
    this.resolveDone(result);
    this.exitEmitter.fire(result);
  }

  /** The job's last words that say something: torchrun's and srun's lines of noise are left out. */
  private lastOutput(): string {
    const useful = this.stderrTail.filter((l) => l.trim() && !/^\s*(WARNING|W\d{8}|I\d{8}|E\d{8}|\*{5,})/.test(l));
    return useful.slice(-5).join('\n');
  }

  private clearTimers(): void {
    if (this.fileTimer) clearInterval(this.fileTimer);
    if (this.queryTimer) clearInterval(this.queryTimer);
    this.fileTimer = this.queryTimer = undefined;
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
