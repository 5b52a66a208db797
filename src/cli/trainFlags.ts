/**
 * The `train` subcommand's flags, declared once: the command table builds its parser and usage from them, and
 * the training command reads its input through their types. Kept apart from the table so the training command,
 * loaded on use, does not import the table that loads it.
 */
import { RUN_CONFIG_FIELDS } from '../protocol/trainingProtocol';
import { DEFAULT_RUNS_DIR } from '../training/runStore';
import { type CommandInput, flag } from './flags';
import { MODEL_FLAGS } from './sharedFlags';

const F = RUN_CONFIG_FIELDS;

/** Run-config flags take their type, bounds, default and help from the run config's own declaration. */
export const TRAIN_FLAGS = {
  data: flag.string({ metavar: 'synthetic|DIR', help: F.data.description.replace(/\.$/, '') }),
  ...MODEL_FLAGS,
  backend: flag.choice({ choices: F.backend.enum, help: F.backend.description.replace(/\.$/, ''), defaultText: 'pytorch for a .py file, else tfjs' }),
  epochs: flag.field(F.epochs),
  batchSize: flag.field(F.batchSize),
  lr: flag.field(F.lr),
  optimizer: flag.field(F.optimizer),
  momentum: flag.field(F.momentum),
  weightDecay: flag.field(F.weightDecay),
  schedule: flag.field(F.schedule),
  lrSteps: flag.field(F.lrSteps, { metavar: 'E1,E2,...' }),
  lrGamma: flag.field(F.lrGamma),
  valSplit: flag.field(F.valSplit),
  seed: flag.field(F.seed),
  noAugment: flag.boolean({ help: `Train without augmentation (${F.augment.description.replace(/\.$/, '').toLowerCase()})` }),
  syntheticSize: flag.field(F.syntheticSize),
  maxSteps: flag.field(F.maxSteps),
  logEvery: flag.field(F.logEvery),
  telemetryEvery: flag.field(F.telemetryEvery),
  device: flag.field(F.device),
  nproc: flag.int({ help: 'PyTorch processes per node (one per GPU), launched through torch.distributed.run', defaultText: '1, or --gpus-per-node on SLURM' }),
  // Several machines: every node runs the same command with its own --node-rank.
  nnodes: flag.field(F.nnodes),
  nodeRank: flag.int({ min: 0, help: "This machine's node rank in a multi-node run: node 0 creates the run, the others join it (the same --run-id and --out, on a shared file system)", defaultText: '0' }),
  rdzvEndpoint: flag.field(F.rdzvEndpoint, { metavar: 'HOST:PORT' }),
  rdzvId: flag.field(F.rdzvId, { metavar: 'ID', defaultText: 'the run id' }),
  // A batch job on a SLURM cluster instead of a process here.
  launcher: flag.field(F.launcher),
  partition: flag.field(F.partition, { metavar: 'P' }),
  nodes: flag.field(F.nodes, { metavar: 'N' }),
  gpusPerNode: flag.field(F.gpusPerNode, { metavar: 'G' }),
  time: flag.field(F.time, { metavar: 'HH:MM:SS' }),
  sbatchArg: flag.strings({ metavar: 'ARG', help: 'One more sbatch option, as sbatch takes it (--sbatch-arg=--account=ml); repeatable' }),
  tfjsBackend: flag.field(F.tfjsBackend, { defaultText: 'auto' }),
  python: flag.string({ metavar: 'PATH', help: 'The Python interpreter for PyTorch', defaultText: 'the first of $RESNET_STUDIO_PYTHON, python3, python that imports torch' }),
  out: flag.string({ metavar: 'DIR', default: DEFAULT_RUNS_DIR, help: 'The runs directory; the run is written to DIR/<run-id>/' }),
  runId: flag.string({ metavar: 'ID', help: 'The run\'s name', defaultText: 'a time stamp and a random suffix' }),
  resume: flag.string({ metavar: 'RUN_DIR', help: 'Continue a stopped or interrupted run from its last checkpoint' }),
  detach: flag.boolean({ help: 'Keep training in the background and return at once' }),
  json: flag.boolean({ help: 'Print each metrics row as one JSON object' }),
};

export type TrainInput = CommandInput<typeof TRAIN_FLAGS>;

/** What `train --resume` takes besides itself: the rest was fixed when the run was created. */
export const RESUME_FLAGS: readonly (keyof typeof TRAIN_FLAGS)[] = ['resume', 'detach', 'json', 'python', 'nproc', 'nodeRank'];

/** Flags that only a SLURM run takes. */
export const SLURM_FLAGS: readonly (keyof typeof TRAIN_FLAGS)[] = ['partition', 'nodes', 'gpusPerNode', 'time', 'sbatchArg'];

