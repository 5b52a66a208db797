// The CLI's caches: a stored syntax tree must give exactly the tree (and the analysis) a fresh parse gives,
// bad or unsafe cache folders must never change a result, and the launcher must only trust a private folder.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskParseCache } from '../src/cli/cache';
import { toReport } from '../src/core/report';
import { parsePython } from '../src/frontends/pytorch/ast';
import { analyzePytorch } from '../src/frontends/pytorch';

const FIXTURES = 'test/fixtures/pytorch';
const TORCHVISION = '/usr/lib/python3/dist-packages/torchvision/models/resnet.py';

function pythonFiles(): string[] {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).map((f) => join(FIXTURES, f));
  if (existsSync(TORCHVISION)) files.push(TORCHVISION);
  return files;
}

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'rs-cache-test-'));

before(() => {
  if (!existsSync('dist/cli.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

test('a stored tree equals a fresh parse, and the analysis from it is the same', () => {
  const files = pythonFiles();
  // A file with syntax errors too: its errors are part of what is stored.
  const broken = join(freshDir(), 'broken.py');
  writeFileSync(broken, 'import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self:\n        x = (1,\n');
  files.push(broken);
  assert.ok(files.length >= 10, `found ${files.length} fixture files`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const cache = diskParseCache(freshDir(), 'build-1');
    assert.equal(cache.get(text), undefined, `${file}: empty cache`);
    const fresh = parsePython(text);
    cache.set(text, fresh);
    const stored = cache.get(text);
    assert.ok(stored, `${file}: stored`);
    assert.deepStrictEqual(stored, fresh, file);
    const plain = toReport(analyzePytorch(file, text));
    const viaCache = toReport(analyzePytorch(file, text, { parseCache: cache }));
    assert.deepStrictEqual(viaCache, plain, file);
  }
});

test('trees are keyed by the build and by the exact text', () => {
  const dir = freshDir();
  const text = 'import torch\nx = 1\n';
  diskParseCache(dir, 'build-1').set(text, parsePython(text));
  assert.ok(diskParseCache(dir, 'build-1').get(text));
  assert.equal(diskParseCache(dir, 'build-2').get(text), undefined);
  assert.equal(diskParseCache(dir, 'build-1').get(text + ' '), undefined);
});

test('incomplete or inexact trees are not stored, and unreadable entries are misses', () => {
  const dir = freshDir();
  const cache = diskParseCache(dir, 'b');
  // JSON cannot hold Infinity: storing it would change the literal's value.
  const inf = 'x = 1e999\n';
  const parsedInf = parsePython(inf);
  assert.equal(parsedInf.body[0]!.k, 'assign');
  cache.set(inf, parsedInf);
  assert.equal(cache.get(inf), undefined);
  // A parse cut short by its time budget depends on the clock.
  const long = 'x = 1\n'.repeat(2000);
  let ticks = 0;
  const truncated = parsePython(long, 5, 5, () => ticks++);
  assert.notEqual(truncated.truncatedAt, null);
  cache.set(long, truncated);
  assert.equal(cache.get(long), undefined);
  // Garbage where a tree should be.
  const text = 'y = 2\n';
  cache.set(text, parsePython(text));
  const [entry] = readdirSync(dir).filter((n) => n.startsWith('py-'));
  assert.ok(entry);
  for (const junk of ['{"format":1,"body":', '[]', '{"format":99,"body":[],"errors":[]}', '']) {
    writeFileSync(join(dir, entry), junk);
    assert.equal(cache.get(text), undefined, JSON.stringify(junk));
  }
});

test('the cache stays bounded', () => {
  const dir = freshDir();
  const cache = diskParseCache(dir, 'b');
  for (let i = 0; i < 300; i++) {
    const text = `x = ${i}\n`;
    cache.set(text, parsePython(text));
  }
  const n = readdirSync(dir).filter((f) => f.startsWith('py-')).length;
  assert.ok(n > 0 && n <= 256, `${n} entries`);
  assert.ok(cache.get('x = 299\n'), 'the newest entry survives');
});

const cliIn = (dir: string | null, ...args: string[]) =>
  spawnSync(process.execPath, ['bin/resnet-studio.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, RESNET_STUDIO_NO_CACHE: '', RESNET_STUDIO_NO_CODE_CACHE: '', ...(dir ? { RESNET_STUDIO_CACHE_DIR: dir } : { RESNET_STUDIO_NO_CACHE: '1' }) },
  });

test('the launcher caches in a private folder and gives the same output with and without it', () => {
  const file = join(FIXTURES, 'tutorial_style.py');
  const args = ['analyze', file, '--model', 'ResNet50', '--json'];
  const plain = cliIn(null, ...args);
  assert.ok(plain.status === 0 || plain.status === 1, plain.stderr);
  const dir = join(freshDir(), 'cache');
  const first = cliIn(dir, ...args);
  const second = cliIn(dir, ...args);
  assert.equal(first.stdout, plain.stdout);
  assert.equal(second.stdout, plain.stdout);
  assert.equal(second.status, plain.status);
  const names = readdirSync(dir);
  assert.ok(names.some((n) => n.startsWith('py-') && n.endsWith('.json')), names.join(', '));
  assert.ok(names.some((n) => n.startsWith('cli-') && n.endsWith('.bin')), names.join(', '));
  if (typeof process.getuid === 'function') {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const n of names) assert.equal(statSync(join(dir, n)).mode & 0o077, 0, n);
  }
  // A damaged tree is re-parsed, not trusted.
  for (const n of names.filter((x) => x.startsWith('py-'))) writeFileSync(join(dir, n), '{"format":1,"body":[{"k":"pass"');
  const damaged = cliIn(dir, ...args);
  assert.equal(damaged.stdout, plain.stdout);
});

test('a folder others can write to is not used', { skip: typeof process.getuid !== 'function' && 'no POSIX permissions here' }, () => {
  const dir = freshDir();
  chmodSync(dir, 0o777);
  const r = cliIn(dir, 'analyze', join(FIXTURES, 'cifar_style.py'), '--json');
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  assert.ok(JSON.parse(r.stdout).graph);
  assert.deepEqual(readdirSync(dir), []);
});
