/**
 * Runs `python/resnet_studio_train.py` for a run of the {@link RunStore} as a child process and reports its
 * protocol rows. Pure Node: the extension host wraps a {@link PytorchJob} in a disposable; the CLI and tests use
 * it directly.
 *
 * The child writes straight into the run's `stdout.log` and `stderr.log` (file descriptors, not pipes), and the
 * job follows those files. So a detached job keeps running and logging after this process exits, and a later
 * session can {@link PytorchJob.attach} to it; with pipes, the job would die of a broken pipe with its parent.
 *
 * A multi-node run is one job per node, all in one shared run folder. Global rank 0, on whichever node the
 * rendezvous put it, writes the rows to `metrics.jsonl`, so every node's job follows that file rather than its
 * own stdout. Node 0's job owns the run (`state.json`, the `end` row of a run that died without one); the
 * others only launch their share and log to `stdout.node<R>.log` and `stderr.node<R>.log`.
 */
import { Emitter, type Event } from './emitter';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attemptOf, parseTrainingRow, type EndRow, type EndStatus, type TrainingRow } from '../protocol/trainingProtocol';
import { processStartTime, isProcessAlive, readCompleteLines, type RunStore } from './runStore';
import { distributedLaunchArgs, freePort, probePython, trainScriptPath } from './pythonEnv';
import { OWNER_PID_ENV } from './ownerWatch';

export type { Event } from './emitter';

export interface JobResult {
  status: EndStatus;
  error: string | null;
  /** Null when the process was killed by a signal, or when an attached job's exit could not be observed. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface PytorchJobOptions {
  store: RunStore;
  runId: string;
  /** An interpreter that imports torch (see `resolveTorchPython`). */
  python: string;
  /** Continue from the run's newest checkpoint; the step count carries on. */
  resume?: boolean;
  /** Processes on this node; more than one (or `nnodes` > 1) launches through `torch.distributed.run`. */
  nproc?: number;
  /** Multi-node rendezvous, passed through to `torch.distributed.run`; every node runs its own job. */
  nnodes?: number;
  nodeRank?: number;
  /** Several nodes need this or `rdzvEndpoint`; a single node uses 127.0.0.1. */
  masterAddr?: string;
  /** Default: a free local port for one node, 29500 for several. */
  masterPort?: number;
  /** `host:port` of a c10d rendezvous (preferred to `masterAddr` for several nodes). */
  rdzvEndpoint?: string;
  /** The rendezvous id every node shares; default: the run id. */
  rdzvId?: string;
  /** Keep training if this process exits. Otherwise the job is stopped when this process exits. */
  detached?: boolean;
  /** Default: found by `trainScriptPath()`. */
  scriptPath?: string;
  /** Default: the run directory. */
  cwd?: string;
  env?: Record<string, string>;
  /** SIGTERM, then SIGKILL after this long (default 20 s: a stop writes a checkpoint first). */
  stopTimeoutMs?: number;
  /** How often the logs are read (default 200 ms). */
  pollIntervalMs?: number;
  onRow?: (row: TrainingRow) => void;
  onLog?: (line: LogLine) => void;
  onExit?: (result: JobResult) => void;
}

/** Follows one file from an offset, yielding whole lines. */
class LineTail {
  constructor(private readonly file: string, private offset: number) {}
  read(final: boolean): string[] {
    const { rows, offset } = readCompleteLines(this.file, this.offset, splitLines);
    this.offset = offset;
    if (!final) return rows;
    // A process that died mid-line leaves a fragment; hand it over rather than lose it.
    const fragment = readFrom(this.file, this.offset);
    this.offset += fragment.length;
    const text = fragment.toString('utf8');
    return text ? [...rows, text] : rows;
  }
}

const STDERR_KEEP = 20;

export class PytorchJob {
  private readonly rowEmitter = new Emitter<TrainingRow>();
  private readonly logEmitter = new Emitter<LogLine>();
  private readonly exitEmitter = new Emitter<JobResult>();
  /** Every protocol row of this attempt, in order. */
  readonly onDidEmitRow: Event<TrainingRow> = this.rowEmitter.event;
  /** Lines of stderr, and lines of stdout that are not rows. */
  readonly onDidLog: Event<LogLine> = this.logEmitter.event;
  readonly onDidExit: Event<JobResult> = this.exitEmitter.event;
  /** Settles once the process is gone and exactly one `end` row of this attempt is in metrics.jsonl. */
  readonly done: Promise<JobResult>;
  readonly rows: TrainingRow[] = [];

