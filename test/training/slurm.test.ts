/**
 * The SLURM launcher against a real SLURM, not a mock: a one-node cluster on localhost started for this
 * suite (see slurmCluster.ts). A two-task CPU job trains ResNet-8 with gloo to `completed` through the CLI;
 * Stop (`scancel`) of a job followed by a second session gives `stopped`; a job whose data path is wrong gives
 * `failed` with the runner's reason. Before those, the pure parts: the batch script, the state table, and
 * what sbatch and sinfo print.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_CONFIG_DEFAULTS, validateRunConfig, type TrainingRow } from '../../src/protocol/trainingProtocol';
import { JobManager } from '../../src/training/jobs';
import { RunStore } from '../../src/training/runStore';
import {
  SLURM_STATES,
  jobcompJob,
  listPartitions,
  parsePartitions,
  parseSbatchJobId,
  processesPerNode,
  sacctJob,
  SlurmJob,
  sbatchScript,
  scontrolJob,
  shellQuote,
  slurmPhase,
} from '../../src/training/slurm';
import { type SlurmCluster, clusterFor, startSlurmCluster, stopSlurmCluster } from './slurmCluster';
import { FIXTURE_MODEL, smallRun, tempRoot, torchPython } from './torchTestEnv';

const REPO = path.resolve(__dirname, '../..');

// ---------------------------------------------------------------------------------------------------------
// Without a cluster

test('the batch script: the allocation in #SBATCH lines, srun with one torchrun per task, a rendezvous from the allocation', () => {
  const config = validateRunConfig({
    ...RUN_CONFIG_DEFAULTS,
    modelFile: '/m/model.py',
    modelName: 'resnet50',
    launcher: 'slurm',
    partition: 'gpu',
    nodes: 4,
    gpusPerNode: 8,
    time: '12:00:00',
    runDir: "/runs/it's here",
  });
  const text = sbatchScript({
    runId: 'r1',
    config,
    python: '/opt/env/bin/python',
    scriptPath: '/ext/python/resnet_studio_train.py',
    configPath: "/runs/it's here/config.json",
    resume: true,
    attempt: 2,
    avoidRedirectBug: true,
  });
  const sbatch = text.split('\n').filter((l) => l.startsWith('#SBATCH ')).map((l) => l.slice(8));
  assert.deepEqual(sbatch, [
    '--job-name=resnet-studio-resnet50',
    '--output=stdout.log',
    '--error=stderr.log',
    '--open-mode=append',
    '--nodes=4',
    '--ntasks-per-node=1',
    '--partition=gpu',
    '--gpus-per-node=8',
    '--time=12:00:00',
  ]);
  const srun = text.split('\n').find((l) => l.startsWith('exec srun '))!;
  assert.match(srun, / --nnodes "\$SLURM_NTASKS" --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint "\$head:\$port" --rdzv_id "\$SLURM_JOB_ID" /);
  assert.match(srun, / --redirects 9:0 --tee 9:0 /);
  assert.ok(srun.endsWith(`--config '/runs/it'\\''s here/config.json' --resume`), srun);
  assert.ok(text.startsWith('#!/bin/bash\n'));
  // The shell must read it as written.
  execFileSync('bash', ['-n'], { input: text });
  assert.equal(processesPerNode({ gpusPerNode: 0 }), 1);
  assert.equal(processesPerNode({ gpusPerNode: 0, nprocPerNode: 2 }), 2);
  assert.equal(shellQuote('a b'), `'a b'`);
});

test('job states: every SLURM state maps to a phase of the run, however the command spells it', () => {
  assert.equal(slurmPhase('PENDING'), 'queued');
  assert.equal(slurmPhase('RUNNING'), 'running');
  assert.equal(slurmPhase('COMPLETING'), 'running');
  assert.equal(slurmPhase('COMPLETED'), 'completed');
  assert.equal(slurmPhase('CANCELLED by 0'), 'stopped');
  assert.equal(slurmPhase('CANCELLED+'), 'stopped');
  assert.equal(slurmPhase('timeout'), 'failed');
  assert.equal(slurmPhase('OUT_OF_MEMORY'), 'failed');
  assert.equal(slurmPhase('NO_SUCH_STATE'), undefined);
  for (const [state, phase] of Object.entries(SLURM_STATES)) assert.equal(slurmPhase(state), phase);
});

test("sbatch's and sinfo's answers", () => {
  assert.equal(parseSbatchJobId('123\n'), '123');
  assert.equal(parseSbatchJobId('4567;cluster2\n'), '4567');
  assert.equal(parseSbatchJobId('sbatch: error: Batch job submission failed'), undefined);
  assert.deepEqual(parsePartitions('debug*|up|0/1/0/1|(null)|infinite\ngpu|up|2/1/1/4|gpu:a100:8|2-00:00:00\ngpu|up|0/2/0/2|gpu:a100:8|2-00:00:00\n'), [
    { name: 'debug', isDefault: true, available: 'up', nodes: { allocated: 0, idle: 1, other: 0, total: 1 }, gres: '', timeLimit: 'infinite' },
    { name: 'gpu', isDefault: false, available: 'up', nodes: { allocated: 2, idle: 3, other: 1, total: 6 }, gres: 'gpu:a100:8', timeLimit: '2-00:00:00' },
  ]);
});

test('a controller that keeps failing is asked less and less often, and its error is logged once, not once a poll', { timeout: 30_000 }, async () => {
  // A squeue that always fails, counting its calls: the follower must not give the run up, nor flood the log.
  const root = tempRoot('slurm-silent');
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  const calls = path.join(root, 'calls');
  fs.writeFileSync(path.join(bin, 'squeue'), `#!/bin/sh\necho x >> '${calls}'\necho 'squeue: error: Unable to contact slurm controller (connect failure)' >&2\nexit 1\n`, { mode: 0o755 });
  const store = new RunStore(path.join(root, 'runs'));
  const run = store.createRun(smallRun({ launcher: 'slurm' }));
  store.writeState(run.id, { status: 'running', launcher: 'slurm', slurm: { jobId: '4242' } });
  const logs: string[] = [];
  const job = SlurmJob.attach(store, run.id, {
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    queryIntervalMs: 20,
    controllerQuietMs: 400,
    onLog: (l) => logs.push(l.line),
  });
  assert.ok(job);
  await new Promise((r) => setTimeout(r, 1500));
  job.detach();
  const n = fs.readFileSync(calls, 'utf8').trim().split('\n').length;
  // Every 20 ms would be about 75 calls; doubling waits (40, 80, 160, 320, 640 ms) allow about 6.
  assert.ok(n >= 2 && n <= 10, `squeue was called ${n} times in 1.5 s`);
  assert.equal(logs.filter((l) => l.includes('Unable to contact')).length, 1, logs.join('\n'));
  assert.equal(logs.filter((l) => l.includes('has not answered')).length, 1, logs.join('\n'));
  assert.ok(job.running, 'a follower whose controller is silent keeps the run as running');
});

// ---------------------------------------------------------------------------------------------------------
// On the local cluster

let cluster: SlurmCluster | string | undefined;

before(async () => {
  cluster = await startSlurmCluster();
  if (typeof cluster === 'object') console.log(`# local SLURM cluster up in ${cluster.startSeconds.toFixed(1)} s (${cluster.conf})`);
});

after(async () => {
  if (typeof cluster === 'object') await stopSlurmCluster(cluster);
});

/** A tiny SLURM run: ResNet-8 on 16x16 synthetic images, two tasks (torchrun agents) of one process each, gloo. */
function slurmRun(overrides: Parameters<typeof smallRun>[0] = {}) {
  return smallRun({ launcher: 'slurm', sbatchArgs: ['--ntasks-per-node=2'], syntheticSize: 400, batchSize: 32, valSplit: 0.1, epochs: 1, ...overrides });
}

