/**
 * Optional native TF.js backends: found at run time in the extension's storage folder (then the usual module
 * paths), tried in the order tfjs-node-gpu, tfjs-node, pure JS; a broken one is passed over with its reason;
 * the install command runs `npm install --prefix STORAGE`. A stand-in package plays tfjs-node here (the real
 * one downloads libtensorflow at install time): it re-exports the pure-JS tfjs.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTfjsBackend } from '../../src/training/tfjsBackend';
import { candidateOrder, findNativePackages, installNativeBackend, parsePreference } from '../../src/training/tfjsNative';
import { JobManager } from '../../src/training/jobs';
import type { StatusRow } from '../../src/protocol/trainingProtocol';
import { RunStore } from '../../src/training/runStore';
import { buildBundles, tempDir, tinyRun } from './bundles';

const PURE_TFJS = path.dirname(require.resolve('@tensorflow/tfjs/package.json'));

function fakePackage(storage: string, name: string, body: string): void {
  const dir = path.join(storage, 'node_modules', ...name.split('/'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0-test', main: 'index.js' }));
  fs.writeFileSync(path.join(dir, 'index.js'), body);
}

let worker = '';
before(async () => {
  worker = (await buildBundles()).worker;
});

test('preference order and parsing', () => {
  assert.deepEqual(candidateOrder('auto'), ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'cpu']);
  assert.deepEqual(candidateOrder('tfjs-node'), ['@tensorflow/tfjs-node']);
  assert.equal(parsePreference(undefined), 'auto');
  assert.equal(parsePreference('pure'), 'cpu');
  assert.throws(() => parsePreference('wasm'), /unknown TF.js backend 'wasm'/);
});

test('with nothing installed the pure-JS backend is used and says so', async () => {
  const b = await loadTfjsBackend({ preference: 'auto', storageDir: tempDir('empty-storage') });
  assert.equal(b.package, '@tensorflow/tfjs');
  assert.match(b.label, /pure JavaScript/);
  assert.equal(b.backendName, 'cpu');
  await assert.rejects(loadTfjsBackend({ preference: 'tfjs-node', storageDir: tempDir('empty-storage') }), /@tensorflow\/tfjs-node is not installed/);
});

test('a package in the storage folder is found first; a broken one is passed over with its reason', async () => {
  const storage = tempDir('storage');
  fakePackage(storage, '@tensorflow/tfjs-node', `module.exports = require(${JSON.stringify(PURE_TFJS)});`);
  fakePackage(storage, '@tensorflow/tfjs-node-gpu', `throw new Error('libcudart.so.11.0: cannot open shared object file');`);
  assert.deepEqual(findNativePackages(storage).map((f) => f.package), ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  const b = await loadTfjsBackend({ preference: 'auto', storageDir: storage });
  assert.equal(b.package, '@tensorflow/tfjs-node');
  assert.match(b.label, /tfjs-node \(native CPU\)/);
  assert.deepEqual(b.skipped.map((s) => s.package), ['@tensorflow/tfjs-node-gpu']);
  assert.match(b.skipped[0]!.reason, /libcudart/);
  await assert.rejects(loadTfjsBackend({ preference: 'tfjs-node-gpu', storageDir: storage }), /installed but cannot be loaded: libcudart/);
});

test('the worker uses the storage folder it is given, and its status row names the backend', async () => {
  const storage = tempDir('storage');
  fakePackage(storage, '@tensorflow/tfjs-node', `module.exports = require(${JSON.stringify(PURE_TFJS)});`);
  const store = new RunStore(tempDir('runs'));
  const id = tinyRun(store, { tfjsBackend: 'auto', syntheticSize: 96, maxSteps: 2 });
  const manager = new JobManager();
  const result = await (await manager.start({ store, runId: id, workerPath: worker, tfjsStorageDir: storage })).done;
  assert.equal(result.status, 'completed', result.error ?? '');
  const status = store.readRows(id).find((r): r is StatusRow => r.type === 'status')!;
  assert.match(status.backend ?? '', /tfjs-node \(native CPU\)/);
  assert.match(status.device ?? '', /libtensorflow/);
});

test('install runs npm install --prefix STORAGE with the package, in a folder of its own', async () => {
  const storage = tempDir('install');
  const bin = tempDir('fake-npm');
  const npm = path.join(bin, 'npm');
  // A stand-in npm: records its arguments, prints a line, and "installs" by creating the package.
  fs.writeFileSync(
    npm,
    `#!/bin/sh\necho "$@" > "${bin}/args"\necho "added 1 package"\nmkdir -p "$3/node_modules/@tensorflow/tfjs-node"\necho '{"name":"@tensorflow/tfjs-node","main":"index.js"}' > "$3/node_modules/@tensorflow/tfjs-node/package.json"\necho 'module.exports = {}' > "$3/node_modules/@tensorflow/tfjs-node/index.js"\n`,
    { mode: 0o755 },
  );
  const lines: string[] = [];
  const r = await installNativeBackend(storage, { npm, onOutput: (l) => lines.push(l) });
  assert.equal(r.code, 0);
  assert.equal(fs.readFileSync(path.join(bin, 'args'), 'utf8').trim(), `install --prefix ${storage} --no-audit --no-fund @tensorflow/tfjs-node`);
  assert.deepEqual(lines, ['added 1 package']);
  assert.ok(fs.existsSync(path.join(storage, 'package.json')), 'the storage folder is its own npm project');
  assert.deepEqual(findNativePackages(storage).map((f) => f.package), ['@tensorflow/tfjs-node']);
  await assert.rejects(installNativeBackend(storage, { npm: path.join(bin, 'missing-npm') }), /cannot run/);
});
