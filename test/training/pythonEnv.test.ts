/**
 * Finding the interpreter that trains: the order of the sources (setting, RESNET_STUDIO_PYTHON, the Python
 * extension, PATH), that each is reported with the chosen interpreter, and the distributed launch arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type Candidate,
  PATH_PYTHON_CANDIDATES,
  PYTHON_ENV_VAR,
  PythonEnvError,
  type ResolveOptions,
  describePythonSource,
  distributedLaunchArgs,
  freePort,
  pythonCandidates,
  resolveTorchPython,
  trainScriptPath,
} from '../../src/training/pythonEnv';
import { torchPython } from './torchTestEnv';

async function candidates(options: ResolveOptions): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for await (const c of pythonCandidates(options)) out.push(c);
  return out;
}

/**
 * An executable that answers the torch probe as an interpreter with torch would, so the order of the
 * sources is tested without PyTorch. Each gets its own path: probe results are cached per interpreter.
 */
function fakeTorchPython(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-fake-python-'));
  const file = path.join(dir, name);
  const answer = JSON.stringify({ python: '3.12.1', torch: '2.9.0', cuda: false, cudaDevices: 0, mps: false, distributed: true, redirectBug: false });
  fs.writeFileSync(file, `#!/bin/sh\necho '${answer}'\n`, { mode: 0o755 });
  return file;
}

const noShell = process.platform === 'win32' ? 'the fake interpreter is a shell script' : false;

test('candidates: the setting, then the environment variable, then the Python extension, then PATH, without repeats', async () => {
  const c = await candidates({
    explicit: ' /opt/py/bin/python ',
    env: { [PYTHON_ENV_VAR]: '/env/python' },
    pythonExtension: async () => '/ext/python',
    pathCandidates: ['python3', '/env/python', '/ext/python'],
  });
  assert.deepEqual(c, [
    { python: '/opt/py/bin/python', source: 'setting' },
    { python: '/env/python', source: 'env' },
    { python: '/ext/python', source: 'pythonExtension' },
    { python: 'python3', source: 'path' },
  ]);
  assert.deepEqual(await candidates({ explicit: '', env: {}, pathCandidates: ['python'] }), [{ python: 'python', source: 'path' }]);
  // An absent or failing Python extension is skipped, not an error.
  assert.deepEqual(await candidates({ env: {}, pythonExtension: async () => undefined, pathCandidates: ['python'] }), [{ python: 'python', source: 'path' }]);
  assert.deepEqual(await candidates({ env: {}, pythonExtension: () => Promise.reject(new Error('not installed')), pathCandidates: ['python'] }), [{ python: 'python', source: 'path' }]);
});

test('the product looks only on PATH by default: no interpreter of a particular machine', () => {
  assert.deepEqual(PATH_PYTHON_CANDIDATES, process.platform === 'win32' ? ['python', 'py'] : ['python3', 'python']);
  for (const p of PATH_PYTHON_CANDIDATES) assert.ok(!p.includes('/') && !p.includes('\\'), p);
});

test('the chosen interpreter is reported with its source; the Python extension is asked only when needed', { skip: noShell }, async () => {
  const missing = '/nonexistent/bin/python3';
  let asked = 0;
  const fromExtension = fakeTorchPython('ext-python');
  const pythonExtension = async () => {
    asked++;
    return fromExtension;
  };

  const fromEnv = fakeTorchPython('env-python');
  const a = await resolveTorchPython({ explicit: missing, env: { [PYTHON_ENV_VAR]: fromEnv }, pythonExtension, pathCandidates: [] });
  assert.deepEqual([a.python, a.source, a.torchVersion], [fromEnv, 'env', '2.9.0']);
  assert.deepEqual(a.skipped.map((s) => [s.python, s.source, s.reason]), [[missing, 'setting', 'not found']]);
  assert.equal(asked, 0, 'the environment variable answered first, so the Python extension was not activated');

  const b = await resolveTorchPython({ explicit: missing, env: {}, pythonExtension, pathCandidates: ['python-that-does-not-exist'] });
  assert.deepEqual([b.python, b.source], [fromExtension, 'pythonExtension']);
  assert.equal(asked, 1);

  const onPath = fakeTorchPython('path-python');
  const c = await resolveTorchPython({ env: {}, pythonExtension: () => Promise.reject(new Error('activation failed')), pathCandidates: [onPath] });
  assert.deepEqual([c.python, c.source], [onPath, 'path']);

  const fromSetting = fakeTorchPython('setting-python');
  const d = await resolveTorchPython({ explicit: fromSetting, env: { [PYTHON_ENV_VAR]: fromEnv }, pathCandidates: [] });
  assert.deepEqual([d.python, d.source, d.skipped], [fromSetting, 'setting', []]);

  assert.equal(describePythonSource('env'), `from ${PYTHON_ENV_VAR}`);
  assert.match(describePythonSource('pythonExtension'), /Python extension/);
  assert.match(describePythonSource('path'), /PATH/);
  assert.match(describePythonSource('setting'), /setting/);
});

test('resolution reports every candidate that was passed over, and why', async (t) => {
  const missing = '/nonexistent/bin/python3';
  await assert.rejects(resolveTorchPython({ explicit: missing, env: {}, pathCandidates: [process.execPath] }), (e: unknown) => {
    assert.ok(e instanceof PythonEnvError);
    assert.deepEqual(e.tried.map((x) => [x.python, x.source]), [[missing, 'setting'], [process.execPath, 'path']]);
    assert.equal(e.tried[0]!.reason, 'not found');
    assert.match(e.message, new RegExp(PYTHON_ENV_VAR));
    return true;
  });
  const python = await torchPython(t);
  if (!python) return;
  const found = await resolveTorchPython({ explicit: missing, env: { [PYTHON_ENV_VAR]: python }, pathCandidates: [] });
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
