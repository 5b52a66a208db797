import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_RUNS_DIR, RunStore, defaultRunsRoot, deriveStatus, isProcessAlive, processStartTime } from '../../src/training/runStore';
import { RUN_CONFIG_DEFAULTS, RunConfigError, type TrainingRow } from '../../src/protocol/trainingProtocol';
import { tempRoot } from './torchTestEnv';

const tmp = (name: string) => tempRoot(`store-${name}`);
const MODEL = path.resolve(__dirname, '../fixtures/training/cifar_resnet8.py');
const metric = (step: number): TrainingRow => ({ type: 'metric', split: 'train', epoch: 1, step, loss: 1, accuracy: 0.5, time: step });

/** A pid that belonged to a process which has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

test('createRun lays out the run directory with config, model copy, logs and a created state', () => {
  const store = new RunStore(tmp('create'));
  const run = store.createRun({ modelFile: MODEL, modelName: 'resnet8', modelArgs: 'num_classes=10', epochs: 3, data: 'data/cifar' });
  const p = store.paths(run.id);
  for (const f of [p.config, p.state, p.metrics, p.stdout, p.stderr, p.modelSnapshot]) assert.ok(fs.existsSync(f), f);
  assert.ok(fs.statSync(p.checkpoints).isDirectory());
  const config = store.readConfig(run.id)!;
  assert.equal(config.epochs, 3);
  assert.equal(config.batchSize, 128, 'defaults fill what the caller left out');
  assert.equal(config.backend, 'pytorch');
  assert.equal(config.modelSnapshot, 'model.py');
  assert.equal(config.runDir, p.dir);
  assert.ok(path.isAbsolute(config.data), 'a data directory is stored absolute');
  assert.equal(fs.readFileSync(p.modelSnapshot, 'utf8'), fs.readFileSync(MODEL, 'utf8'));
  assert.equal(store.getRun(run.id)?.status, 'created');
  assert.match(run.id, /^\d{8}-\d{6}-resnet8-[0-9a-f]{6}$/);
  assert.throws(() => store.createRun({ modelFile: MODEL, modelName: 'x' }, { id: run.id }), /EEXIST/);
  assert.throws(() => store.paths('../escape'), /not a run id/);
  assert.equal(defaultRunsRoot('/ws'), path.join('/ws', DEFAULT_RUNS_DIR));
  assert.equal(DEFAULT_RUNS_DIR, path.join('.resnet-studio', 'runs'));
});

test('listRuns reports a dead process without an end row as interrupted', () => {
  const store = new RunStore(tmp('list'));
  const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
  const interrupted = store.createRun({ modelFile: MODEL, modelName: 'a' }, { now: at(1) }).id;
  store.writeState(interrupted, { status: 'running', pid: deadPid() });
  store.appendRows(interrupted, [{ type: 'status', backend: 'pytorch' }, metric(1)]);

  const finished = store.createRun({ modelFile: MODEL, modelName: 'b' }, { now: at(2) }).id;
  store.writeState(finished, { status: 'running', pid: deadPid() });
  store.appendRows(finished, [metric(1), { type: 'end', status: 'completed' }]);

  const live = store.createRun({ modelFile: MODEL, modelName: 'c' }, { now: at(3) }).id;
  store.writeState(live, { status: 'running', pid: process.pid, pidStart: processStartTime(process.pid) ?? null });
  // A resumed run still importing torch: an old end row, but a live process.
  store.appendRows(live, [{ type: 'end', status: 'stopped' }]);

  // Resumed, then died before writing anything: the end row is the previous attempt's.
  const resumedThenLost = store.createRun({ modelFile: MODEL, modelName: 'e' }, { now: at(0) }).id;
  store.appendRows(resumedThenLost, [metric(1), { type: 'end', status: 'stopped', time: Date.now() / 1000 - 3600 }]);
  store.writeState(resumedThenLost, { status: 'running', pid: deadPid(), startedAt: new Date().toISOString() });

  const fresh = store.createRun({ modelFile: MODEL, modelName: 'd' }, { now: at(4) }).id;
  fs.mkdirSync(path.join(store.root, 'not-a-run'));

  const runs = store.listRuns();
  assert.deepEqual(runs.map((r) => r.id), [fresh, live, finished, interrupted, resumedThenLost], 'newest first; stray folders skipped');
  const status = Object.fromEntries(runs.map((r) => [r.id, r.status]));
  assert.equal(status[interrupted], 'interrupted');
  assert.equal(status[finished], 'completed');
  assert.equal(status[live], 'running');
  assert.equal(status[fresh], 'created');
  assert.equal(status[resumedThenLost], 'interrupted');
  assert.deepEqual(runs.find((r) => r.id === finished)?.lastRow, { type: 'end', status: 'completed' });
  assert.deepEqual(new RunStore(path.join(store.root, 'missing')).listRuns(), []);
});

test('a recycled pid or a zombie does not count as the run being alive', async () => {
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(deadPid()), false);
  const start = processStartTime(process.pid);
  if (start === undefined) return; // no /proc: only the pid check applies on this platform
  assert.equal(isProcessAlive(process.pid, start), true);
  assert.equal(isProcessAlive(process.pid, String(Number(start) + 1)), false, 'same pid, different process');
  // Until the event loop runs, an exited child is not reaped: block it briefly to observe a zombie.
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const stat = () => (fs.existsSync(`/proc/${child.pid}/stat`) ? fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8') : '');
  const until = Date.now() + 5000;
  while (!stat().includes(') Z ') && Date.now() < until) {
    /* busy wait on purpose: no event loop turn, so no reaping */
  }
  assert.match(stat(), /\) Z /);
  assert.equal(isProcessAlive(child.pid!), false, 'a zombie is dead');
  await exited;
  assert.equal(
    deriveStatus({ status: 'running', createdAt: '', pid: process.pid, pidStart: String(Number(start) + 1) }, undefined),
    'interrupted',
  );
});

