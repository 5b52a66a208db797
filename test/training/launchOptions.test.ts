/**
 * The Train flow's launch prompts: SLURM's and multi-node torchrun's settings read by the run config's own
 * rules, the extra sbatch options split as typed, and the command the other nodes run to join.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MULTINODE_PROMPT_KEYS, SLURM_PROMPT_KEYS, joinCommand, parseLaunchLine, splitSbatchArgs } from '../../src/host/training/launchOptions';

test('SLURM prompt: nodes, GPUs, processes and time into config keys; an empty value keeps the default', () => {
  assert.deepEqual(parseLaunchLine('nodes=2 gpus-per-node=8 nproc= time=04:00:00', SLURM_PROMPT_KEYS), { nodes: 2, gpusPerNode: 8, time: '04:00:00' });
  assert.deepEqual(parseLaunchLine('  gpus=0   nproc=2 ', SLURM_PROMPT_KEYS), { gpusPerNode: 0, nprocPerNode: 2 });
  assert.equal(parseLaunchLine('nodes=0', SLURM_PROMPT_KEYS), 'nodes must be >= 1, got 0');
  assert.equal(parseLaunchLine('nodes=two', SLURM_PROMPT_KEYS), 'nodes must be an integer, got "two"');
  assert.match(parseLaunchLine('partition=gpu', SLURM_PROMPT_KEYS) as string, /unknown setting 'partition'; the settings are nodes, gpus-per-node/);
  assert.equal(parseLaunchLine('nodes', SLURM_PROMPT_KEYS), "'nodes' is not key=value");
});

test('multi-node prompt: two or more nodes and a HOST:PORT rendezvous are required', () => {
  assert.deepEqual(parseLaunchLine('nnodes=2 nproc=4 rdzv=node0.cluster:29400 id=exp7', MULTINODE_PROMPT_KEYS), {
    nnodes: 2,
    nprocPerNode: 4,
    rdzvEndpoint: 'node0.cluster:29400',
    rdzvId: 'exp7',
  });
  assert.match(parseLaunchLine('nnodes=1 rdzv=h:1', MULTINODE_PROMPT_KEYS) as string, /nnodes must be 2 or more/);
  assert.match(parseLaunchLine('nnodes=2', MULTINODE_PROMPT_KEYS) as string, /rdzv=HOST:PORT is needed/);
  assert.match(parseLaunchLine('nnodes=2 rdzv=HOST', MULTINODE_PROMPT_KEYS) as string, /rdzv must be HOST:PORT/);
  assert.deepEqual(parseLaunchLine('nnodes=3 rdzv=[fe80::1]:29400', MULTINODE_PROMPT_KEYS), { nnodes: 3, rdzvEndpoint: '[fe80::1]:29400' });
});

test('extra sbatch options split on spaces, quotes keep one together; the join command names every other node', () => {
  assert.deepEqual(splitSbatchArgs(' --account=ml  --comment="two words" '), ['--account=ml', '--comment=two words']);
  assert.deepEqual(splitSbatchArgs('"--comment=two words" --qos=low'), ['--comment=two words', '--qos=low']);
  assert.deepEqual(splitSbatchArgs(''), []);
  assert.deepEqual(joinCommand({ runId: 'r1', runsRoot: "/shared/it's/runs", nnodes: 3, rdzvEndpoint: 'n0:29400' }), [
    "resnet-studio train --nnodes 3 --node-rank 1 --rdzv-endpoint n0:29400 --run-id r1 --out '/shared/it'\\''s/runs'",
    "resnet-studio train --nnodes 3 --node-rank 2 --rdzv-endpoint n0:29400 --run-id r1 --out '/shared/it'\\''s/runs'",
  ]);
});
