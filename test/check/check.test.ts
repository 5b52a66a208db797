// `resnet-studio check` as CI calls it (the built CLI): every output format, exit codes, per-file comments,
// and the folders it skips. The fixture trees are test/fixtures/check/; the environments and package folders
// around them are made here, in temporary folders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import Ajv04 from 'ajv-draft-04';
import { formatGithub } from '../../src/cli/check';
import { flag, parseCommandLine } from '../../src/cli/flags';

const REPO = resolve(import.meta.dirname, '../..');
const FIXTURES = join(REPO, 'test/fixtures/check');
const cacheDir = mkdtempSync(join(tmpdir(), 'rs-check-cache-'));

/** Runs the CLI in `cwd`, as a CI job runs it in its checkout. */
function check(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/resnet-studio.js'), 'check', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, RESNET_STUDIO_CACHE_DIR: cacheDir },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  if (!existsSync(join(REPO, 'dist/cli.js'))) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
});

interface JsonOut {
  files: {
    file: string;
    format: string;
    models: { name: string; kind: string; symbolic: boolean; input: unknown; output: unknown; params: number | null; macs: number | null; errors: number; blocks: { name: string; count: number }[] }[];
    diagnostics: { file: string; severity: string; line: number; column: number; code: string; message: string; models: string[] }[];
  }[];
  summary: { files: number; models: number; errors: number; warnings: number };
}

test('text: a clean tree exits 0 and counts the models of every format it found', () => {
  const r = check(FIXTURES, 'project');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  // cifar.py: BasicBlock, CifarResNet, cifar_resnet; picked.py: Wide only; the design; the Keras topology.
  assert.equal(r.stdout.trim(), 'Checked 6 models in 4 files: 0 errors, 0 warnings.');
});

test('text: an error exits 1, at its file, line and column, listed once, naming the model that raised it', () => {
  const r = check(FIXTURES, 'broken');
  assert.equal(r.status, 1, r.stderr);
  const errors = r.stdout.split('\n').filter((l) => l.includes(': error: '));
  assert.equal(errors.length, 1, r.stdout);
  assert.match(errors[0]!, /^broken\/net\.py:14:27: error: .*channels differ.*\[shape\/residual-add\] \(Net\)$/);
  // The block on its own, with symbolic channels, is only a condition: a warning, not an error.
  assert.match(r.stdout, /^broken\/net\.py:14:27: warning: .* requires cout == cin.* \(Block\)$/m);
  assert.match(r.stdout, /^Checked 2 models in 1 file: 1 error, 1 warning\.$/m);
});

