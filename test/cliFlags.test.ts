/**
 * The command line's flag declarations: the parser (unknown flags with the nearest known one, missing values,
 * wrong types, `--name=value`, switches, positional arguments) and the usage text generated from the same
 * declaration, for every declared command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../src/cli/commands';
import { RESUME_FLAGS } from '../src/cli/trainFlags';
import { USAGE } from '../src/cli/main';
import { type ArgSpec, defineCommand, flag, flagName, formatUsage, nearest, parseCommandLine } from '../src/cli/flags';
import { UsageError } from '../src/core/usageError';
import { RUN_CONFIG_DEFAULTS, RUN_CONFIG_FIELDS } from '../src/protocol/trainingProtocol';

const FLAGS = {
  epochs: flag.int({ default: 10, help: 'Epochs' }),
  batchSize: flag.int({ help: 'Batch size' }),
  lr: flag.field(RUN_CONFIG_FIELDS.lr),
  valSplit: flag.field(RUN_CONFIG_FIELDS.valSplit),
  lrSteps: flag.field(RUN_CONFIG_FIELDS.lrSteps),
  optimizer: flag.choice({ choices: ['sgd', 'adam'] as const, default: 'sgd', help: 'Optimiser' }),
  input: flag.shape({ help: 'Input' }),
  name: flag.string({ metavar: 'NAME', help: 'A name' }),
  json: flag.boolean({ help: 'JSON' }),
  noAugment: flag.boolean({ help: 'No augmentation' }),
};
const ARGS: readonly ArgSpec[] = [{ name: 'FILE', help: 'The file' }, { name: 'OUT', help: 'Where', optional: true }];
const parse = (...argv: string[]) => parseCommandLine({ args: ARGS, flags: FLAGS }, argv);

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, message);
    return true;
  });
}

test('values take their declared type; absent flags take their default or undefined', () => {
  const p = parse('model.py', '--epochs', '3', '--lr=0.05', '--optimizer', 'adam', '--input', '[1, 3, 32, 32]', '--json', '--lr-steps', '5,8');
  assert.deepEqual(p.args, ['model.py']);
  assert.deepEqual(p.flags, {
    epochs: 3,
    batchSize: undefined,
    lr: 0.05,
    valSplit: RUN_CONFIG_DEFAULTS.valSplit,
    lrSteps: [5, 8],
    optimizer: 'adam',
    input: [1, 3, 32, 32],
    name: undefined,
    json: true,
    noAugment: false,
  });
  assert.deepEqual([...p.given].sort(), ['epochs', 'input', 'json', 'lr', 'lrSteps', 'optimizer']);
  assert.equal(p.help, false);
  assert.deepEqual(parse('m.py').flags.epochs, 10);
  assert.deepEqual(parse('m.py', '--input', '3x64x64').flags.input, [3, 64, 64]);
});

test('--name=value and --name value are the same; a value may contain = and start with a single dash', () => {
  assert.deepEqual(parse('m.py', '--name=a=b').flags.name, 'a=b');
  assert.deepEqual(parse('m.py', '--name', '-x').flags.name, '-x');
  assert.deepEqual(parse('m.py', '--name=--json').flags.name, '--json');
  assert.equal(parse('m.py', '--epochs=7').flags.epochs, parse('m.py', '--epochs', '7').flags.epochs);
  // The last of a repeated flag wins, as scripts that append overrides expect.
  assert.equal(parse('m.py', '--epochs', '7', '--epochs', '9').flags.epochs, 9);
});

test('switches take no value, or exactly true or false', () => {
  assert.equal(parse('m.py', '--json').flags.json, true);
  assert.equal(parse('m.py', '--json=true').flags.json, true);
  assert.equal(parse('m.py', '--json=false').flags.json, false);
  assert.equal(parse('m.py').flags.json, false);
  assert.equal(parse('m.py', '--no-augment').flags.noAugment, true);
  usageError(() => parse('m.py', '--json=yes'), /--json is a switch/);
  // A switch never swallows the next word: it stays a positional argument.
  assert.deepEqual(parse('m.py', '--json', 'out').args, ['m.py', 'out']);
});

test('an unknown flag is an error naming the nearest known one', () => {
  usageError(() => parse('m.py', '--epoch', '50'), /unknown flag --epoch; did you mean --epochs\?/);
  usageError(() => parse('m.py', '--epcohs', '50'), /did you mean --epochs\?/);
  usageError(() => parse('m.py', '--batch', '4'), /did you mean --batch-size\?/);
  usageError(() => parse('m.py', '--batch_size', '4'), /did you mean --batch-size\?/);
  usageError(() => parse('m.py', '--hlep'), /did you mean --help\?/);
  usageError(() => parse('m.py', '-e', '3'), /unknown flag -e/);
  // Nothing close: no guess, and with this many flags, no list either.
  assert.throws(() => parse('m.py', '--bogus-flag', '3'), (e: Error) => e instanceof UsageError && /^unknown flag --bogus-flag$/.test(e.message));
  // A command with a few flags lists them.
  const few = { json: flag.boolean({ help: 'JSON' }), model: flag.string({ help: 'Model' }) };
  usageError(() => parseCommandLine({ args: [], flags: few }, ['--bogus-flag']), /the flags are --json, --model$/);
});

test('a missing value is an error, also when the next word is another flag', () => {
  usageError(() => parse('m.py', '--epochs'), /--epochs needs a value \(N\)/);
  usageError(() => parse('m.py', '--name', '--json'), /--name needs a value \(NAME\)/);
  usageError(() => parse('m.py', '--optimizer'), /--optimizer needs a value \(sgd\|adam\)/);
});

test('a value of the wrong type or out of bounds is an error naming the flag', () => {
  usageError(() => parse('m.py', '--epochs', 'ten'), /--epochs must be a positive integer, got 'ten'/);
  usageError(() => parse('m.py', '--epochs', '0'), /--epochs must be a positive integer, got '0'/);
  usageError(() => parse('m.py', '--epochs', '2.5'), /--epochs must be a positive integer/);
  usageError(() => parse('m.py', '--optimizer', 'rmsprop'), /--optimizer must be one of sgd, adam, got 'rmsprop'/);
  usageError(() => parse('m.py', '--input', '1,3,x,7'), /--input must be N,C,H,W/);
  usageError(() => parse('m.py', '--input', '1,3'), /--input must be N,C,H,W/);
  // Run-config flags are checked by the run config's own rules.
  usageError(() => parse('m.py', '--lr', '0'), /--lr must be > 0, got 0/);
  usageError(() => parse('m.py', '--lr', 'fast'), /--lr must be a number, got 'fast'/);
  usageError(() => parse('m.py', '--val-split', '1'), /--val-split must be < 1/);
  usageError(() => parse('m.py', '--lr-steps', '3,x'), /--lr-steps must be an integer or a comma-separated list of them, got '3,x'/);
  usageError(() => parse('m.py', '--lr-steps', '3,0'), /--lr-steps\[1\] must be >= 1/);
});

test('positional arguments: required ones must be there, and no more than declared; -- ends the flags', () => {
  usageError(() => parse(), /missing FILE/);
  usageError(() => parse('a', 'b', 'c'), /unexpected argument 'c'/);
  assert.deepEqual(parse('a', 'b').args, ['a', 'b']);
  assert.deepEqual(parse('--', '--json').args, ['--json']);
  assert.equal(parse('--', '--json').flags.json, false);
});

test('--help wins over any other problem on the line', () => {
  assert.equal(parse('--help').help, true);
  assert.equal(parse('-h', '--bogus').help, true);
  assert.equal(parse('m.py', '--epochs', 'x', '--help').help, true);
});

test('nearest: close words and unique prefixes only', () => {
  const known = ['epochs', 'batch-size', 'lr', 'lr-steps', 'json'];
  assert.equal(nearest('epoch', known), 'epochs');
  assert.equal(nearest('jsno', known), 'json');
  assert.equal(nearest('batch', known), 'batch-size');
  assert.equal(nearest('zzz', known), undefined);
  assert.equal(flagName('batchSize'), 'batch-size');
  assert.equal(flagName('noAugment'), 'no-augment');
});

test('the usage text is generated from the declaration: every flag with its value, default and help', () => {
  const text = formatUsage({ name: 'demo', summary: 'Does a thing', args: ARGS, flags: FLAGS, details: 'Exit codes: 0.' });
  assert.match(text, /^usage: resnet-studio demo FILE \[OUT\] \[options\]\n/);
  for (const key of Object.keys(FLAGS)) assert.match(text, new RegExp(`\\n  --${flagName(key)}\\b`), key);
  assert.match(text, /--epochs N +Epochs \(default: 10\)/);
  assert.match(text, /--optimizer sgd\|adam +Optimiser \(default: sgd\)/);
  assert.match(text, /--lr X +Peak learning rate \(default: 0\.1\)/);
  assert.match(text, /--json +JSON\n/, 'a switch shows no value and no default');
  assert.match(text, /-h, --help +Show this help/);
  assert.match(text, /Exit codes: 0\.$/);
  for (const line of text.split('\n')) assert.ok(line.length <= 100, line);
});

test('every declared command: --help prints its usage, every flag in it is declared, and the program usage lists it', async () => {
  assert.deepEqual(COMMANDS.map((c) => c.name), ['analyze', 'train', 'diff', 'check', 'export', 'new']);
  for (const cmd of COMMANDS) {
    const out: string[] = [];
    assert.equal(await cmd.run(['--help'], { out: (s) => out.push(s) }), 0);
    assert.deepEqual(out, [cmd.usage]);
    for (const name of cmd.flagNames) assert.match(cmd.usage, new RegExp(`\\n  (-[A-Za-z], )?--${name}\\b`), `${cmd.name} --${name}`);
    for (const line of cmd.synopsis) {
      for (const m of line.matchAll(/--([a-z-]+)/g)) assert.ok(cmd.flagNames.includes(m[1]!), `${cmd.name}: --${m[1]} in its usage line is not a flag`);
      for (const m of line.matchAll(/\[-([A-Za-z]) /g)) assert.match(cmd.usage, new RegExp(`\\n  -${m[1]}, --`), `${cmd.name}: -${m[1]} in its usage line is not a flag`);
    }
    assert.match(USAGE, new RegExp(`\\n  ${cmd.name} +${cmd.summary.slice(0, 20)}`));
  }
  const train = COMMANDS.find((c) => c.name === 'train')!;
  assert.match(train.usage, /--epochs N +Passes over the training set \(default: 10\)/);
  assert.match(train.usage, /   or: resnet-studio train --resume RUN_DIR \[--detach\] \[--json\] \[--python PATH\] \[--nproc N\]/);
  assert.deepEqual(RESUME_FLAGS.filter((f) => !train.flagNames.includes(flagName(f))), []);
});

test('a command runs with typed values; a usage problem reaches the caller as a UsageError', async () => {
  let seen: unknown;
  const cmd = defineCommand({
    name: 'demo',
    summary: 'Demo',
    args: [{ name: 'FILE', help: 'File' }],
    flags: { epochs: flag.int({ default: 1, help: 'Epochs' }) },
    run: ({ args, flags }) => {
      seen = { file: args[0], epochs: flags.epochs + 1 };
      return 0;
    },
  });
  assert.equal(await cmd.run(['f', '--epochs', '4'], { out: () => {} }), 0);
  assert.deepEqual(seen, { file: 'f', epochs: 5 });
  await assert.rejects(cmd.run(['f', '--epoch', '4'], { out: () => {} }), /did you mean --epochs\?/);
});

test('a one-letter spelling: -o OUT and -o=OUT are --out OUT, on export and new, and the usage shows both spellings', () => {
  const decl = { args: [] as ArgSpec[], flags: { out: flag.string({ metavar: 'OUT', short: 'o', help: 'Where' }), json: flag.boolean({ help: 'JSON' }) } };
  assert.equal(parseCommandLine(decl, ['-o', 'a.py']).flags.out, 'a.py');
  assert.equal(parseCommandLine(decl, ['-o=b.py']).flags.out, 'b.py');
  assert.deepEqual([...parseCommandLine(decl, ['-o', 'a.py']).given], ['out']);
  usageError(() => parseCommandLine(decl, ['-o']), /--out needs a value \(OUT\)/);
  usageError(() => parseCommandLine(decl, ['-j']), /unknown flag -j \(flags are spelled --name\)/);
  assert.match(formatUsage({ name: 'x', summary: 'X', ...decl }), /\n  -o, --out OUT +Where\n/);
  for (const name of ['export', 'new']) {
    const cmd = COMMANDS.find((c) => c.name === name)!;
    assert.match(cmd.usage, /\n  -o, --out OUT /, name);
    assert.match(cmd.synopsis.join(' '), /\[-o OUT\]/, name);
  }
});