  private resolveDone!: (r: JobResult) => void;
  private finished = false;
  private following = true;
  private stopRequested = false;
  private killed = false;
  private endRow: EndRow | undefined;
  private readonly stderrTail: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly exitHook = () => this.signal('SIGTERM');

  private constructor(
    readonly store: RunStore,
    readonly runId: string,
    readonly pid: number,
    private readonly pidStart: string | undefined,
    private readonly child: ChildProcess | undefined,
    private readonly out: LineTail,
    private readonly err: LineTail,
    /** Multi-node: rows come from the shared metrics.jsonl, since global rank 0 may run on another node. */
    private readonly rowTail: LineTail | undefined,
    private readonly options: {
      /** The `attempt` number this process writes on its rows, for the `end` row written on its behalf. */
      attempt: number;
      stopTimeoutMs: number;
      pollIntervalMs: number;
      detached: boolean;
      /** A node other than 0 of a multi-node run: the run's state and end row are node 0's to write. */
      secondary?: boolean;
      onRow?: ((row: TrainingRow) => void) | undefined;
      onLog?: ((line: LogLine) => void) | undefined;
      onExit?: ((result: JobResult) => void) | undefined;
    },
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (options.onRow) this.onDidEmitRow(options.onRow);
    if (options.onLog) this.onDidLog(options.onLog);
    if (options.onExit) this.onDidExit(options.onExit);
    this.timer = setInterval(() => this.poll(), options.pollIntervalMs);
    if (child) {
      child.once('exit', (code, signal) => this.finish(code, signal));
      if (!options.detached) process.once('exit', this.exitHook);
    }
  }

