// The Models view's tree without VS Code: files, their models with params, MACs, output shape and error
// count, and blocks under the models that use them, built from a real index of the fixture project.
import assert from 'node:assert/strict';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { indexWorkspace } from '../../src/frontends/workspaceIndex';
import { buildModelsTree, modelDescription } from '../../src/host/modelsTree';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/check');

test('files hold their models; a block sits under each model that uses it, with its count and its own numbers', () => {
  const ws = indexWorkspace([join(FIXTURES, 'project'), join(FIXTURES, 'broken')]);
  const tree = buildModelsTree(ws.files, (f) => relative(FIXTURES, f));
  assert.deepEqual(tree.map((n) => [n.label, n.description]), [
    ['model.json', 'project/keras · 1 model'],
    ['cifar.py', 'project/models · 3 models'],
    ['picked.py', 'project/models · 1 model'],
    ['tiny.resnet.json', 'project · 1 model'],
    ['net.py', 'broken · 2 models · 1 error'],
  ]);
  const cifar = tree[1]!;
  assert.deepEqual(cifar.children.map((n) => [n.label, n.kind, n.model, n.description]), [
    ['CifarResNet', 'model', 'CifarResNet', '20.0 k params · 8.83 M MACs → [1, 10]'],
    ['cifar_resnet', 'model', 'cifar_resnet', '23.0 k params · 8.83 M MACs → [1, 100]'],
  ]);
  const block = cifar.children[0]!.children[0]!;
  assert.deepEqual([block.label, block.kind, block.model, block.description], ['BasicBlock', 'block', 'BasicBlock', '2× · ? params · ? MACs → [1, planes, 32, 32]']);
  assert.notEqual(block.id, cifar.children[1]!.children[0]!.id, 'the same block under two models has two ids');
  assert.match(cifar.children[0]!.tooltip, /params 19,994 · MACs 8,831,296/);
  assert.match(block.tooltip, /symbolic arguments/);
  const broken = tree[4]!.children;
  assert.deepEqual(broken.map((n) => [n.label, n.errors]), [['Net', 1]]);
  assert.match(broken[0]!.description, / · 1 error$/);
  assert.match(broken[0]!.tooltip, /first error: .*channels differ/);
  // Designs and Keras files open without a model name (the file's one model).
  assert.equal(tree[3]!.children[0]!.model, undefined);
  assert.equal(tree[3]!.children[0]!.modelKind, 'design');
});

test('a model the time limit skipped, and one that could not be built, say so', () => {
  const ws = indexWorkspace([join(FIXTURES, 'project/models/cifar.py')], { fileTimeLimitMs: 0 });
  const [block] = ws.files[0]!.models;
  assert.match(modelDescription(block!), /^not analysed yet/);
  assert.equal(modelDescription({ ...block!, analysed: true, built: false, errors: 2 }), 'not built · 2 errors');
});

test('every node has its own id, also blocks nested under several models', () => {
  const ws = indexWorkspace([join(FIXTURES, 'project'), join(FIXTURES, 'broken')]);
  const files = ws.files.map((f) => ({ ...f }));
  // A block that itself has a block, used by two models: its child appears twice in the tree.
  const cifar = files.find((f) => f.file.endsWith('cifar.py'))!;
  cifar.models = cifar.models.map((m) => (m.name === 'BasicBlock' ? { ...m, blocks: [{ name: 'Inner', count: 1 }] } : m));
  const ids: string[] = [];
  const walk = (ns: ReturnType<typeof buildModelsTree>): void => ns.forEach((n) => (ids.push(n.id), walk(n.children)));
  walk(buildModelsTree(files, (f) => f));
  assert.equal(ids.filter((i) => i.endsWith('/BasicBlock/Inner')).length, 2);
  assert.equal(new Set(ids).size, ids.length, 'no id twice');
  // A class defined twice in one file.
  const twice = { ...cifar, models: [...cifar.models, { ...cifar.models[1]! }] };
  const tree = buildModelsTree([twice], (f) => f);
  const top = tree[0]!.children.map((n) => n.id);
  assert.equal(new Set(top).size, top.length, JSON.stringify(top));
});
