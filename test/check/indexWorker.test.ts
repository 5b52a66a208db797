// The workspace index through the analysis worker, as the Models view asks for it: the walk and one file
// per request, the same answers as in-process, an open document's unsaved text preferred to the disk's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { buildSync } from 'esbuild';
import { InProcessRunner, WorkerRunner } from '../../src/host/analysisRunner';

// Worker threads do not inherit tsx's loader, so the worker entry is bundled the way scripts/build.mjs does.
const OUT = mkdtempSync(join(tmpdir(), 'resnet-studio-index-worker-'));
const SCRIPT = join(OUT, 'analysisWorker.js');
buildSync({
  entryPoints: [resolve(import.meta.dirname, '../../src/host/analysisWorker.ts')],
  outfile: SCRIPT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  mainFields: ['module', 'main'],
  logLevel: 'error',
});
const PROJECT = resolve(import.meta.dirname, '../fixtures/check/project');
const CIFAR = join(PROJECT, 'models/cifar.py');
const runner = new WorkerRunner(SCRIPT, 30_000);
after(() => {
  runner.dispose();
  rmSync(OUT, { recursive: true, force: true });
});

test('the worker lists and indexes files as the in-process runner does', async () => {
  const local = new InProcessRunner();
  const found = await runner.discover([PROJECT], ['**/settings.json']);
  assert.deepEqual(found, await local.discover([PROJECT], ['**/settings.json']));
  assert.deepEqual(found.files.map((f) => f.slice(PROJECT.length + 1)), ['keras/model.json', 'models/__init__.py', 'models/cifar.py', 'models/picked.py', 'tiny.resnet.json', 'utils.py']);
  const [fromWorker, inProcess] = await Promise.all([runner.index(CIFAR, null, {}, 60_000), local.index(CIFAR, null, {}, 60_000)]);
  const strip = (x: typeof fromWorker) => x && { ...x, ms: 0, models: x.models.map((m) => ({ ...m, ms: 0 })) };
  assert.deepEqual(strip(fromWorker), strip(inProcess));
  assert.deepEqual(fromWorker!.models.map((m) => [m.name, m.params]), [['BasicBlock', null], ['CifarResNet', 19994], ['cifar_resnet', 22964]]);
  assert.equal(await runner.index(join(PROJECT, 'utils.py'), null, {}, 60_000), null);
  // Analyses and index requests share the worker and are answered by id.
  const [a, i] = await Promise.all([runner.run(CIFAR, readFileSync(CIFAR, 'utf8'), { model: 'CifarResNet' }), runner.index(CIFAR, null, {}, 60_000)]);
  assert.equal(a.analysis?.graph?.params, 19994);
  assert.equal(i?.models.length, 3);
});

test('an open document is indexed from its text, not from the disk', async () => {
  const edited = readFileSync(CIFAR, 'utf8').replace('def cifar_resnet(num_classes=100)', 'def cifar_resnet(num_classes=7)');
  const idx = await runner.index(CIFAR, edited, {}, 60_000);
  assert.deepEqual(idx!.models.find((m) => m.name === 'cifar_resnet')!.output, [1, 7]);
});
