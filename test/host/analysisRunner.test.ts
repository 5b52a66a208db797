// The worker-thread runner gives the same analyses as the in-process one, answers "no front end" with null,
// and stops a runaway analysis without taking the host down. The code writers it runs for the export commands
// and the template wizard write what they write in process, and a writer's refusal keeps its message and place.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildSync } from 'esbuild';
import { type ExportFormat, exportText } from '../../src/codegen/exportText';
import { newDesignText } from '../../src/codegen/newDesign';
import { TEMPLATES } from '../../src/frontends/templates';
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

test('exports written in the worker are the texts the writers give in process', async () => {
  const g = (await runner.run(R50, R50_TEXT, {})).analysis!.graph!;
  const local = new InProcessRunner();
  const formats: ExportFormat[] = ['pytorch', 'keras', 'tfjs', 'design', 'markdown', 'csv'];
  for (const format of formats) {
    const expected = exportText(g, format, R50);
    assert.ok(expected.length > 500, `${format} writes a model`);
    assert.deepEqual(await runner.exportText(g, format, R50), { text: expected }, format);
    assert.deepEqual(await local.exportText(g, format, R50), { text: expected }, format);
  }
});

test('a format that cannot hold an op refuses it with the writer message and the node source', async () => {
  const file = 'examples/cifar-resnet20.resnet.json';
  const g = (await runner.run(file, readFileSync(file, 'utf8'), {})).analysis!.graph!;
  const shortcut = g.nodes.find((n) => n.name === 'layer2.0.shortcut')!;
  assert.ok(shortcut.source, 'the refused node has a source range');
  for (const r of [runner, new InProcessRunner()]) {
    const out = await r.exportText(g, 'tfjs', file);
    assert.ok('refused' in out, JSON.stringify(out).slice(0, 200));
    assert.match(out.refused.message, /cannot write slice 'layer2\.0\.shortcut' at cifar-resnet20\.resnet\.json:\d+/);
    assert.deepEqual(out.refused.source, shortcut.source);
  }
  // The same graph is fine where the format can hold it.
  assert.ok('text' in (await runner.exportText(g, 'pytorch', file)));
});

test('the template wizard gets its list and its designs from the worker', async () => {
  const expected = TEMPLATES.map((t) => ({ id: t.id, label: t.label }));
  assert.ok(expected.length >= 10);
  assert.deepEqual(await runner.templates(), expected);
  assert.deepEqual(await new InProcessRunner().templates(), expected);
  assert.equal(await runner.newDesignText('cifar-resnet20'), newDesignText('cifar-resnet20'));
  assert.equal(await new InProcessRunner().newDesignText('resnet18'), newDesignText('resnet18'));
  // A writer's bug or a wrong id is a failed request, not a worker that stops answering.
  await assert.rejects(runner.newDesignText('resnet19'), /unknown template 'resnet19'/);
  assert.equal((await runner.run(R50, R50_TEXT, {})).analysis?.graph?.params, 25557032);
});