  /** Starts (or, with `resume`, restarts) the run; resolves once the process is running. */
  static async start(o: PytorchJobOptions): Promise<PytorchJob> {
    const p = o.store.paths(o.runId);
    if (!fs.existsSync(p.config)) throw new Error(`run ${o.runId} has no config.json`);
    const nproc = o.nproc ?? 1;
    const nnodes = o.nnodes ?? 1;
    const nodeRank = o.nodeRank ?? 0;
    const secondary = nnodes > 1 && nodeRank > 0;
    const run = o.store.getRun(o.runId);
    // Node 0 may have recorded the run as running already: that is the run this node joins.
    if (run?.status === 'running' && !secondary) throw new Error(`run ${o.runId} is already running (pid ${run.state.pid})`);
    const script = o.scriptPath ?? trainScriptPath();
    const scriptArgs = [script, '--config', p.config, ...(o.resume ? ['--resume'] : [])];
    let args = scriptArgs;
    if (nproc > 1 || nnodes > 1) {
      if (nnodes > 1 && !o.masterAddr && !o.rdzvEndpoint) throw new Error('a multi-node run needs a rendezvous endpoint (host:port, reachable from every node)');
      const masterAddr = o.masterAddr ?? '127.0.0.1';
      const masterPort = o.masterPort ?? (nnodes > 1 ? 29500 : await freePort(masterAddr));
      const { redirectBug } = await probePython(o.python);
      args = [
        ...distributedLaunchArgs({
          nprocPerNode: nproc,
          nnodes,
          nodeRank,
          masterAddr,
          masterPort,
          ...(o.rdzvEndpoint ? { rdzv: { endpoint: o.rdzvEndpoint, id: o.rdzvId ?? o.runId } } : {}),
          avoidRedirectBug: redirectBug,
        }),
        ...scriptArgs,
      ];
    }
    // Nothing else writes metrics.jsonl while the run is not running, so the runner derives the same number.
    const attempt = o.store.nextAttempt(o.runId);
    const logs = secondary ? nodeLogPaths(p.dir, nodeRank) : { stdout: p.stdout, stderr: p.stderr };
    const outOffset = fileSize(logs.stdout);
    const errOffset = fileSize(logs.stderr);
    const rowTail = nnodes > 1 ? new LineTail(p.metrics, fileSize(p.metrics)) : undefined;
    const outFd = fs.openSync(logs.stdout, 'a');
    const errFd = fs.openSync(logs.stderr, 'a');
    let child: ChildProcess;
    try {
      child = spawn(o.python, args, {
        cwd: o.cwd ?? p.dir,
        // A run this process owns (not detached) stops when this process is gone, however it went: a killed
        // extension host runs no exit hook, and an orphaned trainer would keep the machine busy for nobody.
        env: { ...process.env, PYTHONUNBUFFERED: '1', ...o.env, ...(o.detached ? {} : { [OWNER_PID_ENV]: String(process.pid) }) },
        stdio: ['ignore', outFd, errFd],
        // On POSIX the job always leads its own process group, so a stop reaches every rank and loader process.
        detached: process.platform !== 'win32' || o.detached === true,
        windowsHide: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (e) {
      throw new Error(`cannot start ${o.python}: ${(e as Error).message}`);
    } finally {
      fs.closeSync(outFd);
      fs.closeSync(errFd);
    }
    const pid = child.pid!;
    if (o.detached) child.unref();
    const pidStart = processStartTime(pid);
    const previous = o.store.readState(o.runId);
    if (!secondary) o.store.writeState(o.runId, {
      status: 'running',
      pid,
      pidStart: pidStart ?? null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      exitCode: null,
      signal: null,
      error: null,
      attempts: (previous?.attempts ?? 0) + 1,
      attempt,
      // An earlier attempt may have run on SLURM; this one is a process on this machine.
      ...(previous?.launcher === 'slurm' ? { launcher: 'local' as const, slurm: null } : {}),
    });
    return new PytorchJob(o.store, o.runId, pid, pidStart, child, new LineTail(logs.stdout, outOffset), new LineTail(logs.stderr, errOffset), rowTail, {
      attempt,
      stopTimeoutMs: o.stopTimeoutMs ?? 20_000,
      pollIntervalMs: o.pollIntervalMs ?? 200,
      detached: o.detached === true,
      secondary,
      onRow: o.onRow,
      onLog: o.onLog,
      onExit: o.onExit,
    });
  }

  /**
   * Follows a run that a previous session started detached and that is still running. New rows are reported
   * from now on (earlier ones are in metrics.jsonl); `stop()` works as for a job started here. Undefined when
   * the run is not running.
   */
  static attach(
    store: RunStore,
    runId: string,
    options: Pick<PytorchJobOptions, 'stopTimeoutMs' | 'pollIntervalMs' | 'onRow' | 'onLog' | 'onExit'> = {},
  ): PytorchJob | undefined {
    const run = store.getRun(runId);
    if (!run || run.status !== 'running' || !run.state.pid) return undefined;
    const p = store.paths(runId);
    return new PytorchJob(store, runId, run.state.pid, run.state.pidStart ?? undefined, undefined,
      new LineTail(p.stdout, fileSize(p.stdout)), new LineTail(p.stderr, fileSize(p.stderr)),
      (run.config?.nnodes ?? 1) > 1 ? new LineTail(p.metrics, fileSize(p.metrics)) : undefined, {
        // Recorded at start; a run started before attempts were recorded is numbered from its rows.
        attempt: run.state.attempt ?? (run.lastRow ? attemptOf(run.lastRow) : 1),
        stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
        pollIntervalMs: options.pollIntervalMs ?? 200,
        detached: true,
        onRow: options.onRow,
        onLog: options.onLog,
        onExit: options.onExit,
      });
  }

  get running(): boolean {
    return !this.finished;
  }

  /** Asks the job to stop after its current step (SIGTERM to its process group), then kills it if it lingers. */
  stop(): Promise<JobResult> {
    if (!this.finished && !this.stopRequested) {
      this.stopRequested = true;
      this.signal('SIGTERM');
      this.killTimer = setTimeout(() => {
        this.killed = true;
        this.signal('SIGKILL');
      }, this.options.stopTimeoutMs);
    }
    return this.done;
  }

  /** Stops following a detached job and leaves it running; it can be attached to again later. */
  detach(): void {
    this.following = false;
    this.clearTimers();
  }

  /** Stops the job (the disposable contract: nothing outlives its owner unless it was started detached and detached from). */
  dispose(): void {
    if (this.following) void this.stop();
  }

  private poll(): void {
    this.pump(false);
    if (!this.child && !isProcessAlive(this.pid, this.pidStart)) this.finish(null, null);
  }

  private pump(final: boolean): void {
    for (const line of this.out.read(final)) {
      const row = parseTrainingRow(line);
      if (row) {
        if (!this.rowTail) this.emitRow(row);
      } else if (line.trim()) this.logEmitter.fire({ stream: 'stdout', line });
    }
    if (this.rowTail) {
      // Only whole lines: a row rank 0 is still writing waits for the next read.
      for (const line of this.rowTail.read(false)) {
        const row = parseTrainingRow(line);
        if (row) this.emitRow(row);
      }
    }
    for (const line of this.err.read(final)) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_KEEP) this.stderrTail.shift();
      this.logEmitter.fire({ stream: 'stderr', line });
    }
  }

  private emitRow(row: TrainingRow): void {
    if (this.endRow) return; // exactly one end row per attempt: nothing after it belongs to this attempt
    if (row.type === 'end') this.endRow = row;
    this.rows.push(row);
    this.rowEmitter.fire(row);
  }

  private finish(exitCode: number | null, signal: NodeJS.Signals | null): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    process.removeListener('exit', this.exitHook);
    this.pump(true);
    let end = this.endRow;
    if (!end && this.options.secondary) {
      // Node 0 writes the run's end when rank 0 could not; this node reports only how its share ended.
      const status: EndStatus = this.stopRequested ? 'stopped' : exitCode === 0 ? 'completed' : 'failed';
      const result: JobResult = { status, error: status === 'failed' ? `this node's launcher ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}` : null, exitCode, signal };
      this.resolveDone(result);
      this.exitEmitter.fire(result);
      return;
    }
    if (!end) {
      // The process died without its end row (killed, crashed, out of memory): write one for it.
      const how = signal ? `was killed by ${signal}` : exitCode === null ? 'ended' : `exited with code ${exitCode}`;
      const detail = this.stderrTail.filter((l) => l.trim()).slice(-5).join('\n');
      end = {
        type: 'end',
        attempt: this.rows[0] ? attemptOf(this.rows[0]) : this.options.attempt,
        status: this.stopRequested ? 'stopped' : 'failed',
        error: this.stopRequested
          ? this.killed ? `the process did not stop within ${this.options.stopTimeoutMs / 1000} s and was killed` : null
          : `the training process ${how} without reporting an end row${detail ? `; last output:\n${detail}` : ''}`,
        time: Date.now() / 1000,
      };
      try {
        this.store.appendRows(this.runId, [end]);
      } catch (e) {
        console.error('cannot record the end of the run:', e);
      }
      this.emitRow(end);
    }
    const result: JobResult = { status: end.status, error: end.error ?? null, exitCode, signal };
    if (this.options.secondary) {
      this.resolveDone(result);
      this.exitEmitter.fire(result);
      return;
    }
    try {
      this.store.writeState(this.runId, {
        status: result.status,
        endedAt: new Date().toISOString(),
        exitCode,
        signal,
        error: result.error,
      });
    } catch (e) {
      console.error('cannot record the end of the run:', e);
    }
    this.resolveDone(result);
    this.exitEmitter.fire(result);
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.finished) return;
    if (process.platform === 'win32') {
      // No signals or process groups: end the whole tree.
      execFile('taskkill', ['/pid', String(this.pid), '/T', '/F'], () => undefined);
      return;
    }
    if (!this.child && !isProcessAlive(this.pid, this.pidStart)) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        // already gone
      }
    }
  }

  private clearTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.killTimer) clearTimeout(this.killTimer);
    this.timer = this.killTimer = undefined;
  }
}

/** Where a node other than 0 of a multi-node run logs, beside node 0's `stdout.log` and `stderr.log`. */
export function nodeLogPaths(runDir: string, nodeRank: number): { stdout: string; stderr: string } {
  return { stdout: path.join(runDir, `stdout.node${nodeRank}.log`), stderr: path.join(runDir, `stderr.node${nodeRank}.log`) };
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function readFrom(file: string, offset: number): Buffer {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      const n = buf.length ? fs.readSync(fd, buf, 0, buf.length, offset) : 0;
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return Buffer.alloc(0);
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
