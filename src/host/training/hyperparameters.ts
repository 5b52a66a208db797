/**
 * The train command's one-line hyperparameter prompt (`epochs=10 batch=128 lr=0.1 ...`), validated into run
 * config keys by the run config's own rules (`trainingProtocol.ts`), so the prompt can never accept what a
 * runner would refuse. Pure, so every rule is unit-tested without VS Code.
 */
import { type Backend, RUN_CONFIG_FIELDS } from '../../protocol/trainingProtocol';
import { type FieldSpec, checkValue } from '../../protocol/trainingFields';
import type { RunConfigInput } from '../../training/runStore';
import { parseHyperparameters } from './progress';

type ConfigKey = keyof typeof RUN_CONFIG_FIELDS;

/** Prompt names, short and long, for the config keys the prompt sets. */
export const HYPER_KEYS: Record<string, ConfigKey | 'detach' | 'nproc'> = {
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

/** Prompt settings that are not config keys: how to launch, not what to train. */
const LAUNCH_FIELDS: Record<'detach' | 'nproc', FieldSpec> = {
  detach: { kind: 'boolean', description: 'Keep training when the window closes.' },
  nproc: { kind: 'integer', min: 1, description: 'PyTorch processes.' },
};

/** The prompt's text as the field's kind of value; text that is not one stays text, so the message shows it. */
function typed(spec: FieldSpec, raw: string): unknown {
  if (spec.kind === 'integer' || spec.kind === 'number') {
    const n = Number(raw);
    return raw.trim() !== '' && !Number.isNaN(n) ? n : raw;
  }
  if (spec.kind === 'boolean') {
    if (['true', 'yes', 'on'].includes(raw)) return true;
    if (['false', 'no', 'off'].includes(raw)) return false;
  }
  return raw;
}

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
    const spec: FieldSpec = key === 'detach' || key === 'nproc' ? LAUNCH_FIELDS[key] : RUN_CONFIG_FIELDS[key];
    const value = typed(spec, raw);
    const bad = checkValue(k, spec, value);
    if (bad) return bad;
    if (key === 'detach') detach = value as boolean;
    else if (key === 'nproc') nproc = value as number;
    else config[key] = value;
  }
  if (nproc > 1 && backend !== 'pytorch') return 'nproc > 1 needs the PyTorch runner (torchrun/DDP)';
  return { config: config as Partial<RunConfigInput>, detach, nproc };
}