function rowsOf(store: RunStore, id: string, type: TrainingRow['type']): TrainingRow[] {
  return store.readRows(id).filter((r) => r.type === type);
}

test('the partitions come from sinfo', async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const partitions = await listPartitions({ env: c.env });
  assert.equal(partitions.length, 1);
  assert.equal(partitions[0]!.name, 'debug');
  assert.equal(partitions[0]!.isDefault, true);
  assert.equal(partitions[0]!.available, 'up');
  assert.equal(partitions[0]!.nodes.total, 1);
});

test('train --launcher slurm: a two-task CPU job trains ResNet-8 with gloo to completed, and the CLI follows it to the end', { timeout: 240_000 }, async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const python = await torchPython(t);
  if (!python) return;
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli.js'))) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  const out = tempRoot('slurm-cli');
  const t0 = Date.now();
  const cli = spawn(
    process.execPath,
    [
      'bin/resnet-studio.js', 'train', FIXTURE_MODEL, '--model', 'resnet8', '--args', 'num_classes=10, width=8', '--input', '1,3,16,16',
      '--backend', 'pytorch', '--data', 'synthetic', '--synthetic-size', '400', '--batch-size', '32', '--epochs', '1', '--max-steps', '3',
      '--device', 'cpu', '--launcher', 'slurm', '--partition', 'debug', '--time', '00:10:00', '--sbatch-arg=--ntasks-per-node=2',
      '--python', python, '--out', out, '--run-id', 'cli-run',
    ],
    { cwd: REPO, env: c.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
  const seconds = (Date.now() - t0) / 1000;
  console.log(`# two-task SLURM job, submit to completed: ${seconds.toFixed(1)} s`);
  assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  const jobId = /submitted as SLURM job (\d+)/.exec(stdout)?.[1];
  assert.ok(jobId, stdout);
  assert.match(stdout, new RegExp(`slurm: job ${jobId} RUNNING`));
  assert.match(stdout, /run completed/);

  const store = new RunStore(out);
  const state = store.readState('cli-run')!;
  assert.equal(state.status, 'completed');
  assert.equal(state.launcher, 'slurm');
  assert.equal(state.slurm?.jobId, jobId);
  assert.deepEqual(state.slurm?.sbatchArgs, ['--ntasks-per-node=2']);
  assert.equal(store.getRun('cli-run')?.status, 'completed');
  const config = store.readConfig('cli-run')!;
  assert.equal(config.launcher, 'slurm');
  assert.equal(config.partition, 'debug');
  assert.equal(config.time, '00:10:00');
  assert.ok(fs.existsSync(path.join(store.paths('cli-run').dir, 'job.sbatch')));
  // Two processes trained, and only global rank 0 wrote the run: one start row, one end row.
  const status = rowsOf(store, 'cli-run', 'status').find((r) => r.type === 'status' && r.worldSize !== undefined);
  assert.equal(status?.type === 'status' ? status.worldSize : undefined, 2);
  assert.equal(rowsOf(store, 'cli-run', 'start').length, 1);
  assert.deepEqual(rowsOf(store, 'cli-run', 'end').map((r) => r.type === 'end' && r.status), ['completed']);
  assert.ok(rowsOf(store, 'cli-run', 'metric').some((r) => r.type === 'metric' && r.split === 'train' && r.step === 3));
  // The job is gone from the queue as COMPLETED (scontrol remembers it; this cluster keeps no accounting).
  const shown = execFileSync('scontrol', ['show', 'job', '-o', jobId!], { env: c.env, encoding: 'utf8' });
  assert.match(shown, /JobState=COMPLETED/);
  assert.match(shown, /NumTasks=2/);
});

test('train --launcher slurm --detach returns once sbatch took the job; the end row says how it ended, or a later session stops it before the runner starts', { timeout: 180_000 }, async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const python = await torchPython(t);
  if (!python) return;
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli.js'))) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  const out = tempRoot('slurm-detach');
  const submit = (runId: string) => {
    const stdout = execFileSync(
      process.execPath,
      [
        'bin/resnet-studio.js', 'train', FIXTURE_MODEL, '--model', 'resnet8', '--args', 'num_classes=10, width=8', '--input', '1,3,16,16',
        '--backend', 'pytorch', '--data', 'synthetic', '--synthetic-size', '400', '--batch-size', '32', '--epochs', '1', '--max-steps', '2',
        '--device', 'cpu', '--launcher', 'slurm', '--python', python, '--out', out, '--run-id', runId, '--detach',
      ],
      { cwd: REPO, env: c.env, encoding: 'utf8' },
    );
    const jobId = /submitted as SLURM job (\d+) \(scancel \1 stops it\)/.exec(stdout)?.[1];
    assert.ok(jobId, stdout);
    return jobId!;
  };
  const store = new RunStore(out);

  // Nobody follows the first job: it trains to its end while state.json still says running.
  const done = submit('unattended');
  for (let i = 0; i < 1200 && execFileSync('squeue', ['-h', '-j', done], { env: c.env, encoding: 'utf8' }).trim(); i++) await new Promise((r) => setTimeout(r, 100));
  // The listing trusts rank 0's end row over the stale state, and there is nothing left to follow.
  assert.equal(store.readState('unattended')?.status, 'running');
  assert.equal(store.getRun('unattended')?.status, 'completed');
  const manager = new JobManager();
  assert.equal(manager.attach(store, 'unattended', { slurmEnv: c.env }), undefined);
  assert.equal(store.readRows('unattended').filter((r) => r.type === 'end').length, 1);

  // The second is stopped at once, long before torch is imported: no runner wrote an end row, the launcher does.
  const jobId = submit('cancelled');
  assert.equal(store.getRun('cancelled')?.status, 'running');
  const result = await manager.stop(store, 'cancelled', { slurmEnv: c.env, pollIntervalMs: 100 });
  assert.equal(result?.status, 'stopped');
  assert.equal(store.getRun('cancelled')?.status, 'stopped');
  assert.equal(store.readState('cancelled')?.slurm?.jobId, jobId);
  assert.equal(store.readState('cancelled')?.slurm?.state, 'CANCELLED');
  assert.deepEqual(store.readRows('cancelled').filter((r) => r.type === 'end').map((r) => r.type === 'end' && r.status), ['stopped']);
  manager.dispose();
});

