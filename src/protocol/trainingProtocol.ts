/**
 * The training contract, declared once: the run config (`config.json`) that both runners read, and the rows
 * (one JSON object per line, on stdout and appended to `metrics.jsonl`) that both write. Every runner, the
 * extension host, the CLI and the metrics panel read these types. From the same tables come the defaults,
 * the validator, and the JSON Schemas that `scripts/genTrainingSchema.ts` writes beside the Python runner
 * (`python/resnet_studio/run_config.schema.json`, which it validates its config against, and
 * `training_rows.schema.json`).
 *
 * A new row type is one entry in {@link ROW_FIELDS}: its TypeScript type, the parser and the schema follow.
 * Pure: no `vscode`, no Node APIs, so the webview imports it too.
 */
import {
  type FieldTable,
  type FieldsOf,
  type JsonSchema,
  type ResolvedFieldsOf,
  defaultsOf,
  objectSchema,
  validateFields,
} from './trainingFields';

// ---------------------------------------------------------------------------------------------------------
// The run config

export const RUN_CONFIG_FIELDS = {
  backend: { kind: 'string', enum: ['pytorch', 'tfjs'], default: 'pytorch', description: 'Which runner trains: the PyTorch script or the TF.js worker.' },
  modelFile: { kind: 'string', minLength: 1, description: "Absolute path of the user's model source." },
  modelSnapshot: { kind: 'string', optional: true, description: 'The copy of the model source inside the run directory, relative to it; preferred, so a resume trains the same code.' },
  modelName: { kind: 'string', minLength: 1, description: 'Class or factory function in modelFile.' },
  modelArgs: { kind: 'string', default: '', description: "Call arguments in the source language's syntax, e.g. num_classes=10." },
  inputShape: {
    kind: 'array',
    items: { kind: 'integer', min: 1 },
    minItems: 4,
    maxItems: 4,
    default: [1, 3, 32, 32],
    description: '[N, C, H, W]; N is not used for training, the batch size is.',
  },
  inputFrom: {
    kind: 'string',
    minLength: 1,
    optional: true,
    description: "Where inputShape came from, in words: the data set (CIFAR-10 binaries are 32x32), the size an image folder is resized to, the file's comment, or the analysis's guess.",
  },
  data: { kind: 'string', minLength: 1, default: 'synthetic', description: "'synthetic', or a directory: an ImageFolder layout or CIFAR-10 binary batches." },
  device: { kind: 'string', enum: ['auto', 'cuda', 'mps', 'cpu'], default: 'auto', description: 'auto: CUDA, then MPS, then the CPU (PyTorch).' },
  epochs: { kind: 'integer', min: 1, default: 10, description: 'Passes over the training set.' },
  batchSize: { kind: 'integer', min: 1, default: 128, description: 'Images per step and process: a run of N processes trains on N times as many per step.' },
  lr: { kind: 'number', exclusiveMin: 0, default: 0.1, description: 'Peak learning rate.' },
  optimizer: { kind: 'string', enum: ['sgd', 'adam'], default: 'sgd', description: 'SGD (with momentum when momentum > 0) or Adam.' },
  momentum: { kind: 'number', min: 0, default: 0.9, description: 'SGD momentum; 0 is plain SGD.' },
  weightDecay: { kind: 'number', min: 0, default: 5e-4, description: 'L2 penalty coupled to the gradient, as in PyTorch.' },
  schedule: { kind: 'string', enum: ['none', 'step', 'cosine'], default: 'cosine', description: 'Learning-rate schedule, applied per step.' },
  lrSteps: {
    kind: 'array',
    items: { kind: 'integer', min: 1 },
    optional: true,
    description: "Epochs at which the 'step' schedule multiplies the rate by lrGamma; default half and three quarters through.",
  },
  lrGamma: { kind: 'number', exclusiveMin: 0, default: 0.1, description: "The 'step' schedule's factor." },
  seed: { kind: 'integer', min: 0, default: 0, description: 'Seeds the split, the shuffling, augmentation and initialisation.' },
  valSplit: { kind: 'number', min: 0, exclusiveMax: 1, default: 0.1, description: 'Fraction held out for validation (CIFAR batches with a test_batch.bin use that instead).' },
  augment: { kind: 'boolean', default: true, description: 'Random crop with padding and horizontal flip.' },
  amp: { kind: 'boolean', default: true, description: 'Mixed precision where the device supports it (PyTorch on CUDA).' },
  channelsLast: { kind: 'boolean', optional: true, description: 'Channels-last memory format (PyTorch); default on for CUDA.' },
  logEvery: { kind: 'integer', min: 1, default: 20, description: 'A train metric row every this many steps, besides one per epoch.' },
  threads: { kind: 'integer', min: 0, optional: true, description: "CPU threads for the math library; 0 or absent: the library's choice." },
  workers: { kind: 'integer', min: 0, optional: true, description: 'Data-loading processes for image folders too large to hold in memory (PyTorch).' },
  syntheticSize: { kind: 'integer', min: 2, default: 5000, description: "Images in the 'synthetic' data set." },
  maxSteps: { kind: 'integer', min: 1, optional: true, description: 'Ends the run (as completed) after this many optimiser steps in total.' },
  preloadLimit: { kind: 'integer', min: 0, optional: true, description: 'Image folders up to this many decoded bytes are held in memory, larger ones are decoded per batch (default 2 GiB).' },
  keepCheckpoints: { kind: 'integer', min: 0, default: 3, description: 'Newest checkpoints kept; 0 keeps all.' },
  tfjsBackend: {
    kind: 'string',
    enum: ['auto', 'tfjs-node-gpu', 'tfjs-node', 'cpu'],
    optional: true,
    description: 'Which TF.js to use (TF.js runner); auto: native GPU, native CPU, then pure JavaScript.',
  },
  // Where the job runs. Launch settings that every node and every resume must agree on live here; a node's own
  // rank does not (it differs per node of one run) and is given to each node's launcher instead.
  launcher: {
    kind: 'string',
    enum: ['local', 'slurm'],
    default: 'local',
    description: "Where the job runs: 'local' (this machine; torchrun for several processes or nodes) or 'slurm' (a batch job submitted with sbatch, PyTorch only).",
  },
  nnodes: { kind: 'integer', min: 1, default: 1, description: 'Machines in a local multi-node torchrun run; each node starts the run with its own node rank.' },
  rdzvEndpoint: { kind: 'string', minLength: 1, optional: true, description: "host:port of a multi-node run's rendezvous, reachable from every node (torchrun's --rdzv_endpoint)." },
  rdzvId: { kind: 'string', minLength: 1, optional: true, description: "The rendezvous id every node of a multi-node run shares (torchrun's --rdzv_id); default: the run id." },
  partition: { kind: 'string', minLength: 1, optional: true, description: "The SLURM partition (sbatch --partition); default: the cluster's default partition." },
  nodes: { kind: 'integer', min: 1, optional: true, description: 'SLURM nodes, one torchrun each (sbatch --nodes); default 1.' },
  gpusPerNode: { kind: 'integer', min: 0, optional: true, description: 'GPUs per SLURM node (sbatch --gpus-per-node), one training process each; 0 or absent: CPU processes as nprocPerNode says.' },
  nprocPerNode: { kind: 'integer', min: 1, optional: true, description: 'Training processes per node of a SLURM or multi-node run; default: gpusPerNode, else 1.' },
  time: { kind: 'string', minLength: 1, optional: true, description: "The SLURM time limit (sbatch --time), e.g. 02:00:00 or 1-12:00:00; default: the partition's." },
  sbatchArgs: { kind: 'array', items: { kind: 'string', minLength: 1 }, optional: true, description: 'More sbatch options, each one argument as sbatch takes it: --account=ml, --constraint=a100.' },
  // Layer telemetry (layer rows). Sampling every 50 steps keeps the runner's cost under 3% (bench/training.bench.ts).
  telemetryEvery: {
    kind: 'integer',
    min: 0,
    default: 50,
    description: 'A layer row per layer, ReLU and residual add every this many steps (and at step 1); 0 records none.',
  },
  telemetryBlocks: {
    kind: 'array',
    items: { kind: 'string', minLength: 1 },
    optional: true,
    description:
      "Where each residual add's operands come from, from the IR: 'add|branch|skip' module paths, the skip written '<path' for the input of a module (an identity shortcut takes the block's input).",
  },
  telemetryRelus: {
    kind: 'array',
    items: { kind: 'string', minLength: 1 },
    optional: true,
    description:
      "Functional ReLUs, from the IR: 'relu|module' where the module's output is the ReLU's input, or 'relu|>module' where it is the ReLU's output.",
  },
  resume: { kind: 'boolean', default: false, description: 'Continue from the newest checkpoint, as --resume does.' },
  runDir: { kind: 'string', minLength: 1, optional: true, description: 'The run directory; default: the directory holding the config file.' },
  createdAt: { kind: 'string', optional: true, description: 'When the run was created, ISO 8601.' },
} as const satisfies FieldTable;

