/**
 * `analyze --path` and `--python`: a model importing a package from outside its folder is exact with the folder
 * on --path and unknown (not an error) without it; a block from the installed torchvision is read through --python.
 * Runs the built CLI (npm run build).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve('bin/resnet-studio.js');
const FIXTURES = resolve('test/fixtures/pytorch');

function analyze(cwd: string, args: string[]): { status: number | null; report: { params: number | null; diagnostics: { severity: string }[] } } {
  const r = spawnSync(process.execPath, [CLI, 'analyze', ...args, '--json'], { cwd, encoding: 'utf8', env: { ...process.env, RESNET_STUDIO_NO_CACHE: '1' } });
  return { status: r.status, report: JSON.parse(r.stdout) };
}

test('analyze --path resolves an absolute import from an extra folder; without it the count is unknown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-cli-imports-'));
  writeFileSync(join(dir, 'app.py'), 'import torch.nn as nn\nfrom pkg_helpers.common import Residual\n\ndef model():\n    return nn.Sequential(Residual(3, 16, 2))\n');
  const args = ['app.py', '--model', 'model', '--input', '1,3,32,32', '--python', 'no-such-python-for-this-test'];
  const without = analyze(dir, args);
  assert.equal(without.status, 0);
  assert.equal(without.report.params, null);
  const withPath = analyze(dir, [...args, '--path', FIXTURES]);
  assert.equal(withPath.status, 0);
  // Two 3x3 convs (3->16, 16->16), a 1x1 projection 3->16 and three BatchNorms of 16.
  assert.equal(withPath.report.params, 3 * 16 * 9 + 16 * 16 * 9 + 3 * 16 + 3 * 32);
});

test('analyze --python reads a block from that interpreter\'s installed torchvision', { skip: !existsSync('/usr/lib/python3/dist-packages/torchvision/models/resnet.py') && 'torchvision is not installed' }, () => {
  const python = process.env['RESNET_STUDIO_PYTHON'] || '/usr/bin/python3.11';
  const r = analyze(resolve('.'), ['test/fixtures/pytorch/torchvision_block/model.py', '--model', 'TinyBottleneckNet', '--input', '1,3,32,32', '--python', python]);
  assert.equal(r.status, 0);
  assert.equal(r.report.params, 1330506);
});
