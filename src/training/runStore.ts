/**
 * Durable training runs on disk. Every run is one directory, `<root>/<run-id>/`:
 *
 * - `config.json`: what to train and how ({@link RunConfig}, every default written out); both runners read it as their `--config`.
 * - `model.py`: a copy of the model source taken when the run was created, so a resume trains the same code.
 * - `metrics.jsonl`: protocol rows ({@link TrainingRow}), appended by the runner; every attempt numbers its rows and ends with one `end` row.
 * - `stdout.log`, `stderr.log`: the runner's raw output.
 * - `checkpoints/`: written by the runner.
 * - `state.json`: a small record of the process ({@link RunState}), always replaced atomically.
 *
 * Pure Node: usable from the extension host, the CLI, a worker and tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { currentRows, nextAttempt } from '../protocol/trainingAttempts';
import {
  RUN_CONFIG_DEFAULTS,
  type EndRow,
  type EndStatus,
  type RunConfig,
  type RunConfigFile,
  type RunConfigError,
  type TrainingRow,
  parseTrainingRow,
  validateRunConfig,
} from '../protocol/trainingProtocol';
import { DEFAULT_RUNS_DIR } from './runsDir';

export { DEFAULT_RUNS_DIR };

export function defaultRunsRoot(workspaceFolder: string): string {
  return path.join(workspaceFolder, DEFAULT_RUNS_DIR);
}

/** What a caller supplies to {@link RunStore.createRun}; everything not given takes its default. */
export type RunConfigInput = Omit<RunConfigFile, 'runDir' | 'createdAt' | 'modelSnapshot'>;

/**
 * `interrupted`: the recorded process is gone and the last attempt wrote no `end` row (a crash, a kill -9,
 * a machine that went down). `created`: never started.
 */
export type RunStatus = 'created' | 'running' | EndStatus | 'interrupted';

/** A run's SLURM job, as the SLURM launcher (`slurm.ts`) records it. */
export interface SlurmRecord {
  jobId: string;
  /** The job's SLURM state when last seen: PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, TIMEOUT, ... */
  state?: string;
  /** SLURM's reason beside the state (why it is pending, how it ended). */
  reason?: string;
  /** The batch script, relative to the run folder. */
  script?: string;
  /** Options given to sbatch besides the script's own. */
  sbatchArgs?: string[];
  submittedAt?: string;
}

/** The contents of `state.json`: what the launcher knows about the process, not what training reports. */
export interface RunState {
  status: RunStatus;
  /** Which launcher started the latest attempt; absent means this machine. */
  launcher?: 'local' | 'slurm';
  /** The SLURM job of the latest attempt; there is no pid to watch then. */
  slurm?: SlurmRecord | null;
  /** The process (for a multi-process run, the launcher) of the latest attempt; it leads its own process group. */
  pid?: number | null;
  /** Linux: the process start time from `/proc/<pid>/stat`, so a recycled pid is not taken for the job. */
  pidStart?: string | null;
  createdAt: string;
  startedAt?: string | null;
  endedAt?: string | null;
  exitCode?: number | null;
  signal?: string | null;
  /** Starts so far, the first included. */
  attempts?: number;
  /** The `attempt` number the latest start writes on its rows (see `trainingAttempts.ts`). */
  attempt?: number;
  error?: string | null;
  /** What trains the latest attempt and why, as the launcher chose it (see `runnerReason.ts`). */
  runtime?: RuntimeRecord;
}

/** The program that trains a run and why it was chosen, for the metrics panel and the output channel. */
export interface RuntimeRecord {
  /** The interpreter with its versions: `/usr/bin/python3 (Python 3.11.2, torch 1.13.1)`, or the Node of the TF.js worker. */
  interpreter: string;
  /** Why that one: `from RESNET_STUDIO_PYTHON`, `found on PATH`, ... */
  interpreterReason: string;
  /** Why the device, when the launcher can tell (PyTorch: what the interpreter's torch offers). */
  deviceReason?: string;
}

export interface RunPaths {
  dir: string;
  config: string;
  state: string;
  metrics: string;
  stdout: string;
  stderr: string;
  checkpoints: string;
  modelSnapshot: string;
}

export interface RunSummary {
  id: string;
  dir: string;
  /** Undefined when config.json is missing or unreadable. */
  config: RunConfig | undefined;
  state: RunState;
  /** The status to show: derived from the state, the process table and the last row, in that order of trust. */
  status: RunStatus;
  /** The last row of `metrics.jsonl`, if any. */
  lastRow: TrainingRow | undefined;
}

export interface RowsSince {
  rows: TrainingRow[];
  /** Byte offset to pass next time; it stops before any incomplete last line. */
  offset: number;
}

const END_STATUSES: ReadonlySet<string> = new Set<EndStatus>(['completed', 'failed', 'stopped']);
const TAIL_BYTES = 64 * 1024;
/** Row times come from the trainer's clock and `startedAt` from the launcher's, a moment apart. */
const STALE_SLACK_MS = 1000;

export class RunStore {
  constructor(readonly root: string) {}

