/**
 * The training contract declared once (`src/protocol/trainingProtocol.ts`): the committed JSON Schemas are
 * what the declaration generates, the TypeScript validator and Ajv on the generated schema agree case by
 * case, and the rule that drops rows a later attempt redid (`trainingAttempts.ts`) keeps exactly the rows
 * that still count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { SCHEMA_DIR, trainingSchemaFiles } from '../../scripts/genTrainingSchema';
import { CONFIG_CASES, base } from './configCases';
import { currentRows, nextAttempt, supersededMask } from '../../src/protocol/trainingAttempts';
import {
  RUN_CONFIG_DEFAULTS,
  RUN_CONFIG_FIELDS,
  RunConfigError,
  type TrainingRow,
  parseTrainingRow,
  runConfigJsonSchema,
  trainingRowsJsonSchema,
  validateRow,
  validateRunConfig,
} from '../../src/protocol/trainingProtocol';

const root = path.resolve(__dirname, '../..');

test('the committed schemas are what the declaration generates (run scripts/genTrainingSchema.ts)', () => {
  for (const { file, text } of trainingSchemaFiles()) {
    assert.equal(fs.readFileSync(path.join(root, SCHEMA_DIR, file), 'utf8'), text, `${file} is stale`);
  }
});

const dropNulls = (v: unknown): unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null)) : v;

test('the TypeScript validator and Ajv on the generated schema agree on every config case', () => {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  const schemaCheck = ajv.compile(runConfigJsonSchema());
  for (const c of CONFIG_CASES) {
    const ajvOk = schemaCheck(dropNulls(c.config)) as boolean;
    let tsOk = true;
    try {
      validateRunConfig(c.config, '/run');
    } catch (e) {
      assert.ok(e instanceof RunConfigError, c.name);
      tsOk = false;
    }
    assert.equal(ajvOk, c.valid, `Ajv on ${c.name}: ${ajv.errorsText(schemaCheck.errors)}`);
    assert.equal(tsOk, c.valid, `validateRunConfig on ${c.name}`);
  }
});

test('validateRunConfig fills every default, names every bad key, and resolves runDir', () => {
  const cfg = validateRunConfig(base, '/runs/a');
  assert.equal(cfg.runDir, '/runs/a');
  for (const [key, spec] of Object.entries(RUN_CONFIG_FIELDS)) {
    if ('default' in spec) assert.deepEqual((cfg as Record<string, unknown>)[key], spec.default, key);
  }
  assert.equal(cfg.maxSteps, undefined, 'a field without a default stays absent');
  assert.throws(
    () => validateRunConfig({ ...base, epochs: 0, optimizer: 'rmsprop', colour: 1 }, '/r'),
    (e: RunConfigError) =>
      e.problems.join(' | ') === 'epochs must be >= 1, got 0 | optimizer must be one of "sgd", "adam", got "rmsprop" | unknown key \'colour\'',
  );
  // The defaults object is not shared with the configs made from it.
  cfg.inputShape[2] = 99;
  assert.deepEqual(RUN_CONFIG_DEFAULTS.inputShape, [1, 3, 32, 32]);
});

const row = <R extends TrainingRow>(r: R): R => r;
const m = (attempt: number, step: number, extra: Partial<TrainingRow> = {}): TrainingRow =>
  row({ type: 'metric', split: 'train', epoch: 1, step, loss: 1, accuracy: 0.5, attempt, time: step, ...extra } as TrainingRow);
const start = (attempt: number, step: number): TrainingRow => ({ type: 'start', attempt, step, time: 0 });
const end = (attempt: number, status: 'completed' | 'failed' | 'stopped' = 'failed'): TrainingRow => ({ type: 'end', attempt, status, error: null, time: 0 });

test('the rows schema and validateRow agree: writers must write attempt and time, and only declared fields', () => {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  const schemaCheck = ajv.compile(trainingRowsJsonSchema());
  const cases: { row: unknown; valid: boolean }[] = [
    { row: m(1, 5), valid: true },
    { row: start(2, 0), valid: true },
    { row: end(1), valid: true },
    { row: { type: 'end', attempt: 1, status: 'failed', error: 'boom', time: 1 }, valid: true },
    { row: { type: 'status', attempt: 1, time: 1, totalSteps: 10, params: 5164, runtime: 'torch', runtimeVersion: '1.13', skippedBackends: ['a: b'] }, valid: true },
    { row: { type: 'checkpoint', attempt: 1, time: 1, epoch: 1, step: 3, path: 'checkpoints/x' }, valid: true },
    { row: { ...m(1, 5), attempt: undefined }, valid: false },
    { row: { type: 'metric', split: 'train', epoch: 1, step: 1, loss: 1, accuracy: 0.5, attempt: 1 }, valid: false },
    { row: { ...m(1, 5), tfjsPackage: 'x' }, valid: false },
    { row: { ...m(1, 5), accuracy: 1.5 }, valid: false },
    { row: { ...m(1, 5), loss: null }, valid: false },
    { row: { type: 'layer', attempt: 1, time: 1 }, valid: false },
    { row: { type: 'end', attempt: 1, time: 1, status: 'crashed' }, valid: false },
  ];
  for (const c of cases) {
    const clean = JSON.parse(JSON.stringify(c.row)) as unknown;
    assert.equal(schemaCheck(clean), c.valid, `Ajv on ${JSON.stringify(clean)}: ${ajv.errorsText(schemaCheck.errors)}`);
    assert.equal(validateRow(clean).length === 0, c.valid, `validateRow on ${JSON.stringify(clean)}: ${validateRow(clean).join('; ')}`);
  }
});

test('parseTrainingRow takes every declared row type and nothing else', () => {
  assert.equal(parseTrainingRow(JSON.stringify(start(2, 7)))?.type, 'start');
  assert.equal(parseTrainingRow('{"type":"histogram"}'), null);
  assert.equal(parseTrainingRow('plain log text'), null);
  assert.equal(parseTrainingRow('{"type":"metric"'), null, 'a torn line');
});

test('a crash before the first checkpoint: the restart from step 0 supersedes every step the first attempt reported', () => {
  const rows = [start(1, 0), m(1, 2), m(1, 4), end(1), start(2, 0), m(2, 2), m(2, 4), m(2, 6)];
  assert.deepEqual(supersededMask(rows), [false, true, true, false, false, false, false, false]);
  const kept = currentRows(rows).filter((r) => r.type === 'metric');
  assert.deepEqual(kept.map((r) => [r.attempt, 'step' in r ? r.step : -1]), [[2, 2], [2, 4], [2, 6]]);
});

test('a crash after a checkpoint: only the steps past it are superseded; an attempt that never started supersedes nothing', () => {
  const rows = [
    start(1, 0), m(1, 5), m(1, 10), row({ type: 'checkpoint', attempt: 1, epoch: 1, step: 10, path: 'c', time: 0 }), m(1, 15), m(1, 20),
    end(2), // attempt 2 failed before it trained (a bad data path): no start row
    start(3, 10), m(3, 15), m(3, 20), m(3, 25),
  ];
  const kept = currentRows(rows).filter((r) => r.type === 'metric' || r.type === 'checkpoint');
  assert.deepEqual(kept.map((r) => `${r.attempt}@${'step' in r ? r.step : ''}`), ['1@5', '1@10', '1@10', '3@15', '3@20', '3@25']);
  assert.equal(currentRows(rows).filter((r) => r.type === 'end').length, 1, 'end rows are history and stay');
});

test('a later attempt that starts earlier still cuts the attempts before it; rows without attempts are one attempt', () => {
  const rows = [start(1, 0), m(1, 10), m(1, 20), start(2, 20), m(2, 30), start(3, 10), m(3, 20)];
  assert.deepEqual(currentRows(rows).filter((r) => r.type === 'metric').map((r) => `${r.attempt}@${'step' in r ? r.step : ''}`), ['1@10', '3@20']);
  const legacy = [m(1, 1), m(1, 2)].map(({ attempt: _a, ...r }) => r as TrainingRow);
  assert.deepEqual(currentRows(legacy), legacy);
  assert.equal(nextAttempt(legacy[1]), 2, 'a file from before attempts were numbered was attempt 1');
  assert.equal(nextAttempt(undefined), 1);
});