test('json: the models with their totals (PyTorch\'s counts), and the file comment choosing one model', () => {
  const r = check(join(FIXTURES, 'project'), '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as JsonOut;
  assert.deepEqual(o.summary, { files: 4, models: 6, errors: 0, warnings: 0 });
  assert.deepEqual(o.files.map((f) => [f.file, f.format]), [
    ['keras/model.json', 'keras-json'],
    ['models/cifar.py', 'pytorch'],
    ['models/picked.py', 'pytorch'],
    ['tiny.resnet.json', 'resnet-json'],
  ]);
  const cifar = o.files[1]!.models;
  assert.deepEqual(cifar.map((m) => [m.name, m.kind, m.symbolic]), [
    ['BasicBlock', 'class', true],
    ['CifarResNet', 'class', false],
    ['cifar_resnet', 'factory', false],
  ]);
  // torch: sum(p.numel() for p in CifarResNet().parameters()) == 19994, cifar_resnet() == 22964.
  assert.equal(cifar[1]!.params, 19994);
  assert.equal(cifar[2]!.params, 22964);
  assert.deepEqual(cifar[2]!.output, [1, 100]);
  assert.deepEqual(cifar[1]!.blocks, [{ name: 'BasicBlock', count: 2 }]);
  assert.equal(cifar[0]!.params, null, 'a block with symbolic channels has no certain parameter count');
  // picked.py's comment names Wide with its arguments and input; Unfinished (an error when built) is not checked.
  const picked = o.files[2]!.models;
  assert.deepEqual(picked.map((m) => [m.name, m.input, m.output, m.params]), [['Wide', [2, 3, 32, 32], [2, 5], 3 * 8 * 9 + 8 + 8 * 5 + 5]]);
});

test('json: every diagnostic once, with the models that raised it', () => {
  const r = check(FIXTURES, 'broken', '--format=json');
  assert.equal(r.status, 1);
  const o = JSON.parse(r.stdout) as JsonOut;
  const d = o.files[0]!.diagnostics;
  assert.deepEqual(d.map((x) => [x.file, x.severity, x.line, x.column, x.code, x.models]), [
    ['broken/net.py', 'error', 14, 27, 'shape/residual-add', ['Net']],
    ['broken/net.py', 'warning', 14, 27, 'shape/residual-add-condition', ['Block']],
  ]);
  assert.deepEqual(o.summary, { files: 1, models: 2, errors: 1, warnings: 1 });
});

test('--input applies to every model', () => {
  const o = JSON.parse(check(join(FIXTURES, 'project'), 'models/cifar.py', '--input', '1,3,64,64', '--format', 'json').stdout) as JsonOut;
  assert.deepEqual(o.files[0]!.models.map((m) => m.input), [[1, 3, 64, 64], [1, 3, 64, 64], [1, 3, 64, 64]]);
});

test('github: one ::error / ::warning annotation per diagnostic, with file, line and column', () => {
  const r = check(FIXTURES, 'broken', '--format', 'github');
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  assert.match(lines[0]!, /^::error file=broken\/net\.py,line=14,col=27,endLine=14,endColumn=\d+,title=resnet-studio shape\/residual-add::block\.add: residual add: .*\(Net\)$/);
  assert.match(lines[1]!, /^::warning file=broken\/net\.py,line=14,col=27,/);
  assert.equal(check(FIXTURES, 'project', '--format', 'github').stdout, '', 'a clean tree prints no annotation');
});

test('github: messages and properties are escaped as workflow commands require', () => {
  const lines = formatGithub(
    {
      files: [],
      findings: [
        {
          file: { file: '/w/a,b:c.py', format: 'pytorch', models: [], diagnostics: [], dependencies: [], ms: 0 },
          diagnostics: [{ severity: 'error', file: '/w/a,b:c.py', line: 2, column: 3, endLine: 2, endColumn: 9, code: 'x/y', message: '100% wrong\nsecond line', models: [] }],
        },
      ],
      errors: 1,
      warnings: 0,
      models: 0,
    },
    '/w',
  );
  assert.deepEqual(lines, ['::error file=a%2Cb%3Ac.py,line=2,col=3,endLine=2,endColumn=9,title=resnet-studio x/y::100%25 wrong%0Asecond line']);
});

test('sarif: valid SARIF 2.1.0 (checked against the published schema), one result per diagnostic', () => {
  const r = check(FIXTURES, 'broken', '--format', 'sarif');
  assert.equal(r.status, 1);
  const log = JSON.parse(r.stdout);
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  // The published schema has a pattern JavaScript's unicode mode rejects and formats we need not check.
  const validator = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false, logger: false }).compile(schema);
  const validate = (x: unknown): boolean => validator(x) as boolean;
  assert.ok(validate(log), JSON.stringify(validator.errors, null, 1));
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0];
  assert.equal(run.tool.driver.name, 'resnet-studio');
  assert.deepEqual(run.results.map((x: { ruleId: string; level: string }) => [x.ruleId, x.level]), [
    ['shape/residual-add', 'error'],
    ['shape/residual-add-condition', 'warning'],
  ]);
  const loc = run.results[0].locations[0].physicalLocation;
  assert.deepEqual(loc.artifactLocation, { uri: 'broken/net.py', uriBaseId: '%SRCROOT%' });
  assert.equal(loc.region.startLine, 14);
  assert.equal(loc.region.startColumn, 27);
  assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, `file://${FIXTURES}/`);
  for (const res of run.results) assert.equal(run.tool.driver.rules[res.ruleIndex].id, res.ruleId);
  // Related locations (a problem raised in an imported module) are valid too.
  const withRelated = JSON.parse(check(join(FIXTURES, 'imports'), 'wrong', '--path', 'vendor', '--format', 'sarif').stdout);
  assert.ok(withRelated.runs[0].results[0].relatedLocations, 'the imported module is a related location');
  assert.ok(validate(withRelated), JSON.stringify(validator.errors));
  // A clean tree is still a valid log, with no results.
  const clean = JSON.parse(check(FIXTURES, 'project', '--format', 'sarif').stdout);
  assert.ok(validate(clean), JSON.stringify(validator.errors));
  assert.deepEqual(clean.runs[0].results, []);
});

test('usage errors exit 2: an unknown flag, a bad format, a missing path', () => {
  const unknown = check(FIXTURES, 'project', '--formt', 'json');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /did you mean --format\?/);
  const format = check(FIXTURES, 'project', '--format', 'xml');
  assert.equal(format.status, 2);
  assert.match(format.stderr, /--format must be one of text, json, github, sarif/);
  const missing = check(FIXTURES, 'nowhere');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file or folder: nowhere/);
  const path = check(FIXTURES, 'project', '--path', 'project', '--path', 'nowhere');
  assert.equal(path.status, 2);
  assert.match(path.stderr, /--path nowhere: no such folder/);
});

test('--path is repeatable and the paths are variadic (the parser the command declares)', () => {
  const decl = {
    args: [{ name: 'PATHS', help: '', optional: true, variadic: true }],
    flags: { path: flag.strings({ help: '' }), json: flag.boolean({ help: '' }) },
  };
  const p = parseCommandLine(decl, ['a', '--path', 'x', 'b', '--path=y', 'c']);
  assert.deepEqual(p.args, ['a', 'b', 'c']);
  assert.deepEqual(p.flags.path, ['x', 'y']);
  assert.deepEqual(parseCommandLine(decl, []).flags.path, []);
});