  paths(id: string): RunPaths {
    if (!isSafeId(id)) throw new Error(`not a run id: ${JSON.stringify(id)}`);
    const dir = path.join(this.root, id);
    return {
      dir,
      config: path.join(dir, 'config.json'),
      state: path.join(dir, 'state.json'),
      metrics: path.join(dir, 'metrics.jsonl'),
      stdout: path.join(dir, 'stdout.log'),
      stderr: path.join(dir, 'stderr.log'),
      checkpoints: path.join(dir, 'checkpoints'),
      modelSnapshot: path.join(dir, 'model.py'),
    };
  }

  /**
   * Makes the run directory with its config (validated, every default written out), a copy of the model
   * source, empty logs and a `created` state. A config that is not valid throws {@link RunConfigError} and
   * makes nothing.
   */
  createRun(input: RunConfigInput, options: { id?: string; now?: Date } = {}): RunSummary {
    const now = options.now ?? new Date();
    const id = options.id ?? newRunId(input.modelName, now);
    const p = this.paths(id);
    const modelFile = path.resolve(input.modelFile);
    const hasSource = fs.existsSync(modelFile);
    const config = validateRunConfig({
      ...RUN_CONFIG_DEFAULTS,
      ...dropUndefined(input),
      modelFile,
      ...(hasSource ? { modelSnapshot: path.basename(p.modelSnapshot) } : {}),
      ...(input.data !== undefined && input.data !== 'synthetic' ? { data: path.resolve(input.data) } : {}),
      runDir: p.dir,
      createdAt: now.toISOString(),
    });
    fs.mkdirSync(this.root, { recursive: true });
    fs.mkdirSync(p.dir); // throws if the id is taken: a run directory is never reused
    fs.mkdirSync(p.checkpoints);
    if (hasSource) fs.copyFileSync(modelFile, p.modelSnapshot);
    writeFileAtomic(p.config, JSON.stringify(config, null, 2) + '\n');
    for (const f of [p.metrics, p.stdout, p.stderr]) fs.writeFileSync(f, '');
    const state: RunState = { status: 'created', createdAt: now.toISOString(), attempts: 0 };
    writeFileAtomic(p.state, JSON.stringify(state, null, 2) + '\n');
    return { id, dir: p.dir, config, state, status: 'created', lastRow: undefined };
  }

  /** Every run under the root, newest first. Directories without a state.json are not runs and are skipped. */
  listRuns(): RunSummary[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    const runs: RunSummary[] = [];
    for (const name of names) {
      if (!isSafeId(name)) continue;
      const run = this.getRun(name);
      if (run) runs.push(run);
    }
    return runs.sort((a, b) => (b.state.createdAt ?? '').localeCompare(a.state.createdAt ?? '') || b.id.localeCompare(a.id));
  }

  getRun(id: string): RunSummary | undefined {
    const p = this.paths(id);
    const state = this.readState(id);
    if (!state) return undefined;
    const config = readConfigFile(p.config);
    const lastRow = readLastRow(p.metrics);
    return { id, dir: p.dir, config, state, status: deriveStatus(state, lastRow), lastRow };
  }

  /** The run's config.json with the contract's defaults under it: a run made by an older version may lack keys added since. Not validated: that is the runner's job, and a listing must show every run. */
  readConfig(id: string): RunConfig | undefined {
    return readConfigFile(this.paths(id).config);
  }

  readState(id: string): RunState | undefined {
    return readJson<RunState>(this.paths(id).state);
  }

  /** Merges `patch` into state.json and replaces the file atomically; returns the new state. */
  writeState(id: string, patch: Partial<RunState>): RunState {
    const p = this.paths(id);
    const current = readJson<RunState>(p.state) ?? { status: 'created', createdAt: new Date().toISOString() };
    const next: RunState = { ...current, ...patch };
    writeFileAtomic(p.state, JSON.stringify(next, null, 2) + '\n');
    return next;
  }

  /** All rows of the run, every attempt's, in file order. Lines that are not rows (a torn last line after a crash, stray text) are skipped. */
  readRows(id: string): TrainingRow[] {
    let text: string;
    try {
      text = fs.readFileSync(this.paths(id).metrics, 'utf8');
    } catch {
      return [];
    }
    return parseRows(text);
  }

  /** The rows that still count: {@link readRows} less those a later attempt redid (see `currentRows`). */
  readCurrentRows(id: string): TrainingRow[] {
    return currentRows(this.readRows(id));
  }

  /** The attempt number the next start of the run writes: one more than its last row's. */
  nextAttempt(id: string): number {
    return nextAttempt(readLastRow(this.paths(id).metrics));
  }

  /** Rows appended since `offset` (bytes), for following a live run; an incomplete last line waits for the next call. */
  readRowsSince(id: string, offset = 0): RowsSince {
    return readCompleteLines(this.paths(id).metrics, offset, parseRows);
  }

