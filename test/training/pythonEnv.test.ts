import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  PYTHON_ENV_VAR,
  PythonEnvError,
  distributedLaunchArgs,
  freePort,
  pythonCandidates,
  resolveTorchPython,
  trainScriptPath,
} from '../../src/training/pythonEnv';
import { torchPython } from './torchTestEnv';

test('candidates: explicit setting, then the environment variable, then the defaults, without repeats', () => {
  const c = pythonCandidates({ explicit: ' /opt/py/bin/python ', env: { [PYTHON_ENV_VAR]: '/env/python' }, defaults: ['/usr/bin/python3.11', 'python3', '/env/python'] });
  assert.deepEqual(c, [
    { python: '/opt/py/bin/python', source: 'explicit' },
    { python: '/env/python', source: 'env' },
    { python: '/usr/bin/python3.11', source: 'default' },
    { python: 'python3', source: 'default' },
  ]);
  assert.deepEqual(pythonCandidates({ explicit: '', env: {}, defaults: ['python'] }), [{ python: 'python', source: 'default' }]);
});

test('resolution reports every candidate that was passed over, and why', async (t) => {
  const missing = '/nonexistent/bin/python3';
  await assert.rejects(resolveTorchPython({ explicit: missing, env: {}, defaults: [process.execPath] }), (e: unknown) => {
    assert.ok(e instanceof PythonEnvError);
    assert.deepEqual(e.tried.map((x) => [x.python, x.source]), [[missing, 'explicit'], [process.execPath, 'default']]);
    assert.equal(e.tried[0]!.reason, 'not found');
    assert.match(e.message, new RegExp(PYTHON_ENV_VAR));
    return true;
  });
  const python = await torchPython(t);
  if (!python) return;
  const found = await resolveTorchPython({ explicit: missing, env: { [PYTHON_ENV_VAR]: python }, defaults: [] });
  assert.equal(found.python, python);
  assert.equal(found.source, 'env');
  assert.deepEqual(found.skipped.map((s) => s.python), [missing]);
  assert.match(found.torchVersion, /^\d+\.\d+/);
  assert.equal(typeof found.cuda, 'boolean');
  assert.equal(found.distributed, true);
});

test('distributed launch goes through python -m torch.distributed.run with the rendezvous passed through', () => {
  assert.deepEqual(distributedLaunchArgs({ nprocPerNode: 4, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.5', masterPort: 29501 }), [
    '-m', 'torch.distributed.run', '--nproc_per_node', '4', '--nnodes', '2', '--node_rank', '1',
    '--master_addr', '10.0.0.5', '--master_port', '29501',
  ]);
  const quirk = distributedLaunchArgs({ nprocPerNode: 2, masterAddr: '127.0.0.1', masterPort: 1, avoidRedirectBug: true });
  assert.deepEqual(quirk.slice(-4), ['--redirects', '9:0', '--tee', '9:0']);
  assert.throws(() => distributedLaunchArgs({ nprocPerNode: 0, masterAddr: 'h', masterPort: 1 }), /nprocPerNode/);
  assert.throws(() => distributedLaunchArgs({ nprocPerNode: 1, nnodes: 2, nodeRank: 2, masterAddr: 'h', masterPort: 1 }), /nodeRank/);
  assert.throws(() => distributedLaunchArgs({ nprocPerNode: 16, masterAddr: 'h', masterPort: 1, avoidRedirectBug: true }), /upgrade torch/);
});

test('the training script is found from the source tree and from an extension root', async () => {
  const found = trainScriptPath();
  assert.ok(fs.existsSync(found), found);
  assert.equal(found, path.resolve(__dirname, '../../python/resnet_studio_train.py'));
  assert.equal(trainScriptPath('/ext'), path.join('/ext', 'python', 'resnet_studio_train.py'));
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
});
