// The built CLI as users and CI call it: exit codes, one JSON object with --json, table output, overrides.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Its caches go to a folder of this run, not the user's own.
const cacheDir = mkdtempSync(join(tmpdir(), 'rs-cli-cache-'));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/resnet-studio.js', ...args], { encoding: 'utf8', env: { ...process.env, RESNET_STUDIO_CACHE_DIR: cacheDir } });

before(() => {
  if (!existsSync('dist/cli.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

test('analyze --json prints exactly one JSON object with the documented fields', () => {
  const r = cli('analyze', 'examples/resnet18.resnet.json', '--json');
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  for (const k of ['model', 'input', 'output', 'outputs', 'params', 'macs', 'layers', 'graph', 'diagnostics']) assert.ok(k in o, k);
  assert.equal(o.outputs, null, 'one output');
  assert.deepEqual(o.input, [1, 3, 224, 224]);
  assert.deepEqual(o.output, [1, 1000]);
  assert.equal(o.params, 11689512);
  assert.equal(o.macs, 1814073344);
  const fc = o.layers.find((l: { name: string }) => l.name === 'fc');
  assert.deepEqual({ type: fc.type, inputShape: fc.inputShape, outputShape: fc.outputShape, params: fc.params, macs: fc.macs }, {
    type: 'Linear',
    inputShape: [1, 512],
    outputShape: [1, 1000],
    params: 513000,
    macs: 512000,
  });
  assert.equal(typeof fc.line, 'number');
  assert.ok(Array.isArray(o.graph.nodes) && Array.isArray(o.graph.edges) && Array.isArray(o.graph.skipEdges));
  assert.equal(o.graph.skipEdges.length, 8);
});

test('--input overrides the design input', () => {
  const o = JSON.parse(cli('analyze', 'examples/cifar-resnet20.resnet.json', '--json', '--input', '4,3,64,64').stdout);
  assert.deepEqual(o.input, [4, 3, 64, 64]);
  assert.deepEqual(o.output, [4, 10]);
  // MACs are per sample: the batch does not multiply them, the 4x larger image does (all but the final Linear's 640).
  assert.equal(o.macs, (40551040 - 640) * 4 + 640);
});

test('table output has the hierarchy, totals and diagnostics', () => {
  const r = cli('analyze', 'examples/resnet50.resnet.json');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /layer3\.5 \(Bottleneck\)/);
  assert.match(r.stdout, /Total params: 25,557,032/);
  assert.match(r.stdout, /Total MACs: 4,089,184,256/);
  assert.match(r.stdout, /Diagnostics: none/);
});

test('exit 1 on error diagnostics, with 1-based positions in the JSON', () => {
  const r = cli('analyze', 'test/fixtures/json/shape-errors.resnet.json', '--json');
  assert.equal(r.status, 1);
  const o = JSON.parse(r.stdout);
  const d = o.diagnostics.find((x: { code: string }) => x.code === 'shape/in-features');
  assert.equal(d.severity, 'error');
  assert.equal(d.line, 10);
  // On the in_features value, where its fix applies, not on the layer's `{`.
  assert.equal(d.column, 54);
  assert.ok(d.endLine >= d.line && d.endColumn >= 1);
  const t = cli('analyze', 'test/fixtures/json/malformed.resnet.json');
  assert.equal(t.status, 1);
  assert.match(t.stdout, /malformed\.resnet\.json:5:5: error: malformed JSON/);
});

test('exit 2 on usage and I/O errors', () => {
  assert.equal(cli().status, 2);
  assert.equal(cli('frobnicate').status, 2);
  assert.equal(cli('analyze').status, 2);
  const missing = cli('analyze', 'no/such/file.resnet.json');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read no\/such\/file\.resnet\.json/);
  assert.equal(cli('analyze', 'examples/resnet18.resnet.json', '--input', '1,3,x,7').status, 2);
  const dir = mkdtempSync(join(tmpdir(), 'rs-cli-'));
  const other = join(dir, 'notes.txt');
  writeFileSync(other, 'hello');
  const unknown = cli('analyze', other, '--json');
  assert.equal(unknown.status, 1);
  assert.equal(JSON.parse(unknown.stdout).diagnostics[0].code, 'format/unknown');
});

test('an unknown flag, a missing value or a wrong type exits 2 naming the flag and the nearest known one', () => {
  const bogus = cli('analyze', 'examples/resnet18.resnet.json', '--bogus-flag', '3');
  assert.equal(bogus.status, 2);
  assert.equal(bogus.stdout, '');
  assert.match(bogus.stderr, /^resnet-studio analyze: unknown flag --bogus-flag; the flags are --model, --args, --input, --python, --path, --json\nRun 'resnet-studio analyze --help'/);
  const typo = cli('train', 'examples/resnet18.resnet.json', '--data', 'synthetic', '--epoch', '50');
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /^resnet-studio train: unknown flag --epoch; did you mean --epochs\?/);
  const jsno = cli('analyze', 'examples/resnet18.resnet.json', '--jsno');
  assert.equal(jsno.status, 2);
  assert.match(jsno.stderr, /did you mean --json\?/);
  const noValue = cli('train', 'examples/resnet18.resnet.json', '--data');
  assert.equal(noValue.status, 2);
  assert.match(noValue.stderr, /--data needs a value \(synthetic\|DIR\)/);
  const wrongType = cli('train', 'examples/resnet18.resnet.json', '--data', 'synthetic', '--batch-size', 'big');
  assert.equal(wrongType.status, 2);
  assert.match(wrongType.stderr, /--batch-size must be an integer, got 'big'/);
  const command = cli('analyse', 'examples/resnet18.resnet.json');
  assert.equal(command.status, 2);
  assert.match(command.stderr, /unknown command 'analyse'; did you mean analyze\?/);
});

test('--flag=value reads as --flag value, and a switch may say =true or =false', () => {
  const spaced = JSON.parse(cli('analyze', 'examples/cifar-resnet20.resnet.json', '--json', '--input', '2,3,64,64').stdout);
  const joined = JSON.parse(cli('analyze', 'examples/cifar-resnet20.resnet.json', '--json=true', '--input=2,3,64,64').stdout);
  assert.deepEqual(joined.input, [2, 3, 64, 64]);
  assert.deepEqual(joined, spaced);
  const table = cli('analyze', 'examples/cifar-resnet20.resnet.json', '--json=false');
  assert.equal(table.status, 0);
  assert.match(table.stdout, /Total params:/);
  // Option A's subsample-and-pad shortcuts are their own kind, neither identity nor projection.
  assert.match(table.stdout, /Residual shortcuts: 9 \(7 identity, 0 projection, 2 pad\)/);
});

test('help: the program usage lists every command; each command has its own, generated from its flags', () => {
  const top = cli('--help');
  assert.equal(top.status, 0);
  assert.match(top.stdout, /^usage: resnet-studio COMMAND/);
  assert.match(top.stdout, /\n  analyze +Shapes, parameters/);
  assert.match(top.stdout, /\n  train +Train a model/);
  assert.equal(cli('help').stdout, top.stdout);
  const none = cli();
  assert.equal(none.status, 2);
  assert.equal(none.stderr, top.stdout);
  const train = cli('train', '--help');
  assert.equal(train.status, 0);
  assert.match(train.stdout, /^usage: resnet-studio train FILE --data synthetic\|DIR \[options\]/);
  assert.match(train.stdout, /\n  --epochs N +Passes over the training set \(default: 10\)/);
  assert.match(train.stdout, /\n  --backend pytorch\|tfjs /);
  assert.equal(cli('help', 'train').stdout, train.stdout);
  const analyze = cli('analyze', '-h');
  assert.equal(analyze.status, 0);
  assert.match(analyze.stdout, /^usage: resnet-studio analyze FILE \[options\]/);
  assert.match(analyze.stdout, /\n  --json +Print one JSON object/);
  assert.equal(cli('help', 'nosuch').status, 2);
});