  /** Appends rows, starting on a fresh line if a crashed writer left the file without a final newline. */
  appendRows(id: string, rows: readonly TrainingRow[]): void {
    if (rows.length === 0) return;
    const file = this.paths(id).metrics;
    let prefix = '';
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (size > 0) {
          const b = Buffer.alloc(1);
          fs.readSync(fd, b, 0, 1, size - 1);
          if (b[0] !== 0x0a) prefix = '\n';
        }
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // no file yet: appendFileSync creates it
    }
    fs.appendFileSync(file, prefix + rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
}

/**
 * The status a run should be shown with. A live recorded process wins (a resumed run may still be importing
 * torch behind an old `end` row); then the last row, if it is an `end` row; then what the launcher recorded.
 */
export function deriveStatus(state: RunState, lastRow: TrainingRow | undefined): RunStatus {
  if (state.launcher !== 'slurm' && state.pid && isProcessAlive(state.pid, state.pidStart ?? undefined)) return 'running';
  if (lastRow?.type === 'end') {
    // An end row older than the latest start belongs to an earlier attempt: this one died without a word.
    const started = state.status === 'running' && state.startedAt ? Date.parse(state.startedAt) : NaN;
    const stale = lastRow.time !== undefined && lastRow.time * 1000 < started - STALE_SLACK_MS;
    return stale ? 'interrupted' : lastRow.status;
  }
  if (state.status === 'created' && !state.pid) return 'created';
  // A SLURM job runs elsewhere and has no pid to check; its follower records its end (asking squeue costs a
  // round trip to the controller, too much for a listing).
  if (state.launcher === 'slurm' && state.status === 'running') return 'running';
  if (END_STATUSES.has(state.status) && !lastRow) return state.status;
  return 'interrupted';
}

/** The last `end` row of the rows, if the rows end with one. */
export function finalEndRow(rows: readonly TrainingRow[]): EndRow | undefined {
  const last = rows[rows.length - 1];
  return last?.type === 'end' ? last : undefined;
}

export function parseRows(text: string): TrainingRow[] {
  const rows: TrainingRow[] = [];
  for (const line of text.split('\n')) {
    const row = parseTrainingRow(line);
    if (row) rows.push(row);
  }
  return rows;
}

/**
 * True when `pid` is a live process and, where the caller recorded its start time and the platform can tell
 * (Linux), the same process. A zombie counts as dead.
 */
export function isProcessAlive(pid: number, pidStart?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (stat === undefined) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return pidStart === undefined || stat.start === pidStart;
}

/** Linux: the start time of a process (clock ticks since boot, as text); undefined elsewhere or if it is gone. */
export function processStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.start;
}

function readProcStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may itself hold spaces and parentheses; fields resume after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const start = rest[19];
  return state && start ? { state, start } : undefined;
}

/** Writes a temporary file beside `file`, flushes it and renames it over `file`: readers see the old or the new content, never a mix. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(tmp, file);
      return;
    } catch (e) {
      // Windows refuses to replace a file another process holds open for a moment; Unix never gets here.
      if (attempt >= 20 || (e as NodeJS.ErrnoException).code !== 'EPERM') {
        fs.rmSync(tmp, { force: true });
        throw e;
      }
      const until = Date.now() + 10;
      while (Date.now() < until) {
        /* brief spin: this path is synchronous */
      }
    }
  }
}

export function newRunId(modelName: string, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const slug = modelName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model';
  return `${stamp}-${slug}-${randomBytes(3).toString('hex')}`;
}

/** Reads complete lines of `file` from `offset` and parses them; shared by the store and the runner's log tailing. */
export function readCompleteLines<T>(file: string, offset: number, parse: (text: string) => T[]): { rows: T[]; offset: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { rows: [], offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return { rows: [], offset: Math.min(offset, size) };
    const buf = Buffer.alloc(size - offset);
    const n = fs.readSync(fd, buf, 0, buf.length, offset);
    const end = buf.lastIndexOf(0x0a, n - 1);
    if (end < 0) return { rows: [], offset };
    return { rows: parse(buf.subarray(0, end + 1).toString('utf8')), offset: offset + end + 1 };
  } finally {
    fs.closeSync(fd);
  }
}

/** The last row of a metrics file, reading only its tail; undefined when it has none. */
export function readLastRow(file: string): TrainingRow | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let span = Math.min(size, TAIL_BYTES);
    while (span > 0) {
      const buf = Buffer.alloc(span);
      fs.readSync(fd, buf, 0, span, size - span);
      let text = buf.toString('utf8');
      // A partial read may begin inside a line; only the lines after its first newline are whole.
      if (span < size) {
        const nl = text.indexOf('\n');
        text = nl < 0 ? '' : text.slice(nl + 1);
      }
      const rows = parseRows(text);
      if (rows.length > 0 || span === size) return rows[rows.length - 1];
      span = Math.min(size, span * 4);
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function readConfigFile(file: string): RunConfig | undefined {
  const raw = readJson<unknown>(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  return { ...structuredClone(RUN_CONFIG_DEFAULTS), ...raw } as RunConfig;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function isSafeId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) && !id.includes('..');
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
