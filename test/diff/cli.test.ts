// `resnet-studio diff` as CI calls it, through the built CLI: the per-stage table, --json, and the exit codes
// (0 same interface, 1 output shape changed, 2 usage errors and files without a model).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';

const dir = mkdtempSync(join(tmpdir(), 'rs-diff-cli-'));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/resnet-studio.js', ...args], { encoding: 'utf8', env: { ...process.env, RESNET_STUDIO_CACHE_DIR: join(dir, 'cache') } });

/** Writes a variant of a bundled design and returns its path. */
function variant(name: string, from: string, edit: (d: { vars?: Record<string, unknown>; layers: Record<string, unknown>[] }) => void): string {
  const d = JSON.parse(readFileSync(from, 'utf8'));
  edit(d);
  const file = join(dir, `${name}.resnet.json`);
  writeFileSync(file, JSON.stringify(d, null, 2));
  return file;
}

const stage = (d: { layers: Record<string, unknown>[] }, name: string) => d.layers.find((l) => l['stage'] === name)!;

before(() => {
  if (!existsSync('dist/cli.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

test('a deeper stage: the table shows the stage old → new with its delta, and the exit code is 0', () => {
  const deeper = variant('deeper', 'examples/resnet18.resnet.json', (d) => (stage(d, 'layer3')['count'] = 3));
  const r = cli('diff', 'examples/resnet18.resnet.json', deeper);
  assert.equal(r.status, 0, r.stderr);
  const a = analyzeText('a.resnet.json', readFileSync('examples/resnet18.resnet.json', 'utf8')).graph!;
  const b = analyzeText(deeper, readFileSync(deeper, 'utf8')).graph!;
  const delta = b.params! - a.params!;
  const row = r.stdout.split('\n').find((l) => l.startsWith('layer3 '));
  assert.ok(row, r.stdout);
  assert.match(row, /^layer3 \(2× BasicBlock → 3× BasicBlock\)\s+changed\s/);
  assert.ok(row.includes(`+${delta.toLocaleString('en-US')}`), row);
  assert.match(r.stdout, /^layer2 \(2× BasicBlock\)\s+same\s/m);
  assert.ok(r.stdout.includes(`Total  `) && r.stdout.includes(`${a.params!.toLocaleString('en-US')} → ${b.params!.toLocaleString('en-US')}`), r.stdout);
  assert.match(r.stdout, /Output: \[1, 1000\] \(unchanged\)/);
  assert.match(r.stdout, /^ {2}\+ layer3\.2 \(BasicBlock\): added/m);
  assert.doesNotMatch(r.stdout, /layer3\.2\.conv1/, 'an added block is listed once, not layer by layer');
});

test('a changed classifier: exit 1, the output shape and the attribute change old → new', () => {
  const more = variant('classes', 'examples/cifar-resnet20.resnet.json', (d) => (d.vars!['num_classes'] = 100));
  const r = cli('diff', 'examples/cifar-resnet20.resnet.json', more);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /Output: \[1, 10\] → \[1, 100\] {4}\(the output shape changed\)/);
  assert.match(r.stdout, /~ linear \(Linear\): out_features 10 → 100/);
});

test('--json prints the comparison as one object; the exit code follows the output shape', () => {
  const narrow = variant('narrow', 'examples/resnet18.resnet.json', (d) => (stage(d, 'layer4')['planes'] = 256));
  const r = cli('diff', 'examples/resnet18.resnet.json', narrow, '--json');
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.deepEqual(o.files, { before: 'examples/resnet18.resnet.json', after: narrow });
  for (const k of ['before', 'after', 'inputChanged', 'outputChanged', 'nodes', 'groups', 'stages', 'total', 'counts']) assert.ok(k in o, k);
  assert.equal(o.outputChanged, false);
  const fc = o.nodes.find((n: { key: string }) => n.key === 'fc');
  assert.deepEqual(fc.changes, [{ field: 'in_features', before: 512, after: 256 }]);
  assert.equal(o.stages.find((s: { name: string }) => s.name === 'layer4').status, 'changed');
});

test('the same file twice: no differences, exit 0', () => {
  const r = cli('diff', 'examples/tiny-resnet.resnet.json', 'examples/tiny-resnet.resnet.json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /No differences\./);
  assert.match(r.stdout, /Layers: 0 added, 0 removed, 0 changed, 0 reshaped/);
});

test('--input applies to both files', () => {
  const r = cli('diff', 'examples/cifar-resnet20.resnet.json', 'examples/cifar-resnet56.resnet.json', '--input', '1,3,64,64', '--json');
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.deepEqual([o.before.input, o.after.input], [[1, 3, 64, 64], [1, 3, 64, 64]]);
  assert.equal(o.inputChanged, false);
  for (const s of ['layer1', 'layer2', 'layer3']) {
    const row = o.stages.find((x: { name: string }) => x.name === s);
    assert.deepEqual(row.what, { before: '3× BasicBlock', after: '9× BasicBlock' }, s);
  }
});

test('usage errors exit 2: a missing argument, an unreadable file, a file without a model, an unknown flag', () => {
  const missing = cli('diff', 'examples/resnet18.resnet.json');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /missing B/);
  const unreadable = cli('diff', 'examples/resnet18.resnet.json', join(dir, 'nope.resnet.json'));
  assert.equal(unreadable.status, 2);
  assert.match(unreadable.stderr, /cannot read .*nope\.resnet\.json/);
  const broken = cli('diff', 'examples/resnet18.resnet.json', 'test/fixtures/json/malformed.resnet.json');
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /no model could be built from test\/fixtures\/json\/malformed\.resnet\.json/);
  const flag = cli('diff', 'examples/resnet18.resnet.json', 'examples/resnet34.resnet.json', '--jsn');
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /did you mean --json\?/);
  const help = cli('diff', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: resnet-studio diff A B \[options\]/);
  assert.match(help.stdout, /1 the output shape changed/);
});
