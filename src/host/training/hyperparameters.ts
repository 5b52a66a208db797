/**
 * The train command's one-line hyperparameter prompt (`epochs=10 batch=128 lr=0.1 ...`), validated into run
 * config keys. Pure, so every rule is unit-tested without VS Code.
 */
import type { Backend, RunConfigInput } from '../../training/runStore';
import { parseHyperparameters } from './progress';

export const HYPER_KEYS: Record<string, string> = {
  epochs: 'epochs',
  batch: 'batchSize',
  'batch-size': 'batchSize',
  lr: 'lr',
  optimizer: 'optimizer',
  momentum: 'momentum',
  wd: 'weightDecay',
  'weight-decay': 'weightDecay',
  schedule: 'schedule',
  val: 'valSplit',
  'val-split': 'valSplit',
  seed: 'seed',
  augment: 'augment',
  detach: 'detach',
  size: 'syntheticSize',
  'synthetic-size': 'syntheticSize',
  nproc: 'nproc',
};

/** Validated hyperparameters from the one-line prompt; an error message instead when a value is bad. */
export function hyperparametersFrom(text: string, backend: Backend): { config: Partial<RunConfigInput>; detach: boolean; nproc: number } | string {
  const { values, errors } = parseHyperparameters(text);
  if (errors.length) return errors.join('; ');
  const config: Record<string, unknown> = {};
  let detach = false;
  let nproc = 1;
  for (const [k, raw] of Object.entries(values)) {
    const key = HYPER_KEYS[k];
    if (!key) return `unknown setting '${k}' (use ${Object.keys(HYPER_KEYS).join(', ')})`;
    const num = Number(raw);
    const bool = raw === 'true' || raw === 'yes' || raw === 'on' ? true : raw === 'false' || raw === 'no' || raw === 'off' ? false : undefined;
    switch (key) {
      case 'epochs':
      case 'batchSize':
      case 'syntheticSize':
      case 'nproc':
        if (!Number.isInteger(num) || num < 1) return `${k} must be a positive integer, got '${raw}'`;
        if (key === 'nproc') nproc = num;
        else config[key] = num;
        break;
      case 'seed':
        if (!Number.isInteger(num) || num < 0) return `seed must be a non-negative integer, got '${raw}'`;
        config[key] = num;
        break;
      case 'lr':
        if (!(num > 0)) return `lr must be a positive number, got '${raw}'`;
        config[key] = num;
        break;
      case 'momentum':
      case 'weightDecay':
        if (!(num >= 0)) return `${k} must be a number >= 0, got '${raw}'`;
        config[key] = num;
        break;
      case 'valSplit':
        if (!(num >= 0 && num < 1)) return `val must be in [0, 1), got '${raw}'`;
        config[key] = num;
        break;
      case 'optimizer':
        if (raw !== 'sgd' && raw !== 'adam') return `optimizer must be sgd or adam, got '${raw}'`;
        config[key] = raw;
        break;
      case 'schedule':
        if (!['none', 'step', 'cosine'].includes(raw)) return `schedule must be none, step or cosine, got '${raw}'`;
        config[key] = raw;
        break;
      case 'augment':
      case 'detach':
        if (bool === undefined) return `${k} must be true or false, got '${raw}'`;
        if (key === 'detach') detach = bool;
        else config[key] = bool;
        break;
    }
  }
  if (nproc > 1 && backend !== 'pytorch') return 'nproc > 1 needs the PyTorch runner (torchrun/DDP)';
  return { config: config as Partial<RunConfigInput>, detach, nproc };
}

