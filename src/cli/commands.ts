/**
 * Every subcommand of `resnet-studio`, one declaration each: arguments, flags (type, default, help), usage
 * lines and what it runs. The parser, the `--help` text and the program's usage text are generated from
 * these. A new subcommand is one more declaration here and its implementation in its own module; a heavy
 * implementation is imported on use, so `analyze` never loads training.
 */
import { DEFAULT_INPUT } from '../core/ir';
import { TEMPLATES } from '../frontends/templates';
import { UsageError } from '../core/usageError';
import { analyze } from './analyze';
import { diff } from './diff';
import { type CliCommand, type CommandDeclaration, type CommandInput, defineCommand, flag, optionalFlags } from './flags';
import { IMPORT_FLAGS, MODEL_FLAGS } from './sharedFlags';
import { RESUME_FLAGS, TRAIN_FLAGS } from './trainFlags';

const ANALYZE_FLAGS = {
  ...MODEL_FLAGS,
  ...IMPORT_FLAGS,
  json: flag.boolean({ help: 'Print one JSON object (model, shapes, params, MACs, layers, graph, diagnostics) instead of the table' }),
};

export type AnalyzeInput = CommandInput<typeof ANALYZE_FLAGS>;

/** Both versions are read with the same model, arguments and input, so only the file's change shows. */
const DIFF_FLAGS = {
  ...MODEL_FLAGS,
  json: flag.boolean({ help: 'Print the comparison as one JSON object (stages, layers, groups, totals) instead of the table' }),
};

export type DiffInput = CommandInput<typeof DIFF_FLAGS>;

const CHECK_FLAGS = {
  ...IMPORT_FLAGS,
  input: flag.shape({ help: 'Input shape for every model', defaultText: `each file's own, else ${DEFAULT_INPUT.join(',')}` }),
  format: flag.choice({ choices: ['text', 'json', 'github', 'sarif'] as const, default: 'text', help: 'Output: text lines, one JSON object, GitHub Actions annotations, or SARIF 2.1.0' }),
  jobs: flag.int({ metavar: 'N', help: 'Files checked at once, each in its own thread (worth it for large trees on idle cores)', defaultText: '1' }),
};

export type CheckInput = CommandInput<typeof CHECK_FLAGS>;

const EXPORT_FLAGS = {
  to: flag.choice({
    choices: ['pytorch', 'keras', 'tfjs', 'design', 'markdown', 'csv'] as const,
    help: 'PyTorch source, a Keras or TF.js model.json topology (no weights), a *.resnet.json design, or the summary table',
  }),
  ...MODEL_FLAGS,
  out: flag.string({ metavar: 'OUT', short: 'o', help: 'The file to write', defaultText: 'standard output' }),
};

export type ExportInput = CommandInput<typeof EXPORT_FLAGS>;

const NEW_FLAGS = {
  template: flag.choice({ choices: TEMPLATES.map((t) => t.id), help: 'The network to start from (the templates of "New ResNet from Template…")' }),
  numClasses: flag.int({ help: 'Outputs of the classifier', defaultText: "the template's" }),
  inputSize: flag.int({ help: 'Height and width of the input image', defaultText: "the template's" }),
  name: flag.string({ metavar: 'TEXT', help: 'The design\'s name', defaultText: "the template's" }),
  out: flag.string({ metavar: 'OUT', short: 'o', help: 'The *.resnet.json file to write', defaultText: 'standard output' }),
  force: flag.boolean({ help: 'Replace OUT if it exists' }),
};

export type NewInput = CommandInput<typeof NEW_FLAGS>;

export const ANALYZE: CommandDeclaration<typeof ANALYZE_FLAGS> = {
  name: 'analyze',
  summary: 'Shapes, parameters, MACs and diagnostics of a model file, as a table or JSON',
  args: [{ name: 'FILE', help: 'A *.resnet.json design, a Keras/TF.js model.json, or a PyTorch .py file' }],
  flags: ANALYZE_FLAGS,
  details: 'Exit codes: 0 no error diagnostics, 1 error diagnostics, 2 usage or I/O error.',
  run: analyze,
};