type ConfigFields = typeof RUN_CONFIG_FIELDS;

/** `config.json` as written: only `modelFile` and `modelName` are required. */
export type RunConfigFile = FieldsOf<ConfigFields>;
/** `config.json` as the runners read it: defaults filled in and `runDir` resolved. */
export type RunConfig = ResolvedFieldsOf<ConfigFields> & { runDir: string };

export type Backend = RunConfig['backend'];
export type OptimizerName = RunConfig['optimizer'];
export type ScheduleName = RunConfig['schedule'];
export type DeviceChoice = RunConfig['device'];

/** Every default of the run config. */
export const RUN_CONFIG_DEFAULTS = Object.freeze(defaultsOf(RUN_CONFIG_FIELDS)) as Readonly<
  Required<Pick<RunConfig, { [K in keyof ConfigFields]: ConfigFields[K] extends { default: unknown } ? K : never }[keyof ConfigFields]>>
>;

/** A config that is not valid; the message names every bad key. */
export class RunConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid run config: ${problems.join('; ')}`);
    this.name = 'RunConfigError';
  }
}

/**
 * Validates a parsed `config.json` and fills in its defaults. A `null` value means absent (JSON has no
 * undefined), as it does for the Python runner. `runDir` defaults to `defaultRunDir` (the config file's
 * directory). Throws {@link RunConfigError}.
 */
export function validateRunConfig(raw: unknown, defaultRunDir?: string): RunConfig {
  const cleaned =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null))
      : raw;
  const problems = validateFields(RUN_CONFIG_FIELDS, cleaned);
  if (problems.length) throw new RunConfigError(problems);
  const cfg = { ...structuredClone(RUN_CONFIG_DEFAULTS), ...(cleaned as RunConfigFile) } as RunConfig;
  const runDir = cfg.runDir ?? defaultRunDir;
  if (runDir === undefined) throw new RunConfigError(["'runDir' is missing"]);
  cfg.runDir = runDir;
  return cfg;
}

// ---------------------------------------------------------------------------------------------------------
// Rows

/**
 * Fields every row carries. Writers must write both ({@link WRITER_REQUIRED_ROW_FIELDS}: the schema and
 * {@link validateRow} require them); readers also meet files from before attempts were numbered, so the type
 * has them optional and a row without an attempt counts as attempt 1 ({@link attemptOf}).
 */
export const COMMON_ROW_FIELDS = {
  attempt: {
    kind: 'integer',
    min: 1,
    optional: true,
    description: 'Which start of the run wrote the row: 1, then one more for each resume. Rows a later attempt redoes are superseded (see trainingAttempts.ts).',
  },
  time: { kind: 'number', min: 0, optional: true, description: 'Seconds since the Unix epoch.' },
} as const satisfies FieldTable;

export const WRITER_REQUIRED_ROW_FIELDS: readonly (keyof typeof COMMON_ROW_FIELDS)[] = ['attempt', 'time'];

/** The attempt that wrote a row; 1 for a row from before attempts were numbered. */
export function attemptOf(row: { attempt?: number | undefined }): number {
  return row.attempt ?? 1;
}

export const ROW_FIELDS = {
  /** The first row of an attempt that trains: where it starts. Rows of earlier attempts past `step` are superseded. */
  start: {
    step: { kind: 'integer', min: 0, description: 'The step this attempt starts from: 0, or the step of the checkpoint it resumed from.' },
    resumedFrom: { kind: 'string', optional: true, description: 'The checkpoint it resumed from, relative to the run directory.' },
  },
  /** One optimisation or evaluation measurement. */
  metric: {
    split: { kind: 'string', enum: ['train', 'val'], description: 'Training batches or the held-out set.' },
    epoch: { kind: 'integer', min: 1, description: 'The epoch, counted from 1.' },
    step: { kind: 'integer', min: 0, description: 'Optimiser steps since the run first began (it continues across resumes).' },
    loss: { kind: 'number', description: 'Mean cross-entropy.' },
    accuracy: { kind: 'number', min: 0, max: 1, description: 'Top-1 accuracy.' },
    lr: { kind: 'number', min: 0, optional: true, description: 'The learning rate at the last step (train rows).' },
    imagesPerSecond: { kind: 'number', min: 0, optional: true, description: 'Training throughput over what the row averages, all processes together.' },
    scope: {
      kind: 'string',
      enum: ['window', 'epoch'],
      optional: true,
      description: 'What a train row averages: the steps since the previous train row (window, the default), or the whole epoch (the last train row of each epoch).',
    },
  },
  /** Runner state: which backend and device, sizes, progress and ETA. */
  status: {
    backend: { kind: 'string', optional: true, description: 'The runner: pytorch, or the TF.js flavour in use.' },
    device: { kind: 'string', optional: true, description: 'The device trained on, in words.' },
    deviceReason: { kind: 'string', optional: true, description: 'Why this backend and device were chosen, in words (a setting, what is installed, what failed to load).' },
    runtime: { kind: 'string', optional: true, description: 'The library that trains: torch, @tensorflow/tfjs-node, ...' },
    runtimeVersion: { kind: 'string', optional: true, description: "That library's version." },
    skippedBackends: { kind: 'array', items: { kind: 'string' }, optional: true, description: 'Faster backends that could not be used, each with the reason.' },
    params: { kind: 'integer', min: 0, optional: true, description: "The model's trainable parameters." },
    trainSize: { kind: 'integer', min: 0, optional: true, description: 'Training images.' },
    valSize: { kind: 'integer', min: 0, optional: true, description: 'Validation images.' },
    epochs: { kind: 'integer', min: 1, optional: true, description: 'Epochs configured.' },
    stepsPerEpoch: { kind: 'integer', min: 1, optional: true, description: 'Optimiser steps per epoch.' },
    totalSteps: { kind: 'integer', min: 0, optional: true, description: 'Steps the run takes in all (epochs times steps per epoch, or maxSteps).' },
    epoch: { kind: 'integer', min: 1, optional: true, description: 'The epoch in progress, counted from 1.' },
    step: { kind: 'integer', min: 0, optional: true, description: 'Steps taken so far.' },
    eta: { kind: 'number', min: 0, optional: true, description: 'Estimated seconds to completion.' },
    message: { kind: 'string', optional: true, description: 'A sentence for people.' },
    worldSize: { kind: 'integer', min: 1, optional: true, description: 'Processes in a data-parallel run; batch sizes and rates then cover all of them.' },
  },
  /**
   * Layer telemetry at one sampled step: one row per parameterised layer, ReLU and residual add, keyed by the
   * IR node's name (a module path, or the derived name of a functional op), so the graph and the source can
   * place it. Statistics that came out NaN or infinite are left out and named in `nonFinite`.
   */
  layer: {
    step: { kind: 'integer', min: 0, description: 'The optimiser step the statistics belong to.' },
    module: { kind: 'string', minLength: 1, description: "The IR node's name: a module path such as layer3.4.conv2." },
    gradNorm: { kind: 'number', min: 0, optional: true, description: "L2 norm of the layer's parameter gradients (after the all-reduce in a data-parallel run)." },
    weightNorm: { kind: 'number', min: 0, optional: true, description: "L2 norm of the layer's parameters before the step." },
    updateRatio: { kind: 'number', min: 0, optional: true, description: "‖ΔW‖ / ‖W‖ over the optimiser step." },
    actMean: { kind: 'number', optional: true, description: "Mean of the layer's output." },
    actStd: { kind: 'number', min: 0, optional: true, description: "Standard deviation of the layer's output." },
    zeroFraction: { kind: 'number', min: 0, max: 1, optional: true, description: 'After a ReLU: the fraction of its outputs that are zero.' },
    deadFraction: { kind: 'number', min: 0, max: 1, optional: true, description: 'After a ReLU: the fraction of its units (channels) zero on the whole batch.' },
    branchRatio: { kind: 'number', min: 0, optional: true, description: "At a residual add: ‖F(x)‖ / ‖x‖, the residual branch's norm over the shortcut's." },
    nonFinite: { kind: 'array', items: { kind: 'string', minLength: 1 }, optional: true, description: 'The statistics that were NaN or infinite.' },
  },
  /** A checkpoint was written. */
  checkpoint: {
    epoch: { kind: 'integer', min: 1, description: 'The epoch it was taken in, counted from 1.' },
    step: { kind: 'integer', min: 0, description: 'Steps taken when it was written.' },
    path: { kind: 'string', minLength: 1, description: 'The checkpoint, relative to the run directory.' },
  },
  /** The last row of every attempt. */
  end: {
    status: { kind: 'string', enum: ['completed', 'failed', 'stopped'], description: 'How the attempt ended.' },
    error: { kind: 'string', nullable: true, optional: true, description: 'Why it failed; null otherwise.' },
  },
} as const satisfies Record<string, FieldTable>;

export type RowType = keyof typeof ROW_FIELDS;
export const ROW_TYPES = Object.keys(ROW_FIELDS) as RowType[];

/** The row of one type, derived from its fields. */
export type RowOf<T extends RowType> = { type: T } & FieldsOf<typeof COMMON_ROW_FIELDS> & FieldsOf<(typeof ROW_FIELDS)[T]>;

export type StartRow = RowOf<'start'>;
export type MetricRow = RowOf<'metric'>;
export type StatusRow = RowOf<'status'>;
export type CheckpointRow = RowOf<'checkpoint'>;
export type LayerRow = RowOf<'layer'>;
export type EndRow = RowOf<'end'>;
export type EndStatus = EndRow['status'];
export type TrainingRow = { [T in RowType]: RowOf<T> }[RowType];

type Distribute<R> = R extends { type: string } ? Omit<R, 'attempt' | 'time'> & { time?: number } : never;
/** A row as a runner builds it: the writer stamps `attempt` and, unless given, `time`. */
export type RowDraft = Distribute<TrainingRow>;

/** The row a writer writes: its draft with the attempt and the time. */
export function stampRow(draft: RowDraft, attempt: number, now: number): TrainingRow {
  return { ...draft, attempt, time: draft.time ?? now } as TrainingRow;
}

const isRowType = (t: unknown): t is RowType => typeof t === 'string' && Object.hasOwn(ROW_FIELDS, t);

/**
 * Parses one line of runner output; null for lines that are not rows (plain log text). Lenient, as a reader
 * should be: it checks only the type.
 */
export function parseTrainingRow(line: string): TrainingRow | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  if (!isRowType((v as { type?: unknown }).type)) return null;
  return v as TrainingRow;
}

/** Every problem with a row as a writer must produce it (strict: the tests hold both runners to it). */
export function validateRow(row: unknown): string[] {
  const type = (row as { type?: unknown } | null)?.type;
  if (!isRowType(type)) return [`unknown row type ${JSON.stringify(type)}`];
  const problems = validateFields({ ...COMMON_ROW_FIELDS, ...ROW_FIELDS[type] }, row, { allowUnknown: ['type'] });
  for (const key of WRITER_REQUIRED_ROW_FIELDS) if ((row as Record<string, unknown>)[key] === undefined) problems.push(`'${key}' is missing`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// JSON Schemas

const SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** The run config's schema: what `python/resnet_studio/run_config.schema.json` holds. */
export function runConfigJsonSchema(): JsonSchema {
  return {
    $schema: SCHEMA_DRAFT,
    $id: 'https://resnet-studio.dev/schemas/run_config.schema.json',
    title: 'ResNet Studio run config',
    description: 'config.json of a training run. Generated from src/protocol/trainingProtocol.ts by scripts/genTrainingSchema.ts: do not edit.',
    ...objectSchema(RUN_CONFIG_FIELDS),
  };
}

/** The rows' schema: one of the row types, each with exactly its fields. */
export function trainingRowsJsonSchema(): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  for (const type of ROW_TYPES) {
    const schema = objectSchema({ ...COMMON_ROW_FIELDS, ...ROW_FIELDS[type] }, { type: { const: type } });
    schema['required'] = [...(schema['required'] as string[]), ...WRITER_REQUIRED_ROW_FIELDS];
    definitions[type] = schema;
  }
  return {
    $schema: SCHEMA_DRAFT,
    $id: 'https://resnet-studio.dev/schemas/training_rows.schema.json',
    title: 'ResNet Studio training row',
    description: 'One line of metrics.jsonl. Generated from src/protocol/trainingProtocol.ts by scripts/genTrainingSchema.ts: do not edit.',
    oneOf: ROW_TYPES.map((t) => ({ $ref: `#/definitions/${t}` })),
    definitions,
  };
}
