/**
 * Run configs as they may appear in config.json, valid and not, shared by the tests that hold the TypeScript
 * validator, Ajv on the generated schema and the Python runner's validator to the same verdicts.
 */
import { RUN_CONFIG_DEFAULTS } from '../../src/protocol/trainingProtocol';

export const base = { modelFile: '/m/model.py', modelName: 'Net' };

/** Configs as they may appear in config.json, valid and not; `null` values count as absent on both sides. */
export const CONFIG_CASES: { name: string; config: unknown; valid: boolean }[] = [
  { name: 'the two required keys', config: base, valid: true },
  { name: 'every field set', config: { ...RUN_CONFIG_DEFAULTS, ...base, lrSteps: [2, 4], channelsLast: false, threads: 2, workers: 0, maxSteps: 9, preloadLimit: 0, tfjsBackend: 'cpu', runDir: '/r', createdAt: 'now', modelSnapshot: 'model.py' }, valid: true },
  { name: 'a null counts as absent', config: { ...base, maxSteps: null }, valid: true },
  { name: 'an integral float is an integer', config: { ...base, epochs: 3.0 }, valid: true },
  { name: 'modelFile missing', config: { modelName: 'Net' }, valid: false },
  { name: 'modelName empty', config: { ...base, modelName: '' }, valid: false },
  { name: 'unknown key', config: { ...base, batchsize: 3 }, valid: false },
  { name: 'epochs 0', config: { ...base, epochs: 0 }, valid: false },
  { name: 'epochs 1.5', config: { ...base, epochs: 1.5 }, valid: false },
  { name: 'epochs as text', config: { ...base, epochs: '3' }, valid: false },
  { name: 'lr 0', config: { ...base, lr: 0 }, valid: false },
  { name: 'valSplit 1', config: { ...base, valSplit: 1 }, valid: false },
  { name: 'valSplit 0', config: { ...base, valSplit: 0 }, valid: true },
  { name: 'momentum negative', config: { ...base, momentum: -0.1 }, valid: false },
  { name: 'optimizer unknown', config: { ...base, optimizer: 'rmsprop' }, valid: false },
  { name: 'device unknown', config: { ...base, device: 'tpu' }, valid: false },
  { name: 'inputShape of three', config: { ...base, inputShape: [3, 32, 32] }, valid: false },
  { name: 'inputShape with a zero', config: { ...base, inputShape: [1, 3, 0, 32] }, valid: false },
  { name: 'augment as text', config: { ...base, augment: 'yes' }, valid: false },
  { name: 'syntheticSize 1', config: { ...base, syntheticSize: 1 }, valid: false },
  { name: 'lrSteps with a zero', config: { ...base, lrSteps: [0] }, valid: false },
  { name: 'not an object', config: [base], valid: false },
];

