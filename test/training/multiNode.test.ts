/**
 * Multi-node torchrun from the command line: two "nodes" (two `resnet-studio train` processes on this machine,
 * as two machines would run them) meet at a c10d rendezvous and train one run in one shared folder. Node 0
 * creates the run and owns its state; node 1 joins it by its id; only global rank 0 writes rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../src/training/pythonEnv';
import { RunStore } from '../../src/training/runStore';
import { FIXTURE_MODEL, tempRoot, torchPython } from './torchTestEnv';

const REPO = path.resolve(__dirname, '../..');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/resnet-studio.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

test('two nodes with --nnodes 2 --node-rank 0/1 --rdzv-endpoint train one run; node 0 owns it, rank 0 writes it', { timeout: 240_000 }, async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli.js'))) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  const out = tempRoot('multinode');
  const endpoint = `127.0.0.1:${await freePort()}`;
  const common = [
    'train', FIXTURE_MODEL, '--model', 'resnet8', '--args', 'num_classes=10, width=8', '--input', '1,3,16,16', '--backend', 'pytorch',
    '--data', 'synthetic', '--synthetic-size', '400', '--batch-size', '32', '--epochs', '1', '--max-steps', '3', '--device', 'cpu',
    '--nnodes', '2', '--rdzv-endpoint', endpoint, '--python', python, '--out', out, '--run-id', 'two-nodes',
  ];
  const t0 = Date.now();
  const node0 = cli([...common, '--node-rank', '0']);
  const node1 = cli([...common, '--node-rank', '1']);
  const [r0, r1] = await Promise.all([node0, node1]);
  console.log(`# two nodes of one process each, start to completed: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(r0.code, 0, `node 0:\n${r0.stdout}\n${r0.stderr}`);
  assert.equal(r1.code, 0, `node 1:\n${r1.stdout}\n${r1.stderr}`);
  assert.match(r0.stdout, /run completed/);
  assert.match(r1.stdout, /joining run two-nodes as node 1 of 2/);
  assert.match(r1.stdout, /node 1: completed/);

  const store = new RunStore(out);
  const config = store.readConfig('two-nodes')!;
  assert.equal(config.nnodes, 2);
  assert.equal(config.rdzvEndpoint, endpoint);
  const rows = store.readRows('two-nodes');
  assert.equal(rows.filter((r) => r.type === 'start').length, 1);
  assert.deepEqual(rows.filter((r) => r.type === 'end').map((r) => r.type === 'end' && r.status), ['completed']);
  assert.ok(rows.some((r) => r.type === 'status' && r.worldSize === 2));
  const state = store.readState('two-nodes')!;
  assert.equal(state.status, 'completed');
  assert.equal(state.attempts, 1, 'only node 0 records its start');
  const dir = store.paths('two-nodes').dir;
  assert.ok(fs.existsSync(path.join(dir, 'stderr.node1.log')), 'node 1 logs beside node 0');
});

test('multi-node flags that cannot work are usage errors, before anything is made', async () => {
  const out = tempRoot('multinode-usage');
  const base = ['train', FIXTURE_MODEL, '--model', 'resnet8', '--backend', 'pytorch', '--data', 'synthetic', '--out', out];
  const cases: [string[], RegExp][] = [
    [['--nnodes', '2'], /--nnodes above 1 needs --rdzv-endpoint/],
    [['--nnodes', '2', '--rdzv-endpoint', 'h:1', '--node-rank', '2', '--run-id', 'x'], /--node-rank must be below --nnodes \(2\)/],
    [['--nnodes', '2', '--rdzv-endpoint', 'h:1', '--node-rank', '1'], /give the same --run-id/],
    [['--nnodes', '2', '--rdzv-endpoint', 'nohostport'], /--rdzv-endpoint must be HOST:PORT/],
    [['--partition', 'gpu'], /--partition is for SLURM runs: add --launcher slurm/],
    [['--launcher', 'slurm', '--nnodes', '2', '--rdzv-endpoint', 'h:1'], /on SLURM the allocation sets the nodes/],
    [['--launcher', 'slurm', '--backend', 'tfjs'], /--launcher slurm needs --backend pytorch/],
  ];
  for (const [extra, message] of cases) {
    const args = extra.includes('--backend') ? [...base.filter((a, i) => a !== '--backend' && base[i - 1] !== '--backend'), ...extra] : [...base, ...extra];
    const r = await cli(args);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, extra.join(' '));
  }
  assert.deepEqual(fs.readdirSync(out), []);
});
