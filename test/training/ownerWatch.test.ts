/**
 * A run whose owner (the extension host or the CLI that started it and follows it) is gone stops after its
 * step: a killed owner runs no exit hook, and a trainer left behind keeps the machine busy for nobody. Both
 * runners watch the pid the job manager puts in their environment: the TF.js worker (`watchOwner`) and the
 * Python runner (`StopRequest` in python/resnet_studio/signals.py).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { OWNER_PID_ENV, watchOwner } from '../../src/training/ownerWatch';
import { torchPython } from './torchTestEnv';

const REPO = path.resolve(__dirname, '../..');

function sleeper() {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
}

test('watchOwner calls back once the owner exits, and not while it lives', async () => {
  const owner = sleeper();
  let gone = 0;
  const timer = watchOwner(String(owner.pid), () => gone++, 50);
  assert.ok(timer);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(gone, 0, 'the owner is alive');
  owner.kill('SIGKILL');
  await new Promise((r) => owner.once('exit', r));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(gone, 1, 'called once after the owner died');
});

test('without an owner in the environment nothing is watched', () => {
  assert.equal(watchOwner(undefined, () => assert.fail('no owner')), undefined);
  assert.equal(watchOwner('', () => assert.fail('no owner')), undefined);
  assert.equal(watchOwner('not-a-pid', () => assert.fail('no owner')), undefined);
});

test('the Python runner asks to stop once its owner exits', async (t) => {
  const python = await torchPython(t);
  if (!python) return;
  const owner = sleeper();
  const script = [
    'import sys, time',
    `sys.path.insert(0, ${JSON.stringify(path.join(REPO, 'python'))})`,
    'from resnet_studio.signals import StopRequest',
    's = StopRequest(); s.install()',
    'time.sleep(2.5); print("alive", s.requested, flush=True)',
    'deadline = time.time() + 10',
    'while not s.requested and time.time() < deadline: time.sleep(0.1)',
    'print("after", s.requested, s.signal_name, flush=True)',
  ].join('\n');
  const child = spawn(python, ['-c', script], { env: { ...process.env, [OWNER_PID_ENV]: String(owner.pid) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('alive')) owner.kill('SIGKILL');
  });
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 0, out);
  assert.match(out, /alive False/);
  assert.match(out, /after True owner exited/);
});
