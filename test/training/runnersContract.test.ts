/**
 * Both runners keep the one training contract: each trains a tiny model for a few steps (TF.js on
 * examples/tiny-resnet with synthetic data, PyTorch on the ResNet-8 fixture), and every row either writes to
 * `metrics.jsonl` is checked by Ajv against the committed `training_rows.schema.json`, the file generated from
 * the declaration. The schema forbids undeclared fields, so a field one runner adds and the other does not
 * know about fails here, not in a reader's cast.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { JobManager } from '../../src/training/jobs';
import { RunStore } from '../../src/training/runStore';
import type { StatusRow } from '../../src/protocol/trainingProtocol';
import { buildBundles, tinyRun } from '../tfjs/bundles';
import { smallRun, tempRoot, torchPython } from './torchTestEnv';

const ROWS_SCHEMA = path.resolve(__dirname, '../../python/resnet_studio/training_rows.schema.json');

/** Every line of the run's metrics.jsonl, parsed, after Ajv has passed it. */
function checkedLines(store: RunStore, id: string): Record<string, unknown>[] {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(ROWS_SCHEMA, 'utf8')) as object);
  const lines = fs.readFileSync(store.paths(id).metrics, 'utf8').split('\n').filter((l) => l.trim());
  return lines.map((line) => {
    const row = JSON.parse(line) as Record<string, unknown>;
    assert.ok(validate(row), `${line}\n${ajv.errorsText(validate.errors)}`);
    return row;
  });
}

function checkRun(store: RunStore, id: string, totalSteps: number): void {
  const rows = checkedLines(store, id);
  const types = new Set(rows.map((r) => r['type']));
  for (const t of ['start', 'status', 'metric', 'checkpoint', 'end']) assert.ok(types.has(t), `a ${t} row`);
  assert.ok(rows.every((r) => r['attempt'] === 1), 'one attempt');
  const first = rows.find((r) => r['type'] === 'status') as StatusRow;
  assert.equal(first.totalSteps, totalSteps);
  assert.ok((first.params ?? 0) > 0, 'the parameter count');
  assert.ok(first.runtime && first.runtimeVersion, 'the library and its version');
  assert.deepEqual(rows.at(-1), { type: 'end', attempt: 1, status: 'completed', error: null, time: rows.at(-1)!['time'] });
}

test('the TF.js runner writes only rows the schema allows', async () => {
  const worker = (await buildBundles()).worker;
  const store = new RunStore(tempRoot('contract-tfjs'));
  const id = tinyRun(store, { epochs: 1, syntheticSize: 96, batchSize: 16, valSplit: 0.25, logEvery: 2, maxSteps: 4 });
  const manager = new JobManager();
  const result = await (await manager.start({ store, runId: id, workerPath: worker })).done;
  assert.equal(result.status, 'completed', result.error ?? '');
  checkRun(store, id, 4);
  manager.dispose();
});

test('the PyTorch runner writes only rows the schema allows', async (t: TestContext) => {
  const python = await torchPython(t);
  if (!python) return;
  const store = new RunStore(tempRoot('contract-torch'));
  const id = store.createRun(smallRun({ epochs: 1, syntheticSize: 200, batchSize: 32, logEvery: 2, maxSteps: 4 })).id;
  const manager = new JobManager();
  const result = await (await manager.start({ store, runId: id, python })).done;
  assert.equal(result.status, 'completed', result.error ?? '');
  checkRun(store, id, 4);
  manager.dispose();
});

test('a config the contract refuses fails both runners alike, before any training', async (t: TestContext) => {
  const worker = (await buildBundles()).worker;
  const python = await torchPython(t);
  const store = new RunStore(tempRoot('contract-bad'));
  const manager = new JobManager();
  const errors: string[] = [];
  for (const backend of ['tfjs', 'pytorch'] as const) {
    if (backend === 'pytorch' && !python) continue;
    const id = backend === 'tfjs' ? tinyRun(store) : store.createRun(smallRun()).id;
    // A hand-edited config: createRun would have refused it.
    const file = store.paths(id).config;
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), epochs: 0, optimiser: 'adam' }));
    const job = await manager.start({ store, runId: id, workerPath: worker, ...(python ? { python } : {}) });
    const result = await job.done;
    assert.equal(result.status, 'failed');
    const rows = checkedLines(store, id);
    assert.deepEqual(rows.map((r) => r['type']), ['end'], 'nothing but the end row');
    errors.push((result.error ?? '').replace(file, 'CONFIG'));
  }
  for (const e of errors) assert.equal(e, "config file CONFIG: epochs must be >= 1, got 0; unknown key 'optimiser'");
  manager.dispose();
});
