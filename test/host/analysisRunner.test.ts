// The worker-thread runner gives the same analyses as the in-process one, answers "no front end" with null,
// and stops a runaway analysis without taking the host down.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildSync } from 'esbuild';
import { AnalysisTimeoutError, InProcessRunner, WorkerRunner } from '../../src/host/analysisRunner';

// Worker threads do not inherit tsx's loader, so the worker entry is bundled the way scripts/build.mjs does.
const OUT = mkdtempSync(join(tmpdir(), 'resnet-studio-worker-'));
const SCRIPT = join(OUT, 'analysisWorker.js');
buildSync({
  entryPoints: [join(__dirname, '..', '..', 'src', 'host', 'analysisWorker.ts')],
  outfile: SCRIPT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  mainFields: ['module', 'main'],
  logLevel: 'error',
});
const R50 = 'examples/resnet50.resnet.json';
const R50_TEXT = readFileSync(R50, 'utf8');

const runner = new WorkerRunner(SCRIPT, 30_000);
after(() => {
  runner.dispose();
  rmSync(OUT, { recursive: true, force: true });
});

test('the worker answers like the in-process runner', async () => {
  const inProcess = await new InProcessRunner().run(R50, R50_TEXT, {});
  const [a, b] = await Promise.all([runner.run(R50, R50_TEXT, {}), runner.run(R50, R50_TEXT, { input: [2, 3, 64, 64] })]);
  assert.deepEqual(a.analysis, inProcess.analysis);
  assert.equal(a.analysis?.graph?.params, 25557032);
  assert.deepEqual(b.analysis?.graph?.output, [2, 1000]);
  assert.ok(a.ms >= 0);
});

test('a file no front end reads gives null', async () => {
  assert.equal((await runner.run('notes.txt', 'hello', {})).analysis, null);
  assert.equal((await new InProcessRunner().run('notes.txt', 'hello', {})).analysis, null);
});

test('a runaway analysis is stopped and the next request gets a fresh worker', async () => {
  const impatient = new WorkerRunner(SCRIPT, 1);
  try {
    // Starting a worker and loading the front ends alone takes longer than 1 ms.
    await assert.rejects(impatient.run(R50, R50_TEXT, {}), AnalysisTimeoutError);
    assert.equal(impatient.running, false);
  } finally {
    impatient.dispose();
  }
  const r = await runner.run(R50, R50_TEXT, {});
  assert.equal(r.analysis?.graph?.name, 'ResNet-50');
  await assert.rejects(impatient.run(R50, R50_TEXT, {}), /disposed/);
});

test('requests queued behind a runaway one are sent again to the new worker', async () => {
  // A stand-in worker that never answers for the file "hang" and echoes the file name otherwise.
  const script = join(OUT, 'hangingWorker.js');
  writeFileSync(
    script,
    `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (req) => {
  if (req.file === 'hang') for (;;) {}
  parentPort.postMessage({ inReplyTo: req.requestId, analysis: { file: req.file, models: [], graph: null, diagnostics: [] }, ms: 0 });
});`,
  );
  const r = new WorkerRunner(script, 1_500);
  try {
    await r.run('warm', '', {});
    const hang = r.run('hang', '', {});
    const queued = r.run('after', '', {});
    await assert.rejects(hang, AnalysisTimeoutError);
    assert.equal((await queued).analysis?.file, 'after');
    assert.equal((await r.run('again', '', {})).analysis?.file, 'again');
  } finally {
    r.dispose();
  }
});