test('readRows tolerates a truncated last line and appendRows starts a fresh line after it', () => {
  const store = new RunStore(tmp('trunc'));
  const id = store.createRun({ modelFile: MODEL, modelName: 'm' }).id;
  const file = store.paths(id).metrics;
  fs.writeFileSync(file, JSON.stringify(metric(1)) + '\n' + 'plain log text\n' + JSON.stringify(metric(2)) + '\n' + '{"type":"metric","split":"tr');
  assert.deepEqual(store.readRows(id).map((r) => (r as { step: number }).step), [1, 2]);
  assert.deepEqual(store.getRun(id)?.lastRow, metric(2), 'the last complete row, not the torn one');

  // Incremental reading never consumes the torn line, and resumes exactly where it stopped.
  const first = store.readRowsSince(id, 0);
  assert.equal(first.rows.length, 2);
  assert.equal(first.offset, fs.readFileSync(file, 'utf8').lastIndexOf('\n') + 1);

  store.appendRows(id, [metric(3), { type: 'end', status: 'failed', error: 'x' }]);
  const rows = store.readRows(id);
  assert.deepEqual(rows.map((r) => r.type), ['metric', 'metric', 'metric', 'end']);
  assert.equal(store.getRun(id)?.status, 'failed');
  const next = store.readRowsSince(id, first.offset);
  assert.deepEqual(next.rows.map((r) => r.type), ['metric', 'end'], 'the torn fragment is skipped, its successors read');
  assert.equal(next.offset, fs.statSync(file).size);
  assert.deepEqual(store.readRowsSince(id, next.offset), { rows: [], offset: next.offset });
});

test('readRows on a large file and lastRow read from the tail agree', () => {
  const store = new RunStore(tmp('large'));
  const id = store.createRun({ modelFile: MODEL, modelName: 'm' }).id;
  const rows = Array.from({ length: 3000 }, (_, i) => metric(i + 1));
  store.appendRows(id, rows);
  assert.ok(fs.statSync(store.paths(id).metrics).size > 64 * 1024);
  assert.equal(store.readRows(id).length, 3000);
  assert.deepEqual(store.getRun(id)?.lastRow, rows.at(-1));
});