export const COMMANDS: readonly CliCommand[] = [
  defineCommand(ANALYZE),
  defineCommand({
    name: 'train',
    summary: 'Train a model in a child process (TF.js or PyTorch) and print its progress',
    args: [{ name: 'FILE', help: 'The model file, as for analyze', optional: true }],
    synopsis: ['FILE --data synthetic|DIR [options]', `--resume RUN_DIR ${optionalFlags(TRAIN_FLAGS, RESUME_FLAGS.filter((f) => f !== 'resume'))}`],
    flags: TRAIN_FLAGS,
    details: [
      'The TF.js runner reads PNG and binary PPM/PGM images; JPEG folders need --backend pytorch.',
      'PyTorch runs use --python as given; without it, the first of $RESNET_STUDIO_PYTHON, python3 and python',
      '(on PATH) that can `import torch`.',
      'Several machines: run the same command on each with --nnodes N --node-rank R --rdzv-endpoint HOST:PORT',
      'and one --run-id, with --out on a shared file system. SLURM: --launcher slurm writes job.sbatch into the',
      'run folder, submits it and follows the job until it ends (Ctrl-C cancels it) unless --detach is given;',
      'the run folder, the Python and this package must be visible at the same paths on the compute nodes.',
      'Exit codes: 0 completed, 1 failed or stopped, 2 usage or I/O error (nothing was trained).',
    ].join('\n'),
    // Loaded on use: training pulls in process management that `analyze` never needs.
    run: async (input, io) => (await import('./train')).train(input, io),
  }),
  defineCommand({
    name: 'diff',
    summary: 'What changed between two versions of a model: params and MACs per stage, layers added, removed and changed',
    args: [
      { name: 'A', help: 'The older version (any model file analyze reads)' },
      { name: 'B', help: 'The newer version' },
    ],
    flags: DIFF_FLAGS,
    details: 'Exit codes: 0 the output shape is unchanged, 1 the output shape changed, 2 usage or I/O error (or no model could be built).',
    run: diff,
  }),
  defineCommand({
    name: 'check',
    summary: 'Check every model under the given paths, as a linter for CI (text, JSON, GitHub annotations or SARIF)',
    args: [{ name: 'PATHS', help: 'Files and folders to check', optional: true, variadic: true }],
    flags: CHECK_FLAGS,
    details: [
      'Folders are walked for .py files that define nn.Module classes or factories, *.resnet.json designs and',
      'Keras/TF.js model.json topologies, skipping virtual environments, site-packages, node_modules, .git and',
      'the like. A file\'s "# resnet-studio: model=... args=... input=..." comment picks what to check in it;',
      'without one, every class and factory is checked, those that need arguments with symbolic ones.',
      'Exit codes: 0 no error diagnostics, 1 error diagnostics, 2 usage or I/O error.',
    ].join('\n'),
    // Loaded on use, like train.
    run: async (input, io) => (await import('./check')).check(input, io),
  }),
  defineCommand({
    name: 'export',
    summary: 'Write a model as PyTorch code, a Keras/TF.js model.json, a *.resnet.json design, or its summary as Markdown or CSV',
    args: [{ name: 'FILE', help: 'The model file, as for analyze' }],
    synopsis: ['FILE --to pytorch|keras|tfjs|design|markdown|csv [--model NAME] [--args ARGS] [--input N,C,H,W] [-o OUT]'],
    flags: EXPORT_FLAGS,
    details: 'Exit codes: 0 written, 1 the model has errors or holds an op the format cannot express (named, with its line), 2 usage or I/O error.',
    // Loaded on use: the writers are not needed by the other commands.
    run: async (input, io) => {
      if (input.flags.to === undefined) throw new UsageError('--to is required (pytorch, keras, tfjs, design, markdown or csv)');
      return (await import('./export')).exportModel(input, io);
    },
  }),
  defineCommand({
    name: 'new',
    summary: 'Start a new design from a template (the *.resnet.json text the wizard writes)',
    args: [],
    synopsis: [`--template ${TEMPLATES.map((t) => t.id).join('|')} [--num-classes N] [--input-size N] [--name TEXT] [-o OUT] [--force]`],
    flags: NEW_FLAGS,
    details: 'Exit codes: 0 written, 2 usage or I/O error.',
    run: async (input, io) => (await import('./new')).newModel(input, io),
  }),
];
