// The input a user means: the CIFAR guess where nothing says otherwise, and how the input is written.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { inputText } from '../../src/host/hoverText';

const cifar = readFileSync('test/fixtures/pytorch/cifar_style.py', 'utf8').replace(/^# resnet-studio:.*$/m, '');
const torchvision = readFileSync('test/fixtures/pytorch/torchvision_style.py', 'utf8').replace(/^# resnet-studio:.*$/m, '');

test('a CIFAR stem without a size given is analysed at 32x32, marked as a guess', () => {
  const a = analyzePytorch('net.py', cifar, { model: 'resnet20', defaultInput: [1, 3, 224, 224] });
  assert.deepEqual(a.graph?.input, [1, 3, 32, 32]);
  assert.match(a.graph?.inputGuess ?? '', /3×3 stride-1 stem/);
  assert.equal(a.graph?.macs, 40551040);
});

test('a name with cifar suggests 32x32; an ImageNet stem keeps 224x224', () => {
  assert.match(analyzePytorch('cifar_models.py', torchvision, { model: 'resnet18', defaultInput: [1, 3, 224, 224] }).graph?.inputGuess ?? '', /cifar_models\.py/);
  const r18 = analyzePytorch('models.py', torchvision, { model: 'resnet18', defaultInput: [1, 3, 224, 224] }).graph;
  assert.deepEqual(r18?.input, [1, 3, 224, 224]);
  assert.equal(r18?.inputGuess, undefined);
});

test('anything that states the size beats the guess', () => {
  for (const opts of [{ input: [1, 3, 64, 64] }, { defaultInput: [1, 3, 96, 96] }]) {
    const g = analyzePytorch('net.py', cifar, { model: 'resnet20', ...opts }).graph;
    assert.equal(g?.inputGuess, undefined);
    assert.notDeepEqual(g?.input, [1, 3, 32, 32]);
  }
  const withComment = analyzePytorch('net.py', `# resnet-studio: input=(1, 3, 40, 40)\n${cifar}`, { model: 'resnet20', defaultInput: [1, 3, 224, 224] }).graph;
  assert.deepEqual(withComment?.input, [1, 3, 40, 40]);
  assert.equal(withComment?.inputGuess, undefined);
});

test('inputs are written channels first, square sizes squared', () => {
  assert.equal(inputText([1, 3, 32, 32]), '3×32²');
  assert.equal(inputText([1, 3, 32, 64]), '3×32×64');
  assert.equal(inputText([1, 512]), '512');
  assert.equal(inputText(null), null);
});
