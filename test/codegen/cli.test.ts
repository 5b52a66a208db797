/**
 * `resnet-studio export` and `resnet-studio new` through the built CLI: every format is written and reads
 * back to the same model, a refusal exits 1 naming the op and its line, and `new` writes the wizard's design.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';
import { newDesignText } from '../../src/codegen/newDesign';

const dir = mkdtempSync(join(tmpdir(), 'resnet-studio-export-'));
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/resnet-studio.js', ...args], { encoding: 'utf8', env: { ...process.env, RESNET_STUDIO_NO_CACHE: '1' } });

describe('resnet-studio export / new', () => {
  before(() => {
    if (!existsSync('dist/cli.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  });

  for (const [to, ext] of [['pytorch', '.py'], ['keras', '.model.json'], ['tfjs', '.model.json'], ['design', '.resnet.json']] as const) {
    it(`--to ${to} writes a file that analyses to the same model`, () => {
      const out = join(dir, `r18_${to}${ext}`);
      const r = cli('export', 'test/fixtures/pytorch/torchvision_style.py', '--model', 'resnet18', '--to', to, '--out', out);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), `wrote ${out}`);
      const a = analyzeText(out, readFileSync(out, 'utf8'));
      assert.deepEqual([a.graph?.params, a.graph?.macs, a.graph?.output], [11689512, 1814073344, [1, 1000]]);
    });
  }

  it('--to markdown and csv print the summary', () => {
    const md = cli('export', 'examples/resnet50.resnet.json', '--to', 'markdown');
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, /Total params: 25,557,032\. Total MACs: 4,089,184,256\./);
    const csv = cli('export', 'examples/resnet50.resnet.json', '--to', 'csv');
    assert.match(csv.stdout.split('\n')[0]!, /^name,type,depth,kind,output_shape,params,macs$/);
    assert.match(csv.stdout, /^total,ResNet-50,0,model,1x1000,25557032,4089184256$/m);
  });

  it('an op the format cannot express: exit 1, the op and its line', () => {
    const r = cli('export', 'examples/cifar-resnet20.resnet.json', '--to', 'keras');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot write slice 'layer2\.0\.shortcut' at cifar-resnet20\.resnet\.json:\d+ as Keras/);
    assert.equal(r.stdout, '');
  });

  it('a model with errors is not exported', () => {
    const r = cli('export', 'test/fixtures/pytorch/broken_missing_downsample.py', '--to', 'pytorch');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not exported/);
  });

  it('--to is required and checked', () => {
    assert.equal(cli('export', 'examples/resnet18.resnet.json').status, 2);
    const r = cli('export', 'examples/resnet18.resnet.json', '--to', 'onnx');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--to must be one of pytorch, keras, tfjs, design, markdown, csv/);
  });

  it('new --template writes the wizard\'s design, with options', () => {
    const out = join(dir, 'c20.resnet.json');
    const r = cli('new', '--template', 'cifar-resnet20', '--num-classes', '100', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8'), newDesignText('cifar-resnet20', { numClasses: 100 }));
    const a = analyzeText(out, readFileSync(out, 'utf8'));
    assert.deepEqual(a.graph?.output, [1, 100]);
    assert.equal(cli('new', '--template', 'cifar-resnet20', '--out', out).status, 2, 'an existing file is kept without --force');
    assert.equal(cli('new', '--template', 'resnet1000').status, 2);
  });
});