/** The project tree with broken models planted where a linter must not look. */
function plantedTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'rs-check-tree-'));
  cpSync(join(FIXTURES, 'project'), root, { recursive: true });
  const broken = readFileSync(join(FIXTURES, 'broken/net.py'), 'utf8');
  const plant = (rel: string): void => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), broken);
  };
  plant('.venv/lib/python3.11/site-packages/pkg/net.py');
  plant('node_modules/pkg/net.py');
  plant('vendor/lib/site-packages/pkg/net.py');
  plant('.git/net.py');
  plant('models/__pycache__/net.py');
  plant('.tox/py311/net.py');
  // Environments under any name are recognised by what venv and conda write into them.
  plant('myenv/lib/net.py');
  writeFileSync(join(root, 'myenv/pyvenv.cfg'), 'home = /usr/bin\n');
  plant('condaenv/lib/net.py');
  mkdirSync(join(root, 'condaenv/conda-meta'));
  return root;
}

test('virtual environments, site-packages, node_modules and tool folders are skipped, as ruff skips them', () => {
  const root = plantedTree();
  const r = check(root, '--format', 'json');
  assert.equal(r.status, 0, r.stdout);
  const o = JSON.parse(r.stdout) as JsonOut;
  assert.deepEqual(o.files.map((f) => f.file), ['keras/model.json', 'models/cifar.py', 'models/picked.py', 'tiny.resnet.json']);
  // A file named on the command line is checked wherever it is, as linters do.
  const named = check(root, 'node_modules/pkg/net.py');
  assert.equal(named.status, 1);
  assert.match(named.stdout, /^node_modules\/pkg\/net\.py:14:27: error:/m);
});

test('--jobs: threads give the same report as one thread, in the same order', () => {
  // test/fixtures/check has 13 .py and .json files: enough for 2 threads.
  const one = check(FIXTURES, '--jobs', '1', '--format', 'json');
  const two = check(FIXTURES, '--jobs', '2', '--format', 'json');
  assert.equal(one.status, 1);
  assert.equal(two.status, 1);
  assert.deepEqual(JSON.parse(two.stdout), JSON.parse(one.stdout));
  const summary = (JSON.parse(one.stdout) as JsonOut).summary;
  assert.deepEqual([summary.files, summary.models], [9, 12]);
  assert.ok(summary.errors >= 1, 'broken/net.py has an error');
  assert.equal(check(FIXTURES, '--jobs', '0').status, 2, '--jobs must be positive');
});

test('--path: an import from a folder outside the tree resolves only when that folder is a search root', () => {
  const app = join(FIXTURES, 'imports/app');
  const alone = JSON.parse(check(app, '--format', 'json').stdout) as JsonOut;
  assert.deepEqual(alone.files[0]!.models.map((m) => [m.name, m.params, m.output]), [['Net', null, null]], 'an unread block leaves the totals unknown');
  const found = check(app, '--format', 'json', '--path', '../vendor');
  assert.equal(found.status, 0, found.stderr);
  // torch (with vendor/ on sys.path): sum(p.numel() for p in Net().parameters()) == 852.
  assert.deepEqual((JSON.parse(found.stdout) as JsonOut).files[0]!.models.map((m) => [m.name, m.params, m.output, m.blocks]), [['Net', 852, [1, 4], [{ name: 'ResBlock', count: 1 }]]]);
});

test('a problem raised inside an imported module: reported in the checked file, with a note where it arose', () => {
  const cwd = join(FIXTURES, 'imports');
  const text = check(cwd, 'wrong', '--path', 'vendor');
  assert.equal(text.status, 1, text.stderr);
  // python (vendor/ on sys.path): Net() raises ValueError: channels (6) must be a multiple of groups (4).
  assert.match(text.stdout, /^wrong\/net\.py:\d+:\d+: error: ValueError: channels \(6\) must be a multiple of groups \(4\).*\n  vendor\/shapes\/checked\.py:9:13: note: raised here$/m);
  const gh = check(cwd, 'wrong', '--path', 'vendor', '--format', 'github').stdout.trim();
  assert.match(gh, /^::error file=wrong\/net\.py,.*::ValueError: .*%0Avendor\/shapes\/checked\.py:9:13: note: raised here$/);
  const log = JSON.parse(check(cwd, 'wrong', '--path', 'vendor', '--format', 'sarif').stdout);
  const related = log.runs[0].results[0].relatedLocations;
  assert.equal(related.length, 1);
  assert.deepEqual(related[0].physicalLocation.artifactLocation, { uri: 'vendor/shapes/checked.py', uriBaseId: '%SRCROOT%' });
  assert.equal(related[0].physicalLocation.region.startLine, 9);
  assert.equal(related[0].message.text, 'raised here');
});