test('state.json is replaced atomically: a concurrent reader never sees a partial file', async () => {
  const store = new RunStore(tmp('atomic'));
  const id = store.createRun({ modelFile: MODEL, modelName: 'm' }).id;
  const stateFile = store.paths(id).state;
  // A second process rewrites the state as fast as it can with a large, changing payload.
  const writer = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { RunStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/training/runStore.ts'))});
    const store = new RunStore(${JSON.stringify(store.root)});
    for (let i = 0; i < 400; i++) store.writeState(${JSON.stringify(id)}, { status: 'running', pid: i, error: 'x'.repeat(20000 + (i % 7) * 3000) });
  `], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  writer.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  const done = new Promise<number | null>((r) => writer.once('exit', (code) => ((exited = true), r(code))));
  let reads = 0;
  let lastPid = -1;
  while (!exited) {
    const text = fs.readFileSync(stateFile, 'utf8');
    const state = JSON.parse(text) as { pid?: number; error?: string };
    if (typeof state.pid === 'number') {
      assert.ok(state.pid >= lastPid, 'states arrive in order');
      assert.equal(state.error!.length, 20000 + (state.pid % 7) * 3000);
      lastPid = state.pid;
    }
    reads++;
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await done, 0, stderr);
  assert.ok(reads > 10, `only ${reads} reads overlapped the writer`);
  assert.equal(store.readState(id)?.pid, 399);
  assert.equal(store.readState(id)?.createdAt, store.readConfig(id)?.createdAt, 'writeState merges, keeping earlier fields');
  assert.deepEqual(fs.readdirSync(store.paths(id).dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary files left');
});

test('createRun writes every default of the contract, and refuses a config the runners would refuse without making anything', () => {
  const root = tmp('contract');
  const store = new RunStore(root);
  const run = store.createRun({ modelFile: MODEL, modelName: 'm' });
  const written = JSON.parse(fs.readFileSync(store.paths(run.id).config, 'utf8')) as Record<string, unknown>;
  for (const [key, value] of Object.entries(RUN_CONFIG_DEFAULTS)) assert.deepEqual(written[key], value, key);
  assert.throws(() => store.createRun({ modelFile: MODEL, modelName: 'bad', epochs: 0 }, { id: 'bad-run' }), (e: Error) => e instanceof RunConfigError && /epochs must be >= 1, got 0/.test(e.message));
  assert.equal(fs.existsSync(store.paths('bad-run').dir), false);
});

test('nextAttempt follows the last row; readCurrentRows leaves out what a later attempt redid', () => {
  const store = new RunStore(tmp('attempts'));
  const id = store.createRun({ modelFile: MODEL, modelName: 'm' }).id;
  assert.equal(store.nextAttempt(id), 1);
  const at = (attempt: number, r: TrainingRow): TrainingRow => ({ ...r, attempt });
  store.appendRows(id, [at(1, { type: 'start', step: 0, time: 0 }), at(1, metric(1)), at(1, metric(2))]);
  assert.equal(store.nextAttempt(id), 2);
  store.appendRows(id, [at(1, { type: 'end', status: 'failed', error: 'killed', time: 3 })]);
  assert.equal(store.nextAttempt(id), 2, 'the end row written for a dead process keeps its attempt');
  store.appendRows(id, [at(2, { type: 'start', step: 0, time: 4 }), at(2, metric(1))]);
  assert.equal(store.nextAttempt(id), 3);
  assert.equal(store.readRows(id).length, 6);
  assert.deepEqual(store.readCurrentRows(id).map((r) => `${r.type}:${r.attempt}`), ['start:1', 'end:1', 'start:2', 'metric:2']);
});