test('Stop is scancel: a job followed by a later session ends stopped', { timeout: 240_000 }, async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const python = await torchPython(t);
  if (!python) return;
  const store = new RunStore(tempRoot('slurm-stop'));
  const id = store.createRun(slurmRun({ epochs: 50, logEvery: 1 })).id;
  // The first session submits it detached and leaves...
  const first = new JobManager();
  const submitted = await first.start({ store, runId: id, python, detached: true, slurmEnv: c.env, pollIntervalMs: 100 });
  const jobId = submitted.slurmJobId;
  assert.ok(jobId);
  submitted.dispose();
  first.dispose();
  assert.equal(store.readState(id)?.slurm?.jobId, jobId);
  assert.equal(store.getRun(id)?.status, 'running');
  // ...a second finds it by state.json, follows it, and stops it once it trains.
  const second = new JobManager();
  const job = second.attach(store, id, { slurmEnv: c.env, pollIntervalMs: 100 });
  assert.ok(job, 'attach found the SLURM job');
  assert.equal(job.slurmJobId, jobId);
  const trained = new Promise<void>((resolve) => {
    const sub = job.onDidEmitRow((r) => {
      if (r.type === 'metric') {
        sub.dispose();
        resolve();
      }
    });
  });
  await Promise.race([trained, job.done]);
  assert.ok(job.running, 'the job was still training when stopped');
  const t0 = Date.now();
  const result = await second.stop(store, id);
  console.log(`# scancel to stopped: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(result?.status, 'stopped');
  assert.equal(result?.error, null);
  const state = store.readState(id)!;
  assert.equal(state.status, 'stopped');
  assert.equal(state.slurm?.state, 'CANCELLED');
  assert.equal(store.getRun(id)?.status, 'stopped');
  assert.deepEqual(rowsOf(store, id, 'end').map((r) => r.type === 'end' && r.status), ['stopped']);
  // The runner heard the SIGTERM and stopped after a step: its rows stop well short of 50 epochs.
  assert.ok(rowsOf(store, id, 'metric').length < 50);
  second.dispose();
});

test('a job that fails (a bad data path) ends failed, with the reason from its log', { timeout: 240_000 }, async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const python = await torchPython(t);
  if (!python) return;
  const store = new RunStore(tempRoot('slurm-fail'));
  const missing = path.join(store.root, 'no-such-data');
  const id = store.createRun(slurmRun({ data: missing })).id;
  const manager = new JobManager();
  const job = await manager.start({ store, runId: id, python, slurmEnv: c.env, pollIntervalMs: 100 });
  const result = await job.done;
  assert.equal(result.status, 'failed');
  assert.ok(result.error?.includes(missing), result.error ?? '');
  // The same reason is in the job's log (stderr.log, written by SLURM), and the end row says it once.
  assert.ok(fs.readFileSync(store.paths(id).stderr, 'utf8').includes(missing));
  const ends = rowsOf(store, id, 'end');
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.type === 'end' && ends[0]!.error, result.error);
  const state = store.readState(id)!;
  assert.equal(state.status, 'failed');
  assert.equal(state.slurm?.state, 'FAILED');
  assert.ok(state.exitCode !== null && state.exitCode !== 0);
  assert.equal(store.getRun(id)?.status, 'failed');
  // Every source of how a job ended agrees; this cluster keeps no accounting, so sacct has nothing to say.
  const jobId = state.slurm!.jobId;
  assert.equal(await sacctJob(jobId, { env: c.env }), undefined);
  assert.deepEqual(await scontrolJob(jobId, { env: c.env }), { state: 'FAILED', exitCode: state.exitCode, signal: 0, reason: 'NonZeroExitCode', source: 'scontrol' });
  assert.deepEqual(await jobcompJob(jobId, { env: c.env }), { state: 'FAILED', exitCode: state.exitCode, signal: 0, source: 'jobcomp' });

  // A resume submits the run again, as a new job with --resume: attempt 2, which fails for the same reason.
  const again = await manager.start({ store, runId: id, python, resume: true, slurmEnv: c.env, pollIntervalMs: 100 });
  assert.notEqual(again.slurmJobId, jobId);
  assert.match(fs.readFileSync(path.join(store.paths(id).dir, 'job.sbatch'), 'utf8'), /attempt 2:[^]*--config \S+ --resume\n/);
  const second = await again.done;
  assert.equal(second.status, 'failed');
  assert.ok(second.error?.includes(missing));
  assert.deepEqual(store.readRows(id).filter((r) => r.type === 'end').map((r) => r.attempt), [1, 2]);
  assert.equal(store.readState(id)?.attempts, 2);
  assert.equal(store.readState(id)?.slurm?.jobId, again.slurmJobId);
  manager.dispose();
});

test('a job that dies before the runner can say why ends failed with SLURM\'s state, its exit code and the last lines of its log', { timeout: 120_000 }, async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const python = await torchPython(t);
  if (!python) return;
  const store = new RunStore(tempRoot('slurm-die'));
  // An interpreter that answers the launcher's probe here but fails on the node, as a broken environment does.
  const broken = path.join(store.root, 'python');
  fs.writeFileSync(broken, `#!/bin/sh\nif [ "$1" = "-c" ]; then exec ${python} "$@"; fi\necho "libcudart.so.12: cannot open shared object file" >&2\nexit 3\n`, { mode: 0o755 });
  const id = store.createRun(slurmRun()).id;
  const manager = new JobManager();
  const job = await manager.start({ store, runId: id, python: broken, slurmEnv: c.env, pollIntervalMs: 100 });
  const result = await job.done;
  assert.equal(result.status, 'failed');
  assert.match(result.error ?? '', new RegExp(`^SLURM job ${job.slurmJobId} ended FAILED, exit code 3, reason NonZeroExitCode without the runner reporting an end row; last output:\n`));
  assert.match(result.error ?? '', /libcudart\.so\.12: cannot open shared object file/);
  assert.equal(store.readState(id)?.exitCode, 3);
  assert.equal(store.getRun(id)?.status, 'failed');
  manager.dispose();
});

test('a job sbatch refuses is an error at the start, and the run stays as it was', { timeout: 60_000 }, async (t) => {
  const c = clusterFor(t, cluster);
  if (!c) return;
  const python = await torchPython(t);
  if (!python) return;
  const store = new RunStore(tempRoot('slurm-refused'));
  // This cluster has no GPUs.
  const id = store.createRun(slurmRun({ gpusPerNode: 1 })).id;
  const manager = new JobManager();
  await assert.rejects(manager.start({ store, runId: id, python, slurmEnv: c.env }), /sbatch refused the job: sbatch: error: .*/);
  assert.equal(store.getRun(id)?.status, 'created');
  assert.equal(store.readState(id)?.slurm, undefined);
  manager.dispose();
});
