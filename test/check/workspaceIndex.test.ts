// The workspace index without VS Code: which files it walks, which models of a file it analyses and how
// often, the block structure the Models view shows, and the options every analysis receives.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { discoverModelFiles, globToRegExp, isSkippedPath, searchRootsFor } from '../../src/core/workspaceFiles';
import { analyzeText } from '../../src/frontends';
import type { FrontEndOptions } from '../../src/frontends/options';
import { indexFile, indexWorkspace } from '../../src/frontends/workspaceIndex';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/check');
const CIFAR = join(FIXTURES, 'project/models/cifar.py');

test('globs: ** spans folders, * and ? stay in one, braces alternate, classes match one character', () => {
  const cases: [string, string, boolean][] = [
    ['**/node_modules', 'node_modules', true],
    ['**/node_modules', 'a/b/node_modules', true],
    ['**/node_modules', 'a/node_modules_x', false],
    ['build', 'build', true],
    ['build', 'src/build', false],
    ['*.py', 'a.py', true],
    ['*.py', 'd/a.py', false],
    ['**/*.{pyc,pyo}', 'x/y/z.pyo', true],
    ['**/*.{pyc,pyo}', 'x/y/z.py', false],
    ['data/**', 'data/a/b.json', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[!x]y', 'zy', true],
    ['[!x]y', 'xy', false],
    ['file.json', 'file_json', false],
  ];
  for (const [glob, p, want] of cases) assert.equal(globToRegExp(glob).test(p), want, `${glob} vs ${p}`);
});

test('discovery: sorted, skipping environments, package folders and files.exclude; a named file is kept', () => {
  const root = mkdtempSync(join(tmpdir(), 'rs-index-walk-'));
  cpSync(join(FIXTURES, 'project'), root, { recursive: true });
  const plant = (rel: string): void => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), 'x = 1\n');
  };
  for (const rel of ['venv/a.py', 'site-packages/b.py', 'node_modules/c/d.json', '.git/e.py', 'env/f.py', 'data/big/g.json', 'out/h.py']) plant(rel);
  writeFileSync(join(root, 'env/pyvenv.cfg'), '');
  const rel = (files: string[]) => files.map((f) => relative(root, f));
  const all = discoverModelFiles([root]);
  assert.deepEqual(rel(all.files), [
    'data/big/g.json',
    'keras/model.json',
    'models/__init__.py',
    'models/cifar.py',
    'models/picked.py',
    'out/h.py',
    'settings.json',
    'tiny.resnet.json',
    'utils.py',
  ]);
  assert.equal(all.truncated, false);
  const excluded = discoverModelFiles([root], { exclude: ['data', '**/settings.json', 'out/**'] });
  assert.deepEqual(rel(excluded.files), ['keras/model.json', 'models/__init__.py', 'models/cifar.py', 'models/picked.py', 'tiny.resnet.json', 'utils.py']);
  assert.deepEqual(rel(discoverModelFiles([join(root, 'venv/a.py'), root], { maxFiles: 2 }).files), ['venv/a.py', 'data/big/g.json']);
  assert.equal(discoverModelFiles([root], { maxFiles: 2 }).truncated, true);
  // The same rules for one changed file (the editor's watcher).
  assert.equal(isSkippedPath(root, join(root, 'env/f.py')), true);
  assert.equal(isSkippedPath(root, join(root, 'node_modules/c/d.json')), true);
  assert.equal(isSkippedPath(root, join(root, 'data/big/g.json'), ['data']), true);
  assert.equal(isSkippedPath(root, join(root, 'models/cifar.py'), ['data']), false);
  assert.equal(isSkippedPath(root, join(tmpdir(), 'elsewhere.py')), true);
});

test('search roots: each workspace folder, its src/ when there is one, then the extra paths', () => {
  const ws = mkdtempSync(join(tmpdir(), 'rs-index-roots-'));
  mkdirSync(join(ws, 'src'));
  assert.deepEqual(searchRootsFor([ws, FIXTURES], ['/opt/lib', ws]), [ws, join(ws, 'src'), FIXTURES, '/opt/lib']);
});

test('a file: each model analysed once (the default one is not analysed twice), with the same numbers as analysing it alone', () => {
  const text = readFileSync(CIFAR, 'utf8');
  const calls: (string | undefined)[] = [];
  const idx = indexFile(CIFAR, text, {
    analyze: (f, t, o) => {
      calls.push(o.model);
      return analyzeText(f, t, o);
    },
  })!;
  assert.deepEqual(calls, [undefined, 'BasicBlock', 'CifarResNet'], 'the bare analysis built cifar_resnet, the file\'s default model');
  assert.deepEqual(idx.models.map((m) => m.name), ['BasicBlock', 'CifarResNet', 'cifar_resnet']);
  for (const m of idx.models) {
    const alone = analyzeText(CIFAR, text, { model: m.name }).graph!;
    assert.deepEqual([m.params, m.macs, m.output, m.input], [alone.params, alone.macs, alone.output, alone.input], m.name);
    assert.equal(m.layers, alone.nodes.filter((n) => n.op !== 'input').length);
    assert.equal(m.shortcuts, alone.skips.length);
  }
  assert.equal(idx.format, 'pytorch');
  assert.deepEqual(idx.models.map((m) => [m.name, m.kind, m.symbolic, m.source?.line]), [
    ['BasicBlock', 'class', true, 9],
    ['CifarResNet', 'class', false, 26],
    ['cifar_resnet', 'factory', false, 42],
  ]);
});

