// What ships: the .vsix allow-list holds the licence and the third-party notices, and the notices name every
// package the bundles contain, with its licence text, plus our modified copy of the Python grammar.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

before(() => {
  if (!existsSync('dist/THIRD_PARTY_NOTICES.txt')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

test('the third-party notices name each bundled package with its licence text', () => {
  const notices = readFileSync('dist/THIRD_PARTY_NOTICES.txt', 'utf8');
  const entries = new Map([...notices.matchAll(/^(@?[\w.-]+(?:\/[\w.-]+)?) (\d+\.\d+\.\d+\S*) \(([^)]+)\)$/gm)].map((m) => [m[1]!, m[3]!]));
  // Runtime packages that reach a bundle (graph page, metrics page, extension, CLI, workers).
  for (const name of ['cytoscape', 'cytoscape-elk', 'elkjs', 'uplot', '@vscode-elements/elements', '@lezer/lr', '@lezer/common', 'jsonc-parser', '@tensorflow/tfjs-core']) {
    assert.ok(entries.has(name), `${name} missing from the notices`);
  }
  assert.equal(entries.get('elkjs'), 'EPL-2.0');
  assert.match(notices, /@lezer\/python 1\.1\.19 grammar and tokenizers, modified \(MIT\)\n\nMIT License\n\nCopyright \(C\) 2020 by Marijn Haverbeke/);
  // Each entry carries a licence text, not only a name.
  assert.match(notices, /Permission is hereby granted, free of charge/);
  assert.match(notices, /Eclipse Public License - v 2\.0/);
  // Development tools never reach a bundle.
  for (const dev of ['typescript', 'esbuild', 'playwright-core', '@lezer/generator', 'tsx']) assert.ok(!entries.has(dev), dev);
});

test('the .vsix allow-list holds the licence and the notices', () => {
  const allow = readFileSync('.vscodeignore', 'utf8').split('\n');
  assert.ok(allow.includes('!LICENSE'));
  assert.ok(allow.includes('!dist/THIRD_PARTY_NOTICES.txt'));
  assert.ok(existsSync('LICENSE'));
  assert.equal(JSON.parse(readFileSync('package.json', 'utf8')).license, 'MIT');
});

test('the .vsix holds every file of the training runner: its entry script, its whole package and the contract schemas it reads', () => {
  const listed = spawnSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'ls'], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const shipped = new Set(listed.stdout.split('\n').map((l) => l.trim()));
  const runner = ['python/resnet_studio_train.py', ...readdirSync('python/resnet_studio').filter((n) => n.endsWith('.py') || n.endsWith('.schema.json')).map((n) => `python/resnet_studio/${n}`)];
  assert.ok(runner.includes('python/resnet_studio/__main__.py'));
  assert.ok(runner.includes('python/resnet_studio/run_config.schema.json'));
  for (const file of runner) assert.ok(shipped.has(file), `${file} is not packaged`);
  assert.ok(![...shipped].some((f) => f.includes('__pycache__')), 'no bytecode caches are packaged');
});

test('the extension bundle leaves the training code to its own bundle, which ships beside it', () => {
  const extension = readFileSync('dist/extension.js', 'utf8');
  // What the extension requires at first use instead of at activation: bundles beside it, so each must ship.
  const later = [...extension.matchAll(/require\("\.\/([\w.-]+\.js)"\)/g)].map((m) => `dist/${m[1]}`);
  assert.ok(later.includes('dist/trainingFeature.js'), `the training code is required at first use: ${JSON.stringify(later)}`);
  assert.ok(!extension.includes('sinfo'), 'SLURM partitions are asked by the training bundle, not parsed at activation');
  const listed = spawnSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'ls'], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const shipped = new Set(listed.stdout.split('\n').map((l) => l.trim()));
  for (const file of later) assert.ok(shipped.has(file), `${file} is not packaged`);
});
