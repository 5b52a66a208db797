/**
 * `resnet-studio train` as users call it (the built CLI, in a child process): exit codes, the run directory,
 * progress lines and where the input shape comes from.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveModel } from '../../src/cli/train';
import { readDirective } from '../../src/frontends/directive';
import { buildBundles, tempDir, TINY_RESNET } from './bundles';

let cliJs = '';
before(async () => {
  cliJs = (await buildBundles()).cli;
});

const runner = (js: string) => `require(${JSON.stringify(js)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
const cli = (cwd: string, ...args: string[]) => spawnSync(process.execPath, ['-e', runner(cliJs), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });

const SMALL = ['--epochs', '1', '--batch-size', '32', '--synthetic-size', '96', '--val-split', '0.25', '--lr', '0.05', '--tfjs-backend', 'cpu'];

test('a completed run exits 0, prints progress and writes the run directory under --out', () => {
  const cwd = tempDir('cli');
  const r = cli(cwd, 'train', TINY_RESNET, '--data', 'synthetic', ...SMALL, '--out', 'my-runs', '--log-every', '1');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /input \[1, 3, 16, 16\] \(from the model file\), tfjs backend/);
  assert.match(r.stdout, /status: training on synthetic \(4 classes\) \| backend tfjs/);
  assert.match(r.stdout, /epoch 1 step 1 {2}train loss \d/);
  assert.match(r.stdout, /epoch 1 step 2 {2}val {3}loss/);
  assert.match(r.stdout, /checkpoint checkpoints\/epoch-1-step-2/);
  assert.match(r.stdout, /run completed\n$/);
  const runs = fs.readdirSync(path.join(cwd, 'my-runs'));
  assert.equal(runs.length, 1);
  const dir = path.join(cwd, 'my-runs', runs[0]!);
  for (const f of ['config.json', 'metrics.jsonl', 'stdout.log', 'stderr.log', 'state.json', 'checkpoints']) assert.ok(fs.existsSync(path.join(dir, f)), f);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(config.backend, 'tfjs');
  assert.equal(config.epochs, 1);
  assert.equal(config.batchSize, 32);
  assert.deepEqual(config.inputShape, [1, 3, 16, 16]);
  const last = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!;
  assert.equal(JSON.parse(last).status, 'completed');
});

test('--input overrides the design; a bad data path exits 1 with the reason; usage errors exit 2', () => {
  const cwd = tempDir('cli');
  const bad = cli(cwd, 'train', TINY_RESNET, '--data', 'no-such-dir', '--input', '1,3,8,8', ...SMALL);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /input \[1, 3, 8, 8\] \(from --input\)/);
  assert.match(bad.stdout, /run failed: data path does not exist: .*no-such-dir/);
  const run = fs.readdirSync(path.join(cwd, '.resnet-studio/runs'))[0]!;
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(cwd, '.resnet-studio/runs', run, 'config.json'), 'utf8')).inputShape, [1, 3, 8, 8]);

  assert.equal(cli(cwd, 'train', TINY_RESNET).status, 2, 'missing --data');
  assert.equal(cli(cwd, 'train', 'missing.resnet.json', '--data', 'synthetic').status, 2, 'unreadable file');
  assert.equal(cli(cwd, 'train', TINY_RESNET, '--data', 'synthetic', '--epochs', '0').status, 2, 'bad number');
  assert.equal(cli(cwd, 'train', TINY_RESNET, '--data', 'synthetic', '--backend', 'keras').status, 2, 'bad backend');
  const help = cli(cwd, 'train', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /resnet-studio train FILE --data synthetic\|DIR/);
});

test('Ctrl-C stops the run cleanly and exits 1 (only completed is 0)', async () => {
  const cwd = tempDir('cli');
  const child = spawn(process.execPath, ['-e', runner(cliJs), 'train', TINY_RESNET, '--data', 'synthetic', '--epochs', '3', '--batch-size', '16', '--synthetic-size', '480', '--log-every', '1', '--tfjs-backend', 'cpu'], { cwd });
  let out = '';
  child.stdout.setEncoding('utf8');
  const code = await new Promise<number | null>((resolve) => {
    let sent = false;
    child.stdout.on('data', (d: string) => {
      out += d;
      if (!sent && /train loss/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (c) => resolve(c));
  });
  assert.equal(code, 1, out);
  assert.match(out, /run stopped\n$/);
});

test('the input comes from --input, else the file\'s comment, else the design, else the default', () => {
  const py = '# resnet-studio: model=Net input=(1, 3, 12, 12)\nimport torch\nclass Net(torch.nn.Module):\n    pass\n';
  assert.deepEqual({ model: readDirective(py)?.model, input: readDirective(py)?.input }, { model: 'Net', input: [1, 3, 12, 12] });
  assert.equal(readDirective('x = 1\n'), null);
  const fromComment = resolveModel('net.py', py, {}, 'pytorch');
  assert.deepEqual(fromComment.input, [1, 3, 12, 12]);
  assert.equal(fromComment.modelName, 'Net');
  assert.deepEqual(resolveModel('net.py', py, { input: [4, 3, 20, 20], inputLabel: '--input', model: 'Other' }, 'pytorch'), { input: [4, 3, 20, 20], inputFrom: '--input', modelName: 'Other' });
  const design = fs.readFileSync(TINY_RESNET, 'utf8');
  assert.deepEqual(resolveModel(TINY_RESNET, design, {}, 'tfjs').input, [1, 3, 16, 16]);
  const noInput = JSON.stringify({ ...JSON.parse(design), input: undefined });
  assert.deepEqual(resolveModel('x.resnet.json', noInput, {}, 'tfjs').input, [1, 3, 224, 224]);
  assert.deepEqual(resolveModel('plain.py', 'import torch\n', { model: 'M' }, 'pytorch').input, [1, 3, 224, 224]);
});

test('a misspelt flag trains nothing; --resume takes only the flags a resumed run can change', () => {
  const cwd = tempDir('cli');
  const typo = cli(cwd, 'train', TINY_RESNET, '--data', 'synthetic', '--epoch', '50', ...SMALL);
  assert.equal(typo.status, 2, typo.stdout + typo.stderr);
  assert.match(typo.stderr, /unknown flag --epoch; did you mean --epochs\?/);
  assert.ok(!fs.existsSync(path.join(cwd, '.resnet-studio')), 'no run directory was made');

  const made = cli(cwd, 'train', TINY_RESNET, '--data', 'no-such-dir', ...SMALL, '--run-id', 'r1', '--lr-steps', '1', '--schedule', 'step', '--lr-gamma', '0.5');
  assert.equal(made.status, 1, made.stdout + made.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(cwd, '.resnet-studio/runs/r1/config.json'), 'utf8'));
  assert.deepEqual([config.lrSteps, config.schedule, config.lrGamma, config.tfjsBackend], [[1], 'step', 0.5, 'cpu']);
  const resumeDir = path.join(cwd, '.resnet-studio/runs/r1');
  const bad = cli(cwd, 'train', '--resume', resumeDir, '--epochs', '3');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--epochs cannot be used with --resume/);
  const withFile = cli(cwd, 'train', TINY_RESNET, '--resume', resumeDir);
  assert.equal(withFile.status, 2);
  assert.match(withFile.stderr, /a FILE cannot be used with --resume/);
});

test('without an interpreter that imports torch, a PyTorch run exits 2 naming what was tried, and leaves no run behind', { skip: process.platform === 'win32' ? 'PATH candidates differ on Windows' : false }, () => {
  const cwd = tempDir('cli');
  const emptyPath = tempDir('no-python');
  fs.writeFileSync(path.join(cwd, 'net.py'), '# resnet-studio: model=Net input=(1, 3, 8, 8)\nimport torch\nclass Net(torch.nn.Module):\n    pass\n');
  const env = { ...process.env, PATH: emptyPath, RESNET_STUDIO_PYTHON: '' };
  const r = spawnSync(process.execPath, ['-e', runner(cliJs), 'train', 'net.py', '--data', 'synthetic'], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /no Python interpreter with PyTorch was found\. Tried: python3 \(not found\); python \(not found\)\. Set RESNET_STUDIO_PYTHON/);
  assert.ok(!fs.existsSync(path.join(cwd, '.resnet-studio')), 'no run directory was made');
});