test('blocks: a model lists the block classes it is built from, and a block the models that use it', () => {
  const idx = indexFile(CIFAR, readFileSync(CIFAR, 'utf8'))!;
  const [block, net, factory] = idx.models;
  assert.deepEqual(net!.blocks, [{ name: 'BasicBlock', count: 2 }]);
  assert.deepEqual(factory!.blocks, [{ name: 'BasicBlock', count: 2 }]);
  assert.deepEqual(block!.blocks, []);
  assert.deepEqual(block!.usedBy, ['CifarResNet', 'cifar_resnet']);
  assert.deepEqual(net!.usedBy, [], 'a model built inside a factory is not a block');
});

test('a file comment naming a model: only that model, with the comment\'s arguments and input', () => {
  const file = join(FIXTURES, 'project/models/picked.py');
  const calls: (string | undefined)[] = [];
  const idx = indexFile(file, readFileSync(file, 'utf8'), { analyze: (f, t, o) => (calls.push(o.model), analyzeText(f, t, o)) })!;
  assert.deepEqual(calls, [undefined]);
  assert.deepEqual(idx.models.map((m) => [m.name, m.fromDirective, m.input, m.errors]), [['Wide', true, [2, 3, 32, 32], 0]]);
});

test('diagnostics are listed once with every model that raised them; errors are counted per model', () => {
  const file = join(FIXTURES, 'broken/net.py');
  const idx = indexFile(file, readFileSync(file, 'utf8'))!;
  const net = idx.models.find((m) => m.name === 'Net')!;
  assert.equal(net.errors, 1);
  assert.match(net.firstError!, /channels differ/);
  assert.equal(idx.models.find((m) => m.name === 'Block')!.errors, 0);
  const keys = idx.diagnostics.map((d) => `${d.severity}:${d.line}:${d.column}:${d.code}:${d.message}`);
  assert.equal(new Set(keys).size, keys.length, 'no diagnostic twice');
  assert.deepEqual(idx.diagnostics.filter((d) => d.severity === 'error').map((d) => d.models), [['Net']]);
});

test('not model files: a module without a model, JSON that is neither a design nor a Keras topology', () => {
  const utils = join(FIXTURES, 'project/utils.py');
  assert.equal(indexFile(utils, readFileSync(utils, 'utf8')), null);
  const settings = join(FIXTURES, 'project/settings.json');
  assert.equal(indexFile(settings, readFileSync(settings, 'utf8')), null);
  const design = join(FIXTURES, 'project/tiny.resnet.json');
  const d = indexFile(design, readFileSync(design, 'utf8'))!;
  assert.deepEqual(d.models.map((m) => [m.name, m.kind, m.params]), [['Tiny ResNet', 'design', 5164]]);
});

test('the options every analysis gets: search roots, interpreter and input pass through; model and args are chosen per model', () => {
  const seen: FrontEndOptions[] = [];
  const base: FrontEndOptions = { searchRoots: ['/a', '/b'], python: '/usr/bin/python3.11', input: [1, 3, 32, 32], model: 'Ignored', args: '1, 2' };
  indexFile(CIFAR, readFileSync(CIFAR, 'utf8'), { base, analyze: (f, t, o) => (seen.push(o), analyzeText(f, t, o)) });
  assert.equal(seen.length, 3);
  for (const o of seen) {
    assert.deepEqual(o.searchRoots, ['/a', '/b']);
    assert.equal(o.python, '/usr/bin/python3.11');
    assert.deepEqual(o.input, [1, 3, 32, 32]);
    assert.equal(o.args, undefined);
  }
  assert.deepEqual(seen.map((o) => o.model), [undefined, 'BasicBlock', 'CifarResNet']);
});

test('a file time limit leaves the remaining models listed but unanalysed', () => {
  const idx = indexFile(CIFAR, readFileSync(CIFAR, 'utf8'), { fileTimeLimitMs: 0 })!;
  assert.deepEqual(idx.models.map((m) => [m.name, m.analysed]), [['BasicBlock', false], ['CifarResNet', false], ['cifar_resnet', true]]);
  assert.equal(idx.models[0]!.params, null);
});

test('a whole tree: the model files in order, with progress for every file walked', () => {
  const progress: number[] = [];
  const ws = indexWorkspace([join(FIXTURES, 'project')], { onFile: (done) => progress.push(done) });
  assert.deepEqual(ws.files.map((f) => relative(FIXTURES, f.file)), ['project/keras/model.json', 'project/models/cifar.py', 'project/models/picked.py', 'project/tiny.resnet.json']);
  assert.equal(ws.scanned, 7);
  assert.deepEqual(progress, [0, 1, 2, 3, 4, 5, 6]);
});

test('a file\'s index names the files its analyses imported, so the editor re-indexes it when they change', () => {
  const app = join(FIXTURES, 'imports/app/net.py');
  const vendor = join(FIXTURES, 'imports/vendor');
  const idx = indexFile(app, readFileSync(app, 'utf8'), { base: { searchRoots: [vendor] } })!;
  assert.equal(idx.models[0]!.params, 852);
  assert.ok(idx.dependencies.includes(join(vendor, 'shapes/blocks.py')), JSON.stringify(idx.dependencies));
  assert.deepEqual(indexFile(CIFAR, readFileSync(CIFAR, 'utf8'))!.dependencies, [], 'torch is the catalogue, never a file');
});
